//! Queue callbacks placed by the server, with real peers: a SIPp caller waits in a queue whose
//! only agent (a baresip phone) is paused and presses 1 for a callback. When the agent becomes
//! available, Hotline rings the agent first, whispers the callback to them, then calls the
//! customer through the queue's trunk (a SIPp UAS that answers and speaks), and bridges the two.
//! What the agent's phone recorded is transcribed: it holds the customer's words. The job is
//! `done` in `hotline queues callbacks`.
//!
//! Runs in its own network namespace (baresip binds the outward address otherwise).

mod support;

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::audio::{timeline_wav, wav_to_ulaw, Segment};
use support::baresip::{
    enter_private_network, Baresip, LOG_ANSWERING, LOG_REGISTERED, LOG_TERMINATED,
};
use support::sipp::SippCall;
use support::sipp::SippOutcome;
use support::{free_udp_port, run, transcribe, workspace_root, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

const CUSTOMER_LINE: &str = "Thanks for calling back. My washing machine is still broken.";

fn hotline(server: &Server, args: &[&str]) -> (bool, String) {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(args)
        .env("HOTLINE_TOKEN", &server.token));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn agents(server: &Server, action: &[&str]) {
    let admin = format!("http://{}", server.admin);
    let mut args = vec!["agents"];
    args.extend_from_slice(action);
    args.extend_from_slice(&["--admin", &admin]);
    let (ok, text) = hotline(server, &args);
    assert!(ok, "hotline {args:?}: {text}");
}

fn callbacks(server: &Server, all: bool) -> String {
    let db = server.database.display().to_string();
    let mut args = vec!["queues", "callbacks", "support", "--database", &db];
    if all {
        args.push("--all");
    }
    let (ok, text) = hotline(server, &args);
    assert!(ok, "hotline queues callbacks: {text}");
    text
}

/// Waits up to 20 s for `hotline queues callbacks` (`--all` when `all`) to show `until`; returns
/// the listing and the caller's line in it.
fn wait_for_job(server: &Server, all: bool, until: &str) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let jobs = loop {
        let jobs = callbacks(server, all);
        if jobs.contains(until) || Instant::now() > deadline {
            break jobs;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let line = jobs
        .lines()
        .find(|l| l.contains("sipp"))
        .unwrap_or_else(|| panic!("no job for the caller:\n{jobs}"))
        .to_string();
    (jobs, line)
}

/// Runs the SIPp `scenario` as the customer behind the trunk at `trunk_port`, frees the agent
/// once it is listening, and returns how the customer's side went.
fn customer_behind_trunk(
    dir: &TempDir,
    server: &Server,
    trunk_port: u16,
    scenario: &str,
    label: &str,
    timeout: Duration,
) -> SippOutcome {
    std::thread::scope(|scope| {
        let trunk = scope.spawn(|| {
            let mut uas = SippCall::new(scenario, server.sip, label);
            uas.sip_port = Some(trunk_port);
            uas.timeout = timeout;
            uas.run(dir)
        });
        // Give SIPp a moment to bind its port, then free the agent.
        std::thread::sleep(Duration::from_millis(800));
        agents(server, &["available", "agent1"]);
        trunk.join().expect("SIPp thread")
    })
}

/// A server whose queue `support` places callbacks through a trunk at `trunk_port`, its one
/// agent (a baresip phone) registered and paused, and a SIPp caller who waited and pressed 1:
/// one pending job.
fn server_with_a_pending_callback(
    dir: &TempDir,
    trunk_port: u16,
    rtp_min: u16,
) -> (Server, Baresip) {
    std::fs::create_dir_all(dir.join("campaigns")).unwrap();
    dir.write(
        "trunks.yaml",
        &format!(
            "trunks:\n  - name: callbacks\n    target: 127.0.0.1:{trunk_port}\n    \
             caller_id: \"+1 212 555 0100\"\n    ring_timeout: 20s\n"
        ),
    );
    // The customer: speaks at once, and again in case the first words fall before the bridge.
    let customer = timeline_wav(
        dir.path(),
        "customer",
        &[
            Segment::Say {
                text: CUSTOMER_LINE,
                voice: "en-us",
            },
            Segment::Silence(Duration::from_secs(2)),
            Segment::Say {
                text: CUSTOMER_LINE,
                voice: "en-us",
            },
        ],
    );
    wav_to_ulaw(
        &customer,
        &dir.join("customer.ul"),
        Duration::from_millis(300),
        Duration::from_secs(10),
    );

    let mut options = ServerOptions::new(rtp_min);
    options.agents_yaml = Some(
        "agents:\n  - id: agent1\n    name: Alice\n    password: alice-secret\n    skills: [support]\n"
            .to_string(),
    );
    options.queues_yaml = Some(
        "queues:\n  support:\n    skills: [support]\n    max_wait: 3m\n    ring_timeout: 15s\n    \
         wrap_up: 2s\n    callback_digit: \"1\"\n    callback_trunk: callbacks\n    \
         callback_attempts: 2\n    callback_retry: 1m\n"
            .to_string(),
    );
    options.campaigns = Some((dir.join("campaigns"), dir.join("trunks.yaml")));
    // SIPp's caller sends no audio: keep its call up past the default RTP timeout.
    options.rtp_timeout = Some("90s".into());
    let server = Server::start(dir, &options);

    let agent_speech = timeline_wav(
        dir.path(),
        "agent-speech",
        &[Segment::Silence(Duration::from_secs(40))],
    );
    let alice = Baresip::agent(
        dir,
        "agent1",
        server.sip,
        "agent1",
        "alice-secret",
        &agent_speech,
        free_udp_port(),
        rtp_min + 10_600,
    );
    assert!(
        alice.wait_for_log(LOG_REGISTERED, Duration::from_secs(15)),
        "the agent did not register:\n{}",
        alice.log_text()
    );
    // Logged in but busy elsewhere: the caller waits instead of overflowing.
    agents(&server, &["pause", "agent1", "--reason", "meeting"]);

    let mut caller = SippCall::new("caller_callback.xml", server.sip, "e2e-callback-caller");
    caller.timeout = Duration::from_secs(90);
    caller
        .run(dir)
        .assert_success("0 for a person, 1 for a callback, then Hotline's BYE");
    let pending = callbacks(&server, false);
    assert!(pending.contains("pending"), "{pending}");
    assert!(pending.contains("sipp"), "{pending}");
    assert!(
        !alice.log_text().contains(LOG_ANSWERING),
        "a paused agent was rung:\n{}",
        alice.log_text()
    );

    (server, alice)
}

#[test]
fn a_callback_left_in_the_queue_rings_the_free_agent_then_calls_the_customer_and_bridges_them() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("callbacks");
    let trunk_port = free_udp_port();
    let (server, alice) = server_with_a_pending_callback(&dir, trunk_port, 21_000);

    let outcome = customer_behind_trunk(
        &dir,
        &server,
        trunk_port,
        "trunk_callback_uas.xml",
        "e2e-callback-customer",
        Duration::from_secs(90),
    );
    outcome.assert_success("the customer was called through the trunk, answered, spoke, hung up");
    let invite = outcome.messages();
    assert!(
        invite.contains("INVITE sip:sipp@127.0.0.1"),
        "the customer's number is not the INVITE's:\n{invite}"
    );

    assert!(
        alice.wait_for_log(LOG_TERMINATED, Duration::from_secs(15)),
        "the agent's call did not end with the customer's:\n{}\n--- server ---\n{}",
        alice.log_text(),
        server.log_text()
    );
    // sndfile closes its recordings as the call is torn down.
    std::thread::sleep(Duration::from_millis(500));

    let (jobs, line) = wait_for_job(&server, true, " done ");
    assert!(
        line.contains(" done "),
        "{jobs}\n--- server ---\n{}",
        server.log_text()
    );
    assert!(line.contains("answered"), "{jobs}");
    assert!(line.contains("agent1"), "{jobs}");
    assert!(line.contains(" 1 "), "one attempt: {jobs}");
    assert_eq!(
        callbacks(&server, false).trim(),
        "No callback jobs.",
        "a done job is no longer listed as pending or placed"
    );

    let heard = transcribe(&alice.recording_heard().expect("the agent's recording"));
    assert!(
        heard.contains("calling them"),
        "the agent did not hear the whisper: {heard:?}"
    );
    assert!(
        heard.contains("washing machine"),
        "the agent did not hear the customer: {heard:?}\n--- server ---\n{}",
        server.log_text()
    );
    // The bridge is on disk beside the database, customer left and agent right.
    let recordings: Vec<_> =
        std::fs::read_dir(server.database.parent().unwrap().join("recordings"))
            .expect("a recordings directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with("-bridge.wav"))
            .collect();
    assert_eq!(recordings.len(), 1, "{recordings:?}");
    let reader = hound::WavReader::open(&recordings[0]).expect("a WAV");
    assert_eq!(reader.spec().channels, 2);
    assert!(
        reader.duration() > 8000 * 10,
        "the bridge recording is shorter than the customer's words"
    );
}

#[test]
fn a_busy_customer_is_tried_again_after_the_queues_delay_and_the_job_waits() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("callbacks-busy");
    let trunk_port = free_udp_port();
    let (server, alice) = server_with_a_pending_callback(&dir, trunk_port, 21_200);

    customer_behind_trunk(
        &dir,
        &server,
        trunk_port,
        "trunk_busy_uas.xml",
        "e2e-callback-busy",
        Duration::from_secs(60),
    )
    .assert_success("the customer's line answered 486 Busy Here");
    // The agent answered first (agent first), and was hung up when the line was busy.
    assert!(
        alice.wait_for_log(LOG_TERMINATED, Duration::from_secs(15)),
        "the agent's call did not end after the busy line:\n{}",
        alice.log_text()
    );
    let (jobs, line) = wait_for_job(&server, false, "busy");
    assert!(
        line.contains(" pending "),
        "{jobs}\n--- server ---\n{}",
        server.log_text()
    );
    assert!(line.contains(" 1  busy"), "one attempt, busy: {jobs}");
    // Retried after the queue's delay (1m), not when an agent is next free.
    assert!(!line.ends_with("when an agent is free"), "{jobs}");
    // The agent is free again after wrap-up, yet the job is not placed before its time.
    std::thread::sleep(Duration::from_secs(5));
    let later = callbacks(&server, false);
    assert!(
        later.contains(" 1  busy"),
        "placed again too early: {later}"
    );
}
