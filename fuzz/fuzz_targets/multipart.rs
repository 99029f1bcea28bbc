//! Fuzz target: a Content-Type value and a body through the multipart walk that finds the SDP
//! (RFC 2046, RFC 5621), then the SDP found through its parser.
#![no_main]

use hotline_sip::{multipart_parts, sdp_body, MediaType, SessionDescription};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the Content-Type header's value, the rest the body.
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    if let Ok(content_type) = MediaType::parse(head.trim_end_matches('\r')) {
        if let Some(sdp) = sdp_body(&content_type, body) {
            let _ = SessionDescription::parse_bytes(sdp);
        }
    }
    if let Some(boundary) = head.strip_prefix("boundary=") {
        let _ = multipart_parts(body, boundary.trim_end_matches('\r'));
    }
});
