//! End-to-end tests with SIPp as the caller: the real `hotline serve` (models, flow, store) on
//! loopback, called by a third-party SIP implementation, checked through `hotline calls show`.
//!
//! Scenarios live in `tests/sipp/`; audio and pcaps are made or copied into a scratch dir at test
//! time. Each test starts its own server with its own database and RTP port range; a mutex runs
//! them one at a time because Whisper and Piper want both cores.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use support::audio::{espeak_wav, telephone_event_digits, wav_to_ulaw};
use support::sipp::SippCall;
use support::{serial, CallRecord, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

/// How long a call record may take to show its hang-up cause after SIPp has finished.
const RECORD_WAIT: Duration = Duration::from_secs(30);

/// The RFC 2833 pcaps shipped with SIPp.
const SIPP_PCAPS: &str = "/usr/share/sip-tester";

/// Payload type of telephone-event in SIPp's pcaps, and in the offer of `caller_dtmf.xml`.
const PCAP_EVENT_PT: u8 = 101;

/// Runs one SIPp scenario (which must succeed, as `what` says) against a fresh server and waits
/// for the call's finished record. The scratch dir and the server live as long as the caller
/// keeps them, so a failing assertion still gets the server's log.
fn sipp_call(
    scenario: &str,
    label: &str,
    rtp_port_min: u16,
    what: &str,
) -> (TempDir, Server, CallRecord) {
    let dir = TempDir::new(label);
    let server = Server::start(&dir, &ServerOptions::new(rtp_port_min));
    let call = SippCall::new(scenario, server.sip, &format!("e2e-{label}"));
    call.run(&dir).assert_success(what);
    let record = server.wait_for_finished_call(&call.call_id(), RECORD_WAIT);
    println!("{}", record.text);
    (dir, server, record)
}

#[test]
fn caller_hangs_up_and_the_record_says_caller_bye_with_pcmu() {
    let _serial = serial(&SERIAL);
    let (_dir, _server, record) = sipp_call(
        "caller_bye.xml",
        "sipp-bye",
        31_000,
        "call answered, then BYE from SIPp",
    );
    assert_eq!(
        record.cause.as_deref(),
        Some("caller-bye"),
        "cause\n{}",
        record.text
    );
    assert_eq!(
        record.codec.as_deref(),
        Some("PCMU"),
        "codec\n{}",
        record.text
    );
}

#[test]
fn caller_says_goodbye_and_hotline_hangs_up() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("sipp-goodbye");
    let server = Server::start(&dir, &ServerOptions::new(31_100));

    // Silence first so the greeting can play, silence after so the end of speech is heard.
    let wav = dir.join("goodbye.wav");
    espeak_wav("No thanks, that's all. Goodbye.", &wav);
    wav_to_ulaw(
        &wav,
        &dir.join("caller.ul"),
        Duration::from_secs(4),
        Duration::from_secs(3),
    );

    let mut call = SippCall::new("caller_goodbye.xml", server.sip, "e2e-goodbye");
    call.timeout = Duration::from_secs(100);
    call.run(&dir)
        .assert_success("caller says goodbye, Hotline sends BYE");

    let record = server.wait_for_finished_call(&call.call_id(), RECORD_WAIT);
    println!("{}", record.text);
    let cause = record.cause.clone().unwrap_or_default();
    assert!(
        cause.starts_with("bot-"),
        "the flow should have hung up (cause bot-...), got {cause:?}\n{}",
        record.text
    );
    assert!(
        record.matched.iter().any(|intent| intent == "goodbye"),
        "the caller's words should have matched the goodbye intent\n{}",
        record.text
    );
}

#[test]
fn cancel_while_ringing_gets_487_and_is_recorded_as_caller_cancel() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("sipp-cancel");
    let mut options = ServerOptions::new(31_200);
    // Ring for 3 s before answering, so the CANCEL surely arrives first.
    options.answer_after = Some("3s".into());
    let server = Server::start(&dir, &options);

    let call = SippCall::new("cancel_ringing.xml", server.sip, "e2e-cancel");
    call.run(&dir)
        .assert_success("INVITE, 180, CANCEL -> 200 + 487, ACK");

    let record = server.wait_for_finished_call(&call.call_id(), RECORD_WAIT);
    println!("{}", record.text);
    assert_eq!(
        record.cause.as_deref(),
        Some("caller-cancel"),
        "cause\n{}",
        record.text
    );
}

#[test]
fn invite_offering_only_g729_is_refused_with_488() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("sipp-g729");
    let server = Server::start(&dir, &ServerOptions::new(31_300));

    let call = SippCall::new("invite_g729_only.xml", server.sip, "e2e-g729");
    let outcome = call.run(&dir);
    outcome.assert_success("INVITE with only G.729 -> 488, ACK");
    assert!(
        !outcome.messages().contains("SIP/2.0 200 OK"),
        "no call may be answered without a common codec\n{}",
        outcome.report()
    );
}

#[test]
fn rfc2833_digits_from_sipp_pcaps_are_recorded_as_key_presses() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("sipp-dtmf");
    let server = Server::start(&dir, &ServerOptions::new(31_400));

    // Read the keys out of the pcaps rather than trusting their file names.
    let mut sent = Vec::new();
    for (pcap, copy) in [
        ("dtmf_2833_1.pcap", "dtmf_first.pcap"),
        ("dtmf_2833_3.pcap", "dtmf_second.pcap"),
    ] {
        let source = std::path::Path::new(SIPP_PCAPS).join(pcap);
        let digits = telephone_event_digits(&source, PCAP_EVENT_PT);
        assert_eq!(
            digits.len(),
            1,
            "{pcap} should hold exactly one key press, found {digits:?}"
        );
        sent.push(digits[0].to_string());
        std::fs::copy(&source, dir.join(copy)).expect("copy the pcap next to SIPp");
    }

    let call = SippCall::new("caller_dtmf.xml", server.sip, "e2e-dtmf");
    call.run(&dir)
        .assert_success("call with two RFC 2833 key presses, then BYE");

    let record = server.wait_for_finished_call(&call.call_id(), RECORD_WAIT);
    println!("{}", record.text);
    assert_eq!(
        record.pressed, sent,
        "keys recorded for the call\n{}",
        record.text
    );
    assert_eq!(
        record.cause.as_deref(),
        Some("caller-bye"),
        "cause\n{}",
        record.text
    );
}

#[test]
fn options_gets_200_and_an_unknown_method_501_both_with_allow() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("sipp-options");
    let mut server = Server::start(&dir, &ServerOptions::new(31_500));

    // The Allow checks are in the scenario (ereg check_it on the Allow header).
    let call = SippCall::new("options_and_unknown_method.xml", server.sip, "e2e-options");
    call.run(&dir)
        .assert_success("OPTIONS -> 200 with Allow, FROBNICATE -> 501/405 with Allow");
    assert_eq!(server.exited(), None, "the server must still be running");
}

#[test]
fn a_caller_outside_the_allowed_peers_gets_403_and_no_call_is_answered() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("sipp-forbidden");
    let mut options = ServerOptions::new(31_600);
    // SIPp calls from 127.0.0.1, which this list leaves out.
    options.allowed_peers = Some("[192.0.2.0/24]".into());
    let server = Server::start(&dir, &options);

    let call = SippCall::new("invite_refused.xml", server.sip, "e2e-forbidden");
    let outcome = call.run(&dir);
    outcome.assert_success("INVITE from outside sip.allowed_peers -> final answer, ACK");
    assert!(
        outcome.messages().contains("SIP/2.0 403 Forbidden"),
        "{}",
        outcome.report()
    );
    assert!(
        !outcome.messages().contains("SIP/2.0 200 OK"),
        "{}",
        outcome.report()
    );
}

#[test]
fn a_call_beyond_max_calls_gets_503_with_retry_after() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("sipp-busy");
    let mut options = ServerOptions::new(31_700);
    options.max_calls = 1;
    let server = Server::start(&dir, &options);

    // The first caller holds the only line: it listens to the greeting and hangs up at 8 s.
    let first = std::thread::scope(|scope| {
        let first = scope.spawn(|| server.dial(&["--max-duration", "8s"]));
        // Until the first call is in the records, the line is not yet taken.
        let deadline = std::time::Instant::now() + Duration::from_secs(6);
        while server.calls_list().lines().count() < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "the first call never started"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let call = SippCall::new("invite_refused.xml", server.sip, "e2e-busy");
        let outcome = call.run(&dir);
        outcome.assert_success("a second INVITE while the only line is taken -> 503, ACK");
        let messages = outcome.messages();
        assert!(
            messages.contains("SIP/2.0 503 Service Unavailable"),
            "{}",
            outcome.report()
        );
        assert!(
            messages.contains("Retry-After: 30"),
            "the 503 says when to retry (sip.retry_after)\n{}",
            outcome.report()
        );
        first.join().expect("the first caller")
    });
    assert!(first.contains("answered"), "{first}");
}

#[test]
fn dtmf_sent_as_sip_info_is_recorded_as_a_key_press() {
    let _serial = serial(&SERIAL);
    let (_dir, _server, record) = sipp_call(
        "caller_info_dtmf.xml",
        "sipp-info",
        31_800,
        "call, INFO Signal=4 -> 200, BYE",
    );
    assert!(
        record.text.contains("caller pressed: 4"),
        "the INFO key press is not on the record\n{}",
        record.text
    );
}

#[test]
fn a_delayed_offer_is_answered_in_the_ack_and_its_codec_is_used() {
    let _serial = serial(&SERIAL);
    let (_dir, _server, record) = sipp_call(
        "delayed_offer.xml",
        "sipp-delayed",
        31_900,
        "INVITE without SDP -> 200 with our offer, ACK with PCMA, BYE",
    );
    assert_eq!(
        record.codec.as_deref(),
        Some("PCMA"),
        "the caller chose PCMA in its ACK\n{}",
        record.text
    );
    assert_eq!(
        record.cause.as_deref(),
        Some("caller-bye"),
        "{}",
        record.text
    );
}

/// A queue that hands callers over by blind transfer (REFER) to a desk phone.
const REFER_QUEUES: &str = "\
queues:
  support:
    skills: [support]
    mode: refer
    refer_to: sip:desk@127.0.0.1:5999
    overflow: voicemail
";

/// SIPp asks for a person; the flow transfers; the queue says REFER. Returns the record.
fn blind_transfer(scenario: &str, label: &str, rtp_port_min: u16, what: &str) -> CallRecord {
    let dir = TempDir::new(label);
    let mut options = ServerOptions::new(rtp_port_min);
    options.queues_yaml = Some(REFER_QUEUES.to_string());
    let server = Server::start(&dir, &options);
    let wav = dir.join("person.wav");
    espeak_wav("I want to talk to a person.", &wav);
    // The greeting plays first; trailing silence lets the end of speech be heard.
    wav_to_ulaw(
        &wav,
        &dir.join("caller.ul"),
        Duration::from_secs(9),
        Duration::from_secs(3),
    );
    let mut call = SippCall::new(scenario, server.sip, &format!("e2e-{label}"));
    call.timeout = Duration::from_secs(120);
    call.run(&dir).assert_success(what);
    let record = server.wait_for_finished_call(&call.call_id(), RECORD_WAIT);
    println!("{}", record.text);
    record
}

#[test]
fn a_blind_transfer_the_caller_accepts_ends_with_hotline_leaving_the_call() {
    let _serial = serial(&SERIAL);
    let record = blind_transfer(
        "refer_accept.xml",
        "sipp-refer-ok",
        31_800,
        "REFER answered 202, NOTIFY 100 then 200, then Hotline's BYE",
    );
    assert!(
        record.text.contains("REFER to sip:desk@127.0.0.1:5999"),
        "{}",
        record.text
    );
    assert!(
        record.text.contains("REFER accepted (202)"),
        "{}",
        record.text
    );
    assert_eq!(
        record.cause.as_deref(),
        Some("referred:caller asked for a person"),
        "{}",
        record.text
    );
}

#[test]
fn a_refused_blind_transfer_keeps_the_caller_and_falls_back_to_the_queue() {
    let _serial = serial(&SERIAL);
    let record = blind_transfer(
        "refer_refuse.xml",
        "sipp-refer-no",
        31_900,
        "REFER refused with 603, the call stays up until SIPp hangs up",
    );
    assert!(
        record.text.contains("REFER refused (603)"),
        "{}",
        record.text
    );
    assert!(record.text.contains("falling back"), "{}", record.text);
    assert_eq!(
        record.cause.as_deref(),
        Some("caller-bye"),
        "{}",
        record.text
    );
}

#[test]
fn a_waiting_caller_who_presses_1_gets_a_stored_callback_and_a_goodbye() {
    let _serial = serial(&SERIAL);
    let dir = TempDir::new("sipp-callback");
    let mut options = ServerOptions::new(32_000);
    // One agent, logged in but paused: callers wait instead of overflowing.
    options.agents_yaml = Some(
        "agents:\n  - id: desk\n    name: Front desk\n    uri: sip:desk@127.0.0.1:5999\n    skills: [support]\n"
            .to_string(),
    );
    options.queues_yaml =
        Some("queues:\n  support:\n    skills: [support]\n    callback_digit: \"1\"\n".to_string());
    // SIPp sends no audio: keep the call up past the default RTP timeout.
    options.rtp_timeout = Some("90s".into());
    let server = Server::start(&dir, &options);
    let paused = support::run(
        std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
            .current_dir(support::workspace_root())
            .args(["agents", "pause", "desk", "--reason", "meeting", "--admin"])
            .arg(format!("http://{}", server.admin))
            .env("HOTLINE_TOKEN", &server.token),
    );
    assert!(paused.status.success(), "{paused:?}");

    let mut call = SippCall::new("caller_callback.xml", server.sip, "e2e-callback");
    call.timeout = Duration::from_secs(90);
    call.run(&dir)
        .assert_success("0 for a person, 1 for a callback, then Hotline's BYE");
    let record = server.wait_for_finished_call(&call.call_id(), RECORD_WAIT);
    println!("{}", record.text);
    assert!(record.text.contains("queued in support"), "{}", record.text);
    assert!(record.text.contains("callback"), "{}", record.text);
    assert_eq!(record.cause.as_deref(), Some("callback"), "{}", record.text);
    let (status, jobs) = server.api("GET", "/api/callbacks", None);
    assert_eq!(status, 200);
    assert!(jobs.contains("\"number\":\"sipp\""), "{jobs}");
    assert!(jobs.contains("\"status\":\"pending\""), "{jobs}");
}
