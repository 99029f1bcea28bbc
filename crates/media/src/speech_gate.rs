//! Decides, from a window's level alone, whether the VAD model needs to hear it: most of a call
//! is the caller listening, and a window that is quiet, or no louder than the line's own noise,
//! cannot be the start of speech, so it costs a level check instead of a model run.
//!
//! Pure: fed each window's level in dBFS (see [`crate::rms_dbfs`]), it tracks the line's noise
//! floor (falls at once to a quieter window, rises slowly), opens when a window stands clearly
//! above both an absolute quiet level and that floor, and stays open for a hangover after the
//! last such window so the model, not the level, decides where speech ends. It says which
//! windows open it, so the caller of the gate can replay the last few skipped windows to the
//! model first (its pre-roll). The model's recurrent state is kept, not reset, across closed
//! spells: on real speech with a hissing line, a reset moved Silero's end of speech by two
//! windows, while the kept state plus the replayed lead-in cut the same utterances as Silero
//! running on every window.

/// Tuning of the [`SpeechGate`].
#[derive(Clone, Debug, PartialEq)]
pub struct SpeechGateConfig {
    /// Windows at or below this level (dBFS) never open the gate (-55: telephone speech sits
    /// around -20 to -35 dBFS, a quiet line at -60 or lower).
    pub quiet_dbfs: f32,
    /// How far above the tracked noise floor a window must be to open the gate (8 dB).
    pub above_floor_db: f32,
    /// How fast the floor follows a louder line, in dB per window (0.1, about 3 dB a second
    /// with 32 ms windows); it follows a quieter one at once.
    pub floor_rise_db: f32,
    /// Windows the gate stays open after the last one that opened it (16, about 0.5 s: the
    /// end-of-speech silence, so the model hears a turn's pauses and decides its end).
    pub hangover: u32,
}

impl Default for SpeechGateConfig {
    fn default() -> Self {
        SpeechGateConfig {
            quiet_dbfs: -55.0,
            above_floor_db: 8.0,
            floor_rise_db: 0.1,
            hangover: 16,
        }
    }
}

/// What to do with one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateDecision {
    /// Run the model on it. `onset` is true for the first window after closed ones: replay the
    /// skipped windows kept as pre-roll to the model before this one.
    Run { onset: bool },
    /// Nothing to hear: speech probability 0, no model run.
    Skip,
}

/// The level gate in front of the VAD model. One per audio stream.
#[derive(Clone, Debug)]
pub struct SpeechGate {
    config: SpeechGateConfig,
    /// The line's noise level, `None` before the first window.
    floor: Option<f32>,
    /// Open windows left after the last loud one.
    hangover_left: u32,
    /// Closed windows in a row.
    closed_run: u32,
    opened: u64,
    skipped: u64,
}

impl SpeechGate {
    pub fn new(config: SpeechGateConfig) -> SpeechGate {
        SpeechGate {
            config,
            floor: None,
            hangover_left: 0,
            closed_run: 0,
            opened: 0,
            skipped: 0,
        }
    }

    /// The decision for the next window, at `level_dbfs`.
    pub fn window(&mut self, level_dbfs: f32) -> GateDecision {
        let floor = self.track_floor(level_dbfs);
        let loud =
            level_dbfs > self.config.quiet_dbfs && level_dbfs > floor + self.config.above_floor_db;
        if loud {
            self.hangover_left = self.config.hangover;
        } else if self.hangover_left > 0 {
            self.hangover_left -= 1;
        } else {
            self.closed_run = self.closed_run.saturating_add(1);
            self.skipped += 1;
            return GateDecision::Skip;
        }
        let onset = self.closed_run > 0 || self.opened == 0;
        self.closed_run = 0;
        self.opened += 1;
        GateDecision::Run { onset }
    }

    /// The noise floor after taking in a window at `level`: the first window sets it, a
    /// quieter one lowers it at once, a louder one raises it by at most `floor_rise_db`.
    fn track_floor(&mut self, level: f32) -> f32 {
        let floor = match self.floor {
            None => level,
            Some(floor) if level <= floor => level,
            Some(floor) => (floor + self.config.floor_rise_db).min(level),
        };
        self.floor = Some(floor);
        floor
    }

    /// The tracked noise floor in dBFS, once a window was seen.
    pub fn noise_floor(&self) -> Option<f32> {
        self.floor
    }

    /// Windows the model had to hear.
    pub fn opened(&self) -> u64 {
        self.opened
    }

    /// Windows the model did not have to hear.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> SpeechGate {
        SpeechGate::new(SpeechGateConfig::default())
    }

    fn runs(decisions: &[GateDecision]) -> usize {
        decisions
            .iter()
            .filter(|d| matches!(d, GateDecision::Run { .. }))
            .count()
    }

    #[test]
    fn a_quiet_line_never_opens_the_gate() {
        let mut gate = gate();
        let decisions: Vec<_> = (0..1000)
            .map(|i| gate.window(-70.0 + (i % 7) as f32))
            .collect();
        assert_eq!(runs(&decisions), 0);
        assert_eq!(gate.skipped(), 1000);
    }

    #[test]
    fn steady_noise_above_the_quiet_level_is_learnt_and_skipped() {
        let mut gate = gate();
        // A hissing line at -45 dBFS, wobbling by 3 dB: above the absolute quiet level, but
        // never 8 dB above its own floor.
        let decisions: Vec<_> = (0..1000)
            .map(|i| gate.window(-45.0 + [0.0, 1.5, -1.5, 3.0][i % 4]))
            .collect();
        assert_eq!(runs(&decisions), 0, "noise ran the model");
        let floor = gate.noise_floor().expect("floor known");
        assert!((-47.0..=-45.0).contains(&floor), "floor {floor}");
    }

    #[test]
    fn speech_over_the_floor_opens_once_and_stays_open_through_the_hangover() {
        let mut gate = gate();
        let quiet: Vec<_> = (0..100).map(|_| gate.window(-60.0)).collect();
        assert_eq!(runs(&quiet), 0);
        assert_eq!(gate.window(-30.0), GateDecision::Run { onset: true });
        assert_eq!(gate.window(-28.0), GateDecision::Run { onset: false });
        // A dip between words keeps the model running for the hangover, then it closes.
        let after: Vec<_> = (0..20).map(|_| gate.window(-60.0)).collect();
        assert_eq!(runs(&after), 16);
        assert_eq!(after[16], GateDecision::Skip);
        assert_eq!(gate.window(-25.0), GateDecision::Run { onset: true });
    }

    #[test]
    fn a_louder_line_raises_the_floor_slowly_and_a_quieter_one_lowers_it_at_once() {
        let mut gate = gate();
        gate.window(-70.0);
        gate.window(-40.0);
        assert!((gate.noise_floor().unwrap() + 69.9).abs() < 1e-3);
        gate.window(-80.0);
        assert_eq!(gate.noise_floor(), Some(-80.0));
    }
}
