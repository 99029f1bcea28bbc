//! `sip-config/trunks.yaml`: the SIP trunks campaign calls leave by (where to send the INVITE,
//! the credentials for its digest challenge, the caller ID and how long to let it ring), read
//! with every refusal at `file:line:column`. Secrets may be `{env.NAME}` references, resolved
//! by the server, so the file can be committed without them.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::DialerError;
use crate::yaml::{config_error, duration, load, pos_of};

/// A value written in the file, or a reference to an environment variable (`{env.NAME}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    Literal(String),
    Env(String),
}

impl Secret {
    fn parse(text: &str) -> Secret {
        match text
            .trim()
            .strip_prefix("{env.")
            .and_then(|r| r.strip_suffix('}'))
        {
            Some(name) => Secret::Env(name.to_string()),
            None => Secret::Literal(text.to_string()),
        }
    }

    /// The value, looking environment variables up with `env`; `None` when one is not set.
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Option<String> {
        match self {
            Secret::Literal(v) => Some(v.clone()),
            Secret::Env(name) => env(name),
        }
    }
}

/// One checked trunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trunk {
    pub name: String,
    /// `host:port` where INVITEs are sent (an IP address: there is no DNS in Hotline's SIP).
    pub host: String,
    pub port: u16,
    /// The user name for digest authentication, if the trunk challenges.
    pub username: Option<Secret>,
    pub password: Option<Secret>,
    /// The From and P-Asserted-Identity number when the campaign names none.
    pub caller_id: Option<String>,
    /// Give up (CANCEL) when nobody answered within this long: outcome no answer.
    pub ring_timeout: Duration,
}

impl Trunk {
    /// The Request-URI for a number, e.g. `sip:+12125550142@192.0.2.40:5060`.
    pub fn request_uri(&self, number: &str) -> String {
        format!("sip:{number}@{}:{}", self.host, self.port)
    }
}

/// The default ring timeout.
pub const DEFAULT_RING_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    trunks: Vec<Spanned<RawTrunk>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrunk {
    name: Spanned<String>,
    target: Spanned<String>,
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    caller_id: Option<Spanned<String>>,
    ring_timeout: Option<Spanned<String>>,
}

/// Reads and checks a trunks file.
pub fn parse_trunks(text: &str, file: &Path) -> Result<Vec<Trunk>, DialerError> {
    let raw: RawFile = load(text, file)?;
    let mut names = BTreeSet::new();
    let mut trunks = Vec::new();
    for t in raw.trunks {
        let at = pos_of(&t);
        let t = t.value;
        let name = t.name.value.trim().to_string();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        {
            return Err(config_error(
                file,
                pos_of(&t.name),
                format!("a trunk name is letters, digits, `-` and `_`, not `{name}`"),
            ));
        }
        if !names.insert(name.clone()) {
            return Err(config_error(
                file,
                pos_of(&t.name),
                format!("trunk `{name}` is named twice"),
            ));
        }
        let (host, port) = parse_target(&t.target.value).ok_or_else(|| {
            config_error(
                file,
                pos_of(&t.target),
                format!(
                    "`{}` is not a trunk target: write an IP address and port like \
                     192.0.2.40:5060 or sip:192.0.2.40:5060",
                    t.target.value
                ),
            )
        })?;
        if t.username.is_some() != t.password.is_some() {
            return Err(config_error(
                file,
                at,
                format!("trunk `{name}` needs both `username` and `password`, or neither"),
            ));
        }
        let ring_timeout = match &t.ring_timeout {
            Some(v) => duration(v, "ring_timeout", file)?,
            None => DEFAULT_RING_TIMEOUT,
        };
        if ring_timeout.is_zero() {
            return Err(config_error(
                file,
                pos_of(t.ring_timeout.as_ref().unwrap_or(&t.name)),
                "`ring_timeout` must be longer than zero",
            ));
        }
        let caller_id = match &t.caller_id {
            Some(c) => Some(
                crate::phone::normalise(&c.value, None)
                    .map_err(|p| {
                        config_error(
                            file,
                            pos_of(c),
                            format!("`caller_id` `{}` is not a valid number: {p}", c.value),
                        )
                    })?
                    .to_string(),
            ),
            None => None,
        };
        trunks.push(Trunk {
            name,
            host,
            port,
            username: t.username.map(|u| Secret::parse(&u.value)),
            password: t.password.map(|p| Secret::parse(&p.value)),
            caller_id,
            ring_timeout,
        });
    }
    Ok(trunks)
}

/// `192.0.2.40:5060`, `sip:192.0.2.40:5060`, `192.0.2.40` (port 5060), `[2001:db8::1]:5070`.
fn parse_target(text: &str) -> Option<(String, u16)> {
    let t = text.trim();
    let t = t.strip_prefix("sip:").unwrap_or(t);
    let t = t.split(';').next()?;
    if let Ok(addr) = t.parse::<std::net::SocketAddr>() {
        let host = match addr.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        return Some((host, addr.port()));
    }
    let ip: std::net::IpAddr = t
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let host = match ip {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    Some((host, 5060))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> (usize, String) {
        match parse_trunks(text, Path::new("trunks.yaml")) {
            Err(DialerError::Config { line, reason, .. }) => (line, reason),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_full_trunk_reads() {
        let text = "trunks:\n  - name: main\n    target: sip:192.0.2.40:5070\n    username: hotline\n    password: \"{env.TRUNK_PASSWORD}\"\n    caller_id: \"+1 212 555 0100\"\n    ring_timeout: 25s\n  - name: spare\n    target: 192.0.2.41\n";
        let trunks = parse_trunks(text, Path::new("trunks.yaml")).unwrap();
        assert_eq!(trunks.len(), 2);
        let main = &trunks[0];
        assert_eq!((main.host.as_str(), main.port), ("192.0.2.40", 5070));
        assert_eq!(main.username, Some(Secret::Literal("hotline".into())));
        assert_eq!(main.password, Some(Secret::Env("TRUNK_PASSWORD".into())));
        assert_eq!(main.caller_id.as_deref(), Some("+12125550100"));
        assert_eq!(main.ring_timeout, Duration::from_secs(25));
        assert_eq!(
            main.request_uri("+15551234"),
            "sip:+15551234@192.0.2.40:5070"
        );
        assert_eq!(trunks[1].port, 5060);
        assert_eq!(trunks[1].ring_timeout, DEFAULT_RING_TIMEOUT);
        let env = |n: &str| (n == "TRUNK_PASSWORD").then(|| "s3cret".to_string());
        assert_eq!(
            main.password.as_ref().unwrap().resolve(env).as_deref(),
            Some("s3cret")
        );
        assert_eq!(Secret::Env("NOPE".into()).resolve(env), None);
    }

    #[test]
    fn refusals_name_their_line() {
        let (line, reason) = refusal("trunks:\n  - name: main\n    target: pbx.example.com\n");
        assert_eq!(line, 3);
        assert!(reason.contains("not a trunk target"), "{reason}");
        let (line, reason) =
            refusal("trunks:\n  - name: a\n    target: 192.0.2.1:5060\n  - name: a\n    target: 192.0.2.2:5060\n");
        assert_eq!(line, 4);
        assert!(reason.contains("named twice"), "{reason}");
        let (line, reason) =
            refusal("trunks:\n  - name: a\n    target: 192.0.2.1:5060\n    passwrd: x\n");
        assert_eq!(line, 4);
        assert!(reason.contains("did you mean `password`"), "{reason}");
        let (_, reason) =
            refusal("trunks:\n  - name: a\n    target: 192.0.2.1:5060\n    password: x\n");
        assert!(
            reason.contains("both `username` and `password`"),
            "{reason}"
        );
        let (line, reason) =
            refusal("trunks:\n  - name: a\n    target: 192.0.2.1:5060\n    ring_timeout: soon\n");
        assert_eq!(line, 4);
        assert!(reason.contains("invalid duration"), "{reason}");
        let (line, _) =
            refusal("trunks:\n  - name: a\n    target: 192.0.2.1:5060\n    caller_id: \"12\"\n");
        assert_eq!(line, 4);
    }
}
