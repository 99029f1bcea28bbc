//! The supervisor console and the admin API's authentication, end to end: the real server, users
//! made with `hotline users add`, and a real headless Chromium logging in through the login page,
//! watching a call's transcript arrive live and reading the call's page afterwards.

mod support;

use std::time::Duration;

use support::audio;
use support::browser::Browser;
use support::http::http_request;
use support::{free_udp_ports, Server, ServerOptions, TempDir};

const SUPERVISOR_PASSWORD: &str = "sue-has-a-long-password";
const AGENT_PASSWORD: &str = "agent1-long-password";
/// The number the live-call test dials from, searched for in the history.
const CALLER_NUMBER: &str = "+4930555123";

fn log_in(browser: &Browser, base: &str, name: &str, password: &str) {
    browser.open(&format!("{base}/login"));
    browser.type_into("#name", name);
    browser.type_into("#password", password);
    browser.click("#submit");
}

#[test]
fn console_login_roles_and_api_authentication() {
    let dir = TempDir::new("console");
    let server = Server::start(&dir, &ServerOptions::new(free_udp_ports(100)));
    server.add_user("sue", "supervisor", SUPERVISOR_PASSWORD);
    server.add_user("agent1", "agent", AGENT_PASSWORD);
    let base = format!("http://{}", server.admin);

    // Without a session or a token, the API answers 401 with a JSON error.
    let (status, body) = http_request(server.admin, "GET", "/api/calls/nope", None);
    assert_eq!(status, 401, "{body}");
    assert!(body.starts_with("{\"error\":"), "{body}");
    let (status, _) = server.api("GET", "/api/calls/nope", None);
    assert_eq!(status, 404, "the token passes the guard");
    // The CLI without a token says how to get one.
    let out = support::run(
        std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
            .args(["agents", "list", "--admin", &base])
            .env_remove("HOTLINE_TOKEN"),
    );
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("needs a token: pass --token or set HOTLINE_TOKEN"),
        "{said}"
    );

    let browser = Browser::start(&dir);

    // A wrong password is refused, and the page says so.
    log_in(&browser, &base, "sue", "not-her-password");
    // The page may still be loading after the submit: wait for the message to appear.
    let said = browser.wait_for_text("#message", "Wrong name", Duration::from_secs(10));
    assert_eq!(said.trim(), "Wrong name or password.");
    assert!(browser.url().ends_with("/login"), "{}", browser.url());

    // The supervisor logs in and sees the console.
    log_in(&browser, &base, "sue", SUPERVISOR_PASSWORD);
    let url = browser.wait_for_url("/console");
    assert!(url.ends_with("/console"), "still at {url}");
    assert_eq!(browser.text("#who"), "sue (supervisor)");
    assert_eq!(browser.text("h2"), "Calls in progress");
    assert_eq!(browser.fetch_status("/api/calls?limit=5", "{}"), 200);
    // A change with the session cookie alone is refused; with the page's CSRF token it passes.
    let change = r#"{method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({state: "logged_out"})}"#;
    assert_eq!(
        browser.fetch_status("/api/agents/agent1/state", change),
        403
    );
    let with_token = r#"{method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}, body: JSON.stringify({state: "logged_out"})}"#;
    assert_eq!(
        browser.fetch_status("/api/agents/agent1/state", with_token),
        200
    );

    // Logging out ends the session: the API answers 401 again.
    browser.click("#logout");
    assert!(browser.wait_for_url("/login").ends_with("/login"));
    assert_eq!(browser.fetch_status("/api/calls/nope", "{}"), 401);

    // An agent reaches their own routes, and gets 403 on a supervisor's.
    log_in(&browser, &base, "agent1", AGENT_PASSWORD);
    browser.wait_for_url("/console");
    let said = browser.wait_for_text("#message", "agent role", Duration::from_secs(10));
    assert_eq!(said.trim(), "The agent role cannot see the console.");
    assert_eq!(browser.fetch_status("/api/queues", "{}"), 403);
    assert_eq!(browser.fetch_status("/api/calls/nope", "{}"), 403);
    assert_eq!(
        browser.fetch_status("/api/agents/agent1/history", "{}"),
        200
    );
    assert_eq!(
        browser.fetch_status("/api/agents/agent2/history", "{}"),
        403
    );
    for path in [
        "/api/calls/search?number=1",
        "/api/calls/search.csv",
        "/api/analytics",
        "/console/history",
        "/console/analytics",
    ] {
        assert_eq!(browser.fetch_status(path, "{}"), 403, "{path}");
    }

    // Every step is in the audit log, with who did it.
    let audit = String::from_utf8_lossy(
        &support::run_ok(
            std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
                .args(["audit", "--database"])
                .arg(&server.database),
        )
        .stdout,
    )
    .into_owned();
    for (actor, action) in [
        ("sue", "login_failed"),
        ("sue", "login"),
        ("sue", "agent_state"),
        ("sue", "logout"),
        ("agent1", "login"),
        ("cli", "user_added"),
        ("cli", "token_added"),
    ] {
        assert!(
            audit
                .lines()
                .any(|l| l.split_whitespace().nth(2) == Some(actor)
                    && l.split_whitespace().nth(3) == Some(action)),
            "no {actor} {action} in\n{audit}"
        );
    }
}

#[test]
fn a_supervisor_watches_a_call_live_then_reads_its_page() {
    let dir = TempDir::new("console-live");
    let mut options = ServerOptions::new(free_udp_ports(100));
    // An outside agent needs no registered phone to be made available; nothing answers there.
    options.agents_yaml = Some(
        "agents:\n  - id: carol\n    name: Carol\n    uri: sip:carol@127.0.0.1:9\n    skills: [support]\n"
            .into(),
    );
    // On a loaded machine a holding phrase would end the bot's turn before the answer is in,
    // and the caller would hang up without hearing it.
    options.speech.push(("holding_after".into(), "0s".into()));
    let server = Server::start(&dir, &options);
    server.add_user("sue", "supervisor", SUPERVISOR_PASSWORD);
    let base = format!("http://{}", server.admin);
    let question = dir.join("question.wav");
    audio::espeak_wav("How long does shipping take?", &question);

    let browser = Browser::start(&dir);
    log_in(&browser, &base, "sue", SUPERVISOR_PASSWORD);
    assert!(browser.wait_for_url("/console").ends_with("/console"));
    // The event stream is open before the call starts.
    browser.wait_for_text("#live-state", "Live", Duration::from_secs(10));
    // Agents and their states are listed, and a button changes one (with the CSRF token).
    browser.wait_for_text("#agents", "carol", Duration::from_secs(10));
    for state in ["available", "paused"] {
        browser.click(&format!(
            r#"#agents tr[data-agent="carol"] button[data-state="{state}"]"#
        ));
        browser.wait_for_text(
            r#"#agents tr[data-agent="carol"] .state"#,
            state,
            Duration::from_secs(10),
        );
    }
    assert!(browser.text_content("#queues").contains("Waiting"));

    let live = std::thread::scope(|scope| {
        let caller = scope.spawn(|| {
            server.dial(&[
                "--play",
                question.to_str().unwrap(),
                "--gap",
                "3s",
                "--from",
                &format!("sip:{CALLER_NUMBER}@127.0.0.1"),
            ])
        });
        // The greeting, then what the caller said and the answer, as each turn is stored.
        browser.wait_for_text("#live-calls .call", "welcome", Duration::from_secs(60));
        let live = browser.wait_for_text("#live-calls .call", "shipping", Duration::from_secs(60));
        let out = caller.join().unwrap();
        assert!(out.contains("hung up by: caller"), "{out}");
        live
    });
    assert!(
        live.to_lowercase().contains("working days"),
        "the bot's answer is not in the live transcript:\n{live}"
    );
    let ended = browser.wait_for_text("#live-calls .call", "caller-bye", Duration::from_secs(20));
    assert!(ended.contains("ended"), "{ended}");
    browser.wait_for_text("#recent", "caller-bye", Duration::from_secs(20));

    // A recording where the call path keeps voicemails (the shop flow takes none, so the test
    // puts one there), served through the authenticated route and played by the page.
    let id = server.newest_call();
    let recordings = server.database.parent().unwrap().join("recordings");
    std::fs::create_dir_all(&recordings).unwrap();
    std::fs::copy(&question, recordings.join(format!("{id}-1.wav"))).unwrap();
    std::fs::write(dir.join("outside.wav"), b"RIFF").unwrap();

    browser.open(&format!("{base}/console/calls/{id}"));
    let turns = browser.wait_for_text("#turns tbody", "shipping", Duration::from_secs(10));
    assert!(turns.contains("delivery_time"), "no intent in\n{turns}");
    assert!(turns.contains("v2v"), "no timings in\n{turns}");
    assert!(!browser.text_content("#path").trim().is_empty());
    assert!(browser.text_content("#call-facts").contains("caller-bye"));
    let duration = browser.run_async(
        "const a = document.querySelector('#recordings audio'); \
         if (!a) return 'no audio element'; \
         if (isNaN(a.duration)) await new Promise((done) => { \
           a.addEventListener('loadedmetadata', done, {once: true}); \
           a.addEventListener('error', done, {once: true}); setTimeout(done, 10000); }); \
         return a.duration;",
    );
    assert!(
        duration.as_f64().is_some_and(|d| d > 0.5),
        "the recording does not play: {duration}"
    );
    // Only the call's own recordings, inside the recordings directory, are served.
    for (path, status) in [
        (format!("/api/calls/{id}/recordings/{id}-1.wav"), 200),
        (format!("/api/calls/{id}/recordings/{id}-9.wav"), 404),
        (format!("/api/calls/{id}/recordings/..%2Foutside.wav"), 400),
        (
            format!("/api/calls/{id}/recordings/{id}-..%2F..%2Foutside.wav"),
            400,
        ),
    ] {
        assert_eq!(browser.fetch_status(&path, "{}"), status, "{path}");
    }
    let (status, _) = http_request(
        server.admin,
        "GET",
        &format!("/api/calls/{id}/recordings/{id}-1.wav"),
        None,
    );
    assert_eq!(status, 401, "a recording needs a login");

    // History: the supervisor searches by part of the caller's number and finds the call.
    browser.open(&format!("{base}/console/history"));
    browser.type_into("#number", &CALLER_NUMBER[..8]);
    browser.click("#search-button");
    let submitted = browser.wait_for_url("&min_anger=");
    assert!(submitted.contains("number=%2B4930555"), "{submitted}");
    let found = browser.wait_for_text("#results tbody", &id[..8], Duration::from_secs(10));
    assert!(found.contains(CALLER_NUMBER), "{found}");
    assert_eq!(
        browser
            .run_async("return document.querySelectorAll('#results tr.call-row').length;")
            .as_u64(),
        Some(1),
        "{found}"
    );
    // The same search as CSV, through the page's own link.
    let csv = browser.run_async(
        "const r = await fetch(document.querySelector('#csv').href); return r.status + '\\n' + await r.text();",
    );
    let csv = csv.as_str().unwrap_or_default().replace("\r\n", "\n");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("200"), "{csv}");
    assert!(
        lines
            .next()
            .unwrap_or_default()
            .starts_with("id,caller,started_utc,"),
        "{csv}"
    );
    let row = lines.next().unwrap_or_default();
    assert!(row.starts_with(&id) && row.contains(CALLER_NUMBER), "{csv}");
    // The result links to the call's page.
    browser.click("#results tr.call-row a");
    assert!(browser
        .wait_for_url(&format!("/console/calls/{id}"))
        .ends_with(&id));
    // Another number finds nothing.
    browser.open(&format!("{base}/console/history?number=%2B1999"));
    browser.wait_for_text("#results tbody", "No call matches", Duration::from_secs(10));

    // Analytics: the call is counted per hour and drawn as SVG bars, its intent is among the
    // top intents, and every chart's numbers download as CSV.
    browser.open(&format!("{base}/console/analytics?bucket=hour"));
    browser.wait_for_text("#message", "1 calls from", Duration::from_secs(20));
    let bars = browser
        .run_async("return document.querySelectorAll('#chart-calls svg rect.bar').length;")
        .as_u64()
        .unwrap_or(0);
    assert!(bars >= 1, "no bar in the calls chart");
    assert!(browser
        .text_content("#chart-intents")
        .contains("delivery_time"));
    let links = browser
        .run_async("return document.querySelectorAll('section.chart a.csv').length;")
        .as_u64();
    assert_eq!(links, Some(9), "a Download CSV link under every chart");
    let csv = browser.run_async(
        "const r = await fetch(document.querySelector('#chart-calls a.csv').href); return r.status + '\\n' + await r.text();",
    );
    let csv = csv.as_str().unwrap_or_default().replace("\r\n", "\n");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.first(), Some(&"200"), "{csv}");
    assert_eq!(
        lines.get(1),
        Some(&"bucket_start_utc,calls,contained,transferred,abandoned,failed,in_progress"),
        "{csv}"
    );
    assert_eq!(lines.len(), 3, "one hour with the call: {csv}");
    assert_eq!(lines[2].split(',').nth(1), Some("1"), "{csv}");
}

#[test]
fn users_cli_refuses_short_passwords_with_a_sentence() {
    let dir = TempDir::new("console-cli");
    let database = dir.join("hotline.db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "users",
            "add",
            "sue",
            "--role",
            "supervisor",
            "--password-stdin",
            "--database",
        ])
        .arg(&database)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "the password is 5 characters long; use at least 10 characters"
    );
    let out = support::run(
        std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
            .args(["tokens", "add", "prom", "--role", "root", "--database"])
            .arg(&database),
    );
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "\"root\" is not a role; use admin, supervisor or agent"
    );
    support::add_token(&database, "prom", "supervisor");
    let listed = support::run_ok(
        std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
            .args(["tokens", "list", "--database"])
            .arg(&database),
    );
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listed.contains("prom") && listed.contains("never"),
        "{listed}"
    );
    assert!(
        !listed.contains("hl_"),
        "a token is never shown again: {listed}"
    );
}
