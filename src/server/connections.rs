//! SIP over TCP and TLS: the listeners and one task per connection. Each task cuts its bytes
//! into messages (`hotline_sip::StreamFramer`) and hands them to the SIP task, and writes what
//! the SIP task sends back. Limits apply here, before any SIP state: sources outside every
//! `sip.allowed` list and connections beyond `sip.connections.max` / `max_per_ip` are closed at
//! accept; a TLS handshake gets `handshake_timeout`; a begun message must be complete within
//! `MESSAGE_TIMEOUT` (slow-loris) and a connection with no message for `idle_timeout` is
//! closed; a source blocked by `sip.flood` has its connections closed when the block is
//! reported. Refusals are logged once per source and interval.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hotline_sip::{AccessPolicy, Frame, StreamFramer, StreamRefusal, Transport};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::config::ConnectionLimits;
use crate::server::connection_slots::{ConnectionSlots, SlotRefusal};
use crate::server::log_throttle::{LogDecision, LogThrottle, LOG_INTERVAL};

/// A message begun on a connection must be complete within this (a slow-loris sender that
/// trickles a head byte by byte is cut off here, whatever `idle_timeout` says).
pub const MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// After a refused message, how long the answer (400/413) has to leave before the close.
const LINGER_AFTER_REFUSAL: Duration = Duration::from_secs(1);

/// Messages a connection may have queued for writing; beyond it (a peer that does not read)
/// further ones are dropped.
const WRITE_QUEUE: usize = 64;

/// What a connection task tells the SIP task.
#[derive(Debug)]
pub enum StreamEvent {
    /// A connection is up: what goes to `peer` is written through `writer`.
    Opened {
        peer: SocketAddr,
        writer: mpsc::Sender<Vec<u8>>,
    },
    /// One whole message arrived.
    Message {
        peer: SocketAddr,
        transport: Transport,
        bytes: Vec<u8>,
    },
    /// The stream could not be framed; answer from its head, the connection closes.
    Refused {
        peer: SocketAddr,
        transport: Transport,
        refusal: StreamRefusal,
    },
    /// The connection is gone.
    Closed { peer: SocketAddr },
}

/// Shared by the listeners: the limits, the count of open connections, who may connect.
pub struct Acceptance {
    pub limits: ConnectionLimits,
    pub access: AccessPolicy,
    pub slots: Mutex<ConnectionSlots>,
    refusals: Mutex<LogThrottle<(IpAddr, &'static str)>>,
}

impl Acceptance {
    pub fn new(limits: ConnectionLimits, access: AccessPolicy) -> Arc<Acceptance> {
        Arc::new(Acceptance {
            slots: Mutex::new(ConnectionSlots::new(limits.max, limits.max_per_ip)),
            limits,
            access,
            refusals: Mutex::new(LogThrottle::new(LOG_INTERVAL)),
        })
    }

    /// Logs a refused connection, at most once per source, reason and interval.
    fn log_refusal(&self, peer: SocketAddr, transport: Transport, why: &'static str) {
        let decision = match self.refusals.lock() {
            Ok(mut throttle) => throttle.refusal((peer.ip(), why), Instant::now()),
            Err(_) => LogDecision::Quiet,
        };
        if let LogDecision::Log { suppressed } = decision {
            let also = if suppressed == 0 {
                String::new()
            } else {
                format!("; {suppressed} more like it since the last line")
            };
            tracing::warn!(source = %peer, "SIP {transport} connection closed: {why}{also}");
        }
    }
}

/// Gives the slot back when the connection's task ends, however it ends.
struct Slot {
    acceptance: Arc<Acceptance>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.acceptance.slots.lock() {
            slots.close(self.ip);
        }
    }
}

/// Accepts connections on `listener` for ever (TLS when `tls` is given).
pub async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    acceptance: Arc<Acceptance>,
    events: mpsc::Sender<StreamEvent>,
) {
    let transport = if tls.is_some() {
        Transport::Tls
    } else {
        Transport::Tcp
    };
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, most likely: wait rather than spin.
                tracing::warn!("SIP {transport} accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if !acceptance.access.admits_any(peer.ip()) {
            acceptance.log_refusal(peer, transport, "source not in any sip.allowed list");
            continue;
        }
        let taken = match acceptance.slots.lock() {
            Ok(mut slots) => slots.open(peer.ip()),
            Err(_) => Err(SlotRefusal::Full),
        };
        match taken {
            Ok(()) => {}
            Err(SlotRefusal::Full) => {
                acceptance.log_refusal(peer, transport, "sip.connections.max reached");
                continue;
            }
            Err(SlotRefusal::FullForSource) => {
                acceptance.log_refusal(
                    peer,
                    transport,
                    "sip.connections.max_per_ip reached for this address",
                );
                continue;
            }
        }
        let _ = stream.set_nodelay(true);
        let slot = Slot {
            acceptance: Arc::clone(&acceptance),
            ip: peer.ip(),
        };
        let events = events.clone();
        let tls = tls.clone();
        let acceptance = Arc::clone(&acceptance);
        tokio::spawn(async move {
            let _slot = slot;
            let limits = acceptance.limits;
            match tls {
                None => serve(stream, peer, Transport::Tcp, limits, events).await,
                Some(tls) => {
                    match tokio::time::timeout(limits.handshake_timeout, tls.accept(stream)).await {
                        Ok(Ok(stream)) => serve(stream, peer, Transport::Tls, limits, events).await,
                        Ok(Err(e)) => {
                            tracing::debug!(source = %peer, "SIP TLS handshake failed: {e}");
                        }
                        Err(_) => acceptance.log_refusal(
                            peer,
                            Transport::Tls,
                            "TLS handshake not done within sip.connections.handshake_timeout",
                        ),
                    }
                }
            }
        });
    }
}

/// One connection: frames in, writes out, until the peer closes, a limit is hit or the SIP
/// task goes away.
async fn serve<S: AsyncRead + AsyncWrite>(
    stream: S,
    peer: SocketAddr,
    transport: Transport,
    limits: ConnectionLimits,
    events: mpsc::Sender<StreamEvent>,
) {
    let (writer, mut outgoing) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    if events
        .send(StreamEvent::Opened { peer, writer })
        .await
        .is_err()
    {
        return;
    }
    let (mut reader, mut write_half) = tokio::io::split(stream);
    let mut framer = StreamFramer::new(limits.max_message_size);
    let mut buf = vec![0u8; 16 * 1024];
    let mut frames = Vec::new();
    let mut last_frame = Instant::now();
    let mut partial_since: Option<Instant> = None;
    let mut closing_at: Option<Instant> = None;
    let why = loop {
        let deadline = match (closing_at, partial_since) {
            (Some(at), _) => at,
            (None, Some(since)) => since + MESSAGE_TIMEOUT,
            (None, None) => last_frame + limits.idle_timeout,
        };
        tokio::select! {
            read = reader.read(&mut buf), if closing_at.is_none() => {
                let n = match read {
                    Ok(0) => break "closed by the peer",
                    Ok(n) => n,
                    Err(_) => break "read error",
                };
                let now = Instant::now();
                let result = framer.push(&buf[..n], &mut frames);
                for frame in frames.drain(..) {
                    last_frame = now;
                    match frame {
                        Frame::Ping => {
                            // RFC 5626 §4.4.1: a CRLF pong for a double-CRLF ping.
                            if write_half.write_all(b"\r\n").await.is_err() {
                                break;
                            }
                        }
                        Frame::Message(bytes) => {
                            let message = StreamEvent::Message { peer, transport, bytes };
                            if events.send(message).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                partial_since = match (framer.pending(), partial_since) {
                    (0, _) => None,
                    (_, Some(since)) => Some(since),
                    (_, None) => Some(now),
                };
                if let Err(refusal) = result {
                    tracing::info!(
                        source = %peer,
                        "SIP {transport}: {} ({}); closing the connection",
                        refusal.reason,
                        refusal.status
                    );
                    closing_at = Some(now + LINGER_AFTER_REFUSAL);
                    let refused = StreamEvent::Refused { peer, transport, refusal };
                    if events.send(refused).await.is_err() {
                        return;
                    }
                }
            }
            outgoing = outgoing.recv() => {
                // The SIP task lets go of a flooding source's connections (and of all when it stops).
                let Some(bytes) = outgoing else {
                    break "let go by the SIP task (a sip.flood block, or the server stopping)";
                };
                if write_half.write_all(&bytes).await.is_err() {
                    break "write error";
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                break match (closing_at, partial_since) {
                    (Some(_), _) => "refused message answered",
                    (None, Some(_)) => "a message not completed within 10 s",
                    (None, None) => "idle for sip.connections.idle_timeout",
                };
            }
        }
    };
    tracing::debug!(source = %peer, "SIP {transport} connection ends: {why}");
    let _ = write_half.shutdown().await;
    let _ = events.send(StreamEvent::Closed { peer }).await;
}

/// The SIP task's side: connection events and where the listeners are bound.
pub struct StreamInput {
    pub events: mpsc::Receiver<StreamEvent>,
    /// Held so the channel stays open when no listener runs.
    pub keep_open: mpsc::Sender<StreamEvent>,
    pub tcp_local: Option<SocketAddr>,
    pub tls_local: Option<SocketAddr>,
}
