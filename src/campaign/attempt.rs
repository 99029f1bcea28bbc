//! One campaign call attempt: the INVITE through the trunk (the SIP task answers its digest
//! challenge), ringing until the trunk's ring timeout, and on answer the campaign's flow run by
//! the same call task as inbound calls. Reports how it ended for the dialer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_dialer::{outcome_of_final, MachineDetection, OnMachine, Outcome, Verdict};
use hotline_sip::{CallId, OutgoingCall};
use tokio::sync::{mpsc, oneshot};

use super::machine::{self, Detected, MachineCheck};
use crate::call::{media_from_answer, AnsweredCall, CallSetup, DialogEvent};
use crate::server::{ActiveFlow, Services, SipCommand};

/// Everything one attempt needs.
pub struct AttemptRequest {
    pub number: String,
    pub target_uri: String,
    pub destination: SocketAddr,
    pub caller_id: String,
    pub credentials: Option<(String, String)>,
    pub ring_timeout: Duration,
    pub flow: Arc<ActiveFlow>,
    pub variables: Vec<(String, String)>,
    pub machine_detection: MachineDetection,
    pub on_machine: OnMachine,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub struct AttemptEnd {
    pub outcome: Outcome,
    /// The INVITE's final status; `None` when none came.
    pub sip_status: Option<u16>,
    pub call_id: Option<String>,
    /// The answering-machine verdict, when the call was answered and detection ran.
    pub amd: Option<MachineCheck>,
}

/// What the attempt tells its campaign while it runs.
#[derive(Debug)]
pub enum AttemptNews {
    /// The INVITE left with this Call-ID.
    Sent(CallId),
    Ended(AttemptEnd),
}

/// Places the call; `news` gets the Call-ID once sent, then the end.
pub async fn place(
    services: Arc<Services>,
    sip: mpsc::UnboundedSender<SipCommand>,
    request: AttemptRequest,
    news: impl Fn(AttemptNews),
) {
    let end = match run(&services, &sip, request, &news).await {
        Ok(end) => end,
        Err(e) => {
            tracing::error!("campaign attempt failed: {e}");
            AttemptEnd {
                outcome: Outcome::NetworkFailure,
                sip_status: None,
                call_id: None,
                amd: None,
            }
        }
    };
    news(AttemptNews::Ended(end));
}

fn ended(status: Option<u16>, rang_out: bool) -> AttemptEnd {
    AttemptEnd {
        outcome: outcome_of_final(status, rang_out),
        sip_status: status,
        call_id: None,
        amd: None,
    }
}

async fn run(
    services: &Arc<Services>,
    sip: &mpsc::UnboundedSender<SipCommand>,
    request: AttemptRequest,
    news: &impl Fn(AttemptNews),
) -> Result<AttemptEnd, crate::error::HotlineError> {
    let config = &services.config;
    let started_at = crate::store::unix_ms();
    let crate::call::placing::Offer { socket, sdp: offer } =
        crate::call::placing::rtp_offer(services)?;
    let host = config.rtp.address;
    let from_uri = format!("sip:{}@{host}", request.caller_id);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (placed_tx, placed) = oneshot::channel();
    let _ = sip.send(SipCommand::Invite {
        call: OutgoingCall {
            target_uri: request.target_uri.clone(),
            from_uri: from_uri.clone(),
            destination: request.destination,
            sdp: offer,
            extra_headers: vec![("P-Asserted-Identity".into(), format!("<{from_uri}>"))],
            credentials: request.credentials.clone(),
        },
        events: events_tx,
        placed: placed_tx,
    });
    let call: CallId = match placed.await {
        Ok(Ok(id)) => id,
        Ok(Err(reason)) => {
            tracing::warn!("campaign INVITE to {} refused: {reason}", request.number);
            return Ok(ended(None, false));
        }
        Err(_) => return Ok(ended(None, false)),
    };
    news(AttemptNews::Sent(call.clone()));
    tracing::info!("campaign call to {} placed ({})", request.number, call.0);

    let deadline = Instant::now() + request.ring_timeout;
    let mut rang_out = false;
    let mut provisional = false;
    let answer = loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(DialogEvent::Answered { answer }) => break answer,
                Some(DialogEvent::Ended(cause)) => {
                    let _ = sip.send(SipCommand::Gone(call.clone()));
                    let status = cause
                        .strip_prefix("failed-")
                        .and_then(|s| s.parse::<u16>().ok())
                        // A 408 with nothing heard before is our own Timer B: no response.
                        .filter(|s| *s != 408 || provisional);
                    return Ok(ended(status, rang_out));
                }
                Some(DialogEvent::Ringing) => provisional = true,
                Some(DialogEvent::Shutdown) | None => {
                    let _ = sip.send(SipCommand::Hangup(call.clone()));
                    let _ = sip.send(SipCommand::Gone(call.clone()));
                    return Ok(AttemptEnd {
                        outcome: Outcome::ServerRestart,
                        sip_status: None,
                        call_id: None,
                        amd: None,
                    });
                }
                Some(_) => {}
            },
            _ = tokio::time::sleep_until(deadline.into()), if !rang_out => {
                rang_out = true;
                let _ = sip.send(SipCommand::Hangup(call.clone()));
            }
        }
    };
    if rang_out {
        // Answered in the instant we gave up: the SIP layer sends BYE for a 2xx after CANCEL.
        let _ = sip.send(SipCommand::Hangup(call.clone()));
        let _ = sip.send(SipCommand::Gone(call.clone()));
        return Ok(ended(None, true));
    }
    let Some(media) = answer
        .as_deref()
        .and_then(|a| media_from_answer(a, &config.rtp.codecs))
    else {
        tracing::warn!("{} answered without usable SDP; hanging up", request.number);
        let _ = sip.send(SipCommand::Hangup(call.clone()));
        let _ = sip.send(SipCommand::Gone(call.clone()));
        return Ok(AttemptEnd {
            outcome: Outcome::NetworkFailure,
            sip_status: Some(200),
            call_id: None,
            amd: None,
        });
    };
    // Who answered, before the flow says a word (docs/decisions.md: the greeting waits).
    let amd = if request.machine_detection.enabled {
        let clone = socket
            .try_clone()
            .map_err(|source| crate::error::HotlineError::Socket {
                addr: "rtp".into(),
                source,
            })?;
        let detected = machine::detect(
            clone,
            &config.rtp,
            &media,
            request.destination,
            request.machine_detection.clone(),
            request.on_machine == OnMachine::LeaveMessage,
            &mut events,
        )
        .await?;
        match detected {
            Detected::Ready(check) => {
                tracing::info!(
                    "campaign call to {}: {} ({})",
                    request.number,
                    check.result_name(),
                    check.decision
                );
                Some(check)
            }
            Detected::HungUp(check) => {
                let _ = sip.send(SipCommand::Gone(call.clone()));
                let machine = check.is_some_and(|c| c.decision.verdict == Verdict::Machine);
                return Ok(AttemptEnd {
                    outcome: if machine {
                        Outcome::AnsweredMachine
                    } else {
                        Outcome::AnsweredPerson
                    },
                    sip_status: Some(200),
                    call_id: None,
                    amd: check,
                });
            }
            Detected::Shutdown => {
                let _ = sip.send(SipCommand::Hangup(call.clone()));
                let _ = sip.send(SipCommand::Gone(call.clone()));
                return Ok(AttemptEnd {
                    outcome: Outcome::ServerRestart,
                    sip_status: Some(200),
                    call_id: None,
                    amd: None,
                });
            }
        }
    } else {
        None
    };
    let machine = amd.is_some_and(|c| c.decision.verdict == Verdict::Machine);
    if machine && request.on_machine == OnMachine::HangUpAndRetry {
        let _ = sip.send(SipCommand::Hangup(call.clone()));
        let _ = sip.send(SipCommand::Gone(call.clone()));
        return Ok(AttemptEnd {
            outcome: Outcome::AnsweredMachine,
            sip_status: Some(200),
            call_id: None,
            amd,
        });
    }
    let mut variables = request.variables.clone();
    // The flow branches on `{amd}`: human, machine (its greeting is over) or unknown.
    variables.push((
        "amd".into(),
        amd.map_or("unknown", |c| c.verdict_name()).into(),
    ));
    let setup = CallSetup {
        sip_call: call.clone(),
        source: request.destination,
        caller: from_uri,
        caller_key: request.number.clone(),
        callee: request.target_uri.clone(),
        media,
    };
    let call_id = crate::call::run_outbound(
        AnsweredCall {
            setup,
            socket,
            flow: Arc::clone(&request.flow),
            variables,
            started_at,
        },
        Arc::clone(services),
        sip.clone(),
        events,
    )
    .await;
    let outcome = match answered_outcome(services, call_id.as_deref()).await {
        Outcome::AnsweredPerson if machine => Outcome::AnsweredMachine,
        other => other,
    };
    Ok(AttemptEnd {
        outcome,
        sip_status: Some(200),
        call_id,
        amd,
    })
}

/// Reached, or opted out: what the flow's hang-ups say (from the call's journal).
async fn answered_outcome(services: &Services, call_id: Option<&str>) -> Outcome {
    let journal = match call_id {
        Some(id) => services.store.journal(id).await.unwrap_or_else(|e| {
            tracing::error!("campaign call {id}: cannot read its journal: {e}");
            Vec::new()
        }),
        None => Vec::new(),
    };
    let reasons: Vec<&str> = journal
        .iter()
        .flat_map(|e| e.decisions.iter())
        .filter_map(|d| d.strip_prefix("hang up (")?.strip_suffix(')'))
        .collect();
    hotline_dialer::outcome_of_answered(reasons)
}
