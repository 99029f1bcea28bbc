//! Outbound campaigns through real SIP trunks: SIPp plays four carriers on loopback. One
//! challenges the first INVITE with 407 and answers the authenticated one (early media first);
//! the campaign's flow greets the contact by name. One answers 486 (busy: retried after the
//! campaign's delay, then given up). One answers 404 (invalid: never retried). One answers and
//! the contact presses 9 (by SIP INFO): an opt-out. The test reads what a campaign manager
//! reads: `campaigns status`, `campaigns results --csv`, `/metrics`. The opted-out number is
//! then on the global do-not-call list, and a second campaign calling it (and a number added
//! with `campaigns dnc add`) places no call at all.

mod support;

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::audio::{espeak_wav, wav_to_ulaw};
use support::sipp::SippCall;
use support::{free_udp_port, run, run_ok, workspace_root, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

/// A campaign calling every day, all day (UTC), with quick busy retries.
fn campaign(name: &str, trunk: &str, contacts: &str) -> String {
    let flow = workspace_root().join("flows/delivery_notice.yaml");
    format!(
        "campaign: {name}\nflow: {flow:?}\ntrunk: {trunk}\ncaller_id: \"+1 212 555 0100\"\n\
         contacts:\n  file: {contacts}\n  phone: phone\n\
         default_country: US\ndefault_time_zone: UTC\n\
         window:\n  weekdays: [mon-sun]\n  hours: \"00:00-24:00\"\n\
         pacing:\n  max_concurrent: 2\n  calls_per_second: 2\n\
         retries:\n  busy: {{ delay: 2s, count: 1 }}\n  network_failure: {{ delay: 1h, count: 1 }}\n",
        flow = flow.display().to_string()
    )
}

fn hotline(server: &Server, dir: &TempDir, args: &[&str]) -> (bool, String) {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("--config")
        .arg(dir.join("hotline.yaml"))
        .arg("campaigns")
        .args(args)
        .arg("--admin")
        .arg(format!("http://{}", server.admin))
        .arg("--token")
        .arg(&server.token)
        .arg("--database")
        .arg(&server.database));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The results file's lines (header dropped), each split into its fields.
fn results(server: &Server, dir: &TempDir, name: &str) -> Vec<Vec<String>> {
    let (ok, text) = hotline(server, dir, &["results", name, "--csv"]);
    assert!(ok, "campaigns results failed: {text}");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("campaign,number,attempt,started_at,ended_at,outcome,sip_status,sip_call_id,call_id,amd,amd_reason,amd_ms"),
        "{text}"
    );
    lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Polls `campaigns status NAME` until it says `state`.
fn wait_for_state(
    server: &Server,
    dir: &TempDir,
    name: &str,
    state: &str,
    timeout: Duration,
) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let (ok, text) = hotline(server, dir, &["status", name]);
        if ok && text.starts_with(&format!("Campaign {name}: {state}.")) {
            return text;
        }
        if Instant::now() > deadline {
            panic!(
                "campaign {name} did not become {state} within {timeout:?}:\n{text}\n--- server log ---\n{}",
                server.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn count(status: &str, label: &str) -> usize {
    status
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` in:\n{status}"))
}

fn write_files(dir: &TempDir, ports: [u16; 4]) {
    let campaigns = dir.join("campaigns");
    std::fs::create_dir_all(&campaigns).unwrap();
    let write = |name: &str, text: &str| std::fs::write(campaigns.join(name), text).unwrap();
    write(
        "auth.csv",
        "name,phone,delivery_date\nAda Lovelace,+1 212 555 0101,9 December\n",
    );
    write("busy.csv", "name,phone\nBen Carter,+1 212 555 0102\n");
    write("invalid.csv", "name,phone\nNo One,+1 212 555 0103\n");
    write(
        "optout.csv",
        "name,phone,delivery_date\nDan Fry,+1 212 555 0104,10 December\n",
    );
    write(
        "second.csv",
        "name,phone,delivery_date\nDan Fry,+1 212 555 0104,11 December\nEve Moss,+1 212 555 0199,11 December\n",
    );
    write(
        "second-test.yaml",
        &campaign("second-test", "carrier-invalid", "second.csv"),
    );
    write(
        "optout-test.yaml",
        &campaign("optout-test", "carrier-optout", "optout.csv"),
    );
    write(
        "auth-test.yaml",
        &campaign("auth-test", "carrier-auth", "auth.csv"),
    );
    write(
        "busy-test.yaml",
        &campaign("busy-test", "carrier-busy", "busy.csv"),
    );
    write(
        "invalid-test.yaml",
        &campaign("invalid-test", "carrier-invalid", "invalid.csv"),
    );
    dir.write(
        "trunks.yaml",
        &format!(
            "trunks:\n  - name: carrier-auth\n    target: 127.0.0.1:{}\n    username: campaign\n    \
             password: \"{{env.E2E_TRUNK_PASSWORD}}\"\n    ring_timeout: 20s\n  \
             - name: carrier-busy\n    target: 127.0.0.1:{}\n    ring_timeout: 20s\n  \
             - name: carrier-invalid\n    target: sip:127.0.0.1:{}\n  \
             - name: carrier-optout\n    target: 127.0.0.1:{}\n",
            ports[0], ports[1], ports[2], ports[3]
        ),
    );
}

#[test]
fn campaign_calls_through_trunks_are_answered_retried_or_given_up_and_recorded() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("campaign");
    let ports = [
        free_udp_port(),
        free_udp_port(),
        free_udp_port(),
        free_udp_port(),
    ];
    write_files(&dir, ports);
    let mut options = ServerOptions::new(24_000);
    options.campaigns = Some((dir.join("campaigns"), dir.join("trunks.yaml")));
    options.env = vec![("E2E_TRUNK_PASSWORD".into(), "trunk-secret".into())];
    let server = Server::start(&dir, &options);

    std::thread::scope(|scope| {
        let uas = |scenario: &'static str, port: u16, calls: u32| {
            let dir = &dir;
            let target = server.sip;
            scope.spawn(move || {
                let mut call = SippCall::new(scenario, target, scenario.trim_end_matches(".xml"));
                call.sip_port = Some(port);
                call.timeout = Duration::from_secs(60);
                call.extra_args = vec!["-m".into(), calls.to_string()];
                call.run(dir)
            })
        };
        let auth = uas("trunk_auth_uas.xml", ports[0], 1);
        let busy = uas("trunk_busy_uas.xml", ports[1], 2);
        let invalid = uas("trunk_invalid_uas.xml", ports[2], 1);
        let optout = uas("trunk_optout_uas.xml", ports[3], 1);
        // Give the three SIPp processes a moment to bind their ports.
        std::thread::sleep(Duration::from_millis(800));
        for name in ["auth-test", "busy-test", "invalid-test", "optout-test"] {
            let (ok, text) = hotline(&server, &dir, &["start", name]);
            assert!(ok, "campaigns start {name}: {text}");
            assert_eq!(
                text.trim(),
                format!("campaign {name} started: 1 contact to call.")
            );
        }
        let (ok, text) = hotline(&server, &dir, &["start", "busy-test"]);
        assert!(!ok && text.contains("already running"), "{text}");

        invalid
            .join()
            .expect("SIPp thread")
            .assert_success("the trunk answered 404");
        busy.join()
            .expect("SIPp thread")
            .assert_success("the trunk answered 486 to both attempts");
        optout
            .join()
            .expect("SIPp thread")
            .assert_success("the contact pressed 9 by INFO and Hotline hung up");
        let auth = auth.join().expect("SIPp thread");
        auth.assert_success(
            "the trunk challenged with 407, got Proxy-Authorization, answered, hung up",
        );
    });

    // The invalid number: one attempt, never retried.
    let status = wait_for_state(
        &server,
        &dir,
        "invalid-test",
        "finished",
        Duration::from_secs(20),
    );
    assert_eq!(count(&status, "attempted"), 1, "{status}");
    assert_eq!(count(&status, "failed"), 1, "{status}");
    let rows = results(&server, &dir, "invalid-test");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0][5].as_str(), rows[0][6].as_str()),
        ("invalid_number", "404")
    );

    // Busy: tried again after the 2 s delay, then given up (count 1).
    let status = wait_for_state(
        &server,
        &dir,
        "busy-test",
        "finished",
        Duration::from_secs(20),
    );
    assert_eq!(count(&status, "attempted"), 2, "{status}");
    assert_eq!(count(&status, "reached"), 0, "{status}");
    assert_eq!(count(&status, "failed"), 1, "{status}");
    assert_eq!(count(&status, "waiting for retry"), 0, "{status}");
    let rows = results(&server, &dir, "busy-test");
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[1], "+12125550102");
        assert_eq!(row[2], (i + 1).to_string());
        assert_eq!(
            (row[5].as_str(), row[6].as_str()),
            ("busy", "486"),
            "{row:?}"
        );
        assert!(!row[7].is_empty(), "the SIP Call-ID is recorded: {row:?}");
    }
    let gap = chrono_ms(&rows[1][3]) - chrono_ms(&rows[0][4]);
    assert!(
        gap >= 1_900,
        "the retry waited the 2 s delay (waited {gap} ms)"
    );

    // Answered after the digest challenge: the flow ran and greeted the contact by name.
    let status = wait_for_state(
        &server,
        &dir,
        "auth-test",
        "finished",
        Duration::from_secs(30),
    );
    assert_eq!(count(&status, "reached"), 1, "{status}");
    let rows = results(&server, &dir, "auth-test");
    assert_eq!(
        rows.len(),
        1,
        "one attempt (the 407 is answered inside it): {rows:?}"
    );
    assert_eq!(
        (rows[0][5].as_str(), rows[0][6].as_str()),
        ("answered_person", "200")
    );
    // SIPp sends no audio here: the silent answer is `unknown`, and the flow runs as for a person.
    assert_eq!(
        (rows[0][9].as_str(), rows[0][10].as_str()),
        ("unknown", "initial_silence"),
        "{rows:?}"
    );
    let call_id = rows[0][8].clone();
    assert!(
        !call_id.is_empty(),
        "the attempt names its call record: {rows:?}"
    );
    let record = server.wait_for_finished_call(&call_id, Duration::from_secs(20));
    assert!(
        record
            .bot_said
            .iter()
            .any(|s| s.contains("Hello Ada Lovelace, your parcel arrives on 9 December")),
        "the flow greets the contact with their columns:\n{}",
        record.text
    );
    assert_eq!(
        record.cause.as_deref(),
        Some("caller-bye"),
        "{}",
        record.text
    );

    // Pressing 9 is an opt-out: reached, not retried, outcome opted_out.
    let status = wait_for_state(
        &server,
        &dir,
        "optout-test",
        "finished",
        Duration::from_secs(30),
    );
    assert_eq!(count(&status, "reached"), 1, "{status}");
    let rows = results(&server, &dir, "optout-test");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0][5].as_str(), rows[0][6].as_str()),
        ("opted_out", "200")
    );
    let record = server.wait_for_finished_call(&rows[0][8], Duration::from_secs(20));
    assert_eq!(record.pressed, vec!["9"], "{}", record.text);
    assert!(
        record
            .bot_said
            .iter()
            .any(|s| s.contains("You will not receive these calls again")),
        "{}",
        record.text
    );

    // The opt-out put the number on the global do-not-call list, with the campaign as source.
    let (ok, list) = hotline(&server, &dir, &["dnc", "list"]);
    assert!(ok, "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with("+12125550104 ") && l.contains("optout-test")),
        "the opted-out number is on the global list:\n{list}"
    );
    // Another number goes on the list by the CLI, a third by the API (and comes off again).
    let (ok, text) = hotline(
        &server,
        &dir,
        &[
            "dnc",
            "add",
            "(212) 555-0199",
            "--country",
            "US",
            "--reason",
            "asked by letter",
        ],
    );
    assert!(
        ok && text.contains("+12125550199 is on the do-not-call list"),
        "{text}"
    );
    let (code, body) = server.api(
        "POST",
        "/api/do-not-call",
        Some(r#"{"number": "+1 212 555 0198", "reason": "web form"}"#),
    );
    assert_eq!(code, 201, "{body}");
    let (code, body) = server.api("GET", "/api/do-not-call", None);
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("+12125550198")
            && body.contains("+12125550199")
            && body.contains("+12125550104"),
        "{body}"
    );
    let (code, body) = server.api("DELETE", "/api/do-not-call/+12125550198", None);
    assert_eq!(code, 200, "{body}");
    let (code, _) = server.api("DELETE", "/api/do-not-call/+12125550198", None);
    assert_eq!(code, 404);

    // A second campaign whose contacts are both on the global list: check says so, and the
    // runner dials neither (no attempt), counting both as skipped for do-not-call.
    let (ok, text) = hotline(
        &server,
        &dir,
        &[
            "check",
            dir.join("campaigns/second-test.yaml").to_str().unwrap(),
        ],
    );
    assert!(ok, "{text}");
    assert!(
        text.contains("2 contacts will be skipped: on a do-not-call list.")
            && text.contains("(2 of them on the global do-not-call list)"),
        "{text}"
    );
    let (ok, text) = hotline(&server, &dir, &["start", "second-test"]);
    assert!(ok, "campaigns start second-test: {text}");
    let status = wait_for_state(
        &server,
        &dir,
        "second-test",
        "finished",
        Duration::from_secs(20),
    );
    assert_eq!(count(&status, "attempted"), 0, "{status}");
    assert_eq!(count(&status, "do-not-call"), 2, "{status}");
    assert!(results(&server, &dir, "second-test").is_empty());

    // Starting a finished campaign again rebuilds it from its attempts: nobody is called twice.
    let (ok, text) = hotline(&server, &dir, &["start", "invalid-test"]);
    assert!(ok, "{text}");
    wait_for_state(
        &server,
        &dir,
        "invalid-test",
        "finished",
        Duration::from_secs(20),
    );
    assert_eq!(results(&server, &dir, "invalid-test").len(), 1);
    let (ok, text) = hotline(&server, &dir, &["pause", "busy-test"]);
    assert!(
        !ok && text.contains("campaign busy-test is not running"),
        "{text}"
    );
    let (ok, text) = hotline(&server, &dir, &["start", "no-such-campaign"]);
    assert!(
        !ok && text.contains("cannot read the campaign file"),
        "{text}"
    );

    // The same through the admin API.
    let (code, body) = server.api("GET", "/api/campaigns/busy-test", None);
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("\"state\":\"finished\"") && body.contains("\"attempted\":2"),
        "{body}"
    );
    let (code, body) = server.api("GET", "/api/campaigns/busy-test/results", None);
    assert_eq!(code, 200, "{body}");
    assert_eq!(body.matches(",busy,486,").count(), 2, "{body}");

    let (status, metrics) = server.api("GET", "/metrics", None);
    assert_eq!(status, 200);
    for line in [
        "hotline_campaign_attempts_total{campaign=\"auth-test\",outcome=\"answered_person\"} 1",
        "hotline_campaign_attempts_total{campaign=\"busy-test\",outcome=\"busy\"} 2",
        "hotline_campaign_attempts_total{campaign=\"invalid-test\",outcome=\"invalid_number\"} 1",
        "hotline_campaign_attempts_total{campaign=\"optout-test\",outcome=\"opted_out\"} 1",
    ] {
        assert!(
            metrics.contains(line),
            "no `{line}` in /metrics:\n{metrics}"
        );
    }
}

/// Milliseconds since the epoch of a time as the results file writes it.
fn chrono_ms(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not an RFC 3339 time: {e}"))
        .timestamp_millis()
}

/// Answering-machine detection on real calls: one trunk answers with Asterisk's recorded
/// voicemail greeting ("Nobody is available to take your call at the moment. Please leave your
/// message after the tone...") and its recorded beep; the campaign leaves its message after the
/// beep. The other answers with a short "Hello?" and listens: a person, and the flow runs.
#[test]
fn a_machine_gets_the_message_after_its_beep_and_a_person_who_says_hello_gets_the_flow() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("campaign-amd");
    let ports = [free_udp_port(), free_udp_port()];
    let campaigns = dir.join("campaigns");
    std::fs::create_dir_all(&campaigns).unwrap();
    let write = |name: &str, text: &str| std::fs::write(campaigns.join(name), text).unwrap();
    write(
        "machine.csv",
        "name,phone,delivery_date\nFay Lund,+1 212 555 0105,12 December\n",
    );
    write(
        "person.csv",
        "name,phone,delivery_date\nGus Hale,+1 212 555 0106,13 December\n",
    );
    write(
        "machine-test.yaml",
        &(campaign("machine-test", "carrier-machine", "machine.csv")
            + "on_machine: leave_message\n"),
    );
    write(
        "person-test.yaml",
        &campaign("person-test", "carrier-person", "person.csv"),
    );
    dir.write(
        "trunks.yaml",
        &format!(
            "trunks:\n  - name: carrier-machine\n    target: 127.0.0.1:{}\n  \
             - name: carrier-person\n    target: 127.0.0.1:{}\n",
            ports[0], ports[1]
        ),
    );
    // The machine: a recorded greeting, the recorded beep, then silence while it records.
    let prompts = std::path::Path::new("/usr/share/asterisk/sounds/en");
    run_ok(
        Command::new("sox")
            .arg(prompts.join("vm-nobodyavail.wav"))
            .arg(prompts.join("vm-intro.wav"))
            .arg(prompts.join("beep.wav"))
            .args(["-r", "8000", "-c", "1", "-t", "ul"])
            .arg(dir.join("machine.ul"))
            .args(["pad", "0.3", "12"]),
    );
    // The person: "Hello?" and then they listen.
    let hello = dir.join("hello.wav");
    espeak_wav("Hello?", &hello);
    wav_to_ulaw(
        &hello,
        &dir.join("person.ul"),
        Duration::from_millis(500),
        Duration::from_secs(12),
    );

    let mut options = ServerOptions::new(24_000);
    options.campaigns = Some((campaigns.clone(), dir.join("trunks.yaml")));
    let server = Server::start(&dir, &options);
    std::thread::scope(|scope| {
        let uas = |scenario: &'static str, port: u16| {
            let dir = &dir;
            let target = server.sip;
            scope.spawn(move || {
                let mut call = SippCall::new(scenario, target, scenario.trim_end_matches(".xml"));
                call.sip_port = Some(port);
                call.timeout = Duration::from_secs(60);
                call.run(dir)
            })
        };
        let machine = uas("trunk_machine_uas.xml", ports[0]);
        let person = uas("trunk_person_uas.xml", ports[1]);
        std::thread::sleep(Duration::from_millis(800));
        for name in ["machine-test", "person-test"] {
            let (ok, text) = hotline(&server, &dir, &["start", name]);
            assert!(ok, "campaigns start {name}: {text}");
        }
        machine
            .join()
            .expect("SIPp thread")
            .assert_success("the machine played its greeting and beep, and Hotline hung up");
        person
            .join()
            .expect("SIPp thread")
            .assert_success("the person said hello, listened and hung up");
    });

    // The machine: reached a machine, the greeting's end found by its beep, the message left.
    let status = wait_for_state(
        &server,
        &dir,
        "machine-test",
        "finished",
        Duration::from_secs(30),
    );
    assert_eq!(count(&status, "reached"), 1, "{status}");
    assert_eq!(count(&status, "a machine"), 1, "{status}");
    assert_eq!(count(&status, "a person"), 0, "{status}");
    let rows = results(&server, &dir, "machine-test");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0][5].as_str(), rows[0][9].as_str()),
        ("answered_machine", "machine_end_beep"),
        "{rows:?}\n{}",
        server.log_text()
    );
    let decided_ms: u64 = rows[0][11].parse().expect("the verdict's time");
    assert!(decided_ms > 0, "{rows:?}");
    let record = server.wait_for_finished_call(&rows[0][8], Duration::from_secs(20));
    assert!(
        record.bot_said.iter().any(|s| s.contains(
            "Hello Fay Lund, this is Northwind Shop. Your parcel arrives on 12 December"
        )),
        "the message for machines was left:\n{}",
        record.text
    );
    assert!(
        !record.bot_said.iter().any(|s| s.contains("Press 1")),
        "a machine is not asked to press keys:\n{}",
        record.text
    );

    // The person: a short hello then silence is a person; the flow asks them to confirm.
    let status = wait_for_state(
        &server,
        &dir,
        "person-test",
        "finished",
        Duration::from_secs(30),
    );
    assert_eq!(count(&status, "a person"), 1, "{status}");
    assert_eq!(count(&status, "a machine"), 0, "{status}");
    let rows = results(&server, &dir, "person-test");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0][5].as_str(),
            rows[0][9].as_str(),
            rows[0][10].as_str()
        ),
        ("answered_person", "human", "short_greeting"),
        "{rows:?}"
    );
    let record = server.wait_for_finished_call(&rows[0][8], Duration::from_secs(20));
    assert!(
        record
            .bot_said
            .iter()
            .any(|s| s.contains("Hello Gus Hale, your parcel arrives on 13 December")),
        "the flow ran for the person:\n{}",
        record.text
    );
}

/// A crash in the middle of a campaign loses no progress: four contacts on a trunk whose
/// contacts answer and hang up after 4 s, one call at once. When two attempts have ended and
/// the third is up, the server is killed (SIGKILL) and started again on the same directory. The
/// interrupted attempt is settled as `server_restart` and retried by the campaign's rule; the
/// trunk saw each contact's number exactly once per recorded attempt; the campaign finishes.
#[test]
fn a_campaign_killed_mid_call_resumes_after_restart_without_calling_anyone_twice() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("campaign-crash");
    let port = free_udp_port();
    let campaigns = dir.join("campaigns");
    std::fs::create_dir_all(&campaigns).unwrap();
    let write = |name: &str, text: &str| std::fs::write(campaigns.join(name), text).unwrap();
    write(
        "crash.csv",
        "name,phone,delivery_date\nAda,+1 212 555 0111,1 May\nBen,+1 212 555 0112,2 May\n\
         Cid,+1 212 555 0113,3 May\nDot,+1 212 555 0114,4 May\n",
    );
    let file = campaign("crash-test", "carrier-hold", "crash.csv")
        .replace("max_concurrent: 2", "max_concurrent: 1")
        + "  server_restart: { delay: 1s, count: 1 }\n";
    write("crash-test.yaml", &file);
    dir.write(
        "trunks.yaml",
        &format!("trunks:\n  - name: carrier-hold\n    target: 127.0.0.1:{port}\n"),
    );
    let mut options = ServerOptions::new(24_000);
    options.campaigns = Some((campaigns.clone(), dir.join("trunks.yaml")));
    let mut server = Server::start(&dir, &options);
    let target = server.sip;

    std::thread::scope(|scope| {
        // Five calls: four contacts, and the interrupted one again.
        let trunk = scope.spawn(|| {
            let mut call = SippCall::new("trunk_hold_uas.xml", target, "trunk_hold");
            call.sip_port = Some(port);
            call.timeout = Duration::from_secs(90);
            call.extra_args = vec!["-m".into(), "5".into()];
            call.run(&dir)
        });
        std::thread::sleep(Duration::from_millis(800));
        let (ok, text) = hotline(&server, &dir, &["start", "crash-test"]);
        assert!(ok, "campaigns start crash-test: {text}");

        // Two attempts ended and the third has left (its SIP Call-ID is recorded).
        let deadline = Instant::now() + Duration::from_secs(60);
        let before = loop {
            let rows = results(&server, &dir, "crash-test");
            let ended = rows.iter().filter(|r| r[5] != "in_progress").count();
            let up = rows
                .iter()
                .filter(|r| r[5] == "in_progress" && !r[7].is_empty())
                .count();
            if ended == 2 && up == 1 {
                break rows;
            }
            assert!(
                Instant::now() < deadline && ended < 3,
                "never caught two attempts ended and one up: {rows:?}\n{}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        server.crash();
        let interrupted = before
            .iter()
            .find(|r| r[5] == "in_progress")
            .expect("the attempt in flight")
            .clone();

        let server = Server::start(&dir, &options);
        let status = wait_for_state(
            &server,
            &dir,
            "crash-test",
            "finished",
            Duration::from_secs(60),
        );
        assert_eq!(
            count(&status, "attempted"),
            5,
            "four and one retry: {status}"
        );
        assert_eq!(count(&status, "a person"), 4, "{status}");
        assert_eq!(count(&status, "waiting for retry"), 0, "{status}");
        let rows = results(&server, &dir, "crash-test");
        assert_eq!(rows.len(), 5, "four contacts and one retry: {rows:?}");
        // The interrupted attempt is on the record with its outcome, and was tried again.
        let again: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == interrupted[1]).collect();
        assert_eq!(again.len(), 2, "{rows:?}");
        assert_eq!(
            (
                again[0][2].as_str(),
                again[0][5].as_str(),
                again[0][7].as_str()
            ),
            ("1", "server_restart", interrupted[7].as_str()),
            "{rows:?}"
        );
        assert_eq!(
            (again[1][2].as_str(), again[1][5].as_str()),
            ("2", "answered_person"),
            "{rows:?}"
        );
        for row in rows.iter().filter(|r| r[1] != interrupted[1]) {
            assert_eq!(
                (row[2].as_str(), row[5].as_str()),
                ("1", "answered_person"),
                "{rows:?}"
            );
        }

        // What the trunk saw: one INVITE per recorded attempt, never one more.
        let trunk = trunk.join().expect("SIPp thread");
        let messages = trunk.messages();
        let mut invites: Vec<(String, String)> = Vec::new();
        for block in messages.split("INVITE sip:").skip(1) {
            let number: String = block
                .chars()
                .take_while(|c| *c == '+' || c.is_ascii_digit())
                .collect();
            let call_id = block
                .lines()
                .find_map(|l| l.trim().strip_prefix("Call-ID:"))
                .map(|v| v.trim().to_string())
                .unwrap_or_default();
            if !invites.contains(&(number.clone(), call_id.clone())) {
                invites.push((number, call_id));
            }
        }
        let mut recorded: Vec<(String, String)> =
            rows.iter().map(|r| (r[1].clone(), r[7].clone())).collect();
        recorded.sort();
        invites.sort();
        assert_eq!(
            invites,
            recorded,
            "the trunk's INVITEs are the recorded attempts\n{}",
            trunk.report()
        );
    });
}

/// A campaign's own do-not-call list: a number put on it by the CLI is never dialled by that
/// campaign (nor is one added by the API), and with `opt_out_list: campaign` a contact who
/// presses 9 goes on the campaign's list, not on the global one. Then progressive pacing: an
/// unknown `agents_queue` is refused at start, and a queue with no agent free gets no call.
#[test]
fn a_campaign_list_keeps_its_numbers_and_its_opt_outs_from_that_campaign_only() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("campaign-own-dnc");
    let port = free_udp_port();
    let campaigns = dir.join("campaigns");
    std::fs::create_dir_all(&campaigns).unwrap();
    let write = |name: &str, text: &str| std::fs::write(campaigns.join(name), text).unwrap();
    write(
        "own.csv",
        "name,phone,delivery_date\nDan Fry,+1 212 555 0104,10 December\n\
         Eve Moss,+1 212 555 0199,11 December\n",
    );
    write(
        "own-test.yaml",
        &(campaign("own-test", "carrier-optout", "own.csv") + "opt_out_list: campaign\n"),
    );
    write(
        "other-test.yaml",
        &campaign("other-test", "carrier-optout", "own.csv"),
    );
    let paced = |name: &str, queue: &str| {
        campaign(name, "carrier-optout", "own.csv").replace(
            "pacing:\n  max_concurrent: 2\n",
            &format!("pacing:\n  max_concurrent: 2\n  agents_queue: {queue}\n  ratio: 1.5\n"),
        )
    };
    write("paced-test.yaml", &paced("paced-test", "support"));
    write("nosuch-test.yaml", &paced("nosuch-test", "nosuch"));
    dir.write(
        "trunks.yaml",
        &format!("trunks:\n  - name: carrier-optout\n    target: 127.0.0.1:{port}\n"),
    );
    let mut options = ServerOptions::new(24_000);
    options.campaigns = Some((campaigns.clone(), dir.join("trunks.yaml")));
    let server = Server::start(&dir, &options);

    // Eve goes on own-test's list by the CLI; another number by the API, and off again.
    let (ok, text) = hotline(
        &server,
        &dir,
        &[
            "dnc",
            "add",
            "(212) 555-0199",
            "--country",
            "US",
            "--campaign",
            "own-test",
            "--reason",
            "asked by letter",
        ],
    );
    assert!(
        ok && text.contains(
            "+12125550199 is on campaign own-test's do-not-call list: campaign own-test will not call it."
        ),
        "{text}"
    );
    let (code, body) = server.api(
        "POST",
        "/api/campaigns/own-test/do-not-call",
        Some(r#"{"number": "+1 212 555 0198", "reason": "web form"}"#),
    );
    assert_eq!(code, 201, "{body}");
    let (code, body) = server.api("GET", "/api/campaigns/own-test/do-not-call", None);
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("+12125550198") && body.contains("+12125550199"),
        "{body}"
    );
    let (code, body) = server.api(
        "DELETE",
        "/api/campaigns/own-test/do-not-call/+12125550198",
        None,
    );
    assert_eq!(code, 200, "{body}");
    let (code, _) = server.api(
        "DELETE",
        "/api/campaigns/own-test/do-not-call/+12125550198",
        None,
    );
    assert_eq!(code, 404);
    let check = |name: &str| {
        let (ok, text) = hotline(
            &server,
            &dir,
            &[
                "check",
                campaigns.join(format!("{name}.yaml")).to_str().unwrap(),
            ],
        );
        assert!(ok, "{text}");
        text
    };
    let text = check("own-test");
    assert!(
        text.contains("1 contact will be skipped: on a do-not-call list.")
            && text.contains("(1 of them on this campaign's do-not-call list)")
            && text.contains("+12125550199 (campaign's list)"),
        "{text}"
    );
    assert!(
        check("other-test").contains("2 contacts will be called."),
        "another campaign's list does not apply"
    );

    std::thread::scope(|scope| {
        let optout = scope.spawn(|| {
            let mut call = SippCall::new("trunk_optout_uas.xml", server.sip, "trunk_optout");
            call.sip_port = Some(port);
            call.timeout = Duration::from_secs(60);
            call.run(&dir)
        });
        std::thread::sleep(Duration::from_millis(800));
        let (ok, text) = hotline(&server, &dir, &["start", "own-test"]);
        assert!(ok, "campaigns start own-test: {text}");
        optout
            .join()
            .expect("SIPp thread")
            .assert_success("Dan pressed 9 by INFO and Hotline hung up");
    });
    let status = wait_for_state(
        &server,
        &dir,
        "own-test",
        "finished",
        Duration::from_secs(30),
    );
    assert_eq!(count(&status, "attempted"), 1, "{status}");
    assert_eq!(count(&status, "do-not-call"), 1, "{status}");
    let rows = results(&server, &dir, "own-test");
    assert_eq!(rows.len(), 1, "Eve was never dialled: {rows:?}");
    assert_eq!(
        (rows[0][1].as_str(), rows[0][5].as_str()),
        ("+12125550104", "opted_out")
    );

    // Dan's opt-out is on own-test's list, not on the global one.
    let (ok, list) = hotline(&server, &dir, &["dnc", "list", "--campaign", "own-test"]);
    assert!(ok, "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with("+12125550104 ") && l.contains("own-test")),
        "{list}"
    );
    let (ok, list) = hotline(&server, &dir, &["dnc", "list"]);
    assert!(
        ok && list.contains("The do-not-call list is empty."),
        "{list}"
    );
    assert!(check("other-test").contains("2 contacts will be called."));

    // Progressive pacing: a queue the queues file lacks is refused at start; a campaign paced
    // by the shipped `support` queue, whose agents are all logged out, places no call.
    let (ok, text) = hotline(&server, &dir, &["start", "nosuch-test"]);
    assert!(
        !ok && text.contains(
            "paces by the agents of queue `nosuch`, which the queues file does not define"
        ),
        "{text}"
    );
    let (ok, text) = hotline(&server, &dir, &["start", "paced-test"]);
    assert!(ok, "{text}");
    std::thread::sleep(Duration::from_secs(3));
    let (ok, status) = hotline(&server, &dir, &["status", "paced-test"]);
    assert!(
        ok && status.starts_with("Campaign paced-test: running."),
        "{status}"
    );
    assert_eq!(count(&status, "attempted"), 0, "no agent is free: {status}");
    let (ok, text) = hotline(&server, &dir, &["stop", "paced-test"]);
    assert!(ok, "{text}");
}
