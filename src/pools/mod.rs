//! Worker pools for heavy inference, fed through bounded queues so a slow model never stalls RTP.
//!
//! Whisper and Piper run on dedicated OS threads that each own their model state; call tasks submit
//! jobs and await replies. Silero VAD is one model shared by every call; each call's listener keeps
//! its small state and runs the model on its own task, only on windows loud enough to be speech.

pub mod asr;
pub mod early_turn;
pub mod prompt_cache;
pub mod prompt_store;
pub mod tts;
pub mod vad;

pub use asr::{hot_words_job, AsrPool, AsrResult};
pub use tts::{TtsChunk, TtsJob, TtsPool};
pub use vad::{Listener, ListenerEvent};
