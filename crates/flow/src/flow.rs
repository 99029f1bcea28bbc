//! `Flow`: a validated, immutable call flow, and `load_flow` / `check` that build and lint it.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::check::check_flow;
use crate::diagnostic::{sort_diagnostics, Diagnostic};
use crate::parse::read_flow;
use crate::schema::{FaqEntry, Intent, Node, Route, Settings};
use crate::yaml::{parse_document, Reader};

/// A validated call flow. Immutable; share it between calls in an `Arc`.
#[derive(Clone, Debug)]
pub struct Flow {
    name: String,
    description: String,
    file: String,
    settings: Settings,
    start: String,
    on_failure: Option<String>,
    variables: HashMap<String, String>,
    intents: Vec<Intent>,
    routes: Vec<Route>,
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    faq: Vec<FaqEntry>,
    remember: Vec<String>,
    escalation: Option<String>,
    version_hash: String,
    warnings: Vec<Diagnostic>,
}

impl Flow {
    /// The flow's name (`flow:`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The flow's description (`description:`), empty if absent.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The file name the flow was loaded from.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// Flow-wide settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Lower-case hex SHA-256 of the source text: identifies the exact flow version a call ran.
    pub fn version_hash(&self) -> String {
        self.version_hash.clone()
    }

    /// Id of the first node.
    pub fn start(&self) -> &str {
        &self.start
    }

    /// Flow-level fallback for `ask` nodes without their own `on_failure`.
    pub fn on_failure(&self) -> Option<&str> {
        self.on_failure.as_deref()
    }

    /// Default values of the variables texts may use.
    pub fn variables(&self) -> &HashMap<String, String> {
        &self.variables
    }

    /// All intents, in file order (an embedding matcher builds its index from these).
    pub fn intents(&self) -> &[Intent] {
        &self.intents
    }

    /// Routes that every `ask` node tries after its own.
    pub fn global_routes(&self) -> &[Route] {
        &self.routes
    }

    /// All nodes, in file order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).and_then(|&i| self.nodes.get(i))
    }

    /// The FAQ knowledge base (`faq:`), in file order.
    pub fn faq(&self) -> &[FaqEntry] {
        &self.faq
    }

    /// Variables whose new values the runtime should keep for the caller's next call
    /// (`remember:`); the engine emits `Action::Remember` when one changes.
    pub fn remember(&self) -> &[String] {
        &self.remember
    }

    /// Node the call goes to when the caller gets angry and the current node has no
    /// `on_anger` (`escalation:`).
    pub fn escalation(&self) -> Option<&str> {
        self.escalation.as_deref()
    }

    /// Warnings found while loading (unreachable nodes, unused intents ...).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Every text the flow can speak (node texts and FAQ answers), rendered with the
    /// variables' declared values: what a speech synthesiser can prepare before the first
    /// call. Duplicates are removed.
    pub fn spoken_texts(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.nodes
            .iter()
            .flat_map(|node| node.texts())
            .chain(self.faq.iter().map(|entry| &entry.answer))
            .map(|text| {
                crate::template::render(&text.value, &self.variables, self.settings.currency)
            })
            .filter(|text| !text.trim().is_empty() && seen.insert(text.clone()))
            .collect()
    }
}

/// Loads and validates a flow from its source text. `file_name` is used in diagnostics only.
///
/// On failure returns every diagnostic found (errors and warnings, sorted by position), not
/// just the first. On success, warnings are kept in [`Flow::warnings`].
pub fn load_flow(source: &str, file_name: &str) -> Result<Flow, Vec<Diagnostic>> {
    let mut reader = Reader::new(file_name);
    let doc = parse_document(source, file_name).map_err(|d| vec![d])?;
    let parsed = read_flow(&mut reader, &doc);
    check_flow(&mut reader, &parsed);
    let mut diagnostics = reader.diagnostics;
    sort_diagnostics(&mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let Some(start) = parsed.start else {
        return Err(diagnostics);
    };
    let index = parsed
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.clone(), i))
        .collect();
    Ok(Flow {
        name: parsed.name,
        description: parsed.description,
        file: file_name.to_string(),
        settings: parsed.settings,
        start: start.value,
        on_failure: parsed.on_failure.map(|t| t.value),
        variables: parsed
            .variables
            .into_iter()
            .map(|(name, value)| (name.value, value))
            .collect(),
        intents: parsed.intents,
        routes: parsed.routes,
        nodes: parsed.nodes,
        index,
        faq: parsed.faq,
        remember: parsed.remember.into_iter().map(|r| r.value).collect(),
        escalation: parsed.escalation.map(|e| e.value),
        version_hash: sha256_hex(source),
        warnings: diagnostics,
    })
}

/// Every diagnostic for a flow source, errors and warnings, sorted by position.
/// An empty result means the flow loads without remarks.
pub fn check(source: &str, file_name: &str) -> Vec<Diagnostic> {
    match load_flow(source, file_name) {
        Ok(flow) => flow.warnings,
        Err(diagnostics) => diagnostics,
    }
}

fn sha256_hex(source: &str) -> String {
    Sha256::digest(source.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
