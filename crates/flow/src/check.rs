//! Cross-reference checks on a parsed flow: unknown nodes and intents, unreachable nodes,
//! `say` loops that never wait for input, empty intents and undeclared variables.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::matcher::text::edit_distance;
use crate::parse::FlowDoc;
use crate::schema::{Located, Node, NodeKind, Route};
use crate::template::{variables, TemplateProblem};
use crate::yaml::Reader;

/// Runs every semantic check, adding findings to `reader.diagnostics`.
pub(crate) fn check_flow(reader: &mut Reader<'_>, flow: &FlowDoc) {
    let nodes: HashMap<&str, &Node> = flow.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut known: HashSet<&str> = nodes.keys().copied().collect();
    known.extend(flow.broken_nodes.iter().map(String::as_str));
    let intents: HashSet<&str> = flow.intents.iter().map(|i| i.id.as_str()).collect();
    let refs = References {
        nodes: &known,
        intents: &intents,
    };

    if let Some(start) = &flow.start {
        refs.node(reader, start, "`start`");
    }
    if let Some(target) = &flow.on_failure {
        refs.node(reader, target, "the flow's `on_failure`");
    }
    refs.routes(reader, &flow.routes, "a global route");
    for node in &flow.nodes {
        match &node.kind {
            NodeKind::Say(say) => refs.node(reader, &say.next, &format!("`next` of `{}`", node.id)),
            NodeKind::Ask(ask) => {
                refs.routes(reader, &ask.routes, &format!("a route of `{}`", node.id));
                if let Some(target) = &ask.on_failure {
                    refs.node(reader, target, &format!("`on_failure` of `{}`", node.id));
                }
                duplicate_keys(reader, &ask.routes, &node.id);
                if ask.routes.is_empty() && flow.routes.is_empty() {
                    reader.error(
                        node.pos,
                        format!("ask node `{}` has no routes (and the flow has no global `routes`), so no answer can lead anywhere", node.id),
                    );
                }
            }
            NodeKind::Transfer(_) | NodeKind::Hangup(_) => {}
        }
    }
    for intent in &flow.intents {
        if intent.examples.is_empty() && intent.keywords.is_empty() {
            reader.error(
                intent.pos,
                format!(
                    "intent `{}` has no examples and no keywords, so it can never match",
                    intent.id
                ),
            );
        }
    }
    // With a node that failed to parse, its routes and targets are unknown: warnings about
    // unused intents and unreachable nodes would be noise.
    if flow.broken_nodes.is_empty() {
        unused_intents(reader, flow);
        unreachable_nodes(reader, flow, &nodes);
    }
    say_loops(reader, flow, &nodes);
    undeclared_variables(reader, flow);
}

struct References<'a> {
    nodes: &'a HashSet<&'a str>,
    intents: &'a HashSet<&'a str>,
}

impl References<'_> {
    fn node(&self, reader: &mut Reader<'_>, target: &Located<String>, field: &str) {
        if !self.nodes.contains(target.as_str()) {
            let hint = suggestion(target, self.nodes.iter().copied());
            reader.error(
                target.pos,
                format!("{field} names unknown node `{}`{hint}", target.value),
            );
        }
    }

    fn routes(&self, reader: &mut Reader<'_>, routes: &[Route], what: &str) {
        for route in routes {
            if let Some(intent) = &route.intent {
                if !self.intents.contains(intent.as_str()) {
                    let hint = suggestion(intent, self.intents.iter().copied());
                    reader.error(
                        intent.pos,
                        format!("{what} names unknown intent `{}`{hint}", intent.value),
                    );
                }
            }
            self.node(reader, &route.next, &format!("`next` of {what}"));
        }
    }
}

fn suggestion<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    known
        .map(|k| (edit_distance(k, name), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

fn duplicate_keys(reader: &mut Reader<'_>, routes: &[Route], node: &str) {
    let mut seen: HashMap<char, usize> = HashMap::new();
    for route in routes {
        if let Some(key) = route.dtmf {
            if let Some(line) = seen.insert(key, route.pos.line) {
                reader.error(
                    route.pos,
                    format!("key `{key}` is already routed at line {line} of `{node}`"),
                );
            }
        }
    }
}

fn unused_intents(reader: &mut Reader<'_>, flow: &FlowDoc) {
    let mut used: HashSet<&str> = HashSet::new();
    let node_routes = flow.nodes.iter().filter_map(|n| match &n.kind {
        NodeKind::Ask(ask) => Some(ask.routes.iter()),
        _ => None,
    });
    for route in node_routes.flatten().chain(flow.routes.iter()) {
        if let Some(intent) = &route.intent {
            used.insert(intent.as_str());
        }
    }
    for intent in &flow.intents {
        if !used.contains(intent.id.as_str()) {
            reader.warning(
                intent.pos,
                format!("intent `{}` is not used by any route", intent.id),
            );
        }
    }
}

fn unreachable_nodes(reader: &mut Reader<'_>, flow: &FlowDoc, nodes: &HashMap<&str, &Node>) {
    let Some(start) = &flow.start else { return };
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = VecDeque::from([start.as_str()]);
    while let Some(id) = queue.pop_front() {
        let Some(node) = nodes.get(id) else { continue };
        if !seen.insert(node.id.as_str()) {
            continue;
        }
        let mut targets = node.targets();
        if matches!(node.kind, NodeKind::Ask(_)) {
            targets.extend(flow.routes.iter().map(|r| &r.next));
            targets.extend(flow.on_failure.as_ref());
        }
        queue.extend(targets.into_iter().map(|t| t.as_str()));
    }
    for node in &flow.nodes {
        if !seen.contains(node.id.as_str()) {
            reader.warning(
                node.pos,
                format!("node `{}` is unreachable from `start`", node.id),
            );
        }
    }
}

fn say_next<'a>(nodes: &HashMap<&str, &'a Node>, id: &str) -> Option<&'a str> {
    match &nodes.get(id)?.kind {
        NodeKind::Say(say) => Some(say.next.as_str()),
        _ => None,
    }
}

fn say_loops(reader: &mut Reader<'_>, flow: &FlowDoc, nodes: &HashMap<&str, &Node>) {
    for node in &flow.nodes {
        let mut path = vec![node.id.as_str()];
        let mut current = node.id.as_str();
        while let Some(next) = say_next(nodes, current) {
            if next == node.id {
                // Report each loop once, at the member that comes first in the file.
                let first = path
                    .iter()
                    .filter_map(|id| nodes.get(id))
                    .min_by_key(|n| n.pos);
                if first.map(|n| n.id.as_str()) == Some(node.id.as_str()) {
                    path.push(next);
                    reader.error(
                        node.pos,
                        format!(
                            "`say` nodes loop without ever waiting for input: {}",
                            path.join(" -> ")
                        ),
                    );
                }
                break;
            }
            if path.contains(&next) || !nodes.contains_key(next) {
                break;
            }
            path.push(next);
            current = next;
        }
    }
}

fn undeclared_variables(reader: &mut Reader<'_>, flow: &FlowDoc) {
    let declared: HashSet<&str> = flow.variables.iter().map(|(n, _)| n.as_str()).collect();
    for node in &flow.nodes {
        for text in node.texts() {
            match variables(text) {
                Ok(names) => {
                    for name in names.iter().filter(|n| !declared.contains(n.as_str())) {
                        reader.error(
                            text.pos,
                            format!("text of `{}` uses undeclared variable `{{{name}}}` (declare it under `variables`)", node.id),
                        );
                    }
                }
                Err(TemplateProblem::Unclosed { offset }) => reader.error(
                    text.pos,
                    format!("text of `{}` has a `{{` at character {} that is never closed (write `{{{{` for a literal brace)", node.id, offset + 1),
                ),
                Err(TemplateProblem::BadName { name, .. }) => reader.error(
                    text.pos,
                    format!("text of `{}` has an invalid variable name `{{{name}}}`", node.id),
                ),
            }
        }
    }
}
