//! What happens to an answer at an `ask` or `menu`: corrections of earlier slots, slot
//! values (spoken or typed), menu words, intents with follow-ups resolved against the topic,
//! and reprompts when nothing fits.

use std::sync::Arc;
use std::time::Duration;

use super::{Action, Conversation, FilledSlot, Phase};
use crate::matcher::is_no_speech;
use crate::matcher::text::same_word;
use crate::schema::{AskNode, NodeKind, Route, SlotSpec};
use crate::slots::{parse_slot, tokens, SlotType};
use crate::template::render;

/// An input at a listening node.
pub(super) enum Heard {
    Speech(String),
    Key(char),
    Nothing,
    /// A `sensitive` answer replayed from its masked record.
    Withheld(Option<String>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Failure {
    NoInput,
    NoMatch,
}

/// Words that open a correction ("no, the order number is 4 5 6 7").
const CORRECTION_OPENERS: &[&str] = &[
    "no",
    "nope",
    "actually",
    "sorry",
    "wait",
    "wrong",
    "correction",
];
const CORRECTION_PHRASES: &[&[&str]] = &[
    &["i", "said"],
    &["i", "meant"],
    &["should", "be"],
    &["its", "not"],
    &["thats", "wrong"],
    &["not", "right"],
];

/// True when the caller is correcting something said earlier.
fn is_correction(words: &[String]) -> bool {
    words
        .first()
        .is_some_and(|w| CORRECTION_OPENERS.contains(&w.as_str()))
        || CORRECTION_PHRASES
            .iter()
            .any(|p| words.windows(p.len()).any(|w| w == *p))
}

/// True when the words open like a follow-up: "and ...", "so ...", "what about ...".
fn opens_follow_up(words: &[String]) -> bool {
    const OPENERS: &[&str] = &["and", "also", "so", "then", "but"];
    words.first().is_some_and(|w| OPENERS.contains(&w.as_str()))
        || words.starts_with(&["what".to_string(), "about".to_string()])
        || words.starts_with(&["how".to_string(), "about".to_string()])
}

/// True for a follow-up that leans on the previous topic: "and how long does that take?",
/// "how long does that take?", "how much is it?".
pub(super) fn is_follow_up(words: &[String]) -> bool {
    const POINTERS: &[&str] = &["that", "this", "those", "them", "thats"];
    opens_follow_up(words)
        || words.iter().any(|w| POINTERS.contains(&w.as_str()))
        || (words.len() <= 5 && words.iter().any(|w| w == "it" || w == "its"))
}

/// A short follow-up that names no subject of its own ("and that?", "so what about it?"):
/// it is about the previous topic even when no intent matches.
fn is_bare_follow_up(words: &[String]) -> bool {
    opens_follow_up(words) && words.len() <= 6
}

/// Whether the caller said one of a menu choice's words, or its key ("one", "option two").
fn says_choice(route: &Route, words: &[String]) -> bool {
    let phrase_said = route.phrases.iter().any(|phrase| {
        let phrase = tokens(phrase);
        !phrase.is_empty()
            && words
                .windows(phrase.len())
                .any(|w| w.iter().zip(&phrase).all(|(a, b)| same_word(a, b)))
    });
    let key_said = route.dtmf.is_some_and(|key| {
        let digit = key.to_digit(10);
        words.len() <= 3
            && words.iter().any(|w| {
                *w == key.to_string()
                    || digit.is_some_and(|d| crate::say_as::number_words(u64::from(d)) == *w)
            })
    });
    phrase_said || key_said
}

impl Conversation {
    pub(super) fn listen_input(&mut self, heard: Heard, now: Duration, actions: &mut Vec<Action>) {
        let flow = Arc::clone(&self.flow);
        let Some(ask) = flow.node(&self.node).and_then(|n| match &n.kind {
            NodeKind::Ask(ask) | NodeKind::Menu(ask) => Some(ask),
            _ => None,
        }) else {
            self.finish(
                actions,
                "conversation lost its place in the flow".to_string(),
            );
            return;
        };
        match heard {
            Heard::Nothing if !self.digits.is_empty() => {
                let typed = std::mem::take(&mut self.digits);
                self.typed(ask, &typed, now, actions);
            }
            Heard::Nothing => self.fail(ask, Failure::NoInput, now, actions),
            Heard::Speech(text) if is_no_speech(&text) => {
                self.fail(ask, Failure::NoInput, now, actions)
            }
            Heard::Speech(text) => self.speech(ask, &text, now, actions),
            Heard::Key(key) => self.key(ask, key.to_ascii_uppercase(), now, actions),
            Heard::Withheld(value) => self.withheld(ask, value, now, actions),
        }
    }

    /// A `sensitive` answer known only by its masked value: it fills the slot as it is, or
    /// (without a value) goes where speech that matched nothing goes.
    fn withheld(
        &mut self,
        ask: &AskNode,
        value: Option<String>,
        now: Duration,
        actions: &mut Vec<Action>,
    ) {
        self.digits.clear();
        self.variables.insert(
            "last_utterance".to_string(),
            crate::privacy::WITHHELD.to_string(),
        );
        match (value, &ask.slot) {
            (Some(value), Some(slot)) => self.fill(ask, slot, value, now, actions),
            _ => {
                self.matched(None, 0.0, actions);
                self.unmatched(ask, now, actions);
            }
        }
    }

    /// Speech that named no route: an optional slot is left empty, else `otherwise` or a
    /// no-match reprompt.
    fn unmatched(&mut self, ask: &AskNode, now: Duration, actions: &mut Vec<Action>) {
        match &ask.slot {
            Some(slot) if !slot.required => {
                let next = ask.next.as_ref().map(|n| n.value.clone());
                self.assign(&slot.name, String::new(), actions);
                if let Some(next) = next {
                    self.enter(&next, now, actions);
                }
            }
            _ => match &ask.otherwise {
                Some(target) => self.enter(&target.value, now, actions),
                None => self.fail(ask, Failure::NoMatch, now, actions),
            },
        }
    }

    fn speech(&mut self, ask: &AskNode, text: &str, now: Duration, actions: &mut Vec<Action>) {
        // A sensitive answer is not kept where a template could say it back.
        let shown = match &ask.slot {
            Some(slot) if slot.sensitive => crate::privacy::WITHHELD.to_string(),
            _ => text.trim().to_string(),
        };
        self.variables.insert("last_utterance".to_string(), shown);
        self.digits.clear();
        if !ask.listen.speech {
            self.matched(None, 0.0, actions);
            return self.fail(ask, Failure::NoMatch, now, actions);
        }
        let words = tokens(text);
        if let Some((slot, value)) = self.correction(ask, &words, text) {
            actions.push(Action::SlotFilled {
                slot: slot.name.clone(),
                value: value.clone(),
                node: self.node.clone(),
            });
            self.assign(&slot.name, value, actions);
            return self.enter(&slot.next, now, actions);
        }
        if let Some(slot) = &ask.slot {
            if let Some(value) = parse_slot(slot.kind, text, slot.length, self.today) {
                return self.fill(ask, slot, value, now, actions);
            }
        }
        if let Some(route) = ask.routes.iter().find(|r| says_choice(r, &words)) {
            let intent = route.intent.as_ref().map(|i| i.value.clone());
            self.matched(intent.clone(), 1.0, actions);
            return self.take(route, intent, now, actions);
        }
        let found = self.matcher.classify(text);
        let follow_up = is_follow_up(&words);
        let topic = self
            .variables
            .get("last_intent")
            .filter(|t| !t.is_empty())
            .cloned();
        let (intent, score) = match (&found, follow_up, &topic) {
            (Some(m), _, _) => (Some(m.intent.clone()), m.score),
            (None, _, Some(topic)) if is_bare_follow_up(&words) => (Some(topic.clone()), 0.0),
            (None, _, _) => (None, 0.0),
        };
        let flow = Arc::clone(&self.flow);
        let same_intent = |r: &Route| r.intent.as_ref().map(|i| i.as_str()) == intent.as_deref();
        let on_topic =
            |r: &Route| follow_up && r.topic.as_ref().map(|t| t.as_str()) == topic.as_deref();
        let routes = || ask.routes.iter().chain(flow.global_routes());
        let route = routes()
            .find(|r| same_intent(r) && r.topic.is_some() && on_topic(r))
            .or_else(|| routes().find(|r| same_intent(r) && r.topic.is_none()));
        // The trace names an intent only when its route is taken here: a candidate with no route
        // at this node is a no-match (with its score), not a match.
        let routed = route.is_some() && intent.is_some();
        self.matched(intent.clone().filter(|_| routed), score, actions);
        match route {
            Some(route) if routed => self.take(route, intent, now, actions),
            _ => self.unmatched(ask, now, actions),
        }
    }

    fn key(&mut self, ask: &AskNode, key: char, now: Duration, actions: &mut Vec<Action>) {
        if ask.listen.dtmf {
            if let Some(slot) = &ask.slot {
                if slot.kind == SlotType::YesNo && matches!(key, '1' | '2') {
                    let value = if key == '1' { "yes" } else { "no" };
                    return self.fill(ask, slot, value.to_string(), now, actions);
                }
                if slot.kind.takes_keypad_digits() {
                    match key {
                        '0'..='9' => {
                            self.digits.push(key);
                            if slot.length == Some(self.digits.len()) {
                                let typed = std::mem::take(&mut self.digits);
                                return self.typed(ask, &typed, now, actions);
                            }
                            return self.listen_for_digits(ask, now, actions);
                        }
                        '#' if !self.digits.is_empty() => {
                            let typed = std::mem::take(&mut self.digits);
                            return self.typed(ask, &typed, now, actions);
                        }
                        '*' => {
                            self.digits.clear();
                            return self.listen_for_digits(ask, now, actions);
                        }
                        _ => {}
                    }
                }
            }
        }
        let flow = Arc::clone(&self.flow);
        let route = if ask.listen.dtmf {
            ask.routes
                .iter()
                .chain(flow.global_routes())
                .find(|r| r.dtmf == Some(key))
        } else {
            None
        };
        let intent = route.and_then(|r| r.intent.as_ref().map(|i| i.value.clone()));
        self.matched(
            intent.clone(),
            if route.is_some() { 1.0 } else { 0.0 },
            actions,
        );
        match route {
            Some(route) => self.take(route, intent, now, actions),
            None => self.fail(ask, Failure::NoMatch, now, actions),
        }
    }

    /// Keys typed for a slot, ended by `#`, the slot's length, or a pause.
    fn typed(&mut self, ask: &AskNode, typed: &str, now: Duration, actions: &mut Vec<Action>) {
        let value = ask.slot.as_ref().and_then(|slot| {
            parse_slot(slot.kind, typed, slot.length, self.today).map(|v| (slot, v))
        });
        match value {
            Some((slot, value)) => self.fill(ask, slot, value, now, actions),
            None => self.fail(ask, Failure::NoMatch, now, actions),
        }
    }

    fn listen_for_digits(&mut self, ask: &AskNode, now: Duration, actions: &mut Vec<Action>) {
        let timeout = self.flow.settings().digit_timeout;
        self.phase = Phase::Listening {
            since: now,
            timeout,
        };
        actions.push(Action::Listen {
            timeout,
            speech: ask.listen.speech,
            dtmf: true,
        });
    }

    fn fill(
        &mut self,
        ask: &AskNode,
        slot: &SlotSpec,
        value: String,
        now: Duration,
        actions: &mut Vec<Action>,
    ) {
        actions.push(Action::SlotFilled {
            slot: slot.name.value.clone(),
            value: value.clone(),
            node: self.node.clone(),
        });
        self.assign(&slot.name, value, actions);
        let Some(next) = ask.next.as_ref().map(|n| n.value.clone()) else {
            return self.finish(actions, "slot question has no next node".to_string());
        };
        self.filled.retain(|f| f.name != slot.name.value);
        self.filled.push(FilledSlot {
            name: slot.name.value.clone(),
            kind: slot.kind,
            length: slot.length,
            next: next.clone(),
        });
        self.enter(&next, now, actions);
    }

    /// An earlier slot the caller is correcting, with its new value. Slots the caller names
    /// ("the order number is ...") come first, then the most recent.
    fn correction(
        &self,
        ask: &AskNode,
        words: &[String],
        text: &str,
    ) -> Option<(FilledSlot, String)> {
        if self.filled.is_empty() || !is_correction(words) {
            return None;
        }
        let own = ask.slot.as_ref().map(|s| s.name.value.as_str());
        let names = |slot: &FilledSlot| {
            slot.name
                .split('_')
                .filter(|part| part.len() >= 4)
                .any(|part| {
                    crate::slots::spoken_number(part).is_none()
                        && words.iter().any(|w| w.starts_with(part))
                })
        };
        let candidates = self.filled.iter().rev().filter(|f| {
            Some(f.name.as_str()) != own && f.kind != SlotType::YesNo && !f.kind.takes_anything()
        });
        let (named, unnamed): (Vec<&FilledSlot>, Vec<&FilledSlot>) =
            candidates.partition(|f| names(f));
        named.into_iter().chain(unnamed).find_map(|slot| {
            parse_slot(slot.kind, text, slot.length, self.today).map(|v| (slot.clone(), v))
        })
    }

    fn take(
        &mut self,
        route: &Route,
        intent: Option<String>,
        now: Duration,
        actions: &mut Vec<Action>,
    ) {
        if let Some(intent) = intent {
            self.assign("last_intent", intent, actions);
        }
        self.enter(&route.next.value, now, actions);
    }

    fn matched(&self, intent: Option<String>, score: f32, actions: &mut Vec<Action>) {
        actions.push(Action::Matched {
            intent,
            score,
            node: self.node.clone(),
        });
    }

    fn fail(&mut self, ask: &AskNode, failure: Failure, now: Duration, actions: &mut Vec<Action>) {
        self.failures += 1;
        self.digits.clear();
        let allowed = ask
            .max_retries
            .unwrap_or_else(|| self.flow.settings().max_failures.saturating_sub(1));
        if self.failures > allowed {
            let flow = Arc::clone(&self.flow);
            let target = ask
                .on_failure
                .as_ref()
                .map(|t| t.as_str())
                .or(flow.on_failure())
                .or(flow.escalation());
            match target {
                Some(target) => self.enter(target, now, actions),
                None => self.finish(actions, "too many failed attempts".to_string()),
            }
            return;
        }
        let reprompt = match failure {
            Failure::NoInput => ask.no_input.as_ref(),
            Failure::NoMatch => ask.no_match.as_ref(),
        };
        self.say(reprompt.unwrap_or(&ask.prompt), actions);
        self.listen(ask, now, actions);
    }

    pub(super) fn say(&self, text: &str, actions: &mut Vec<Action>) {
        actions.push(Action::Say {
            text: render(text, &self.variables, self.flow.settings().currency),
        });
    }

    pub(super) fn listen(&mut self, ask: &AskNode, now: Duration, actions: &mut Vec<Action>) {
        let timeout = ask.timeout.unwrap_or(self.flow.settings().no_input_timeout);
        self.phase = Phase::Listening {
            since: now,
            timeout,
        };
        actions.push(Action::Listen {
            timeout,
            speech: ask.listen.speech,
            dtmf: ask.listen.dtmf,
        });
    }
}
