//! What agents (their phones, the supervisor page) do: log in and out, pause, become available,
//! and what happens when a phone's registration expires.

use std::time::Instant;

use crate::distributor::{Distributor, MAX_CONSECUTIVE_MISSES};
use crate::error::AcdError;
use crate::state::{AgentState, AgentView};

impl Distributor {
    /// Logged out → available. Already logged in (a phone re-registering): nothing changes.
    pub fn login(&mut self, id: &str, now: Instant) -> Result<AgentView, AcdError> {
        let a = self.known_agent(id)?;
        let agent = &mut self.agents[a];
        if agent.state == AgentState::LoggedOut {
            agent.set_state(AgentState::Available, now);
            agent.idle_since = Some(now);
            agent.consecutive_missed = 0;
        }
        Ok(agent.view())
    }

    /// Any state but ringing or on a call → logged out. Waiting callers of a queue left with
    /// no skilled agent overflow at the next `poll`.
    pub fn logout(&mut self, id: &str, now: Instant) -> Result<AgentView, AcdError> {
        let a = self.idle_agent(id, "log out")?;
        let agent = &mut self.agents[a];
        if agent.state != AgentState::LoggedOut {
            agent.set_state(AgentState::LoggedOut, now);
            agent.idle_since = None;
        }
        Ok(agent.view())
    }

    /// Available, wrapping up or already paused → paused with `reason`.
    pub fn pause(&mut self, id: &str, reason: &str, now: Instant) -> Result<AgentView, AcdError> {
        let a = self.idle_agent(id, "pause")?;
        let agent = &mut self.agents[a];
        if agent.state == AgentState::LoggedOut {
            return Err(AcdError::NotLoggedIn {
                agent: id.to_string(),
                action: "pause",
            });
        }
        agent.set_state(
            AgentState::Paused {
                reason: reason.to_string(),
            },
            now,
        );
        agent.idle_since = None;
        Ok(agent.view())
    }

    /// Paused, wrapping up or logged out → available (idle from now). Already available:
    /// nothing changes.
    pub fn make_available(&mut self, id: &str, now: Instant) -> Result<AgentView, AcdError> {
        let a = self.idle_agent(id, "become available")?;
        let agent = &mut self.agents[a];
        if agent.state != AgentState::Available {
            agent.set_state(AgentState::Available, now);
            agent.idle_since = Some(now);
            agent.consecutive_missed = 0;
        }
        Ok(agent.view())
    }

    /// The phone's registration expired: the agent is logged out whatever they were doing.
    /// A call ringing them is treated as not answered (counted as missed, the caller goes back
    /// to the front of its queue) and returned so the server can cancel that leg. An agent on
    /// a call keeps it and is logged out when it ends.
    pub fn registration_lost(
        &mut self,
        id: &str,
        now: Instant,
    ) -> Result<Option<String>, AcdError> {
        let a = self.known_agent(id)?;
        match self.agents[a].state.clone() {
            AgentState::Ringing { call } => {
                self.ring_out(a, &call);
                let agent = &mut self.agents[a];
                agent.set_state(AgentState::LoggedOut, now);
                agent.idle_since = None;
                Ok(Some(call))
            }
            AgentState::OnCall { .. } => {
                self.agents[a].logout_after_call = true;
                Ok(None)
            }
            AgentState::LoggedOut => Ok(None),
            _ => {
                let agent = &mut self.agents[a];
                agent.set_state(AgentState::LoggedOut, now);
                agent.idle_since = None;
                Ok(None)
            }
        }
    }

    /// An offer of `call` to agent `a` went unanswered: count it against the agent and put the
    /// caller back in its queue, never to be offered to this agent again. Returns whether the
    /// agent has now missed too many in a row. The agent's own state is left to the caller.
    pub(crate) fn ring_out(&mut self, a: usize, call: &str) -> bool {
        let agent = &mut self.agents[a];
        agent.missed += 1;
        agent.consecutive_missed += 1;
        let too_many = agent.consecutive_missed >= MAX_CONSECUTIVE_MISSES;
        let id = agent.spec.id.clone();
        if let Some(c) = self.caller_index(call) {
            let caller = &mut self.callers[c];
            caller.offered_to = None;
            caller.missed_by.push(id);
        }
        too_many
    }

    pub(crate) fn known_agent(&self, id: &str) -> Result<usize, AcdError> {
        self.agent_index(id)
            .ok_or_else(|| AcdError::UnknownAgent(id.to_string()))
    }

    /// The agent, if they are neither ringing nor on a call.
    fn idle_agent(&self, id: &str, action: &'static str) -> Result<usize, AcdError> {
        let a = self.known_agent(id)?;
        let state = &self.agents[a].state;
        if state.is_busy() {
            return Err(AcdError::AgentBusy {
                agent: id.to_string(),
                action,
                state: state.name(),
            });
        }
        Ok(a)
    }
}
