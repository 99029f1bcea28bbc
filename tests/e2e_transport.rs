//! SIP over TCP and TLS against the real server: a real baresip calls the bot over each and
//! hears the flow's answer; raw TCP clients check framing (split and coalesced messages,
//! keep-alive pings, 400/413 refusals), the connection limits (per source and in all), the
//! idle and slow-loris timeouts, and that a connection carrying a flood is closed; a missing
//! certificate stops `serve` with a clear sentence; under `rtp.srtp: required` SIPp's plain RTP
//! offer (over UDP and TCP) gets 488 with a Warning saying why.
//!
//! Every test runs in a private network namespace (only `lo`), so fixed ports are free and
//! 127.0.0.2 and 127.0.0.3 are other sources on the same machine.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::baresip::{enter_private_network, LOG_ESTABLISHED};
use support::sipp::SippCall;
use support::{audio, run, run_ok, workspace_root, Server, ServerOptions, TempDir};

static SERIAL: Mutex<()> = Mutex::new(());

const TCP: &str = "127.0.0.1:5070";
const TLS: &str = "127.0.0.1:5071";

/// A self-signed certificate for 127.0.0.1 made now with the openssl CLI: (cert, key).
fn test_certificate(dir: &TempDir) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    run_ok(
        Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    );
    (cert, key)
}

fn options_request(call_id: &str, local: SocketAddr) -> String {
    format!(
        "OPTIONS sip:hotline@{TCP} SIP/2.0\r\n\
         Via: SIP/2.0/TCP {local};branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@127.0.0.1>;tag=p{call_id}\r\n\
         To: <sip:hotline@127.0.0.1>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// A TCP connection to the server from `source_ip` (any 127.x address is this machine, and a
/// different source to the server). `std` cannot bind before connecting, hence libc.
fn connect_from(source_ip: &str) -> TcpStream {
    let stream = connect_bound(source_ip);
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    stream
}

fn connect_bound(source_ip: &str) -> TcpStream {
    use std::os::fd::FromRawFd;
    let source: std::net::Ipv4Addr = source_ip.parse().unwrap();
    let server: SocketAddr = TCP.parse().unwrap();
    // SAFETY: plain socket calls on a descriptor we own; sockaddr_in is fully initialised.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let mut local: libc::sockaddr_in = std::mem::zeroed();
        local.sin_family = libc::AF_INET as libc::sa_family_t;
        local.sin_addr.s_addr = u32::from(source).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let rc = libc::bind(fd, &local as *const _ as *const libc::sockaddr, len);
        assert_eq!(rc, 0, "bind: {}", std::io::Error::last_os_error());
        let mut remote: libc::sockaddr_in = std::mem::zeroed();
        remote.sin_family = libc::AF_INET as libc::sa_family_t;
        remote.sin_port = server.port().to_be();
        let SocketAddr::V4(v4) = server else {
            unreachable!()
        };
        remote.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
        let rc = libc::connect(fd, &remote as *const _ as *const libc::sockaddr, len);
        assert_eq!(rc, 0, "connect: {}", std::io::Error::last_os_error());
        TcpStream::from_raw_fd(fd)
    }
}

/// What the server sent until `done` says enough, the connection closed, or `timeout`; and
/// whether it closed.
fn read_until(
    stream: &mut TcpStream,
    timeout: Duration,
    done: impl Fn(&str) -> bool,
) -> (String, bool) {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if done(&String::from_utf8_lossy(&got)) {
            return (String::from_utf8_lossy(&got).into_owned(), false);
        }
        if Instant::now() > deadline {
            return (String::from_utf8_lossy(&got).into_owned(), false);
        }
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), true),
        }
    }
}

/// Whether the server closes this connection within `timeout` (sending nothing more).
fn closed_within(stream: &mut TcpStream, timeout: Duration) -> bool {
    read_until(stream, timeout, |_| false).1
}

fn torture_server(dir: &TempDir) -> Server {
    let mut options = ServerOptions::new(20_000);
    options
        .sip
        .push(("tcp".into(), format!("{{listen: \"{TCP}\"}}")));
    options.sip.push((
        "connections".into(),
        "{max: 8, max_per_ip: 4, idle_timeout: 4s, max_message_size: 4096}".into(),
    ));
    Server::start(dir, &options)
}

#[test]
fn tcp_framing_limits_and_timeouts() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("transport-tcp");
    let server = torture_server(&dir);

    // A message in three pieces is answered once, whole; the Via says TCP, stamped.
    let mut a = connect_from("127.0.0.1");
    let local = a.local_addr().unwrap();
    let request = options_request("split1", local);
    let (one, two) = request.split_at(20);
    let (two, three) = two.split_at(40);
    for piece in [one, two, three] {
        a.write_all(piece.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    let (reply, _) = read_until(&mut a, Duration::from_secs(10), |t| t.contains("\r\n\r\n"));
    assert!(reply.starts_with("SIP/2.0 200 OK\r\n"), "{reply:?}");
    assert!(reply.contains("Via: SIP/2.0/TCP"), "{reply:?}");
    assert!(
        reply.contains(&format!("rport={}", local.port())),
        "{reply:?}"
    );

    // Two messages in one segment: two answers; a keep-alive ping gets its CRLF pong.
    let both = options_request("two1", local) + &options_request("two2", local);
    a.write_all(both.as_bytes()).unwrap();
    let (replies, _) = read_until(&mut a, Duration::from_secs(10), |t| {
        t.matches("SIP/2.0 200 OK").count() == 2 && t.ends_with("\r\n\r\n")
    });
    assert!(replies.contains("Call-ID: two1") && replies.contains("Call-ID: two2"));
    a.write_all(b"\r\n\r\n").unwrap();
    let (pong, closed) = read_until(&mut a, Duration::from_secs(5), |t| t == "\r\n");
    assert_eq!((pong.as_str(), closed), ("\r\n", false));

    // A message larger than max_message_size: 413, then the connection is closed.
    let mut big = connect_from("127.0.0.1");
    let huge =
        options_request("big1", local).replace("Content-Length: 0", "Content-Length: 100000");
    big.write_all(huge.as_bytes()).unwrap();
    let (reply, closed) = read_until(&mut big, Duration::from_secs(10), |_| false);
    assert!(reply.starts_with("SIP/2.0 413 "), "{reply:?}");
    assert!(closed, "the connection stayed open after 413");

    // No Content-Length: 400 and closed. Garbage without an end of head: closed, unanswered.
    let mut bare = connect_from("127.0.0.1");
    let request = options_request("bare1", local).replace("Content-Length: 0\r\n", "");
    bare.write_all(request.as_bytes()).unwrap();
    let (reply, closed) = read_until(&mut bare, Duration::from_secs(10), |_| false);
    assert!(reply.starts_with("SIP/2.0 400 "), "{reply:?}");
    assert!(closed);
    let mut junk = connect_from("127.0.0.1");
    junk.write_all(&[b'x'; 5000]).unwrap();
    let (reply, closed) = read_until(&mut junk, Duration::from_secs(10), |_| false);
    assert_eq!((reply.as_str(), closed), ("", true));
    drop((a, big, bare, junk));
    std::thread::sleep(Duration::from_millis(500));

    // Per source: 4 connections from 127.0.0.1, the 5th is closed at once.
    let mut held: Vec<TcpStream> = (0..4).map(|_| connect_from("127.0.0.1")).collect();
    let mut fifth = connect_from("127.0.0.1");
    assert!(
        closed_within(&mut fifth, Duration::from_secs(5)),
        "a 5th connection from one address was kept"
    );
    // In all: 4 more from 127.0.0.2 reach max 8; one from 127.0.0.3 is closed.
    held.extend((0..4).map(|_| connect_from("127.0.0.2")));
    let mut ninth = connect_from("127.0.0.3");
    assert!(
        closed_within(&mut ninth, Duration::from_secs(5)),
        "a 9th connection was kept beyond sip.connections.max"
    );
    // The held connections still work.
    let last = held.last_mut().unwrap();
    let local2 = last.local_addr().unwrap();
    last.write_all(options_request("held1", local2).as_bytes())
        .unwrap();
    let (reply, _) = read_until(last, Duration::from_secs(10), |t| t.contains("\r\n\r\n"));
    assert!(reply.starts_with("SIP/2.0 200 OK"), "{reply:?}");
    drop(held);
    std::thread::sleep(Duration::from_millis(500));

    // Idle: a connection that sends nothing is closed after idle_timeout (4 s).
    let mut idle = connect_from("127.0.0.1");
    assert!(
        closed_within(&mut idle, Duration::from_secs(20)),
        "an idle connection was kept beyond sip.connections.idle_timeout"
    );
    // Slow loris: a head trickled a byte a second is cut off, though each byte is within the
    // idle timeout.
    let mut loris = connect_from("127.0.0.1");
    let started = Instant::now();
    let mut closed = false;
    for byte in options_request("loris", local).bytes() {
        if loris.write_all(&[byte]).is_err() {
            closed = true;
            break;
        }
        if closed_within(&mut loris, Duration::from_secs(1)) {
            closed = true;
            break;
        }
        if started.elapsed() > Duration::from_secs(40) {
            break;
        }
    }
    assert!(closed, "a slow-loris connection was kept for 40 s");

    // The server still answers after all of it.
    let mut after = connect_from("127.0.0.1");
    let local = after.local_addr().unwrap();
    after
        .write_all(options_request("after1", local).as_bytes())
        .unwrap();
    let (reply, _) = read_until(&mut after, Duration::from_secs(10), |t| {
        t.contains("\r\n\r\n")
    });
    assert!(reply.starts_with("SIP/2.0 200 OK"), "{reply:?}");
    let log = server.log_text();
    assert!(log.contains("sip.connections.max_per_ip reached"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn serve_refuses_a_missing_certificate_with_a_sentence() {
    let _guard = support::serial(&SERIAL);
    let dir = TempDir::new("transport-nocert");
    let missing = dir.join("no-such-cert.pem");
    let config = dir.write(
        "hotline.yaml",
        &format!(
            "sip:\n  tls:\n    listen: 127.0.0.1:0\n    cert: {:?}\n    key: {:?}\n",
            missing.display().to_string(),
            dir.join("no-such-key.pem").display().to_string()
        ),
    );
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("--config")
        .arg(&config)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .arg("--database")
        .arg(dir.join("hotline.db"))
        .env("RUST_BACKTRACE", "1"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "serve started without its certificate"
    );
    assert!(
        stderr.contains(&missing.display().to_string()) && stderr.contains("openssl req"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "{stderr}"
    );
}

/// The caller's audio: silence through the greeting, the question, then 28 s of silence for
/// the answer (transcription on a loaded 2-core machine has taken 9 s).
fn caller_wav(dir: &TempDir) -> PathBuf {
    let question = dir.join("question.wav");
    audio::espeak_wav("How long does shipping take?", &question);
    let (silence, question8k, caller) = (
        dir.join("silence.wav"),
        dir.join("question8k.wav"),
        dir.join("caller.wav"),
    );
    run_ok(
        Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
            .arg(&silence)
            .args(["trim", "0", "7"]),
    );
    run_ok(
        Command::new("sox")
            .arg(&question)
            .args(["-r", "8000", "-c", "1", "-b", "16"])
            .arg(&question8k),
    );
    run_ok(
        Command::new("sox")
            .arg(&silence)
            .arg(&silence)
            .arg(&question8k)
            .arg(&silence)
            .arg(&silence)
            .arg(&silence)
            .arg(&silence)
            .arg(&caller)
            .args(["trim", "4"]),
    );
    caller
}

/// A baresip caller whose config adds `extra` (e.g. `sip_cafile`) and whose account line adds
/// `account` (e.g. `;mediaenc=srtp-mand`); dials `uri` at once and quits after 80 s. Returns the
/// child and its home (log in `baresip.log`, recordings in `rec/`).
fn baresip_caller(
    dir: &TempDir,
    name: &str,
    uri: &str,
    mic: &Path,
    sip_port: u16,
    (extra, account): (&str, &str),
) -> (Child, PathBuf) {
    let home = dir.join(name);
    std::fs::create_dir_all(home.join("rec")).unwrap();
    std::fs::write(home.join(".asoundrc"), "pcm.!default { type null }\n").unwrap();
    std::fs::write(
        home.join("config"),
        format!(
            "poll_method epoll\n\
             sip_listen 127.0.0.1:{sip_port}\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\nmodule aufile.so\nmodule sndfile.so\nmodule alsa.so\n\
             module_app account.so\nmodule_app menu.so\n\
             audio_player alsa,null\naudio_alert alsa,null\n\
             audio_source aufile,{}\nsnd_path {}\n\
             rtp_ports 31000-31050\n{extra}",
            mic.display(),
            home.join("rec").display()
        ),
    )
    .unwrap();
    std::fs::write(
        home.join("accounts"),
        format!("<sip:{name}@127.0.0.1>;regint=0{account}\n"),
    )
    .unwrap();
    let log = std::fs::File::create(home.join("baresip.log")).unwrap();
    let child = Command::new("baresip")
        .arg("-f")
        .arg(&home)
        .args(["-e", &format!("/dial {uri}"), "-t", "80"])
        .env("HOME", &home)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::null())
        .spawn()
        .expect("start baresip (Debian package baresip-core)");
    (child, home)
}

/// Places the call, waits for baresip to end it, and returns what Whisper hears in baresip's
/// recording of what it received, with baresip's log.
fn call_and_transcribe(
    dir: &TempDir,
    name: &str,
    uri: &str,
    (extra, account): (&str, &str),
) -> (String, String) {
    let mic = dir.join(&format!("{name}.wav"));
    let caller = caller_wav(dir);
    run_ok(
        Command::new("sox")
            .arg(&caller)
            .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
            .arg(&mic),
    );
    let (mut child, home) = baresip_caller(dir, name, uri, &mic, 5090, (extra, account));
    let deadline = Instant::now() + Duration::from_secs(95);
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = String::from_utf8_lossy(&std::fs::read(home.join("baresip.log")).unwrap_or_default())
        .into_owned();
    let mut heard: Vec<PathBuf> = std::fs::read_dir(home.join("rec"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with("-dec.wav"))
                .collect()
        })
        .unwrap_or_default();
    heard.sort();
    let Some(heard) = heard.pop() else {
        return (String::new(), log);
    };
    let out = run(Command::new(env!("CARGO_BIN_EXE_hotline"))
        .current_dir(workspace_root())
        .arg("transcribe")
        .arg(&heard));
    (String::from_utf8_lossy(&out.stdout).to_lowercase(), log)
}

#[test]
fn baresip_calls_over_tcp_and_over_tls_and_hears_the_answer() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("transport-baresip");
    let (cert, key) = test_certificate(&dir);
    let mut options = ServerOptions::new(20_000);
    // tiny.en: the test is about the transport, and base on a busy machine can take longer
    // than the caller waits.
    options.whisper_model = Some("tiny.en".into());
    options
        .sip
        .push(("tcp".into(), format!("{{listen: \"{TCP}\"}}")));
    options.sip.push((
        "tls".into(),
        format!(
            "{{listen: \"{TLS}\", cert: {:?}, key: {:?}}}",
            cert.display().to_string(),
            key.display().to_string()
        ),
    ));
    let server = Server::start(&dir, &options);

    let cafile = format!("sip_cafile {}\n", cert.display());
    for (name, uri, extra, account) in [
        (
            "tcpcaller",
            format!("sip:hotline@{TCP};transport=tcp"),
            String::new(),
            "",
        ),
        (
            "tlscaller",
            format!("sip:hotline@{TLS};transport=tls"),
            cafile.clone(),
            "",
        ),
        // SDES-SRTP over TLS: baresip offers RTP/SAVP with an a=crypto key and takes only SRTP,
        // so the answer can only be heard if both directions are SRTP that baresip accepts.
        (
            "srtpcaller",
            format!("sip:hotline@{TLS};transport=tls"),
            format!("{cafile}module srtp.so\n"),
            ";mediaenc=srtp-mand",
        ),
    ] {
        let (transcript, log) = call_and_transcribe(&dir, name, &uri, (&extra, account));
        assert!(
            log.contains(LOG_ESTABLISHED),
            "{name}: baresip did not get through:\n{log}\nserver log:\n{}",
            server.log_text()
        );
        assert!(
            transcript.contains("working days"),
            "{name}: the delivery answer was not heard: {transcript:?}\nbaresip:\n{log}"
        );
    }
    let log = server.log_text();
    assert!(!log.contains("panicked"), "{log}");
    // Only the SRTP caller's call was SRTP.
    assert_eq!(
        log.matches("media is SRTP (AES_CM_128_HMAC_SHA1_80, SDES keys)")
            .count(),
        1,
        "{log}"
    );
}

/// `rtp.srtp: required`: SIPp offers plain RTP (RTP/AVP, no keys) over UDP and over TCP, and
/// gets 488 Not Acceptable Here with a Warning that says SRTP is required (the scenario checks
/// it); the 488 over TCP reaches SIPp on its own connection; the server's log says why.
#[test]
fn a_plain_rtp_offer_is_refused_with_488_and_a_warning_when_srtp_is_required() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("transport-srtp-required");
    let mut options = ServerOptions::new(20_200);
    options.rtp.push(("srtp".into(), "required".into()));
    options
        .sip
        .push(("tcp".into(), format!("{{listen: \"{TCP}\"}}")));
    let server = Server::start(&dir, &options);

    let tcp: SocketAddr = TCP.parse().unwrap();
    for (label, target, extra) in [
        ("srtp-required-udp", server.sip, Vec::new()),
        (
            "srtp-required-tcp",
            tcp,
            vec!["-t".to_string(), "t1".into()],
        ),
    ] {
        let mut call = SippCall::new("invite_plain_srtp_required.xml", target, label);
        call.timeout = Duration::from_secs(20);
        call.extra_args = extra;
        let outcome = call.run(&dir);
        outcome.assert_success(&format!(
            "{label}: plain RTP offer -> 488 with Warning 302, ACK\nserver log:\n{}",
            server.log_text()
        ));
        let messages = outcome.messages();
        assert!(
            !messages.contains("SIP/2.0 200 OK"),
            "{label}: no call may be answered with plain RTP\n{}",
            outcome.report()
        );
    }
    let log = server.log_text();
    assert_eq!(
        log.matches("call refused: SRTP is required here").count(),
        2,
        "the log says why, once per call\n{log}"
    );
    assert!(log.contains("srtp-required"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

/// A TCP connection carrying a flood is closed when its source is blocked (`sip.flood`), and
/// another source's connection is still answered on that connection.
#[test]
fn a_tcp_connection_carrying_a_flood_is_closed() {
    let _guard = support::serial(&SERIAL);
    enter_private_network();
    let dir = TempDir::new("transport-tcp-flood");
    let mut options = ServerOptions::new(20_300);
    options
        .sip
        .push(("tcp".into(), format!("{{listen: \"{TCP}\"}}")));
    options.sip.push((
        "flood".into(),
        "{requests: 20, interval: 2s, block_for: 30s}".into(),
    ));
    let server = Server::start(&dir, &options);

    let mut flooder = connect_from("127.0.0.4");
    let local = flooder.local_addr().unwrap();
    let burst: String = (0..60)
        .map(|i| options_request(&format!("flood{i}"), local))
        .collect();
    flooder.write_all(burst.as_bytes()).unwrap();
    let (answers, closed) = read_until(&mut flooder, Duration::from_secs(10), |_| false);
    assert!(
        closed,
        "the flooding connection stayed open\nserver log:\n{}",
        server.log_text()
    );
    let answered = answers.matches("SIP/2.0 200 OK").count();
    assert!(
        (1..=20).contains(&answered),
        "up to the limit answered, then nothing: {answered}"
    );

    let mut customer = connect_from("127.0.0.5");
    let local = customer.local_addr().unwrap();
    customer
        .write_all(options_request("calm1", local).as_bytes())
        .unwrap();
    let (reply, _) = read_until(&mut customer, Duration::from_secs(10), |t| {
        t.contains("\r\n\r\n")
    });
    assert!(reply.starts_with("SIP/2.0 200 OK\r\n"), "{reply:?}");
    assert!(reply.contains("Call-ID: calm1"), "{reply:?}");
    let log = server.log_text();
    assert!(log.contains("SIP flood: source blocked"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}
