//! FAQ answering: the `FaqAnswerer` trait the engine consults at `faq` nodes, and
//! `KeywordFaq`, which scores the flow's `faq:` entries by weighted word overlap (rarer words
//! count more). An embedding-based answerer can replace it without changing flows.

use std::collections::{HashMap, HashSet};

use crate::flow::Flow;
use crate::matcher::text::{content_words, is_no_speech, same_word};
use crate::schema::FaqEntry;

/// The best answer found for a question.
#[derive(Clone, Debug, PartialEq)]
pub struct FaqAnswer {
    /// The answer text (may contain `{variables}`; the engine fills them in).
    pub answer: String,
    /// Confidence in `0.0..=1.0`.
    pub score: f32,
    /// Id of the entry answered from.
    pub entry: String,
}

/// Finds the answer to a caller's question.
pub trait FaqAnswerer {
    /// The best answer with its score, or `None` when nothing is related at all. The engine
    /// compares the score with the node's threshold.
    fn answer(&self, question: &str) -> Option<FaqAnswer>;

    /// Every entry that scored for `question`, best first, for tuning tools such as
    /// `hotline chat`. By default, the best answer alone.
    fn candidates(&self, question: &str) -> Vec<FaqAnswer> {
        self.answer(question).into_iter().collect()
    }
}

#[derive(Clone, Debug)]
struct Phrasing {
    entry: usize,
    words: Vec<String>,
}

/// Answers from a flow's `faq:` entries by word overlap with each entry's question and
/// paraphrases.
#[derive(Clone, Debug)]
pub struct KeywordFaq {
    entries: Vec<FaqEntry>,
    phrasings: Vec<Phrasing>,
    /// Inverse document frequency of each content word over the entries.
    weights: HashMap<String, f32>,
}

impl KeywordFaq {
    /// An answerer for the flow's FAQ entries.
    pub fn new(flow: &Flow) -> Self {
        Self::from_entries(flow.faq())
    }

    /// An answerer for these entries.
    pub fn from_entries(entries: &[FaqEntry]) -> Self {
        let mut phrasings = Vec::new();
        let mut document_words: Vec<HashSet<String>> = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let mut all = HashSet::new();
            for text in std::iter::once(&entry.question).chain(&entry.paraphrases) {
                let w = content_words(text);
                all.extend(w.iter().cloned());
                if !w.is_empty() {
                    phrasings.push(Phrasing { entry: i, words: w });
                }
            }
            document_words.push(all);
        }
        let n = entries.len().max(1) as f32;
        let mut weights = HashMap::new();
        for doc in &document_words {
            for w in doc {
                let df = document_words.iter().filter(|d| d.contains(w)).count() as f32;
                weights.insert(w.clone(), 1.0 + (n / df).ln());
            }
        }
        KeywordFaq {
            entries: entries.to_vec(),
            phrasings,
            weights,
        }
    }

    fn weight(&self, word: &str) -> f32 {
        self.weights.get(word).copied().unwrap_or(1.0)
    }

    /// Weighted Dice overlap between a question and one phrasing.
    fn similarity(&self, question: &[String], phrasing: &[String]) -> f32 {
        let shared: f32 = question
            .iter()
            .filter_map(|q| phrasing.iter().find(|p| same_word(q, p)))
            .map(|p| self.weight(p))
            .sum();
        let total: f32 = question.iter().map(|q| self.weight(q)).sum::<f32>()
            + phrasing.iter().map(|p| self.weight(p)).sum::<f32>();
        if total == 0.0 {
            0.0
        } else {
            (2.0 * shared / total).min(1.0)
        }
    }
}

impl FaqAnswerer for KeywordFaq {
    fn answer(&self, question: &str) -> Option<FaqAnswer> {
        if is_no_speech(question) {
            return None;
        }
        let asked = content_words(question);
        let (best, score) = self
            .phrasings
            .iter()
            .map(|p| (p.entry, self.similarity(&asked, &p.words)))
            .filter(|(_, s)| *s > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        let entry = self.entries.get(best)?;
        Some(FaqAnswer {
            answer: entry.answer.value.clone(),
            score,
            entry: entry.id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::load_flow;

    const FLOW: &str = "\
flow: faq-test
start: hello
faq:
  gift_wrap:
    question: Do you offer gift wrapping?
    paraphrases: [can you wrap my order as a present, is gift wrap available]
    answer: Yes, gift wrapping costs 3 dollars.
  international:
    question: Do you ship abroad?
    paraphrases: [do you deliver to other countries, international shipping]
    answer: We ship to all EU countries.
  store:
    question: Do you have a physical store?
    paraphrases: [where is your shop, can I visit your store]
    answer: We are online only.
nodes:
  hello:
    hangup: Hi
";

    fn answerer() -> KeywordFaq {
        KeywordFaq::new(&load_flow(FLOW, "f.yaml").expect("valid flow"))
    }

    #[test]
    fn answers_paraphrased_questions() {
        let faq = answerer();
        for (question, entry) in [
            (" Can you gift wrap it?", "gift_wrap"),
            ("Do you deliver to other countries?", "international"),
            ("Do you ship to Switzerland abroad?", "international"),
            ("Can I visit your store?", "store"),
        ] {
            let found = faq.answer(question).expect(question);
            assert_eq!(found.entry, entry, "{question}");
            assert!(found.score > 0.5, "{question}: {}", found.score);
        }
    }

    #[test]
    fn unrelated_questions_score_low_or_nothing() {
        let faq = answerer();
        assert_eq!(faq.answer("[BLANK_AUDIO]"), None);
        assert_eq!(faq.answer("what is the weather like"), None);
        let weak = faq.answer("my wrapping paper is blue and the weather is bad");
        assert!(weak.as_ref().is_none_or(|a| a.score < 0.5), "{weak:?}");
    }

    #[test]
    fn exact_question_scores_highest() {
        let found = answerer()
            .answer("Do you offer gift wrapping?")
            .expect("answer");
        assert_eq!(found.entry, "gift_wrap");
        assert!(found.score > 0.99, "{}", found.score);
        assert_eq!(found.answer, "Yes, gift wrapping costs 3 dollars.");
    }
}
