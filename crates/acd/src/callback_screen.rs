//! What is decided about a callback job before and around dialling its customer: whether the
//! number may be called at all (do-not-call list, a number no trunk can dial), and what a clean
//! stop does with a job this server leased but has not dialled yet. Pure: the list lookup is
//! passed in as a yes or no.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::CallbackOutcome;

/// Caller numbers a phone shows when the caller hid theirs: nobody can be called back on them.
const HIDDEN: [&str; 6] = [
    "anonymous",
    "unknown",
    "unavailable",
    "restricted",
    "private",
    "withheld",
];

/// Whether `number` (the user part of the caller's From) can be put in a callback's INVITE:
/// not empty, not a hidden-number placeholder, and only characters a SIP URI's user part takes
/// unescaped (digits, letters, `+-_.!~*'()`). An extension name such as `alice` is dialable:
/// the trunk decides, and its 404/484 fails the job as `InvalidNumber`.
pub fn dialable(number: &str) -> bool {
    let number = number.trim();
    !number.is_empty()
        && !HIDDEN.iter().any(|h| number.eq_ignore_ascii_case(h))
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-_.!~*'()".contains(c))
        && number.chars().any(|c| c.is_ascii_alphanumeric())
}

/// Why a job must not be dialled (`None`: dial it). `listed`: the number is on the do-not-call
/// list. An undialable number is refused first: it could not be checked against a list of
/// E.164 numbers either.
pub fn screen(number: &str, listed: bool) -> Option<CallbackOutcome> {
    if !dialable(number) {
        Some(CallbackOutcome::InvalidNumber)
    } else if listed {
        Some(CallbackOutcome::DoNotCall)
    } else {
        None
    }
}

const AGENT_FIRST: u8 = 0;
const DIALLED: u8 = 1;
const RELEASED: u8 = 2;

/// How far this server got with a job it leased, shared by the task placing it and the stop.
/// It starts at "agent first" (the agent is rung, the customer not yet called); exactly one of
/// `dial` (the placer is about to send the customer's INVITE) and `release` (the server is
/// stopping) wins, so a released job is never dialled by the stopping server and a dialled one
/// is never handed back while its call may be up.
#[derive(Debug, Default)]
pub struct PlacingStage(AtomicU8);

impl PlacingStage {
    pub fn new() -> PlacingStage {
        PlacingStage(AtomicU8::new(AGENT_FIRST))
    }

    /// The placer may call the customer: true unless the job was released first.
    pub fn dial(&self) -> bool {
        self.move_from_agent_first(DIALLED)
    }

    /// The server is stopping: true when the customer was not dialled, so the job can go back
    /// to pending for the next start; false once the customer's INVITE is on its way (the job
    /// keeps its lease and comes back only when it expires).
    pub fn release(&self) -> bool {
        self.move_from_agent_first(RELEASED)
    }

    fn move_from_agent_first(&self, to: u8) -> bool {
        self.0
            .compare_exchange(AGENT_FIRST, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_extensions_are_dialable_hidden_and_malformed_ones_are_not() {
        for ok in ["+12125550101", "02125550101", "sipp", "alice.smith", "100"] {
            assert!(dialable(ok), "{ok}");
        }
        for bad in [
            "",
            "  ",
            "Anonymous",
            "unknown",
            "+1 212 555",
            "a@b",
            "x;user=phone",
            "<1>",
            "+",
        ] {
            assert!(!dialable(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_listed_number_is_not_called_and_an_invalid_one_fails_first() {
        assert_eq!(screen("+12125550101", false), None);
        assert_eq!(
            screen("+12125550101", true),
            Some(CallbackOutcome::DoNotCall)
        );
        assert_eq!(
            screen("anonymous", true),
            Some(CallbackOutcome::InvalidNumber)
        );
    }

    #[test]
    fn a_stop_releases_a_job_whose_customer_was_not_dialled_and_then_it_is_not_dialled() {
        let stage = PlacingStage::new();
        assert!(stage.release());
        assert!(!stage.dial(), "dialled after it was handed back");
        assert!(!stage.release(), "released twice");
    }

    #[test]
    fn a_job_whose_customer_was_dialled_is_not_released() {
        let stage = PlacingStage::new();
        assert!(stage.dial());
        assert!(!stage.release());
    }
}
