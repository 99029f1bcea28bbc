//! Tests of routing without asking (`route` nodes), per-node anger targets, optional slots,
//! date slots against today's date, and escalation when retries run out.

use super::test_support::{said, speech};
use super::*;
use crate::flow::load_flow;
use crate::matcher::KeywordMatcher;

const FLOW: &str = r#"
flow: routing-test
escalation: supervisor
start: menu
intents:
  billing:
    keywords: [bill, invoice]
  tech:
    keywords: [internet, router]
routes:
  - intent: billing
    next: billing_answer
nodes:
  menu:
    ask: "Billing or tech?"
    routes:
      - intent: tech
        next: tech_answer
    otherwise: triage
    on_anger: calm_down
    max_retries: 0
  triage:
    route: utterance
    routes:
      - intent: billing
        next: billing_answer
    default: delivery_date
  billing_answer:
    say: "Bills go out monthly."
    next: follow_up
  tech_answer:
    say: "Restart the router."
    next: follow_up
  follow_up:
    route: last_intent
    routes:
      - intent: tech
        next: ask_callback_time
    default: menu_again
  menu_again:
    ask: "Anything else?"
    slot: { name: comment, type: yes_no, required: false }
    next: bye
  ask_callback_time:
    ask: "When should we call?"
    slot: { name: callback_time, type: time }
    next: delivery_date
  delivery_date:
    ask: "Which day suits you?"
    slot: { name: day, type: date }
    next: bye
  calm_down:
    ask: "I understand this is frustrating. Shall I get a supervisor?"
    slot: { name: wants_supervisor, type: yes_no }
    next: bye
  supervisor:
    transfer: supervisors
    reason: escalated
  bye:
    hangup: "Goodbye, see you on {day:date} at {callback_time:time}."
"#;

const T: Duration = Duration::from_secs(1);

fn call() -> Conversation {
    let flow = Arc::new(load_flow(FLOW, "routing.yaml").expect("valid test flow"));
    let matcher = Arc::new(KeywordMatcher::new(&flow));
    let today = CalendarDate::new(2026, 11, 21).expect("valid date");
    let mut call = Conversation::new(flow, matcher).with_today(today);
    call.start(Duration::ZERO);
    call
}

#[test]
fn route_by_last_intent_branches_on_the_topic() {
    let mut call = call();
    let actions = call.handle(speech("My router is broken"), T);
    assert!(said(&actions).contains("Restart the router. When should we call?"));
    let mut call = self::call();
    let actions = call.handle(speech("A question about my bill"), T);
    assert!(said(&actions).contains("Bills go out monthly. Anything else?"));
}

#[test]
fn time_and_date_slots_fill_and_read_back() {
    let mut call = call();
    call.handle(speech("internet problem"), T);
    let actions = call.handle(speech("half past four in the afternoon"), T);
    assert_eq!(call.variable("callback_time"), Some("16:30"));
    assert!(said(&actions).contains("Which day suits you?"));
    let actions = call.handle(speech("next Tuesday"), T);
    assert_eq!(call.variable("day"), Some("2026-11-24"));
    assert!(
        said(&actions).contains(
            "see you on the twenty-fourth of November twenty twenty-six at four thirty p.m."
        ),
        "{actions:?}"
    );
}

#[test]
fn optional_slot_continues_without_a_value() {
    let mut call = call();
    call.handle(speech("my bill"), T);
    let actions = call.handle(speech("the weather is nice"), T);
    assert_eq!(call.variable("comment"), Some(""));
    assert!(call.is_finished(), "{actions:?}");
}

#[test]
fn route_by_utterance_reclassifies_and_falls_back_to_default() {
    let mut call = call();
    let actions = call.handle(speech("hmm something else entirely"), T);
    assert_eq!(call.current_node(), "delivery_date", "{actions:?}");
}

#[test]
fn node_anger_target_wins_over_flow_escalation() {
    let mut call = call();
    let actions = call.handle(CallerInput::Anger { score: 0.95 }, T);
    assert!(said(&actions).contains("I understand this is frustrating"));
    assert_eq!(call.current_node(), "calm_down");
    let again = call.handle(CallerInput::Anger { score: 0.99 }, T);
    assert!(
        again.iter().any(|a| matches!(a, Action::Transfer { queue, reason } if queue == "supervisors" && reason == "anger")),
        "at calm_down the flow's escalation applies: {again:?}"
    );
}

#[test]
fn exhausted_retries_go_to_the_flow_escalation() {
    let mut call = call();
    let actions = call.handle(CallerInput::NoInput, T * 10);
    assert!(
        actions.contains(&Action::Transfer {
            queue: "supervisors".into(),
            reason: "escalated".into()
        }),
        "{actions:?}"
    );
}

#[test]
fn unrouted_key_is_a_no_match() {
    let mut call = call();
    let actions = call.handle(CallerInput::Dtmf('7'), T);
    assert!(actions.contains(&Action::Matched {
        intent: None,
        score: 0.0,
        node: "menu".into()
    }));
}
