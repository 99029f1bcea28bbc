//! The single error type of the mood crate: what can go wrong loading the sentiment lexicon.

use std::path::PathBuf;
use thiserror::Error;

/// Errors raised while loading a sentiment lexicon; scoring itself never fails.
#[derive(Debug, Error)]
pub enum MoodError {
    /// The lexicon file could not be read.
    #[error("cannot read the sentiment lexicon {path}: {source} (run `hotline models fetch`)")]
    ReadLexicon {
        /// File that was opened.
        path: PathBuf,
        /// Underlying IO error.
        #[source]
        source: std::io::Error,
    },
    /// An entry names a word but its valence is not a number.
    #[error("sentiment lexicon line {line}: valence {valence:?} of {word:?} is not a number")]
    BadValence {
        /// 1-based line number in the lexicon text.
        line: usize,
        /// The word the entry is for.
        word: String,
        /// The text found where the valence should be.
        valence: String,
    },
    /// No entry was found at all: the file is not a VADER lexicon.
    #[error("no sentiment lexicon entries found in {lines} lines")]
    EmptyLexicon {
        /// Number of lines read.
        lines: usize,
    },
}
