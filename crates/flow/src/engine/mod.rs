//! The dialogue engine: a pure state machine that walks a `Flow` for one call. It takes caller
//! input (and the runtime's answers to its requests) stamped with the time since the call
//! started, and returns what the runtime should do. Listening is in `listen`, the nodes that
//! run straight through or wait for the runtime in `steps`, API calls in `http`.

mod http;
mod listen;
mod steps;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::faq::{FaqAnswerer, KeywordFaq};
use crate::flow::Flow;
use crate::matcher::IntentMatcher;
use crate::schema::NodeKind;
use crate::slots::{CalendarDate, SlotType};

pub use http::HttpRequest;

/// What the caller did, or what the runtime answers to an action that waits for it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CallerInput {
    /// A transcript of what the caller said (Whisper output, as is).
    Speech {
        /// The transcript; noise markers such as `[BLANK_AUDIO]` count as no input.
        text: String,
        /// ASR confidence in `0.0..=1.0` (kept for the record; not used for routing yet).
        confidence: f32,
    },
    /// A transcript with the caller's anger score from the voice (`0.0..=1.0`). Above
    /// `settings.anger_threshold` it escalates like [`CallerInput::Anger`]; otherwise it is
    /// handled as `Speech`.
    SpeechWithMood {
        /// The transcript.
        text: String,
        /// ASR confidence.
        confidence: f32,
        /// Anger score of the utterance.
        anger: f32,
    },
    /// A keypad press (`0`-`9`, `*`, `#`, `A`-`D`).
    Dtmf(char),
    /// The caller said nothing before the `Listen` timeout.
    NoInput,
    /// The caller sounds angry (score `0.0..=1.0`, from the voice). Above
    /// `settings.anger_threshold` the call goes to the node's `on_anger` or the flow's
    /// `escalation`, with reason `anger`; otherwise nothing happens.
    Anger {
        /// Anger score.
        score: f32,
    },
    /// The answer to [`Action::Http`]: the status, or `None` after a timeout or connection
    /// failure, and the body text.
    HttpResult {
        /// HTTP status code, `None` when no answer came.
        status: Option<u16>,
        /// Response body (JSON expected when the node maps fields).
        body: String,
    },
    /// The answer to [`Action::Record`]: where the recording was stored and how long it is.
    Recorded {
        /// File path (or URL) of the recording; empty when nothing was recorded.
        path: String,
        /// Length of the recording.
        duration: Duration,
    },
    /// The answer to [`Action::Ticket`]: the new ticket's id, empty if it could not be
    /// created.
    TicketCreated {
        /// Ticket id.
        id: String,
    },
    /// An answer at a `sensitive` slot, replayed from a record that kept only its masked form:
    /// `Some` fills the slot with the value as it is (the masked value); `None` is an answer
    /// that filled nothing (as speech that matched nothing).
    Withheld {
        /// The masked value the slot was filled with, if it was.
        value: Option<String>,
    },
    /// The caller hung up.
    Hangup,
}

/// What the runtime should do next, in order.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Speak this text.
    Say {
        /// Text with variables filled in.
        text: String,
    },
    /// Wait for caller input; send `CallerInput::NoInput` if nothing comes within `timeout`.
    Listen {
        /// How long to wait after the bot stops speaking.
        timeout: Duration,
        /// Whether speech is accepted.
        speech: bool,
        /// Whether keypad presses are accepted.
        dtmf: bool,
    },
    /// Hand the call to a human queue. The conversation is finished.
    Transfer {
        /// Queue name.
        queue: String,
        /// Why (for the agent and the call record); `anger` after an anger escalation.
        reason: String,
    },
    /// End the call. The conversation is finished.
    Hangup {
        /// Why (for the call record).
        reason: String,
    },
    /// Trace of how an input was understood, for call records. `intent` is the intent the
    /// matcher chose when its route was taken (for DTMF: the route's intent), `None` when nothing
    /// matched or the best intent has no route here (`score` is then that intent's); `node` is the
    /// `ask` node where the input arrived. A score of 0.0 with an intent means the intent was
    /// taken from the conversation's topic (a follow-up such as "and how long does that take?").
    Matched {
        /// Matched intent, if any.
        intent: Option<String>,
        /// Matcher score (1.0 for a routed key press or menu word, 0.0 for an unrouted one).
        score: f32,
        /// The node that was listening.
        node: String,
    },
    /// Send this request to the business's API, then answer with `CallerInput::HttpResult`
    /// (status `None` if `timeout` passes). Resolve `{env.NAME}` secrets with
    /// [`HttpRequest::with_secrets`] just before sending; log this action, never the result.
    Http(HttpRequest),
    /// Play a beep if asked, record the caller for at most `max` (stop early on a long
    /// silence or `#`), then answer with `CallerInput::Recorded`.
    Record {
        /// Longest recording.
        max: Duration,
        /// Whether to beep first.
        beep: bool,
    },
    /// Create a ticket, then answer with `CallerInput::TicketCreated` (empty id on failure).
    Ticket {
        /// One-line summary.
        summary: String,
        /// Further fields, in flow order.
        fields: Vec<(String, String)>,
    },
    /// Keep this value for the caller's next call; it comes back as `caller.<key>`.
    Remember {
        /// Variable name.
        key: String,
        /// Its value.
        value: String,
    },
    /// Switch speech recognition and the voice to this language (the variable `language`
    /// was set, e.g. from the caller's remembered preference).
    Language {
        /// Language code, e.g. `de`.
        code: String,
    },
    /// Trace: a slot was filled (or corrected) from the caller's answer.
    SlotFilled {
        /// Slot (variable) name.
        slot: String,
        /// Canonical value, e.g. `4567` or `1980-03-05`.
        value: String,
        /// The node that was listening.
        node: String,
    },
    /// Trace: an `faq` node looked for an answer.
    FaqAnswered {
        /// The entry answered from, `None` when no answer was good enough.
        entry: Option<String>,
        /// Best score found (0.0 when nothing was related).
        score: f32,
        /// The `faq` node.
        node: String,
    },
}

/// Names of the slots the flow marks `sensitive`.
fn sensitive_slots(flow: &Flow) -> Vec<String> {
    let mut names: Vec<String> = flow
        .nodes()
        .iter()
        .filter_map(|node| match &node.kind {
            NodeKind::Ask(ask) | NodeKind::Menu(ask) => ask.slot.as_ref(),
            _ => None,
        })
        .filter(|slot| slot.sensitive)
        .map(|slot| slot.name.value.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    NotStarted,
    Listening {
        since: Duration,
        timeout: Duration,
    },
    /// Waiting for the runtime's answer to an action.
    Waiting(Wait),
    Finished,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Wait {
    Http,
    Recording,
    Ticket,
}

/// A slot filled earlier in the call, which the caller may still correct.
#[derive(Clone, Debug)]
struct FilledSlot {
    name: String,
    kind: SlotType,
    length: Option<usize>,
    /// Where the flow went after the slot was filled; a correction goes there again.
    next: String,
}

/// One call's place in a flow, and everything it remembers: variables, filled slots, the
/// topic (`{last_intent}`), what the caller last said (`{last_utterance}`).
pub struct Conversation {
    flow: Arc<Flow>,
    matcher: Arc<dyn IntentMatcher + Send + Sync>,
    faq: Arc<dyn FaqAnswerer + Send + Sync>,
    node: String,
    phase: Phase,
    failures: u32,
    variables: HashMap<String, String>,
    today: Option<CalendarDate>,
    /// Keys typed so far for a slot.
    digits: String,
    filled: Vec<FilledSlot>,
    /// Reason for the next transfer (set by an anger escalation).
    escalation_reason: Option<String>,
    /// Names of the flow's `sensitive` slots.
    sensitive: Vec<String>,
}

impl Conversation {
    /// A conversation at the flow's start node; nothing happens until [`Conversation::start`].
    /// FAQ nodes answer with a [`KeywordFaq`] over the flow's entries unless
    /// [`Conversation::with_faq`] gives another answerer.
    pub fn new(flow: Arc<Flow>, matcher: Arc<dyn IntentMatcher + Send + Sync>) -> Self {
        let sensitive = sensitive_slots(&flow);
        let mut variables = flow.variables().clone();
        variables.insert("language".to_string(), flow.settings().language.clone());
        variables.insert("anger".to_string(), format_score(0.0));
        Conversation {
            node: flow.start().to_string(),
            faq: Arc::new(KeywordFaq::new(&flow)),
            variables,
            flow,
            matcher,
            phase: Phase::NotStarted,
            failures: 0,
            today: None,
            digits: String::new(),
            filled: Vec::new(),
            escalation_reason: None,
            sensitive,
        }
    }

    /// Uses `faq` to answer at `faq` nodes.
    pub fn with_faq(mut self, faq: Arc<dyn FaqAnswerer + Send + Sync>) -> Self {
        self.faq = faq;
        self
    }

    /// What Hotline knows about the caller from earlier calls (`last_intent`,
    /// `open_ticket`, `language`, `calls_count` ...), available as `{caller.<key>}`.
    pub fn with_caller_memory(
        mut self,
        memory: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        for (key, value) in memory {
            self.variables.insert(format!("caller.{key}"), value);
        }
        self
    }

    /// Today's date, for date slots such as "tomorrow" or "next Tuesday".
    pub fn with_today(mut self, today: CalendarDate) -> Self {
        self.today = Some(today);
        self
    }

    /// Sets a variable used by `{name}` placeholders (e.g. the caller's name).
    pub fn set_variable(&mut self, name: &str, value: &str) {
        self.variables.insert(name.to_string(), value.to_string());
    }

    /// The current value of a variable (`caller.*` facts included).
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }

    /// All variables and their current values.
    pub fn variables(&self) -> &HashMap<String, String> {
        &self.variables
    }

    /// Runs the flow from its start node until it waits for input or ends.
    /// `now` is the time since the call started. Calling it twice does nothing.
    pub fn start(&mut self, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.phase == Phase::NotStarted {
            let start = self.flow.start().to_string();
            self.enter(&start, now, &mut actions);
        }
        actions
    }

    /// Feeds one caller input or runtime answer. Returns nothing when the conversation is not
    /// waiting for that kind of input (not started yet, finished, or waiting for another).
    pub fn handle(&mut self, input: CallerInput, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        if input == CallerInput::Hangup {
            self.phase = Phase::Finished;
            return actions;
        }
        if matches!(self.phase, Phase::NotStarted | Phase::Finished) {
            return actions;
        }
        let listening = matches!(self.phase, Phase::Listening { .. });
        if let CallerInput::Anger { score: anger } | CallerInput::SpeechWithMood { anger, .. } =
            &input
        {
            // The latest anger score, for the flow's own conditions (`if: "anger > 0.5"`).
            self.variables
                .insert("anger".to_string(), format_score(*anger));
        }
        match input {
            CallerInput::Anger { score } => self.anger(score, now, &mut actions),
            CallerInput::SpeechWithMood { text, anger, .. } => {
                if self.anger_escalates(anger) {
                    let shown = match self.sensitive_slot() {
                        Some(_) => crate::privacy::WITHHELD.to_string(),
                        None => text.trim().to_string(),
                    };
                    self.variables.insert("last_utterance".to_string(), shown);
                    self.anger(anger, now, &mut actions);
                } else if listening {
                    self.listen_input(listen::Heard::Speech(text), now, &mut actions);
                }
            }
            CallerInput::Speech { text, .. } if listening => {
                self.listen_input(listen::Heard::Speech(text), now, &mut actions)
            }
            CallerInput::Dtmf(key) if listening => {
                self.listen_input(listen::Heard::Key(key), now, &mut actions)
            }
            CallerInput::Withheld { value } if listening => {
                self.listen_input(listen::Heard::Withheld(value), now, &mut actions)
            }
            CallerInput::NoInput if listening => {
                self.listen_input(listen::Heard::Nothing, now, &mut actions)
            }
            CallerInput::HttpResult { status, body }
                if self.phase == Phase::Waiting(Wait::Http) =>
            {
                self.http_result(status, &body, now, &mut actions)
            }
            CallerInput::Recorded { path, duration }
                if self.phase == Phase::Waiting(Wait::Recording) =>
            {
                self.recorded(path, duration, now, &mut actions)
            }
            CallerInput::TicketCreated { id } if self.phase == Phase::Waiting(Wait::Ticket) => {
                self.ticket_created(id, now, &mut actions)
            }
            _ => {}
        }
        actions
    }

    /// The `sensitive` slot the conversation is listening for, if it is: the caller's next
    /// words or keys are personal data.
    pub fn sensitive_slot(&self) -> Option<&str> {
        if !matches!(self.phase, Phase::Listening { .. }) {
            return None;
        }
        match self.flow.node(&self.node).map(|n| &n.kind) {
            Some(NodeKind::Ask(ask) | NodeKind::Menu(ask)) => ask
                .slot
                .as_ref()
                .filter(|slot| slot.sensitive)
                .map(|slot| slot.name.value.as_str()),
            _ => None,
        }
    }

    /// The flow this conversation runs (the version the call started on).
    pub fn flow(&self) -> &Arc<Flow> {
        &self.flow
    }

    /// The kind of value the current `ask` or `menu` node collects, if it has a slot: what the
    /// caller's next words are expected to be (told to the recogniser). Read whether or not the
    /// bot has finished asking, since callers answer over the end of a question.
    pub fn expected_slot(&self) -> Option<SlotType> {
        if self.phase == Phase::Finished {
            return None;
        }
        match self.flow.node(&self.node).map(|n| &n.kind) {
            Some(NodeKind::Ask(ask) | NodeKind::Menu(ask)) => {
                ask.slot.as_ref().map(|slot| slot.kind)
            }
            _ => None,
        }
    }

    /// Whether `name` is one of the flow's `sensitive` slots.
    pub fn is_sensitive(&self, name: &str) -> bool {
        self.sensitive.iter().any(|s| s == name)
    }

    /// `text` (something the flow said, a ticket, a trace line) with the values of the
    /// `sensitive` slots filled so far masked, in every form a template could have said them.
    pub fn redact(&self, text: &str) -> String {
        let values = self
            .sensitive
            .iter()
            .filter_map(|name| self.variables.get(name))
            .map(String::as_str);
        crate::privacy::redact(text, values, self.flow.settings().currency)
    }

    /// Id of the node the conversation is at (the start node before `start`).
    pub fn current_node(&self) -> &str {
        &self.node
    }

    /// True once the flow transferred or hung up, or the caller hung up.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// True while keys typed for a slot wait for `#`, the slot's length or a pause (`NoInput`
    /// at the listen deadline ends the entry).
    pub fn collecting_digits(&self) -> bool {
        !self.digits.is_empty()
    }

    /// When the current `Listen` times out (time since call start), if listening.
    pub fn listen_deadline(&self) -> Option<Duration> {
        match self.phase {
            Phase::Listening { since, timeout } => Some(since + timeout),
            _ => None,
        }
    }

    /// True when `score` is above the flow's threshold and there is somewhere to go.
    fn anger_escalates(&self, score: f32) -> bool {
        score > self.flow.settings().anger_threshold && self.anger_target().is_some()
    }

    /// The current node's `on_anger`, else the flow's `escalation`, unless already there.
    fn anger_target(&self) -> Option<String> {
        let own = match self.flow.node(&self.node).map(|n| &n.kind) {
            Some(NodeKind::Ask(ask) | NodeKind::Menu(ask)) => {
                ask.on_anger.as_ref().map(|t| t.value.clone())
            }
            _ => None,
        };
        own.or_else(|| self.flow.escalation().map(str::to_string))
            .filter(|target| *target != self.node)
    }

    fn anger(&mut self, score: f32, now: Duration, actions: &mut Vec<Action>) {
        if !self.anger_escalates(score) {
            return;
        }
        let Some(target) = self.anger_target() else {
            return;
        };
        self.escalation_reason = Some("anger".to_string());
        self.assign("escalation_reason", "anger".to_string(), actions);
        self.digits.clear();
        self.enter(&target, now, actions);
    }

    /// Sets a variable from the flow, telling the runtime when it must remember it or switch
    /// language.
    fn assign(&mut self, name: &str, value: String, actions: &mut Vec<Action>) {
        let changed = self.variables.get(name) != Some(&value);
        if changed && name == "language" && !value.trim().is_empty() {
            actions.push(Action::Language {
                code: value.trim().to_string(),
            });
        }
        if changed && self.flow.remember().iter().any(|r| r == name) {
            actions.push(Action::Remember {
                key: name.to_string(),
                value: value.clone(),
            });
        }
        self.variables.insert(name.to_string(), value);
    }

    fn finish(&mut self, actions: &mut Vec<Action>, reason: String) {
        actions.push(Action::Hangup { reason });
        self.phase = Phase::Finished;
    }
}

/// A score as the flow's `{anger}` variable holds it: two decimals, `0.00` to `1.00`.
fn format_score(score: f32) -> String {
    format!("{:.2}", score.clamp(0.0, 1.0))
}

#[cfg(test)]
mod routing_tests;
#[cfg(test)]
mod sensitive_tests;
#[cfg(test)]
mod steps_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
