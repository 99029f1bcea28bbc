//! `IntentClassifier`: maps a sentence embedding to one of the intents it learnt from
//! examples, or to nothing when the sentence is out of scope.
//!
//! Two views of the examples pick the intent: a softmax layer trained on the embedding and word
//! features (good at telling close intents apart), mixed with a softmax over each intent's
//! nearest example (robust with very few examples). Whether the sentence is in scope at all is
//! judged by its cosine similarity to the closest example of that intent: a probability says
//! which intent is likeliest, not whether any fits, and on Banking77 the similarity rejects
//! more held-out intents for the same loss of in-scope sentences.

use crate::head::{softmax, FeatureRow, SoftmaxHead, TrainingOptions};
use crate::vector::dot;
use crate::wording::WordFeatures;
use crate::NluError;

/// Default out-of-scope threshold: on Banking77 it rejects about 1% of in-scope and a quarter
/// of held-out-intent test sentences (full training set); see `hotline nlu eval` for the sweep.
pub const DEFAULT_THRESHOLD: f32 = 0.65;

/// How the classifier is built and when it rejects.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassifierOptions {
    /// Training of the softmax layer.
    pub training: TrainingOptions,
    /// Weight of the nearest-example view in `0.0..=1.0` (0: softmax layer only).
    pub nearest_weight: f32,
    /// Softmax temperature over each intent's best cosine similarity (smaller is sharper).
    pub nearest_temperature: f32,
    /// Similarity to the chosen intent's closest example below which a sentence is out of
    /// scope.
    pub threshold: f32,
    /// Length of the word-feature vector beside the unit-length embedding (0: no words).
    pub word_weight: f32,
    /// Hash buckets of the word features.
    pub word_buckets: usize,
}

impl Default for ClassifierOptions {
    fn default() -> Self {
        ClassifierOptions {
            training: TrainingOptions::default(),
            nearest_weight: 0.3,
            nearest_temperature: 0.05,
            threshold: DEFAULT_THRESHOLD,
            word_weight: 0.5,
            word_buckets: 1 << 15,
        }
    }
}

/// The classifier's verdict on one embedding, whether or not it passes the threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Index of the best intent in [`IntentClassifier::intents`].
    pub intent: usize,
    /// Its mixed probability in `0.0..=1.0`.
    pub confidence: f32,
    /// Cosine similarity of the closest training example of that intent: the score compared
    /// with the out-of-scope threshold.
    pub similarity: f32,
}

/// One training example.
#[derive(Clone, Copy, Debug)]
pub struct Example<'a> {
    /// Its intent.
    pub intent: &'a str,
    /// Its text (for the word features).
    pub text: &'a str,
    /// Its sentence embedding.
    pub embedding: &'a [f32],
}

/// Intents learnt from example embeddings.
#[derive(Clone, Debug)]
pub struct IntentClassifier {
    intents: Vec<String>,
    width: usize,
    head: SoftmaxHead,
    words: Option<WordFeatures>,
    /// Example embeddings, row-major, with their intent index.
    examples: Vec<f32>,
    example_intents: Vec<usize>,
    options: ClassifierOptions,
}

impl IntentClassifier {
    /// Learns from examples; intents are numbered in first-seen order.
    pub fn train(examples: &[Example<'_>], options: ClassifierOptions) -> Result<Self, NluError> {
        let width = examples
            .first()
            .ok_or(NluError::NoExamples)?
            .embedding
            .len();
        let mut intents: Vec<String> = Vec::new();
        let mut labels = Vec::with_capacity(examples.len());
        let mut flat = Vec::with_capacity(examples.len() * width);
        for Example {
            intent, embedding, ..
        } in examples
        {
            if embedding.len() != width {
                return Err(NluError::Dimension {
                    expected: width,
                    got: embedding.len(),
                });
            }
            let index = match intents.iter().position(|known| known == intent) {
                Some(index) => index,
                None => {
                    intents.push(intent.to_string());
                    intents.len() - 1
                }
            };
            labels.push(index);
            flat.extend_from_slice(embedding);
        }
        let words = (options.word_weight > 0.0).then(|| {
            let texts: Vec<&str> = examples.iter().map(|e| e.text).collect();
            WordFeatures::fit(&texts, options.word_buckets, options.word_weight)
        });
        let sparse: Vec<Vec<(u32, f32)>> = examples
            .iter()
            .map(|e| {
                words
                    .as_ref()
                    .map(|w| w.features(e.text))
                    .unwrap_or_default()
            })
            .collect();
        let rows: Vec<FeatureRow<'_>> = flat
            .chunks_exact(width)
            .zip(&sparse)
            .map(|(dense, sparse)| FeatureRow { dense, sparse })
            .collect();
        let sparse_width = words.as_ref().map_or(0, WordFeatures::width);
        let head = SoftmaxHead::train(
            &rows,
            &labels,
            intents.len(),
            (width, sparse_width),
            &options.training,
        );
        Ok(IntentClassifier {
            intents,
            width,
            head,
            words,
            examples: flat,
            example_intents: labels,
            options,
        })
    }

    /// The intents, in the order of [`Prediction::intent`] and [`Self::probabilities`].
    pub fn intents(&self) -> &[String] {
        &self.intents
    }

    /// The options it was built with.
    pub fn options(&self) -> &ClassifierOptions {
        &self.options
    }

    /// Changes the out-of-scope threshold.
    pub fn set_threshold(&mut self, threshold: f32) {
        self.options.threshold = threshold;
    }

    /// Each intent's mixed probability, plus each intent's best example similarity, for a
    /// text and its embedding.
    pub fn probabilities(
        &self,
        text: &str,
        embedding: &[f32],
    ) -> Result<(Vec<f32>, Vec<f32>), NluError> {
        if embedding.len() != self.width {
            return Err(NluError::Dimension {
                expected: self.width,
                got: embedding.len(),
            });
        }
        let mut nearest = vec![-1.0_f32; self.intents.len()];
        for (example, &intent) in self
            .examples
            .chunks_exact(self.width)
            .zip(&self.example_intents)
        {
            nearest[intent] = nearest[intent].max(dot(example, embedding));
        }
        let weight = self.options.nearest_weight.clamp(0.0, 1.0);
        let sparse = self
            .words
            .as_ref()
            .map(|w| w.features(text))
            .unwrap_or_default();
        let mut mixed = self.head.probabilities(FeatureRow {
            dense: embedding,
            sparse: &sparse,
        });
        if weight > 0.0 {
            let temperature = self.options.nearest_temperature.max(1e-4);
            let mut view: Vec<f32> = nearest.iter().map(|s| s / temperature).collect();
            softmax(&mut view);
            mixed
                .iter_mut()
                .zip(&view)
                .for_each(|(p, q)| *p = (1.0 - weight) * *p + weight * q);
        }
        Ok((mixed, nearest))
    }

    /// The best intent for a text and its embedding, whatever the confidence.
    pub fn predict(&self, text: &str, embedding: &[f32]) -> Result<Prediction, NluError> {
        let (probabilities, nearest) = self.probabilities(text, embedding)?;
        let (intent, confidence) = probabilities.iter().copied().enumerate().fold(
            (0, f32::NEG_INFINITY),
            |best, (i, p)| {
                if p > best.1 {
                    (i, p)
                } else {
                    best
                }
            },
        );
        Ok(Prediction {
            intent,
            confidence,
            similarity: nearest.get(intent).copied().unwrap_or(-1.0),
        })
    }

    /// The best intent and its similarity score, or `None` when the score is below the
    /// threshold (out of scope).
    pub fn classify(&self, text: &str, embedding: &[f32]) -> Result<Option<(&str, f32)>, NluError> {
        let prediction = self.predict(text, embedding)?;
        Ok((prediction.similarity >= self.options.threshold).then(|| {
            (
                self.intents[prediction.intent].as_str(),
                prediction.similarity,
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: [f32; 3]) -> Vec<f32> {
        let mut v = v.to_vec();
        crate::vector::normalize(&mut v);
        v
    }

    fn classifier() -> IntentClassifier {
        let data = [
            ("refund", "I want a refund", unit([1.0, 0.1, 0.0])),
            ("refund", "money back please", unit([0.9, 0.0, 0.1])),
            ("hours", "when are you open", unit([0.0, 1.0, 0.1])),
            ("hours", "opening hours", unit([0.1, 0.9, 0.0])),
        ];
        let examples: Vec<Example> = data
            .iter()
            .map(|(intent, text, e)| Example {
                intent,
                text,
                embedding: e,
            })
            .collect();
        IntentClassifier::train(&examples, ClassifierOptions::default()).expect("trains")
    }

    #[test]
    fn picks_the_closest_intent() {
        let c = classifier();
        assert_eq!(c.intents(), ["refund", "hours"]);
        let (intent, score) = c
            .classify("a refund", &unit([1.0, 0.2, 0.0]))
            .expect("dims")
            .expect("match");
        assert_eq!(intent, "refund");
        assert!(score > 0.9, "{score}");
        assert_eq!(
            c.classify("open on sunday?", &unit([0.0, 1.0, 0.0]))
                .expect("dims")
                .map(|m| m.0),
            Some("hours")
        );
    }

    #[test]
    fn rejects_below_threshold_and_wrong_dimensions() {
        let mut c = classifier();
        c.set_threshold(1.01);
        assert_eq!(
            c.classify("refund", &unit([1.0, 0.0, 0.0])).expect("dims"),
            None
        );
        assert!(matches!(
            c.classify("refund", &[1.0, 0.0]),
            Err(NluError::Dimension {
                expected: 3,
                got: 2
            })
        ));
        assert!(matches!(
            IntentClassifier::train(&[], ClassifierOptions::default()),
            Err(NluError::NoExamples)
        ));
    }

    #[test]
    fn words_decide_between_intents_the_embedding_cannot_tell_apart() {
        let same = unit([1.0, 1.0, 0.0]);
        let data = [
            ("lost_card", "I lost my card"),
            ("lost_card", "my card is lost somewhere"),
            ("stolen_card", "my card was stolen"),
            ("stolen_card", "someone stole my card"),
        ];
        let examples: Vec<Example> = data
            .iter()
            .map(|(intent, text)| Example {
                intent,
                text,
                embedding: &same,
            })
            .collect();
        let c = IntentClassifier::train(&examples, ClassifierOptions::default()).expect("trains");
        let best = |text| c.intents()[c.predict(text, &same).expect("dims").intent].clone();
        assert_eq!(best("card stolen yesterday"), "stolen_card");
        assert_eq!(best("I think I lost it"), "lost_card");
    }
}
