//! RTP injection: while SIPp talks to the real server, a third party on another loopback address
//! sprays RTP (and oversized datagrams) at every port of the server's RTP range, before and
//! after the caller's first packet. Strict source must keep the call hearing only the caller,
//! and `/metrics` must count what was dropped. And an offer asking for media outside
//! `rtp.allowed_networks` is refused with 488.

mod support;

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use support::audio::{espeak_wav, wav_to_ulaw};
use support::sipp::SippCall;
use support::{serial, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

const RTP_PORT_MIN: u16 = 36_000;

/// One loud PCMU packet (a full-scale square wave), in sequence, as a hijacker would send it.
fn loud_packet(sequence: u16) -> Vec<u8> {
    let mut bytes = vec![0x80, 0x00];
    bytes.extend_from_slice(&sequence.to_be_bytes());
    bytes.extend_from_slice(&(u32::from(sequence) * 160).to_be_bytes());
    bytes.extend_from_slice(&0x5EED_5EEDu32.to_be_bytes());
    bytes.extend((0..160).map(|i| if (i / 8) % 2 == 0 { 0x80 } else { 0x00 }));
    bytes
}

/// The value of `hotline_rtp_packets_dropped_total{reason="..."}` in a `/metrics` text.
fn dropped(metrics: &str, reason: &str) -> f64 {
    let prefix = format!("hotline_rtp_packets_dropped_total{{reason=\"{reason}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {prefix:?} in\n{metrics}"))
}

#[test]
fn rtp_sprayed_at_a_live_call_is_dropped_and_counted_and_the_caller_is_still_heard() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("rtp-injection");
    let server = Server::start(&dir, &ServerOptions::new(RTP_PORT_MIN));
    let wav = dir.join("goodbye.wav");
    espeak_wav("No thanks, that's all. Goodbye.", &wav);
    wav_to_ulaw(
        &wav,
        &dir.join("caller.ul"),
        Duration::from_secs(4),
        Duration::from_secs(3),
    );

    let stop = AtomicBool::new(false);
    let sprayed = std::thread::scope(|scope| {
        let sprayer = scope.spawn(|| {
            // Not the caller's address: 127.0.0.2 is loopback too, but another host to the server.
            let socket = UdpSocket::bind("127.0.0.2:0").expect("bind the sprayer on 127.0.0.2");
            let mut sequence = 0u16;
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed) {
                sequence = sequence.wrapping_add(1);
                for port in (RTP_PORT_MIN..RTP_PORT_MIN + 100).step_by(2) {
                    let target = ("127.0.0.1", port);
                    if socket.send_to(&loud_packet(sequence), target).is_ok() {
                        sent += 1;
                    }
                    if sequence.is_multiple_of(25) {
                        let _ = socket.send_to(&[0x80; 2000], target);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            sent
        });
        // The sprayer is running before the INVITE; the caller's media starts 1.5 s after its ACK.
        std::thread::sleep(Duration::from_millis(300));
        let mut call = SippCall::new("caller_goodbye_late_media.xml", server.sip, "e2e-rtp-spray");
        call.timeout = Duration::from_secs(100);
        let outcome = call.run(&dir);
        stop.store(true, Ordering::Relaxed);
        outcome.assert_success("caller says goodbye under an RTP spray, Hotline sends BYE");
        let record = server.wait_for_finished_call(&call.call_id(), Duration::from_secs(30));
        println!("{}", record.text);
        assert!(
            record.matched.iter().any(|intent| intent == "goodbye"),
            "the caller's own words should have matched the goodbye intent\n{}",
            record.text
        );
        assert!(
            record
                .cause
                .as_deref()
                .unwrap_or_default()
                .starts_with("bot-"),
            "the flow should have hung up after the goodbye\n{}",
            record.text
        );
        sprayer.join().expect("the sprayer")
    });
    assert!(sprayed > 0);

    let (status, metrics) = server.api("GET", "/metrics", None);
    assert_eq!(status, 200, "{metrics}");
    assert!(dropped(&metrics, "foreign_source") > 0.0, "{metrics}");
    assert!(dropped(&metrics, "too_big") > 0.0, "{metrics}");
    assert!(
        server
            .log_text()
            .contains("RTP from a foreign source dropped"),
        "{}",
        server.log_text()
    );
}

#[test]
fn an_offer_asking_for_media_outside_the_allowed_networks_gets_488() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("rtp-elsewhere");
    let server = Server::start(&dir, &ServerOptions::new(RTP_PORT_MIN + 100));
    let call = SippCall::new(
        "invite_media_elsewhere.xml",
        server.sip,
        "e2e-rtp-elsewhere",
    );
    let outcome = call.run(&dir);
    outcome.assert_success("INVITE with c=203.0.113.5 -> 488, ACK");
    assert!(
        !outcome.messages().contains("SIP/2.0 200 OK"),
        "{}",
        outcome.report()
    );
    assert!(
        server.log_text().contains("outside rtp.allowed_networks"),
        "{}",
        server.log_text()
    );
}
