//! What a queued caller hears between announcements: a WAV file from the queue's configuration,
//! or, when none is given, a soft arpeggio generated here so a fresh install needs no music file.

use std::f32::consts::TAU;

use super::{Frame, FRAME};

/// Sample rate of everything on the phone side.
const RATE: f32 = 8000.0;

/// Hold music as an endless loop of 20 ms frames (pure: no IO).
pub struct HoldMusic {
    pcm: std::sync::Arc<Vec<i16>>,
    at: usize,
}

impl HoldMusic {
    /// Loops `pcm` (8 kHz mono); an empty buffer plays silence.
    pub fn new(pcm: std::sync::Arc<Vec<i16>>) -> HoldMusic {
        HoldMusic { pcm, at: 0 }
    }

    /// The next 20 ms of music.
    pub fn next_frame(&mut self) -> Frame {
        if self.pcm.is_empty() {
            return Frame::Silence;
        }
        let mut frame = Vec::with_capacity(FRAME);
        while frame.len() < FRAME {
            let take = (FRAME - frame.len()).min(self.pcm.len() - self.at);
            frame.extend_from_slice(&self.pcm[self.at..self.at + take]);
            self.at = (self.at + take) % self.pcm.len();
        }
        Frame::Speech {
            pcm: frame,
            talkspurt_start: false,
        }
    }
}

/// Eight bars of a I-vi-IV-V progression as arpeggiated sine notes with soft attacks and decays,
/// about -24 dBFS: 16 s that loop without a click (every note ends at zero).
pub fn generated_music() -> Vec<i16> {
    // C major, A minor, F major, G major: MIDI notes of each arpeggio, twice round.
    const CHORDS: [[u8; 4]; 4] = [
        [60, 64, 67, 72],
        [57, 60, 64, 69],
        [53, 57, 60, 65],
        [55, 59, 62, 67],
    ];
    const NOTE_SECONDS: f32 = 0.5;
    let note_len = (RATE * NOTE_SECONDS) as usize;
    let mut out = Vec::with_capacity(note_len * 32);
    for round in 0..2 {
        for chord in CHORDS {
            for (i, &note) in chord.iter().enumerate() {
                // The second time round, a lower octave for the bass note of each bar.
                let midi = if round == 1 && i == 0 {
                    note - 12
                } else {
                    note
                };
                let freq = 440.0 * 2f32.powf((midi as f32 - 69.0) / 12.0);
                for n in 0..note_len {
                    let t = n as f32 / RATE;
                    let attack = (t / 0.03).min(1.0);
                    let decay = 1.0 - n as f32 / note_len as f32;
                    let envelope = attack * decay * decay;
                    // A touch of the octave makes it less of a test tone.
                    let wave = (TAU * freq * t).sin() + 0.25 * (TAU * 2.0 * freq * t).sin();
                    out.push((wave * envelope * 0.063 * 32767.0 / 1.25) as i16);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_music_is_audible_but_quiet_and_loops_without_a_click() {
        let music = generated_music();
        assert_eq!(music.len(), 8000 * 16);
        let peak = music.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((1000..4000).contains(&peak), "peak {peak}");
        assert!(music.last().unwrap().unsigned_abs() < 50);
        assert!(music.first().unwrap().unsigned_abs() < 50);
    }

    #[test]
    fn frames_wrap_round_the_end_of_the_loop() {
        let pcm: Vec<i16> = (0..250).collect();
        let mut hold = HoldMusic::new(std::sync::Arc::new(pcm));
        let Frame::Speech { pcm: first, .. } = hold.next_frame() else {
            panic!("music expected")
        };
        assert_eq!(first[0], 0);
        let Frame::Speech { pcm: second, .. } = hold.next_frame() else {
            panic!("music expected")
        };
        assert_eq!(second[0], 160);
        assert_eq!(second[89], 249);
        assert_eq!(second[90], 0);
        assert_eq!(second.len(), FRAME);
    }

    #[test]
    fn no_music_is_silence() {
        let mut hold = HoldMusic::new(std::sync::Arc::new(Vec::new()));
        assert_eq!(hold.next_frame(), Frame::Silence);
    }
}
