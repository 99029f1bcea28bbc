//! `hotline campaigns check` on the example campaign (the counts a campaign manager reads before
//! launch) and on broken campaigns (a refusal at file:line:column, a flow without an opt-out).

mod support;

use std::process::Command;

use support::{run, workspace_root, TempDir};

fn check(args: &[&str]) -> (bool, String, String) {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["campaigns", "check"])
        .args(args));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_example_campaign_reports_what_launch_would_do() {
    // Tuesday 8 December 2026, 15:00 UTC: afternoon in Europe, morning in New York, night in
    // Sydney, Perth and Tokyo, early morning in Los Angeles.
    let (ok, stdout, stderr) = check(&["delivery", "--at", "2026-12-08T15:00:00Z"]);
    assert!(ok, "{stdout}\n{stderr}");
    for expected in [
        "the flow offers an opt-out (key 9 at notice; saying stop at notice)",
        "13 rows read from campaigns/delivery-contacts.csv.",
        "10 contacts will be called.",
        "1 contact will be skipped: on a do-not-call list.",
        "  line 12: +13035550177",
        "1 row will be skipped: invalid.",
        "  line 10: `555-0100` is not a valid number",
        "1 row will be skipped: duplicates.",
        "  line 11: +12125550142 is already on line 3",
        "6 contacts are inside the calling window and 4 outside it.",
        "  line 6: +61293744000 (Australia/Sydney) opens Wed 2026-12-09 09:00 local time (2026-12-08 22:00 UTC)",
        "  line 7: +14155550199 (America/Los_Angeles) opens Tue 2026-12-08 09:00 local time (2026-12-08 17:00 UTC)",
        "Calls leave by trunk `main` (192.0.2.40:5060, ring timeout 30s, with digest credentials).",
        "This check plans the campaign; `hotline campaigns start delivery` runs it on the server.",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
}

#[test]
fn a_broken_campaign_file_is_refused_at_its_line_and_column() {
    let dir = TempDir::new("campaign-broken");
    let example =
        std::fs::read_to_string(workspace_root().join("campaigns/delivery.yaml")).unwrap();
    let broken = example.replace("  max_concurrent: 4", "  max_concurent: 4");
    let line = broken
        .lines()
        .position(|l| l.contains("max_concurent"))
        .unwrap()
        + 1;
    let file = dir.write("broken.yaml", &broken);
    let (ok, stdout, stderr) = check(&[file.to_str().unwrap()]);
    assert!(!ok, "{stdout}");
    let expected = format!(
        "{}:{line}:3: unknown field `max_concurent`: did you mean `max_concurrent`?",
        file.display()
    );
    assert!(
        stderr.contains(&expected),
        "missing {expected:?} in:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn a_campaign_whose_flow_offers_no_opt_out_is_refused() {
    let dir = TempDir::new("campaign-no-opt-out");
    let root = workspace_root();
    let example = std::fs::read_to_string(root.join("campaigns/delivery.yaml")).unwrap();
    let campaigns = root.join("campaigns");
    let shop = example
        .replace(
            "../flows/delivery_notice.yaml",
            root.join("flows/shop.yaml").to_str().unwrap(),
        )
        .replace(
            "delivery-contacts.csv",
            campaigns.join("delivery-contacts.csv").to_str().unwrap(),
        )
        .replace(
            "[dnc.txt]",
            &format!("[{}]", campaigns.join("dnc.txt").display()),
        );
    let file = dir.write("shop.yaml", &shop);
    let (ok, stdout, stderr) = check(&[file.to_str().unwrap()]);
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("offers no opt-out"), "{stderr}");
}

fn dnc(database: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args(["campaigns"])
        .args(args)
        .arg("--database")
        .arg(database));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_global_do_not_call_list_is_imported_listed_and_counted_by_check() {
    let dir = TempDir::new("campaign-dnc");
    let database = dir.join("calls.db");
    dir.write(
        "refusals.csv",
        "number,reason\n(212) 555-0142,asked by letter\n555-01,typo\n+44 20 7946 0018\n",
    );
    let (ok, out, err) = dnc(
        &database,
        &[
            "dnc",
            "import",
            dir.join("refusals.csv").to_str().unwrap(),
            "--country",
            "US",
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("refusals.csv:3: `555-01` is not a number"),
        "{out}"
    );
    assert!(out.contains("2 number(s) added"), "{out}");
    let (ok, out, _) = dnc(&database, &["dnc", "list"]);
    assert!(ok);
    assert!(
        out.lines()
            .any(|l| l.starts_with("+12125550142 ") && l.ends_with("asked by letter")),
        "{out}"
    );
    let (ok, _, err) = dnc(&database, &["dnc", "remove", "+12125550199"]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        "error: +12125550199 is not on the do-not-call list"
    );

    let (ok, out, err) = dnc(
        &database,
        &["check", "delivery", "--at", "2026-12-08T15:00:00Z"],
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("3 contacts will be skipped: on a do-not-call list.")
            && out.contains("(2 of them on the global do-not-call list)")
            && out.contains("line 3: +12125550142 (global list)"),
        "{out}"
    );
}
