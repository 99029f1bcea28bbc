//! Reading one step of a script: the caller's (or runtime's) input and the checks on what
//! follows.
//!
//! Inputs: `caller` (optionally with `anger`), `press`, `silence`, `hang_up`, `anger`,
//! `http_result: { status, body }` (`status: null` for a timeout), `recorded: { path,
//! seconds }`, `ticket_created: id`. Checks: `bot_says`, `not_says`, `node`, `intent`,
//! `hangup`, `transfer`, `expect` (one action check or a list) and `set` (variable values).

use std::time::Duration;

use super::{ActionCheck, Expectations, Step, StepInput};
use crate::parse::is_dtmf_key;
use crate::yaml::{Fields, Reader, YamlNode, YamlValue};

pub(super) const EXPECT_FIELDS: &[&str] = &[
    "bot_says", "not_says", "node", "intent", "hangup", "transfer", "expect", "set",
];
const INPUT_FIELDS: &[&str] = &[
    "caller",
    "press",
    "silence",
    "hang_up",
    "anger",
    "http_result",
    "recorded",
    "ticket_created",
];
const ACTIONS: &[&str] = &[
    "http", "record", "ticket", "remember", "language", "slot", "faq", "transfer", "hangup",
    "listen",
];
const CHECK_FIELDS: &[&str] = &[
    "action",
    "url_contains",
    "method",
    "header_contains",
    "body_contains",
    "summary_contains",
    "field_contains",
    "key",
    "value",
    "slot",
    "entry",
    "queue",
    "reason",
];

pub(super) fn read_step(reader: &mut Reader<'_>, node: &YamlNode) -> Option<Step> {
    let allowed: Vec<&str> = INPUT_FIELDS.iter().chain(EXPECT_FIELDS).copied().collect();
    let fields = reader.fields(node, "a step", &allowed)?;
    let inputs: Vec<_> = fields
        .entries
        .iter()
        .filter(|f| INPUT_FIELDS.contains(&f.name.as_str()))
        .filter(|f| !(f.name == "anger" && fields.has("caller")))
        .collect();
    if inputs.len() != 1 {
        reader.error(
            node.pos,
            "a step needs exactly one of `caller`, `press`, `silence`, `hang_up`, `anger`, `http_result`, `recorded` or `ticket_created`",
        );
        return None;
    }
    let field = inputs[0];
    let value = field.value;
    let input = match field.name.as_str() {
        "caller" => {
            let anger = match fields.get("anger") {
                Some(v) => Some(score(reader, v)?),
                None => None,
            };
            StepInput::Caller(reader.string(value, "caller")?, anger)
        }
        "press" => {
            let keys = reader.text(value, "press")?;
            let keys: Vec<char> = keys.chars().filter(|c| !c.is_whitespace()).collect();
            if let Some(bad) = keys.iter().find(|c| !is_dtmf_key(c.to_ascii_uppercase())) {
                reader.error(
                    value.pos,
                    format!("`press` takes keypad keys (0-9, *, #, A-D), found `{bad}`"),
                );
                return None;
            }
            StepInput::Press(keys)
        }
        "silence" => {
            require_true(reader, value, "silence")?;
            StepInput::Silence
        }
        "hang_up" => {
            require_true(reader, value, "hang_up")?;
            StepInput::HangUp
        }
        "anger" => StepInput::Anger(score(reader, value)?),
        "http_result" => {
            let result = reader.fields(value, "`http_result`", &["status", "body"])?;
            let status = match result.get("status") {
                None => None,
                Some(YamlNode {
                    value: YamlValue::Null,
                    ..
                }) => None,
                Some(v) => Some(reader.uint(v, "status", 100, 599)? as u16),
            };
            let body = match result.get("body") {
                Some(v) => reader.string(v, "body")?,
                None => String::new(),
            };
            StepInput::HttpResult(status, body)
        }
        "recorded" => {
            let rec = reader.fields(value, "`recorded`", &["path", "seconds"])?;
            let path = reader
                .require(&rec, "path", "`recorded`")
                .and_then(|v| reader.string(v, "path"))?;
            let seconds = match rec.get("seconds") {
                Some(v) => reader.uint(v, "seconds", 0, 3600)?,
                None => 0,
            };
            StepInput::Recorded(path, Duration::from_secs(u64::from(seconds)))
        }
        _ => StepInput::TicketCreated(reader.string(value, "ticket_created")?),
    };
    Some(Step {
        input,
        expect: read_expectations(reader, &fields),
        pos: node.pos,
    })
}

fn score(reader: &mut Reader<'_>, node: &YamlNode) -> Option<f32> {
    let value = match node.value {
        YamlValue::Int(i) => i as f64,
        YamlValue::Float(f) => f,
        _ => {
            reader.error(node.pos, "`anger` must be a score between 0 and 1");
            return None;
        }
    };
    if !(0.0..=1.0).contains(&value) {
        reader.error(
            node.pos,
            format!("`anger` must be between 0 and 1, found {value}"),
        );
        return None;
    }
    Some(value as f32)
}

fn require_true(reader: &mut Reader<'_>, node: &YamlNode, field: &str) -> Option<()> {
    match reader.bool(node, field)? {
        true => Some(()),
        false => {
            reader.error(
                node.pos,
                format!("`{field}: false` does nothing; remove the step"),
            );
            None
        }
    }
}

pub(super) fn read_expectations(reader: &mut Reader<'_>, fields: &Fields<'_>) -> Expectations {
    let list = |reader: &mut Reader<'_>, name: &str| -> Vec<String> {
        fields
            .get(name)
            .map(|v| reader.string_list(v, name))
            .unwrap_or_default()
            .into_iter()
            .map(|(s, _)| s)
            .collect()
    };
    let actions = match fields.get("expect") {
        Some(YamlNode {
            value: YamlValue::Seq(items),
            ..
        }) => items
            .iter()
            .filter_map(|i| action_check(reader, i))
            .collect(),
        Some(v) => action_check(reader, v).into_iter().collect(),
        None => Vec::new(),
    };
    let variables = match fields.get("set") {
        Some(v) => reader
            .fields(v, "`set`", &[])
            .map(|set| {
                set.entries
                    .iter()
                    .filter_map(|f| {
                        let value = match f.value.value {
                            YamlValue::Null => Some(String::new()),
                            YamlValue::Bool(b) => Some(b.to_string()),
                            _ => reader.string(f.value, &f.name),
                        };
                        value.map(|v| (f.name.clone(), v))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Expectations {
        bot_says: list(reader, "bot_says"),
        not_says: list(reader, "not_says"),
        node: fields.get("node").and_then(|v| reader.text(v, "node")),
        intent: fields.get("intent").and_then(|v| reader.text(v, "intent")),
        hangup: fields.get("hangup").and_then(|v| reader.bool(v, "hangup")),
        transfer: fields
            .get("transfer")
            .and_then(|v| reader.text(v, "transfer")),
        actions,
        variables,
        pos: fields.pos,
    }
}

fn action_check(reader: &mut Reader<'_>, node: &YamlNode) -> Option<ActionCheck> {
    let fields = reader.fields(node, "`expect`", CHECK_FIELDS)?;
    let action = reader
        .require(&fields, "action", "`expect`")
        .and_then(|v| reader.text(v, "action"))?;
    if !ACTIONS.contains(&action.as_str()) {
        reader.error(
            fields.pos,
            format!(
                "unknown action `{action}`; use one of: {}",
                ACTIONS.join(", ")
            ),
        );
        return None;
    }
    let contains = fields
        .entries
        .iter()
        .filter(|f| f.name != "action")
        .filter_map(|f| reader.string(f.value, &f.name).map(|v| (f.name.clone(), v)))
        .collect();
    Some(ActionCheck { action, contains })
}
