//! A real third-party softphone calls Hotline: baresip speaks an espeak-ng question, records the
//! reply, and Whisper must find the flow's answer in that recording.
//!
//! baresip binds the machine's outward address rather than loopback, so the test runs inside a
//! private network namespace it creates (only `lo`, with a default route onto `lo`): baresip then
//! uses 127.0.0.1, and nothing can leave the machine.

mod support;

use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use support::baresip::{enter_private_network, Baresip, LOG_ESTABLISHED};
use support::{audio, run, run_ok, workspace_root, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn baresip_asks_a_question_and_hears_the_answer() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("baresip");
    let server = Server::start(&dir, &ServerOptions::new(20_000));

    // 10 s of silence while the greeting plays, the question, then 14 s for the answer
    // (baresip hangs up when its file ends).
    let question = dir.join("question.wav");
    // Whisper base hears espeak's "delivery" as "the limeray" at some alignments of the audio
    // with the VAD's 32 ms windows; "shipping" is heard right at all eight.
    audio::espeak_wav("How long does shipping take?", &question);
    let caller = dir.join("caller.wav");
    let silence = dir.join("silence.wav");
    let question8k = dir.join("question8k.wav");
    run_ok(
        Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
            .arg(&silence)
            .args(["trim", "0", "7"]),
    );
    run_ok(
        Command::new("sox")
            .arg(&question)
            .args(["-r", "8000", "-c", "1", "-b", "16"])
            .arg(&question8k),
    );
    // 7 s + 3 s of lead, the question, 14 s of tail.
    run_ok(
        Command::new("sox")
            .arg(&silence)
            .arg(&silence)
            .arg(&question8k)
            .arg(&silence)
            .arg(&silence)
            .arg(&caller)
            .args(["trim", "4"]),
    );
    let mut baresip = Baresip::caller(
        &dir,
        "softphone",
        &format!("sip:hotline@{}", server.sip),
        &caller,
        support::free_udp_ports(1),
        31_000,
        Duration::from_secs(60),
    );
    if baresip.wait_exit(Duration::from_secs(75)).is_none() {
        baresip.kill();
    }
    let log = baresip.log_text();
    assert!(
        log.contains(LOG_ESTABLISHED),
        "baresip did not get through:\n{log}"
    );

    let heard = baresip
        .recording_heard()
        .unwrap_or_else(|| panic!("baresip recorded nothing it heard:\n{log}"));
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("transcribe")
        .arg(&heard));
    let transcript = String::from_utf8_lossy(&out.stdout).to_lowercase();
    // Whisper base sometimes writes the shop's name as "Northland": the greeting is still heard.
    assert!(
        transcript.contains("north"),
        "no greeting heard: {transcript:?}"
    );
    assert!(
        transcript.contains("working days"),
        "the delivery answer was not heard by baresip: {transcript:?}\nserver log:\n{}",
        server.log_text()
    );
}
