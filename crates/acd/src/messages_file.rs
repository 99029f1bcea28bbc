//! A `messages:` block of `queues.yaml` as written, checked when the file is read: every key must
//! name a sentence and every `{placeholder}` must be one that sentence can fill, or the file is
//! refused at that line and column with a did-you-mean.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::{AcdError, SentenceProblem};
use crate::messages::{QueueMessages, SENTENCE_KEYS};
use crate::yaml::Entries;

/// `messages:` as written, at the top of `queues.yaml` or in one queue, in file order.
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct RawMessages(Entries<Spanned<String>, Spanned<String>>);

impl RawMessages {
    /// `base` with the sentences given here put in; `queue` names the queue whose block this is.
    pub(crate) fn apply(
        &self,
        base: &QueueMessages,
        file: &Path,
        queue: Option<&str>,
    ) -> Result<QueueMessages, AcdError> {
        let refuse = |at: &Spanned<String>, problem: SentenceProblem| {
            let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX).max(1);
            AcdError::Sentence {
                file: file.to_path_buf(),
                line: n(at.referenced.line()),
                column: n(at.referenced.column()),
                queue: queue.map(str::to_string),
                problem: Box::new(problem),
            }
        };
        let mut out = base.clone();
        for (key, text) in &self.0 .0 {
            let Some(&(name, allowed)) = SENTENCE_KEYS.iter().find(|(k, _)| *k == key.value.trim())
            else {
                let suggestion = closest(key.value.trim(), SENTENCE_KEYS.iter().map(|(k, _)| *k));
                return Err(refuse(
                    key,
                    SentenceProblem::UnknownSentence {
                        key: key.value.clone(),
                        suggestion,
                    },
                ));
            };
            check_placeholders(&text.value, name, allowed).map_err(|p| refuse(text, p))?;
            if let Some(slot) = out.get_mut(name) {
                *slot = text.value.trim().to_string();
            }
        }
        Ok(out)
    }
}

/// Every `{name}` in `text` is one of `allowed`, and every `{` is closed.
fn check_placeholders(
    text: &str,
    key: &'static str,
    allowed: &'static [&'static str],
) -> Result<(), SentenceProblem> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(SentenceProblem::UnclosedBrace { key });
        };
        let name = after[..close].trim();
        if !allowed.contains(&name) {
            return Err(SentenceProblem::UnknownPlaceholder {
                key,
                placeholder: name.to_string(),
                allowed,
                suggestion: closest(name, allowed.iter().copied()),
            });
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// The candidate a typo of `word` most likely meant: within a third of its length in edits.
fn closest(word: &str, candidates: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    let word = word.to_ascii_lowercase();
    candidates
        .map(|c| (hotline_flow::matcher::text::edit_distance(&word, c), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_checked_against_what_each_sentence_can_use() {
        assert_eq!(
            check_placeholders("number {position}", "position", &["position"]),
            Ok(())
        );
        assert_eq!(check_placeholders("no braces", "no_agent", &[]), Ok(()));
        assert_eq!(
            check_placeholders("number {postion}", "position", &["position"]),
            Err(SentenceProblem::UnknownPlaceholder {
                key: "position",
                placeholder: "postion".into(),
                allowed: &["position"],
                suggestion: Some("position"),
            })
        );
        assert_eq!(
            check_placeholders("number {position", "position", &["position"]),
            Err(SentenceProblem::UnclosedBrace { key: "position" })
        );
    }

    #[test]
    fn a_typo_finds_the_name_it_meant_and_nonsense_finds_none() {
        let keys = || SENTENCE_KEYS.iter().map(|(k, _)| *k);
        assert_eq!(closest("no_agnet", keys()), Some("no_agent"));
        assert_eq!(closest("Whisper", keys()), Some("whisper"));
        assert_eq!(closest("greeting", keys()), None);
        assert_eq!(closest("minuts", ["minutes"].into_iter()), Some("minutes"));
    }
}
