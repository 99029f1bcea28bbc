//! Human handoff with real phones: baresip agents register to Hotline with digest credentials and
//! auto-answer; baresip callers ask for a person; Hotline queues them, rings agents, whispers the
//! summary to the agent and bridges the audio. What each phone recorded is transcribed with
//! Whisper to prove the audio went both ways.
//!
//! Every test runs in its own private network namespace (baresip binds the outward address
//! otherwise), so nothing leaves the machine.

mod support;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::audio::{timeline_wav, Segment};
use support::baresip::{
    enter_private_network, Baresip, LOG_ANSWERING, LOG_REGISTERED, LOG_TERMINATED,
};
use support::{free_udp_port, run, transcribe, workspace_root, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

const AGENTS: &str = "\
agents:
  - id: agent1
    name: Alice
    password: alice-secret
    skills: [support]
  - id: agent2
    name: Bob
    password: bob-secret
    skills: [support]
";

fn queues(ring_timeout: &str, wrap_up: &str) -> String {
    format!(
        "queues:\n  support:\n    skills: [support]\n    max_wait: 3m\n    overflow: voicemail\n    \
         ring_timeout: {ring_timeout}\n    wrap_up: {wrap_up}\n    announce_every: 40s\n"
    )
}

fn server_with_agents(dir: &TempDir, queues_yaml: &str, rtp_min: u16) -> Server {
    let mut options = ServerOptions::new(rtp_min);
    options.agents_yaml = Some(AGENTS.to_string());
    options.queues_yaml = Some(queues_yaml.to_string());
    options.register_min_expires = Some("2s".into());
    Server::start(dir, &options)
}

fn secs(s: u64) -> Segment<'static> {
    Segment::Silence(Duration::from_secs(s))
}

fn say(text: &str) -> Segment<'_> {
    Segment::Say {
        text,
        voice: "en-us",
    }
}

/// An agent that greets the caller twice (the first may fall into the whisper).
fn agent_speech(dir: &TempDir, name: &str, line: &str) -> std::path::PathBuf {
    timeline_wav(
        dir.path(),
        name,
        &[secs(6), say(line), secs(6), say(line), secs(6), say(line)],
    )
}

fn register(
    dir: &TempDir,
    server: &Server,
    user: &str,
    password: &str,
    line: &str,
    rtp: u16,
) -> Baresip {
    let speech = agent_speech(dir, &format!("{user}-speech"), line);
    let phone = Baresip::agent(
        dir,
        user,
        server.sip,
        user,
        password,
        &speech,
        free_udp_port(),
        rtp,
    );
    assert!(
        phone.wait_for_log(LOG_REGISTERED, Duration::from_secs(15)),
        "{user} did not register:\n{}\nserver log:\n{}",
        phone.log_text(),
        server.log_text()
    );
    phone
}

fn call_hotline(
    dir: &TempDir,
    server: &Server,
    name: &str,
    wav: &std::path::Path,
    rtp: u16,
) -> Baresip {
    Baresip::caller(
        dir,
        name,
        &format!("sip:hotline@{}", server.sip),
        wav,
        free_udp_port(),
        rtp,
        Duration::from_secs(120),
    )
}

/// Waits until the phone's call has ended (it stays running until its own timeout otherwise).
fn hung_up(phone: &Baresip, timeout: Duration) {
    assert!(
        phone.wait_for_log(LOG_TERMINATED, timeout),
        "{}'s call did not end:\n{}",
        phone.name,
        phone.log_text()
    );
    // sndfile closes its recordings as the call is torn down.
    std::thread::sleep(Duration::from_millis(500));
}

/// `GET path` on the admin API with the server's token: (status, body).
fn http_get(server: &Server, path: &str) -> (u16, String) {
    server.api("GET", path, None)
}

/// The newest call's record, once it has ended.
fn finished_newest(server: &Server) -> support::CallRecord {
    server.wait_for_finished_call(&server.newest_call(), Duration::from_secs(30))
}

fn record_of(server: &Server, sip_call: &str) -> support::CallRecord {
    server.wait_for_finished_call(sip_call, Duration::from_secs(30))
}

#[test]
fn a_caller_asking_for_a_person_is_bridged_to_the_longest_idle_agent_both_ways() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("handoff-bridge");
    let server = server_with_agents(&dir, &queues("10s", "2s"), 20_000);
    let alice = register(
        &dir,
        &server,
        "agent1",
        "alice-secret",
        "Hello, this is Alice from customer support.",
        31_000,
    );
    // Bob registers later, so Alice has been idle longest.
    std::thread::sleep(Duration::from_secs(1));
    let bob = register(
        &dir,
        &server,
        "agent2",
        "bob-secret",
        "Hi, Bob speaking.",
        31_200,
    );

    let caller_wav = timeline_wav(
        dir.path(),
        "caller",
        &[
            secs(10),
            say("I want to talk to a person."),
            secs(22),
            say("My parcel never arrived."),
            secs(12),
        ],
    );
    let caller = call_hotline(&dir, &server, "caller", &caller_wav, 31_400);
    hung_up(&caller, Duration::from_secs(110));
    let record = finished_newest(&server);

    assert!(
        alice.log_text().contains(LOG_ANSWERING),
        "Alice (longest idle) was not rung:\n{}",
        record.text
    );
    assert!(
        !bob.log_text().contains(LOG_ANSWERING),
        "Bob should not have been rung:\n{}",
        record.text
    );
    assert!(
        record.text.contains("bridged to agent agent1"),
        "{}",
        record.text
    );
    assert!(
        record.text.contains("handoff to queue support"),
        "{}",
        record.text
    );
    // The caller hung up: the agent's call ended too.
    assert!(
        alice.wait_for_log(LOG_TERMINATED, Duration::from_secs(10)),
        "the agent's leg did not end with the caller's:\n{}",
        alice.log_text()
    );

    let agent_heard = transcribe(&alice.recording_heard().expect("Alice's recording"));
    assert!(
        agent_heard.contains("reason"),
        "the agent did not hear the whisper: {agent_heard:?}"
    );
    assert!(
        agent_heard.contains("never arrived"),
        "the agent did not hear the caller: {agent_heard:?}\n{}",
        record.text
    );
    let caller_heard = transcribe(&caller.recording_heard().expect("the caller's recording"));
    assert!(
        caller_heard.contains("alice"),
        "the caller did not hear the agent: {caller_heard:?}\n{}",
        record.text
    );

    // The ticket travelled with the call and is readable through the admin API.
    let ticket = record
        .text
        .lines()
        .find_map(|l| l.split("ticket ").nth(1))
        .map(|t| t.split([' ', ',', ')']).next().unwrap_or("").to_string())
        .expect("a ticket id on the record");
    let (status, body) = http_get(&server, &format!("/api/tickets/{ticket}"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("talk to a person"), "{body}");
    assert!(body.contains("caller asked for a person"), "{body}");
    let metrics = http_get(&server, "/metrics").1;
    assert!(
        metrics.contains("hotline_queue_answered_total{queue=\"support\"} 1"),
        "{metrics}"
    );
}

#[test]
fn an_agent_who_does_not_answer_is_skipped_and_the_next_one_takes_the_call() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("handoff-noanswer");
    let server = server_with_agents(&dir, &queues("4s", "2s"), 20_000);
    // Alice is idle longest but her phone only rings.
    let speech = agent_speech(&dir, "alice-speech", "Hello, this is Alice.");
    let alice = Baresip::agent_manual(
        &dir,
        "agent1",
        server.sip,
        "agent1",
        "alice-secret",
        &speech,
        free_udp_port(),
        31_000,
    );
    assert!(alice.wait_for_log(LOG_REGISTERED, Duration::from_secs(15)));
    std::thread::sleep(Duration::from_secs(1));
    let bob = register(
        &dir,
        &server,
        "agent2",
        "bob-secret",
        "Hi, Bob speaking.",
        31_200,
    );

    let caller_wav = timeline_wav(
        dir.path(),
        "caller",
        &[secs(10), say("I want to talk to a person."), secs(30)],
    );
    let caller = call_hotline(&dir, &server, "caller", &caller_wav, 31_400);
    hung_up(&caller, Duration::from_secs(90));
    let record = finished_newest(&server);
    assert!(
        record.text.contains("agent agent1 did not answer"),
        "{}",
        record.text
    );
    assert!(
        record.text.contains("bridged to agent agent2"),
        "{}",
        record.text
    );
    assert!(bob.log_text().contains(LOG_ANSWERING));
    let caller_heard = transcribe(&caller.recording_heard().expect("the caller's recording"));
    assert!(caller_heard.contains("bob"), "{caller_heard:?}");
    let agents = hotline_agents(&server, &["list"]);
    assert!(agents.contains("agent1"), "{agents}");
}

#[test]
fn a_second_caller_hears_its_place_and_is_put_through_when_the_first_call_ends() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("handoff-two-callers");
    let server = server_with_agents(&dir, &queues("10s", "1s"), 20_000);
    let alice = register(
        &dir,
        &server,
        "agent1",
        "alice-secret",
        "Hello, this is Alice from customer support.",
        31_000,
    );

    let first_wav = timeline_wav(
        dir.path(),
        "first",
        &[secs(10), say("I want to talk to a person."), secs(24)],
    );
    let second_wav = timeline_wav(
        dir.path(),
        "second",
        &[secs(10), say("I want to talk to a person."), secs(60)],
    );
    let first = call_hotline(&dir, &server, "first", &first_wav, 31_400);
    std::thread::sleep(Duration::from_secs(6));
    let second = call_hotline(&dir, &server, "second", &second_wav, 31_600);
    hung_up(&first, Duration::from_secs(90));
    hung_up(&second, Duration::from_secs(120));

    let list = server.calls_list();
    let ids: Vec<String> = list
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 2, "{list}");
    // Newest first.
    let second_record = record_of(&server, &ids[0]);
    let first_record = record_of(&server, &ids[1]);
    assert!(
        first_record.text.contains("bridged to agent agent1"),
        "{}",
        first_record.text
    );
    assert!(
        second_record
            .text
            .contains("queued in support at position 1"),
        "{}",
        second_record.text
    );
    assert!(
        second_record.text.contains("bridged to agent agent1"),
        "the second caller was not put through after the first call ended:\n{}",
        second_record.text
    );
    let heard = transcribe(
        &second
            .recording_heard()
            .expect("the second caller's recording"),
    );
    assert!(heard.contains("next in the queue"), "{heard:?}");
    assert!(heard.contains("alice"), "{heard:?}");
    assert!(alice.log_text().matches(LOG_ANSWERING).count() >= 2);
}

#[test]
fn a_caller_who_hangs_up_while_waiting_is_abandoned_and_counted() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("handoff-abandon");
    let server = server_with_agents(&dir, &queues("10s", "1s"), 20_000);
    let _alice = register(&dir, &server, "agent1", "alice-secret", "Hello.", 31_000);
    // The only agent goes to lunch through the CLI: logged in, so callers wait rather than overflow.
    let paused = hotline_agents(&server, &["pause", "agent1", "--reason", "lunch"]);
    assert!(paused.contains("paused"), "{paused}");
    let list = hotline_agents(&server, &["list"]);
    let line = agent_line(&list, "agent1");
    assert!(line.contains("paused") && line.contains("lunch"), "{list}");

    let caller_wav = timeline_wav(
        dir.path(),
        "caller",
        &[secs(10), say("I want to talk to a person."), secs(14)],
    );
    let caller = call_hotline(&dir, &server, "caller", &caller_wav, 31_400);
    hung_up(&caller, Duration::from_secs(60));
    let record = finished_newest(&server);
    assert!(record.text.contains("queued in support"), "{}", record.text);
    assert!(!record.text.contains("bridged"), "{}", record.text);
    let (status, queues) = http_get(&server, "/api/queues");
    assert_eq!(status, 200);
    assert!(queues.contains("\"abandoned\":1"), "{queues}");
    let metrics = http_get(&server, "/metrics").1;
    assert!(
        metrics.contains("hotline_queue_abandoned_total{queue=\"support\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hotline_agent_state{agent=\"agent1\",state=\"paused\"} 1"),
        "{metrics}"
    );
    // The pause is in the agent's stored history, newest first.
    let (status, history) = http_get(&server, "/api/agents/agent1/history");
    assert_eq!(status, 200);
    assert!(
        history.starts_with("[{\"agent\":\"agent1\",\"state\":\"paused\",\"reason\":\"lunch\""),
        "{history}"
    );
}

#[test]
fn an_expired_registration_logs_the_agent_out() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("handoff-expiry");
    let server = server_with_agents(&dir, &queues("10s", "1s"), 20_000);
    let speech = agent_speech(&dir, "alice-speech", "Hello.");
    let mut alice = Baresip::agent_with_regint(
        &dir,
        "agent1",
        server.sip,
        "agent1",
        "alice-secret",
        &speech,
        free_udp_port(),
        31_000,
        3,
    );
    assert!(alice.wait_for_log(LOG_REGISTERED, Duration::from_secs(15)));
    let list = hotline_agents(&server, &["list"]);
    assert!(agent_line(&list, "agent1").contains("available"), "{list}");
    // The phone dies without un-registering; its 3 s binding runs out.
    alice.kill();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = hotline_agents(&server, &["list"]);
        if agent_line(&list, "agent1").contains("logged_out") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still logged in: {list}\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        log_shows(&server, "agent1 logged out: registration expired"),
        "{}",
        server.log_text()
    );
}

#[test]
fn a_phone_with_the_wrong_password_is_refused() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("handoff-badpass");
    let server = server_with_agents(&dir, &queues("10s", "1s"), 20_000);
    let speech = agent_speech(&dir, "speech", "Hello.");
    let phone = Baresip::agent(
        &dir,
        "agent1",
        server.sip,
        "agent1",
        "not-the-password",
        &speech,
        free_udp_port(),
        31_000,
    );
    assert!(
        phone.wait_for_log("403 Forbidden", Duration::from_secs(15)),
        "{}",
        phone.log_text()
    );
    let list = hotline_agents(&server, &["list"]);
    assert!(!agent_line(&list, "agent1").contains("available"), "{list}");
}

/// The line of `hotline agents list` about one agent.
fn agent_line<'a>(list: &'a str, agent: &str) -> &'a str {
    list.lines()
        .find(|l| l.split_whitespace().next() == Some(agent))
        .unwrap_or_else(|| panic!("{agent} is not listed:\n{list}"))
}

/// Whether the server log shows `needle` within a few seconds (it is written after the reply).
fn log_shows(server: &Server, needle: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if server.log_text().contains(needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// `hotline agents ARGS --admin URL` against the test server; its stdout (panics on failure).
fn hotline_agents(server: &Server, args: &[&str]) -> String {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("agents")
        .args(args)
        .arg("--admin")
        .arg(format!("http://{}", server.admin))
        .env("HOTLINE_TOKEN", &server.token));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "hotline agents {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// One REGISTER for agent1 from `socket`, with an Authorization header when given; the reply.
fn register_raw(
    socket: &std::net::UdpSocket,
    server: SocketAddr,
    cseq: u32,
    auth: Option<&str>,
) -> String {
    let local = socket.local_addr().unwrap();
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "REGISTER sip:{server} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK-throttle-{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:agent1@{server}>;tag=throttle\r\n\
         To: <sip:agent1@{server}>\r\n\
         Call-ID: throttle-{}@127.0.0.1\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <sip:agent1@{local}>;expires=60\r\n\
         {auth}Content-Length: 0\r\n\r\n",
        local.port()
    );
    socket.send_to(request.as_bytes(), server).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = socket.recv_from(&mut buf).expect("a reply to REGISTER");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn md5_hex(text: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The Authorization header for agent1 with `password` against `nonce`, nonce count `nc`.
fn digest(server: SocketAddr, password: &str, nonce: &str, nc: u32) -> String {
    let uri = format!("sip:{server}");
    let ha1 = md5_hex(&format!("agent1:hotline:{password}"));
    let ha2 = md5_hex(&format!("REGISTER:{uri}"));
    let nc = format!("{nc:08x}");
    let response = md5_hex(&format!("{ha1}:{nonce}:{nc}:abcdef:auth:{ha2}"));
    format!(
        "Digest username=\"agent1\", realm=\"hotline\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"{response}\", cnonce=\"abcdef\", qop=auth, nc={nc}, algorithm=MD5"
    )
}

#[test]
fn wrong_passwords_get_403_and_repeated_failures_from_one_address_are_throttled() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("handoff-throttle");
    let server = server_with_agents(&dir, &queues("10s", "1s"), 20_000);
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let challenge = register_raw(&socket, server.sip, 1, None);
    assert!(challenge.starts_with("SIP/2.0 401"), "{challenge}");
    let nonce = challenge
        .split("nonce=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no nonce in {challenge}"))
        .to_string();
    for attempt in 1..=5u32 {
        let reply = register_raw(
            &socket,
            server.sip,
            1 + attempt,
            Some(&digest(server.sip, "guess", &nonce, attempt)),
        );
        assert!(
            reply.starts_with("SIP/2.0 403"),
            "attempt {attempt}: {reply}"
        );
    }
    // The right password now: still refused, because this address is locked out.
    let reply = register_raw(
        &socket,
        server.sip,
        7,
        Some(&digest(server.sip, "alice-secret", &nonce, 6)),
    );
    assert!(reply.starts_with("SIP/2.0 403"), "{reply}");
    assert!(
        log_shows(&server, "too many failures"),
        "{}",
        server.log_text()
    );
    let agents = hotline_agents(&server, &["list"]);
    assert!(
        !agent_line(&agents, "agent1").contains("available"),
        "{agents}"
    );

    // Another address with the right password gets in.
    let other = std::net::UdpSocket::bind("127.0.0.2:0").unwrap();
    other
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let challenge = register_raw(&other, server.sip, 1, None);
    let nonce = challenge
        .split("nonce=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let reply = register_raw(
        &other,
        server.sip,
        2,
        Some(&digest(server.sip, "alice-secret", &nonce, 1)),
    );
    assert!(reply.starts_with("SIP/2.0 200"), "{reply}");
    let agents = hotline_agents(&server, &["list"]);
    assert!(
        agent_line(&agents, "agent1").contains("available"),
        "{agents}"
    );
}

#[test]
fn an_external_agent_gets_the_ticket_in_call_info_and_its_hangup_ends_the_call() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("handoff-desk");
    let desk_port = free_udp_port();
    let mut options = ServerOptions::new(20_000);
    options.agents_yaml = Some(format!(
        "agents:\n  - id: desk\n    name: Front desk\n    uri: sip:desk@127.0.0.1:{desk_port}\n    skills: [support]\n"
    ));
    options.queues_yaml = Some(queues("10s", "1s"));
    let server = Server::start(&dir, &options);

    let caller_wav = timeline_wav(
        dir.path(),
        "caller",
        &[secs(10), say("I want to talk to a person."), secs(50)],
    );
    std::thread::scope(|scope| {
        let desk = scope.spawn(|| {
            let mut call =
                support::sipp::SippCall::new("agent_desk_uas.xml", server.sip, "e2e-desk");
            call.sip_port = Some(desk_port);
            call.timeout = Duration::from_secs(90);
            call.run(&dir)
        });
        let caller = call_hotline(&dir, &server, "caller", &caller_wav, 31_400);
        hung_up(&caller, Duration::from_secs(90));
        desk.join().expect("SIPp thread").assert_success(
            "the desk phone got Call-Info and X-Hotline-Summary, answered, hung up",
        );
    });
    let record = finished_newest(&server);
    assert!(
        record.text.contains("bridged to agent desk"),
        "{}",
        record.text
    );
    assert_eq!(
        record.cause.as_deref(),
        Some("agent-hangup"),
        "{}",
        record.text
    );
}

#[test]
fn a_crash_during_a_bridged_call_keeps_the_recording_on_disk_up_to_its_last_second() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("handoff-crash");
    let mut server = server_with_agents(&dir, &queues("10s", "2s"), 20_000);
    let _alice = register(
        &dir,
        &server,
        "agent1",
        "alice-secret",
        "Hello, this is Alice from customer support.",
        31_000,
    );
    let caller_wav = timeline_wav(
        dir.path(),
        "caller",
        &[
            secs(10),
            say("I want to talk to a person."),
            secs(25),
            say("My parcel never arrived."),
            secs(60),
        ],
    );
    let _caller = call_hotline(&dir, &server, "caller", &caller_wav, 31_400);

    // Once bridged, let the conversation run, then kill the server (SIGKILL, no clean-up).
    let deadline = Instant::now() + Duration::from_secs(120);
    while !server.log_text().contains("bridged to agent agent1") {
        assert!(
            Instant::now() < deadline,
            "the call was never bridged:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let bridged_at = Instant::now();
    std::thread::sleep(Duration::from_secs(25));
    let bridged_for = bridged_at.elapsed().as_secs_f64();
    server.crash();

    let recordings: Vec<_> = std::fs::read_dir(dir.join("recordings"))
        .expect("a recordings directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with("-bridge.wav"))
        .collect();
    assert_eq!(recordings.len(), 1, "bridge recordings: {recordings:?}");
    let reader = hound::WavReader::open(&recordings[0])
        .unwrap_or_else(|e| panic!("the recording left by the crash is not a WAV: {e}"));
    assert_eq!(reader.spec().channels, 2, "caller left, agent right");
    let seconds = f64::from(reader.duration()) / f64::from(reader.spec().sample_rate);
    // At most the last second is lost (plus the moment between the log line and the kill).
    assert!(
        seconds >= bridged_for - 2.5,
        "{seconds:.1} s on disk after {bridged_for:.1} s bridged"
    );
    // Each side on its own, as a supervisor listening to one channel would.
    let samples: Vec<i16> = reader
        .into_samples::<i16>()
        .map(|s| s.expect("a sample"))
        .collect();
    for (channel, name, words) in [(0, "caller", "never arrived"), (1, "agent", "alice")] {
        let mono = dir.join(&format!("{name}-channel.wav"));
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&mono, spec).expect("a mono WAV");
        for frame in samples.chunks(2) {
            writer.write_sample(frame[channel]).expect("write");
        }
        writer.finalize().expect("finalize");
        let heard = transcribe(&mono);
        assert!(
            heard.contains(words),
            "the {name}'s words are not on the {name}'s channel: {heard:?}"
        );
    }
}
