//! Placing one callback job, agent first: the job enters its queue as a call of its own, so the
//! distributor reserves the next free agent for it; the agent is rung as a normal agent leg and
//! hears who is being called back; once that whisper is over the customer is called through the
//! queue's trunk, and the two are bridged with Hotline in the media path, recording both sides.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_acd::{CallbackOutcome, Enqueued, PlacingStage};
use hotline_dialer::{outcome_of_final, Outcome};
use hotline_media::Pacer;
use hotline_sip::{CallId, OutgoingCall};
use tokio::sync::{mpsc, oneshot};

use super::agent_leg::{self, LegCommand, LegHandle, LegRequest, LegUpdate};
use super::recording::StereoRecorder;
use super::rtp::Incoming;
use super::task::Internal;
use super::{media_from_answer, DialogEvent, Playout, RtpLink};
use crate::center::QueueEvent;
use crate::server::{Services, SipCommand};
use crate::store::{unix_ms, CallRecord, CallbackJob};

/// Where the customer's call leaves.
#[derive(Clone, Debug)]
pub struct CallbackRoute {
    pub trunk: SocketAddr,
    pub credentials: Option<(String, String)>,
    /// Shown to the customer (From and P-Asserted-Identity).
    pub caller_id: String,
    pub ring_timeout: Duration,
}

/// How placing a job ended: the outcome and the call record of a customer who answered; `None`
/// when the server is stopping (a job whose customer was not dialled yet is released by the
/// stop; one already dialled keeps its lease and is placed again after it runs out).
pub type Placed = Option<(CallbackOutcome, Option<String>)>;

/// How long the job may wait in its queue for an agent to take it before it is put back.
const AGENT_WAIT: Duration = Duration::from_secs(60);

/// Places `job`: see the module comment. `renew` is called about every 20 s while it runs.
pub async fn place(
    services: Arc<Services>,
    sip: mpsc::UnboundedSender<SipCommand>,
    job: CallbackJob,
    route: CallbackRoute,
    stage: &PlacingStage,
    renew: impl Fn(),
) -> Placed {
    let center = services.center.clone()?;
    let pseudo = format!("callback-{}", job.id);
    let (queue_tx, mut queue_rx) = mpsc::unbounded_channel();
    match center.enqueue(&pseudo, &job.queue, false, queue_tx).await {
        Ok(Enqueued::Waiting { .. }) => {}
        Ok(_) => return Some((CallbackOutcome::AgentMissed, None)),
        Err(e) => {
            tracing::warn!("callback {}: {e}", job.id);
            return Some((CallbackOutcome::AgentMissed, None));
        }
    }
    let (internal_tx, mut internal) = mpsc::unbounded_channel::<Internal>();
    let mut leg: Option<LegHandle> = None;
    let mut ring_until: Option<Instant> = None;
    let mut lease = tokio::time::interval(Duration::from_secs(20));
    let give_up = Instant::now() + AGENT_WAIT;
    // 1. An agent: offered by the distributor, rung, answered, whisper heard.
    let agent = loop {
        tokio::select! {
            event = queue_rx.recv(), if leg.is_none() => match event {
                Some(QueueEvent::Offer { agent, target, ring_timeout, .. }) => {
                    if let Err(e) = services.store.callback_agent(job.id, &agent).await {
                        tracing::error!("callback {}: cannot record its agent: {e}", job.id);
                    }
                    let request = LegRequest {
                        agent: agent.clone(),
                        target_uri: target.uri,
                        destination: target.destination,
                        from_uri: format!("sip:{}@{}", job.number, services.config.rtp.address),
                        headers: Vec::new(),
                        whisper: whisper(&job, unix_ms()),
                    };
                    leg = Some(agent_leg::spawn(
                        Arc::clone(&services),
                        sip.clone(),
                        request,
                        internal_tx.clone(),
                    ));
                    ring_until = Some(Instant::now() + ring_timeout);
                }
                Some(QueueEvent::Announce { .. }) => {}
                Some(QueueEvent::Overflow(_)) | None => {
                    center.left(&pseudo, "callback").await;
                    return Some((CallbackOutcome::AgentMissed, None));
                }
            },
            Some(Internal::Leg { agent, update }) = internal.recv() => match update {
                LegUpdate::Answered => {
                    ring_until = None;
                    center.answered(&pseudo, &agent).await;
                }
                LegUpdate::Bridged => break agent,
                LegUpdate::NotAnswered(reason) => {
                    tracing::info!("callback {}: agent {agent} did not take it ({reason})", job.id);
                    leg = None;
                    ring_until = None;
                    center.no_answer(&pseudo, &agent).await;
                }
                LegUpdate::Ended(cause) => {
                    tracing::info!("callback {}: agent {agent} hung up before the customer was called ({cause})", job.id);
                    center.hung_up(&pseudo).await;
                    return Some((CallbackOutcome::AgentMissed, None));
                }
                LegUpdate::Audio(_) => {}
            },
            _ = sleep_until(ring_until) => {
                ring_until = None;
                if let Some(leg) = &leg {
                    let _ = leg.commands.send(LegCommand::NoAnswer);
                }
            }
            _ = tokio::time::sleep_until(give_up.into()), if leg.is_none() => {
                center.left(&pseudo, "callback").await;
                return Some((CallbackOutcome::AgentMissed, None));
            }
            _ = lease.tick() => renew(),
        }
    };
    let leg = leg?;
    // 2. The customer, while the agent listens to the line.
    // A stop that released the job between the agent's answer and now wins: no customer call.
    let placed = if stage.dial() {
        call_customer(&services, &sip, &job, &route, &mut internal, &renew).await
    } else {
        Customer::Stopping
    };
    let result = match placed {
        Customer::Answered(call) => {
            let cause = bridge(
                &services,
                &sip,
                &job,
                &agent,
                call,
                &mut internal,
                &leg,
                &renew,
            )
            .await;
            match cause {
                Some((id, cause)) => {
                    tracing::info!(
                        "callback {} bridged customer and agent {agent}: {cause}",
                        job.id
                    );
                    Some((CallbackOutcome::Answered, Some(id)))
                }
                None => None,
            }
        }
        Customer::NotReached(outcome) => {
            tracing::info!(
                "callback {}: customer {} not reached ({})",
                job.id,
                job.number,
                outcome.name()
            );
            let _ = leg.commands.send(LegCommand::Hangup);
            Some((outcome, None))
        }
        Customer::Stopping => {
            let _ = leg.commands.send(LegCommand::Hangup);
            None
        }
    };
    center.hung_up(&pseudo).await;
    result
}

/// What the agent hears before the customer is called.
fn whisper(job: &CallbackJob, now: i64) -> String {
    let minutes = (now - job.requested_at).max(0) / 60_000;
    let ago = match minutes {
        0 => "just now".to_string(),
        1 => "a minute ago".to_string(),
        n => format!("{n} minutes ago"),
    };
    format!(
        "Callback for queue {}: the caller asked {ago}. Calling them now.",
        job.queue
    )
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

struct AnsweredCustomer {
    call: CallId,
    link: RtpLink,
    events: mpsc::UnboundedReceiver<DialogEvent>,
    record: CallRecord,
    codec: &'static str,
}

enum Customer {
    Answered(Box<AnsweredCustomer>),
    NotReached(CallbackOutcome),
    Stopping,
}

fn not_reached(outcome: Outcome) -> CallbackOutcome {
    match outcome {
        Outcome::Busy => CallbackOutcome::Busy,
        Outcome::NoAnswer => CallbackOutcome::NoAnswer,
        Outcome::InvalidNumber => CallbackOutcome::InvalidNumber,
        _ => CallbackOutcome::Failed,
    }
}

/// Calls the customer through the trunk, until they answer, the line gives up or the agent
/// hangs up (then the customer's call is cancelled and the job goes back: the agent's miss).
async fn call_customer(
    services: &Arc<Services>,
    sip: &mpsc::UnboundedSender<SipCommand>,
    job: &CallbackJob,
    route: &CallbackRoute,
    internal: &mut mpsc::UnboundedReceiver<Internal>,
    renew: &impl Fn(),
) -> Customer {
    let config = &services.config;
    let started_at = unix_ms();
    let super::placing::Offer { socket, sdp: offer } = match super::placing::rtp_offer(services) {
        Ok(offer) => offer,
        Err(e) => {
            tracing::error!("callback {}: {e}", job.id);
            return Customer::NotReached(CallbackOutcome::Failed);
        }
    };
    let from_uri = format!("sip:{}@{}", route.caller_id, config.rtp.address);
    let target_uri = format!("sip:{}@{}", job.number, route.trunk);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (placed_tx, placed) = oneshot::channel();
    let _ = sip.send(SipCommand::Invite {
        call: OutgoingCall {
            target_uri: target_uri.clone(),
            from_uri: from_uri.clone(),
            destination: route.trunk,
            sdp: offer,
            extra_headers: vec![("P-Asserted-Identity".into(), format!("<{from_uri}>"))],
            credentials: route.credentials.clone(),
        },
        events: events_tx,
        placed: placed_tx,
    });
    let call = match placed.await {
        Ok(Ok(id)) => id,
        Ok(Err(reason)) => {
            tracing::warn!("callback {}: INVITE refused: {reason}", job.id);
            return Customer::NotReached(CallbackOutcome::Failed);
        }
        Err(_) => return Customer::Stopping,
    };
    tracing::info!("callback {}: calling {} ({})", job.id, job.number, call.0);
    let deadline = Instant::now() + route.ring_timeout;
    let mut rang_out = false;
    let mut provisional = false;
    let mut agent_gone = false;
    let mut lease = tokio::time::interval(Duration::from_secs(20));
    let answer = loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(DialogEvent::Answered { answer }) => break answer,
                Some(DialogEvent::Ended(cause)) => {
                    let _ = sip.send(SipCommand::Gone(call.clone()));
                    if agent_gone {
                        return Customer::NotReached(CallbackOutcome::AgentMissed);
                    }
                    let status = cause
                        .strip_prefix("failed-")
                        .and_then(|s| s.parse::<u16>().ok())
                        .filter(|s| *s != 408 || provisional);
                    return Customer::NotReached(not_reached(outcome_of_final(status, rang_out)));
                }
                Some(DialogEvent::Ringing) => provisional = true,
                Some(DialogEvent::Shutdown) | None => {
                    let _ = sip.send(SipCommand::Hangup(call.clone()));
                    let _ = sip.send(SipCommand::Gone(call.clone()));
                    return Customer::Stopping;
                }
                Some(_) => {}
            },
            Some(Internal::Leg { update: LegUpdate::Ended(_), .. }) = internal.recv(), if !agent_gone => {
                agent_gone = true;
                let _ = sip.send(SipCommand::Hangup(call.clone()));
            }
            _ = tokio::time::sleep_until(deadline.into()), if !rang_out && !agent_gone => {
                rang_out = true;
                let _ = sip.send(SipCommand::Hangup(call.clone()));
            }
            _ = lease.tick() => renew(),
        }
    };
    let media = answer
        .as_deref()
        .and_then(|a| media_from_answer(a, &config.rtp.codecs));
    let (Some(media), false, false) = (media, rang_out, agent_gone) else {
        let _ = sip.send(SipCommand::Hangup(call.clone()));
        let _ = sip.send(SipCommand::Gone(call.clone()));
        return Customer::NotReached(if agent_gone {
            CallbackOutcome::AgentMissed
        } else if rang_out {
            CallbackOutcome::NoAnswer
        } else {
            CallbackOutcome::Failed
        });
    };
    let link = match RtpLink::new(
        socket,
        super::rtp_guard(&config.rtp, media.remote_rtp, route.trunk.ip()),
        media.codec,
        media.payload_type,
        media.dtmf_payload_type,
    ) {
        Ok(link) => link,
        Err(e) => {
            tracing::error!("callback {}: {e}", job.id);
            let _ = sip.send(SipCommand::Hangup(call.clone()));
            let _ = sip.send(SipCommand::Gone(call.clone()));
            return Customer::NotReached(CallbackOutcome::Failed);
        }
    };
    let record = CallRecord {
        id: uuid::Uuid::now_v7().to_string(),
        sip_call_id: call.0.clone(),
        direction: "outbound".into(),
        caller: from_uri,
        callee: target_uri,
        source: route.trunk.to_string(),
        started_at,
        answered_at: None,
        ended_at: None,
        hangup_cause: None,
        codec: None,
        flow_name: None,
        flow_version: None,
        caller_key: Some(job.number.clone()),
    };
    Customer::Answered(Box::new(AnsweredCustomer {
        call,
        link,
        events,
        record,
        codec: super::codec_name(media.codec),
    }))
}

/// Relays audio both ways until either side hangs up, recording customer (left) and agent
/// (right); returns the call record's id and the cause, or `None` when the server stops.
#[allow(clippy::too_many_arguments)]
async fn bridge(
    services: &Arc<Services>,
    sip: &mpsc::UnboundedSender<SipCommand>,
    job: &CallbackJob,
    agent: &str,
    customer: Box<AnsweredCustomer>,
    internal: &mut mpsc::UnboundedReceiver<Internal>,
    leg: &LegHandle,
    renew: &impl Fn(),
) -> Option<(String, String)> {
    let AnsweredCustomer {
        call,
        mut link,
        mut events,
        record,
        codec,
    } = *customer;
    let store = &services.store;
    let id = record.id.clone();
    if let Err(e) = store.call_started(&record).await {
        tracing::error!("callback {}: cannot record the call: {e}", job.id);
    }
    if let Err(e) = store.call_answered(&id, unix_ms(), codec).await {
        tracing::error!("callback {}: cannot record the answer: {e}", job.id);
    }
    let path = services.recordings_dir().join(format!("{id}-bridge.wav"));
    let mut recorder = match StereoRecorder::create(&path) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::error!("callback {}: cannot record the bridged call: {e}", job.id);
            None
        }
    };
    let mut to_customer = Playout::default();
    let mut pacer = Pacer::new(Instant::now(), Duration::from_millis(20));
    let mut lease = tokio::time::interval(Duration::from_secs(20));
    let mut buf = vec![0u8; 2048];
    let mut write = |customer: bool, pcm: &[i16]| {
        let Some(r) = recorder.as_mut() else { return };
        let written = if customer {
            r.caller(pcm)
        } else {
            r.agent(pcm)
        };
        if let Err(e) = written {
            tracing::error!("callback {}: the recording stopped: {e}", job.id);
            recorder = None;
        }
    };
    let cause = loop {
        tokio::select! {
            _ = tokio::time::sleep_until(pacer.next_deadline().into()) => {
                let due = pacer.on_tick(Instant::now());
                for _ in 0..due.min(3) {
                    to_customer.trim_to(1600);
                    link.send_frame(&to_customer.next_frame()).await;
                }
            }
            incoming = link.recv(&mut buf) => {
                if let Incoming::Audio(samples) = incoming {
                    let pcm = hotline_media::f32_to_pcm(&samples);
                    write(true, &pcm);
                    let _ = leg.commands.send(LegCommand::Audio(pcm));
                }
            }
            update = internal.recv() => match update {
                Some(Internal::Leg { update: LegUpdate::Audio(pcm), .. }) => {
                    write(false, &pcm);
                    to_customer.push(&pcm);
                }
                Some(Internal::Leg { update: LegUpdate::Ended(_), .. }) | None => {
                    let _ = sip.send(SipCommand::Hangup(call.clone()));
                    break Some("agent-hangup".to_string());
                }
                Some(_) => {}
            },
            event = events.recv() => match event {
                Some(DialogEvent::Ended(cause)) => {
                    let _ = leg.commands.send(LegCommand::Hangup);
                    break Some(cause);
                }
                Some(DialogEvent::Shutdown) | None => {
                    let _ = sip.send(SipCommand::Hangup(call.clone()));
                    let _ = leg.commands.send(LegCommand::Hangup);
                    break None;
                }
                Some(_) => {}
            },
            _ = lease.tick() => renew(),
        }
    };
    if let Some(r) = recorder.take() {
        match r.finish() {
            Ok(path) => tracing::info!(
                "callback {} with agent {agent}: recording {} (left: customer, right: agent)",
                job.id,
                path.display()
            ),
            Err(e) => tracing::error!("callback {}: cannot store the recording: {e}", job.id),
        }
    }
    let end = cause.clone().unwrap_or_else(|| "shutdown".into());
    if let Err(e) = store.call_ended(&id, unix_ms(), &end).await {
        tracing::error!(
            "callback {}: cannot record the end of call {id}: {e}",
            job.id
        );
    }
    let _ = sip.send(SipCommand::Gone(call));
    cause.map(|c| (id, c))
}
