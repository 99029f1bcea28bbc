//! Amounts of money as callers say them: "twenty dollars fifty", "$20.50", "twenty dollars
//! and fifty cents", "fifty cents", "a hundred and twenty euros", "20". Returned as `20.50`.

use super::numbers::{run_digits, runs};
use super::tokens;

const MAJOR: &[&str] = &[
    "dollar", "dollars", "buck", "bucks", "euro", "euros", "pound", "pounds", "quid",
];
const MINOR: &[&str] = &["cent", "cents", "pence", "penny", "p"];

/// The amount a caller said, with two decimals.
pub fn amount(text: &str) -> Option<String> {
    let words = tokens(text);
    if let Some(decimal) = words.iter().find_map(|w| decimal(w)) {
        return Some(decimal);
    }
    let major_at = words.iter().position(|w| MAJOR.contains(&w.as_str()));
    let minor_at = words.iter().position(|w| MINOR.contains(&w.as_str()));
    let number = |slice: &[String]| -> Option<u64> {
        let r = runs(slice);
        let d = run_digits(r.last()?);
        (d.len() <= 12).then(|| d.parse().ok()).flatten()
    };
    let (major, minor) = match major_at {
        Some(m) => {
            let before = &words[..m];
            let said_a = before.last().is_some_and(|w| w == "a");
            match number(before).or(said_a.then_some(1)) {
                Some(major) => {
                    let after_end = minor_at.filter(|&c| c > m).unwrap_or(words.len());
                    let minor = match runs(&words[m + 1..after_end]).first() {
                        Some(r) => run_digits(r).parse().ok()?,
                        None => 0,
                    };
                    (major, minor)
                }
                // "$1,250": the currency word came first.
                None => (number(&words[m + 1..])?, 0),
            }
        }
        None => match minor_at {
            Some(c) => (0, number(&words[..c])?),
            None => (number(&words)?, 0),
        },
    };
    (minor < 100).then(|| format!("{major}.{minor:02}"))
}

/// `20.50` or `20.5` as an amount.
fn decimal(word: &str) -> Option<String> {
    let (major, minor) = word.split_once('.')?;
    if major.is_empty() || !major.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let major: u64 = major.parse().ok()?;
    let minor = match minor.len() {
        1 => minor.parse::<u64>().ok()? * 10,
        2 => minor.parse().ok()?,
        _ => return None,
    };
    Some(format!("{major}.{minor:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(text: &str) -> Option<String> {
        amount(text)
    }

    #[test]
    fn spoken_amounts() {
        assert_eq!(a("twenty dollars fifty").as_deref(), Some("20.50"));
        assert_eq!(
            a("twenty dollars and fifty cents").as_deref(),
            Some("20.50")
        );
        assert_eq!(a("fifty cents").as_deref(), Some("0.50"));
        assert_eq!(a("a hundred and twenty euros").as_deref(), Some("120.00"));
        assert_eq!(a("a dollar five").as_deref(), Some("1.05"));
        assert_eq!(a("it was about forty two bucks").as_deref(), Some("42.00"));
        assert_eq!(
            a("two thousand five hundred pounds").as_deref(),
            Some("2500.00")
        );
    }

    #[test]
    fn written_amounts() {
        assert_eq!(a("$20.50").as_deref(), Some("20.50"));
        assert_eq!(a("20.5 euros").as_deref(), Some("20.50"));
        assert_eq!(a("$1,250").as_deref(), Some("1250.00"));
        assert_eq!(a("20").as_deref(), Some("20.00"));
    }

    #[test]
    fn not_amounts() {
        assert_eq!(a("no idea"), None);
        assert_eq!(a("twenty dollars and a hundred and fifty cents"), None);
    }
}
