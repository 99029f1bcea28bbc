//! `SentenceEncoder`: text in, one unit-length vector per sentence out, from a BERT-style
//! ONNX model (all-MiniLM-L6-v2) and its `tokenizer.json`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::{Session, SessionInputValue};
use ort::value::Tensor;
use tokenizers::{Tokenizer, TruncationParams};

use crate::NluError;

/// Longest input in tokens (including `[CLS]` and `[SEP]`); longer texts are cut.
pub const MAX_TOKENS: usize = 128;
/// Sentences run through the model together.
const BATCH_SIZE: usize = 32;
/// The model's per-token output, averaged into the sentence embedding.
const HIDDEN_STATE: &str = "last_hidden_state";

/// A sentence-embedding model: mean-pooled, L2-normalised token states of a BERT-style
/// encoder, so the cosine similarity of two embeddings is their dot product.
///
/// Thread-safe (`&self` everywhere); calls are serialised on the one ONNX session.
pub struct SentenceEncoder {
    session: Mutex<Session>,
    /// The last sentence embedded alone: the intent matcher and the FAQ look at the same
    /// utterance one after the other, so the second gets it without running the model again.
    last: Mutex<Option<(String, Vec<f32>)>>,
    tokenizer: Tokenizer,
    takes_token_types: bool,
    model_path: PathBuf,
    tokenizer_path: PathBuf,
    threads: usize,
}

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("model", &self.model_path)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// A session builder on the process's shared ONNX Runtime environment.
fn session_builder(model_onnx: &Path) -> Result<SessionBuilder, NluError> {
    let environment = hotline_onnx::environment()?;
    Session::builder(environment).map_err(|source| NluError::ModelLoad {
        path: model_onnx.to_path_buf(),
        source,
    })
}

impl SentenceEncoder {
    /// Loads the model with one intra-op thread (the right choice beside live calls).
    ///
    /// Needs `hotline_onnx::init` first.
    pub fn load(model_onnx: &Path, tokenizer_json: &Path) -> Result<Self, NluError> {
        Self::load_with_threads(model_onnx, tokenizer_json, 1)
    }

    /// Loads the model with `threads` intra-op threads (0: one per core).
    pub fn load_with_threads(
        model_onnx: &Path,
        tokenizer_json: &Path,
        threads: usize,
    ) -> Result<Self, NluError> {
        let tokenizer = load_tokenizer(tokenizer_json)?;
        let model_error = |source: ort::Error| NluError::ModelLoad {
            path: model_onnx.to_path_buf(),
            source,
        };
        let option_error = |e: ort::Error<SessionBuilder>| model_error(e.into());
        let session = session_builder(model_onnx)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(option_error)?
            .with_intra_threads(threads)
            .map_err(option_error)?
            .with_inter_threads(1)
            .map_err(option_error)?
            .with_intra_op_spinning(false)
            .map_err(option_error)?
            .with_inter_op_spinning(false)
            .map_err(option_error)?
            .commit_from_file(model_onnx)
            .map_err(model_error)?;
        let has_input = |name: &str| session.inputs().iter().any(|i| i.name() == name);
        for required in ["input_ids", "attention_mask"] {
            if !has_input(required) {
                return Err(NluError::ModelShape {
                    path: model_onnx.to_path_buf(),
                    missing: required,
                });
            }
        }
        if !session.outputs().iter().any(|o| o.name() == HIDDEN_STATE) {
            return Err(NluError::ModelShape {
                path: model_onnx.to_path_buf(),
                missing: HIDDEN_STATE,
            });
        }
        let takes_token_types = has_input("token_type_ids");
        Ok(SentenceEncoder {
            session: Mutex::new(session),
            last: Mutex::new(None),
            tokenizer,
            takes_token_types,
            model_path: model_onnx.to_path_buf(),
            tokenizer_path: tokenizer_json.to_path_buf(),
            threads,
        })
    }

    /// The same model loaded again with another number of intra-op threads.
    pub fn with_threads(&self, threads: usize) -> Result<Self, NluError> {
        Self::load_with_threads(&self.model_path, &self.tokenizer_path, threads)
    }

    /// The ONNX model file.
    pub fn model_path(&self) -> &Path {
        &self.model_path
    }

    /// The `tokenizer.json` file.
    pub fn tokenizer_path(&self) -> &Path {
        &self.tokenizer_path
    }

    /// Intra-op threads of the session.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// One embedding per text, in order; each is unit length (384 values for MiniLM).
    ///
    /// Texts are cut to [`MAX_TOKENS`] tokens and run in batches of similar length.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
        let mut encoded = Vec::with_capacity(texts.len());
        for text in texts {
            let encoding = self
                .tokenizer
                .encode(*text, true)
                .map_err(|e| NluError::Tokenize {
                    message: e.to_string(),
                })?;
            encoded.push(encoding.get_ids().to_vec());
        }
        // Similar lengths together waste less work on padding.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encoded[i].len());
        let mut embeddings = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH_SIZE) {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| encoded[i].as_slice()).collect();
            for (&i, embedding) in chunk.iter().zip(self.run_batch(&batch)?) {
                embeddings[i] = embedding;
            }
        }
        Ok(embeddings)
    }

    /// The embedding of one text.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>, NluError> {
        let remembered = |guard: &Option<(String, Vec<f32>)>| {
            guard
                .as_ref()
                .filter(|(t, _)| t == text)
                .map(|(_, e)| e.clone())
        };
        if let Some(hit) = remembered(&self.last.lock().unwrap_or_else(|p| p.into_inner())) {
            return Ok(hit);
        }
        let embedding = self.embed(&[text])?.pop().unwrap_or_default();
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((text.to_string(), embedding.clone()));
        Ok(embedding)
    }

    /// Runs one padded batch and mean-pools each sentence over its real tokens.
    fn run_batch(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, NluError> {
        let rows = batch.len();
        let tokens = batch.iter().map(|ids| ids.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0_i64; rows * tokens];
        let mut mask = vec![0_i64; rows * tokens];
        for (row, sentence) in batch.iter().enumerate() {
            for (column, &id) in sentence.iter().enumerate() {
                ids[row * tokens + column] = i64::from(id);
                mask[row * tokens + column] = 1;
            }
        }
        let shape = [rows, tokens];
        let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = Vec::with_capacity(3);
        let tensor =
            |data: Vec<i64>| Tensor::from_array((shape, data)).map_err(NluError::Inference);
        if self.takes_token_types {
            inputs.push((
                "token_type_ids".into(),
                tensor(vec![0; rows * tokens])?.into(),
            ));
        }
        inputs.push(("input_ids".into(), tensor(ids)?.into()));
        inputs.push(("attention_mask".into(), tensor(mask.clone())?.into()));
        let mut session = self
            .session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let outputs = session.run(inputs).map_err(NluError::Inference)?;
        let Some(hidden) = outputs.get(HIDDEN_STATE) else {
            return Err(NluError::ModelShape {
                path: self.model_path.clone(),
                missing: HIDDEN_STATE,
            });
        };
        let (out_shape, values) = hidden
            .try_extract_tensor::<f32>()
            .map_err(NluError::Inference)?;
        let dims: &[i64] = out_shape;
        let width = match dims {
            [b, t, d] if *b == rows as i64 && *t == tokens as i64 && *d > 0 => *d as usize,
            _ => {
                return Err(NluError::OutputShape {
                    shape: dims.to_vec(),
                    batch: rows,
                    tokens,
                })
            }
        };
        Ok((0..rows)
            .map(|row| {
                let states = &values[row * tokens * width..(row + 1) * tokens * width];
                mean_pool(states, &mask[row * tokens..(row + 1) * tokens], width)
            })
            .collect())
    }
}

/// Loads `tokenizer.json` with its fixed padding turned off (we pad per batch) and
/// truncation at [`MAX_TOKENS`].
fn load_tokenizer(path: &Path) -> Result<Tokenizer, NluError> {
    let load_error = |message: String| NluError::TokenizerLoad {
        path: path.to_path_buf(),
        message,
    };
    let mut tokenizer = Tokenizer::from_file(path).map_err(|e| load_error(e.to_string()))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: MAX_TOKENS,
            ..TruncationParams::default()
        }))
        .map_err(|e| load_error(e.to_string()))?;
    Ok(tokenizer)
}

/// Average of the token states where `mask` is 1, scaled to unit length.
pub(crate) fn mean_pool(states: &[f32], mask: &[i64], width: usize) -> Vec<f32> {
    let mut sum = vec![0.0_f32; width];
    let mut count = 0.0_f32;
    for (token, &m) in states.chunks_exact(width).zip(mask) {
        if m != 0 {
            count += 1.0;
            sum.iter_mut().zip(token).for_each(|(s, v)| *s += v);
        }
    }
    if count > 0.0 {
        sum.iter_mut().for_each(|s| *s /= count);
    }
    crate::vector::normalize(&mut sum);
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_pool_ignores_padding_and_normalises() {
        // Two real tokens and one padding token of width 2.
        let states = [1.0, 0.0, 3.0, 0.0, 100.0, 100.0];
        let pooled = mean_pool(&states, &[1, 1, 0], 2);
        assert_eq!(pooled, vec![1.0, 0.0]);
        let pooled = mean_pool(&[3.0, 4.0], &[1], 2);
        assert!((pooled[0] - 0.6).abs() < 1e-6 && (pooled[1] - 0.8).abs() < 1e-6);
    }
}
