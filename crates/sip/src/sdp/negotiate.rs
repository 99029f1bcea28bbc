//! Offer/answer for our one audio stream (RFC 3264): PCMU, PCMA and telephone-event (RFC 4733),
//! over RTP/AVP or, when an offer asks for it, RTP/SAVP with SDES `a=crypto` lines (RFC 4568;
//! the keys themselves are read and made by the media crate).

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use super::{Direction, MediaDescription, SessionDescription};
use crate::{SdpDefect, SipError};

/// Audio codecs we can send and receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    /// The static payload type.
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The rtpmap encoding name.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// Clock rate in Hz.
    pub fn clock_rate(self) -> u32 {
        8000
    }

    fn from_format(media: &MediaDescription, pt: u8) -> Option<Codec> {
        match media.rtpmap(pt) {
            Some(map) if map.clock_rate == 8000 => match map.encoding.to_ascii_uppercase().as_str()
            {
                "PCMU" => Some(Codec::Pcmu),
                "PCMA" => Some(Codec::Pcma),
                _ => None,
            },
            Some(_) => None,
            None => match pt {
                0 => Some(Codec::Pcmu),
                8 => Some(Codec::Pcma),
                _ => None,
            },
        }
    }
}

/// One `m=` line of the offer, remembered so the answer has as many (RFC 3264 §6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaSlot {
    /// Media type of the offered stream.
    pub media: String,
    /// Protocol of the offered stream.
    pub proto: String,
    /// First offered format (repeated in a rejected answer line).
    pub format: String,
    /// Whether this is the audio stream we accepted.
    pub chosen: bool,
}

/// The outcome of offer/answer for our audio stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The voice codec.
    pub codec: Codec,
    /// Its payload type.
    pub payload_type: u8,
    /// telephone-event payload type, when both sides have it.
    pub dtmf_payload_type: Option<u8>,
    /// Where to send RTP.
    pub remote_rtp: SocketAddr,
    /// Packet time in milliseconds (20 unless the peer asked otherwise).
    pub ptime_ms: u32,
    /// Our direction for the stream (the answer's attribute when we answer).
    pub direction: Direction,
    /// The offer's m= lines, so the answer can reject the others with port 0.
    pub offer_media: Vec<MediaSlot>,
    /// The chosen stream's profile is RTP/SAVP or RTP/SAVPF: its sender takes only SRTP.
    pub savp: bool,
    /// The chosen stream's `a=crypto` values (RFC 4568), in the offerer's order.
    pub crypto: Vec<String>,
}

fn is_rtp_avp(proto: &str) -> bool {
    proto.eq_ignore_ascii_case("RTP/AVP") || proto.eq_ignore_ascii_case("RTP/AVPF")
}

/// RTP/SAVP or RTP/SAVPF (RFC 3711 §12, RFC 5124).
fn is_rtp_savp(proto: &str) -> bool {
    proto.eq_ignore_ascii_case("RTP/SAVP") || proto.eq_ignore_ascii_case("RTP/SAVPF")
}

fn pick(
    sdp: &SessionDescription,
    secure_allowed: bool,
    accept: impl Fn(Codec) -> bool,
) -> Result<(usize, Codec, u8), SipError> {
    for (index, m) in sdp.media.iter().enumerate() {
        let profile_ok = is_rtp_avp(&m.proto) || (secure_allowed && is_rtp_savp(&m.proto));
        if m.media != "audio" || m.port == 0 || !profile_ok {
            continue;
        }
        for format in &m.formats {
            let Ok(pt) = format.parse::<u8>() else {
                continue;
            };
            if let Some(codec) = Codec::from_format(m, pt).filter(|c| accept(*c)) {
                return Ok((index, codec, pt));
            }
        }
    }
    Err(SipError::NoCommonCodec)
}

fn dtmf_of(media: &MediaDescription) -> Option<u8> {
    media
        .formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .find(|pt| {
            media.rtpmap(*pt).is_some_and(|m| {
                m.encoding.eq_ignore_ascii_case("telephone-event") && m.clock_rate == 8000
            })
        })
}

fn build(
    sdp: &SessionDescription,
    index: usize,
    codec: Codec,
    pt: u8,
) -> Result<Negotiated, SipError> {
    let m = &sdp.media[index];
    let ip = m
        .connection
        .as_ref()
        .or(sdp.connection.as_ref())
        .and_then(|c| c.ip())
        .ok_or(SipError::Sdp {
            line: 0,
            defect: SdpDefect::NoConnection,
        })?;
    let session_ptime = sdp
        .attributes
        .iter()
        .find(|a| a.name == "ptime")
        .and_then(|a| a.value.as_deref()?.trim().parse().ok());
    let theirs = m
        .direction()
        .or(sdp.direction())
        .unwrap_or(Direction::SendRecv);
    Ok(Negotiated {
        codec,
        payload_type: pt,
        dtmf_payload_type: dtmf_of(m),
        remote_rtp: SocketAddr::new(ip, m.port),
        ptime_ms: m.ptime().or(session_ptime).filter(|p| *p > 0).unwrap_or(20),
        direction: theirs.reversed(),
        offer_media: sdp
            .media
            .iter()
            .enumerate()
            .map(|(i, m)| MediaSlot {
                media: m.media.clone(),
                proto: m.proto.clone(),
                format: m.formats.first().cloned().unwrap_or_default(),
                chosen: i == index,
            })
            .collect(),
        savp: is_rtp_savp(&m.proto),
        crypto: m
            .attributes
            .iter()
            .filter(|a| a.name == "crypto")
            .filter_map(|a| a.value.clone())
            .collect(),
    })
}

/// Answers an offer: the first audio codec in the offerer's order that is in `supported`, on an
/// RTP/AVP(F) or RTP/SAVP(F) stream (whether SRTP is acceptable is the caller's decision, from
/// [`Negotiated::savp`] and [`Negotiated::crypto`]); telephone-event/8000 is accepted with the
/// offerer's payload type. No common codec (or no audio stream) gives
/// [`SipError::NoCommonCodec`], whose status is 488.
pub fn negotiate(offer: &SessionDescription, supported: &[Codec]) -> Result<Negotiated, SipError> {
    let (index, codec, pt) = pick(offer, true, |c| supported.contains(&c))?;
    build(offer, index, codec, pt)
}

/// Reads the answer to an offer we made with [`offer_sdp`]: the first answered codec among
/// `offered`; telephone-event only if we offered it (`dtmf_offered`).
pub fn negotiate_answer(
    answer: &SessionDescription,
    offered: &[Codec],
    dtmf_offered: bool,
) -> Result<Negotiated, SipError> {
    // We only ever offer RTP/AVP, so a secure answer is not an answer to our offer.
    let (index, codec, pt) = pick(answer, false, |c| offered.contains(&c))?;
    let mut negotiated = build(answer, index, codec, pt)?;
    if !dtmf_offered {
        negotiated.dtmf_payload_type = None;
    }
    Ok(negotiated)
}

fn addr_type(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

fn session_header(out: &mut String, ip: IpAddr, session_id: u64) {
    let t = addr_type(ip);
    let _ = write!(
        out,
        "v=0\r\no=hotline {session_id} {session_id} IN {t} {ip}\r\ns=hotline\r\nc=IN {t} {ip}\r\nt=0 0\r\n"
    );
}

/// Our stream's profile and, with SRTP, our `a=crypto` value.
#[derive(Clone, Copy)]
struct Security<'a> {
    savp: bool,
    crypto: Option<&'a str>,
}

const PLAIN: Security<'static> = Security {
    savp: false,
    crypto: None,
};

fn audio_section(
    out: &mut String,
    port: u16,
    codecs: &[(Codec, u8)],
    dtmf: Option<u8>,
    ptime: u32,
    dir: Direction,
    security: Security,
) {
    let mut formats: Vec<String> = codecs.iter().map(|(_, pt)| pt.to_string()).collect();
    formats.extend(dtmf.map(|pt| pt.to_string()));
    let proto = if security.savp { "RTP/SAVP" } else { "RTP/AVP" };
    let _ = write!(out, "m=audio {port} {proto} {}\r\n", formats.join(" "));
    if let Some(crypto) = security.crypto {
        let _ = write!(out, "a=crypto:{crypto}\r\n");
    }
    for (codec, pt) in codecs {
        let _ = write!(out, "a=rtpmap:{pt} {}/8000\r\n", codec.encoding_name());
    }
    if let Some(pt) = dtmf {
        let _ = write!(
            out,
            "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n"
        );
    }
    let _ = write!(out, "a=ptime:{ptime}\r\na={}\r\n", dir.as_str());
}

/// Builds the SDP answer for `negotiated`: our audio stream at `local_ip:local_rtp_port`,
/// every other offered stream rejected with port 0. Plain RTP/AVP, whatever the offer's profile.
pub fn answer_sdp(
    negotiated: &Negotiated,
    local_ip: IpAddr,
    local_rtp_port: u16,
    session_id: u64,
) -> String {
    answer_with(negotiated, local_ip, local_rtp_port, session_id, PLAIN)
}

/// [`answer_sdp`] for SRTP: the offer's profile (RTP/SAVP, or RTP/AVP for an offer that put
/// keys on a plain profile) and our `a=crypto` value, `crypto` (`TAG SUITE inline:KEY`).
pub fn answer_sdp_srtp(
    negotiated: &Negotiated,
    local_ip: IpAddr,
    local_rtp_port: u16,
    session_id: u64,
    crypto: &str,
) -> String {
    let security = Security {
        savp: negotiated.savp,
        crypto: Some(crypto),
    };
    answer_with(negotiated, local_ip, local_rtp_port, session_id, security)
}

fn answer_with(
    negotiated: &Negotiated,
    local_ip: IpAddr,
    local_rtp_port: u16,
    session_id: u64,
    security: Security,
) -> String {
    let mut out = String::new();
    session_header(&mut out, local_ip, session_id);
    let audio = |out: &mut String| {
        audio_section(
            out,
            local_rtp_port,
            &[(negotiated.codec, negotiated.payload_type)],
            negotiated.dtmf_payload_type,
            negotiated.ptime_ms,
            negotiated.direction,
            security,
        )
    };
    if !negotiated.offer_media.iter().any(|s| s.chosen) {
        audio(&mut out);
    }
    for slot in &negotiated.offer_media {
        if slot.chosen {
            audio(&mut out);
        } else {
            let _ = write!(out, "m={} 0 {} {}\r\n", slot.media, slot.proto, slot.format);
        }
    }
    out
}

/// Builds an SDP offer for our UAC: one sendrecv audio stream with `codecs` in order and,
/// when `dtmf_pt` is given (`101` or `Some(101)`; `None` for none), telephone-event/8000 on
/// that payload type; ptime 20.
pub fn offer_sdp(
    local_ip: IpAddr,
    port: u16,
    codecs: &[Codec],
    dtmf_pt: impl Into<Option<u8>>,
    session_id: u64,
) -> String {
    let dtmf_pt = dtmf_pt.into();
    let mut out = String::new();
    session_header(&mut out, local_ip, session_id);
    let codecs: Vec<(Codec, u8)> = codecs.iter().map(|c| (*c, c.payload_type())).collect();
    audio_section(
        &mut out,
        port,
        &codecs,
        dtmf_pt,
        20,
        Direction::SendRecv,
        PLAIN,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::tests::OFFER;

    const BOTH: [Codec; 2] = [Codec::Pcmu, Codec::Pcma];

    #[test]
    fn first_codec_in_offerer_order_wins() {
        let offer = SessionDescription::parse(OFFER).unwrap();
        let n = negotiate(&offer, &BOTH).unwrap();
        assert_eq!((n.codec, n.payload_type), (Codec::Pcma, 8));
        assert_eq!(n.dtmf_payload_type, Some(101));
        assert_eq!(n.remote_rtp, "192.0.2.5:49170".parse().unwrap());
        assert_eq!(n.ptime_ms, 30);
        assert_eq!(n.direction, Direction::SendRecv);
        let n = negotiate(&offer, &[Codec::Pcmu]).unwrap();
        assert_eq!((n.codec, n.payload_type), (Codec::Pcmu, 0));
    }

    #[test]
    fn no_common_codec_maps_to_488() {
        let text = OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 18 101");
        let offer = SessionDescription::parse(&text).unwrap();
        let err = negotiate(&offer, &BOTH).unwrap_err();
        assert_eq!(err, SipError::NoCommonCodec);
        assert_eq!(err.status(), 488);
    }

    #[test]
    fn answer_keeps_the_offer_layout_and_parses_back() {
        let offer = SessionDescription::parse(&OFFER.replace("a=sendrecv", "a=sendonly")).unwrap();
        let n = negotiate(&offer, &BOTH).unwrap();
        assert_eq!(n.direction, Direction::RecvOnly);
        let answer = answer_sdp(&n, "203.0.113.1".parse().unwrap(), 30000, 42);
        let parsed = SessionDescription::parse(&answer).unwrap();
        assert_eq!(parsed.media.len(), 2);
        assert_eq!(parsed.media[1].port, 0);
        assert_eq!(parsed.media[0].formats, vec!["8", "101"]);
        assert_eq!(parsed.media[0].direction(), Some(Direction::RecvOnly));
        // The offerer reading our answer sees our address and the same codec.
        let back = negotiate_answer(&parsed, &BOTH, true).unwrap();
        assert_eq!(back.remote_rtp, "203.0.113.1:30000".parse().unwrap());
        assert_eq!(
            (back.codec, back.dtmf_payload_type),
            (Codec::Pcma, Some(101))
        );
        assert_eq!(back.direction, Direction::SendOnly);
    }

    #[test]
    fn offer_round_trip() {
        let offer = offer_sdp("10.0.0.2".parse().unwrap(), 40000, &BOTH, 101, 7);
        let no_dtmf = offer_sdp("10.0.0.2".parse().unwrap(), 40000, &BOTH, None, 7);
        assert!(!no_dtmf.contains("telephone-event"));
        let parsed = SessionDescription::parse(&offer).unwrap();
        assert_eq!(parsed.media[0].formats, vec!["0", "8", "101"]);
        let n = negotiate(&parsed, &[Codec::Pcma]).unwrap();
        assert_eq!((n.codec, n.dtmf_payload_type), (Codec::Pcma, Some(101)));
        assert_eq!(n.remote_rtp, "10.0.0.2:40000".parse().unwrap());
    }

    #[test]
    fn a_savp_offer_is_negotiated_with_its_crypto_lines_and_answered_with_ours() {
        let text = OFFER
            .replace("RTP/AVP 8 0 101", "RTP/SAVP 8 0 101")
            .replace(
                "a=sendrecv\r\n",
                "a=sendrecv\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY1\r\n\
             a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:KEY2\r\n",
            );
        let offer = SessionDescription::parse(&text).unwrap();
        let n = negotiate(&offer, &BOTH).unwrap();
        assert!(n.savp);
        assert_eq!(
            n.crypto,
            vec![
                "1 AES_CM_128_HMAC_SHA1_80 inline:KEY1",
                "2 AES_CM_128_HMAC_SHA1_32 inline:KEY2"
            ]
        );
        let ip = "203.0.113.1".parse().unwrap();
        let answer = answer_sdp_srtp(&n, ip, 30000, 1, "1 AES_CM_128_HMAC_SHA1_80 inline:OURS");
        let parsed = SessionDescription::parse(&answer).unwrap();
        assert_eq!(parsed.media[0].proto, "RTP/SAVP");
        assert_eq!(
            parsed.media[0]
                .attribute("crypto")
                .unwrap()
                .value
                .as_deref(),
            Some("1 AES_CM_128_HMAC_SHA1_80 inline:OURS")
        );
        // A plain answer carries no key.
        assert!(!answer_sdp(&n, ip, 30000, 1).contains("crypto"));
        // We never offer SAVP, so a SAVP answer to our offer is no answer.
        assert_eq!(
            negotiate_answer(&parsed, &BOTH, true),
            Err(SipError::NoCommonCodec)
        );
    }

    #[test]
    fn missing_connection_is_an_error() {
        let text = OFFER.replace("c=IN IP4 192.0.2.5\r\n", "");
        let offer = SessionDescription::parse(&text).unwrap();
        assert!(matches!(
            negotiate(&offer, &BOTH),
            Err(SipError::Sdp {
                defect: SdpDefect::NoConnection,
                ..
            })
        ));
    }
}
