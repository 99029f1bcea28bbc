//! Silero VAD on real speech: two prompts with a gap between them, and silence.

use crate::test_audio::{model, onnxruntime, prompt_8k};
use crate::{ListenError, SileroVad, VAD_CHUNK_8K};

fn probabilities(vad: &mut SileroVad, audio: &[f32]) -> Vec<f32> {
    audio
        .chunks_exact(VAD_CHUNK_8K)
        .map(|c| vad.speech_probability(c).expect("VAD runs"))
        .collect()
}

/// Runs of consecutive chunks above `threshold`, merging gaps shorter than `min_gap` chunks.
fn speech_regions(p: &[f32], threshold: f32, min_gap: usize) -> Vec<(usize, usize)> {
    let mut regions: Vec<(usize, usize)> = Vec::new();
    for (i, v) in p.iter().enumerate() {
        if *v < threshold {
            continue;
        }
        match regions.last_mut() {
            Some((_, end)) if i - *end <= min_gap => *end = i,
            _ => regions.push((i, i)),
        }
    }
    regions
}

#[test]
fn two_utterances_with_a_gap_give_two_speech_regions() {
    onnxruntime();
    let mut vad = SileroVad::load(&model("silero_vad.onnx")).expect("VAD loads");
    let first = prompt_8k("pls-hold-while-try");
    let second = prompt_8k("vm-sorry");
    let gap = vec![0.0f32; 12_000]; // 1.5 s
    let mut audio = first.clone();
    audio.extend_from_slice(&gap);
    audio.extend_from_slice(&second);
    let p = probabilities(&mut vad, &audio);

    // Pauses between words inside a prompt are up to ~0.3 s (10 chunks); the gap is 47 chunks.
    let regions = speech_regions(&p, 0.5, 12);
    assert_eq!(regions.len(), 2, "regions {regions:?}");
    let gap_start = first.len() / VAD_CHUNK_8K;
    let gap_end = (first.len() + gap.len()) / VAD_CHUNK_8K;
    assert!(
        regions[0].1 < gap_start + 8,
        "first region ends in the gap: {regions:?}"
    );
    assert!(
        regions[1].0 > gap_end - 2,
        "second region starts early: {regions:?}"
    );
    // The middle of the gap is clearly silence.
    let middle = &p[gap_start + 10..gap_end - 5];
    assert!(middle.iter().all(|v| *v < 0.1), "gap scores {middle:?}");
}

#[test]
fn agrees_with_energy_on_where_speech_is() {
    onnxruntime();
    let mut vad = SileroVad::load(&model("silero_vad.onnx")).expect("VAD loads");
    let mut audio = vec![0.0f32; 4_000];
    audio.extend(prompt_8k("agent-alreadyon"));
    audio.extend(vec![0.0f32; 8_000]);
    let p = probabilities(&mut vad, &audio);
    // Energy ground truth: chunks within 0.25 s of a chunk 30 dB below full scale or louder.
    let loud: Vec<bool> = audio
        .chunks_exact(VAD_CHUNK_8K)
        .map(|c| (c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32).sqrt() > 0.03)
        .collect();
    let near_loud: Vec<bool> = (0..loud.len())
        .map(|i| {
            loud[i.saturating_sub(8)..(i + 9).min(loud.len())]
                .iter()
                .any(|l| *l)
        })
        .collect();
    let agree = p
        .iter()
        .zip(&near_loud)
        .filter(|(v, l)| (**v > 0.5) == **l)
        .count();
    let rate = agree as f64 / p.len() as f64;
    assert!(rate > 0.9, "agreement {:.1}%", rate * 100.0);
}

#[test]
fn silence_scores_low_and_reset_forgets() {
    onnxruntime();
    let mut vad = SileroVad::load(&model("silero_vad.onnx")).expect("VAD loads");
    let silence = probabilities(&mut vad, &vec![0.0; 8_000]);
    assert!(silence.iter().all(|v| *v < 0.1), "{silence:?}");
    let speech = prompt_8k("vm-sorry");
    vad.reset();
    let first = probabilities(&mut vad, &speech[..8_192]);
    vad.reset();
    let again = probabilities(&mut vad, &speech[..8_192]);
    assert_eq!(first, again, "after reset the same audio scores the same");
    assert!(
        first.iter().any(|v| *v > 0.8),
        "speech never detected: {first:?}"
    );
}

#[test]
fn wrong_chunk_length_is_an_error() {
    onnxruntime();
    let mut vad = SileroVad::load(&model("silero_vad.onnx")).expect("VAD loads");
    assert!(matches!(
        vad.speech_probability(&[0.0; 512]),
        Err(ListenError::VadChunk {
            expected: 256,
            got: 512
        })
    ));
}
