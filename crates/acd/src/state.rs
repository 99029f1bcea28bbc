//! What the distributor shows about an agent: their state machine and a snapshot for the
//! server, the supervisor page and logs.

use std::time::{Duration, Instant};

/// Where an agent is in their working day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentState {
    LoggedOut,
    Available,
    /// Being offered `call`; the phone is ringing.
    Ringing {
        call: String,
    },
    OnCall {
        call: String,
    },
    /// After-call work; offered again at `until`.
    WrapUp {
        until: Instant,
    },
    Paused {
        reason: String,
    },
}

impl AgentState {
    /// A stable snake_case name for logs, JSON and messages.
    pub fn name(&self) -> &'static str {
        match self {
            AgentState::LoggedOut => "logged_out",
            AgentState::Available => "available",
            AgentState::Ringing { .. } => "ringing",
            AgentState::OnCall { .. } => "on_call",
            AgentState::WrapUp { .. } => "wrap_up",
            AgentState::Paused { .. } => "paused",
        }
    }

    /// Any state but `LoggedOut`: the agent counts as staffing their queues.
    pub fn is_logged_in(&self) -> bool {
        !matches!(self, AgentState::LoggedOut)
    }

    /// Ringing or on a call.
    pub fn is_busy(&self) -> bool {
        matches!(self, AgentState::Ringing { .. } | AgentState::OnCall { .. })
    }
}

/// A snapshot of one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentView {
    pub id: String,
    pub name: String,
    pub state: AgentState,
    /// When the current state began.
    pub since: Instant,
    /// Since when the agent has been waiting for work (kept while ringing); `None` when the
    /// agent is not available.
    pub idle_since: Option<Instant>,
    pub skills: Vec<String>,
    /// Reached through a trunk instead of a registered phone.
    pub external: bool,
    pub answered: u64,
    pub missed: u64,
    pub talk_time: Duration,
}

/// How a caller's time in a queue ended, for the call log and statistics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The caller hung up before an agent answered. `ringing_agent` was being offered the call
    /// at that moment (the server cancels that leg); that agent is available again.
    Abandoned {
        queue: String,
        waited: Duration,
        ringing_agent: Option<String>,
    },
    /// An agent answered and the call has now ended.
    Handled {
        queue: String,
        agent: String,
        /// From entering the queue to the agent answering.
        waited: Duration,
        talk: Duration,
        /// Answered within the queue's `service_level`.
        within_service_level: bool,
    },
    /// The caller left the queue without being answered (callback requested, overflow taken
    /// by the caller). `ringing_agent` as for `Abandoned`.
    Left {
        queue: String,
        waited: Duration,
        ringing_agent: Option<String>,
    },
}
