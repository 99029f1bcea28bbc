//! `HybridFaq`: the flow engine's `FaqAnswerer` scoring each `faq:` entry by meaning (MiniLM
//! cosine to its question and paraphrases) and by wording (BM25), combined into one score the
//! flow's `faq_threshold` can be applied to.

use std::sync::Arc;

use hotline_flow::{is_no_speech, FaqAnswer, FaqAnswerer, FaqEntry, Flow, KeywordFaq};

use crate::bm25::KeywordIndex;
use crate::vector::dot;
use crate::{NluError, SentenceEncoder};

/// Share of the cosine similarity in the combined score; BM25 gets the rest.
///
/// Measured on the shop flow's four FAQ entries with 12 held-out paraphrases and 7 off-topic
/// questions (two sharing a word with an entry), `tests/shop_faq.rs`. Two margins matter:
/// right entry minus best other entry (telling "gift card" from "gift wrapping"), and lowest
/// right score minus highest off-topic score. Worst of the two by weight:
/// 0.5 → 0.07, 0.6 → 0.14, **0.7 → 0.21**, 0.8 → 0.17, 0.9 → 0.13, 1.0 (cosine only) → 0.08.
/// Cosine alone rejects off-topic questions well (0.36) but barely tells similar entries
/// apart (0.08); BM25 on distinctive words fixes that, and 0.7 balances both at 0.21.
pub const FAQ_SIMILARITY_WEIGHT: f32 = 0.7;

/// An entry's question and paraphrases, without blank ones.
fn texts(entry: &FaqEntry) -> Vec<&str> {
    std::iter::once(entry.question.as_str())
        .chain(entry.paraphrases.iter().map(String::as_str))
        .filter(|text| !is_no_speech(text))
        .collect()
}

/// How one FAQ entry scored for a question.
#[derive(Clone, Debug, PartialEq)]
pub struct FaqScore {
    /// The entry's id.
    pub entry: String,
    /// Highest cosine similarity to the entry's question or a paraphrase, in `0.0..=1.0`.
    pub similarity: f32,
    /// Normalised BM25 of the question against the entry's texts, in `0.0..=1.0`.
    pub keywords: f32,
    /// The combined score, in `0.0..=1.0`.
    pub score: f32,
}

/// Answers from a flow's `faq:` entries by meaning and wording together.
///
/// The score is `w × cosine + (1 − w) × BM25` with `w` = [`FAQ_SIMILARITY_WEIGHT`]; the
/// engine compares it with the flow's `faq_threshold`. If the encoder fails at answer time,
/// the flow's [`KeywordFaq`] answers instead.
pub struct HybridFaq {
    encoder: Arc<SentenceEncoder>,
    entries: Vec<FaqEntry>,
    /// Embedding of every question and paraphrase, with the index of its entry.
    phrasings: Vec<(usize, Vec<f32>)>,
    index: KeywordIndex,
    fallback: KeywordFaq,
    similarity_weight: f32,
}

impl std::fmt::Debug for HybridFaq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HybridFaq")
            .field("entries", &self.entries.len())
            .field("phrasings", &self.phrasings.len())
            .field("similarity_weight", &self.similarity_weight)
            .finish_non_exhaustive()
    }
}

impl HybridFaq {
    /// An answerer for the flow's FAQ entries; embeds every question and paraphrase once.
    pub fn new(flow: &Flow, encoder: Arc<SentenceEncoder>) -> Result<Self, NluError> {
        Self::from_entries(flow.faq(), encoder)
    }

    /// An answerer for these entries.
    pub fn from_entries(
        entries: &[FaqEntry],
        encoder: Arc<SentenceEncoder>,
    ) -> Result<Self, NluError> {
        let labelled: Vec<(usize, &str)> = entries
            .iter()
            .enumerate()
            .flat_map(|(i, entry)| texts(entry).into_iter().map(move |text| (i, text)))
            .collect();
        let sentences: Vec<&str> = labelled.iter().map(|(_, text)| *text).collect();
        let embeddings = encoder.embed(&sentences)?;
        let phrasings = labelled.iter().map(|(i, _)| *i).zip(embeddings).collect();
        Ok(HybridFaq {
            encoder,
            entries: entries.to_vec(),
            phrasings,
            index: KeywordIndex::new(entries.iter().map(texts)),
            fallback: KeywordFaq::from_entries(entries),
            similarity_weight: FAQ_SIMILARITY_WEIGHT,
        })
    }

    /// Changes the share of the cosine similarity in the score (clamped to `0.0..=1.0`;
    /// default [`FAQ_SIMILARITY_WEIGHT`]). 1 is embeddings only, 0 is BM25 only.
    pub fn with_similarity_weight(mut self, weight: f32) -> Self {
        self.similarity_weight = weight.clamp(0.0, 1.0);
        self
    }

    /// Every entry's score for `question`, best first (ties in flow order). Empty for
    /// non-speech (`[BLANK_AUDIO]`, empty text) or a flow without FAQ entries.
    pub fn score_entries(&self, question: &str) -> Result<Vec<FaqScore>, NluError> {
        if is_no_speech(question) || self.entries.is_empty() {
            return Ok(Vec::new());
        }
        let embedding = self.encoder.embed_one(question)?;
        let mut similarity = vec![0.0_f32; self.entries.len()];
        for (entry, phrasing) in &self.phrasings {
            if let Some(best) = similarity.get_mut(*entry) {
                *best = best.max(dot(&embedding, phrasing).clamp(0.0, 1.0));
            }
        }
        let w = self.similarity_weight;
        let mut scores: Vec<FaqScore> = self
            .entries
            .iter()
            .zip(similarity)
            .zip(self.index.scores(question))
            .map(|((entry, similarity), keywords)| FaqScore {
                entry: entry.id.clone(),
                similarity,
                keywords,
                score: (w * similarity + (1.0 - w) * keywords).clamp(0.0, 1.0),
            })
            .collect();
        // Stable: equal scores keep the flow's order.
        scores.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(scores)
    }

    /// The best entry's answer and score, or `None` for non-speech or no entries; errors
    /// only when the encoder fails.
    pub fn try_answer(&self, question: &str) -> Result<Option<FaqAnswer>, NluError> {
        let Some(best) = self.score_entries(question)?.into_iter().next() else {
            return Ok(None);
        };
        Ok(self
            .entries
            .iter()
            .find(|entry| entry.id == best.entry)
            .map(|entry| FaqAnswer {
                answer: entry.answer.value.clone(),
                score: best.score,
                entry: best.entry,
            }))
    }
}

impl FaqAnswerer for HybridFaq {
    /// The best entry with its combined score; the keyword answerer if the encoder fails.
    fn answer(&self, question: &str) -> Option<FaqAnswer> {
        self.try_answer(question)
            .unwrap_or_else(|_| self.fallback.answer(question))
    }

    /// Every entry with its combined score, best first.
    fn candidates(&self, question: &str) -> Vec<FaqAnswer> {
        let Ok(scores) = self.score_entries(question) else {
            return self.fallback.candidates(question);
        };
        scores
            .into_iter()
            .filter_map(|score| {
                let entry = self.entries.iter().find(|e| e.id == score.entry)?;
                Some(FaqAnswer {
                    answer: entry.answer.value.clone(),
                    score: score.score,
                    entry: score.entry,
                })
            })
            .collect()
    }
}
