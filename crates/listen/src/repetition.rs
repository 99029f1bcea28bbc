//! Repetition loops in a transcript: how compressible it is, and collapsing a phrase repeated at its end.
//!
//! Whisper's decoder sometimes falls into a loop ("press 1 to record your temporary greeting"
//! five times over) and repeats a phrase until its token budget runs out. The decoding fallback
//! catches most of them; this is the last guard, on the text itself.

use std::io::Write;

/// OpenAI's reference treats a text that gzip compresses more than this as a repetition loop.
pub const COMPRESSION_RATIO_THRESHOLD: f32 = 2.4;

/// How compressible `text` is: its length in bytes over its zlib-compressed length, as OpenAI's
/// reference computes it. Plain speech scores about 1–2; a loop scores well above 2.4.
pub fn compression_ratio(text: &str) -> f32 {
    if text.is_empty() {
        return 0.0;
    }
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(text.len()),
        flate2::Compression::best(),
    );
    // Writing to a Vec cannot fail.
    let compressed = encoder
        .write_all(text.as_bytes())
        .and_then(|()| encoder.finish())
        .map(|c| c.len())
        .unwrap_or(text.len());
    text.len() as f32 / compressed.max(1) as f32
}

/// Longest repeated phrase looked for, in words.
const MAX_PHRASE_WORDS: usize = 12;

/// Consecutive copies of a phrase of `words` words at the end of a text that count as a loop:
/// "no, no, no" and "bye bye" are speech; the same word five times or a longer phrase three
/// times is a decoder loop.
fn copies_for_loop(words: usize) -> usize {
    match words {
        1 => 5,
        2 => 4,
        _ => 3,
    }
}

/// A word compared without case or punctuation, so "Juliet," repeats "juliet".
fn key(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// When `text` ends in a phrase repeated as a loop (possibly cut off part-way through a last
/// copy, as a loop stopped by the token cap is), the text with that phrase kept once and the rest
/// of the loop dropped; `None` when there is no loop.
pub fn collapse_repeats(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let keys: Vec<String> = words.iter().map(|w| key(w)).collect();
    let (mut text_words, mut collapsed) = (words.len(), false);
    // Loops can nest ("a b a b c a b a b c ..."): repeat until nothing more collapses.
    while let Some(keep) = shortest_collapse(&keys[..text_words]) {
        text_words = keep;
        collapsed = true;
    }
    if !collapsed {
        return None;
    }
    let mut kept = words[..text_words].join(" ");
    // A phrase cut from a loop may end in a comma: end the text cleanly.
    while kept.ends_with([',', ';', ':', '-']) {
        kept.pop();
    }
    Some(kept)
}

/// Words to keep when the end of `keys` is a loop: the most words dropped over all phrase lengths.
fn shortest_collapse(keys: &[String]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for n in 1..=MAX_PHRASE_WORDS.min(keys.len() / 2) {
        // Smallest `start` such that keys[start..] has period n.
        let mut start = keys.len() - n;
        while start > 0 && keys[start - 1] == keys[start - 1 + n] {
            start -= 1;
        }
        let copies = (keys.len() - start) / n;
        if copies < copies_for_loop(n) || keys[start..start + n].iter().all(String::is_empty) {
            continue;
        }
        let keep = start + n;
        if best.is_none_or(|b| keep < b) {
            best = Some(keep);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_looping_to_the_token_cap_is_kept_once() {
        let looped = "Press 1 to record your temporary greeting. Press 1 to record your temporary \
                      greeting. Press 1 to record your temporary greeting. Press 1 to record your";
        assert_eq!(
            collapse_repeats(looped).as_deref(),
            Some("Press 1 to record your temporary greeting.")
        );
    }

    #[test]
    fn a_word_repeated_thirteen_times_is_kept_once() {
        let mut text = String::from("The letter is");
        for _ in 0..13 {
            text.push_str(" Juliet,");
        }
        assert_eq!(
            collapse_repeats(&text).as_deref(),
            Some("The letter is Juliet")
        );
    }

    #[test]
    fn natural_repetition_is_left_alone() {
        for text in [
            "No, no, no, that's wrong.",
            "Bye bye.",
            "Thank you, thank you.",
            "one two three four five six",
            "That that is is that that is not is not.",
            "",
        ] {
            assert_eq!(collapse_repeats(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_text_before_a_loop_is_kept() {
        let text = "My number is 4 4 4 4 4 4 4 4";
        assert_eq!(collapse_repeats(text).as_deref(), Some("My number is 4"));
        let text = "Please hold. I'm sorry, I'm sorry, I'm sorry, I'm sorry, I'm sorry,";
        assert_eq!(
            collapse_repeats(text).as_deref(),
            Some("Please hold. I'm sorry")
        );
    }

    #[test]
    fn loops_compress_far_better_than_speech() {
        let speech = "Thank you for calling. If you know your party's extension, you may dial it \
                      at any time. For an operator, press zero.";
        assert!(compression_ratio(speech) < COMPRESSION_RATIO_THRESHOLD);
        let looped = "Press 1 to record your temporary greeting. ".repeat(6);
        assert!(compression_ratio(&looped) > COMPRESSION_RATIO_THRESHOLD);
        assert_eq!(compression_ratio(""), 0.0);
    }
}
