//! Diagnostics: what `load_flow` and `check` say about a flow file, each pinned to a line and column.

use std::fmt;

/// A 1-based line and column in a source file (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourcePos {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column number, in characters.
    pub column: usize,
}

impl SourcePos {
    /// The first character of a file.
    pub const START: SourcePos = SourcePos { line: 1, column: 1 };

    /// A position from 1-based line and column numbers.
    pub fn new(line: usize, column: usize) -> Self {
        SourcePos { line, column }
    }
}

/// How serious a diagnostic is. Errors stop a flow from loading; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The flow cannot run as written.
    Error,
    /// The flow runs, but something looks like a mistake (e.g. a node nothing leads to).
    Warning,
}

/// One finding about a flow or script file.
///
/// `Display` renders it as `file:line:column: message`, with `warning: ` in front of the
/// message for warnings, the form editors and terminals turn into clickable links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name given to `load_flow` / `check`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, in plain words.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
}

impl Diagnostic {
    /// An error at `pos` in `file`.
    pub fn error(file: &str, pos: SourcePos, message: impl Into<String>) -> Self {
        Self::with_severity(file, pos, message, Severity::Error)
    }

    /// A warning at `pos` in `file`.
    pub fn warning(file: &str, pos: SourcePos, message: impl Into<String>) -> Self {
        Self::with_severity(file, pos, message, Severity::Warning)
    }

    fn with_severity(
        file: &str,
        pos: SourcePos,
        message: impl Into<String>,
        severity: Severity,
    ) -> Self {
        Diagnostic {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
            severity,
        }
    }

    /// True for `Severity::Error`.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Where the diagnostic points.
    pub fn pos(&self) -> SourcePos {
        SourcePos::new(self.line, self.column)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(
            f,
            "{}:{}:{}: {}{}",
            self.file, self.line, self.column, prefix, self.message
        )
    }
}

/// Sorts diagnostics by position so a report reads top to bottom.
pub(crate) fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| (d.line, d.column, d.severity));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_displays_as_file_line_column_message() {
        let d = Diagnostic::error("shop.yaml", SourcePos::new(12, 7), "unknown node `menu`");
        assert_eq!(d.to_string(), "shop.yaml:12:7: unknown node `menu`");
        assert!(d.is_error());
    }

    #[test]
    fn warning_is_marked_in_display() {
        let d = Diagnostic::warning("a.yaml", SourcePos::new(3, 3), "node `x` is unreachable");
        assert_eq!(
            d.to_string(),
            "a.yaml:3:3: warning: node `x` is unreachable"
        );
        assert!(!d.is_error());
    }
}
