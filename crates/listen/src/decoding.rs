//! How Whisper decodes: ours for telephone turns, or whisper.cpp's own defaults for comparison.

use whisper_rs::{FullParams, SamplingStrategy};

use crate::whisper::WHISPER_SAMPLE_RATE;

/// Temperature step of the fallback: 0.0, then 0.2, 0.4 ... 1.0 (OpenAI's and whisper.cpp's).
pub const TEMPERATURE_STEP: f32 = 0.2;
/// A decode whose last 32 tokens have less entropy than this (nats) is a loop: fall back
/// (whisper.cpp's stand-in for OpenAI's gzip compression ratio above 2.4).
pub const ENTROPY_THRESHOLD: f32 = 2.4;
/// A decode whose mean token log-probability is below this failed: fall back.
pub const LOGPROB_THRESHOLD: f32 = -1.0;
/// Candidates sampled at each fallback temperature (whisper.cpp's `best_of`).
const BEST_OF: i32 = 5;
/// Beam width of whisper.cpp's command-line default.
const BEAM_SIZE: i32 = 5;

/// A decoding strategy for [`crate::WhisperAsr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoding {
    /// Hotline's, for telephone turns: greedy at temperature 0 in one segment without
    /// timestamps; when the result fails whisper.cpp's checks (the entropy of its last 32 tokens
    /// under 2.4, or a mean log-probability under -1.0) it is decoded again at temperatures 0.2
    /// to 1.0 with 5 candidates each; the text is capped at 16 tokens plus 8 a second of audio,
    /// so a loop cannot run long; a text that still compresses like a loop (gzip ratio over 2.4)
    /// is decoded once more from temperature 0.2, and a phrase still repeated at its end is
    /// kept once.
    #[default]
    Telephone,
    /// whisper.cpp's own defaults, as its command-line program runs them: beam search of 5,
    /// the same fallback, timestamps, the full 30 s encoder window, no token cap and no
    /// repetition guard. For measuring ours against.
    WhisperCpp,
}

impl Decoding {
    /// Parameters for one `whisper_full` run over a clip of `samples`, starting the fallback at
    /// `temperature`.
    pub(crate) fn params(
        self,
        threads: usize,
        samples: usize,
        temperature: f32,
    ) -> FullParams<'static, 'static> {
        let strategy = match self {
            Decoding::Telephone => SamplingStrategy::Greedy { best_of: BEST_OF },
            Decoding::WhisperCpp => SamplingStrategy::BeamSearch {
                beam_size: BEAM_SIZE,
                patience: -1.0,
            },
        };
        let mut params = FullParams::new(strategy);
        params.set_n_threads(i32::try_from(threads).unwrap_or(1));
        params.set_language(Some("en"));
        params.set_translate(false);
        params.set_no_context(true);
        params.set_suppress_blank(true);
        params.set_suppress_nst(true);
        params.set_temperature(temperature);
        params.set_temperature_inc(TEMPERATURE_STEP);
        params.set_entropy_thold(ENTROPY_THRESHOLD);
        params.set_logprob_thold(LOGPROB_THRESHOLD);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        if self == Decoding::Telephone {
            params.set_no_timestamps(true);
            params.set_single_segment(true);
            params.set_max_tokens(max_tokens(samples));
        }
        params
    }
}

/// Text tokens allowed for a clip of `samples` at 16 kHz: 16 plus 8 a second (fast speech is
/// about 7 tokens a second), so a decoder repeating itself stops early.
pub fn max_tokens(samples: usize) -> i32 {
    let seconds = samples / WHISPER_SAMPLE_RATE as usize;
    i32::try_from(16 + 8 * seconds).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_cap_follows_the_clip_length() {
        assert_eq!(max_tokens(16_000), 24);
        assert_eq!(max_tokens(16_000 * 15), 136);
        assert_eq!(max_tokens(100), 16);
    }
}
