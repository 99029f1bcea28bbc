//! Hot words on a second decode only: when the plain transcript is uncertain enough to be worth
//! decoding again primed with the flow's words, and which of the two transcripts to keep.
//!
//! Priming every decode with the flow's words slowed every turn under load (its tokens go
//! through the decoder each time); most turns are heard well without them, so only the turns
//! Whisper itself was unsure of pay for the second decode.

use crate::Transcript;

/// Above this no-speech probability the clip is taken for silence or noise: a prompt would only
/// invite Whisper to hallucinate the flow's words into it.
const SILENCE: f32 = 0.6;

/// True when `first` (decoded without a prompt) should be decoded again with the hot words:
/// it has words, or nearly (a garbled question can fall under the no-speech confidence floor),
/// its mean token probability is under `below`, and Whisper does not think the clip is silence.
pub fn second_pass_wanted(first: &Transcript, below: f32) -> bool {
    first.confidence < below && first.no_speech_probability <= SILENCE && !first.text.is_empty()
}

/// The transcript to keep of a plain decode and a primed one: the primed one, unless Whisper
/// heard no speech in it or was less sure of it than of the plain one.
pub fn keep_better(plain: Transcript, primed: Transcript) -> Transcript {
    if primed.no_speech || primed.confidence < plain.confidence {
        plain
    } else {
        primed
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn heard(text: &str, confidence: f32, no_speech_probability: f32) -> Transcript {
        Transcript {
            text: text.to_string(),
            confidence,
            no_speech_probability,
            audio: Duration::from_secs(2),
            elapsed: Duration::from_millis(300),
            no_speech: text.is_empty() || confidence < 0.4,
            redecoded: false,
            repeats_removed: false,
            windows: 1,
        }
    }

    #[test]
    fn a_confident_transcript_is_kept_without_a_second_decode() {
        assert!(!second_pass_wanted(
            &heard("Where is my order?", 0.91, 0.01),
            0.8
        ));
    }

    #[test]
    fn an_unsure_transcript_is_decoded_again() {
        assert!(second_pass_wanted(
            &heard("How much does keeping cost?", 0.63, 0.02),
            0.8
        ));
        // Under the no-speech floor, yet words were heard: still worth a second look.
        assert!(second_pass_wanted(&heard("Kipping cast", 0.35, 0.1), 0.8));
    }

    #[test]
    fn silence_and_noise_are_never_primed() {
        assert!(!second_pass_wanted(&heard("", 0.0, 0.1), 0.8));
        assert!(!second_pass_wanted(&heard("Thank you.", 0.3, 0.9), 0.8));
    }

    #[test]
    fn the_primed_transcript_wins_when_whisper_is_surer_of_it() {
        let plain = heard("How much does keeping cost?", 0.63, 0.02);
        let primed = heard("How much does shipping cost?", 0.81, 0.02);
        assert_eq!(
            keep_better(plain, primed).text,
            "How much does shipping cost?"
        );
    }

    #[test]
    fn the_plain_transcript_stays_when_the_prompt_made_things_worse() {
        let plain = heard("Can I pay by card?", 0.7, 0.02);
        let echoed = heard("Delivery, returns, refunds.", 0.55, 0.02);
        assert_eq!(
            keep_better(plain.clone(), echoed).text,
            "Can I pay by card?"
        );
        let silent = heard("", 0.0, 0.02);
        assert_eq!(keep_better(plain, silent).text, "Can I pay by card?");
    }
}
