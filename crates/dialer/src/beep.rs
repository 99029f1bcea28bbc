//! The answering machine's beep: a steady tone found with the Goertzel algorithm, so a message
//! left on a machine starts after the tone instead of being half recorded. Pure: frames in,
//! "a beep just ended" out.

use std::time::Duration;

/// Telephone audio's sample rate; frames are 8 kHz mono in -1..1.
pub const SAMPLE_RATE: u32 = 8_000;

/// Frequencies searched: 400 to 2000 Hz in 25 Hz steps (machines beep at 440, 500, 850, 1000,
/// 1400 Hz and more; a 25 Hz step keeps a tone between two steps within 20% of its power).
const LOWEST_HZ: f32 = 400.0;
const HIGHEST_HZ: f32 = 2000.0;
const STEP_HZ: f32 = 25.0;

/// A frame is a tone when one frequency holds this share of its energy (speech spreads its
/// energy over harmonics and formants and stays well under it).
const TONE_SHARE: f32 = 0.6;
/// Below this RMS (about -46 dBFS) a frame is too quiet to be a beep.
const MIN_TONE_RMS: f32 = 0.005;

/// A tone that lasted long enough to be a beep and then stopped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Beep {
    pub frequency_hz: f32,
    pub length: Duration,
}

/// Finds tones of `min..=max` length at one frequency.
#[derive(Clone, Debug)]
pub struct BeepDetector {
    min: Duration,
    max: Duration,
    /// The tone in progress: its frequency and how long it has lasted.
    tone: Option<(f32, Duration)>,
}

impl BeepDetector {
    pub fn new(min: Duration, max: Duration) -> BeepDetector {
        BeepDetector {
            min,
            max,
            tone: None,
        }
    }

    /// Feeds one frame (any length, 8 kHz); returns the beep whose end this frame marks.
    pub fn on_frame(&mut self, samples: &[f32]) -> Option<Beep> {
        let length = frame_length(samples.len());
        let found = dominant_tone(samples);
        match (self.tone, found) {
            (Some((f, lasted)), Some(g)) if (f - g).abs() <= STEP_HZ * 1.5 => {
                self.tone = Some((f, lasted + length));
                None
            }
            (previous, found) => {
                self.tone = found.map(|g| (g, length));
                let (frequency_hz, lasted) = previous?;
                (lasted >= self.min && lasted <= self.max).then_some(Beep {
                    frequency_hz,
                    length: lasted,
                })
            }
        }
    }

    /// True while a tone is going on (the driver then waits for its end before speaking).
    pub fn in_tone(&self) -> bool {
        self.tone.is_some()
    }
}

/// How long `samples` samples last at 8 kHz.
pub fn frame_length(samples: usize) -> Duration {
    Duration::from_micros(samples as u64 * 1_000_000 / u64::from(SAMPLE_RATE))
}

/// The frequency holding most of the frame's energy, when it holds at least `TONE_SHARE` of it.
fn dominant_tone(samples: &[f32]) -> Option<f32> {
    let n = samples.len();
    if n < 80 {
        return None;
    }
    let energy: f32 = samples.iter().map(|s| s * s).sum();
    if (energy / n as f32).sqrt() < MIN_TONE_RMS {
        return None;
    }
    let mut best = (0.0f32, 0.0f32);
    let mut hz = LOWEST_HZ;
    while hz <= HIGHEST_HZ {
        let power = goertzel_power(samples, hz);
        if power > best.1 {
            best = (hz, power);
        }
        hz += STEP_HZ;
    }
    // A pure tone of amplitude A over n samples has power (A n / 2)^2 and energy A^2 n / 2.
    let share = best.1 / (energy * n as f32 / 2.0);
    (share >= TONE_SHARE).then_some(best.0)
}

/// The squared magnitude of the frame's component at `hz` (the Goertzel recurrence).
fn goertzel_power(samples: &[f32], hz: f32) -> f32 {
    let coefficient = 2.0 * (2.0 * std::f32::consts::PI * hz / SAMPLE_RATE as f32).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coefficient * s1 * s2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f32, ms: u32, amplitude: f32) -> Vec<f32> {
        let n = (SAMPLE_RATE * ms / 1000) as usize;
        (0..n)
            .map(|i| {
                amplitude * (2.0 * std::f32::consts::PI * hz * i as f32 / SAMPLE_RATE as f32).sin()
            })
            .collect()
    }

    fn feed(detector: &mut BeepDetector, audio: &[f32]) -> Vec<Beep> {
        audio
            .chunks(160)
            .filter_map(|frame| detector.on_frame(frame))
            .collect()
    }

    fn beeps() -> BeepDetector {
        BeepDetector::new(Duration::from_millis(100), Duration::from_millis(1500))
    }

    #[test]
    fn a_one_kilohertz_beep_is_found_when_it_stops() {
        for hz in [440.0, 850.0, 1000.0, 1013.0, 1400.0, 1990.0] {
            let mut audio = tone(hz, 400, 0.3);
            audio.extend(vec![0.0; 1600]);
            let found = feed(&mut beeps(), &audio);
            assert_eq!(found.len(), 1, "{hz} Hz: {found:?}");
            assert!((found[0].frequency_hz - hz).abs() <= 25.0, "{found:?}");
            assert_eq!(found[0].length, Duration::from_millis(400));
        }
    }

    #[test]
    fn a_click_or_a_long_tone_is_not_a_beep() {
        let mut click = tone(1000.0, 40, 0.3);
        click.extend(vec![0.0; 800]);
        assert!(feed(&mut beeps(), &click).is_empty());
        let mut dial_tone = tone(425.0, 3000, 0.3);
        dial_tone.extend(vec![0.0; 800]);
        assert!(feed(&mut beeps(), &dial_tone).is_empty());
    }

    #[test]
    fn quiet_noise_and_a_vowel_with_harmonics_are_not_tones() {
        // A voiced sound: a 150 Hz fundamental with strong harmonics up to 1.5 kHz.
        let vowel: Vec<f32> = (0..8000)
            .map(|i| {
                (1..=10)
                    .map(|k| {
                        0.05 * (2.0 * std::f32::consts::PI * 150.0 * k as f32 * i as f32
                            / SAMPLE_RATE as f32)
                            .sin()
                    })
                    .sum()
            })
            .collect();
        assert!(feed(&mut beeps(), &vowel).is_empty());
        let faint = tone(1000.0, 400, 0.001);
        assert!(feed(&mut beeps(), &faint).is_empty());
    }
}
