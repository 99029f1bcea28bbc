//! The single error type of the media crate: what can be wrong with bytes received from the network.

use thiserror::Error;

/// Errors raised while parsing media received from a peer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MediaError {
    /// The datagram ends before a header (or a part announced by the header) is complete.
    #[error("RTP packet too short: {len} bytes, at least {needed} needed")]
    RtpTooShort {
        /// Length of the datagram.
        len: usize,
        /// Bytes needed to hold everything the header announces.
        needed: usize,
    },
    /// The RTP version field is not 2.
    #[error("unsupported RTP version {version}")]
    RtpVersion {
        /// Version found in the first two bits.
        version: u8,
    },
    /// The padding count is zero or larger than the payload it pads.
    #[error(
        "invalid RTP padding: {padding} bytes of padding with {available} bytes after the header"
    )]
    RtpPadding {
        /// Padding count from the last byte.
        padding: usize,
        /// Bytes available after the header.
        available: usize,
    },
    /// A telephone-event payload is shorter than its 4 bytes.
    #[error("telephone-event payload too short: {len} bytes, 4 needed")]
    DtmfTooShort {
        /// Length of the payload.
        len: usize,
    },
    /// A character that is not a DTMF key (0-9, *, #, A-D).
    #[error("not a DTMF key: {digit:?}")]
    UnknownDtmfDigit {
        /// The rejected character.
        digit: char,
    },
    /// An SRTP packet whose authentication tag does not match (forged, damaged, or keyed
    /// with another key).
    #[error("SRTP packet {sequence} failed authentication")]
    SrtpAuthentication {
        /// Its RTP sequence number.
        sequence: u16,
    },
    /// An SRTP packet whose index was already taken, or is older than the replay window.
    #[error("SRTP packet {sequence} replayed or too old")]
    SrtpReplay {
        /// Its RTP sequence number.
        sequence: u16,
    },
    /// An `a=crypto` line we cannot use.
    #[error("unusable a=crypto line: {defect}")]
    Sdes {
        /// What is wrong with it.
        defect: SdesDefect,
    },
}

/// What is wrong with an `a=crypto` attribute (RFC 4568 §9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SdesDefect {
    /// Not `tag suite key-params`.
    #[error("expected \"TAG SUITE inline:KEY\"")]
    Shape,
    /// The tag is not a number of at most 9 digits.
    #[error("the tag is not a number")]
    Tag,
    /// A crypto suite we do not speak.
    #[error("unsupported crypto suite")]
    Suite,
    /// No `inline:` key, or its base64 does not decode to 30 bytes.
    #[error("the inline key is not 30 bytes of base64")]
    Key,
    /// A key lifetime or MKI, or session parameters, which we do not support.
    #[error("key lifetime, MKI or session parameters are not supported")]
    Parameters,
}
