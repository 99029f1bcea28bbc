//! End-to-end tests of a server under pressure: whatever the load, no caller speech is lost.
//!
//! The real `hotline serve` with its transcription slowed on purpose (`speech.asr_test_delay`), a
//! SIPp caller who asks six questions back to back without waiting for the answers, and the
//! record read back through `hotline calls show`: every question is a turn, in the order it was
//! asked, and every one was answered. A caller who hangs up right after speaking, while the
//! transcription is still running, keeps their last sentence on the record too.

mod support;

use std::time::Duration;

use support::audio::{timeline_wav, wav_to_ulaw, Segment};
use support::sipp::SippCall;
use support::{run_ok, Server, ServerOptions, TempDir};

/// What the caller asks, a word of it that Whisper must hear, and a phrase of the answer the shop
/// flow gives to it.
const QUESTIONS: [(&str, &str, &str); 6] = [
    // "long", not "shipping": Whisper once heard this as "How long does it take?" (CI rehearsal,
    // 2026-12-08); the turn is still the first question, and its answer is still checked below.
    ("How long does shipping take?", "long", "working days"),
    ("What is your return policy?", "return", "30 days"),
    ("Do you offer gift wrapping?", "gift", "Gift wrapping costs"),
    ("Which payment methods do you accept?", "payment", "PayPal"),
    ("What are your opening hours?", "hours", "Monday to Friday"),
    ("How much does shipping cost?", "cost", "4 dollars 95"),
];

/// Longer than `speech.holding_after` (1.5 s): every turn waits long enough for the caller to
/// hear the holding phrase, and the caller's next questions end while transcriptions are running.
const ASR_DELAY: &str = "2s";

#[test]
fn six_questions_back_to_back_on_a_slow_server_are_all_turns_in_order_and_answered() {
    let dir = TempDir::new("load-six");
    let mut options = ServerOptions::new(34_000);
    options
        .speech
        .push(("asr_test_delay".into(), ASR_DELAY.into()));
    let server = Server::start(&dir, &options);

    // The greeting first, then six questions each followed by just enough silence to end the
    // turn: the caller does not wait for any answer.
    let mut segments = vec![Segment::Silence(Duration::from_secs(5))];
    for (question, _, _) in QUESTIONS {
        segments.push(Segment::Say {
            text: question,
            voice: "en-us",
        });
        segments.push(Segment::Silence(Duration::from_millis(1100)));
    }
    let wav = timeline_wav(dir.path(), "six-questions", &segments);
    // The line stays open (quiet) after the questions: SIPp sends nothing once its file ends, and
    // a line with no RTP for 30 s is hung up.
    wav_to_ulaw(
        &wav,
        &dir.join("caller.ul"),
        Duration::ZERO,
        Duration::from_secs(90),
    );

    // SIPp streams the questions, then stays on the quiet line until Hotline hangs up: after the
    // six answers the flow asks "anything else?" until its no-input retries run out.
    let mut call = SippCall::new("caller_goodbye.xml", server.sip, "e2e-load-six");
    call.timeout = Duration::from_secs(150);
    call.run(&dir)
        .assert_success("caller asks six questions; Hotline answers them all, then hangs up");

    let record = server.wait_for_finished_call(&call.call_id(), Duration::from_secs(30));
    println!("{}", record.text);

    let heard: Vec<String> = record
        .caller_said
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    assert_eq!(
        heard.len(),
        QUESTIONS.len(),
        "every question should be one turn on the record\n{}",
        record.text
    );
    for (i, (question, word, _)) in QUESTIONS.iter().enumerate() {
        assert!(
            heard[i].contains(word),
            "turn {} should be {question:?} (with {word:?}), in the order asked; heard {:?}\n{}",
            i + 1,
            heard[i],
            record.text
        );
    }

    // Every question answered, in the order asked.
    let mut from = 0;
    for (question, _, answer) in QUESTIONS {
        let at = record.bot_said[from..]
            .iter()
            .position(|said| said.contains(answer))
            .unwrap_or_else(|| {
                panic!(
                    "no answer containing {answer:?} to {question:?} after the earlier answers\n{}",
                    record.text
                )
            });
        from += at + 1;
    }

    let log = server.log_text();
    assert!(
        log.contains("holding phrase"),
        "with transcription slowed to {ASR_DELAY}, the caller should have heard the holding phrase"
    );
}

/// Places one SIPp call that streams `caller.ul` from `dir` and hangs up as soon as it has played.
fn speak_and_hang_up(server: &Server, dir: &TempDir, label: &str) -> support::CallRecord {
    let length_ms = std::fs::metadata(dir.join("caller.ul"))
        .expect("caller.ul written")
        .len()
        / 8;
    let mut call = SippCall::new("caller_speaks_and_hangs_up.xml", server.sip, label);
    call.extra_args = vec!["-d".into(), length_ms.to_string()];
    call.run(dir)
        .assert_success("caller speaks, then hangs up before the answer");
    let record = server.wait_for_finished_call(&call.call_id(), Duration::from_secs(40));
    println!("{}", record.text);
    record
}

#[test]
fn a_caller_who_hangs_up_right_after_speaking_keeps_their_words_on_the_record() {
    let dir = TempDir::new("load-hangup");
    let mut options = ServerOptions::new(34_400);
    options
        .speech
        .push(("asr_test_delay".into(), ASR_DELAY.into()));
    let server = Server::start(&dir, &options);

    // A finished sentence (the end of the turn was heard) still being transcribed at the hang-up.
    let wav = timeline_wav(
        dir.path(),
        "finished",
        &[
            Segment::Silence(Duration::from_secs(5)),
            Segment::Say {
                text: "How long does shipping take?",
                voice: "en-us",
            },
            Segment::Silence(Duration::from_millis(1100)),
        ],
    );
    wav_to_ulaw(&wav, &dir.join("caller.ul"), Duration::ZERO, Duration::ZERO);
    let finished = speak_and_hang_up(&server, &dir, "e2e-hangup-finished");

    // A sentence the hang-up cuts off: the line drops with the last word, before the silence
    // that would end the turn (espeak-ng's own trailing silence trimmed).
    let wav = timeline_wav(
        dir.path(),
        "cut",
        &[
            Segment::Silence(Duration::from_secs(5)),
            Segment::Say {
                text: "What is your return policy?",
                voice: "en-us",
            },
        ],
    );
    let trimmed = dir.join("cut-trimmed.wav");
    run_ok(
        std::process::Command::new("sox")
            .arg(&wav)
            .arg(&trimmed)
            .args(["reverse", "silence", "1", "0.01", "-40d", "reverse"]),
    );
    wav_to_ulaw(
        &trimmed,
        &dir.join("caller.ul"),
        Duration::ZERO,
        Duration::ZERO,
    );
    let cut = speak_and_hang_up(&server, &dir, "e2e-hangup-cut");

    for (record, word, answer) in [
        (&finished, "shipping", "working days"),
        (&cut, "return", "30 days"),
    ] {
        assert_eq!(
            record.cause.as_deref(),
            Some("caller-bye"),
            "{}",
            record.text
        );
        let said = record.caller_said.join(" | ").to_lowercase();
        assert!(
            said.contains(word),
            "the caller's last sentence (with {word:?}) should be on the record\n{}",
            record.text
        );
        assert!(
            record.text.contains("heard after the caller hung up"),
            "the turn should say it was heard after the hang-up\n{}",
            record.text
        );
        assert!(
            !record.bot_said.iter().any(|s| s.contains(answer)),
            "the flow does not answer a caller who has gone\n{}",
            record.text
        );
    }
    let log = server.log_text();
    // What happened after each hang-up, and how long Whisper took, for whoever reads the output.
    for line in log.lines().filter(|l| l.contains("hang_up")) {
        println!("{line}");
    }
    assert!(
        log.contains("1 turn(s) heard after the caller hung up stored"),
        "the log should count the late turns"
    );
}

#[test]
fn the_sip_port_opens_only_once_whisper_has_run_and_the_flows_prompts_are_cached() {
    let dir = TempDir::new("load-ready");
    let server = Server::start(&dir, &ServerOptions::new(34_200));
    let ready = server
        .ready_line
        .clone()
        .expect("hotline serve should print how long it took to be ready before opening SIP");
    println!("{ready}");
    assert!(ready.contains("Whisper ran once"), "{ready}");
    let cached: usize = ready
        .split(" prompt sentences cached")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no cached sentence count in {ready:?}"));
    // The shop flow says well over twenty distinct sentences (greeting, menu, answers, reprompts).
    assert!(
        cached >= 20,
        "the flow's prompts should all be synthesised before the first call: {ready}"
    );
    let log = server.log_text();
    assert!(
        log.contains("prepared") && log.contains("flow sentences"),
        "the server log should say the prompts were prepared before SIP opened\n{log}"
    );
}
