//! Loading ONNX Runtime once per process and holding the one environment `ort` allows.
//!
//! `ort` 2.0.0-rc.15 keeps the first library it loads for the whole process and allows one
//! `Environment`, with no public way to fetch an existing one. Hotline's speak crate (Piper)
//! follows the same scheme, so whichever crate initialises first hands its environment to
//! the other: `hotline_listen::adopt_onnx_environment(&hotline_speak::onnx_environment()?)`,
//! or the other way round.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;

use crate::ListenError;

static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();
/// Serialises check-then-build so two threads cannot both build.
static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// Loads ONNX Runtime from `dylib` (e.g. `models/libonnxruntime.so.1.31.1`) and creates the
/// process's ONNX Runtime environment. Idempotent: after the first success, or after
/// [`adopt_onnx_environment`], it returns `Ok(())` at once. If another crate already created
/// the environment, it returns [`ListenError::EnvironmentElsewhere`]: adopt that one instead.
pub fn init_onnxruntime(dylib: &Path) -> Result<(), ListenError> {
    if ENVIRONMENT.get().is_some() {
        return Ok(());
    }
    let _guard = BUILD_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if ENVIRONMENT.get().is_some() {
        return Ok(());
    }
    if !dylib.exists() {
        return Err(ListenError::ModelMissing {
            path: dylib.to_path_buf(),
        });
    }
    let builder = ort::init_from(dylib).map_err(|source| ListenError::RuntimeLoad {
        path: dylib.to_path_buf(),
        source,
    })?;
    match builder.with_name("hotline").build() {
        Ok(environment) => {
            let _ = ENVIRONMENT.set(environment);
            Ok(())
        }
        Err(error) if error.message().contains("only one environment") => {
            Err(ListenError::EnvironmentElsewhere)
        }
        Err(error) => Err(ListenError::EnvironmentBuild(error)),
    }
}

/// Uses an environment another crate created. Returns `false` (keeping the current one) if
/// this crate already has an environment.
pub fn adopt_onnx_environment(environment: &Environment) -> bool {
    ENVIRONMENT.set(environment.clone()).is_ok()
}

/// The environment this crate uses, to hand to another crate that needs ONNX Runtime.
pub fn onnx_environment() -> Option<Environment> {
    ENVIRONMENT.get().cloned()
}

pub(crate) fn environment() -> Result<&'static Environment, ListenError> {
    ENVIRONMENT.get().ok_or(ListenError::RuntimeNotInitialised)
}
