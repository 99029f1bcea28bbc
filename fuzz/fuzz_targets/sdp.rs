//! Fuzz target: arbitrary bytes through the SDP parser and offer/answer.
#![no_main]

use hotline_sip::{answer_sdp, negotiate, Codec, SessionDescription};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sdp) = SessionDescription::parse_bytes(data) {
        let _ = sdp.to_string();
        if let Ok(n) = negotiate(&sdp, &[Codec::Pcmu, Codec::Pcma]) {
            let _ = answer_sdp(&n, "192.0.2.10".parse().unwrap(), 4000, 1);
        }
    }
});
