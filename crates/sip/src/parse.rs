//! Parsing one UDP datagram into a [`Message`] (RFC 3261 §7, §18.3, §25; RFC 4475 cases).
//!
//! Structural rules enforced here (anything else is left to the typed accessors and to the
//! endpoint's policy): exact request-line spacing, SIP/2.0 only (505 otherwise), valid header
//! lines with folding, Content-Length (single, numeric, not beyond the datagram; absent means
//! the rest of the datagram), single-valued headers appearing once, CSeq/Max-Forwards ranges,
//! CSeq method = request method, syntactically valid Via/From/To/Call-ID/Content-Type, and a
//! From tag on requests (RFC 3261 §8.1.1.3; RFC 2543 requests are refused with 400).

use crate::fields::{parse_bounded, parse_max_forwards, CSeq, MediaType, Method};
use crate::message::{Message, Request, Response};
use crate::scan::{is_token, is_ws};
use crate::{Defect, Headers, NameAddr, RecoveredRequest, SipError, Uri, Via};

/// Headers that may appear at most once.
const SINGLE: [&str; 6] = [
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Max-Forwards",
    "Content-Type",
];

enum StartLine {
    Request { method: Method, uri: Uri },
    Response { status: u16, reason: String },
}

/// Parses a datagram. Octets after the body announced by Content-Length are ignored.
///
/// On failure the error is [`SipError::BadMessage`] with the status a UAS should answer and,
/// for requests, the raw Via/From/To/Call-ID/CSeq values needed to answer it.
pub fn parse_message(datagram: &[u8]) -> Result<Message, SipError> {
    let mut data = datagram;
    while let Some(rest) = data.strip_prefix(b"\r\n") {
        data = rest;
    }
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(fail(Defect::Empty, 400, false, None));
    }
    let (head, rest) = match find(data, b"\r\n\r\n") {
        Some(end) => (&data[..end], Some(&data[end + 4..])),
        None => (data, None),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let is_response = first.starts_with("SIP/");
    let (headers, header_defect) = collect_headers(lines);
    let recovered = (!is_response).then(|| Box::new(recover(first, &headers)));
    let bad = |defect: Defect, status: u16| fail(defect, status, is_response, recovered.clone());

    let start = if is_response {
        parse_status_line(first).map_err(|d| bad(d, 400))?
    } else {
        parse_request_line(first).map_err(|(d, status)| bad(d, status))?
    };
    if let Some(defect) = header_defect {
        return Err(bad(defect, 400));
    }
    let Some(rest) = rest else {
        return Err(bad(Defect::HeadersUnterminated, 400));
    };
    let body = body_of(&headers, rest).map_err(|d| bad(d, 400))?;
    check_headers(&headers, &start).map_err(|d| bad(d, 400))?;
    Ok(match start {
        StartLine::Request { method, uri } => Message::Request(Request {
            method,
            uri,
            headers,
            body,
        }),
        StartLine::Response { status, reason } => Message::Response(Response {
            status,
            reason,
            headers,
            body,
        }),
    })
}

fn fail(
    defect: Defect,
    status: u16,
    response: bool,
    request: Option<Box<RecoveredRequest>>,
) -> SipError {
    SipError::BadMessage {
        status,
        defect,
        response,
        request,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Unfolds continuation lines and splits `name: value`. Returns the first line defect found
/// (the collected headers are still returned so an error response can be built).
fn collect_headers<'a>(lines: impl Iterator<Item = &'a str>) -> (Headers, Option<Defect>) {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut defect = None;
    for line in lines {
        if line.starts_with([' ', '\t']) {
            match pairs.last_mut() {
                Some((_, value)) => {
                    let more = line.trim_matches(is_ws);
                    if !more.is_empty() {
                        if !value.is_empty() {
                            value.push(' ');
                        }
                        value.push_str(more);
                    }
                }
                None => {
                    defect.get_or_insert(Defect::HeaderLine);
                }
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            defect.get_or_insert(Defect::HeaderLine);
            continue;
        };
        let name = name.trim_end_matches([' ', '\t']);
        if !is_token(name) {
            defect.get_or_insert(Defect::HeaderLine);
            continue;
        }
        pairs.push((name.to_string(), value.trim_matches(is_ws).to_string()));
    }
    let mut headers = Headers::new();
    for (name, value) in pairs {
        headers.push(&name, value);
    }
    (headers, defect)
}

fn recover(first_line: &str, headers: &Headers) -> RecoveredRequest {
    let first = |name: &str| headers.get(name).map(str::to_string);
    RecoveredRequest {
        method: first_line
            .split(' ')
            .next()
            .filter(|m| is_token(m))
            .map(str::to_string),
        vias: headers.get_all("Via").map(str::to_string).collect(),
        from: first("From"),
        to: first("To"),
        call_id: first("Call-ID"),
        cseq: first("CSeq"),
    }
}

fn parse_request_line(line: &str) -> Result<StartLine, (Defect, u16)> {
    let parts: Vec<&str> = line.split(' ').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Err((Defect::StartLine, 400));
    }
    let method = Method::parse(parts[0]).ok_or((Defect::StartLine, 400))?;
    if parts[2] != "SIP/2.0" {
        return Err(
            if parts[2].starts_with("SIP/") && is_token(&parts[2][4..]) {
                (Defect::Version, 505)
            } else {
                (Defect::StartLine, 400)
            },
        );
    }
    let uri = Uri::parse(parts[1]).map_err(|_| (Defect::RequestUri, 400))?;
    Ok(StartLine::Request { method, uri })
}

fn parse_status_line(line: &str) -> Result<StartLine, Defect> {
    let rest = line.strip_prefix("SIP/2.0 ").ok_or(Defect::StartLine)?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 {
        return Err(Defect::StatusCode);
    }
    let status = parse_bounded(code, 699)
        .filter(|s| *s >= 100)
        .ok_or(Defect::StatusCode)? as u16;
    Ok(StartLine::Response {
        status,
        reason: reason.to_string(),
    })
}

fn body_of(headers: &Headers, rest: &[u8]) -> Result<Vec<u8>, Defect> {
    let lengths: Vec<&str> = headers.get_all("Content-Length").collect();
    match lengths.as_slice() {
        [] => Ok(rest.to_vec()),
        [one] => {
            let len = parse_bounded(one, u32::MAX as u64).ok_or(Defect::ContentLength)? as usize;
            rest.get(..len)
                .map(<[u8]>::to_vec)
                .ok_or(Defect::BodyTruncated)
        }
        _ => Err(Defect::DuplicateHeader("Content-Length")),
    }
}

fn check_headers(headers: &Headers, start: &StartLine) -> Result<(), Defect> {
    for name in SINGLE {
        if headers.count(name) > 1 {
            return Err(Defect::DuplicateHeader(name));
        }
    }
    if let Some(cseq) = headers.get("CSeq") {
        let cseq = CSeq::parse(cseq)?;
        if let StartLine::Request { method, .. } = start {
            if cseq.method != *method {
                return Err(Defect::CSeqMethodMismatch);
            }
        }
    }
    if let Some(mf) = headers.get("Max-Forwards") {
        parse_max_forwards(mf)?;
    }
    if let Some(call_id) = headers.get("Call-ID") {
        if call_id.is_empty() || call_id.contains(is_ws) {
            return Err(Defect::CallId);
        }
    }
    for via in headers.values("Via")? {
        Via::parse(via)?;
    }
    if let Some(to) = headers.get("To") {
        NameAddr::parse(to)?;
    }
    if let Some(from) = headers.get("From") {
        let from = NameAddr::parse(from)?;
        if matches!(start, StartLine::Request { .. }) && from.tag().is_none() {
            return Err(Defect::MissingFromTag);
        }
    }
    if let Some(ct) = headers.get("Content-Type") {
        MediaType::parse(ct)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &str = "OPTIONS sip:user@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nMax-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:user@example.com>\r\nCall-ID: abc\r\nCSeq: 1 OPTIONS\r\n";

    fn status_of(text: &str) -> Option<u16> {
        match parse_message(text.as_bytes()) {
            Ok(_) => None,
            Err(e) => Some(e.status()),
        }
    }

    #[test]
    fn body_length_rules() {
        let with_body = format!("{OPTIONS}Content-Length: 3\r\n\r\nabcdef");
        let Message::Request(r) = parse_message(with_body.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(r.body, b"abc");
        let no_length = format!("{OPTIONS}\r\nrest");
        let Message::Request(r) = parse_message(no_length.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(r.body, b"rest");
        assert_eq!(
            status_of(&format!("{OPTIONS}Content-Length: 9\r\n\r\nabc")),
            Some(400)
        );
        assert_eq!(
            status_of(&format!("{OPTIONS}Content-Length: -1\r\n\r\n")),
            Some(400)
        );
        assert_eq!(
            status_of(&format!("{OPTIONS}l: 99999999999999999999\r\n\r\n")),
            Some(400)
        );
    }

    #[test]
    fn request_line_rules() {
        let tail = &OPTIONS[OPTIONS.find("\r\n").unwrap()..];
        for (line, status) in [
            ("OPTIONS  sip:user@example.com SIP/2.0", Some(400)),
            ("OPTIONS sip:user@example.com SIP/2.0 ", Some(400)),
            ("OPTIONS <sip:user@example.com> SIP/2.0", Some(400)),
            ("OPTIONS sip:user@example.com SIP/3.0", Some(505)),
            ("OPTIONS sip:user@example.com", Some(400)),
            ("OPTIONS sip:user@example.com SIP/2.0", None),
        ] {
            assert_eq!(status_of(&format!("{line}{tail}\r\n")), status, "{line}");
        }
    }

    #[test]
    fn recovered_values_for_error_responses() {
        let text = format!("{OPTIONS}Max-Forwards: 5\r\n\r\n");
        let Err(SipError::BadMessage {
            status,
            request,
            response,
            defect,
        }) = parse_message(text.as_bytes())
        else {
            panic!("accepted")
        };
        assert_eq!((status, response), (400, false));
        assert_eq!(defect, Defect::DuplicateHeader("Max-Forwards"));
        let request = request.unwrap();
        assert_eq!(request.vias, vec!["SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx"]);
        assert_eq!(request.cseq.as_deref(), Some("1 OPTIONS"));
        assert_eq!(request.method.as_deref(), Some("OPTIONS"));
    }

    #[test]
    fn responses_are_flagged_and_codes_bounded() {
        let ok = "SIP/2.0 100 \r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nCSeq: 1 INVITE\r\n\r\n";
        let Message::Response(r) = parse_message(ok.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!((r.status, r.reason.as_str()), (100, ""));
        let big = "SIP/2.0 4294967301 nope\r\nCSeq: 1 INVITE\r\n\r\n";
        assert!(matches!(
            parse_message(big.as_bytes()),
            Err(SipError::BadMessage {
                response: true,
                request: None,
                ..
            })
        ));
        assert!(parse_message(b"SIP/2.0 700 x\r\n\r\n").is_err());
    }

    #[test]
    fn folding_and_compact_names() {
        let text = "OPTIONS sip:u@example.com SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKx\r\nf: <sip:a@b>\r\n ;tag=1\r\nt: sip:u@example.com\r\ni: c1\r\nCSeq: 1\r\n  OPTIONS\r\nl: 0\r\n\r\n";
        let Message::Request(r) = parse_message(text.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(r.headers.get("From"), Some("<sip:a@b> ;tag=1"));
        assert_eq!(r.headers.cseq().unwrap().number, 1);
    }

    #[test]
    fn garbage_is_refused_without_panic() {
        for g in [
            &b""[..],
            b"\r\n\r\n",
            b"\xff\xfe",
            b"SIP/2.0",
            b"A b c\r\n\r\n",
            b"INVITE",
        ] {
            assert!(parse_message(g).is_err());
        }
    }
}
