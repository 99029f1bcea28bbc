//! Precision of `KeywordMatcher` on the Northwind Shop flow: every example and a set of unseen
//! paraphrases reach their intent; off-topic sentences and noise match nothing.

use std::fs;
use std::path::Path;

use hotline_flow::{load_flow, IntentMatcher, KeywordMatcher};

fn shop_matcher() -> KeywordMatcher {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../flows/shop.yaml");
    let source = fs::read_to_string(&path).expect("flows/shop.yaml is readable");
    let flow = load_flow(&source, "shop.yaml").expect("shop.yaml is valid");
    KeywordMatcher::new(&flow)
}

fn mismatches(matcher: &KeywordMatcher, cases: &[(&str, &str)]) -> Vec<String> {
    cases
        .iter()
        .filter_map(|(text, expected)| {
            let found = matcher.classify(text).map(|m| m.intent);
            (found.as_deref() != Some(*expected))
                .then(|| format!("{text:?}: expected {expected}, got {found:?}"))
        })
        .collect()
}

#[test]
fn every_example_matches_its_own_intent() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../flows/shop.yaml");
    let source = fs::read_to_string(&path).expect("readable");
    let flow = load_flow(&source, "shop.yaml").expect("valid");
    let matcher = KeywordMatcher::new(&flow);
    let mut wrong = Vec::new();
    for intent in flow.intents() {
        for example in &intent.examples {
            // As Whisper would write it.
            let transcript = format!(" {}{}?", example[..1].to_uppercase(), &example[1..]);
            let found = matcher.classify(&transcript).map(|m| m.intent);
            if found.as_deref() != Some(intent.id.as_str()) {
                wrong.push(format!(
                    "{transcript:?}: expected {}, got {found:?}",
                    intent.id
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "examples matched wrongly:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn unseen_paraphrases_match() {
    let cases = [
        (" How many days until my order gets here?", "delivery_time"),
        (" Do you offer next day delivery?", "delivery_time"),
        (" How quickly do you ship?", "delivery_time"),
        (" Is delivery free?", "shipping_cost"),
        (" What's the postage?", "shipping_cost"),
        (" How much will shipping cost me?", "shipping_cost"),
        (" I'd like to return these shoes.", "returns"),
        (" The blender arrived damaged.", "returns"),
        (" Can I get a refund?", "returns"),
        (" I'd like to track my order.", "order_tracking"),
        (" What's the status of my order?", "order_tracking"),
        (" My parcel still hasn't arrived.", "order_tracking"),
        (" Do you accept Mastercard?", "payment_methods"),
        (" Can I pay with Google Pay?", "payment_methods"),
        (" What time do you open tomorrow?", "opening_hours"),
        (" Are you open at the weekend?", "opening_hours"),
        (" Please cancel my order.", "cancel_order"),
        (
            " How do I cancel an order I placed yesterday?",
            "cancel_order",
        ),
        (" I want to speak to somebody.", "human"),
        (" Operator!", "human"),
        (" Get me a human.", "human"),
        (" No, that's all, thanks. Bye.", "goodbye"),
        (" Nothing else, thank you.", "goodbye"),
        (" Bye-bye.", "goodbye"),
        (" Yeah, I have another question.", "more_help"),
    ];
    let wrong = mismatches(&shop_matcher(), &cases);
    assert!(
        wrong.is_empty(),
        "paraphrases matched wrongly:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn unrelated_sentences_match_nothing() {
    let matcher = shop_matcher();
    let unrelated = [
        " What's the weather like?",
        " Who won the football match yesterday?",
        " Can you sing me a song?",
        " I like turtles.",
        " My cat is sleeping on the sofa.",
        " Tell me a joke.",
        " The quick brown fox jumps over the lazy dog.",
    ];
    let matched: Vec<String> = unrelated
        .iter()
        .filter_map(|text| {
            matcher
                .classify(text)
                .map(|m| format!("{text:?} -> {}", m.intent))
        })
        .collect();
    assert!(
        matched.is_empty(),
        "off-topic text matched:\n{}",
        matched.join("\n")
    );
}

#[test]
fn noise_markers_match_nothing() {
    let matcher = shop_matcher();
    for noise in [
        "",
        " ",
        " [BLANK_AUDIO]",
        "(silence)",
        " [Music]",
        "[ Silence ]",
        " (coughing)",
    ] {
        assert_eq!(matcher.classify(noise), None, "{noise:?}");
    }
}
