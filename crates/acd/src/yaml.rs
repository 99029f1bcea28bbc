//! Reading the supervisors' YAML with serde-saphyr while keeping line numbers, so every refusal
//! can say `file:line: reason`.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::time::Duration;

use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::duration::parse_duration;
use crate::error::AcdError;

/// Builds a configuration error for `file` at `line`.
pub(crate) fn config_error(file: &Path, line: usize, reason: impl Into<String>) -> AcdError {
    AcdError::Config {
        file: file.to_path_buf(),
        line: line.max(1),
        reason: reason.into(),
    }
}

/// The 1-based line a spanned value was written on.
pub(crate) fn line_of<T>(value: &Spanned<T>) -> usize {
    usize::try_from(value.referenced.line()).unwrap_or(usize::MAX)
}

/// Deserializes a whole file, turning serde-saphyr's errors into `AcdError::Config`.
pub(crate) fn load<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, AcdError> {
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(config_error(file, 1, "the file is empty"));
    }
    serde_saphyr::from_str(text).map_err(|e| {
        let line = e
            .location()
            .and_then(|l| usize::try_from(l.line()).ok())
            .unwrap_or(1);
        config_error(file, line, plain_reason(&e.without_snippet().to_string()))
    })
}

/// serde-saphyr ends its messages with " at line N, column M"; the line is reported separately.
fn plain_reason(message: &str) -> String {
    let message = message.trim();
    let message = match message.rfind(" at line ") {
        Some(i) if message[i..].contains(", column ") => &message[..i],
        _ => message,
    };
    message.to_string()
}

/// A duration setting; `zero_allowed` says whether `0s` makes sense for it.
pub(crate) fn duration(
    value: Option<&Spanned<String>>,
    default: Duration,
    field: &str,
    zero_allowed: bool,
    file: &Path,
) -> Result<Duration, AcdError> {
    let Some(value) = value else {
        return Ok(default);
    };
    let parsed = parse_duration(&value.value).map_err(|reason| {
        config_error(
            file,
            line_of(value),
            format!("invalid duration for `{field}`: `{}` {reason}", value.value),
        )
    })?;
    if parsed.is_zero() && !zero_allowed {
        return Err(config_error(
            file,
            line_of(value),
            format!("`{field}` must be longer than zero"),
        ));
    }
    Ok(parsed)
}

/// A mapping read in file order (serde's maps would sort or hash the keys and lose order).
#[derive(Debug)]
pub(crate) struct Entries<K, V>(pub Vec<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<K, V> {
            type Value = Entries<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
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
        assert_eq!(plain_reason("no position here"), "no position here");
    }
}
