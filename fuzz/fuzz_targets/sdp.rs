//! Fuzz target: arbitrary bytes through the SDP parser and offer/answer, and the SDES
//! `a=crypto` lines of the chosen stream through the media crate's key reader.
#![no_main]

use hotline_sip::sdp::answer_sdp_srtp;
use hotline_sip::{answer_sdp, negotiate, Codec, SessionDescription};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sdp) = SessionDescription::parse_bytes(data) {
        let _ = sdp.to_string();
        if let Ok(n) = negotiate(&sdp, &[Codec::Pcmu, Codec::Pcma]) {
            let _ = answer_sdp(&n, "192.0.2.10".parse().unwrap(), 4000, 1);
            for value in &n.crypto {
                if let Ok(line) = hotline_media::CryptoLine::parse(value) {
                    let ours = line.to_value();
                    let _ = answer_sdp_srtp(&n, "192.0.2.10".parse().unwrap(), 4000, 1, &ours);
                }
            }
        }
    }
});
