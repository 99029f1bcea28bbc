//! Word error rate: how far a transcript is from a reference, after normalising both.

/// Word-level edit counts between a reference and a hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WordErrors {
    /// Substitutions + deletions + insertions.
    pub edits: usize,
    /// Words in the normalised reference.
    pub reference_words: usize,
}

impl WordErrors {
    /// Edits per reference word (0 for an empty reference with no insertions).
    pub fn rate(&self) -> f64 {
        if self.reference_words == 0 {
            return if self.edits == 0 { 0.0 } else { 1.0 };
        }
        self.edits as f64 / self.reference_words as f64
    }
}

/// Sums counts over several utterances (a corpus-level rate).
impl std::ops::Add for WordErrors {
    type Output = WordErrors;

    fn add(self, other: WordErrors) -> WordErrors {
        WordErrors {
            edits: self.edits + other.edits,
            reference_words: self.reference_words + other.reference_words,
        }
    }
}

/// Lowercase words with punctuation dropped, hyphens split and the numbers zero to ten written
/// as digits, so `"Press one, then #"` and `"press 1 then"` compare equal.
pub fn normalise_words(text: &str) -> Vec<String> {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    cleaned
        .split_whitespace()
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(|w| number_word(w).unwrap_or(w).to_string())
        .collect()
}

fn number_word(w: &str) -> Option<&'static str> {
    const WORDS: [&str; 11] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    const DIGITS: [&str; 11] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
    WORDS.iter().position(|n| *n == w).map(|i| DIGITS[i])
}

/// Word-level Levenshtein distance between the normalised texts.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> WordErrors {
    let r = normalise_words(reference);
    let h = normalise_words(hypothesis);
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    let mut row = vec![0usize; h.len() + 1];
    for (i, rw) in r.iter().enumerate() {
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let substitute = prev[j] + usize::from(rw != hw);
            row[j + 1] = substitute.min(prev[j + 1] + 1).min(row[j] + 1);
        }
        std::mem::swap(&mut prev, &mut row);
    }
    WordErrors {
        edits: prev[h.len()],
        reference_words: r.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_case_punctuation_and_number_spelling() {
        assert_eq!(
            normalise_words("Press ONE, then the pound-key... I'm done."),
            vec!["press", "1", "then", "the", "pound", "key", "i'm", "done"]
        );
        assert_eq!(word_error_rate("Press one.", "press 1").edits, 0);
    }

    #[test]
    fn counts_substitutions_insertions_and_deletions() {
        let e = word_error_rate("please hold the line", "please hold a line now");
        assert_eq!(
            e,
            WordErrors {
                edits: 2,
                reference_words: 4
            }
        );
        assert_eq!(e.rate(), 0.5);
        assert_eq!(word_error_rate("a b c", "").edits, 3);
        assert_eq!(word_error_rate("", "").rate(), 0.0);
        let total = e + word_error_rate("x y", "x y");
        assert_eq!(total.reference_words, 6);
    }
}
