//! Hotline's reading of a caller's mood, turn by turn, without IO beyond loading the lexicon.
//!
//! * [`score_text`]: VADER-style sentiment of a transcript with a [`Lexicon`] loaded from the
//!   `vader-lexicon` asset (`hotline models fetch`).
//! * [`MoodTracker`]: one per call; [`MoodTracker::observe`] weighs a turn's words (negative
//!   sentiment, insults, profanity, frustration phrases), its repetition of earlier turns, the
//!   dialogue's consecutive failures and the voice (loudness and pitch against this caller's own
//!   baseline) into a [`MoodReading`]: sentiment, smoothed anger 0..1 and the [`Cue`]s that fired.

mod abuse;
pub mod calibration;
pub mod cue;
pub mod error;
pub mod lexicon;
mod phrases;
mod repetition;
pub mod sentiment;
pub mod tracker;
pub mod voice;
mod words;

pub use calibration::{at_threshold, best_threshold, threshold_table, Judged, ThresholdResult};
pub use cue::{Cue, Signal};
pub use error::MoodError;
pub use lexicon::Lexicon;
pub use sentiment::{score_text, TextScore};
pub use tracker::{MoodConfig, MoodReading, MoodTracker, TurnObservation};
pub use voice::{voice_features, VoiceBaseline, VoiceFeatures, VoiceShift};

/// File name of the installed VADER lexicon under the models directory.
pub const LEXICON_FILE: &str = "vader_lexicon.py";

#[cfg(test)]
mod tracker_tests;
