//! Calibrating the anger threshold on a labelled set: each utterance carries what a person
//! judged it (calm, annoyed, angry) and the score Hotline gave it; this says, at every threshold,
//! how many angry callers would be escalated (recall), how many escalations were angry callers
//! (precision), and how many merely annoyed ones would be escalated too. Pure: scores in, table out.

/// How a person judged an utterance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Judged {
    Calm,
    Annoyed,
    Angry,
}

impl Judged {
    /// The label as written in a labelled set.
    pub fn parse(label: &str) -> Option<Judged> {
        match label {
            "calm" => Some(Judged::Calm),
            "annoyed" => Some(Judged::Annoyed),
            "angry" => Some(Judged::Angry),
            _ => None,
        }
    }
}

/// What escalating at `threshold` does on a labelled set (an utterance is escalated when its
/// anger is above the threshold, as the flow engine decides; only angry ones should be).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThresholdResult {
    pub threshold: f32,
    /// Angry utterances escalated.
    pub angry_escalated: usize,
    pub angry: usize,
    /// Annoyed utterances escalated.
    pub annoyed_escalated: usize,
    pub annoyed: usize,
    /// Calm utterances escalated.
    pub calm_escalated: usize,
    pub calm: usize,
}

impl ThresholdResult {
    /// Share of angry utterances escalated.
    pub fn recall(&self) -> f64 {
        self.angry_escalated as f64 / self.angry.max(1) as f64
    }

    /// Share of escalations that were angry utterances (1 when nothing is escalated).
    pub fn precision(&self) -> f64 {
        let escalated = self.angry_escalated + self.annoyed_escalated + self.calm_escalated;
        if escalated == 0 {
            1.0
        } else {
            self.angry_escalated as f64 / escalated as f64
        }
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// The result at `threshold` for `(judged, anger)` pairs.
pub fn at_threshold(scored: &[(Judged, f32)], threshold: f32) -> ThresholdResult {
    let mut r = ThresholdResult {
        threshold,
        angry_escalated: 0,
        angry: 0,
        annoyed_escalated: 0,
        annoyed: 0,
        calm_escalated: 0,
        calm: 0,
    };
    for &(judged, anger) in scored {
        let escalated = usize::from(anger > threshold);
        match judged {
            Judged::Angry => {
                r.angry += 1;
                r.angry_escalated += escalated;
            }
            Judged::Annoyed => {
                r.annoyed += 1;
                r.annoyed_escalated += escalated;
            }
            Judged::Calm => {
                r.calm += 1;
                r.calm_escalated += escalated;
            }
        }
    }
    r
}

/// Results at thresholds 0.30, 0.35 ... 0.95.
pub fn threshold_table(scored: &[(Judged, f32)]) -> Vec<ThresholdResult> {
    (6..=19)
        .map(|i| at_threshold(scored, i as f32 * 0.05))
        .collect()
}

/// The threshold with the best F1 for telling angry callers from the rest; on a tie the higher
/// threshold (fewer needless escalations).
pub fn best_threshold(table: &[ThresholdResult]) -> Option<ThresholdResult> {
    table.iter().copied().max_by(|a, b| {
        a.f1()
            .total_cmp(&b.f1())
            .then(a.threshold.total_cmp(&b.threshold))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &[(Judged, f32)] = &[
        (Judged::Angry, 0.95),
        (Judged::Angry, 0.77),
        (Judged::Angry, 0.55),
        (Judged::Annoyed, 0.6),
        (Judged::Annoyed, 0.2),
        (Judged::Calm, 0.0),
        (Judged::Calm, 0.1),
    ];

    #[test]
    fn a_threshold_counts_escalations_by_judgement() {
        let r = at_threshold(SET, 0.7);
        assert_eq!((r.angry_escalated, r.angry), (2, 3));
        assert_eq!((r.annoyed_escalated, r.annoyed), (0, 2));
        assert_eq!((r.calm_escalated, r.calm), (0, 2));
        assert!((r.recall() - 2.0 / 3.0).abs() < 1e-9);
        assert!((r.precision() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn the_default_threshold_misses_a_furious_caller_scored_0_77() {
        let r = at_threshold(SET, 0.8);
        assert_eq!(r.angry_escalated, 1);
    }

    #[test]
    fn the_best_threshold_balances_precision_and_recall() {
        let table = threshold_table(SET);
        assert_eq!(table.len(), 14);
        let best = best_threshold(&table).unwrap();
        // 0.3 to 0.5 catch all three angry ones but also the annoyed 0.6 (F1 0.86), and the tie
        // goes to the highest; 0.6 to 0.75 catch two with no false alarm (F1 0.8).
        assert!((best.threshold - 0.5).abs() < 1e-4, "{best:?}");
    }

    #[test]
    fn labels_are_the_three_words() {
        assert_eq!(Judged::parse("angry"), Some(Judged::Angry));
        assert_eq!(Judged::parse("furious"), None);
    }
}
