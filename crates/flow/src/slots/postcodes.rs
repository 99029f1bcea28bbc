//! Postcodes as callers say them: UK postcodes written ("SW1A 1AA", "ec1a1bb") or spelled out
//! ("s w one a one a a", "double a"), and US ZIP codes ("90210", "90210-1234", "nine oh two
//! one oh"). Stored as `SW1A 1AA` (upper case, one space before the last three) or `90210`,
//! `90210-1234`.

use super::numbers::digits;
use super::tokens;
use crate::say_as::ONES;

/// The UK outward code's shapes (`L` a letter, `D` a digit); the inward code is always `DLL`.
const OUTWARD: [&str; 6] = ["LD", "LDD", "LLD", "LLDD", "LDL", "LLDL"];

/// Words around a postcode that must not be taken for letters.
const NOT_LETTERS: [&str; 16] = [
    "is", "it", "its", "my", "in", "on", "at", "to", "of", "me", "be", "so", "uh", "um", "er", "ok",
];

/// A UK postcode or a US ZIP code in a transcript, in canonical form.
pub fn postcode(text: &str) -> Option<String> {
    uk_postcode(text).or_else(|| us_zip(text))
}

/// The longest run of postcode characters in the transcript that forms a UK postcode.
fn uk_postcode(text: &str) -> Option<String> {
    let words = tokens(text);
    let mut best: Option<String> = None;
    for start in 0..words.len() {
        let mut chars = String::new();
        let mut end = start;
        let mut repeat = 1;
        while end < words.len() {
            match words[end].as_str() {
                "double" => repeat = 2,
                "triple" => repeat = 3,
                word => match characters(word) {
                    Some(c) => {
                        let c = if repeat > 1 && c.len() == 1 {
                            c.repeat(repeat)
                        } else {
                            c
                        };
                        chars.push_str(&c);
                        repeat = 1;
                    }
                    None => break,
                },
            }
            end += 1;
            if chars.len() > 7 {
                break;
            }
            if let Some(code) = uk_shape(&chars) {
                if best.as_ref().is_none_or(|b| code.len() > b.len()) {
                    best = Some(code);
                }
            }
        }
    }
    best
}

/// What one word adds to a spelled-out postcode, upper case; `None` if it cannot be part of one.
fn characters(word: &str) -> Option<String> {
    if let Some(n) = ONES.iter().take(10).position(|u| *u == word) {
        return Some(n.to_string());
    }
    if word == "oh" {
        return Some("O".to_string());
    }
    if NOT_LETTERS.contains(&word) || !word.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let has_digit = word.chars().any(|c| c.is_ascii_digit());
    if (has_digit && word.len() <= 7) || word.len() <= 2 {
        return Some(word.to_ascii_uppercase());
    }
    None
}

/// `chars` as a UK postcode if its shape fits, reading `O` as zero where a digit belongs and `0`
/// as `O` where a letter belongs.
fn uk_shape(chars: &str) -> Option<String> {
    let chars: Vec<char> = chars.chars().collect();
    if !(5..=7).contains(&chars.len()) {
        return None;
    }
    let (outward, inward) = chars.split_at(chars.len() - 3);
    let inward = coerce(inward, "DLL")?;
    let outward = OUTWARD.iter().find_map(|shape| coerce(outward, shape))?;
    Some(format!("{outward} {inward}"))
}

fn coerce(chars: &[char], shape: &str) -> Option<String> {
    if chars.len() != shape.len() {
        return None;
    }
    chars
        .iter()
        .zip(shape.chars())
        .map(|(&c, kind)| match (kind, c) {
            ('D', '0'..='9') | ('L', 'A'..='Z') => Some(c),
            ('D', 'O') => Some('0'),
            ('L', '0') => Some('O'),
            _ => None,
        })
        .collect()
}

/// A US ZIP code: 5 digits, or ZIP+4 (9 digits, written with or without the hyphen).
fn us_zip(text: &str) -> Option<String> {
    let found = digits(text, None)?;
    match found.len() {
        5 => Some(found),
        9 => Some(format!("{}-{}", &found[..5], &found[5..])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::postcode;

    #[test]
    fn uk_postcodes_written_and_spelled() {
        assert_eq!(postcode("SW1A 1AA"), Some("SW1A 1AA".into()));
        assert_eq!(postcode("It's EC1A 1BB."), Some("EC1A 1BB".into()));
        assert_eq!(postcode("ec1a1bb"), Some("EC1A 1BB".into()));
        assert_eq!(postcode("s w one a one a a"), Some("SW1A 1AA".into()));
        assert_eq!(
            postcode("My postcode is S W 1 A, 1 double A"),
            Some("SW1A 1AA".into())
        );
        assert_eq!(postcode("M1 1AE"), Some("M1 1AE".into()));
        assert_eq!(postcode("B33 8TH"), Some("B33 8TH".into()));
        assert_eq!(postcode("W1A oh A X"), Some("W1A 0AX".into()));
    }

    #[test]
    fn us_zip_codes_written_and_spoken() {
        assert_eq!(postcode("90210"), Some("90210".into()));
        assert_eq!(postcode("my zip is 90210-1234"), Some("90210-1234".into()));
        assert_eq!(postcode("nine oh two one oh"), Some("90210".into()));
        assert_eq!(
            postcode("nine zero two one zero one two three four"),
            Some("90210-1234".into())
        );
    }

    #[test]
    fn other_answers_are_not_postcodes() {
        assert_eq!(postcode("I don't know"), None);
        assert_eq!(postcode("four five six seven"), None);
        assert_eq!(postcode("SW1A"), None, "an outward code alone");
        assert_eq!(postcode("123456"), None);
    }
}
