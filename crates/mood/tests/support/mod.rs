//! Test support: the installed VADER lexicon and Asterisk's recorded telephone prompts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hotline_mood::{Lexicon, MoodConfig, MoodTracker, LEXICON_FILE};

/// Asterisk's recorded prompts: 8 kHz, 16-bit mono, read by a human.
const PROMPTS_DIR: &str = "/usr/share/asterisk/sounds/en_US_f_Allison";

/// The installed lexicon: in `$HOTLINE_MODELS_DIR`, else in the nearest `models/` above this
/// crate. Panics with the command that installs it when it is missing.
pub fn lexicon() -> Arc<Lexicon> {
    let dir = std::env::var_os("HOTLINE_MODELS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|a| a.join("models"))
                .find(|m| m.join("manifest.yaml").is_file())
        })
        .unwrap_or_else(|| PathBuf::from("models"));
    let path = dir.join(LEXICON_FILE);
    assert!(
        path.is_file(),
        "{} is missing: run `hotline models fetch` first, or set HOTLINE_MODELS_DIR",
        path.display()
    );
    Arc::new(Lexicon::load(&path).expect("the installed lexicon parses"))
}

/// A tracker with the default configuration and the installed lexicon.
pub fn tracker() -> MoodTracker {
    MoodTracker::new(lexicon(), MoodConfig::default())
}

/// A prompt's 8 kHz samples in -1..1, scaled by `gain`.
#[allow(dead_code)]
pub fn prompt_8k(name: &str, gain: f32) -> Vec<f32> {
    let path = Path::new(PROMPTS_DIR).join(format!("{name}.wav"));
    let mut reader = hound::WavReader::open(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (install asterisk-core-sounds-en-wav)",
            path.display()
        )
    });
    let spec = reader.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8000, 1, 16)
    );
    reader
        .samples::<i16>()
        .map(|s| f32::from(s.expect("valid sample")) / 32768.0 * gain)
        .collect()
}
