//! The rule that every campaign flow offers an opt-out: some question the contact can reach
//! takes key 9 or an opt-out intent (`stop`, `opt_out`, `unsubscribe`).

use std::collections::{HashSet, VecDeque};

use hotline_flow::{Flow, NodeKind, Route};

/// Intent names taken as "do not call me again".
pub const OPT_OUT_INTENTS: &[&str] = &["stop", "opt_out", "optout", "unsubscribe"];

/// How the flow lets a contact opt out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptOutOffer {
    /// Nodes reachable from the start whose routes take key 9.
    pub by_key_9: Vec<String>,
    /// Nodes (or `routes` for the flow's global routes) that take an opt-out intent.
    pub by_speech: Vec<String>,
}

impl OptOutOffer {
    /// Whether the contact can opt out at all.
    pub fn is_offered(&self) -> bool {
        !self.by_key_9.is_empty() || !self.by_speech.is_empty()
    }
}

/// Finds the opt-out routes of the nodes reachable from the flow's start.
pub fn find_opt_out(flow: &Flow) -> OptOutOffer {
    let mut offer = OptOutOffer::default();
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([flow.start().to_string()]);
    let mut asks_reached = false;
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(node) = flow.node(&id) else { continue };
        if let NodeKind::Ask(ask) | NodeKind::Menu(ask) = &node.kind {
            asks_reached = true;
            note_routes(&ask.routes, &id, &mut offer);
        }
        for target in node.targets() {
            queue.push_back(target.value.clone());
        }
    }
    if asks_reached {
        // The flow's global routes apply at every question.
        note_routes(flow.global_routes(), "routes", &mut offer);
    }
    offer
}

fn note_routes(routes: &[Route], where_: &str, offer: &mut OptOutOffer) {
    for route in routes {
        if route.dtmf == Some('9') && !offer.by_key_9.iter().any(|n| n == where_) {
            offer.by_key_9.push(where_.to_string());
        }
        let intent = route.intent.as_ref().map(|i| i.value.to_ascii_lowercase());
        let spoken = intent.is_some_and(|i| OPT_OUT_INTENTS.contains(&i.as_str()))
            || route.phrases.iter().any(|p| p.eq_ignore_ascii_case("stop"));
        if spoken && !offer.by_speech.iter().any(|n| n == where_) {
            offer.by_speech.push(where_.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_flow::load_flow;

    const WITH_OPT_OUT: &str = r#"
flow: notice
start: hello
intents:
  stop: { keywords: [stop] }
  yes: { keywords: [yes] }
nodes:
  hello:
    say: "Your parcel comes tomorrow."
    next: confirm
  confirm:
    ask: "Press 1 or say yes to confirm, press 9 or say stop to opt out."
    routes:
      - intent: yes
        dtmf: "1"
        next: thanks
      - intent: stop
        dtmf: "9"
        next: bye
  thanks:
    hangup: "Thank you."
  bye:
    hangup: "You will not be called again."
"#;

    #[test]
    fn a_reachable_key_9_and_stop_intent_count() {
        let flow = load_flow(WITH_OPT_OUT, "n.yaml").unwrap();
        let offer = find_opt_out(&flow);
        assert_eq!(offer.by_key_9, ["confirm"]);
        assert_eq!(offer.by_speech, ["confirm"]);
    }

    #[test]
    fn a_flow_without_one_is_caught() {
        let text = WITH_OPT_OUT.replace(
            "      - intent: stop\n        dtmf: \"9\"\n        next: bye\n",
            "      - dtmf: \"2\"\n        next: bye\n",
        );
        let flow = load_flow(&text, "n.yaml").unwrap();
        assert!(!find_opt_out(&flow).is_offered());
    }
}
