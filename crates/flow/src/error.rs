//! The crate's error type, for operations that fail as a whole rather than with diagnostics.

use crate::diagnostic::Diagnostic;

/// Why a flow-level operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// A flow file did not validate; every diagnostic found is listed (errors and warnings).
    #[error("flow `{file}` is invalid ({} problems)", diagnostics.len())]
    InvalidFlow {
        /// File name the flow was loaded from.
        file: String,
        /// All findings, sorted by position.
        diagnostics: Vec<Diagnostic>,
    },
    /// A scripted-conversation file did not validate.
    #[error("script `{file}` is invalid ({} problems)", diagnostics.len())]
    InvalidScript {
        /// File name of the script.
        file: String,
        /// All findings, sorted by position.
        diagnostics: Vec<Diagnostic>,
    },
    /// An http request names a secret (`{env.NAME}`) the runtime does not have.
    #[error("secret `{name}` is not set in the environment")]
    MissingSecret {
        /// The environment variable's name.
        name: String,
    },
}
