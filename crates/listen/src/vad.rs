//! Silero VAD v6 on ONNX Runtime: speech probability for each 32 ms chunk of 8 kHz telephone audio.

use std::path::Path;

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

/// A Silero VAD model with the recurrent state of one audio stream. One per call leg.
pub struct SileroVad {
    session: Session,
    state: Vec<f32>,
    context: Vec<f32>,
    input: Vec<f32>,
}

impl SileroVad {
    /// Loads `silero_vad.onnx` (v5/v6) with one thread. Needs `hotline_onnx::init` first.
    pub fn load(model: &Path) -> Result<Self, ListenError> {
        if !model.exists() {
            return Err(ListenError::ModelMissing {
                path: model.to_path_buf(),
            });
        }
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
        Ok(SileroVad {
            session,
            state: vec![0.0; STATE_LEN],
            context: vec![0.0; CONTEXT_8K],
            input: Vec::with_capacity(CONTEXT_8K + VAD_CHUNK_8K),
        })
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
        self.input.clear();
        self.input.extend_from_slice(&self.context);
        self.input.extend_from_slice(chunk_8k);
        let input = Tensor::from_array(([1usize, self.input.len()], self.input.clone()))
            .map_err(ListenError::VadRun)?;
        let state = Tensor::from_array(([2usize, 1, 128], self.state.clone()))
            .map_err(ListenError::VadRun)?;
        let sr = Tensor::from_array(((), vec![SAMPLE_RATE])).map_err(ListenError::VadRun)?;
        let outputs = self
            .session
            .run(ort::inputs!["input" => input, "state" => state, "sr" => sr])
            .map_err(ListenError::VadRun)?;
        let (_, probability) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(ListenError::VadRun)?;
        let probability = probability.first().copied().unwrap_or(0.0);
        let (_, next_state) = outputs[1]
            .try_extract_tensor::<f32>()
            .map_err(ListenError::VadRun)?;
        if next_state.len() == STATE_LEN {
            self.state.copy_from_slice(next_state);
        }
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
