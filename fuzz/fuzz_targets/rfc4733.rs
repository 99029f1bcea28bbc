//! Fuzz target: telephone-event payloads (RFC 4733) through the parser and the receiver that
//! turns repeated and end-marked packets into one key press each.
#![no_main]

use hotline_media::{DtmfEvent, DtmfReceiver};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut receiver = DtmfReceiver::new();
    // Each packet: 4 bytes of RTP timestamp, then a 4-byte payload.
    for chunk in data.chunks(8) {
        let (stamp, payload) = chunk.split_at(chunk.len().min(4));
        let mut bytes = [0u8; 4];
        bytes[..stamp.len()].copy_from_slice(stamp);
        if let Ok(event) = DtmfEvent::parse(payload) {
            let _ = event.digit();
            let _ = event.to_bytes();
            let _ = receiver.on_packet(u32::from_be_bytes(bytes), &event);
        }
    }
});
