//! The console's flow editor end to end: the real server serving a copy of the shop flow, a real
//! headless Chromium where a supervisor opens the flow, breaks it and sees the line marked, fixes
//! it, diffs and publishes it; then a real SIP call (`hotline dial`) gets the new greeting; a
//! rollback from the history restores the old one for the next call.

mod support;

use std::time::{Duration, Instant};

use support::audio;
use support::browser::Browser;
use support::{free_udp_ports, workspace_root, CallRecord, Server, ServerOptions, TempDir};

const SUPERVISOR_PASSWORD: &str = "sue-has-a-long-password";
const AGENT_PASSWORD: &str = "agent1-long-password";
const OLD_GREETING: &str = "Hello, and welcome to {shop}.";
const NEW_GREETING: &str = "Hi, thanks for calling {shop}.";

fn log_in(browser: &Browser, base: &str, name: &str, password: &str) {
    browser.open(&format!("{base}/login"));
    browser.type_into("#name", name);
    browser.type_into("#password", password);
    browser.click("#submit");
    browser.wait_for_url("/console");
}

/// Puts `text` in the editor as typing would (the page checks it after an `input` event).
fn set_draft(browser: &Browser, text: &str) {
    let text = serde_json::to_string(text).unwrap();
    browser.run_async(&format!(
        "const s = document.getElementById('source'); s.value = {text}; \
         s.dispatchEvent(new Event('input')); return true;"
    ));
}

/// Waits until the server log says the flow was reloaded `times` times.
fn wait_for_reloads(server: &Server, times: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = server.log_text();
        if log.matches("flow northwind-shop reloaded").count() >= times {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the flow was not reloaded {times} time(s):\n{log}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Places a call that asks one question and returns what the bot said, from the call record.
fn call_and_read(server: &Server, question: &std::path::Path) -> Vec<String> {
    let out = server.dial(&["--play", question.to_str().unwrap(), "--gap", "3s"]);
    assert!(out.contains("hung up by: caller"), "{out}");
    let id = server.newest_call();
    let shown = server.calls(&["show", &id]);
    CallRecord::parse(&String::from_utf8_lossy(&shown.stdout)).bot_said
}

#[test]
fn a_supervisor_edits_publishes_and_rolls_back_a_flow() {
    let dir = TempDir::new("console-flows");
    let shop = std::fs::read_to_string(workspace_root().join("flows/shop.yaml")).unwrap();
    assert!(
        shop.contains(OLD_GREETING),
        "the shop flow's greeting changed"
    );
    std::fs::create_dir_all(dir.join("flows")).unwrap();
    let served = dir.join("flows/shop.yaml");
    std::fs::write(&served, &shop).unwrap();
    let mut options = ServerOptions::new(free_udp_ports(100));
    options.flow = Some(served.display().to_string());
    options.speech.push(("holding_after".into(), "0s".into()));
    let server = Server::start(&dir, &options);
    server.add_user("sue", "supervisor", SUPERVISOR_PASSWORD);
    server.add_user("agent1", "agent", AGENT_PASSWORD);
    let base = format!("http://{}", server.admin);
    let question = dir.join("question.wav");
    audio::espeak_wav("How long does shipping take?", &question);

    let browser = Browser::start(&dir);
    log_in(&browser, &base, "sue", SUPERVISOR_PASSWORD);
    browser.open(&format!("{base}/console/flows"));
    browser.wait_for_text("#editing", "shop.yaml (served)", Duration::from_secs(10));
    browser.wait_for_text("#message", "Live version", Duration::from_secs(10));

    // A broken start node: the line is marked in the gutter, the error listed, publish refused.
    let broken = shop.replace("start: known_caller", "start: nowhere");
    let line = broken.lines().position(|l| l == "start: nowhere").unwrap() + 1;
    set_draft(&browser, &broken);
    browser.wait_for_text("#message", "error(s)", Duration::from_secs(10));
    let marked = browser.run_async(
        "return [...document.querySelectorAll('#gutter .line-error')].map((e) => e.dataset.line + ' ' + e.title);",
    );
    assert_eq!(
        marked,
        serde_json::json!([format!("{line} `start` names unknown node `nowhere`")])
    );
    assert!(browser
        .text_content("#problems")
        .contains(&format!("line {line}, column 8: error")));
    assert_eq!(
        browser.run_async("return document.getElementById('publish').disabled;"),
        serde_json::json!(true)
    );
    let forced = format!(
        "{{method: 'POST', headers: {{'Content-Type': 'application/json', 'X-CSRF-Token': document.querySelector('meta[name=\"csrf-token\"]').content}}, body: JSON.stringify({{source: {}}})}}",
        serde_json::to_string(&broken).unwrap()
    );
    assert_eq!(
        browser.fetch_status("/api/flows/shop.yaml/publish", &forced),
        422
    );
    assert_eq!(std::fs::read_to_string(&served).unwrap(), shop);

    // The fix: a new greeting, checked, diffed against the live file and published.
    let fixed = shop.replace(OLD_GREETING, NEW_GREETING);
    set_draft(&browser, &fixed);
    browser.wait_for_text("#message", "No errors", Duration::from_secs(10));
    assert_eq!(
        browser.run_async("return document.querySelectorAll('#gutter .line-error').length;"),
        serde_json::json!(0)
    );
    browser.click("#diff");
    let diff = browser.wait_for_text("#difference", "thanks for calling", Duration::from_secs(10));
    assert!(diff.contains("welcome to {shop}"), "{diff}");
    browser.wait_for_text(
        "#message",
        "1 line(s) added, 1 removed",
        Duration::from_secs(10),
    );
    browser.click("#publish");
    browser.wait_for_text("#message", "Published as version", Duration::from_secs(10));
    assert_eq!(std::fs::read_to_string(&served).unwrap(), fixed);
    wait_for_reloads(&server, 1);

    let said = call_and_read(&server, &question);
    assert!(
        said.iter()
            .any(|s| s.contains("Hi, thanks for calling Northwind Shop")),
        "the new greeting was not spoken: {said:?}"
    );

    // The history lists the original file and the publish by sue; roll back to the original.
    browser.wait_for_text("#history tbody", "sue", Duration::from_secs(10));
    let original = browser
        .run_async(
            "const row = [...document.querySelectorAll('#history tbody tr')].find((r) => r.textContent.includes('original')); \
             return row ? row.dataset.version : null;",
        )
        .as_str()
        .map(str::to_string)
        .expect("the original version is in the history");
    browser.click(&format!(
        r#"#history tr[data-version="{original}"] button.rollback"#
    ));
    browser.wait_for_text(
        "#message",
        "Rolled back to version",
        Duration::from_secs(10),
    );
    assert_eq!(std::fs::read_to_string(&served).unwrap(), shop);
    browser.wait_for_text("#history tbody", "rollback", Duration::from_secs(10));
    wait_for_reloads(&server, 2);

    let said = call_and_read(&server, &question);
    assert!(
        said.iter()
            .any(|s| s.contains("Hello, and welcome to Northwind Shop")),
        "the old greeting was not spoken after the rollback: {said:?}"
    );

    // Both changes are in the audit log with who made them.
    let audit = String::from_utf8_lossy(
        &support::run_ok(
            std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
                .args(["audit", "--database"])
                .arg(&server.database),
        )
        .stdout,
    )
    .into_owned();
    for action in ["flow_publish", "flow_rollback"] {
        assert!(
            audit
                .lines()
                .any(|l| l.split_whitespace().nth(2) == Some("sue")
                    && l.split_whitespace().nth(3) == Some(action)),
            "no sue {action} in\n{audit}"
        );
    }

    // An agent may not open the editor.
    browser.click("#logout");
    browser.wait_for_url("/login");
    log_in(&browser, &base, "agent1", AGENT_PASSWORD);
    for path in ["/api/flows", "/api/flows/shop.yaml", "/console/flows"] {
        assert_eq!(browser.fetch_status(path, "{}"), 403, "{path}");
    }
}
