//! Shouting in recorded speech: a human voice (Asterisk's prompts) 12 dB louder than the same
//! caller's first utterance raises anger; the same words at the normal level do not.

mod support;

use hotline_mood::{MoodReading, MoodTracker, Signal, TurnObservation};

/// -12 dB: the caller's normal level on the line; the shouted turn is the recording as is.
const NORMAL_GAIN: f32 = 0.25;
const WORDS: &str = "I need to change my delivery address.";

fn speak(tracker: &mut MoodTracker, text: &str, audio: &[f32]) -> MoodReading {
    tracker.observe(TurnObservation {
        text,
        audio_8k: Some(audio),
        failures_in_a_row: 0,
    })
}

/// A call whose first turn sets the baseline, then `WORDS` at `gain`.
fn second_turn(gain: f32) -> MoodReading {
    let mut tracker = support::tracker();
    let first = speak(
        &mut tracker,
        "Hello, I'm calling about my order.",
        &support::prompt_8k("agent-pass", NORMAL_GAIN),
    );
    assert!(first.voice.is_some(), "the prompt is voiced");
    let reading = speak(
        &mut tracker,
        WORDS,
        &support::prompt_8k("agent-newlocation", gain),
    );
    eprintln!(
        "gain {gain}: {:.3} anger, cues {:?}",
        reading.anger, reading.cues
    );
    reading
}

#[test]
fn shouting_raises_anger_and_the_normal_voice_does_not() {
    let normal = second_turn(NORMAL_GAIN);
    let shouted = second_turn(1.0);
    assert!(normal.anger < 0.3, "{normal:?}");
    assert!(normal.cues.is_empty(), "{normal:?}");
    assert!(shouted.anger > normal.anger + 0.3, "{shouted:?}");
    let louder = shouted.cues.iter().find_map(|c| match c.signal {
        Signal::Louder { db_above_baseline } => Some(db_above_baseline),
        _ => None,
    });
    let louder = louder.expect("a louder cue");
    assert!((9.0..15.0).contains(&louder), "{louder} dB");
    // Same speaker: her pitch is not raised.
    assert!(!shouted
        .cues
        .iter()
        .any(|c| matches!(c.signal, Signal::HigherPitch { .. })));
}

#[test]
fn recorded_speech_gives_a_plausible_voice_measure() {
    let audio = support::prompt_8k("agent-pass", 1.0);
    let reading = speak(&mut support::tracker(), "hello", &audio);
    let voice = reading.voice.expect("voiced");
    // A woman's voice, most of a 3.3 s prompt voiced, at a normal recording level.
    assert!((150.0..300.0).contains(&voice.pitch_hz), "{voice:?}");
    assert!((0.8..3.3).contains(&voice.voiced_seconds), "{voice:?}");
    assert!((-25.0..-8.0).contains(&voice.level_dbfs), "{voice:?}");
}
