//! How an attempt ended, and the campaign's rule for whether and when to try that contact again.

use std::fmt;
use std::time::Duration;

/// How one call attempt ended, as the call core reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    AnsweredPerson,
    AnsweredMachine,
    Busy,
    NoAnswer,
    /// 404/484: never retried.
    InvalidNumber,
    /// 603: the contact refused the call; not retried.
    Declined,
    NetworkFailure,
    /// The contact asked not to be called again: not retried, and put on the do-not-call list.
    OptedOut,
    /// The server stopped while the attempt was in flight.
    ServerRestart,
}

impl Outcome {
    /// Every outcome, for parsing and reports.
    pub const ALL: [Outcome; 9] = [
        Outcome::AnsweredPerson,
        Outcome::AnsweredMachine,
        Outcome::Busy,
        Outcome::NoAnswer,
        Outcome::InvalidNumber,
        Outcome::Declined,
        Outcome::NetworkFailure,
        Outcome::OptedOut,
        Outcome::ServerRestart,
    ];

    /// The snake_case name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::AnsweredPerson => "answered_person",
            Outcome::AnsweredMachine => "answered_machine",
            Outcome::Busy => "busy",
            Outcome::NoAnswer => "no_answer",
            Outcome::InvalidNumber => "invalid_number",
            Outcome::Declined => "declined",
            Outcome::NetworkFailure => "network_failure",
            Outcome::OptedOut => "opted_out",
            Outcome::ServerRestart => "server_restart",
        }
    }

    /// Reads a name written by `name`.
    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == text)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to do when a machine answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnMachine {
    /// The flow plays its message after the beep; the contact is done.
    LeaveMessage,
    /// Hang up and try again later by the `machine` retry rule.
    HangUpAndRetry,
}

/// Retry again after `delay`, at most `count` times for this outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryRule {
    pub delay: Duration,
    pub count: u32,
}

/// The campaign's retry rules by outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub busy: RetryRule,
    pub no_answer: RetryRule,
    pub machine: RetryRule,
    pub network_failure: RetryRule,
    pub server_restart: RetryRule,
    /// Attempts per contact per local day.
    pub max_per_day: u32,
    pub on_machine: OnMachine,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        let rule = |minutes: u64, count| RetryRule {
            delay: Duration::from_secs(minutes * 60),
            count,
        };
        RetryPolicy {
            busy: rule(10, 3),
            no_answer: rule(60, 2),
            machine: rule(120, 1),
            network_failure: rule(5, 3),
            server_restart: rule(0, 3),
            max_per_day: 3,
            on_machine: OnMachine::LeaveMessage,
        }
    }
}

impl RetryPolicy {
    /// The rule for an outcome that may be retried; `None` when the contact is done.
    pub fn rule_for(&self, outcome: Outcome) -> Option<RetryRule> {
        match outcome {
            Outcome::Busy => Some(self.busy),
            Outcome::NoAnswer => Some(self.no_answer),
            Outcome::NetworkFailure => Some(self.network_failure),
            Outcome::ServerRestart => Some(self.server_restart),
            Outcome::AnsweredMachine => match self.on_machine {
                OnMachine::HangUpAndRetry => Some(self.machine),
                OnMachine::LeaveMessage => None,
            },
            Outcome::AnsweredPerson
            | Outcome::InvalidNumber
            | Outcome::Declined
            | Outcome::OptedOut => None,
        }
    }
}
