//! End to end, the flow language's side effects on real calls: an order looked up through the
//! shop's own API (a local HTTP server plays the shop), a voicemail and a ticket when that API is
//! down, escalation when the caller is angry, and a flow edited while the server runs.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{audio, free_udp_ports, workspace_root, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

/// A one-route shop API on loopback: answers `GET /orders/12345` with the given JSON when the
/// request carries the right key, after `delay` (a real API is not instant); records the request
/// lines it saw.
fn shop_api(
    key: &'static str,
    body: &'static str,
    delay: Duration,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the shop API");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push(line.trim_end().to_string());
            }
            let authorised = head
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&format!("authorization: Bearer {key}")));
            let found = head
                .first()
                .is_some_and(|l| l.starts_with("GET /orders/12345 "));
            log.lock()
                .unwrap()
                .push(head.first().cloned().unwrap_or_default());
            let (status, text) = match (authorised, found) {
                (false, _) => ("401 Unauthorized", "{}"),
                (true, false) => ("404 Not Found", "{}"),
                (true, true) => ("200 OK", body),
            };
            std::thread::sleep(delay);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (url, seen)
}

fn spoken(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.join(name);
    audio::espeak_wav(text, &path);
    path.display().to_string()
}

#[test]
fn an_order_is_looked_up_through_the_shop_api() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("flow-order");
    let (url, seen) = shop_api(
        "test-key",
        r#"{"status":"shipped","estimated_delivery":"2026-11-24"}"#,
        // Longer than the bot takes to start "One moment...": the answer comes in after that
        // turn was stored, and must still be spoken and recorded.
        Duration::from_millis(1500),
    );
    let mut options = ServerOptions::new(free_udp_ports(100));
    options.env = vec![
        ("SHOP_API_URL".into(), url),
        ("SHOP_API_KEY".into(), "test-key".into()),
    ];
    let server = Server::start(&dir, &options);
    let yes = spoken(&dir, "yes.wav", "Yes, that's right.");
    server.dial(&[
        "--dtmf".into(),
        "4".into(),
        "--dtmf".into(),
        "12345#".into(),
        "--play".into(),
        yes,
    ]);
    let record = server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(20));
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["GET /orders/12345 HTTP/1.1"],
        "{}",
        record.text
    );
    assert!(
        record.bot_said.iter().any(|s| s.contains("has shipped")),
        "the caller was not told the order shipped:\n{}",
        record.text
    );
    assert!(
        record.text.contains("flow: http answered 200 after "),
        "{}",
        record.text
    );
    assert!(
        record.text.contains("flow: slot order_number = 12345"),
        "{}",
        record.text
    );
    assert!(
        !server.log_text().contains("test-key"),
        "the API key leaked into the log"
    );
}

#[test]
fn when_the_shop_api_is_down_the_caller_leaves_a_voicemail_and_a_ticket_is_made() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("flow-voicemail");
    // A port nobody listens on: the connection is refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut options = ServerOptions::new(free_udp_ports(100));
    options.env = vec![
        ("SHOP_API_URL".into(), format!("http://{closed}")),
        ("SHOP_API_KEY".into(), "test-key".into()),
    ];
    let server = Server::start(&dir, &options);
    let yes = spoken(&dir, "yes.wav", "Yes, that is right.");
    let message = spoken(
        &dir,
        "message.wav",
        "Hello, this is Alice. Please call me back about my parcel.",
    );
    server.dial(&[
        "--dtmf".into(),
        "4".into(),
        "--dtmf".into(),
        "12345#".into(),
        "--play".into(),
        yes.clone(),
        "--play".into(),
        yes,
        "--play".into(),
        message,
        "--dtmf".into(),
        "#".into(),
    ]);
    let record = server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(20));
    assert!(
        record
            .bot_said
            .iter()
            .any(|s| s.contains("can't reach our order system")),
        "the failure branch was not taken:\n{}",
        record.text
    );
    let voicemail = record
        .text
        .lines()
        .find_map(|l| l.trim().strip_prefix("flow: voicemail "))
        .unwrap_or_else(|| panic!("no voicemail recorded:\n{}", record.text));
    let path = voicemail.split(" (").next().unwrap();
    let wav = hound::WavReader::open(path).expect("the voicemail is a WAV file");
    assert!(
        wav.duration() > 8000,
        "the voicemail holds less than a second"
    );
    assert!(
        record.text.contains("\nticket    T-"),
        "no ticket:\n{}",
        record.text
    );
}

#[test]
fn a_queues_own_wording_is_what_a_caller_pressing_0_hears_when_nobody_is_logged_in() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("flow-queue-sentence");
    let mut options = ServerOptions::new(free_udp_ports(100));
    // The file rewords `no_agent` for every queue, and the support queue again for itself.
    options.queues_yaml = Some(
        "messages:\n  no_agent: \"Every queue says this.\"\nqueues:\n  support:\n    skills: [support]\n    overflow: hangup\n    messages:\n      no_agent: \"The support desk is closed today. Goodbye.\"\n"
            .to_string(),
    );
    let server = Server::start(&dir, &options);
    // 0 is the shop flow's key for a person; no speech, so no transcription is involved. The
    // caller waits out up to 3 s of quiet (the handoff's own pause on a busy machine), less than
    // the flow's 6 s no-input timeout.
    let out = server.dial(&["--dtmf", "0", "--gap", "3s"]);
    let record = server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(20));
    assert!(
        out.contains("hung up by: hotline"),
        "{out}\n{}",
        record.text
    );
    assert!(
        record.text.contains("no agent logged in, overflow"),
        "{}",
        record.text
    );
    assert_eq!(
        record.bot_said.last().map(String::as_str),
        Some("\"The support desk is closed today. Goodbye.\""),
        "the caller's last words from the bot should be the queue's own no_agent:\n{}",
        record.text
    );
}

#[test]
fn an_angry_caller_is_escalated_with_reason_anger() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("flow-anger");
    // The CRM's webhook fails twice before it takes the ticket.
    let crm = support::http::WebhookReceiver::start(2);
    let mut options = ServerOptions::new(free_udp_ports(100));
    options.webhook_url = Some(crm.url());
    options.webhook_first_retry = Some("200ms".into());
    // Agents exist but none is logged in: the queue overflows at once instead of holding.
    options.queues_yaml =
        Some("queues:\n  support:\n    skills: [support]\n    overflow: hangup\n".to_string());
    let server = Server::start(&dir, &options);
    let angry = spoken(
        &dir,
        "angry.wav",
        "This is ridiculous! I have called three times and you people are useless. I want a manager now!",
    );
    let out = server.dial(&["--play", angry.as_str()]);
    let record = server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(20));
    assert!(
        out.contains("hung up by: hotline"),
        "{out}\n{}",
        record.text
    );
    assert!(
        record.cause.as_deref().is_some_and(|c| c.contains("anger")),
        "the escalation reason should be anger:\n{}",
        record.text
    );
    let anger: f64 = record
        .text
        .lines()
        .find_map(|l| l.split("anger ").nth(1))
        .and_then(|rest| rest.split([' ', '(']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no anger score on the turn:\n{}", record.text));
    assert!(
        anger >= 0.8,
        "anger {anger} is below the flow's threshold:\n{}",
        record.text
    );
    assert!(
        record
            .text
            .contains("handoff to queue support (reason: anger)"),
        "{}",
        record.text
    );
    assert!(
        record.text.contains("no agent logged in, overflow"),
        "{}",
        record.text
    );
    // The ticket reached the CRM after its two failures, with the transcript and the reason.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while crm.bodies.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let bodies = crm.bodies.lock().unwrap().clone();
    assert_eq!(
        bodies.len(),
        1,
        "the webhook got no ticket:\n{}",
        server.log_text()
    );
    assert!(*crm.attempts.lock().unwrap() >= 3);
    assert!(bodies[0].contains("\"reason\":\"anger\""), "{}", bodies[0]);
    assert!(bodies[0].contains("useless"), "{}", bodies[0]);
}

/// A server running a copy of the shop flow that the test may edit: the scratch dir (kept while
/// the test runs), the copy's path, its original text, and the server.
fn serve_a_copy_of_the_shop_flow(label: &str) -> (TempDir, std::path::PathBuf, String, Server) {
    let dir = TempDir::new(label);
    let flow_path = dir.join("shop.yaml");
    let original = std::fs::read_to_string(workspace_root().join("flows/shop.yaml")).unwrap();
    std::fs::write(&flow_path, &original).unwrap();
    let mut options = ServerOptions::new(free_udp_ports(100));
    options.flow = Some(flow_path.display().to_string());
    let server = Server::start(&dir, &options);
    (dir, flow_path, original, server)
}

#[test]
fn an_edited_flow_serves_new_calls_and_a_broken_edit_is_refused() {
    let _guard = support::serial(&SERIAL);
    let (_dir, flow_path, original, server) = serve_a_copy_of_the_shop_flow("flow-reload");

    let edited = original.replace(
        "Hello, and welcome to {shop}.",
        "Good day, and thank you for calling {shop}.",
    );
    assert_ne!(
        edited, original,
        "the greeting to edit was not found in flows/shop.yaml"
    );
    std::fs::write(&flow_path, &edited).unwrap();
    wait_for_log(&server, "reloaded");
    server.dial(&["--dtmf", "1"]);
    let first = server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(20));
    assert!(
        first.bot_said.iter().any(|s| s.contains("Good day")),
        "{}",
        first.text
    );

    std::fs::write(
        &flow_path,
        edited.replace("start: known_caller", "start: nowhere"),
    )
    .unwrap();
    wait_for_log(&server, "flow edit refused");
    assert!(
        server.log_text().contains("nowhere"),
        "the refusal should name the problem"
    );
    server.dial(&["--dtmf", "1"]);
    let second = server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(20));
    assert!(
        second.bot_said.iter().any(|s| s.contains("Good day")),
        "the last good version should keep serving:\n{}",
        second.text
    );
}

#[test]
fn an_edit_saved_at_once_after_start_up_is_applied() {
    let _guard = support::serial(&SERIAL);
    let (_dir, flow_path, original, server) = serve_a_copy_of_the_shop_flow("flow-reload-at-start");
    // Saved as soon as the server says it is ready: possibly before the watcher first looks.
    let edited = original.replace(
        "Hello, and welcome to {shop}.",
        "Good morning, and welcome to {shop}.",
    );
    assert_ne!(edited, original, "the greeting to edit was not found");
    std::fs::write(&flow_path, &edited).unwrap();
    wait_for_log(&server, "reloaded");
}

fn wait_for_log(server: &Server, needle: &str) {
    for _ in 0..50 {
        if server.log_text().contains(needle) {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the server never logged {needle:?}:\n{}", server.log_text());
}
