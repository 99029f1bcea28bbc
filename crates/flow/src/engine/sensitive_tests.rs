//! Tests of `sensitive` slots: the engine says which answer is personal data, masks it in what
//! it reports, and a masked answer replayed as `Withheld` takes the flow the same way.

use super::test_support::{said, speech};
use super::*;
use crate::flow::load_flow;
use crate::matcher::KeywordMatcher;

const FLOW: &str = "\
flow: sensitive-test
start: card
intents:
  advisor:
    keywords: [advisor]
routes:
  - intent: advisor
    next: advisor
nodes:
  card:
    ask: Type the last four digits of your card.
    slot: { name: last_four, type: digits, length: 4, sensitive: true }
    next: confirm
    no_match: Four digits, please.
  confirm:
    ask: \"Your card ends in {last_four:digits}. Block it?\"
    slot: { name: ok, type: yes_no }
    next: bye
  advisor:
    transfer: cards
  bye:
    hangup: Goodbye.
";

fn conversation() -> Conversation {
    let flow = Arc::new(load_flow(FLOW, "sensitive.yaml").expect("valid flow"));
    let matcher = Arc::new(KeywordMatcher::new(&flow));
    Conversation::new(flow, matcher)
}

fn slot_fills(actions: &[Action]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SlotFilled { slot, value, .. } => Some((slot.clone(), value.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_engine_knows_when_it_listens_for_personal_data() {
    let mut call = conversation();
    assert!(call.is_sensitive("last_four"));
    assert!(!call.is_sensitive("ok"));
    call.start(Duration::ZERO);
    assert_eq!(call.sensitive_slot(), Some("last_four"));
    call.handle(speech("4 8 2 1"), Duration::from_secs(2));
    assert_eq!(call.sensitive_slot(), None);
}

#[test]
fn the_engine_says_what_kind_of_answer_it_waits_for() {
    let mut call = conversation();
    call.start(Duration::ZERO);
    assert_eq!(call.expected_slot(), Some(SlotType::Digits));
    call.handle(speech("4 8 2 1"), Duration::from_secs(2));
    assert_eq!(call.expected_slot(), Some(SlotType::YesNo));
    call.handle(speech("yes"), Duration::from_secs(4));
    assert_eq!(call.expected_slot(), None);
}

#[test]
fn the_flow_says_the_value_but_the_record_is_masked() {
    let mut call = conversation();
    call.start(Duration::ZERO);
    let actions = call.handle(speech("4 8 2 1"), Duration::from_secs(2));
    assert_eq!(slot_fills(&actions), [("last_four".into(), "4821".into())]);
    let spoken = said(&actions);
    assert!(spoken.contains("four eight two one"), "{spoken}");
    let shown = call.redact(&spoken);
    assert!(!shown.contains("four eight"), "{shown}");
    assert!(shown.contains("two one"), "{shown}");
    assert!(!shown.contains("4821"), "{shown}");
    assert_eq!(call.variable("last_four"), Some("4821"));
    assert_eq!(
        call.variable("last_utterance"),
        Some(crate::privacy::WITHHELD)
    );
}

#[test]
fn a_withheld_answer_replays_to_the_same_masked_record() {
    let mut original = conversation();
    original.start(Duration::ZERO);
    let heard = original.handle(speech("4 8 2 1"), Duration::from_secs(2));
    let recorded: Vec<String> = heard
        .iter()
        .map(|a| original.redact(&format!("{a:?}")))
        .collect();

    let mut replay = conversation();
    replay.start(Duration::ZERO);
    let masked = crate::privacy::mask("4821");
    let again = replay.handle(
        CallerInput::Withheld {
            value: Some(masked.clone()),
        },
        Duration::from_secs(2),
    );
    let replayed: Vec<String> = again
        .iter()
        .map(|a| replay.redact(&format!("{a:?}")))
        .collect();
    assert_eq!(replayed, recorded);
    assert_eq!(replay.variable("last_four"), Some(masked.as_str()));
}

#[test]
fn a_withheld_answer_that_filled_nothing_is_a_no_match() {
    let mut call = conversation();
    call.start(Duration::ZERO);
    let actions = call.handle(
        CallerInput::Withheld { value: None },
        Duration::from_secs(2),
    );
    assert_eq!(said(&actions), "Four digits, please.");
    assert_eq!(call.sensitive_slot(), Some("last_four"));
}

#[test]
fn keys_typed_for_a_sensitive_slot_fill_it_once_complete() {
    let mut call = conversation();
    call.start(Duration::ZERO);
    for key in ['4', '8', '2'] {
        let actions = call.handle(CallerInput::Dtmf(key), Duration::from_secs(2));
        assert!(slot_fills(&actions).is_empty());
    }
    let actions = call.handle(CallerInput::Dtmf('1'), Duration::from_secs(3));
    assert_eq!(slot_fills(&actions), [("last_four".into(), "4821".into())]);
}
