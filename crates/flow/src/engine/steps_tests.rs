//! Tests of the newer nodes and of conversation memory: slots and corrections, menus,
//! http, faq, record, ticket, set/if/goto, caller memory, follow-ups and anger.

use super::test_support::{said, speech};
use super::*;
use crate::flow::load_flow;
use crate::matcher::KeywordMatcher;

const FLOW: &str = r#"
flow: steps-test
settings:
  anger_threshold: 0.7
variables:
  shop: Acme
remember: [language, last_intent]
escalation: angry_agent
start: check_language
intents:
  order_status:
    keywords: [where is my order, order status]
  returns:
    keywords: [return, refund]
  duration:
    keywords: [how long]
  person:
    keywords: [person, agent]
  bye:
    keywords: [bye]
routes:
  - intent: duration
    topic: returns
    next: refund_time
  - intent: duration
    next: delivery_time
  - intent: returns
    next: returns_answer
  - intent: person
    next: agent
  - intent: bye
    next: goodbye
faq:
  gift:
    question: Do you offer gift wrapping?
    paraphrases: [can you gift wrap it]
    answer: Gift wrapping at {shop} costs 3 dollars.
nodes:
  check_language:
    if: "caller.language"
    then: use_language
    else: language_menu
  use_language:
    set: { language: "{caller.language}" }
    next: main
  language_menu:
    menu: "For English press 1, für Deutsch drücken Sie 2."
    choices:
      - dtmf: "1"
        words: [english]
        next: english
      - dtmf: "2"
        words: [deutsch, german]
        next: german
  english:
    set: { language: en }
    next: main
  german:
    set: { language: de }
    next: main
  main:
    ask: "How can I help?"
    routes:
      - intent: order_status
        next: ask_order
    otherwise: faq_answer
  faq_answer:
    faq: "{last_utterance}"
    next: main
    on_no_answer: not_understood
  not_understood:
    say: "Sorry, I can't answer that."
    next: main
  returns_answer:
    say: "Returns are free within 30 days."
    next: main
  refund_time:
    say: "Refunds take 5 days."
    next: main
  delivery_time:
    say: "Delivery takes 2 days."
    next: main
  ask_order:
    ask: "What is your order number?"
    slot: { name: order_number, type: order_number }
    next: confirm_order
    no_match: "Please say the digits of your order number."
  confirm_order:
    ask: "I have {order_number:digits}. Is that right?"
    slot: { name: confirmed, type: yes_no }
    next: confirmed_branch
  confirmed_branch:
    if: "confirmed == 'yes'"
    then: lookup
    else: ask_order
  lookup:
    http: "{env.SHOP_API_URL}/orders/{order_number}"
    headers: { Authorization: "Bearer {env.SHOP_API_KEY}" }
    map: { order_status: status }
    say: "One moment."
    next: status
    on_failure: lookup_failed
  status:
    say: "Your order is {order_status}."
    next: main
  lookup_failed:
    say: "I can't reach the order system."
    next: voicemail
  voicemail:
    record: "Leave a message after the beep."
    max: 1m
    next: open_ticket
  open_ticket:
    ticket: "Callback for order {order_number}"
    fields: { recording: "{recording}" }
    next: ticket_done
  ticket_done:
    goto: thanks
  thanks:
    hangup: "Your ticket number is {ticket_id:digits}. Goodbye."
  agent:
    transfer: support
    reason: asked for a person
  angry_agent:
    transfer: support
    say: "Let me get a colleague."
    reason: escalated
  goodbye:
    hangup: Bye
"#;

const T: Duration = Duration::from_secs(1);

fn call_with(memory: &[(&str, &str)]) -> (Conversation, Vec<Action>) {
    let flow = Arc::new(load_flow(FLOW, "steps.yaml").expect("valid test flow"));
    let matcher = Arc::new(KeywordMatcher::new(&flow));
    let memory: Vec<(String, String)> = memory
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut call = Conversation::new(flow, matcher).with_caller_memory(memory);
    let actions = call.start(Duration::ZERO);
    (call, actions)
}

/// A call at `main`, language chosen from memory.
fn at_main() -> Conversation {
    let (call, _) = call_with(&[("language", "en")]);
    assert_eq!(call.current_node(), "main");
    call
}

/// A call that has confirmed order 4567 and waits for the API.
fn at_lookup() -> (Conversation, Vec<Action>) {
    let mut call = at_main();
    call.handle(speech("Where is my order?"), T);
    call.handle(speech("four five six seven"), T);
    let actions = call.handle(speech("yes"), T);
    (call, actions)
}

#[test]
fn remembered_language_skips_the_language_menu() {
    let (call, actions) = call_with(&[("language", "de")]);
    assert_eq!(call.current_node(), "main");
    assert!(actions.contains(&Action::Language { code: "de".into() }));
    assert!(actions.contains(&Action::Remember {
        key: "language".into(),
        value: "de".into()
    }));
    assert!(!said(&actions).contains("Deutsch"));
}

#[test]
fn new_caller_chooses_language_by_key_or_word_and_it_is_remembered() {
    let (mut call, actions) = call_with(&[]);
    assert_eq!(call.current_node(), "language_menu");
    assert!(said(&actions).contains("Deutsch"));
    let actions = call.handle(CallerInput::Dtmf('2'), T);
    assert!(actions.contains(&Action::Language { code: "de".into() }));
    assert!(actions.contains(&Action::Remember {
        key: "language".into(),
        value: "de".into()
    }));
    assert_eq!(call.current_node(), "main");

    let (mut call, _) = call_with(&[]);
    let actions = call.handle(speech(" German, please."), T);
    assert!(actions.contains(&Action::Language { code: "de".into() }));
    let (mut call, _) = call_with(&[]);
    call.handle(speech("one"), T);
    assert_eq!(call.variable("language"), Some("en"));
}

#[test]
fn order_number_slot_is_read_back_digit_by_digit() {
    let mut call = at_main();
    let actions = call.handle(speech("Where is my order?"), T);
    assert!(said(&actions).contains("What is your order number?"));
    let actions = call.handle(speech(" It's for five six seven."), T);
    assert!(actions.contains(&Action::SlotFilled {
        slot: "order_number".into(),
        value: "4567".into(),
        node: "ask_order".into()
    }));
    assert!(
        said(&actions).contains("I have four five six seven. Is that right?"),
        "{actions:?}"
    );
    assert_eq!(call.variable("order_number"), Some("4567"));
}

#[test]
fn unparseable_slot_answer_reprompts() {
    let mut call = at_main();
    call.handle(speech("Where is my order?"), T);
    let actions = call.handle(speech("I don't remember"), T);
    assert!(said(&actions).contains("Please say the digits"));
    assert_eq!(call.current_node(), "ask_order");
}

#[test]
fn caller_corrects_the_order_number_at_the_confirmation() {
    let mut call = at_main();
    call.handle(speech("Where is my order?"), T);
    call.handle(speech("one two three four"), T);
    let actions = call.handle(speech("No, the order number is 4 5 6 7."), T);
    assert_eq!(call.variable("order_number"), Some("4567"));
    assert!(
        said(&actions).contains("I have four five six seven"),
        "{actions:?}"
    );
    assert_eq!(call.current_node(), "confirm_order");
    let actions = call.handle(speech("Yes, that's right."), T);
    let Some(Action::Http(request)) = actions.iter().find(|a| matches!(a, Action::Http(_))) else {
        panic!("expected an http request: {actions:?}");
    };
    assert_eq!(request.url, "{env.SHOP_API_URL}/orders/4567");
}

#[test]
fn plain_no_at_the_confirmation_asks_again() {
    let mut call = at_main();
    call.handle(speech("Where is my order?"), T);
    call.handle(speech("one two three four"), T);
    let actions = call.handle(speech("nope"), T);
    assert!(said(&actions).contains("What is your order number?"));
}

#[test]
fn order_number_typed_on_the_keypad() {
    let mut call = at_main();
    call.handle(speech("Where is my order?"), T);
    for key in ['4', '5', '6'] {
        let actions = call.handle(CallerInput::Dtmf(key), T);
        assert!(
            matches!(actions.as_slice(), [Action::Listen { dtmf: true, timeout, .. }] if *timeout == Duration::from_secs(3)),
            "{actions:?}"
        );
    }
    call.handle(CallerInput::Dtmf('7'), T);
    let actions = call.handle(CallerInput::Dtmf('#'), T);
    assert!(said(&actions).contains("four five six seven"));
}

#[test]
fn pause_after_typed_digits_submits_them() {
    let mut call = at_main();
    call.handle(speech("Where is my order?"), T);
    for key in ['9', '8', '7', '6', '5'] {
        call.handle(CallerInput::Dtmf(key), T);
    }
    let actions = call.handle(CallerInput::NoInput, T * 5);
    assert_eq!(call.variable("order_number"), Some("98765"), "{actions:?}");
}

#[test]
fn http_success_maps_fields_into_variables() {
    let (mut call, actions) = at_lookup();
    assert!(said(&actions).contains("One moment."));
    let Some(Action::Http(request)) = actions.last() else {
        panic!("expected an http request last: {actions:?}");
    };
    assert_eq!(request.headers[0].1, "Bearer {env.SHOP_API_KEY}");
    assert!(
        call.handle(speech("hello?"), T).is_empty(),
        "speech is ignored while waiting"
    );
    let actions = call.handle(
        CallerInput::HttpResult {
            status: Some(200),
            body: r#"{"status":"shipped"}"#.into(),
        },
        T,
    );
    assert!(
        said(&actions).contains("Your order is shipped."),
        "{actions:?}"
    );
    assert_eq!(call.variable("order_status"), Some("shipped"));
    assert_eq!(call.variable("http_status"), Some("200"));
    assert_eq!(call.current_node(), "main");
}

#[test]
fn http_failures_take_on_failure() {
    for (status, body) in [
        (None, ""),
        (Some(500), r#"{"status":"shipped"}"#),
        (Some(200), "not json"),
        (Some(200), r#"{"state":"shipped"}"#),
    ] {
        let (mut call, _) = at_lookup();
        let actions = call.handle(
            CallerInput::HttpResult {
                status,
                body: body.into(),
            },
            T,
        );
        assert!(
            said(&actions).contains("can't reach"),
            "{status:?} {body}: {actions:?}"
        );
        assert!(actions.contains(&Action::Record {
            max: Duration::from_secs(60),
            beep: true
        }));
        assert_eq!(call.current_node(), "voicemail");
    }
}

#[test]
fn voicemail_then_ticket_then_goodbye_with_ticket_number() {
    let (mut call, _) = at_lookup();
    call.handle(
        CallerInput::HttpResult {
            status: None,
            body: String::new(),
        },
        T,
    );
    let actions = call.handle(
        CallerInput::Recorded {
            path: "/var/hotline/vm/1.wav".into(),
            duration: Duration::from_secs(14),
        },
        T,
    );
    assert_eq!(call.variable("recording"), Some("/var/hotline/vm/1.wav"));
    assert_eq!(call.variable("recording_duration"), Some("14"));
    assert_eq!(
        actions,
        vec![Action::Ticket {
            summary: "Callback for order 4567".into(),
            fields: vec![("recording".into(), "/var/hotline/vm/1.wav".into())],
        }]
    );
    let actions = call.handle(CallerInput::TicketCreated { id: "812".into() }, T);
    assert!(said(&actions).contains("Your ticket number is eight one two."));
    assert!(call.is_finished());
}

#[test]
fn faq_answers_free_questions_or_admits_it_cannot() {
    let mut call = at_main();
    let actions = call.handle(speech("Can you gift wrap it?"), T);
    assert!(said(&actions).contains("Gift wrapping at Acme costs 3 dollars."));
    assert!(actions
        .iter()
        .any(|a| matches!(a, Action::FaqAnswered { entry: Some(e), .. } if e == "gift")));
    assert_eq!(call.variable("faq_entry"), Some("gift"));
    let actions = call.handle(speech("What is the meaning of life?"), T);
    assert!(said(&actions).contains("can't answer"), "{actions:?}");
    assert_eq!(call.current_node(), "main");
}

#[test]
fn follow_up_resolves_against_the_topic() {
    let mut call = at_main();
    let actions = call.handle(speech("I want to return a lamp."), T);
    assert!(said(&actions).contains("Returns are free"));
    assert!(actions.contains(&Action::Remember {
        key: "last_intent".into(),
        value: "returns".into()
    }));
    let actions = call.handle(speech("And how long does that take?"), T);
    assert!(
        said(&actions).contains("Refunds take 5 days."),
        "{actions:?}"
    );
    // Asked on its own, the same intent has its usual answer.
    let mut fresh = at_main();
    let actions = fresh.handle(speech("How long does delivery take?"), T);
    assert!(
        said(&actions).contains("Delivery takes 2 days."),
        "{actions:?}"
    );
}

#[test]
fn follow_up_without_intent_takes_the_topic_again() {
    let mut call = at_main();
    call.handle(speech("I want a refund."), T);
    let actions = call.handle(speech("So what about that?"), T);
    assert!(actions.contains(&Action::Matched {
        intent: Some("returns".into()),
        score: 0.0,
        node: "main".into()
    }));
    assert!(said(&actions).contains("Returns are free"));
}

#[test]
fn anger_escalates_with_reason() {
    let mut call = at_main();
    assert!(
        call.handle(CallerInput::Anger { score: 0.5 }, T).is_empty(),
        "below threshold"
    );
    let actions = call.handle(CallerInput::Anger { score: 0.9 }, T);
    assert_eq!(
        actions,
        vec![
            Action::Say {
                text: "Let me get a colleague.".into()
            },
            Action::Transfer {
                queue: "support".into(),
                reason: "anger".into()
            },
        ]
    );
    assert!(call.is_finished());
}

#[test]
fn angry_speech_escalates_and_calm_speech_is_understood() {
    let mut call = at_main();
    let calm = CallerInput::SpeechWithMood {
        text: "I want a refund".into(),
        confidence: 0.9,
        anger: 0.2,
    };
    assert!(said(&call.handle(calm, T)).contains("Returns are free"));
    let angry = CallerInput::SpeechWithMood {
        text: "This is ridiculous, where is my order".into(),
        confidence: 0.9,
        anger: 0.95,
    };
    let actions = call.handle(angry, T);
    assert!(actions
        .iter()
        .any(|a| matches!(a, Action::Transfer { reason, .. } if reason == "anger")));
    assert_eq!(call.variable("escalation_reason"), Some("anger"));
}

#[test]
fn the_latest_anger_score_is_a_variable_for_the_flow() {
    let mut call = at_main();
    assert_eq!(call.variable("anger"), Some("0.00"));
    let annoyed = CallerInput::SpeechWithMood {
        text: "what is your return policy".into(),
        confidence: 0.9,
        anger: 0.456,
    };
    call.handle(annoyed, T);
    assert_eq!(call.variable("anger"), Some("0.46"));
    call.handle(CallerInput::Anger { score: 0.1 }, T);
    assert_eq!(call.variable("anger"), Some("0.10"));
}

#[test]
fn angry_words_while_waiting_for_the_api_still_escalate() {
    let (mut call, _) = at_lookup();
    let angry = CallerInput::SpeechWithMood {
        text: "how long does this take".into(),
        confidence: 0.8,
        anger: 0.9,
    };
    let actions = call.handle(angry, T);
    assert!(actions
        .iter()
        .any(|a| matches!(a, Action::Transfer { reason, .. } if reason == "anger")));
    let late = CallerInput::HttpResult {
        status: Some(200),
        body: r#"{"status":"shipped"}"#.into(),
    };
    assert!(
        call.handle(late, T).is_empty(),
        "a late API answer is ignored"
    );
}

#[test]
fn runtime_answers_out_of_turn_are_ignored() {
    let mut call = at_main();
    let stray = CallerInput::HttpResult {
        status: Some(200),
        body: "{}".into(),
    };
    assert!(call.handle(stray, T).is_empty());
    assert!(call
        .handle(CallerInput::TicketCreated { id: "1".into() }, T)
        .is_empty());
    assert_eq!(call.current_node(), "main");
}
