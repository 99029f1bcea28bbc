//! Speech in for Hotline: Whisper transcription and Silero voice activity detection.
//!
//! - [`WhisperAsr`] runs whisper.cpp (via whisper-rs) on 16 kHz utterances, sizing the
//!   encoder window to the clip so a 2 s answer does not pay for Whisper's 30 s window.
//! - [`SileroVad`] scores 32 ms chunks of 8 kHz telephone audio for speech, on ONNX Runtime
//!   loaded once per process with `hotline_onnx::init`; one [`SileroModel`] is shared by every
//!   call, and [`GatedVad`] runs it only on windows loud enough to be speech.
//! - [`Decoding`] chooses how Whisper decodes: ours (greedy, whisper.cpp's temperature
//!   fallback, a token cap and a repetition guard) or whisper.cpp's defaults for comparison;
//!   [`WhisperAsr::transcribe_long`] takes audio of any length in windows of at most 30 s.
//! - [`Expect`] chooses how Whisper runs for the answer the flow waits for (digits: full window).
//! - [`word_error_rate`] measures recognition quality against a reference transcript.
//!
//! ```no_run
//! use std::path::Path;
//! hotline_onnx::init(Path::new("models/libonnxruntime.so.1.31.1"))?;
//! let mut vad = hotline_listen::SileroVad::load(Path::new("models/silero_vad.onnx"))?;
//! let p = vad.speech_probability(&[0.0; 256])?;
//! let asr = hotline_listen::WhisperAsr::load(Path::new("models/ggml-base.bin"), 2)?;
//! let heard = asr.transcribe(&vec![0.0; 16_000])?;
//! # let _ = (p, heard);
//! # Ok::<(), hotline_listen::ListenError>(())
//! ```

mod decoding;
mod error;
mod expect;
mod gated;
mod repetition;
mod second_pass;
mod vad;
mod wer;
mod whisper;
mod windows;

#[cfg(test)]
mod gated_tests;
#[cfg(test)]
mod test_audio;
#[cfg(test)]
mod vad_tests;
#[cfg(test)]
mod whisper_tests;

pub use decoding::{max_tokens, Decoding};
pub use error::ListenError;
pub use expect::Expect;
pub use gated::{GatedVad, MODEL_PRE_ROLL_WINDOWS};
pub use repetition::{collapse_repeats, compression_ratio};
pub use second_pass::{keep_better, second_pass_wanted};
pub use vad::{SileroModel, SileroVad, VAD_CHUNK_8K};
pub use wer::{normalise_words, word_error_rate, WordErrors};
pub use whisper::{audio_ctx_for, AudioWindow, Transcript, WhisperAsr, WHISPER_SAMPLE_RATE};
pub use windows::{join_texts, split_windows};
