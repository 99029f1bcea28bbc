//! Reading the campaign manager's YAML with serde-saphyr while keeping lines and columns, so every
//! refusal can say `file:line:column: reason`, with a did-you-mean for a misspelt field.

use std::path::Path;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;

use crate::error::DialerError;

/// A 1-based line and column in the campaign file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };
}

/// Where a spanned value was written.
pub(crate) fn pos_of<T>(value: &Spanned<T>) -> Pos {
    let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX).max(1);
    Pos {
        line: n(value.referenced.line()),
        column: n(value.referenced.column()),
    }
}

/// Builds a configuration error for `file` at `pos`.
pub(crate) fn config_error(file: &Path, pos: Pos, reason: impl Into<String>) -> DialerError {
    DialerError::Config {
        file: file.to_path_buf(),
        line: pos.line.max(1),
        column: pos.column.max(1),
        reason: reason.into(),
    }
}

/// Deserializes a whole file, turning serde-saphyr's errors into `DialerError::Config`.
pub(crate) fn load<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, DialerError> {
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(config_error(file, Pos::START, "the file is empty"));
    }
    serde_saphyr::from_str(text).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos {
                line: usize::try_from(l.line()).unwrap_or(1).max(1),
                column: usize::try_from(l.column()).unwrap_or(1).max(1),
            })
            .unwrap_or(Pos::START);
        config_error(
            file,
            pos,
            with_suggestion(&plain_reason(&e.without_snippet().to_string())),
        )
    })
}

/// serde-saphyr ends its messages with " at line N, column M"; the position is reported apart.
fn plain_reason(message: &str) -> String {
    let message = message.trim();
    let message = match message.rfind(" at line ") {
        Some(i) if message[i..].contains(", column ") => &message[..i],
        _ => message,
    };
    message.to_string()
}

/// Adds "did you mean `x`?" to serde's "unknown field `y`, expected one of ..." when one of the
/// expected names is close.
fn with_suggestion(reason: &str) -> String {
    let Some(rest) = reason.strip_prefix("unknown field `") else {
        return reason.to_string();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return reason.to_string();
    };
    let list = expected
        .trim_start_matches(',')
        .trim()
        .trim_start_matches("expected")
        .trim()
        .trim_start_matches("one of")
        .replace(" or ", ", ");
    let names: Vec<&str> = list
        .split(',')
        .map(|n| n.trim().trim_matches('`'))
        .filter(|n| !n.is_empty())
        .collect();
    match closest(unknown, &names) {
        Some(best) => format!("unknown field `{unknown}`: did you mean `{best}`?"),
        None => reason.to_string(),
    }
}

/// The candidate nearest to `word` by edit distance, if it is near enough to be a typo.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&word, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A duration setting such as `10m`, read with the flow language's parser.
pub(crate) fn duration(
    value: &Spanned<String>,
    field: &str,
    file: &Path,
) -> Result<Duration, DialerError> {
    hotline_flow::parse_duration_text(&value.value).map_err(|reason| {
        config_error(
            file,
            pos_of(value),
            format!("invalid duration for `{field}`: `{}` {reason}", value.value),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_loses_the_position_suffix_only() {
        assert_eq!(
            plain_reason("missing field `c` at line 1, column 1"),
            "missing field `c`"
        );
    }

    #[test]
    fn a_misspelt_field_gets_a_suggestion() {
        assert_eq!(
            with_suggestion("unknown field `pacng`, expected one of `name`, `pacing`, `flow`"),
            "unknown field `pacng`: did you mean `pacing`?"
        );
        assert_eq!(
            with_suggestion("unknown field `windw`, expected one of flow, window, trunk"),
            "unknown field `windw`: did you mean `window`?"
        );
        assert_eq!(
            with_suggestion("unknown field `zzz`, expected `name` or `flow`"),
            "unknown field `zzz`, expected `name` or `flow`"
        );
    }
}
