//! Requests we send and the responses to them: the UAC INVITE (Timers A/B/D, ACK for 2xx and
//! for failures), CANCEL, BYE, REFER (RFC 3515) and other in-dialog requests (Timers E/F).

use std::net::SocketAddr;
use std::time::Instant;

use super::build::{ack_for_failure, cancel_for, dialog_request, first_contact_uri};
use super::state::{Call, CallState, ClientKind, ClientTx, Role};
use super::{EndCause, Endpoint, Event, OutgoingCall};
use crate::access::plain_ip;
use crate::fields::Method;
use crate::message::reason_phrase;
use crate::scan::is_token;
use crate::{sdp_body, CallId, Headers, NameAddr, Request, Response, SipError, Uri, Via};

fn client_key(branch: &str, method: &Method) -> String {
    let method = if *method == Method::Ack {
        &Method::Invite
    } else {
        method
    };
    format!("{branch}|{method}")
}

impl Endpoint {
    /// UAC: sends an INVITE with `request.sdp` as offer; returns the new call's Call-ID.
    pub fn invite(&mut self, now: Instant, request: OutgoingCall) -> Result<CallId, SipError> {
        let invalid = |uri: &str| SipError::InvalidUri {
            uri: uri.to_string(),
        };
        let target = Uri::parse(&request.target_uri)
            .ok()
            .filter(Uri::is_sip)
            .ok_or_else(|| invalid(&request.target_uri))?;
        let from_uri = Uri::parse(&request.from_uri).map_err(|_| invalid(&request.from_uri))?;
        for (name, value) in &request.extra_headers {
            if !is_token(name) || value.contains(['\r', '\n']) {
                return Err(SipError::InvalidHeader { name: name.clone() });
            }
        }
        let local_addr = self.config.local_addr;
        let call_id = self.ids.call_id(&local_addr.ip().to_string());
        let branch = self.ids.branch();
        let mut local = NameAddr::from_uri(from_uri);
        local.set_tag(&self.ids.tag());
        let remote = NameAddr::from_uri(target.clone());

        let mut headers = Headers::new();
        headers.push(
            "Via",
            self.via_for(request.destination, &branch).to_string(),
        );
        headers.push("Max-Forwards", "70");
        headers.push("From", local.to_string());
        headers.push("To", remote.to_string());
        headers.push("Call-ID", call_id.clone());
        headers.push("CSeq", "1 INVITE");
        headers.push("Contact", self.contact_for(request.destination));
        headers.push("Allow", self.allow());
        if !self.config.user_agent.is_empty() {
            headers.push("User-Agent", self.config.user_agent.clone());
        }
        for (name, value) in &request.extra_headers {
            headers.push(name, value.clone());
        }
        if !request.sdp.is_empty() {
            headers.push("Content-Type", "application/sdp");
        }
        let invite = Request {
            method: Method::Invite,
            uri: target.clone(),
            headers,
            body: request.sdp.clone().into_bytes(),
        };
        let id = CallId(call_id.clone());
        let key = client_key(&branch, &Method::Invite);
        self.calls.insert(
            call_id,
            Call {
                role: Role::Uac,
                state: CallState::Calling,
                local,
                remote,
                remote_target: target,
                peer: request.destination,
                local_cseq: 1,
                remote_cseq: None,
                invite_cseq: 1,
                local_sdp: Some(request.sdp),
                invite_key: key.clone(),
                pending_ack: None,
                ack: None,
                ringing_reported: false,
                cancel_deadline: None,
                credentials: request.credentials.clone(),
            },
        );
        self.start_client(
            now,
            key,
            ClientKind::Invite,
            &id,
            invite,
            request.destination,
        );
        Ok(id)
    }

    /// Sends a request inside an established dialog (INFO, REFER, ...); its final response is
    /// absorbed. `body` is `(content type, text)`.
    pub fn send_in_dialog(
        &mut self,
        now: Instant,
        call: &CallId,
        method: Method,
        body: Option<(String, String)>,
    ) -> Result<(), SipError> {
        let c = self
            .calls
            .get(&call.0)
            .ok_or_else(|| SipError::UnknownCall { call: call.clone() })?;
        if c.state != CallState::Confirmed
            || matches!(
                method,
                Method::Invite | Method::Ack | Method::Cancel | Method::Bye
            )
        {
            return Err(SipError::CallState {
                call: call.clone(),
                operation: "send an in-dialog request",
            });
        }
        let mut request = self.next_dialog_request(call, method);
        if let (Some(request), Some((content_type, text))) = (request.as_mut(), body) {
            request.headers.push("Content-Type", content_type);
            request.body = text.into_bytes();
        }
        if let Some((request, key, peer)) = request.and_then(|r| self.keyed(call, r)) {
            self.start_client(now, key, ClientKind::Other, call, request, peer);
        }
        Ok(())
    }

    /// Transferor (RFC 3515): sends REFER in the confirmed dialog with `Refer-To: <refer_to>`
    /// (and `Referred-By: <referred_by>`). Its final response comes as
    /// [`Event::ReferAnswered`] (408 after Timer F), the peer's NOTIFYs as
    /// [`Event::ReferProgress`]; end the call with [`Endpoint::hangup`] once it is done.
    pub fn refer(
        &mut self,
        now: Instant,
        call: &CallId,
        refer_to: &str,
        referred_by: Option<&str>,
    ) -> Result<(), SipError> {
        let c = self.call(call)?;
        if c.state != CallState::Confirmed {
            return Err(SipError::CallState {
                call: call.clone(),
                operation: "refer",
            });
        }
        let checked = |uri: &str| {
            Uri::parse(uri)
                .map(|_| format!("<{uri}>"))
                .map_err(|_| SipError::InvalidUri {
                    uri: uri.to_string(),
                })
        };
        let refer_to = checked(refer_to)?;
        let referred_by = referred_by.map(checked).transpose()?;
        let Some(mut request) = self.next_dialog_request(call, Method::Refer) else {
            return Err(SipError::UnknownCall { call: call.clone() });
        };
        let contact = self.contact_for(self.call(call)?.peer);
        request.headers.push("Contact", contact);
        request.headers.push("Refer-To", refer_to);
        if let Some(referred_by) = referred_by {
            request.headers.push("Referred-By", referred_by);
        }
        if let Some((request, key, peer)) = self.keyed(call, request) {
            self.start_client(now, key, ClientKind::Refer, call, request, peer);
        }
        Ok(())
    }

    fn next_dialog_request(&mut self, call: &CallId, method: Method) -> Option<Request> {
        let branch = self.ids.branch();
        let via = self.via_for(self.calls.get(&call.0)?.peer, &branch);
        let ua = self.config.user_agent.clone();
        let c = self.calls.get_mut(&call.0)?;
        c.local_cseq += 1;
        Some(dialog_request(c, &call.0, method, c.local_cseq, via, &ua))
    }

    fn keyed(
        &self,
        call: &CallId,
        request: Request,
    ) -> Option<(Request, String, std::net::SocketAddr)> {
        let branch = request.headers.top_via().ok()?.branch()?.to_string();
        let key = client_key(&branch, &request.method);
        Some((request, key, self.calls.get(&call.0)?.peer))
    }

    /// Sends BYE and marks the call as terminating. `report`: announce `Ended { LocalBye }`.
    pub(super) fn send_bye(&mut self, now: Instant, call: &CallId, report: bool) {
        if let Some(c) = self.calls.get_mut(&call.0) {
            c.state = CallState::Terminating;
            c.pending_ack = None;
        }
        let request = self.next_dialog_request(call, Method::Bye);
        if let Some((request, key, peer)) = request.and_then(|r| self.keyed(call, r)) {
            self.start_client(now, key, ClientKind::Bye { report }, call, request, peer);
        }
    }

    /// Sends CANCEL for our pending INVITE.
    pub(super) fn send_cancel(&mut self, now: Instant, call: &CallId) {
        let deadline = now + self.t1x64();
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        c.state = CallState::Cancelling;
        c.cancel_deadline = Some(deadline);
        let (invite_key, peer) = (c.invite_key.clone(), c.peer);
        let Some(invite) = self.clients.get(&invite_key).map(|tx| tx.request.clone()) else {
            return;
        };
        let cancel = cancel_for(&invite);
        let Some(branch) = cancel
            .headers
            .top_via()
            .ok()
            .and_then(|v| v.branch().map(str::to_string))
        else {
            return;
        };
        let key = client_key(&branch, &Method::Cancel);
        self.start_client(now, key, ClientKind::Cancel, call, cancel, peer);
    }

    fn start_client(
        &mut self,
        now: Instant,
        key: String,
        kind: ClientKind,
        call: &CallId,
        request: Request,
        destination: std::net::SocketAddr,
    ) {
        let payload = request.to_bytes();
        self.transmit(destination, payload.clone());
        let t1 = self.config.t1;
        // Timers A and E over UDP only; Timers B and F bound the wait on every transport.
        let retransmit = (!self.reliable(destination)).then_some((now + t1, t1));
        self.clients.insert(
            key,
            ClientTx {
                kind,
                call: call.clone(),
                request,
                payload,
                destination,
                retransmit,
                timeout_at: Some(now + self.t1x64()),
                expire_at: None,
                ack: None,
            },
        );
    }

    /// A response to one of our requests. It must come from where the request went: a
    /// response from any other address is dropped, so a guessed branch alone cannot forge
    /// an answer (e.g. a 200 OK bridging a caller to an impostor).
    pub(super) fn on_response(&mut self, now: Instant, source: SocketAddr, response: Response) {
        let h = &response.headers;
        let (Ok(top), Ok(cseq)) = (h.top_via(), h.cseq()) else {
            return;
        };
        let Some(branch) = top.branch() else {
            return;
        };
        let key = client_key(branch, &cseq.method);
        let Some(tx) = self.clients.get_mut(&key) else {
            // A retransmitted 2xx after the INVITE transaction ended: repeat our ACK.
            if cseq.method == Method::Invite && (200..300).contains(&response.status) {
                let call = h.call_id().and_then(|id| self.calls.get(id));
                if let Some((ack, peer)) = call.and_then(|c| Some((c.ack.clone()?, c.peer))) {
                    if same_address(peer, source) {
                        self.transmit(peer, ack);
                    }
                }
            }
            return;
        };
        if !same_address(tx.destination, source) {
            return;
        }
        let (kind, call) = (tx.kind, tx.call.clone());
        if response.status < 200 {
            tx.retransmit = match kind {
                ClientKind::Invite => None,
                _ => tx.retransmit.map(|(at, _)| (at, self.config.t2)),
            };
            if kind == ClientKind::Invite {
                tx.timeout_at = None;
                self.on_provisional(&call, response.status);
            }
            return;
        }
        match kind {
            ClientKind::Invite if response.status < 300 => {
                self.clients.remove(&key);
                self.on_invite_2xx(now, &call, &response);
            }
            ClientKind::Invite => self.on_invite_failure(now, &key, &call, &response),
            ClientKind::Bye { report } => {
                self.clients.remove(&key);
                if self.calls.remove(&call.0).is_some() && report {
                    self.events.push_back(Event::Ended {
                        call,
                        cause: EndCause::LocalBye,
                    });
                }
            }
            ClientKind::Refer => {
                self.clients.remove(&key);
                let reason = if response.reason.is_empty() {
                    reason_phrase(response.status).to_string()
                } else {
                    response.reason.clone()
                };
                self.events.push_back(Event::ReferAnswered {
                    call,
                    status: response.status,
                    reason,
                });
            }
            ClientKind::Cancel | ClientKind::Other => {
                self.clients.remove(&key);
            }
        }
    }

    fn on_provisional(&mut self, call: &CallId, status: u16) {
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        if c.state == CallState::Calling {
            c.state = CallState::Early;
        }
        if (180..190).contains(&status) && !c.ringing_reported {
            c.ringing_reported = true;
            self.events.push_back(Event::Ringing { call: call.clone() });
        }
    }

    fn on_invite_2xx(&mut self, now: Instant, call: &CallId, response: &Response) {
        let branch = self.ids.branch();
        let Some(peer) = self.calls.get(&call.0).map(|c| c.peer) else {
            return;
        };
        let via = self.via_for(peer, &branch);
        let ua = self.config.user_agent.clone();
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        if let Some(ack) = c.ack.clone() {
            let peer = c.peer;
            return self.transmit(peer, ack);
        }
        if let Ok(to) = response.headers.to() {
            c.remote = to;
        }
        if let Some(target) = first_contact_uri(&response.headers) {
            c.remote_target = target;
        }
        let ack = dialog_request(c, &call.0, Method::Ack, c.invite_cseq, via, &ua);
        let payload = ack.to_bytes();
        c.ack = Some(payload.clone());
        let (peer, cancelled) = (c.peer, c.state == CallState::Cancelling);
        c.state = CallState::Confirmed;
        c.cancel_deadline = None;
        self.transmit(peer, payload);
        if cancelled {
            // We hung up while it was ringing and the 2xx crossed our CANCEL: end it (§15).
            return self.send_bye(now, call, true);
        }
        let answer = match response.headers.content_type() {
            Some(Ok(ct)) => {
                sdp_body(&ct, &response.body).map(|b| String::from_utf8_lossy(b).into_owned())
            }
            _ => None,
        };
        self.events.push_back(Event::Answered {
            call: call.clone(),
            answer,
        });
    }

    fn on_invite_failure(&mut self, now: Instant, key: &str, call: &CallId, response: &Response) {
        // Timer D: 32 s to answer retransmitted final responses over UDP, zero over TCP or TLS.
        let reliable = (self.clients.get(key)).is_some_and(|tx| self.reliable(tx.destination));
        let timer_d = std::time::Duration::from_secs(if reliable { 0 } else { 32 });
        let Some(tx) = self.clients.get_mut(key) else {
            return;
        };
        if let Some(ack) = tx.ack.clone() {
            let dest = tx.destination;
            return self.transmit(dest, ack);
        }
        let ack = ack_for_failure(&tx.request, response).to_bytes();
        tx.ack = Some(ack.clone());
        tx.retransmit = None;
        tx.timeout_at = None;
        tx.expire_at = Some(now + timer_d); // Timer D
        let dest = tx.destination;
        self.transmit(dest, ack);
        if matches!(response.status, 401 | 407) && self.answer_challenge(now, key, call, response) {
            return;
        }
        if self.calls.remove(&call.0).is_some() {
            let reason = if response.reason.is_empty() {
                reason_phrase(response.status).to_string()
            } else {
                response.reason.clone()
            };
            self.events.push_back(Event::Failed {
                call: call.clone(),
                status: response.status,
                reason,
            });
        }
    }
}

impl Endpoint {
    /// Resends a challenged INVITE with our credentials (RFC 3261 §22.2): same Call-ID and From
    /// tag, next CSeq, new branch, `Authorization` for 401 or `Proxy-Authorization` for 407.
    /// Once per call: a second challenge is a final failure. False when we cannot answer.
    fn answer_challenge(
        &mut self,
        now: Instant,
        key: &str,
        call: &CallId,
        response: &Response,
    ) -> bool {
        let (challenge_header, answer_header) = if response.status == 401 {
            ("WWW-Authenticate", "Authorization")
        } else {
            ("Proxy-Authenticate", "Proxy-Authorization")
        };
        let Some(challenge) = response
            .headers
            .get_all(challenge_header)
            .find_map(crate::digest::parse_challenge)
        else {
            return false;
        };
        let Some(invite) = self.clients.get(key).map(|tx| tx.request.clone()) else {
            return false;
        };
        let Some(c) = self.calls.get_mut(&call.0) else {
            return false;
        };
        if c.state != CallState::Calling && c.state != CallState::Early {
            return false;
        }
        let Some((username, password)) = c.credentials.take() else {
            return false;
        };
        let cnonce = format!("{:016x}", self.ids.next());
        let branch = self.ids.branch();
        let via = self
            .calls
            .get(&call.0)
            .map(|c| self.via_for(c.peer, &branch));
        let c = self.calls.get_mut(&call.0).expect("checked above");
        c.local_cseq += 1;
        c.invite_cseq = c.local_cseq;
        c.state = CallState::Calling;
        c.ringing_reported = false;
        let uri = invite.uri.to_string();
        let value =
            crate::digest::authorization(&challenge, &username, &password, "INVITE", &uri, &cnonce);
        let mut request = invite;
        let via = via.unwrap_or_else(|| Via::new_udp(self.config.local_addr, &branch));
        request.headers.set("Via", via.to_string());
        request
            .headers
            .set("CSeq", format!("{} INVITE", c.invite_cseq));
        request.headers.remove("Authorization");
        request.headers.remove("Proxy-Authorization");
        request.headers.push(answer_header, value);
        let new_key = client_key(&branch, &Method::Invite);
        c.invite_key = new_key.clone();
        let peer = c.peer;
        self.start_client(now, new_key, ClientKind::Invite, call, request, peer);
        true
    }
}

/// Two socket addresses are the same, an IPv4-mapped IPv6 address equal to its IPv4 address.
pub(super) fn same_address(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && plain_ip(a.ip()) == plain_ip(b.ip())
}
