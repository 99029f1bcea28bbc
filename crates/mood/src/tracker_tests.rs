//! Tests of the mood tracker's combination of signals, with a small in-test lexicon and
//! synthetic voice; the real lexicon and recorded speech are exercised in `tests/`.

use std::f32::consts::PI;
use std::sync::Arc;

use crate::{Lexicon, MoodConfig, MoodReading, MoodTracker, Signal, TurnObservation};

fn lexicon() -> Arc<Lexicon> {
    Arc::new(Lexicon::from_entries([
        ("great", 3.1),
        ("thanks", 1.9),
        ("bad", -2.5),
        ("useless", -1.8),
        ("ridiculous", -1.1),
        ("idiot", -2.3),
        ("help", 1.7),
        ("helps", 1.7),
        ("forgot", -1.2),
        ("damn", -1.7),
    ]))
}

fn tracker() -> MoodTracker {
    MoodTracker::new(lexicon(), MoodConfig::default())
}

fn say(tracker: &mut MoodTracker, text: &str) -> MoodReading {
    tracker.observe(TurnObservation {
        text,
        audio_8k: None,
        failures_in_a_row: 0,
    })
}

fn anger_of(text: &str) -> f32 {
    say(&mut tracker(), text).anger
}

fn has(reading: &MoodReading, matches: impl Fn(&Signal) -> bool) -> bool {
    reading.cues.iter().any(|c| matches(&c.signal))
}

#[test]
fn polite_turns_stay_calm() {
    for text in [
        "how long does delivery take",
        "thanks, that's great",
        "could you help me change my address please",
        "",
    ] {
        let anger = anger_of(text);
        assert!(anger < 0.3, "{text}: {anger}");
    }
}

#[test]
fn insults_and_frustration_cross_the_angry_line() {
    for text in [
        "this is ridiculous, I've called three times and nobody helps me, you are useless",
        "you idiot",
        "you are useless",
        "This is ridiculous! I have called three times and you people are useless. I want a manager now!",
    ] {
        let anger = anger_of(text);
        assert!(anger > 0.7, "{text}: {anger}");
    }
}

#[test]
fn one_mild_word_does_not_escalate() {
    let anger = anger_of("damn, I forgot my order number");
    assert!(anger > 0.0 && anger < 0.5, "{anger}");
    let anger = anger_of("that's bad");
    assert!(anger < 0.4, "{anger}");
}

#[test]
fn cues_explain_the_reading() {
    let reading = say(&mut tracker(), "I already told you, you idiot");
    assert!(has(
        &reading,
        |s| matches!(s, Signal::Insult { word, directed: true } if word == "idiot")
    ));
    assert!(has(&reading, |s| matches!(
        s,
        Signal::Frustration {
            phrase: "already told you"
        }
    )));
    assert!(has(&reading, |s| matches!(s, Signal::NegativeWords { .. })));
    assert!(reading.sentiment < 0.0);
    // Evidence is the noisy-or of the cue weights.
    let expected = 1.0 - reading.cues.iter().map(|c| 1.0 - c.weight).product::<f32>();
    assert!((reading.evidence - expected).abs() < 1e-6);
}

#[test]
fn repeating_a_request_raises_anger_each_time() {
    let mut tracker = tracker();
    let first = say(&mut tracker, "I want to change my delivery address");
    let second = say(&mut tracker, "change my delivery address");
    let third = say(&mut tracker, "I said change the delivery address");
    assert!(first.anger < 0.1, "{}", first.anger);
    assert!(second.anger > first.anger + 0.15, "{second:?}");
    assert!(third.anger > second.anger + 0.15, "{third:?}");
    assert!(has(&third, |s| matches!(
        s,
        Signal::Repetition {
            earlier_turns: 2,
            ..
        }
    )));
    // A new topic is no repetition.
    let other = say(&mut tracker, "what are your opening hours on sunday");
    assert!(!has(&other, |s| matches!(s, Signal::Repetition { .. })));
}

#[test]
fn consecutive_failures_raise_anger() {
    let mut tracker = tracker();
    let mut last = 0.0;
    for failures in 1..=4 {
        let reading = tracker.observe(TurnObservation {
            text: "",
            audio_8k: None,
            failures_in_a_row: failures,
        });
        if failures == 1 {
            assert_eq!(reading.anger, 0.0);
        } else {
            assert!(reading.anger > last, "{failures}: {reading:?}");
        }
        last = reading.anger;
    }
}

#[test]
fn anger_fades_over_calm_turns_but_not_at_once() {
    let mut tracker = tracker();
    let angry = say(&mut tracker, "you are useless").anger;
    let next = say(&mut tracker, "my order number is four five six").anger;
    let later = say(&mut tracker, "it was delivered to the old address").anger;
    assert!(next < angry && next > 0.3, "{angry} {next}");
    assert!(later < next, "{next} {later}");
    assert_eq!(tracker.history().len(), 3);
    assert_eq!(tracker.anger(), later);
}

/// A voice-like tone of `seconds` at `f0` Hz.
fn voice(f0: f32, amplitude: f32, seconds: f32) -> Vec<f32> {
    let len = (seconds * 8000.0) as usize;
    (0..len)
        .map(|n| {
            let t = n as f32 / 8000.0;
            (1..=4)
                .map(|h| amplitude / h as f32 * (2.0 * PI * f0 * h as f32 * t).sin())
                .sum()
        })
        .collect()
}

fn speak(tracker: &mut MoodTracker, text: &str, audio: &[f32]) -> MoodReading {
    tracker.observe(TurnObservation {
        text,
        audio_8k: Some(audio),
        failures_in_a_row: 0,
    })
}

#[test]
fn a_raised_voice_counts_against_the_callers_own_baseline() {
    let text = "I need to change my address";
    let mut calm = tracker();
    speak(&mut calm, "hello", &voice(180.0, 0.05, 1.0));
    let normal = speak(&mut calm, text, &voice(180.0, 0.05, 1.0));
    assert!(normal.anger < 0.1, "{normal:?}");

    let mut loud = tracker();
    speak(&mut loud, "hello", &voice(180.0, 0.05, 1.0));
    let shouted = speak(&mut loud, text, &voice(180.0, 0.2, 1.0));
    assert!(has(
        &shouted,
        |s| matches!(s, Signal::Louder { db_above_baseline } if *db_above_baseline > 11.0)
    ));
    assert!(shouted.anger >= 0.65, "{shouted:?}");

    let mut high = tracker();
    speak(&mut high, "hello", &voice(180.0, 0.05, 1.0));
    let raised = speak(&mut high, text, &voice(250.0, 0.05, 1.0));
    assert!(has(&raised, |s| matches!(s, Signal::HigherPitch { .. })));
    assert!(raised.anger > normal.anger + 0.2, "{raised:?}");

    // A caller who is loud from the start is not shouting: the first turn sets the baseline.
    let mut always_loud = tracker();
    let first = speak(&mut always_loud, "hello", &voice(180.0, 0.2, 1.0));
    let second = speak(&mut always_loud, text, &voice(180.0, 0.2, 1.0));
    assert!(first.anger < 0.1 && second.anger < 0.1, "{second:?}");
}
