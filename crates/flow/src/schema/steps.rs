//! The node kinds beyond say/ask/transfer/hangup: routing by intent, FAQ answers, variables
//! and branches, calls to the business's API, voicemail and tickets; and the flow's FAQ
//! knowledge base.

use std::time::Duration;

use super::{Located, Route};
use crate::condition::Condition;
use crate::diagnostic::SourcePos;

/// Where a `route` node takes the intent from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteSource {
    /// `{last_intent}`: the topic of the conversation so far.
    LastIntent,
    /// The caller's latest words (`{last_utterance}`), classified again.
    Utterance,
}

/// Branches by intent without asking anything.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteNode {
    /// What is routed.
    pub source: RouteSource,
    /// Routes by intent, tried in order.
    pub routes: Vec<Route>,
    /// Node to go to when no route fits.
    pub default: Located<String>,
}

/// Answers the caller's question from the flow's knowledge base (`faq:` entries).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FaqNode {
    /// The question, usually `"{last_utterance}"`.
    pub question: Located<String>,
    /// Score the best answer needs (default `settings.faq_threshold`).
    pub threshold: Option<f32>,
    /// Node to go to after the answer is spoken.
    pub next: Located<String>,
    /// Node to go to when no answer is good enough.
    pub on_no_answer: Located<String>,
}

/// Sets variables, then continues.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetNode {
    /// `name: template` pairs, applied in order.
    pub values: Vec<(Located<String>, Located<String>)>,
    /// Node to go to afterwards.
    pub next: Located<String>,
}

/// Goes one way or the other depending on a condition.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct IfNode {
    /// The condition, as parsed, with where it is written.
    pub condition: Located<Condition>,
    /// Node when the condition holds.
    pub then: Located<String>,
    /// Node when it does not (`else:`).
    pub otherwise: Located<String>,
}

/// Continues at another node.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GotoNode {
    /// The node to continue at.
    pub target: Located<String>,
}

/// HTTP methods an `http` node may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl HttpMethod {
    /// The method as sent on the wire (`GET` ...).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// Parses a method name (any case).
    pub fn parse(name: &str) -> Option<HttpMethod> {
        match name.trim().to_ascii_uppercase().as_str() {
            "GET" => Some(HttpMethod::Get),
            "POST" => Some(HttpMethod::Post),
            "PUT" => Some(HttpMethod::Put),
            "PATCH" => Some(HttpMethod::Patch),
            "DELETE" => Some(HttpMethod::Delete),
            _ => None,
        }
    }
}

/// A JSON request body as written in the flow: its string values are templates.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct JsonTemplate {
    /// The body; string leaves may contain `{placeholders}`.
    pub value: serde_json::Value,
    /// Every string leaf with its position, for validation.
    pub strings: Vec<Located<String>>,
}

/// Calls the business's own API and maps JSON fields of the answer into variables.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpNode {
    /// URL template, e.g. `{env.SHOP_API_URL}/orders/{order_number}`.
    pub url: Located<String>,
    /// Method (default `GET`, or `POST` when there is a body).
    pub method: HttpMethod,
    /// Header name and value template pairs.
    pub headers: Vec<(String, Located<String>)>,
    /// JSON body.
    pub body: Option<JsonTemplate>,
    /// How long the runtime waits for the answer (default `5s`).
    pub timeout: Duration,
    /// `variable: json.path` pairs filled from the answer.
    pub map: Vec<(Located<String>, Located<String>)>,
    /// Said while the request runs ("One moment, please.").
    pub text: Option<Located<String>>,
    /// Node after a 2xx answer with every mapped field present.
    pub next: Located<String>,
    /// Node after anything else (error status, timeout, bad JSON, missing field).
    pub on_failure: Located<String>,
}

/// Records a voicemail.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordNode {
    /// Said before the beep.
    pub prompt: Located<String>,
    /// Longest recording (default `2m`).
    pub max: Duration,
    /// Whether to play a beep before recording (default `true`).
    pub beep: bool,
    /// Variable that receives the recording's path (default `recording`).
    pub save_as: Located<String>,
    /// Node to go to afterwards.
    pub next: Located<String>,
}

/// Opens a ticket for people to follow up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TicketNode {
    /// Summary template.
    pub summary: Located<String>,
    /// Field name and value template pairs.
    pub fields: Vec<(String, Located<String>)>,
    /// Variable that receives the ticket id (default `ticket_id`).
    pub save_as: Located<String>,
    /// Node to go to once the ticket exists.
    pub next: Located<String>,
}

/// A question the flow can answer (`faq:` at the top level).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaqEntry {
    /// The entry's id (its key).
    pub id: String,
    /// The question as a caller would ask it.
    pub question: String,
    /// Other ways of asking it.
    pub paraphrases: Vec<String>,
    /// The answer (may contain `{variables}`).
    pub answer: Located<String>,
    /// Where the entry is declared.
    pub pos: SourcePos,
}
