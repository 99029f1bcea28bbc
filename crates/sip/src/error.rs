//! The crate's single error type, and the one place where SIP-facing errors map to a status code.

use crate::CallId;

/// What is wrong with a SIP message (the structured reason inside [`SipError::BadMessage`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defect {
    /// The datagram holds nothing but whitespace.
    Empty,
    /// No empty line ends the header section.
    HeadersUnterminated,
    /// The request line or status line does not follow the grammar (spacing, parts, characters).
    StartLine,
    /// The Request-URI is not a valid absolute URI (e.g. enclosed in `<>`).
    RequestUri,
    /// The request names a SIP version other than 2.0.
    Version,
    /// The status code is not three digits between 100 and 699.
    StatusCode,
    /// A header line has no colon, an invalid name, or starts with whitespace.
    HeaderLine,
    /// A single-valued header appears more than once.
    DuplicateHeader(&'static str),
    /// A mandatory header is missing.
    MissingHeader(&'static str),
    /// Content-Length is not a non-negative decimal number of sane size.
    ContentLength,
    /// Content-Length announces more octets than the datagram carries.
    BodyTruncated,
    /// CSeq is not `number method`, or the number exceeds 2^31-1.
    CSeq,
    /// The CSeq method differs from the request method.
    CSeqMethodMismatch,
    /// Max-Forwards is not a number between 0 and 255.
    MaxForwards,
    /// A Via header value is malformed.
    Via,
    /// A From, To or Contact value is malformed.
    Address(&'static str),
    /// A quoted string has no closing quote.
    UnterminatedQuote,
    /// A URI inside a header is malformed.
    Uri,
    /// A name-addr-less URI (addr-spec) contains `?` or `,`, so its extent is ambiguous.
    AmbiguousAddrSpec,
    /// A header parameter is empty (`;;`) or malformed.
    Param,
    /// The request's From header has no tag (RFC 2543 syntax, not accepted).
    MissingFromTag,
    /// A Content-Type or Accept value is malformed.
    MediaType,
    /// The Call-ID is empty or contains whitespace.
    CallId,
}

/// What is wrong with an SDP body (inside [`SipError::Sdp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdpDefect {
    /// A line is not `x=value` with a single lowercase letter type.
    Line,
    /// A mandatory line (`v=`, `o=`, `s=`, `t=`) is missing.
    Missing(char),
    /// The `o=` line does not have six fields.
    Origin,
    /// The `c=` line is not `IN IP4|IP6 address`.
    Connection,
    /// The `m=` line does not have a port, a protocol and formats.
    Media,
    /// An `a=rtpmap` attribute is malformed.
    RtpMap,
    /// The audio stream has no connection address.
    NoConnection,
    /// The body is not UTF-8 text.
    Encoding,
}

/// The header values a UAS needs to answer a request that could not be parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveredRequest {
    /// The request method as written, if the request line could be split.
    pub method: Option<String>,
    /// Every Via header value, raw, in order.
    pub vias: Vec<String>,
    /// Raw From value.
    pub from: Option<String>,
    /// Raw To value.
    pub to: Option<String>,
    /// Raw Call-ID value.
    pub call_id: Option<String>,
    /// Raw CSeq value.
    pub cseq: Option<String>,
}

/// Every error of this crate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    /// A datagram was not a valid SIP message. `status` is what a UAS should answer; `request`
    /// holds the raw values needed to answer it, and is `None` for responses (which are dropped)
    /// and for datagrams too broken to answer.
    #[error("malformed SIP message ({defect:?}); a UAS answers {status}")]
    BadMessage {
        /// The status code to answer with (400 or 505).
        status: u16,
        /// What is wrong.
        defect: Defect,
        /// Whether the datagram was a response (never answered, only dropped).
        response: bool,
        /// Raw header values for building the error response, when recoverable.
        request: Option<Box<RecoveredRequest>>,
    },
    /// An SDP body could not be parsed.
    #[error("malformed SDP at line {line} ({defect:?})")]
    Sdp {
        /// 1-based line number, 0 when the defect concerns the whole body.
        line: usize,
        /// What is wrong.
        defect: SdpDefect,
    },
    /// The offer or answer has no audio codec we support (maps to 488).
    #[error("no common audio codec")]
    NoCommonCodec,
    /// No call with this Call-ID is known to the endpoint.
    #[error("unknown call {call:?}")]
    UnknownCall {
        /// The Call-ID asked for.
        call: CallId,
    },
    /// The call is not in a state where this operation is allowed.
    #[error("call {call:?} cannot {operation} now")]
    CallState {
        /// The call.
        call: CallId,
        /// The refused operation ("answer", "ringing", ...).
        operation: &'static str,
    },
    /// A Warning code is not a three-digit 3xx warn-code (RFC 3261 §20.43).
    #[error("warning code {code} is not a 3xx warn-code")]
    InvalidWarning {
        /// The refused code.
        code: u16,
    },
    /// A status code passed to `reject` is not a final non-2xx code (300..=699).
    #[error("status {status} is not a final error status")]
    InvalidStatus {
        /// The rejected status.
        status: u16,
    },
    /// A URI given by the caller of the API is not a valid SIP URI.
    #[error("invalid URI {uri:?}")]
    InvalidUri {
        /// The URI as given.
        uri: String,
    },
    /// An extra header given by the caller of the API has an invalid name or a line break.
    #[error("invalid header {name:?}")]
    InvalidHeader {
        /// The header name as given.
        name: String,
    },
}

impl SipError {
    /// The SIP status code a UAS answers when this error concerns a received request.
    pub fn status(&self) -> u16 {
        match self {
            SipError::BadMessage { status, .. } => *status,
            SipError::Sdp { .. } | SipError::NoCommonCodec => 488,
            SipError::UnknownCall { .. } => 481,
            SipError::CallState { .. } => 500,
            SipError::InvalidStatus { .. }
            | SipError::InvalidWarning { .. }
            | SipError::InvalidUri { .. }
            | SipError::InvalidHeader { .. } => 500,
        }
    }
}
