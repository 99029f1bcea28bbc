//! The flow language (version 1) as Rust types: settings, intents, routes and node kinds.
//!
//! Every reference a flow author writes (a `next`, an intent name, a spoken text) keeps its
//! source position so that validation can point at it. Types are `#[non_exhaustive]` so the
//! language can grow without breaking readers. The newer node kinds live in `steps`.

mod steps;

use std::ops::Deref;
use std::time::Duration;

use crate::diagnostic::SourcePos;
use crate::say_as::Currency;
use crate::slots::SlotType;

pub use steps::{
    FaqEntry, FaqNode, GotoNode, HttpMethod, HttpNode, IfNode, JsonTemplate, RecordNode, RouteNode,
    RouteSource, SetNode, TicketNode,
};

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
    /// How long to wait for the next key while the caller types digits (default `3s`).
    pub digit_timeout: Duration,
    /// Anger score (`0.0..=1.0`) above which the call escalates (default `0.5`, chosen with
    /// `hotline mood eval eval/anger.yaml`: the best F1 on 105 judged utterances).
    pub anger_threshold: f32,
    /// Score an FAQ answer needs by default (default `0.5`).
    pub faq_threshold: f32,
    /// Similarity (`0.0..=1.0`) a transcript needs to an intent's closest example to match it
    /// by meaning; below it the caller is out of scope (default `0.55`).
    pub intent_threshold: f32,
    /// When nothing matches by meaning or keywords, let the words that survived a misheard
    /// question pick an intent if they point clearly to one (`near_miss`, default `false`; see
    /// docs/flows.md and docs/benchmarks.md).
    pub near_miss: bool,
    /// Currency of `{amount:money}` readings (default `USD`).
    pub currency: Currency,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: "en".to_string(),
            voice: None,
            barge_in: true,
            no_input_timeout: Duration::from_secs(6),
            max_failures: 3,
            digit_timeout: Duration::from_secs(3),
            anger_threshold: 0.5,
            faq_threshold: 0.5,
            intent_threshold: 0.55,
            near_miss: false,
            currency: Currency::Usd,
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
    /// Words that take this route when the caller says them (menu choices).
    pub phrases: Vec<String>,
    /// The route applies only to a follow-up question about this earlier intent
    /// ("and how long does that take?" after asking about returns).
    pub topic: Option<Located<String>>,
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
    /// The value the answer must give, stored in a variable.
    pub slot: Option<SlotSpec>,
    /// Node to go to once the slot is filled.
    pub next: Option<Located<String>>,
    /// Node to go to when speech matches no route (instead of a no-match reprompt); the
    /// words are in `{last_utterance}`.
    pub otherwise: Option<Located<String>>,
    /// Node to go to when the caller sounds angry here (default: the flow's `escalation`).
    pub on_anger: Option<Located<String>>,
}

/// The value an `ask` collects (`slot: { name, type, required, length, sensitive }`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlotSpec {
    /// Variable that receives the value.
    pub name: Located<String>,
    /// What kind of value.
    pub kind: SlotType,
    /// Whether an answer without a value is a no-match (default `true`); otherwise the
    /// flow continues to `next` with the variable empty.
    pub required: bool,
    /// Exact number of digits, for digit types.
    pub length: Option<usize>,
    /// Personal data (a date of birth, card digits, a PIN): the value is masked wherever it is
    /// logged or stored (see [`crate::privacy`]); only the flow's own templates say it.
    pub sensitive: bool,
    /// Where the slot is declared.
    pub pos: SourcePos,
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
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum NodeKind {
    /// `say:` + `next:`.
    Say(SayNode),
    /// `ask:` + `routes:` ...
    Ask(AskNode),
    /// `menu:` + `choices:`: keys and spoken choices (read like an `ask` whose routes are
    /// the choices).
    Menu(AskNode),
    /// `route:` by intent, without asking.
    Route(RouteNode),
    /// `faq:` answer from the knowledge base.
    Faq(FaqNode),
    /// `set:` variables.
    Set(SetNode),
    /// `if:` condition, `then:`, `else:`.
    If(IfNode),
    /// `goto:` another node.
    Goto(GotoNode),
    /// `http:` call the business's API.
    Http(HttpNode),
    /// `record:` a voicemail.
    Record(RecordNode),
    /// `ticket:` open a ticket.
    Ticket(TicketNode),
    /// `transfer:` queue.
    Transfer(TransferNode),
    /// `hangup:` goodbye text.
    Hangup(HangupNode),
}

/// A named step of a flow.
#[derive(Clone, Debug, PartialEq)]
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
            NodeKind::Ask(ask) | NodeKind::Menu(ask) => ask
                .routes
                .iter()
                .map(|r| &r.next)
                .chain(ask.on_failure.as_ref())
                .chain(ask.next.as_ref())
                .chain(ask.otherwise.as_ref())
                .chain(ask.on_anger.as_ref())
                .collect(),
            NodeKind::Route(route) => route
                .routes
                .iter()
                .map(|r| &r.next)
                .chain(std::iter::once(&route.default))
                .collect(),
            NodeKind::Faq(faq) => vec![&faq.next, &faq.on_no_answer],
            NodeKind::Set(set) => vec![&set.next],
            NodeKind::If(branch) => vec![&branch.then, &branch.otherwise],
            NodeKind::Goto(goto) => vec![&goto.target],
            NodeKind::Http(http) => vec![&http.next, &http.on_failure],
            NodeKind::Record(record) => vec![&record.next],
            NodeKind::Ticket(ticket) => vec![&ticket.next],
            NodeKind::Transfer(_) | NodeKind::Hangup(_) => Vec::new(),
        }
    }

    /// Every text the node speaks, for variable checks and speech preparation.
    pub fn texts(&self) -> Vec<&Located<String>> {
        match &self.kind {
            NodeKind::Say(say) => vec![&say.text],
            NodeKind::Ask(ask) | NodeKind::Menu(ask) => std::iter::once(&ask.prompt)
                .chain(ask.no_input.as_ref())
                .chain(ask.no_match.as_ref())
                .collect(),
            NodeKind::Http(http) => http.text.iter().collect(),
            NodeKind::Record(record) => vec![&record.prompt],
            NodeKind::Transfer(t) => t.text.iter().collect(),
            NodeKind::Hangup(h) => vec![&h.text],
            NodeKind::Route(_)
            | NodeKind::Faq(_)
            | NodeKind::Set(_)
            | NodeKind::If(_)
            | NodeKind::Goto(_)
            | NodeKind::Ticket(_) => Vec::new(),
        }
    }

    /// True for nodes that wait for the caller (`ask`, `menu`, `record`): a loop through
    /// one of them cannot spin without input.
    pub fn waits_for_caller(&self) -> bool {
        matches!(
            self.kind,
            NodeKind::Ask(_) | NodeKind::Menu(_) | NodeKind::Record(_)
        )
    }
}
