//! SIPVicious, the scanner family real attackers run against SIP ports, aimed at the real
//! `hotline serve` from another host while a real softphone call is in progress.
//!
//! The test thread enters a private network namespace (loopback only) and makes a second
//! namespace, the attacker's host, joined to it by a veth pair: the server listens on
//! 10.77.0.1, the attacker sends from 10.77.0.2, and the customer's baresip calls from
//! 127.0.0.1. Nothing leaves the machine. The attacker's network may register (remote agents
//! do) and ping, but not call. What a user checks: `svwar` finds no extension, `svcrack` cracks
//! no password even with the right one in its dictionary, the server logs the attacker without
//! a line per packet, and the customer's call completes with the right answer.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use support::baresip::{enter_private_network, Baresip, LOG_ESTABLISHED};
use support::sipp::SippCall;
use support::{audio, run, run_ok, workspace_root, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

const SERVER_IP: &str = "10.77.0.1";
const ATTACKER_IP: &str = "10.77.0.2";
const AGENT_PASSWORD: &str = "Quartz-Lantern-48-Meadow";

/// The attacker's host: a network namespace holding one end of a veth pair whose other end is
/// in the test's own namespace. Deleted when dropped.
struct AttackerHost {
    name: String,
}

impl AttackerHost {
    fn create() -> AttackerHost {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "hotline-scan-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run_ok(Command::new("ip").args([
            "link", "add", "hlscan0", "type", "veth", "peer", "name", "hlscan1",
        ]));
        run_ok(Command::new("ip").args(["netns", "add", &name]));
        let host = AttackerHost { name };
        run_ok(Command::new("ip").args(["link", "set", "hlscan1", "netns", &host.name]));
        run_ok(Command::new("ip").args([
            "addr",
            "add",
            &format!("{SERVER_IP}/24"),
            "dev",
            "hlscan0",
        ]));
        run_ok(Command::new("ip").args(["link", "set", "hlscan0", "up"]));
        for args in [
            vec![
                "addr",
                "add",
                &format!("{ATTACKER_IP}/24"),
                "dev",
                "hlscan1",
            ],
            vec!["link", "set", "hlscan1", "up"],
            vec!["link", "set", "lo", "up"],
        ] {
            run_ok(
                Command::new("ip")
                    .args(["netns", "exec", &host.name, "ip"])
                    .args(args),
            );
        }
        host
    }
}

/// Runs a SIPVicious tool on the attacker's host (namespace `host`), its state kept in `home`.
fn attack(host: &str, home: &Path, tool: &str, args: &[&str]) -> Output {
    run(Command::new("ip")
        .args(["netns", "exec", host, "timeout", "150", tool])
        .args(args)
        .env("HOME", home))
}

impl Drop for AttackerHost {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn sipvicious_finds_no_extension_cracks_no_password_and_a_customer_call_still_completes() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let attacker = AttackerHost::create();
    let dir = TempDir::new("scan");
    let mut options = ServerOptions::new(support::free_udp_ports(100));
    options.listen = Some(format!("{SERVER_IP}:5060"));
    // Calls only from the customer side (loopback, standing in for the trunk); agents may
    // register from the other network, as remote agents do, and anyone there may ping.
    options.sip.push((
        "allowed".into(),
        format!("{{call: [127.0.0.0/8], register: [127.0.0.0/8, {ATTACKER_IP}/32], other: [127.0.0.0/8, {ATTACKER_IP}/32]}}"),
    ));
    // baresip offers media on the veth's address (10.77.0.1), the customer side's.
    options.rtp.push((
        "allowed_networks".into(),
        format!("[127.0.0.0/8, {SERVER_IP}/32]"),
    ));
    options.agents_yaml = Some(format!(
        "realm: hotline\nagents:\n  - id: \"1001\"\n    name: Agent One\n    password: {AGENT_PASSWORD}\n    skills: [support]\n  - id: \"1002\"\n    name: Agent Two\n    password: Copper-Violin-93-Harbour\n    skills: [support]\n"
    ));
    let server = Server::start(&dir, &options);
    let port = server.sip.port().to_string();
    let home = dir.join("attacker");
    std::fs::create_dir_all(&home).expect("the attacker's home");

    // The customer's call: silence while the greeting plays, the question, time for the answer.
    let question = dir.join("question.wav");
    audio::espeak_wav("How long does shipping take?", &question);
    let caller = dir.join("caller.wav");
    run_ok(
        Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
            .arg(dir.join("lead.wav"))
            .args(["trim", "0", "6"]),
    );
    let question8k = dir.join("question8k.wav");
    run_ok(
        Command::new("sox")
            .arg(&question)
            .args(["-r", "8000", "-c", "1", "-b", "16"])
            .arg(&question8k),
    );
    run_ok(
        Command::new("sox")
            .arg(dir.join("lead.wav"))
            .arg(&question8k)
            .arg(dir.join("lead.wav"))
            .arg(dir.join("lead.wav"))
            .arg(&caller),
    );

    // The scan runs beside the call.
    let scan = {
        let home = home.clone();
        let name = attacker.name.clone();
        let port = port.clone();
        thread::spawn(move || {
            let found = attack(&name, &home, "svmap", &[&format!("-p{port}"), SERVER_IP]);
            let war_register = attack(
                &name,
                &home,
                "svwar",
                &["-e1000-1010", "-m", "REGISTER", "-p", &port, SERVER_IP],
            );
            let war_invite = attack(
                &name,
                &home,
                "svwar",
                &["-e1000-1010", "-m", "INVITE", "-p", &port, SERVER_IP],
            );
            let dictionary = home.join("passwords.txt");
            std::fs::write(
                &dictionary,
                format!("1234\n1001\npassword\nsecret\n123456\nadmin\nletmein\n1001-secret\nqwerty\n{AGENT_PASSWORD}\n0000\n"),
            )
            .expect("write the dictionary");
            let crack = attack(
                &name,
                &home,
                "svcrack",
                &[
                    "-u",
                    "1001",
                    "-d",
                    &dictionary.display().to_string(),
                    "-p",
                    &port,
                    SERVER_IP,
                ],
            );
            let crack_range = attack(
                &name,
                &home,
                "svcrack",
                &["-u", "1002", "-r", "1-3000", "-p", &port, SERVER_IP],
            );
            (found, war_register, war_invite, crack, crack_range)
        })
    };
    let mut customer = Baresip::caller(
        &dir,
        "customer",
        &format!("sip:hotline@{SERVER_IP}:{port}"),
        &caller,
        support::free_udp_ports(1),
        support::free_udp_ports(20),
        Duration::from_secs(60),
    );
    let (found, war_register, war_invite, crack, crack_range) =
        scan.join().expect("the scan thread");
    if customer.wait_exit(Duration::from_secs(90)).is_none() {
        customer.kill();
    }

    // svmap sees a SIP server (pings are allowed from there): the scan really reached it.
    let said = text(&found);
    assert!(
        said.contains(&format!("{SERVER_IP}:{port}")),
        "svmap:\n{said}"
    );
    // The registrar challenges every name alike, so svwar cannot tell real extensions.
    let said = text(&war_register);
    assert!(said.contains("found nothing"), "svwar REGISTER:\n{said}");
    assert!(
        !said.contains("1001") && !said.contains("1002"),
        "svwar REGISTER:\n{said}"
    );
    // Calls from that network are refused statelessly: nothing to enumerate either.
    let said = text(&war_invite);
    assert!(
        !said.contains("1001") && !said.contains("1002"),
        "svwar INVITE:\n{said}"
    );
    assert!(
        !said.contains("reqauth") && !said.contains("noauth"),
        "svwar INVITE:\n{said}"
    );
    // The right password is tenth in the dictionary, after the lockout's five failures.
    let said = text(&crack);
    assert!(
        !said.contains(AGENT_PASSWORD),
        "svcrack cracked it:\n{said}"
    );
    assert!(!said.contains("| 1001"), "svcrack:\n{said}");
    let said = text(&crack_range);
    assert!(!said.contains("| 1002"), "svcrack over 1-3000:\n{said}");

    // Throttled and logged: the lockout and the refusals name the attacker, without a line per
    // guess (svcrack's 3,000 guesses alone are far more than this).
    let log = server.log_text();
    let about_attacker = log.lines().filter(|l| l.contains(ATTACKER_IP)).count();
    assert!(
        log.contains("too many failures"),
        "no lockout in the server log:\n{log}"
    );
    assert!(
        (1..200).contains(&about_attacker),
        "{about_attacker} log lines name the attacker:\n{log}"
    );

    // The customer's call, placed during the scan, was answered and heard the right answer.
    let baresip_log = customer.log_text();
    assert!(
        baresip_log.contains(LOG_ESTABLISHED),
        "the customer did not get through:\n{baresip_log}\nserver log:\n{log}"
    );
    let heard = customer
        .recording_heard()
        .unwrap_or_else(|| panic!("the customer recorded nothing:\n{baresip_log}"));
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("transcribe")
        .arg(&heard));
    let transcript = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(
        transcript.contains("working days"),
        "the customer did not hear the delivery answer: {transcript:?}\nserver log:\n{log}"
    );
    drop(attacker);
}

/// The server's resident memory, from `/proc/PID/status`, in kB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn an_invite_flood_from_one_address_is_dropped_and_a_customer_call_still_completes() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let attacker = AttackerHost::create();
    let dir = TempDir::new("flood");
    let mut options = ServerOptions::new(support::free_udp_ports(100));
    options.listen = Some(format!("{SERVER_IP}:5060"));
    // Only the customer side (loopback, the trunk) may call.
    options
        .sip
        .push(("allowed".into(), "{call: [127.0.0.0/8]}".into()));
    options.rtp.push((
        "allowed_networks".into(),
        format!("[127.0.0.0/8, {SERVER_IP}/32]"),
    ));
    let server = Server::start(&dir, &options);
    let port = server.sip.port().to_string();
    let before = rss_kb(server.pid());

    // SIPp's own UAC scenario as fast as it goes, for 20 s, from the attacker's host.
    let flood = {
        let name = attacker.name.clone();
        let target = format!("{SERVER_IP}:{port}");
        thread::spawn(move || {
            run(Command::new("ip").args([
                "netns",
                "exec",
                &name,
                "timeout",
                "60",
                "sipp",
                "-sn",
                "uac",
                &target,
                "-i",
                ATTACKER_IP,
                "-p",
                "5070",
                "-r",
                "20000",
                "-l",
                "200000",
                "-m",
                "400000",
                "-timeout",
                "20s",
                "-nostdin",
                "-bg",
            ]))
        })
    };
    // Meanwhile the customer (SIPp, a light caller, from loopback) says goodbye and is heard.
    let wav = dir.join("goodbye.wav");
    audio::espeak_wav("No thanks, that's all. Goodbye.", &wav);
    audio::wav_to_ulaw(
        &wav,
        &dir.join("caller.ul"),
        Duration::from_secs(4),
        Duration::from_secs(3),
    );
    thread::sleep(Duration::from_secs(3));
    let mut peak = before;
    let mut call = SippCall::new("caller_goodbye.xml", server.sip, "e2e-flood-customer");
    call.timeout = Duration::from_secs(100);
    let outcome = call.run(&dir);
    peak = peak.max(rss_kb(server.pid()));
    let _ = flood.join();
    // The flood ends within SIPp's 20 s; sample the memory until then.
    for _ in 0..20 {
        peak = peak.max(rss_kb(server.pid()));
        thread::sleep(Duration::from_millis(500));
    }
    outcome.assert_success("the customer says goodbye during the flood and Hotline hangs up");
    let record = server.wait_for_finished_call(&call.call_id(), Duration::from_secs(30));
    assert!(
        record.matched.iter().any(|intent| intent == "goodbye"),
        "the customer's goodbye was not understood during the flood\n{}",
        record.text
    );

    // The flood met the limit: blocked, dropped unanswered, logged once per interval.
    let log = server.log_text();
    let dropped: u64 = log
        .lines()
        .filter(|l| l.contains(ATTACKER_IP))
        .filter_map(|l| l.split("dropped=").nth(1))
        .filter_map(|n| n.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    let lines = log.lines().filter(|l| l.contains(ATTACKER_IP)).count();
    assert!(
        log.contains(&format!(
            "SIP flood: source blocked, its requests are dropped (sip.flood) source={ATTACKER_IP}"
        )),
        "the flood was never blocked:\n{log}"
    );
    assert!(dropped > 1000, "only {dropped} requests dropped:\n{log}");
    assert!(lines < 100, "{lines} log lines about the flood:\n{log}");
    // Stateless refusals and drops keep no state per request: memory stays bounded.
    let grown_mb = peak.saturating_sub(before) / 1024;
    println!(
        "flood: {dropped} requests dropped (INVITEs and their retransmissions, about {} per second over 20 s), {lines} log lines, server memory {} MB before, peak {} MB",
        dropped / 20,
        before / 1024,
        peak / 1024
    );
    assert!(
        grown_mb < 64,
        "the server grew by {grown_mb} MB during the flood"
    );
    drop(attacker);
}
