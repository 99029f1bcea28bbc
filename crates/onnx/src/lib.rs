//! The process's one ONNX Runtime environment, shared by Piper, Silero and the sentence encoder.
//!
//! `ort` 2.0.0-rc.15 keeps the first library it loads for the whole process (a later `init_from`
//! with another path is silently ignored), refuses to build a second `Environment` ("only one
//! environment is allowed per process") even after the first is dropped, and offers no public way
//! to fetch the existing one. So the environment is built here, once, and every crate that runs
//! an ONNX model takes it from [`environment`].
//!
//! ```no_run
//! hotline_onnx::init(std::path::Path::new("models/libonnxruntime.so.1.31.1"))?;
//! let environment = hotline_onnx::environment()?;
//! # Ok::<(), hotline_onnx::OnnxError>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;

static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();
/// Serialises the check-then-build so two threads cannot both try to build.
static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// Why ONNX Runtime is not available.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// The shared library could not be loaded.
    #[error("cannot load ONNX Runtime from {path}: {source} (run `hotline models fetch`)")]
    Load {
        path: PathBuf,
        #[source]
        source: ort::LoadDynamicError,
    },
    /// Creating the environment failed.
    #[error("cannot create the ONNX Runtime environment: {0}")]
    Build(#[source] ort::Error),
    /// A model was loaded before [`init`].
    #[error("ONNX Runtime is not initialised: call hotline_onnx::init first")]
    NotInitialised,
}

/// Loads ONNX Runtime from `dylib` and creates the process's environment. Idempotent: after the
/// first success it returns `Ok(())` without touching `dylib`.
pub fn init(dylib: &Path) -> Result<(), OnnxError> {
    if ENVIRONMENT.get().is_some() {
        return Ok(());
    }
    let _guard = BUILD_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if ENVIRONMENT.get().is_some() {
        return Ok(());
    }
    let builder = ort::init_from(dylib).map_err(|source| OnnxError::Load {
        path: dylib.to_path_buf(),
        source,
    })?;
    let environment = builder
        .with_name("hotline")
        .build()
        .map_err(OnnxError::Build)?;
    // Cannot already be set: we hold the build lock and checked above.
    let _ = ENVIRONMENT.set(environment);
    Ok(())
}

/// The environment [`init`] created.
pub fn environment() -> Result<&'static Environment, OnnxError> {
    ENVIRONMENT.get().ok_or(OnnxError::NotInitialised)
}
