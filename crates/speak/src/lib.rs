//! Hotline's voice: Piper neural text-to-speech on ONNX Runtime (`ort`), with phonemes from
//! the `espeak-ng` program run as a separate process.
//!
//! ```no_run
//! # fn main() -> Result<(), hotline_speak::SpeakError> {
//! use std::path::Path;
//! hotline_onnx::init(Path::new("models/libonnxruntime.so.1.31.1"))?;
//! let mut voice = hotline_speak::PiperVoice::load(
//!     Path::new("voices/en_US-joe-medium.onnx"),
//!     Path::new("voices/en_US-joe-medium.onnx.json"),
//! )?;
//! for sentence in hotline_speak::split_sentences("Hello. Your balance is $4.99.") {
//!     let samples = voice.synthesize(&sentence)?; // f32 at voice.sample_rate()
//!     # let _ = samples;
//! }
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
mod phonemes;
mod text;
mod voice;

#[cfg(test)]
mod voice_tests;

pub use config::{InferenceScales, PhonemeIds, VoiceConfig};
pub use error::{ConfigProblem, SpeakError};
pub use phonemes::{Phonemizer, ESPEAK_PROGRAM};
pub use text::{normalize_text, split_sentences};
pub use voice::PiperVoice;
