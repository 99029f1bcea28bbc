//! Loading ONNX Runtime once per process and holding the one environment `ort` allows.
//!
//! `ort` 2.0.0-rc.15 keeps the first dylib it loads for the whole process (a later
//! `init_from` with another path is silently ignored) and refuses to build a second
//! `Environment` ("only one environment is allowed per process"), even after the first is
//! dropped, and offers no public way to fetch the existing one. So the environment is built
//! here at most once, and when another crate built it first, that crate hands it over with
//! [`adopt_onnx_environment`].

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;

use crate::SpeakError;

static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();
/// Serialises the check-then-build so two threads cannot both try to build.
static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// Loads ONNX Runtime from `dylib` and creates the process's ONNX Runtime environment.
///
/// Idempotent: after the first success (or after [`adopt_onnx_environment`]) it returns
/// `Ok(())` without touching `dylib`. If another crate already created the environment
/// through `ort`, this returns [`SpeakError::EnvironmentElsewhere`]; pass that environment
/// to [`adopt_onnx_environment`] instead (or give ours to the other crate with
/// [`onnx_environment`]).
pub fn init_onnxruntime(dylib: &Path) -> Result<(), SpeakError> {
    if ENVIRONMENT.get().is_some() {
        return Ok(());
    }
    let _guard = BUILD_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if ENVIRONMENT.get().is_some() {
        return Ok(());
    }
    let builder = ort::init_from(dylib).map_err(|source| SpeakError::RuntimeLoad {
        path: dylib.to_path_buf(),
        source,
    })?;
    match builder.with_name("hotline").build() {
        Ok(environment) => {
            // Cannot already be set: we hold the build lock and checked above.
            let _ = ENVIRONMENT.set(environment);
            Ok(())
        }
        Err(error) if error.message().contains("only one environment") => {
            Err(SpeakError::EnvironmentElsewhere)
        }
        Err(error) => Err(SpeakError::EnvironmentBuild(error)),
    }
}

/// Uses an environment another crate created (after it loaded ONNX Runtime itself).
///
/// Returns `false` (and keeps the current one) if this crate already has an environment.
pub fn adopt_onnx_environment(environment: &Environment) -> bool {
    ENVIRONMENT.set(environment.clone()).is_ok()
}

/// The environment this crate uses, to share with another crate that needs ONNX Runtime.
pub fn onnx_environment() -> Option<Environment> {
    ENVIRONMENT.get().cloned()
}

pub(crate) fn environment() -> Result<&'static Environment, SpeakError> {
    ENVIRONMENT.get().ok_or(SpeakError::RuntimeNotInitialised)
}
