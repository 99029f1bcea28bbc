//! The sans-IO user agent: feed it datagrams and time, drain transmits, events and the next
//! timeout. Public types and the call-control API live here; request handling is in
//! `server.rs`, our own requests and their responses in `client.rs`, timers in `timers.rs`,
//! the registrar in `registrar.rs`.

mod build;
mod client;
mod lockout;
mod nonce;
mod registrar;
mod server;
mod state;
mod timers;

#[cfg(test)]
mod call_tests;
#[cfg(test)]
mod refer_tests;
#[cfg(test)]
mod registrar_tests;
#[cfg(test)]
mod reliable_tests;
#[cfg(test)]
mod safety_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod uac_auth_tests;
#[cfg(test)]
mod uas_tests;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::access::{AccessPolicy, RequestClass};
use crate::flood::{FloodGuard, FloodLimit, FloodReport, FloodVerdict};
use crate::random::RandomSource;
use crate::{CallId, Message, SipError, StreamRefusal, Transport};
pub use registrar::{RegistrarConfig, Registration};
use state::{Call, ClientTx, Ids, ServerTx};

/// Endpoint settings.
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    /// The address we listen on and advertise in Via and Contact (must be reachable by peers).
    pub local_addr: SocketAddr,
    /// Sent as User-Agent in requests and Server in responses (empty: omitted).
    pub user_agent: String,
    /// RTT estimate T1 (RFC 3261: 500 ms).
    pub t1: Duration,
    /// Maximum retransmit interval T2 (RFC 3261: 4 s).
    pub t2: Duration,
    /// Act as a registrar with digest authentication; `None`: REGISTER gets 405.
    pub registrar: Option<RegistrarConfig>,
    /// Which source networks may call, register and send other requests. Others get a
    /// stateless 403 (nothing for an ACK) before any transaction exists.
    pub access: AccessPolicy,
    /// Per-source request rate limit; `None`: unlimited.
    pub flood: Option<FloodLimit>,
}

impl EndpointConfig {
    /// RFC 3261 defaults (T1 500 ms, T2 4 s), User-Agent `hotline`, no REGISTER, open to
    /// every address, no rate limit.
    pub fn new(local_addr: SocketAddr) -> EndpointConfig {
        EndpointConfig {
            local_addr,
            user_agent: "hotline".into(),
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            registrar: None,
            access: AccessPolicy::open(),
            flood: None,
        }
    }
}

/// A datagram to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// How: over UDP, or on the peer's own TCP or TLS connection to us (see
    /// [`Endpoint::handle_stream_message`]).
    pub transport: Transport,
    /// The SIP message.
    pub payload: Vec<u8>,
}

/// A call to place with [`Endpoint::invite`].
#[derive(Clone, Debug)]
pub struct OutgoingCall {
    /// Request-URI and To, e.g. `sip:+15551234@pbx.example.com`.
    pub target_uri: String,
    /// Our From URI, e.g. `sip:hotline@203.0.113.5`.
    pub from_uri: String,
    /// Where to send the INVITE and every later request of the call.
    pub destination: SocketAddr,
    /// The SDP offer (see [`crate::offer_sdp`]).
    pub sdp: String,
    /// Extra headers added to the INVITE.
    pub extra_headers: Vec<(String, String)>,
    /// Username and password to answer one digest challenge (401/407) to the INVITE with; without
    /// them a challenge is a final failure.
    pub credentials: Option<(String, String)>,
}

/// Why a dialog ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndCause {
    /// The peer sent BYE.
    RemoteBye,
    /// Our BYE got a final response or timed out.
    LocalBye,
    /// We answered but the ACK never came within 64*T1; the endpoint sent BYE itself.
    AckTimeout,
}

/// Something the application should know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A new INVITE passed every check; 100 Trying is already sent. Answer with
    /// [`Endpoint::ringing`], [`Endpoint::answer`] or [`Endpoint::reject`].
    IncomingCall {
        /// The call.
        call: CallId,
        /// Where the INVITE came from.
        source: SocketAddr,
        /// The From header value as received (parse with [`crate::NameAddr::parse`]).
        from: String,
        /// The To header value as received.
        to: String,
        /// The Request-URI.
        request_uri: String,
        /// The SDP offer (taken out of a multipart body if needed), if any.
        offer: Option<String>,
        /// How the INVITE reached us: SDES keys may only travel over TLS.
        transport: Transport,
    },
    /// UAC: the callee is ringing (180-189).
    Ringing {
        /// The call.
        call: CallId,
    },
    /// UAC: the callee answered (the ACK is already sent).
    Answered {
        /// The call.
        call: CallId,
        /// The SDP answer, if any.
        answer: Option<String>,
    },
    /// UAS: the ACK for our 2xx arrived.
    Confirmed {
        /// The call.
        call: CallId,
        /// The SDP answer the ACK carries: after an INVITE without SDP our 2xx made the offer,
        /// and the caller answers here (RFC 3264 delayed offer).
        answer: Option<String>,
    },
    /// UAC: final non-2xx response, or 408 on timeout, or 487 after our CANCEL.
    Failed {
        /// The call.
        call: CallId,
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// UAS: the caller cancelled before we answered (200 and 487 are already sent).
    Cancelled {
        /// The call.
        call: CallId,
    },
    /// The dialog is over.
    Ended {
        /// The call.
        call: CallId,
        /// Why.
        cause: EndCause,
    },
    /// An INFO arrived in the dialog (200 is already sent).
    Info {
        /// The call.
        call: CallId,
        /// Its Content-Type (empty if none).
        content_type: String,
        /// Its body.
        body: String,
    },
    /// The final response to our [`Endpoint::refer`] (202 accepted; 408 on timeout).
    ReferAnswered {
        /// The call.
        call: CallId,
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// A NOTIFY for our REFER's implicit subscription arrived (200 is already sent).
    ReferProgress {
        /// The call.
        call: CallId,
        /// The status of the `message/sipfrag` body's status line, e.g. 100 or 200.
        status: Option<u16>,
        /// `Subscription-State: terminated`: no more NOTIFYs will come.
        terminated: bool,
    },
    /// Registrar: a user registered or refreshed its binding (200 is already sent).
    Registered {
        /// The authenticated user.
        user: String,
        /// The Contact URI.
        contact: String,
        /// Where the REGISTER came from, and where requests for the user go.
        source: SocketAddr,
        /// How long the binding lasts.
        expires: Duration,
        /// The REGISTER's Call-ID and CSeq number, to keep with a binding that is persisted
        /// (see [`Endpoint::restore_registration`]).
        call_id: String,
        cseq: u32,
    },
    /// Registrar: a user removed its binding (or its account was removed).
    Unregistered {
        /// The user.
        user: String,
    },
    /// Registrar: a binding lapsed without refresh.
    RegistrationExpired {
        /// The user.
        user: String,
    },
    /// A request from a source outside the networks allowed for it got a stateless 403 (or,
    /// for an ACK or a malformed request, nothing).
    Forbidden {
        /// Where it came from.
        source: SocketAddr,
        /// What it asked.
        class: RequestClass,
        /// Its method as written.
        method: String,
    },
    /// A source exceeded the flood limit: its requests are being dropped. Reported when it is
    /// blocked and at most once per interval while it keeps sending, never per packet.
    Flood(FloodReport),
    /// Registrar: a REGISTER got 403 (bad credentials, or `throttled`: its IP is locked out).
    RegisterRefused {
        /// The user it claimed (Authorization username, else the To user).
        user: String,
        /// Where it came from.
        source: SocketAddr,
        /// Refused unchecked because of earlier failures from this IP.
        throttled: bool,
    },
}

/// One SIP user agent (UAS and UAC) over UDP, as a pure state machine.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    ids: Ids,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    servers: BTreeMap<String, ServerTx>,
    clients: BTreeMap<String, ClientTx>,
    calls: BTreeMap<String, Call>,
    registrar: Option<registrar::Registrar>,
    flood: Option<FloodGuard>,
    /// Peers whose connection (TCP or TLS) is up, by their address: what we send them goes
    /// on that connection. Bounded by the driver's connection limits.
    stream_peers: BTreeMap<SocketAddr, Transport>,
    /// Where we accept TCP and TLS connections, advertised in Via and Contact over them.
    tcp_local: Option<SocketAddr>,
    tls_local: Option<SocketAddr>,
}

impl Endpoint {
    /// A new endpoint; `random` makes every tag, branch, Call-ID and the registrar's nonce
    /// key ([`crate::OsRandom`] in production, a seeded source in tests).
    pub fn new(mut config: EndpointConfig, random: impl RandomSource + 'static) -> Self {
        let mut ids = Ids::new(Box::new(random));
        let registrar = config
            .registrar
            .take()
            .map(|r| registrar::Registrar::new(r, &mut ids));
        let flood = config.flood.map(FloodGuard::new);
        Endpoint {
            config,
            registrar,
            flood,
            ids,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            servers: BTreeMap::new(),
            clients: BTreeMap::new(),
            calls: BTreeMap::new(),
            stream_peers: BTreeMap::new(),
            tcp_local: None,
            tls_local: None,
        }
    }

    /// Where we accept `transport` connections: the address our Via and Contact name in what we
    /// send over them (UDP always uses `EndpointConfig::local_addr`).
    pub fn set_stream_listener(&mut self, transport: Transport, local: SocketAddr) {
        match transport {
            Transport::Udp => self.config.local_addr = local,
            Transport::Tcp => self.tcp_local = Some(local),
            Transport::Tls => self.tls_local = Some(local),
        }
    }

    /// Processes one whole message cut from a TCP or TLS connection by [`crate::StreamFramer`]
    /// (or a datagram, with [`Transport::Udp`]). Until [`Endpoint::connection_closed`], whatever
    /// we send `source` goes back on that connection. The same flood limit and access checks
    /// as for datagrams apply first.
    pub fn handle_stream_message(
        &mut self,
        now: Instant,
        source: SocketAddr,
        transport: Transport,
        message: &[u8],
    ) {
        if transport.is_stream() {
            self.stream_peers.insert(source, transport);
        }
        self.handle_datagram(now, source, message);
    }

    /// The connection from `source` is gone: what we send it from now on goes over UDP (and a
    /// stream-only phone must connect again to be reached).
    pub fn connection_closed(&mut self, source: SocketAddr) {
        self.stream_peers.remove(&source);
    }

    /// A connection's stream could not be framed (no Content-Length, too large): answer the
    /// request head it held with the refusal's status (400 or 413), statelessly, if the source
    /// passes the flood limit and may send that method. The driver closes the connection after.
    pub fn refuse_stream_message(
        &mut self,
        now: Instant,
        source: SocketAddr,
        transport: Transport,
        refusal: &StreamRefusal,
    ) {
        let Some(head) = refusal.head.as_deref() else {
            return;
        };
        if !self.flood_passes(now, source) {
            return;
        }
        if transport.is_stream() {
            self.stream_peers.insert(source, transport);
        }
        let mut bare = head.to_vec();
        bare.extend_from_slice(b"\r\n");
        let recovered = match crate::parse_message(&bare) {
            Ok(Message::Request(request)) => crate::RecoveredRequest {
                method: Some(request.method.to_string()),
                vias: request
                    .headers
                    .values("Via")
                    .unwrap_or_default()
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                from: request.headers.get("From").map(str::to_string),
                to: request.headers.get("To").map(str::to_string),
                call_id: request.headers.call_id().map(str::to_string),
                cseq: request.headers.get("CSeq").map(str::to_string),
            },
            Err(SipError::BadMessage {
                request: Some(recovered),
                response: false,
                ..
            }) => *recovered,
            _ => return,
        };
        let class = recovered.method.as_deref().map(RequestClass::of_name);
        let allowed = match class {
            Some(class) => self.config.access.admits(class, source.ip()),
            None => self.config.access.admits_any(source.ip()),
        };
        if allowed {
            self.reply_malformed(source, refusal.status, &recovered);
        }
    }

    /// How we reach `peer`, and the local address to name in Via and Contact for it.
    fn route(&self, peer: SocketAddr) -> (Transport, SocketAddr) {
        let transport = self
            .stream_peers
            .get(&peer)
            .copied()
            .unwrap_or(Transport::Udp);
        let local = match transport {
            Transport::Udp => None,
            Transport::Tcp => self.tcp_local,
            Transport::Tls => self.tls_local,
        };
        (transport, local.unwrap_or(self.config.local_addr))
    }

    /// Whether what we send `peer` goes on its TCP or TLS connection. Then the transaction layer
    /// retransmits nothing (Timers A, E and G are for unreliable transports only) and Timers D,
    /// I, J and K are zero (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2).
    fn reliable(&self, peer: SocketAddr) -> bool {
        self.route(peer).0.is_stream()
    }

    /// Our Contact for a dialog with `peer`: over a stream it names that transport, so the
    /// peer's in-dialog requests come back on TCP or TLS.
    fn contact_for(&self, peer: SocketAddr) -> String {
        let (transport, local) = self.route(peer);
        build::contact(transport, local)
    }

    /// A Via for a request of ours to `peer`.
    fn via_for(&self, peer: SocketAddr, branch: &str) -> crate::Via {
        let (transport, local) = self.route(peer);
        crate::Via::new_sent(transport, local, branch)
    }

    /// Processes one received datagram. Malformed requests are answered with the parser's
    /// status (400/505) when a Via was recovered; malformed responses are dropped.
    /// Requests beyond the flood limit are dropped before they are parsed; requests from
    /// sources not allowed to send them get a stateless 403.
    pub fn handle_datagram(&mut self, now: Instant, source: SocketAddr, datagram: &[u8]) {
        if !looks_like_response(datagram) && !self.flood_passes(now, source) {
            return;
        }
        match crate::parse_message(datagram) {
            Ok(Message::Request(request)) => self.on_request(now, source, request),
            Ok(Message::Response(response)) => self.on_response(now, source, response),
            Err(SipError::BadMessage {
                status,
                request: Some(recovered),
                response: false,
                ..
            }) => {
                let class = recovered.method.as_deref().map(RequestClass::of_name);
                let allowed = match class {
                    Some(class) => self.config.access.admits(class, source.ip()),
                    None => self.config.access.admits_any(source.ip()),
                };
                if allowed {
                    self.reply_malformed(source, status, &recovered);
                }
            }
            Err(_) => {}
        }
    }

    fn flood_passes(&mut self, now: Instant, source: SocketAddr) -> bool {
        let Some(guard) = self.flood.as_mut() else {
            return true;
        };
        match guard.check(now, source.ip()) {
            FloodVerdict::Pass => true,
            FloodVerdict::Drop => false,
            FloodVerdict::DropAndReport(report) => {
                self.events.push_back(Event::Flood(report));
                false
            }
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// UAS: send 180 Ringing for an incoming call.
    pub fn ringing(&mut self, now: Instant, call: &CallId) -> Result<(), SipError> {
        let key = self.incoming_invite_key(call, "ringing")?;
        let contact = self.contact_for(self.call(call)?.peer);
        self.reply(now, &key, 180, vec![("Contact", contact)], None);
        Ok(())
    }

    /// UAS: answer with 200 and our SDP; the 2xx is retransmitted until the ACK arrives.
    pub fn answer(&mut self, now: Instant, call: &CallId, sdp: String) -> Result<(), SipError> {
        let key = self.incoming_invite_key(call, "answer")?;
        self.send_2xx(now, call, &key, sdp, true);
        Ok(())
    }

    /// UAS: refuse an incoming call with a final status (300..=699), e.g. 486, 488, 403.
    pub fn reject(&mut self, now: Instant, call: &CallId, status: u16) -> Result<(), SipError> {
        self.reject_with(now, call, status, None)
    }

    /// UAS: refuse an incoming call with 503 and `Retry-After` in whole seconds (at least 1):
    /// the server is full, try again later or elsewhere (RFC 3261 §21.5.4, §20.33).
    pub fn reject_unavailable(
        &mut self,
        now: Instant,
        call: &CallId,
        retry_after: Duration,
    ) -> Result<(), SipError> {
        let seconds = retry_after.as_secs().max(1);
        self.reject_with(now, call, 503, Some(("Retry-After", seconds.to_string())))
    }

    /// UAS: refuse an incoming call with a final status (300..=699) and a `Warning` header
    /// saying why (RFC 3261 §20.43), e.g. 488 with 302 when the offer's media profile is not
    /// one we take.
    pub fn reject_with_warning(
        &mut self,
        now: Instant,
        call: &CallId,
        status: u16,
        warning: &crate::Warning,
    ) -> Result<(), SipError> {
        let agent = self.route(self.call(call)?.peer).1.to_string();
        self.reject_with(now, call, status, Some(("Warning", warning.value(&agent))))
    }

    fn reject_with(
        &mut self,
        now: Instant,
        call: &CallId,
        status: u16,
        header: Option<(&'static str, String)>,
    ) -> Result<(), SipError> {
        if !(300..=699).contains(&status) {
            return Err(SipError::InvalidStatus { status });
        }
        let key = self.incoming_invite_key(call, "reject")?;
        self.reply(now, &key, status, header.into_iter().collect(), None);
        self.calls.remove(&call.0);
        Ok(())
    }

    /// Ends a call: BYE when established, CANCEL while our INVITE is unanswered, and for an
    /// unanswered incoming call the same as `reject(480)`.
    pub fn hangup(&mut self, now: Instant, call: &CallId) -> Result<(), SipError> {
        use state::{CallState as S, Role};
        let c = self.call(call)?;
        match (c.role, c.state) {
            (Role::Uas, S::Incoming) => self.reject(now, call, 480),
            (_, S::Answered | S::Confirmed) => {
                self.send_bye(now, call, true);
                Ok(())
            }
            (Role::Uac, S::Calling | S::Early) => {
                self.send_cancel(now, call);
                Ok(())
            }
            _ => Err(SipError::CallState {
                call: call.clone(),
                operation: "hang up",
            }),
        }
    }

    fn call(&self, call: &CallId) -> Result<&Call, SipError> {
        self.calls
            .get(&call.0)
            .ok_or_else(|| SipError::UnknownCall { call: call.clone() })
    }

    fn incoming_invite_key(
        &self,
        call: &CallId,
        operation: &'static str,
    ) -> Result<String, SipError> {
        let c = self.call(call)?;
        if c.role != state::Role::Uas || c.state != state::CallState::Incoming {
            return Err(SipError::CallState {
                call: call.clone(),
                operation,
            });
        }
        Ok(c.invite_key.clone())
    }

    fn transmit(&mut self, destination: SocketAddr, payload: Vec<u8>) {
        let transport = self.route(destination).0;
        self.transmits.push_back(Transmit {
            transport,
            destination,
            payload,
        });
    }

    fn allow(&self) -> String {
        let mut allow =
            "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, NOTIFY".to_string();
        if self.registrar.is_some() {
            allow.push_str(", REGISTER");
        }
        allow
    }

    fn t1x64(&self) -> Duration {
        self.config.t1 * 64
    }
}

/// A status line starts responses (after any keep-alive whitespace); everything else counts as
/// a request for the flood limit, so garbage counts too.
fn looks_like_response(datagram: &[u8]) -> bool {
    let start = datagram
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(datagram.len());
    datagram[start..].starts_with(b"SIP/")
}
