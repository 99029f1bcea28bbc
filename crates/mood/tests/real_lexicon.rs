//! Sentiment and anger of typical caller sentences scored with the real VADER lexicon, as the
//! product runs them (the lead's escalation test relies on the angry utterance below).

mod support;

use hotline_mood::{score_text, MoodReading, MoodTracker, Signal, TurnObservation};

/// The sentence espeak-ng speaks in the end-to-end escalation test.
const ANGRY_UTTERANCE: &str =
    "This is ridiculous! I have called three times and you people are useless. I want a manager now!";

fn say(tracker: &mut MoodTracker, text: &str) -> MoodReading {
    tracker.observe(TurnObservation {
        text,
        audio_8k: None,
        failures_in_a_row: 0,
    })
}

fn first_turn(text: &str) -> MoodReading {
    let reading = say(&mut support::tracker(), text);
    eprintln!(
        "{:.3} anger, {:+.3} sentiment: {text}",
        reading.anger, reading.sentiment
    );
    reading
}

#[test]
fn the_lexicon_gives_the_expected_directions() {
    let lexicon = support::lexicon();
    assert!(lexicon.len() > 7000, "{} entries", lexicon.len());
    assert!(score_text(&lexicon, "thanks, that's great").compound > 0.5);
    assert_eq!(
        score_text(&lexicon, "how long does delivery take").compound,
        0.0
    );
    assert!(score_text(&lexicon, "not bad at all").compound > 0.2);
    assert!(score_text(&lexicon, "this is not good").compound < -0.2);
    assert!(score_text(&lexicon, "you are useless").compound < -0.2);
    assert!(
        score_text(&lexicon, "the service is very good").compound
            > score_text(&lexicon, "the service is good").compound
    );
}

#[test]
fn polite_callers_stay_below_three_tenths() {
    for text in [
        "how long does delivery take",
        "thanks, that's great",
        "Hello, I'd like to check the status of my order, please.",
        "Can you tell me your opening hours?",
        "not bad at all",
        "Sorry, could you repeat that?",
    ] {
        let reading = first_turn(text);
        assert!(reading.anger < 0.3, "{text}: {reading:?}");
    }
}

#[test]
fn angry_callers_cross_seven_tenths() {
    for text in [
        "this is ridiculous, I've called three times and nobody helps me, you are useless",
        "You idiot.",
        "Are you stupid? I already told you my account number.",
        ANGRY_UTTERANCE,
        // The same as a recogniser may write it: no punctuation, digits.
        "this is ridiculous i have called 3 times and you people are useless i want a manager now",
    ] {
        let reading = first_turn(text);
        assert!(reading.anger > 0.7, "{text}: {reading:?}");
    }
}

#[test]
fn one_mild_word_stays_below_half() {
    for text in [
        "damn, I forgot my order number",
        "what the hell, the parcel is late",
        "the app is useless",
    ] {
        let reading = first_turn(text);
        assert!(
            reading.anger > 0.1 && reading.anger < 0.5,
            "{text}: {reading:?}"
        );
    }
}

#[test]
fn the_escalation_utterance_names_its_reasons() {
    let reading = first_turn(ANGRY_UTTERANCE);
    let has = |f: &dyn Fn(&Signal) -> bool| reading.cues.iter().any(|c| f(&c.signal));
    assert!(has(
        &|s| matches!(s, Signal::Insult { word, directed: true } if word == "useless")
    ));
    assert!(has(&|s| matches!(
        s,
        Signal::Frustration {
            phrase: "called again"
        }
    )));
    assert!(has(&|s| matches!(
        s,
        Signal::Frustration {
            phrase: "wants a human"
        }
    )));
    assert!(reading.sentiment < -0.3);
}

#[test]
fn a_request_repeated_three_times_raises_anger() {
    let mut tracker = support::tracker();
    let readings: Vec<f32> = [
        "I want to change my delivery address.",
        "Change my delivery address.",
        "I want to change the delivery address!",
    ]
    .iter()
    .map(|text| say(&mut tracker, text).anger)
    .collect();
    eprintln!("repetition: {readings:?}");
    assert!(readings[0] < 0.3);
    assert!(
        readings[1] > readings[0] && readings[2] > readings[1] + 0.1,
        "{readings:?}"
    );
}
