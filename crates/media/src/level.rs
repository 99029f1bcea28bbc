//! Per-frame loudness and pitch of the caller's voice: simple cues (shouting, raised pitch) for
//! spotting an upset caller later on.

/// Level reported for silence or an empty frame, in dBFS.
pub const SILENCE_DBFS: f32 = -120.0;

/// Root-mean-square level in dB relative to a full-scale square wave (a full-scale sine is
/// about -3 dBFS); never below [`SILENCE_DBFS`].
pub fn rms_dbfs(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return SILENCE_DBFS;
    }
    let energy: f64 = samples.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    let rms = (energy / samples.len() as f64).sqrt();
    if rms <= 0.0 || rms.is_nan() {
        return SILENCE_DBFS;
    }
    ((20.0 * rms.log10()) as f32).max(SILENCE_DBFS)
}

/// Pitch search range and voicing decision for [`estimate_pitch`].
#[derive(Clone, Debug, PartialEq)]
pub struct PitchRange {
    /// Lowest fundamental searched, in Hz (60 for adult voices).
    pub min_hz: f32,
    /// Highest fundamental searched, in Hz (400).
    pub max_hz: f32,
    /// Normalised autocorrelation a peak needs to count as voiced (0.5).
    pub voicing_threshold: f32,
    /// Frames quieter than this are unvoiced, in dBFS (-50).
    pub min_level_dbfs: f32,
}

impl Default for PitchRange {
    fn default() -> Self {
        PitchRange {
            min_hz: 60.0,
            max_hz: 400.0,
            voicing_threshold: 0.5,
            min_level_dbfs: -50.0,
        }
    }
}

/// Fundamental frequency of a voiced frame by normalised autocorrelation, with parabolic
/// interpolation of the peak; `None` for unvoiced, quiet or too short frames. The frame should
/// span at least two periods of `range.min_hz` (40 ms for 60 Hz).
pub fn estimate_pitch(frame: &[f32], sample_rate: u32, range: &PitchRange) -> Option<f32> {
    if rms_dbfs(frame) < range.min_level_dbfs || range.min_hz <= 0.0 || range.max_hz <= range.min_hz
    {
        return None;
    }
    let rate = sample_rate as f32;
    let min_lag = ((rate / range.max_hz).floor() as usize).max(2);
    let max_lag = (rate / range.min_hz).ceil() as usize;
    if frame.len() < 2 * max_lag || min_lag >= max_lag {
        return None;
    }
    let mean = frame.iter().sum::<f32>() / frame.len() as f32;
    let centred: Vec<f32> = frame.iter().map(|x| x - mean).collect();
    // Normalised cross-correlation of the frame with itself shifted by `lag`.
    let correlation = |lag: usize| -> f32 {
        let (head, tail) = (&centred[..centred.len() - lag], &centred[lag..]);
        let cross: f32 = head.iter().zip(tail).map(|(a, b)| a * b).sum();
        let energy_head: f32 = head.iter().map(|a| a * a).sum();
        let energy_tail: f32 = tail.iter().map(|b| b * b).sum();
        let norm = (energy_head * energy_tail).sqrt();
        if norm > 0.0 {
            cross / norm
        } else {
            0.0
        }
    };
    let scores: Vec<f32> = (min_lag - 1..=max_lag + 1).map(correlation).collect();
    let best_score = scores[1..scores.len() - 1]
        .iter()
        .copied()
        .fold(f32::MIN, f32::max);
    if best_score < range.voicing_threshold {
        return None;
    }
    // The shortest lag close to the best score avoids picking a multiple of the period.
    let best = (1..scores.len() - 1).find(|&i| {
        scores[i] >= 0.9 * best_score && scores[i] >= scores[i - 1] && scores[i] >= scores[i + 1]
    })?;
    let (left, centre, right) = (scores[best - 1], scores[best], scores[best + 1]);
    let curvature = left - 2.0 * centre + right;
    let offset = if curvature < 0.0 {
        0.5 * (left - right) / curvature
    } else {
        0.0
    };
    let lag = (min_lag - 1 + best) as f32 + offset.clamp(-0.5, 0.5);
    Some(rate / lag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    /// A voice-like tone: fundamental plus decaying harmonics.
    fn voiced(f0: f32, rate: u32, len: usize, amplitude: f32) -> Vec<f32> {
        (0..len)
            .map(|n| {
                let t = n as f32 / rate as f32;
                (1..=5)
                    .map(|h| amplitude / h as f32 * (2.0 * PI * f0 * h as f32 * t).sin())
                    .sum()
            })
            .collect()
    }

    #[test]
    fn rms_level_of_known_signals() {
        assert_eq!(rms_dbfs(&[]), SILENCE_DBFS);
        assert_eq!(rms_dbfs(&[0.0; 160]), SILENCE_DBFS);
        assert!((rms_dbfs(&[1.0, -1.0, 1.0, -1.0]) - 0.0).abs() < 1e-4);
        assert!((rms_dbfs(&[0.1; 100]) + 20.0).abs() < 1e-3);
        let sine: Vec<f32> = (0..8000)
            .map(|n| (2.0 * PI * 1000.0 * n as f32 / 8000.0).sin())
            .collect();
        assert!((rms_dbfs(&sine) + 3.0103).abs() < 0.01);
        // Halving the amplitude lowers the level by 6 dB.
        let half: Vec<f32> = sine.iter().map(|x| x * 0.5).collect();
        assert!((rms_dbfs(&sine) - rms_dbfs(&half) - 6.0206).abs() < 0.01);
    }

    #[test]
    fn pitch_of_voiced_frames_is_found_within_two_percent() {
        let range = PitchRange::default();
        for f0 in [85.0, 120.0, 180.0, 230.0, 310.0] {
            for rate in [8000, 16000] {
                let frame = voiced(f0, rate, rate as usize / 25, 0.3); // 40 ms
                let pitch = estimate_pitch(&frame, rate, &range).expect("voiced");
                assert!((pitch - f0).abs() / f0 < 0.02, "{f0} Hz at {rate}: {pitch}");
            }
        }
    }

    #[test]
    fn noise_silence_and_short_frames_are_unvoiced() {
        let range = PitchRange::default();
        let mut state = 1u32;
        let noise: Vec<f32> = (0..320)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        assert_eq!(estimate_pitch(&noise, 8000, &range), None);
        assert_eq!(estimate_pitch(&[0.0; 320], 8000, &range), None);
        assert_eq!(
            estimate_pitch(&voiced(150.0, 8000, 320, 0.001), 8000, &range),
            None
        );
        assert_eq!(
            estimate_pitch(&voiced(150.0, 8000, 100, 0.3), 8000, &range),
            None
        );
    }
}
