//! Reading `http` nodes: URL, method, headers, JSON body template, timeout, field mapping
//! and the required failure branch.

use std::time::Duration;

use super::located_text;
use super::steps::{bounded_duration, template_map};
use crate::schema::{HttpMethod, HttpNode, JsonTemplate, Located};
use crate::yaml::{Fields, Reader, YamlNode, YamlValue};

pub(super) const HTTP_FIELDS: &[&str] = &[
    "http",
    "method",
    "headers",
    "body",
    "timeout",
    "map",
    "say",
    "next",
    "on_failure",
];
/// Longest `http` timeout: a caller should not wait on hold for an API longer.
const MAX_HTTP_TIMEOUT: Duration = Duration::from_secs(30);
pub(super) fn read_http(
    reader: &mut Reader<'_>,
    fields: &Fields<'_>,
    what: &str,
) -> Option<HttpNode> {
    let url = fields
        .get("http")
        .and_then(|v| located_text(reader, v, "http"));
    if let Some(url) = &url {
        let text = url.trim();
        if !(text.starts_with("https://") || text.starts_with("http://") || text.starts_with('{')) {
            reader.error(
                url.pos,
                format!("`http` must be a URL starting with `https://`, `http://` or a variable such as `{{env.API_URL}}`, found `{text}`"),
            );
        }
    }
    let body = fields.get("body").map(|v| json_template(reader, v));
    let method = match fields.get("method") {
        Some(v) => {
            let text = reader.text(v, "method")?;
            match HttpMethod::parse(&text) {
                Some(m) => m,
                None => {
                    reader.error(
                        v.pos,
                        format!(
                            "unknown HTTP method `{text}`; use GET, POST, PUT, PATCH or DELETE"
                        ),
                    );
                    return None;
                }
            }
        }
        None if body.is_some() => HttpMethod::Post,
        None => HttpMethod::Get,
    };
    let headers = fields
        .get("headers")
        .map(|v| template_map(reader, v, "headers", false))
        .unwrap_or_default()
        .into_iter()
        .map(|(name, _, value)| (name, value))
        .collect();
    let timeout = match fields.get("timeout") {
        Some(v) => bounded_duration(reader, v, "timeout", MAX_HTTP_TIMEOUT)?,
        None => Duration::from_secs(5),
    };
    let map = fields
        .get("map")
        .map(|v| template_map(reader, v, "map", true))
        .unwrap_or_default()
        .into_iter()
        .map(|(name, pos, path)| (Located::new(name, pos), path))
        .collect::<Vec<_>>();
    for (_, path) in &map {
        let valid = path.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        });
        if !valid {
            reader.error(
                path.pos,
                format!(
                    "`{}` is not a JSON path such as `status` or `order.items.0.name`",
                    path.value
                ),
            );
        }
    }
    let text = fields
        .get("say")
        .and_then(|v| located_text(reader, v, "say"));
    let next = reader
        .require(fields, "next", what)
        .and_then(|v| located_text(reader, v, "next"));
    let on_failure = match fields.get("on_failure") {
        Some(v) => located_text(reader, v, "on_failure"),
        None => {
            reader.error(
                fields.pos,
                format!("{what} has no `on_failure`: every API call can fail or time out, so say where the call goes then"),
            );
            None
        }
    };
    Some(HttpNode {
        url: url?,
        method,
        headers,
        body,
        timeout,
        map,
        text,
        next: next?,
        on_failure: on_failure?,
    })
}

/// A YAML value as a JSON body template, remembering where each string is.
fn json_template(reader: &mut Reader<'_>, node: &YamlNode) -> JsonTemplate {
    let mut strings = Vec::new();
    let value = to_json(reader, node, &mut strings);
    JsonTemplate { value, strings }
}

fn to_json(
    reader: &mut Reader<'_>,
    node: &YamlNode,
    strings: &mut Vec<Located<String>>,
) -> serde_json::Value {
    use serde_json::Value;
    match &node.value {
        YamlValue::Null => Value::Null,
        YamlValue::Bool(b) => Value::Bool(*b),
        YamlValue::Int(i) => Value::from(*i),
        YamlValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        YamlValue::Str(s) => {
            strings.push(Located::new(s.clone(), node.pos));
            Value::String(s.clone())
        }
        YamlValue::Seq(items) => {
            Value::Array(items.iter().map(|i| to_json(reader, i, strings)).collect())
        }
        YamlValue::Map(entries) => {
            let mut object = serde_json::Map::new();
            for (key, value) in entries {
                match key.as_text() {
                    Some(k) => {
                        object.insert(k, to_json(reader, value, strings));
                    }
                    None => reader.error(key.pos, "keys in `body` must be strings"),
                }
            }
            Value::Object(object)
        }
        YamlValue::Unsupported(what) => {
            reader.error(node.pos, format!("`body` cannot contain {what}"));
            Value::Null
        }
    }
}
