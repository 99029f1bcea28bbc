//! A linear softmax layer on frozen sentence embeddings plus sparse word features (multinomial
//! logistic regression with L2 regularisation), fitted by mini-batch Adam with a seeded shuffle.

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
            epochs: 40,
            learning_rate: 0.01,
            l2: 1e-5,
            batch_size: 32,
            seed: 77,
        }
    }
}

/// One example's features: a dense vector (the embedding) and sparse `(index, value)` pairs
/// (word features), indices below the head's sparse width.
#[derive(Clone, Copy, Debug)]
pub struct FeatureRow<'a> {
    /// Dense features, all of the head's dense width.
    pub dense: &'a [f32],
    /// Sparse features.
    pub sparse: &'a [(u32, f32)],
}

/// A linear layer over dense and sparse features, followed by softmax.
#[derive(Clone, Debug, PartialEq)]
pub struct SoftmaxHead {
    classes: usize,
    dense_width: usize,
    /// One row of `dense_width` per class.
    dense: Vec<f32>,
    /// One row of `classes` per sparse feature (so a feature's weights sit together).
    sparse: Vec<f32>,
    biases: Vec<f32>,
}

impl SoftmaxHead {
    /// Fits the layer to `rows` with class `labels` in `0..classes`. Training is
    /// deterministic for given inputs and options. Sparse weights are updated only when their
    /// feature occurs in a batch (lazy Adam), which keeps large vocabularies cheap.
    pub fn train(
        rows: &[FeatureRow<'_>],
        labels: &[usize],
        classes: usize,
        (dense_width, sparse_width): (usize, usize),
        options: &TrainingOptions,
    ) -> Self {
        let mut head = SoftmaxHead {
            classes,
            dense_width,
            dense: vec![0.0; classes * dense_width],
            sparse: vec![0.0; classes * sparse_width],
            biases: vec![0.0; classes],
        };
        let mut adam_dense = Adam::new(head.dense.len());
        let mut adam_sparse = Adam::new(head.sparse.len());
        let mut adam_bias = Adam::new(classes);
        let mut grad_dense = vec![0.0_f32; head.dense.len()];
        let mut grad_sparse = vec![0.0_f32; head.sparse.len()];
        let mut grad_bias = vec![0.0_f32; classes];
        let mut touched: Vec<usize> = Vec::new();
        let mut seen = vec![false; sparse_width];
        let mut probabilities = vec![0.0_f32; classes];
        let mut order: Vec<usize> = (0..rows.len().min(labels.len())).collect();
        let mut rng = SeededRng::new(options.seed);
        let batch_size = options.batch_size.max(1);
        let valid = |&&(j, _): &&(u32, f32)| (j as usize) < sparse_width;
        for _ in 0..options.epochs {
            rng.shuffle(&mut order);
            for batch in order.chunks(batch_size) {
                grad_dense.iter_mut().for_each(|g| *g = 0.0);
                grad_bias.iter_mut().for_each(|g| *g = 0.0);
                for &i in batch {
                    let row = rows[i];
                    head.probabilities_into(row, &mut probabilities);
                    probabilities[labels[i]] -= 1.0;
                    for (class, &error) in probabilities.iter().enumerate() {
                        grad_bias[class] += error;
                        grad_dense[class * dense_width..(class + 1) * dense_width]
                            .iter_mut()
                            .zip(row.dense)
                            .for_each(|(g, x)| *g += error * x);
                    }
                    for &(j, value) in row.sparse.iter().filter(valid) {
                        let j = j as usize;
                        if !seen[j] {
                            seen[j] = true;
                            touched.push(j);
                        }
                        grad_sparse[j * classes..(j + 1) * classes]
                            .iter_mut()
                            .zip(&probabilities)
                            .for_each(|(g, error)| *g += error * value);
                    }
                }
                let scale = 1.0 / batch.len() as f32;
                grad_dense
                    .iter_mut()
                    .zip(&head.dense)
                    .for_each(|(g, w)| *g = *g * scale + options.l2 * w);
                grad_bias.iter_mut().for_each(|g| *g *= scale);
                adam_dense.step(&mut head.dense, &grad_dense, options.learning_rate);
                adam_bias.step(&mut head.biases, &grad_bias, options.learning_rate);
                adam_sparse.tick();
                for &j in &touched {
                    let range = j * classes..(j + 1) * classes;
                    let grads = &mut grad_sparse[range.clone()];
                    grads
                        .iter_mut()
                        .zip(&head.sparse[range.clone()])
                        .for_each(|(g, w)| *g = *g * scale + options.l2 * w);
                    adam_sparse.update(
                        range.clone(),
                        &mut head.sparse[range],
                        grads,
                        options.learning_rate,
                    );
                    grads.iter_mut().for_each(|g| *g = 0.0);
                    seen[j] = false;
                }
                touched.clear();
            }
        }
        head
    }

    /// Class probabilities for one example's features.
    pub fn probabilities(&self, row: FeatureRow<'_>) -> Vec<f32> {
        let mut out = vec![0.0; self.classes];
        self.probabilities_into(row, &mut out);
        out
    }

    fn probabilities_into(&self, row: FeatureRow<'_>, out: &mut [f32]) {
        let width = self.dense_width;
        for (class, logit) in out.iter_mut().enumerate() {
            *logit = dot(&self.dense[class * width..(class + 1) * width], row.dense)
                + self.biases[class];
        }
        for &(j, value) in row.sparse {
            let start = j as usize * self.classes;
            if let Some(weights) = self.sparse.get(start..start + self.classes) {
                out.iter_mut()
                    .zip(weights)
                    .for_each(|(logit, w)| *logit += w * value);
            }
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

    /// One step on every parameter.
    fn step(&mut self, params: &mut [f32], grads: &[f32], learning_rate: f32) {
        self.tick();
        self.update(0..params.len(), params, grads, learning_rate);
    }

    /// Starts a step; follow with [`Adam::update`] on the parameters that have gradients.
    fn tick(&mut self) {
        self.steps += 1;
    }

    /// Updates `params`, which are this optimiser's parameters at `range`.
    fn update(
        &mut self,
        range: std::ops::Range<usize>,
        params: &mut [f32],
        grads: &[f32],
        learning_rate: f32,
    ) {
        let correction1 = 1.0 - Self::BETA1.powi(self.steps);
        let correction2 = 1.0 - Self::BETA2.powi(self.steps);
        let rate = learning_rate * correction2.sqrt() / correction1;
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(&mut self.first[range.clone()])
            .zip(&mut self.second[range])
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
            let mut x: Vec<f32> = (0..4).map(|_| rng.below(41) as f32 / 100.0 - 0.2).collect();
            x[class] += 1.0;
            features.push(x);
            labels.push(class);
        }
        let refs: Vec<FeatureRow> = features
            .iter()
            .map(|dense| FeatureRow { dense, sparse: &[] })
            .collect();
        let options = TrainingOptions {
            epochs: 150,
            ..TrainingOptions::default()
        };
        let head = SoftmaxHead::train(&refs, &labels, 3, (4, 0), &options);
        assert_eq!(
            head,
            SoftmaxHead::train(&refs, &labels, 3, (4, 0), &options)
        );
        let p = head.probabilities(FeatureRow {
            dense: &[0.0, 0.0, 1.0, 0.0],
            sparse: &[],
        });
        assert!(p[2] > 0.8, "{p:?}");
        let correct = refs
            .iter()
            .zip(&labels)
            .filter(|(x, &y)| {
                let p = head.probabilities(**x);
                p.iter().enumerate().all(|(c, &pc)| c == y || pc < p[y])
            })
            .count();
        assert_eq!(correct, 90);
    }
}
