//! The gated VAD on real speech (Asterisk's recorded prompts): the endpointer cuts the same
//! utterances as with Silero running on every window, and a quiet or hissing line never runs it.

use std::time::Duration;

use hotline_media::{EndpointEvent, Endpointer, EndpointerConfig, SpeechGateConfig};

use crate::test_audio::{model, onnxruntime, prompt_8k};
use crate::{GatedVad, SileroModel, VAD_CHUNK_8K};

/// One window, the tolerance on every boundary.
const WINDOW: Duration = Duration::from_millis(32);

/// White noise at `dbfs` (RMS), from a fixed seed.
fn noise(len: usize, dbfs: f32, seed: u32) -> Vec<f32> {
    // Uniform in [-a, a] has an RMS of a / sqrt(3).
    let amplitude = 10f32.powf(dbfs / 20.0) * 3f32.sqrt();
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * amplitude
        })
        .collect()
}

/// Real prompts with pauses between them (long enough to end a turn), on a line with `hiss`
/// dBFS of noise under everything (`None`: digital silence between the prompts).
fn conversation(hiss: Option<f32>) -> Vec<f32> {
    let mut audio = vec![0.0f32; 8_000];
    for name in [
        "pls-hold-while-try",
        "agent-alreadyon",
        "vm-sorry",
        "vm-intro",
    ] {
        audio.extend(prompt_8k(name));
        audio.extend(vec![0.0f32; 12_000]);
    }
    if let Some(dbfs) = hiss {
        let hiss = noise(audio.len(), dbfs, 7);
        for (sample, n) in audio.iter_mut().zip(hiss) {
            *sample += n;
        }
    }
    audio
}

/// The server's endpointing (start 0.5, end 0.35, 500 ms of silence ends a turn).
fn endpointer() -> Endpointer {
    Endpointer::new(EndpointerConfig {
        start_threshold: 0.5,
        end_threshold: 0.35,
        end_silence: Duration::from_millis(500),
        ..EndpointerConfig::default()
    })
}

/// (started, speech_end, ended) of every utterance cut with `score` as the VAD.
fn utterances(
    audio: &[f32],
    mut score: impl FnMut(&[f32]) -> f32,
) -> Vec<(Duration, Duration, Duration)> {
    let mut endpointer = endpointer();
    audio
        .chunks_exact(VAD_CHUNK_8K)
        .filter_map(|chunk| match endpointer.push(chunk, score(chunk)) {
            Some(EndpointEvent::Utterance {
                started,
                ended,
                speech_end,
                ..
            }) => Some((started, speech_end, ended)),
            _ => None,
        })
        .collect()
}

fn close(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) <= WINDOW
}

#[test]
fn utterances_on_real_speech_are_cut_where_silero_running_always_cuts_them() {
    onnxruntime();
    let shared = SileroModel::load(&model("silero_vad.onnx"), 1).expect("VAD loads");
    for hiss in [None, Some(-65.0), Some(-45.0)] {
        let audio = conversation(hiss);
        let mut always = shared.stream();
        let reference = utterances(&audio, |c| always.speech_probability(c).expect("runs"));
        let mut gated = GatedVad::new(shared.stream(), SpeechGateConfig::default());
        let got = utterances(&audio, |c| gated.speech_probability(c).expect("runs"));
        assert_eq!(
            reference.len(),
            4,
            "hiss {hiss:?}: Silero alone cut {reference:?}"
        );
        assert_eq!(
            got.len(),
            reference.len(),
            "hiss {hiss:?}: {got:?} vs {reference:?}"
        );
        for (g, r) in got.iter().zip(&reference) {
            assert!(
                close(g.0, r.0) && close(g.1, r.1) && close(g.2, r.2),
                "hiss {hiss:?}: gated {g:?}, always {r:?}"
            );
        }
        // Most of the 7 s of pauses between prompts (219 windows) cost no model run.
        let skipped = gated.windows() - gated.model_runs();
        eprintln!(
            "hiss {hiss:?}: Silero ran {} times for {} windows",
            gated.model_runs(),
            gated.windows()
        );
        assert!(skipped >= 120, "hiss {hiss:?}: only {skipped} runs saved");
    }
}

#[test]
fn a_silent_quiet_or_hissing_line_never_runs_silero() {
    onnxruntime();
    let shared = SileroModel::load(&model("silero_vad.onnx"), 1).expect("VAD loads");
    let thirty_seconds = 240_000;
    for (line, audio) in [
        ("digital silence", vec![0.0f32; thirty_seconds]),
        ("a quiet line (-65 dBFS)", noise(thirty_seconds, -65.0, 1)),
        ("a hissing line (-45 dBFS)", noise(thirty_seconds, -45.0, 2)),
    ] {
        let mut gated = GatedVad::new(shared.stream(), SpeechGateConfig::default());
        let scores: Vec<f32> = audio
            .chunks_exact(VAD_CHUNK_8K)
            .map(|c| gated.speech_probability(c).expect("scores"))
            .collect();
        assert_eq!(gated.model_runs(), 0, "{line}: Silero ran");
        assert!(scores.iter().all(|p| *p == 0.0), "{line}");
        assert_eq!(gated.windows(), scores.len() as u64);
    }
}

#[test]
fn calls_sharing_one_model_keep_their_own_state() {
    onnxruntime();
    let shared = SileroModel::load(&model("silero_vad.onnx"), 2).expect("VAD loads");
    let speech = prompt_8k("vm-sorry");
    let mut alone = shared.stream();
    let expected: Vec<f32> = speech
        .chunks_exact(VAD_CHUNK_8K)
        .map(|c| alone.speech_probability(c).expect("runs"))
        .collect();
    // Two calls interleaved on the same model: one hears the prompt, the other noise.
    let mut first = shared.stream();
    let mut second = shared.stream();
    let hiss = noise(speech.len(), -30.0, 3);
    let mut got = Vec::new();
    for (c, n) in speech
        .chunks_exact(VAD_CHUNK_8K)
        .zip(hiss.chunks_exact(VAD_CHUNK_8K))
    {
        got.push(first.speech_probability(c).expect("runs"));
        second.speech_probability(n).expect("runs");
    }
    assert_eq!(got, expected);
}
