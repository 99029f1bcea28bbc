//! What happens to callers: joining a queue, an agent answering or not, hanging up, leaving.

use std::time::Instant;

use crate::distributor::{Caller, Connected, Distributor, Enqueued, NO_ANSWER_REASON};
use crate::error::AcdError;
use crate::state::{AgentState, AgentView, Ended};

impl Distributor {
    /// Puts `call` in `queue`. If no agent with the queue's skills is logged in, the caller is
    /// not queued and the queue's overflow is returned at once.
    pub fn enqueue(
        &mut self,
        call: &str,
        queue: &str,
        priority: bool,
        now: Instant,
    ) -> Result<Enqueued, AcdError> {
        let q = self
            .queues
            .iter()
            .position(|spec| spec.name == queue)
            .ok_or_else(|| AcdError::UnknownQueue(queue.to_string()))?;
        if self.caller_index(call).is_some() || self.connected.iter().any(|c| c.call == call) {
            return Err(AcdError::DuplicateCall(call.to_string()));
        }
        if self.skilled_logged_in(q) == 0 {
            return Ok(Enqueued::Overflow(self.queues[q].overflow.clone()));
        }
        self.callers.push(Caller {
            call: call.to_string(),
            queue: q,
            priority,
            entered: now,
            seq: self.next_seq,
            last_announced: now,
            offered_to: None,
            missed_by: Vec::new(),
        });
        self.next_seq += 1;
        Ok(Enqueued::Waiting {
            position: self.position(call).unwrap_or(1),
            estimated_wait: self.estimated_wait(call),
        })
    }

    /// The agent offered `call` answered: ringing → on call.
    pub fn answered(
        &mut self,
        call: &str,
        agent: &str,
        now: Instant,
    ) -> Result<AgentView, AcdError> {
        let (a, c) = self.offer(call, agent)?;
        let caller = self.callers.remove(c);
        self.connected.push(Connected {
            call: caller.call,
            queue: caller.queue,
            agent: agent.to_string(),
            entered: caller.entered,
            answered_at: now,
        });
        let agent = &mut self.agents[a];
        agent.set_state(
            AgentState::OnCall {
                call: call.to_string(),
            },
            now,
        );
        agent.idle_since = None;
        agent.answered += 1;
        agent.consecutive_missed = 0;
        Ok(agent.view())
    }

    /// The agent offered `call` did not answer (ring timeout, declined, busy). The agent is
    /// available again, keeping their idle time, and is never offered this caller again; after
    /// three misses in a row they are paused with reason "no answer". The caller goes back to
    /// its place at the front of the queue.
    pub fn no_answer(
        &mut self,
        call: &str,
        agent: &str,
        now: Instant,
    ) -> Result<AgentView, AcdError> {
        let (a, _) = self.offer(call, agent)?;
        let too_many = self.ring_out(a, call);
        let agent = &mut self.agents[a];
        if too_many {
            agent.set_state(
                AgentState::Paused {
                    reason: NO_ANSWER_REASON.to_string(),
                },
                now,
            );
            agent.idle_since = None;
            agent.consecutive_missed = 0;
        } else {
            agent.set_state(AgentState::Available, now);
        }
        Ok(agent.view())
    }

    /// The caller's call ended, wherever it was. Waiting or being offered: abandoned (a ringing
    /// agent is available again). On a call: handled; the agent wraps up (or is available at
    /// once when the queue's wrap-up is zero). `None` if the distributor did not know the call.
    pub fn hung_up(&mut self, call: &str, now: Instant) -> Option<Ended> {
        if let Some(c) = self.caller_index(call) {
            let (queue, waited, ringing_agent) = self.remove_caller(c, now);
            return Some(Ended::Abandoned {
                queue,
                waited,
                ringing_agent,
            });
        }
        let i = self.connected.iter().position(|c| c.call == call)?;
        let connected = self.connected.remove(i);
        let talk = now.saturating_duration_since(connected.answered_at);
        let waited = connected
            .answered_at
            .saturating_duration_since(connected.entered);
        let queue = &self.queues[connected.queue];
        let wrap_up = queue.wrap_up;
        let within_service_level = waited <= queue.service_level;
        let queue = queue.name.clone();
        self.handled_calls += 1;
        self.handled_talk += talk;
        if let Some(a) = self.agent_index(&connected.agent) {
            let agent = &mut self.agents[a];
            agent.talk_time += talk;
            if agent.state
                == (AgentState::OnCall {
                    call: call.to_string(),
                })
            {
                if agent.logout_after_call {
                    agent.logout_after_call = false;
                    agent.set_state(AgentState::LoggedOut, now);
                } else if wrap_up.is_zero() {
                    agent.set_state(AgentState::Available, now);
                    agent.idle_since = Some(now);
                } else {
                    agent.set_state(
                        AgentState::WrapUp {
                            until: now + wrap_up,
                        },
                        now,
                    );
                }
            }
        }
        Some(Ended::Handled {
            queue,
            agent: connected.agent,
            waited,
            talk,
            within_service_level,
        })
    }

    /// The caller left the queue without being answered and without hanging up (a callback
    /// was requested, or the caller chose the overflow). `None` if the call was not queued —
    /// callers overflowed by `poll` have already left.
    pub fn left(&mut self, call: &str, now: Instant) -> Option<Ended> {
        let c = self.caller_index(call)?;
        let (queue, waited, ringing_agent) = self.remove_caller(c, now);
        Some(Ended::Left {
            queue,
            waited,
            ringing_agent,
        })
    }

    /// Takes a caller out of its queue, releasing an agent who was being offered it (without
    /// counting a miss). Returns the queue name, the time waited and that agent.
    fn remove_caller(
        &mut self,
        c: usize,
        now: Instant,
    ) -> (String, std::time::Duration, Option<String>) {
        let caller = self.callers.remove(c);
        if let Some(id) = &caller.offered_to {
            if let Some(a) = self.agent_index(id) {
                let agent = &mut self.agents[a];
                if agent.state
                    == (AgentState::Ringing {
                        call: caller.call.clone(),
                    })
                {
                    agent.set_state(AgentState::Available, now);
                }
            }
        }
        (
            self.queues[caller.queue].name.clone(),
            now.saturating_duration_since(caller.entered),
            caller.offered_to,
        )
    }

    /// The agent and caller indexes of a current offer of `call` to `agent`.
    fn offer(&self, call: &str, agent: &str) -> Result<(usize, usize), AcdError> {
        let a = self.known_agent(agent)?;
        let c = self
            .caller_index(call)
            .ok_or_else(|| AcdError::UnknownCall(call.to_string()))?;
        if self.callers[c].offered_to.as_deref() != Some(agent) {
            return Err(AcdError::NotOffered {
                agent: agent.to_string(),
                call: call.to_string(),
            });
        }
        Ok((a, c))
    }
}
