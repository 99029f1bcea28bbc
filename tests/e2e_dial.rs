//! End to end with our own caller, `hotline dial`: a spoken question gets the flow's spoken answer
//! (checked by transcribing what the caller heard with Whisper), DTMF reaches the flow, goodbye makes
//! Hotline hang up, silence on the line is detected, and bad models or flows are refused clearly.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use support::{audio, free_udp_ports, run, workspace_root, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

/// Transcribes an 8 kHz recording with the real Whisper base model, lower-cased.
fn transcribe(wav: &Path) -> String {
    let model = workspace_root().join("models/ggml-base.bin");
    assert!(
        model.is_file(),
        "{} is missing: run `hotline models fetch`",
        model.display()
    );
    let asr = hotline_listen::WhisperAsr::load(&model, 2).expect("load Whisper");
    let mut reader = hound::WavReader::open(wav).expect("open the recording");
    assert_eq!(reader.spec().sample_rate, 8000);
    let pcm: Vec<i16> = reader
        .samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect();
    let mut up = hotline_media::Resampler::new(8000, 16000);
    let mut text = String::new();
    // Whisper takes at most 30 s at a time.
    for chunk in hotline_media::pcm_to_f32(&pcm).chunks(8000 * 25) {
        let mut pcm16 = Vec::new();
        up.process(chunk, &mut pcm16);
        let t = asr.transcribe(&pcm16).expect("transcribe");
        text.push_str(&t.text);
        text.push(' ');
    }
    text.to_lowercase()
}

#[test]
fn a_spoken_question_gets_the_spoken_answer_and_a_call_record() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("dial-question");
    let server = Server::start(&dir, &ServerOptions::new(free_udp_ports(100)));
    let question = dir.join("question.wav");
    // Whisper base hears espeak's "delivery" as "the limeray" at some alignments of the audio
    // with the VAD's 32 ms windows; "shipping" is heard right at all eight.
    audio::espeak_wav("How long does shipping take?", &question);
    let answer = dir.join("answer.wav");
    let out = server.dial(&[
        "--play",
        question.to_str().unwrap(),
        "--record",
        answer.to_str().unwrap(),
    ]);
    assert!(out.contains("hung up by: caller"), "{out}");
    assert!(
        out.contains("first bot audio after"),
        "the bot never answered the question:\n{out}"
    );

    let heard = transcribe(&answer);
    // Whisper base sometimes writes the shop's name as "Northland": the greeting is still heard.
    assert!(
        heard.contains("north") && heard.contains("welcome"),
        "no greeting in what the caller heard: {heard:?}"
    );
    assert!(
        heard.contains("working days") && heard.contains("delivery"),
        "the delivery answer is not in what the caller heard: {heard:?}"
    );

    let record = server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(20));
    assert_eq!(
        record.cause.as_deref(),
        Some("caller-bye"),
        "{}",
        record.text
    );
    assert_eq!(record.codec.as_deref(), Some("PCMU"), "{}", record.text);
    assert!(
        record
            .caller_said
            .iter()
            .any(|s| s.to_lowercase().contains("shipping")),
        "{}",
        record.text
    );
    assert!(
        record.matched.iter().any(|m| m == "delivery_time"),
        "{}",
        record.text
    );
    assert!(
        record.text.contains("voice-to-voice"),
        "turn timings missing:\n{}",
        record.text
    );
}

#[test]
fn a_pressed_key_reaches_the_flow() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("dial-dtmf");
    let server = Server::start(&dir, &ServerOptions::new(free_udp_ports(100)));
    let out = server.dial(&["--dtmf", "2", "--codec", "pcma"]);
    assert!(out.contains("dtmf 2"), "{out}");
    let record = server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(20));
    assert_eq!(record.pressed, vec!["2"], "{}", record.text);
    assert_eq!(record.codec.as_deref(), Some("PCMA"), "{}", record.text);
    assert!(
        record
            .bot_said
            .iter()
            .any(|s| s.contains("return any item within 30 days")),
        "key 2 should give the returns answer:\n{}",
        record.text
    );
}

#[test]
fn saying_goodbye_makes_hotline_hang_up() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("dial-goodbye");
    let server = Server::start(&dir, &ServerOptions::new(free_udp_ports(100)));
    let bye = dir.join("bye.wav");
    audio::espeak_wav("No thanks, that's all. Goodbye.", &bye);
    let out = server.dial(&["--play", bye.to_str().unwrap()]);
    assert!(
        out.contains("hung up by: hotline"),
        "{out}\nserver log:\n{}",
        server.log_text()
    );
    let record = server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(20));
    assert!(
        record
            .cause
            .as_deref()
            .is_some_and(|c| c.starts_with("bot-")),
        "the record should say the bot hung up:\n{}",
        record.text
    );
}

#[test]
fn a_missing_model_names_the_file_and_the_fetch_command() {
    let _guard = support::serial(&SERIAL);
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--whisper",
            "/nonexistent/ggml-huge.bin",
        ]));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/ggml-huge.bin"), "{err}");
    assert!(err.contains("hotline models fetch"), "{err}");
}

#[test]
fn a_broken_flow_is_refused_with_file_line_and_column() {
    let _guard = support::serial(&SERIAL);
    let broken = "crates/flow/tests/data/broken.yaml";
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["serve", "--listen", "127.0.0.1:0", "--flow", broken]));
    assert!(
        !out.status.success(),
        "the server must not start on a broken flow"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let positioned = regex_like_positions(&err, "broken.yaml");
    assert!(
        positioned >= 2,
        "expected several file:line:column errors:\n{err}"
    );

    let check = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["flow", "check", broken]));
    assert!(!check.status.success());
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        regex_like_positions(&report, "broken.yaml") >= 2,
        "{report}"
    );

    let good = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["flow", "check", "flows/shop.yaml"]));
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );
}

/// Counts lines that start with `FILE:LINE:COLUMN:`.
fn regex_like_positions(text: &str, file: &str) -> usize {
    text.lines()
        .filter_map(|l| l.trim().split_once(file).map(|(_, rest)| rest))
        .filter(|rest| {
            let mut parts = rest.trim_start_matches(':').splitn(3, ':');
            let line = parts.next().unwrap_or("");
            let col = parts.next().unwrap_or("");
            !line.is_empty()
                && line.chars().all(|c| c.is_ascii_digit())
                && !col.is_empty()
                && col.chars().all(|c| c.is_ascii_digit())
        })
        .count()
}

#[test]
fn a_call_whose_rtp_stops_is_hung_up() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("rtp-timeout");
    let mut options = ServerOptions::new(free_udp_ports(100));
    options.rtp_timeout = Some("2s".into());
    let server = Server::start(&dir, &options);
    // SIPp's built-in caller sends no RTP at all and waits 20 s before its BYE.
    let sipp_port = free_udp_ports(1);
    let mut sipp = Command::new("sipp")
        .args([
            "-sn",
            "uac",
            "-m",
            "1",
            "-d",
            "20000",
            "-i",
            "127.0.0.1",
            "-nostdin",
            "-timeout",
            "40s",
        ])
        .args(["-p", &sipp_port.to_string()])
        .arg(server.sip.to_string())
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start sipp (Debian package sip-tester)");
    let record = server.wait_for_finished_call(&wait_for_call(&server), Duration::from_secs(30));
    let _ = sipp.kill();
    let _ = sipp.wait();
    assert_eq!(
        record.cause.as_deref(),
        Some("rtp-timeout"),
        "{}",
        record.text
    );
}

/// Waits until a call appears in the list and returns its id.
fn wait_for_call(server: &Server) -> String {
    for _ in 0..100 {
        let list = server.calls_list();
        if let Some(id) = list
            .lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().next())
        {
            return id.to_string();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("no call arrived\n{}", server.log_text());
}

#[test]
fn a_crash_mid_call_loses_no_record_and_a_restart_closes_the_call() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("dial-crash");
    let options = ServerOptions::new(free_udp_ports(100));
    let mut server = Server::start(&dir, &options);
    let question = dir.join("question.wav");
    audio::espeak_wav("How long does shipping take?", &question);
    // The caller asks, then stays on the line; the test ends it.
    let mut caller = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("dial")
        .arg(format!("sip:hotline@{}", server.sip))
        .args([
            "--play",
            question.to_str().unwrap(),
            "--max-duration",
            "60s",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("hotline dial starts");

    // Once the answer to the question is on the record, pull the plug.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (id, before) = loop {
        let list = server.calls_list();
        if let Some(id) = list
            .lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().next())
        {
            let show = server.calls(&["show", id]);
            let text = String::from_utf8_lossy(&show.stdout).into_owned();
            if text.contains("working days") {
                break (id.to_string(), text);
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the answer never reached the record:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    server.crash();
    // Only the caller this test started, by its handle.
    let _ = caller.kill();
    let _ = caller.wait();
    assert!(
        before.contains("\ncause     -\n"),
        "the call had already ended:\n{before}"
    );

    // The restarted server closes the interrupted call; nothing said before the crash is lost.
    let server = Server::start(&dir, &options);
    let record = server.wait_for_finished_call(&id, Duration::from_secs(20));
    assert_eq!(
        record.cause.as_deref(),
        Some("server-restart"),
        "{}",
        record.text
    );
    assert!(
        record.matched.iter().any(|m| m == "delivery_time"),
        "the question's turn is gone:\n{}",
        record.text
    );
    assert!(
        record.bot_said.iter().any(|s| s.contains("working days")),
        "the answer's turn is gone:\n{}",
        record.text
    );
}
