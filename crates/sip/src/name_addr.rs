//! name-addr / addr-spec values of From, To and Contact (RFC 3261 §20.10, §20.20, §20.39, §25.1).

use std::fmt;

use crate::scan::{find_param, is_ws, parse_params, quoted_len, set_param, unquote, Param};
use crate::{Defect, Uri};

/// A From, To or Contact value: optional display name, URI, header parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name as written (quoted string with its quotes, or bare tokens).
    pub display: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters (tag, expires, q, ...).
    pub params: Vec<Param>,
}

impl NameAddr {
    /// Parses one value. An addr-spec (no `<>`) ends at the first `;` or whitespace and may not
    /// contain `?` or `,` (RFC 3261 §20: such URIs must be enclosed). Spaces inside `<>` and
    /// unquoted display names with non-token characters are tolerated (RFC 4475 §3.1.2.14-15).
    pub fn parse(value: &str) -> Result<NameAddr, Defect> {
        let s = value.trim_matches(is_ws);
        let (display, after_display) = if s.starts_with('"') {
            let len = quoted_len(s)?;
            let rest = s[len..].trim_start_matches(is_ws);
            if !rest.starts_with('<') {
                return Err(Defect::Address("display name without <uri>"));
            }
            (Some(s[..len].to_string()), rest)
        } else if let Some(lt) = s.find('<') {
            let name = s[..lt].trim_matches(is_ws);
            if name.contains('"') {
                return Err(Defect::UnterminatedQuote);
            }
            ((!name.is_empty()).then(|| name.to_string()), &s[lt..])
        } else {
            (None, s)
        };
        if let Some(inner) = after_display.strip_prefix('<') {
            let gt = inner.find('>').ok_or(Defect::Address("unclosed <"))?;
            let uri = Uri::parse(inner[..gt].trim_matches(is_ws))?;
            let params = parse_params(&inner[gt + 1..])?;
            return Ok(NameAddr {
                display,
                uri,
                params,
            });
        }
        let end = after_display
            .find(|c: char| c == ';' || is_ws(c))
            .unwrap_or(after_display.len());
        let spec = &after_display[..end];
        if spec.contains('?') || spec.contains(',') {
            return Err(Defect::AmbiguousAddrSpec);
        }
        if spec.contains('"') {
            return Err(Defect::UnterminatedQuote);
        }
        let uri = Uri::parse(spec)?;
        let params = parse_params(&after_display[end..])?;
        Ok(NameAddr {
            display: None,
            uri,
            params,
        })
    }

    /// A value with only a URI.
    pub fn from_uri(uri: Uri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            params: Vec::new(),
        }
    }

    /// The display name without quotes and escapes.
    pub fn display_name(&self) -> Option<String> {
        self.display.as_deref().map(unquote)
    }

    /// A header parameter by name.
    pub fn param(&self, name: &str) -> Option<&Param> {
        find_param(&self.params, name)
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.param("tag").and_then(|p| p.value.as_deref())
    }

    /// Sets the `tag` parameter.
    pub fn set_tag(&mut self, tag: &str) {
        set_param(&mut self.params, "tag", Some(tag));
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write!(f, "{d} ")?;
        }
        write!(f, "<{}>", self.uri)?;
        for p in &self.params {
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A Contact value: `*` or an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contact {
    /// `Contact: *` (REGISTER only).
    Any,
    /// An address.
    Address(Box<NameAddr>),
}

impl Contact {
    /// Parses one Contact value (already split at commas).
    pub fn parse(value: &str) -> Result<Contact, Defect> {
        if value.trim_matches(is_ws) == "*" {
            return Ok(Contact::Any);
        }
        NameAddr::parse(value).map(|a| Contact::Address(Box::new(a)))
    }

    /// The address, unless this is `*`.
    pub fn address(&self) -> Option<&NameAddr> {
        match self {
            Contact::Any => None,
            Contact::Address(a) => Some(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "\"Alice\" <sip:alice@example.com>;tag=1928301774";
        let na = NameAddr::parse(text).unwrap();
        assert_eq!(na.display_name().as_deref(), Some("Alice"));
        assert_eq!(na.tag(), Some("1928301774"));
        assert_eq!(na.to_string(), text);
    }

    #[test]
    fn addr_spec_params_belong_to_the_header() {
        let na =
            NameAddr::parse(" sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").unwrap();
        assert_eq!(na.uri.to_string(), "sip:vivekg@chair-dnrc.example.com");
        assert_eq!(na.tag(), Some("1918181833n"));
        assert!(na.uri.params.is_empty());
    }

    #[test]
    fn escaped_quotes_in_display_name() {
        let na = NameAddr::parse(
            "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
        )
        .unwrap();
        assert_eq!(na.display_name().as_deref(), Some("J Rosenberg \\\""));
        assert_eq!(na.tag(), Some("98asjd8"));
    }

    #[test]
    fn tolerated_oddities() {
        let na = NameAddr::parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(na.display.as_deref(), Some("caller"));
        let na = NameAddr::parse("\"Watson, Thomas\" < sip:t.watson@example.org >").unwrap();
        assert_eq!(
            na.uri.host,
            "t.watson@example.org".split('@').nth(1).unwrap()
        );
        let na = NameAddr::parse("Bell, Alexander <sip:a.g.bell@example.com>;tag=43").unwrap();
        assert_eq!(na.display_name().as_deref(), Some("Bell, Alexander"));
    }

    #[test]
    fn refused_values() {
        assert_eq!(
            NameAddr::parse("\"Mr. J. User <sip:j.user@example.com>"),
            Err(Defect::UnterminatedQuote)
        );
        assert_eq!(
            NameAddr::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E"),
            Err(Defect::AmbiguousAddrSpec)
        );
        assert!(NameAddr::parse("\"Joe\" <sip:joe@example.org>;;;;").is_err());
    }

    #[test]
    fn contact_star() {
        assert_eq!(Contact::parse(" * "), Ok(Contact::Any));
        assert!(Contact::parse("<name:John_Smith>")
            .unwrap()
            .address()
            .is_some());
    }
}
