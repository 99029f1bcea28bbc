//! The second leg of a bridged transfer: Hotline calls the agent's phone as a user agent client,
//! whispers the handoff summary to the agent in the bot's voice, then relays audio both ways
//! between this leg and the caller's call task, which stays in the media path.
//!
//! The leg runs as its own task so ringing, the whisper and its RTP clock never stall the
//! caller's side; the two talk over channels.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::Pacer;
use hotline_sip::{CallId, OutgoingCall};
use tokio::sync::{mpsc, oneshot};

use super::rtp::Incoming;
use super::task::Internal;
use super::{media_from_answer, DialogEvent, Playout, RtpLink};
use crate::pools::{TtsChunk, TtsJob};
use crate::server::{Services, SipCommand};

/// What the caller's task tells the leg.
#[derive(Debug)]
pub enum LegCommand {
    /// 20 ms or so of the caller's audio, for the agent.
    Audio(Vec<i16>),
    /// The caller is gone, or the offer is withdrawn: end the leg.
    Hangup,
    /// The caller's handoff core says the ring deadline passed: stop ringing and report
    /// `no-answer` (ignored once the agent has answered).
    NoAnswer,
}

/// What the leg tells the caller's task.
#[derive(Debug)]
pub enum LegUpdate {
    /// The agent picked up; the whisper is playing to them.
    Answered,
    /// The whisper is over: audio now flows both ways.
    Bridged,
    /// The agent's audio, for the caller.
    Audio(Vec<i16>),
    /// The agent never answered (`reason`: no-answer, busy, failed-486, ...).
    NotAnswered(String),
    /// The agent's side ended after answering.
    Ended(String),
}

/// The caller task's handle on a leg in progress.
pub struct LegHandle {
    pub agent: String,
    pub commands: mpsc::UnboundedSender<LegCommand>,
}

/// Everything needed to ring one agent.
pub struct LegRequest {
    pub agent: String,
    pub target_uri: String,
    pub destination: SocketAddr,
    pub from_uri: String,
    pub headers: Vec<(String, String)>,
    /// Said to the agent before the caller is put through.
    pub whisper: String,
}

/// Starts ringing the agent; updates come back as [`Internal::Leg`].
pub fn spawn(
    services: Arc<Services>,
    sip: mpsc::UnboundedSender<SipCommand>,
    request: LegRequest,
    updates: mpsc::UnboundedSender<Internal>,
) -> LegHandle {
    let (commands_tx, commands) = mpsc::unbounded_channel();
    let agent = request.agent.clone();
    tokio::spawn(async move {
        let id = request.agent.clone();
        if let Err(e) = run(services, sip, request, commands, updates.clone()).await {
            tracing::error!("agent leg to {id}: {e}");
            let _ = updates.send(Internal::Leg {
                agent: id,
                update: LegUpdate::NotAnswered(format!("error: {e}")),
            });
        }
    });
    LegHandle {
        agent,
        commands: commands_tx,
    }
}

async fn run(
    services: Arc<Services>,
    sip: mpsc::UnboundedSender<SipCommand>,
    request: LegRequest,
    mut commands: mpsc::UnboundedReceiver<LegCommand>,
    updates: mpsc::UnboundedSender<Internal>,
) -> Result<(), crate::error::HotlineError> {
    let send = |update: LegUpdate| {
        let _ = updates.send(Internal::Leg {
            agent: request.agent.clone(),
            update,
        });
    };
    let config = &services.config;
    let super::placing::Offer { socket, sdp: offer } = super::placing::rtp_offer(&services)?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (placed_tx, placed) = oneshot::channel();
    let _ = sip.send(SipCommand::Invite {
        call: OutgoingCall {
            target_uri: request.target_uri.clone(),
            from_uri: request.from_uri.clone(),
            destination: request.destination,
            sdp: offer,
            extra_headers: request.headers.clone(),
            credentials: None,
        },
        events: events_tx,
        placed: placed_tx,
    });
    let leg: CallId = match placed.await {
        Ok(Ok(id)) => id,
        Ok(Err(reason)) => {
            send(LegUpdate::NotAnswered(format!("invite refused: {reason}")));
            return Ok(());
        }
        Err(_) => {
            send(LegUpdate::NotAnswered("shutdown".into()));
            return Ok(());
        }
    };
    tracing::info!(
        "ringing agent {} at {} ({})",
        request.agent,
        request.target_uri,
        leg.0
    );

    // Ringing: wait for an answer, or for the caller's task to give up (the caller left, or the
    // ring deadline its handoff core keeps has passed).
    let mut cancelled: Option<&'static str> = None;
    let answer = loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(DialogEvent::Answered { answer }) => break answer,
                Some(DialogEvent::Ended(cause)) => {
                    send(LegUpdate::NotAnswered(cancelled.unwrap_or(&cause).to_string()));
                    let _ = sip.send(SipCommand::Gone(leg));
                    return Ok(());
                }
                Some(_) => {}
                None => return Ok(()),
            },
            command = commands.recv(), if cancelled.is_none() => {
                let why = match command {
                    Some(LegCommand::NoAnswer) => Some("no-answer"),
                    Some(LegCommand::Hangup) | None => Some("caller-gone"),
                    Some(LegCommand::Audio(_)) => None,
                };
                if why.is_some() {
                    cancelled = why;
                    let _ = sip.send(SipCommand::Hangup(leg.clone()));
                }
            }
        }
    };
    if let Some(why) = cancelled {
        // Answered in the same instant we gave up: end it at once.
        let _ = sip.send(SipCommand::Hangup(leg.clone()));
        send(LegUpdate::NotAnswered(why.to_string()));
        let _ = sip.send(SipCommand::Gone(leg));
        return Ok(());
    }
    let Some(media) = answer
        .as_deref()
        .and_then(|a| media_from_answer(a, &config.rtp.codecs))
    else {
        tracing::warn!("agent {} answered without usable SDP", request.agent);
        let _ = sip.send(SipCommand::Hangup(leg.clone()));
        send(LegUpdate::NotAnswered("no-media".into()));
        let _ = sip.send(SipCommand::Gone(leg));
        return Ok(());
    };
    send(LegUpdate::Answered);
    let mut link = RtpLink::new(
        socket,
        super::rtp_guard(&config.rtp, media.remote_rtp, request.destination.ip()),
        media.codec,
        media.payload_type,
        media.dtmf_payload_type,
    )?;

    // The whisper: synthesised for the agent only.
    let (tts_tx, mut tts) = mpsc::unbounded_channel();
    services
        .tts
        .submit(TtsJob {
            text: request.whisper.clone(),
            cancelled: Arc::new(AtomicBool::new(false)),
            output: tts_tx,
        })
        .await?;
    let mut whisper = Playout::default();
    let mut whisper_done = false;
    let mut bridged = false;
    let mut to_agent = Playout::default();
    let mut pacer = Pacer::new(Instant::now(), Duration::from_millis(20));
    let mut buf = vec![0u8; 2048];
    let cause = loop {
        tokio::select! {
            chunk = tts.recv(), if !whisper_done => match chunk {
                Some(TtsChunk::Audio(pcm)) => whisper.push(&pcm),
                Some(TtsChunk::Failed(reason)) => tracing::error!("whisper synthesis failed: {reason}"),
                Some(TtsChunk::Done) | None => whisper_done = true,
            },
            _ = tokio::time::sleep_until(pacer.next_deadline().into()) => {
                let due = pacer.on_tick(Instant::now());
                for _ in 0..due.min(3) {
                    let frame = if !whisper.is_empty() {
                        whisper.next_frame()
                    } else {
                        // Keep at most 200 ms of caller audio queued: late audio is worse than a gap.
                        to_agent.trim_to(1600);
                        to_agent.next_frame()
                    };
                    link.send_frame(&frame).await;
                }
                if whisper_done && whisper.is_empty() && !bridged {
                    bridged = true;
                    send(LegUpdate::Bridged);
                }
            }
            incoming = link.recv(&mut buf) => {
                if let Incoming::Audio(samples) = incoming {
                    if bridged {
                        send(LegUpdate::Audio(hotline_media::f32_to_pcm(&samples)));
                    }
                }
            }
            command = commands.recv() => match command {
                Some(LegCommand::Audio(pcm)) => {
                    if bridged {
                        to_agent.push(&pcm);
                    }
                }
                // The ring deadline passed just as the agent answered: they keep the call.
                Some(LegCommand::NoAnswer) => {}
                Some(LegCommand::Hangup) | None => {
                    let _ = sip.send(SipCommand::Hangup(leg.clone()));
                    break "caller-hangup".to_string();
                }
            },
            event = events.recv() => match event {
                Some(DialogEvent::Ended(cause)) => {
                    send(LegUpdate::Ended(cause.clone()));
                    break cause;
                }
                Some(_) => {}
                None => break "shutdown".to_string(),
            },
        }
    };
    tracing::info!("agent leg to {} ended: {cause}", request.agent);
    let _ = sip.send(SipCommand::Gone(leg));
    Ok(())
}
