//! A Piper voice's `.onnx.json`: sample rate, espeak voice, inference scales and the
//! phoneme-to-id table, checked once at load.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::ConfigProblem;
use crate::SpeakError;

const PAD: char = '_';
const START: char = '^';
const END: char = '$';

#[derive(Debug, Deserialize)]
struct RawConfig {
    audio: RawAudio,
    #[serde(default)]
    espeak: Option<RawEspeak>,
    #[serde(default)]
    inference: RawInference,
    #[serde(default = "default_phoneme_type")]
    phoneme_type: String,
    phoneme_id_map: HashMap<String, Vec<i64>>,
    #[serde(default = "one")]
    num_speakers: u32,
}

#[derive(Debug, Deserialize)]
struct RawAudio {
    sample_rate: u32,
}

#[derive(Debug, Deserialize)]
struct RawEspeak {
    voice: String,
}

#[derive(Debug, Deserialize)]
struct RawInference {
    #[serde(default = "default_noise_scale")]
    noise_scale: f32,
    #[serde(default = "default_length_scale")]
    length_scale: f32,
    #[serde(default = "default_noise_w")]
    noise_w: f32,
}

impl Default for RawInference {
    fn default() -> Self {
        RawInference {
            noise_scale: default_noise_scale(),
            length_scale: default_length_scale(),
            noise_w: default_noise_w(),
        }
    }
}

fn default_phoneme_type() -> String {
    "espeak".to_string()
}
fn one() -> u32 {
    1
}
fn default_noise_scale() -> f32 {
    0.667
}
fn default_length_scale() -> f32 {
    1.0
}
fn default_noise_w() -> f32 {
    0.8
}

/// The model's three inference scales, in the order of its `scales` input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InferenceScales {
    /// Variation of the voice (`noise_scale`).
    pub noise_scale: f32,
    /// Speaking slowness: above 1 is slower (`length_scale`).
    pub length_scale: f32,
    /// Variation of phoneme durations (`noise_w`).
    pub noise_w: f32,
}

/// A validated voice config.
#[derive(Debug, Clone)]
pub struct VoiceConfig {
    /// Output sample rate in Hz.
    pub sample_rate: u32,
    /// espeak-ng voice name, e.g. `en-us`.
    pub espeak_voice: String,
    /// Default inference scales.
    pub scales: InferenceScales,
    /// Number of speakers; above 1 the model takes a `sid` input.
    pub num_speakers: u32,
    ids: HashMap<char, Vec<i64>>,
}

/// Phoneme ids for one utterance, and how many phonemes had no id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhonemeIds {
    /// `^ _ (phoneme _)* $` as ids.
    pub ids: Vec<i64>,
    /// Phonemes skipped because the voice has no id for them.
    pub unknown: usize,
}

impl VoiceConfig {
    /// Reads and validates a `.onnx.json`.
    pub fn load(path: &Path) -> Result<Self, SpeakError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpeakError::ConfigRead {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|error| match error {
            ParseError::Json(source) => SpeakError::ConfigParse {
                path: path.to_path_buf(),
                source,
            },
            ParseError::Invalid(problem) => SpeakError::ConfigInvalid {
                path: path.to_path_buf(),
                problem,
            },
        })
    }

    fn parse(text: &str) -> Result<Self, ParseError> {
        let raw: RawConfig = serde_json::from_str(text).map_err(ParseError::Json)?;
        if raw.phoneme_type != "espeak" {
            return Err(ParseError::Invalid(ConfigProblem::UnsupportedPhonemeType(
                raw.phoneme_type,
            )));
        }
        if raw.audio.sample_rate == 0 {
            return Err(ParseError::Invalid(ConfigProblem::ZeroSampleRate));
        }
        let espeak_voice = raw.espeak.map_or_else(|| "en-us".to_string(), |e| e.voice);
        if espeak_voice.is_empty()
            || espeak_voice.starts_with('-')
            || espeak_voice.contains(char::is_whitespace)
        {
            return Err(ParseError::Invalid(ConfigProblem::BadEspeakVoice(
                espeak_voice,
            )));
        }
        let mut ids = HashMap::with_capacity(raw.phoneme_id_map.len());
        for (key, value) in raw.phoneme_id_map {
            let mut chars = key.chars();
            let (Some(phoneme), None) = (chars.next(), chars.next()) else {
                return Err(ParseError::Invalid(ConfigProblem::MultiCharacterPhoneme(
                    key,
                )));
            };
            if value.is_empty() {
                return Err(ParseError::Invalid(ConfigProblem::EmptyIdList(phoneme)));
            }
            ids.insert(phoneme, value);
        }
        for control in [PAD, START, END] {
            if !ids.contains_key(&control) {
                return Err(ParseError::Invalid(ConfigProblem::MissingControlSymbol(
                    control,
                )));
            }
        }
        Ok(VoiceConfig {
            sample_rate: raw.audio.sample_rate,
            espeak_voice,
            scales: InferenceScales {
                noise_scale: raw.inference.noise_scale,
                length_scale: raw.inference.length_scale,
                noise_w: raw.inference.noise_w,
            },
            num_speakers: raw.num_speakers.max(1),
            ids,
        })
    }

    /// Maps a phoneme string to model ids: start `^`, pad `_`, then each phoneme's ids
    /// followed by a pad, then end `$`. Phonemes the voice lacks are skipped and counted.
    pub fn phoneme_ids(&self, phonemes: &str) -> PhonemeIds {
        let control = |c: char| self.ids.get(&c).map_or(&[][..], Vec::as_slice);
        let mut ids = Vec::with_capacity(phonemes.chars().count() * 2 + 3);
        ids.extend_from_slice(control(START));
        ids.extend_from_slice(control(PAD));
        let mut unknown = 0;
        for phoneme in phonemes.chars() {
            match self.ids.get(&phoneme) {
                Some(phoneme_ids) => {
                    ids.extend_from_slice(phoneme_ids);
                    ids.extend_from_slice(control(PAD));
                }
                None => unknown += 1,
            }
        }
        ids.extend_from_slice(control(END));
        PhonemeIds { ids, unknown }
    }
}

enum ParseError {
    Json(serde_json::Error),
    Invalid(ConfigProblem),
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"{
        "audio": {"sample_rate": 16000},
        "espeak": {"voice": "en-gb"},
        "inference": {"noise_scale": 0.5, "length_scale": 1.2, "noise_w": 0.7},
        "phoneme_type": "espeak",
        "phoneme_id_map": {"_": [0], "^": [1], "$": [2], " ": [3], ",": [8], "a": [14], "b": [15, 16]},
        "num_speakers": 1
    }"#;

    fn parse(text: &str) -> Result<VoiceConfig, ConfigProblem> {
        VoiceConfig::parse(text).map_err(|e| match e {
            ParseError::Invalid(problem) => problem,
            ParseError::Json(json) => panic!("unexpected JSON error {json}"),
        })
    }

    #[test]
    fn reads_rate_voice_and_scales() {
        let config = parse(SMALL).expect("valid");
        assert_eq!(config.sample_rate, 16000);
        assert_eq!(config.espeak_voice, "en-gb");
        assert_eq!(config.scales.length_scale, 1.2);
        assert_eq!(config.num_speakers, 1);
    }

    #[test]
    fn ids_are_start_pad_then_phoneme_pad_pairs_then_end() {
        let config = parse(SMALL).expect("valid");
        let ids = config.phoneme_ids("a b,");
        assert_eq!(ids.ids, vec![1, 0, 14, 0, 3, 0, 15, 16, 0, 8, 0, 2]);
        assert_eq!(ids.unknown, 0);
    }

    #[test]
    fn unknown_phonemes_are_skipped_and_counted() {
        let config = parse(SMALL).expect("valid");
        let ids = config.phoneme_ids("aЖb");
        assert_eq!(ids.ids, vec![1, 0, 14, 0, 15, 16, 0, 2]);
        assert_eq!(ids.unknown, 1);
    }

    #[test]
    fn rejects_a_map_without_the_pad() {
        let text = SMALL.replace(r#""_": [0], "#, "");
        assert_eq!(
            parse(&text).err(),
            Some(ConfigProblem::MissingControlSymbol('_'))
        );
    }

    #[test]
    fn rejects_text_phoneme_voices_and_option_like_voice_names() {
        let text = SMALL.replace(r#""phoneme_type": "espeak""#, r#""phoneme_type": "text""#);
        assert_eq!(
            parse(&text).err(),
            Some(ConfigProblem::UnsupportedPhonemeType("text".into()))
        );
        let text = SMALL.replace(r#""voice": "en-gb""#, r#""voice": "--help""#);
        assert_eq!(
            parse(&text).err(),
            Some(ConfigProblem::BadEspeakVoice("--help".into()))
        );
    }

    #[test]
    fn rejects_multi_character_keys_and_zero_rate() {
        let text = SMALL.replace(r#""a": [14]"#, r#""ab": [14]"#);
        assert_eq!(
            parse(&text).err(),
            Some(ConfigProblem::MultiCharacterPhoneme("ab".into()))
        );
        let text = SMALL.replace("16000", "0");
        assert_eq!(parse(&text).err(), Some(ConfigProblem::ZeroSampleRate));
    }

    #[test]
    fn missing_file_and_bad_json_are_errors() {
        let missing = VoiceConfig::load(Path::new("/nonexistent/voice.onnx.json"));
        assert!(matches!(missing, Err(SpeakError::ConfigRead { .. })));
        assert!(matches!(
            VoiceConfig::parse("{not json"),
            Err(ParseError::Json(_))
        ));
    }
}
