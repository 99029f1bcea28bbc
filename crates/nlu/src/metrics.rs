//! Scoring predictions against labels: accuracy and macro-averaged F1.

/// Fraction of `predicted` equal to `expected` (0 when empty).
pub fn accuracy(expected: &[usize], predicted: &[usize]) -> f32 {
    if expected.is_empty() {
        return 0.0;
    }
    let correct = expected
        .iter()
        .zip(predicted)
        .filter(|(e, p)| e == p)
        .count();
    correct as f32 / expected.len() as f32
}

/// Mean over the `classes` that occur in `expected` or `predicted` of each class's F1
/// (harmonic mean of precision and recall, 0 when the class is never predicted right).
pub fn macro_f1(expected: &[usize], predicted: &[usize], classes: usize) -> f32 {
    let mut true_positive = vec![0usize; classes];
    let mut predicted_count = vec![0usize; classes];
    let mut expected_count = vec![0usize; classes];
    for (&e, &p) in expected.iter().zip(predicted) {
        if e < classes {
            expected_count[e] += 1;
        }
        if p < classes {
            predicted_count[p] += 1;
        }
        if e == p && e < classes {
            true_positive[e] += 1;
        }
    }
    let mut sum = 0.0;
    let mut seen = 0;
    for class in 0..classes {
        if expected_count[class] + predicted_count[class] == 0 {
            continue;
        }
        seen += 1;
        sum += 2.0 * true_positive[class] as f32
            / (expected_count[class] + predicted_count[class]) as f32;
    }
    if seen == 0 {
        0.0
    } else {
        sum / seen as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_counts_matches() {
        assert_eq!(accuracy(&[0, 1, 2, 2], &[0, 1, 1, 2]), 0.75);
        assert_eq!(accuracy(&[], &[]), 0.0);
    }

    #[test]
    fn macro_f1_averages_per_class() {
        // Class 0: tp 1, predicted 1, expected 2 -> F1 2/3. Class 1: tp 1, predicted 2,
        // expected 1 -> F1 2/3. Class 2 never occurs and is skipped.
        let f1 = macro_f1(&[0, 0, 1], &[0, 1, 1], 3);
        assert!((f1 - 2.0 / 3.0).abs() < 1e-6, "{f1}");
        assert_eq!(macro_f1(&[0, 1], &[0, 1], 2), 1.0);
    }
}
