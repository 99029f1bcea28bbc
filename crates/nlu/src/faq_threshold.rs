//! Choosing a flow's `faq_threshold` by measurement: a labelled set of questions (each with the
//! entry that should answer it, or none for off-topic ones) is scored once, then every threshold
//! is tried on those scores. Pure: the scores come in, the table goes out.

/// One labelled question, already scored: the entry that should answer it (`None`: no entry
/// should) and the best entry the answerer found, with its score.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredQuestion {
    pub question: String,
    pub expected: Option<String>,
    pub best: Option<(String, f32)>,
}

/// What a threshold does to a labelled set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThresholdOutcome {
    pub threshold: f32,
    /// In-scope questions answered with their own entry.
    pub right: usize,
    /// In-scope questions answered with another entry.
    pub wrong_entry: usize,
    /// Off-topic questions answered with an entry (a confident wrong answer).
    pub off_topic_answered: usize,
    /// In-scope questions in the set.
    pub in_scope: usize,
    /// Off-topic questions in the set.
    pub off_topic: usize,
}

impl ThresholdOutcome {
    /// Share of in-scope questions answered right.
    pub fn coverage(&self) -> f64 {
        self.right as f64 / self.in_scope.max(1) as f64
    }

    /// Share of all answers given that were wrong (wrong entry or off-topic answered).
    pub fn wrong_answer_rate(&self) -> f64 {
        let wrong = self.wrong_entry + self.off_topic_answered;
        let given = self.right + wrong;
        wrong as f64 / given.max(1) as f64
    }
}

/// The outcome at `threshold`: a question is answered when its best score reaches it.
pub fn outcome_at(set: &[ScoredQuestion], threshold: f32) -> ThresholdOutcome {
    let mut outcome = ThresholdOutcome {
        threshold,
        right: 0,
        wrong_entry: 0,
        off_topic_answered: 0,
        in_scope: 0,
        off_topic: 0,
    };
    for question in set {
        let answered = question
            .best
            .as_ref()
            .filter(|(_, score)| *score >= threshold)
            .map(|(entry, _)| entry.as_str());
        match (&question.expected, answered) {
            (Some(expected), Some(entry)) if expected == entry => outcome.right += 1,
            (Some(_), Some(_)) => outcome.wrong_entry += 1,
            (None, Some(_)) => outcome.off_topic_answered += 1,
            (_, None) => {}
        }
        if question.expected.is_some() {
            outcome.in_scope += 1;
        } else {
            outcome.off_topic += 1;
        }
    }
    outcome
}

/// Outcomes at thresholds from `from` to `to` in `step`s.
pub fn sweep(set: &[ScoredQuestion], from: f32, to: f32, step: f32) -> Vec<ThresholdOutcome> {
    let steps = ((to - from) / step).round().max(0.0) as usize;
    (0..=steps)
        .map(|i| outcome_at(set, from + step * i as f32))
        .collect()
}

/// The threshold to recommend: the lowest one that gives no confident wrong answer at all on
/// the set (wrong entry or off-topic), so coverage is as high as it can be without one; when
/// every threshold gives some, the one with the lowest wrong-answer rate.
pub fn recommend(outcomes: &[ThresholdOutcome]) -> Option<ThresholdOutcome> {
    outcomes
        .iter()
        .find(|o| o.wrong_entry + o.off_topic_answered == 0 && o.right > 0)
        .or_else(|| {
            outcomes.iter().min_by(|a, b| {
                a.wrong_answer_rate()
                    .total_cmp(&b.wrong_answer_rate())
                    .then(b.coverage().total_cmp(&a.coverage()))
            })
        })
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(expected: Option<&str>, best: &str, score: f32) -> ScoredQuestion {
        ScoredQuestion {
            question: String::new(),
            expected: expected.map(str::to_string),
            best: Some((best.to_string(), score)),
        }
    }

    fn set() -> Vec<ScoredQuestion> {
        vec![
            q(Some("hours"), "hours", 0.9),
            q(Some("hours"), "hours", 0.55),
            q(Some("wrap"), "cards", 0.5),
            q(None, "hours", 0.62),
            q(None, "wrap", 0.3),
        ]
    }

    #[test]
    fn each_question_counts_once_at_a_threshold() {
        let at = outcome_at(&set(), 0.5);
        assert_eq!((at.right, at.wrong_entry, at.off_topic_answered), (2, 1, 1));
        assert_eq!((at.in_scope, at.off_topic), (3, 2));
        assert!((at.coverage() - 2.0 / 3.0).abs() < 1e-9);
        assert!((at.wrong_answer_rate() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn the_lowest_threshold_without_a_wrong_answer_is_recommended() {
        let outcomes = sweep(&set(), 0.3, 0.95, 0.05);
        assert_eq!(outcomes.len(), 14);
        let best = recommend(&outcomes).unwrap();
        assert!((best.threshold - 0.65).abs() < 1e-4, "{best:?}");
        assert_eq!(best.right, 1);
    }

    #[test]
    fn with_wrong_answers_everywhere_the_fewest_win() {
        let set = vec![q(None, "hours", 0.99), q(Some("hours"), "hours", 0.7)];
        let best = recommend(&sweep(&set, 0.5, 0.9, 0.1)).unwrap();
        assert_eq!(best.off_topic_answered, 1);
        assert_eq!(best.right, 1);
    }
}
