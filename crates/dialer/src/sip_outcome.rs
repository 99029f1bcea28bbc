//! How a campaign call's SIP ending becomes the dialer's outcome: the final status of the
//! INVITE (after any digest challenge was answered), or no final status at all.

use crate::retry::Outcome;

/// The outcome of an attempt whose INVITE got `status` as final answer, or `None` when no final
/// answer came (the transaction timed out, or the request could not be sent). `rang_out`: we
/// cancelled it ourselves at the ring timeout (the 487 then means no answer).
pub fn outcome_of_final(status: Option<u16>, rang_out: bool) -> Outcome {
    if rang_out {
        return match status {
            Some(s) if (200..300).contains(&s) => Outcome::AnsweredPerson,
            _ => Outcome::NoAnswer,
        };
    }
    match status {
        Some(200..=299) => Outcome::AnsweredPerson,
        Some(486 | 600) => Outcome::Busy,
        Some(480 | 408 | 487) => Outcome::NoAnswer,
        Some(404 | 484 | 410 | 604) => Outcome::InvalidNumber,
        Some(603) => Outcome::Declined,
        Some(500..=599) | None => Outcome::NetworkFailure,
        // Anything else (401/407 left unanswered, 403, 488 ...) is the trunk refusing the call:
        // retried like a network failure, by that rule.
        Some(_) => Outcome::NetworkFailure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_outcomes() {
        let cases = [
            (Some(200), Outcome::AnsweredPerson),
            (Some(486), Outcome::Busy),
            (Some(600), Outcome::Busy),
            (Some(480), Outcome::NoAnswer),
            (Some(408), Outcome::NoAnswer),
            (Some(404), Outcome::InvalidNumber),
            (Some(484), Outcome::InvalidNumber),
            (Some(603), Outcome::Declined),
            (Some(500), Outcome::NetworkFailure),
            (Some(503), Outcome::NetworkFailure),
            (None, Outcome::NetworkFailure),
            (Some(407), Outcome::NetworkFailure),
        ];
        for (status, outcome) in cases {
            assert_eq!(outcome_of_final(status, false), outcome, "{status:?}");
        }
    }

    #[test]
    fn our_own_cancel_at_the_ring_timeout_is_no_answer() {
        assert_eq!(outcome_of_final(Some(487), true), Outcome::NoAnswer);
        assert_eq!(outcome_of_final(None, true), Outcome::NoAnswer);
        assert_eq!(outcome_of_final(Some(200), true), Outcome::AnsweredPerson);
    }
}
