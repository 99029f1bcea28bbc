//! What SRTP costs one call: protect and unprotect 20 ms G.711 packets (172 bytes) on one
//! core, reported per packet and as the share of a core one call's 50 packets/s each way take.
//!
//! `cargo run --release -p hotline-media --example srtp_cost [PACKETS]`

use std::time::Instant;

use hotline_media::{MasterKey, RtpPacket, SrtpReceiver, SrtpSender, SrtpSuite, MASTER_LEN};

fn main() {
    let packets: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let key = MasterKey::from_bytes(&[7; MASTER_LEN]);
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let mut sender = SrtpSender::new(suite, &key);
    let mut receiver = SrtpReceiver::new(suite, &key);
    let plain: Vec<Vec<u8>> = (0..1000u32)
        .map(|i| {
            RtpPacket {
                payload_type: 0,
                marker: false,
                sequence: i as u16,
                timestamp: i * 160,
                ssrc: 1,
                payload: vec![0x55; 160],
            }
            .to_bytes()
        })
        .collect();

    let start = Instant::now();
    let mut protected = Vec::with_capacity(packets as usize);
    for i in 0..packets {
        let mut packet = plain[(i % 1000) as usize].clone();
        packet[2..4].copy_from_slice(&(i as u16).to_be_bytes());
        protected.push(sender.protect(&packet).expect("an RTP packet"));
    }
    let protect = start.elapsed();
    let start = Instant::now();
    for packet in &protected {
        receiver.unprotect(packet).expect("authentic");
    }
    let unprotect = start.elapsed();

    let per = |d: std::time::Duration| d.as_secs_f64() * 1e9 / f64::from(packets);
    let (p, u) = (per(protect), per(unprotect));
    // One call: 50 packets/s protected (we send) and 50 unprotected (the caller sends).
    let share = 50.0 * (p + u) / 1e9 * 100.0;
    println!(
        "SRTP {} on 172-byte packets, {packets} packets",
        suite.name()
    );
    println!("protect:   {p:.0} ns/packet");
    println!("unprotect: {u:.0} ns/packet");
    println!(
        "one call (50 packets/s each way): {share:.4}% of a core, {:.0} calls per core",
        100.0 / share
    );
}
