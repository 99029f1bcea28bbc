//! The bookkeeping of one conversational turn: what was heard, what was answered, and where the time went.

use std::time::{Duration, Instant};

use crate::store::{unix_ms, TurnRecord};

/// A turn in progress: opened when caller input is handled, closed when the reply's first audio
/// leaves (or at once when the reply has no audio).
#[derive(Debug, Default)]
pub struct Turn {
    pub record: TurnRecord,
    /// Our best estimate of the wall-clock moment the caller stopped speaking.
    pub speech_end: Option<Instant>,
    /// When the flow engine produced the reply.
    pub replied_at: Option<Instant>,
    pub first_tts_chunk: Option<Instant>,
}

impl Turn {
    pub fn new(call_id: &str, seq: i64) -> Turn {
        Turn {
            record: TurnRecord {
                call_id: call_id.to_string(),
                seq,
                at: unix_ms(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    pub fn add_bot_text(&mut self, text: &str) {
        match &mut self.record.bot_text {
            Some(existing) => {
                existing.push(' ');
                existing.push_str(text);
            }
            None => self.record.bot_text = Some(text.to_string()),
        }
    }

    pub fn on_tts_chunk(&mut self, now: Instant) {
        if self.first_tts_chunk.is_none() {
            self.first_tts_chunk = Some(now);
            if let Some(replied) = self.replied_at {
                self.record.tts_first_ms = Some(ms(now.saturating_duration_since(replied)));
            }
        }
    }

    /// The reply's first audio frame is leaving now: voice-to-voice latency is known.
    pub fn on_first_audio(&mut self, now: Instant) {
        if let Some(end) = self.speech_end {
            if self.record.voice_to_voice_ms.is_none() {
                self.record.voice_to_voice_ms = Some(ms(now.saturating_duration_since(end)));
            }
        }
    }
}

pub fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_are_measured_from_the_right_moments() {
        let t0 = Instant::now();
        let mut turn = Turn::new("c", 1);
        turn.speech_end = Some(t0);
        turn.replied_at = Some(t0 + Duration::from_millis(400));
        turn.on_tts_chunk(t0 + Duration::from_millis(650));
        turn.on_tts_chunk(t0 + Duration::from_millis(900));
        turn.on_first_audio(t0 + Duration::from_millis(660));
        assert_eq!(turn.record.tts_first_ms, Some(250));
        assert_eq!(turn.record.voice_to_voice_ms, Some(660));
        turn.add_bot_text("One.");
        turn.add_bot_text("Two.");
        assert_eq!(turn.record.bot_text.as_deref(), Some("One. Two."));
    }
}
