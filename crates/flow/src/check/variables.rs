//! Checks on what texts and conditions refer to: every `{variable}` is declared, assigned by
//! some node, built in or a `{caller.*}` fact; `{env.*}` secrets appear only in http
//! requests; say-as kinds exist; `remember` names real variables.

use std::collections::HashSet;

use crate::parse::FlowDoc;
use crate::say_as::SayAs;
use crate::schema::{Located, NodeKind};
use crate::template::{placeholders, TemplateProblem};
use crate::yaml::Reader;

/// Variables the engine sets by itself.
pub(crate) const BUILT_IN: &[&str] = &[
    "last_intent",
    "last_utterance",
    "language",
    "faq_answer",
    "faq_entry",
    "http_status",
    "escalation_reason",
    "recording_duration",
    "anger",
];

/// Where a template is used, which decides what it may refer to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Spoken to the caller.
    Spoken,
    /// Stored or sent to the runtime (set values, ticket fields, FAQ questions).
    Data,
    /// Part of an http request: secrets allowed.
    Request,
}

/// Every variable a flow defines: declared, built in, or assigned by a node.
pub(crate) fn known_variables(flow: &FlowDoc) -> HashSet<String> {
    let mut known: HashSet<String> = flow
        .variables
        .iter()
        .map(|(n, _)| n.value.clone())
        .collect();
    known.extend(BUILT_IN.iter().map(|s| s.to_string()));
    for node in &flow.nodes {
        match &node.kind {
            NodeKind::Ask(ask) | NodeKind::Menu(ask) => {
                known.extend(ask.slot.iter().map(|s| s.name.value.clone()));
            }
            NodeKind::Set(set) => known.extend(set.values.iter().map(|(n, _)| n.value.clone())),
            NodeKind::Http(http) => known.extend(http.map.iter().map(|(n, _)| n.value.clone())),
            NodeKind::Record(record) => {
                known.insert(record.save_as.value.clone());
            }
            NodeKind::Ticket(ticket) => {
                known.insert(ticket.save_as.value.clone());
            }
            _ => {}
        }
    }
    known
}

/// Declared, set by the flow, or filled by the runtime: `caller.*` facts from caller memory and
/// `contact.*` columns of a campaign's contact list (empty outside a campaign call).
fn is_known(name: &str, known: &HashSet<String>) -> bool {
    known.contains(name)
        || ["caller.", "contact."].iter().any(|prefix| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty())
        })
}

fn templates(flow: &FlowDoc) -> Vec<(&str, &Located<String>, Use)> {
    let mut out = Vec::new();
    for node in &flow.nodes {
        let id = node.id.as_str();
        out.extend(node.texts().into_iter().map(|t| (id, t, Use::Spoken)));
        match &node.kind {
            NodeKind::Faq(faq) => out.push((id, &faq.question, Use::Data)),
            NodeKind::Set(set) => out.extend(set.values.iter().map(|(_, v)| (id, v, Use::Data))),
            NodeKind::Ticket(ticket) => {
                out.push((id, &ticket.summary, Use::Data));
                out.extend(ticket.fields.iter().map(|(_, v)| (id, v, Use::Data)));
            }
            NodeKind::Http(http) => {
                out.push((id, &http.url, Use::Request));
                out.extend(http.headers.iter().map(|(_, v)| (id, v, Use::Request)));
                if let Some(body) = &http.body {
                    out.extend(body.strings.iter().map(|v| (id, v, Use::Request)));
                }
            }
            _ => {}
        }
    }
    for entry in &flow.faq {
        out.push((entry.id.as_str(), &entry.answer, Use::Spoken));
    }
    out
}

/// Runs the variable checks.
pub(super) fn check_variables(reader: &mut Reader<'_>, flow: &FlowDoc) {
    let known = known_variables(flow);
    for (owner, text, usage) in templates(flow) {
        check_template(reader, owner, text, usage, &known);
    }
    for node in &flow.nodes {
        if let NodeKind::If(branch) = &node.kind {
            for name in branch.condition.variables() {
                if name.starts_with("env.") {
                    reader.error(branch.condition.pos, format!("condition of `{}` reads the secret `{name}`; secrets may only be used in http requests", node.id));
                } else if !is_known(name, &known) {
                    reader.error(branch.condition.pos, format!("condition of `{}` uses unknown variable `{name}` (declare it under `variables` or set it in a node)", node.id));
                }
            }
        }
    }
    for name in &flow.remember {
        if name.contains('.') || !known.contains(name.as_str()) {
            reader.error(
                name.pos,
                format!(
                    "`remember` names `{}`, which is not a variable of this flow",
                    name.value
                ),
            );
        }
    }
}

fn check_template(
    reader: &mut Reader<'_>,
    owner: &str,
    text: &Located<String>,
    usage: Use,
    known: &HashSet<String>,
) {
    let found = match placeholders(text) {
        Ok(found) => found,
        Err(TemplateProblem::Unclosed { offset }) => {
            reader.error(
                text.pos,
                format!("text of `{owner}` has a `{{` at character {} that is never closed (write `{{{{` for a literal brace)", offset + 1),
            );
            return;
        }
        Err(TemplateProblem::BadName { name, .. }) => {
            reader.error(
                text.pos,
                format!("text of `{owner}` has an invalid variable name `{{{name}}}`"),
            );
            return;
        }
    };
    for p in found {
        let name = p.name.as_str();
        if let Some(secret) = name.strip_prefix("env.") {
            if usage != Use::Request {
                reader.error(
                    text.pos,
                    format!("text of `{owner}` uses the secret `{{{name}}}`; secrets may only be used in http requests, never spoken or stored"),
                );
            } else if !secret
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                reader.error(
                    text.pos,
                    format!("secret name `{secret}` must be an environment variable name in capitals, e.g. `SHOP_API_KEY`"),
                );
            }
        } else if !is_known(name, known) {
            reader.error(
                text.pos,
                format!("text of `{owner}` uses undeclared variable `{{{name}}}` (declare it under `variables`)"),
            );
        }
        if let Some(kind) = &p.kind {
            if SayAs::from_name(kind).is_none() {
                let kinds: Vec<&str> = SayAs::ALL.iter().map(|k| k.name()).collect();
                reader.error(
                    text.pos,
                    format!("text of `{owner}` reads `{name}` as `{kind}`, which is not a say-as kind; use one of: {}", kinds.join(", ")),
                );
            }
        }
    }
}
