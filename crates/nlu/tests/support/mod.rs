//! Finding the real model files and Banking77 the way a developer installs them, and loading
//! the encoder once per test process.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use hotline_nlu::{SentenceEncoder, MODEL_FILE, TOKENIZER_FILE};

const RUNTIME: &str = "libonnxruntime.so.1.31.1";

/// `file` in `$HOTLINE_MODELS_DIR`, else in the nearest `models/` above this crate; fails the
/// test naming the command that installs it.
pub fn model_asset(file: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("HOTLINE_MODELS_DIR") {
        let path = Path::new(&dir).join(file);
        assert!(
            path.is_file(),
            "{} not found (HOTLINE_MODELS_DIR={dir}); run `hotline models fetch`",
            path.display()
        );
        return path;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|ancestor| ancestor.join("models").join(file))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "models/{file} not found: run `hotline models fetch` (or set HOTLINE_MODELS_DIR)"
            )
        })
}

// Each test binary compiles this module; not every one reads Banking77.
#[allow(dead_code)]
/// The Banking77 directory: `$HOTLINE_BANKING77_DIR`, else `../shared/data/nlu/banking77`
/// beside the checkout.
pub fn banking77_dir() -> PathBuf {
    let dir = std::env::var_os("HOTLINE_BANKING77_DIR").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/data/nlu/banking77"
            ))
        },
        PathBuf::from,
    );
    assert!(
        dir.join("train.csv").is_file(),
        "Banking77 not found in {} (set HOTLINE_BANKING77_DIR)",
        dir.display()
    );
    dir
}

/// The sentence encoder, loaded once per test process (two intra-op threads).
pub fn encoder() -> Arc<SentenceEncoder> {
    static ENCODER: OnceLock<Arc<SentenceEncoder>> = OnceLock::new();
    ENCODER
        .get_or_init(|| {
            hotline_onnx::init(&model_asset(RUNTIME)).expect("ONNX Runtime loads");
            let encoder = SentenceEncoder::load_with_threads(
                &model_asset(MODEL_FILE),
                &model_asset(TOKENIZER_FILE),
                2,
            )
            .expect("sentence encoder loads");
            Arc::new(encoder)
        })
        .clone()
}
