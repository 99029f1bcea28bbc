//! End to end, personal data and stopping: a caller gives the bank flow a date of birth and card
//! digits (both `sensitive` slots), and the call record, the ticket, the webhook body and the
//! server log hold them masked; and a server told to stop (SIGTERM) in the middle of a SIPp call
//! says goodbye, sends BYE and exits 0.

mod support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::http::WebhookReceiver;
use support::sipp::SippCall;
use support::{audio, free_udp_ports, serial, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

/// What must never appear in clear: the date of birth in every form and the card digits.
const SECRETS: &[&str] = &[
    "1974-07-12",
    "1974",
    "nineteen seventy",
    "July",
    "4821",
    "four eight two one",
];

/// Whether `secret` stands in `text` as words of their own. Call ids, ticket ids and paths are
/// random hex and sometimes hold "4821" (one run in a few thousand); those are not the caller's
/// card digits.
fn holds_in_clear(text: &str, secret: &str) -> bool {
    let text = text.to_lowercase();
    let secret = secret.to_lowercase();
    text.match_indices(&secret).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + secret.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn assert_masked(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !holds_in_clear(text, secret),
            "{what} holds {secret:?} in clear:\n{text}"
        );
    }
}

/// Reads the console's live event stream (`GET /api/events` with the token) until `stop` is set;
/// everything it received.
fn listen_to_live_events(
    admin: std::net::SocketAddr,
    token: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(admin).unwrap();
    write!(
        stream,
        "GET /api/events HTTP/1.1\r\nHost: {admin}\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    std::thread::spawn(move || {
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
                Err(_) => {}
            }
        }
        String::from_utf8_lossy(&received).into_owned()
    })
}

#[test]
fn a_date_of_birth_and_card_digits_are_masked_everywhere() {
    let _guard = serial(&SERIAL);
    let dir = TempDir::new("privacy-bank");
    let webhook = WebhookReceiver::start(0);
    let mut options = ServerOptions::new(free_udp_ports(100));
    options.flow = Some("flows/bank.yaml".into());
    options.webhook_url = Some(webhook.url());
    // Nothing listens there: the identity check fails and the caller goes to an advisor,
    // which opens a handoff ticket and posts it to the webhook.
    options.env = vec![
        ("BANK_API_URL".into(), "http://127.0.0.1:9".into()),
        ("BANK_API_KEY".into(), "bank-key".into()),
    ];
    // On a loaded machine the holding phrase would end the bot's turn before the transcript is
    // in, and the caller would type the card digits at the date-of-birth question.
    options.speech.push(("holding_after".into(), "0s".into()));
    let server = Server::start(&dir, &options);
    let birth = dir.join("birth.wav");
    audio::espeak_wav("The twelfth of July, nineteen seventy four.", &birth);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let live = listen_to_live_events(server.admin, server.token.clone(), stop.clone());
    server.dial(&[
        "--dtmf",
        "1",
        "--play",
        &birth.display().to_string(),
        "--dtmf",
        "4821",
        // A key the flow ignores once it is transferring: the caller then waits up to 20 s for
        // a reply, so it is still there when the handoff opens its ticket.
        "--dtmf",
        "#",
        "--gap",
        "4s",
        "--max-duration",
        "120s",
    ]);
    let id = server.newest_call();
    let record = server.wait_for_finished_call(&id, Duration::from_secs(30));
    println!("{}", record.text);
    assert!(
        record.text.contains("date_of_birth = ********12"),
        "the date of birth should be on the record, masked:\n{}",
        record.text
    );
    assert!(
        record.text.contains("card_last_four = **21"),
        "{}",
        record.text
    );
    assert!(record.text.contains("[sensitive]"), "{}", record.text);
    assert_masked("hotline calls show", &record.text);
    // The console's live view gets the turns as stored: the answers withheld or masked.
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let live = live.join().unwrap();
    assert!(live.contains("event: turn"), "no turn streamed:\n{live}");
    assert!(live.contains("[sensitive]"), "{live}");
    assert_masked("the live event stream", &live);

    let ticket = record
        .text
        .lines()
        .find_map(|l| l.split("ticket ").nth(1))
        .map(|t| t.split([' ', ',', ')']).next().unwrap_or("").to_string())
        .expect("a handoff ticket id on the record");
    let (status, body) = server.api("GET", &format!("/api/tickets/{ticket}"), None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("********12"), "{body}");
    assert_masked("the ticket", &body);

    let deadline = Instant::now() + Duration::from_secs(20);
    while webhook.bodies.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let bodies = webhook.bodies.lock().unwrap().clone();
    assert!(!bodies.is_empty(), "no webhook was delivered");
    for body in &bodies {
        assert_masked("the webhook body", body);
    }

    let log = server.log_text();
    assert!(!log.contains("bank-key"), "the API key leaked into the log");
    assert_masked("the server log", &log);

    let replay = server.calls(&["replay", &id]);
    let replay = String::from_utf8_lossy(&replay.stdout).into_owned();
    assert_masked("hotline calls replay", &replay);
}

#[test]
fn sigterm_during_a_call_says_goodbye_sends_bye_and_exits_cleanly() {
    let _guard = serial(&SERIAL);
    let dir = TempDir::new("privacy-sigterm");
    let options = ServerOptions::new(free_udp_ports(100));
    let mut server = Server::start(&dir, &options);
    // The caller stays silent (mu-law silence) while waiting for Hotline's BYE.
    std::fs::write(dir.join("caller.ul"), vec![0xFFu8; 8000 * 30]).unwrap();
    let mut call = SippCall::new("caller_goodbye.xml", server.sip, "e2e-sigterm");
    call.timeout = Duration::from_secs(60);
    let outcome = std::thread::scope(|scope| {
        let sipp = scope.spawn(|| call.run(&dir));
        // Let the greeting start, then ask the server to stop.
        std::thread::sleep(Duration::from_secs(6));
        server.terminate();
        sipp.join().expect("the SIPp thread")
    });
    outcome.assert_success("SIGTERM mid-call: Hotline says goodbye and sends BYE");

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.exited() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.success(), "hotline serve exited with {status}");
    let record = server.wait_for_finished_call(&call.call_id(), Duration::from_secs(10));
    println!("{}", record.text);
    assert_eq!(record.cause.as_deref(), Some("shutdown"), "{}", record.text);
    assert!(
        record
            .bot_said
            .iter()
            .any(|s| s.contains("We have to end this call now")),
        "the goodbye is not on the record:\n{}",
        record.text
    );
    let log = server.log_text();
    assert!(log.contains("the server is stopping"), "{log}");
}
