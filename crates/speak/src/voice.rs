//! A loaded Piper voice: text in, audio samples out, on an ONNX Runtime session.

use std::path::Path;

use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;
use ort::value::Tensor;

use crate::config::{InferenceScales, PhonemeIds, VoiceConfig};
use crate::phonemes::Phonemizer;
use crate::text::{normalize_text, split_clauses, split_sentences};
use crate::SpeakError;

/// Silence put between sentences when one call to [`PiperVoice::synthesize`] gets several.
const SENTENCE_GAP_SECONDS: f32 = 0.2;
/// Output never reaches full scale, so G.711 encoding downstream has headroom.
const PEAK_LIMIT: f32 = 0.97;

/// A Piper voice ready to speak. One per worker thread: synthesis needs `&mut self`.
pub struct PiperVoice {
    session: Session,
    config: VoiceConfig,
    phonemizer: Phonemizer,
    scales: InferenceScales,
    speaker: u32,
    takes_speaker_id: bool,
}

impl std::fmt::Debug for PiperVoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiperVoice")
            .field("sample_rate", &self.config.sample_rate)
            .field("espeak_voice", &self.config.espeak_voice)
            .field("scales", &self.scales)
            .field("speaker", &self.speaker)
            .finish_non_exhaustive()
    }
}

impl PiperVoice {
    /// Loads a voice with one intra-op thread (see [`PiperVoice::load_with_threads`]).
    ///
    /// Needs `hotline_onnx::init` first.
    pub fn load(onnx: &Path, config_json: &Path) -> Result<Self, SpeakError> {
        Self::load_with_threads(onnx, config_json, 1)
    }

    /// Loads a voice whose session uses `intra_threads` threads inside each operator
    /// (0 lets ONNX Runtime use every core). Idle threads do not spin, so a pool of voices
    /// leaves CPU to speech recognition between sentences.
    pub fn load_with_threads(
        onnx: &Path,
        config_json: &Path,
        intra_threads: usize,
    ) -> Result<Self, SpeakError> {
        let config = VoiceConfig::load(config_json)?;
        let environment = hotline_onnx::environment()?;
        let model_error = |source: ort::Error| SpeakError::ModelLoad {
            path: onnx.to_path_buf(),
            source,
        };
        let option_error = |e: ort::Error<SessionBuilder>| model_error(e.into());
        let session = Session::builder(environment)
            .map_err(model_error)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(option_error)?
            .with_intra_threads(intra_threads)
            .map_err(option_error)?
            .with_inter_threads(1)
            .map_err(option_error)?
            .with_intra_op_spinning(false)
            .map_err(option_error)?
            .with_inter_op_spinning(false)
            .map_err(option_error)?
            .commit_from_file(onnx)
            .map_err(model_error)?;
        let takes_speaker_id = session.inputs().iter().any(|input| input.name() == "sid");
        Ok(PiperVoice {
            session,
            phonemizer: Phonemizer::new(&config.espeak_voice),
            scales: config.scales,
            config,
            speaker: 0,
            takes_speaker_id,
        })
    }

    /// Output sample rate in Hz (22,050 for medium voices).
    pub fn sample_rate(&self) -> u32 {
        self.config.sample_rate
    }

    /// The validated voice config.
    pub fn config(&self) -> &VoiceConfig {
        &self.config
    }

    /// Sets the scales used from now on (the config's `inference` values at load).
    pub fn set_scales(&mut self, scales: InferenceScales) {
        self.scales = scales;
    }

    /// Picks the speaker of a multi-speaker voice.
    pub fn set_speaker(&mut self, speaker: u32) -> Result<(), SpeakError> {
        if speaker >= self.config.num_speakers {
            return Err(SpeakError::NoSuchSpeaker {
                requested: speaker,
                available: self.config.num_speakers,
            });
        }
        self.speaker = speaker;
        Ok(())
    }

    /// Piper phoneme strings for `text`, one per sentence, after [`normalize_text`].
    pub fn phonemes(&self, text: &str) -> Result<Vec<String>, SpeakError> {
        split_sentences(&normalize_text(text))
            .iter()
            .map(|sentence| self.phonemizer.sentence_phonemes(&split_clauses(sentence)))
            .filter(|phonemes| phonemes.as_ref().map_or(true, |p| !p.is_empty()))
            .collect()
    }

    /// Model ids for a phoneme string (see [`VoiceConfig::phoneme_ids`]).
    pub fn phoneme_ids(&self, phonemes: &str) -> PhonemeIds {
        self.config.phoneme_ids(phonemes)
    }

    /// Speaks `text` (meant to be one sentence or clause, from [`crate::split_sentences`]) and
    /// returns mono samples in -1..1 at [`PiperVoice::sample_rate`]. Several sentences are
    /// spoken one after another with a short pause; text with nothing to say gives no samples.
    pub fn synthesize(&mut self, text: &str) -> Result<Vec<f32>, SpeakError> {
        let mut audio = Vec::new();
        let gap = (self.config.sample_rate as f32 * SENTENCE_GAP_SECONDS) as usize;
        for phonemes in self.phonemes(text)? {
            if !audio.is_empty() {
                audio.resize(audio.len() + gap, 0.0);
            }
            audio.extend(self.speak_phonemes(&phonemes)?);
        }
        Ok(audio)
    }

    /// Runs the model on one sentence's phoneme string.
    pub fn speak_phonemes(&mut self, phonemes: &str) -> Result<Vec<f32>, SpeakError> {
        let PhonemeIds { ids, unknown } = self.config.phoneme_ids(phonemes);
        if unknown > 0 {
            tracing::debug!(
                unknown,
                phonemes,
                "skipped phonemes the voice has no id for"
            );
        }
        let length = ids.len();
        let scales = vec![
            self.scales.noise_scale,
            self.scales.length_scale,
            self.scales.noise_w,
        ];
        let tensor_error = SpeakError::Inference;
        let input = Tensor::from_array(([1usize, length], ids)).map_err(tensor_error)?;
        let lengths = Tensor::from_array(([1usize], vec![length as i64])).map_err(tensor_error)?;
        let scales = Tensor::from_array(([3usize], scales)).map_err(tensor_error)?;
        let outputs = if self.takes_speaker_id {
            let sid = Tensor::from_array(([1usize], vec![i64::from(self.speaker)]))
                .map_err(tensor_error)?;
            self.session.run(ort::inputs![
                "input" => input, "input_lengths" => lengths, "scales" => scales, "sid" => sid
            ])
        } else {
            self.session
                .run(ort::inputs!["input" => input, "input_lengths" => lengths, "scales" => scales])
        }
        .map_err(SpeakError::Inference)?;
        let (_, samples) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(SpeakError::Inference)?;
        Ok(limit_peak(samples))
    }
}

/// Replaces non-finite samples with silence and scales the utterance down if its peak
/// passes [`PEAK_LIMIT`] (Piper's raw output can exceed 1).
fn limit_peak(samples: &[f32]) -> Vec<f32> {
    let mut audio: Vec<f32> = samples
        .iter()
        .map(|&s| if s.is_finite() { s } else { 0.0 })
        .collect();
    let peak = audio.iter().fold(0.0f32, |peak, s| peak.max(s.abs()));
    if peak > PEAK_LIMIT {
        let gain = PEAK_LIMIT / peak;
        audio.iter_mut().for_each(|s| *s *= gain);
    }
    audio
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loud_or_broken_output_is_tamed() {
        let audio = limit_peak(&[0.5, -2.0, f32::NAN, 1.0, f32::INFINITY]);
        assert_eq!(audio[2], 0.0);
        assert_eq!(audio[4], 0.0);
        assert!(audio.iter().all(|s| s.abs() <= PEAK_LIMIT));
        assert!(
            (audio[1] + PEAK_LIMIT).abs() < 1e-6,
            "the peak lands on the limit"
        );
        assert!((audio[0] / audio[1] + 0.25).abs() < 1e-6, "shape is kept");
    }

    #[test]
    fn quiet_output_is_left_alone() {
        assert_eq!(limit_peak(&[0.1, -0.2]), vec![0.1, -0.2]);
    }
}
