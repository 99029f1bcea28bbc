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
        "flow: broken\nstart: nowhere\nnodes:\n  hello:\n    say: Hi\n    next: missing\n",
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
            !line.contains("has errors"),
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

/// `hotline chat` with `lines` typed, the environment `env`; its stdout.
fn chat(lines: &str, env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hotline"));
    command
        .current_dir(workspace_root())
        .args(["chat", "flows/shop.yaml"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("hotline chat starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(lines.as_bytes())
        .expect("typed");
    let out = child.wait_with_output().expect("hotline chat ends");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A one-request-at-a-time HTTP server answering every request with `body`; its base URL and
/// the request lines it saw.
fn order_api(body: &'static str) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (seen, requests) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push(line.trim_end().to_string());
            }
            let _ = seen.send(head.join("\n"));
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, requests)
}

#[test]
fn chat_runs_http_nodes_like_the_phone() {
    let (url, requests) = order_api(r#"{"status":"shipped","estimated_delivery":"2026-12-10"}"#);
    let stdout = chat(
        "Can you check my order?\nfour five six seven\nyes\n",
        &[("SHOP_API_URL", url.as_str()), ("SHOP_API_KEY", "test-key")],
    );
    let request = requests
        .recv_timeout(std::time::Duration::from_secs(5))
        .unwrap_or_else(|_| panic!("the order API was never called:\n{stdout}"));
    assert!(request.starts_with("GET /orders/4567 "), "{request}");
    assert!(
        request.contains("Bearer test-key"),
        "the secret is filled in: {request}"
    );
    assert!(
        stdout.contains("[slot order_number = \"4567\""),
        "slot fills are shown:\n{stdout}"
    );
    assert!(stdout.contains("[http answer: 200]"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("bot> Good news") && l.contains("has shipped")),
        "the order status line:\n{stdout}"
    );
    assert!(
        !stdout.contains("test-key"),
        "secrets are not printed:\n{stdout}"
    );
}

#[test]
fn chat_scores_anger_from_the_words_and_escalates() {
    let stdout = chat(
        "This is absolutely ridiculous, you are useless idiots, I am furious!\n",
        &[],
    );
    assert!(
        stdout.contains("[mood: anger"),
        "the mood is shown:\n{stdout}"
    );
    assert!(
        stdout.contains("[transfer to") && stdout.contains(": anger]"),
        "the angry caller is escalated:\n{stdout}"
    );
}

#[test]
fn chat_explains_every_turn() {
    let stdout = chat("What time is it?\n/quit\n", &[]);
    assert!(
        !stdout.contains("[no match 0.00"),
        "the best candidate is shown, not a bare no-match:\n{stdout}"
    );
    assert!(
        stdout.contains("best intent "),
        "the best intent below the threshold with its score:\n{stdout}"
    );
    assert!(
        stdout.contains("[faq candidates: "),
        "FAQ candidates with their scores:\n{stdout}"
    );
}

#[test]
fn chat_takes_a_typed_message_and_prints_the_ticket() {
    // Nothing listens on port 9 of localhost: the order system is unreachable.
    let stdout = chat(
        "Can you check my order?\n4567\nyes\nyes\nThis is Ann, please call me back\n/quit\n",
        &[
            ("SHOP_API_URL", "http://127.0.0.1:9"),
            ("SHOP_API_KEY", "test-key"),
        ],
    );
    assert!(
        stdout.contains("[slot order_number = \"4567\""),
        "keys then the end of the line fill the slot:\n{stdout}"
    );
    assert!(stdout.contains("[http: no answer]"), "{stdout}");
    let ticket = stdout
        .lines()
        .find(|l| l.contains("[ticket "))
        .unwrap_or_else(|| panic!("the ticket is printed:\n{stdout}"));
    assert!(ticket.contains("Callback about order 4567"), "{ticket}");
    assert!(
        ticket.contains("reason = \"order system unreachable\""),
        "{ticket}"
    );
    let note = ticket
        .split("voicemail = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the message is the ticket's voicemail: {ticket}"));
    assert_eq!(
        std::fs::read_to_string(note)
            .expect("the message file")
            .trim(),
        "This is Ann, please call me back"
    );
    let _ = std::fs::remove_file(note);
    assert!(
        stdout.contains("bot> Thank you. Your reference number"),
        "{stdout}"
    );
}

#[test]
fn faq_eval_prints_every_threshold_and_the_one_to_choose() {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["faq", "eval", "eval/shop_faq.yaml"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("40 questions (20 for an entry, 20 off-topic)"),
        "{stdout}"
    );
    // "What time is it?" is the issue's confident wrong answer: it must score low.
    let time = stdout
        .lines()
        .find(|l| l.contains("\"what time is it\""))
        .expect("the question's line");
    let score: f32 = time.split_whitespace().next().unwrap().parse().unwrap();
    assert!(score < 0.45, "{time}");
    for threshold in ["0.30", "0.60", "0.90"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(threshold)),
            "{stdout}"
        );
    }
    assert!(stdout.contains("suggested faq_threshold"), "{stdout}");
}

#[test]
fn faq_eval_refuses_a_set_naming_an_entry_the_flow_lacks() {
    let dir = std::env::temp_dir().join(format!("hotline-faq-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let set = dir.join("set.yaml");
    std::fs::write(
        &set,
        "flow: flows/shop.yaml\nquestions:\n  - { ask: when do you open, answer: opening_hours }\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["faq", "eval"])
        .arg(&set)
        .output()
        .expect("hotline runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("\"opening_hours\""), "{stderr}");
    assert!(stderr.contains("gift_wrapping"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}
