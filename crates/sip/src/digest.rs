//! HTTP Digest authentication for the registrar (RFC 2617, RFC 7616 and RFC 8760: SHA-256 and
//! MD5 with qop=auth): the Authorization header's parser, the challenges we send and the
//! response we expect, kept apart from the endpoint so the maths can be checked against the
//! RFCs' own examples.

use md5::{Digest, Md5};
use sha2::Sha256;

use crate::scan::{is_token_char, is_ws, quoted_len, unquote};

/// The parameters of a `Digest` Authorization header (RFC 2617 §3.2.2). Values are unquoted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
    pub algorithm: Option<String>,
}

/// Parses `Digest name=value, ...` (quoted or token values, any order, LWS around separators).
/// `None` when the scheme is not Digest, the syntax is broken, a parameter repeats, or one of
/// username, realm, nonce, uri and response is missing. Unknown parameters are ignored.
/// Whether an Authorization value uses the Digest scheme (case-insensitive).
pub(crate) fn is_digest(value: &str) -> bool {
    let s = value.trim_matches(is_ws);
    let scheme = s.split(is_ws).next().unwrap_or("");
    scheme.eq_ignore_ascii_case("Digest")
}

pub(crate) fn parse_authorization(value: &str) -> Option<Credentials> {
    let mut c = Credentials::default();
    let (mut username, mut realm, mut nonce, mut uri, mut response) =
        (None, None, None, None, None);
    for (name, value) in digest_params(value)? {
        match name.as_str() {
            "username" => username = Some(value),
            "realm" => realm = Some(value),
            "nonce" => nonce = Some(value),
            "uri" => uri = Some(value),
            "response" => response = Some(value),
            "qop" => c.qop = Some(value),
            "nc" => c.nc = Some(value),
            "cnonce" => c.cnonce = Some(value),
            "algorithm" => c.algorithm = Some(value),
            _ => {}
        }
    }
    c.username = username?;
    c.realm = realm?;
    c.nonce = nonce?;
    c.uri = uri?;
    c.response = response?;
    Some(c)
}

/// The `name=value` parameters of a `Digest ...` header value (names lowercased, values
/// unquoted), shared by Authorization and the challenges. `None` when the scheme is not
/// Digest, the syntax is broken or a parameter repeats.
fn digest_params(value: &str) -> Option<Vec<(String, String)>> {
    let s = value.trim_matches(is_ws);
    let scheme_len = s.find(is_ws)?;
    if !s[..scheme_len].eq_ignore_ascii_case("Digest") {
        return None;
    }
    let mut rest = &s[scheme_len..];
    let mut params: Vec<(String, String)> = Vec::new();
    loop {
        rest = rest.trim_start_matches(|ch: char| is_ws(ch) || ch == ',');
        if rest.is_empty() {
            break;
        }
        let name_len = rest
            .find(|ch: char| !is_token_char(ch))
            .unwrap_or(rest.len());
        if name_len == 0 {
            return None;
        }
        let name = rest[..name_len].to_ascii_lowercase();
        rest = rest[name_len..].trim_start_matches(is_ws);
        rest = rest.strip_prefix('=')?.trim_start_matches(is_ws);
        let value = if rest.starts_with('"') {
            let len = quoted_len(rest).ok()?;
            let v = unquote(&rest[..len]);
            rest = &rest[len..];
            v
        } else {
            let len = rest
                .find(|ch: char| is_ws(ch) || ch == ',' || ch == '"')
                .unwrap_or(rest.len());
            if len == 0 {
                return None;
            }
            let v = rest[..len].to_string();
            rest = &rest[len..];
            v
        };
        rest = rest.trim_start_matches(is_ws);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
        }
        if params.iter().any(|(n, _)| *n == name) {
            return None;
        }
        params.push((name, value));
    }
    Some(params)
}

/// A Digest challenge we received (WWW-Authenticate or Proxy-Authenticate), to answer as UAC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// The server offers qop=auth; without it the RFC 2069 form is used.
    pub qop_auth: bool,
}

/// Reads a challenge; `None` for another scheme, an algorithm we lack, or no realm/nonce.
pub(crate) fn parse_challenge(value: &str) -> Option<Challenge> {
    let (mut realm, mut nonce, mut opaque, mut algorithm, mut qop) = (None, None, None, None, None);
    for (name, value) in digest_params(value)? {
        match name.as_str() {
            "realm" => realm = Some(value),
            "nonce" => nonce = Some(value),
            "opaque" => opaque = Some(value),
            "algorithm" => algorithm = Some(value),
            "qop" => qop = Some(value),
            _ => {}
        }
    }
    Some(Challenge {
        realm: realm?,
        nonce: nonce?,
        opaque,
        algorithm: Algorithm::parse(algorithm.as_deref())?,
        qop_auth: qop.is_some_and(|q| q.split(',').any(|o| o.trim().eq_ignore_ascii_case("auth"))),
    })
}

/// The Authorization (or Proxy-Authorization) value answering `challenge` for `method` on
/// `uri`, the first use of the nonce (nc 00000001) with client nonce `cnonce`.
pub(crate) fn authorization(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> String {
    let c = challenge;
    let quote = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
    let mut value = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\"",
        quote(username),
        quote(&c.realm),
        quote(&c.nonce),
        quote(uri)
    );
    let nc = "00000001";
    let response = if c.qop_auth {
        response_with(
            c.algorithm,
            username,
            &c.realm,
            password,
            method,
            uri,
            &c.nonce,
            nc,
            cnonce,
        )
    } else {
        let h = |data: String| c.algorithm.hex(&data);
        let ha1 = h(format!("{username}:{}:{password}", c.realm));
        let ha2 = h(format!("{method}:{uri}"));
        h(format!("{ha1}:{}:{ha2}", c.nonce))
    };
    value.push_str(&format!(
        ", response=\"{response}\", algorithm={}",
        c.algorithm.name()
    ));
    if c.qop_auth {
        value.push_str(&format!(
            ", qop=auth, nc={nc}, cnonce=\"{}\"",
            quote(cnonce)
        ));
    }
    if let Some(opaque) = &c.opaque {
        value.push_str(&format!(", opaque=\"{}\"", quote(opaque)));
    }
    value
}

/// A digest algorithm the registrar can offer (RFC 8760 §2.4: one challenge per algorithm, in
/// order of preference). Both are accepted in answers whichever are offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// SHA-256 (RFC 7616, RFC 8760).
    Sha256,
    /// MD5 (RFC 2617): the only one many phones know.
    Md5,
}

impl Algorithm {
    /// Both, strongest first.
    pub const ALL: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Md5];

    /// The `algorithm` parameter's value (any case); absent means MD5 (RFC 2617).
    pub fn parse(value: Option<&str>) -> Option<Algorithm> {
        match value {
            None => Some(Algorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("MD5") => Some(Algorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("SHA-256") => Some(Algorithm::Sha256),
            Some(_) => None,
        }
    }

    /// The name in the `algorithm` parameter, e.g. `SHA-256`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Md5 => "MD5",
        }
    }

    /// Lowercase hex of the hash of `data`.
    pub(crate) fn hex(self, data: &str) -> String {
        let bytes: Vec<u8> = match self {
            Algorithm::Md5 => Md5::digest(data.as_bytes()).to_vec(),
            Algorithm::Sha256 => Sha256::digest(data.as_bytes()).to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The MD5 request-digest for qop=auth (RFC 2617 §3.2.2.1).
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn response(
    username: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
) -> String {
    response_with(
        Algorithm::Md5,
        username,
        realm,
        password,
        method,
        uri,
        nonce,
        nc,
        cnonce,
    )
}

/// The request-digest for qop=auth (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1):
/// `H(H(user:realm:password):nonce:nc:cnonce:auth:H(method:uri))`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn response_with(
    algorithm: Algorithm,
    username: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
) -> String {
    let ha1 = ha1(algorithm, username, realm, password);
    response_from_ha1(algorithm, &ha1, method, uri, nonce, nc, cnonce)
}

/// `HA1 = H(user:realm:password)` in lowercase hex: what a registrar may keep instead of the
/// password (RFC 7616 §3.4.2). It is bound to the realm: another realm needs another HA1.
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hex(&format!("{username}:{realm}:{password}"))
}

/// The request-digest for qop=auth from a stored HA1.
fn response_from_ha1(
    algorithm: Algorithm,
    ha1: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
) -> String {
    let h = |data: String| algorithm.hex(&data);
    let ha2 = h(format!("{method}:{uri}"));
    h(format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
}

/// What the registrar knows of an account: its password, or only its HA1 hashes (written by
/// `hotline agents passwd`), so a leaked `agents.yaml` does not give the password away.
#[derive(Clone, PartialEq, Eq)]
pub enum AccountSecret {
    /// The password in clear.
    Password(String),
    /// HA1 for the registrar's realm, in lowercase hex; an algorithm without one is refused.
    Ha1 {
        md5: Option<String>,
        sha256: Option<String>,
    },
}

impl AccountSecret {
    /// HA1 for `algorithm`, if this secret can give it.
    fn ha1(&self, algorithm: Algorithm, username: &str, realm: &str) -> Option<String> {
        match self {
            AccountSecret::Password(password) => Some(ha1(algorithm, username, realm, password)),
            AccountSecret::Ha1 { md5, sha256 } => match algorithm {
                Algorithm::Md5 => md5.as_ref(),
                Algorithm::Sha256 => sha256.as_ref(),
            }
            .map(|h| h.to_ascii_lowercase()),
        }
    }
}

impl AccountSecret {
    /// A short tag that changes whenever the account's password or realm changes, and gives
    /// nothing of the secret away (a hash of its HA1): kept with a persisted registration, so
    /// a binding made with an old password is not restored after the password was changed.
    pub fn fingerprint(&self, username: &str, realm: &str) -> String {
        let ha1 = self
            .ha1(Algorithm::Sha256, username, realm)
            .or_else(|| self.ha1(Algorithm::Md5, username, realm))
            .unwrap_or_default();
        let tag = Algorithm::Sha256.hex(&format!("hotline-registration:{realm}:{ha1}"));
        tag[..32].to_string()
    }
}

/// Secrets stay out of logs.
impl std::fmt::Debug for AccountSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountSecret::Password(_) => f.write_str("Password(..)"),
            AccountSecret::Ha1 { md5, sha256 } => f
                .debug_struct("Ha1")
                .field("md5", &md5.is_some())
                .field("sha256", &sha256.is_some())
                .finish(),
        }
    }
}

impl From<&str> for AccountSecret {
    fn from(password: &str) -> AccountSecret {
        AccountSecret::Password(password.to_string())
    }
}

impl From<String> for AccountSecret {
    fn from(password: String) -> AccountSecret {
        AccountSecret::Password(password)
    }
}

/// Whether `credentials` prove knowledge of `password` for `realm` and `method`: SHA-256 or MD5
/// (or no algorithm: MD5), qop=auth with nc and cnonce, our realm, and the right response.
#[cfg(test)]
pub(crate) fn verify(credentials: &Credentials, realm: &str, password: &str, method: &str) -> bool {
    verify_secret(
        credentials,
        realm,
        &AccountSecret::Password(password.to_string()),
        method,
    )
}

/// Whether `credentials` prove knowledge of the account's secret (its password, or the
/// password behind its HA1) for `realm` and `method`.
pub(crate) fn verify_secret(
    credentials: &Credentials,
    realm: &str,
    secret: &AccountSecret,
    method: &str,
) -> bool {
    let c = credentials;
    let Some(algorithm) = Algorithm::parse(c.algorithm.as_deref()) else {
        return false;
    };
    let (Some("auth"), Some(nc), Some(cnonce)) = (c.qop.as_deref(), &c.nc, &c.cnonce) else {
        return false;
    };
    if c.realm != realm {
        return false;
    }
    let Some(ha1) = secret.ha1(algorithm, &c.username, realm) else {
        return false;
    };
    let expected = response_from_ha1(algorithm, &ha1, method, &c.uri, &c.nonce, nc, cnonce);
    constant_time_eq(
        expected.as_bytes(),
        c.response.to_ascii_lowercase().as_bytes(),
    )
}

/// The nonce count as a number (8 hex digits), if well formed.
pub(crate) fn nonce_count(credentials: &Credentials) -> Option<u32> {
    let nc = credentials.nc.as_deref()?;
    (nc.len() == 8)
        .then(|| u32::from_str_radix(nc, 16).ok())
        .flatten()
}

/// The WWW-Authenticate value of a challenge.
pub(crate) fn challenge(realm: &str, nonce: &str, stale: bool, algorithm: Algorithm) -> String {
    let stale = if stale { ", stale=true" } else { "" };
    let name = algorithm.name();
    format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm={name}, qop=\"auth\"{stale}")
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_follows_the_password_and_realm_not_the_form_it_is_kept_in() {
        let plain = AccountSecret::from("violet-harbour-lamp-42");
        let hashed = AccountSecret::Ha1 {
            md5: Some(ha1(
                Algorithm::Md5,
                "ann",
                "hotline",
                "violet-harbour-lamp-42",
            )),
            sha256: Some(ha1(
                Algorithm::Sha256,
                "ann",
                "hotline",
                "violet-harbour-lamp-42",
            )),
        };
        let tag = plain.fingerprint("ann", "hotline");
        assert_eq!(tag.len(), 32);
        assert_eq!(hashed.fingerprint("ann", "hotline"), tag);
        assert_ne!(
            AccountSecret::from("other-password-99").fingerprint("ann", "hotline"),
            tag
        );
        assert_ne!(plain.fingerprint("ann", "shop"), tag);
    }

    /// RFC 2617 §3.5.
    const RFC_2617_AUTHORIZATION: &str = "Digest username=\"Mufasa\",\r\n realm=\"testrealm@host.com\",\r\n nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n uri=\"/dir/index.html\",\r\n qop=auth,\r\n nc=00000001,\r\n cnonce=\"0a4f113b\",\r\n response=\"6629fae49393a05397450978507c4ef1\",\r\n opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

    #[test]
    fn rfc_2617_example_response() {
        let r = response(
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "00000001",
            "0a4f113b",
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn rfc_2617_example_parses_and_verifies() {
        let c = parse_authorization(RFC_2617_AUTHORIZATION).unwrap();
        assert_eq!(c.username, "Mufasa");
        assert_eq!(c.realm, "testrealm@host.com");
        assert_eq!(c.uri, "/dir/index.html");
        assert_eq!(c.qop.as_deref(), Some("auth"));
        assert_eq!(nonce_count(&c), Some(1));
        assert!(verify(&c, "testrealm@host.com", "Circle Of Life", "GET"));
        assert!(!verify(&c, "testrealm@host.com", "circle of life", "GET"));
        assert!(!verify(&c, "other", "Circle Of Life", "GET"));
        assert!(!verify(&c, "testrealm@host.com", "Circle Of Life", "POST"));
        let no_qop = Credentials {
            qop: None,
            ..c.clone()
        };
        assert!(!verify(
            &no_qop,
            "testrealm@host.com",
            "Circle Of Life",
            "GET"
        ));
        let sha = Credentials {
            algorithm: Some("SHA-256".into()),
            ..c
        };
        assert!(!verify(&sha, "testrealm@host.com", "Circle Of Life", "GET"));
        let unknown = Credentials {
            algorithm: Some("SHA-512-256".into()),
            ..parse_authorization(RFC_2617_AUTHORIZATION).unwrap()
        };
        assert!(!verify(
            &unknown,
            "testrealm@host.com",
            "Circle Of Life",
            "GET"
        ));
    }

    /// RFC 7616 §3.9.1: the same request answered with SHA-256 and with MD5.
    #[test]
    fn rfc_7616_example_responses() {
        let args = |algorithm| {
            response_with(
                algorithm,
                "Mufasa",
                "http-auth@example.org",
                "Circle of Life",
                "GET",
                "/dir/index.html",
                "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                "00000001",
                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            )
        };
        assert_eq!(
            args(Algorithm::Sha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
        assert_eq!(args(Algorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
        let c = Credentials {
            username: "Mufasa".into(),
            realm: "http-auth@example.org".into(),
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v".into(),
            uri: "/dir/index.html".into(),
            response: args(Algorithm::Sha256),
            qop: Some("auth".into()),
            nc: Some("00000001".into()),
            cnonce: Some("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ".into()),
            algorithm: Some("SHA-256".into()),
        };
        assert!(verify(&c, "http-auth@example.org", "Circle of Life", "GET"));
    }

    #[test]
    fn any_order_unquoted_values_and_odd_spacing() {
        let c = parse_authorization(
            "digest   response = abc ,nc=00000002,uri=sip:r.example,  algorithm=MD5,\
             username=\"a\\\"b\",realm=r,nonce=\"n, with comma\",cnonce=x,qop=auth",
        )
        .unwrap();
        assert_eq!(c.username, "a\"b");
        assert_eq!(c.realm, "r");
        assert_eq!(c.nonce, "n, with comma");
        assert_eq!(c.response, "abc");
        assert_eq!(c.algorithm.as_deref(), Some("MD5"));
        assert_eq!(nonce_count(&c), Some(2));
    }

    #[test]
    fn refused_authorizations() {
        let ok = "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"";
        assert!(parse_authorization(ok).is_some());
        assert!(parse_authorization(&ok.replace("Digest", "Basic")).is_none());
        assert!(parse_authorization(&ok.replace(", response=\"x\"", "")).is_none());
        assert!(parse_authorization(&format!("{ok}, realm=\"s\"")).is_none());
        assert!(parse_authorization(&ok.replace("nonce=\"n\"", "nonce=\"n")).is_none());
        assert!(parse_authorization(&ok.replace("uri=", "uri")).is_none());
        assert!(parse_authorization("Digest").is_none());
    }

    #[test]
    fn challenge_text() {
        assert_eq!(
            challenge("hotline", "abc", true, Algorithm::Md5),
            "Digest realm=\"hotline\", nonce=\"abc\", algorithm=MD5, qop=\"auth\", stale=true"
        );
        assert_eq!(
            challenge("hotline", "abc", false, Algorithm::Sha256),
            "Digest realm=\"hotline\", nonce=\"abc\", algorithm=SHA-256, qop=\"auth\""
        );
    }

    #[test]
    fn our_answer_to_a_challenge_verifies_as_the_registrar_would() {
        for algorithm in Algorithm::ALL {
            let text = challenge("trunk.example", "abc123", false, algorithm);
            let c = parse_challenge(&text).unwrap();
            assert_eq!(c.algorithm, algorithm);
            assert!(c.qop_auth);
            let value = authorization(
                &c,
                "alice",
                "s3cret",
                "INVITE",
                "sip:+1555@192.0.2.4",
                "cn1",
            );
            let credentials = parse_authorization(&value).unwrap();
            assert!(
                verify(&credentials, "trunk.example", "s3cret", "INVITE"),
                "{value}"
            );
            assert!(!verify(&credentials, "trunk.example", "wrong", "INVITE"));
        }
    }

    #[test]
    fn a_challenge_without_qop_gets_the_rfc_2069_answer() {
        // RFC 2617 §3.5 values, computed without qop: H(HA1:nonce:HA2).
        let c = parse_challenge(
            "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        assert!(!c.qop_auth);
        assert_eq!(c.algorithm, Algorithm::Md5);
        let value = authorization(
            &c,
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "x",
        );
        assert!(
            value.contains("response=\"670fd8c2df070c60b045671b8b24ff02\""),
            "{value}"
        );
        assert!(value.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
        assert!(!value.contains("qop="));
        assert_eq!(parse_challenge("Basic realm=\"x\""), None);
        assert_eq!(
            parse_challenge("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512"),
            None
        );
    }
}
