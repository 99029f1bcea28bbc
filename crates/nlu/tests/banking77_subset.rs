//! A quick Banking77 check that fits in `cargo test`: 20 intents, 10 training examples each,
//! 100 test sentences; the full evaluation is `hotline nlu eval`.

mod support;

use hotline_nlu::{
    accuracy, read_utterances, sample_per_intent, ClassifierOptions, Example, IntentClassifier,
    Utterance,
};

const INTENTS: usize = 20;
const PER_INTENT: usize = 10;
const TEST_PER_INTENT: usize = 5;

/// The first `INTENTS` intents by name, 10 seeded training examples and 5 test sentences each.
fn subset() -> (Vec<Utterance>, Vec<Utterance>) {
    let dir = support::banking77_dir();
    let train = read_utterances(&dir.join("train.csv")).expect("train.csv parses");
    let test = read_utterances(&dir.join("test.csv")).expect("test.csv parses");
    assert_eq!((train.len(), test.len()), (10_003, 3_080));
    let mut intents: Vec<String> = train.iter().map(|u| u.intent.clone()).collect();
    intents.sort();
    intents.dedup();
    assert_eq!(intents.len(), 77);
    intents.truncate(INTENTS);
    let in_subset = |u: &&Utterance| intents.contains(&u.intent);
    let pool: Vec<Utterance> = train.iter().filter(in_subset).cloned().collect();
    let train: Vec<Utterance> = sample_per_intent(&pool, PER_INTENT, 77)
        .into_iter()
        .map(|i| pool[i].clone())
        .collect();
    let mut test_subset = Vec::new();
    for intent in &intents {
        test_subset.extend(
            test.iter()
                .filter(|u| &u.intent == intent)
                .take(TEST_PER_INTENT)
                .cloned(),
        );
    }
    (train, test_subset)
}

fn embed(utterances: &[Utterance]) -> Vec<Vec<f32>> {
    let texts: Vec<&str> = utterances.iter().map(|u| u.text.as_str()).collect();
    support::encoder().embed(&texts).expect("embeds")
}

fn train(utterances: &[Utterance], embeddings: &[Vec<f32>]) -> IntentClassifier {
    let examples: Vec<Example> = utterances
        .iter()
        .zip(embeddings)
        .map(|(u, e)| Example {
            intent: &u.intent,
            text: &u.text,
            embedding: e,
        })
        .collect();
    IntentClassifier::train(&examples, ClassifierOptions::default()).expect("trains")
}

#[test]
fn ten_examples_per_intent_classify_most_test_sentences() {
    let (train_set, test_set) = subset();
    assert_eq!((train_set.len(), test_set.len()), (200, 100));
    let classifier = train(&train_set, &embed(&train_set));
    let intents = classifier.intents();
    let mut expected = Vec::new();
    let mut predicted = Vec::new();
    for (utterance, embedding) in test_set.iter().zip(embed(&test_set)) {
        expected.push(
            intents
                .iter()
                .position(|i| *i == utterance.intent)
                .expect("known intent"),
        );
        predicted.push(
            classifier
                .predict(&utterance.text, &embedding)
                .expect("dims")
                .intent,
        );
    }
    let score = accuracy(&expected, &predicted);
    assert!(score >= 0.85, "accuracy {score}");
}

#[test]
fn held_out_intents_are_rejected_more_often_than_known_ones() {
    let (train_set, test_set) = subset();
    // Learn 15 intents; the other 5 are out of scope.
    let mut intents: Vec<&str> = train_set.iter().map(|u| u.intent.as_str()).collect();
    intents.dedup();
    let known = &intents[..15];
    let train_known: Vec<Utterance> = train_set
        .iter()
        .filter(|u| known.contains(&u.intent.as_str()))
        .cloned()
        .collect();
    let classifier = train(&train_known, &embed(&train_known));
    let (mut known_rejected, mut unknown_rejected) = (0, 0);
    for (utterance, embedding) in test_set.iter().zip(embed(&test_set)) {
        let rejected = classifier
            .classify(&utterance.text, &embedding)
            .expect("dims")
            .is_none();
        match (known.contains(&utterance.intent.as_str()), rejected) {
            (true, true) => known_rejected += 1,
            (false, true) => unknown_rejected += 1,
            _ => {}
        }
    }
    // 75 known and 25 unknown test sentences.
    let known_rate = known_rejected as f32 / 75.0;
    let unknown_rate = unknown_rejected as f32 / 25.0;
    assert!(known_rate <= 0.2, "known sentences rejected: {known_rate}");
    assert!(
        unknown_rate >= 0.4,
        "held-out sentences rejected: {unknown_rate}"
    );
}
