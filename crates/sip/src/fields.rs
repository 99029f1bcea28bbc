//! Small typed header values: Method, CSeq, Max-Forwards, media types (Content-Type, Accept)
//! and option-tag lists (RFC 3261 §20).

use std::fmt;

use crate::scan::{find_param, is_token, is_ws, parse_params, Param};
use crate::Defect;

/// A SIP method. Methods are case-sensitive; unknown ones are kept in `Extension`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE
    Invite,
    /// ACK
    Ack,
    /// CANCEL
    Cancel,
    /// BYE
    Bye,
    /// OPTIONS
    Options,
    /// REGISTER
    Register,
    /// INFO (RFC 6086)
    Info,
    /// UPDATE (RFC 3311)
    Update,
    /// PRACK (RFC 3262)
    Prack,
    /// SUBSCRIBE (RFC 6665)
    Subscribe,
    /// NOTIFY (RFC 6665)
    Notify,
    /// PUBLISH (RFC 3903)
    Publish,
    /// MESSAGE (RFC 3428)
    Message,
    /// REFER (RFC 3515)
    Refer,
    /// Any other token.
    Extension(String),
}

impl Method {
    /// Parses a method token; `None` if it is not a token.
    pub fn parse(s: &str) -> Option<Method> {
        if !is_token(s) {
            return None;
        }
        Some(match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "CANCEL" => Method::Cancel,
            "BYE" => Method::Bye,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "PUBLISH" => Method::Publish,
            "MESSAGE" => Method::Message,
            "REFER" => Method::Refer,
            other => Method::Extension(other.to_string()),
        })
    }

    /// The method name.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Cancel => "CANCEL",
            Method::Bye => "BYE",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Publish => "PUBLISH",
            Method::Message => "MESSAGE",
            Method::Refer => "REFER",
            Method::Extension(m) => m,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The CSeq header: sequence number and method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number, at most 2^31-1.
    pub number: u32,
    /// Method.
    pub method: Method,
}

impl CSeq {
    /// Parses `1*DIGIT LWS Method`.
    pub fn parse(value: &str) -> Result<CSeq, Defect> {
        let s = value.trim_matches(is_ws);
        let digits = s.find(|c: char| !c.is_ascii_digit()).ok_or(Defect::CSeq)?;
        let number = parse_bounded(&s[..digits], i32::MAX as u64).ok_or(Defect::CSeq)? as u32;
        let rest = &s[digits..];
        if !rest.starts_with(is_ws) {
            return Err(Defect::CSeq);
        }
        let method = Method::parse(rest.trim_matches(is_ws)).ok_or(Defect::CSeq)?;
        Ok(CSeq { number, method })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.number, self.method)
    }
}

/// Parses a decimal number of at most `max`; `None` when empty, not digits, or too large.
pub(crate) fn parse_bounded(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = s.trim_start_matches('0');
    if trimmed.len() > 19 {
        return None;
    }
    let n: u64 = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().ok()?
    };
    (n <= max).then_some(n)
}

/// Parses Max-Forwards (0..=255).
pub fn parse_max_forwards(value: &str) -> Result<u8, Defect> {
    parse_bounded(value.trim_matches(is_ws), 255)
        .map(|n| n as u8)
        .ok_or(Defect::MaxForwards)
}

/// A media type such as `application/sdp` or `multipart/mixed;boundary=x`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType {
    /// Top-level type (`application`, `*`).
    pub kind: String,
    /// Subtype (`sdp`, `*`).
    pub subtype: String,
    /// Parameters.
    pub params: Vec<Param>,
}

impl MediaType {
    /// Parses `type/subtype *(;param)`.
    pub fn parse(value: &str) -> Result<MediaType, Defect> {
        let s = value.trim_matches(is_ws);
        let end = s.find(';').unwrap_or(s.len());
        let essence = &s[..end];
        let (kind, subtype) = essence.split_once('/').ok_or(Defect::MediaType)?;
        let (kind, subtype) = (kind.trim_matches(is_ws), subtype.trim_matches(is_ws));
        if !is_token(kind) || !is_token(subtype) {
            return Err(Defect::MediaType);
        }
        let params = parse_params(&s[end..]).map_err(|_| Defect::MediaType)?;
        Ok(MediaType {
            kind: kind.to_string(),
            subtype: subtype.to_string(),
            params,
        })
    }

    /// Whether this is exactly `kind/subtype` (case-insensitive, parameters ignored).
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// Whether this media range (as in Accept, wildcards allowed) covers `kind/subtype`.
    pub fn covers(&self, kind: &str, subtype: &str) -> bool {
        (self.kind == "*" || self.kind.eq_ignore_ascii_case(kind))
            && (self.subtype == "*" || self.subtype.eq_ignore_ascii_case(subtype))
    }

    /// A parameter value with quotes removed.
    pub fn param(&self, name: &str) -> Option<String> {
        find_param(&self.params, name)
            .and_then(|p| p.value.as_deref())
            .map(crate::scan::unquote)
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.subtype)?;
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
    fn cseq_round_trip_and_limits() {
        let c = CSeq::parse("123 INVITE").unwrap();
        assert_eq!(c.number, 123);
        assert_eq!(c.method, Method::Invite);
        assert_eq!(c.to_string(), "123 INVITE");
        assert_eq!(CSeq::parse("0009\r\n  INVITE").unwrap().number, 9);
        assert_eq!(CSeq::parse("2147483647 BYE").unwrap().number, 2147483647);
        assert!(CSeq::parse("2147483648 BYE").is_err());
        assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
        assert!(CSeq::parse("12INVITE").is_err());
        assert!(CSeq::parse("12 INVITE x").is_err());
        assert!(CSeq::parse("INVITE").is_err());
    }

    #[test]
    fn max_forwards_limits() {
        assert_eq!(parse_max_forwards("0068"), Ok(68));
        assert_eq!(parse_max_forwards("255"), Ok(255));
        assert!(parse_max_forwards("300").is_err());
        assert!(parse_max_forwards("-1").is_err());
    }

    #[test]
    fn media_type_round_trip_and_ranges() {
        let m = MediaType::parse("multipart/mixed;boundary=7a9cbec02ceef655").unwrap();
        assert_eq!(m.to_string(), "multipart/mixed;boundary=7a9cbec02ceef655");
        assert_eq!(m.param("boundary").as_deref(), Some("7a9cbec02ceef655"));
        assert!(MediaType::parse("application/*")
            .unwrap()
            .covers("application", "sdp"));
        assert!(!MediaType::parse("text/nobodyKnowsThis")
            .unwrap()
            .covers("application", "sdp"));
        assert!(MediaType::parse("nonsense").is_err());
    }

    #[test]
    fn method_tokens() {
        assert_eq!(Method::parse("INVITE"), Some(Method::Invite));
        assert_eq!(
            Method::parse("invite"),
            Some(Method::Extension("invite".into()))
        );
        assert_eq!(Method::parse("IN VITE"), None);
    }
}
