//! The SIP task: owns the UDP socket and the sans-IO endpoint, admits calls and relays dialog events.
//!
//! Everything protocol-shaped happens in `hotline_sip::Endpoint`; this loop only moves datagrams
//! (and the messages of TCP and TLS connections, whose tasks live in `connections.rs`),
//! drives the endpoint's timers, applies admission policy (call limit, codecs; the endpoint itself
//! applies the access lists and the flood limit) and hands each admitted call to its own task.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_sip::{
    CallId, Endpoint, EndpointConfig, Event, OsRandom, Registration, RequestClass, Transport,
};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::call::{self, CallSetup, DialogEvent};
use crate::config::WhenFull;
use crate::error::HotlineError;
use crate::server::connections::{StreamEvent, StreamInput};
use crate::server::load::Refusal;
use crate::server::log_throttle::{LogDecision, LogThrottle, LOG_INTERVAL};
use crate::server::Services;
use crate::store::{unix_ms, RegistrationRow};

/// What a call task asks of the SIP layer.
#[derive(Debug)]
pub enum SipCommand {
    Ringing(CallId),
    Answer(CallId, String),
    Reject(CallId, u16),
    Hangup(CallId),
    /// Place a call (an agent leg); its dialog events go to `events`, its Call-ID to `placed`.
    Invite {
        call: hotline_sip::OutgoingCall,
        events: mpsc::UnboundedSender<DialogEvent>,
        placed: tokio::sync::oneshot::Sender<Result<CallId, HotlineError>>,
    },
    /// Blind transfer: ask the peer of this dialog to call `target` (REFER).
    Refer(CallId, String),
    /// The call task has finished; forget it.
    Gone(CallId),
}

/// Runs the SIP task; `commands` is the receiving end of the channel whose senders call tasks,
/// agent legs and campaign attempts hold (`commands_tx`).
pub async fn run_signalling(
    socket: UdpSocket,
    services: Arc<Services>,
    (commands_tx, mut commands): (
        mpsc::UnboundedSender<SipCommand>,
        mpsc::UnboundedReceiver<SipCommand>,
    ),
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    mut streams: StreamInput,
) -> Result<(), HotlineError> {
    let local = socket.local_addr().map_err(|source| HotlineError::Socket {
        addr: "sip".into(),
        source,
    })?;
    let mut endpoint = Endpoint::new(
        EndpointConfig {
            local_addr: local,
            user_agent: services.config.sip.user_agent.clone(),
            t1: std::time::Duration::from_millis(500),
            t2: std::time::Duration::from_secs(4),
            registrar: services.center.as_ref().map(|center| {
                let (realm, accounts) = center.accounts();
                let mut registrar = hotline_sip::RegistrarConfig::new(realm, accounts);
                registrar.min_expires = services.config.agents.min_registration;
                registrar.algorithms = services.config.agents.digest.clone();
                registrar
            }),
            access: services.config.sip.access.clone(),
            flood: services.config.sip.flood,
        },
        OsRandom,
    );
    if let Some(local) = streams.tcp_local {
        endpoint.set_stream_listener(Transport::Tcp, local);
    }
    if let Some(local) = streams.tls_local {
        endpoint.set_stream_listener(Transport::Tls, local);
    }
    let _keep_open = streams.keep_open.clone();
    let mut connections: Connections = HashMap::new();
    restore_registrations(&mut endpoint, &services).await;
    let mut calls: HashMap<CallId, mpsc::UnboundedSender<DialogEvent>> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    let mut refusals = Refusals::new(LOG_INTERVAL);
    // Once a stop is asked for: when the calls still talking are hung up regardless.
    let mut drain_until: Option<Instant> = None;
    loop {
        let deadline = endpoint.poll_timeout();
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, source)) => endpoint.handle_datagram(Instant::now(), source, &buf[..n]),
                Err(e) => tracing::warn!("SIP socket receive error: {e}"),
            },
            Some(event) = streams.events.recv() => {
                let now = Instant::now();
                match event {
                    StreamEvent::Opened { peer, writer } => {
                        connections.insert(peer, writer);
                    }
                    StreamEvent::Message { peer, transport, bytes } => {
                        endpoint.handle_stream_message(now, peer, transport, &bytes);
                    }
                    StreamEvent::Refused { peer, transport, refusal } => {
                        endpoint.refuse_stream_message(now, peer, transport, &refusal);
                    }
                    StreamEvent::Closed { peer } => {
                        connections.remove(&peer);
                        endpoint.connection_closed(peer);
                    }
                }
            },
            Some(command) = commands.recv() => {
                let now = Instant::now();
                let outcome = match &command {
                    SipCommand::Ringing(call) => endpoint.ringing(now, call),
                    SipCommand::Answer(call, sdp) => endpoint.answer(now, call, sdp.clone()),
                    SipCommand::Reject(call, status) => endpoint.reject(now, call, *status),
                    SipCommand::Hangup(call) => endpoint.hangup(now, call),
                    SipCommand::Invite { .. } => Ok(()),
                    SipCommand::Refer(call, target) => endpoint.refer(now, call, target, None),
                    SipCommand::Gone(call) => { calls.remove(call); Ok(()) }
                };
                if let SipCommand::Invite { call, events, placed } = command {
                    let result = endpoint.invite(now, call).map_err(HotlineError::from);
                    if let Ok(id) = &result {
                        calls.insert(id.clone(), events);
                    }
                    let _ = placed.send(result);
                    flush(&socket, &mut endpoint, &connections).await;
                    continue;
                }
                if let Err(e) = outcome {
                    tracing::debug!("SIP command {command:?} not applied: {e}");
                }
            }
            _ = sleep_until(deadline) => endpoint.handle_timeout(Instant::now()),
            _ = shutdown.changed(), if drain_until.is_none() => {
                services.draining.store(true, std::sync::atomic::Ordering::Relaxed);
                drain_until = Some(Instant::now() + services.config.sip.drain_timeout);
                tracing::info!(
                    "stopping: {} call(s) in progress hear the goodbye and are hung up; new calls get 503",
                    calls.len()
                );
                for events in calls.values() {
                    let _ = events.send(DialogEvent::Shutdown);
                }
            }
            _ = sleep_until(drain_until), if drain_until.is_some() => {
                tracing::warn!(
                    "stopping: sip.drain_timeout passed with {} call(s) still up; hanging up",
                    calls.len()
                );
                let now = Instant::now();
                for call in calls.keys() {
                    let _ = endpoint.hangup(now, call);
                }
                flush(&socket, &mut endpoint, &connections).await;
                return Ok(());
            }
        }
        flush(&socket, &mut endpoint, &connections).await;
        while let Some(event) = endpoint.poll_event() {
            if let Event::Flood(report) = &event {
                // Its TCP and TLS connections are closed: dropping the writer ends their task.
                connections.retain(|peer, _| peer.ip() != report.source);
            }
            dispatch(
                event,
                &mut endpoint,
                &mut calls,
                &services,
                &commands_tx,
                &mut refusals,
            )
            .await;
        }
        flush(&socket, &mut endpoint, &connections).await;
        if drain_until.is_some() && calls.is_empty() {
            tracing::info!("stopping: every call has ended");
            return Ok(());
        }
    }
}

/// Puts back the phone registrations kept in the store (those still in date), so agents
/// registered before a restart are logged in and reachable without registering again.
async fn restore_registrations(endpoint: &mut Endpoint, services: &Services) {
    let Some(center) = &services.center else {
        return;
    };
    let now_ms = unix_ms();
    let rows = match services.store.live_registrations(now_ms).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(
                "registrations could not be read from the store; phones must register again: {e}"
            );
            return;
        }
    };
    let (realm, accounts) = center.accounts();
    let now = Instant::now();
    for row in rows {
        let current = accounts
            .get(&row.user)
            .map(|secret| secret.fingerprint(&row.user, &realm));
        if current.as_deref() != Some(row.secret_tag.as_str()) {
            tracing::info!(
                "agent {}: registration from before the restart dropped (the agent's password or the realm changed, or the agent is gone); the phone must register again",
                row.user
            );
            if let Err(e) = services.store.registration_removed(&row.user).await {
                tracing::warn!("registration of {} could not be removed: {e}", row.user);
            }
            continue;
        }
        let left = Duration::from_millis(u64::try_from(row.expires_at - now_ms).unwrap_or(0));
        let registration = Registration {
            contact: row.contact.clone(),
            source: row.source,
            expires_at: now + left,
        };
        if endpoint.restore_registration(now, &row.user, registration, &row.call_id, row.cseq) {
            tracing::info!(
                "agent {} still registered from {} (for {} s more), kept across the restart",
                row.user,
                row.source,
                left.as_secs()
            );
            center.registered(&row.user, &row.contact, row.source).await;
        } else if let Err(e) = services.store.registration_removed(&row.user).await {
            tracing::warn!("registration of {} could not be removed: {e}", row.user);
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// The writer of each open TCP or TLS connection, by its peer's address.
type Connections = HashMap<std::net::SocketAddr, mpsc::Sender<Vec<u8>>>;

async fn flush(socket: &UdpSocket, endpoint: &mut Endpoint, connections: &Connections) {
    while let Some(t) = endpoint.poll_transmit() {
        if t.transport.is_stream() {
            // A connection that is gone or does not read: the message is lost, as a datagram
            // would be (timers retransmit what matters).
            match connections.get(&t.destination) {
                Some(writer) => {
                    if writer.try_send(t.payload).is_err() {
                        tracing::debug!(
                            "SIP {} to {}: connection full or gone",
                            t.transport,
                            t.destination
                        );
                    }
                }
                None => tracing::debug!("SIP {} to {}: no connection", t.transport, t.destination),
            }
            continue;
        }
        if let Err(e) = socket.send_to(&t.payload, t.destination).await {
            tracing::debug!("SIP send to {} failed: {e}", t.destination);
        }
    }
}

/// Our SRTP master key for one call, from the operating system (falling back to the OS-seeded
/// thread generator).
fn fresh_master_key() -> hotline_media::MasterKey {
    use rand::TryRngCore;
    let mut bytes = [0u8; hotline_media::MASTER_LEN];
    if rand::rngs::OsRng.try_fill_bytes(&mut bytes).is_err() {
        bytes = rand::random();
    }
    hotline_media::MasterKey::from_bytes(&bytes)
}

async fn dispatch(
    event: Event,
    endpoint: &mut Endpoint,
    calls: &mut HashMap<CallId, mpsc::UnboundedSender<DialogEvent>>,
    services: &Arc<Services>,
    commands: &mpsc::UnboundedSender<SipCommand>,
    refusals: &mut Refusals,
) {
    let now = Instant::now();
    match event {
        Event::IncomingCall {
            call,
            source,
            from,
            to,
            offer,
            transport,
            ..
        } => {
            // The endpoint has already refused sources outside `sip.allowed.call`.
            if services.draining.load(std::sync::atomic::Ordering::Relaxed) {
                tracing::info!(%source, "call refused: the server is stopping");
                let _ = endpoint.reject_unavailable(now, &call, services.config.sip.retry_after);
                return;
            }
            if calls.len() >= services.config.sip.max_calls {
                tracing::warn!(%source, "call refused: sip.max_calls reached");
                services.load.refused(Refusal::MaxCalls);
                refuse_when_full(endpoint, services, now, &call);
                return;
            }
            if !services.load.admit(now) {
                tracing::warn!(
                    %source,
                    "call refused: transcriptions are waiting longer than speech.max_asr_wait"
                );
                services.load.refused(Refusal::Overload);
                refuse_when_full(endpoint, services, now, &call);
                return;
            }
            let rtp = &services.config.rtp;
            let rule = call::SrtpRule {
                policy: rtp.srtp,
                keys_may_travel: transport == Transport::Tls || rtp.srtp_over_plain_sip,
            };
            let fresh_key = fresh_master_key();
            let media = match call::negotiate_media(offer.as_deref(), &rtp.codecs, rule, fresh_key)
            {
                Ok(media) => media,
                Err(refusal) => {
                    tracing::info!(
                        %source,
                        %transport,
                        call_id = %call.0,
                        status = refusal.status(),
                        reason = refusal.name(),
                        srtp = ?rtp.srtp,
                        "call refused: {refusal}"
                    );
                    let warning = refusal.warning();
                    let _ = endpoint.reject_with_warning(now, &call, refusal.status(), &warning);
                    return;
                }
            };
            let (events_tx, events_rx) = mpsc::unbounded_channel();
            calls.insert(call.clone(), events_tx);
            let setup = CallSetup {
                sip_call: call,
                source,
                caller: address_of(&from),
                caller_key: caller_key_of(&from),
                callee: address_of(&to),
                media,
            };
            tokio::spawn(call::run_inbound(
                setup,
                Arc::clone(services),
                commands.clone(),
                events_rx,
            ));
        }
        Event::Confirmed { call, answer } => relay(calls, &call, DialogEvent::Confirmed { answer }),
        Event::Cancelled { call } => {
            relay(calls, &call, DialogEvent::Ended("caller-cancel".into()))
        }
        Event::Ended { call, cause } => relay(
            calls,
            &call,
            DialogEvent::Ended(call::end_cause_name(&cause).into()),
        ),
        Event::Failed { call, status, .. } => {
            relay(calls, &call, DialogEvent::Ended(format!("failed-{status}")))
        }
        Event::Info {
            call,
            content_type,
            body,
        } => relay(calls, &call, DialogEvent::Info { content_type, body }),
        Event::Ringing { call } => relay(calls, &call, DialogEvent::Ringing),
        Event::Answered { call, answer } => relay(calls, &call, DialogEvent::Answered { answer }),
        Event::ReferAnswered { call, status, .. } => {
            relay(calls, &call, DialogEvent::ReferAnswered { status })
        }
        Event::ReferProgress {
            call,
            status,
            terminated,
        } => relay(
            calls,
            &call,
            DialogEvent::ReferProgress { status, terminated },
        ),
        Event::Registered {
            user,
            contact,
            source,
            expires,
            call_id,
            cseq,
        } => {
            let secret_tag = services
                .center
                .as_ref()
                .and_then(|center| {
                    let (realm, accounts) = center.accounts();
                    accounts.get(&user).map(|s| s.fingerprint(&user, &realm))
                })
                .unwrap_or_default();
            let row = RegistrationRow {
                secret_tag,
                user: user.clone(),
                contact: contact.clone(),
                source,
                expires_at: unix_ms()
                    .saturating_add(i64::try_from(expires.as_millis()).unwrap_or(i64::MAX / 2)),
                call_id,
                cseq,
            };
            if let Err(e) = services.store.registration_saved(&row).await {
                tracing::warn!("registration of {user} not saved; a restart would forget it: {e}");
            }
            if let Some(center) = &services.center {
                center.registered(&user, &contact, source).await;
            }
        }
        Event::Unregistered { user } => {
            forget_registration(services, &user).await;
            if let Some(center) = &services.center {
                center.registration_lost(&user, "removed").await;
            }
        }
        Event::RegistrationExpired { user } => {
            forget_registration(services, &user).await;
            if let Some(center) = &services.center {
                center.registration_lost(&user, "expired").await;
            }
        }
        Event::Forbidden {
            source,
            class,
            method,
        } => {
            let LogDecision::Log { suppressed } = refusals.refusal((source.ip(), None), now) else {
                return;
            };
            let also = also_refused(suppressed);
            match class {
                RequestClass::Call => tracing::info!(
                    %source,
                    "{method} refused (403): source not in sip.allowed.call{also}"
                ),
                RequestClass::Register => tracing::info!(
                    %source,
                    "REGISTER refused (403): source not in sip.allowed.register{also}"
                ),
                RequestClass::Other => tracing::debug!(
                    %source,
                    "{method} refused (403): source not in sip.allowed.other{also}"
                ),
            }
        }
        Event::Flood(report) if report.newly_blocked => tracing::warn!(
            source = %report.source,
            "SIP flood: source blocked, its requests are dropped (sip.flood)"
        ),
        Event::Flood(report) => tracing::warn!(
            source = %report.source,
            dropped = report.dropped,
            "SIP flood: source still blocked"
        ),
        Event::RegisterRefused {
            user,
            source,
            throttled,
        } => {
            let key = (source.ip(), Some((user.clone(), throttled)));
            let LogDecision::Log { suppressed } = refusals.refusal(key, now) else {
                return;
            };
            let also = also_refused(suppressed);
            if throttled {
                tracing::warn!(%source, "REGISTER for {user:?} refused: too many failures (for this user from this address, from this address, or for this user){also}");
            } else {
                tracing::warn!(%source, "REGISTER for {user:?} refused: wrong credentials{also}");
            }
        }
    }
}

async fn forget_registration(services: &Services, user: &str) {
    if let Err(e) = services.store.registration_removed(user).await {
        tracing::warn!("registration of {user} not removed from the store: {e}");
    }
}

/// Refusals a log line stands for besides its own (at most one line per source, what was
/// refused and `LOG_INTERVAL`).
pub type Refusals = LogThrottle<(IpAddr, Option<(String, bool)>)>;

/// `"; 41 more like it since the last line"`, or nothing.
fn also_refused(suppressed: u64) -> String {
    if suppressed == 0 {
        String::new()
    } else {
        format!("; {suppressed} more like it since the last line")
    }
}

/// `"Alice" <sip:alice@host>;tag=x` -> `"Alice" <sip:alice@host>`, for call records.
fn address_of(header: &str) -> String {
    match hotline_sip::NameAddr::parse(header) {
        Ok(a) => match a.display {
            Some(d) => format!("{d} <{}>", a.uri),
            None => a.uri.to_string(),
        },
        Err(_) => header.to_string(),
    }
}

/// `"Alice" <sip:+4930123@host>;tag=x` -> `+4930123`: who the caller is across calls.
fn caller_key_of(header: &str) -> String {
    match hotline_sip::NameAddr::parse(header) {
        Ok(a) => {
            let uri = a.uri.to_string();
            let rest = uri.split_once(':').map(|(_, r)| r).unwrap_or(&uri);
            let user = rest.split_once('@').map(|(u, _)| u).unwrap_or(rest);
            user.split(';').next().unwrap_or(user).to_string()
        }
        Err(_) => header.to_string(),
    }
}

/// The operator's answer to a call the server cannot take (`sip.when_full`).
fn refuse_when_full(endpoint: &mut Endpoint, services: &Services, now: Instant, call: &CallId) {
    let _ = match services.config.sip.when_full {
        WhenFull::Unavailable => {
            endpoint.reject_unavailable(now, call, services.config.sip.retry_after)
        }
        WhenFull::Busy => endpoint.reject(now, call, 486),
    };
}

fn relay(
    calls: &HashMap<CallId, mpsc::UnboundedSender<DialogEvent>>,
    call: &CallId,
    event: DialogEvent,
) {
    if let Some(tx) = calls.get(call) {
        let _ = tx.send(event);
    }
}
