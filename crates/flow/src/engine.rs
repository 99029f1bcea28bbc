//! The dialogue engine: a pure state machine that walks a `Flow` for one call. It takes caller
//! input stamped with the time since the call started and returns what the runtime should do.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::flow::Flow;
use crate::matcher::{is_no_speech, IntentMatcher};
use crate::schema::{AskNode, NodeKind, Route};
use crate::template::render;

/// What the caller did.
#[derive(Clone, Debug, PartialEq)]
pub enum CallerInput {
    /// A transcript of what the caller said (Whisper output, as is).
    Speech {
        /// The transcript; noise markers such as `[BLANK_AUDIO]` count as no input.
        text: String,
        /// ASR confidence in `0.0..=1.0` (kept for the record; not used for routing yet).
        confidence: f32,
    },
    /// A keypad press (`0`-`9`, `*`, `#`, `A`-`D`).
    Dtmf(char),
    /// The caller said nothing before the `Listen` timeout.
    NoInput,
    /// The caller hung up.
    Hangup,
}

/// What the runtime should do next, in order.
#[derive(Clone, Debug, PartialEq)]
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
        /// Why (for the agent and the call record).
        reason: String,
    },
    /// End the call. The conversation is finished.
    Hangup {
        /// Why (for the call record).
        reason: String,
    },
    /// Trace of how an input was understood, for call records. `intent` is the intent the
    /// matcher chose (for DTMF: the route's intent), `None` when nothing matched; `node` is the
    /// `ask` node where the input arrived.
    Matched {
        /// Matched intent, if any.
        intent: Option<String>,
        /// Matcher score (1.0 for a routed key press, 0.0 for an unrouted one).
        score: f32,
        /// The node that was listening.
        node: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    NotStarted,
    Listening { since: Duration, timeout: Duration },
    Finished,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Failure {
    NoInput,
    NoMatch,
}

/// One call's place in a flow.
pub struct Conversation {
    flow: Arc<Flow>,
    matcher: Arc<dyn IntentMatcher + Send + Sync>,
    node: String,
    phase: Phase,
    failures: u32,
    variables: HashMap<String, String>,
}

impl Conversation {
    /// A conversation at the flow's start node; nothing happens until [`Conversation::start`].
    pub fn new(flow: Arc<Flow>, matcher: Arc<dyn IntentMatcher + Send + Sync>) -> Self {
        Conversation {
            node: flow.start().to_string(),
            variables: flow.variables().clone(),
            flow,
            matcher,
            phase: Phase::NotStarted,
            failures: 0,
        }
    }

    /// Sets a variable used by `{name}` placeholders (e.g. the caller's name).
    pub fn set_variable(&mut self, name: &str, value: &str) {
        self.variables.insert(name.to_string(), value.to_string());
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

    /// Feeds one caller input. Returns nothing when the conversation is not listening
    /// (not started yet, or finished).
    pub fn handle(&mut self, input: CallerInput, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        if input == CallerInput::Hangup {
            self.phase = Phase::Finished;
            return actions;
        }
        if !matches!(self.phase, Phase::Listening { .. }) {
            return actions;
        }
        let flow = Arc::clone(&self.flow);
        let Some(NodeKind::Ask(ask)) = flow.node(&self.node).map(|n| &n.kind) else {
            self.finish(
                &mut actions,
                "conversation lost its place in the flow".to_string(),
            );
            return actions;
        };
        match input {
            CallerInput::NoInput | CallerInput::Hangup => {
                self.fail(ask, Failure::NoInput, now, &mut actions)
            }
            CallerInput::Speech { text, .. } if is_no_speech(&text) => {
                self.fail(ask, Failure::NoInput, now, &mut actions)
            }
            CallerInput::Speech { text, .. } => {
                let found = if ask.listen.speech {
                    self.matcher.classify(&text)
                } else {
                    None
                };
                let route = found.as_ref().and_then(|m| {
                    find_route(ask, flow.global_routes(), |r| {
                        r.intent.as_ref().map(|i| i.as_str()) == Some(m.intent.as_str())
                    })
                });
                actions.push(Action::Matched {
                    intent: found.as_ref().map(|m| m.intent.clone()),
                    score: found.as_ref().map_or(0.0, |m| m.score),
                    node: self.node.clone(),
                });
                match route {
                    Some(route) => self.enter(&route.next, now, &mut actions),
                    None => self.fail(ask, Failure::NoMatch, now, &mut actions),
                }
            }
            CallerInput::Dtmf(key) => {
                let key = key.to_ascii_uppercase();
                let route = if ask.listen.dtmf {
                    find_route(ask, flow.global_routes(), |r| r.dtmf == Some(key))
                } else {
                    None
                };
                actions.push(Action::Matched {
                    intent: route.and_then(|r| r.intent.as_ref().map(|i| i.value.clone())),
                    score: if route.is_some() { 1.0 } else { 0.0 },
                    node: self.node.clone(),
                });
                match route {
                    Some(route) => self.enter(&route.next, now, &mut actions),
                    None => self.fail(ask, Failure::NoMatch, now, &mut actions),
                }
            }
        }
        actions
    }

    /// Id of the node the conversation is at (the start node before `start`).
    pub fn current_node(&self) -> &str {
        &self.node
    }

    /// True once the flow transferred or hung up, or the caller hung up.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// When the current `Listen` times out (time since call start), if listening.
    pub fn listen_deadline(&self) -> Option<Duration> {
        match self.phase {
            Phase::Listening { since, timeout } => Some(since + timeout),
            _ => None,
        }
    }

    /// Runs nodes from `id` until one waits for input or ends the call.
    fn enter(&mut self, id: &str, now: Duration, actions: &mut Vec<Action>) {
        let flow = Arc::clone(&self.flow);
        let mut id = id.to_string();
        // A validated flow has no say-only loops; the bound keeps a bad one from spinning.
        for _ in 0..=flow.nodes().len() {
            let Some(node) = flow.node(&id) else {
                self.finish(actions, format!("flow has no node `{id}`"));
                return;
            };
            self.node = node.id.clone();
            match &node.kind {
                NodeKind::Say(say) => {
                    self.say(&say.text, actions);
                    id = say.next.value.clone();
                }
                NodeKind::Ask(ask) => {
                    self.failures = 0;
                    self.say(&ask.prompt, actions);
                    self.listen(ask, now, actions);
                    return;
                }
                NodeKind::Transfer(transfer) => {
                    if let Some(text) = &transfer.text {
                        self.say(text, actions);
                    }
                    actions.push(Action::Transfer {
                        queue: transfer.queue.value.clone(),
                        reason: transfer.reason.clone(),
                    });
                    self.phase = Phase::Finished;
                    return;
                }
                NodeKind::Hangup(hangup) => {
                    self.say(&hangup.text, actions);
                    self.finish(actions, hangup.reason.clone());
                    return;
                }
            }
        }
        self.finish(actions, "flow loops without waiting for input".to_string());
    }

    fn fail(&mut self, ask: &AskNode, failure: Failure, now: Duration, actions: &mut Vec<Action>) {
        self.failures += 1;
        let allowed = ask
            .max_retries
            .unwrap_or_else(|| self.flow.settings().max_failures.saturating_sub(1));
        if self.failures > allowed {
            let flow = Arc::clone(&self.flow);
            match ask
                .on_failure
                .as_ref()
                .map(|t| t.as_str())
                .or(flow.on_failure())
            {
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

    fn say(&self, text: &str, actions: &mut Vec<Action>) {
        actions.push(Action::Say {
            text: render(text, &self.variables),
        });
    }

    fn listen(&mut self, ask: &AskNode, now: Duration, actions: &mut Vec<Action>) {
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

    fn finish(&mut self, actions: &mut Vec<Action>, reason: String) {
        actions.push(Action::Hangup { reason });
        self.phase = Phase::Finished;
    }
}

/// The first route of the node, then of the flow's global routes, that satisfies `pick`.
fn find_route<'a>(
    ask: &'a AskNode,
    global: &'a [Route],
    pick: impl Fn(&Route) -> bool,
) -> Option<&'a Route> {
    ask.routes.iter().chain(global).find(|r| pick(r))
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
