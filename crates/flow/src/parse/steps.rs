//! Reading the newer node kinds (menu, route, faq, set, if, goto, record, ticket; `http` has
//! its own file) and ask slots.

use std::time::Duration;

use super::nodes::read_ask;
use super::{is_identifier, located_text, read_dtmf, read_routes};
use crate::condition::Condition;
use crate::schema::{
    FaqNode, GotoNode, IfNode, Located, NodeKind, RecordNode, Route, RouteNode, RouteSource,
    SetNode, SlotSpec, TicketNode,
};
use crate::slots::SlotType;
use crate::yaml::{Fields, Reader, YamlNode, YamlValue};

const MENU_FIELDS: &[&str] = &[
    "menu",
    "choices",
    "listen",
    "timeout",
    "no_input",
    "no_match",
    "max_retries",
    "on_failure",
    "on_anger",
];
const CHOICE_FIELDS: &[&str] = &["dtmf", "words", "intent", "next"];
const ROUTE_NODE_FIELDS: &[&str] = &["route", "routes", "default"];
const FAQ_NODE_FIELDS: &[&str] = &["faq", "threshold", "next", "on_no_answer"];
const SET_FIELDS: &[&str] = &["set", "next"];
const IF_FIELDS: &[&str] = &["if", "then", "else"];
const GOTO_FIELDS: &[&str] = &["goto"];
const RECORD_FIELDS: &[&str] = &["record", "max", "beep", "save_as", "next"];
const TICKET_FIELDS: &[&str] = &["ticket", "fields", "save_as", "next"];
const SLOT_FIELDS: &[&str] = &["name", "type", "required", "length", "sensitive"];

/// Longest voicemail.
const MAX_RECORDING: Duration = Duration::from_secs(600);

/// Reads a node of one of the newer kinds; `kind` is its deciding key.
pub(super) fn read_step(
    reader: &mut Reader<'_>,
    kind: &str,
    node: &YamlNode,
    what: &str,
) -> Option<NodeKind> {
    let allowed = match kind {
        "menu" => MENU_FIELDS,
        "route" => ROUTE_NODE_FIELDS,
        "faq" => FAQ_NODE_FIELDS,
        "set" => SET_FIELDS,
        "if" => IF_FIELDS,
        "goto" => GOTO_FIELDS,
        "http" => super::http::HTTP_FIELDS,
        "record" => RECORD_FIELDS,
        _ => TICKET_FIELDS,
    };
    let fields = reader.fields(node, what, allowed)?;
    let target = |reader: &mut Reader<'_>, name: &str| {
        reader
            .require(&fields, name, what)
            .and_then(|v| located_text(reader, v, name))
    };
    match kind {
        "menu" => read_menu(reader, &fields, what).map(NodeKind::Menu),
        "route" => {
            let source = reader.require(&fields, "route", what).and_then(|v| {
                match reader.text(v, "route")?.trim() {
                    "last_intent" => Some(RouteSource::LastIntent),
                    "utterance" => Some(RouteSource::Utterance),
                    other => {
                        reader.error(
                            v.pos,
                            format!("`route` takes `last_intent` or `utterance`, found `{other}`"),
                        );
                        None
                    }
                }
            });
            let routes = fields
                .get("routes")
                .map(|v| read_routes(reader, v))
                .unwrap_or_default();
            let default = target(reader, "default");
            Some(NodeKind::Route(RouteNode {
                source: source?,
                routes,
                default: default?,
            }))
        }
        "faq" => {
            let question = fields
                .get("faq")
                .and_then(|v| located_text(reader, v, "faq"));
            let threshold = fields
                .get("threshold")
                .and_then(|v| read_fraction(reader, v, "threshold"));
            let next = target(reader, "next");
            let on_no_answer = target(reader, "on_no_answer");
            Some(NodeKind::Faq(FaqNode {
                question: question?,
                threshold,
                next: next?,
                on_no_answer: on_no_answer?,
            }))
        }
        "set" => {
            let values = fields
                .get("set")
                .map(|v| template_map(reader, v, "set", true))
                .unwrap_or_default()
                .into_iter()
                .map(|(name, pos, value)| (Located::new(name, pos), value))
                .collect();
            let next = target(reader, "next");
            Some(NodeKind::Set(SetNode {
                values,
                next: next?,
            }))
        }
        "if" => {
            let condition = fields.get("if").and_then(|v| {
                let text = reader.text(v, "if")?;
                match Condition::parse(&text) {
                    Ok(c) => Some(Located::new(c, v.pos)),
                    Err(e) => {
                        reader.error(v.pos, format!("invalid condition `{text}`: {e}"));
                        None
                    }
                }
            });
            let then = target(reader, "then");
            let otherwise = target(reader, "else");
            Some(NodeKind::If(IfNode {
                condition: condition?,
                then: then?,
                otherwise: otherwise?,
            }))
        }
        "goto" => Some(NodeKind::Goto(GotoNode {
            target: fields
                .get("goto")
                .and_then(|v| located_text(reader, v, "goto"))?,
        })),
        "http" => super::http::read_http(reader, &fields, what).map(NodeKind::Http),
        "record" => {
            let prompt = fields
                .get("record")
                .and_then(|v| located_text(reader, v, "record"));
            let max = match fields.get("max") {
                Some(v) => bounded_duration(reader, v, "max", MAX_RECORDING)?,
                None => Duration::from_secs(120),
            };
            let beep = match fields.get("beep") {
                Some(v) => reader.bool(v, "beep")?,
                None => true,
            };
            let save_as = variable_name(reader, &fields, "save_as", "recording");
            let next = target(reader, "next");
            Some(NodeKind::Record(RecordNode {
                prompt: prompt?,
                max,
                beep,
                save_as: save_as?,
                next: next?,
            }))
        }
        _ => {
            let summary = fields
                .get("ticket")
                .and_then(|v| located_text(reader, v, "ticket"));
            let ticket_fields = fields
                .get("fields")
                .map(|v| template_map(reader, v, "fields", false))
                .unwrap_or_default()
                .into_iter()
                .map(|(name, _, value)| (name, value))
                .collect();
            let save_as = variable_name(reader, &fields, "save_as", "ticket_id");
            let next = target(reader, "next");
            Some(NodeKind::Ticket(TicketNode {
                summary: summary?,
                fields: ticket_fields,
                save_as: save_as?,
                next: next?,
            }))
        }
    }
}

/// A number in `0.0..=1.0`.
pub(super) fn read_fraction(reader: &mut Reader<'_>, node: &YamlNode, field: &str) -> Option<f32> {
    let value = match node.value {
        YamlValue::Int(i) => i as f64,
        YamlValue::Float(f) => f,
        _ => {
            reader.error(
                node.pos,
                format!(
                    "`{field}` must be a number between 0 and 1, found {}",
                    node.kind_name()
                ),
            );
            return None;
        }
    };
    if !(0.0..=1.0).contains(&value) {
        reader.error(
            node.pos,
            format!("`{field}` must be between 0 and 1, found {value}"),
        );
        return None;
    }
    Some(value as f32)
}

pub(super) fn bounded_duration(
    reader: &mut Reader<'_>,
    node: &YamlNode,
    field: &str,
    max: Duration,
) -> Option<Duration> {
    let d = reader.duration(node, field)?;
    if d > max {
        reader.error(
            node.pos,
            format!("`{field}` must be at most {}s", max.as_secs()),
        );
        return None;
    }
    Some(d)
}

/// A variable name field with a default.
fn variable_name(
    reader: &mut Reader<'_>,
    fields: &Fields<'_>,
    field: &str,
    default: &str,
) -> Option<Located<String>> {
    match fields.get(field) {
        None => Some(Located::new(default.to_string(), fields.pos)),
        Some(v) => {
            let name = located_text(reader, v, field)?;
            if !is_identifier(&name) {
                reader.error(
                    v.pos,
                    format!(
                        "`{field}` must be a variable name (letters, digits, `_`), found `{}`",
                        name.value
                    ),
                );
                return None;
            }
            Some(name)
        }
    }
}

/// A mapping of names to template strings (`set:`, `fields:`, `headers:`). With
/// `variables`, the names must be variable names.
pub(super) fn template_map(
    reader: &mut Reader<'_>,
    node: &YamlNode,
    field: &str,
    variables: bool,
) -> Vec<(String, crate::diagnostic::SourcePos, Located<String>)> {
    let Some(entries) = reader.fields(node, &format!("`{field}`"), &[]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.entries {
        if variables && !is_identifier(&entry.name) {
            reader.error(
                entry.key_pos,
                format!(
                    "`{}` is not a variable name (letters, digits, `_`)",
                    entry.name
                ),
            );
            continue;
        }
        let value = match &entry.value.value {
            YamlValue::Bool(b) => Some(b.to_string()),
            YamlValue::Null => Some(String::new()),
            _ => reader.string(entry.value, &entry.name),
        };
        if let Some(value) = value {
            out.push((
                entry.name,
                entry.key_pos,
                Located::new(value, entry.value.pos),
            ));
        }
    }
    out
}

fn read_menu(
    reader: &mut Reader<'_>,
    fields: &Fields<'_>,
    what: &str,
) -> Option<crate::schema::AskNode> {
    let choices = match reader.require(fields, "choices", what) {
        Some(YamlNode {
            value: YamlValue::Seq(items),
            ..
        }) => items
            .iter()
            .filter_map(|c| read_choice(reader, c))
            .collect(),
        Some(other) => {
            reader.error(
                other.pos,
                format!("`choices` must be a list, found {}", other.kind_name()),
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    let mut ask = read_ask(reader, fields, "menu", what)?;
    ask.routes = choices;
    Some(ask)
}

fn read_choice(reader: &mut Reader<'_>, node: &YamlNode) -> Option<Route> {
    let fields = reader.fields(node, "a menu choice", CHOICE_FIELDS)?;
    let dtmf = fields.get("dtmf").and_then(|v| read_dtmf(reader, v));
    let phrases: Vec<String> = fields
        .get("words")
        .map(|v| reader.string_list(v, "words"))
        .unwrap_or_default()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let intent = fields
        .get("intent")
        .and_then(|v| located_text(reader, v, "intent"));
    let next = reader
        .require(&fields, "next", "a menu choice")
        .and_then(|v| located_text(reader, v, "next"));
    if !fields.has("dtmf") && phrases.is_empty() && intent.is_none() {
        reader.error(node.pos, "a menu choice needs `dtmf`, `words` or `intent`");
        return None;
    }
    Some(Route {
        intent,
        dtmf,
        phrases,
        topic: None,
        next: next?,
        pos: node.pos,
    })
}

pub(super) fn read_slot(reader: &mut Reader<'_>, node: &YamlNode) -> Option<SlotSpec> {
    let fields = reader.fields(node, "`slot`", SLOT_FIELDS)?;
    let name = reader
        .require(&fields, "name", "`slot`")
        .and_then(|v| located_text(reader, v, "name"));
    if let Some(n) = &name {
        if !is_identifier(n) {
            reader.error(
                n.pos,
                format!(
                    "slot name `{}` may only contain letters, digits and `_`",
                    n.value
                ),
            );
        }
    }
    let kind = reader.require(&fields, "type", "`slot`").and_then(|v| {
        let text = reader.text(v, "type")?;
        let kind = SlotType::from_name(text.trim());
        if kind.is_none() {
            let known: Vec<&str> = SlotType::ALL.iter().map(|t| t.name()).collect();
            reader.error(
                v.pos,
                format!(
                    "unknown slot type `{text}`; use one of: {}",
                    known.join(", ")
                ),
            );
        }
        kind
    });
    let required = match fields.get("required") {
        Some(v) => reader.bool(v, "required")?,
        None => true,
    };
    let sensitive = match fields.get("sensitive") {
        Some(v) => reader.bool(v, "sensitive")?,
        None => false,
    };
    let length = fields
        .get("length")
        .and_then(|v| reader.uint(v, "length", 1, 30))
        .map(|n| n as usize);
    if let (Some(kind), Some(v)) = (kind, fields.get("length")) {
        if !matches!(kind, SlotType::Digits | SlotType::OrderNumber) {
            reader.error(
                v.pos,
                format!("`length` only applies to `digits` and `order_number` slots, not `{kind}`"),
            );
        }
    }
    Some(SlotSpec {
        name: name?,
        kind: kind?,
        required,
        length,
        sensitive,
        pos: node.pos,
    })
}
