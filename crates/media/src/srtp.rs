//! SRTP packet protection (RFC 3711) for one direction of one call: AES-CM encryption of the
//! RTP payload and an HMAC-SHA1 tag over header, payload and rollover counter.
//!
//! [`SrtpSender`] protects what we send; [`SrtpReceiver`] checks and decrypts what the peer
//! sends: it estimates the rollover counter (Appendix A), checks the tag in constant time, and
//! refuses a packet whose index it has already taken or that is older than its replay window.
//! Its state only moves once a packet has been authenticated, so forged datagrams change
//! nothing. RTCP is not protected: Hotline neither sends RTCP nor reads it (see
//! `docs/decisions.md`).

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::error::MediaError;
use crate::srtp_keys::{apply_keystream, packet_iv, MasterKey, SessionKeys};

/// Packets behind the newest one still taken (if not seen before).
pub const REPLAY_WINDOW: u64 = 128;

/// The SDES crypto suites we speak (RFC 4568 §6.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SrtpSuite {
    /// AES-128 counter mode, HMAC-SHA1 tag of 80 bits.
    AesCm128HmacSha1_80,
    /// AES-128 counter mode, HMAC-SHA1 tag of 32 bits.
    AesCm128HmacSha1_32,
}

impl SrtpSuite {
    /// Our preference when the peer offers both.
    pub const ALL: [SrtpSuite; 2] = [
        SrtpSuite::AesCm128HmacSha1_80,
        SrtpSuite::AesCm128HmacSha1_32,
    ];

    /// The name in `a=crypto` lines.
    pub fn name(self) -> &'static str {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            SrtpSuite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    /// The suite named `name`, if we speak it.
    pub fn from_name(name: &str) -> Option<SrtpSuite> {
        SrtpSuite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Bytes of authentication tag at the end of each packet.
    pub fn tag_len(self) -> usize {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 => 10,
            SrtpSuite::AesCm128HmacSha1_32 => 4,
        }
    }
}

/// Keys and authenticator shared by both directions' code.
#[derive(Clone)]
struct Crypto {
    suite: SrtpSuite,
    keys: SessionKeys,
    mac: Hmac<Sha1>,
}

impl Crypto {
    fn new(suite: SrtpSuite, master: &MasterKey) -> Crypto {
        let keys = SessionKeys::derive(master);
        let mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&keys.auth)
            .expect("HMAC accepts any key length");
        Crypto { suite, keys, mac }
    }

    /// The full 20-byte HMAC over `authenticated || ROC`.
    fn tag(&self, authenticated: &[u8], roc: u32) -> [u8; 20] {
        let mut mac = self.mac.clone();
        mac.update(authenticated);
        mac.update(&roc.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    fn crypt(&self, ssrc: u32, index: u64, payload: &mut [u8]) {
        let iv = packet_iv(&self.keys.salt, ssrc, index);
        apply_keystream(&self.keys.cipher, &iv, payload);
    }
}

/// Where the payload starts: after the fixed header, the CSRCs and any header extension.
fn header_len(packet: &[u8]) -> Result<usize, MediaError> {
    let too_short = |needed| MediaError::RtpTooShort {
        len: packet.len(),
        needed,
    };
    if packet.len() < 12 {
        return Err(too_short(12));
    }
    if packet[0] >> 6 != 2 {
        return Err(MediaError::RtpVersion {
            version: packet[0] >> 6,
        });
    }
    let mut len = 12 + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 != 0 {
        if packet.len() < len + 4 {
            return Err(too_short(len + 4));
        }
        let words = u16::from_be_bytes([packet[len + 2], packet[len + 3]]);
        len += 4 + 4 * usize::from(words);
    }
    if packet.len() < len {
        return Err(too_short(len));
    }
    Ok(len)
}

fn sequence_of(packet: &[u8]) -> u16 {
    u16::from_be_bytes([packet[2], packet[3]])
}

fn ssrc_of(packet: &[u8]) -> u32 {
    u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]])
}

/// Protects the RTP packets we send on one call.
#[derive(Clone)]
pub struct SrtpSender {
    crypto: Crypto,
    roc: u32,
    last_sequence: Option<u16>,
}

impl SrtpSender {
    /// A sender keyed with our own master key (the one our `a=crypto` line announced).
    pub fn new(suite: SrtpSuite, master: &MasterKey) -> SrtpSender {
        SrtpSender {
            crypto: Crypto::new(suite, master),
            roc: 0,
            last_sequence: None,
        }
    }

    /// The SRTP packet for one plain RTP packet: payload encrypted, tag appended. The rollover
    /// counter steps when the sequence number wraps.
    pub fn protect(&mut self, rtp: &[u8]) -> Result<Vec<u8>, MediaError> {
        let header = header_len(rtp)?;
        let sequence = sequence_of(rtp);
        if let Some(last) = self.last_sequence {
            // A wrap: the new number is far below the last one.
            if sequence < last && last - sequence > 0x8000 {
                self.roc = self.roc.wrapping_add(1);
            }
        }
        self.last_sequence = Some(sequence);
        let index = (u64::from(self.roc) << 16) | u64::from(sequence);
        let mut out = Vec::with_capacity(rtp.len() + self.crypto.suite.tag_len());
        out.extend_from_slice(rtp);
        self.crypto.crypt(ssrc_of(rtp), index, &mut out[header..]);
        let tag = self.crypto.tag(&out, self.roc);
        out.extend_from_slice(&tag[..self.crypto.suite.tag_len()]);
        Ok(out)
    }
}

/// Checks and decrypts the SRTP packets the peer sends on one call.
#[derive(Clone)]
pub struct SrtpReceiver {
    crypto: Crypto,
    roc: u32,
    /// Highest sequence number authenticated so far (`s_l` of RFC 3711 Appendix A).
    highest_sequence: Option<u16>,
    /// Highest packet index authenticated, and which of the [`REPLAY_WINDOW`] indices below
    /// it were seen (bit n: index `highest - n`).
    highest_index: u64,
    seen: u128,
}

impl SrtpReceiver {
    /// A receiver keyed with the peer's master key (from its `a=crypto` line).
    pub fn new(suite: SrtpSuite, master: &MasterKey) -> SrtpReceiver {
        SrtpReceiver {
            crypto: Crypto::new(suite, master),
            roc: 0,
            highest_sequence: None,
            highest_index: 0,
            seen: 0,
        }
    }

    /// The rollover counter this packet was most likely sent with (Appendix A).
    fn estimate_roc(&self, sequence: u16) -> u32 {
        let Some(highest) = self.highest_sequence else {
            return self.roc;
        };
        if highest < 0x8000 {
            if sequence > highest && sequence - highest > 0x8000 {
                return self.roc.wrapping_sub(1);
            }
        } else if highest - 0x8000 > sequence {
            return self.roc.wrapping_add(1);
        }
        self.roc
    }

    /// The plain RTP packet inside one SRTP datagram, or why it was refused: too short or not
    /// RTP ([`MediaError::RtpTooShort`], [`MediaError::RtpVersion`]), a tag that does not match
    /// ([`MediaError::SrtpAuthentication`]), an index already taken or too old
    /// ([`MediaError::SrtpReplay`]). A refused packet leaves the receiver as it was.
    pub fn unprotect(&mut self, srtp: &[u8]) -> Result<Vec<u8>, MediaError> {
        let tag_len = self.crypto.suite.tag_len();
        let header = header_len(srtp)?;
        if srtp.len() < header + tag_len {
            return Err(MediaError::RtpTooShort {
                len: srtp.len(),
                needed: header + tag_len,
            });
        }
        let (authenticated, tag) = srtp.split_at(srtp.len() - tag_len);
        let sequence = sequence_of(srtp);
        let roc = self.estimate_roc(sequence);
        let index = (u64::from(roc) << 16) | u64::from(sequence);
        if self.highest_sequence.is_some() && index <= self.highest_index {
            let behind = self.highest_index - index;
            if behind >= REPLAY_WINDOW || self.seen & (1u128 << behind) != 0 {
                return Err(MediaError::SrtpReplay { sequence });
            }
        }
        let expected = self.crypto.tag(authenticated, roc);
        if !bool::from(expected[..tag_len].ct_eq(tag)) {
            return Err(MediaError::SrtpAuthentication { sequence });
        }
        let mut plain = authenticated.to_vec();
        self.crypto
            .crypt(ssrc_of(srtp), index, &mut plain[header..]);
        self.accept(sequence, roc, index);
        Ok(plain)
    }

    /// Moves the rollover counter, the highest sequence and the replay window past an
    /// authenticated packet.
    fn accept(&mut self, sequence: u16, roc: u32, index: u64) {
        if self.highest_sequence.is_none() {
            self.roc = roc;
            self.highest_sequence = Some(sequence);
            self.highest_index = index;
            self.seen = 1;
            return;
        }
        if index > self.highest_index {
            let ahead = index - self.highest_index;
            self.seen = if ahead >= REPLAY_WINDOW {
                0
            } else {
                self.seen << ahead
            };
            self.seen |= 1;
            self.highest_index = index;
            self.roc = roc;
            self.highest_sequence = Some(sequence);
        } else {
            self.seen |= 1u128 << (self.highest_index - index);
        }
    }
}

#[cfg(test)]
#[path = "srtp_tests.rs"]
mod tests;
