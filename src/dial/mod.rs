//! `hotline dial`: our own SIP test caller. It places a call, speaks WAV files and DTMF in turn,
//! records what it hears, hangs up, and prints per-turn latency (end of its speech to bot audio).

pub mod script;

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hotline_media::{Codec, Pacer, Resampler};
use hotline_sip::{Endpoint, EndpointConfig, Event, OutgoingCall};
use tokio::net::UdpSocket;

use crate::call::{from_sdp_codec, to_sdp_codec, Frame, RtpLink, DTMF_PT, FRAME};
use crate::error::HotlineError;
use script::{Output, Script, Step, TurnTiming};

pub struct DialOptions {
    pub target: String,
    pub from: String,
    pub steps: Vec<Step>,
    pub record: Option<PathBuf>,
    pub codec: Codec,
    pub gap: Duration,
    pub max_duration: Duration,
    /// How long the caller waits for the bot's answer (and for the greeting) before going on.
    pub reply_timeout: Duration,
}

/// How long a scripted caller waits for an answer by default: a person would not wait longer.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// How the call went.
#[derive(Debug)]
pub struct DialReport {
    pub answered: bool,
    pub final_status: Option<u16>,
    pub hung_up_by: &'static str,
    pub timings: Vec<TurnTiming>,
    pub heard_seconds: f32,
}

/// Reads a WAV as 8 kHz mono linear PCM.
pub fn read_wav_8k(path: &Path) -> Result<Vec<i16>, HotlineError> {
    let bad = |reason: String| HotlineError::Wav {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = hound::WavReader::open(path).map_err(|e| bad(e.to_string()))?;
    let spec = reader.spec();
    let channels = spec.channels.max(1) as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?
        }
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| bad(e.to_string()))?,
    };
    let mono: Vec<f32> = samples
        .chunks(channels)
        .map(|c| c.iter().sum::<f32>() / channels as f32)
        .collect();
    let mut out = Vec::with_capacity(mono.len());
    if spec.sample_rate == 8000 {
        out = mono;
    } else {
        let mut r = Resampler::new(spec.sample_rate, 8000);
        r.process(&mono, &mut out);
        r.flush(&mut out);
    }
    Ok(hotline_media::f32_to_pcm(&out))
}

fn resolve(target: &str) -> Result<(SocketAddr, String), HotlineError> {
    let uri = target.trim();
    let rest = uri
        .strip_prefix("sip:")
        .ok_or_else(|| HotlineError::Dial(format!("{uri:?} is not a sip: URI")))?;
    let hostport = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let hostport = hostport.split(';').next().unwrap_or(hostport);
    let with_port = if hostport.contains(':') && !hostport.ends_with(']') {
        hostport.to_string()
    } else {
        format!("{hostport}:5060")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| HotlineError::Dial(format!("cannot resolve {with_port}: {e}")))?
        .next()
        .ok_or_else(|| HotlineError::Dial(format!("no address for {with_port}")))?;
    Ok((addr, uri.to_string()))
}

pub async fn dial(options: DialOptions) -> Result<DialReport, HotlineError> {
    let (destination, target_uri) = resolve(&options.target)?;
    let local_ip: IpAddr = if destination.is_ipv4() {
        "127.0.0.1".parse()
    } else {
        "::1".parse()
    }
    .map_err(|_| HotlineError::Dial("address".into()))?;
    let sip_socket =
        UdpSocket::bind((local_ip, 0))
            .await
            .map_err(|source| HotlineError::Socket {
                addr: local_ip.to_string(),
                source,
            })?;
    let sip_local = sip_socket
        .local_addr()
        .map_err(|source| HotlineError::Socket {
            addr: local_ip.to_string(),
            source,
        })?;
    let rtp_socket =
        std::net::UdpSocket::bind((local_ip, 0)).map_err(|source| HotlineError::Socket {
            addr: local_ip.to_string(),
            source,
        })?;
    rtp_socket
        .set_nonblocking(true)
        .map_err(|source| HotlineError::Socket {
            addr: local_ip.to_string(),
            source,
        })?;
    let rtp_local = rtp_socket
        .local_addr()
        .map_err(|source| HotlineError::Socket {
            addr: local_ip.to_string(),
            source,
        })?;

    let mut endpoint = Endpoint::new(
        EndpointConfig {
            local_addr: sip_local,
            user_agent: "hotline-dial".into(),
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            ..EndpointConfig::new(sip_local)
        },
        hotline_sip::OsRandom,
    );
    let codecs = [to_sdp_codec(options.codec)];
    let offer = hotline_sip::sdp::offer_sdp(
        rtp_local.ip(),
        rtp_local.port(),
        &codecs,
        DTMF_PT,
        rand::random::<u32>() as u64,
    );
    let call = endpoint
        .invite(
            Instant::now(),
            OutgoingCall {
                target_uri,
                from_uri: options.from.clone(),
                destination,
                sdp: offer,
                extra_headers: Vec::new(),
                credentials: None,
            },
        )
        .map_err(|e| HotlineError::Dial(e.to_string()))?;

    let mut report = DialReport {
        answered: false,
        final_status: None,
        hung_up_by: "nobody",
        timings: Vec::new(),
        heard_seconds: 0.0,
    };
    let mut rtp_socket = Some(rtp_socket);
    let mut link: Option<RtpLink> = None;
    let mut script =
        Script::new(options.steps, options.gap).with_reply_timeout(options.reply_timeout);
    let mut heard: Vec<i16> = Vec::new();
    let mut heard_frame: Vec<i16> = Vec::with_capacity(FRAME);
    let mut pacer = Pacer::new(Instant::now(), Duration::from_millis(20));
    let deadline = Instant::now() + options.max_duration;
    let mut buf = vec![0u8; 65_536];
    let mut rtp_buf = vec![0u8; 2048];
    let mut bye_sent = false;
    let mut done = false;

    while !done {
        let sip_deadline = endpoint.poll_timeout();
        tokio::select! {
            received = sip_socket.recv_from(&mut buf) => {
                if let Ok((n, source)) = received {
                    endpoint.handle_datagram(Instant::now(), source, &buf[..n]);
                }
            }
            _ = sleep_opt(sip_deadline) => endpoint.handle_timeout(Instant::now()),
            incoming = recv_opt(&mut link, &mut rtp_buf) => {
                if let crate::call::rtp::Incoming::Audio(samples) = incoming {
                    heard_frame.extend(hotline_media::f32_to_pcm(&samples));
                }
            }
            _ = tokio::time::sleep_until(pacer.next_deadline().into()), if link.is_some() => {
                let due = pacer.on_tick(Instant::now());
                for _ in 0..due.min(3) {
                    let frame: Vec<i16> = std::mem::take(&mut heard_frame);
                    heard.extend_from_slice(&frame);
                    let output = script.on_frame(&frame);
                    let Some(l) = link.as_mut() else { break };
                    match output {
                        Output::Audio(pcm) => l.send_frame(&Frame::Speech { pcm, talkspurt_start: false }).await,
                        Output::Digit(d) => {
                            l.queue_digit(d, 100);
                            l.send_frame(&Frame::Silence).await;
                        }
                        Output::Silence => l.send_frame(&Frame::Silence).await,
                        Output::HangUp => {
                            if !bye_sent {
                                let _ = endpoint.hangup(Instant::now(), &call);
                                bye_sent = true;
                                report.hung_up_by = "caller";
                            }
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                let _ = endpoint.hangup(Instant::now(), &call);
                report.hung_up_by = "caller (max duration)";
                bye_sent = true;
            }
        }
        while let Some(t) = endpoint.poll_transmit() {
            let _ = sip_socket.send_to(&t.payload, t.destination).await;
        }
        while let Some(event) = endpoint.poll_event() {
            match event {
                Event::Ringing { .. } => eprintln!("ringing"),
                Event::Answered { answer, .. } => {
                    report.answered = true;
                    report.final_status = Some(200);
                    let (remote, codec, pt, dtmf) = answer
                        .as_deref()
                        .and_then(|sdp| hotline_sip::sdp::SessionDescription::parse(sdp).ok())
                        .and_then(|sdp| hotline_sip::sdp::negotiate(&sdp, &codecs).ok())
                        .map(|n| {
                            (
                                Some(n.remote_rtp),
                                from_sdp_codec(n.codec),
                                n.payload_type,
                                n.dtmf_payload_type,
                            )
                        })
                        .unwrap_or((None, options.codec, options.codec.payload_type(), None));
                    eprintln!("answered: {} to {remote:?}", crate::call::codec_name(codec));
                    if let Some(socket) = rtp_socket.take() {
                        // Strict source: the server's RTP from the address its answer names.
                        let guard = hotline_media::RtpGuard::new(
                            hotline_media::GuardLimits::default(),
                            remote,
                            Some(destination.ip()),
                        );
                        link = Some(RtpLink::new(socket, guard, codec, pt, dtmf)?);
                        pacer = Pacer::new(Instant::now(), Duration::from_millis(20));
                    }
                }
                Event::Failed { status, reason, .. } => {
                    report.final_status = Some(status);
                    eprintln!("call failed: {status} {reason}");
                    done = true;
                }
                Event::Ended { cause, .. } => {
                    if !bye_sent {
                        report.hung_up_by = "hotline";
                    }
                    eprintln!("call ended: {}", crate::call::end_cause_name(&cause));
                    done = true;
                }
                _ => {}
            }
        }
        if bye_sent && Instant::now() > deadline + Duration::from_secs(10) {
            break;
        }
    }
    while let Some(t) = endpoint.poll_transmit() {
        let _ = sip_socket.send_to(&t.payload, t.destination).await;
    }
    report.timings = script.timings().to_vec();
    report.heard_seconds = heard.len() as f32 / 8000.0;
    if let Some(path) = &options.record {
        write_wav_8k(path, &heard)?;
    }
    Ok(report)
}

async fn sleep_opt(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn recv_opt(link: &mut Option<RtpLink>, buf: &mut [u8]) -> crate::call::rtp::Incoming {
    match link {
        Some(l) => l.recv(buf).await,
        None => std::future::pending().await,
    }
}

pub fn write_wav_8k(path: &Path, pcm: &[i16]) -> Result<(), HotlineError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let bad = |e: hound::Error| HotlineError::Wav {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(bad)?;
    for s in pcm {
        w.write_sample(*s).map_err(bad)?;
    }
    w.finalize().map_err(bad)
}
