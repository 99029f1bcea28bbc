//! Walking from node to node: nodes that run straight through (say, set, if, goto, route,
//! faq) and nodes that hand work to the runtime and wait for its answer (http, record,
//! ticket), until the flow listens to the caller or ends.

use std::sync::Arc;
use std::time::Duration;

use super::{http, Action, Conversation, Phase, Wait};
use crate::schema::{FaqNode, NodeKind, RouteNode, RouteSource};
use crate::template::render;

impl Conversation {
    /// Runs nodes from `id` until one waits for input or ends the call.
    pub(super) fn enter(&mut self, id: &str, now: Duration, actions: &mut Vec<Action>) {
        let flow = Arc::clone(&self.flow);
        let mut id = id.to_string();
        // A validated flow has no loops without input; the bound keeps a bad one from spinning.
        for _ in 0..=flow.nodes().len() {
            let Some(node) = flow.node(&id) else {
                self.finish(actions, format!("flow has no node `{id}`"));
                return;
            };
            self.node = node.id.clone();
            let next = match &node.kind {
                NodeKind::Say(say) => {
                    self.say(&say.text, actions);
                    say.next.value.clone()
                }
                NodeKind::Ask(ask) | NodeKind::Menu(ask) => {
                    self.failures = 0;
                    self.digits.clear();
                    self.escalation_reason = None;
                    self.say(&ask.prompt, actions);
                    self.listen(ask, now, actions);
                    return;
                }
                NodeKind::Route(route) => self.route_by_intent(route, actions),
                NodeKind::Faq(faq) => self.answer_faq(faq, actions),
                NodeKind::Set(set) => {
                    for (name, template) in &set.values {
                        let value = render(template, &self.variables, flow.settings().currency);
                        self.assign(name, value, actions);
                    }
                    set.next.value.clone()
                }
                NodeKind::If(branch) => {
                    if branch.condition.evaluate(&self.variables) {
                        branch.then.value.clone()
                    } else {
                        branch.otherwise.value.clone()
                    }
                }
                NodeKind::Goto(goto) => goto.target.value.clone(),
                NodeKind::Http(node) => {
                    if let Some(text) = &node.text {
                        self.say(text, actions);
                    }
                    actions.push(Action::Http(http::request(node, &self.variables)));
                    self.phase = Phase::Waiting(Wait::Http);
                    return;
                }
                NodeKind::Record(record) => {
                    self.escalation_reason = None;
                    self.say(&record.prompt, actions);
                    actions.push(Action::Record {
                        max: record.max,
                        beep: record.beep,
                    });
                    self.phase = Phase::Waiting(Wait::Recording);
                    return;
                }
                NodeKind::Ticket(ticket) => {
                    let currency = flow.settings().currency;
                    actions.push(Action::Ticket {
                        summary: render(&ticket.summary, &self.variables, currency),
                        fields: ticket
                            .fields
                            .iter()
                            .map(|(name, value)| {
                                (name.clone(), render(value, &self.variables, currency))
                            })
                            .collect(),
                    });
                    self.phase = Phase::Waiting(Wait::Ticket);
                    return;
                }
                NodeKind::Transfer(transfer) => {
                    if let Some(text) = &transfer.text {
                        self.say(text, actions);
                    }
                    actions.push(Action::Transfer {
                        queue: transfer.queue.value.clone(),
                        reason: self
                            .escalation_reason
                            .take()
                            .unwrap_or_else(|| transfer.reason.clone()),
                    });
                    self.phase = Phase::Finished;
                    return;
                }
                NodeKind::Hangup(hangup) => {
                    self.say(&hangup.text, actions);
                    self.finish(actions, hangup.reason.clone());
                    return;
                }
            };
            id = next;
        }
        self.finish(actions, "flow loops without waiting for input".to_string());
    }

    fn route_by_intent(&mut self, route: &RouteNode, actions: &mut Vec<Action>) -> String {
        let intent = match route.source {
            RouteSource::LastIntent => self.variables.get("last_intent").cloned(),
            RouteSource::Utterance => {
                let text = self
                    .variables
                    .get("last_utterance")
                    .cloned()
                    .unwrap_or_default();
                let found = self.matcher.classify(&text);
                let routed = found.as_ref().is_some_and(|m| {
                    route
                        .routes
                        .iter()
                        .any(|r| r.intent.as_ref().map(|i| i.as_str()) == Some(m.intent.as_str()))
                });
                actions.push(Action::Matched {
                    intent: found.as_ref().filter(|_| routed).map(|m| m.intent.clone()),
                    score: found.as_ref().map_or(0.0, |m| m.score),
                    node: self.node.clone(),
                });
                found.map(|m| m.intent)
            }
        };
        let chosen = route
            .routes
            .iter()
            .find(|r| r.intent.as_ref().map(|i| i.as_str()) == intent.as_deref());
        match (chosen, intent) {
            (Some(r), Some(intent)) => {
                self.assign("last_intent", intent, actions);
                r.next.value.clone()
            }
            _ => route.default.value.clone(),
        }
    }

    fn answer_faq(&mut self, faq: &FaqNode, actions: &mut Vec<Action>) -> String {
        let currency = self.flow.settings().currency;
        let question = render(&faq.question, &self.variables, currency);
        let threshold = faq.threshold.unwrap_or(self.flow.settings().faq_threshold);
        let found = self.faq.answer(&question);
        let score = found.as_ref().map_or(0.0, |a| a.score);
        let good = found.filter(|a| a.score >= threshold);
        actions.push(Action::FaqAnswered {
            entry: good.as_ref().map(|a| a.entry.clone()),
            score,
            node: self.node.clone(),
        });
        match good {
            Some(answer) => {
                let text = render(&answer.answer, &self.variables, currency);
                self.assign("faq_entry", answer.entry, actions);
                self.assign("faq_answer", text.clone(), actions);
                actions.push(Action::Say { text });
                faq.next.value.clone()
            }
            None => faq.on_no_answer.value.clone(),
        }
    }

    pub(super) fn http_result(
        &mut self,
        status: Option<u16>,
        body: &str,
        now: Duration,
        actions: &mut Vec<Action>,
    ) {
        let flow = Arc::clone(&self.flow);
        let Some(NodeKind::Http(node)) = flow.node(&self.node).map(|n| &n.kind) else {
            self.finish(
                actions,
                "conversation lost its place in the flow".to_string(),
            );
            return;
        };
        self.assign(
            "http_status",
            status.map(|s| s.to_string()).unwrap_or_default(),
            actions,
        );
        match http::read_answer(node, status, body) {
            Ok(values) => {
                for (name, value) in values {
                    self.assign(&name, value, actions);
                }
                self.enter(&node.next.value, now, actions);
            }
            Err(_) => self.enter(&node.on_failure.value, now, actions),
        }
    }

    pub(super) fn recorded(
        &mut self,
        path: String,
        duration: Duration,
        now: Duration,
        actions: &mut Vec<Action>,
    ) {
        let flow = Arc::clone(&self.flow);
        let Some(NodeKind::Record(record)) = flow.node(&self.node).map(|n| &n.kind) else {
            self.finish(
                actions,
                "conversation lost its place in the flow".to_string(),
            );
            return;
        };
        self.assign(&record.save_as, path, actions);
        self.assign(
            "recording_duration",
            duration.as_secs().to_string(),
            actions,
        );
        self.enter(&record.next.value, now, actions);
    }

    pub(super) fn ticket_created(&mut self, id: String, now: Duration, actions: &mut Vec<Action>) {
        let flow = Arc::clone(&self.flow);
        let Some(NodeKind::Ticket(ticket)) = flow.node(&self.node).map(|n| &n.kind) else {
            self.finish(
                actions,
                "conversation lost its place in the flow".to_string(),
            );
            return;
        };
        self.assign(&ticket.save_as, id.trim().to_string(), actions);
        self.enter(&ticket.next.value, now, actions);
    }
}
