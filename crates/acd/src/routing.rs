//! `poll`: the distributor's decisions at a moment — wrap-ups ending, which agent rings for
//! which caller, who overflows, who hears their position.

use std::time::Instant;

use crate::distributor::{Decision, Distributor};
use crate::state::AgentState;

impl Distributor {
    /// Everything due at `now`, in this order: agents whose wrap-up ended become available,
    /// available agents are offered callers (longest idle first), callers past `max_wait` or
    /// whose queue has no logged-in skilled agent left overflow (and leave the queue), and
    /// waiting callers due an announcement get one.
    pub fn poll(&mut self, now: Instant) -> Vec<Decision> {
        let mut decisions = Vec::new();
        self.end_wrap_ups(now, &mut decisions);
        self.offer_callers(now, &mut decisions);
        self.overflow_callers(now, &mut decisions);
        self.announce(now, &mut decisions);
        decisions
    }

    fn end_wrap_ups(&mut self, now: Instant, decisions: &mut Vec<Decision>) {
        for agent in &mut self.agents {
            if let AgentState::WrapUp { until } = agent.state {
                if until <= now {
                    agent.set_state(AgentState::Available, until);
                    agent.idle_since = Some(until);
                    decisions.push(Decision::AgentAvailable {
                        agent: agent.spec.id.clone(),
                    });
                }
            }
        }
    }

    fn offer_callers(&mut self, now: Instant, decisions: &mut Vec<Decision>) {
        let mut available: Vec<usize> = (0..self.agents.len())
            .filter(|&a| self.agents[a].state == AgentState::Available)
            .collect();
        // Longest idle first; ties by id (the agent list is sorted by id, the sort is stable).
        available.sort_by_key(|&a| self.agents[a].idle_since.unwrap_or(now));
        for a in available {
            let Some(c) = self.best_caller_for(a) else {
                continue;
            };
            let agent_id = self.agents[a].spec.id.clone();
            let caller = &mut self.callers[c];
            caller.offered_to = Some(agent_id.clone());
            let call = caller.call.clone();
            let queue = self.queues[caller.queue].name.clone();
            self.agents[a].set_state(AgentState::Ringing { call: call.clone() }, now);
            decisions.push(Decision::Offer {
                call,
                queue,
                agent: agent_id,
            });
        }
    }

    fn overflow_callers(&mut self, now: Instant, decisions: &mut Vec<Decision>) {
        let unstaffed: Vec<bool> = (0..self.queues.len())
            .map(|q| self.skilled_logged_in(q) == 0)
            .collect();
        let mut i = 0;
        while i < self.callers.len() {
            let caller = &self.callers[i];
            let queue = &self.queues[caller.queue];
            let overdue = now.saturating_duration_since(caller.entered) >= queue.max_wait;
            if caller.is_waiting() && (overdue || unstaffed[caller.queue]) {
                let caller = self.callers.remove(i);
                decisions.push(Decision::Overflow {
                    call: caller.call,
                    queue: queue.name.clone(),
                    overflow: queue.overflow.clone(),
                });
            } else {
                i += 1;
            }
        }
    }

    fn announce(&mut self, now: Instant, decisions: &mut Vec<Decision>) {
        let due: Vec<usize> = (0..self.callers.len())
            .filter(|&c| {
                let caller = &self.callers[c];
                let every = self.queues[caller.queue].announce_every;
                caller.is_waiting()
                    && !every.is_zero()
                    && now.saturating_duration_since(caller.last_announced) >= every
            })
            .collect();
        for c in due {
            let call = self.callers[c].call.clone();
            decisions.push(Decision::Announce {
                position: self.position(&call).unwrap_or(1),
                estimated_wait: self.estimated_wait(&call),
                call,
            });
            self.callers[c].last_announced = now;
        }
    }
}
