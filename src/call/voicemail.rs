//! A voicemail in progress (the flow's `record` node): collects the caller's audio and decides when
//! the message is over: at its maximum length, on `#`, or after a long silence once they spoke.

use std::time::Duration;

/// Silence after speech that ends a message.
const END_SILENCE: Duration = Duration::from_secs(3);
/// Frames louder than this count as speech.
const SPEECH_DBFS: f32 = -40.0;

pub struct Voicemail {
    samples: Vec<f32>,
    max_samples: usize,
    heard_speech: bool,
    quiet_samples: usize,
}

impl Voicemail {
    pub fn new(max: Duration) -> Voicemail {
        Voicemail {
            samples: Vec::new(),
            max_samples: (max.as_secs_f64() * 8000.0) as usize,
            heard_speech: false,
            quiet_samples: 0,
        }
    }

    /// Adds 8 kHz audio; true when the message is complete.
    pub fn push(&mut self, frame: &[f32]) -> bool {
        let room = self.max_samples.saturating_sub(self.samples.len());
        self.samples
            .extend_from_slice(&frame[..frame.len().min(room)]);
        if hotline_media::rms_dbfs(frame) > SPEECH_DBFS {
            self.heard_speech = true;
            self.quiet_samples = 0;
        } else {
            self.quiet_samples += frame.len();
        }
        self.samples.len() >= self.max_samples
            || (self.heard_speech
                && self.quiet_samples as f64 >= END_SILENCE.as_secs_f64() * 8000.0)
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / 8000.0)
    }

    pub fn into_pcm(self) -> Vec<i16> {
        hotline_media::f32_to_pcm(&self.samples)
    }
}

/// A 1 kHz beep of `length` at 8 kHz, to tell the caller to start speaking.
pub fn beep(length: Duration) -> Vec<i16> {
    let n = (length.as_secs_f64() * 8000.0) as usize;
    (0..n)
        .map(|i| ((i as f32 * 2.0 * std::f32::consts::PI * 1000.0 / 8000.0).sin() * 8000.0) as i16)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(ms: usize) -> Vec<f32> {
        (0..ms * 8).map(|i| (i as f32 * 0.4).sin() * 0.3).collect()
    }

    #[test]
    fn ends_after_three_seconds_of_silence_once_the_caller_spoke() {
        let mut v = Voicemail::new(Duration::from_secs(60));
        for _ in 0..100 {
            assert!(
                !v.push(&[0.0; 160]),
                "silence before speech never ends the message"
            );
        }
        assert!(!v.push(&tone(1000)));
        let mut done = false;
        for _ in 0..150 {
            done = v.push(&[0.0; 160]);
            if done {
                break;
            }
        }
        assert!(done);
        assert_eq!(v.duration(), Duration::from_secs(2 + 1 + 3));
    }

    #[test]
    fn stops_at_the_maximum_length() {
        let mut v = Voicemail::new(Duration::from_millis(500));
        let mut pushes = 0;
        while !v.push(&tone(20)) {
            pushes += 1;
        }
        assert_eq!(pushes, 24);
        assert_eq!(v.into_pcm().len(), 4000);
    }

    #[test]
    fn a_beep_is_loud_and_as_long_as_asked() {
        let b = beep(Duration::from_millis(300));
        assert_eq!(b.len(), 2400);
        assert!(hotline_media::rms_dbfs(&hotline_media::pcm_to_f32(&b)) > -20.0);
    }
}
