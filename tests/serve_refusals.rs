//! `hotline serve` refusing to start where it would be unsafe, with a sentence that says why and
//! what to change: the shipped example agent passwords on a SIP port other machines may register
//! on, or a `queues.yaml` sentence it could not say. The refusal comes before any socket is bound.

mod support;

use std::process::Command;
use std::time::Duration;

use support::{workspace_root, TempDir};

#[test]
fn example_agent_passwords_on_a_reachable_port_are_refused() {
    let dir = TempDir::new("refuse-example-passwords");
    // The office network may register; the agents file is the shipped example.
    let config = dir.write(
        "hotline.yaml",
        "sip:\n  allowed_peers: [\"127.0.0.0/8\", \"10.0.0.0/8\"]\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("--config")
        .arg(&config)
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--database",
        ])
        .arg(dir.join("hotline.db"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hotline serve starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            panic!("hotline serve kept running with the example passwords on 0.0.0.0");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("agent1, agent2 still have the example password"),
        "{stderr}"
    );
    assert!(stderr.contains("sip-config/agents.yaml"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !stdout.contains("SIP listening"),
        "the SIP port was opened before the refusal:\n{stdout}"
    );
}

#[test]
fn a_misspelt_queue_sentence_is_refused_at_its_line_and_column() {
    let dir = TempDir::new("refuse-queue-sentence");
    let queues = dir.write(
        "queues.yaml",
        "messages:\n  no_agent: \"Sorry.\"\nqueues:\n  support:\n    skills: [support]\n    messages:\n      position: \"You are caller {postion}.\"\n",
    );
    let config = dir.write(
        "hotline.yaml",
        &format!("agents:\n  queues: {}\n", queues.display()),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("--config")
        .arg(&config)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--database",
        ])
        .arg(dir.join("hotline.db"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hotline serve starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            panic!("hotline serve kept running with a misspelt placeholder in queues.yaml");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:7:17: queue `support`: sentence `position`: unknown placeholder {{postion}} (did you mean {{position}}?); it can use {{position}}",
            queues.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stdout.contains("SIP listening"), "{stdout}");
}
