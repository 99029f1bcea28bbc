//! Splitting a transcript into words, two ways: the case-preserving words the sentiment scorer
//! weighs, and the normalised words (lower case, contractions expanded, numbers spelled out)
//! that the insult, phrase and repetition matchers compare.

/// A word of the transcript as written (capitals kept) with surrounding punctuation removed,
/// and its lower-case form.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Word {
    /// The word as written, e.g. `GREAT` or `don't`.
    pub text: String,
    /// Lower-case form used for look-ups.
    pub lower: String,
}

impl Word {
    /// Whether the word is written in capitals (at least two letters, none lower case).
    pub fn is_shouted(&self) -> bool {
        let mut letters = self.text.chars().filter(|c| c.is_alphabetic());
        let count = letters.clone().count();
        count >= 2 && letters.all(|c| !c.is_lowercase())
    }
}

/// Typographic apostrophes and quotes mapped to ASCII so `don’t` and `don't` match.
fn plain_apostrophes(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' => '\'',
            other => other,
        })
        .collect()
}

/// The whitespace-separated words of `text` with leading and trailing punctuation removed.
/// Tokens without any letter or digit (emoticons such as `:)`) are kept as written.
pub(crate) fn written_words(text: &str) -> Vec<Word> {
    plain_apostrophes(text)
        .split_whitespace()
        .filter_map(|token| {
            let trimmed = token.trim_matches(|c: char| !c.is_alphanumeric());
            let text = if trimmed.is_empty() { token } else { trimmed };
            (!text.is_empty()).then(|| Word {
                text: text.to_string(),
                lower: text.to_lowercase(),
            })
        })
        .collect()
}

/// Contractions written with or without the apostrophe (ASR output often drops it), and the
/// words they stand for.
const CONTRACTIONS: &[(&str, &str)] = &[
    ("can't", "can not"),
    ("cant", "can not"),
    ("cannot", "can not"),
    ("won't", "will not"),
    ("shan't", "shall not"),
    ("ain't", "is not"),
    ("aint", "is not"),
    ("dont", "do not"),
    ("doesnt", "does not"),
    ("didnt", "did not"),
    ("isnt", "is not"),
    ("arent", "are not"),
    ("wasnt", "was not"),
    ("werent", "were not"),
    ("havent", "have not"),
    ("hasnt", "has not"),
    ("hadnt", "had not"),
    ("couldnt", "could not"),
    ("wouldnt", "would not"),
    ("shouldnt", "should not"),
    ("im", "i am"),
    ("ive", "i have"),
    ("youre", "you are"),
    ("youve", "you have"),
    ("theyre", "they are"),
    ("thats", "that is"),
    ("whats", "what is"),
    ("let's", "let us"),
];

/// Words before `'s` that make it "is" rather than a possessive.
const IS_BEFORE_S: &[&str] = &[
    "it", "that", "what", "there", "here", "who", "where", "how", "he", "she", "this",
];

/// Digits and ordinals as ASR writes them, spelled out as callers say them.
const NUMBERS: &[(&str, &str)] = &[
    ("1", "one"),
    ("2", "two"),
    ("3", "three"),
    ("4", "four"),
    ("5", "five"),
    ("6", "six"),
    ("7", "seven"),
    ("8", "eight"),
    ("9", "nine"),
    ("10", "ten"),
    ("20", "twenty"),
    ("100", "hundred"),
    ("1st", "first"),
    ("2nd", "second"),
    ("3rd", "third"),
    ("4th", "fourth"),
    ("5th", "fifth"),
    ("6th", "sixth"),
    ("10th", "tenth"),
];

/// Expands one lower-case token (apostrophes kept) into normalised words.
fn expand(token: &str, out: &mut Vec<String>) {
    if let Some((_, full)) = CONTRACTIONS
        .iter()
        .chain(NUMBERS)
        .find(|(short, _)| *short == token)
    {
        out.extend(full.split(' ').map(str::to_string));
        return;
    }
    let suffixes = [
        ("n't", "not"),
        ("'re", "are"),
        ("'ve", "have"),
        ("'ll", "will"),
        ("'d", "would"),
        ("'m", "am"),
    ];
    for (suffix, word) in suffixes {
        if let Some(stem) = token.strip_suffix(suffix) {
            if !stem.is_empty() {
                out.push(stem.to_string());
                out.push(word.to_string());
                return;
            }
        }
    }
    if let Some(stem) = token.strip_suffix("'s") {
        out.push(stem.to_string());
        if IS_BEFORE_S.contains(&stem) {
            out.push("is".to_string());
        }
        return;
    }
    let bare = token.trim_matches('\'');
    if !bare.is_empty() {
        out.push(bare.to_string());
    }
}

/// Lower-case words of `text` for matching word lists: split at anything but letters, digits,
/// apostrophes and `*` (ASR censoring such as `f***`), contractions expanded (`I've` → `i have`,
/// `dont` → `do not`) and numbers spelled out (`3` → `three`, `3rd` → `third`).
pub(crate) fn normalised_words(text: &str) -> Vec<String> {
    let lower = plain_apostrophes(text).to_lowercase();
    let mut out = Vec::new();
    for token in lower.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '*')) {
        if !token.is_empty() {
            expand(token, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_words_strip_punctuation_but_keep_case_and_emoticons() {
        let words = written_words("Hello, this is GREAT!!! :) don’t");
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Hello", "this", "is", "GREAT", ":)", "don't"]);
        assert!(words[3].is_shouted());
        assert!(!words[0].is_shouted());
        assert!(!written_words("I")[0].is_shouted());
        assert!(written_words("  ").is_empty());
    }

    #[test]
    fn normalised_words_expand_contractions_and_numbers() {
        assert_eq!(
            normalised_words("I've called 3 times, you’re useless. It's the 3rd time!"),
            [
                "i", "have", "called", "three", "times", "you", "are", "useless", "it", "is",
                "the", "third", "time"
            ]
        );
        assert_eq!(
            normalised_words("dont cant won't company's f***ing"),
            ["do", "not", "can", "not", "will", "not", "company", "f***ing"]
        );
    }
}
