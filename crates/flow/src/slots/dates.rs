//! Dates as callers say them: "tomorrow", "next Tuesday", "the 5th of March", "March the
//! fifth nineteen eighty", "5 March 2026", "2026-03-05", and on the keypad `DDMMYYYY`.
//! Relative dates are resolved against today's date, which the caller of these functions
//! passes in.

use super::calendar::{CalendarDate, MONTHS, WEEKDAYS};
use super::numbers::{piece, run_digits, runs, Piece};
use super::tokens;

/// A date a caller said. Dates without a year are the next such day from `today` on;
/// relative dates and dates without a year need `today`.
pub fn date(text: &str, today: Option<CalendarDate>) -> Option<CalendarDate> {
    if let Some(found) = keypad_or_iso(text) {
        return Some(found);
    }
    let words = tokens(text);
    let Some((month, day, year)) = calendar_parts(&words, today) else {
        return today.and_then(|t| relative(&words, t));
    };
    match year {
        Some(year) => CalendarDate::new(year, month, day),
        None => {
            let today = today?;
            let this_year = CalendarDate::new(today.year(), month, day);
            match this_year {
                Some(d) if d >= today => Some(d),
                _ => CalendarDate::new(today.year() + 1, month, day),
            }
        }
    }
}

/// A date of birth: must name the year and lie before `today` (when given).
pub fn date_of_birth(text: &str, today: Option<CalendarDate>) -> Option<CalendarDate> {
    let found = match keypad_or_iso(text) {
        Some(found) => found,
        None => {
            let (month, day, year) = calendar_parts(&tokens(text), today)?;
            CalendarDate::new(year?, month, day)?
        }
    };
    match today {
        Some(today) if found >= today => None,
        _ => Some(found),
    }
}

/// `2026-03-05` anywhere in the text, or a transcript that is only 8 digits: `YYYYMMDD`
/// when that is a valid date, else `DDMMYYYY` (keypad entry).
fn keypad_or_iso(text: &str) -> Option<CalendarDate> {
    if let Some(found) = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '?' | '!'))
        .find_map(CalendarDate::parse_iso)
    {
        return Some(found);
    }
    let digits = text.trim();
    if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        digits.get(range).and_then(|s| s.parse().ok())
    };
    let year = |range| num(range).and_then(|y| i32::try_from(y).ok());
    CalendarDate::new(year(0..4)?, num(4..6)?, num(6..8)?)
        .or_else(|| CalendarDate::new(year(4..8)?, num(2..4)?, num(0..2)?))
}

fn relative(words: &[String], today: CalendarDate) -> Option<CalendarDate> {
    let has = |w: &str| words.iter().any(|x| x == w);
    let phrase = |p: &[&str]| words.windows(p.len()).any(|win| win == p);
    if phrase(&["day", "after", "tomorrow"]) {
        return today.add_days(2);
    }
    if phrase(&["day", "before", "yesterday"]) {
        return today.add_days(-2);
    }
    if has("today") || has("tonight") {
        return Some(today);
    }
    if has("tomorrow") {
        return today.add_days(1);
    }
    if has("yesterday") {
        return today.add_days(-1);
    }
    if let Some(weekday) = words.iter().find_map(|w| {
        WEEKDAYS
            .iter()
            .position(|d| w == d || w == &format!("{d}s"))
    }) {
        let ahead = (weekday as i64 - i64::from(today.weekday())).rem_euclid(7);
        return if has("last") {
            today.add_days(if ahead == 0 { -7 } else { ahead - 7 })
        } else {
            today.add_days(if ahead == 0 { 7 } else { ahead })
        };
    }
    if phrase(&["next", "week"]) {
        return today.add_days(7);
    }
    if let Some(i) = words.iter().position(|w| w == "in") {
        let unit = words
            .iter()
            .skip(i + 1)
            .position(|w| w.starts_with("day"))?;
        let count = &words[i + 1..i + 1 + unit];
        let n: i64 = match count {
            [one] if one == "a" || one == "one" => 1,
            _ => run_digits(runs(count).first()?).parse().ok()?,
        };
        return today.add_days(n);
    }
    None
}

/// The ordinal value of a word: `first`, `5th`, `twentieth` ...
fn ordinal(word: &str) -> Option<u32> {
    const WORDS: [&str; 19] = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
    ];
    if let Some(i) = WORDS.iter().position(|w| *w == word) {
        return Some(i as u32 + 1);
    }
    match word {
        "twentieth" => return Some(20),
        "thirtieth" => return Some(30),
        _ => {}
    }
    let digits = word
        .strip_suffix("st")
        .or_else(|| word.strip_suffix("nd"))
        .or_else(|| word.strip_suffix("rd"))
        .or_else(|| word.strip_suffix("th"))?;
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn month_of(word: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| word == *m || (word.len() >= 3 && m.starts_with(word)))
        .map(|i| i as u32 + 1)
}

/// Month, day and (if said) year of a calendar date in words.
fn calendar_parts(
    words: &[String],
    today: Option<CalendarDate>,
) -> Option<(u32, u32, Option<i32>)> {
    let m = words.iter().position(|w| month_of(w).is_some())?;
    let month = month_of(&words[m])?;
    let mut used = vec![m];
    // The day: an ordinal anywhere ("twenty first" counts as one), else a number right
    // before or after the month.
    let mut day = None;
    for (i, word) in words.iter().enumerate() {
        if let Some(o) = ordinal(word) {
            let tens = i.checked_sub(1).and_then(|p| match piece(&words[p]) {
                Some(Piece::Tens(t @ (20 | 30))) if o < 10 => Some((t, p)),
                _ => None,
            });
            match tens {
                Some((t, p)) => {
                    day = Some(t + o);
                    used.push(p);
                }
                None => day = Some(o),
            }
            used.push(i);
            break;
        }
    }
    if day.is_none() {
        day = day_number_near(words, m, &mut used);
    }
    let day = day.filter(|d| (1..=31).contains(d))?;
    let rest: Vec<String> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(i))
        .map(|(_, w)| w.clone())
        .collect();
    let year = runs(&rest)
        .last()
        .map(|r| run_digits(r))
        .and_then(|y| year_from_digits(&y, today));
    Some((month, day, year))
}

/// A plain number (1-31) next to the month: "5 March", "March 5", "the five of March".
fn day_number_near(words: &[String], m: usize, used: &mut Vec<usize>) -> Option<u32> {
    let value_at = |i: usize| -> Option<(u32, Vec<usize>)> {
        let word = words.get(i)?;
        match piece(word)? {
            Piece::Numeral => word.parse().ok().map(|v| (v, vec![i])),
            Piece::Unit(d) if d > 0 => Some((d, vec![i])),
            Piece::Teen(t) => Some((t, vec![i])),
            Piece::Tens(t) => match words.get(i + 1).and_then(|w| piece(w)) {
                Some(Piece::Unit(d)) if d > 0 && t + d <= 31 => Some((t + d, vec![i, i + 1])),
                _ => Some((t, vec![i])),
            },
            _ => None,
        }
    };
    let before = m
        .checked_sub(1)
        .filter(|&p| words[p] == "of")
        .map_or(m.checked_sub(1), |p| p.checked_sub(1));
    let candidates = [before, Some(m + 1)];
    for at in candidates.into_iter().flatten() {
        if let Some((value, idx)) = value_at(at).filter(|(v, _)| (1..=31).contains(v)) {
            used.extend(idx);
            return Some(value);
        }
    }
    None
}

fn year_from_digits(digits: &str, today: Option<CalendarDate>) -> Option<i32> {
    let value: i32 = digits.parse().ok()?;
    match digits.len() {
        4 if (1900..=2100).contains(&value) => Some(value),
        2 => {
            let this = today.map_or(2000, |t| t.year());
            let century = this - this % 100;
            Some(if century + value > this {
                century - 100 + value
            } else {
                century + value
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Saturday, 21 November 2026.
    fn today() -> Option<CalendarDate> {
        CalendarDate::new(2026, 11, 21)
    }

    fn on(text: &str) -> Option<String> {
        date(text, today()).map(|d| d.to_string())
    }

    #[test]
    fn relative_days() {
        assert_eq!(on("today").as_deref(), Some("2026-11-21"));
        assert_eq!(on("tomorrow please").as_deref(), Some("2026-11-22"));
        assert_eq!(on("yesterday").as_deref(), Some("2026-11-20"));
        assert_eq!(on("the day after tomorrow").as_deref(), Some("2026-11-23"));
        assert_eq!(on("in three days").as_deref(), Some("2026-11-24"));
        assert_eq!(on("next week").as_deref(), Some("2026-11-28"));
    }

    #[test]
    fn weekdays_are_the_next_one() {
        assert_eq!(on("next Tuesday").as_deref(), Some("2026-11-24"));
        assert_eq!(on("on Monday").as_deref(), Some("2026-11-23"));
        assert_eq!(
            on("Saturday").as_deref(),
            Some("2026-11-28"),
            "today is Saturday"
        );
        assert_eq!(on("last Friday").as_deref(), Some("2026-11-20"));
        assert_eq!(on("last Saturday").as_deref(), Some("2026-11-14"));
    }

    #[test]
    fn calendar_dates() {
        assert_eq!(on("the 5th of March").as_deref(), Some("2027-03-05"));
        assert_eq!(on("the fifth of March 2026").as_deref(), Some("2026-03-05"));
        assert_eq!(on("March the twenty first").as_deref(), Some("2027-03-21"));
        assert_eq!(on("December 24").as_deref(), Some("2026-12-24"));
        assert_eq!(on("24 December").as_deref(), Some("2026-12-24"));
        assert_eq!(
            on("on the thirty-first of December").as_deref(),
            Some("2026-12-31")
        );
        assert_eq!(on("Dec 3rd").as_deref(), Some("2026-12-03"));
        assert_eq!(on("2026-03-05").as_deref(), Some("2026-03-05"));
        assert_eq!(on("the 31st of February"), None);
        assert_eq!(on("whenever"), None);
    }

    #[test]
    fn yearless_and_relative_dates_need_today() {
        assert_eq!(date("tomorrow", None), None);
        assert_eq!(date("the 5th of March", None), None);
        assert_eq!(
            date("5 March 1980", None).map(|d| d.to_string()).as_deref(),
            Some("1980-03-05")
        );
    }

    #[test]
    fn dates_of_birth_need_a_past_year() {
        let dob = |t: &str| date_of_birth(t, today()).map(|d| d.to_string());
        assert_eq!(
            dob("the fifth of March nineteen eighty").as_deref(),
            Some("1980-03-05")
        );
        assert_eq!(dob("March 5th, 1980").as_deref(), Some("1980-03-05"));
        assert_eq!(
            dob("12th of June nineteen eighty five").as_deref(),
            Some("1985-06-12")
        );
        assert_eq!(
            dob("second of May two thousand and three").as_deref(),
            Some("2003-05-02")
        );
        assert_eq!(
            dob("fifth of March eighty five").as_deref(),
            Some("1985-03-05")
        );
        assert_eq!(dob("05031980").as_deref(), Some("1980-03-05"));
        assert_eq!(dob("19800305").as_deref(), Some("1980-03-05"));
        assert_eq!(dob("the fifth of March"), None, "no year");
        assert_eq!(dob("the fifth of March 2030"), None, "in the future");
    }
}
