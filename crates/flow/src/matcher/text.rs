//! Text normalisation for matching: lower-casing, punctuation, light stemming, stop words,
//! edit distance, and spotting transcripts that are not speech at all (`[BLANK_AUDIO]`).

/// True when a transcript carries no words: empty, only punctuation, or only non-speech
/// markers such as `[BLANK_AUDIO]`, `(silence)`, `[Music]`, `*coughs*` or `♪`.
pub fn is_no_speech(text: &str) -> bool {
    !strip_markers(text).chars().any(char::is_alphanumeric)
}

/// Removes `[...]`, `(...)` and `*...*` segments, which Whisper uses for non-speech sounds.
fn strip_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut closing: Option<char> = None;
    for c in text.chars() {
        match closing {
            Some(end) if c == end => closing = None,
            Some(_) => {}
            None => match c {
                '[' => closing = Some(']'),
                '(' => closing = Some(')'),
                '*' => closing = Some('*'),
                _ => out.push(c),
            },
        }
    }
    out
}

/// Lower-cased, stemmed words of `text`, without punctuation or non-speech markers.
/// Apostrophes vanish inside words (`what's` -> `whats`) so both sides normalise alike.
pub fn words(text: &str) -> Vec<String> {
    let cleaned: String = strip_markers(text)
        .chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}'))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    cleaned
        .to_lowercase()
        .split_whitespace()
        .map(stem)
        .collect()
}

/// A light stemmer: plural `s`/`ies`, `ing`, `ed`, then a doubled final consonant
/// (`shipping` -> `ship`, `cancelled` -> `cancel`, `deliveries` -> `delivery`).
pub fn stem(word: &str) -> String {
    let len = word.chars().count();
    if len <= 3 || !word.is_ascii() {
        return word.to_string();
    }
    let base = if let Some(b) = word.strip_suffix("ies").filter(|_| len > 4) {
        format!("{b}y")
    } else if let Some(b) = word.strip_suffix("ing").filter(|_| len >= 6) {
        b.to_string()
    } else if let Some(b) = word.strip_suffix("ed").filter(|_| len >= 6) {
        b.to_string()
    } else if let Some(b) = word.strip_suffix('s').filter(|_| !word.ends_with("ss")) {
        b.to_string()
    } else {
        word.to_string()
    };
    let bytes = base.as_bytes();
    let n = bytes.len();
    if n > 3 && bytes[n - 1] == bytes[n - 2] && !b"aeiousy".contains(&bytes[n - 1]) {
        return base[..n - 1].to_string();
    }
    base
}

/// Words that say little about what the caller wants. Compared after stemming.
const STOP_WORDS: &[&str] = &[
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "did", "do", "doe", "does", "er", "for", "from", "get", "got", "had", "has", "have",
    "hello", "hey", "hi", "how", "hows", "i", "id", "if", "im", "in", "is", "it", "its", "ill",
    "just", "know", "let", "like", "me", "might", "mine", "my", "of", "ok", "okay", "on", "or",
    "our", "please", "so", "some", "tell", "than", "that", "thats", "the", "then", "there",
    "these", "this", "those", "to", "uh", "uhm", "um", "us", "wa", "want", "wanna", "was", "we",
    "well", "were", "what", "whats", "when", "where", "which", "who", "why", "will", "with",
    "would", "you", "your", "youre", "need", "able", "mean",
];

/// Whether a (stemmed) word is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Same word, allowing one edit for words of five letters or more (ASR near-misses such as
/// `delivary` for `delivery`).
pub fn same_word(a: &str, b: &str) -> bool {
    a == b || (a.chars().count() >= 5 && b.chars().count() >= 5 && edit_distance(a, b) <= 1)
}

/// Distinct content words (stemmed, stop words removed) of `text`, in order.
pub(crate) fn content_words(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    words(text)
        .into_iter()
        .filter(|w| !is_stop_word(w) && seen.insert(w.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_markers_are_not_speech() {
        for noise in [
            "",
            "   ",
            "[BLANK_AUDIO]",
            " [BLANK_AUDIO] ",
            "(silence)",
            "[Music]",
            "[ Silence ]",
            "(coughs) [Music]",
            "*sighs*",
            "...",
            "♪",
        ] {
            assert!(is_no_speech(noise), "{noise:?} should be no speech");
        }
        assert!(!is_no_speech(" How long does delivery take?"));
        assert!(!is_no_speech("[Music] bye"));
    }

    #[test]
    fn whisper_transcript_normalises_to_plain_words() {
        assert_eq!(
            words(" How long does delivery take?"),
            vec!["how", "long", "doe", "delivery", "take"]
        );
        assert_eq!(
            words("What's the cost of shipping?"),
            vec!["what", "the", "cost", "of", "ship"]
        );
    }

    #[test]
    fn stemming_conflates_common_forms() {
        assert_eq!(stem("deliveries"), "delivery");
        assert_eq!(stem("returns"), "return");
        assert_eq!(stem("tracking"), "track");
        assert_eq!(stem("shipped"), stem("shipping"));
        assert_eq!(stem("cancelled"), stem("cancel"));
        assert_eq!(stem("calling"), stem("call"));
        assert_eq!(stem("address"), "address");
        assert_eq!(stem("bus"), "bus");
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("delivery", "delivary"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert!(same_word("delivary", "delivery"));
        assert!(!same_word("cost", "cast"), "short words must match exactly");
    }
}
