//! What the bot is about to say, cut into 20 ms frames for the paced RTP sender (pure, no IO).

use std::collections::VecDeque;

/// Samples per 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;

#[derive(Debug, PartialEq)]
pub enum Frame {
    /// Bot speech; `talkspurt_start` asks for the RTP marker bit.
    Speech {
        pcm: Vec<i16>,
        talkspurt_start: bool,
    },
    Silence,
}

#[derive(Default)]
pub struct Playout {
    queue: VecDeque<i16>,
    talking: bool,
}

impl Playout {
    pub fn push(&mut self, pcm: &[i16]) {
        self.queue.extend(pcm.iter().copied());
    }

    /// Drops everything not yet sent (barge-in, hang-up).
    pub fn clear(&mut self) {
        self.queue.clear();
        // What plays next starts a new talkspurt (marker bit, first-audio timing).
        self.talking = false;
    }

    /// Drops the oldest samples beyond `max`: relayed audio must not lag behind.
    pub fn trim_to(&mut self, max: usize) {
        let excess = self.queue.len().saturating_sub(max);
        self.queue.drain(..excess);
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The next frame to send; a short tail is padded with silence.
    pub fn next_frame(&mut self) -> Frame {
        if self.queue.is_empty() {
            self.talking = false;
            return Frame::Silence;
        }
        let n = FRAME.min(self.queue.len());
        let mut pcm: Vec<i16> = self.queue.drain(..n).collect();
        pcm.resize(FRAME, 0);
        let talkspurt_start = !self.talking;
        self.talking = true;
        Frame::Speech {
            pcm,
            talkspurt_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_160_samples_with_one_marker_per_talkspurt() {
        let mut p = Playout::default();
        p.push(&vec![100; 400]);
        let first = p.next_frame();
        assert!(
            matches!(&first, Frame::Speech { pcm, talkspurt_start: true } if pcm.len() == FRAME)
        );
        assert!(matches!(
            p.next_frame(),
            Frame::Speech {
                talkspurt_start: false,
                ..
            }
        ));
        match p.next_frame() {
            Frame::Speech {
                pcm,
                talkspurt_start,
            } => {
                assert!(!talkspurt_start);
                assert_eq!(&pcm[..80], &[100; 80]);
                assert_eq!(&pcm[80..], &[0; 80]);
            }
            other => panic!("expected the padded tail, got {other:?}"),
        }
        assert_eq!(p.next_frame(), Frame::Silence);
        p.push(&[5; 160]);
        assert!(matches!(
            p.next_frame(),
            Frame::Speech {
                talkspurt_start: true,
                ..
            }
        ));
    }

    #[test]
    fn clear_drops_pending_speech() {
        let mut p = Playout::default();
        p.push(&[1; 1000]);
        p.clear();
        assert!(p.is_empty());
        assert_eq!(p.next_frame(), Frame::Silence);
    }

    #[test]
    fn speech_after_a_barge_in_starts_a_new_talkspurt() {
        let mut p = Playout::default();
        p.push(&[1; 1000]);
        let _ = p.next_frame();
        p.clear();
        p.push(&[2; 160]);
        assert!(matches!(
            p.next_frame(),
            Frame::Speech {
                talkspurt_start: true,
                ..
            }
        ));
    }

    #[test]
    fn trimming_keeps_the_newest_audio() {
        let mut p = Playout::default();
        p.push(&[1; 300]);
        p.push(&[2; 160]);
        p.trim_to(160);
        assert_eq!(
            p.next_frame(),
            Frame::Speech {
                pcm: vec![2; 160],
                talkspurt_start: true
            }
        );
    }
}
