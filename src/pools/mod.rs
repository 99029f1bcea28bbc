//! Worker pools for heavy inference, fed through bounded queues so a slow model never stalls RTP.
//!
//! Whisper and Piper run on dedicated OS threads that each own their model state; call tasks submit
//! jobs and await replies. Silero VAD runs on one small thread per call, since it keeps per-call state.

pub mod asr;
pub mod early_turn;
pub mod prompt_cache;
pub mod prompt_store;
pub mod quiet_gate;
pub mod tts;
pub mod vad;

pub use asr::{AsrPool, AsrResult};
pub use tts::{TtsChunk, TtsJob, TtsPool};
pub use vad::{spawn_listener, ListenerEvent};
