//! `IntentClassifier`: maps a sentence embedding to one of the intents it learnt from
//! examples, or to nothing when the sentence is out of scope.
//!
//! Two views of the examples are mixed: a softmax layer trained on the embeddings (good at
//! telling close intents apart once there are a few examples each) and the nearest example of
//! each intent (robust with very few examples). The confidence is the mixed probability of the
//! best intent; below the threshold the sentence is rejected as out of scope.

use crate::head::{softmax, SoftmaxHead, TrainingOptions};
use crate::vector::dot;
use crate::NluError;

/// How the classifier is built and when it rejects.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassifierOptions {
    /// Training of the softmax layer.
    pub training: TrainingOptions,
    /// Weight of the nearest-example view in `0.0..=1.0` (0: softmax layer only).
    pub nearest_weight: f32,
    /// Softmax temperature over each intent's best cosine similarity (smaller is sharper).
    pub nearest_temperature: f32,
    /// Confidence below which a sentence is out of scope.
    pub threshold: f32,
}

impl Default for ClassifierOptions {
    fn default() -> Self {
        ClassifierOptions {
            training: TrainingOptions::default(),
            nearest_weight: 0.3,
            nearest_temperature: 0.05,
            threshold: 0.3,
        }
    }
}

/// The classifier's verdict on one embedding, whether or not it passes the threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Index of the best intent in [`IntentClassifier::intents`].
    pub intent: usize,
    /// Its mixed probability in `0.0..=1.0`: the confidence compared with the threshold.
    pub confidence: f32,
    /// Cosine similarity of the closest training example of that intent.
    pub similarity: f32,
}

/// Intents learnt from example embeddings.
#[derive(Clone, Debug)]
pub struct IntentClassifier {
    intents: Vec<String>,
    width: usize,
    head: SoftmaxHead,
    /// Example embeddings, row-major, with their intent index.
    examples: Vec<f32>,
    example_intents: Vec<usize>,
    options: ClassifierOptions,
}

impl IntentClassifier {
    /// Learns from `(intent, embedding)` pairs; intents are numbered in first-seen order.
    pub fn train(
        examples: &[(&str, &[f32])],
        options: ClassifierOptions,
    ) -> Result<Self, NluError> {
        let width = examples.first().ok_or(NluError::NoExamples)?.1.len();
        let mut intents: Vec<String> = Vec::new();
        let mut labels = Vec::with_capacity(examples.len());
        let mut flat = Vec::with_capacity(examples.len() * width);
        for (intent, embedding) in examples {
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
        let features: Vec<&[f32]> = examples.iter().map(|(_, e)| *e).collect();
        let head = SoftmaxHead::train(&features, &labels, intents.len(), width, &options.training);
        Ok(IntentClassifier {
            intents,
            width,
            head,
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

    /// Each intent's mixed probability, plus each intent's best example similarity.
    pub fn probabilities(&self, embedding: &[f32]) -> Result<(Vec<f32>, Vec<f32>), NluError> {
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
        let mut mixed = self.head.probabilities(embedding);
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

    /// The best intent for `embedding`, whatever its confidence.
    pub fn predict(&self, embedding: &[f32]) -> Result<Prediction, NluError> {
        let (probabilities, nearest) = self.probabilities(embedding)?;
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

    /// The best intent and its confidence, or `None` when the confidence is below the
    /// threshold (out of scope).
    pub fn classify(&self, embedding: &[f32]) -> Result<Option<(&str, f32)>, NluError> {
        let prediction = self.predict(embedding)?;
        Ok((prediction.confidence >= self.options.threshold).then(|| {
            (
                self.intents[prediction.intent].as_str(),
                prediction.confidence,
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
            ("refund", unit([1.0, 0.1, 0.0])),
            ("refund", unit([0.9, 0.0, 0.1])),
            ("hours", unit([0.0, 1.0, 0.1])),
            ("hours", unit([0.1, 0.9, 0.0])),
        ];
        let examples: Vec<(&str, &[f32])> = data.iter().map(|(i, e)| (*i, e.as_slice())).collect();
        IntentClassifier::train(&examples, ClassifierOptions::default()).expect("trains")
    }

    #[test]
    fn picks_the_closest_intent() {
        let c = classifier();
        assert_eq!(c.intents(), ["refund", "hours"]);
        let (intent, confidence) = c
            .classify(&unit([1.0, 0.2, 0.0]))
            .expect("dims")
            .expect("match");
        assert_eq!(intent, "refund");
        assert!(confidence > 0.5);
        assert_eq!(
            c.classify(&unit([0.0, 1.0, 0.0]))
                .expect("dims")
                .map(|m| m.0),
            Some("hours")
        );
    }

    #[test]
    fn rejects_below_threshold_and_wrong_dimensions() {
        let mut c = classifier();
        c.set_threshold(1.01);
        assert_eq!(c.classify(&unit([1.0, 0.0, 0.0])).expect("dims"), None);
        assert!(matches!(
            c.classify(&[1.0, 0.0]),
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
}
