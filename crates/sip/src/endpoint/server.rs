//! Requests we receive: server transactions, the UAS checks of RFC 3261 §8.2 in order,
//! new INVITEs, ACK and CANCEL matching, and requests inside dialogs.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::build::{self, response_to, response_vias};
use super::client::same_address;
use super::state::{Call, CallState, PendingAck, Role, ServerTx};
use super::{EndCause, Endpoint, Event};
use crate::access::{plain_ip, RequestClass};
use crate::fields::Method;
use crate::{sdp_body, CallId, RecoveredRequest, Request, Via};

/// Methods we know but do not serve here (405 rather than 501). NOTIFY is served inside a
/// dialog (our REFER's subscription); outside one it gets 481.
fn known_unserved(method: &Method, registrar: bool) -> bool {
    matches!(
        method,
        Method::Subscribe | Method::Publish | Method::Message | Method::Refer
    ) || (*method == Method::Register && !registrar)
}

/// The status code of a `message/sipfrag` body's status line (RFC 3420, RFC 3515 §2.4.5).
fn sipfrag_status(body: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(body).ok()?;
    let mut parts = text.lines().next()?.split_whitespace();
    if parts.next()? != "SIP/2.0" {
        return None;
    }
    let code = parts.next()?;
    (code.len() == 3)
        .then(|| code.parse().ok())
        .flatten()
        .filter(|c| (100..=699).contains(c))
}

/// The first `;`-separated token of a header value, e.g. the event package or state.
fn leading_token(value: Option<&str>) -> Option<&str> {
    value.map(|v| v.split(';').next().unwrap_or_default().trim())
}

/// Server transaction key (RFC 3261 §17.2.3; RFC 2543 fallback without a magic cookie).
/// ACK and CANCEL map onto the INVITE they concern when `as_invite` is set.
fn transaction_key(request: &Request, top: &Via, as_invite: bool) -> String {
    let method = if as_invite || request.method == Method::Ack {
        "INVITE"
    } else {
        request.method.as_str()
    };
    match top.rfc3261_branch() {
        Some(branch) => format!("{branch}|{}|{method}", top.sent_by()),
        None => {
            let h = &request.headers;
            let from_tag = h.from().ok().and_then(|f| f.tag().map(str::to_string));
            format!(
                "2543|{}|{}|{}|{}|{method}",
                h.call_id().unwrap_or_default(),
                h.cseq().map(|c| c.number).unwrap_or_default(),
                from_tag.unwrap_or_default(),
                top
            )
        }
    }
}

type Extra = Vec<(&'static str, String)>;

impl Endpoint {
    pub(super) fn on_request(&mut self, now: Instant, source: SocketAddr, request: Request) {
        let Ok(top) = request.headers.top_via() else {
            return; // nowhere to send a response
        };
        if !self.admitted(source, &request, &top) {
            return self.forbid(source, &request);
        }
        if request.method == Method::Ack {
            return self.on_ack(now, &request, &top);
        }
        let key = transaction_key(&request, &top, false);
        if let Some(tx) = self.servers.get(&key) {
            // A retransmission: repeat the latest response (RFC 3261 §17.2.1, §17.2.2).
            if let (false, Some((_, bytes))) = (tx.acked, &tx.last) {
                let (dest, bytes) = (tx.destination, bytes.clone());
                self.transmit(dest, bytes);
            }
            return;
        }
        let vias: Vec<String> = request
            .headers
            .values("Via")
            .unwrap_or_default()
            .into_iter()
            .map(str::to_string)
            .collect();
        let response_vias = response_vias(&vias, source);
        let invite = request.method == Method::Invite;
        let tx = ServerTx {
            request,
            destination: source,
            response_vias,
            to_tag: self.ids.tag(),
            call: None,
            last: None,
            retransmit: None,
            give_up_at: None,
            // An INVITE waits for the application; other requests are answered at once.
            expire_at: (!invite).then(|| now + self.t1x64()),
            acked: false,
        };
        let request = tx.request.clone();
        self.servers.insert(key.clone(), tx);
        self.dispatch(now, source, &key, &request, &top);
    }

    /// The access check, before any transaction state: a request inside a dialog we hold is
    /// admitted from that dialog's peer, a CANCEL or ACK from the source of the INVITE it
    /// concerns; anything else only from the networks allowed for its class.
    fn admitted(&self, source: SocketAddr, request: &Request, top: &Via) -> bool {
        let h = &request.headers;
        let to_tag = h.to().ok().and_then(|t| t.tag().map(str::to_string));
        if let (Some(tag), Some(call)) = (to_tag, h.call_id().and_then(|id| self.calls.get(id))) {
            if call.local_tag() == tag && plain_ip(call.peer.ip()) == plain_ip(source.ip()) {
                return true;
            }
        }
        if matches!(request.method, Method::Cancel | Method::Ack) {
            let invite = self.servers.get(&transaction_key(request, top, true));
            if invite.is_some_and(|tx| same_address(tx.destination, source)) {
                return true;
            }
        }
        let class = RequestClass::of(&request.method);
        self.config.access.admits(class, source.ip())
    }

    /// A stateless 403 to the source (nothing for an ACK), and an event for the log.
    fn forbid(&mut self, source: SocketAddr, request: &Request) {
        self.events.push_back(Event::Forbidden {
            source,
            class: RequestClass::of(&request.method),
            method: request.method.as_str().to_string(),
        });
        if request.method == Method::Ack {
            return;
        }
        let vias: Vec<String> = request
            .headers
            .values("Via")
            .unwrap_or_default()
            .into_iter()
            .map(str::to_string)
            .collect();
        let tag = self.ids.tag();
        let response = response_to(
            request,
            &response_vias(&vias, source),
            403,
            Some(&tag),
            &self.config.user_agent,
        );
        self.transmit(source, response.to_bytes());
    }

    /// RFC 3261 §8.2 in order, then by method and dialog.
    fn dispatch(
        &mut self,
        now: Instant,
        source: SocketAddr,
        key: &str,
        request: &Request,
        top: &Via,
    ) {
        let h = &request.headers;
        let complete = ["From", "To", "Call-ID", "CSeq"]
            .iter()
            .all(|n| h.count(n) > 0);
        if !complete || h.contacts().is_err() || h.from().is_err() || h.to().is_err() {
            return self.reply_simple(now, key, 400);
        }
        if request.method == Method::Cancel {
            return self.on_cancel(now, request, top, key);
        }
        let allow = self.allow();
        if matches!(request.method, Method::Extension(_)) {
            return self.respond(now, key, 501, vec![("Allow", allow)]);
        }
        if known_unserved(&request.method, self.registrar.is_some()) {
            return self.respond(now, key, 405, vec![("Allow", allow)]);
        }
        let scheme = request.uri.scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "sip" | "sips" | "tel") {
            return self.reply_simple(now, key, 416);
        }
        let required = h.option_tags("Require");
        if !required.is_empty() {
            return self.respond(now, key, 420, vec![("Unsupported", required.join(", "))]);
        }
        if let Some(to_tag) = h.to().ok().and_then(|t| t.tag().map(str::to_string)) {
            return self.in_dialog(now, key, request, &to_tag);
        }
        match request.method {
            Method::Invite => self.new_invite(now, source, key, request),
            // Capabilities whatever the Accept says: our 200 has no body, so nothing in it can
            // be unacceptable (sipsak sends `Accept: text/plain`; Asterisk and Kamailio answer 200).
            Method::Options => {
                let extra = vec![
                    ("Allow", allow),
                    ("Accept", "application/sdp".to_string()),
                    ("Supported", String::new()),
                ];
                self.reply(now, key, 200, extra, None);
            }
            Method::Register => self.on_register(now, source, key, request),
            _ => self.reply_simple(now, key, 481),
        }
    }

    /// 406 when an Accept header leaves out application/sdp, 400 when it is malformed.
    fn refuse_accept(&self, request: &Request) -> Option<u16> {
        match request.headers.accept()? {
            Err(_) => Some(400),
            Ok(ranges) if ranges.iter().any(|r| r.covers("application", "sdp")) => None,
            Ok(_) => Some(406),
        }
    }

    fn reply_with_accept(&mut self, now: Instant, key: &str, status: u16) {
        let extra = vec![("Accept", "application/sdp".to_string())];
        self.reply(now, key, status, extra, None);
    }

    fn new_invite(&mut self, now: Instant, source: SocketAddr, key: &str, request: &Request) {
        let h = &request.headers;
        let offer = if request.body.is_empty() {
            None
        } else {
            let sdp = match h.content_type() {
                Some(Ok(ct)) => sdp_body(&ct, &request.body),
                _ => None,
            };
            match sdp {
                Some(sdp) => Some(String::from_utf8_lossy(sdp).into_owned()),
                None => return self.reply_with_accept(now, key, 415),
            }
        };
        if let Some(status) = self.refuse_accept(request) {
            return self.reply_with_accept(now, key, status);
        }
        let (Some(call_id), Ok(from), Ok(to), Ok(cseq)) = (h.call_id(), h.from(), h.to(), h.cseq())
        else {
            return self.reply_simple(now, key, 400);
        };
        if self.calls.contains_key(call_id) {
            return self.reply_simple(now, key, 482); // merged or looped request (§8.2.2.2)
        }
        let Some(tx) = self.servers.get_mut(key) else {
            return;
        };
        let call = CallId(call_id.to_string());
        tx.call = Some(call.clone());
        let mut local = to;
        local.set_tag(&tx.to_tag);
        let remote_target = build::first_contact_uri(h).unwrap_or_else(|| from.uri.clone());
        self.calls.insert(
            call_id.to_string(),
            Call {
                role: Role::Uas,
                state: CallState::Incoming,
                local,
                remote: from,
                remote_target,
                peer: source,
                local_cseq: 0,
                remote_cseq: Some(cseq.number),
                invite_cseq: cseq.number,
                local_sdp: None,
                invite_key: key.to_string(),
                pending_ack: None,
                ack: None,
                ringing_reported: false,
                cancel_deadline: None,
                credentials: None,
            },
        );
        self.reply_simple(now, key, 100);
        self.events.push_back(Event::IncomingCall {
            call,
            source,
            from: h.get("From").unwrap_or_default().to_string(),
            to: h.get("To").unwrap_or_default().to_string(),
            request_uri: request.uri.to_string(),
            offer,
            transport: self.route(source).0,
        });
    }

    /// ACK: absorbed by an INVITE transaction we failed, or confirms a 2xx we sent.
    fn on_ack(&mut self, now: Instant, request: &Request, top: &Via) {
        let key = transaction_key(request, top, true);
        // Timer I: T4 to absorb retransmitted ACKs over UDP, zero over TCP or TLS.
        let reliable = (self.servers.get(&key)).is_some_and(|tx| self.reliable(tx.destination));
        let timer_i = if reliable {
            Duration::ZERO
        } else {
            Duration::from_secs(5)
        };
        if let Some(tx) = self.servers.get_mut(&key) {
            if tx.final_status().is_some_and(|s| s >= 300) {
                tx.acked = true;
                tx.retransmit = None;
                tx.give_up_at = None;
                tx.expire_at = Some(now + timer_i); // Timer I
                return;
            }
        }
        let h = &request.headers;
        let (Some(call_id), Ok(to), Ok(cseq)) = (h.call_id(), h.to(), h.cseq()) else {
            return;
        };
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        if to.tag() != Some(call.local_tag()) {
            return;
        }
        if call
            .pending_ack
            .as_ref()
            .is_some_and(|p| p.cseq == cseq.number)
        {
            let initial = call.pending_ack.take().is_some_and(|p| p.initial);
            if initial && call.state == CallState::Answered {
                call.state = CallState::Confirmed;
                let answer = match h.content_type() {
                    Some(Ok(ct)) => sdp_body(&ct, &request.body)
                        .map(|b| String::from_utf8_lossy(b).into_owned()),
                    _ => None,
                };
                self.events.push_back(Event::Confirmed {
                    call: CallId(call_id.to_string()),
                    answer,
                });
            }
        }
    }

    /// CANCEL (§9.2): 200 and 487 when it matches an unanswered INVITE, else 481 or just 200.
    fn on_cancel(&mut self, now: Instant, request: &Request, top: &Via, key: &str) {
        let invite_key = transaction_key(request, top, true);
        let Some(invite) = self.servers.get(&invite_key) else {
            return self.reply_simple(now, key, 481);
        };
        let (to_tag, answered, call) = (
            invite.to_tag.clone(),
            invite.final_status().is_some(),
            invite.call.clone(),
        );
        if let Some(tx) = self.servers.get_mut(key) {
            tx.to_tag = to_tag;
        }
        self.reply_simple(now, key, 200);
        if answered {
            return;
        }
        self.reply_simple(now, &invite_key, 487);
        if let Some(call) = call {
            if self.calls.remove(&call.0).is_some() {
                self.events.push_back(Event::Cancelled { call });
            }
        }
    }

    fn in_dialog(&mut self, now: Instant, key: &str, request: &Request, to_tag: &str) {
        let h = &request.headers;
        let from_tag = h.from().ok().and_then(|f| f.tag().map(str::to_string));
        let (Some(call_id), Ok(cseq)) = (h.call_id(), h.cseq()) else {
            return self.reply_simple(now, key, 400);
        };
        let id = CallId(call_id.to_string());
        let matches = self.calls.get(call_id).is_some_and(|c| {
            c.local_tag() == to_tag
                && (c.remote.tag().is_none() || c.remote.tag() == from_tag.as_deref())
        });
        if !matches {
            return self.reply_simple(now, key, 481);
        }
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        if call.remote_cseq.is_some_and(|n| cseq.number < n) {
            return self.reply_simple(now, key, 500); // §12.2.2: out of order
        }
        call.remote_cseq = Some(cseq.number);
        let (state, local_sdp, invite_key, peer) = (
            call.state,
            call.local_sdp.clone(),
            call.invite_key.clone(),
            call.peer,
        );
        match request.method {
            Method::Bye => {
                self.reply_simple(now, key, 200);
                if state == CallState::Incoming {
                    self.reply_simple(now, &invite_key, 487);
                }
                self.calls.remove(call_id);
                self.events.push_back(Event::Ended {
                    call: id,
                    cause: EndCause::RemoteBye,
                });
            }
            Method::Invite | Method::Update if state != CallState::Confirmed => {
                self.reply_simple(now, key, 491);
            }
            // Re-INVITE: session refresh or hold; we keep our last SDP (see lib.rs).
            Method::Invite => self.send_2xx(now, &id, key, local_sdp.unwrap_or_default(), false),
            Method::Update if !request.body.is_empty() => {
                let body = local_sdp.map(|s| ("application/sdp", s.into_bytes()));
                let extra = vec![("Contact", self.contact_for(peer))];
                self.reply(now, key, 200, extra, body);
            }
            Method::Info => {
                self.reply_simple(now, key, 200);
                self.events.push_back(Event::Info {
                    call: id,
                    content_type: h.get("Content-Type").unwrap_or_default().to_string(),
                    body: String::from_utf8_lossy(&request.body).into_owned(),
                });
            }
            Method::Options => {
                let extra = vec![
                    ("Allow", self.allow()),
                    ("Accept", "application/sdp".into()),
                ];
                self.reply(now, key, 200, extra, None);
            }
            Method::Notify => {
                self.reply_simple(now, key, 200);
                if leading_token(h.get("Event")).is_some_and(|e| e.eq_ignore_ascii_case("refer")) {
                    let state = leading_token(h.get("Subscription-State"));
                    self.events.push_back(Event::ReferProgress {
                        call: id,
                        status: sipfrag_status(&request.body),
                        terminated: state.is_some_and(|s| s.eq_ignore_ascii_case("terminated")),
                    });
                }
            }
            _ => self.reply_simple(now, key, 200), // UPDATE without body, PRACK
        }
    }

    /// Sends a 2xx with SDP on an INVITE server transaction and starts its retransmission.
    pub(super) fn send_2xx(
        &mut self,
        now: Instant,
        call: &CallId,
        key: &str,
        sdp: String,
        initial: bool,
    ) {
        let peer = self.calls.get(&call.0).map(|c| c.peer);
        let contact = match peer {
            Some(peer) => self.contact_for(peer),
            None => build::contact(crate::Transport::Udp, self.config.local_addr),
        };
        let extra = vec![("Contact", contact), ("Allow", self.allow())];
        let body = Some(("application/sdp", sdp.clone().into_bytes()));
        let Some((payload, destination)) = self.reply(now, key, 200, extra, body) else {
            return;
        };
        // The UAS core retransmits its 2xx until the ACK over every transport, TCP and TLS
        // included (RFC 3261 §13.3.1.4: a later hop towards the caller may be UDP).
        let t1 = self.config.t1;
        let deadline = now + self.t1x64();
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        if initial {
            c.state = CallState::Answered;
            c.local_sdp = Some(sdp);
        }
        let cseq = self
            .servers
            .get(key)
            .and_then(|tx| tx.request.headers.cseq().ok())
            .map_or(c.invite_cseq, |c| c.number);
        c.pending_ack = Some(PendingAck {
            payload,
            destination,
            next_at: now + t1,
            interval: t1,
            deadline,
            cseq,
            initial,
        });
    }

    pub(super) fn reply_simple(&mut self, now: Instant, key: &str, status: u16) {
        self.reply(now, key, status, Vec::new(), None);
    }

    fn respond(&mut self, now: Instant, key: &str, status: u16, extra: Extra) {
        self.reply(now, key, status, extra, None);
    }

    /// Sends a response on a server transaction and arms its timers. Returns the bytes sent
    /// and where they went.
    pub(super) fn reply(
        &mut self,
        now: Instant,
        key: &str,
        status: u16,
        extra: Extra,
        body: Option<(&str, Vec<u8>)>,
    ) -> Option<(Vec<u8>, SocketAddr)> {
        let (t1, t1x64) = (self.config.t1, self.t1x64());
        let reliable = self.reliable(self.servers.get(key)?.destination);
        // Timer J: 64*T1 to absorb retransmitted requests over UDP, zero over TCP or TLS.
        let timer_j = if reliable { Duration::ZERO } else { t1x64 };
        let tx = self.servers.get_mut(key)?;
        let tag = (status > 100).then_some(tx.to_tag.as_str());
        let mut response = response_to(
            &tx.request,
            &tx.response_vias,
            status,
            tag,
            &self.config.user_agent,
        );
        for (name, value) in extra {
            response.headers.push(name, value);
        }
        if let Some((content_type, bytes)) = body {
            response.headers.push("Content-Type", content_type);
            response.body = bytes;
        }
        let payload = response.to_bytes();
        tx.last = Some((status, payload.clone()));
        let invite = tx.request.method == Method::Invite;
        match status {
            100..=199 => {}
            // Accepted: absorb retransmitted INVITEs for 64*T1 on any transport (RFC 6026).
            200..=299 if invite => tx.expire_at = Some(now + t1x64),
            _ if invite => {
                // Timer G over UDP only: TCP and TLS deliver the response themselves.
                tx.retransmit = (!reliable).then_some((now + t1, t1));
                tx.give_up_at = Some(now + t1x64); // Timer H
                tx.expire_at = None;
            }
            _ => tx.expire_at = Some(now + timer_j), // Timer J
        }
        let destination = tx.destination;
        self.transmit(destination, payload.clone());
        Some((payload, destination))
    }

    /// Answers a request the parser refused, statelessly, if a Via was recovered.
    pub(super) fn reply_malformed(
        &mut self,
        source: SocketAddr,
        status: u16,
        recovered: &RecoveredRequest,
    ) {
        if recovered.vias.is_empty() || recovered.method.as_deref() == Some("ACK") {
            return;
        }
        let vias = response_vias(&recovered.vias, source);
        let tag = self.ids.tag();
        let response =
            build::response_to_recovered(recovered, &vias, status, &tag, &self.config.user_agent);
        self.transmit(source, response.to_bytes());
    }
}
