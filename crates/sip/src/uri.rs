//! SIP and other absolute URIs (RFC 3261 §19.1, §25.1): parsed into parts but kept as written.

use std::fmt;

use crate::scan::{find_param, is_valid_host, Param};
use crate::Defect;

/// A URI. `sip:`/`sips:` URIs are split into parts (escapes are not decoded, so printing gives
/// the same text back); any other scheme (`tel:`, `http:`, ...) keeps its text after the colon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uri {
    /// Scheme as written (compare case-insensitively).
    pub scheme: String,
    /// User part (before `@`, without the password), `sip`/`sips` only.
    pub user: Option<String>,
    /// Password after `user:`, `sip`/`sips` only.
    pub password: Option<String>,
    /// Host (IPv6 references keep their brackets); empty for other schemes.
    pub host: String,
    /// Port, if written.
    pub port: Option<u16>,
    /// URI parameters (`;transport=udp;lr`).
    pub params: Vec<Param>,
    /// Headers after `?`, raw.
    pub headers: Option<String>,
    /// Everything after `scheme:` for schemes other than sip/sips.
    pub opaque: Option<String>,
}

impl Uri {
    /// Parses an absolute URI. Whitespace, `<`, `>` and `"` are refused anywhere.
    pub fn parse(s: &str) -> Result<Uri, Defect> {
        if s.is_empty()
            || s.chars().any(|c| {
                c.is_ascii_whitespace()
                    || c.is_ascii_control()
                    || !c.is_ascii()
                    || "<>\"".contains(c)
            })
        {
            return Err(Defect::Uri);
        }
        let colon = s.find(':').ok_or(Defect::Uri)?;
        let scheme = &s[..colon];
        let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !valid_scheme {
            return Err(Defect::Uri);
        }
        let rest = &s[colon + 1..];
        if rest.is_empty() {
            return Err(Defect::Uri);
        }
        if !(scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips")) {
            return Ok(Uri {
                scheme: scheme.to_string(),
                user: None,
                password: None,
                host: String::new(),
                port: None,
                params: Vec::new(),
                headers: None,
                opaque: Some(rest.to_string()),
            });
        }
        // '@' cannot appear unescaped in the host, parameters or headers, so the first one ends
        // the userinfo (which itself may hold ';', '?', '/', ':' ...).
        let (user, password, hostpart) = match rest.find('@') {
            Some(at) => {
                let userinfo = &rest[..at];
                let (user, password) = match userinfo.find(':') {
                    Some(c) => (&userinfo[..c], Some(userinfo[c + 1..].to_string())),
                    None => (userinfo, None),
                };
                if user.is_empty() {
                    return Err(Defect::Uri);
                }
                (Some(user.to_string()), password, &rest[at + 1..])
            }
            None => (None, None, rest),
        };
        let (hostpart, headers) = match hostpart.find('?') {
            Some(q) => (&hostpart[..q], Some(hostpart[q + 1..].to_string())),
            None => (hostpart, None),
        };
        let (hostport, params_text) = match hostpart.find(';') {
            Some(i) => (&hostpart[..i], &hostpart[i..]),
            None => (hostpart, ""),
        };
        let (host, port) = split_hostport(hostport)?;
        let mut params = Vec::new();
        for p in params_text.split(';').skip(1) {
            let (name, value) = match p.find('=') {
                Some(e) => (&p[..e], Some(&p[e + 1..])),
                None => (p, None),
            };
            if name.is_empty() || value == Some("") {
                return Err(Defect::Uri);
            }
            params.push(Param::new(name, value));
        }
        Ok(Uri {
            scheme: scheme.to_string(),
            user,
            password,
            host: host.to_string(),
            port,
            params,
            headers,
            opaque: None,
        })
    }

    /// Whether the scheme is `sip` or `sips`.
    pub fn is_sip(&self) -> bool {
        self.opaque.is_none()
    }

    /// A URI parameter by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&Param> {
        find_param(&self.params, name)
    }
}

/// Splits `host[:port]` and validates both.
pub(crate) fn split_hostport(hostport: &str) -> Result<(&str, Option<u16>), Defect> {
    let (host, port) = if hostport.starts_with('[') {
        let end = hostport.find(']').ok_or(Defect::Uri)? + 1;
        match &hostport[end..] {
            "" => (&hostport[..end], None),
            p => (
                &hostport[..end],
                Some(p.strip_prefix(':').ok_or(Defect::Uri)?),
            ),
        }
    } else {
        match hostport.find(':') {
            Some(c) => (&hostport[..c], Some(&hostport[c + 1..])),
            None => (hostport, None),
        }
    };
    if !is_valid_host(host) {
        return Err(Defect::Uri);
    }
    let port = match port {
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| Defect::Uri)?)
        }
        Some(_) => return Err(Defect::Uri),
        None => None,
    };
    Ok((host, port))
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.scheme)?;
        if let Some(opaque) = &self.opaque {
            return f.write_str(opaque);
        }
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(pw) = &self.password {
                write!(f, ":{pw}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        for p in &self.params {
            match &p.value {
                Some(v) => write!(f, ";{}={}", p.name, v)?,
                None => write!(f, ";{}", p.name)?,
            }
        }
        if let Some(h) = &self.headers {
            write!(f, "?{h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uri_parts_and_round_trip() {
        let text = "sip:alice:pw@[2001:db8::1]:5070;transport=udp;lr?subject=hi";
        let uri = Uri::parse(text).unwrap();
        assert_eq!(uri.user.as_deref(), Some("alice"));
        assert_eq!(uri.password.as_deref(), Some("pw"));
        assert_eq!(uri.host, "[2001:db8::1]");
        assert_eq!(uri.port, Some(5070));
        assert_eq!(uri.param("LR").map(|p| p.value.is_none()), Some(true));
        assert_eq!(uri.headers.as_deref(), Some("subject=hi"));
        assert_eq!(uri.to_string(), text);
    }

    #[test]
    fn unusual_user_parts_are_accepted() {
        let text = "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com";
        let uri = Uri::parse(text).unwrap();
        assert_eq!(uri.host, "example.com");
        assert_eq!(uri.to_string(), text);
        assert!(Uri::parse("sip:user;par=u%40example.net@example.com").is_ok());
    }

    #[test]
    fn other_schemes_are_opaque() {
        let uri = Uri::parse("tel:+15551234").unwrap();
        assert!(!uri.is_sip());
        assert_eq!(uri.to_string(), "tel:+15551234");
        assert!(Uri::parse("soap.beep://192.0.2.103:3002").is_ok());
    }

    #[test]
    fn malformed_uris_are_refused() {
        for bad in [
            "<sip:user@example.com>",
            "sip:user@example.com; lr",
            "sip:",
            "sip:user@",
            "sip:host:99999",
            "sip:host;;lr",
            "1sip:host",
            "nocolon",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad}");
        }
    }
}
