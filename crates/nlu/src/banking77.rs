//! The Banking77 benchmark: its train and test files embedded once (and cached), and the
//! three measurements on them: few-shot accuracy, full-data accuracy, and out-of-scope
//! rejection with whole intents held out.

use std::path::{Path, PathBuf};

use crate::cache;
use crate::classifier::{ClassifierOptions, Example, IntentClassifier};
use crate::dataset::{intents_of, pick_intents, read_utterances, sample_per_intent, Utterance};
use crate::metrics::{accuracy, macro_f1};
use crate::{NluError, SentenceEncoder};

/// Train and test utterances with their embeddings.
#[derive(Clone, Debug)]
pub struct Banking77 {
    /// Training utterances (10,003 in the published split).
    pub train: Vec<Utterance>,
    /// Test utterances (3,080).
    pub test: Vec<Utterance>,
    /// Embedding of each training utterance.
    pub train_embeddings: Vec<Vec<f32>>,
    /// Embedding of each test utterance.
    pub test_embeddings: Vec<Vec<f32>>,
    /// Whether the embeddings came from the cache.
    pub from_cache: bool,
}

/// Accuracy of one training regime on the test set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitScore {
    /// Training examples used.
    pub train_examples: usize,
    /// Test sentences scored.
    pub test_sentences: usize,
    /// Fraction classified right (no rejection).
    pub accuracy: f32,
    /// Macro-averaged F1 over the intents.
    pub macro_f1: f32,
}

/// Out-of-scope behaviour at one threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RejectionScore {
    /// The similarity threshold.
    pub threshold: f32,
    /// In-scope test sentences accepted *and* classified right.
    pub in_scope_accuracy: f32,
    /// In-scope test sentences wrongly rejected.
    pub in_scope_rejected: f32,
    /// Test sentences of held-out intents rightly rejected.
    pub out_of_scope_rejected: f32,
}

impl Banking77 {
    /// Reads `train.csv` and `test.csv` from `data_dir` and embeds them, reusing the cache in
    /// `cache_dir` (if given) when the model, tokenizer and texts are unchanged.
    pub fn load(
        data_dir: &Path,
        encoder: &SentenceEncoder,
        cache_dir: Option<&Path>,
    ) -> Result<Self, NluError> {
        let train = read_utterances(&data_dir.join("train.csv"))?;
        let test = read_utterances(&data_dir.join("test.csv"))?;
        let texts: Vec<&str> = train.iter().chain(&test).map(|u| u.text.as_str()).collect();
        let cache_file = match cache_dir {
            Some(dir) => Some(cache_path(dir, encoder, &texts)?),
            None => None,
        };
        let cached = cache_file
            .as_deref()
            .and_then(|path| cache::load(path, texts.len()));
        let from_cache = cached.is_some();
        let mut embeddings = match cached {
            Some(embeddings) => embeddings,
            None => encoder.embed(&texts)?,
        };
        if let (false, Some(path)) = (from_cache, &cache_file) {
            cache::store(path, &embeddings)?;
        }
        let test_embeddings = embeddings.split_off(train.len());
        Ok(Banking77 {
            train,
            test,
            train_embeddings: embeddings,
            test_embeddings,
            from_cache,
        })
    }

    /// Intents in first-seen order of the training file.
    pub fn intents(&self) -> Vec<String> {
        intents_of(&self.train)
    }

    /// Trains on the training examples at `train_indices` and scores on the whole test set.
    pub fn score(
        &self,
        train_indices: &[usize],
        options: ClassifierOptions,
    ) -> Result<SplitScore, NluError> {
        let classifier = self.classifier(train_indices, options)?;
        self.test_score(&classifier, train_indices.len())
    }

    /// Scores a trained classifier (that learnt from `train_examples` examples) on the whole
    /// test set.
    pub fn test_score(
        &self,
        classifier: &IntentClassifier,
        train_examples: usize,
    ) -> Result<SplitScore, NluError> {
        let intents = classifier.intents();
        let mut expected = Vec::with_capacity(self.test.len());
        let mut predicted = Vec::with_capacity(self.test.len());
        for (utterance, embedding) in self.test.iter().zip(&self.test_embeddings) {
            expected.push(position(intents, &utterance.intent));
            predicted.push(classifier.predict(&utterance.text, embedding)?.intent);
        }
        Ok(SplitScore {
            train_examples,
            test_sentences: self.test.len(),
            accuracy: accuracy(&expected, &predicted),
            macro_f1: macro_f1(&expected, &predicted, intents.len() + 1),
        })
    }

    /// `per_intent` training examples of each intent, drawn with `seed`.
    pub fn few_shot_indices(&self, per_intent: usize, seed: u64) -> Vec<usize> {
        sample_per_intent(&self.train, per_intent, seed)
    }

    /// Every training example.
    pub fn all_indices(&self) -> Vec<usize> {
        (0..self.train.len()).collect()
    }

    /// Trains on `train_indices` without the `held_out` intents, then measures, for each
    /// similarity threshold, in-scope accuracy and how many held-out test sentences are
    /// rejected.
    pub fn rejection(
        &self,
        train_indices: &[usize],
        held_out: &[String],
        thresholds: &[f32],
        options: ClassifierOptions,
    ) -> Result<Vec<RejectionScore>, NluError> {
        let in_scope: Vec<usize> = train_indices
            .iter()
            .copied()
            .filter(|&i| !held_out.contains(&self.train[i].intent))
            .collect();
        let classifier = self.classifier(&in_scope, options)?;
        let mut verdicts = Vec::with_capacity(self.test.len());
        for (utterance, embedding) in self.test.iter().zip(&self.test_embeddings) {
            let prediction = classifier.predict(&utterance.text, embedding)?;
            let outside = held_out.contains(&utterance.intent);
            let right = classifier.intents()[prediction.intent] == utterance.intent;
            verdicts.push((outside, right, prediction.similarity));
        }
        let fraction = |count: usize, of: usize| count as f32 / of.max(1) as f32;
        let outside_total = verdicts.iter().filter(|v| v.0).count();
        let inside_total = verdicts.len() - outside_total;
        Ok(thresholds
            .iter()
            .map(|&threshold| {
                let count = |keep: &dyn Fn(&(bool, bool, f32)) -> bool| {
                    verdicts.iter().filter(|v| keep(v)).count()
                };
                RejectionScore {
                    threshold,
                    in_scope_accuracy: fraction(
                        count(&|v| !v.0 && v.1 && v.2 >= threshold),
                        inside_total,
                    ),
                    in_scope_rejected: fraction(count(&|v| !v.0 && v.2 < threshold), inside_total),
                    out_of_scope_rejected: fraction(
                        count(&|v| v.0 && v.2 < threshold),
                        outside_total,
                    ),
                }
            })
            .collect())
    }

    /// `count` intents to hold out, drawn with `seed`.
    pub fn held_out_intents(&self, count: usize, seed: u64) -> Result<Vec<String>, NluError> {
        let intents = self.intents();
        if count >= intents.len() {
            return Err(NluError::HoldOut {
                held_out: count,
                intents: intents.len(),
            });
        }
        Ok(pick_intents(&intents, count, seed))
    }

    /// A classifier trained on the training examples at `train_indices`.
    pub fn classifier(
        &self,
        train_indices: &[usize],
        options: ClassifierOptions,
    ) -> Result<IntentClassifier, NluError> {
        let examples: Vec<Example<'_>> = train_indices
            .iter()
            .filter_map(|&i| Some((self.train.get(i)?, self.train_embeddings.get(i)?)))
            .map(|(u, e)| Example {
                intent: &u.intent,
                text: &u.text,
                embedding: e,
            })
            .collect();
        IntentClassifier::train(&examples, options)
    }
}

/// Index of `intent`, or one past the end for an intent the classifier never saw.
fn position(intents: &[String], intent: &str) -> usize {
    intents
        .iter()
        .position(|known| known == intent)
        .unwrap_or(intents.len())
}

fn cache_path(dir: &Path, encoder: &SentenceEncoder, texts: &[&str]) -> Result<PathBuf, NluError> {
    let model = cache::model_key(encoder.model_path(), encoder.tokenizer_path())?;
    let data = cache::texts_key(texts);
    Ok(dir.join(format!("banking77-{}-{}.emb", &model[..16], &data[..16])))
}
