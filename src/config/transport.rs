//! `sip.tcp`, `sip.tls` and `sip.connections`: SIP over TCP and TLS beside UDP, and the limits
//! that keep connections from exhausting a server on a public address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{bad, positive, required};
use crate::error::HotlineError;

/// `sip.tcp`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawTcp {
    listen: Option<String>,
}

/// `sip.tls`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawTls {
    listen: Option<String>,
    cert: Option<String>,
    key: Option<String>,
}

/// `sip.connections`: limits shared by TCP and TLS.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawConnections {
    max: Option<usize>,
    max_per_ip: Option<usize>,
    idle_timeout: Option<String>,
    handshake_timeout: Option<String>,
    max_message_size: Option<usize>,
}

/// The three sections together, as read.
#[derive(Debug, Clone, Default)]
pub(super) struct RawStreams {
    pub tcp: RawTcp,
    pub tls: RawTls,
    pub connections: RawConnections,
}

macro_rules! take {
    ($user:expr, $default:expr) => {
        $user.or($default)
    };
}

impl RawStreams {
    /// The user's values over the defaults, key by key.
    pub(super) fn overlay(d: RawStreams, u: RawStreams) -> RawStreams {
        RawStreams {
            tcp: RawTcp {
                listen: take!(u.tcp.listen, d.tcp.listen),
            },
            tls: RawTls {
                listen: take!(u.tls.listen, d.tls.listen),
                cert: take!(u.tls.cert, d.tls.cert),
                key: take!(u.tls.key, d.tls.key),
            },
            connections: RawConnections {
                max: take!(u.connections.max, d.connections.max),
                max_per_ip: take!(u.connections.max_per_ip, d.connections.max_per_ip),
                idle_timeout: take!(u.connections.idle_timeout, d.connections.idle_timeout),
                handshake_timeout: take!(
                    u.connections.handshake_timeout,
                    d.connections.handshake_timeout
                ),
                max_message_size: take!(
                    u.connections.max_message_size,
                    d.connections.max_message_size
                ),
            },
        }
    }
}

/// SIP over connections: where to listen, and the limits.
#[derive(Debug, Clone)]
pub struct StreamsConfig {
    /// `sip.tcp.listen`; `None`: no TCP.
    pub tcp: Option<SocketAddr>,
    /// `sip.tls`; `None`: no TLS.
    pub tls: Option<TlsConfig>,
    pub limits: ConnectionLimits,
}

/// `sip.tls` once validated (the files are read when the server starts).
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub listen: SocketAddr,
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// `sip.connections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once, TCP and TLS together.
    pub max: usize,
    /// Connections open at once from one IP address.
    pub max_per_ip: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// A TLS handshake not finished within this is abandoned.
    pub handshake_timeout: Duration,
    /// A message (head and body) larger than this gets 413 and the connection is closed.
    pub max_message_size: usize,
}

fn address(
    text: Option<String>,
    file: &str,
    field: &str,
) -> Result<Option<SocketAddr>, HotlineError> {
    match text.filter(|t| !t.trim().is_empty()) {
        None => Ok(None),
        Some(text) => text.trim().parse().map(Some).map_err(|_| {
            bad(
                file,
                field,
                format!("{text:?}: expected an address like 0.0.0.0:5061"),
            )
        }),
    }
}

/// Checks the three sections: addresses, both files named when TLS is on, limits above zero.
pub(super) fn validate(raw: RawStreams, file: &str) -> Result<StreamsConfig, HotlineError> {
    let tcp = address(raw.tcp.listen, file, "sip.tcp.listen")?;
    let tls = match address(raw.tls.listen, file, "sip.tls.listen")? {
        None => None,
        Some(listen) => {
            let path = |value: Option<String>, field: &str| match value.filter(|v| !v.is_empty()) {
                Some(v) => Ok(PathBuf::from(v)),
                None => Err(bad(
                    file,
                    field,
                    "missing: sip.tls.listen is set, so a PEM certificate and key are needed \
                     (a test one: openssl req -x509 -newkey rsa:2048 -nodes -days 365 \
                     -subj /CN=hotline -keyout key.pem -out cert.pem)",
                )),
            };
            Some(TlsConfig {
                listen,
                cert: path(raw.tls.cert, "sip.tls.cert")?,
                key: path(raw.tls.key, "sip.tls.key")?,
            })
        }
    };
    let c = raw.connections;
    let at_least_one = |v: Option<usize>, field: &str| match required(v, file, field)? {
        0 => Err(bad(file, field, "must be at least 1")),
        n => Ok(n),
    };
    let max_message_size = required(c.max_message_size, file, "sip.connections.max_message_size")?;
    if !(1_024..=16 * 1_024 * 1_024).contains(&max_message_size) {
        return Err(bad(
            file,
            "sip.connections.max_message_size",
            "must lie between 1024 bytes and 16 MiB",
        ));
    }
    let limits = ConnectionLimits {
        max: at_least_one(c.max, "sip.connections.max")?,
        max_per_ip: at_least_one(c.max_per_ip, "sip.connections.max_per_ip")?,
        idle_timeout: positive(c.idle_timeout, file, "sip.connections.idle_timeout")?,
        handshake_timeout: positive(
            c.handshake_timeout,
            file,
            "sip.connections.handshake_timeout",
        )?,
        max_message_size,
    };
    Ok(StreamsConfig { tcp, tls, limits })
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn load(name: &str, text: &str) -> Result<Config, String> {
        let dir = std::env::temp_dir().join(format!("hotline-streams-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path)).map_err(|e| e.to_string())
    }

    #[test]
    fn tcp_and_tls_are_off_by_default_with_limits_set() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.sip.streams.tcp, None);
        assert!(c.sip.streams.tls.is_none());
        let limits = c.sip.streams.limits;
        assert_eq!((limits.max, limits.max_per_ip), (1024, 16));
        assert_eq!(limits.max_message_size, 65_535);
    }

    #[test]
    fn a_user_file_turns_them_on_key_by_key() {
        let c = load(
            "on.yaml",
            "sip:\n  tcp:\n    listen: 0.0.0.0:5060\n  tls:\n    listen: 0.0.0.0:5061\n    \
             cert: c.pem\n    key: k.pem\n  connections:\n    max_per_ip: 4\n",
        )
        .unwrap();
        assert_eq!(c.sip.streams.tcp, Some("0.0.0.0:5060".parse().unwrap()));
        let tls = c.sip.streams.tls.unwrap();
        assert_eq!(tls.listen, "0.0.0.0:5061".parse().unwrap());
        assert_eq!(tls.key, std::path::PathBuf::from("k.pem"));
        assert_eq!(c.sip.streams.limits.max_per_ip, 4);
        assert_eq!(c.sip.streams.limits.max, 1024);
    }

    #[test]
    fn bad_values_name_the_key_and_a_missing_key_file_says_how_to_make_one() {
        let err = load(
            "nokey.yaml",
            "sip:\n  tls:\n    listen: 0.0.0.0:5061\n    cert: c.pem\n",
        )
        .unwrap_err();
        assert!(
            err.contains("sip.tls.key") && err.contains("openssl req"),
            "{err}"
        );
        let err = load("addr.yaml", "sip:\n  tcp:\n    listen: everywhere\n").unwrap_err();
        assert!(err.contains("sip.tcp.listen"), "{err}");
        let err = load("zero.yaml", "sip:\n  connections:\n    max: 0\n").unwrap_err();
        assert!(
            err.contains("sip.connections.max") && err.contains("at least 1"),
            "{err}"
        );
        let err = load(
            "big.yaml",
            "sip:\n  connections:\n    max_message_size: 10\n",
        )
        .unwrap_err();
        assert!(err.contains("sip.connections.max_message_size"), "{err}");
    }
}
