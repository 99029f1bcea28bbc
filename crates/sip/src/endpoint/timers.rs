//! Every timer of the endpoint (RFC 3261 Timers A, B, D, E, F, G, H, I, J, the UAS 2xx
//! retransmission, our CANCEL deadline and registrar binding expiries), computed from state and fired by the caller's clock.

use std::time::Instant;

use super::state::{CallState, ClientKind};
use super::{EndCause, Endpoint, Event};
use crate::CallId;

impl Endpoint {
    /// The earliest instant at which [`Endpoint::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let servers = self
            .servers
            .values()
            .flat_map(|tx| [tx.retransmit.map(|(at, _)| at), tx.give_up_at, tx.expire_at]);
        let clients = self
            .clients
            .values()
            .flat_map(|tx| [tx.retransmit.map(|(at, _)| at), tx.timeout_at, tx.expire_at]);
        let calls = self.calls.values().flat_map(|c| {
            [
                c.pending_ack.as_ref().map(|p| p.next_at.min(p.deadline)),
                c.cancel_deadline,
            ]
        });
        let bindings = std::iter::once(self.registrar_timeout());
        servers
            .chain(clients)
            .chain(calls)
            .chain(bindings)
            .flatten()
            .min()
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.server_timers(now);
        self.client_timers(now);
        self.call_timers(now);
        self.registrar_timers(now);
    }

    fn server_timers(&mut self, now: Instant) {
        let t2 = self.config.t2;
        let mut resend = Vec::new();
        self.servers.retain(|_, tx| {
            if tx.give_up_at.is_some_and(|at| at <= now) || tx.expire_at.is_some_and(|at| at <= now)
            {
                return false; // Timer H (no ACK), or Timers I/J: forget it
            }
            if let Some((at, interval)) = tx.retransmit {
                if at <= now {
                    if let Some((_, bytes)) = &tx.last {
                        resend.push((tx.destination, bytes.clone()));
                    }
                    let next = (interval * 2).min(t2);
                    tx.retransmit = Some((now + next, next)); // Timer G
                }
            }
            true
        });
        for (destination, payload) in resend {
            self.transmit(destination, payload);
        }
    }

    fn client_timers(&mut self, now: Instant) {
        let t2 = self.config.t2;
        let mut resend = Vec::new();
        let mut timed_out = Vec::new();
        self.clients.retain(|_, tx| {
            if tx.expire_at.is_some_and(|at| at <= now) {
                return false; // Timer D
            }
            if tx.timeout_at.is_some_and(|at| at <= now) {
                timed_out.push((tx.kind, tx.call.clone())); // Timer B / F
                return false;
            }
            if let Some((at, interval)) = tx.retransmit {
                if at <= now {
                    resend.push((tx.destination, tx.payload.clone()));
                    let next = match tx.kind {
                        ClientKind::Invite => interval * 2, // Timer A
                        _ => (interval * 2).min(t2),        // Timer E
                    };
                    tx.retransmit = Some((now + next, next));
                }
            }
            true
        });
        for (destination, payload) in resend {
            self.transmit(destination, payload);
        }
        for (kind, call) in timed_out {
            match kind {
                ClientKind::Invite => {
                    if self.calls.remove(&call.0).is_some() {
                        self.events.push_back(Event::Failed {
                            call,
                            status: 408,
                            reason: "Request Timeout".into(),
                        });
                    }
                }
                ClientKind::Bye { report } => {
                    if self.calls.remove(&call.0).is_some() && report {
                        self.events.push_back(Event::Ended {
                            call,
                            cause: EndCause::LocalBye,
                        });
                    }
                }
                ClientKind::Refer => self.events.push_back(Event::ReferAnswered {
                    call,
                    status: 408,
                    reason: "Request Timeout".into(),
                }),
                ClientKind::Cancel | ClientKind::Other => {}
            }
        }
    }

    fn call_timers(&mut self, now: Instant) {
        let t2 = self.config.t2;
        let mut resend = Vec::new();
        let mut ack_timeouts = Vec::new();
        let mut cancel_timeouts = Vec::new();
        for (id, call) in self.calls.iter_mut() {
            if call.cancel_deadline.is_some_and(|at| at <= now)
                && call.state == CallState::Cancelling
            {
                cancel_timeouts.push((CallId(id.clone()), call.invite_key.clone()));
                continue;
            }
            let Some(pending) = call.pending_ack.as_mut() else {
                continue;
            };
            if pending.deadline <= now {
                let initial = pending.initial;
                call.pending_ack = None;
                if initial {
                    ack_timeouts.push(CallId(id.clone()));
                }
            } else if pending.next_at <= now {
                resend.push((pending.destination, pending.payload.clone()));
                pending.interval = (pending.interval * 2).min(t2);
                pending.next_at = now + pending.interval;
            }
        }
        for (destination, payload) in resend {
            self.transmit(destination, payload);
        }
        for call in ack_timeouts {
            // §13.3.1.4: no ACK within 64*T1 → confirm, then end the session with BYE.
            self.events.push_back(Event::Ended {
                call: call.clone(),
                cause: EndCause::AckTimeout,
            });
            self.send_bye(now, &call, false);
        }
        for (call, invite_key) in cancel_timeouts {
            self.clients.remove(&invite_key);
            self.calls.remove(&call.0);
            self.events.push_back(Event::Failed {
                call,
                status: 487,
                reason: "Request Terminated".into(),
            });
        }
    }
}
