//! What callers and agents hear from a queue, as the operator words it: today's sentences are the
//! defaults, and `queues.yaml` may reword or translate any of them, for all queues or for one.
//! Saying one is a pure fill of its `{placeholders}`.

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
    /// The whisper's `{topic}` when no intent was recognised.
    pub whisper_no_topic: String,
}

/// Each sentence's key in `queues.yaml` and the placeholders it may use, in the file's order.
pub const SENTENCE_KEYS: [(&str, &[&str]); 11] = [
    ("no_agent", &[]),
    ("voicemail", &[]),
    ("voicemail_thanks", &[]),
    ("callback_confirmed", &[]),
    ("position_next", &[]),
    ("position", &["position"]),
    ("wait_one_minute", &[]),
    ("wait_minutes", &["minutes"]),
    ("callback_offer", &["digit"]),
    ("whisper", &["topic", "reason"]),
    ("whisper_no_topic", &[]),
];

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
            whisper_no_topic: "not recognised".into(),
        }
    }
}

impl QueueMessages {
    /// The sentence stored under `key` (one of [`SENTENCE_KEYS`]).
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "no_agent" => &mut self.no_agent,
            "voicemail" => &mut self.voicemail,
            "voicemail_thanks" => &mut self.voicemail_thanks,
            "callback_confirmed" => &mut self.callback_confirmed,
            "position_next" => &mut self.position_next,
            "position" => &mut self.position,
            "wait_one_minute" => &mut self.wait_one_minute,
            "wait_minutes" => &mut self.wait_minutes,
            "callback_offer" => &mut self.callback_offer,
            "whisper" => &mut self.whisper,
            "whisper_no_topic" => &mut self.whisper_no_topic,
            _ => return None,
        })
    }

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
            fill(&self.position, &[("position", &position.to_string())])
        }];
        if let Some(wait) = estimated_wait {
            parts.push(match wait.as_secs().div_ceil(60) {
                0 | 1 => self.wait_one_minute.clone(),
                m => fill(&self.wait_minutes, &[("minutes", &m.to_string())]),
            });
        }
        parts.push(fill(&self.callback_offer, &[("digit", &digit.to_string())]));
        join_sentences(&parts)
    }

    /// The agent's whisper; `topic` is the last intent, if any was recognised.
    pub fn whisper(&self, topic: Option<&str>, reason: &str) -> String {
        let topic = topic
            .map(|i| i.replace('_', " "))
            .unwrap_or_else(|| self.whisper_no_topic.clone());
        fill(&self.whisper, &[("topic", &topic), ("reason", reason)])
    }

    /// The texts that are the same on every call, for the prompt cache to synthesise ahead: the
    /// fixed sentences, and the announcement's parts that need no number but the queue's digit.
    pub fn fixed_texts(&self, digit: char) -> Vec<String> {
        let texts = [
            self.no_agent.clone(),
            self.voicemail.clone(),
            self.voicemail_thanks.clone(),
            self.callback_confirmed.clone(),
            self.announcement(1, Some(std::time::Duration::ZERO), digit),
        ];
        texts.into_iter().filter(|t| !t.trim().is_empty()).collect()
    }
}

/// `template` with each `{name}` given in `values` replaced by its value (spaces inside the
/// braces allowed, as the load-time check allows them); anything else is left as written.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = after[..close].trim();
        match values.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
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
    fn the_whisper_says_the_operators_words_when_no_topic_was_recognised() {
        let m = QueueMessages {
            whisper: "Neuer Anruf: {topic}, {reason}.".into(),
            whisper_no_topic: "Thema unbekannt".into(),
            ..QueueMessages::default()
        };
        assert_eq!(
            m.whisper(None, "anger"),
            "Neuer Anruf: Thema unbekannt, anger."
        );
        assert_eq!(
            m.whisper(Some("lost_card"), "anger"),
            "Neuer Anruf: lost card, anger."
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
    fn fill_replaces_the_placeholders_it_is_given_and_keeps_the_rest() {
        assert_eq!(
            fill("Nummer {position}.", &[("position", "4")]),
            "Nummer 4."
        );
        assert_eq!(
            fill("{ position } / {position}", &[("position", "4")]),
            "4 / 4"
        );
        assert_eq!(
            fill(
                "{topic}: {reason}",
                &[("topic", "returns"), ("reason", "anger")]
            ),
            "returns: anger"
        );
        assert_eq!(
            fill("no {other} here", &[("position", "4")]),
            "no {other} here"
        );
        assert_eq!(fill("open {brace", &[("brace", "x")]), "open {brace");
        assert_eq!(fill("", &[]), "");
        assert_eq!(fill("Grüße {x}!", &[("x", "é")]), "Grüße é!");
    }

    #[test]
    fn fixed_texts_hold_every_sentence_said_the_same_on_every_call() {
        let m = QueueMessages {
            voicemail: String::new(),
            ..QueueMessages::default()
        };
        let texts = m.fixed_texts('7');
        assert_eq!(
            texts.len(),
            4,
            "a blank sentence is not prepared: {texts:?}"
        );
        assert!(texts.contains(&m.no_agent));
        assert!(texts.contains(
            &"You are next in the queue. The estimated wait is about one minute. To be called back instead, press 7.".to_string()
        ));
    }
}
