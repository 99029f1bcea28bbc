//! Handing a caller to a person as a pure state machine: the queue's news, the agent's leg and the
//! far end's REFER answers go in with the time, and what to do comes out, with one
//! `poll_timeout()` for the agent's ring deadline and the wait for a REFER's final NOTIFY. The
//! driver (`call/handoff.rs`) does the IO: it rings, relays audio, talks to the center and the
//! store, and sleeps until `poll_timeout()`.

use std::time::{Duration, Instant};

use hotline_acd::Overflow;

/// How long an accepted REFER may go without a final NOTIFY before the caller is taken back.
pub const REFER_NOTIFY_WAIT: Duration = Duration::from_secs(32);

/// Where a handoff stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// In the queue, hearing hold music.
    Queued,
    /// An agent's phone is ringing (the caller still hears hold music).
    Ringing,
    /// The agent answered and hears the whisper.
    Whisper,
    /// Caller and agent talk.
    Bridged,
    /// A REFER is out; waiting for the far end's verdict.
    Referring,
    /// Overflow, callback or the end of the bridge: nothing more to hand over.
    Over,
}

/// How the queue hands callers over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Blind transfer to this URI by REFER (the queue's agents if it fails).
    Refer { target: String },
    /// Queue the caller and bridge them to an agent.
    Bridge,
}

/// What the center said when the caller joined a queue.
#[derive(Debug, Clone, PartialEq)]
pub enum Joined {
    Waiting {
        position: usize,
        estimated_wait: Option<Duration>,
        priority: bool,
    },
    /// Nobody can take the call (no agent logged in, or the queue is full).
    Overflow(Overflow),
    /// The queue is not defined, or the center failed.
    Unavailable,
}

/// News from the agent's leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegStatus {
    Answered,
    Bridged,
    NotAnswered(String),
    Ended(String),
}

/// What the core asks the driver to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum HandoffOutput {
    /// A line for the turn's trace and the log.
    Trace(String),
    /// Store the turn in progress.
    StoreTurn,
    SendRefer {
        target: String,
    },
    /// Enqueue the caller in this queue and feed [`HandoffCore::joined`] with the answer.
    JoinQueue {
        queue: String,
    },
    /// Tell the caller their place in the queue.
    Announce {
        position: usize,
        estimated_wait: Option<Duration>,
    },
    /// Ring this agent (the driver keeps the offer's address).
    RingAgent {
        agent: String,
    },
    /// The ring deadline passed: the leg gives up its INVITE and reports `no-answer`.
    CancelRing {
        agent: String,
    },
    /// Hang up the agent's leg (the caller is gone, or moved on).
    EndLeg,
    /// Tell the center this agent did not take the call (an offer declined or unanswered).
    AgentNoAnswer {
        agent: String,
    },
    /// Tell the center this agent took the call.
    AgentAnswered {
        agent: String,
    },
    /// Tell the center the caller left (hung up, or the bridge ended).
    LeftQueue,
    /// Close the bridge recording and note where it is.
    SaveRecording,
    /// Stop speaking, say the voicemail sentence, then record a message.
    Voicemail,
    /// Stop speaking, say the no-agent sentence, then hang up with this cause.
    NoAgent {
        cause: String,
    },
    /// Leave the queue, store a callback for the caller, confirm it and hang up.
    Callback {
        queue: String,
        why: String,
    },
    /// End the call with this cause, saying nothing more.
    EndCall {
        cause: String,
    },
}

/// One caller's handoff.
#[derive(Debug)]
pub struct HandoffCore {
    queue: String,
    reason: String,
    stage: Stage,
    /// The agent whose leg is up (ringing, whispering or bridged).
    leg: Option<String>,
    ring_deadline: Option<Instant>,
    refer_deadline: Option<Instant>,
    callback_digit: char,
}

impl HandoffCore {
    /// The flow's `transfer` has been said: REFER, or queue.
    pub fn start(
        queue: &str,
        reason: &str,
        route: Route,
        callback_digit: char,
    ) -> (HandoffCore, Vec<HandoffOutput>) {
        let mut core = HandoffCore {
            queue: queue.to_string(),
            reason: reason.to_string(),
            stage: Stage::Queued,
            leg: None,
            ring_deadline: None,
            refer_deadline: None,
            callback_digit,
        };
        let mut out = Vec::new();
        match route {
            Route::Refer { target } => {
                out.push(HandoffOutput::Trace(format!("REFER to {target}")));
                core.stage = Stage::Referring;
                out.push(HandoffOutput::SendRefer { target });
            }
            Route::Bridge => core.join(queue.to_string(), &mut out),
        }
        (core, out)
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The queue the caller is in (or last joined).
    #[cfg(test)]
    pub fn queue(&self) -> &str {
        &self.queue
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The key that asks for a callback while waiting.
    pub fn callback_digit(&self) -> char {
        self.callback_digit
    }

    /// The agent whose leg is up, if any.
    pub fn agent(&self) -> Option<&str> {
        self.leg.as_deref()
    }

    /// The center's answer to [`HandoffOutput::JoinQueue`], with the queue's callback key.
    pub fn joined(&mut self, callback_digit: char, joined: Joined) -> Vec<HandoffOutput> {
        let mut out = Vec::new();
        self.callback_digit = callback_digit;
        match joined {
            Joined::Waiting {
                position,
                estimated_wait,
                priority,
            } => {
                out.push(HandoffOutput::Trace(format!(
                    "queued in {} at position {position}{}",
                    self.queue,
                    if priority { " (priority caller)" } else { "" }
                )));
                out.push(HandoffOutput::StoreTurn);
                out.push(HandoffOutput::Announce {
                    position,
                    estimated_wait,
                });
            }
            Joined::Overflow(overflow) => {
                out.push(HandoffOutput::Trace(format!(
                    "queue {}: no agent logged in, overflow",
                    self.queue
                )));
                self.overflow(overflow, &mut out);
            }
            Joined::Unavailable => self.overflow(Overflow::Hangup, &mut out),
        }
        out
    }

    /// The center's periodic news for a waiting caller: said only while queued and the bot is
    /// quiet.
    pub fn announce(
        &mut self,
        position: usize,
        estimated_wait: Option<Duration>,
        bot_silent: bool,
    ) -> Vec<HandoffOutput> {
        if self.stage == Stage::Queued && bot_silent {
            vec![HandoffOutput::Announce {
                position,
                estimated_wait,
            }]
        } else {
            Vec::new()
        }
    }

    /// The queue gave up on the caller (they waited too long).
    pub fn queue_overflow(&mut self, overflow: Overflow) -> Vec<HandoffOutput> {
        let mut out = vec![HandoffOutput::Trace(format!(
            "queue: waited too long, overflow {overflow:?}"
        ))];
        self.overflow(overflow, &mut out);
        out
    }

    /// The center offers an agent: ring them until `now + ring_timeout`.
    pub fn offered(
        &mut self,
        agent: &str,
        agent_name: &str,
        ring_timeout: Duration,
        now: Instant,
    ) -> Vec<HandoffOutput> {
        let mut out = Vec::new();
        match self.stage {
            Stage::Queued => {}
            // The distributor moved on from the agent being rung (their phone's registration
            // was lost): that leg is stale.
            Stage::Ringing => self.end_leg(&mut out),
            _ => {
                out.push(HandoffOutput::AgentNoAnswer {
                    agent: agent.to_string(),
                });
                return out;
            }
        }
        out.push(HandoffOutput::Trace(format!(
            "ringing agent {agent} ({agent_name})"
        )));
        out.push(HandoffOutput::RingAgent {
            agent: agent.to_string(),
        });
        self.leg = Some(agent.to_string());
        self.stage = Stage::Ringing;
        self.ring_deadline = Some(now + ring_timeout);
        out
    }

    /// News from an agent's leg; a leg this call already gave up on is ignored.
    pub fn leg_update(&mut self, agent: &str, status: LegStatus) -> Vec<HandoffOutput> {
        let mut out = Vec::new();
        if self.leg.as_deref() != Some(agent) {
            return out;
        }
        let agent = agent.to_string();
        match status {
            LegStatus::Answered => {
                self.ring_deadline = None;
                out.push(HandoffOutput::Trace(format!(
                    "agent {agent} answered; whispering the summary"
                )));
                self.stage = Stage::Whisper;
                out.push(HandoffOutput::AgentAnswered { agent });
            }
            LegStatus::Bridged => {
                out.push(HandoffOutput::Trace(format!("bridged to agent {agent}")));
                out.push(HandoffOutput::StoreTurn);
                self.stage = Stage::Bridged;
            }
            LegStatus::NotAnswered(why) => {
                self.leg = None;
                self.ring_deadline = None;
                if self.stage == Stage::Ringing {
                    self.stage = Stage::Queued;
                }
                out.push(HandoffOutput::Trace(format!(
                    "agent {agent} did not answer ({why})"
                )));
                out.push(HandoffOutput::StoreTurn);
                out.push(HandoffOutput::AgentNoAnswer { agent });
            }
            LegStatus::Ended(cause) => {
                out.push(HandoffOutput::Trace(format!(
                    "agent {agent} hung up ({cause})"
                )));
                self.leg = None;
                self.stage = Stage::Over;
                out.push(HandoffOutput::LeftQueue);
                out.push(HandoffOutput::SaveRecording);
                out.push(HandoffOutput::EndCall {
                    cause: "agent-hangup".into(),
                });
            }
        }
        out
    }

    /// The far end's answer to the REFER: accepted starts the wait for the final NOTIFY.
    pub fn refer_answered(&mut self, status: u16, now: Instant) -> Vec<HandoffOutput> {
        let mut out = Vec::new();
        if self.stage != Stage::Referring {
            return out;
        }
        if (200..300).contains(&status) {
            out.push(HandoffOutput::Trace(format!("REFER accepted ({status})")));
            self.refer_deadline = Some(now + REFER_NOTIFY_WAIT);
        } else {
            self.refer_failed(format!("REFER refused ({status})"), &mut out);
        }
        out
    }

    /// A NOTIFY about the referred call's progress (its sipfrag status, if any).
    pub fn refer_progress(&mut self, status: Option<u16>, terminated: bool) -> Vec<HandoffOutput> {
        let mut out = Vec::new();
        if self.stage != Stage::Referring {
            return out;
        }
        match status {
            Some(s) if (200..300).contains(&s) => {
                self.refer_deadline = None;
                out.push(HandoffOutput::Trace(format!(
                    "transfer target answered ({s}); leaving the call"
                )));
                self.stage = Stage::Over;
                out.push(HandoffOutput::EndCall {
                    cause: format!("referred:{}", self.reason),
                });
            }
            Some(s) if s >= 300 => {
                self.refer_failed(format!("transfer target refused ({s})"), &mut out)
            }
            _ if terminated => self.refer_failed("REFER ended without an answer".into(), &mut out),
            _ => {}
        }
        out
    }

    /// A key pressed while handed over: the callback key, while waiting.
    pub fn digit(&mut self, digit: char) -> Vec<HandoffOutput> {
        let mut out = Vec::new();
        let waiting = matches!(self.stage, Stage::Queued | Stage::Ringing);
        if waiting && digit == self.callback_digit {
            self.request_callback("caller pressed a key", &mut out);
        }
        out
    }

    /// The caller's side ended: release the agent and the queue place.
    pub fn caller_hung_up(&mut self) -> Vec<HandoffOutput> {
        let mut out = Vec::new();
        self.end_leg(&mut out);
        out.push(HandoffOutput::LeftQueue);
        if matches!(self.stage, Stage::Bridged | Stage::Whisper) {
            out.push(HandoffOutput::SaveRecording);
        }
        self.stage = Stage::Over;
        self.refer_deadline = None;
        out
    }

    /// The next moment the core must be woken at: the ring deadline or the REFER wait.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.ring_deadline, self.refer_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Time has reached `now`: fire what is due.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<HandoffOutput> {
        let mut out = Vec::new();
        if self.ring_deadline.is_some_and(|at| now >= at) {
            self.ring_deadline = None;
            if let (Stage::Ringing, Some(agent)) = (self.stage, &self.leg) {
                out.push(HandoffOutput::CancelRing {
                    agent: agent.clone(),
                });
            }
        }
        if self.refer_deadline.is_some_and(|at| now >= at) {
            self.refer_deadline = None;
            if self.stage == Stage::Referring {
                let why = format!(
                    "no final NOTIFY within {} s of the REFER's acceptance",
                    REFER_NOTIFY_WAIT.as_secs()
                );
                self.refer_failed(why, &mut out);
            }
        }
        out
    }

    /// The blind transfer did not happen: the caller stays, and goes to the queue's agents.
    fn refer_failed(&mut self, why: String, out: &mut Vec<HandoffOutput>) {
        self.refer_deadline = None;
        out.push(HandoffOutput::Trace(format!(
            "{why}; falling back to queue {}'s agents",
            self.queue
        )));
        self.join(self.queue.clone(), out);
    }

    /// (Re)enters a queue: the driver enqueues and feeds the answer to [`HandoffCore::joined`].
    fn join(&mut self, queue: String, out: &mut Vec<HandoffOutput>) {
        self.queue = queue.clone();
        self.stage = Stage::Queued;
        out.push(HandoffOutput::JoinQueue { queue });
    }

    /// What the queue does with a caller it cannot serve.
    fn overflow(&mut self, overflow: Overflow, out: &mut Vec<HandoffOutput>) {
        self.end_leg(out);
        match overflow {
            Overflow::Queue(next) => {
                out.push(HandoffOutput::Trace(format!("overflow to queue {next}")));
                self.join(next, out);
            }
            Overflow::Voicemail => {
                self.stage = Stage::Over;
                out.push(HandoffOutput::Trace("overflow: voicemail".into()));
                out.push(HandoffOutput::Voicemail);
            }
            Overflow::Callback => self.request_callback("overflow", out),
            Overflow::Hangup => {
                self.stage = Stage::Over;
                out.push(HandoffOutput::Trace("overflow: hang up".into()));
                out.push(HandoffOutput::NoAgent {
                    cause: format!("overflow:{}", self.reason),
                });
            }
        }
    }

    fn request_callback(&mut self, why: &str, out: &mut Vec<HandoffOutput>) {
        self.end_leg(out);
        self.stage = Stage::Over;
        out.push(HandoffOutput::Callback {
            queue: self.queue.clone(),
            why: why.to_string(),
        });
    }

    fn end_leg(&mut self, out: &mut Vec<HandoffOutput>) {
        self.ring_deadline = None;
        if self.leg.take().is_some() {
            out.push(HandoffOutput::EndLeg);
        }
    }
}
