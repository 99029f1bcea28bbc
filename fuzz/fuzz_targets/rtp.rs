//! Fuzz target: a stream of datagrams through the strict-source guard, the RTP parser, the
//! jitter buffer and the G.711 decoders, as a call's receive path takes them; each datagram
//! also meets an SRTP receiver, as on an SRTP call.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline_media::{
    Codec, GuardLimits, JitterBuffer, MasterKey, RtpGuard, RtpPacket, SrtpReceiver, SrtpSuite,
    MASTER_LEN,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let expected: SocketAddr = "192.0.2.20:4000".parse().unwrap();
    let other: SocketAddr = "198.51.100.7:4000".parse().unwrap();
    let mut guard = RtpGuard::new(GuardLimits::default(), Some(expected), None);
    let mut jitter = JitterBuffer::new(Duration::from_millis(60), Duration::from_millis(20));
    let start = Instant::now();
    let mut pcm = Vec::new();
    let mut srtp = SrtpReceiver::new(
        SrtpSuite::AesCm128HmacSha1_32,
        &MasterKey::from_bytes(&[1; MASTER_LEN]),
    );
    // Each datagram: one byte of length (its top bit picks the stranger as sender), then bytes.
    let mut rest = data;
    let mut step = 0u64;
    while let Some((&head, tail)) = rest.split_first() {
        let len = usize::from(head & 0x7f).min(tail.len());
        let (datagram, after) = tail.split_at(len);
        rest = after;
        step += 1;
        let from = if head & 0x80 == 0 { expected } else { other };
        let _ = srtp.unprotect(datagram);
        let _ = guard.check(start + Duration::from_millis(step * 20), from, datagram);
        if let Ok(packet) = RtpPacket::parse(datagram) {
            match packet.payload_type {
                0 => Codec::Pcmu.decode(&packet.payload, &mut pcm),
                8 => Codec::Pcma.decode(&packet.payload, &mut pcm),
                _ => {}
            }
            let _ = jitter.push(packet);
        }
        while jitter.pop_ready().is_some() {}
    }
    while jitter.pop().is_some() {}
});
