//! `run_banking77_eval`: the whole Banking77 evaluation behind `hotline nlu eval`, and its
//! printable report.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::banking77::{Banking77, RejectionScore, SplitScore};
use crate::cache::default_cache_dir;
use crate::classifier::{ClassifierOptions, IntentClassifier};
use crate::{NluError, SentenceEncoder};

/// What to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalOptions {
    /// Training examples per intent in the few-shot run.
    pub few_shot: usize,
    /// Seed of the few-shot sample, the held-out intents and the training shuffle.
    pub seed: u64,
    /// Intents held out as out of scope.
    pub held_out_intents: usize,
    /// Thresholds of the out-of-scope sweep.
    pub thresholds: Vec<f32>,
    /// Classifier settings (its threshold is the one marked in the sweep).
    pub classifier: ClassifierOptions,
    /// Where embeddings are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Test sentences embedded one at a time for the timing.
    pub timing_sentences: usize,
    /// Intra-op threads of the encoder used for the timing.
    pub timing_threads: usize,
}

impl Default for EvalOptions {
    /// 10 examples per intent with seed 77, 10 held-out intents, the default cache directory.
    fn default() -> Self {
        let classifier = ClassifierOptions::default();
        EvalOptions {
            few_shot: 10,
            seed: 77,
            held_out_intents: 10,
            thresholds: vec![0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8],
            classifier,
            cache_dir: default_cache_dir(),
            timing_sentences: 200,
            timing_threads: 1,
        }
    }
}

/// Time to handle one utterance as a live call does: embed it alone, then classify it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UtteranceTiming {
    /// Sentences timed.
    pub sentences: usize,
    /// Intra-op threads of the encoder.
    pub threads: usize,
    /// Mean embedding time per sentence.
    pub embed: Duration,
    /// Mean classification time per sentence (full-data classifier).
    pub classify: Duration,
}

/// Everything `hotline nlu eval` prints.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalReport {
    /// Training and test utterances in the dataset.
    pub train_size: usize,
    /// Test utterances.
    pub test_size: usize,
    /// Distinct intents.
    pub intents: usize,
    /// Whether embeddings came from the cache.
    pub from_cache: bool,
    /// Time spent loading or computing embeddings.
    pub embedding_time: Duration,
    /// Few-shot result and the examples-per-intent it used.
    pub few_shot: (usize, SplitScore),
    /// Result with the whole training set.
    pub full: SplitScore,
    /// Intents held out as out of scope.
    pub held_out: Vec<String>,
    /// The classifier's threshold (the row to read in the sweeps).
    pub threshold: f32,
    /// Out-of-scope sweep after training on all training examples of the other intents.
    pub rejection_full: Vec<RejectionScore>,
    /// The same after training on the few-shot sample of the other intents.
    pub rejection_few_shot: Vec<RejectionScore>,
    /// Time per utterance.
    pub timing: UtteranceTiming,
}

/// Runs the Banking77 evaluation on `data_dir` (holding `train.csv` and `test.csv`).
///
/// Embedding the 13,083 sentences takes minutes on two cores the first time; the embeddings
/// are then cached under `options.cache_dir`, keyed by the model and tokenizer hash.
pub fn run_banking77_eval(
    data_dir: &Path,
    encoder: &SentenceEncoder,
    options: EvalOptions,
) -> Result<EvalReport, NluError> {
    let started = Instant::now();
    let data = Banking77::load(data_dir, encoder, options.cache_dir.as_deref())?;
    let embedding_time = started.elapsed();
    let mut classifier_options = options.classifier;
    classifier_options.training.seed = options.seed;

    let few_indices = data.few_shot_indices(options.few_shot, options.seed);
    let few_shot = data.score(&few_indices, classifier_options)?;
    let all = data.all_indices();
    let full_classifier = data.classifier(&all, classifier_options)?;
    let full = data.test_score(&full_classifier, all.len())?;

    let held_out = data.held_out_intents(options.held_out_intents, options.seed)?;
    let rejection_full =
        data.rejection(&all, &held_out, &options.thresholds, classifier_options)?;
    let rejection_few_shot = data.rejection(
        &few_indices,
        &held_out,
        &options.thresholds,
        classifier_options,
    )?;

    let timing = time_utterances(&data, encoder, &options, &full_classifier)?;
    Ok(EvalReport {
        train_size: data.train.len(),
        test_size: data.test.len(),
        intents: data.intents().len(),
        from_cache: data.from_cache,
        embedding_time,
        few_shot: (options.few_shot, few_shot),
        full,
        held_out,
        threshold: classifier_options.threshold,
        rejection_full,
        rejection_few_shot,
        timing,
    })
}

/// Embeds and classifies test sentences one by one on an encoder with the timing threads.
fn time_utterances(
    data: &Banking77,
    encoder: &SentenceEncoder,
    options: &EvalOptions,
    classifier: &IntentClassifier,
) -> Result<UtteranceTiming, NluError> {
    let timed = if encoder.threads() == options.timing_threads {
        None
    } else {
        Some(encoder.with_threads(options.timing_threads)?)
    };
    let timed = timed.as_ref().unwrap_or(encoder);
    let sentences: Vec<&str> = data
        .test
        .iter()
        .take(options.timing_sentences.max(1))
        .map(|u| u.text.as_str())
        .collect();
    // One warm-up run so session start-up is not counted.
    timed.embed_one(sentences.first().copied().unwrap_or("hello"))?;
    let mut embed = Duration::ZERO;
    let mut classify = Duration::ZERO;
    for sentence in &sentences {
        let started = Instant::now();
        let embedding = timed.embed_one(sentence)?;
        let embedded = Instant::now();
        classifier.classify(sentence, &embedding)?;
        embed += embedded - started;
        classify += embedded.elapsed();
    }
    let count = sentences.len() as u32;
    Ok(UtteranceTiming {
        sentences: sentences.len(),
        threads: options.timing_threads,
        embed: embed / count.max(1),
        classify: classify / count.max(1),
    })
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Banking77: {} intents, {} train / {} test sentences (embeddings {} in {:.1} s)",
            self.intents,
            self.train_size,
            self.test_size,
            if self.from_cache {
                "from cache"
            } else {
                "computed"
            },
            self.embedding_time.as_secs_f32()
        )?;
        writeln!(
            f,
            "\n{:<28} {:>9} {:>9} {:>9}",
            "training set", "examples", "accuracy", "macro-F1"
        )?;
        let (per_intent, few) = &self.few_shot;
        for (name, score) in [
            (format!("{per_intent} per intent"), few),
            ("full".to_string(), &self.full),
        ] {
            writeln!(
                f,
                "{:<28} {:>9} {:>8.2}% {:>8.2}%",
                name,
                score.train_examples,
                100.0 * score.accuracy,
                100.0 * score.macro_f1
            )?;
        }
        writeln!(
            f,
            "\nOut of scope: {} intents held out ({})",
            self.held_out.len(),
            self.held_out.join(", ")
        )?;
        for (name, rows) in [
            ("full training set", &self.rejection_full),
            (
                &*format!("{per_intent} per intent"),
                &self.rejection_few_shot,
            ),
        ] {
            writeln!(f, "  trained on {name}:")?;
            writeln!(
                f,
                "  {:>9} {:>18} {:>18} {:>22}",
                "threshold", "in-scope accuracy", "in-scope rejected", "out-of-scope rejected"
            )?;
            for row in rows {
                let mark = if (row.threshold - self.threshold).abs() < 1e-6 {
                    " <- default"
                } else {
                    ""
                };
                writeln!(
                    f,
                    "  {:>9.2} {:>17.1}% {:>17.1}% {:>21.1}%{mark}",
                    row.threshold,
                    100.0 * row.in_scope_accuracy,
                    100.0 * row.in_scope_rejected,
                    100.0 * row.out_of_scope_rejected
                )?;
            }
        }
        let t = &self.timing;
        write!(
            f,
            "\nPer utterance ({} sentences, {} intra-op thread{}): embedding {:.2} ms + classification {:.3} ms",
            t.sentences,
            t.threads,
            if t.threads == 1 { "" } else { "s" },
            t.embed.as_secs_f64() * 1e3,
            t.classify.as_secs_f64() * 1e3
        )
    }
}
