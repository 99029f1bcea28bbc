//! SDP session descriptions (RFC 4566): parse, inspect and print, keeping unknown lines.

mod negotiate;

use std::fmt;
use std::net::IpAddr;

pub use negotiate::{
    answer_sdp, answer_sdp_srtp, negotiate, negotiate_answer, offer_sdp, Codec, MediaSlot,
    Negotiated,
};

use crate::{SdpDefect, SipError};

/// The `o=` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Username (`-` when none).
    pub username: String,
    /// Session id (numeric text, may exceed 64 bits in the wild).
    pub session_id: String,
    /// Session version.
    pub session_version: String,
    /// Network type (`IN`).
    pub net_type: String,
    /// Address type (`IP4`, `IP6`).
    pub addr_type: String,
    /// Unicast address or host name.
    pub address: String,
}

/// A `c=` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Network type (`IN`).
    pub net_type: String,
    /// Address type (`IP4`, `IP6`).
    pub addr_type: String,
    /// Address as written (may carry `/ttl`).
    pub address: String,
}

impl Connection {
    /// The address as an IP, ignoring any `/ttl/count` suffix.
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.split('/').next()?.parse().ok()
    }
}

/// An `a=` line: `name` or `name:value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute name.
    pub name: String,
    /// Value after the colon.
    pub value: Option<String>,
}

/// Media direction attributes (RFC 4566 §6, RFC 3264 §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `a=sendrecv` (the default)
    SendRecv,
    /// `a=sendonly`
    SendOnly,
    /// `a=recvonly`
    RecvOnly,
    /// `a=inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction the other side of this stream has (sendonly ↔ recvonly).
    pub fn reversed(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }

    fn from_attributes(attributes: &[Attribute]) -> Option<Direction> {
        attributes.iter().find_map(|a| match a.name.as_str() {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        })
    }
}

/// An `a=rtpmap` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name as written (compare case-insensitively).
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channels, if given.
    pub channels: Option<u8>,
}

/// An `m=` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type (`audio`, `video`, ...).
    pub media: String,
    /// Port (0 = rejected/disabled stream).
    pub port: u16,
    /// Number of ports after `/`, if written.
    pub port_count: Option<u16>,
    /// Transport protocol (`RTP/AVP`).
    pub proto: String,
    /// Formats (payload types for RTP).
    pub formats: Vec<String>,
    /// Media-level `c=`.
    pub connection: Option<Connection>,
    /// Other media-level lines (`i=`, `b=`, `k=`) as `(type, value)`, in order.
    pub other: Vec<(char, String)>,
    /// Media-level attributes, in order.
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    /// The first attribute of this name.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The rtpmap for a payload type.
    pub fn rtpmap(&self, payload_type: u8) -> Option<RtpMap> {
        self.attributes
            .iter()
            .filter(|a| a.name == "rtpmap")
            .filter_map(|a| parse_rtpmap(a.value.as_deref()?))
            .find(|m| m.payload_type == payload_type)
    }

    /// The fmtp parameters for a payload type.
    pub fn fmtp(&self, payload_type: u8) -> Option<&str> {
        self.attributes
            .iter()
            .filter(|a| a.name == "fmtp")
            .filter_map(|a| a.value.as_deref())
            .find_map(|v| {
                let (pt, params) = v.split_once(' ')?;
                (pt.parse::<u8>().ok()? == payload_type).then_some(params.trim())
            })
    }

    /// `a=ptime` in milliseconds.
    pub fn ptime(&self) -> Option<u32> {
        self.attribute("ptime")?
            .value
            .as_deref()?
            .trim()
            .parse()
            .ok()
    }

    /// The direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        Direction::from_attributes(&self.attributes)
    }
}

/// Parses `pt encoding/clock[/channels]`.
pub fn parse_rtpmap(value: &str) -> Option<RtpMap> {
    let (pt, rest) = value.trim().split_once(' ')?;
    let mut parts = rest.trim().split('/');
    let encoding = parts.next()?.to_string();
    let clock_rate = parts.next()?.trim().parse().ok()?;
    let channels = match parts.next() {
        Some(c) => Some(c.trim().parse().ok()?),
        None => None,
    };
    Some(RtpMap {
        payload_type: pt.parse().ok()?,
        encoding,
        clock_rate,
        channels,
    })
}

/// A whole session description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDescription {
    /// `v=` (always 0).
    pub version: String,
    /// `o=`.
    pub origin: Origin,
    /// `s=`.
    pub session_name: String,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// `t=` lines as written.
    pub times: Vec<String>,
    /// Other session-level lines (`i= u= e= p= b= r= z= k=`) as `(type, value)`, in order.
    pub other: Vec<(char, String)>,
    /// Session-level attributes.
    pub attributes: Vec<Attribute>,
    /// Media sections.
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// Parses SDP text (CRLF or LF line ends).
    pub fn parse(text: &str) -> Result<SessionDescription, SipError> {
        let err = |line: usize, defect: SdpDefect| SipError::Sdp { line, defect };
        let mut version = None;
        let mut origin = None;
        let mut session_name = None;
        let mut connection = None;
        let mut times = Vec::new();
        let mut other = Vec::new();
        let mut attributes = Vec::new();
        let mut media: Vec<MediaDescription> = Vec::new();
        for (index, raw) in text.split('\n').enumerate() {
            let n = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.is_empty() {
                continue;
            }
            let mut chars = line.chars();
            let kind = chars.next().filter(char::is_ascii_lowercase);
            let (Some(kind), Some('=')) = (kind, chars.next()) else {
                return Err(err(n, SdpDefect::Line));
            };
            let value = &line[2..];
            if kind == 'm' {
                media.push(parse_media(value).ok_or(err(n, SdpDefect::Media))?);
                continue;
            }
            if let Some(m) = media.last_mut() {
                match kind {
                    'c' => {
                        m.connection =
                            Some(parse_connection(value).ok_or(err(n, SdpDefect::Connection))?)
                    }
                    'a' => m.attributes.push(parse_attribute(value)),
                    _ => m.other.push((kind, value.to_string())),
                }
                continue;
            }
            match kind {
                'v' => version = Some(value.to_string()),
                'o' => origin = Some(parse_origin(value).ok_or(err(n, SdpDefect::Origin))?),
                's' => session_name = Some(value.to_string()),
                'c' => {
                    connection = Some(parse_connection(value).ok_or(err(n, SdpDefect::Connection))?)
                }
                't' => times.push(value.to_string()),
                'a' => attributes.push(parse_attribute(value)),
                _ => other.push((kind, value.to_string())),
            }
        }
        Ok(SessionDescription {
            version: version.ok_or(err(0, SdpDefect::Missing('v')))?,
            origin: origin.ok_or(err(0, SdpDefect::Missing('o')))?,
            session_name: session_name.ok_or(err(0, SdpDefect::Missing('s')))?,
            connection,
            times,
            other,
            attributes,
            media,
        })
    }

    /// Parses an SDP body given as octets.
    pub fn parse_bytes(body: &[u8]) -> Result<SessionDescription, SipError> {
        let text = std::str::from_utf8(body).map_err(|_| SipError::Sdp {
            line: 0,
            defect: SdpDefect::Encoding,
        })?;
        SessionDescription::parse(text)
    }

    /// Session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        Direction::from_attributes(&self.attributes)
    }
}

fn parse_origin(value: &str) -> Option<Origin> {
    let f: Vec<&str> = value.split_whitespace().collect();
    let [username, session_id, session_version, net_type, addr_type, address] = f.as_slice() else {
        return None;
    };
    Some(Origin {
        username: username.to_string(),
        session_id: session_id.to_string(),
        session_version: session_version.to_string(),
        net_type: net_type.to_string(),
        addr_type: addr_type.to_string(),
        address: address.to_string(),
    })
}

fn parse_connection(value: &str) -> Option<Connection> {
    let f: Vec<&str> = value.split_whitespace().collect();
    let [net_type, addr_type, address] = f.as_slice() else {
        return None;
    };
    Some(Connection {
        net_type: net_type.to_string(),
        addr_type: addr_type.to_string(),
        address: address.to_string(),
    })
}

fn parse_attribute(value: &str) -> Attribute {
    match value.split_once(':') {
        Some((name, v)) => Attribute {
            name: name.to_string(),
            value: Some(v.to_string()),
        },
        None => Attribute {
            name: value.to_string(),
            value: None,
        },
    }
}

fn parse_media(value: &str) -> Option<MediaDescription> {
    let f: Vec<&str> = value.split_whitespace().collect();
    let [media, port, proto, formats @ ..] = f.as_slice() else {
        return None;
    };
    if formats.is_empty() {
        return None;
    }
    let (port, port_count) = match port.split_once('/') {
        Some((p, c)) => (p.parse().ok()?, Some(c.parse().ok()?)),
        None => (port.parse().ok()?, None),
    };
    Some(MediaDescription {
        media: media.to_string(),
        port,
        port_count,
        proto: proto.to_string(),
        formats: formats.iter().map(|s| s.to_string()).collect(),
        connection: None,
        other: Vec::new(),
        attributes: Vec::new(),
    })
}

fn write_other(f: &mut fmt::Formatter<'_>, other: &[(char, String)], kinds: &str) -> fmt::Result {
    for (k, v) in other.iter().filter(|(k, _)| kinds.contains(*k)) {
        write!(f, "{k}={v}\r\n")?;
    }
    Ok(())
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "a={}:{}\r\n", self.name, v),
            None => write!(f, "a={}\r\n", self.name),
        }
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "c={} {} {}\r\n",
            self.net_type, self.addr_type, self.address
        )
    }
}

/// Prints in RFC 4566 §5 order with CRLF line ends.
impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(f, "v={}\r\n", self.version)?;
        write!(
            f,
            "o={} {} {} {} {} {}\r\n",
            o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address
        )?;
        write!(f, "s={}\r\n", self.session_name)?;
        write_other(f, &self.other, "iuep")?;
        if let Some(c) = &self.connection {
            write!(f, "{c}")?;
        }
        write_other(f, &self.other, "b")?;
        for t in &self.times {
            write!(f, "t={t}\r\n")?;
        }
        write_other(f, &self.other, "rzk")?;
        for a in &self.attributes {
            write!(f, "{a}")?;
        }
        for m in &self.media {
            write!(f, "m={} {}", m.media, m.port)?;
            if let Some(c) = m.port_count {
                write!(f, "/{c}")?;
            }
            write!(f, " {} {}\r\n", m.proto, m.formats.join(" "))?;
            write_other(f, &m.other, "i")?;
            if let Some(c) = &m.connection {
                write!(f, "{c}")?;
            }
            write_other(f, &m.other, "bk")?;
            for a in &m.attributes {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const OFFER: &str = "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 49170 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:30\r\na=sendrecv\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 H261/90000\r\n";

    #[test]
    fn parse_and_print_round_trip() {
        let sdp = SessionDescription::parse(OFFER).unwrap();
        assert_eq!(sdp.origin.address, "192.0.2.5");
        assert_eq!(sdp.media.len(), 2);
        let audio = &sdp.media[0];
        assert_eq!(audio.port, 49170);
        assert_eq!(audio.formats, vec!["8", "0", "101"]);
        assert_eq!(audio.rtpmap(101).unwrap().encoding, "telephone-event");
        assert_eq!(audio.fmtp(101), Some("0-15"));
        assert_eq!(audio.ptime(), Some(30));
        assert_eq!(audio.direction(), Some(Direction::SendRecv));
        assert_eq!(sdp.to_string(), OFFER);
    }

    #[test]
    fn media_level_connection_and_lf_lines() {
        let text =
            "v=0\no=- 1 1 IN IP4 h\ns=x\nt=0 0\nm=audio 4000/2 RTP/AVP 0\nc=IN IP4 10.0.0.9/127\n";
        let sdp = SessionDescription::parse(text).unwrap();
        assert_eq!(sdp.media[0].port_count, Some(2));
        assert_eq!(
            sdp.media[0].connection.as_ref().unwrap().ip(),
            Some("10.0.0.9".parse().unwrap())
        );
    }

    #[test]
    fn malformed_sdp_is_refused() {
        assert!(matches!(
            SessionDescription::parse("v=0\r\nm =video 1 RTP/AVP 31\r\n"),
            Err(SipError::Sdp {
                line: 2,
                defect: SdpDefect::Line
            })
        ));
        assert!(SessionDescription::parse("v=0\r\ns=-\r\n").is_err());
        assert!(SessionDescription::parse("v=0\r\no=a b\r\ns=-\r\n").is_err());
        assert!(SessionDescription::parse_bytes(b"v=0\xff").is_err());
    }
}
