//! The VADER sentiment lexicon: word → mean valence (-4..4), read at start-up from the file
//! `hotline models fetch` installs. The file is data from a PyPI wheel and is not committed.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::error::MoodError;

/// Word valences, -4 (most negative) to 4 (most positive).
#[derive(Clone, Default, PartialEq)]
pub struct Lexicon {
    valences: HashMap<String, f32>,
}

impl fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lexicon({} entries)", self.valences.len())
    }
}

/// The text between the quotes of a Python string literal starting at `s` (after the opening
/// quote `quote`), and the rest after the closing quote; `None` when it does not close.
fn python_string(s: &str, quote: char) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, escaped) = chars.next()?;
                out.push(escaped);
            }
            c if c == quote => return Some((out, &s[i + c.len_utf8()..])),
            c => out.push(c),
        }
    }
    None
}

/// One entry of a line: `"word": 1.5,` (Python dict) or `word<TAB>1.5<TAB>...` (VADER text).
/// `Ok(None)` for lines that are neither (comments, brackets, blank lines).
fn parse_line(line: &str, number: usize) -> Result<Option<(String, f32)>, MoodError> {
    let trimmed = line.trim();
    let (word, valence) = match trimmed.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let Some((word, rest)) = python_string(&trimmed[1..], quote) else {
                return Ok(None);
            };
            let Some(value) = rest.trim_start().strip_prefix(':') else {
                return Ok(None);
            };
            let value = value.trim().trim_end_matches([',', '}']).trim();
            (word, value.to_string())
        }
        _ => {
            let mut fields = line.split('\t');
            match (fields.next(), fields.next()) {
                (Some(word), Some(value)) if !word.trim().is_empty() => {
                    (word.trim().to_string(), value.trim().to_string())
                }
                _ => return Ok(None),
            }
        }
    };
    match valence.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(Some((word, v))),
        _ => Err(MoodError::BadValence {
            line: number,
            word,
            valence,
        }),
    }
}

impl Lexicon {
    /// Reads a lexicon file (see [`Lexicon::parse`] for the formats).
    pub fn load(path: &Path) -> Result<Lexicon, MoodError> {
        let text = std::fs::read_to_string(path).map_err(|source| MoodError::ReadLexicon {
            path: path.to_path_buf(),
            source,
        })?;
        Lexicon::parse(&text)
    }

    /// Parses lexicon text: either VADER's tab-separated lines (`word`, mean valence, ...) or a
    /// Python module whose dict lines read `"word": valence,`. Other lines are skipped; an entry
    /// with a valence that is not a number is an error, and so is text with no entry at all.
    pub fn parse(text: &str) -> Result<Lexicon, MoodError> {
        let mut valences = HashMap::new();
        let mut lines = 0;
        for (index, line) in text.lines().enumerate() {
            lines += 1;
            if let Some((word, valence)) = parse_line(line, index + 1)? {
                valences.insert(word.to_lowercase(), valence);
            }
        }
        if valences.is_empty() {
            return Err(MoodError::EmptyLexicon { lines });
        }
        Ok(Lexicon { valences })
    }

    /// A lexicon from explicit entries (words are matched in lower case).
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = (&'a str, f32)>) -> Lexicon {
        Lexicon {
            valences: entries
                .into_iter()
                .map(|(word, valence)| (word.to_lowercase(), valence))
                .collect(),
        }
    }

    /// Valence of a lower-case word, if the lexicon knows it.
    pub fn valence(&self, word: &str) -> Option<f32> {
        self.valences.get(word).copied()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.valences.len()
    }

    /// Whether the lexicon has no entries.
    pub fn is_empty(&self) -> bool {
        self.valences.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_python_dict_lines() {
        let text = "\"\"\"VADER lexicon.\"\"\"\nLEXICON = {\n    \"good\": 1.9,\n    'bad': -2.5,\n    \"can't stand\": -2.0,\n    \":)\": 2.0,\n    \"\\\"quoted\\\"\": 0.5,\n}\n";
        let lexicon = Lexicon::parse(text).expect("parses");
        assert_eq!(lexicon.len(), 5);
        assert_eq!(lexicon.valence("good"), Some(1.9));
        assert_eq!(lexicon.valence("bad"), Some(-2.5));
        assert_eq!(lexicon.valence("can't stand"), Some(-2.0));
        assert_eq!(lexicon.valence(":)"), Some(2.0));
        assert_eq!(lexicon.valence("\"quoted\""), Some(0.5));
        assert_eq!(lexicon.valence("ugly"), None);
    }

    #[test]
    fn parses_vader_text_lines() {
        let text = "good\t1.9\t0.9434\t[2, 1, 2]\nBAD\t-2.5\t0.67082\t[-3, -2]\n";
        let lexicon = Lexicon::parse(text).expect("parses");
        assert_eq!(lexicon.len(), 2);
        assert_eq!(lexicon.valence("bad"), Some(-2.5));
    }

    #[test]
    fn rejects_bad_valences_and_empty_text() {
        let err = Lexicon::parse("LEXICON = {\n  \"good\": lots,\n}").expect_err("bad");
        assert!(matches!(err, MoodError::BadValence { line: 2, ref word, .. } if word == "good"));
        assert!(matches!(
            Lexicon::parse("# nothing here\n\n"),
            Err(MoodError::EmptyLexicon { lines: 2 })
        ));
        let err = Lexicon::load(Path::new("/nonexistent/lexicon.py")).expect_err("missing");
        assert!(err.to_string().contains("hotline models fetch"));
    }
}
