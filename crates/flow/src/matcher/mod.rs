//! Intent recognition: the `IntentMatcher` trait the engine calls, and `KeywordMatcher`, a
//! simple keyword-and-example matcher (to be joined by an embedding matcher later).

pub mod keyword;
pub mod near_miss;
pub mod text;

/// An intent built in a unit test, at no position in any file.
#[cfg(test)]
pub(crate) fn intent_for_tests(
    id: &str,
    examples: &[&str],
    keywords: &[&str],
) -> crate::schema::Intent {
    crate::schema::Intent {
        id: id.to_string(),
        examples: examples.iter().map(|s| s.to_string()).collect(),
        keywords: keywords.iter().map(|s| s.to_string()).collect(),
        pos: crate::diagnostic::SourcePos::START,
    }
}

pub use keyword::KeywordMatcher;
pub use near_miss::{NearMiss, NearMissMatcher};
pub use text::is_no_speech;

/// The intent a caller's words were matched to.
#[derive(Clone, Debug, PartialEq)]
pub struct IntentMatch {
    /// Id of the intent, as declared under `intents:`.
    pub intent: String,
    /// Confidence in `0.0..=1.0`; higher is surer.
    pub score: f32,
    /// When the words that survived a misheard question decided the match (`near_miss`
    /// setting), those words; empty for a match by meaning or keywords.
    pub near_miss: Vec<String>,
}

/// Maps a transcript to an intent.
pub trait IntentMatcher {
    /// The best intent for `text`, or `None` when nothing fits well enough. Must return `None`
    /// for empty text and for non-speech markers such as `[BLANK_AUDIO]`.
    fn classify(&self, text: &str) -> Option<IntentMatch>;

    /// The closest intent with its score even when it is too far to count as a match, for tuning
    /// tools such as `hotline chat`; `None` for non-speech. By default, what `classify` returns.
    fn best_candidate(&self, text: &str) -> Option<IntentMatch> {
        self.classify(text)
    }
}
