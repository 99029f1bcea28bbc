//! HTTP Digest authentication for the registrar (RFC 2617, RFC 7616; MD5 with qop=auth): the
//! Authorization header's parser, the challenge we send and the response we expect, kept apart
//! from the endpoint so the maths can be checked against the RFC's own example.

use md5::{Digest, Md5};

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
    let s = value.trim_matches(is_ws);
    let scheme_len = s.find(is_ws)?;
    if !s[..scheme_len].eq_ignore_ascii_case("Digest") {
        return None;
    }
    let mut rest = &s[scheme_len..];
    let mut seen: Vec<String> = Vec::new();
    let mut c = Credentials::default();
    let (mut username, mut realm, mut nonce, mut uri, mut response) =
        (None, None, None, None, None);
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
        if seen.contains(&name) {
            return None;
        }
        seen.push(name.clone());
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

/// Lowercase hex MD5 of `data`.
pub(crate) fn md5_hex(data: &str) -> String {
    Md5::digest(data.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The request-digest for qop=auth (RFC 2617 §3.2.2.1):
/// `MD5(MD5(user:realm:password):nonce:nc:cnonce:auth:MD5(method:uri))`.
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
    let ha1 = md5_hex(&format!("{username}:{realm}:{password}"));
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
}

/// Whether `credentials` prove knowledge of `password` for `realm` and `method`: MD5 (or no
/// algorithm), qop=auth with nc and cnonce, our realm, and the right response.
pub(crate) fn verify(credentials: &Credentials, realm: &str, password: &str, method: &str) -> bool {
    let c = credentials;
    let md5 = c
        .algorithm
        .as_deref()
        .is_none_or(|a| a.eq_ignore_ascii_case("MD5"));
    let (Some("auth"), Some(nc), Some(cnonce)) = (c.qop.as_deref(), &c.nc, &c.cnonce) else {
        return false;
    };
    if !md5 || c.realm != realm {
        return false;
    }
    let expected = response(
        &c.username,
        realm,
        password,
        method,
        &c.uri,
        &c.nonce,
        nc,
        cnonce,
    );
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
pub(crate) fn challenge(realm: &str, nonce: &str, stale: bool) -> String {
    let stale = if stale { ", stale=true" } else { "" };
    format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"{stale}")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

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
            challenge("hotline", "abc", true),
            "Digest realm=\"hotline\", nonce=\"abc\", algorithm=MD5, qop=\"auth\", stale=true"
        );
    }
}
