//! Near-miss matching on the shop flow with the real embedding model: with the flow's
//! `near_miss` setting on, questions whose one garbled word sank the embedding match are still
//! routed by the words that survived, and off-topic questions are still refused.

mod support;

use hotline_flow::{load_flow, IntentMatcher};
use hotline_nlu::EmbeddingMatcher;

fn shop(near_miss: bool) -> EmbeddingMatcher {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../flows/shop.yaml");
    let source = std::fs::read_to_string(path).expect("flows/shop.yaml is readable");
    let source = source.replacen(
        "settings:\n",
        &format!("settings:\n  near_miss: {near_miss}\n"),
        1,
    );
    let flow = load_flow(&source, "shop.yaml").expect("shop flow is valid");
    assert_eq!(flow.settings().near_miss, near_miss);
    // The floor the server uses for keyword (and near-miss) matches.
    EmbeddingMatcher::new(&flow, support::encoder())
        .expect("matcher builds")
        .with_keyword_floor(0.2)
}

/// Transcripts Whisper base wrote for espeak-ng voices over G.711 (`hotline bench spoken`), and
/// one made up in the same way, where the embeddings and the keywords find nothing.
const GARBLED: &[(&str, &str)] = &[
    // "How many days until my package gets here?"
    (
        "How many may might I fill my package? Get scared.",
        "delivery_time",
    ),
    ("Skree many weeks for the package, gorblin", "delivery_time"),
];

#[test]
fn surviving_words_route_a_garbled_question_only_with_the_setting_on() {
    let (off, on) = (shop(false), shop(true));
    for (text, expected) in GARBLED {
        assert_eq!(
            off.classify(text),
            None,
            "{text:?} matched without near miss"
        );
        let found = on.classify(text).expect("a near-miss match");
        assert_eq!(found.intent, *expected, "{text:?}");
        assert!(!found.near_miss.is_empty(), "{text:?}: {found:?}");
    }
}

#[test]
fn off_topic_questions_are_still_refused() {
    let on = shop(true);
    for text in [
        "What time is it?",
        "Is the shop open source?",
        "What's the weather like tomorrow?",
        "Who won the football game last night?",
        "Can you recommend a good restaurant?",
        "My neighbour's dog keeps barking.",
        "What is the capital of France?",
        "I want to open a bank account",
        "[BLANK_AUDIO]",
    ] {
        assert_eq!(on.classify(text), None, "{text:?}");
    }
}

#[test]
fn a_match_by_meaning_is_not_marked_as_a_near_miss() {
    let found = shop(true)
        .classify("How long does delivery take?")
        .expect("a match");
    assert_eq!(found.intent, "delivery_time");
    assert!(found.near_miss.is_empty());
}
