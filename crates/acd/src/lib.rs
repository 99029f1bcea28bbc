//! Automatic call distribution for Hotline: agents and queues read from the supervisors' YAML,
//! and a sans-IO distributor that decides which agent takes which caller. No sockets, clocks or
//! threads: the server passes `now` in and carries out the decisions.

mod agent_commands;
mod agents_edit;
mod agents_file;
mod callback_jobs;
mod callback_screen;
mod callers;
mod distributor;
mod duration;
mod error;
mod messages;
mod messages_file;
mod queues_file;
mod routing;
mod state;
mod yaml;

#[cfg(test)]
mod config_tests;
#[cfg(test)]
mod distributor_tests;

pub use agents_edit::set_agent_ha1;
pub use agents_file::{parse_agents, AgentSpec, AgentsFile, Ha1Hashes, DEFAULT_REALM};
pub use callback_jobs::{
    next_due, settle, CallbackOutcome, CallbackPolicy, JobState, JobView, Settled,
};
pub use callback_screen::{dialable, screen, PlacingStage};
pub use distributor::{
    Decision, Distributor, Enqueued, QueueLive, DEFAULT_HANDLE_TIME, MAX_CONSECUTIVE_MISSES,
    NO_ANSWER_REASON,
};
pub use error::{AcdError, EditProblem, SentenceProblem};
pub use messages::{fill, QueueMessages, SENTENCE_KEYS};
pub use queues_file::{
    parse_queues, parse_queues_file, Overflow, QueueSpec, QueuesFile, TransferMode,
};
pub use state::{AgentState, AgentView, Ended};
