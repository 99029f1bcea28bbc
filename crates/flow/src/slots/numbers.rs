//! Spoken numbers and digit sequences: "four five six seven", "forty two", "double five",
//! "oh" for zero, "four hundred and twelve", "nineteen eighty five", and the words speech
//! recognition writes for digits it misheard ("for", "to", "won", "ate") when they stand
//! among other digits.

use super::tokens;
use crate::say_as::{ONES, TENS};

/// What one word contributes to a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Piece {
    /// Written digits, e.g. `4567` (the text is kept beside the piece).
    Numeral,
    /// A digit word, `zero`-`nine`.
    Unit(u32),
    /// A word that is a digit only among other digits (`for`, `to`, `oh`, `won`, `ate`).
    Weak(u32),
    /// `ten`-`nineteen`.
    Teen(u32),
    /// `twenty`-`ninety`.
    Tens(u32),
    Hundred,
    Thousand,
    Double,
    Triple,
    /// `and` inside a number ("four hundred and twelve").
    And,
    /// Hesitations and separators inside a digit sequence (`uh`, `dash`).
    Filler,
}

/// The piece a word stands for, if it belongs to numbers at all.
pub(super) fn piece(word: &str) -> Option<Piece> {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()) {
        return Some(Piece::Numeral);
    }
    if let Some(n) = ONES.iter().position(|u| *u == word) {
        return Some(if n < 10 {
            Piece::Unit(n as u32)
        } else {
            Piece::Teen(n as u32)
        });
    }
    if let Some(t) = TENS.iter().skip(2).position(|u| *u == word) {
        return Some(Piece::Tens(20 + 10 * t as u32));
    }
    Some(match word {
        "nought" | "naught" | "nil" => Piece::Unit(0),
        "fourty" => Piece::Tens(40),
        "oh" | "o" => Piece::Weak(0),
        "won" => Piece::Weak(1),
        "to" | "too" => Piece::Weak(2),
        "tree" | "free" => Piece::Weak(3),
        "for" | "fore" => Piece::Weak(4),
        "ate" => Piece::Weak(8),
        "hundred" => Piece::Hundred,
        "thousand" => Piece::Thousand,
        "double" => Piece::Double,
        "triple" => Piece::Triple,
        "and" => Piece::And,
        "uh" | "um" | "er" | "erm" | "uhm" | "dash" | "hyphen" => Piece::Filler,
        _ => return None,
    })
}

/// A word of a transcript with its number piece.
type Word<'a> = (&'a str, Piece);

/// True for pieces that are certainly part of a number.
fn is_strong(p: Piece) -> bool {
    !matches!(p, Piece::Weak(_) | Piece::And | Piece::Filler)
}

/// True for pieces that make a neighbouring weak word credible as a digit.
fn vouches_for_weak(word: &Word<'_>) -> bool {
    match word.1 {
        Piece::Numeral => word.0.len() == 1,
        Piece::Unit(_) | Piece::Weak(_) | Piece::Teen(_) | Piece::Tens(_) => true,
        Piece::Double | Piece::Triple => true,
        _ => false,
    }
}

/// Maximal stretches of number words, trimmed so that they start and end with a number.
/// Each run comes with its variants without unvouched weak words at its edges.
pub(super) fn runs(words: &[String]) -> Vec<Vec<Word<'_>>> {
    fn flush<'a>(current: &mut Vec<Word<'a>>, out: &mut Vec<Vec<Word<'a>>>) {
        let run = trim(std::mem::take(current));
        if run.iter().any(|w| is_strong(w.1)) {
            out.push(run);
        }
    }
    let mut out = Vec::new();
    let mut current: Vec<Word<'_>> = Vec::new();
    for word in words {
        match piece(word) {
            Some(p) => current.push((word.as_str(), p)),
            None => flush(&mut current, &mut out),
        }
    }
    flush(&mut current, &mut out);
    out
}

/// Drops fillers and `and` at the edges, and weak words no digit word vouches for.
fn trim(mut run: Vec<Word<'_>>) -> Vec<Word<'_>> {
    loop {
        let before = run.len();
        while run
            .first()
            .is_some_and(|w| matches!(w.1, Piece::And | Piece::Filler))
        {
            run.remove(0);
        }
        while run
            .last()
            .is_some_and(|w| matches!(w.1, Piece::And | Piece::Filler))
        {
            run.pop();
        }
        if run.first().is_some_and(|w| matches!(w.1, Piece::Weak(_)))
            && !run.get(1).is_some_and(vouches_for_weak)
        {
            run.remove(0);
        }
        let n = run.len();
        if n >= 1
            && matches!(run[n - 1].1, Piece::Weak(_))
            && !(n >= 2 && vouches_for_weak(&run[n - 2]))
        {
            run.pop();
        }
        if run.len() == before {
            return run;
        }
    }
}

fn digit_of(word: &Word<'_>) -> Option<u32> {
    match word.1 {
        Piece::Unit(d) | Piece::Weak(d) => Some(d),
        Piece::Numeral if word.0.len() == 1 => word.0.parse().ok(),
        _ => None,
    }
}

/// A number below one thousand starting at `i`: `[X hundred [and]] [tens [unit] | teen | unit]`.
fn below_thousand(run: &[Word<'_>], mut i: usize) -> (u32, usize) {
    let at = |i: usize| run.get(i).map(|w| w.1);
    let mut value = 0;
    let mut hundreds = false;
    match (at(i), at(i + 1)) {
        (Some(Piece::Unit(d) | Piece::Weak(d) | Piece::Teen(d)), Some(Piece::Hundred)) => {
            value = d * 100;
            hundreds = true;
            i += 2;
        }
        (Some(Piece::Hundred), _) => {
            value = 100;
            hundreds = true;
            i += 1;
        }
        _ => {}
    }
    if hundreds && at(i) == Some(Piece::And) {
        i += 1;
    }
    match (at(i), at(i + 1)) {
        (Some(Piece::Tens(t)), Some(Piece::Unit(d) | Piece::Weak(d))) if d > 0 => {
            (value + t + d, i + 2)
        }
        (Some(Piece::Tens(t) | Piece::Teen(t) | Piece::Unit(t)), _) => (value + t, i + 1),
        (Some(Piece::Weak(d)), _) if hundreds => (value + d, i + 1),
        _ => (value, i),
    }
}

/// A cardinal number with hundreds and thousands ("two thousand and five").
fn cardinal(run: &[Word<'_>], i: usize) -> (u32, usize) {
    let (value, mut j) = below_thousand(run, i);
    if run.get(j).map(|w| w.1) != Some(Piece::Thousand) {
        return (value, j);
    }
    j += 1;
    if run.get(j).map(|w| w.1) == Some(Piece::And) {
        j += 1;
    }
    let (rest, k) = below_thousand(run, j);
    (value.max(1) * 1000 + rest, k)
}

/// The digits a run of number words spells, concatenating its parts ("nineteen eighty five"
/// -> `1985`, "four five" -> `45`, "forty two" -> `42`).
pub(super) fn run_digits(run: &[Word<'_>]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < run.len() {
        let next = run.get(i + 1).map(|w| w.1);
        match run[i].1 {
            Piece::Numeral => {
                out.push_str(run[i].0);
                i += 1;
            }
            Piece::And | Piece::Filler => i += 1,
            Piece::Double | Piece::Triple => {
                let times = if run[i].1 == Piece::Double { 2 } else { 3 };
                if let Some(d) = run.get(i + 1).and_then(digit_of) {
                    for _ in 0..times {
                        out.push_str(&d.to_string());
                    }
                    i += 2;
                } else {
                    i += 1;
                }
            }
            Piece::Unit(_) | Piece::Weak(_) | Piece::Teen(_)
                if matches!(next, Some(Piece::Hundred | Piece::Thousand)) =>
            {
                let (value, j) = cardinal(run, i);
                out.push_str(&value.to_string());
                i = j;
            }
            Piece::Hundred | Piece::Thousand => {
                let (value, j) = cardinal(run, i);
                out.push_str(&value.to_string());
                i = j.max(i + 1);
            }
            Piece::Unit(d) | Piece::Weak(d) => {
                out.push_str(&d.to_string());
                i += 1;
            }
            Piece::Teen(t) => {
                out.push_str(&t.to_string());
                i += 1;
            }
            Piece::Tens(t) => match next {
                Some(Piece::Unit(d) | Piece::Weak(d)) if d > 0 => {
                    out.push_str(&(t + d).to_string());
                    i += 2;
                }
                Some(Piece::Thousand) => {
                    let (value, j) = cardinal(run, i);
                    out.push_str(&value.to_string());
                    i = j;
                }
                _ => {
                    out.push_str(&t.to_string());
                    i += 1;
                }
            },
        }
    }
    out
}

/// The variants of a run to try when a length is expected: as is, and without a weak word
/// at either edge ("calling for four five six seven" -> `4567` rather than `44567`).
fn variants<'a>(run: &[Word<'a>]) -> Vec<Vec<Word<'a>>> {
    let mut out = vec![run.to_vec()];
    let weak = |w: Option<&Word<'_>>| w.is_some_and(|w| matches!(w.1, Piece::Weak(_)));
    if run.len() > 1 && weak(run.first()) {
        out.push(run[1..].to_vec());
    }
    if run.len() > 1 && weak(run.last()) {
        out.push(run[..run.len() - 1].to_vec());
    }
    if run.len() > 2 && weak(run.first()) && weak(run.last()) {
        out.push(run[1..run.len() - 1].to_vec());
    }
    out
}

/// The digit sequence a caller said. With `length`, only a sequence of exactly that many
/// digits counts; otherwise the last sequence in the transcript wins (in "not 1234, it's
/// 4567" the caller means the second).
pub fn digits(text: &str, length: Option<usize>) -> Option<String> {
    let words = tokens(text);
    let runs = runs(&words);
    match length {
        None => runs.last().map(|r| run_digits(r)),
        Some(n) => runs.iter().rev().find_map(|run| {
            variants(run)
                .iter()
                .map(|v| run_digits(v))
                .find(|d| d.len() == n)
        }),
    }
    .filter(|d| !d.is_empty())
}

/// The value of the first number in a transcript ("forty two" -> 42, "a hundred and five"
/// -> 105, "2,500" -> 2500).
pub fn spoken_number(text: &str) -> Option<u64> {
    let words = tokens(text);
    let runs = runs(&words);
    let run = runs.first()?;
    let digits = run_digits(run);
    if digits.len() > 15 {
        return None;
    }
    digits.parse().ok()
}

/// A phone number: 6 to 15 digits, `+` in front when the caller says "plus".
pub(super) fn phone(text: &str) -> Option<String> {
    let words = tokens(text);
    let plus = words.iter().any(|w| w == "plus");
    let number: String = runs(&words).iter().map(|r| run_digits(r)).collect();
    if !(6..=15).contains(&number.len()) {
        return None;
    }
    Some(if plus { format!("+{number}") } else { number })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Option<String> {
        digits(text, None)
    }

    #[test]
    fn digit_words_and_numerals() {
        assert_eq!(d("four five six seven").as_deref(), Some("4567"));
        assert_eq!(d(" 4 5 6 7.").as_deref(), Some("4567"));
        assert_eq!(d("4567").as_deref(), Some("4567"));
        assert_eq!(d("4,567").as_deref(), Some("4567"));
        assert_eq!(d("4-5-6-7").as_deref(), Some("4567"));
        assert_eq!(d("It's 4, 5, 6, 7.").as_deref(), Some("4567"));
        assert_eq!(
            d("my number is uh four five, six seven").as_deref(),
            Some("4567")
        );
    }

    #[test]
    fn compound_numbers() {
        assert_eq!(d("forty two").as_deref(), Some("42"));
        assert_eq!(d("forty-two").as_deref(), Some("42"));
        assert_eq!(d("twenty").as_deref(), Some("20"));
        assert_eq!(d("four hundred and twelve").as_deref(), Some("412"));
        assert_eq!(d("a hundred").as_deref(), Some("100"));
        assert_eq!(d("two thousand and five").as_deref(), Some("2005"));
        assert_eq!(d("nineteen eighty five").as_deref(), Some("1985"));
        assert_eq!(d("twenty twenty six").as_deref(), Some("2026"));
        assert_eq!(d("fifteen hundred").as_deref(), Some("1500"));
    }

    #[test]
    fn double_triple_and_oh() {
        assert_eq!(d("double five").as_deref(), Some("55"));
        assert_eq!(d("one double five seven").as_deref(), Some("1557"));
        assert_eq!(d("triple nine").as_deref(), Some("999"));
        assert_eq!(d("oh seven one").as_deref(), Some("071"));
        assert_eq!(d("seven oh").as_deref(), Some("70"));
        assert_eq!(d("nine nought one").as_deref(), Some("901"));
    }

    #[test]
    fn asr_near_misses_count_among_digits() {
        assert_eq!(d("for five six seven").as_deref(), Some("4567"));
        assert_eq!(d("one to three").as_deref(), Some("123"));
        assert_eq!(d("won two three").as_deref(), Some("123"));
        assert_eq!(d("five ate nine").as_deref(), Some("589"));
        assert_eq!(d("three too").as_deref(), Some("32"));
    }

    #[test]
    fn near_miss_words_alone_are_not_digits() {
        assert_eq!(d("I want to go"), None);
        assert_eq!(d("oh no"), None);
        assert_eq!(d("I ate it for you"), None);
        assert_eq!(d("I don't know"), None);
        assert_eq!(d("and uh"), None);
    }

    #[test]
    fn near_miss_next_to_long_numeral_is_a_word() {
        assert_eq!(d("I'm calling for 4567").as_deref(), Some("4567"));
        assert_eq!(d("change it to 4567").as_deref(), Some("4567"));
    }

    #[test]
    fn expected_length_picks_the_fitting_sequence() {
        assert_eq!(
            digits("calling for four five six seven", Some(4)).as_deref(),
            Some("4567")
        );
        assert_eq!(
            digits("change it to four five six seven", Some(4)).as_deref(),
            Some("4567")
        );
        assert_eq!(digits("four five six", Some(4)), None);
        assert_eq!(
            digits("not 1 2 3 4 but 4 5 6 7", None).as_deref(),
            Some("4567")
        );
    }

    #[test]
    fn spoken_numbers_have_values() {
        assert_eq!(spoken_number("forty two"), Some(42));
        assert_eq!(spoken_number("a hundred and five"), Some(105));
        assert_eq!(spoken_number("2,500"), Some(2500));
        assert_eq!(spoken_number("two thousand five hundred"), Some(2500));
        assert_eq!(spoken_number("nothing"), None);
    }

    #[test]
    fn phone_numbers() {
        assert_eq!(
            phone("oh one seven six, double five, one two three four").as_deref(),
            Some("0176551234")
        );
        assert_eq!(
            phone("plus 49 151 2345 6789").as_deref(),
            Some("+4915123456789")
        );
        assert_eq!(phone("five five five"), None, "too short");
    }
}
