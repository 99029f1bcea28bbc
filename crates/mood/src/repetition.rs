//! Spotting a caller who repeats themselves: the content words of each turn compared with
//! those of earlier turns by Jaccard overlap.

use std::collections::BTreeSet;

/// Function words ignored when comparing turns, so "I want to change my address" and "change
/// the address" compare on what matters.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "i", "me", "my", "mine", "we", "our", "you", "your", "it", "its", "this",
    "that", "these", "those", "is", "am", "are", "was", "were", "be", "been", "to", "of", "in",
    "on", "at", "for", "from", "with", "and", "or", "but", "so", "do", "does", "did", "have",
    "has", "had", "will", "would", "can", "could", "should", "please", "just", "like", "want",
    "need", "um", "uh", "oh", "okay", "ok", "yes", "no", "yeah", "hello", "hi", "again", "said",
    "say", "what", "how", "there", "here", "then", "well", "now",
];

/// The set of content words of a turn (normalised words minus [`STOP_WORDS`]).
pub(crate) fn content_words(words: &[String]) -> BTreeSet<String> {
    words
        .iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .cloned()
        .collect()
}

/// Jaccard overlap of two turns' content words, 0..1; turns with fewer than `min_words`
/// content words on either side never count as repeats ("yes", "no" are said often).
pub(crate) fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>, min_words: usize) -> f32 {
    if a.len() < min_words || b.len() < min_words {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    let all = a.union(b).count();
    if all == 0 {
        0.0
    } else {
        shared as f32 / all as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::normalised_words;

    fn sim(a: &str, b: &str) -> f32 {
        similarity(
            &content_words(&normalised_words(a)),
            &content_words(&normalised_words(b)),
            2,
        )
    }

    #[test]
    fn rephrasings_of_one_request_overlap_strongly() {
        assert_eq!(
            sim(
                "I want to change my delivery address",
                "I want to change my delivery address"
            ),
            1.0
        );
        assert!(
            sim(
                "change my delivery address",
                "I said change the delivery address!"
            ) > 0.9
        );
        assert!(sim("change my delivery address", "change the address please") >= 0.6);
    }

    #[test]
    fn different_requests_and_short_answers_do_not() {
        assert!(sim("change my delivery address", "cancel my order") < 0.2);
        assert!(sim("where is my parcel", "how much does delivery cost") < 0.2);
        assert_eq!(sim("yes", "yes"), 0.0);
        assert_eq!(sim("parcel", "parcel"), 0.0);
    }
}
