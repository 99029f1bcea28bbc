//! The registrar with hashed passwords, across a restart: `hotline agents passwd` turns an
//! agent's password into HA1 hashes, a real baresip phone registers with that password (the
//! server knows only the hashes), the server is killed and started again on the same directory,
//! and the agent is still logged in and is rung for a caller who asks for a person, without its
//! phone registering again. Once the password is changed, the old binding is not restored.
//!
//! Runs in its own private network namespace (baresip binds the outward address otherwise).

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::audio::{timeline_wav, Segment};
use support::baresip::{enter_private_network, Baresip, LOG_ANSWERING, LOG_REGISTERED};
use support::{free_udp_port, run, workspace_root, Server, ServerOptions, TempDir};

const PLAIN_AGENTS: &str = "\
# Agents for the restart test.
agents:
  - id: agent1
    name: Alice
    password: alice-secret
    skills: [support]
";

const QUEUES: &str = "queues:\n  support:\n    skills: [support]\n    max_wait: 3m\n    \
    overflow: voicemail\n    ring_timeout: 15s\n    wrap_up: 2s\n    announce_every: 40s\n";

const PASSWORD: &str = "violet-harbour-lamp-42";

/// agents.yaml after `hotline agents passwd agent1` with `password`, made in a scratch
/// directory.
fn hashed_agents(dir: &TempDir, password: &str) -> String {
    let file = dir.write("passwd-agents.yaml", PLAIN_AGENTS);
    let config = dir.write(
        "passwd.yaml",
        &format!("agents:\n  file: {}\n", file.display()),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--config")
        .arg(&config)
        .args(["agents", "passwd", "agent1", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hotline runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("ha1_sha256:") && !text.contains("password:"),
        "{text}"
    );
    text
}

/// `hotline agents list` against the server: its stdout.
fn agents_list(server: &Server) -> String {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["agents", "list", "--admin"])
        .arg(format!("http://{}", server.admin))
        .env("HOTLINE_TOKEN", &server.token));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn agent1_line(list: &str) -> String {
    list.lines()
        .find(|l| l.split_whitespace().next() == Some("agent1"))
        .unwrap_or_else(|| panic!("agent1 is not listed:\n{list}"))
        .to_string()
}

#[test]
fn an_agent_registered_with_a_hashed_password_is_still_reachable_after_a_restart() {
    enter_private_network();
    let dir = TempDir::new("registrar-restart");
    let mut options = ServerOptions::new(20_000);
    options.agents_yaml = Some(hashed_agents(&dir, PASSWORD));
    options.queues_yaml = Some(QUEUES.into());
    let mut server = Server::start(&dir, &options);
    assert!(
        !server.log_text().contains("kept in clear"),
        "{}",
        server.log_text()
    );

    // A real phone registers with the password; the server holds only its hashes. It asks for
    // an hour, so it does not register again during the test.
    let speech = timeline_wav(
        dir.path(),
        "alice-speech",
        &[
            Segment::Silence(Duration::from_secs(6)),
            Segment::Say {
                text: "Hello, this is Alice.",
                voice: "en-us",
            },
            Segment::Silence(Duration::from_secs(20)),
        ],
    );
    let alice = Baresip::agent_with_regint(
        &dir,
        "agent1",
        server.sip,
        "agent1",
        PASSWORD,
        &speech,
        free_udp_port(),
        31_000,
        3600,
    );
    assert!(
        alice.wait_for_log(LOG_REGISTERED, Duration::from_secs(15)),
        "agent1 did not register with its hashed password:\n{}\nserver log:\n{}",
        alice.log_text(),
        server.log_text()
    );
    let list = agents_list(&server);
    assert!(agent1_line(&list).contains("available"), "{list}");

    // A crash and a restart on the same directory: the registration comes back from the store.
    server.crash();
    let mut server = Server::start(&dir, &options);
    let list = agents_list(&server);
    assert!(
        agent1_line(&list).contains("available"),
        "agent1 is not logged in after the restart:\n{list}\n{}",
        server.log_text()
    );
    assert!(
        server
            .log_text()
            .contains("agent agent1 still registered from"),
        "{}",
        server.log_text()
    );
    let (status, body) = server.api("GET", "/api/agents", None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"agent1\""), "{body}");

    // A caller asks for a person: the phone is rung at the address it registered from.
    let caller_wav = timeline_wav(
        dir.path(),
        "caller",
        &[
            Segment::Silence(Duration::from_secs(10)),
            Segment::Say {
                text: "I want to talk to a person.",
                voice: "en-us",
            },
            Segment::Silence(Duration::from_secs(25)),
        ],
    );
    let _caller = Baresip::caller(
        &dir,
        "caller",
        &format!("sip:hotline@{}", server.sip),
        &caller_wav,
        free_udp_port(),
        31_400,
        Duration::from_secs(90),
    );
    let deadline = Instant::now() + Duration::from_secs(80);
    while !alice.log_text().contains(LOG_ANSWERING) {
        assert!(
            Instant::now() < deadline,
            "the restored agent was never rung:\n{}\nserver log:\n{}",
            alice.log_text(),
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        alice.log_text().matches(LOG_REGISTERED).count(),
        1,
        "the phone registered again:\n{}",
        alice.log_text()
    );

    // The password is changed (say it leaked) and the server restarted: a binding made with
    // the old password is not restored.
    server.crash();
    options.agents_yaml = Some(hashed_agents(&dir, "amber-kettle-orchard-77"));
    let server = Server::start(&dir, &options);
    let list = agents_list(&server);
    assert!(
        agent1_line(&list).contains("logged_out"),
        "a binding made with the old password came back:\n{list}\n{}",
        server.log_text()
    );
    assert!(
        server
            .log_text()
            .contains("agent agent1: registration from before the restart dropped"),
        "{}",
        server.log_text()
    );
}
