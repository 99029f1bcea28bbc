//! What the engine's test modules share: a transcript as input, and what the bot said.

use super::{Action, CallerInput};

/// A clear transcript of `text`.
pub(super) fn speech(text: &str) -> CallerInput {
    CallerInput::Speech {
        text: text.to_string(),
        confidence: 0.9,
    }
}

/// Each `Say` text, in order.
pub(super) fn spoken(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Say { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// Everything the bot said, as one text.
pub(super) fn said(actions: &[Action]) -> String {
    spoken(actions).join(" ")
}
