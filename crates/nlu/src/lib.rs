//! Hotline's natural-language understanding: which intent a caller's words express, by
//! meaning rather than by keywords.
//!
//! A [`SentenceEncoder`] (all-MiniLM-L6-v2, int8, on ONNX Runtime) turns text into a unit
//! vector; an [`IntentClassifier`] trained on example embeddings maps a vector to an intent
//! or rejects it as out of scope; an [`EmbeddingMatcher`] puts both behind the flow engine's
//! `IntentMatcher` trait. [`HybridFaq`] answers the flow's FAQ entries by meaning and
//! wording; [`group_unanswered`] groups the questions nothing answered.
//! [`run_banking77_eval`] measures the whole on Banking77.
//!
//! ```no_run
//! use std::path::Path;
//! use std::sync::Arc;
//! use hotline_flow::IntentMatcher;
//! use hotline_nlu::{EmbeddingMatcher, SentenceEncoder, MODEL_FILE, TOKENIZER_FILE};
//!
//! let models = Path::new("models");
//! hotline_onnx::init(&models.join("libonnxruntime.so.1.31.1"))?;
//! let encoder = Arc::new(SentenceEncoder::load(&models.join(MODEL_FILE), &models.join(TOKENIZER_FILE))?);
//! let source = std::fs::read_to_string("flows/shop.yaml")?;
//! let flow = hotline_flow::load_flow(&source, "shop.yaml").expect("valid flow");
//! let matcher = EmbeddingMatcher::new(&flow, encoder)?;
//! assert_eq!(matcher.classify("how long will shipping take").map(|m| m.intent).as_deref(), Some("delivery_time"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod banking77;
mod bm25;
mod cache;
mod classifier;
mod dataset;
mod encoder;
mod error;
mod eval;
mod faq;
mod faq_threshold;
mod gaps;
mod head;
mod matcher;
mod metrics;
mod vector;
mod wording;

pub use banking77::{Banking77, RejectionScore, SplitScore};
pub use bm25::{BM25_B, BM25_K1};
pub use cache::default_cache_dir;
pub use classifier::{ClassifierOptions, Example, IntentClassifier, Prediction, DEFAULT_THRESHOLD};
pub use dataset::{parse_utterances, read_utterances, sample_per_intent, Utterance};
pub use encoder::{SentenceEncoder, MAX_TOKENS};
pub use error::{DatasetProblem, NluError};
pub use eval::{run_banking77_eval, EvalOptions, EvalReport, UtteranceTiming};
pub use faq::{FaqScore, HybridFaq, FAQ_SIMILARITY_WEIGHT};
pub use faq_threshold::{outcome_at, recommend, sweep, ScoredQuestion, ThresholdOutcome};
pub use gaps::{group_unanswered, is_unanswered, GapGroup, RecordedTurn, DEFAULT_GAP_SIMILARITY};
pub use head::TrainingOptions;
pub use matcher::{EmbeddingMatcher, DEFAULT_KEYWORD_FLOOR, MATCH_THRESHOLD};
pub use metrics::{accuracy, macro_f1};
pub use wording::WordFeatures;

/// File name of the sentence encoder under the models directory (asset `minilm`).
pub const MODEL_FILE: &str = "minilm-int8.onnx";
/// File name of its tokenizer under the models directory (asset `minilm-tokenizer`).
pub const TOKENIZER_FILE: &str = "minilm-tokenizer.json";
