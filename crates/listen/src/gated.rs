//! Silero behind a level gate: a call's VAD that runs the model only on windows that could be
//! speech, so a quiet line costs a level check per 32 ms instead of a model run.
//!
//! The gate ([`hotline_media::SpeechGate`]) says which windows the model must hear. A skipped
//! window scores 0. The last few skipped windows are kept, and replayed to the model just
//! before the window that opens the gate, so Silero's recurrent state has heard the lead-in to
//! speech as it would have running all along (after a short pause, exactly the same audio).
//! The endpointer keeps its own audio pre-roll, so the utterance's start is never clipped.

use std::collections::VecDeque;

use hotline_media::{rms_dbfs, GateDecision, SpeechGate, SpeechGateConfig};

use crate::{ListenError, SileroVad, VAD_CHUNK_8K};

/// Skipped windows replayed to the model when the gate opens (4 × 32 ms).
pub const MODEL_PRE_ROLL_WINDOWS: usize = 4;

/// A call's voice activity detector: level gate, model pre-roll, and Silero's state.
pub struct GatedVad {
    vad: SileroVad,
    gate: SpeechGate,
    /// The last skipped windows, oldest first, at most [`MODEL_PRE_ROLL_WINDOWS`] of them.
    lead_in: VecDeque<f32>,
    model_runs: u64,
    windows: u64,
}

impl GatedVad {
    pub fn new(vad: SileroVad, gate: SpeechGateConfig) -> GatedVad {
        GatedVad {
            vad,
            gate: SpeechGate::new(gate),
            lead_in: VecDeque::with_capacity(MODEL_PRE_ROLL_WINDOWS * VAD_CHUNK_8K),
            model_runs: 0,
            windows: 0,
        }
    }

    /// Speech probability of the next 256-sample window of 8 kHz audio: Silero's when the gate
    /// lets it through, 0 when the window is too quiet to be speech.
    pub fn speech_probability(&mut self, chunk_8k: &[f32]) -> Result<f32, ListenError> {
        if chunk_8k.len() != VAD_CHUNK_8K {
            return Err(ListenError::VadChunk {
                expected: VAD_CHUNK_8K,
                got: chunk_8k.len(),
            });
        }
        self.windows += 1;
        match self.gate.window(rms_dbfs(chunk_8k)) {
            GateDecision::Run { onset } => {
                if onset {
                    for window in self.lead_in.make_contiguous().chunks_exact(VAD_CHUNK_8K) {
                        self.vad.speech_probability(window)?;
                        self.model_runs += 1;
                    }
                    self.lead_in.clear();
                }
                self.model_runs += 1;
                self.vad.speech_probability(chunk_8k)
            }
            GateDecision::Skip => {
                self.keep_lead_in(chunk_8k);
                Ok(0.0)
            }
        }
    }

    fn keep_lead_in(&mut self, chunk: &[f32]) {
        if self.lead_in.len() >= MODEL_PRE_ROLL_WINDOWS * VAD_CHUNK_8K {
            self.lead_in.drain(..VAD_CHUNK_8K);
        }
        self.lead_in.extend(chunk);
    }

    /// Silero runs so far (pre-roll replays included).
    pub fn model_runs(&self) -> u64 {
        self.model_runs
    }

    /// Windows scored so far.
    pub fn windows(&self) -> u64 {
        self.windows
    }

    /// The line's noise floor the gate has learnt, in dBFS.
    pub fn noise_floor(&self) -> Option<f32> {
        self.gate.noise_floor()
    }
}
