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
}
