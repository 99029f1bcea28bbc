//! The flow language (version 1) as Rust types: settings, intents, routes and node kinds.
//!
//! Every reference a flow author writes (a `next`, an intent name, a spoken text) keeps its
//! source position so that validation can point at it. Types are `#[non_exhaustive]` so the
//! language can grow (http, record, ticket, set/if ... nodes) without breaking readers.

use std::ops::Deref;
use std::time::Duration;

use crate::diagnostic::SourcePos;

/// A value together with where it was written in the flow file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where the value starts in the file.
    pub pos: SourcePos,
}

impl<T> Located<T> {
    /// Pairs a value with its position.
    pub fn new(value: T, pos: SourcePos) -> Self {
        Located { value, pos }
    }
}

impl<T> Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Flow-wide settings (`settings:`). All fields have defaults.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Settings {
    /// Language of the spoken texts and of the caller, e.g. `en` (default `en`).
    pub language: String,
    /// Voice name for speech synthesis, e.g. `en_US-lessac-medium` (default: the runtime's).
    pub voice: Option<String>,
    /// Whether the caller may interrupt the bot while it speaks (default `true`).
    pub barge_in: bool,
    /// How long an `ask` waits for input before counting a no-input (default `6s`).
    pub no_input_timeout: Duration,
    /// Consecutive failures (no-input or no-match) at one `ask` before escalating to its
    /// `on_failure` (default 3). An `ask`'s `max_retries` overrides it as `max_failures - 1`.
    pub max_failures: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: "en".to_string(),
            voice: None,
            barge_in: true,
            no_input_timeout: Duration::from_secs(6),
            max_failures: 3,
        }
    }
}

/// Something the caller may want (`intents:`), recognised from examples and keywords.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Intent {
    /// The intent's id, e.g. `delivery_time`.
    pub id: String,
    /// Whole sentences a caller might say.
    pub examples: Vec<String>,
    /// Words or short phrases that on their own point to this intent.
    pub keywords: Vec<String>,
    /// Where the intent is declared.
    pub pos: SourcePos,
}

/// One way out of an `ask`: an intent, a DTMF key, or both, leading to `next`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// Intent that takes this route when matched from speech.
    pub intent: Option<Located<String>>,
    /// Key (`0`-`9`, `*`, `#`, `A`-`D`) that takes this route.
    pub dtmf: Option<char>,
    /// Node to go to.
    pub next: Located<String>,
    /// Where the route starts.
    pub pos: SourcePos,
}

/// What the caller may answer an `ask` with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenModes {
    /// Spoken answers (transcribed and matched against intents).
    pub speech: bool,
    /// Keypad presses.
    pub dtmf: bool,
}

/// Says something, then moves on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SayNode {
    /// Text to speak; may contain `{variables}`.
    pub text: Located<String>,
    /// Node to go to afterwards.
    pub next: Located<String>,
}

/// Asks a question and waits for speech or DTMF.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AskNode {
    /// The question.
    pub prompt: Located<String>,
    /// Accepted input kinds (default: both).
    pub listen: ListenModes,
    /// Overrides `settings.no_input_timeout` for this question.
    pub timeout: Option<Duration>,
    /// Routes tried in order, before the flow's global `routes`.
    pub routes: Vec<Route>,
    /// Said when the caller says nothing (then the bot listens again).
    pub no_input: Option<Located<String>>,
    /// Said when nothing matches (then the bot listens again).
    pub no_match: Option<Located<String>>,
    /// Reprompts allowed before `on_failure` (default `settings.max_failures - 1`).
    pub max_retries: Option<u32>,
    /// Node to go to when retries run out (default: the flow's `on_failure`).
    pub on_failure: Option<Located<String>>,
}

/// Says something, then hands the call to a human queue.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferNode {
    /// Queue name, e.g. `support`.
    pub queue: Located<String>,
    /// Why the call is transferred (shown to the agent, kept in the call record).
    pub reason: String,
    /// Said before transferring.
    pub text: Option<Located<String>>,
}

/// Says goodbye, then hangs up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HangupNode {
    /// The goodbye.
    pub text: Located<String>,
    /// Why the call ended (kept in the call record).
    pub reason: String,
}

/// The kinds of node a flow can contain.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeKind {
    /// `say:` + `next:`.
    Say(SayNode),
    /// `ask:` + `routes:` ...
    Ask(AskNode),
    /// `transfer:` queue.
    Transfer(TransferNode),
    /// `hangup:` goodbye text.
    Hangup(HangupNode),
}

/// A named step of a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Node {
    /// The node's id (its key under `nodes:`).
    pub id: String,
    /// Where the node's id is written.
    pub pos: SourcePos,
    /// What the node does.
    pub kind: NodeKind,
}

impl Node {
    /// Every node this node can lead to, with the position of the reference.
    pub fn targets(&self) -> Vec<&Located<String>> {
        match &self.kind {
            NodeKind::Say(say) => vec![&say.next],
            NodeKind::Ask(ask) => ask
                .routes
                .iter()
                .map(|r| &r.next)
                .chain(ask.on_failure.as_ref())
                .collect(),
            NodeKind::Transfer(_) | NodeKind::Hangup(_) => Vec::new(),
        }
    }

    /// Every spoken text of the node, for variable checks.
    pub fn texts(&self) -> Vec<&Located<String>> {
        match &self.kind {
            NodeKind::Say(say) => vec![&say.text],
            NodeKind::Ask(ask) => std::iter::once(&ask.prompt)
                .chain(ask.no_input.as_ref())
                .chain(ask.no_match.as_ref())
                .collect(),
            NodeKind::Transfer(t) => t.text.iter().collect(),
            NodeKind::Hangup(h) => vec![&h.text],
        }
    }
}
