//! `hotline bench media`: what a listening call costs. Starts `hotline serve` as its own process
//! (or measures one already running), places N SIPp calls that stream RTP both ways (the caller a
//! quiet or a hissing line, looped), and prints the server's CPU over a steady window (from
//! `/proc/PID/stat`), its memory per call beyond the idle server (`VmRSS`), and calls per core.
//!
//! The measuring is done here and the arithmetic in [`proc_stat`]; SIPp is the caller because 100
//! SIPp calls cost it a few percent of a core, so it loads the server, not the machine.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use hotline_media::Codec;

mod proc_stat;

use proc_stat::{cpu_ticks, open_fds, rss_kib, Figures, Sample};

/// What the caller's line sounds like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Line {
    /// A quiet line: white noise at -65 dBFS (below the speech gate's absolute level).
    Quiet,
    /// A hissing line: white noise at -45 dBFS (above it; the gate must learn the floor).
    Noisy,
    /// Digital silence (µ-law zero).
    Silent,
}

impl Line {
    fn dbfs(self) -> Option<f32> {
        match self {
            Line::Quiet => Some(-65.0),
            Line::Noisy => Some(-45.0),
            Line::Silent => None,
        }
    }
}

/// What `hotline bench media` was asked to do.
pub struct MediaPlan {
    pub calls: Vec<usize>,
    pub seconds: u64,
    pub line: Line,
    /// New calls per second while the calls are set up.
    pub rate: u32,
    /// Measure this running server instead of starting one: its SIP address and process id.
    pub target: Option<(SocketAddr, u32)>,
}

/// The listening flow: one short greeting, then an `ask` that waits an hour.
const BENCH_FLOW: &str = r#"version: 1
flow: bench-media
description: Greets once, then listens for an hour (hotline bench media).
settings:
  language: en
  voice: en_US-joe-medium
  no_input_timeout: 1h
  max_failures: 20
start: listen
intents:
  bye:
    examples: [goodbye]
    keywords: [goodbye]
nodes:
  listen:
    ask: "Hello."
    routes:
      - intent: bye
        next: bye
  bye:
    hangup: "Goodbye."
"#;

pub async fn run(plan: MediaPlan) -> anyhow::Result<()> {
    let sipp = Path::new("/usr/bin/sipp");
    anyhow::ensure!(
        sipp.exists(),
        "SIPp is not installed (/usr/bin/sipp): apt-get install sip-tester"
    );
    let dir = std::env::temp_dir().join(format!("hotline-bench-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_line_audio(&dir.join("line.ul"), plan.line)?;
    std::fs::write(dir.join("caller.xml"), SCENARIO)?;
    println!(
        "hotline bench media: {} s steady window, caller line {:?}, machine {} cores, load average {}",
        plan.seconds,
        plan.line,
        cores(),
        load_average()
    );
    println!(
        "| calls | up | server CPU | calls per core | idle RSS | RSS | per call | SIPp CPU | load avg |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &calls in &plan.calls {
        let mut server = match plan.target {
            Some((addr, pid)) => Server::Running { addr, pid },
            None => Server::start(&dir, calls)?,
        };
        let result = measure(&plan, calls, &server, &dir).await;
        server.stop();
        let figures = result?;
        println!("{}", figures.row());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Places `calls` SIPp calls and measures the server once they are all streaming.
async fn measure(
    plan: &MediaPlan,
    calls: usize,
    server: &Server,
    dir: &Path,
) -> anyhow::Result<Figures> {
    let pid = server.pid();
    // Let the freshly started server settle, then take its idle figures.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_rss = rss_kib(pid)?;
    let idle_fds = open_fds(pid)?;
    let rate = plan.rate.max(1);
    let ramp = Duration::from_secs_f64(calls as f64 / f64::from(rate)) + Duration::from_secs(5);
    let hold = ramp + Duration::from_secs(plan.seconds + 10);
    let mut sipp = start_sipp(dir, server.addr(), calls, rate, hold)?;
    // Wait until every call has its RTP socket open on the server (one per call), or the ramp
    // is long over.
    let deadline = Instant::now() + ramp + Duration::from_secs(20);
    let mut up = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        up = open_fds(pid)?.saturating_sub(idle_fds);
        if up >= calls {
            break;
        }
        if let Ok(Some(status)) = sipp.try_wait() {
            anyhow::bail!("SIPp exited early ({status}); see {}", dir.display());
        }
    }
    // Two seconds for the greetings to finish: the window then holds listening calls only.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = Sample {
        server_ticks: cpu_ticks(pid)?,
        sipp_ticks: cpu_ticks(sipp.id())?,
        at: Instant::now(),
    };
    tokio::time::sleep(Duration::from_secs(plan.seconds)).await;
    let after = Sample {
        server_ticks: cpu_ticks(pid)?,
        sipp_ticks: cpu_ticks(sipp.id())?,
        at: Instant::now(),
    };
    let up_after = open_fds(pid)?.saturating_sub(idle_fds);
    let rss = rss_kib(pid)?;
    // Only the SIPp this bench started, by its handle.
    let _ = sipp.kill();
    let _ = sipp.wait();
    Ok(Figures {
        calls,
        up: up.min(up_after).min(calls),
        idle_rss_kib: idle_rss,
        rss_kib: rss,
        before,
        after,
        ticks_per_second: clock_ticks(),
        load_average: load_average(),
    })
}

enum Server {
    Started { child: Child, addr: SocketAddr },
    Running { addr: SocketAddr, pid: u32 },
}

impl Server {
    /// `hotline serve` as a child process with a config for `calls` calls, in `dir`.
    fn start(dir: &Path, calls: usize) -> anyhow::Result<Server> {
        let flow = dir.join("listen.yaml");
        std::fs::write(&flow, BENCH_FLOW)?;
        let config = dir.join("hotline.yaml");
        let port_min = 30_000;
        let port_max = port_min + (calls as u32 * 4).max(1000);
        std::fs::write(
            &config,
            format!(
                "sip:\n  listen: 127.0.0.1:0\n  max_calls: {max}\n  flood:\n    requests: 0\n\
                 rtp:\n  port_min: {port_min}\n  port_max: {port_max}\n  max_packet_rate: 400\n\
                 store:\n  database: {db}\n\
                 speech:\n  whisper_model: tiny.en\n  prompt_cache_dir: {cache}\n\
                 admin:\n  listen: 127.0.0.1:0\n",
                max = calls + 16,
                db = dir.join("hotline.db").display(),
                cache = dir.join("prompt-cache").display(),
            ),
        )?;
        let exe = std::env::current_exe().context("cannot find the hotline binary")?;
        let mut child = Command::new(exe)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .arg("--flow")
            .arg(&flow)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(dir.join("server.log"))?))
            .spawn()
            .context("cannot start hotline serve")?;
        let stdout = child.stdout.take().context("no server stdout")?;
        let mut addr = None;
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if let Some(rest) = line.strip_prefix("SIP listening on udp:") {
                addr = rest.trim().parse().ok();
                break;
            }
        }
        match addr {
            Some(addr) => Ok(Server::Started { child, addr }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!(
                    "hotline serve did not start; its log is {}",
                    dir.join("server.log").display()
                )
            }
        }
    }

    fn pid(&self) -> u32 {
        match self {
            Server::Started { child, .. } => child.id(),
            Server::Running { pid, .. } => *pid,
        }
    }

    fn addr(&self) -> SocketAddr {
        match self {
            Server::Started { addr, .. } | Server::Running { addr, .. } => *addr,
        }
    }

    /// Stops a server this bench started (by its handle); leaves a running one alone.
    fn stop(&mut self) {
        if let Server::Started { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start_sipp(
    dir: &Path,
    target: SocketAddr,
    calls: usize,
    rate: u32,
    hold: Duration,
) -> anyhow::Result<Child> {
    let probe = std::net::UdpSocket::bind("127.0.0.1:0")?;
    let sip_port = probe.local_addr()?.port();
    drop(probe);
    Command::new("/usr/bin/sipp")
        .current_dir(dir)
        .arg(target.to_string())
        .arg("-sf")
        .arg(dir.join("caller.xml"))
        .args(["-i", "127.0.0.1", "-mi", "127.0.0.1"])
        .args(["-p", &sip_port.to_string(), "-mp", "40000"])
        .args(["-l", &calls.to_string(), "-m", &calls.to_string()])
        .args(["-r", &rate.to_string(), "-d", &hold.as_millis().to_string()])
        .args(["-nostdin", "-trace_err", "-error_file"])
        .arg(dir.join("sipp_errors.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(dir.join("sipp.log"))?))
        .spawn()
        .context("cannot start SIPp")
}

/// Ten seconds of the caller's line as headerless µ-law, looped by SIPp.
fn write_line_audio(path: &Path, line: Line) -> anyhow::Result<()> {
    let samples = 80_000;
    let pcm: Vec<i16> = match line.dbfs() {
        None => vec![0; samples],
        Some(dbfs) => {
            // Uniform white noise in [-a, a] has an RMS of a / sqrt(3).
            let amplitude = 10f32.powf(dbfs / 20.0) * 3f32.sqrt() * 32767.0;
            let mut state = 0x2545_f491u32;
            (0..samples)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let unit = (state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
                    (unit * amplitude) as i16
                })
                .collect()
        }
    };
    let mut encoded = Vec::with_capacity(samples);
    Codec::Pcmu.encode(&pcm, &mut encoded);
    std::fs::write(path, encoded).with_context(|| format!("cannot write {}", path.display()))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn clock_ticks() -> u64 {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|t| *t > 0).unwrap_or(100)
}

/// The SIPp caller: INVITE with a PCMU offer, ACK, stream `line.ul` in a loop as RTP (Hotline
/// streams back its greeting, then silence), hold for `-d`, BYE.
const SCENARIO: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="hotline bench media: a listening caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:hotline@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "bench" <sip:bench[call_number]@[local_ip]:[local_port]>;tag=[pid]bench[call_number]
      To: <sip:hotline@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:bench@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=bench 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=sendrecv
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "bench" <sip:bench[call_number]@[local_ip]:[local_port]>;tag=[pid]bench[call_number]
      To: <sip:hotline@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:bench@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <nop>
    <action>
      <exec rtp_stream="line.ul,-1,0"/>
    </action>
  </nop>
  <pause/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "bench" <sip:bench[call_number]@[local_ip]:[local_port]>;tag=[pid]bench[call_number]
      To: <sip:hotline@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:bench@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
</scenario>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_flow_is_a_valid_flow() {
        assert!(hotline_flow::load_flow(BENCH_FLOW, "bench-media.yaml").is_ok());
    }

    #[test]
    fn the_callers_line_is_ten_seconds_of_mu_law_at_its_level() {
        let dir = std::env::temp_dir().join(format!("bench-media-line-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (line, expected) in [(Line::Quiet, -65.0), (Line::Noisy, -45.0)] {
            let path = dir.join("line.ul");
            write_line_audio(&path, line).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(bytes.len(), 80_000);
            let mut pcm = Vec::new();
            Codec::Pcmu.decode(&bytes, &mut pcm);
            let level = hotline_media::rms_dbfs(&hotline_media::pcm_to_f32(&pcm));
            assert!((level - expected).abs() < 1.5, "{line:?}: {level} dBFS");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
