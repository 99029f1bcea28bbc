//! The Via header (RFC 3261 §20.42, §18.2.1, RFC 3581 rport): transaction branch and where
//! responses go.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use crate::scan::{find_param, is_token, is_token_char, is_ws, parse_params, set_param, Param};
use crate::uri::split_hostport;
use crate::Defect;

/// The RFC 3261 branch prefix that promises a globally unique branch.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via header value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via {
    /// Protocol version after `SIP/` (always `2.0` in practice).
    pub version: String,
    /// Transport token (`UDP`, `TCP`, `TLS`, unknown ones kept).
    pub transport: String,
    /// sent-by host.
    pub host: String,
    /// sent-by port, if written.
    pub port: Option<u16>,
    /// Parameters (branch, received, rport, ...).
    pub params: Vec<Param>,
}

impl Via {
    /// Parses one Via value (already split at commas). LWS is allowed around `/`, `:` and `;`.
    pub fn parse(value: &str) -> Result<Via, Defect> {
        let mut s = value.trim_matches(is_ws);
        let mut parts = Vec::with_capacity(3);
        for i in 0..3 {
            let len = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
            let token = &s[..len];
            if !is_token(token) {
                return Err(Defect::Via);
            }
            parts.push(token);
            s = s[len..].trim_start_matches(is_ws);
            if i < 2 {
                s = s
                    .strip_prefix('/')
                    .ok_or(Defect::Via)?
                    .trim_start_matches(is_ws);
            }
        }
        if !parts[0].eq_ignore_ascii_case("SIP") {
            return Err(Defect::Via);
        }
        // sent-by: host [ SWS ":" SWS port ]
        let host_len = if s.starts_with('[') {
            s.find(']').map(|i| i + 1).ok_or(Defect::Via)?
        } else {
            s.find(|c: char| is_ws(c) || c == ':' || c == ';')
                .unwrap_or(s.len())
        };
        let host = &s[..host_len];
        s = s[host_len..].trim_start_matches(is_ws);
        let mut hostport = host.to_string();
        if let Some(rest) = s.strip_prefix(':') {
            let rest = rest.trim_start_matches(is_ws);
            let len = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            hostport.push(':');
            hostport.push_str(&rest[..len]);
            s = &rest[len..];
        }
        let (host, port) = split_hostport(&hostport).map_err(|_| Defect::Via)?;
        let params = parse_params(s).map_err(|d| match d {
            Defect::UnterminatedQuote => d,
            _ => Defect::Via,
        })?;
        Ok(Via {
            version: parts[1].to_string(),
            transport: parts[2].to_string(),
            host: host.to_string(),
            port,
            params,
        })
    }

    /// A Via for a request we send over UDP, with `rport` asked for.
    pub fn new_udp(local: SocketAddr, branch: &str) -> Via {
        Via::new_sent(crate::Transport::Udp, local, branch)
    }

    /// A Via for a request we send over `transport` from `local`, with `rport` asked for.
    pub fn new_sent(transport: crate::Transport, local: SocketAddr, branch: &str) -> Via {
        let host = match local.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        Via {
            version: "2.0".into(),
            transport: transport.via_token().into(),
            host,
            port: Some(local.port()),
            params: vec![
                Param::new("branch", Some(branch)),
                Param::new("rport", None),
            ],
        }
    }

    /// A parameter by name.
    pub fn param(&self, name: &str) -> Option<&Param> {
        find_param(&self.params, name)
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.param("branch").and_then(|p| p.value.as_deref())
    }

    /// The branch when it is an RFC 3261 branch (magic cookie plus something unique).
    pub fn rfc3261_branch(&self) -> Option<&str> {
        self.branch()
            .filter(|b| b.len() > MAGIC_COOKIE.len() && b.starts_with(MAGIC_COOKIE))
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&str> {
        self.param("received").and_then(|p| p.value.as_deref())
    }

    /// `None` without rport; `Some(None)` for a bare `;rport`; `Some(Some(port))` when filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.param("rport")
            .map(|p| p.value.as_deref().and_then(|v| v.parse().ok()))
    }

    /// The sent-by host as an IP address, if it is an IP literal.
    pub fn host_ip(&self) -> Option<IpAddr> {
        let h = self.host.trim_start_matches('[').trim_end_matches(']');
        h.parse().ok()
    }

    /// `host:port` of sent-by, the port defaulting to 5060.
    pub fn sent_by(&self) -> String {
        format!(
            "{}:{}",
            self.host.to_ascii_lowercase(),
            self.port.unwrap_or(5060)
        )
    }

    /// Fills in `received` and `rport` for a request that arrived from `source`: always both,
    /// whether or not the client asked (RFC 3581 behaviour for every request), since responses
    /// over UDP always go back to the packet's source and never to the address the Via names.
    pub fn stamp_source(&mut self, source: SocketAddr) {
        set_param(&mut self.params, "received", Some(&source.ip().to_string()));
        set_param(&mut self.params, "rport", Some(&source.port().to_string()));
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/{}/{} {}", self.version, self.transport, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        for p in &self.params {
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport";
        let via = Via::parse(text).unwrap();
        assert_eq!(via.transport, "UDP");
        assert_eq!(via.host, "192.0.2.1");
        assert_eq!(via.port, Some(5060));
        assert_eq!(via.branch(), Some("z9hG4bK776asdhds"));
        assert_eq!(via.rport(), Some(None));
        assert_eq!(via.to_string(), text);
    }

    #[test]
    fn tortuous_whitespace_is_accepted() {
        let via = Via::parse("SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(via.host, "192.0.2.2");
        assert_eq!(via.branch(), Some("390skdjuw"));
        assert_eq!(via.rfc3261_branch(), None);
        let via =
            Via::parse("SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8")
                .unwrap();
        assert_eq!(via.rfc3261_branch(), Some("z9hG4bK9ikj8"));
    }

    #[test]
    fn malformed_values_are_refused() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;",
            "SIP/2.0/UDP",
            "SIP/2.0 host",
            "HTTP/2.0/UDP host",
            "SIP/2.0/UDP host:port",
            "",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stamping_fills_received_and_rport() {
        let mut via = Via::parse("SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa;rport").unwrap();
        via.stamp_source("198.51.100.7:40000".parse().unwrap());
        assert_eq!(
            via.to_string(),
            "SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa;rport=40000;received=198.51.100.7"
        );
        let mut plain = Via::parse("SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa").unwrap();
        plain.stamp_source("198.51.100.7:40000".parse().unwrap());
        assert_eq!(
            plain.to_string(),
            "SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa;received=198.51.100.7;rport=40000"
        );
    }
}
