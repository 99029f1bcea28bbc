//! SIP requests and responses as values, and their wire form (RFC 3261 §7).

use std::fmt::Write as _;

use crate::fields::Method;
use crate::{Headers, Uri};

/// A SIP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Method from the request line.
    pub method: Method,
    /// Request-URI.
    pub uri: Uri,
    /// Headers in order (Content-Length is rewritten when serialising).
    pub headers: Headers,
    /// Body octets (exactly Content-Length of them when parsed).
    pub body: Vec<u8>,
}

/// A SIP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Status code, 100..=699.
    pub status: u16,
    /// Reason phrase (may be empty).
    pub reason: String,
    /// Headers in order.
    pub headers: Headers,
    /// Body octets.
    pub body: Vec<u8>,
}

/// Either kind of message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// Parses a UDP datagram; see [`crate::parse_message`].
    pub fn parse(datagram: &[u8]) -> Result<Message, crate::SipError> {
        crate::parse::parse_message(datagram)
    }
}

fn write_headers_and_body(out: &mut String, headers: &Headers, body: &[u8]) -> Vec<u8> {
    for (name, value) in headers.iter() {
        if name.eq_ignore_ascii_case("Content-Length") {
            continue;
        }
        let _ = write!(out, "{name}: {value}\r\n");
    }
    let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

impl Request {
    /// The wire form: request line, headers, `Content-Length` (always written), body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} SIP/2.0\r\n", self.method, self.uri);
        write_headers_and_body(&mut out, &self.headers, &self.body)
    }
}

impl Response {
    /// The wire form: status line, headers, `Content-Length` (always written), body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("SIP/2.0 {} {}\r\n", self.status, self.reason);
        write_headers_and_body(&mut out, &self.headers, &self.body)
    }
}

/// The conventional reason phrase of a status code.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "Version Not Supported",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => match status / 100 {
            1 => "Session Progress",
            2 => "OK",
            3 => "Redirection",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialised_request_parses_back_identically() {
        let mut headers = Headers::new();
        headers.push("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc");
        headers.push("Max-Forwards", "70");
        headers.push("From", "<sip:a@example.com>;tag=1");
        headers.push("To", "<sip:b@example.com>");
        headers.push("Call-ID", "x@10.0.0.1");
        headers.push("CSeq", "1 INVITE");
        headers.push("Content-Type", "application/sdp");
        let request = Request {
            method: Method::Invite,
            uri: Uri::parse("sip:b@example.com").unwrap(),
            headers,
            body: b"v=0\r\n".to_vec(),
        };
        let bytes = request.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("INVITE sip:b@example.com SIP/2.0\r\nVia: "));
        assert!(text.contains("\r\nContent-Length: 5\r\n\r\nv=0\r\n"));
        let Message::Request(back) = Message::parse(&bytes).unwrap() else {
            panic!("not a request")
        };
        assert_eq!(back.body, request.body);
        assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn serialised_response_has_status_line_and_length() {
        let response = Response {
            status: 486,
            reason: reason_phrase(486).into(),
            headers: Headers::new(),
            body: Vec::new(),
        };
        assert_eq!(
            response.to_bytes(),
            b"SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n".to_vec()
        );
    }
}
