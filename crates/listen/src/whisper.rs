//! Whisper speech recognition (whisper.cpp through whisper-rs), tuned for short telephone utterances.

use std::path::Path;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use crate::ListenError;

/// Whisper's input sample rate.
pub const WHISPER_SAMPLE_RATE: u32 = 16_000;
/// Samples in Whisper's 30 s window.
const WINDOW_SAMPLES: usize = 30 * WHISPER_SAMPLE_RATE as usize;
/// Encoder frames in the 30 s window (50 per second).
const WINDOW_FRAMES: usize = 1500;
/// whisper.cpp refuses clips under 1 s; shorter ones are padded with silence to this.
const MIN_SAMPLES: usize = 18_000;
/// Encoder frames added to what the clip needs, so the decoder sees some silence after speech.
const FRAME_MARGIN: usize = 64;
/// Default floor of the fitted window.
const DEFAULT_MIN_FRAMES: u32 = 384;
/// Below this mean token probability the text is treated as a hallucination on non-speech
/// (real prompts score 0.85-0.98; base hears "you" in silence at 0.28).
const LOW_CONFIDENCE: f32 = 0.4;
/// whisper.cpp's default no-speech threshold.
const NO_SPEECH_THRESHOLD: f32 = 0.6;

/// How much of Whisper's 30 s window the encoder runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioWindow {
    /// The clip plus a margin, but at least `min_frames` encoder frames (50 per second):
    /// `audio_ctx` from the clip length, far faster on short utterances. Windows under ~7 s make
    /// Whisper repeat itself (measured: 384 frames keep base's word error rate at the full
    /// window's, 256 do not), hence the floor.
    Fit {
        /// Smallest window, in encoder frames.
        min_frames: u32,
    },
    /// The full 30 s window (1500 frames), as the model was trained.
    Full,
}

impl Default for AudioWindow {
    fn default() -> Self {
        AudioWindow::Fit {
            min_frames: DEFAULT_MIN_FRAMES,
        }
    }
}

/// The result of transcribing one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// Recognised text, trimmed.
    pub text: String,
    /// Mean probability of the text tokens (0..1); 0 when there are none.
    pub confidence: f32,
    /// Whisper's probability that the clip holds no speech.
    pub no_speech_probability: f32,
    /// Length of the audio given.
    pub audio: Duration,
    /// Time spent transcribing.
    pub elapsed: Duration,
    /// True when Whisper heard no speech: empty text, a mean token probability under 0.4
    /// (Whisper's hallucinations on silence), or a high no-speech probability with low confidence.
    pub no_speech: bool,
}

/// A loaded Whisper model with one decoding state. `transcribe` takes `&self` and serialises
/// on the state; for parallel decoding give each worker thread its own [`WhisperAsr::worker`],
/// which shares the model weights.
pub struct WhisperAsr {
    context: Arc<WhisperContext>,
    state: Mutex<WhisperState>,
    threads: usize,
    window: AudioWindow,
}

impl WhisperAsr {
    /// Loads a ggml Whisper model; `threads` is the CPU threads per transcription (at least 1).
    pub fn load(model: &Path, threads: usize) -> Result<Self, ListenError> {
        if !model.is_file() {
            return Err(ListenError::ModelMissing {
                path: model.to_path_buf(),
            });
        }
        static QUIET: Once = Once::new();
        QUIET.call_once(whisper_rs::install_logging_hooks);
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);
        let context = WhisperContext::new_with_params(model, params).map_err(|source| {
            ListenError::WhisperLoad {
                path: model.to_path_buf(),
                source,
            }
        })?;
        Self::with_context(Arc::new(context), threads, AudioWindow::default())
    }

    /// Another recogniser sharing this one's weights, with its own state (for another thread).
    pub fn worker(&self) -> Result<Self, ListenError> {
        Self::with_context(Arc::clone(&self.context), self.threads, self.window)
    }

    /// Chooses how much of the 30 s window the encoder processes (default: [`AudioWindow::Fit`]
    /// with a 7.7 s floor).
    pub fn set_window(&mut self, window: AudioWindow) {
        self.window = window;
    }

    fn with_context(
        context: Arc<WhisperContext>,
        threads: usize,
        window: AudioWindow,
    ) -> Result<Self, ListenError> {
        let state = context
            .create_state()
            .map_err(|source| ListenError::Whisper { source })?;
        Ok(WhisperAsr {
            context,
            state: Mutex::new(state),
            threads: threads.max(1),
            window,
        })
    }

    /// Transcribes one utterance of 16 kHz mono audio (samples in -1..1, at most 30 s) as
    /// English: greedy decoding, one segment, no timestamps, blank and non-speech tokens
    /// suppressed.
    pub fn transcribe(&self, pcm_16k: &[f32]) -> Result<Transcript, ListenError> {
        let started = Instant::now();
        if pcm_16k.len() > WINDOW_SAMPLES {
            return Err(ListenError::ClipTooLong {
                samples: pcm_16k.len(),
            });
        }
        let audio = Duration::from_secs_f64(pcm_16k.len() as f64 / f64::from(WHISPER_SAMPLE_RATE));
        let padded;
        let samples = if pcm_16k.len() < MIN_SAMPLES {
            let mut p = pcm_16k.to_vec();
            p.resize(MIN_SAMPLES, 0.0);
            padded = p;
            &padded[..]
        } else {
            pcm_16k
        };

        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(i32::try_from(self.threads).unwrap_or(1));
        params.set_language(Some("en"));
        params.set_translate(false);
        params.set_no_context(true);
        params.set_no_timestamps(true);
        params.set_single_segment(true);
        params.set_suppress_blank(true);
        params.set_suppress_nst(true);
        params.set_temperature(0.0);
        params.set_temperature_inc(0.0);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        // Bound the text by the clip length (fast speech is ~7 tokens/s) so a decoder that
        // starts repeating itself stops early.
        let seconds = samples.len() / WHISPER_SAMPLE_RATE as usize;
        params.set_max_tokens(i32::try_from(16 + 8 * seconds).unwrap_or(i32::MAX));
        if let AudioWindow::Fit { min_frames } = self.window {
            params.set_audio_ctx(audio_ctx_for(samples.len(), min_frames));
        }

        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state
            .full(params, samples)
            .map_err(|source| ListenError::Whisper { source })?;
        let eot = self.context.token_eot();
        let mut text = String::new();
        let (mut p_sum, mut p_count) = (0f32, 0usize);
        let mut no_speech_probability = 0f32;
        for segment in state.as_iter() {
            no_speech_probability = no_speech_probability.max(segment.no_speech_probability());
            if let Ok(s) = segment.to_str_lossy() {
                text.push_str(&s);
            }
            for i in 0..segment.n_tokens() {
                if let Some(token) = segment.get_token(i) {
                    if token.token_id() < eot {
                        p_sum += token.token_probability();
                        p_count += 1;
                    }
                }
            }
        }
        let text = text.trim().to_string();
        let confidence = if p_count > 0 {
            p_sum / p_count as f32
        } else {
            0.0
        };
        let no_speech = text.is_empty()
            || confidence < LOW_CONFIDENCE
            || (no_speech_probability > NO_SPEECH_THRESHOLD && confidence < 0.5);
        Ok(Transcript {
            text,
            confidence,
            no_speech_probability,
            audio,
            elapsed: started.elapsed(),
            no_speech,
        })
    }
}

/// Encoder frames (`audio_ctx`) for a clip of `samples` at 16 kHz: 50 per second plus a
/// margin, at least `min_frames`, at most the full window.
pub fn audio_ctx_for(samples: usize, min_frames: u32) -> i32 {
    let frames = (samples.div_ceil(320) + FRAME_MARGIN).max(min_frames as usize);
    frames.min(WINDOW_FRAMES) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_ctx_follows_clip_length() {
        assert_eq!(audio_ctx_for(32_000, 0), 100 + 64);
        assert_eq!(audio_ctx_for(16_001, 0), 51 + 64);
        assert_eq!(audio_ctx_for(32_000, 500), 500);
        assert_eq!(audio_ctx_for(WINDOW_SAMPLES, 500), 1500);
    }
}
