//! Times of day as callers say them: "half past nine", "quarter to ten", "nine thirty",
//! "9:30 pm", "ten o'clock in the evening", "noon". Returned on the 24-hour clock.

use super::numbers::{piece, Piece};
use super::tokens;

/// Hour (0-23) and minute of a time a caller said. Without "am"/"pm" (or "in the evening"),
/// the hour is taken as said.
pub fn time(text: &str) -> Option<(u32, u32)> {
    let words = tokens(text);
    let has = |w: &str| words.iter().any(|x| x == w);
    if has("noon") || has("midday") {
        return Some((12, 0));
    }
    if has("midnight") {
        return Some((0, 0));
    }
    let (hour, minute) = past_or_to(&words).or_else(|| clock(&words))?;
    let (hour, minute) = apply_meridiem(hour, minute, meridiem(&words))?;
    (hour < 24 && minute < 60).then_some((hour, minute))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Meridiem {
    Am,
    Pm,
}

fn meridiem(words: &[String]) -> Option<Meridiem> {
    let phrase = |p: &[&str]| words.windows(p.len()).any(|win| win == p);
    if phrase(&["am"]) || phrase(&["a", "m"]) || phrase(&["morning"]) {
        Some(Meridiem::Am)
    } else if phrase(&["pm"])
        || phrase(&["p", "m"])
        || phrase(&["afternoon"])
        || phrase(&["evening"])
        || phrase(&["night"])
        || phrase(&["tonight"])
    {
        Some(Meridiem::Pm)
    } else {
        None
    }
}

fn apply_meridiem(hour: u32, minute: u32, m: Option<Meridiem>) -> Option<(u32, u32)> {
    match m {
        None => Some((hour, minute)),
        Some(_) if hour == 0 || hour > 12 => None,
        Some(Meridiem::Am) => Some((hour % 12, minute)),
        Some(Meridiem::Pm) => Some((hour % 12 + 12, minute)),
    }
}

/// Number values of consecutive number words starting at `i`: "twenty one" is one value,
/// "oh five" two (0 and 5). Stops at the first other word.
fn values(words: &[String], mut i: usize) -> Vec<u32> {
    let mut out = Vec::new();
    while let Some(word) = words.get(i) {
        let value = match piece(word) {
            Some(Piece::Numeral) => word.parse().ok(),
            Some(Piece::Unit(d) | Piece::Weak(d)) => Some(d),
            Some(Piece::Teen(t)) => Some(t),
            Some(Piece::Tens(t)) => match words.get(i + 1).and_then(|w| piece(w)) {
                Some(Piece::Unit(d)) if d > 0 => {
                    i += 1;
                    Some(t + d)
                }
                _ => Some(t),
            },
            _ => None,
        };
        match value {
            Some(v) => out.push(v),
            None => break,
        }
        i += 1;
    }
    out
}

/// "half past nine", "quarter to ten", "twenty past three", "ten minutes to six".
fn past_or_to(words: &[String]) -> Option<(u32, u32)> {
    let link = words.iter().position(|w| {
        matches!(
            w.as_str(),
            "past" | "after" | "to" | "before" | "til" | "till"
        )
    })?;
    let hour = *values(words, link + 1).first()?;
    let before: Vec<&str> = words[..link]
        .iter()
        .map(String::as_str)
        .filter(|w| !matches!(*w, "minutes" | "minute" | "a"))
        .collect();
    let minutes = match *before.last()? {
        "half" => 30,
        "quarter" => 15,
        _ => {
            let start = words[..link]
                .iter()
                .rposition(|w| piece(w).is_none() && !matches!(w.as_str(), "minutes" | "minute"))
                .map_or(0, |p| p + 1);
            let found = values(words, start);
            *found.first()?
        }
    };
    if minutes == 0 || minutes >= 60 || hour == 0 || hour > 12 {
        return None;
    }
    if words[link] == "past" || words[link] == "after" {
        Some((hour, minutes))
    } else {
        Some(((hour + 11) % 12, 60 - minutes))
    }
}

/// "9:30", "nine thirty", "nine oh five", "ten o'clock", "9 pm", "21 30".
fn clock(words: &[String]) -> Option<(u32, u32)> {
    for (i, word) in words.iter().enumerate() {
        if let Some((h, m)) = word.split_once(':') {
            return Some((h.parse().ok()?, m.parse().ok()?));
        }
        if piece(word).is_none() || matches!(piece(word), Some(Piece::Weak(_))) {
            continue;
        }
        let found = values(words, i);
        let next_is_oclock = words.get(i + found.len()).is_some_and(|w| w == "oclock");
        return match found.as_slice() {
            [hhmm] if *hhmm >= 100 && !next_is_oclock => Some((hhmm / 100, hhmm % 100)),
            [h] => Some((*h, 0)),
            [h, m] => Some((*h, *m)),
            [h, 0, m] if *m < 10 => Some((*h, *m)),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_and_to() {
        assert_eq!(time("half past nine"), Some((9, 30)));
        assert_eq!(time("quarter past ten"), Some((10, 15)));
        assert_eq!(time("a quarter to ten"), Some((9, 45)));
        assert_eq!(time("twenty past three"), Some((3, 20)));
        assert_eq!(time("ten minutes to six"), Some((5, 50)));
        assert_eq!(time("quarter to one"), Some((0, 45)));
        assert_eq!(time("half past seven in the evening"), Some((19, 30)));
    }

    #[test]
    fn clock_readings() {
        assert_eq!(time("9:30 pm"), Some((21, 30)));
        assert_eq!(time("9:30 p.m."), Some((21, 30)));
        assert_eq!(time("at 9:30"), Some((9, 30)));
        assert_eq!(time("21:30"), Some((21, 30)));
        assert_eq!(time("nine thirty"), Some((9, 30)));
        assert_eq!(time("nine oh five"), Some((9, 5)));
        assert_eq!(time("ten o'clock"), Some((10, 0)));
        assert_eq!(time("9 pm"), Some((21, 0)));
        assert_eq!(time("twelve am"), Some((0, 0)));
        assert_eq!(time("twelve thirty pm"), Some((12, 30)));
        assert_eq!(time("eleven forty five in the morning"), Some((11, 45)));
        assert_eq!(time("930"), Some((9, 30)));
    }

    #[test]
    fn named_times_and_rejects() {
        assert_eq!(time("at noon"), Some((12, 0)));
        assert_eq!(time("midnight"), Some((0, 0)));
        assert_eq!(time("25:00"), None);
        assert_eq!(time("9:75"), None);
        assert_eq!(time("thirteen pm"), None);
        assert_eq!(time("whenever suits"), None);
    }
}
