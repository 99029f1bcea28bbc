//! Shared helpers for the end-to-end tests: a scratch directory, free loopback ports, the real
//! `hotline serve` child process, and reading its call records back with `hotline calls`.
//!
//! Include it from a test file with `mod support;`. Audio making (espeak-ng, sox, pcap reading)
//! lives in `support::audio`, driving SIPp in `support::sipp`, baresip softphones (and the private
//! network namespace they need) in `support::baresip`, raw SIP text in `support::sip_text`.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod audio;
pub mod baresip;
pub mod browser;
pub mod http;
pub mod sip_text;
pub mod sipp;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long `hotline serve` may take to load its models and print its listening line.
pub const SERVER_START_TIMEOUT: Duration = Duration::from_secs(120);

/// Serialises the tests of one file (each starts a server that wants both cores); survives a
/// test that panicked while holding it.
pub fn serial(lock: &'static Mutex<()>) -> MutexGuard<'static, ()> {
    lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The workspace root: where `models/`, `voices/` and `flows/` live.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory under the system temp dir, removed on drop unless the test is failing
/// (then it is kept and its path printed, for a post-mortem).
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("hotline-e2e-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `text` to `name` inside the directory and returns the full path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "kept the scratch directory for inspection: {}",
                self.path.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    free_udp_ports(1)
}

/// The first of `count` consecutive UDP ports on 127.0.0.1 that were all free a moment ago
/// (RTP wants an even port with its RTCP neighbour; SIPp also uses media port + 2).
pub fn free_udp_ports(count: u16) -> u16 {
    for _ in 0..200 {
        let probe = UdpSocket::bind("127.0.0.1:0").expect("bind a probe socket on 127.0.0.1");
        let base = probe.local_addr().expect("probe address").port() & !1;
        drop(probe);
        if base < 10_000 || base.checked_add(count).is_none() {
            continue;
        }
        let held: Vec<_> = (base..base + count)
            .map_while(|p| UdpSocket::bind(("127.0.0.1", p)).ok())
            .collect();
        if held.len() == count as usize {
            return base;
        }
    }
    panic!("found no {count} consecutive free UDP ports on 127.0.0.1");
}

/// Runs a command to completion, panicking with its full output if it cannot start or fails.
pub fn run_ok(command: &mut Command) -> Output {
    let output = run(command);
    if !output.status.success() {
        panic!("{}", describe_failure(command, &output));
    }
    output
}

/// Runs a command to completion and returns its output whatever the exit status.
/// What `hotline transcribe` hears in a WAV, lower-cased (empty when it fails).
pub fn transcribe(wav: &Path) -> String {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("transcribe")
        .arg(wav));
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

pub fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn describe_failure(command: &Command, output: &Output) -> String {
    format!(
        "{command:?} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// What to start `hotline serve` with; rendered into a config file overlaid on the defaults.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// RTP ports `[rtp_port_min, rtp_port_min + 99]`: give each test its own range.
    pub rtp_port_min: u16,
    pub max_calls: u32,
    /// `sip.answer_after`, e.g. `"3s"` (ring that long before answering).
    pub answer_after: Option<String>,
    /// `speech.whisper_model`: `base`, `tiny.en` or a file.
    pub whisper_model: Option<String>,
    /// `--flow`, relative to the workspace root.
    pub flow: Option<String>,
    /// `rtp.inactivity_timeout`, e.g. `"2s"`.
    pub rtp_timeout: Option<String>,
    /// Extra environment for the server (e.g. the shop API's URL and key).
    pub env: Vec<(String, String)>,
    /// `sip.allowed_peers` (a YAML list), when not the embedded default.
    pub allowed_peers: Option<String>,
    /// `webhook.url`: where handoff tickets are POSTed.
    pub webhook_url: Option<String>,
    /// `webhook.first_retry`, e.g. `"200ms"`.
    pub webhook_first_retry: Option<String>,
    /// The agents file's text (written to the scratch dir); `None`: the shipped one.
    pub agents_yaml: Option<String>,
    /// The queues file's text (written to the scratch dir); `None`: the shipped one.
    pub queues_yaml: Option<String>,
    /// `agents.min_registration`, e.g. `"2s"`, so a test can watch a registration expire.
    pub register_min_expires: Option<String>,
    /// More `speech:` settings as (key, value), e.g. `("asr_test_delay", "2s")`.
    pub speech: Vec<(String, String)>,
    /// More `rtp:` settings as (key, value), e.g. `("allowed_networks", "[0.0.0.0/0]")`.
    pub rtp: Vec<(String, String)>,
    /// `campaigns.dir` and `campaigns.trunks`, when not the shipped ones.
    pub campaigns: Option<(PathBuf, PathBuf)>,
    /// `--listen`, when not `127.0.0.1:0` (e.g. an address the test's namespace owns).
    pub listen: Option<String>,
    /// More `sip:` settings as (key, value), e.g. `("allowed", "{register: [10.0.0.0/8]}")`.
    pub sip: Vec<(String, String)>,
    /// `inspection.rules`, when not the shipped `inspection/rules.yaml`.
    pub inspection_rules: Option<PathBuf>,
}

impl ServerOptions {
    /// Many calls allowed, answer at once, the shop flow, RTP from `rtp_port_min`.
    pub fn new(rtp_port_min: u16) -> ServerOptions {
        ServerOptions {
            rtp_port_min,
            max_calls: 64,
            answer_after: None,
            whisper_model: None,
            flow: Some("flows/shop.yaml".into()),
            rtp_timeout: None,
            env: Vec::new(),
            allowed_peers: None,
            webhook_url: None,
            webhook_first_retry: None,
            agents_yaml: None,
            queues_yaml: None,
            register_min_expires: None,
            speech: Vec::new(),
            rtp: Vec::new(),
            campaigns: None,
            listen: None,
            sip: Vec::new(),
            inspection_rules: None,
        }
    }

    /// The YAML overlay file's text; agents and queues files, when given, live in `dir`.
    pub fn config_yaml(&self, dir: &Path) -> String {
        let mut yaml = format!("sip:\n  max_calls: {}\n", self.max_calls);
        for (key, value) in &self.sip {
            yaml.push_str(&format!("  {key}: {value}\n"));
        }
        if let Some(peers) = &self.allowed_peers {
            yaml.push_str(&format!("  allowed_peers: {peers}\n"));
        }
        if let Some(ring) = &self.answer_after {
            yaml.push_str(&format!("  answer_after: {ring}\n"));
        }
        yaml.push_str(&format!(
            "rtp:\n  port_min: {}\n  port_max: {}\n",
            self.rtp_port_min,
            self.rtp_port_min + 99
        ));
        if let Some(timeout) = &self.rtp_timeout {
            yaml.push_str(&format!("  inactivity_timeout: {timeout}\n"));
        }
        for (key, value) in &self.rtp {
            yaml.push_str(&format!("  {key}: {value}\n"));
        }
        if self.whisper_model.is_some() || !self.speech.is_empty() {
            yaml.push_str("speech:\n");
        }
        if let Some(model) = &self.whisper_model {
            yaml.push_str(&format!("  whisper_model: {model}\n"));
        }
        for (key, value) in &self.speech {
            yaml.push_str(&format!("  {key}: {value}\n"));
        }
        if self.webhook_url.is_some() || self.webhook_first_retry.is_some() {
            yaml.push_str("webhook:\n");
        }
        if let Some(url) = &self.webhook_url {
            yaml.push_str(&format!("  url: {url:?}\n"));
        }
        if let Some(retry) = &self.webhook_first_retry {
            yaml.push_str(&format!("  first_retry: {retry}\n"));
        }
        let agents = self.agents_yaml.as_ref().map(|_| dir.join("agents.yaml"));
        let queues = self.queues_yaml.as_ref().map(|_| dir.join("queues.yaml"));
        if agents.is_some() || queues.is_some() || self.register_min_expires.is_some() {
            yaml.push_str("agents:\n");
        }
        if let Some(path) = agents {
            yaml.push_str(&format!("  file: {:?}\n", path.display().to_string()));
        }
        if let Some(path) = queues {
            yaml.push_str(&format!("  queues: {:?}\n", path.display().to_string()));
        }
        if let Some(min) = &self.register_min_expires {
            yaml.push_str(&format!("  min_registration: {min}\n"));
        }
        if let Some(rules) = &self.inspection_rules {
            yaml.push_str(&format!(
                "inspection:\n  rules: {:?}\n",
                rules.display().to_string()
            ));
        }
        if let Some((campaigns, trunks)) = &self.campaigns {
            yaml.push_str(&format!(
                "campaigns:\n  dir: {:?}\n  trunks: {:?}\n",
                campaigns.display().to_string(),
                trunks.display().to_string()
            ));
        }
        yaml
    }
}

/// `hotline tokens add NAME --role ROLE --database DB`: the token it prints.
pub fn add_token(database: &Path, name: &str, role: &str) -> String {
    let out = run_ok(
        Command::new(env!("CARGO_BIN_EXE_hotline"))
            .current_dir(workspace_root())
            .args(["tokens", "add", name, "--role", role, "--database"])
            .arg(database),
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        token.starts_with("hl_"),
        "hotline tokens add printed {token:?}"
    );
    token
}

/// `hotline users add NAME --role ROLE --password-stdin --database DB`, the password piped in.
pub fn add_user(database: &Path, name: &str, role: &str, password: &str) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .args([
            "users",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--database",
        ])
        .arg(database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hotline users add");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write the password");
    let out = child.wait_with_output().expect("hotline users add");
    assert!(
        out.status.success(),
        "hotline users add {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running `hotline serve` child listening on 127.0.0.1 (its own database in the scratch
/// dir, stderr captured to `hotline.log`); killed on drop, which also prints its log if the
/// test is failing.
pub struct Server {
    child: Child,
    /// Where it answers SIP.
    pub sip: SocketAddr,
    /// Where its admin HTTP API answers (`http://ADDR/...`).
    pub admin: SocketAddr,
    pub database: PathBuf,
    pub log: PathBuf,
    /// The `Ready in ...` line printed before the SIP port opened, if any.
    pub ready_line: Option<String>,
    /// An admin API token (role admin) made with `hotline tokens add` before the start.
    pub token: String,
}

impl Server {
    /// The server process's id (to read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the server from the workspace root and waits (up to [`SERVER_START_TIMEOUT`]) for
    /// its stdout lines `Admin API listening on http://ADDR` and then `SIP listening on udp:ADDR`.
    pub fn start(dir: &TempDir, options: &ServerOptions) -> Server {
        if let Some(text) = &options.agents_yaml {
            dir.write("agents.yaml", text);
        }
        if let Some(text) = &options.queues_yaml {
            dir.write("queues.yaml", text);
        }
        let config = dir.write("hotline.yaml", &options.config_yaml(dir.path()));
        let database = dir.join("hotline.db");
        // A restart on the same directory (the crash test) keeps the token made at the first start.
        let token_file = dir.join("e2e.token");
        let token = match std::fs::read_to_string(&token_file) {
            Ok(saved) => saved.trim().to_string(),
            Err(_) => {
                let token = add_token(&database, "e2e", "admin");
                std::fs::write(&token_file, &token).expect("save the e2e token");
                token
            }
        };
        let log = dir.join("hotline.log");
        let log_file = std::fs::File::create(&log).expect("create the server log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_hotline"));
        command
            .current_dir(workspace_root())
            .arg("--config")
            .arg(&config)
            .args([
                "serve",
                "--listen",
                options.listen.as_deref().unwrap_or("127.0.0.1:0"),
                "--admin-listen",
                "127.0.0.1:0",
                "--database",
            ])
            .arg(&database);
        if let Some(flow) = &options.flow {
            command.arg("--flow").arg(flow);
        }
        command.envs(options.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut child = command
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info,hotline=debug".into()),
            )
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            sip: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin: SocketAddr::from(([127, 0, 0, 1], 0)),
            database,
            log,
            ready_line: None,
            token,
        };
        let deadline = Instant::now() + SERVER_START_TIMEOUT;
        loop {
            match lines.recv_timeout(Duration::from_millis(250)) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("Admin API listening on http://") {
                        server.admin = addr
                            .trim()
                            .parse()
                            .unwrap_or_else(|e| panic!("bad admin line {line:?}: {e}"));
                        continue;
                    }
                    if line.starts_with("Ready in ") {
                        server.ready_line = Some(line);
                        continue;
                    }
                    if let Some(addr) = line.strip_prefix("SIP listening on udp:") {
                        assert_ne!(
                            server.admin.port(),
                            0,
                            "hotline serve printed no admin line before {line:?}"
                        );
                        server.sip = addr
                            .trim()
                            .parse()
                            .unwrap_or_else(|e| panic!("bad listening line {line:?}: {e}"));
                        return server;
                    }
                    eprintln!("hotline stdout: {line}");
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = server.child.wait().ok();
                    panic!("hotline serve closed stdout before listening (exit {status:?}); its log follows");
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("hotline serve exited ({status}) before listening; its log follows");
            }
            if Instant::now() > deadline {
                panic!(
                    "hotline serve printed no listening line within {SERVER_START_TIMEOUT:?}; its log follows"
                );
            }
        }
    }

    /// Kills the server at once (SIGKILL: no BYE, no clean shutdown), as a crash or a power cut
    /// would, and waits for it to be gone.
    pub fn crash(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the server to stop as `systemctl stop` does (SIGTERM to this child's pid only); does
    /// not wait for it to exit (see [`Server::exited`]).
    pub fn terminate(&mut self) {
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on the pid of the child this helper started and has not reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }

    /// The server's stderr so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log)
            .unwrap_or_else(|e| format!("(cannot read {}: {e})", self.log.display()))
    }

    /// `None` while the child runs, its exit status once it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// `METHOD path` on the admin API with this server's admin token: (status, body).
    pub fn api(&self, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
        http::http_request_with(self.admin, method, path, json, Some(&self.token))
    }

    /// `hotline users add NAME --role ROLE --password-stdin` on this server's database.
    pub fn add_user(&self, name: &str, role: &str, password: &str) {
        add_user(&self.database, name, role, password);
    }

    /// `hotline calls ARGS --database DB`, run from the workspace root.
    pub fn calls(&self, args: &[&str]) -> Output {
        run(Command::new(env!("CARGO_BIN_EXE_hotline"))
            .current_dir(workspace_root())
            .arg("calls")
            .args(args)
            .arg("--database")
            .arg(&self.database))
    }

    /// Runs `hotline dial sip:hotline@SERVER ARGS` and returns its stdout (panics with both
    /// sides' output if the call fails).
    pub fn dial<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> String {
        let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
            .current_dir(workspace_root())
            .arg("dial")
            .arg(format!("sip:hotline@{}", self.sip))
            .args(args));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "hotline dial failed\nstdout:\n{stdout}\nstderr:\n{}\nserver log:\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log_text()
        );
        stdout
    }

    /// The id of the newest call, from `hotline calls list`.
    pub fn newest_call(&self) -> String {
        let list = self.calls_list();
        list.lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no call listed:\n{list}"))
            .to_string()
    }

    /// `hotline calls list` output (panics if the command fails).
    pub fn calls_list(&self) -> String {
        let out = self.calls(&["list"]);
        assert!(
            out.status.success(),
            "hotline calls list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `hotline calls replay ID`: the call's journal, run through its flow again, makes the same
    /// decisions the call made (panics with the replay otherwise).
    pub fn assert_replay_matches(&self, id: &str) {
        let out = self.calls(&["replay", id]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success()
                && (text.contains("replay matches") || text.contains("was never answered")),
            "the replay of call {id} does not match the call\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Polls `hotline calls show CALL_ID` until the call has a hang-up cause, then returns it
    /// parsed. Panics (with the server log) if no finished record appears within `timeout`.
    pub fn wait_for_finished_call(&self, sip_call_id: &str, timeout: Duration) -> CallRecord {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.calls(&["show", sip_call_id]);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if out.status.success() {
                let record = CallRecord::parse(&text);
                if record.cause.as_deref().is_some_and(|c| c != "-") {
                    self.assert_replay_matches(sip_call_id);
                    return record;
                }
            }
            let last = format!("{}{}", text, String::from_utf8_lossy(&out.stderr));
            if Instant::now() > deadline {
                panic!(
                    "no finished call record for Call-ID {sip_call_id} within {timeout:?}\n\
                     --- last `hotline calls show` ---\n{last}\n--- calls list ---\n{}",
                    String::from_utf8_lossy(&self.calls(&["list"]).stdout)
                );
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only the child this helper started, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- hotline serve log ({}) ---\n{}",
                self.log.display(),
                self.log_text()
            );
        }
    }
}

/// The parts of `hotline calls show` the tests check.
#[derive(Debug, Clone, Default)]
pub struct CallRecord {
    pub cause: Option<String>,
    pub codec: Option<String>,
    /// Every `caller pressed:` line, in turn order.
    pub pressed: Vec<String>,
    /// Every `caller: "..."` transcript, in turn order.
    pub caller_said: Vec<String>,
    /// Every `bot: "..."` line, in turn order.
    pub bot_said: Vec<String>,
    /// The intent of every `matched:` line (an intent whose route was taken), in turn order.
    pub matched: Vec<String>,
    /// The whole text, for failure messages.
    pub text: String,
}

impl CallRecord {
    pub fn parse(text: &str) -> CallRecord {
        let mut record = CallRecord {
            text: text.to_string(),
            ..CallRecord::default()
        };
        for line in text.lines() {
            let trimmed = line.trim();
            if let Some(v) = line.strip_prefix("cause ") {
                record.cause = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("codec ") {
                record.codec = Some(v.trim().to_string());
            } else if let Some(v) = trimmed.strip_prefix("caller pressed:") {
                record.pressed.push(v.trim().to_string());
            } else if let Some(v) = trimmed.strip_prefix("caller:") {
                record.caller_said.push(v.trim().to_string());
            } else if let Some(v) = trimmed.strip_prefix("bot:") {
                record.bot_said.push(v.trim().to_string());
            } else if let Some(v) = trimmed.strip_prefix("matched:") {
                let intent = v.split_whitespace().next().unwrap_or_default();
                record.matched.push(intent.to_string());
            }
        }
        record
    }
}
