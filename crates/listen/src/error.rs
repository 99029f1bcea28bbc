//! The one error type of the listen crate: loading and running Whisper and Silero VAD.

use std::path::PathBuf;

/// Everything that can go wrong while loading or running speech recognition or VAD.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// A model file is not there.
    #[error("model file {path} is missing: run `hotline models fetch` to install it")]
    ModelMissing {
        /// The path looked for.
        path: PathBuf,
    },
    /// whisper.cpp could not load the model.
    #[error("cannot load Whisper model {path}: {source}")]
    WhisperLoad {
        /// The model file.
        path: PathBuf,
        /// whisper-rs's error.
        #[source]
        source: whisper_rs::WhisperError,
    },
    /// whisper.cpp failed while allocating a decoding state or transcribing.
    #[error("Whisper transcription failed: {source}")]
    Whisper {
        /// whisper-rs's error.
        #[source]
        source: whisper_rs::WhisperError,
    },
    /// The clip is longer than Whisper's 30 s window.
    #[error("clip of {samples} samples is longer than Whisper's 30 s window")]
    ClipTooLong {
        /// Samples at 16 kHz.
        samples: usize,
    },
    /// ONNX Runtime is not available (not loaded, or not initialised with `hotline_onnx::init`).
    #[error(transparent)]
    Onnx(#[from] hotline_onnx::OnnxError),
    /// The VAD model could not be loaded.
    #[error("cannot load VAD model {path}: {source}")]
    VadLoad {
        /// The model file.
        path: PathBuf,
        /// ort's error.
        #[source]
        source: ort::Error,
    },
    /// The VAD model lacks an input or output Silero v5/v6 models have.
    #[error("VAD model has no `{name}` {kind}; expected Silero VAD v5 or v6")]
    VadInterface {
        /// The tensor name looked for.
        name: &'static str,
        /// `input` or `output`.
        kind: &'static str,
    },
    /// Running the VAD model failed.
    #[error("VAD inference failed: {0}")]
    VadRun(#[source] ort::Error),
    /// A VAD chunk has the wrong length.
    #[error("VAD chunk has {got} samples; Silero at 8 kHz takes {expected}")]
    VadChunk {
        /// Samples required.
        expected: usize,
        /// Samples given.
        got: usize,
    },
}
