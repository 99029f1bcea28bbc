//! The supervisor's terminal tools on the real models: `hotline flow test` plays every script
//! under `flows/tests/` with the phone path's understanding (MiniLM intents, hybrid FAQ), and
//! `hotline chat` talks to a flow as text.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{run, workspace_root};

#[test]
fn every_flow_script_passes_with_the_phone_paths_understanding() {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["flow", "test"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The keyword-only fallback would make this a different test.
    assert!(
        !stderr.contains("embeddings unavailable"),
        "the scripts ran without embeddings:\n{stderr}"
    );
    let scripts = std::fs::read_dir(workspace_root().join("flows/tests"))
        .expect("flows/tests")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .count();
    assert!(
        stdout.contains(&format!("{scripts} passed, 0 failed")),
        "{stdout}"
    );
}

#[test]
fn chat_answers_questions_and_refuses_what_the_shop_does_not_do() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["chat", "flows/shop.yaml"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hotline chat starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"how long does shipping take\nI want to open a bank account\n/quit\n")
        .expect("typed");
    let out = child.wait_with_output().expect("hotline chat ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bot_lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("bot>")).collect();
    assert!(
        stdout.contains("[delivery_time"),
        "the delivery question was not understood:\n{stdout}"
    );
    assert!(
        bot_lines.iter().any(|l| l.contains("working days")),
        "{stdout}"
    );
    // A bank account is not a shop matter: no answer about opening hours.
    assert!(
        !stdout.contains("[opening_hours"),
        "a stray word routed the caller:\n{stdout}"
    );
}

#[test]
fn flow_check_errors_are_sentences_for_a_person_without_a_backtrace() {
    let dir = support::TempDir::new("flow-check-cli");
    let broken = dir.write(
        "broken.yaml",
        "name: broken\nstart: nowhere\nnodes:\n  hello:\n    say: Hi\n    next: missing\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .env("RUST_BACKTRACE", "1")
        .args(["flow", "check"])
        .arg(&broken)
        .output()
        .expect("hotline flow check runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let file = broken.display().to_string();
    let errors: Vec<&str> = stdout.lines().filter(|l| l.starts_with(&file)).collect();
    assert!(errors.len() >= 2, "each error on its own line:\n{stdout}");
    for line in &errors {
        assert!(
            !line.contains("flow file"),
            "summary glued to an error: {line}"
        );
    }
    let summary: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        summary,
        ["1 of 1 flow file has errors; fix the lines above and check again"],
        "one summary line, nothing else:\n{stderr}"
    );
    for text in [&stdout, &stderr] {
        assert!(!text.contains("Error:"), "Debug formatting:\n{text}");
        assert!(!text.to_lowercase().contains("backtrace"), "{text}");
    }
}
