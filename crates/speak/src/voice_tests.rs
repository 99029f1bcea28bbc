//! Tests against the real Piper voice and ONNX Runtime library, found the way a developer
//! installs them (`hotline models fetch`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::{split_sentences, PiperVoice};

const VOICE: &str = "en_US-joe-medium.onnx";
const VOICE_CONFIG: &str = "en_US-joe-medium.onnx.json";
const RUNTIME: &str = "libonnxruntime.so.1.31.1";

/// Finds `file` in `$env_var`, else in `<ancestor>/<dir>/` of this crate; fails the test
/// with the command that installs it.
fn asset(env_var: &str, dir: &str, file: &str) -> PathBuf {
    if let Ok(from_env) = std::env::var(env_var) {
        let path = Path::new(&from_env).join(file);
        assert!(
            path.is_file(),
            "{} not found ({env_var}={from_env}); run `hotline models fetch`",
            path.display()
        );
        return path;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|ancestor| ancestor.join(dir).join(file))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!("{dir}/{file} not found: run `hotline models fetch` (or set {env_var})")
        })
}

/// One shared voice: loading it takes a second and tests run in parallel.
fn voice() -> MutexGuard<'static, PiperVoice> {
    static VOICE_CELL: OnceLock<Mutex<PiperVoice>> = OnceLock::new();
    VOICE_CELL
        .get_or_init(|| {
            hotline_onnx::init(&asset("HOTLINE_MODELS_DIR", "models", RUNTIME))
                .expect("ONNX Runtime loads");
            let onnx = asset("HOTLINE_VOICES_DIR", "voices", VOICE);
            let json = asset("HOTLINE_VOICES_DIR", "voices", VOICE_CONFIG);
            Mutex::new(PiperVoice::load_with_threads(&onnx, &json, 2).expect("voice loads"))
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt()
}

#[test]
fn phonemizes_with_punctuation_ids() {
    let voice = voice();
    let phonemes = voice
        .phonemes("Hello, world. How are you?")
        .expect("espeak-ng runs");
    assert_eq!(phonemes.len(), 2, "{phonemes:?}");
    assert_eq!(phonemes[0], "həlˈoʊ, wˈɜːld.");
    for symbol in ["h", "ˈaʊ", "ɑːɹ", "j"] {
        assert!(
            phonemes[1].contains(symbol),
            "{symbol} missing from {}",
            phonemes[1]
        );
    }
    let first = voice.phoneme_ids(&phonemes[0]);
    assert_eq!(first.unknown, 0);
    assert_eq!(&first.ids[..2], &[1, 0], "starts with ^ _");
    assert_eq!(first.ids.last(), Some(&2), "ends with $");
    assert!(first.ids.contains(&8), "comma id present: {:?}", first.ids);
    assert_eq!(
        first.ids[first.ids.len() - 3],
        10,
        "period id before the last pad"
    );
    let second = voice.phoneme_ids(&phonemes[1]);
    assert_eq!(second.ids[second.ids.len() - 3], 13, "question mark id");
    // Every phoneme is followed by the pad.
    assert!(first.ids[3..first.ids.len() - 1]
        .iter()
        .step_by(2)
        .all(|&id| id == 0));
}

#[test]
fn sentence_audio_is_plausible_speech() {
    let mut voice = voice();
    let sentence = "Thank you for calling, how can I help you today?";
    let phonemes = voice.phonemes(sentence).expect("espeak-ng runs").concat();
    let phoneme_count = phonemes.chars().filter(|c| c.is_alphabetic()).count() as f32;
    let audio = voice.synthesize(sentence).expect("synthesis works");
    let seconds = audio.len() as f32 / voice.sample_rate() as f32;
    let per_phoneme = seconds / phoneme_count;
    assert!(
        (0.04..=0.2).contains(&per_phoneme),
        "{seconds} s for {phoneme_count} phonemes"
    );
    assert!(audio.iter().all(|s| s.is_finite()), "NaN in audio");
    let peak = audio.iter().fold(0.0f32, |p, s| p.max(s.abs()));
    assert!(peak <= 1.0, "peak {peak}");
    assert!(rms(&audio) > 0.02, "too quiet: rms {}", rms(&audio));
}

#[test]
fn longer_text_gives_longer_audio_and_empty_text_none() {
    let mut voice = voice();
    let short = voice.synthesize("Yes.").expect("synthesis works");
    let long = voice
        .synthesize("Yes. Your order will arrive on Monday, the fifth of May.")
        .expect("synthesis works");
    assert!(
        long.len() > 3 * short.len(),
        "{} vs {}",
        long.len(),
        short.len()
    );
    assert!(voice
        .synthesize("  ... ")
        .expect("nothing to say is fine")
        .is_empty());
}

#[test]
fn real_time_factor_is_reported() {
    let mut voice = voice();
    let text = "Your appointment with Dr. Smith is on Tuesday at 9:30. It costs $4.99, and you can call 555-1234 to change it.";
    for sentence in split_sentences(text) {
        let started = std::time::Instant::now();
        let audio = voice.synthesize(&sentence).expect("synthesis works");
        let took = started.elapsed().as_secs_f32();
        let seconds = audio.len() as f32 / voice.sample_rate() as f32;
        println!(
            "{took:.3} s for {seconds:.2} s of audio (RTF {:.3}): {sentence}",
            took / seconds
        );
        assert!(seconds > 1.0, "{sentence}");
    }
}

#[test]
fn initialising_twice_is_harmless_and_a_second_ort_environment_is_refused() {
    let _voice = voice();
    let runtime = asset("HOTLINE_MODELS_DIR", "models", RUNTIME);
    hotline_onnx::init(&runtime).expect("second call is a no-op");
    hotline_onnx::init(Path::new("/nonexistent/lib.so")).expect("the loaded library is kept");
    // What another crate calling ort itself would see: ort allows one environment per process.
    let again = ort::init_from(&runtime)
        .expect("dylib already loaded")
        .build();
    assert!(again.is_err(), "ort built a second environment");
    assert!(hotline_onnx::environment().is_ok());
}

#[test]
fn missing_model_file_is_a_load_error() {
    let _voice = voice(); // ONNX Runtime is initialised
    let json = asset("HOTLINE_VOICES_DIR", "voices", VOICE_CONFIG);
    let error =
        PiperVoice::load(Path::new("/nonexistent/voice.onnx"), &json).expect_err("no model");
    assert!(
        matches!(error, crate::SpeakError::ModelLoad { .. }),
        "{error:?}"
    );
}

#[test]
fn a_voice_can_move_to_its_worker_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<PiperVoice>();
    let speaks_on_worker =
        std::thread::spawn(|| voice().synthesize("Hi.").map(|audio| !audio.is_empty()))
            .join()
            .expect("worker thread finished");
    assert!(speaks_on_worker.expect("synthesis works"));
}
