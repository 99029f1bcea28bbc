//! Why an INVITE's media offer is refused: each reason answers 488 Not Acceptable Here with a
//! Warning header (RFC 3261 §20.43) the caller's phone can show, and a sentence for the log.

use hotline_media::{OfferSecurity, SrtpPolicy};
use hotline_sip::Warning;

/// Why no answer can be given to an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaRefusal {
    /// The offer's SDP could not be read.
    UnreadableSdp,
    /// No offered codec is one of `rtp.codecs`.
    NoCommonCodec,
    /// `rtp.srtp: required` and the INVITE has no SDP: our offer would have no keys to answer.
    SrtpRequiredWithoutOffer,
    /// `rtp.srtp: required` and the offer is plain RTP without SDES keys.
    SrtpRequired,
    /// SDES keys offered over plain SIP (not TLS) where only SRTP would do: keys sent in clear
    /// protect nothing (`rtp.srtp_over_plain_sip` allows it).
    KeysNeedTls,
    /// The offer takes only SRTP but none of its `a=crypto` lines is usable (suite, key).
    NoUsableKey,
    /// `rtp.srtp: off` and the offer takes only SRTP (`RTP/SAVP`).
    SrtpOff,
}

impl MediaRefusal {
    /// The SIP status: 488 Not Acceptable Here for every reason.
    pub fn status(self) -> u16 {
        488
    }

    /// Why the security rules refused an offer [`hotline_media::decide`] could not answer.
    pub fn of_security(policy: SrtpPolicy, offer: OfferSecurity) -> MediaRefusal {
        match policy {
            SrtpPolicy::Off => MediaRefusal::SrtpOff,
            _ if offer.usable_keys && !offer.keys_may_travel => MediaRefusal::KeysNeedTls,
            _ if offer.savp => MediaRefusal::NoUsableKey,
            _ => MediaRefusal::SrtpRequired,
        }
    }

    /// The Warning header to send with the 488.
    pub fn warning(self) -> Warning {
        let text = self.sentence();
        match self {
            MediaRefusal::NoCommonCodec => Warning::incompatible_media_format(text),
            MediaRefusal::SrtpRequired | MediaRefusal::SrtpOff => {
                Warning::incompatible_transport(text)
            }
            _ => Warning::miscellaneous(text),
        }
    }

    /// One sentence for the caller's Warning and the server's log.
    pub fn sentence(self) -> &'static str {
        match self {
            MediaRefusal::UnreadableSdp => "the SDP offer could not be read",
            MediaRefusal::NoCommonCodec => "no offered codec is one we speak (PCMU, PCMA)",
            MediaRefusal::SrtpRequiredWithoutOffer => {
                "SRTP is required here: send an SDP offer with SDES keys in the INVITE"
            }
            MediaRefusal::SrtpRequired => {
                "SRTP is required here: offer RTP/SAVP with an a=crypto key, over SIP TLS"
            }
            MediaRefusal::KeysNeedTls => "SRTP keys are only taken over SIP TLS",
            MediaRefusal::NoUsableKey => {
                "no offered a=crypto line is usable (AES_CM_128_HMAC_SHA1_80 or _32)"
            }
            MediaRefusal::SrtpOff => "SRTP is off here: offer RTP/AVP",
        }
    }

    /// A short name for the log and metrics, e.g. `srtp-required`.
    pub fn name(self) -> &'static str {
        match self {
            MediaRefusal::UnreadableSdp => "unreadable-sdp",
            MediaRefusal::NoCommonCodec => "no-common-codec",
            MediaRefusal::SrtpRequiredWithoutOffer => "srtp-required-no-offer",
            MediaRefusal::SrtpRequired => "srtp-required",
            MediaRefusal::KeysNeedTls => "srtp-keys-need-tls",
            MediaRefusal::NoUsableKey => "srtp-no-usable-key",
            MediaRefusal::SrtpOff => "srtp-off",
        }
    }
}

impl std::fmt::Display for MediaRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.sentence())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(savp: bool, usable_keys: bool, keys_may_travel: bool) -> OfferSecurity {
        OfferSecurity {
            savp,
            usable_keys,
            keys_may_travel,
        }
    }

    #[test]
    fn each_security_refusal_names_its_reason() {
        use MediaRefusal as R;
        let required = SrtpPolicy::Required;
        assert_eq!(
            R::of_security(required, offer(false, false, true)),
            R::SrtpRequired
        );
        assert_eq!(
            R::of_security(required, offer(false, true, false)),
            R::KeysNeedTls
        );
        assert_eq!(
            R::of_security(SrtpPolicy::Optional, offer(true, false, true)),
            R::NoUsableKey
        );
        assert_eq!(
            R::of_security(SrtpPolicy::Off, offer(true, true, true)),
            R::SrtpOff
        );
    }

    #[test]
    fn a_plain_offer_under_srtp_required_warns_of_the_transport_protocol() {
        let warning = MediaRefusal::SrtpRequired.warning();
        assert_eq!(warning.code(), 302);
        assert_eq!(
            warning.value("127.0.0.1:5060"),
            "302 127.0.0.1:5060 \"SRTP is required here: offer RTP/SAVP with an a=crypto key, \
             over SIP TLS\""
        );
        assert_eq!(MediaRefusal::NoCommonCodec.warning().code(), 305);
        assert_eq!(MediaRefusal::KeysNeedTls.status(), 488);
    }
}
