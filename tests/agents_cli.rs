//! `hotline agents passwd ID`: a phone agent's password goes into `agents.yaml` as HA1 hashes
//! for the file's realm, replacing the clear `password:` line and leaving every other line
//! (comments, order, other agents) as the operator wrote it; weak and example passwords are
//! refused with a sentence and the file is left alone.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::TempDir;

const AGENTS: &str = "\
# Our agents. Keep this comment.
realm: shop.example

agents:
  - id: agent1
    name: Agent One   # the day shift
    password: agent1-secret     # change me
    skills: [support]
  # Bob works nights.
  - id: agent2
    password: agent2-secret
    skills: [support]
";

/// `hotline --config DIR/hotline.yaml agents passwd ID --password-stdin` fed `password`.
fn passwd(dir: &TempDir, id: &str, password: &str) -> Output {
    let config = dir.write(
        "hotline.yaml",
        &format!("agents:\n  file: {}\n", dir.join("agents.yaml").display()),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--config")
        .arg(&config)
        .args(["agents", "passwd", id, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hotline runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().expect("hotline exits")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn passwd_writes_ha1_hashes_in_place_of_the_password_and_keeps_the_rest() {
    let dir = TempDir::new("agents-passwd");
    let file = dir.write("agents.yaml", AGENTS);
    let out = passwd(&dir, "agent1", "violet-harbour-lamp-42");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();

    use md5::Digest as _;
    let md5 = hex(&md5::Md5::digest(
        b"agent1:shop.example:violet-harbour-lamp-42",
    ));
    let sha = hex(&sha2::Sha256::digest(
        b"agent1:shop.example:violet-harbour-lamp-42",
    ));
    let expected = AGENTS.replace(
        "    password: agent1-secret     # change me\n",
        &format!(
            "    ha1_md5: \"{md5}\"\n    ha1_sha256: \"{sha}\"\n    ha1_realm: \"shop.example\"\n"
        ),
    );
    assert_eq!(text, expected, "only agent1's password line changes");
    assert!(!text.contains("violet-harbour"), "no password in clear");
    assert!(text.contains("# Our agents. Keep this comment."));
    assert!(text.contains("  # Bob works nights.\n  - id: agent2\n    password: agent2-secret"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("agent agent1: password stored as HA1 hashes"),
        "{stdout}"
    );
}

#[test]
fn passwd_refuses_weak_passwords_and_unknown_agents_with_a_sentence() {
    let dir = TempDir::new("agents-passwd-weak");
    let file = dir.write("agents.yaml", AGENTS);
    for (id, password, why) in [
        (
            "agent2",
            "agent2-secret",
            "the example one or a well-known weak one",
        ),
        (
            "agent2",
            "changeme",
            "the example one or a well-known weak one",
        ),
        ("agent2", "short-1", "shorter than 10 characters"),
    ] {
        let out = passwd(&dir, id, password);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{password} was accepted");
        assert!(
            stderr.contains(&format!("password for agent `{id}` refused: "))
                && stderr.contains(why),
            "{stderr}"
        );
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = passwd(&dir, "agent9", "violet-harbour-lamp-42");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("agent `agent9`: there is no such agent in this file"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        AGENTS,
        "file untouched"
    );
}
