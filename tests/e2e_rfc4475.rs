//! The RFC 4475 SIP torture messages, sent over UDP to the real `hotline serve`: every message
//! must get the answer `MANIFEST.tsv` (and the RFC section it cites) expects, and the server
//! must still be up afterwards.
//!
//! The messages name documentation addresses (192.0.2.x), one real-looking address and
//! example.com hosts, and the server replies to the Via sent-by. So the whole test runs in a
//! private network namespace holding only a loopback interface: nothing can leave the machine,
//! and 192.0.2.0/24 is made local so replies addressed there come back to this test.

mod support;

#[path = "support/rfc4475_expectations.rs"]
mod expectations;

use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use expectations::{expectation, Expectation, Reply};
use support::sip_text::{self, call_ids, header_block_end, Response};
use support::{run_ok, serial, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

/// Ports replies may be addressed to: the Via default (also our source port), and the explicit
/// sent-by ports in the corpus (quotbal: 5050; mpart01: 5070, which has rport, so a reply there
/// means rport was ignored).
const REPLY_PORTS: [u16; 3] = [5060, 5050, 5070];

/// How long to wait for a request's final response before moving on.
const FINAL_WAIT: Duration = Duration::from_secs(4);
/// How long to listen for (unwanted) replies to a message that must get none.
const SILENCE_WAIT: Duration = Duration::from_millis(1500);

fn corpus_dir() -> PathBuf {
    support::workspace_root()
        .join("..")
        .join("shared")
        .join("data")
        .join("sip")
        .join("rfc4475")
}

/// One datagram the server sent us.
struct Received {
    port: u16,
    response: Option<Response>,
    first_line: String,
    /// The whole datagram, shown for mismatches.
    text: String,
}

/// What one corpus entry got, for judging and for the table.
struct Outcome {
    file: String,
    /// Why the entry got special treatment, for the table.
    note: Option<String>,
    /// The message as sent, shown for mismatches.
    sent: String,
    manifest: String,
    expectation: Expectation,
    /// The message's Via asks for rport: replies must come back to our source port.
    rport: bool,
    replies: Vec<Received>,
}

/// The server for the corpus. Its INVITEs name media at documentation addresses (192.0.2.x and
/// the like), which `rtp.allowed_networks` would refuse with 488 before the message is processed
/// as the manifest expects; the test runs in a private network namespace, so media sent there
/// goes nowhere, and every media network is allowed.
fn options() -> ServerOptions {
    let mut options = ServerOptions::new(32_000);
    options
        .rtp
        .push(("allowed_networks".into(), "[0.0.0.0/0, \"::/0\"]".into()));
    options
}

#[test]
fn rfc4475_torture_messages_get_the_expected_answers() {
    let _serial = serial(&SERIAL);
    enter_private_network();

    // One scratch dir per server instance (see `transaction_key` for why there are several).
    let mut dirs = vec![TempDir::new("rfc4475")];
    let mut server = Server::start(&dirs[0], &options());
    let mut transactions: HashMap<String, String> = HashMap::new();

    let sockets: Vec<UdpSocket> = REPLY_PORTS
        .iter()
        .map(|port| {
            UdpSocket::bind(("0.0.0.0", *port))
                .unwrap_or_else(|e| panic!("bind 0.0.0.0:{port} inside the private namespace: {e}"))
        })
        .collect();
    let sender = sockets[0].try_clone().expect("clone the 5060 socket");
    let (received_tx, received) = mpsc::channel::<(u16, Vec<u8>)>();
    let stop = Arc::new(AtomicBool::new(false));
    let listeners: Vec<_> = sockets
        .into_iter()
        .map(|socket| {
            let tx = received_tx.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || listen(socket, tx, stop))
        })
        .collect();

    let manifest =
        std::fs::read_to_string(corpus_dir().join("MANIFEST.tsv")).expect("read MANIFEST.tsv");
    let mut outcomes: Vec<Outcome> = Vec::new();
    // Which entry each reply belongs to, so late ones (retransmissions) land on their file.
    let mut owners = Owners::default();
    let mut unknown_rows = Vec::new();

    for row in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let columns: Vec<&str> = row.split('\t').collect();
        let (file, manifest_expects) = (columns[0], *columns.last().expect("a manifest column"));
        let Some(expected) = expectation(file) else {
            unknown_rows.push(file.to_string());
            continue;
        };
        let bytes =
            std::fs::read(corpus_dir().join(format!("{file}.dat"))).expect("read a corpus file");
        let (message_ids, trailing_ids) = split_call_ids(&bytes);
        let mut note = None;
        if let Some(key) = transaction_key(&bytes) {
            if let Some(earlier) = transactions.get(&key) {
                // Same top Via and method as an earlier corpus message: the running server
                // would rightly take this one for a retransmission of that one.
                note = Some(format!("fresh server: same transaction as {earlier}"));
                dirs.push(TempDir::new("rfc4475"));
                drop(server);
                server = Server::start(dirs.last().expect("a dir"), &options());
                transactions.clear();
            }
            transactions.insert(key, file.to_string());
        }
        let index = outcomes.len();
        outcomes.push(Outcome {
            file: file.to_string(),
            note,
            sent: String::from_utf8_lossy(&bytes).into_owned(),
            manifest: manifest_expects.to_string(),
            expectation: expected.clone(),
            rport: String::from_utf8_lossy(&bytes).lines().any(|l| {
                let lower = l.to_ascii_lowercase();
                (lower.starts_with("via") || lower.starts_with("v:")) && lower.contains(";rport")
            }),
            replies: Vec::new(),
        });
        for id in message_ids {
            owners.by_call_id.insert(id, index);
        }
        if let Some(branch) = sip_text::top_via_branch(&bytes) {
            owners.by_branch.insert(branch, index);
        }
        if !trailing_ids.is_empty() {
            // dblreq: a second message after Content-Length must be ignored entirely.
            outcomes.push(Outcome {
                file: format!("{file} (octets after Content-Length)"),
                sent: String::new(),
                note: None,
                manifest: "ignore".into(),
                expectation: Expectation::silent(),
                rport: false,
                replies: Vec::new(),
            });
            for id in trailing_ids {
                owners.by_call_id.insert(id, index + 1);
            }
        }

        sender
            .send_to(&bytes, server.sip)
            .expect("send a corpus message");
        let wait = if expected.wants_final() {
            FINAL_WAIT
        } else {
            SILENCE_WAIT
        };
        let deadline = Instant::now() + wait;
        while let Ok((port, datagram)) =
            received.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            let target = owners.owner(&datagram).unwrap_or(index);
            let item = parse_received(port, &datagram);
            let is_final = item.response.as_ref().is_some_and(|r| r.status >= 200);
            outcomes[target].replies.push(item);
            if target == index && is_final && expected.wants_final() {
                break;
            }
        }
        assert!(
            server.exited().is_none(),
            "hotline serve died after {file}.dat; its log follows"
        );
    }

    // Late replies, then the health check: a well-formed OPTIONS still gets 200.
    let drain_until = Instant::now() + Duration::from_secs(1);
    while let Ok((port, datagram)) =
        received.recv_timeout(drain_until.saturating_duration_since(Instant::now()))
    {
        if let Some(target) = owners.owner(&datagram) {
            outcomes[target]
                .replies
                .push(parse_received(port, &datagram));
        }
    }
    let health = health_check(&sender, server.sip, &received);
    stop.store(true, Ordering::Relaxed);
    for listener in listeners {
        let _ = listener.join();
    }

    print_table(&outcomes);
    print_mismatches(&outcomes);
    let mut problems: Vec<String> = unknown_rows
        .iter()
        .map(|f| format!("{f}: in MANIFEST.tsv but this test has no expectation for it"))
        .collect();
    problems.extend(outcomes.iter().filter_map(judge));
    if let Err(problem) = health {
        problems.push(problem);
    }
    if let Some(status) = server.exited() {
        problems.push(format!("hotline serve exited during the run ({status})"));
    }
    assert!(
        problems.is_empty(),
        "{} of {} RFC 4475 checks failed:\n  {}",
        problems.len(),
        outcomes.len() + 1,
        problems.join("\n  ")
    );
}

/// A request's server-transaction identity for RFC 3261 17.2.3 matching, conservatively: the
/// method and the whole top Via (whitespace removed, lower-cased). Several corpus messages were
/// written independently and share one (e.g. cparam01 and cparam02), so a server that matches
/// transactions correctly answers the second as a retransmission of the first; the test then
/// gives the second message a fresh server instead.
fn transaction_key(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let method = text.lines().next()?.split_whitespace().next()?;
    if method.starts_with("SIP/") {
        return None;
    }
    let via = sip_text::headers(bytes)
        .into_iter()
        .find(|(name, _)| name == "via")?
        .1;
    let compact: String = via.chars().filter(|c| !c.is_whitespace()).collect();
    let top = compact.split(',').next()?.to_ascii_lowercase();
    Some(format!("{method} {top}"))
}

/// Moves this test thread (and every process it starts from now on) into a new network
/// namespace with only `lo`, up, owning 127.0.0.0/8, 192.0.2.0/24 (RFC 5737 TEST-NET-1, the
/// corpus's Via and SDP addresses) and 135.180.130.133 (regbadct's Via).
fn enter_private_network() {
    // SAFETY: unshare(2) with CLONE_NEWNET only changes this thread's network namespace.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    if rc != 0 {
        panic!(
            "unshare(CLONE_NEWNET) failed: {}. This test sends RFC 4475 messages naming foreign \
             addresses and needs a private network namespace so nothing leaves the machine: run \
             it as root (or with CAP_SYS_ADMIN).",
            std::io::Error::last_os_error()
        );
    }
    run_ok(Command::new("ip").args(["link", "set", "lo", "up"]));
    run_ok(Command::new("ip").args(["addr", "add", "192.0.2.0/24", "dev", "lo"]));
    run_ok(Command::new("ip").args(["addr", "add", "135.180.130.133/32", "dev", "lo"]));
    let links = run_ok(Command::new("ip").args(["-o", "link", "show"]));
    let links = String::from_utf8_lossy(&links.stdout);
    assert_eq!(
        links.lines().count(),
        1,
        "the private namespace should hold only the loopback interface:\n{links}"
    );
}

fn listen(socket: UdpSocket, tx: mpsc::Sender<(u16, Vec<u8>)>, stop: Arc<AtomicBool>) {
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("set a read timeout");
    let mut buf = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((n, _)) = socket.recv_from(&mut buf) {
            if tx.send((port, buf[..n].to_vec())).is_err() {
                return;
            }
        }
    }
}

/// The Call-IDs of the message itself, and of any octets after its Content-Length.
fn split_call_ids(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let Some(end) = header_block_end(bytes) else {
        return (call_ids(bytes), Vec::new());
    };
    let length = sip_text::content_length(&bytes[..end]);
    match length {
        Some(len) if end + len < bytes.len() => {
            let rest = &bytes[end + len..];
            (call_ids(&bytes[..end + len]), call_ids(rest))
        }
        _ => (call_ids(bytes), Vec::new()),
    }
}

/// Which corpus entry a reply belongs to.
#[derive(Default)]
struct Owners {
    by_call_id: HashMap<String, usize>,
    /// Latest entry per top-Via branch: for replies without a usable Call-ID (insuf has none,
    /// and its 400 is retransmitted until an ACK that never comes).
    by_branch: HashMap<String, usize>,
}

impl Owners {
    /// By Call-ID, else by top-Via branch; `None` for a stranger (then: the message just sent).
    fn owner(&self, datagram: &[u8]) -> Option<usize> {
        sip_text::call_id_of(datagram)
            .and_then(|id| self.by_call_id.get(&id).copied())
            .or_else(|| {
                sip_text::top_via_branch(datagram).and_then(|b| self.by_branch.get(&b).copied())
            })
    }
}

fn parse_received(port: u16, datagram: &[u8]) -> Received {
    let text = String::from_utf8_lossy(datagram);
    Received {
        port,
        response: Response::parse(datagram),
        first_line: text.lines().next().unwrap_or_default().to_string(),
        text: text.into_owned(),
    }
}

/// Sends a well-formed OPTIONS and expects 200.
fn health_check(
    sender: &UdpSocket,
    server: SocketAddr,
    received: &mpsc::Receiver<(u16, Vec<u8>)>,
) -> Result<(), String> {
    let call_id = "rfc4475-final-health-check@127.0.0.1";
    let options = format!(
        "OPTIONS sip:hotline@{server} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-health-1;rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:tester@127.0.0.1>;tag=health\r\nTo: <sip:hotline@{server}>\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    sender
        .send_to(options.as_bytes(), server)
        .map_err(|e| format!("health check: send failed: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Ok((_, datagram)) =
        received.recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        if sip_text::call_id_of(&datagram).as_deref() == Some(call_id) {
            return match Response::parse(&datagram) {
                Some(r) if r.status == 200 => {
                    println!("final OPTIONS health check: 200");
                    Ok(())
                }
                _ => Err(format!(
                    "final OPTIONS health check: expected 200, got {:?}",
                    String::from_utf8_lossy(&datagram).lines().next()
                )),
            };
        }
    }
    Err("final OPTIONS health check: no answer within 5 s".into())
}

/// `None` when the entry got what its expectation allows, else a one-line description.
fn judge(outcome: &Outcome) -> Option<String> {
    let responses: Vec<&Response> = outcome
        .replies
        .iter()
        .filter_map(|r| r.response.as_ref())
        .collect();
    let requests: Vec<&str> = outcome
        .replies
        .iter()
        .filter(|r| r.response.is_none())
        .map(|r| r.first_line.as_str())
        .collect();
    let summary = summarise(outcome);
    let fail = |why: String| {
        Some(format!(
            "{}: {why} (manifest: {}; got: {summary})",
            outcome.file, outcome.manifest
        ))
    };
    let expected = &outcome.expectation;
    if responses.is_empty() {
        // Requests the server may send on its own (a BYE after an unacknowledged 2xx) are not answers.
        let _ = requests;
        return if expected.silence_ok {
            None
        } else {
            fail("no response".into())
        };
    }
    if expected.accept.is_empty() {
        return fail("a response to a message that must be dropped".into());
    }
    for response in &responses {
        if !expected
            .accept
            .iter()
            .any(|reply| reply.matches(response.status))
        {
            return fail(format!("status {} is not allowed", response.status));
        }
        if let Some(problem) = expected.check_headers(response) {
            return fail(problem);
        }
    }
    if outcome.rport && outcome.replies.iter().any(|r| r.port != REPLY_PORTS[0]) {
        return fail(
            "the Via has rport but the reply went to the sent-by port, not the source port".into(),
        );
    }
    if !responses.iter().any(|r| r.status >= 200) && !expected.accept.contains(&Reply::Provisional)
    {
        return fail("no final response".into());
    }
    None
}

/// Statuses received, deduplicated in order, e.g. `100 180 200x4`; ports other than 5060 noted.
fn summarise(outcome: &Outcome) -> String {
    let mut counts: BTreeMap<usize, (String, usize)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for reply in &outcome.replies {
        let mut label = match &reply.response {
            Some(r) => r.status.to_string(),
            None => format!(
                "request {:?}",
                reply.first_line.split_whitespace().next().unwrap_or("?")
            ),
        };
        if reply.port != REPLY_PORTS[0] {
            label.push_str(&format!("@{}", reply.port));
        }
        match order.iter().position(|l| *l == label) {
            Some(i) => counts.get_mut(&i).expect("counted").1 += 1,
            None => {
                counts.insert(order.len(), (label.clone(), 1));
                order.push(label);
            }
        }
    }
    if counts.is_empty() {
        return "nothing".into();
    }
    counts
        .values()
        .map(|(label, n)| {
            if *n > 1 {
                format!("{label}x{n}")
            } else {
                label.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What was sent and received, in full, for every entry that did not get what it should.
fn print_mismatches(outcomes: &[Outcome]) {
    for outcome in outcomes.iter().filter(|o| judge(o).is_some()) {
        println!(
            "\n===== {} =====\n--- sent ---\n{}",
            outcome.file,
            outcome.sent.trim_end()
        );
        for reply in &outcome.replies {
            println!(
                "--- received on port {} ---\n{}",
                reply.port,
                reply.text.trim_end()
            );
        }
    }
}

fn print_table(outcomes: &[Outcome]) {
    println!(
        "{:<40} {:<8} {:<28} MANIFEST EXPECTS",
        "FILE", "VERDICT", "RECEIVED"
    );
    for outcome in outcomes {
        let verdict = if judge(outcome).is_none() {
            "ok"
        } else {
            "MISMATCH"
        };
        let note = outcome
            .note
            .as_ref()
            .map(|n| format!(" [{n}]"))
            .unwrap_or_default();
        println!(
            "{:<40} {:<8} {:<28} {}{note}",
            outcome.file,
            verdict,
            summarise(outcome),
            outcome.manifest
        );
    }
}
