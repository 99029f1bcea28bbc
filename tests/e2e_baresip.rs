//! A real third-party softphone calls Hotline: baresip speaks an espeak-ng question, records the
//! reply, and Whisper must find the flow's answer in that recording.
//!
//! baresip binds the machine's outward address rather than loopback, so the test runs inside a
//! private network namespace it creates (only `lo`, with a default route onto `lo`): baresip then
//! uses 127.0.0.1, and nothing can leave the machine.

mod support;

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::{audio, run, run_ok, workspace_root, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

/// Moves the calling thread (and every process it starts afterwards) into a new network namespace
/// with loopback up and a default route onto loopback.
fn enter_private_network() {
    // SAFETY: unshare has no memory-safety preconditions; it changes only this thread's namespace.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "unshare(CLONE_NEWNET) failed ({}); this test needs root to make a private network",
        std::io::Error::last_os_error()
    );
    run_ok(Command::new("ip").args(["link", "set", "lo", "up"]));
    run_ok(Command::new("ip").args(["route", "add", "default", "dev", "lo"]));
}

fn baresip_config(dir: &TempDir, caller_wav: &std::path::Path, sip_port: u16, rtp_min: u16) {
    dir.write(
        "config",
        &format!(
            "poll_method epoll\n\
             sip_listen 127.0.0.1:{sip_port}\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\n\
             module aufile.so\n\
             module sndfile.so\n\
             module alsa.so\n\
             module_app account.so\n\
             module_app menu.so\n\
             audio_player alsa,null\n\
             audio_alert alsa,null\n\
             audio_source aufile,{}\n\
             snd_path {}\n\
             rtp_ports {rtp_min}-{}\n",
            caller_wav.display(),
            dir.join("rec").display(),
            rtp_min + 50
        ),
    );
    dir.write("accounts", "<sip:softphone@127.0.0.1>;regint=0\n");
    // ALSA's default device must exist even though baresip only plays into it.
    dir.write(".asoundrc", "pcm.!default { type null }\n");
    std::fs::create_dir_all(dir.join("rec")).expect("create the recording dir");
}

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
    baresip_config(&dir, &caller, support::free_udp_ports(1), 31_000);

    let started = Instant::now();
    let mut baresip = Command::new("baresip")
        .arg("-f")
        .arg(dir.path())
        .args([
            "-e",
            &format!("/dial sip:hotline@{}", server.sip),
            "-t",
            "60",
        ])
        .env("HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            std::fs::File::create(dir.join("baresip.log")).unwrap(),
        ))
        .stderr(Stdio::null())
        .spawn()
        .expect("start baresip (Debian package baresip-core)");
    loop {
        if baresip.try_wait().expect("baresip status").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(75) {
            let _ = baresip.kill();
            let _ = baresip.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = std::fs::read_to_string(dir.join("baresip.log")).unwrap_or_default();
    assert!(
        log.contains("Call established"),
        "baresip did not get through:\n{log}"
    );

    let heard = std::fs::read_dir(dir.join("rec"))
        .expect("recordings")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .unwrap_or_else(|| panic!("baresip recorded nothing it heard:\n{log}"));
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("transcribe")
        .arg(&heard));
    let transcript = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(
        transcript.contains("northwind"),
        "no greeting heard: {transcript:?}"
    );
    assert!(
        transcript.contains("working days"),
        "the delivery answer was not heard by baresip: {transcript:?}\nserver log:\n{}",
        server.log_text()
    );
}
