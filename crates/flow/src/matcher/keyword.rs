//! `KeywordMatcher`: scores intents by keyword phrases found in the transcript and by word
//! overlap with the intent's examples, tolerant of small ASR misspellings.

use crate::flow::Flow;
use crate::matcher::text::{is_no_speech, is_stop_word, same_word, words};
use crate::matcher::{IntentMatch, IntentMatcher};
use crate::schema::Intent;

/// Score below which nothing is considered a match.
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// Weight of one single-word keyword found in the transcript.
const WORD_KEYWORD: f32 = 0.55;
/// Weight of one multi-word keyword phrase found in the transcript.
const PHRASE_KEYWORD: f32 = 0.7;
/// Added for each further keyword found.
const EXTRA_KEYWORD: f32 = 0.1;
/// Keywords alone never score above this.
const KEYWORD_CAP: f32 = 0.9;

#[derive(Clone, Debug)]
struct IntentModel {
    id: String,
    /// Each keyword as its normalised words (stop words kept, so "how long" stays a phrase).
    keywords: Vec<Vec<String>>,
    /// Each example as its normalised content words (stop words removed).
    examples: Vec<Vec<String>>,
}

/// Matches transcripts to a flow's intents by keywords and example overlap.
#[derive(Clone, Debug)]
pub struct KeywordMatcher {
    intents: Vec<IntentModel>,
    threshold: f32,
}

impl KeywordMatcher {
    /// A matcher for all intents of `flow`.
    pub fn new(flow: &Flow) -> Self {
        Self::from_intents(flow.intents())
    }

    /// A matcher for the given intents.
    pub fn from_intents(intents: &[Intent]) -> Self {
        let intents = intents
            .iter()
            .map(|intent| IntentModel {
                id: intent.id.clone(),
                keywords: intent
                    .keywords
                    .iter()
                    .map(|k| words(k))
                    .filter(|k| !k.is_empty())
                    .collect(),
                examples: intent
                    .examples
                    .iter()
                    .map(|e| content_words(e))
                    .filter(|e| !e.is_empty())
                    .collect(),
            })
            .collect();
        KeywordMatcher {
            intents,
            threshold: DEFAULT_THRESHOLD,
        }
    }

    /// Changes the score needed for a match (default [`DEFAULT_THRESHOLD`]).
    pub fn with_threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold;
        self
    }

    /// Every intent with a score above zero, best first (ties keep file order).
    pub fn scores(&self, text: &str) -> Vec<IntentMatch> {
        if is_no_speech(text) {
            return Vec::new();
        }
        let all = words(text);
        let content: Vec<String> = all.iter().filter(|w| !is_stop_word(w)).cloned().collect();
        let mut scores: Vec<IntentMatch> = self
            .intents
            .iter()
            .map(|intent| IntentMatch {
                intent: intent.id.clone(),
                score: score(intent, &all, &content),
                near_miss: Vec::new(),
            })
            .filter(|m| m.score > 0.0)
            .collect();
        scores.sort_by(|a, b| b.score.total_cmp(&a.score));
        scores
    }
}

impl IntentMatcher for KeywordMatcher {
    fn classify(&self, text: &str) -> Option<IntentMatch> {
        self.scores(text)
            .into_iter()
            .next()
            .filter(|m| m.score >= self.threshold)
    }
}

fn content_words(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !is_stop_word(w))
        .collect()
}

/// Combines keyword and example evidence: either alone can match; both together score higher.
fn score(intent: &IntentModel, all: &[String], content: &[String]) -> f32 {
    let keyword = keyword_score(&intent.keywords, all);
    let example = intent
        .examples
        .iter()
        .map(|e| overlap(e, content))
        .fold(0.0_f32, f32::max);
    1.0 - (1.0 - keyword) * (1.0 - example)
}

fn keyword_score(keywords: &[Vec<String>], all: &[String]) -> f32 {
    let mut best: f32 = 0.0;
    let mut hits = 0;
    for keyword in keywords {
        if contains_phrase(all, keyword) {
            hits += 1;
            let weight = if keyword.len() > 1 {
                PHRASE_KEYWORD
            } else {
                WORD_KEYWORD
            };
            best = best.max(weight);
        }
    }
    if hits == 0 {
        return 0.0;
    }
    (best + EXTRA_KEYWORD * (hits - 1) as f32).min(KEYWORD_CAP)
}

fn contains_phrase(all: &[String], phrase: &[String]) -> bool {
    if phrase.is_empty() || phrase.len() > all.len() {
        return false;
    }
    all.windows(phrase.len())
        .any(|window| window.iter().zip(phrase).all(|(a, b)| same_word(a, b)))
}

/// Dice overlap of content words: 1.0 when the transcript says exactly the example's words.
fn overlap(example: &[String], content: &[String]) -> f32 {
    if content.is_empty() || example.is_empty() {
        return 0.0;
    }
    let shared = content
        .iter()
        .filter(|w| example.iter().any(|e| same_word(w, e)))
        .count();
    2.0 * shared as f32 / (content.len() + example.len()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::intent_for_tests as intent;

    fn matcher() -> KeywordMatcher {
        KeywordMatcher::from_intents(&[
            intent(
                "delivery_time",
                &["how long does delivery take", "when will my parcel arrive"],
                &["delivery", "how long"],
            ),
            intent("returns", &["can I return an item"], &["return", "refund"]),
            intent("goodbye", &["no thanks that's all"], &["bye", "no thanks"]),
        ])
    }

    fn best(m: &KeywordMatcher, text: &str) -> Option<String> {
        m.classify(text).map(|m| m.intent)
    }

    #[test]
    fn whisper_style_transcript_matches() {
        let m = matcher();
        let found = m
            .classify(" How long does delivery take?")
            .expect("a match");
        assert_eq!(found.intent, "delivery_time");
        assert!(
            found.score > 0.9,
            "exact example with keywords: {}",
            found.score
        );
    }

    #[test]
    fn keyword_alone_matches() {
        assert_eq!(
            best(&matcher(), "I want a refund."),
            Some("returns".to_string())
        );
        assert_eq!(best(&matcher(), "Bye-bye!"), Some("goodbye".to_string()));
    }

    #[test]
    fn asr_near_miss_still_matches() {
        assert_eq!(
            best(&matcher(), "the delivary"),
            Some("delivery_time".to_string())
        );
        assert_eq!(best(&matcher(), "refunt"), Some("returns".to_string()));
    }

    #[test]
    fn unrelated_text_and_noise_do_not_match() {
        let m = matcher();
        for text in [
            "what's the weather like",
            "I like turtles",
            "",
            "[BLANK_AUDIO]",
            "(silence)",
        ] {
            assert_eq!(best(&m, text), None, "{text:?}");
        }
    }

    #[test]
    fn short_words_need_exact_spelling() {
        // "bye" is 3 letters: "buy" must not count as a goodbye.
        assert_eq!(best(&matcher(), "buy"), None);
    }

    #[test]
    fn threshold_is_adjustable() {
        let strict = matcher().with_threshold(0.95);
        assert_eq!(best(&strict, "refund"), None);
        assert_eq!(best(&matcher(), "refund"), Some("returns".to_string()));
    }
}
