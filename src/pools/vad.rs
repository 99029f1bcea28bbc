//! The per-call listener thread: decoded caller audio in, Silero VAD plus endpointing, utterances out.

use std::path::Path;
use std::time::Instant;

use hotline_listen::SileroVad;
use hotline_media::{EndpointEvent, Endpointer, EndpointerConfig};
use tokio::sync::mpsc;

use super::early_turn::{PauseSignal, PauseWatch};
use super::quiet_gate::{GateDecision, QuietGate};
use crate::error::HotlineError;

/// Silero's window at 8 kHz.
const VAD_CHUNK: usize = 256;

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
        endpoint_wait: std::time::Duration,
    },
    Failed(String),
}

/// Starts the listener for one call; dropping the returned sender stops it.
pub fn spawn_listener(
    vad_model: &Path,
    config: EndpointerConfig,
    early_pause: std::time::Duration,
    events: mpsc::UnboundedSender<ListenerEvent>,
) -> Result<std::sync::mpsc::Sender<Vec<f32>>, HotlineError> {
    let mut vad = SileroVad::load(vad_model)?;
    let chunk_time =
        std::time::Duration::from_secs_f64(VAD_CHUNK as f64 / f64::from(config.sample_rate));
    let mut pauses = PauseWatch::new(early_pause, config.end_threshold, chunk_time);
    let (audio_in, audio) = std::sync::mpsc::channel::<Vec<f32>>();
    std::thread::Builder::new()
        .name("listener".into())
        .spawn(move || {
            let mut endpointer = Endpointer::new(config);
            let mut gate = QuietGate::new();
            let mut pending: Vec<f32> = Vec::with_capacity(VAD_CHUNK * 2);
            while let Ok(frame) = audio.recv() {
                pending.extend_from_slice(&frame);
                while pending.len() >= VAD_CHUNK {
                    let chunk: Vec<f32> = pending.drain(..VAD_CHUNK).collect();
                    let level = hotline_media::rms_dbfs(&chunk);
                    let p = match gate.window(level) {
                        GateDecision::Run => match vad.speech_probability(&chunk) {
                            Ok(p) => p,
                            Err(e) => {
                                let _ = events.send(ListenerEvent::Failed(e.to_string()));
                                return;
                            }
                        },
                        GateDecision::Skip => 0.0,
                        GateDecision::SkipAndReset => {
                            vad.reset();
                            0.0
                        }
                    };
                    let out = match endpointer.push(&chunk, p) {
                        Some(EndpointEvent::SpeechStarted { .. }) => ListenerEvent::SpeechStarted,
                        Some(EndpointEvent::Utterance {
                            samples,
                            ended,
                            speech_end,
                            ..
                        }) => ListenerEvent::Utterance {
                            pause: pauses.turn_ended(),
                            samples,
                            decided_at: Instant::now(),
                            endpoint_wait: ended.saturating_sub(speech_end),
                        },
                        None => match pauses.on_chunk(endpointer.is_speaking(), p) {
                            Some(PauseSignal::Pause(pause)) => ListenerEvent::Paused {
                                pause,
                                samples: endpointer.utterance_so_far().to_vec(),
                            },
                            Some(PauseSignal::Resumed(pause)) => ListenerEvent::Resumed { pause },
                            None => continue,
                        },
                    };
                    if events.send(out).is_err() {
                        return;
                    }
                }
            }
            tracing::debug!(
                "listener: the line was quiet for {} VAD windows, which Silero did not have to see",
                gate.skipped()
            );
        })
        .map_err(|source| HotlineError::Io {
            path: "listener thread".into(),
            source,
        })?;
    Ok(audio_in)
}
