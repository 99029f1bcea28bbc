//! A call's listener: decoded caller audio in, gated Silero VAD plus endpointing, utterances out.
//!
//! It runs on the call's own task, frame by frame, with no thread or channel of its own: a quiet
//! window costs a level check (see `hotline_listen::GatedVad`), and a window the gate lets
//! through costs one run of the process's shared Silero model, a fraction of a millisecond.
//! Per call it holds Silero's state, a few windows of lead-in, the endpointer's pre-roll and the
//! utterance being spoken.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_listen::{GatedVad, SileroModel, VAD_CHUNK_8K};
use hotline_media::{EndpointEvent, Endpointer, EndpointerConfig, SpeechGateConfig};

use super::early_turn::{PauseSignal, PauseWatch};

#[derive(Debug)]
pub enum ListenerEvent {
    SpeechStarted,
    /// The caller paused: what was said so far, to transcribe ahead of the end of the turn.
    Paused {
        pause: u64,
        samples: Vec<f32>,
    },
    /// The caller went on after that pause.
    Resumed {
        pause: u64,
    },
    Utterance {
        /// The pause whose audio this turn is, when the caller did not speak after it.
        pause: Option<u64>,
        samples: Vec<f32>,
        /// When the endpointer decided the turn was over.
        decided_at: Instant,
        /// How long after the last speech that was (the end-of-speech silence wait).
        endpoint_wait: Duration,
    },
    Failed(String),
}

/// One call's listener. Feed it every frame of caller audio with [`Listener::hear`].
pub struct Listener {
    vad: GatedVad,
    endpointer: Endpointer,
    pauses: PauseWatch,
    /// Audio not yet making a whole VAD window.
    pending: Vec<f32>,
    /// The model failed once: the call is no longer listened to.
    failed: bool,
}

impl Listener {
    pub fn new(model: &Arc<SileroModel>, config: EndpointerConfig, early_pause: Duration) -> Self {
        let chunk_time =
            Duration::from_secs_f64(VAD_CHUNK_8K as f64 / f64::from(config.sample_rate.max(1)));
        Listener {
            vad: GatedVad::new(model.stream(), SpeechGateConfig::default()),
            pauses: PauseWatch::new(early_pause, config.end_threshold, chunk_time),
            endpointer: Endpointer::new(config),
            pending: Vec::with_capacity(VAD_CHUNK_8K * 2),
            failed: false,
        }
    }

    /// Takes the next frame of 8 kHz caller audio heard at `now`; what it meant goes to `out`.
    pub fn hear(&mut self, frame: &[f32], now: Instant, out: &mut Vec<ListenerEvent>) {
        if self.failed {
            return;
        }
        self.pending.extend_from_slice(frame);
        while self.pending.len() >= VAD_CHUNK_8K {
            let window = &self.pending[..VAD_CHUNK_8K];
            let p = match self.vad.speech_probability(window) {
                Ok(p) => p,
                Err(e) => {
                    self.failed = true;
                    out.push(ListenerEvent::Failed(e.to_string()));
                    return;
                }
            };
            let event = match self.endpointer.push(window, p) {
                Some(EndpointEvent::SpeechStarted { .. }) => Some(ListenerEvent::SpeechStarted),
                Some(EndpointEvent::Utterance {
                    samples,
                    ended,
                    speech_end,
                    ..
                }) => Some(ListenerEvent::Utterance {
                    pause: self.pauses.turn_ended(),
                    samples,
                    decided_at: now,
                    endpoint_wait: ended.saturating_sub(speech_end),
                }),
                None => match self.pauses.on_chunk(self.endpointer.is_speaking(), p) {
                    Some(PauseSignal::Pause(pause)) => Some(ListenerEvent::Paused {
                        pause,
                        samples: self.endpointer.utterance_so_far().to_vec(),
                    }),
                    Some(PauseSignal::Resumed(pause)) => Some(ListenerEvent::Resumed { pause }),
                    None => None,
                },
            };
            out.extend(event);
            self.pending.drain(..VAD_CHUNK_8K);
        }
    }

    /// The utterance the caller is in the middle of (confirmed speech not yet ended), for a
    /// hang-up that cuts it off; `None` when they are not speaking.
    pub fn speech_in_progress(&self) -> Option<Vec<f32>> {
        self.endpointer
            .is_speaking()
            .then(|| self.endpointer.utterance_so_far().to_vec())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        tracing::debug!(
            "listener: Silero ran {} times for {} windows (the rest were too quiet to be speech)",
            self.vad.model_runs(),
            self.vad.windows()
        );
    }
}
