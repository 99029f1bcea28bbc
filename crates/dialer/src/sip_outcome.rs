//! How a campaign call's ending becomes the dialer's outcome: the final status of the INVITE
//! (after any digest challenge was answered), or no final status at all; and for an answered
//! call, whether the flow ended it as an opt-out.

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

/// Hang-up reasons of a campaign flow that mean the contact opted out (`hangup` nodes'
/// `reason:`), beside the opt-out intent names.
pub const OPT_OUT_REASONS: &[&str] = &["opted_out", "opt_out", "optout", "stop", "unsubscribe"];

/// The outcome of an answered call from the reasons of the flow's hang-ups (usually one, none
/// when the contact hung up first): an opt-out reason makes it `OptedOut` (the number goes on
/// the do-not-call list), else a person was reached.
pub fn outcome_of_answered<'a>(hangup_reasons: impl IntoIterator<Item = &'a str>) -> Outcome {
    let opted_out = hangup_reasons.into_iter().any(|r| {
        OPT_OUT_REASONS
            .iter()
            .any(|o| r.trim().eq_ignore_ascii_case(o))
    });
    if opted_out {
        Outcome::OptedOut
    } else {
        Outcome::AnsweredPerson
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

    #[test]
    fn a_flow_hanging_up_as_opted_out_is_an_opt_out() {
        assert_eq!(outcome_of_answered(["opted_out"]), Outcome::OptedOut);
        assert_eq!(outcome_of_answered(["Unsubscribe"]), Outcome::OptedOut);
        assert_eq!(outcome_of_answered(["confirmed"]), Outcome::AnsweredPerson);
        assert_eq!(outcome_of_answered([]), Outcome::AnsweredPerson);
    }
}
