//! The crate's one error type.

use std::path::PathBuf;

/// Why loading a model, embedding text, or running the evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum NluError {
    /// ONNX Runtime is not loaded or has no environment (call `hotline_onnx::init` first).
    #[error(transparent)]
    Runtime(#[from] hotline_onnx::OnnxError),
    /// The ONNX model could not be loaded.
    #[error("cannot load the sentence encoder {path}: {source} (run `hotline models fetch`)")]
    ModelLoad {
        /// The model file.
        path: PathBuf,
        /// What ONNX Runtime said.
        #[source]
        source: ort::Error,
    },
    /// The model does not have the inputs or output a BERT-style sentence encoder has.
    #[error("model {path} is not a sentence encoder: missing {missing}")]
    ModelShape {
        /// The model file.
        path: PathBuf,
        /// The missing input or output name.
        missing: &'static str,
    },
    /// The tokenizer file could not be loaded or configured.
    #[error("cannot load the tokenizer {path}: {message} (run `hotline models fetch`)")]
    TokenizerLoad {
        /// The `tokenizer.json` file.
        path: PathBuf,
        /// What the tokenizers crate said.
        message: String,
    },
    /// Tokenizing a text failed.
    #[error("cannot tokenize text: {message}")]
    Tokenize {
        /// What the tokenizers crate said.
        message: String,
    },
    /// Running the model failed.
    #[error("sentence encoder inference failed: {0}")]
    Inference(#[source] ort::Error),
    /// The model's output had an unexpected shape.
    #[error("unexpected encoder output shape {shape:?} for a batch of {batch} x {tokens} tokens")]
    OutputShape {
        /// Shape ONNX Runtime returned.
        shape: Vec<i64>,
        /// Sentences in the batch.
        batch: usize,
        /// Tokens per sentence in the batch.
        tokens: usize,
    },
    /// An embedding of the wrong length was given to a classifier.
    #[error("embedding has {got} dimensions, the classifier expects {expected}")]
    Dimension {
        /// Dimensions the classifier was trained with.
        expected: usize,
        /// Dimensions given.
        got: usize,
    },
    /// A classifier was asked to learn from no examples.
    #[error("no training examples")]
    NoExamples,
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A dataset file is malformed.
    #[error("{path}:{line}: {problem}")]
    Dataset {
        /// The file.
        path: PathBuf,
        /// 1-based line where the problem was found.
        line: usize,
        /// What is wrong.
        problem: DatasetProblem,
    },
    /// The evaluation options cannot be met by the dataset.
    #[error("cannot hold out {held_out} of {intents} intents")]
    HoldOut {
        /// Intents asked to hold out.
        held_out: usize,
        /// Intents in the dataset.
        intents: usize,
    },
}

/// What is wrong with a line of a dataset file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DatasetProblem {
    /// The header does not name the expected columns.
    #[error("header must be `text,category`")]
    Header,
    /// A quoted field is never closed.
    #[error("unterminated quoted field")]
    UnterminatedQuote,
    /// A record does not have two fields.
    #[error("expected 2 fields, found {0}")]
    FieldCount(usize),
    /// The file has no records.
    #[error("no records")]
    Empty,
}

impl NluError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        NluError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
