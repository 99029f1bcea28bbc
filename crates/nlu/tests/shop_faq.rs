//! The hybrid FAQ answerer on the shop flow's `faq:` entries: each entry's own wordings and
//! unseen paraphrases find it, off-topic questions score clearly lower, and the cosine/BM25
//! mix is measured against cosine alone.

mod support;

use hotline_flow::{load_flow, FaqAnswerer, Flow};
use hotline_nlu::{FaqScore, HybridFaq};

/// Paraphrases written for this test, none in the flow: (question, expected entry).
const HELD_OUT: &[(&str, &str)] = &[
    (
        "could you wrap it up as a present for my mum",
        "gift_wrapping",
    ),
    ("is gift wrapping an option", "gift_wrapping"),
    ("do you do present wrapping", "gift_wrapping"),
    ("do you deliver outside the US", "international"),
    ("can I order from Canada", "international"),
    ("do you send parcels overseas", "international"),
    ("I lost my invoice, can I get another one", "invoice_copy"),
    ("where do I download my receipt", "invoice_copy"),
    ("can you email me the invoice for my order", "invoice_copy"),
    ("can I buy a gift card for my friend", "gift_cards"),
    ("how much is left on my voucher", "gift_cards"),
    ("do you have gift vouchers", "gift_cards"),
];

/// Questions no entry answers; the last two share a word with an entry.
const UNRELATED: &[&str] = &[
    "what's the weather like",
    "can you sing a song",
    "how do I open a bank account",
    "who won the football game last night",
    "I like turtles",
    "what's the weather like in Canada",
    "how do I wrap a sprained ankle",
];

fn shop_flow() -> Flow {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../flows/shop.yaml");
    let source = std::fs::read_to_string(path).expect("flows/shop.yaml is readable");
    load_flow(&source, "shop.yaml").expect("shop flow is valid")
}

fn answerer() -> HybridFaq {
    HybridFaq::new(&shop_flow(), support::encoder()).expect("FAQ answerer builds")
}

/// The combined score `faq` gives `question` for `entry`.
fn score_for(scores: &[FaqScore], entry: &str) -> f32 {
    scores
        .iter()
        .find(|s| s.entry == entry)
        .map(|s| s.score)
        .expect("every entry is scored")
}

#[test]
fn every_entry_is_found_by_its_own_question_and_paraphrases() {
    let flow = shop_flow();
    let faq = answerer();
    assert_eq!(
        flow.faq().len(),
        4,
        "the shop flow's FAQ changed; update HELD_OUT"
    );
    for entry in flow.faq() {
        for text in std::iter::once(&entry.question).chain(&entry.paraphrases) {
            let found = faq.answer(text).expect(text);
            assert_eq!(found.entry, entry.id, "{text:?}");
            assert_eq!(found.answer, entry.answer.value, "{text:?}");
            assert!(found.score > 0.8, "{text:?}: {}", found.score);
        }
    }
}

#[test]
fn unseen_paraphrases_find_their_entry_above_the_flow_threshold() {
    let threshold = shop_flow().settings().faq_threshold;
    let faq = answerer();
    for (question, entry) in HELD_OUT {
        let found = faq.answer(question).expect(question);
        assert_eq!(found.entry, *entry, "{question:?}");
        assert!(found.score >= threshold, "{question:?}: {}", found.score);
    }
}

#[test]
fn unrelated_questions_score_below_half_and_below_every_right_answer() {
    let faq = answerer();
    let lowest_right = HELD_OUT
        .iter()
        .map(|(q, _)| faq.answer(q).expect(q).score)
        .fold(f32::INFINITY, f32::min);
    for question in UNRELATED {
        let score = faq.answer(question).map_or(0.0, |a| a.score);
        assert!(score < 0.5, "{question:?}: {score}");
        assert!(
            score < lowest_right,
            "{question:?}: {score} >= {lowest_right}"
        );
    }
}

#[test]
fn noise_gets_no_answer_and_scores_stay_in_range() {
    let faq = answerer();
    for noise in ["[BLANK_AUDIO]", "", "   ", "(silence)"] {
        assert_eq!(faq.answer(noise), None, "{noise:?}");
        assert!(faq.score_entries(noise).expect("scores").is_empty());
    }
    let scores = faq
        .score_entries("gift card gift card gift card")
        .expect("scores");
    assert_eq!(scores.len(), 4);
    assert_eq!(scores[0].entry, "gift_cards");
    assert!(scores.windows(2).all(|pair| pair[0].score >= pair[1].score));
    for s in &scores {
        for value in [s.similarity, s.keywords, s.score] {
            assert!((0.0..=1.0).contains(&value), "{s:?}");
        }
    }
}

/// The worst case of two margins over the test questions: right entry minus the best other
/// entry (telling entries apart), and lowest right score minus highest unrelated score
/// (rejecting what the FAQ does not cover).
fn worst_margin(faq: &HybridFaq) -> f32 {
    let mut lowest_right = f32::INFINITY;
    let mut entries_apart = f32::INFINITY;
    for (question, entry) in HELD_OUT {
        let scores = faq.score_entries(question).expect("scores");
        let right = score_for(&scores, entry);
        let other = scores
            .iter()
            .filter(|s| s.entry != *entry)
            .map(|s| s.score)
            .fold(0.0, f32::max);
        lowest_right = lowest_right.min(right);
        entries_apart = entries_apart.min(right - other);
    }
    let highest_wrong = UNRELATED
        .iter()
        .map(|q| faq.answer(q).map_or(0.0, |a| a.score))
        .fold(0.0, f32::max);
    entries_apart.min(lowest_right - highest_wrong)
}

#[test]
fn the_mix_separates_better_than_either_signal_alone() {
    // `answerer()` uses the default weight, `hotline_nlu::FAQ_SIMILARITY_WEIGHT`.
    let mixed = worst_margin(&answerer());
    let cosine_only = worst_margin(&answerer().with_similarity_weight(1.0));
    let bm25_only = worst_margin(&answerer().with_similarity_weight(0.0));
    assert!(
        mixed > cosine_only && mixed > bm25_only,
        "mixed {mixed}, cosine only {cosine_only}, BM25 only {bm25_only}"
    );
}
