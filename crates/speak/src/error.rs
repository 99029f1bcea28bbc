//! The crate's one error type: every way loading a voice or speaking a sentence can fail.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Something in a voice's `.onnx.json` that makes it unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigProblem {
    /// `phoneme_type` is not `espeak` (e.g. `text` voices need no phonemizer and are not supported).
    #[error("phoneme_type `{0}` is not supported (only `espeak`)")]
    UnsupportedPhonemeType(String),
    /// One of the control symbols (`_` pad, `^` start, `$` end) has no id.
    #[error("phoneme_id_map has no id for the control symbol `{0}`")]
    MissingControlSymbol(char),
    /// A key of `phoneme_id_map` is not exactly one character.
    #[error("phoneme_id_map key `{0}` is not a single character")]
    MultiCharacterPhoneme(String),
    /// A phoneme maps to an empty id list.
    #[error("phoneme_id_map entry `{0}` has no ids")]
    EmptyIdList(char),
    /// `audio.sample_rate` is zero.
    #[error("audio.sample_rate is zero")]
    ZeroSampleRate,
    /// `espeak.voice` is empty or could be mistaken for a command-line option.
    #[error("espeak.voice `{0}` is not a valid espeak-ng voice name")]
    BadEspeakVoice(String),
}

/// Errors from `hotline-speak`.
#[derive(Debug, thiserror::Error)]
pub enum SpeakError {
    /// The `espeak-ng` program could not be started.
    #[error("cannot run `{program}` (install the Debian package `espeak-ng`, which brings `espeak-ng-data`)")]
    EspeakMissing {
        /// Program that was run.
        program: PathBuf,
        /// Why starting it failed.
        #[source]
        source: io::Error,
    },
    /// Talking to a running `espeak-ng` failed.
    #[error("I/O with `{program}` failed")]
    EspeakIo {
        /// Program that was run.
        program: PathBuf,
        /// The pipe error.
        #[source]
        source: io::Error,
    },
    /// `espeak-ng` exited unsuccessfully (for instance an unknown voice).
    #[error("`{program}` exited with {status}: {stderr}")]
    EspeakFailed {
        /// Program that was run.
        program: PathBuf,
        /// Its exit status.
        status: ExitStatus,
        /// What it wrote on stderr.
        stderr: String,
    },
    /// The voice config could not be read.
    #[error("cannot read voice config {path}")]
    ConfigRead {
        /// The `.onnx.json` path.
        path: PathBuf,
        /// The read error.
        #[source]
        source: io::Error,
    },
    /// The voice config is not the JSON Piper writes.
    #[error("voice config {path} is not a Piper voice config")]
    ConfigParse {
        /// The `.onnx.json` path.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The voice config parsed but cannot drive the model.
    #[error("voice config {path}: {problem}")]
    ConfigInvalid {
        /// The `.onnx.json` path.
        path: PathBuf,
        /// What is wrong.
        problem: ConfigProblem,
    },
    /// A speaker id outside the voice's speakers was requested.
    #[error("speaker {requested} does not exist (the voice has {available})")]
    NoSuchSpeaker {
        /// Requested speaker id.
        requested: u32,
        /// Number of speakers in the voice.
        available: u32,
    },
    /// ONNX Runtime is not available (not loaded, or not initialised with `hotline_onnx::init`).
    #[error(transparent)]
    Onnx(#[from] hotline_onnx::OnnxError),
    /// The voice model could not be loaded into a session.
    #[error("cannot load voice model {path}")]
    ModelLoad {
        /// The `.onnx` path.
        path: PathBuf,
        /// ONNX Runtime's error.
        #[source]
        source: ort::Error,
    },
    /// Running the model failed.
    #[error("voice model inference failed")]
    Inference(#[source] ort::Error),
}
