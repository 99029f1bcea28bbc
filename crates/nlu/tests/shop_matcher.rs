//! The embedding matcher on the shop flow from `flows/shop.yaml`: paraphrases reach the right
//! intent, unrelated sentences and noise reach none.

mod support;

use hotline_flow::{load_flow, IntentMatcher};
use hotline_nlu::EmbeddingMatcher;

fn matcher() -> EmbeddingMatcher {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../flows/shop.yaml");
    let source = std::fs::read_to_string(path).expect("flows/shop.yaml is readable");
    let flow = load_flow(&source, "shop.yaml").expect("shop flow is valid");
    EmbeddingMatcher::new(&flow, support::encoder()).expect("matcher builds")
}

fn intent(matcher: &EmbeddingMatcher, text: &str) -> Option<String> {
    matcher.classify(text).map(|m| m.intent)
}

#[test]
fn delivery_question_maps_to_delivery_time() {
    let m = matcher();
    let found = m
        .classify(" How long does delivery take?")
        .expect("a match");
    assert_eq!(found.intent, "delivery_time");
    assert!(found.score > 0.9, "score {}", found.score);
}

#[test]
fn paraphrases_not_in_the_examples_match() {
    let m = matcher();
    for (text, expected) in [
        ("how many days until my stuff gets here", "delivery_time"),
        ("I'd like my money back for this jacket", "returns"),
        ("do you take visa", "payment_methods"),
        ("what time do you open on monday", "opening_hours"),
        (
            "I don't want the order anymore, please cancel it",
            "cancel_order",
        ),
        ("could I talk to a real human being", "human"),
        ("how much do you charge for postage", "shipping_cost"),
        ("where is my package", "order_tracking"),
    ] {
        assert_eq!(intent(&m, text).as_deref(), Some(expected), "{text:?}");
    }
}

#[test]
fn unrelated_sentences_and_noise_are_rejected() {
    let m = matcher();
    for text in [
        "what's the weather like today",
        "play some music",
        "I like turtles",
        "",
        "[BLANK_AUDIO]",
        "(silence)",
    ] {
        assert_eq!(intent(&m, text), None, "{text:?}");
    }
}

#[test]
fn short_answers_fall_back_to_keywords() {
    let m = matcher();
    assert_eq!(intent(&m, "Yes.").as_deref(), Some("more_help"));
    assert_eq!(
        intent(&m, "No, thank you. Bye.").as_deref(),
        Some("goodbye")
    );
}

#[test]
fn embeddings_alone_match_paraphrases_without_keywords() {
    // An infinite floor turns the keyword fallback off.
    let m = matcher().with_keyword_floor(f32::INFINITY);
    for (text, expected) in [
        ("when is my stuff going to show up", "delivery_time"),
        ("what time do you open on monday", "opening_hours"),
        (
            "I don't want the order anymore, please cancel it",
            "cancel_order",
        ),
        ("my parcel is late", "order_tracking"),
    ] {
        assert_eq!(intent(&m, text).as_deref(), Some(expected), "{text:?}");
    }
}

#[test]
fn a_stray_keyword_in_an_unrelated_sentence_is_refused() {
    let m = matcher();
    // "open" is an opening_hours keyword; the sentence means something else.
    let text = "I want to open a bank account";
    assert_eq!(intent(&m, text), None);
    // Word overlap with an example ("when are you open") is no second opinion: the embeddings
    // judge the examples, so even without a similarity floor the sentence is refused.
    assert_eq!(intent(&m.with_keyword_floor(0.0), text), None);
    // The keyword matcher alone takes it.
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../flows/shop.yaml"
    ))
    .expect("readable");
    let flow = load_flow(&source, "shop.yaml").expect("valid");
    let keywords = hotline_flow::KeywordMatcher::new(&flow);
    assert_eq!(
        keywords.classify(text).map(|m| m.intent).as_deref(),
        Some("opening_hours")
    );
}

#[test]
fn a_flow_tunes_how_sure_a_match_must_be() {
    assert_eq!(
        hotline_flow::Settings::default().intent_threshold,
        hotline_nlu::MATCH_THRESHOLD,
        "the flow setting's default and the matcher's differ"
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../flows/shop.yaml");
    let source = std::fs::read_to_string(path).expect("flows/shop.yaml is readable");
    // A paraphrase that shares no keyword with its intent: only the embeddings can match it.
    let text = "when is my stuff going to show up";
    assert_eq!(intent(&matcher(), text).as_deref(), Some("delivery_time"));
    let strict = source.replacen("settings:\n", "settings:\n  intent_threshold: 0.99\n", 1);
    assert_ne!(strict, source, "no settings block in shop.yaml");
    let flow = load_flow(&strict, "shop.yaml").expect("still valid");
    assert_eq!(flow.settings().intent_threshold, 0.99);
    let strict = EmbeddingMatcher::new(&flow, support::encoder()).expect("matcher builds");
    assert_eq!(
        intent(&strict, text),
        None,
        "0.99 should refuse a paraphrase"
    );
}
