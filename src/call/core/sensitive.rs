//! How a caller's answer at a `sensitive` slot (a date of birth, card digits) goes on the record:
//! decided from the input and the flow's decisions, with no IO, so the journal, the turn and the
//! log agree, and a replay of the masked journal takes the flow the same way.

use hotline_flow::privacy::mask;
use hotline_flow::{is_no_speech, Action, CallerInput};

use super::journal::JournalInput;

/// The journal's form of `input`, handled while the flow listened for `sensitive_slot` (if it
/// did), with `actions` the flow's answer and `is_sensitive` naming the flow's sensitive slots.
///
/// - An input that filled a sensitive slot is kept as the masked value it filled it with.
/// - At a sensitive slot, a digit that only added to the digits being typed is kept as a
///   "pending" key, and any other answer that filled nothing as "withheld, no value".
/// - What the flow understood as something else (a route, a correction of another slot),
///   silence, noise and the keys `*` and `#` carry no personal data and are kept as they are.
pub fn journal_input(
    input: &CallerInput,
    sensitive_slot: Option<&str>,
    actions: &[Action],
    is_sensitive: impl Fn(&str) -> bool,
) -> JournalInput {
    let filled = actions.iter().find_map(|a| match a {
        Action::SlotFilled { slot, value, .. } if is_sensitive(slot) => Some(mask(value)),
        _ => None,
    });
    if filled.is_some() {
        return JournalInput::Withheld {
            value: filled,
            pending: false,
        };
    }
    let clear = JournalInput::from_caller_input(input);
    if sensitive_slot.is_none() {
        return clear;
    }
    let understood = actions.iter().any(|a| match a {
        Action::Matched { intent, .. } => intent.is_some(),
        Action::SlotFilled { .. } => true,
        _ => false,
    });
    if understood {
        return clear;
    }
    match input {
        CallerInput::Dtmf(key) if key.is_ascii_digit() => JournalInput::Withheld {
            value: None,
            pending: actions.iter().all(|a| matches!(a, Action::Listen { .. })),
        },
        CallerInput::Speech { text, .. } | CallerInput::SpeechWithMood { text, .. }
            if !is_no_speech(text) =>
        {
            JournalInput::Withheld {
                value: None,
                pending: false,
            }
        }
        _ => clear,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn speech(text: &str) -> CallerInput {
        CallerInput::Speech {
            text: text.into(),
            confidence: 0.9,
        }
    }

    fn filled(slot: &str, value: &str) -> Action {
        Action::SlotFilled {
            slot: slot.into(),
            value: value.into(),
            node: "ask".into(),
        }
    }

    fn listen() -> Action {
        Action::Listen {
            timeout: Duration::from_secs(4),
            speech: true,
            dtmf: true,
        }
    }

    fn matched(intent: Option<&str>) -> Action {
        Action::Matched {
            intent: intent.map(str::to_string),
            score: 1.0,
            node: "ask".into(),
        }
    }

    fn dob(slot: &str) -> bool {
        slot == "date_of_birth"
    }

    #[test]
    fn a_filled_sensitive_slot_keeps_only_its_masked_value() {
        let input = speech("the fifth of March 1980");
        let got = journal_input(
            &input,
            Some("date_of_birth"),
            &[filled("date_of_birth", "1980-03-05")],
            dob,
        );
        assert_eq!(
            got,
            JournalInput::Withheld {
                value: Some("********05".into()),
                pending: false
            }
        );
        assert!(!format!("{got:?}").contains("1980"));
    }

    #[test]
    fn keys_typed_for_a_sensitive_slot_are_withheld() {
        let got = journal_input(
            &CallerInput::Dtmf('7'),
            Some("date_of_birth"),
            &[listen()],
            dob,
        );
        assert_eq!(
            got,
            JournalInput::Withheld {
                value: None,
                pending: true
            }
        );
        let star = journal_input(
            &CallerInput::Dtmf('*'),
            Some("date_of_birth"),
            &[listen()],
            dob,
        );
        assert_eq!(star, JournalInput::Dtmf { digit: '*' });
    }

    #[test]
    fn an_answer_that_filled_nothing_is_withheld_without_a_value() {
        let got = journal_input(
            &speech("fifth of March"),
            Some("date_of_birth"),
            &[matched(None)],
            dob,
        );
        assert_eq!(
            got,
            JournalInput::Withheld {
                value: None,
                pending: false
            }
        );
    }

    #[test]
    fn what_the_flow_understood_as_something_else_stays_in_clear() {
        let input = speech("I want an advisor");
        let got = journal_input(
            &input,
            Some("date_of_birth"),
            &[matched(Some("advisor"))],
            dob,
        );
        assert_eq!(got, JournalInput::from_caller_input(&input));
        let silence = journal_input(&CallerInput::NoInput, Some("date_of_birth"), &[], dob);
        assert_eq!(silence, JournalInput::NoInput);
        let elsewhere = journal_input(&speech("yes"), None, &[filled("ok", "yes")], dob);
        assert_eq!(elsewhere, JournalInput::from_caller_input(&speech("yes")));
    }
}
