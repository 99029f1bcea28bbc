//! Word features beside the embedding: hashed, stemmed unigrams and bigrams weighted by
//! inverse document frequency. They catch the exact terms ("top up", "PIN", "virtual card")
//! that decide between intents the embedding places close together.

use hotline_flow::matcher::text::words;

/// Hashed word features fitted on the training texts.
#[derive(Clone, Debug, PartialEq)]
pub struct WordFeatures {
    /// Inverse document frequency of each hash bucket.
    idf: Vec<f32>,
    /// Length of the feature vector of a text.
    weight: f32,
}

impl WordFeatures {
    /// Learns term rarity from `texts`; `buckets` is the hash space, `weight` the length of
    /// each text's feature vector (its strength against the unit-length embedding).
    pub fn fit(texts: &[&str], buckets: usize, weight: f32) -> Self {
        let buckets = buckets.max(1);
        let mut document_frequency = vec![0_u32; buckets];
        for text in texts {
            for term in terms(text, buckets) {
                document_frequency[term as usize] += 1;
            }
        }
        let documents = texts.len() as f32;
        let idf = document_frequency
            .iter()
            .map(|&df| ((1.0 + documents) / (1.0 + df as f32)).ln() + 1.0)
            .collect();
        WordFeatures { idf, weight }
    }

    /// Size of the feature space.
    pub fn width(&self) -> usize {
        self.idf.len()
    }

    /// The sparse features of `text`: each distinct term's rarity, scaled to length `weight`.
    pub fn features(&self, text: &str) -> Vec<(u32, f32)> {
        let mut features: Vec<(u32, f32)> = terms(text, self.idf.len())
            .into_iter()
            .map(|term| (term, self.idf[term as usize]))
            .collect();
        let norm = features.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            features
                .iter_mut()
                .for_each(|(_, v)| *v *= self.weight / norm);
        }
        features
    }
}

/// Distinct hashed unigrams and bigrams of the stemmed words of `text`.
fn terms(text: &str, buckets: usize) -> Vec<u32> {
    let words = words(text);
    let mut terms: Vec<u32> = words
        .iter()
        .map(|w| bucket(&[w.as_str()], buckets))
        .chain(
            words
                .windows(2)
                .map(|pair| bucket(&[&pair[0], &pair[1]], buckets)),
        )
        .collect();
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// FNV-1a of the words joined by a space, reduced to `0..buckets`.
fn bucket(words: &[&str], buckets: usize) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, word) in words.iter().enumerate() {
        let separator: &[u8] = if i == 0 { b"" } else { b" " };
        for &byte in separator.iter().chain(word.as_bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (hash % buckets as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_terms_weigh_more_and_vectors_have_the_set_length() {
        let texts = [
            "my card is lost",
            "my card was stolen",
            "my card has not arrived",
        ];
        let words = WordFeatures::fit(&texts, 1 << 12, 0.5);
        let features = words.features("my card is lost");
        let norm = features.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        assert!((norm - 0.5).abs() < 1e-5);
        let value = |term: &str| {
            let id = bucket(&[term], 1 << 12);
            features.iter().find(|(j, _)| *j == id).map(|(_, v)| *v)
        };
        let (common, rare) = (value("card").expect("card"), value("lost").expect("lost"));
        assert!(rare > common, "lost {rare} vs card {common}");
    }

    #[test]
    fn stemmed_unigrams_and_bigrams_are_distinct_terms() {
        assert_eq!(
            terms("Cards, cards!", 1 << 16).len(),
            2,
            "card + 'card card'"
        );
        assert_eq!(terms("top up", 1 << 16).len(), 3);
        assert!(terms("", 8).is_empty());
        assert!(WordFeatures::fit(&["x"], 8, 1.0)
            .features("[BLANK_AUDIO]")
            .is_empty());
    }
}
