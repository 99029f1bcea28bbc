//! Near-miss matching: when Whisper garbles one word of a question but keeps the others
//! ("I ordered the Zorbex last week, when will it arrive?"), the words that survived can still
//! say which intent the caller means. Each word counts by how distinctive it is across the
//! flow's intents and FAQ entries (inverse document frequency), and a match needs several such
//! words and a clear lead over the runner-up, so a lone shared word ("what *time* is it") never
//! routes a call. Pure: no clock, no IO.

use std::collections::HashSet;

use crate::flow::Flow;
use crate::matcher::text::{content_words, is_no_speech, same_word};
use crate::schema::{FaqEntry, Intent};

/// Distinct flow words the winning intent must share with the transcript.
pub const MIN_WORDS: usize = 2;
/// The winner's share of the evidence of the best two topics (`best / (best + second)`); 0.5
/// is a tie, 1.0 means no other intent or FAQ entry shares a word.
pub const MIN_SHARE: f32 = 0.7;
/// Share of the transcript's content words that must be flow words of the winner (the rest may
/// be garbled); below it, a couple of shared words in a long off-topic sentence are chance.
pub const MIN_COVERAGE: f32 = 0.34;

/// An intent or FAQ entry, as the set of content words of its examples and keywords.
#[derive(Clone, Debug)]
struct Topic {
    id: String,
    /// FAQ entries compete (a question nearer an FAQ entry is left to the FAQ) but never win.
    is_intent: bool,
    vocabulary: Vec<String>,
}

/// What one topic shares with a transcript: the heard words it knows, with their weights.
struct Evidence<'a> {
    topic: usize,
    weight: f32,
    shared: Vec<(&'a str, f32)>,
}

/// The intent the surviving words point to, and which words decided it.
#[derive(Clone, Debug, PartialEq)]
pub struct NearMiss {
    /// Id of the intent.
    pub intent: String,
    /// The winner's share of the evidence of the best two topics, in `0.5..=1.0`.
    pub score: f32,
    /// The transcript's words (normalised) that the intent shares, most distinctive first.
    pub words: Vec<String>,
}

/// Finds near-miss matches among a flow's intents, its FAQ entries competing.
#[derive(Clone, Debug)]
pub struct NearMissMatcher {
    topics: Vec<Topic>,
}

impl NearMissMatcher {
    /// A matcher for the intents and FAQ entries of `flow`.
    pub fn new(flow: &Flow) -> Self {
        Self::from_parts(flow.intents(), flow.faq())
    }

    /// A matcher for the given intents, with the given FAQ entries competing.
    pub fn from_parts(intents: &[Intent], faq: &[FaqEntry]) -> Self {
        let mut topics: Vec<Topic> = intents
            .iter()
            .map(|i| Topic {
                id: i.id.clone(),
                is_intent: true,
                vocabulary: vocabulary(i.examples.iter().chain(&i.keywords)),
            })
            .collect();
        topics.extend(faq.iter().map(|e| Topic {
            id: e.id.clone(),
            is_intent: false,
            vocabulary: vocabulary(std::iter::once(&e.question).chain(&e.paraphrases)),
        }));
        NearMissMatcher { topics }
    }

    /// The intent the words of `text` that are flow words point to, when they point clearly to
    /// one; `None` when too few survived, when another intent or an FAQ entry competes, or when
    /// an FAQ entry is nearest.
    pub fn find(&self, text: &str) -> Option<NearMiss> {
        if is_no_speech(text) || self.topics.len() < 2 {
            return None;
        }
        let heard = content_words(text);
        let weighted: Vec<(&str, f32)> = heard
            .iter()
            .map(|w| (w.as_str(), self.weight(w)))
            .filter(|(_, weight)| *weight > 0.0)
            .collect();
        let mut evidence: Vec<Evidence<'_>> = self
            .topics
            .iter()
            .enumerate()
            .map(|(topic, known)| {
                let shared: Vec<(&str, f32)> = weighted
                    .iter()
                    .copied()
                    .filter(|(w, _)| knows(known, w))
                    .collect();
                let weight = shared.iter().map(|(_, weight)| weight).sum();
                Evidence {
                    topic,
                    weight,
                    shared,
                }
            })
            .collect();
        evidence.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let Evidence {
            topic: best,
            weight: best_sum,
            mut shared,
        } = evidence.swap_remove(0);
        let second_sum = evidence.iter().map(|e| e.weight).fold(0.0_f32, f32::max);
        let share = best_sum / (best_sum + second_sum);
        let covered = shared.len() as f32 / heard.len().max(1) as f32;
        let topic = &self.topics[best];
        if !topic.is_intent
            || shared.len() < MIN_WORDS
            || share < MIN_SHARE
            || covered < MIN_COVERAGE
        {
            return None;
        }
        shared.sort_by(|a, b| b.1.total_cmp(&a.1));
        Some(NearMiss {
            intent: topic.id.clone(),
            score: share,
            words: shared.into_iter().map(|(w, _)| w.to_string()).collect(),
        })
    }

    /// How distinctive a heard word is: `ln(topics / topics that know it)`; zero for a word no
    /// topic knows or every topic knows.
    fn weight(&self, word: &str) -> f32 {
        let knowing = self.topics.iter().filter(|t| knows(t, word)).count();
        if knowing == 0 {
            return 0.0;
        }
        (self.topics.len() as f32 / knowing as f32).ln()
    }
}

/// Whether a topic's vocabulary has `word`, allowing the ASR misspellings `same_word` allows.
fn knows(topic: &Topic, word: &str) -> bool {
    topic.vocabulary.iter().any(|v| same_word(word, v))
}

/// Distinct content words of several phrases.
fn vocabulary<'a>(phrases: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut seen = HashSet::new();
    phrases
        .flat_map(|p| content_words(p))
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourcePos;
    use crate::matcher::intent_for_tests as intent;
    use crate::schema::Located;

    fn faq(id: &str, question: &str, paraphrases: &[&str]) -> FaqEntry {
        FaqEntry {
            id: id.to_string(),
            question: question.to_string(),
            paraphrases: paraphrases.iter().map(|s| s.to_string()).collect(),
            answer: Located::new("An answer.".to_string(), SourcePos::START),
            pos: SourcePos::START,
        }
    }

    /// A small shop: enough intents that common words ("order") are not distinctive.
    fn shop() -> NearMissMatcher {
        NearMissMatcher::from_parts(
            &[
                intent(
                    "delivery_time",
                    &["how long does delivery take", "when will my order arrive"],
                    &["delivery", "dispatch"],
                ),
                intent(
                    "returns",
                    &[
                        "how do I return an item",
                        "I want a refund for a broken item",
                    ],
                    &["refund", "exchange"],
                ),
                intent(
                    "order_tracking",
                    &["where is my order", "track my parcel"],
                    &["tracking number"],
                ),
                intent("cancel_order", &["I want to cancel my order"], &["cancel"]),
                intent(
                    "opening_hours",
                    &["what are your opening hours", "when are you open"],
                    &["closing time", "weekend"],
                ),
            ],
            &[faq(
                "gift_cards",
                "Do you sell gift cards?",
                &["can I buy a voucher"],
            )],
        )
    }

    fn intent_of(text: &str) -> Option<String> {
        shop().find(text).map(|m| m.intent)
    }

    #[test]
    fn surviving_words_find_the_intent_when_one_word_is_garbled() {
        let found = shop()
            .find("The Zorbex lamp I got, can I have a refund, it is broken?")
            .expect("a near miss");
        assert_eq!(found.intent, "returns");
        assert!(found.words.contains(&"refund".to_string()), "{found:?}");
        assert!(found.words.contains(&"broken".to_string()), "{found:?}");
        assert!(found.score >= MIN_SHARE && found.score <= 1.0);
    }

    #[test]
    fn misspelt_surviving_words_still_count() {
        assert_eq!(
            intent_of("refunt for the brokin item"),
            Some("returns".to_string())
        );
    }

    #[test]
    fn one_shared_word_is_not_enough() {
        // "time" is a flow word (closing time), but alone it is a coincidence.
        assert_eq!(intent_of("What time is it?"), None);
        assert_eq!(intent_of("Is the shop open source?"), None);
    }

    #[test]
    fn off_topic_questions_are_left_alone() {
        for text in [
            "What's the weather like tomorrow?",
            "Who won the football game last night?",
            "What is the capital of France?",
            "",
            "[BLANK_AUDIO]",
        ] {
            assert_eq!(intent_of(text), None, "{text:?}");
        }
    }

    #[test]
    fn words_shared_with_a_competing_intent_do_not_decide() {
        // "order" and "cancel" vs "order" and "track": each intent has one distinctive word.
        assert_eq!(intent_of("cancel tracking order"), None);
    }

    #[test]
    fn a_question_nearer_an_faq_entry_is_left_to_the_faq() {
        assert_eq!(intent_of("buy a gift voucher cards"), None);
    }

    #[test]
    fn a_long_sentence_with_two_flow_words_is_chance() {
        assert_eq!(
            intent_of(
                "my neighbour said the weekend football match was open to everyone in town hours ago"
            ),
            None
        );
    }
}
