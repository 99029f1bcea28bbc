//! Turns a flow file's YAML tree into the schema types, reporting every structural problem
//! (unknown fields, wrong types, missing fields, bad durations) rather than only the first.

use crate::schema::{
    AskNode, HangupNode, Intent, ListenModes, Located, Node, NodeKind, Route, SayNode, Settings,
    TransferNode,
};
use crate::yaml::{Fields, Reader, YamlNode, YamlValue};

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
];
const SETTINGS_FIELDS: &[&str] = &[
    "language",
    "voice",
    "barge_in",
    "no_input_timeout",
    "max_failures",
];
const INTENT_FIELDS: &[&str] = &["examples", "keywords"];
const ROUTE_FIELDS: &[&str] = &["intent", "dtmf", "next"];
const SAY_FIELDS: &[&str] = &["say", "next"];
const ASK_FIELDS: &[&str] = &[
    "ask",
    "listen",
    "timeout",
    "routes",
    "no_input",
    "no_match",
    "max_retries",
    "on_failure",
];
const TRANSFER_FIELDS: &[&str] = &["transfer", "say", "reason"];
const HANGUP_FIELDS: &[&str] = &["hangup", "reason"];
/// Keys that decide a node's kind (a plain `say` node has none of them).
const KIND_KEYS: &[&str] = &["ask", "transfer", "hangup"];

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
        (flow.nodes, flow.broken_nodes) = read_nodes(reader, v);
    }
    flow
}

fn located_text(reader: &mut Reader<'_>, node: &YamlNode, field: &str) -> Option<Located<String>> {
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
    settings
}

fn is_identifier(s: &str) -> bool {
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

fn read_routes(reader: &mut Reader<'_>, node: &YamlNode) -> Vec<Route> {
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
        next: next?,
        pos: node.pos,
    })
}

/// Whether `c` is a key on a telephone keypad (RFC 4733 events 0-15).
pub(crate) fn is_dtmf_key(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | 'A' | 'B' | 'C' | 'D')
}

fn read_dtmf(reader: &mut Reader<'_>, node: &YamlNode) -> Option<char> {
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

fn read_nodes(reader: &mut Reader<'_>, node: &YamlNode) -> (Vec<Node>, Vec<String>) {
    let Some(fields) = reader.fields(node, "`nodes`", &[]) else {
        return (Vec::new(), Vec::new());
    };
    if fields.entries.is_empty() {
        reader.error(node.pos, "`nodes` must contain at least one node");
    }
    let mut out = Vec::new();
    let mut broken = Vec::new();
    for field in fields.entries {
        if !is_identifier(&field.name) {
            reader.error(
                field.key_pos,
                format!(
                    "node id `{}` may only contain letters, digits and `_`",
                    field.name
                ),
            );
        }
        let errors_before = reader.diagnostics.len();
        let kind = read_node_kind(reader, &field.name, field.value);
        if reader.diagnostics.len() != errors_before {
            broken.push(field.name.clone());
        }
        if let Some(kind) = kind {
            out.push(Node {
                id: field.name,
                pos: field.key_pos,
                kind,
            });
        }
    }
    (out, broken)
}

fn read_node_kind(reader: &mut Reader<'_>, id: &str, node: &YamlNode) -> Option<NodeKind> {
    // Look at the keys first (without checking fields) to decide the node's kind.
    let mut probe = Reader::new(reader.file);
    let keys = probe.fields(node, "", &[]);
    let Some(keys) = keys else {
        reader.error(
            node.pos,
            format!("node `{id}` must be a mapping, found {}", node.kind_name()),
        );
        return None;
    };
    let kinds: Vec<_> = keys
        .entries
        .iter()
        .filter(|f| KIND_KEYS.contains(&f.name.as_str()))
        .collect();
    if let Some(extra) = kinds.get(1) {
        reader.error(
            extra.key_pos,
            format!(
                "node `{id}` has both `{}` and `{}`; a node does one thing",
                kinds[0].name, extra.name
            ),
        );
        return None;
    }
    let kind = match kinds.first() {
        Some(f) => f.name.as_str(),
        None if keys.has("say") => "say",
        None => {
            reader.error(
                node.pos,
                format!("node `{id}` needs one of `say`, `ask`, `transfer` or `hangup`"),
            );
            return None;
        }
    };
    let what = format!("{kind} node `{id}`");
    match kind {
        "say" => {
            let fields = reader.fields(node, &what, SAY_FIELDS)?;
            read_say(reader, &fields, &what).map(NodeKind::Say)
        }
        "ask" => {
            let fields = reader.fields(node, &what, ASK_FIELDS)?;
            read_ask(reader, &fields).map(NodeKind::Ask)
        }
        "transfer" => {
            let fields = reader.fields(node, &what, TRANSFER_FIELDS)?;
            read_transfer(reader, &fields, id).map(NodeKind::Transfer)
        }
        _ => {
            let fields = reader.fields(node, &what, HANGUP_FIELDS)?;
            read_hangup(reader, &fields, id).map(NodeKind::Hangup)
        }
    }
}

fn read_say(reader: &mut Reader<'_>, fields: &Fields<'_>, what: &str) -> Option<SayNode> {
    let text = fields
        .get("say")
        .and_then(|v| located_text(reader, v, "say"));
    let next = reader
        .require(fields, "next", what)
        .and_then(|v| located_text(reader, v, "next"));
    Some(SayNode {
        text: text?,
        next: next?,
    })
}

fn read_ask(reader: &mut Reader<'_>, fields: &Fields<'_>) -> Option<AskNode> {
    let prompt = fields
        .get("ask")
        .and_then(|v| located_text(reader, v, "ask"));
    let listen = match fields.get("listen") {
        Some(v) => read_listen(reader, v)?,
        None => ListenModes {
            speech: true,
            dtmf: true,
        },
    };
    let timeout = fields
        .get("timeout")
        .and_then(|v| reader.duration(v, "timeout"));
    let routes = fields
        .get("routes")
        .map(|v| read_routes(reader, v))
        .unwrap_or_default();
    let no_input = fields
        .get("no_input")
        .and_then(|v| located_text(reader, v, "no_input"));
    let no_match = fields
        .get("no_match")
        .and_then(|v| located_text(reader, v, "no_match"));
    let max_retries = fields
        .get("max_retries")
        .and_then(|v| reader.uint(v, "max_retries", 0, 20));
    let on_failure = fields
        .get("on_failure")
        .and_then(|v| located_text(reader, v, "on_failure"));
    Some(AskNode {
        prompt: prompt?,
        listen,
        timeout,
        routes,
        no_input,
        no_match,
        max_retries,
        on_failure,
    })
}

fn read_listen(reader: &mut Reader<'_>, node: &YamlNode) -> Option<ListenModes> {
    let mut modes = ListenModes {
        speech: false,
        dtmf: false,
    };
    let mut ok = true;
    for (word, pos) in reader.string_list(node, "listen") {
        match word.as_str() {
            "speech" => modes.speech = true,
            "dtmf" => modes.dtmf = true,
            other => {
                reader.error(
                    pos,
                    format!("`listen` takes `speech` and/or `dtmf`, found `{other}`"),
                );
                ok = false;
            }
        }
    }
    if ok && !modes.speech && !modes.dtmf {
        reader.error(node.pos, "`listen` must name `speech`, `dtmf` or both");
        ok = false;
    }
    ok.then_some(modes)
}

fn read_transfer(reader: &mut Reader<'_>, fields: &Fields<'_>, id: &str) -> Option<TransferNode> {
    let queue = fields
        .get("transfer")
        .and_then(|v| located_text(reader, v, "transfer"));
    let text = fields
        .get("say")
        .and_then(|v| located_text(reader, v, "say"));
    let reason = fields
        .get("reason")
        .and_then(|v| reader.text(v, "reason"))
        .unwrap_or_else(|| id.to_string());
    Some(TransferNode {
        queue: queue?,
        reason,
        text,
    })
}

fn read_hangup(reader: &mut Reader<'_>, fields: &Fields<'_>, id: &str) -> Option<HangupNode> {
    let text = fields
        .get("hangup")
        .and_then(|v| located_text(reader, v, "hangup"));
    let reason = fields
        .get("reason")
        .and_then(|v| reader.text(v, "reason"))
        .unwrap_or_else(|| id.to_string());
    Some(HangupNode {
        text: text?,
        reason,
    })
}
