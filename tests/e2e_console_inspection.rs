//! Quality inspection end to end: the real server with a rules file that asks for a company name
//! the shop flow's greeting lacks, a real SIP call (`hotline dial`), and a real headless Chromium
//! where a supervisor follows the menu to `/console/inspection` (every page's menu lists every
//! page), finds the call there with the rule fired, marks it
//! reviewed with a note and still sees it reviewed after a reload; an agent gets 403. Then
//! `hotline calls inspect` scores the call again, and refuses a broken rules file at its line.

mod support;

use std::time::{Duration, Instant};

use support::audio;
use support::browser::Browser;
use support::{free_udp_ports, Server, ServerOptions, TempDir};

const SUPERVISOR_PASSWORD: &str = "sue-has-a-long-password";
const AGENT_PASSWORD: &str = "agent1-long-password";

const RULES: &str = "rules:
  - id: greets_with_acme
    description: The bot greets with the company name Acme.
    weight: 25
    greeting_contains: Acme
  - id: greets_with_welcome
    description: The bot says welcome.
    weight: 10
    greeting_contains: welcome
";

fn log_in(browser: &Browser, base: &str, name: &str, password: &str) {
    browser.open(&format!("{base}/login"));
    browser.type_into("#name", name);
    browser.type_into("#password", password);
    browser.click("#submit");
    browser.wait_for_url("/console");
}

/// Opens the inspection page until the call's row is there (it is inspected as it ends).
fn open_until_listed(browser: &Browser, base: &str, call: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let row = format!(r#"#inspections tr[data-call-id="{call}"]"#);
    loop {
        browser.open(&format!("{base}/console/inspection"));
        let text = browser.text_content(&row);
        if !text.is_empty() {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "call {call} is not on the inspection page:\n{}",
            browser.text_content("#inspections")
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_supervisor_finds_a_flagged_call_and_marks_it_reviewed() {
    let dir = TempDir::new("console-inspection");
    let rules = dir.write("rules.yaml", RULES);
    let mut options = ServerOptions::new(free_udp_ports(100));
    options.inspection_rules = Some(rules.clone());
    options.speech.push(("holding_after".into(), "0s".into()));
    let server = Server::start(&dir, &options);
    server.add_user("sue", "supervisor", SUPERVISOR_PASSWORD);
    server.add_user("agent1", "agent", AGENT_PASSWORD);
    let base = format!("http://{}", server.admin);
    let question = dir.join("question.wav");
    audio::espeak_wav("How long does shipping take?", &question);

    let out = server.dial(&["--play", question.to_str().unwrap(), "--gap", "3s"]);
    assert!(out.contains("hung up by: caller"), "{out}");
    let call = server.newest_call();

    let browser = Browser::start(&dir);
    log_in(&browser, &base, "sue", SUPERVISOR_PASSWORD);
    // The live page's menu leads to the inspection page, and every page's menu lists every page.
    browser.click(r#"header nav a[href="/console/inspection"]"#);
    browser.wait_for_url("/console/inspection");
    let pages = [
        "/console",
        "/console/history",
        "/console/analytics",
        "/console/flows",
        "/console/inspection",
    ];
    let call_page = format!("/console/calls/{call}");
    for page in pages.iter().copied().chain([call_page.as_str()]) {
        browser.open(&format!("{base}{page}"));
        let menu = browser.run_async(
            "return Array.from(document.querySelectorAll('header nav a')).map(a => a.getAttribute('href'));",
        );
        assert_eq!(menu, serde_json::json!(pages), "the menu of {page}");
    }
    let row = open_until_listed(&browser, &base, &call);
    // The shop greets with "Hello, and welcome to Northwind Shop": no Acme, but a welcome.
    let fired = browser.text_content(&format!(
        r#"#inspections tr[data-call-id="{call}"] li.fired"#
    ));
    assert!(fired.contains("greets_with_acme"), "{row}");
    assert!(
        fired.contains("Northwind Shop"),
        "the evidence is the greeting: {row}"
    );
    assert!(!row.contains("greets_with_welcome"), "{row}");
    assert_eq!(
        browser.text_content(&format!(
            r#"#inspections tr[data-call-id="{call}"] td.score"#
        )),
        "75"
    );
    assert!(row.contains("Not reviewed"), "{row}");
    // The call's id links to its page.
    assert_eq!(
        browser.run_async(&format!(
            r#"return document.querySelector('#inspections tr[data-call-id="{call}"] a').getAttribute('href');"#
        )),
        serde_json::json!(format!("/console/calls/{call}"))
    );

    // Marked reviewed with a note; the page reloads and shows who.
    let form = format!(r#"#inspections form[data-call-id="{call}"]"#);
    browser.type_into(&format!("{form} .note-input"), "greeting fixed in the flow");
    browser.click(&format!("{form} .mark-reviewed"));
    browser.wait_for_text(
        &format!(r#"#inspections tr[data-call-id="{call}"] td.review"#),
        "Reviewed by sue",
        Duration::from_secs(10),
    );
    browser.open(&format!("{base}/console/inspection"));
    let review = browser.text_content(&format!(
        r#"#inspections tr[data-call-id="{call}"] td.review"#
    ));
    assert!(review.contains("Reviewed by sue"), "{review}");
    assert!(review.contains("greeting fixed in the flow"), "{review}");

    // The review is in the audit log with who made it.
    let audit = String::from_utf8_lossy(
        &support::run_ok(
            std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
                .args(["audit", "--database"])
                .arg(&server.database),
        )
        .stdout,
    )
    .into_owned();
    assert!(
        audit
            .lines()
            .any(|l| l.split_whitespace().nth(2) == Some("sue")
                && l.split_whitespace().nth(3) == Some("call_review")),
        "no sue call_review in\n{audit}"
    );

    // An agent may not see or review inspections.
    browser.click("#logout");
    browser.wait_for_url("/login");
    log_in(&browser, &base, "agent1", AGENT_PASSWORD);
    for path in ["/console/inspection", "/api/inspections"] {
        assert_eq!(browser.fetch_status(path, "{}"), 403, "{path}");
    }
    let post = "{method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': document.querySelector('meta[name=\"csrf-token\"]') ? document.querySelector('meta[name=\"csrf-token\"]').content : ''}, body: '{\"note\": \"x\"}'}";
    assert_eq!(
        browser.fetch_status(&format!("/api/calls/{call}/review"), post),
        403
    );

    // `hotline calls inspect` scores the call again with the file as it is now, keeping the review.
    let config = dir.join("hotline.yaml");
    let inspect = |args: &[&str]| {
        support::run(
            std::process::Command::new(env!("CARGO_BIN_EXE_hotline"))
                .current_dir(support::workspace_root())
                .arg("--config")
                .arg(&config)
                .args(["calls", "inspect", "--database"])
                .arg(&server.database)
                .args(args),
        )
    };
    let again = inspect(&["--since", "2020-01-01"]);
    let text = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        again.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(&call) && l.contains(" 75 ") && l.contains("greets_with_acme")),
        "{text}"
    );
    std::fs::write(&rules, RULES.replace("weight: 25", "weight: lots")).unwrap();
    let refused = inspect(&[]);
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(!refused.status.success());
    assert!(
        said.contains(&format!("{}:4:13: ", rules.display())),
        "no file:line:column in {said}"
    );
}
