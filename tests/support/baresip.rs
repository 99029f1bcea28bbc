//! baresip 1.0.0 (Debian `baresip-core`) as a real third-party softphone: a caller that places
//! one call, or a human agent's phone that REGISTERs with digest credentials and auto-answers.
//!
//! Every phone is one `baresip` child with its own config dir (`DIR/NAME/`), its stdout kept in
//! `DIR/NAME/baresip.log`, and its recordings in `DIR/NAME/rec/`; it is killed by its own handle
//! on drop. baresip binds the machine's outward address rather than loopback, so a test that uses
//! it first calls [`enter_private_network`]: then 127.0.0.1 is the only address and nothing can
//! leave the machine.
//!
//! # Audio
//! The `aufile` module plays a WAV as the microphone, from its start at every call. **baresip
//! ends the call when that file ends** (log: `menu: audio error (0,end of file)`), so the file's
//! length is the phone's hang-up time: a caller's file must hold silence for everything it wants
//! to hear; an agent's file gets [`AGENT_SILENCE_TAIL`] of silence appended here, so an agent
//! never hangs up first unless a test kills it. Files are converted to 8 kHz 16-bit mono (the
//! rate `aufile` must be given for PCMU) without changing their timing.
//!
//! The `sndfile` module records every call twice: `dump-YYYY-MM-DD-hh-mm-ss-enc.wav` (what this
//! phone sent) and `...-dec.wav` (what it received). The name has one-second resolution: two
//! calls starting within the same second on one phone share (and overwrite) a file.
//!
//! # What baresip 1.0.0 logs (stdout, flushed as it goes; some lines carry ANSI colour codes)
//! Verified on loopback against a python registrar and between two baresips:
//! - registered: `agent1@127.0.0.1: {0/UDP/v4} 200 OK () [1 binding]` ([`LOG_REGISTERED`]);
//!   it also logs this at every refresh.
//! - registration refused: `reg: sip:agent1@127.0.0.1:5060: 403 Forbidden ()` ([`LOG_REG_FAILED`]
//!   prefix `reg: `, then the AOR and the status line); retried 30-60 s later. A wrong password
//!   answered with 401 again (same nonce) makes it re-send ~15 authenticated REGISTERs at once
//!   before it logs `reg: ...: 401 Unauthorized ()`.
//! - REGISTER facts: `Contact: <sip:USER-0xHEX@127.0.0.1:PORT>;expires=REGINT` (no Expires
//!   header; the user part is unique per process), `Authorization: Digest username=, realm=,
//!   nonce=, uri="sip:REGISTRAR", response=, cnonce=, qop=auth, nc=00000001` (no algorithm);
//!   refreshes at 90% of the granted expiry, same Call-ID, each refresh again without
//!   credentials first (expects a new 401). SIGTERM sends `expires=0`.
//! - auto-answering an incoming INVITE: `call: answering call on line 1 from sip:X with 200`
//!   ([`LOG_ANSWERING`]); the 200 it sends has the reason phrase `Answering`.
//! - call up (both sides): `alice@127.0.0.1: Call established: sip:PEER` ([`LOG_ESTABLISHED`]).
//! - media arrives: `stream: incoming rtp for 'audio' established, receiving from IP:PORT`.
//! - the peer sent BYE: `sip:PEER: session closed: Connection reset by peer`, then
//!   `sip:ME: Call with sip:PEER terminated (duration: 17 secs)` ([`LOG_TERMINATED`], logged for
//!   every end of call, whoever ended it).
//! - our file ended, so we hang up (BYE): `menu: audio error (0,end of file)` then the
//!   `terminated` line.
//! - SIGTERM: `terminated by signal 15` then `ua: stop all (forced=0)`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{run_ok, TempDir};

/// Registration accepted (also logged at each refresh): `200 OK (SERVER) [1 binding]`.
pub const LOG_REGISTERED: &str = "200 OK (";
/// Registration refused: `reg: AOR: CODE REASON ()`.
pub const LOG_REG_FAILED: &str = "reg: ";
/// An incoming call auto-answered (`answermode=auto`).
pub const LOG_ANSWERING: &str = "call: answering call";
/// A call is up, on either side.
pub const LOG_ESTABLISHED: &str = "Call established";
/// A call ended, whoever ended it.
pub const LOG_TERMINATED: &str = "terminated (duration:";

/// Silence appended to an agent's speech so it does not hang up first.
pub const AGENT_SILENCE_TAIL: Duration = Duration::from_secs(300);
/// The default re-registration interval (`regint`): baresip asks for this Expires and refreshes
/// before it runs out.
pub const DEFAULT_REGINT: u32 = 60;

/// Moves the calling thread (and every process it starts afterwards) into a new network namespace
/// with loopback up and a default route onto loopback.
pub fn enter_private_network() {
    // SAFETY: unshare has no memory-safety preconditions; it changes only this thread's namespace.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "unshare(CLONE_NEWNET) failed ({}); this test needs root to make a private network",
        std::io::Error::last_os_error()
    );
    run_ok(Command::new("ip").args(["link", "set", "lo", "up"]));
    run_ok(Command::new("ip").args(["route", "add", "default", "dev", "lo"]));
}

/// One baresip child process.
pub struct Baresip {
    child: Child,
    /// Its config dir: `config`, `accounts`, `baresip.log`, `rec/`.
    pub dir: PathBuf,
    pub name: String,
    /// Where it listens for SIP (127.0.0.1).
    pub sip: SocketAddr,
    log: PathBuf,
    rec: PathBuf,
}

impl Baresip {
    /// A human agent's phone: registers `sip:USER@SERVER` with digest credentials every
    /// [`DEFAULT_REGINT`] seconds, answers every call at once, speaks `speech_wav` (then
    /// [`AGENT_SILENCE_TAIL`] of silence) and records both directions.
    #[allow(clippy::too_many_arguments)]
    pub fn agent(
        dir: &TempDir,
        name: &str,
        server: SocketAddr,
        user: &str,
        password: &str,
        speech_wav: &Path,
        sip_port: u16,
        rtp_min: u16,
    ) -> Baresip {
        Baresip::agent_with_regint(
            dir,
            name,
            server,
            user,
            password,
            speech_wav,
            sip_port,
            rtp_min,
            DEFAULT_REGINT,
        )
    }

    /// [`Baresip::agent`] with another re-registration interval (`regint`, seconds; it is also
    /// the Expires baresip asks for). `0` means never register. To make an agent stop
    /// refreshing (so the server's binding expires), [`Baresip::kill`] it: SIGKILL sends no
    /// un-REGISTER.
    #[allow(clippy::too_many_arguments)]
    pub fn agent_with_regint(
        dir: &TempDir,
        name: &str,
        server: SocketAddr,
        user: &str,
        password: &str,
        speech_wav: &Path,
        sip_port: u16,
        rtp_min: u16,
        regint: u32,
    ) -> Baresip {
        Baresip::phone(
            dir, name, server, user, password, speech_wav, sip_port, rtp_min, regint, "auto",
        )
    }

    /// [`Baresip::agent`] whose phone rings but is never picked up (`answermode=manual`).
    #[allow(clippy::too_many_arguments)]
    pub fn agent_manual(
        dir: &TempDir,
        name: &str,
        server: SocketAddr,
        user: &str,
        password: &str,
        speech_wav: &Path,
        sip_port: u16,
        rtp_min: u16,
    ) -> Baresip {
        Baresip::phone(
            dir,
            name,
            server,
            user,
            password,
            speech_wav,
            sip_port,
            rtp_min,
            DEFAULT_REGINT,
            "manual",
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn phone(
        dir: &TempDir,
        name: &str,
        server: SocketAddr,
        user: &str,
        password: &str,
        speech_wav: &Path,
        sip_port: u16,
        rtp_min: u16,
        regint: u32,
        answermode: &str,
    ) -> Baresip {
        let home = prepare_dir(dir, name);
        let mic = home.join("speech.wav");
        to_aufile_wav(speech_wav, &mic, AGENT_SILENCE_TAIL);
        write_config(&home, &mic, sip_port, rtp_min);
        // The AOR's host part is the registrar. `auth_pass` alone: the digest username is the
        // AOR's user. baresip asks for `Contact: <sip:USER-0xHEX@127.0.0.1:PORT>;expires=REGINT`.
        std::fs::write(
            home.join("accounts"),
            format!(
                "<sip:{user}@{server}>;auth_pass={password};answermode={answermode};regint={regint}\n"
            ),
        )
        .expect("write the baresip accounts file");
        Baresip::spawn(home, name, sip_port, &[])
    }

    /// A caller: places one call to `target_uri` at once, speaks `speech_wav` (hanging up when it
    /// ends) and records both directions; baresip quits by itself after `timeout`.
    pub fn caller(
        dir: &TempDir,
        name: &str,
        target_uri: &str,
        speech_wav: &Path,
        sip_port: u16,
        rtp_min: u16,
        timeout: Duration,
    ) -> Baresip {
        let home = prepare_dir(dir, name);
        let mic = home.join("speech.wav");
        to_aufile_wav(speech_wav, &mic, Duration::ZERO);
        write_config(&home, &mic, sip_port, rtp_min);
        std::fs::write(
            home.join("accounts"),
            format!("<sip:{name}@127.0.0.1>;regint=0\n"),
        )
        .expect("write the baresip accounts file");
        let dial = format!("/dial {target_uri}");
        let quit = timeout.as_secs().max(1).to_string();
        Baresip::spawn(home, name, sip_port, &["-e", &dial, "-t", &quit])
    }

    fn spawn(home: PathBuf, name: &str, sip_port: u16, args: &[&str]) -> Baresip {
        let log = home.join("baresip.log");
        let child = Command::new("baresip")
            .arg("-f")
            .arg(&home)
            .args(args)
            .env("HOME", &home)
            .stdin(Stdio::null())
            .stdout(Stdio::from(
                std::fs::File::create(&log).expect("create the baresip log"),
            ))
            // Only a status line redrawn many times a second.
            .stderr(Stdio::null())
            .spawn()
            .expect("start baresip (Debian package baresip-core)");
        Baresip {
            child,
            rec: home.join("rec"),
            dir: home,
            name: name.to_string(),
            sip: SocketAddr::from(([127, 0, 0, 1], sip_port)),
            log,
        }
    }

    /// Its stdout so far.
    pub fn log_text(&self) -> String {
        std::fs::read(&self.log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Polls the log until it contains `needle`; false if it has not within `timeout`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        self.wait_for_log_count(needle, 1, timeout)
    }

    /// Polls the log until `needle` occurs at least `count` times (e.g. a second
    /// [`LOG_REGISTERED`] is the first refresh).
    pub fn wait_for_log_count(&self, needle: &str, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log_text().matches(needle).count() >= count {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What this phone received in its latest call (`rec/*-dec.wav`), if it recorded one.
    pub fn recording_heard(&self) -> Option<PathBuf> {
        self.latest_recording("-dec.wav")
    }

    /// What this phone sent in its latest call (`rec/*-enc.wav`), if it recorded one.
    pub fn recording_sent(&self) -> Option<PathBuf> {
        self.latest_recording("-enc.wav")
    }

    /// Every recording of what this phone received, oldest first.
    pub fn recordings_heard(&self) -> Vec<PathBuf> {
        self.recordings("-dec.wav")
    }

    fn latest_recording(&self, suffix: &str) -> Option<PathBuf> {
        self.recordings(suffix).pop()
    }

    fn recordings(&self, suffix: &str) -> Vec<PathBuf> {
        // `dump-YYYY-MM-DD-hh-mm-ss-…`: name order is time order.
        let mut found: Vec<PathBuf> = std::fs::read_dir(&self.rec)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with(suffix))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `timeout` for baresip to exit by itself; `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL, by this child's own handle: no BYE, no un-REGISTER, no more refreshes (a phone
    /// that lost power). The server's binding must then expire on its own.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM: baresip logs `terminated by signal 15`, then `ua: stop all (forced=0)`, hangs up
    /// its calls and un-REGISTERs (`expires=0`) before it exits. Waits up to `timeout` for that,
    /// then kills it.
    pub fn quit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if self.is_running() {
            // SAFETY: kill(2) on the PID of our own child, which has not been reaped yet.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
            }
        }
        let status = self.wait_exit(timeout);
        if status.is_none() {
            self.kill();
        }
        status
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "--- baresip {} log ({}) ---\n{}",
                self.name,
                self.log.display(),
                self.log_text()
            );
        }
    }
}

/// `DIR/NAME/` with `rec/` and an `.asoundrc` whose default ALSA device is null (ALSA's default
/// must exist even though baresip only plays into it).
fn prepare_dir(dir: &TempDir, name: &str) -> PathBuf {
    let home = dir.join(name);
    std::fs::create_dir_all(home.join("rec")).expect("create the baresip dir");
    std::fs::write(home.join(".asoundrc"), "pcm.!default { type null }\n")
        .expect("write .asoundrc");
    home
}

fn write_config(home: &Path, mic: &Path, sip_port: u16, rtp_min: u16) {
    std::fs::write(
        home.join("config"),
        format!(
            "poll_method epoll\n\
             sip_listen 127.0.0.1:{sip_port}\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\n\
             module aufile.so\n\
             module sndfile.so\n\
             module alsa.so\n\
             module_app account.so\n\
             module_app menu.so\n\
             audio_player alsa,null\n\
             audio_alert alsa,null\n\
             audio_source aufile,{}\n\
             snd_path {}\n\
             rtp_ports {rtp_min}-{}\n",
            mic.display(),
            home.join("rec").display(),
            rtp_min + 50
        ),
    )
    .expect("write the baresip config");
}

/// `input` as the 8 kHz 16-bit mono WAV `aufile` wants, same timing, then `tail` of silence.
fn to_aufile_wav(input: &Path, output: &Path, tail: Duration) {
    let mut sox = Command::new("sox");
    sox.arg(input)
        .args([
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            "-t",
            "wav",
        ])
        .arg(output);
    if !tail.is_zero() {
        sox.args(["pad", "0"])
            .arg(format!("{:.3}", tail.as_secs_f64()));
    }
    run_ok(&mut sox);
}
