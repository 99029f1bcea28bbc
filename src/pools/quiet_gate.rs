//! Skips the VAD model while the line is quiet: most of a call is the caller listening, and a
//! window far below speech level cannot be speech, so it costs a level check instead of a Silero run.
//!
//! Pure: fed each window's level, it says whether the model must run and when the model's
//! recurrent state should be forgotten (after a long quiet spell it is as good as new, and a
//! fresh state hears the next word's onset as the start of speech, as on a new call).

/// Windows quieter than this (dBFS) are not speech. Telephone speech sits around -20 to -35 dBFS
/// and a quiet line around -60 or lower; soft word onsets below this are still kept in the
/// utterance by the endpointer's pre-roll.
pub const QUIET_DBFS: f32 = -55.0;

/// Quiet windows in a row after which the model's state is reset (16 × 32 ms ≈ 0.5 s).
const RESET_AFTER: u32 = 16;

/// What to do with one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateDecision {
    /// Run the model on it.
    Run,
    /// Quiet: speech probability 0, no model run.
    Skip,
    /// Quiet for long enough: skip it and forget the model's state.
    SkipAndReset,
}

#[derive(Debug, Default)]
pub struct QuietGate {
    quiet_run: u32,
    /// Windows the model did not have to see, for the listener's statistics.
    skipped: u64,
}

impl QuietGate {
    pub fn new() -> QuietGate {
        QuietGate::default()
    }

    /// The decision for a window at `level_dbfs`.
    pub fn window(&mut self, level_dbfs: f32) -> GateDecision {
        if level_dbfs > QUIET_DBFS {
            self.quiet_run = 0;
            return GateDecision::Run;
        }
        self.quiet_run = self.quiet_run.saturating_add(1);
        self.skipped += 1;
        if self.quiet_run == RESET_AFTER {
            GateDecision::SkipAndReset
        } else {
            GateDecision::Skip
        }
    }

    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_level_windows_run_the_model_and_quiet_ones_do_not() {
        let mut gate = QuietGate::new();
        assert_eq!(gate.window(-25.0), GateDecision::Run);
        assert_eq!(gate.window(-70.0), GateDecision::Skip);
        assert_eq!(gate.window(-54.0), GateDecision::Run);
        assert_eq!(gate.skipped(), 1);
    }

    #[test]
    fn the_state_is_forgotten_once_per_long_quiet_spell() {
        let mut gate = QuietGate::new();
        let decisions: Vec<GateDecision> = (0..40).map(|_| gate.window(-90.0)).collect();
        let resets = decisions
            .iter()
            .filter(|d| **d == GateDecision::SkipAndReset)
            .count();
        assert_eq!(resets, 1, "one reset per quiet spell, not one per window");
        assert_eq!(
            decisions[RESET_AFTER as usize - 1],
            GateDecision::SkipAndReset
        );
        assert_eq!(gate.window(-20.0), GateDecision::Run);
        let again: Vec<GateDecision> = (0..RESET_AFTER).map(|_| gate.window(-90.0)).collect();
        assert_eq!(again.last(), Some(&GateDecision::SkipAndReset));
    }
}
