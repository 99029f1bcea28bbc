//! The distributor's state — agents, queued callers, connected calls — and the read-only views
//! over it. Commands live in `agent_commands.rs` and `callers.rs`, decisions in `routing.rs`.

use std::cmp::Reverse;
use std::time::{Duration, Instant};

use crate::agents_file::AgentSpec;
use crate::queues_file::{Overflow, QueueSpec};
use crate::state::{AgentState, AgentView};

/// Average handle time assumed before any call has been handled.
pub const DEFAULT_HANDLE_TIME: Duration = Duration::from_secs(120);

/// Consecutive unanswered offers after which an agent is paused.
pub const MAX_CONSECUTIVE_MISSES: u32 = 3;

/// Reason given to an agent paused for not answering.
pub const NO_ANSWER_REASON: &str = "no answer";

/// Answer to `enqueue`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// The caller waits; the server makes the first announcement from these figures.
    Waiting {
        /// 1-based.
        position: usize,
        estimated_wait: Option<Duration>,
    },
    /// Nobody can serve this queue now; the caller was not queued.
    Overflow(Overflow),
}

/// Something the server must act on, produced by `poll`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Ring `agent` for `call`; the agent is now `Ringing`. Report back with `answered` or
    /// `no_answer` (after the queue's `ring_timeout`).
    Offer {
        call: String,
        queue: String,
        agent: String,
    },
    /// The caller has left the queue; carry out `overflow` (for `Overflow::Queue`, enqueue the
    /// call in that queue).
    Overflow {
        call: String,
        queue: String,
        overflow: Overflow,
    },
    /// Tell a waiting caller their position and estimated wait.
    Announce {
        call: String,
        position: usize,
        estimated_wait: Option<Duration>,
    },
    /// The agent's wrap-up ended; they are available again.
    AgentAvailable { agent: String },
}

/// Live figures for one queue (supervisor page, wallboard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueLive {
    pub queue: String,
    /// Callers waiting, not counting those being offered to an agent.
    pub waiting: usize,
    pub longest_wait: Duration,
    /// Skilled agents in any state but logged out.
    pub agents_logged_in: usize,
    /// Skilled agents available right now.
    pub agents_available: usize,
}

pub(crate) struct Agent {
    pub spec: AgentSpec,
    pub state: AgentState,
    pub since: Instant,
    pub idle_since: Option<Instant>,
    pub answered: u64,
    pub missed: u64,
    pub consecutive_missed: u32,
    pub talk_time: Duration,
    /// Registration lost during a call: log out instead of wrapping up when it ends.
    pub logout_after_call: bool,
}

impl Agent {
    pub fn set_state(&mut self, state: AgentState, now: Instant) {
        self.state = state;
        self.since = now;
    }

    pub fn view(&self) -> AgentView {
        AgentView {
            id: self.spec.id.clone(),
            name: self.spec.name.clone(),
            state: self.state.clone(),
            since: self.since,
            idle_since: self.idle_since,
            skills: self.spec.skills.clone(),
            external: self.spec.is_external(),
            answered: self.answered,
            missed: self.missed,
            talk_time: self.talk_time,
        }
    }
}

/// A caller in a queue, waiting or being offered to an agent.
pub(crate) struct Caller {
    pub call: String,
    pub queue: usize,
    pub priority: bool,
    pub entered: Instant,
    /// Breaks ties between callers entering at the same instant.
    pub seq: u64,
    pub last_announced: Instant,
    pub offered_to: Option<String>,
    /// Agents who let this caller ring out; never offered it again.
    pub missed_by: Vec<String>,
}

impl Caller {
    pub fn is_waiting(&self) -> bool {
        self.offered_to.is_none()
    }

    /// Order within a queue: priority callers first, then earliest entered.
    pub fn order(&self) -> (Reverse<bool>, Instant, u64) {
        (Reverse(self.priority), self.entered, self.seq)
    }
}

/// A caller an agent has answered.
pub(crate) struct Connected {
    pub call: String,
    pub queue: usize,
    pub agent: String,
    pub entered: Instant,
    pub answered_at: Instant,
}

/// Automatic call distribution: decides which agent takes which caller. Sans-IO: every
/// method takes the current time and returns what the server should do.
pub struct Distributor {
    pub(crate) agents: Vec<Agent>,
    pub(crate) queues: Vec<QueueSpec>,
    pub(crate) callers: Vec<Caller>,
    pub(crate) connected: Vec<Connected>,
    pub(crate) next_seq: u64,
    pub(crate) handled_calls: u64,
    pub(crate) handled_talk: Duration,
}

impl Distributor {
    /// Phone agents start logged out; external agents (with a `uri`) start available.
    pub fn new(agents: Vec<AgentSpec>, queues: Vec<QueueSpec>, now: Instant) -> Self {
        let mut list: Vec<Agent> = Vec::with_capacity(agents.len());
        for spec in agents {
            if list.iter().any(|a| a.spec.id == spec.id) {
                continue;
            }
            let external = spec.is_external();
            list.push(Agent {
                spec,
                state: if external {
                    AgentState::Available
                } else {
                    AgentState::LoggedOut
                },
                since: now,
                idle_since: external.then_some(now),
                answered: 0,
                missed: 0,
                consecutive_missed: 0,
                talk_time: Duration::ZERO,
                logout_after_call: false,
            });
        }
        list.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
        Distributor {
            agents: list,
            queues,
            callers: Vec::new(),
            connected: Vec::new(),
            next_seq: 0,
            handled_calls: 0,
            handled_talk: Duration::ZERO,
        }
    }

    pub fn agent(&self, id: &str) -> Option<AgentView> {
        self.agent_index(id).map(|i| self.agents[i].view())
    }

    /// All agents, sorted by id.
    pub fn agents(&self) -> Vec<AgentView> {
        self.agents.iter().map(Agent::view).collect()
    }

    pub fn queues(&self) -> &[QueueSpec] {
        &self.queues
    }

    pub fn queue(&self, name: &str) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// 1-based position of a waiting caller in its queue; `None` if the call is not waiting
    /// (unknown, being offered, or connected).
    pub fn position(&self, call: &str) -> Option<usize> {
        let caller = self.callers.iter().find(|c| c.call == call)?;
        if !caller.is_waiting() {
            return None;
        }
        Some(
            self.callers
                .iter()
                .filter(|c| c.queue == caller.queue && c.is_waiting())
                .filter(|c| c.order() <= caller.order())
                .count(),
        )
    }

    /// Position × average handle time ÷ logged-in skilled agents (at least one).
    pub fn estimated_wait(&self, call: &str) -> Option<Duration> {
        let position = self.position(call)?;
        let queue = self.callers.iter().find(|c| c.call == call)?.queue;
        let staff = self.skilled_logged_in(queue).max(1);
        let position = u32::try_from(position).unwrap_or(u32::MAX);
        let staff = u32::try_from(staff).unwrap_or(u32::MAX);
        Some(self.average_handle_time().saturating_mul(position) / staff)
    }

    /// Average talk time of the calls handled so far; 120 s before the first.
    pub fn average_handle_time(&self) -> Duration {
        match u32::try_from(self.handled_calls) {
            Ok(0) => DEFAULT_HANDLE_TIME,
            Ok(n) => self.handled_talk / n,
            Err(_) => self.handled_talk.div_f64(self.handled_calls as f64),
        }
    }

    /// Live figures per queue, in configuration order.
    pub fn live(&self, now: Instant) -> Vec<QueueLive> {
        (0..self.queues.len())
            .map(|q| {
                let waiting: Vec<&Caller> = self
                    .callers
                    .iter()
                    .filter(|c| c.queue == q && c.is_waiting())
                    .collect();
                QueueLive {
                    queue: self.queues[q].name.clone(),
                    waiting: waiting.len(),
                    longest_wait: waiting
                        .iter()
                        .map(|c| now.saturating_duration_since(c.entered))
                        .max()
                        .unwrap_or_default(),
                    agents_logged_in: self.skilled_logged_in(q),
                    agents_available: self
                        .skilled(q)
                        .filter(|a| a.state == AgentState::Available)
                        .count(),
                }
            })
            .collect()
    }

    /// The earliest moment `poll` could decide something: a max wait running out, an
    /// announcement, a wrap-up ending. A moment in the past means "poll now" (an offer can be
    /// made, or a queue has lost its last agent).
    pub fn next_timeout(&self) -> Option<Instant> {
        let mut due: Option<Instant> = None;
        let mut consider = |t: Instant| due = Some(due.map_or(t, |d| d.min(t)));
        for agent in &self.agents {
            if let AgentState::WrapUp { until } = agent.state {
                consider(until);
            }
        }
        for caller in self.callers.iter().filter(|c| c.is_waiting()) {
            let queue = &self.queues[caller.queue];
            consider(caller.entered + queue.max_wait);
            if !queue.announce_every.is_zero() {
                consider(caller.last_announced + queue.announce_every);
            }
            if self.skilled_logged_in(caller.queue) == 0 {
                consider(caller.entered);
            }
        }
        for agent in 0..self.agents.len() {
            if self.agents[agent].state == AgentState::Available {
                if let Some(c) = self.best_caller_for(agent) {
                    consider(self.callers[c].entered);
                }
            }
        }
        due
    }

    pub(crate) fn agent_index(&self, id: &str) -> Option<usize> {
        self.agents
            .binary_search_by(|a| a.spec.id.as_str().cmp(id))
            .ok()
    }

    pub(crate) fn caller_index(&self, call: &str) -> Option<usize> {
        self.callers.iter().position(|c| c.call == call)
    }

    /// Agents with every skill queue `q` asks for.
    pub(crate) fn skilled(&self, q: usize) -> impl Iterator<Item = &Agent> {
        let skills = &self.queues[q].skills;
        self.agents
            .iter()
            .filter(move |a| a.spec.has_skills(skills))
    }

    pub(crate) fn skilled_logged_in(&self, q: usize) -> usize {
        self.skilled(q).filter(|a| a.state.is_logged_in()).count()
    }

    /// The waiting caller agent `a` should take: among queues whose skills the agent has,
    /// priority callers first, then higher queue priority, then earliest entered. Callers the
    /// agent already let ring out are skipped.
    pub(crate) fn best_caller_for(&self, a: usize) -> Option<usize> {
        let agent = &self.agents[a];
        self.callers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_waiting())
            .filter(|(_, c)| agent.spec.has_skills(&self.queues[c.queue].skills))
            .filter(|(_, c)| !c.missed_by.contains(&agent.spec.id))
            .min_by_key(|(_, c)| {
                (
                    Reverse(c.priority),
                    Reverse(self.queues[c.queue].priority),
                    c.entered,
                    c.seq,
                )
            })
            .map(|(i, _)| i)
    }
}
