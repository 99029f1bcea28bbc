//! The caller's mood through one call: each turn's words, repetition, failures and voice are
//! weighed into anger evidence, and evidence is smoothed across turns into an anger level.
//!
//! Combination: every cue has a weight w in 0..1 (see [`MoodConfig`]); a turn's evidence is
//! `1 - Π(1 - w)` (independent signals, so two moderate cues outweigh one and nothing exceeds
//! 1). The anger level carries part of the previous level forward:
//! `anger = 1 - (1 - evidence) * (1 - memory * previous_anger)`, so anger never falls below the
//! turn's own evidence, rises when signals accumulate, and halves per calm turn.

use std::collections::BTreeSet;
use std::sync::Arc;

use hotline_media::PitchRange;

use crate::abuse::{find_abuse, Abuse};
use crate::cue::{Cue, Signal};
use crate::lexicon::Lexicon;
use crate::phrases::find_frustration;
use crate::repetition::{content_words, similarity};
use crate::sentiment::score_text;
use crate::voice::{voice_features, VoiceBaseline, VoiceFeatures};
use crate::words::normalised_words;

/// Weights and thresholds of the anger score. Weights are each cue's contribution to the turn's
/// evidence on their own (0..1).
#[derive(Clone, Debug, PartialEq)]
pub struct MoodConfig {
    /// Weight of negative words at compound -1, scaled by -compound (0.5).
    pub negative_words: f32,
    /// Compound below which words count as negative (-0.05).
    pub negative_floor: f32,
    /// An insult aimed at the agent: "you are useless", "shut up" (0.75).
    pub directed_insult: f32,
    /// An insult aimed at a thing: "this app is useless" (0.3).
    pub insult: f32,
    /// Strong profanity (0.55).
    pub strong_profanity: f32,
    /// Mild swearing: "damn", "bloody" (0.2; such words are usually negative in the lexicon too).
    pub mild_profanity: f32,
    /// A frustration phrase, times the phrase's strength 0.7..1 (0.45).
    pub frustration: f32,
    /// Each earlier turn this one repeats: 1, 2, 3 repeats weigh 0.25, 0.44, 0.58 (0.25).
    pub repetition: f32,
    /// Content-word overlap (Jaccard) at which a turn repeats an earlier one (0.6).
    pub repetition_similarity: f32,
    /// Content words both turns need before they can count as a repeat (2).
    pub repetition_min_words: usize,
    /// Per consecutive failed turn after the first: 2, 3, 4 weigh 0.15, 0.3, 0.45 (0.15).
    pub failure: f32,
    /// Cap of the failure weight (0.5).
    pub max_failure: f32,
    /// Louder than the caller's baseline by more than this counts, dB (6).
    pub louder_db: f32,
    /// Weight just above `louder_db` (0.4), rising linearly to `max_louder` 6 dB further (0.7).
    pub louder: f32,
    /// See `louder`.
    pub max_louder: f32,
    /// Pitch above the caller's baseline by more than this ratio counts (1.2).
    pub higher_pitch_ratio: f32,
    /// Weight just above `higher_pitch_ratio` (0.25), rising to `max_higher_pitch` at +0.3 (0.5).
    pub higher_pitch: f32,
    /// See `higher_pitch`.
    pub max_higher_pitch: f32,
    /// Share of the previous anger level carried into the next turn (0.5).
    pub memory: f32,
    /// Pitch search range and voicing decision used to find voiced frames.
    pub pitch_range: PitchRange,
}

impl Default for MoodConfig {
    fn default() -> Self {
        MoodConfig {
            negative_words: 0.5,
            negative_floor: -0.05,
            directed_insult: 0.75,
            insult: 0.3,
            strong_profanity: 0.55,
            mild_profanity: 0.2,
            frustration: 0.45,
            repetition: 0.25,
            repetition_similarity: 0.6,
            repetition_min_words: 2,
            failure: 0.15,
            max_failure: 0.5,
            louder_db: 6.0,
            louder: 0.4,
            max_louder: 0.7,
            higher_pitch_ratio: 1.2,
            higher_pitch: 0.25,
            max_higher_pitch: 0.5,
            memory: 0.5,
            pitch_range: PitchRange::default(),
        }
    }
}

/// What the caller did in one turn.
#[derive(Clone, Copy, Debug)]
pub struct TurnObservation<'a> {
    /// The transcript of what they said (empty for no input).
    pub text: &'a str,
    /// Their utterance as 8 kHz samples in -1..1, if the audio is at hand.
    pub audio_8k: Option<&'a [f32]>,
    /// Consecutive failed turns (no match or no input) up to and including this one.
    pub failures_in_a_row: u32,
}

/// The caller's mood after one turn.
#[derive(Clone, Debug, PartialEq)]
pub struct MoodReading {
    /// Sentiment of this turn's words, -1..1 (VADER compound).
    pub sentiment: f32,
    /// Anger level after this turn, 0..1, smoothed across turns.
    pub anger: f32,
    /// This turn's own anger evidence, 0..1, before smoothing.
    pub evidence: f32,
    /// The signals that fired in this turn, with their weights.
    pub cues: Vec<Cue>,
    /// The voice measurements of this turn, when audio with enough voice was given.
    pub voice: Option<VoiceFeatures>,
}

/// Tracks one caller's mood through a call; create one per call.
#[derive(Clone, Debug)]
pub struct MoodTracker {
    lexicon: Arc<Lexicon>,
    config: MoodConfig,
    baseline: VoiceBaseline,
    earlier_turns: Vec<BTreeSet<String>>,
    history: Vec<MoodReading>,
}

/// Linear ramp from `low` at `x = 0` to `high` at `x = 1`, clamped.
fn ramp(low: f32, high: f32, x: f32) -> f32 {
    low + (high - low) * x.clamp(0.0, 1.0)
}

impl MoodTracker {
    /// A tracker for a new call, sharing the sentiment lexicon loaded once at start-up.
    pub fn new(lexicon: Arc<Lexicon>, config: MoodConfig) -> Self {
        MoodTracker {
            lexicon,
            config,
            baseline: VoiceBaseline::default(),
            earlier_turns: Vec::new(),
            history: Vec::new(),
        }
    }

    /// Weighs one turn, records it and returns the reading.
    pub fn observe(&mut self, turn: TurnObservation<'_>) -> MoodReading {
        let config = &self.config;
        let score = score_text(&self.lexicon, turn.text);
        let words = normalised_words(turn.text);
        let mut signals: Vec<(Signal, f32)> = Vec::new();

        if score.compound < config.negative_floor {
            let weight = config.negative_words * -score.compound;
            signals.push((
                Signal::NegativeWords {
                    compound: score.compound,
                },
                weight,
            ));
        }
        for abuse in find_abuse(&words) {
            signals.push(match abuse {
                Abuse::Insult { word, directed } => {
                    let weight = if directed {
                        config.directed_insult
                    } else {
                        config.insult
                    };
                    (Signal::Insult { word, directed }, weight)
                }
                Abuse::Profanity { word, strong } => {
                    let weight = if strong {
                        config.strong_profanity
                    } else {
                        config.mild_profanity
                    };
                    (Signal::Profanity { word, strong }, weight)
                }
            });
        }
        for (phrase, strength) in find_frustration(&words) {
            signals.push((
                Signal::Frustration { phrase },
                config.frustration * strength,
            ));
        }

        let content = content_words(&words);
        let overlaps: Vec<f32> = self
            .earlier_turns
            .iter()
            .map(|earlier| similarity(&content, earlier, config.repetition_min_words))
            .filter(|s| *s >= config.repetition_similarity)
            .collect();
        if !overlaps.is_empty() {
            let repeats = overlaps.len() as u32;
            let weight = 1.0 - (1.0 - config.repetition.clamp(0.0, 1.0)).powi(repeats as i32);
            let similarity = overlaps.iter().copied().fold(0.0, f32::max);
            signals.push((
                Signal::Repetition {
                    earlier_turns: repeats,
                    similarity,
                },
                weight,
            ));
        }
        self.earlier_turns.push(content);

        if turn.failures_in_a_row >= 2 {
            let weight =
                (config.failure * (turn.failures_in_a_row - 1) as f32).min(config.max_failure);
            signals.push((
                Signal::Failures {
                    in_a_row: turn.failures_in_a_row,
                },
                weight,
            ));
        }

        let voice = turn
            .audio_8k
            .and_then(|audio| voice_features(audio, &config.pitch_range));
        if let Some(features) = &voice {
            let shift = self
                .baseline
                .shift(features, config.louder_db, config.higher_pitch_ratio);
            if let Some(shift) = shift {
                if shift.louder_db > shift.louder_threshold_db {
                    let over = (shift.louder_db - shift.louder_threshold_db) / 6.0;
                    signals.push((
                        Signal::Louder {
                            db_above_baseline: shift.louder_db,
                        },
                        ramp(config.louder, config.max_louder, over),
                    ));
                }
                if shift.pitch_ratio > shift.pitch_threshold {
                    let over = (shift.pitch_ratio - shift.pitch_threshold) / 0.3;
                    signals.push((
                        Signal::HigherPitch {
                            ratio: shift.pitch_ratio,
                        },
                        ramp(config.higher_pitch, config.max_higher_pitch, over),
                    ));
                }
            }
            self.baseline.learn(features);
        }

        let cues: Vec<Cue> = signals
            .into_iter()
            .map(|(signal, weight)| Cue {
                signal,
                weight: weight.clamp(0.0, 1.0),
            })
            .collect();
        let evidence = 1.0 - cues.iter().map(|c| 1.0 - c.weight).product::<f32>();
        let carried = config.memory.clamp(0.0, 1.0) * self.anger();
        let anger = (1.0 - (1.0 - evidence) * (1.0 - carried)).clamp(0.0, 1.0);
        let reading = MoodReading {
            sentiment: score.compound,
            anger,
            evidence,
            cues,
            voice,
        };
        self.history.push(reading.clone());
        reading
    }

    /// The anger level after the latest turn (0 before the first).
    pub fn anger(&self) -> f32 {
        self.history.last().map_or(0.0, |r| r.anger)
    }

    /// Every reading of the call so far, oldest first.
    pub fn history(&self) -> &[MoodReading] {
        &self.history
    }

    /// The caller's voice baseline learnt so far.
    pub fn baseline(&self) -> &VoiceBaseline {
        &self.baseline
    }
}
