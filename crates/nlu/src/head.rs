//! A linear softmax layer trained on frozen sentence embeddings: multinomial logistic
//! regression with L2 regularisation, fitted by mini-batch Adam with a seeded shuffle.

use crate::vector::{dot, SeededRng};

/// How the softmax layer is trained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainingOptions {
    /// Passes over the training examples.
    pub epochs: usize,
    /// Adam step size.
    pub learning_rate: f32,
    /// L2 penalty on the weights (per example, so it does not grow with the data).
    pub l2: f32,
    /// Examples per Adam step.
    pub batch_size: usize,
    /// Seed of the example shuffle.
    pub seed: u64,
}

impl Default for TrainingOptions {
    fn default() -> Self {
        TrainingOptions {
            epochs: 60,
            learning_rate: 0.01,
            l2: 1e-4,
            batch_size: 32,
            seed: 77,
        }
    }
}

/// Weights and biases of a `classes` x `width` linear layer followed by softmax.
#[derive(Clone, Debug, PartialEq)]
pub struct SoftmaxHead {
    classes: usize,
    width: usize,
    /// Row-major, one row of `width` per class.
    weights: Vec<f32>,
    biases: Vec<f32>,
}

impl SoftmaxHead {
    /// Fits the layer to `features` (all of length `width`) with class `labels` in
    /// `0..classes`. Training is deterministic for given inputs and options.
    pub fn train(
        features: &[&[f32]],
        labels: &[usize],
        classes: usize,
        width: usize,
        options: &TrainingOptions,
    ) -> Self {
        let mut head = SoftmaxHead {
            classes,
            width,
            weights: vec![0.0; classes * width],
            biases: vec![0.0; classes],
        };
        let mut adam_w = Adam::new(classes * width);
        let mut adam_b = Adam::new(classes);
        let mut grad_w = vec![0.0_f32; classes * width];
        let mut grad_b = vec![0.0_f32; classes];
        let mut probabilities = vec![0.0_f32; classes];
        let mut order: Vec<usize> = (0..features.len().min(labels.len())).collect();
        let mut rng = SeededRng::new(options.seed);
        let batch_size = options.batch_size.max(1);
        for _ in 0..options.epochs {
            rng.shuffle(&mut order);
            for batch in order.chunks(batch_size) {
                grad_w.iter_mut().for_each(|g| *g = 0.0);
                grad_b.iter_mut().for_each(|g| *g = 0.0);
                for &i in batch {
                    head.probabilities_into(features[i], &mut probabilities);
                    probabilities[labels[i]] -= 1.0;
                    for (class, &error) in probabilities.iter().enumerate() {
                        grad_b[class] += error;
                        let row = &mut grad_w[class * width..(class + 1) * width];
                        row.iter_mut()
                            .zip(features[i])
                            .for_each(|(g, x)| *g += error * x);
                    }
                }
                let scale = 1.0 / batch.len() as f32;
                grad_w
                    .iter_mut()
                    .zip(&head.weights)
                    .for_each(|(g, w)| *g = *g * scale + options.l2 * w);
                grad_b.iter_mut().for_each(|g| *g *= scale);
                adam_w.step(&mut head.weights, &grad_w, options.learning_rate);
                adam_b.step(&mut head.biases, &grad_b, options.learning_rate);
            }
        }
        head
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Class probabilities for one feature vector (of the training width).
    pub fn probabilities(&self, features: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; self.classes];
        self.probabilities_into(features, &mut out);
        out
    }

    fn probabilities_into(&self, features: &[f32], out: &mut [f32]) {
        for (class, logit) in out.iter_mut().enumerate() {
            let row = &self.weights[class * self.width..(class + 1) * self.width];
            *logit = dot(row, features) + self.biases[class];
        }
        softmax(out);
    }
}

/// Turns logits into probabilities in place.
pub(crate) fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    if sum > 0.0 {
        values.iter_mut().for_each(|v| *v /= sum);
    }
}

/// Adam optimiser state for one parameter vector.
struct Adam {
    first: Vec<f32>,
    second: Vec<f32>,
    steps: i32,
}

impl Adam {
    const BETA1: f32 = 0.9;
    const BETA2: f32 = 0.999;
    const EPSILON: f32 = 1e-8;

    fn new(len: usize) -> Self {
        Adam {
            first: vec![0.0; len],
            second: vec![0.0; len],
            steps: 0,
        }
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32], learning_rate: f32) {
        self.steps += 1;
        let correction1 = 1.0 - Self::BETA1.powi(self.steps);
        let correction2 = 1.0 - Self::BETA2.powi(self.steps);
        let rate = learning_rate * correction2.sqrt() / correction1;
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(&mut self.first)
            .zip(&mut self.second)
        {
            *m = Self::BETA1 * *m + (1.0 - Self::BETA1) * g;
            *v = Self::BETA2 * *v + (1.0 - Self::BETA2) * g * g;
            *p -= rate * *m / (v.sqrt() + Self::EPSILON);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut v = vec![1.0, 3.0, 2.0];
        softmax(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(v[1] > v[2] && v[2] > v[0]);
        // Large logits do not overflow.
        let mut big = vec![1000.0, 0.0];
        softmax(&mut big);
        assert!(big[0] > 0.99 && big[0].is_finite());
    }

    #[test]
    fn learns_a_separable_problem_repeatably() {
        // Three classes along three axes, with some noise in the other coordinates.
        let mut rng = SeededRng::new(3);
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for i in 0..90 {
            let class = i % 3;
            let mut x: Vec<f32> = (0..4).map(|_| rng.unit() * 0.4 - 0.2).collect();
            x[class] += 1.0;
            features.push(x);
            labels.push(class);
        }
        let refs: Vec<&[f32]> = features.iter().map(Vec::as_slice).collect();
        let options = TrainingOptions {
            epochs: 150,
            ..TrainingOptions::default()
        };
        let head = SoftmaxHead::train(&refs, &labels, 3, 4, &options);
        assert_eq!(head, SoftmaxHead::train(&refs, &labels, 3, 4, &options));
        let p = head.probabilities(&[0.0, 0.0, 1.0, 0.0]);
        assert!(p[2] > 0.8, "{p:?}");
        let correct = refs
            .iter()
            .zip(&labels)
            .filter(|(x, &y)| {
                let p = head.probabilities(x);
                p.iter().enumerate().all(|(c, &pc)| c == y || pc < p[y])
            })
            .count();
        assert_eq!(correct, 90);
    }
}
