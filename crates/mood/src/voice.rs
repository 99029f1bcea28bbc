//! Loudness and pitch of the caller's voice in one utterance, and the same caller's running
//! baseline: shouting and a raised voice are judged against their own normal, not a fixed level
//! (telephone lines and handsets differ by tens of dB).

use hotline_media::{estimate_pitch, rms_dbfs, PitchRange};

/// Sample rate of the audio handed to the tracker.
pub const SAMPLE_RATE: u32 = 8000;
/// Analysis frame: 40 ms, two periods of the lowest pitch searched (60 Hz).
const FRAME: usize = 320;
/// Hop between frames: 20 ms.
const HOP: usize = 160;
/// Fewer voiced frames than this (0.2 s) is too little voice to measure.
const MIN_VOICED_FRAMES: usize = 10;
/// Utterances the baseline needs before its spread widens the thresholds.
const MIN_FOR_SPREAD: u32 = 3;

/// What one utterance sounded like, measured over its voiced frames only (pauses and unvoiced
/// consonants left out).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VoiceFeatures {
    /// Power-averaged level of the voiced frames, dBFS.
    pub level_dbfs: f32,
    /// Median fundamental frequency of the voiced frames, Hz.
    pub pitch_hz: f32,
    /// Voiced time, seconds (20 ms per voiced frame).
    pub voiced_seconds: f32,
}

/// Measures an utterance of 8 kHz samples; `None` when it holds less than 0.2 s of voice.
pub fn voice_features(samples_8k: &[f32], range: &PitchRange) -> Option<VoiceFeatures> {
    let mut pitches = Vec::new();
    let mut power = 0.0f64;
    let mut start = 0;
    while start + FRAME <= samples_8k.len() {
        let frame = &samples_8k[start..start + FRAME];
        if let Some(pitch) = estimate_pitch(frame, SAMPLE_RATE, range) {
            pitches.push(pitch);
            power += 10f64.powf(f64::from(rms_dbfs(frame)) / 10.0);
        }
        start += HOP;
    }
    if pitches.len() < MIN_VOICED_FRAMES {
        return None;
    }
    let voiced = pitches.len();
    pitches.sort_by(f32::total_cmp);
    Some(VoiceFeatures {
        level_dbfs: (10.0 * (power / voiced as f64).log10()) as f32,
        pitch_hz: pitches[voiced / 2],
        voiced_seconds: voiced as f32 * HOP as f32 / SAMPLE_RATE as f32,
    })
}

/// Running mean and variance (Welford).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Running {
    count: u32,
    mean: f64,
    m2: f64,
}

impl Running {
    fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / f64::from(self.count);
        self.m2 += delta * (x - self.mean);
    }

    /// Standard deviation once there are enough values to trust it.
    fn spread(&self) -> Option<f64> {
        (self.count >= MIN_FOR_SPREAD).then(|| (self.m2 / f64::from(self.count - 1)).sqrt())
    }
}

/// How an utterance differs from the caller's baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VoiceShift {
    /// Level above the baseline mean, dB (negative when quieter).
    pub louder_db: f32,
    /// Louder than this (dB) is unusual for this caller: the configured minimum, widened to
    /// two standard deviations of their level once three utterances are known.
    pub louder_threshold_db: f32,
    /// Pitch relative to the baseline mean (1.0 = same).
    pub pitch_ratio: f32,
    /// Pitch ratio above which the voice is unusually high for this caller, widened likewise.
    pub pitch_threshold: f32,
}

/// One caller's normal voice: running mean and spread of level and pitch over their earlier
/// utterances in the call. The first measured utterance sets it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct VoiceBaseline {
    level: Running,
    pitch: Running,
}

impl VoiceBaseline {
    /// Number of utterances learnt.
    pub fn utterances(&self) -> u32 {
        self.level.count
    }

    /// How `features` compare with the baseline, given the minimum louder step (dB) and pitch
    /// ratio that count as unusual; `None` before the first utterance is learnt.
    pub fn shift(
        &self,
        features: &VoiceFeatures,
        min_louder_db: f32,
        min_pitch_ratio: f32,
    ) -> Option<VoiceShift> {
        if self.level.count == 0 || self.pitch.mean <= 0.0 {
            return None;
        }
        let level_spread = self.level.spread().map_or(0.0, |s| 2.0 * s as f32);
        let pitch_spread = self
            .pitch
            .spread()
            .map_or(0.0, |s| 1.0 + 2.0 * (s / self.pitch.mean) as f32);
        Some(VoiceShift {
            louder_db: features.level_dbfs - self.level.mean as f32,
            louder_threshold_db: min_louder_db.max(level_spread),
            pitch_ratio: features.pitch_hz / self.pitch.mean as f32,
            pitch_threshold: min_pitch_ratio.max(pitch_spread),
        })
    }

    /// Adds an utterance to the baseline.
    pub fn learn(&mut self, features: &VoiceFeatures) {
        self.level.push(f64::from(features.level_dbfs));
        self.pitch.push(f64::from(features.pitch_hz));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    /// A voice-like tone with a pause in the middle.
    fn utterance(f0: f32, amplitude: f32, seconds: f32) -> Vec<f32> {
        let len = (seconds * SAMPLE_RATE as f32) as usize;
        (0..len)
            .map(|n| {
                if (len / 3..len / 2).contains(&n) {
                    return 0.0;
                }
                let t = n as f32 / SAMPLE_RATE as f32;
                (1..=4)
                    .map(|h| amplitude / h as f32 * (2.0 * PI * f0 * h as f32 * t).sin())
                    .sum()
            })
            .collect()
    }

    #[test]
    fn features_measure_voiced_frames_only() {
        let range = PitchRange::default();
        let quiet = voice_features(&utterance(150.0, 0.05, 1.0), &range).expect("voiced");
        let loud = voice_features(&utterance(150.0, 0.2, 1.0), &range).expect("voiced");
        assert!((loud.level_dbfs - quiet.level_dbfs - 12.04).abs() < 0.1);
        assert!((quiet.pitch_hz - 150.0).abs() < 3.0);
        // The silent sixth of the utterance is not voiced.
        assert!(quiet.voiced_seconds > 0.65 && quiet.voiced_seconds < 0.9);
        assert_eq!(voice_features(&vec![0.0; 8000], &range), None);
        assert_eq!(voice_features(&utterance(150.0, 0.1, 0.1), &range), None);
    }

    #[test]
    fn the_first_utterance_sets_the_baseline() {
        let range = PitchRange::default();
        let normal = voice_features(&utterance(180.0, 0.05, 1.0), &range).expect("voiced");
        let raised = voice_features(&utterance(230.0, 0.2, 1.0), &range).expect("voiced");
        let mut baseline = VoiceBaseline::default();
        assert_eq!(baseline.shift(&normal, 6.0, 1.2), None);
        baseline.learn(&normal);
        let same = baseline.shift(&normal, 6.0, 1.2).expect("baseline");
        assert!(same.louder_db.abs() < 0.01 && (same.pitch_ratio - 1.0).abs() < 0.01);
        let shift = baseline.shift(&raised, 6.0, 1.2).expect("baseline");
        assert!((shift.louder_db - 12.04).abs() < 0.2, "{shift:?}");
        assert!(
            (shift.pitch_ratio - 230.0 / 180.0).abs() < 0.03,
            "{shift:?}"
        );
        assert_eq!(shift.louder_threshold_db, 6.0);
    }

    #[test]
    fn a_variable_caller_needs_a_bigger_step() {
        let range = PitchRange::default();
        let mut baseline = VoiceBaseline::default();
        for amplitude in [0.02, 0.1, 0.03, 0.12] {
            let features = voice_features(&utterance(180.0, amplitude, 1.0), &range);
            baseline.learn(&features.expect("voiced"));
        }
        let probe = voice_features(&utterance(180.0, 0.1, 1.0), &range).expect("voiced");
        let shift = baseline.shift(&probe, 6.0, 1.2).expect("baseline");
        assert!(shift.louder_threshold_db > 6.0, "{shift:?}");
    }
}
