//! `KeywordIndex`: Okapi BM25 over short documents (one per FAQ entry), scored on lower-cased,
//! lightly stemmed content words and normalised to `0..=1` so it can be mixed with a cosine
//! similarity.

use std::collections::HashMap;

use hotline_flow::matcher::text::{is_stop_word, words};

/// Term-frequency saturation: how quickly repeats of a word stop adding to the score.
pub const BM25_K1: f32 = 1.2;
/// Length normalisation: how much a long document is discounted.
pub const BM25_B: f32 = 0.75;

/// Lower-cased, stemmed words of `text` without stop words or non-speech markers.
pub(crate) fn content_words(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !is_stop_word(w))
        .collect()
}

/// A BM25 index over a fixed set of documents.
#[derive(Clone, Debug)]
pub(crate) struct KeywordIndex {
    /// Term counts of each document.
    documents: Vec<HashMap<String, u32>>,
    /// Content words in each document.
    lengths: Vec<f32>,
    average_length: f32,
    /// Documents containing each term.
    document_frequency: HashMap<String, u32>,
}

impl KeywordIndex {
    /// Indexes each document, given as its texts (an entry's question and paraphrases).
    pub(crate) fn new<'a, D, T>(documents: D) -> Self
    where
        D: IntoIterator<Item = T>,
        T: IntoIterator<Item = &'a str>,
    {
        let mut counted = Vec::new();
        let mut lengths = Vec::new();
        let mut document_frequency: HashMap<String, u32> = HashMap::new();
        for texts in documents {
            let mut counts: HashMap<String, u32> = HashMap::new();
            let mut length = 0_usize;
            for text in texts {
                for word in content_words(text) {
                    length += 1;
                    *counts.entry(word).or_default() += 1;
                }
            }
            for term in counts.keys() {
                *document_frequency.entry(term.clone()).or_default() += 1;
            }
            counted.push(counts);
            lengths.push(length as f32);
        }
        let average_length = if lengths.is_empty() {
            0.0
        } else {
            lengths.iter().sum::<f32>() / lengths.len() as f32
        };
        KeywordIndex {
            documents: counted,
            lengths,
            average_length,
            document_frequency,
        }
    }

    /// Inverse document frequency (the BM25+ form that is never negative). A word no document
    /// has gets the highest weight, so an off-topic question scores low.
    fn idf(&self, term: &str) -> f32 {
        let n = self.documents.len() as f32;
        let df = self.document_frequency.get(term).copied().unwrap_or(0) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Normalised BM25 of `question` against every document, in document order.
    ///
    /// The raw score is divided by what the question would score against a document of
    /// average length holding each of its words once (the sum of the words' IDF), then capped
    /// at 1: a question whose every word is in the entry scores 1, one sharing no word 0, and
    /// words no entry knows ("weather") pull the score down.
    pub(crate) fn scores(&self, question: &str) -> Vec<f32> {
        let mut terms = content_words(question);
        terms.sort_unstable();
        terms.dedup();
        let ceiling: f32 = terms.iter().map(|t| self.idf(t)).sum();
        self.documents
            .iter()
            .zip(&self.lengths)
            .map(|(counts, &length)| {
                if ceiling <= 0.0 || self.average_length <= 0.0 {
                    return 0.0;
                }
                let discount = 1.0 - BM25_B + BM25_B * length / self.average_length;
                let raw: f32 = terms
                    .iter()
                    .filter_map(|t| counts.get(t).map(|&tf| (t, tf as f32)))
                    .map(|(t, tf)| self.idf(t) * tf * (BM25_K1 + 1.0) / (tf + BM25_K1 * discount))
                    .sum();
                // An empty sum is -0.0; report a plain 0.
                if raw > 0.0 {
                    (raw / ceiling).min(1.0)
                } else {
                    0.0
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> KeywordIndex {
        KeywordIndex::new([
            vec!["Do you offer gift wrapping?", "is gift wrap available"],
            vec!["Do you sell gift cards?", "can I buy a voucher"],
            vec!["Do you ship abroad?", "international shipping"],
        ])
    }

    #[test]
    fn words_only_one_entry_has_pick_that_entry() {
        let scores = index().scores("any vouchers?");
        assert!(scores[1] > 0.9, "{scores:?}");
        assert_eq!((scores[0], scores[2]), (0.0, 0.0));
        // "Shipping" stems to "ship".
        let scores = index().scores("shipping abroad");
        assert!(scores[2] > scores[0] && scores[2] > scores[1], "{scores:?}");
    }

    #[test]
    fn shared_words_count_less_than_distinctive_ones() {
        let scores = index().scores("gift wrap");
        assert!(scores[0] > 0.9, "{scores:?}");
        assert!(scores[1] > 0.0 && scores[1] < 0.5, "{scores:?}");
    }

    #[test]
    fn unknown_words_stop_words_and_noise_score_low() {
        let index = index();
        assert_eq!(index.scores("what is the weather like"), vec![0.0; 3]);
        assert_eq!(index.scores("do you"), vec![0.0; 3]);
        assert_eq!(index.scores("[BLANK_AUDIO]"), vec![0.0; 3]);
        let diluted = index.scores("voucher weather forecast tomorrow");
        assert!(diluted[1] > 0.0 && diluted[1] < 0.4, "{diluted:?}");
    }

    #[test]
    fn scores_stay_in_zero_to_one_even_with_repeats() {
        let index = KeywordIndex::new([vec!["gift gift gift gift"], vec!["card"]]);
        for s in index.scores("gift gift") {
            assert!((0.0..=1.0).contains(&s), "{s}");
        }
        assert!(KeywordIndex::new(Vec::<Vec<&str>>::new())
            .scores("gift")
            .is_empty());
    }
}
