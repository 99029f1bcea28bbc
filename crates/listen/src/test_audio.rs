//! Test support: finding installed models and loading real telephone speech (Asterisk prompts).

use std::path::{Path, PathBuf};
use std::sync::Once;

/// Asterisk's recorded prompts: 8 kHz, 16-bit mono, read by a human.
const PROMPTS_DIR: &str = "/usr/share/asterisk/sounds/en_US_f_Allison";
const TRANSCRIPTS: &str = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz";

/// The installed model file `name`: under `$HOTLINE_MODELS_DIR`, else the nearest `models/`
/// directory above this crate. Panics with the command that installs it when it is missing.
pub(crate) fn model(name: &str) -> PathBuf {
    let dir = std::env::var_os("HOTLINE_MODELS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|a| a.join("models"))
                .find(|m| m.join("manifest.yaml").is_file())
        })
        .unwrap_or_else(|| PathBuf::from("models"));
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `hotline models fetch` (or `cargo run -p hotline-models --example fetch`) first, or set HOTLINE_MODELS_DIR",
        path.display()
    );
    path
}

/// Initialises ONNX Runtime from the installed library, once per test process.
pub(crate) fn onnxruntime() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        hotline_onnx::init(&model("libonnxruntime.so.1.31.1")).expect("ONNX Runtime loads");
    });
}

/// A prompt's 8 kHz samples in -1..1.
pub(crate) fn prompt_8k(name: &str) -> Vec<f32> {
    let path = Path::new(PROMPTS_DIR).join(format!("{name}.wav"));
    let mut reader = hound::WavReader::open(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (install the Debian package asterisk-core-sounds-en-wav)",
            path.display()
        )
    });
    assert_eq!(reader.spec().sample_rate, 8000);
    reader
        .samples::<i16>()
        .map(|s| f32::from(s.expect("valid sample")) / 32768.0)
        .collect()
}

/// The reference transcript of a prompt.
pub(crate) fn transcript(name: &str) -> String {
    let output = std::process::Command::new("zcat")
        .arg(TRANSCRIPTS)
        .output()
        .expect("zcat runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let prefix = format!("{name}: ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no transcript for {name}"))
        .to_string()
}

/// 2x upsampling 8 kHz -> 16 kHz with a Hann-windowed sinc interpolator (16 taps a side).
pub(crate) fn upsample_2x(x: &[f32]) -> Vec<f32> {
    const HALF: isize = 16;
    let taps: Vec<f32> = (-HALF..HALF)
        .map(|k| {
            let t = k as f64 + 0.5; // distance from the new sample halfway between inputs
            let sinc = (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t);
            let w = 0.5 + 0.5 * (std::f64::consts::PI * t / (HALF as f64 + 0.5)).cos();
            (sinc * w) as f32
        })
        .collect();
    let mut out = Vec::with_capacity(x.len() * 2);
    for n in 0..x.len() as isize {
        out.push(x[n as usize]);
        let mut acc = 0f32;
        for (i, k) in (-HALF..HALF).enumerate() {
            let idx = n - k;
            if idx >= 0 && (idx as usize) < x.len() {
                acc += taps[i] * x[idx as usize];
            }
        }
        out.push(acc);
    }
    out
}

#[test]
fn upsampling_keeps_a_tone_and_doubles_length() {
    let tone: Vec<f32> = (0..800)
        .map(|n| (2.0 * std::f32::consts::PI * 440.0 * n as f32 / 8000.0).sin())
        .collect();
    let up = upsample_2x(&tone);
    assert_eq!(up.len(), 1600);
    // Away from the edges the interpolated samples follow the 16 kHz sine.
    for (n, got) in up.iter().enumerate().take(1500).skip(100) {
        let expected = (2.0 * std::f32::consts::PI * 440.0 * n as f32 / 16000.0).sin();
        assert!(
            (got - expected).abs() < 0.01,
            "sample {n}: {got} vs {expected}"
        );
    }
}
