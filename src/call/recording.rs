//! A bridged call's stereo recording written to disk as the call goes (left: caller, right:
//! agent), its WAV header brought up to date every second of audio, so a crash or `kill -9`
//! loses at most the last second instead of the whole conversation.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::error::HotlineError;

/// 8 kHz telephone audio.
const RATE: u32 = 8000;

/// Frames (one sample per side) between header updates: one second.
const CHECKPOINT_FRAMES: usize = RATE as usize;

/// How far one side may run ahead before the other is taken as silent (2 s): a side whose
/// RTP stopped must not make the other side's audio wait in memory.
const MAX_SKEW: usize = 2 * RATE as usize;

/// Pairs two mono streams that arrive in bursts into stereo frames, in order. Pure.
#[derive(Debug, Default)]
pub struct StereoPairs {
    left: VecDeque<i16>,
    right: VecDeque<i16>,
}

impl StereoPairs {
    pub fn push_left(&mut self, pcm: &[i16]) {
        self.left.extend(pcm);
    }

    pub fn push_right(&mut self, pcm: &[i16]) {
        self.right.extend(pcm);
    }

    /// Interleaved frames both sides have reached; a side more than [`MAX_SKEW`] behind is
    /// padded with silence first.
    pub fn take_ready(&mut self) -> Vec<i16> {
        let (l, r) = (self.left.len(), self.right.len());
        if l > r + MAX_SKEW {
            self.right.extend(std::iter::repeat_n(0, l - r - MAX_SKEW));
        } else if r > l + MAX_SKEW {
            self.left.extend(std::iter::repeat_n(0, r - l - MAX_SKEW));
        }
        let n = self.left.len().min(self.right.len());
        self.drain(n)
    }

    /// Everything left, the shorter side padded with silence (the call is over).
    pub fn take_rest(&mut self) -> Vec<i16> {
        let n = self.left.len().max(self.right.len());
        self.left.resize(n, 0);
        self.right.resize(n, 0);
        self.drain(n)
    }

    fn drain(&mut self, frames: usize) -> Vec<i16> {
        let mut out = Vec::with_capacity(frames * 2);
        for (l, r) in self.left.drain(..frames).zip(self.right.drain(..frames)) {
            out.push(l);
            out.push(r);
        }
        out
    }
}

/// The file side: a WAV on disk, checkpointed every second of audio.
pub struct StereoRecorder {
    path: PathBuf,
    writer: hound::WavWriter<BufWriter<File>>,
    pairs: StereoPairs,
    since_checkpoint: usize,
}

impl StereoRecorder {
    /// Creates `path` (and its directory) with an empty stereo 8 kHz WAV.
    pub fn create(path: &Path) -> Result<StereoRecorder, HotlineError> {
        let bad = |reason: String| HotlineError::Wav {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| bad(e.to_string()))?;
        }
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(path, spec).map_err(|e| bad(e.to_string()))?;
        Ok(StereoRecorder {
            path: path.to_path_buf(),
            writer,
            pairs: StereoPairs::default(),
            since_checkpoint: 0,
        })
    }

    /// The caller's audio (left).
    pub fn caller(&mut self, pcm: &[i16]) -> Result<(), HotlineError> {
        self.pairs.push_left(pcm);
        self.write_ready()
    }

    /// The agent's audio (right).
    pub fn agent(&mut self, pcm: &[i16]) -> Result<(), HotlineError> {
        self.pairs.push_right(pcm);
        self.write_ready()
    }

    /// Writes what is left and the final header.
    pub fn finish(mut self) -> Result<PathBuf, HotlineError> {
        let rest = self.pairs.take_rest();
        self.write(&rest)?;
        let path = self.path;
        self.writer.finalize().map_err(|e| HotlineError::Wav {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(path)
    }

    fn write_ready(&mut self) -> Result<(), HotlineError> {
        let ready = self.pairs.take_ready();
        self.write(&ready)?;
        if self.since_checkpoint >= CHECKPOINT_FRAMES {
            self.since_checkpoint = 0;
            self.writer.flush().map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    fn write(&mut self, interleaved: &[i16]) -> Result<(), HotlineError> {
        for &sample in interleaved {
            if let Err(e) = self.writer.write_sample(sample) {
                return Err(self.error(e));
            }
        }
        self.since_checkpoint += interleaved.len() / 2;
        Ok(())
    }

    fn error(&self, e: hound::Error) -> HotlineError {
        HotlineError::Wav {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_out_in_order_once_both_sides_have_them() {
        let mut pairs = StereoPairs::default();
        pairs.push_left(&[1, 2, 3]);
        assert!(pairs.take_ready().is_empty());
        pairs.push_right(&[-1, -2]);
        assert_eq!(pairs.take_ready(), vec![1, -1, 2, -2]);
        pairs.push_right(&[-3, -4]);
        assert_eq!(pairs.take_ready(), vec![3, -3]);
        assert_eq!(pairs.take_rest(), vec![0, -4]);
    }

    #[test]
    fn a_silent_side_does_not_hold_the_other_in_memory() {
        let mut pairs = StereoPairs::default();
        pairs.push_left(&vec![7; MAX_SKEW + 800]);
        let ready = pairs.take_ready();
        assert_eq!(ready.len(), 800 * 2);
        assert!(ready.chunks(2).all(|f| f == [7, 0]));
        assert_eq!(pairs.left.len(), MAX_SKEW);
    }

    #[test]
    fn a_recording_cut_off_without_finishing_is_readable_up_to_its_last_second() {
        let dir = std::env::temp_dir().join(format!("hotline-recorder-{}", std::process::id()));
        let path = dir.join("call-bridge.wav");
        let mut recorder = StereoRecorder::create(&path).expect("create");
        // 3.5 s of both sides in 20 ms frames, then the process "dies" (no finish).
        for _ in 0..175 {
            recorder.caller(&[100; 160]).expect("caller");
            recorder.agent(&[-100; 160]).expect("agent");
        }
        std::mem::forget(recorder);
        let reader = hound::WavReader::open(&path).expect("a valid WAV after a crash");
        assert_eq!(reader.spec().channels, 2);
        let seconds = reader.duration() as f64 / f64::from(RATE);
        assert!((3.0..=3.5).contains(&seconds), "{seconds} s readable");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_finished_recording_holds_every_frame() {
        let dir = std::env::temp_dir().join(format!("hotline-recorder-f-{}", std::process::id()));
        let path = dir.join("call-bridge.wav");
        let mut recorder = StereoRecorder::create(&path).expect("create");
        recorder.caller(&[5; 1000]).expect("caller");
        recorder.agent(&[6; 400]).expect("agent");
        recorder.finish().expect("finish");
        let mut reader = hound::WavReader::open(&path).expect("open");
        assert_eq!(reader.duration(), 1000);
        let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
        assert_eq!(&samples[..2], &[5, 6]);
        assert_eq!(&samples[1998..], &[5, 0]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
