//! Tests of the dialogue engine's transitions, driven with a real `KeywordMatcher`.

use super::test_support::{speech, spoken as said};
use super::*;
use crate::flow::load_flow;
use crate::matcher::KeywordMatcher;

const FLOW: &str = "\
flow: engine-test
settings:
  no_input_timeout: 5s
  max_failures: 3
variables:
  shop: Acme
start: hello
intents:
  hours:
    examples: [when are you open]
    keywords: [hours, open]
  person:
    keywords: [person, agent]
  bye:
    keywords: [bye, no thanks]
  yes:
    keywords: [yes, yeah]
routes:
  - intent: person
    dtmf: '0'
    next: agent
  - intent: bye
    next: goodbye
nodes:
  hello:
    say: Welcome to {shop}.
    next: menu
  menu:
    ask: How can I help?
    routes:
      - intent: hours
        dtmf: '1'
        next: hours_answer
    no_input: I did not hear you.
    no_match: I did not understand.
  hours_answer:
    say: We are open 9 to 5.
    next: more
  more:
    ask: Anything else?
    timeout: 8s
    max_retries: 1
    on_failure: goodbye
  keys_only:
    ask: Press a key.
    listen: dtmf
    routes:
      - dtmf: '#'
        next: goodbye
  agent:
    transfer: support
    say: Putting you through.
    reason: asked for a person
  goodbye:
    hangup: Goodbye from {shop}!
    reason: caller said goodbye
";

fn conversation(source: &str) -> Conversation {
    let flow = Arc::new(load_flow(source, "engine.yaml").expect("valid test flow"));
    let matcher = Arc::new(KeywordMatcher::new(&flow));
    Conversation::new(flow, matcher)
}

fn started() -> Conversation {
    let mut call = conversation(FLOW);
    call.start(Duration::ZERO);
    call
}

const T: Duration = Duration::from_secs(10);

#[test]
fn start_greets_then_asks_and_listens() {
    let mut call = conversation(FLOW);
    assert_eq!(call.current_node(), "hello");
    let actions = call.start(Duration::from_millis(200));
    assert_eq!(
        actions,
        vec![
            Action::Say {
                text: "Welcome to Acme.".into()
            },
            Action::Say {
                text: "How can I help?".into()
            },
            Action::Listen {
                timeout: Duration::from_secs(5),
                speech: true,
                dtmf: true
            },
        ]
    );
    assert_eq!(call.current_node(), "menu");
    assert_eq!(call.listen_deadline(), Some(Duration::from_millis(5200)));
    assert!(call.start(T).is_empty(), "a second start does nothing");
}

#[test]
fn matched_intent_answers_then_asks_anything_else() {
    let mut call = started();
    let actions = call.handle(speech(" When are you open?"), T);
    let Some(Action::Matched {
        intent,
        score,
        node,
    }) = actions.first()
    else {
        panic!("first action should be the match trace: {actions:?}");
    };
    assert_eq!((intent.as_deref(), node.as_str()), (Some("hours"), "menu"));
    assert!(*score > 0.5);
    assert_eq!(
        said(&actions),
        vec!["We are open 9 to 5.", "Anything else?"]
    );
    assert_eq!(
        actions.last(),
        Some(&Action::Listen {
            timeout: Duration::from_secs(8),
            speech: true,
            dtmf: true
        })
    );
    assert_eq!(call.current_node(), "more");
    assert_eq!(call.listen_deadline(), Some(T + Duration::from_secs(8)));
}

#[test]
fn no_match_reprompts_and_traces_nothing_matched() {
    let mut call = started();
    let actions = call.handle(speech(" What's the weather like?"), T);
    assert_eq!(
        actions[0],
        Action::Matched {
            intent: None,
            score: 0.0,
            node: "menu".into()
        }
    );
    assert_eq!(said(&actions), vec!["I did not understand."]);
    assert!(matches!(actions.last(), Some(Action::Listen { .. })));
    assert_eq!(call.current_node(), "menu");
}

#[test]
fn no_input_and_noise_reprompt_with_no_input_text() {
    let mut call = started();
    assert_eq!(
        said(&call.handle(CallerInput::NoInput, T)),
        vec!["I did not hear you."]
    );
    let actions = call.handle(speech(" [BLANK_AUDIO]"), T);
    assert_eq!(said(&actions), vec!["I did not hear you."]);
    assert!(
        !actions.iter().any(|a| matches!(a, Action::Matched { .. })),
        "noise is not a match attempt"
    );
}

#[test]
fn retries_exhausted_without_on_failure_hangs_up() {
    let mut call = started();
    call.handle(CallerInput::NoInput, T);
    call.handle(speech("blah blah"), T);
    let actions = call.handle(CallerInput::NoInput, T);
    assert_eq!(
        actions,
        vec![Action::Hangup {
            reason: "too many failed attempts".into()
        }]
    );
    assert!(call.is_finished());
}

#[test]
fn retries_exhausted_goes_to_on_failure() {
    let mut call = started();
    call.handle(CallerInput::Dtmf('1'), T);
    // `more` allows one retry; without its own reprompt text it repeats the question.
    assert_eq!(
        said(&call.handle(CallerInput::NoInput, T)),
        vec!["Anything else?"]
    );
    let actions = call.handle(CallerInput::NoInput, T);
    assert_eq!(said(&actions), vec!["Goodbye from Acme!"]);
    assert_eq!(
        actions.last(),
        Some(&Action::Hangup {
            reason: "caller said goodbye".into()
        })
    );
}

#[test]
fn success_resets_the_failure_count() {
    let mut call = started();
    call.handle(CallerInput::NoInput, T);
    call.handle(CallerInput::NoInput, T);
    call.handle(CallerInput::Dtmf('1'), T);
    call.handle(speech("yes"), T); // `yes` is not routed at `more`: a failure there
    assert_eq!(call.current_node(), "more");
    assert!(!call.is_finished());
}

#[test]
fn dtmf_routes_and_global_routes() {
    let mut call = started();
    let actions = call.handle(CallerInput::Dtmf('1'), T);
    assert_eq!(
        actions[0],
        Action::Matched {
            intent: Some("hours".into()),
            score: 1.0,
            node: "menu".into()
        }
    );
    assert_eq!(call.current_node(), "more");
    let actions = call.handle(CallerInput::Dtmf('0'), T);
    assert_eq!(said(&actions), vec!["Putting you through."]);
    assert_eq!(
        actions.last(),
        Some(&Action::Transfer {
            queue: "support".into(),
            reason: "asked for a person".into()
        })
    );
    assert!(call.is_finished());
}

#[test]
fn unrouted_key_is_a_no_match() {
    let mut call = started();
    let actions = call.handle(CallerInput::Dtmf('7'), T);
    assert_eq!(
        actions[0],
        Action::Matched {
            intent: None,
            score: 0.0,
            node: "menu".into()
        }
    );
    assert_eq!(said(&actions), vec!["I did not understand."]);
}

#[test]
fn goodbye_says_goodbye_then_hangs_up_and_ignores_further_input() {
    let mut call = started();
    let actions = call.handle(speech(" No thanks, bye."), T);
    assert_eq!(said(&actions), vec!["Goodbye from Acme!"]);
    assert_eq!(
        actions.last(),
        Some(&Action::Hangup {
            reason: "caller said goodbye".into()
        })
    );
    assert!(call.is_finished());
    assert_eq!(call.current_node(), "goodbye");
    assert!(call.handle(speech("hello?"), T).is_empty());
    assert_eq!(call.listen_deadline(), None);
}

#[test]
fn caller_hangup_finishes_silently() {
    let mut call = started();
    assert!(call.handle(CallerInput::Hangup, T).is_empty());
    assert!(call.is_finished());
}

#[test]
fn input_before_start_is_ignored() {
    let mut call = conversation(FLOW);
    assert!(call.handle(speech("when are you open"), T).is_empty());
    assert_eq!(call.current_node(), "hello");
}

#[test]
fn dtmf_only_ask_treats_speech_as_no_match() {
    let source = FLOW.replace("start: hello", "start: keys_only");
    let mut call = conversation(&source);
    let actions = call.start(Duration::ZERO);
    assert_eq!(
        actions.last(),
        Some(&Action::Listen {
            timeout: Duration::from_secs(5),
            speech: false,
            dtmf: true
        })
    );
    let actions = call.handle(speech("bye"), T);
    assert_eq!(said(&actions), vec!["Press a key."]);
    assert_eq!(call.current_node(), "keys_only");
    call.handle(CallerInput::Dtmf('#'), T);
    assert!(call.is_finished());
}

#[test]
fn variables_can_be_set_per_call() {
    let mut call = conversation(FLOW);
    call.set_variable("shop", "Northwind");
    assert_eq!(
        said(&call.start(Duration::ZERO))[0],
        "Welcome to Northwind."
    );
}

#[test]
fn an_intent_with_no_route_here_is_traced_as_no_match_with_its_score() {
    let mut call = started();
    // `yes` is an intent of the flow, but `menu` has no route for it and neither do the globals.
    let actions = call.handle(speech("yeah"), T);
    let Some(Action::Matched {
        intent,
        score,
        node,
    }) = actions.first()
    else {
        panic!("{actions:?}");
    };
    assert_eq!(intent, &None, "the route was not taken: {actions:?}");
    assert!(*score > 0.0, "the candidate's score is kept: {actions:?}");
    assert_eq!(node, "menu");
    assert_eq!(said(&actions), vec!["I did not understand."]);
}

#[test]
fn keys_for_a_slot_are_collected_until_a_pause() {
    let flow = FLOW.replace(
        "  keys_only:",
        "  account:\n    ask: Your account number?\n    slot: { name: account, type: digits }\n    next: goodbye\n  keys_only:",
    );
    let mut call = conversation(&flow.replace("start: hello", "start: account"));
    call.start(Duration::ZERO);
    assert!(!call.collecting_digits());
    call.handle(CallerInput::Dtmf('4'), T);
    call.handle(CallerInput::Dtmf('5'), T);
    assert!(call.collecting_digits());
    let actions = call.handle(CallerInput::NoInput, T + Duration::from_secs(3));
    assert!(!call.collecting_digits());
    assert!(
        actions.contains(&Action::SlotFilled {
            slot: "account".into(),
            value: "45".into(),
            node: "account".into()
        }),
        "{actions:?}"
    );
}
