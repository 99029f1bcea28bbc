//! `hotline bench digits`: how many 7-digit numbers, read digit by digit by a real human voice,
//! end up stored exactly in a digits slot, with and without telling Whisper to expect digits.
//!
//! Offline simulation of the phone path, not a call: each number is Asterisk's recorded
//! `digits/N` prompts (Debian's `asterisk-core-sounds-en-wav`) joined with pauses of 0.1 to
//! 0.45 s, sent through G.711 µ-law and the ASR pool's resampler, transcribed as one turn, and
//! parsed by the flow's digits slot with length 7. The endpointer's splitting of a slow reader's
//! number into two turns is not part of this figure.

use std::path::Path;
use std::time::Instant;

use hotline_listen::{AudioWindow, Expect, WhisperAsr};

use crate::bench::wer::{phone_path, PROMPTS_DIR};
use crate::config::{Config, WhisperChoice};

/// What to measure.
pub struct DigitsOptions {
    /// Numbers to read.
    pub numbers: usize,
    /// Whisper model (base, tiny.en or a ggml file); the configured one when `None`.
    pub whisper: Option<String>,
    /// Seed of the numbers and pauses, so runs compare.
    pub seed: u64,
    /// Print every number, not only the misses.
    pub verbose: bool,
    /// Encoder window: `None` for the server's, else the least frames (1500: the full 30 s).
    pub min_frames: Option<u32>,
}

/// Digits a number has.
const LENGTH: usize = 7;

/// A small deterministic generator (xorshift64*), so every run reads the same numbers.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The numbers to read, each with the pause (ms) after each of its digits but the last.
fn numbers(count: usize, seed: u64) -> Vec<(String, Vec<u64>)> {
    let mut dice = Dice(seed.max(1));
    (0..count)
        .map(|_| {
            let number: String = (0..LENGTH)
                .map(|_| char::from(b'0' + dice.below(10) as u8))
                .collect();
            let pauses = (1..LENGTH).map(|_| 100 + dice.below(351)).collect();
            (number, pauses)
        })
        .collect()
}

/// The 8 kHz audio of `number` read with `pauses`, from the recorded digit prompts.
fn read_aloud(number: &str, pauses: &[u64]) -> anyhow::Result<Vec<i16>> {
    let mut pcm = Vec::new();
    for (i, digit) in number.chars().enumerate() {
        let path = Path::new(PROMPTS_DIR).join(format!("digits/{digit}.wav"));
        pcm.extend(crate::dial::read_wav_8k(&path).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e} (install the Debian package asterisk-core-sounds-en-wav)",
                path.display()
            )
        })?);
        if let Some(ms) = pauses.get(i) {
            pcm.extend(std::iter::repeat_n(0i16, (*ms * 8) as usize));
        }
    }
    Ok(pcm)
}

pub fn run(options: DigitsOptions, mut config: Config) -> anyhow::Result<()> {
    if let Some(w) = &options.whisper {
        config.speech.whisper_model = WhisperChoice::parse(w);
    }
    let model = crate::server::model_paths(&config)?.whisper;
    let mut asr = WhisperAsr::load(&model, config.speech.asr_threads)?;
    if let Some(min_frames) = options.min_frames {
        asr.set_window(if min_frames >= 1500 {
            AudioWindow::Full
        } else {
            AudioWindow::Fit { min_frames }
        });
    }
    let numbers = numbers(options.numbers, options.seed);
    println!(
        "{} numbers of {LENGTH} digits read from {PROMPTS_DIR}/digits, pauses 0.10-0.45 s, G.711 µ-law, 8 -> 16 kHz; model {}, window {}, {} threads, seed {}",
        numbers.len(),
        model.display(),
        options
            .min_frames
            .map_or("the server's".to_string(), |f| format!("at least {f} frames")),
        config.speech.asr_threads,
        options.seed
    );
    for expect in [Expect::Speech, Expect::Digits] {
        let (mut exact, mut seconds) = (0usize, 0f64);
        for (number, pauses) in &numbers {
            let pcm_16k = phone_path(&read_aloud(number, pauses)?);
            let started = Instant::now();
            let heard = asr.transcribe_long_expecting(&pcm_16k, expect)?;
            seconds += started.elapsed().as_secs_f64();
            let stored = hotline_flow::slots::digits(&heard.text, Some(LENGTH));
            let right = stored.as_deref() == Some(number.as_str());
            exact += usize::from(right);
            if options.verbose || !right {
                println!(
                    "  [{}] {number}: heard {:?} -> {}",
                    expect.name(),
                    heard.text,
                    stored.as_deref().unwrap_or("(no number)")
                );
            }
        }
        let n = numbers.len().max(1);
        println!(
            "expecting {}: {exact} of {} numbers stored exactly ({:.1}%), {:.2} s per number",
            expect.name(),
            numbers.len(),
            100.0 * exact as f64 / n as f64,
            seconds / n as f64
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_reads_the_same_numbers() {
        let a = numbers(5, 7);
        assert_eq!(a, numbers(5, 7));
        assert_ne!(a, numbers(5, 8));
        for (number, pauses) in &a {
            assert_eq!(number.len(), LENGTH);
            assert!(number.chars().all(|c| c.is_ascii_digit()));
            assert_eq!(pauses.len(), LENGTH - 1);
            assert!(pauses.iter().all(|p| (100..=450).contains(p)));
        }
    }
}
