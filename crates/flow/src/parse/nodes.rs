//! Reading the `nodes:` mapping: deciding each node's kind by its key, and the original
//! kinds (say, ask, transfer, hangup). The newer kinds are read in `steps` and `http`.

use super::{is_identifier, located_text, read_routes, steps};
use crate::schema::{AskNode, HangupNode, ListenModes, Node, NodeKind, SayNode, TransferNode};
use crate::yaml::{Fields, Reader, YamlNode};

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
    "slot",
    "next",
    "otherwise",
    "on_anger",
];
const TRANSFER_FIELDS: &[&str] = &["transfer", "say", "reason"];
const HANGUP_FIELDS: &[&str] = &["hangup", "reason"];
/// Kinds that may `say` something before they act.
const SAYS_FIRST: &[&str] = &["transfer", "http"];
/// Keys that decide a node's kind (a plain `say` node has none of them).
const KIND_KEYS: &[&str] = &[
    "ask", "menu", "route", "faq", "set", "if", "goto", "http", "record", "ticket", "transfer",
    "hangup",
];

pub(super) fn read_nodes(reader: &mut Reader<'_>, node: &YamlNode) -> (Vec<Node>, Vec<String>) {
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
                "node `{id}` has both `{}` and `{}`; a node does one thing: split it into two nodes, one going to the other with `next`",
                kinds[0].name, extra.name
            ),
        );
        return None;
    }
    // `say` is its own kind, and a field of `transfer` and `http` (said before they act).
    if let (Some(kind), Some(say)) = (kinds.first(), keys.entries.iter().find(|f| f.name == "say"))
    {
        if !SAYS_FIRST.contains(&kind.name.as_str()) {
            reader.error(
                say.key_pos,
                format!(
                    "node `{id}` has both `say` and `{kind}`; a node does one thing: split it into a `say` node whose `next` is a separate `{kind}` node, or put the words into the `{kind}` text",
                    kind = kind.name
                ),
            );
            return None;
        }
    }
    let kind = match kinds.first() {
        Some(f) => f.name.as_str(),
        None if keys.has("say") => "say",
        None => {
            reader.error(
                node.pos,
                format!(
                    "node `{id}` needs one of `say`, {}",
                    KIND_KEYS
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
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
            read_ask(reader, &fields, "ask", &what).map(NodeKind::Ask)
        }
        "transfer" => {
            let fields = reader.fields(node, &what, TRANSFER_FIELDS)?;
            read_transfer(reader, &fields, id).map(NodeKind::Transfer)
        }
        "hangup" => {
            let fields = reader.fields(node, &what, HANGUP_FIELDS)?;
            read_hangup(reader, &fields, id).map(NodeKind::Hangup)
        }
        other => steps::read_step(reader, other, node, &what),
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

/// An `ask` (or, with `key` = `menu`, a menu's shared fields: prompt, reprompts, retries).
pub(crate) fn read_ask(
    reader: &mut Reader<'_>,
    fields: &Fields<'_>,
    key: &str,
    what: &str,
) -> Option<AskNode> {
    let prompt = fields.get(key).and_then(|v| located_text(reader, v, key));
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
    let slot = fields.get("slot").and_then(|v| steps::read_slot(reader, v));
    let target = |reader: &mut Reader<'_>, name: &str| {
        fields.get(name).and_then(|v| located_text(reader, v, name))
    };
    let next = target(reader, "next");
    let otherwise = target(reader, "otherwise");
    let on_anger = target(reader, "on_anger");
    if fields.has("slot") != fields.has("next") {
        let missing = if fields.has("slot") { "next" } else { "slot" };
        reader.error(
            fields.pos,
            format!("{what} has `slot` without `next` or `next` without `slot`; add `{missing}`"),
        );
    }
    Some(AskNode {
        prompt: prompt?,
        listen,
        timeout,
        routes,
        no_input,
        no_match,
        max_retries,
        on_failure,
        slot,
        next,
        otherwise,
        on_anger,
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
