//! Whisper speech recognition (whisper.cpp through whisper-rs), tuned for short telephone utterances.

use std::path::Path;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use whisper_rs::{WhisperContext, WhisperContextParameters, WhisperState};

use crate::decoding::Decoding;
use crate::expect::Expect;
use crate::repetition::{collapse_repeats, compression_ratio, COMPRESSION_RATIO_THRESHOLD};
use crate::windows::{join_texts, split_windows};
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
    /// The first decode still read as a loop after whisper.cpp's fallback (its text compresses
    /// more than 2.4 times), so it was decoded again from temperature 0.2.
    pub redecoded: bool,
    /// A phrase repeated as a loop at the end of the text was cut down to one copy.
    pub repeats_removed: bool,
    /// Whisper windows the audio was transcribed in (1 for clips up to 30 s).
    pub windows: usize,
}

/// A loaded Whisper model with one decoding state. `transcribe` takes `&self` and serialises
/// on the state; for parallel decoding give each worker thread its own [`WhisperAsr::worker`],
/// which shares the model weights.
pub struct WhisperAsr {
    context: Arc<WhisperContext>,
    state: Mutex<WhisperState>,
    threads: usize,
    window: AudioWindow,
    decoding: Decoding,
    prompt: Option<String>,
}

/// One `whisper_full` run's result.
struct Decoded {
    text: String,
    confidence: f32,
    no_speech_probability: f32,
    /// Text tokens produced (timestamps and special tokens not counted).
    text_tokens: usize,
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
        let mut worker = Self::with_context(Arc::clone(&self.context), self.threads, self.window)?;
        worker.decoding = self.decoding;
        worker.prompt = self.prompt.clone();
        Ok(worker)
    }

    /// Chooses the decoding strategy (default: [`Decoding::Telephone`]).
    pub fn set_decoding(&mut self, decoding: Decoding) {
        self.decoding = decoding;
    }

    /// Words the caller is likely to say, given to Whisper as its initial prompt (`None` or
    /// empty: no prompt). Whisper spells words it was primed with more often.
    pub fn set_prompt(&mut self, prompt: Option<&str>) {
        let prompt = prompt.filter(|p| !p.trim().is_empty() && !p.contains('\0'));
        if self.prompt.as_deref() != prompt {
            self.prompt = prompt.map(str::to_string);
        }
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
            decoding: Decoding::default(),
            prompt: None,
        })
    }

    /// Transcribes audio of any length (16 kHz mono, samples in -1..1) as English: clips over
    /// 30 s are cut into windows of at most 30 s at their quietest points near 25 s, each is
    /// transcribed, and the texts are joined into one. Windows Whisper hears no speech in are
    /// left out; the transcript is `no_speech` only when every window is.
    pub fn transcribe_long(&self, pcm_16k: &[f32]) -> Result<Transcript, ListenError> {
        self.transcribe_long_expecting(pcm_16k, Expect::Speech)
    }

    /// [`WhisperAsr::transcribe_long`], with the encoder window chosen for what the caller is
    /// expected to say (see [`Expect`]).
    pub fn transcribe_long_expecting(
        &self,
        pcm_16k: &[f32],
        expect: Expect,
    ) -> Result<Transcript, ListenError> {
        let started = Instant::now();
        let windows = split_windows(pcm_16k, WHISPER_SAMPLE_RATE);
        if windows.len() == 1 {
            return self.transcribe_expecting(pcm_16k, expect);
        }
        let mut parts = Vec::with_capacity(windows.len());
        for range in &windows {
            parts.push(self.transcribe_expecting(&pcm_16k[range.clone()], expect)?);
        }
        let speech: Vec<&Transcript> = parts.iter().filter(|t| !t.no_speech).collect();
        let confidence = if speech.is_empty() {
            0.0
        } else {
            speech.iter().map(|t| t.confidence).sum::<f32>() / speech.len() as f32
        };
        Ok(Transcript {
            text: join_texts(speech.iter().map(|t| t.text.as_str())),
            confidence,
            no_speech_probability: parts
                .iter()
                .map(|t| t.no_speech_probability)
                .fold(1.0, f32::min),
            audio: parts.iter().map(|t| t.audio).sum(),
            elapsed: started.elapsed(),
            no_speech: speech.is_empty(),
            redecoded: parts.iter().any(|t| t.redecoded),
            repeats_removed: parts.iter().any(|t| t.repeats_removed),
            windows: windows.len(),
        })
    }

    /// Transcribes one utterance of 16 kHz mono audio (samples in -1..1, at most 30 s) as
    /// English with the chosen [`Decoding`]; longer audio is refused (see
    /// [`WhisperAsr::transcribe_long`]).
    pub fn transcribe(&self, pcm_16k: &[f32]) -> Result<Transcript, ListenError> {
        self.transcribe_expecting(pcm_16k, Expect::Speech)
    }

    /// [`WhisperAsr::transcribe`], with the window chosen for what the caller is expected to say
    /// (see [`Expect`]).
    pub fn transcribe_expecting(
        &self,
        pcm_16k: &[f32],
        expect: Expect,
    ) -> Result<Transcript, ListenError> {
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

        let window = expect.window(self.window);
        let mut decoded = self.decode(samples, 0.0, window)?;
        let (mut redecoded, mut repeats_removed) = (false, false);
        if self.decoding == Decoding::Telephone && looks_like_a_loop(&decoded, samples.len()) {
            // whisper.cpp's fallback let a loop through (its entropy check needs 32 tokens):
            // decode again from the first fallback temperature, as OpenAI's reference would on
            // the compression ratio.
            let again = self.decode(samples, crate::decoding::TEMPERATURE_STEP, window)?;
            redecoded = true;
            if !looks_like_a_loop(&again, samples.len()) {
                decoded = again;
            }
        }
        if self.decoding == Decoding::Telephone {
            if let Some(kept) = collapse_repeats(&decoded.text) {
                // Only text that reads as a loop is cut: "4 4 4 4 4" can be an account number.
                if looks_like_a_loop(&decoded, samples.len()) {
                    decoded.text = kept;
                    repeats_removed = true;
                }
            }
        }

        let Decoded {
            text,
            confidence,
            no_speech_probability,
            ..
        } = decoded;
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
            redecoded,
            repeats_removed,
            windows: 1,
        })
    }

    /// One `whisper_full` run over `samples` (already padded), its fallback starting at
    /// `temperature`, the encoder running over `window`.
    fn decode(
        &self,
        samples: &[f32],
        temperature: f32,
        window: AudioWindow,
    ) -> Result<Decoded, ListenError> {
        let mut params = self
            .decoding
            .params(self.threads, samples.len(), temperature);
        if let (Decoding::Telephone, AudioWindow::Fit { min_frames }) = (self.decoding, window) {
            params.set_audio_ctx(audio_ctx_for(samples.len(), min_frames));
        }
        if let Some(prompt) = &self.prompt {
            params.set_initial_prompt(prompt);
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
        let confidence = if p_count > 0 {
            p_sum / p_count as f32
        } else {
            0.0
        };
        Ok(Decoded {
            text: text.trim().to_string(),
            confidence,
            no_speech_probability,
            text_tokens: p_count,
        })
    }
}

/// A decode that reads as a repetition loop: its text compresses more than 2.4 times, or it
/// ran into the token cap with a phrase repeated at its end.
fn looks_like_a_loop(decoded: &Decoded, samples: usize) -> bool {
    let capped = decoded.text_tokens >= crate::decoding::max_tokens(samples) as usize;
    compression_ratio(&decoded.text) > COMPRESSION_RATIO_THRESHOLD
        || (capped && collapse_repeats(&decoded.text).is_some())
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
