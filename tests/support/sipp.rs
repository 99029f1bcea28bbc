//! Driving SIPp (Debian `sip-tester`) as a real third-party SIP peer: one call from a scenario in
//! `tests/sipp/`, bound to loopback, with its error, message and screen logs kept for failures.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{free_udp_port, free_udp_ports, workspace_root, TempDir};

/// The SIPp binary the tests use.
pub const SIPP: &str = "/usr/bin/sipp";

/// A scenario file from `tests/sipp/`.
pub fn scenario(name: &str) -> PathBuf {
    workspace_root().join("tests").join("sipp").join(name)
}

/// One SIPp run: a single call (`-m 1`) from `scenario` to `target`.
pub struct SippCall {
    pub scenario: PathBuf,
    pub target: SocketAddr,
    /// Names the log files and the Call-ID: SIPp's call is `<label>-1@127.0.0.1`.
    pub label: String,
    /// SIPp's own global timeout (`-timeout`, with `-timeout_error`); the test kills it a little
    /// later if it still has not exited.
    pub timeout: Duration,
    /// More command-line arguments.
    pub extra_args: Vec<String>,
    /// SIPp's own SIP port, when the test must know it in advance (a UAS others call).
    pub sip_port: Option<u16>,
}

impl SippCall {
    pub fn new(scenario_name: &str, target: SocketAddr, label: &str) -> SippCall {
        SippCall {
            scenario: scenario(scenario_name),
            target,
            label: label.to_string(),
            timeout: Duration::from_secs(60),
            extra_args: Vec::new(),
            sip_port: None,
        }
    }

    /// The Call-ID SIPp will use for its one call.
    pub fn call_id(&self) -> String {
        format!("{}-1@127.0.0.1", self.label)
    }

    /// Runs SIPp with `dir` as its working directory (scenario media files are relative to it,
    /// and SIPp's own files land there) and waits for it to exit.
    pub fn run(&self, dir: &TempDir) -> SippOutcome {
        let sip_port = self.sip_port.unwrap_or_else(free_udp_port);
        let media_port = free_udp_ports(4);
        let errors = dir.join(&format!("{}_errors.log", self.label));
        let messages = dir.join(&format!("{}_messages.log", self.label));
        let screen = dir.join(&format!("{}_screen.log", self.label));
        let logs = dir.join(&format!("{}_logs.log", self.label));
        let stdout = dir.join(&format!("{}_stdout.log", self.label));
        let stderr = dir.join(&format!("{}_stderr.log", self.label));
        let mut command = Command::new(SIPP);
        command
            .current_dir(dir.path())
            .arg(self.target.to_string())
            .arg("-sf")
            .arg(&self.scenario)
            .args(["-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .args(["-p", &sip_port.to_string(), "-mp", &media_port.to_string()])
            .args(["-m", "1", "-nostdin", "-timeout_error"])
            .args(["-timeout", &format!("{}s", self.timeout.as_secs().max(1))])
            .args(["-cid_str", &format!("{}-%u@%s", self.label)])
            .arg("-trace_err")
            .arg("-error_file")
            .arg(&errors)
            .arg("-trace_msg")
            .arg("-message_file")
            .arg(&messages)
            .arg("-trace_screen")
            .arg("-screen_file")
            .arg(&screen)
            .arg("-trace_logs")
            .arg("-log_file")
            .arg(&logs)
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(
                std::fs::File::create(&stdout).expect("create SIPp stdout file"),
            ))
            .stderr(Stdio::from(
                std::fs::File::create(&stderr).expect("create SIPp stderr file"),
            ));
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let deadline = Instant::now() + self.timeout + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for SIPp") {
                break status;
            }
            if Instant::now() > deadline {
                // Only the SIPp this helper started, by its handle.
                let _ = child.kill();
                break child.wait().expect("reap SIPp");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let stderr = read_or_none(&stderr);
        SippOutcome {
            status,
            command: format!("{command:?}"),
            stderr,
            errors,
            messages,
            screen,
            logs,
        }
    }
}

/// How a SIPp run ended, with paths to everything it logged.
pub struct SippOutcome {
    pub status: ExitStatus,
    pub command: String,
    pub stderr: String,
    pub errors: PathBuf,
    pub messages: PathBuf,
    pub screen: PathBuf,
    pub logs: PathBuf,
}

impl SippOutcome {
    /// Panics with SIPp's logs unless it exited 0 (every call successful).
    pub fn assert_success(&self, what: &str) {
        if self.status.code() != Some(0) {
            panic!(
                "{what}: SIPp exited with {} (0 = all calls succeeded)\n{}",
                self.status,
                self.report()
            );
        }
    }

    /// Everything SIPp logged, for a failure message.
    pub fn report(&self) -> String {
        format!(
            "command: {}\n--- SIPp stderr ---\n{}\n--- SIPp errors ({}) ---\n{}\n--- SIPp screen ---\n{}\n--- SIPp log actions ---\n{}\n--- SIP messages ---\n{}",
            self.command,
            self.stderr,
            self.errors.display(),
            read_or_none(&self.errors),
            read_or_none(&self.screen),
            read_or_none(&self.logs),
            read_or_none(&self.messages),
        )
    }

    /// The SIP messages SIPp sent and received.
    pub fn messages(&self) -> String {
        read_or_none(&self.messages)
    }
}

fn read_or_none(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|_| "(none)".into())
}
