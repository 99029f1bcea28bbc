//! What callers and agents hear from a queue, as the operator words it: today's sentences are the
//! defaults, and `queues.yaml` may reword or translate any of them, for all queues or for one.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::AcdError;
use crate::yaml::{config_error, line_of};

/// Every sentence a queue speaks. Placeholders in braces are filled in when it is said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueMessages {
    /// Nobody can take the call (no queue, no agent, overflow `hangup`); the call then ends.
    pub no_agent: String,
    /// Overflow `voicemail`: before the tone.
    pub voicemail: String,
    /// After that voicemail was recorded; the call then ends.
    pub voicemail_thanks: String,
    /// A callback was stored (the caller pressed the callback key, or overflow `callback`).
    pub callback_confirmed: String,
    /// Position announcement for the next caller in line.
    pub position_next: String,
    /// Position announcement: `{position}`.
    pub position: String,
    /// Appended when the estimated wait is a minute or less.
    pub wait_one_minute: String,
    /// Appended otherwise: `{minutes}`.
    pub wait_minutes: String,
    /// Appended to every announcement: `{digit}`.
    pub callback_offer: String,
    /// What the agent hears before the caller is put through: `{topic}`, `{reason}`.
    pub whisper: String,
}

impl Default for QueueMessages {
    fn default() -> QueueMessages {
        QueueMessages {
            no_agent: "I'm sorry, no agent is available to take your call right now. Please try again later. Goodbye.".into(),
            voicemail: "All our agents are busy. Please leave a message after the tone, and press the hash key when you are done.".into(),
            voicemail_thanks: "Thank you, your message has been recorded. Goodbye.".into(),
            callback_confirmed: "Thank you. We will call you back at this number as soon as an agent is free. Goodbye.".into(),
            position_next: "You are next in the queue.".into(),
            position: "You are number {position} in the queue.".into(),
            wait_one_minute: "The estimated wait is about one minute.".into(),
            wait_minutes: "The estimated wait is about {minutes} minutes.".into(),
            callback_offer: "To be called back instead, press {digit}.".into(),
            whisper: "New caller. Topic: {topic}. Reason: {reason}.".into(),
        }
    }
}

impl QueueMessages {
    /// The position announcement: place in line, the estimated wait when known, the callback offer.
    pub fn announcement(
        &self,
        position: usize,
        estimated_wait: Option<std::time::Duration>,
        digit: char,
    ) -> String {
        let mut parts = vec![if position <= 1 {
            self.position_next.clone()
        } else {
            self.position.replace("{position}", &position.to_string())
        }];
        if let Some(wait) = estimated_wait {
            parts.push(match wait.as_secs().div_ceil(60) {
                0 | 1 => self.wait_one_minute.clone(),
                m => self.wait_minutes.replace("{minutes}", &m.to_string()),
            });
        }
        parts.push(self.callback_offer.replace("{digit}", &digit.to_string()));
        join_sentences(&parts)
    }

    /// The agent's whisper; `topic` is the last intent, if any was recognised.
    pub fn whisper(&self, topic: Option<&str>, reason: &str) -> String {
        let topic = topic
            .map(|i| i.replace('_', " "))
            .unwrap_or_else(|| "not recognised".to_string());
        self.whisper
            .replace("{topic}", &topic)
            .replace("{reason}", reason)
    }
}

/// Sentences joined by one space; an operator may blank one (`wait_minutes: ""`) to drop it.
fn join_sentences(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One sentence as written (if it was), where it goes, its name, and the placeholders it may use.
type MessageField<'a> = (
    &'a Option<Spanned<String>>,
    &'a mut String,
    &'static str,
    &'static [&'static str],
);

/// `messages:` as written, at the top of `queues.yaml` or in one queue.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMessages {
    no_agent: Option<Spanned<String>>,
    voicemail: Option<Spanned<String>>,
    voicemail_thanks: Option<Spanned<String>>,
    callback_confirmed: Option<Spanned<String>>,
    position_next: Option<Spanned<String>>,
    position: Option<Spanned<String>>,
    wait_one_minute: Option<Spanned<String>>,
    wait_minutes: Option<Spanned<String>>,
    callback_offer: Option<Spanned<String>>,
    whisper: Option<Spanned<String>>,
}

impl RawMessages {
    /// `base` with the sentences given here put in, each checked for placeholders it cannot fill.
    pub(crate) fn apply(
        &self,
        base: &QueueMessages,
        file: &Path,
        whose: &str,
    ) -> Result<QueueMessages, AcdError> {
        let mut out = base.clone();
        let fields: [MessageField; 10] = [
            (&self.no_agent, &mut out.no_agent, "no_agent", &[]),
            (&self.voicemail, &mut out.voicemail, "voicemail", &[]),
            (
                &self.voicemail_thanks,
                &mut out.voicemail_thanks,
                "voicemail_thanks",
                &[],
            ),
            (
                &self.callback_confirmed,
                &mut out.callback_confirmed,
                "callback_confirmed",
                &[],
            ),
            (
                &self.position_next,
                &mut out.position_next,
                "position_next",
                &[],
            ),
            (&self.position, &mut out.position, "position", &["position"]),
            (
                &self.wait_one_minute,
                &mut out.wait_one_minute,
                "wait_one_minute",
                &[],
            ),
            (
                &self.wait_minutes,
                &mut out.wait_minutes,
                "wait_minutes",
                &["minutes"],
            ),
            (
                &self.callback_offer,
                &mut out.callback_offer,
                "callback_offer",
                &["digit"],
            ),
            (
                &self.whisper,
                &mut out.whisper,
                "whisper",
                &["topic", "reason"],
            ),
        ];
        for (given, slot, name, allowed) in fields {
            let Some(text) = given else { continue };
            if let Some(unknown) = unknown_placeholder(&text.value, allowed) {
                let can = if allowed.is_empty() {
                    "it takes no placeholders".to_string()
                } else {
                    format!(
                        "it can use {}",
                        allowed
                            .iter()
                            .map(|a| format!("{{{a}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                return Err(config_error(
                    file,
                    line_of(text),
                    format!("{whose}message `{name}`: unknown placeholder {{{unknown}}}; {can}"),
                ));
            }
            *slot = text.value.trim().to_string();
        }
        Ok(out)
    }
}

/// The first `{name}` in `text` that is not in `allowed`.
fn unknown_placeholder(text: &str, allowed: &[&str]) -> Option<String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = after[..close].trim();
        if !allowed.contains(&name) {
            return Some(name.to_string());
        }
        rest = &after[close + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_default_announcements_are_todays_sentences() {
        let m = QueueMessages::default();
        assert_eq!(
            m.announcement(3, Some(Duration::from_secs(150)), '1'),
            "You are number 3 in the queue. The estimated wait is about 3 minutes. To be called back instead, press 1."
        );
        assert_eq!(
            m.announcement(1, Some(Duration::from_secs(20)), '9'),
            "You are next in the queue. The estimated wait is about one minute. To be called back instead, press 9."
        );
        assert_eq!(
            m.announcement(2, None, '1'),
            "You are number 2 in the queue. To be called back instead, press 1."
        );
        assert_eq!(
            m.whisper(Some("order_tracking"), "anger"),
            "New caller. Topic: order tracking. Reason: anger."
        );
        assert_eq!(
            m.whisper(None, "caller asked for a person"),
            "New caller. Topic: not recognised. Reason: caller asked for a person."
        );
    }

    #[test]
    fn a_blank_sentence_is_left_out() {
        let m = QueueMessages {
            callback_offer: String::new(),
            ..QueueMessages::default()
        };
        assert_eq!(
            m.announcement(2, None, '1'),
            "You are number 2 in the queue."
        );
    }

    #[test]
    fn placeholders_are_checked_against_what_each_sentence_can_use() {
        assert_eq!(
            unknown_placeholder("number {position}", &["position"]),
            None
        );
        assert_eq!(
            unknown_placeholder("number {postion}", &["position"]),
            Some("postion".into())
        );
        assert_eq!(unknown_placeholder("no braces", &[]), None);
    }
}
