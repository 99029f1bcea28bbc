//! Spotting the likely end of a turn early, so Whisper can start while the endpointer still waits
//! out its end-of-speech silence (pure logic, fed one VAD chunk at a time).
//!
//! After `early` of quiet inside speech we announce a pause; if the caller speaks again the pause
//! is withdrawn; if the turn then ends without new speech, its transcript is the pause's.

use std::time::Duration;

#[derive(Debug, PartialEq, Eq)]
pub enum PauseSignal {
    /// Quiet long enough to start transcribing what was said so far.
    Pause(u64),
    /// The caller went on speaking: the pause's transcript is stale.
    Resumed(u64),
}

pub struct PauseWatch {
    early: Duration,
    end_threshold: f32,
    chunk: Duration,
    quiet: Duration,
    announced: bool,
    pending: Option<u64>,
    next_id: u64,
}

impl PauseWatch {
    pub fn new(early: Duration, end_threshold: f32, chunk: Duration) -> PauseWatch {
        PauseWatch {
            early,
            end_threshold,
            chunk,
            quiet: Duration::ZERO,
            announced: false,
            pending: None,
            next_id: 0,
        }
    }

    /// One chunk's speech probability, and whether the endpointer is inside speech after it.
    pub fn on_chunk(&mut self, speaking: bool, probability: f32) -> Option<PauseSignal> {
        if !speaking {
            self.quiet = Duration::ZERO;
            self.announced = false;
            return None;
        }
        if probability < self.end_threshold {
            self.quiet += self.chunk;
            if self.quiet >= self.early && !self.announced {
                self.announced = true;
                self.next_id += 1;
                self.pending = Some(self.next_id);
                return Some(PauseSignal::Pause(self.next_id));
            }
            return None;
        }
        self.quiet = Duration::ZERO;
        self.announced = false;
        self.pending.take().map(PauseSignal::Resumed)
    }

    /// The turn ended: the pause announced since the last speech, if any, holds its transcript.
    pub fn turn_ended(&mut self) -> Option<u64> {
        self.quiet = Duration::ZERO;
        self.announced = false;
        self.pending.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: Duration = Duration::from_millis(32);

    fn watch() -> PauseWatch {
        PauseWatch::new(Duration::from_millis(192), 0.35, CHUNK)
    }

    #[test]
    fn a_pause_is_announced_once_after_the_early_silence() {
        let mut w = watch();
        assert_eq!(w.on_chunk(true, 0.9), None);
        let signals: Vec<_> = (0..10).filter_map(|_| w.on_chunk(true, 0.1)).collect();
        assert_eq!(
            signals,
            vec![PauseSignal::Pause(1)],
            "six quiet chunks make 192 ms"
        );
        assert_eq!(w.turn_ended(), Some(1));
        assert_eq!(w.turn_ended(), None);
    }

    #[test]
    fn speaking_again_withdraws_the_pause() {
        let mut w = watch();
        w.on_chunk(true, 0.9);
        for _ in 0..6 {
            w.on_chunk(true, 0.1);
        }
        assert_eq!(w.on_chunk(true, 0.8), Some(PauseSignal::Resumed(1)));
        for _ in 0..5 {
            assert_eq!(w.on_chunk(true, 0.1), None);
        }
        assert_eq!(w.on_chunk(true, 0.1), Some(PauseSignal::Pause(2)));
        assert_eq!(w.turn_ended(), Some(2));
    }

    #[test]
    fn nothing_happens_outside_speech() {
        let mut w = watch();
        for _ in 0..20 {
            assert_eq!(w.on_chunk(false, 0.0), None);
        }
        assert_eq!(w.turn_ended(), None);
    }
}
