//! The crate's one error type: a campaign file or list that cannot be used, with its position,
//! and dialer events that do not match what the dialer knows.

use std::path::PathBuf;

/// Why a campaign could not be loaded or a dialer event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialerError {
    /// The campaign file is invalid; `line` and `column` are 1-based.
    #[error("{}:{line}:{column}: {reason}", file.display())]
    Config {
        file: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },
    /// The contact list has no header row, or a column the campaign names is missing.
    #[error("{}: the contact list has no column `{column}` (its columns: {})", file.display(), found.join(", "))]
    MissingColumn {
        file: PathBuf,
        column: String,
        found: Vec<String>,
    },
    /// The contact list cannot be read as CSV at all.
    #[error("{}:{line}: not readable as CSV: {reason}", file.display())]
    Csv {
        file: PathBuf,
        line: usize,
        reason: String,
    },
    /// An attempt ended that the dialer did not start (or already settled).
    #[error("no attempt of {number} is in progress")]
    NotInProgress { number: String },
    /// An attempt names a number that is not one of the campaign's contacts.
    #[error("{number} is not a contact of this campaign")]
    UnknownContact { number: String },
}
