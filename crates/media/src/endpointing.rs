//! Cuts the caller's audio into utterances for speech recognition, from one voice-activity
//! probability per chunk (the VAD model lives elsewhere): hysteresis thresholds, a minimum speech
//! length against clicks and coughs, an end-of-turn silence, pre-roll and a maximum length.

use std::collections::VecDeque;
use std::time::Duration;

/// Tuning of the [`Endpointer`].
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointerConfig {
    /// Probability at or above which a chunk may start speech (0.5).
    pub start_threshold: f32,
    /// Probability below which a chunk counts as silence once speech started (0.35).
    pub end_threshold: f32,
    /// Speech shorter than this is ignored (200 ms).
    pub min_speech: Duration,
    /// Silence that ends an utterance (600 ms; raise it for callers who pause while thinking).
    pub end_silence: Duration,
    /// Audio kept from before the speech start, so that soft onsets reach the recogniser (300 ms).
    pub pre_roll: Duration,
    /// Longest utterance, pre-roll included: longer speech is cut into several (120 s, a bound
    /// on memory: the recogniser takes any length, in windows of at most 30 s).
    pub max_utterance: Duration,
    /// Sample rate of the chunks (8000).
    pub sample_rate: u32,
}

impl Default for EndpointerConfig {
    fn default() -> Self {
        EndpointerConfig {
            start_threshold: 0.5,
            end_threshold: 0.35,
            min_speech: Duration::from_millis(200),
            end_silence: Duration::from_millis(600),
            pre_roll: Duration::from_millis(300),
            max_utterance: Duration::from_secs(120),
            sample_rate: 8000,
        }
    }
}

/// What the endpointer noticed in a chunk. Times count from the first sample pushed.
#[derive(Clone, Debug, PartialEq)]
pub enum EndpointEvent {
    /// Speech lasted `min_speech`: the caller is talking (use it to stop playback on barge-in).
    SpeechStarted {
        /// When the speech began (the first chunk above the start threshold).
        at: Duration,
    },
    /// A finished utterance for the recogniser.
    Utterance {
        /// Audio from `started` to `ended`: pre-roll, speech and the trailing silence.
        samples: Vec<f32>,
        /// Time of the first sample (the speech start minus the pre-roll).
        started: Duration,
        /// Time just after the last sample.
        ended: Duration,
        /// When speech actually stopped, before the end-of-turn silence (equals `ended` on a
        /// `max_utterance` cut during speech).
        speech_end: Duration,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No speech: recent audio is kept as pre-roll.
    Silence,
    /// Possible speech starting at this sample, not yet `min_speech` long.
    Onset { speech_start: u64 },
    /// Confirmed speech; the last speech chunk ended at `speech_end`.
    Speech { speech_end: u64 },
}

/// The speech segmentation state machine. Feed consecutive chunks with their speech probability.
#[derive(Clone, Debug)]
pub struct Endpointer {
    config: EndpointerConfig,
    phase: Phase,
    /// Samples pushed so far: the clock.
    position: u64,
    pre_roll: VecDeque<f32>,
    utterance: Vec<f32>,
    /// Sample index of `utterance[0]`.
    utterance_start: u64,
}

impl Endpointer {
    /// An endpointer in silence at time zero.
    pub fn new(config: EndpointerConfig) -> Self {
        let config = EndpointerConfig {
            sample_rate: config.sample_rate.max(1),
            ..config
        };
        Endpointer {
            config,
            phase: Phase::Silence,
            position: 0,
            pre_roll: VecDeque::new(),
            utterance: Vec::new(),
            utterance_start: 0,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &EndpointerConfig {
        &self.config
    }

    /// Changes the end-of-turn silence, also for the utterance in progress.
    pub fn set_end_silence(&mut self, end_silence: Duration) {
        self.config.end_silence = end_silence;
    }

    /// True once speech is confirmed and until its utterance is handed out.
    pub fn is_speaking(&self) -> bool {
        matches!(self.phase, Phase::Speech { .. })
    }

    /// The utterance in progress as it would be handed out now: pre-roll and speech so far
    /// (empty while silent). Early transcription uses it, so it hears the same start as the final one.
    pub fn utterance_so_far(&self) -> &[f32] {
        match self.phase {
            Phase::Silence => &[],
            _ => &self.utterance,
        }
    }

    /// Time of the end of the audio pushed so far.
    pub fn position(&self) -> Duration {
        self.time(self.position)
    }

    /// Drops any speech in progress and the pre-roll; the clock keeps counting.
    pub fn reset(&mut self) {
        self.phase = Phase::Silence;
        self.pre_roll.clear();
        self.utterance.clear();
    }

    /// Feeds the next chunk and the VAD's speech probability for it.
    pub fn push(&mut self, chunk: &[f32], speech_probability: f32) -> Option<EndpointEvent> {
        let chunk_start = self.position;
        let chunk_end = chunk_start + chunk.len() as u64;
        self.position = chunk_end;
        let is_speech = speech_probability >= self.config.end_threshold;
        match self.phase {
            Phase::Silence => {
                if speech_probability >= self.config.start_threshold {
                    self.utterance.clear();
                    self.utterance.extend(self.pre_roll.drain(..));
                    self.utterance_start = chunk_start - self.utterance.len() as u64;
                    self.utterance.extend_from_slice(chunk);
                    self.phase = Phase::Onset {
                        speech_start: chunk_start,
                    };
                    return self.confirm_onset(chunk_start, chunk_end);
                }
                self.keep_pre_roll(chunk);
                None
            }
            Phase::Onset { speech_start } => {
                self.utterance.extend_from_slice(chunk);
                if is_speech {
                    return self.confirm_onset(speech_start, chunk_end);
                }
                // Too short to be speech: everything heard becomes pre-roll again.
                let heard = std::mem::take(&mut self.utterance);
                self.keep_pre_roll(&heard);
                self.phase = Phase::Silence;
                None
            }
            Phase::Speech { speech_end } => {
                self.utterance.extend_from_slice(chunk);
                let speech_end = if is_speech { chunk_end } else { speech_end };
                self.phase = Phase::Speech { speech_end };
                if chunk_end - speech_end >= self.samples(self.config.end_silence) {
                    self.phase = Phase::Silence;
                    return Some(self.hand_out(chunk_end, speech_end));
                }
                if self.utterance.len() as u64 >= self.samples(self.config.max_utterance).max(1) {
                    let event = self.hand_out(chunk_end, speech_end);
                    // Still talking: the next utterance continues without pre-roll.
                    self.phase = if is_speech {
                        Phase::Speech {
                            speech_end: chunk_end,
                        }
                    } else {
                        Phase::Silence
                    };
                    self.utterance_start = chunk_end;
                    return Some(event);
                }
                None
            }
        }
    }

    fn confirm_onset(&mut self, speech_start: u64, chunk_end: u64) -> Option<EndpointEvent> {
        if chunk_end - speech_start < self.samples(self.config.min_speech) {
            return None;
        }
        self.phase = Phase::Speech {
            speech_end: chunk_end,
        };
        Some(EndpointEvent::SpeechStarted {
            at: self.time(speech_start),
        })
    }

    fn hand_out(&mut self, ended: u64, speech_end: u64) -> EndpointEvent {
        EndpointEvent::Utterance {
            samples: std::mem::take(&mut self.utterance),
            started: self.time(self.utterance_start),
            ended: self.time(ended),
            speech_end: self.time(speech_end),
        }
    }

    fn keep_pre_roll(&mut self, samples: &[f32]) {
        let limit = self.samples(self.config.pre_roll) as usize;
        let skip = samples.len().saturating_sub(limit);
        self.pre_roll.extend(&samples[skip..]);
        let excess = self.pre_roll.len().saturating_sub(limit);
        self.pre_roll.drain(..excess);
    }

    fn samples(&self, duration: Duration) -> u64 {
        let samples = duration.as_nanos() * u128::from(self.config.sample_rate) / 1_000_000_000;
        u64::try_from(samples).unwrap_or(u64::MAX)
    }

    fn time(&self, samples: u64) -> Duration {
        let nanos = u128::from(samples) * 1_000_000_000 / u128::from(self.config.sample_rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20 ms chunks at 8 kHz; every sample of chunk i holds the value i, to trace audio.
    const CHUNK: usize = 160;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    /// Pushes chunks with the given (probability, count) runs; returns (chunk index, event) pairs.
    fn run(endpointer: &mut Endpointer, script: &[(f32, usize)]) -> Vec<(usize, EndpointEvent)> {
        let mut index = (endpointer.position().as_millis() / 20) as usize;
        let mut events = Vec::new();
        for &(probability, count) in script {
            for _ in 0..count {
                let chunk = vec![index as f32; CHUNK];
                if let Some(event) = endpointer.push(&chunk, probability) {
                    events.push((index, event));
                }
                index += 1;
            }
        }
        events
    }

    fn utterance(event: &EndpointEvent) -> (&[f32], Duration, Duration, Duration) {
        match event {
            EndpointEvent::Utterance {
                samples,
                started,
                ended,
                speech_end,
            } => (samples, *started, *ended, *speech_end),
            other => panic!("expected an utterance, got {other:?}"),
        }
    }

    #[test]
    fn the_utterance_so_far_starts_with_the_same_pre_roll_as_the_finished_one() {
        let mut endpointer = Endpointer::new(EndpointerConfig::default());
        assert!(endpointer.utterance_so_far().is_empty());
        // 1 s silence, then 400 ms of speech: still talking.
        run(&mut endpointer, &[(0.05, 50), (0.9, 20)]);
        let so_far: Vec<f32> = endpointer
            .utterance_so_far()
            .chunks(CHUNK)
            .map(|c| c[0])
            .collect();
        // 300 ms of pre-roll (chunks 35..50), then the speech.
        assert_eq!(so_far, (35..70).map(|i| i as f32).collect::<Vec<_>>());
        let events = run(&mut endpointer, &[(0.1, 40)]);
        let (samples, ..) = utterance(&events[0].1);
        assert_eq!(
            samples[..so_far.len() * CHUNK]
                .chunks(CHUNK)
                .map(|c| c[0])
                .collect::<Vec<_>>(),
            so_far
        );
        assert!(endpointer.utterance_so_far().is_empty());
    }

    #[test]
    fn speech_then_silence_gives_one_utterance_with_pre_roll() {
        let mut endpointer = Endpointer::new(EndpointerConfig::default());
        // 1 s silence, 800 ms speech, 800 ms silence.
        let events = run(&mut endpointer, &[(0.05, 50), (0.9, 40), (0.1, 40)]);
        assert_eq!(events.len(), 2, "{events:?}");
        // Confirmed after 200 ms of speech, dated at the speech start.
        assert_eq!(
            events[0],
            (59, EndpointEvent::SpeechStarted { at: ms(1000) })
        );
        // The end is noticed 600 ms after the last speech chunk.
        let (index, ref event) = events[1];
        assert_eq!(index, 119);
        let (samples, started, ended, speech_end) = utterance(event);
        assert_eq!((started, ended, speech_end), (ms(700), ms(2400), ms(1800)));
        assert_eq!(samples.len(), 85 * CHUNK);
        // The pre-roll holds the 15 chunks before the speech, then everything up to the end.
        let chunk_values: Vec<f32> = samples.chunks(CHUNK).map(|c| c[0]).collect();
        assert_eq!(
            chunk_values,
            (35..120).map(|i| i as f32).collect::<Vec<_>>()
        );
        assert!(!endpointer.is_speaking());
    }

    #[test]
    fn short_blips_are_ignored() {
        let mut endpointer = Endpointer::new(EndpointerConfig::default());
        // 180 ms coughs separated by silence, and a 0.45 hum that never reaches the start threshold.
        let events = run(
            &mut endpointer,
            &[
                (0.0, 20),
                (0.95, 9),
                (0.0, 20),
                (0.8, 9),
                (0.2, 5),
                (0.45, 100),
                (0.0, 40),
            ],
        );
        assert!(events.is_empty(), "{events:?}");
        assert!(!endpointer.is_speaking());
    }

    #[test]
    fn a_blip_just_before_speech_stays_in_the_pre_roll() {
        let mut endpointer = Endpointer::new(EndpointerConfig::default());
        let events = run(
            &mut endpointer,
            &[(0.0, 30), (0.9, 3), (0.0, 2), (0.9, 20), (0.0, 30)],
        );
        assert_eq!(events[0].1, EndpointEvent::SpeechStarted { at: ms(700) });
        let (samples, started, _, _) = utterance(&events[1].1);
        assert_eq!(started, ms(400));
        assert_eq!(samples[0], 20.0);
    }

    #[test]
    fn pauses_shorter_than_the_end_silence_do_not_split() {
        let mut endpointer = Endpointer::new(EndpointerConfig::default());
        // Speech, a 580 ms pause (with a 0.4 murmur that keeps speech alive), speech, silence.
        let events = run(
            &mut endpointer,
            &[
                (0.0, 20),
                (0.9, 20),
                (0.1, 29),
                (0.4, 1),
                (0.1, 28),
                (0.9, 20),
                (0.0, 30),
            ],
        );
        let utterances: Vec<_> = events
            .iter()
            .filter(|(_, e)| matches!(e, EndpointEvent::Utterance { .. }))
            .collect();
        assert_eq!(utterances.len(), 1, "{events:?}");
        let (samples, started, ended, speech_end) = utterance(&utterances[0].1);
        assert_eq!(started, ms(100));
        assert_eq!(speech_end, ms(2360));
        assert_eq!(ended, speech_end + ms(600));
        assert_eq!(samples.len() as u128, (ended - started).as_millis() * 8);
        // Only one SpeechStarted for the whole turn.
        assert_eq!(
            events
                .iter()
                .filter(|(_, e)| matches!(e, EndpointEvent::SpeechStarted { .. }))
                .count(),
            1
        );
    }

    #[test]
    fn a_longer_end_silence_keeps_a_pause_inside_the_turn() {
        let script = [(0.0, 20), (0.9, 20), (0.0, 40), (0.9, 20), (0.0, 60)];
        let count = |events: &[(usize, EndpointEvent)]| {
            events
                .iter()
                .filter(|(_, e)| matches!(e, EndpointEvent::Utterance { .. }))
                .count()
        };
        let mut default = Endpointer::new(EndpointerConfig::default());
        assert_eq!(count(&run(&mut default, &script)), 2);
        let mut patient = Endpointer::new(EndpointerConfig::default());
        patient.set_end_silence(ms(1000));
        assert_eq!(count(&run(&mut patient, &script)), 1);
    }

    #[test]
    fn max_utterance_forces_a_cut_and_speech_continues() {
        let config = EndpointerConfig {
            max_utterance: ms(2000),
            ..EndpointerConfig::default()
        };
        let mut endpointer = Endpointer::new(config);
        // 1 s silence then 5 s of uninterrupted speech, then silence.
        let events = run(&mut endpointer, &[(0.0, 50), (0.9, 250), (0.0, 40)]);
        let utterances: Vec<_> = events
            .iter()
            .filter(|(_, e)| matches!(e, EndpointEvent::Utterance { .. }))
            .map(|(_, e)| utterance(e))
            .collect();
        assert_eq!(utterances.len(), 3, "{events:?}");
        // First: 300 ms pre-roll + 1.7 s speech; second: the next 2 s; third: the rest plus the silence.
        assert_eq!(
            (utterances[0].1, utterances[0].2, utterances[0].3),
            (ms(700), ms(2700), ms(2700))
        );
        assert_eq!(
            (utterances[1].1, utterances[1].2, utterances[1].3),
            (ms(2700), ms(4700), ms(4700))
        );
        assert_eq!(
            (utterances[2].1, utterances[2].2, utterances[2].3),
            (ms(4700), ms(6600), ms(6000))
        );
        for (samples, started, ended, _) in &utterances {
            assert_eq!(samples.len() as u128, (*ended - *started).as_millis() * 8);
        }
        // The cut does not announce a new start: the caller never stopped talking.
        assert_eq!(
            events
                .iter()
                .filter(|(_, e)| matches!(e, EndpointEvent::SpeechStarted { .. }))
                .count(),
            1
        );
    }

    #[test]
    fn pre_roll_is_limited_to_the_audio_heard() {
        let mut endpointer = Endpointer::new(EndpointerConfig::default());
        let events = run(&mut endpointer, &[(0.0, 5), (0.9, 20), (0.0, 30)]);
        let (samples, started, _, _) = utterance(&events[1].1);
        assert_eq!(started, Duration::ZERO);
        assert_eq!(samples.len(), 55 * CHUNK);
    }

    #[test]
    fn reset_drops_speech_in_progress() {
        let mut endpointer = Endpointer::new(EndpointerConfig::default());
        let events = run(&mut endpointer, &[(0.0, 10), (0.9, 20)]);
        assert_eq!(events.len(), 1);
        assert!(endpointer.is_speaking());
        endpointer.reset();
        assert!(!endpointer.is_speaking());
        let events = run(&mut endpointer, &[(0.0, 40)]);
        assert!(events.is_empty());
        assert_eq!(endpointer.position(), ms(1400));
    }
}
