//! Turns a flow file's YAML tree into the schema types, reporting every structural problem
//! (unknown fields, wrong types, missing fields, bad durations) rather than only the first.
//! The newer node kinds are read in `steps`.

mod http;
mod nodes;
mod steps;

use crate::say_as::Currency;
use crate::schema::{FaqEntry, Intent, Located, Node, Route, Settings};
use crate::yaml::{Reader, YamlNode, YamlValue};

/// The flow language version this crate reads.
pub const LANGUAGE_VERSION: u32 = 1;

/// A flow file as written, before cross-references are checked.
#[derive(Debug, Default)]
pub(crate) struct FlowDoc {
    pub name: String,
    pub description: String,
    pub settings: Settings,
    pub start: Option<Located<String>>,
    pub on_failure: Option<Located<String>>,
    pub variables: Vec<(Located<String>, String)>,
    pub intents: Vec<Intent>,
    pub routes: Vec<Route>,
    pub nodes: Vec<Node>,
    /// Ids of nodes whose body had errors (some may still be in `nodes`, partly read).
    pub broken_nodes: Vec<String>,
    pub faq: Vec<FaqEntry>,
    pub remember: Vec<Located<String>>,
    pub escalation: Option<Located<String>>,
}

const TOP_FIELDS: &[&str] = &[
    "version",
    "flow",
    "description",
    "settings",
    "variables",
    "start",
    "on_failure",
    "intents",
    "routes",
    "nodes",
    "faq",
    "remember",
    "escalation",
];
const SETTINGS_FIELDS: &[&str] = &[
    "language",
    "voice",
    "barge_in",
    "no_input_timeout",
    "max_failures",
    "digit_timeout",
    "anger_threshold",
    "faq_threshold",
    "intent_threshold",
    "near_miss",
    "currency",
];
const INTENT_FIELDS: &[&str] = &["examples", "keywords"];
const ROUTE_FIELDS: &[&str] = &["intent", "dtmf", "topic", "next"];
/// Reads the whole document; problems go to `reader.diagnostics`.
pub(crate) fn read_flow(reader: &mut Reader<'_>, doc: &YamlNode) -> FlowDoc {
    let mut flow = FlowDoc::default();
    let Some(top) = reader.fields(doc, "the flow file", TOP_FIELDS) else {
        return flow;
    };
    if let Some(v) = top.get("version") {
        if let Some(version) = reader.uint(v, "version", 0, u32::MAX) {
            if version != LANGUAGE_VERSION {
                reader.error(
                    v.pos,
                    format!("unsupported flow language version {version}; this Hotline reads version {LANGUAGE_VERSION}"),
                );
            }
        }
    }
    if let Some(v) = reader.require(&top, "flow", "the flow file") {
        flow.name = reader.text(v, "flow").unwrap_or_default();
    }
    if let Some(v) = top.get("description") {
        flow.description = reader.string(v, "description").unwrap_or_default();
    }
    if let Some(v) = top.get("settings") {
        flow.settings = read_settings(reader, v);
    }
    if let Some(v) = top.get("variables") {
        flow.variables = read_variables(reader, v);
    }
    if let Some(v) = reader.require(&top, "start", "the flow file") {
        flow.start = located_text(reader, v, "start");
    }
    if let Some(v) = top.get("on_failure") {
        flow.on_failure = located_text(reader, v, "on_failure");
    }
    if let Some(v) = top.get("intents") {
        flow.intents = read_intents(reader, v);
    }
    if let Some(v) = top.get("routes") {
        flow.routes = read_routes(reader, v);
    }
    if let Some(v) = reader.require(&top, "nodes", "the flow file") {
        (flow.nodes, flow.broken_nodes) = nodes::read_nodes(reader, v);
    }
    if let Some(v) = top.get("faq") {
        flow.faq = read_faq_entries(reader, v);
    }
    if let Some(v) = top.get("remember") {
        flow.remember = reader
            .string_list(v, "remember")
            .into_iter()
            .map(|(name, pos)| Located::new(name.trim().to_string(), pos))
            .collect();
    }
    if let Some(v) = top.get("escalation") {
        flow.escalation = located_text(reader, v, "escalation");
    }
    flow
}

pub(crate) fn located_text(
    reader: &mut Reader<'_>,
    node: &YamlNode,
    field: &str,
) -> Option<Located<String>> {
    reader
        .text(node, field)
        .map(|s| Located::new(s.trim().to_string(), node.pos))
}

fn read_settings(reader: &mut Reader<'_>, node: &YamlNode) -> Settings {
    let mut settings = Settings::default();
    if matches!(node.value, YamlValue::Null) {
        return settings;
    }
    let Some(fields) = reader.fields(node, "`settings`", SETTINGS_FIELDS) else {
        return settings;
    };
    if let Some(v) = fields
        .get("language")
        .and_then(|v| reader.text(v, "language"))
    {
        settings.language = v;
    }
    settings.voice = fields.get("voice").and_then(|v| reader.text(v, "voice"));
    if let Some(v) = fields
        .get("barge_in")
        .and_then(|v| reader.bool(v, "barge_in"))
    {
        settings.barge_in = v;
    }
    if let Some(v) = fields
        .get("no_input_timeout")
        .and_then(|v| reader.duration(v, "no_input_timeout"))
    {
        settings.no_input_timeout = v;
    }
    if let Some(v) = fields
        .get("max_failures")
        .and_then(|v| reader.uint(v, "max_failures", 1, 20))
    {
        settings.max_failures = v;
    }
    if let Some(v) = fields
        .get("digit_timeout")
        .and_then(|v| reader.duration(v, "digit_timeout"))
    {
        settings.digit_timeout = v;
    }
    if let Some(v) = fields
        .get("anger_threshold")
        .and_then(|v| steps::read_fraction(reader, v, "anger_threshold"))
    {
        settings.anger_threshold = v;
    }
    if let Some(v) = fields
        .get("faq_threshold")
        .and_then(|v| steps::read_fraction(reader, v, "faq_threshold"))
    {
        settings.faq_threshold = v;
    }
    if let Some(v) = fields
        .get("intent_threshold")
        .and_then(|v| steps::read_fraction(reader, v, "intent_threshold"))
    {
        settings.intent_threshold = v;
    }
    if let Some(v) = fields
        .get("near_miss")
        .and_then(|v| reader.bool(v, "near_miss"))
    {
        settings.near_miss = v;
    }
    if let Some(v) = fields.get("currency") {
        if let Some(code) = reader.text(v, "currency") {
            match Currency::from_code(&code) {
                Some(c) => settings.currency = c,
                None => reader.error(
                    v.pos,
                    format!("unknown currency `{code}`; use USD, EUR or GBP"),
                ),
            }
        }
    }
    settings
}

pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn read_variables(reader: &mut Reader<'_>, node: &YamlNode) -> Vec<(Located<String>, String)> {
    let Some(fields) = reader.fields(node, "`variables`", &[]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in fields.entries {
        if !is_identifier(&field.name) {
            reader.error(
                field.key_pos,
                format!(
                    "variable name `{}` may only contain letters, digits and `_`",
                    field.name
                ),
            );
            continue;
        }
        if let Some(value) = reader.string(field.value, &field.name) {
            out.push((Located::new(field.name, field.key_pos), value));
        }
    }
    out
}

fn read_intents(reader: &mut Reader<'_>, node: &YamlNode) -> Vec<Intent> {
    let Some(fields) = reader.fields(node, "`intents`", &[]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in fields.entries {
        let mut intent = Intent {
            id: field.name.clone(),
            examples: Vec::new(),
            keywords: Vec::new(),
            pos: field.key_pos,
        };
        if !matches!(field.value.value, YamlValue::Null) {
            let what = format!("intent `{}`", field.name);
            if let Some(body) = reader.fields(field.value, &what, INTENT_FIELDS) {
                let list = |reader: &mut Reader<'_>, name: &str| -> Vec<String> {
                    body.get(name)
                        .map(|v| reader.string_list(v, name))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                };
                intent.examples = list(reader, "examples");
                intent.keywords = list(reader, "keywords");
            }
        }
        out.push(intent);
    }
    out
}

pub(crate) fn read_routes(reader: &mut Reader<'_>, node: &YamlNode) -> Vec<Route> {
    let YamlValue::Seq(items) = &node.value else {
        reader.error(
            node.pos,
            format!("`routes` must be a list, found {}", node.kind_name()),
        );
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| read_route(reader, item))
        .collect()
}

fn read_route(reader: &mut Reader<'_>, node: &YamlNode) -> Option<Route> {
    let fields = reader.fields(node, "a route", ROUTE_FIELDS)?;
    let intent = fields
        .get("intent")
        .and_then(|v| located_text(reader, v, "intent"));
    let dtmf = fields.get("dtmf").and_then(|v| read_dtmf(reader, v));
    let topic = fields
        .get("topic")
        .and_then(|v| located_text(reader, v, "topic"));
    let next = reader
        .require(&fields, "next", "a route")
        .and_then(|v| located_text(reader, v, "next"));
    if !fields.has("intent") && !fields.has("dtmf") {
        reader.error(node.pos, "a route needs `intent`, `dtmf` or both");
        return None;
    }
    Some(Route {
        intent,
        dtmf,
        phrases: Vec::new(),
        topic,
        next: next?,
        pos: node.pos,
    })
}

/// Whether `c` is a key on a telephone keypad (RFC 4733 events 0-15).
pub(crate) fn is_dtmf_key(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | 'A' | 'B' | 'C' | 'D')
}

pub(crate) fn read_dtmf(reader: &mut Reader<'_>, node: &YamlNode) -> Option<char> {
    let text = reader.string(node, "dtmf")?;
    let mut chars = text.trim().chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if is_dtmf_key(c.to_ascii_uppercase()) => Some(c.to_ascii_uppercase()),
        _ => {
            reader.error(
                node.pos,
                format!("`dtmf` must be one keypad key (0-9, *, #, A-D), found `{text}`"),
            );
            None
        }
    }
}

const FAQ_ENTRY_FIELDS: &[&str] = &["question", "paraphrases", "answer"];

/// The top-level `faq:` knowledge base: `id: { question, paraphrases, answer }`.
fn read_faq_entries(reader: &mut Reader<'_>, node: &YamlNode) -> Vec<FaqEntry> {
    let Some(entries) = reader.fields(node, "`faq`", &[]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.entries {
        let what = format!("faq entry `{}`", entry.name);
        let Some(fields) = reader.fields(entry.value, &what, FAQ_ENTRY_FIELDS) else {
            continue;
        };
        let question = reader
            .require(&fields, "question", &what)
            .and_then(|v| reader.text(v, "question"));
        let paraphrases = fields
            .get("paraphrases")
            .map(|v| reader.string_list(v, "paraphrases"))
            .unwrap_or_default()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let answer = reader
            .require(&fields, "answer", &what)
            .and_then(|v| located_text(reader, v, "answer"));
        if let (Some(question), Some(answer)) = (question, answer) {
            out.push(FaqEntry {
                id: entry.name,
                question,
                paraphrases,
                answer,
                pos: entry.key_pos,
            });
        }
    }
    out
}
