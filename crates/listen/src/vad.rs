//! Silero VAD v6 on ONNX Runtime: speech probability for each 32 ms chunk of 8 kHz telephone
//! audio, with one model shared by all calls and a small state per call.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;
use ort::value::Tensor;

use crate::ListenError;

/// Samples per chunk at 8 kHz (32 ms).
pub const VAD_CHUNK_8K: usize = 256;
/// Samples of the previous chunk the model sees before each new one (v5 and later).
const CONTEXT_8K: usize = 32;
/// Size of the recurrent state: [2, batch 1, 128].
const STATE_LEN: usize = 2 * 128;
const SAMPLE_RATE: i64 = 8000;

/// The Silero VAD model, loaded once per process and shared by every call: a few ONNX
/// sessions (one per core is plenty, a run takes a fraction of a millisecond), each used by one
/// stream at a time. A call's own state is a [`SileroVad`], about 1 KB.
pub struct SileroModel {
    sessions: Vec<Mutex<Session>>,
    /// Round-robin start for the session search.
    next: AtomicUsize,
}

/// One audio stream's view of the shared model: Silero's recurrent state and the last samples
/// of the previous chunk. One per call leg.
pub struct SileroVad {
    model: Arc<SileroModel>,
    state: [f32; STATE_LEN],
    context: [f32; CONTEXT_8K],
}

impl SileroModel {
    /// Loads `silero_vad.onnx` (v5/v6) into `sessions` sessions (at least one) of one thread
    /// each. Needs `hotline_onnx::init` first.
    pub fn load(model: &Path, sessions: usize) -> Result<Arc<SileroModel>, ListenError> {
        if !model.exists() {
            return Err(ListenError::ModelMissing {
                path: model.to_path_buf(),
            });
        }
        let sessions = (0..sessions.max(1))
            .map(|_| load_session(model).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(SileroModel {
            sessions,
            next: AtomicUsize::new(0),
        }))
    }

    /// A new stream (a call leg) on this model, with a fresh state.
    pub fn stream(self: &Arc<Self>) -> SileroVad {
        SileroVad {
            model: Arc::clone(self),
            state: [0.0; STATE_LEN],
            context: [0.0; CONTEXT_8K],
        }
    }

    /// Runs one chunk (context + 256 samples) with `state`, which is replaced by the next state.
    fn run(&self, input: Vec<f32>, state: &mut [f32; STATE_LEN]) -> Result<f32, ListenError> {
        let count = self.sessions.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed) % count;
        // A free session if there is one; else wait for ours in the rotation.
        let mut session = (0..count)
            .find_map(|i| self.sessions[(first + i) % count].try_lock().ok())
            .unwrap_or_else(|| {
                self.sessions[first]
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            });
        let input =
            Tensor::from_array(([1usize, input.len()], input)).map_err(ListenError::VadRun)?;
        let state_in =
            Tensor::from_array(([2usize, 1, 128], state.to_vec())).map_err(ListenError::VadRun)?;
        let sr = Tensor::from_array(((), vec![SAMPLE_RATE])).map_err(ListenError::VadRun)?;
        let outputs = session
            .run(ort::inputs!["input" => input, "state" => state_in, "sr" => sr])
            .map_err(ListenError::VadRun)?;
        let (_, probability) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(ListenError::VadRun)?;
        let probability = probability.first().copied().unwrap_or(0.0);
        let (_, next_state) = outputs[1]
            .try_extract_tensor::<f32>()
            .map_err(ListenError::VadRun)?;
        if next_state.len() == STATE_LEN {
            state.copy_from_slice(next_state);
        }
        Ok(probability)
    }
}

fn load_session(model: &Path) -> Result<Session, ListenError> {
    let environment = hotline_onnx::environment()?;
    let load_error = |source: ort::Error| ListenError::VadLoad {
        path: model.to_path_buf(),
        source,
    };
    let option_error = |e: ort::Error<SessionBuilder>| load_error(e.into());
    let session = Session::builder(environment)
        .map_err(load_error)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(option_error)?
        .with_intra_threads(1)
        .map_err(option_error)?
        .with_inter_threads(1)
        .map_err(option_error)?
        .with_intra_op_spinning(false)
        .map_err(option_error)?
        .commit_from_file(model)
        .map_err(load_error)?;
    for name in ["input", "state", "sr"] {
        if !session.inputs().iter().any(|i| i.name() == name) {
            return Err(ListenError::VadInterface {
                name,
                kind: "input",
            });
        }
    }
    if session.outputs().len() < 2 {
        return Err(ListenError::VadInterface {
            name: "stateN",
            kind: "output",
        });
    }
    Ok(session)
}

impl SileroVad {
    /// Loads the model for this stream alone (one session). A server shares one
    /// [`SileroModel`] between its calls instead. Needs `hotline_onnx::init` first.
    pub fn load(model: &Path) -> Result<Self, ListenError> {
        Ok(SileroModel::load(model, 1)?.stream())
    }

    /// Speech probability (0..1) of the next 256-sample chunk of 8 kHz audio (samples in
    /// -1..1). Chunks must be fed in order; the model carries state between them.
    pub fn speech_probability(&mut self, chunk_8k: &[f32]) -> Result<f32, ListenError> {
        if chunk_8k.len() != VAD_CHUNK_8K {
            return Err(ListenError::VadChunk {
                expected: VAD_CHUNK_8K,
                got: chunk_8k.len(),
            });
        }
        let mut input = Vec::with_capacity(CONTEXT_8K + VAD_CHUNK_8K);
        input.extend_from_slice(&self.context);
        input.extend_from_slice(chunk_8k);
        let probability = self.model.run(input, &mut self.state)?;
        self.context
            .copy_from_slice(&chunk_8k[VAD_CHUNK_8K - CONTEXT_8K..]);
        Ok(probability)
    }

    /// Forgets the stream: the next chunk is treated as the start of new audio.
    pub fn reset(&mut self) {
        self.state.fill(0.0);
        self.context.fill(0.0);
    }
}
