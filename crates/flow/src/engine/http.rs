//! `http` nodes: building the request the runtime sends (values escaped, secrets left as
//! `{env.NAME}` for the runtime to resolve), and reading the answer's JSON fields into
//! variables.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::error::FlowError;
use crate::schema::{HttpMethod, HttpNode};
use crate::template::render_request;

/// A request to the business's API, as the engine asks for it.
///
/// `url`, `headers` and `body` may still contain `{env.NAME}` references to secrets: log the
/// request as it is, and send [`HttpRequest::with_secrets`]'s copy.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpRequest {
    /// Method.
    pub method: HttpMethod,
    /// Full URL; flow values in it are percent-encoded.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// JSON body text, if any (send with `Content-Type: application/json`).
    pub body: Option<String>,
    /// How long to wait for the answer before sending `HttpResult { status: None, .. }`.
    pub timeout: Duration,
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Header values must stay on one line.
fn one_line(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

fn fill_json(value: &Value, variables: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) => Value::String(render_request(s, variables, str::to_string)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| fill_json(i, variables)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_json(v, variables)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The request of an `http` node with the call's variables filled in.
pub(super) fn request(node: &HttpNode, variables: &HashMap<String, String>) -> HttpRequest {
    HttpRequest {
        method: node.method,
        url: render_request(&node.url, variables, percent_encode),
        headers: node
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), render_request(value, variables, one_line)))
            .collect(),
        body: node
            .body
            .as_ref()
            .map(|body| fill_json(&body.value, variables).to_string()),
        timeout: node.timeout,
    }
}

/// Secret references `{env.NAME}` in a text, in order.
fn secret_refs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{env.") {
        let tail = &rest[start + 5..];
        match tail.find('}') {
            Some(end) => {
                out.push(tail[..end].to_string());
                rest = &tail[end + 1..];
            }
            None => break,
        }
    }
    out
}

impl HttpRequest {
    /// Names of the environment variables the request needs (`SHOP_API_KEY` ...).
    pub fn secret_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::iter::once(self.url.as_str())
            .chain(self.headers.iter().map(|(_, v)| v.as_str()))
            .chain(self.body.as_deref())
            .flat_map(secret_refs)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// A copy with every `{env.NAME}` replaced by `lookup(NAME)` (JSON-escaped inside the
    /// body). Fails on the first secret `lookup` does not know.
    pub fn with_secrets(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<HttpRequest, FlowError> {
        let mut values = HashMap::new();
        for name in self.secret_names() {
            let value =
                lookup(&name).ok_or_else(|| FlowError::MissingSecret { name: name.clone() })?;
            values.insert(name, value);
        }
        let replace = |text: &str, escape: &dyn Fn(&str) -> String| {
            let mut out = text.to_string();
            for (name, value) in &values {
                out = out.replace(&format!("{{env.{name}}}"), &escape(value));
            }
            out
        };
        let json_escape = |v: &str| {
            let quoted = Value::String(v.to_string()).to_string();
            quoted[1..quoted.len() - 1].to_string()
        };
        Ok(HttpRequest {
            method: self.method,
            url: replace(&self.url, &str::to_string),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), replace(v, &one_line)))
                .collect(),
            body: self.body.as_deref().map(|b| replace(b, &json_escape)),
            timeout: self.timeout,
        })
    }
}

/// Why an API answer did not lead to `next`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum HttpFailure {
    /// Timeout or connection failure.
    NoAnswer,
    /// A status outside 200-299.
    Status(u16),
    /// The body is not JSON although fields are mapped.
    NotJson,
    /// A mapped field is missing.
    MissingField(String),
}

/// The value at a dot path (`order.items.0.name`).
fn at_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, part| match v {
        Value::Object(map) => map.get(part),
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        _ => None,
    })
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The variables an answer fills, or why it failed.
pub(super) fn read_answer(
    node: &HttpNode,
    status: Option<u16>,
    body: &str,
) -> Result<Vec<(String, String)>, HttpFailure> {
    let status = status.ok_or(HttpFailure::NoAnswer)?;
    if !(200..300).contains(&status) {
        return Err(HttpFailure::Status(status));
    }
    if node.map.is_empty() {
        return Ok(Vec::new());
    }
    let json: Value = serde_json::from_str(body).map_err(|_| HttpFailure::NotJson)?;
    node.map
        .iter()
        .map(|(name, path)| {
            at_path(&json, path)
                .map(|v| (name.value.clone(), as_text(v)))
                .ok_or_else(|| HttpFailure::MissingField(path.value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::load_flow;
    use crate::schema::NodeKind;

    const FLOW: &str = r#"
flow: http-test
start: lookup
variables: { order: "", q: "" }
nodes:
  lookup:
    http: "{env.API}/orders/{order}?q={q}"
    headers: { Authorization: "Bearer {env.KEY}", X-Note: "{q}" }
    body: { order: "{order}", note: "{q}", count: 2, gift: true }
    method: POST
    timeout: 4s
    map: { status: status, eta: delivery.eta, first: items.0.name, total: total }
    next: done
    on_failure: done
  done:
    hangup: Bye
"#;

    fn node() -> HttpNode {
        let flow = load_flow(FLOW, "h.yaml").expect("valid flow");
        match &flow.node("lookup").expect("node").kind {
            NodeKind::Http(node) => node.clone(),
            other => panic!("not an http node: {other:?}"),
        }
    }

    fn vars() -> HashMap<String, String> {
        HashMap::from([
            ("order".to_string(), "4567".to_string()),
            ("q".to_string(), "a b&c\n\"{env.KEY}\"".to_string()),
        ])
    }

    #[test]
    fn request_escapes_values_and_keeps_secrets() {
        let req = request(&node(), &vars());
        assert_eq!(req.method, HttpMethod::Post);
        assert_eq!(req.url, "{env.API}/orders/4567?q=a%20b%26c%0A%22env.KEY%22");
        assert_eq!(
            req.headers[0],
            ("Authorization".to_string(), "Bearer {env.KEY}".to_string())
        );
        assert_eq!(req.headers[1].1, "a b&c \"env.KEY\"");
        let body: Value = serde_json::from_str(req.body.as_deref().expect("body")).expect("json");
        assert_eq!(body["order"], "4567");
        assert_eq!(body["note"], "a b&c\n\"env.KEY\"");
        assert_eq!(body["count"], 2);
        assert_eq!(req.timeout, Duration::from_secs(4));
        assert_eq!(req.secret_names(), ["API", "KEY"]);
    }

    #[test]
    fn secrets_are_resolved_only_on_request() {
        let req = request(&node(), &vars());
        let env = |name: &str| match name {
            "API" => Some("https://shop.example".to_string()),
            "KEY" => Some("s3\"cret".to_string()),
            _ => None,
        };
        let sent = req.with_secrets(env).expect("secrets known");
        assert!(sent.url.starts_with("https://shop.example/orders/4567"));
        assert_eq!(sent.headers[0].1, "Bearer s3\"cret");
        assert!(
            !format!("{req:?}").contains("s3"),
            "the logged request has no secret"
        );
        let missing = req.with_secrets(|_| None).expect_err("no secrets");
        assert!(matches!(missing, FlowError::MissingSecret { name } if name == "API"));
    }

    #[test]
    fn answers_map_fields_or_fail() {
        let node = node();
        let body = r#"{"status":"shipped","delivery":{"eta":"2026-11-24"},"items":[{"name":"Lamp"}],"total":20.5}"#;
        let values = read_answer(&node, Some(200), body).expect("mapped");
        assert_eq!(
            values,
            [
                ("status".to_string(), "shipped".to_string()),
                ("eta".to_string(), "2026-11-24".to_string()),
                ("first".to_string(), "Lamp".to_string()),
                ("total".to_string(), "20.5".to_string()),
            ]
        );
        assert_eq!(read_answer(&node, None, ""), Err(HttpFailure::NoAnswer));
        assert_eq!(
            read_answer(&node, Some(404), body),
            Err(HttpFailure::Status(404))
        );
        assert_eq!(
            read_answer(&node, Some(200), "<html>"),
            Err(HttpFailure::NotJson)
        );
        assert_eq!(
            read_answer(&node, Some(200), r#"{"status":"shipped"}"#),
            Err(HttpFailure::MissingField("delivery.eta".to_string()))
        );
    }
}
