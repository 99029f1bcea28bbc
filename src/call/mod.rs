//! One call (inbound, or an answered campaign call): its media plan, the events the SIP task relays to it, and its task.

mod agent_leg;
pub(crate) mod business_api;
mod callback;
mod callback_dialer;
pub mod core;
mod flow_actions;
mod handoff;
mod hang_up;
mod hold;
mod media_refusal;
mod outbound;
pub(crate) mod placing;
mod playout;
mod recording;
pub mod rtp;
mod session;
mod shutdown;
mod task;
mod turn;
mod voicemail;

pub use callback_dialer::run_callbacks;
pub use hold::generated_music;
pub use media_refusal::MediaRefusal;
pub use outbound::{run_outbound, AnsweredCall};
pub use playout::{Frame, Playout, FRAME};
pub use rtp::RtpLink;
pub use session::run_inbound;

use std::net::SocketAddr;

use hotline_media::{Codec, CryptoLine, MasterKey, MediaSecurity, OfferSecurity, SrtpPolicy};
use hotline_sip::sdp::{self, SessionDescription};
use hotline_sip::{CallId, EndCause};

/// Everything the SIP task knows about a call it has admitted.
#[derive(Debug)]
pub struct CallSetup {
    pub sip_call: CallId,
    pub source: SocketAddr,
    pub caller: String,
    /// The caller's number (user part of their address), the key of caller memory.
    pub caller_key: String,
    pub callee: String,
    pub media: MediaPlan,
}

/// The audio both sides agreed on.
#[derive(Debug, Clone)]
pub struct MediaPlan {
    pub codec: Codec,
    pub payload_type: u8,
    pub dtmf_payload_type: Option<u8>,
    /// Where the offer asked us to send RTP; `None` for an INVITE without SDP (we learn it from the
    /// first RTP packet, symmetric RTP).
    pub remote_rtp: Option<SocketAddr>,
    /// The offer, kept so the answer can mirror it.
    pub offer: Option<SessionDescription>,
    /// SRTP keys when the call's media is SRTP (SDES); `None`: plain RTP.
    pub srtp: Option<SrtpKeys>,
}

/// The two master keys of an SRTP call: the caller's from its offer, ours for our answer.
#[derive(Debug, Clone)]
pub struct SrtpKeys {
    /// What the caller sends is protected with this (its `a=crypto` line).
    pub theirs: CryptoLine,
    /// What we send is protected with this; announced in our answer with the caller's tag.
    pub ours: CryptoLine,
}

/// What decides an inbound call's media security: `rtp.srtp`, and whether SDES keys may
/// travel on the INVITE's transport (TLS, or `rtp.srtp_over_plain_sip`).
#[derive(Debug, Clone, Copy)]
pub struct SrtpRule {
    pub policy: SrtpPolicy,
    pub keys_may_travel: bool,
}

/// Dialog events the SIP task relays to the call task.
#[derive(Debug)]
pub enum DialogEvent {
    /// The caller's ACK arrived: media may flow. After a delayed offer it carries the caller's
    /// SDP answer to our offer.
    Confirmed { answer: Option<String> },
    /// The dialog is over, with the cause recorded on the call.
    Ended(String),
    /// In-dialog INFO, for example `application/dtmf-relay`.
    Info { content_type: String, body: String },
    /// A call we placed (an agent leg) is ringing.
    Ringing,
    /// A call we placed was answered; the ACK is sent.
    Answered { answer: Option<String> },
    /// The final response to our REFER.
    ReferAnswered { status: u16 },
    /// A NOTIFY about our REFER: the transfer target's status, if the body carried one.
    ReferProgress {
        status: Option<u16>,
        terminated: bool,
    },
    /// The server is stopping: say `sip.shutdown_goodbye`, then hang up.
    Shutdown,
}

/// Default dynamic payload type for telephone-event when we make the offer.
pub const DTMF_PT: u8 = 101;

/// Decides the media for an INVITE, or why it is refused (488 with a Warning). `fresh_key` is
/// our master key should the call use SRTP (random, from the caller of this function).
pub fn negotiate_media(
    offer: Option<&str>,
    codecs: &[Codec],
    rule: SrtpRule,
    fresh_key: MasterKey,
) -> Result<MediaPlan, MediaRefusal> {
    let Some(text) = offer else {
        // Delayed offer: we offer plain RTP in the 200 and take our first codec; a server that
        // requires SRTP has nothing to offer it with.
        if rule.policy == SrtpPolicy::Required {
            return Err(MediaRefusal::SrtpRequiredWithoutOffer);
        }
        return Ok(MediaPlan {
            codec: codecs[0],
            payload_type: codecs[0].payload_type(),
            dtmf_payload_type: Some(DTMF_PT),
            remote_rtp: None,
            offer: None,
            srtp: None,
        });
    };
    let parsed = SessionDescription::parse(text).map_err(|_| MediaRefusal::UnreadableSdp)?;
    let supported: Vec<sdp::Codec> = codecs.iter().map(|c| to_sdp_codec(*c)).collect();
    let negotiated = sdp::negotiate(&parsed, &supported).map_err(|e| match e {
        hotline_sip::SipError::NoCommonCodec => MediaRefusal::NoCommonCodec,
        _ => MediaRefusal::UnreadableSdp,
    })?;
    let crypto: Vec<&str> = negotiated.crypto.iter().map(String::as_str).collect();
    let theirs = hotline_media::sdes::first_usable(&crypto);
    let security = OfferSecurity {
        savp: negotiated.savp,
        usable_keys: theirs.is_some(),
        keys_may_travel: rule.keys_may_travel,
    };
    let srtp = match (hotline_media::decide(rule.policy, security), theirs) {
        (MediaSecurity::Refuse, _) => return Err(MediaRefusal::of_security(rule.policy, security)),
        (MediaSecurity::Srtp, Some(theirs)) => Some(SrtpKeys {
            ours: CryptoLine {
                tag: theirs.tag,
                suite: theirs.suite,
                key: fresh_key,
            },
            theirs,
        }),
        (MediaSecurity::Srtp, None) | (MediaSecurity::Plain, _) => None,
    };
    Ok(MediaPlan {
        srtp,
        offer: Some(parsed),
        ..plan_of(negotiated)
    })
}

/// The status to refuse an offer with when it asks for RTP outside `rtp.allowed_networks`
/// (488 Not Acceptable Here); `None` when its address is allowed or it has none yet.
pub fn media_refusal(plan: &MediaPlan, rtp: &crate::config::RtpConfig) -> Option<u16> {
    let remote = plan.remote_rtp?;
    (!rtp.media_allowed(remote.ip())).then_some(488)
}

/// The strict-source guard of a call's RTP link: media from `remote` (the SDP's address, when
/// known), a NAT-rewritten port trusted on that IP or on the SIP peer's `signalling` IP.
pub fn rtp_guard(
    rtp: &crate::config::RtpConfig,
    remote: Option<SocketAddr>,
    signalling: std::net::IpAddr,
) -> hotline_media::RtpGuard {
    hotline_media::RtpGuard::new(rtp.limits, remote, Some(signalling))
}

/// The media a caller chose in its answer to our offer (a delayed-offer INVITE's ACK), or `None`
/// when the answer is unreadable, names none of our codecs, or is SRTP (we offered plain RTP).
pub fn media_from_answer(answer: &str, codecs: &[Codec]) -> Option<MediaPlan> {
    let supported: Vec<sdp::Codec> = codecs.iter().map(|c| to_sdp_codec(*c)).collect();
    let negotiated = sdp::negotiate(&SessionDescription::parse(answer).ok()?, &supported).ok()?;
    (!negotiated.savp).then(|| plan_of(negotiated))
}

/// The plain-RTP plan for a negotiated stream: codec, payload types and address.
fn plan_of(negotiated: sdp::Negotiated) -> MediaPlan {
    MediaPlan {
        codec: from_sdp_codec(negotiated.codec),
        payload_type: negotiated.payload_type,
        dtmf_payload_type: negotiated.dtmf_payload_type,
        remote_rtp: Some(negotiated.remote_rtp),
        offer: None,
        srtp: None,
    }
}

/// The SDP we answer with (or offer, for a delayed-offer INVITE).
pub fn local_sdp(
    plan: &MediaPlan,
    local_rtp: SocketAddr,
    session_id: u64,
    codecs: &[Codec],
) -> String {
    match &plan.offer {
        Some(offer) => {
            let supported: Vec<sdp::Codec> = codecs.iter().map(|c| to_sdp_codec(*c)).collect();
            let (ip, port) = (local_rtp.ip(), local_rtp.port());
            match (sdp::negotiate(offer, &supported), &plan.srtp) {
                (Ok(n), Some(keys)) => {
                    sdp::answer_sdp_srtp(&n, ip, port, session_id, &keys.ours.to_value())
                }
                (Ok(n), None) => sdp::answer_sdp(&n, ip, port, session_id),
                (Err(_), _) => offer_sdp(local_rtp, session_id, codecs),
            }
        }
        None => offer_sdp(local_rtp, session_id, codecs),
    }
}

fn offer_sdp(local_rtp: SocketAddr, session_id: u64, codecs: &[Codec]) -> String {
    let supported: Vec<sdp::Codec> = codecs.iter().map(|c| to_sdp_codec(*c)).collect();
    sdp::offer_sdp(
        local_rtp.ip(),
        local_rtp.port(),
        &supported,
        DTMF_PT,
        session_id,
    )
}

pub fn to_sdp_codec(c: Codec) -> sdp::Codec {
    match c {
        Codec::Pcmu => sdp::Codec::Pcmu,
        Codec::Pcma => sdp::Codec::Pcma,
    }
}

pub fn from_sdp_codec(c: sdp::Codec) -> Codec {
    match c {
        sdp::Codec::Pcmu => Codec::Pcmu,
        sdp::Codec::Pcma => Codec::Pcma,
    }
}

pub fn codec_name(c: Codec) -> &'static str {
    match c {
        Codec::Pcmu => "PCMU",
        Codec::Pcma => "PCMA",
    }
}

/// The hang-up cause stored on the call record.
pub fn end_cause_name(cause: &EndCause) -> &'static str {
    match cause {
        EndCause::RemoteBye => "caller-bye",
        EndCause::LocalBye => "hotline-bye",
        EndCause::AckTimeout => "ack-timeout",
        #[allow(unreachable_patterns)]
        _ => "ended",
    }
}

/// Digit from an `application/dtmf-relay` INFO body (`Signal=5`).
pub fn dtmf_from_info(content_type: &str, body: &str) -> Option<char> {
    if !content_type.eq_ignore_ascii_case("application/dtmf-relay") {
        return None;
    }
    body.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("signal") {
            return None;
        }
        let c = value.trim().chars().next()?.to_ascii_uppercase();
        matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UDP_OPTIONAL: SrtpRule = SrtpRule {
        policy: SrtpPolicy::Optional,
        keys_may_travel: false,
    };

    fn key() -> MasterKey {
        MasterKey::from_bytes(&[42; hotline_media::MASTER_LEN])
    }

    /// An offer with one audio stream of `proto`, and baresip's `a=crypto` line when `keys`.
    fn offer_with(proto: &str, keys: bool) -> String {
        let crypto = if keys {
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
        } else {
            ""
        };
        format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio 4000 {proto} 0\r\n{crypto}"
        )
    }

    #[test]
    fn an_srtp_offer_over_tls_is_answered_with_our_own_key_under_its_tag() {
        let tls = SrtpRule {
            policy: SrtpPolicy::Optional,
            keys_may_travel: true,
        };
        for proto in ["RTP/SAVP", "RTP/AVP"] {
            let offer = offer_with(proto, true);
            let plan = negotiate_media(Some(&offer), &[Codec::Pcmu], tls, key()).unwrap();
            let keys = plan.srtp.as_ref().expect("SRTP");
            assert_eq!(keys.ours.tag, 1);
            assert_eq!(keys.ours.key, key());
            assert_ne!(keys.theirs.key, key());
            let local = "127.0.0.1:30000".parse().unwrap();
            let answer = local_sdp(&plan, local, 1, &[Codec::Pcmu]);
            assert!(
                answer.contains(&format!("m=audio 30000 {proto} 0")),
                "{answer}"
            );
            assert!(
                answer.contains(&format!("a=crypto:{}\r\n", keys.ours.to_value())),
                "{answer}"
            );
        }
    }

    #[test]
    fn keys_over_plain_sip_are_not_used_and_a_savp_offer_there_is_488() {
        let codecs = [Codec::Pcmu];
        let best_effort = offer_with("RTP/AVP", true);
        let plan = negotiate_media(Some(&best_effort), &codecs, UDP_OPTIONAL, key()).unwrap();
        assert!(plan.srtp.is_none());
        let local = "127.0.0.1:30000".parse().unwrap();
        assert!(!local_sdp(&plan, local, 1, &codecs).contains("crypto"));
        let savp = offer_with("RTP/SAVP", true);
        assert_eq!(
            negotiate_media(Some(&savp), &codecs, UDP_OPTIONAL, key()).unwrap_err(),
            MediaRefusal::KeysNeedTls
        );
        // The operator may allow it.
        let allowed = SrtpRule {
            policy: SrtpPolicy::Optional,
            keys_may_travel: true,
        };
        assert!(negotiate_media(Some(&savp), &codecs, allowed, key())
            .unwrap()
            .srtp
            .is_some());
    }

    #[test]
    fn srtp_required_refuses_plain_offers_and_delayed_offers() {
        let required = SrtpRule {
            policy: SrtpPolicy::Required,
            keys_may_travel: true,
        };
        let codecs = [Codec::Pcmu];
        let plain = offer_with("RTP/AVP", false);
        assert_eq!(
            negotiate_media(Some(&plain), &codecs, required, key()).unwrap_err(),
            MediaRefusal::SrtpRequired
        );
        assert_eq!(
            negotiate_media(None, &codecs, required, key()).unwrap_err(),
            MediaRefusal::SrtpRequiredWithoutOffer
        );
        let savp = offer_with("RTP/SAVP", true);
        assert!(negotiate_media(Some(&savp), &codecs, required, key())
            .unwrap()
            .srtp
            .is_some());
        // Off: a SAVP offer cannot be answered with plain RTP.
        let off = SrtpRule {
            policy: SrtpPolicy::Off,
            keys_may_travel: true,
        };
        assert_eq!(
            negotiate_media(Some(&savp), &codecs, off, key()).unwrap_err(),
            MediaRefusal::SrtpOff
        );
        let best_effort = offer_with("RTP/AVP", true);
        assert!(negotiate_media(Some(&best_effort), &codecs, off, key())
            .unwrap()
            .srtp
            .is_none());
    }

    #[test]
    fn info_dtmf_relay_bodies() {
        assert_eq!(
            dtmf_from_info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"),
            Some('5')
        );
        assert_eq!(
            dtmf_from_info("application/dtmf-relay", "Signal= #\r\n"),
            Some('#')
        );
        assert_eq!(dtmf_from_info("text/plain", "Signal=5"), None);
        assert_eq!(dtmf_from_info("application/dtmf-relay", "Signal=x"), None);
    }

    #[test]
    fn no_common_codec_is_488() {
        let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
        assert_eq!(
            negotiate_media(
                Some(offer),
                &[Codec::Pcmu, Codec::Pcma],
                UDP_OPTIONAL,
                key()
            )
            .unwrap_err(),
            MediaRefusal::NoCommonCodec
        );
    }

    #[test]
    fn pcma_offer_is_taken() {
        let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
        let plan = negotiate_media(
            Some(offer),
            &[Codec::Pcmu, Codec::Pcma],
            UDP_OPTIONAL,
            key(),
        )
        .unwrap();
        assert_eq!(plan.codec, Codec::Pcma);
        assert_eq!(plan.dtmf_payload_type, Some(101));
        assert_eq!(plan.remote_rtp, Some("127.0.0.1:4000".parse().unwrap()));
    }

    #[test]
    fn an_offer_asking_for_media_outside_the_allowed_networks_is_488() {
        let rtp = crate::config::Config::load(None).unwrap().rtp;
        let offer = |ip: &str| {
            format!("v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
        };
        let codecs = [Codec::Pcmu];
        let outside =
            negotiate_media(Some(&offer("203.0.113.9")), &codecs, UDP_OPTIONAL, key()).unwrap();
        assert_eq!(media_refusal(&outside, &rtp), Some(488));
        let inside =
            negotiate_media(Some(&offer("127.0.0.1")), &codecs, UDP_OPTIONAL, key()).unwrap();
        assert_eq!(media_refusal(&inside, &rtp), None);
        let delayed = negotiate_media(None, &codecs, UDP_OPTIONAL, key()).unwrap();
        assert_eq!(media_refusal(&delayed, &rtp), None);
    }
}
