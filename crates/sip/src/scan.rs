//! Character classes and small scanners shared by the header parsers (RFC 3261 §25.1 basic rules).

use std::fmt;

use crate::Defect;

/// `token` characters of RFC 3261 §25.1.
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// Whether `s` is a non-empty RFC 3261 token.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// Linear whitespace after unfolding (SP, HTAB; CR/LF survive only in malformed input).
pub(crate) fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Splits a header value at commas that are outside quoted strings and `<...>`.
/// Pieces are trimmed; empty pieces are kept so callers can reject them.
pub(crate) fn split_commas(value: &str) -> Result<Vec<&str>, Defect> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let mut escaped = false;
    let mut in_angle = false;
    for (i, c) in value.char_indices() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            }
            continue;
        }
        match c {
            '"' => in_quote = true,
            '<' => in_angle = true,
            '>' => in_angle = false,
            ',' if !in_angle => {
                pieces.push(value[start..i].trim_matches(is_ws));
                start = i + 1;
            }
            _ => {}
        }
    }
    if in_quote {
        return Err(Defect::UnterminatedQuote);
    }
    pieces.push(value[start..].trim_matches(is_ws));
    Ok(pieces)
}

/// Scans a quoted string at the start of `s` (which must begin with `"`).
/// Returns the number of bytes it spans, quotes included.
pub(crate) fn quoted_len(s: &str) -> Result<usize, Defect> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return Ok(i + 1);
        }
    }
    Err(Defect::UnterminatedQuote)
}

/// Removes the quotes and backslash escapes of a quoted string; other text is returned as is.
pub(crate) fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// A `;name[=value]` header or URI parameter. The value is kept as written (quotes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Parameter name as written.
    pub name: String,
    /// Value as written, `None` for a flag parameter such as `;lr` or `;rport`.
    pub value: Option<String>,
}

impl Param {
    /// A parameter with a value.
    pub fn new(name: &str, value: Option<&str>) -> Param {
        Param {
            name: name.to_string(),
            value: value.map(str::to_string),
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, ";{}={}", self.name, v),
            None => write!(f, ";{}", self.name),
        }
    }
}

/// Finds a parameter by case-insensitive name.
pub(crate) fn find_param<'a>(params: &'a [Param], name: &str) -> Option<&'a Param> {
    params.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Sets (or adds) a parameter.
pub(crate) fn set_param(params: &mut Vec<Param>, name: &str, value: Option<&str>) {
    match params
        .iter_mut()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    {
        Some(p) => p.value = value.map(str::to_string),
        None => params.push(Param::new(name, value)),
    }
}

/// Parses a run of header parameters: `*( SEMI name [ EQUAL value ] )` with LWS allowed around
/// the separators. Anything else left over is an error.
pub(crate) fn parse_params(mut s: &str) -> Result<Vec<Param>, Defect> {
    let mut params = Vec::new();
    loop {
        s = s.trim_start_matches(is_ws);
        if s.is_empty() {
            return Ok(params);
        }
        s = s.strip_prefix(';').ok_or(Defect::Param)?;
        s = s.trim_start_matches(is_ws);
        let name_len = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
        if name_len == 0 {
            return Err(Defect::Param);
        }
        let name = &s[..name_len];
        s = s[name_len..].trim_start_matches(is_ws);
        let mut value = None;
        if let Some(rest) = s.strip_prefix('=') {
            let rest = rest.trim_start_matches(is_ws);
            let len = if rest.starts_with('"') {
                quoted_len(rest)?
            } else if rest.starts_with('[') {
                rest.find(']').map(|i| i + 1).ok_or(Defect::Param)?
            } else {
                rest.find(|c: char| !is_token_char(c) && c != ':')
                    .unwrap_or(rest.len())
            };
            if len == 0 {
                return Err(Defect::Param);
            }
            value = Some(rest[..len].to_string());
            s = &rest[len..];
        }
        params.push(Param::new(name, value.as_deref()));
    }
}

/// Whether `host` is a plausible hostname, IPv4 address or bracketed IPv6 reference.
pub(crate) fn is_valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_inside_quotes_and_angles_do_not_split() {
        let v = split_commas(r#""a, b" <sip:x@y;p=1,2>, <sip:z@w>"#).unwrap();
        assert_eq!(v, vec![r#""a, b" <sip:x@y;p=1,2>"#, "<sip:z@w>"]);
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        assert_eq!(split_commas(r#""abc"#), Err(Defect::UnterminatedQuote));
    }

    #[test]
    fn params_with_lws_and_quotes() {
        let p = parse_params(" ;   tag    = 1918 ; q = 0.33; x=\"a;b\"; lr").unwrap();
        let names: Vec<_> = p
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("tag", Some("1918")),
                ("q", Some("0.33")),
                ("x", Some("\"a;b\"")),
                ("lr", None)
            ]
        );
        assert_eq!(parse_params(";;"), Err(Defect::Param));
        assert_eq!(parse_params(";a=b junk"), Err(Defect::Param));
    }

    #[test]
    fn unquote_removes_escapes() {
        assert_eq!(unquote(r#""J Rosenberg \\\"""#), r#"J Rosenberg \""#);
    }
}
