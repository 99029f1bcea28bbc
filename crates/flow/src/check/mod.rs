//! Cross-reference checks on a parsed flow: unknown nodes and intents, unreachable nodes,
//! loops that never wait for input, empty intents, and per-kind rules of the newer nodes.
//! Variables, say-as kinds and secrets are checked in `variables`.

mod variables;

use std::collections::{HashMap, HashSet, VecDeque};

use crate::matcher::text::edit_distance;
use crate::parse::FlowDoc;
use crate::schema::{HttpMethod, Located, Node, NodeKind, Route};
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
    if let Some(target) = &flow.escalation {
        refs.node(reader, target, "the flow's `escalation`");
    }
    refs.routes(reader, &flow.routes, "a global route");
    for node in &flow.nodes {
        check_node(reader, flow, &refs, node);
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
    input_free_loops(reader, flow, &nodes);
    variables::check_variables(reader, flow);
}

/// The rules of one node: its references, and what its kind requires.
fn check_node(reader: &mut Reader<'_>, flow: &FlowDoc, refs: &References<'_>, node: &Node) {
    let id = &node.id;
    let field = |name: &str| format!("`{name}` of `{id}`");
    match &node.kind {
        NodeKind::Ask(ask) | NodeKind::Menu(ask) => {
            refs.routes(reader, &ask.routes, &format!("a route of `{id}`"));
            for (target, name) in [
                (&ask.on_failure, "on_failure"),
                (&ask.next, "next"),
                (&ask.otherwise, "otherwise"),
                (&ask.on_anger, "on_anger"),
            ] {
                if let Some(target) = target {
                    refs.node(reader, target, &field(name));
                }
            }
            duplicate_keys(reader, &ask.routes, id);
            let is_menu = matches!(node.kind, NodeKind::Menu(_));
            if is_menu && ask.routes.is_empty() {
                reader.error(node.pos, format!("menu node `{id}` has no choices"));
            } else if ask.routes.is_empty()
                && !flow.broken_nodes.contains(id)
                && flow.routes.is_empty()
                && ask.slot.is_none()
                && ask.otherwise.is_none()
            {
                reader.error(
                    node.pos,
                    format!("ask node `{id}` has no routes, no `slot` and no `otherwise` (and the flow has no global `routes`), so no answer can lead anywhere"),
                );
            }
        }
        NodeKind::Route(route) => {
            refs.routes(reader, &route.routes, &format!("a route of `{id}`"));
            refs.node(reader, &route.default, &field("default"));
            for r in route.routes.iter().filter(|r| r.intent.is_none()) {
                reader.error(r.pos, format!("routes of route node `{id}` need an `intent` (there are no keys to press here)"));
            }
        }
        NodeKind::Faq(_) if flow.faq.is_empty() => {
            reader.error(
                node.pos,
                format!("faq node `{id}` has no knowledge base to answer from; add `faq:` entries at the top level"),
            );
        }
        NodeKind::Http(http) if http.method == HttpMethod::Get && http.body.is_some() => {
            reader.error(
                node.pos,
                format!(
                    "http node `{id}` sends a `body` with GET; use `method: POST` (or PUT/PATCH)"
                ),
            );
        }
        _ => {}
    }
    let targets: Vec<(&Located<String>, &str)> = match &node.kind {
        NodeKind::Say(say) => vec![(&say.next, "next")],
        NodeKind::Faq(faq) => vec![(&faq.next, "next"), (&faq.on_no_answer, "on_no_answer")],
        NodeKind::Set(set) => vec![(&set.next, "next")],
        NodeKind::If(branch) => vec![(&branch.then, "then"), (&branch.otherwise, "else")],
        NodeKind::Goto(goto) => vec![(&goto.target, "goto")],
        NodeKind::Http(http) => vec![(&http.next, "next"), (&http.on_failure, "on_failure")],
        NodeKind::Record(record) => vec![(&record.next, "next")],
        NodeKind::Ticket(ticket) => vec![(&ticket.next, "next")],
        _ => Vec::new(),
    };
    for (target, name) in targets {
        refs.node(reader, target, &field(name));
    }
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
            for intent in route.intent.iter().chain(route.topic.iter()) {
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
        NodeKind::Ask(ask) | NodeKind::Menu(ask) => Some(ask.routes.iter()),
        NodeKind::Route(route) => Some(route.routes.iter()),
        _ => None,
    });
    for route in node_routes.flatten().chain(flow.routes.iter()) {
        for intent in route.intent.iter().chain(route.topic.iter()) {
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
        if matches!(node.kind, NodeKind::Ask(_) | NodeKind::Menu(_)) {
            targets.extend(flow.routes.iter().map(|r| &r.next));
            targets.extend(flow.on_failure.as_ref());
            targets.extend(flow.escalation.as_ref());
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

/// Cycles through nodes that never wait for the caller (say, set, if, goto, route, faq,
/// http, ticket): the bot would talk, branch or call an API forever.
fn input_free_loops(reader: &mut Reader<'_>, flow: &FlowDoc, nodes: &HashMap<&str, &Node>) {
    let passes = |id: &str| nodes.get(id).is_some_and(|n| !n.waits_for_caller());
    for node in flow.nodes.iter().filter(|n| !n.waits_for_caller()) {
        // Shortest way back to `node`, breadth first, through nodes that do not wait.
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut queue: VecDeque<&str> = VecDeque::from([node.id.as_str()]);
        let mut found = false;
        'search: while let Some(id) = queue.pop_front() {
            let Some(current) = nodes.get(id) else {
                continue;
            };
            for target in current.targets() {
                let next = target.as_str();
                if next == node.id {
                    parent.insert("\0end", id);
                    found = true;
                    break 'search;
                }
                if passes(next) && !parent.contains_key(next) {
                    parent.insert(next, id);
                    queue.push_back(next);
                }
            }
        }
        if !found {
            continue;
        }
        let mut path = vec![node.id.as_str()];
        let mut at = parent["\0end"];
        while at != node.id {
            path.push(at);
            at = parent[at];
        }
        path[1..].reverse();
        path.push(node.id.as_str());
        let members: Vec<&&Node> = path.iter().filter_map(|id| nodes.get(id)).collect();
        // Report each loop once, at the member that comes first in the file.
        let first = members.iter().min_by_key(|n| n.pos).map(|n| n.id.as_str());
        if first != Some(node.id.as_str()) {
            continue;
        }
        let what = if members.iter().all(|n| matches!(n.kind, NodeKind::Say(_))) {
            "`say` nodes loop"
        } else {
            "nodes loop"
        };
        reader.error(
            node.pos,
            format!(
                "{what} without ever waiting for input: {}",
                path.join(" -> ")
            ),
        );
    }
}

#[cfg(test)]
mod tests;
