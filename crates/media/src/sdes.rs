//! SDES key exchange (RFC 4568): reading the peer's `a=crypto` lines, writing ours, and the
//! operator's rule for when SRTP is used ([`SrtpPolicy`], [`decide`]).
//!
//! An `a=crypto` value is `TAG SUITE inline:BASE64[|LIFETIME]`: the base64 holds the 16-byte
//! master key and the 14-byte master salt of the sender's stream. A lifetime is accepted and
//! ignored (we never re-key within a call); MKIs and session parameters are refused.

use crate::error::{MediaError, SdesDefect};
use crate::srtp::SrtpSuite;
use crate::srtp_keys::{MasterKey, MASTER_LEN};

/// One usable `a=crypto` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CryptoLine {
    /// The tag our answer must repeat.
    pub tag: u32,
    pub suite: SrtpSuite,
    /// The sender's master key and salt.
    pub key: MasterKey,
}

impl CryptoLine {
    /// Reads the value of an `a=crypto` attribute (what follows `a=crypto:`).
    pub fn parse(value: &str) -> Result<CryptoLine, MediaError> {
        let defect = |defect| MediaError::Sdes { defect };
        let mut fields = value.split_ascii_whitespace();
        let (Some(tag), Some(suite), Some(params)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(defect(SdesDefect::Shape));
        };
        if fields.next().is_some() {
            return Err(defect(SdesDefect::Parameters));
        }
        if tag.is_empty() || tag.len() > 9 || !tag.bytes().all(|b| b.is_ascii_digit()) {
            return Err(defect(SdesDefect::Tag));
        }
        let tag = tag.parse().map_err(|_| defect(SdesDefect::Tag))?;
        let suite = SrtpSuite::from_name(suite).ok_or(defect(SdesDefect::Suite))?;
        // One key only: several `;`-separated keys need MKIs.
        let inline = params
            .strip_prefix("inline:")
            .ok_or(defect(SdesDefect::Key))?;
        let mut parts = inline.split('|');
        let key = parts.next().unwrap_or_default();
        for part in parts {
            // A lifetime (`2^31` or digits) is fine; `MKI:LENGTH` is not.
            if part.contains(':') {
                return Err(defect(SdesDefect::Parameters));
            }
        }
        let bytes = base64_decode(key).ok_or(defect(SdesDefect::Key))?;
        let bytes: [u8; MASTER_LEN] = bytes.try_into().map_err(|_| defect(SdesDefect::Key))?;
        Ok(CryptoLine {
            tag,
            suite,
            key: MasterKey::from_bytes(&bytes),
        })
    }

    /// The value of our `a=crypto` attribute (without `a=crypto:`).
    pub fn to_value(&self) -> String {
        format!(
            "{} {} inline:{}",
            self.tag,
            self.suite.name(),
            base64_encode(&self.key.to_bytes())
        )
    }
}

/// The first of the offer's `a=crypto` values we can use, in the offerer's order (RFC 4568
/// §7.1.1: the offerer lists its preference first).
pub fn first_usable(values: &[&str]) -> Option<CryptoLine> {
    values.iter().find_map(|v| CryptoLine::parse(v).ok())
}

/// `rtp.srtp`: whether calls use SRTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SrtpPolicy {
    /// Never: an offer that insists on SRTP (`RTP/SAVP`) is refused.
    Off,
    /// When the caller offers keys on a channel fit to carry them; plain RTP otherwise.
    Optional,
    /// Always: an offer without usable keys, or keys over plain SIP, is refused.
    Required,
}

/// What the offer asks for, as [`decide`] needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfferSecurity {
    /// The chosen stream's profile is `RTP/SAVP` (or `SAVPF`): the caller takes only SRTP.
    pub savp: bool,
    /// The stream has an `a=crypto` line we can use.
    pub usable_keys: bool,
    /// The INVITE came over TLS (or the operator allowed keys over plain SIP).
    pub keys_may_travel: bool,
}

/// The media security of one answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaSecurity {
    /// Plain RTP.
    Plain,
    /// SRTP with the caller's key and one of ours.
    Srtp,
    /// No answer we may give: refuse the INVITE with 488.
    Refuse,
}

/// Whether to answer with SRTP, plain RTP, or refuse (488).
pub fn decide(policy: SrtpPolicy, offer: OfferSecurity) -> MediaSecurity {
    let srtp_possible = offer.usable_keys && offer.keys_may_travel;
    match policy {
        SrtpPolicy::Off if offer.savp => MediaSecurity::Refuse,
        SrtpPolicy::Off => MediaSecurity::Plain,
        SrtpPolicy::Optional if srtp_possible => MediaSecurity::Srtp,
        SrtpPolicy::Optional if offer.savp => MediaSecurity::Refuse,
        SrtpPolicy::Optional => MediaSecurity::Plain,
        SrtpPolicy::Required if srtp_possible => MediaSecurity::Srtp,
        SrtpPolicy::Required => MediaSecurity::Refuse,
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4), as SDES keys are written.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64; padding optional; `None` for any other character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|a| *a == c)? as u32;
        bits = bits << 6 | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    // Leftover bits must be padding zeros, and a lone sixth of a byte is not base64.
    (count < 6 && bits == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// baresip's shape: tag 1, the 80-bit suite, 40 characters of base64.
    const BARESIP: &str =
        "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

    #[test]
    fn base64_round_trips_and_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base64_decode("Zm9v!"), None);
        assert_eq!(base64_decode("Z"), None);
    }

    #[test]
    fn a_crypto_line_is_read_and_written_back_the_same() {
        let line = CryptoLine::parse(BARESIP).unwrap();
        assert_eq!(line.tag, 1);
        assert_eq!(line.suite, SrtpSuite::AesCm128HmacSha1_80);
        assert_eq!(line.to_value(), BARESIP);
        let with_lifetime = format!("{BARESIP}|2^31");
        assert_eq!(CryptoLine::parse(&with_lifetime).unwrap(), line);
    }

    #[test]
    fn unusable_crypto_lines_say_why() {
        let key = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
        for (value, defect) in [
            ("1 AES_CM_128_HMAC_SHA1_80".to_string(), SdesDefect::Shape),
            (format!("x AES_CM_128_HMAC_SHA1_80 {key}"), SdesDefect::Tag),
            (
                format!("1 AES_256_CM_HMAC_SHA1_80 {key}"),
                SdesDefect::Suite,
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:Zm9v".into(),
                SdesDefect::Key,
            ),
            (
                format!("1 AES_CM_128_HMAC_SHA1_80 {key}|2^20|1:4"),
                SdesDefect::Parameters,
            ),
            (
                format!("1 AES_CM_128_HMAC_SHA1_80 {key} KDR=1"),
                SdesDefect::Parameters,
            ),
        ] {
            assert_eq!(
                CryptoLine::parse(&value),
                Err(MediaError::Sdes { defect }),
                "{value}"
            );
        }
    }

    #[test]
    fn the_first_usable_line_in_the_offerers_order_is_taken() {
        let key = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
        let first = format!("1 AES_256_CM_HMAC_SHA1_80 {key}");
        let second = format!("2 AES_CM_128_HMAC_SHA1_32 {key}");
        let third = format!("3 AES_CM_128_HMAC_SHA1_80 {key}");
        let chosen = first_usable(&[&first, &second, &third]).unwrap();
        assert_eq!(
            (chosen.tag, chosen.suite),
            (2, SrtpSuite::AesCm128HmacSha1_32)
        );
        assert_eq!(first_usable(&[&first]), None);
    }

    #[test]
    fn the_policy_table() {
        use MediaSecurity::*;
        use SrtpPolicy::*;
        let offer = |savp, usable_keys, keys_may_travel| OfferSecurity {
            savp,
            usable_keys,
            keys_may_travel,
        };
        // (policy, SAVP, usable keys, over TLS) -> answer
        for (policy, o, answer) in [
            (Off, offer(false, true, true), Plain),
            (Off, offer(true, true, true), Refuse),
            (Optional, offer(true, true, true), Srtp),
            (Optional, offer(false, true, true), Srtp),
            (Optional, offer(false, false, true), Plain),
            (Optional, offer(false, true, false), Plain),
            (Optional, offer(true, true, false), Refuse),
            (Optional, offer(true, false, true), Refuse),
            (Required, offer(true, true, true), Srtp),
            (Required, offer(false, true, true), Srtp),
            (Required, offer(false, false, true), Refuse),
            (Required, offer(true, true, false), Refuse),
        ] {
            assert_eq!(decide(policy, o), answer, "{policy:?} {o:?}");
        }
    }

    #[test]
    fn keys_exchanged_by_sdes_protect_a_call_both_ways() {
        use crate::srtp::{SrtpReceiver, SrtpSender};
        let theirs = CryptoLine::parse(BARESIP).unwrap();
        let ours = CryptoLine {
            tag: theirs.tag,
            suite: theirs.suite,
            key: MasterKey::from_bytes(&[9u8; MASTER_LEN]),
        };
        let ours_as_they_read_it = CryptoLine::parse(&ours.to_value()).unwrap();
        let mut we_send = SrtpSender::new(ours.suite, &ours.key);
        let mut they_receive = SrtpReceiver::new(ours.suite, &ours_as_they_read_it.key);
        let packet = crate::rtp::RtpPacket {
            payload_type: 0,
            marker: true,
            sequence: 9,
            timestamp: 0,
            ssrc: 1,
            payload: vec![0xff; 160],
        }
        .to_bytes();
        let sent = we_send.protect(&packet).unwrap();
        assert_eq!(they_receive.unprotect(&sent).unwrap(), packet);
        // Their key does not open ours.
        let mut wrong = SrtpReceiver::new(theirs.suite, &theirs.key);
        assert!(wrong.unprotect(&sent).is_err());
    }
}
