//! Masking of `sensitive` slots (dates of birth, card digits, PINs): the one place that says
//! what a withheld value looks like, so logs, turns, tickets, webhooks and the call journal all
//! show the same masked form, and a replay of a masked journal says the same things again.

use crate::say_as::{Currency, SayAs};

/// What a caller's withheld words look like on the record.
pub const WITHHELD: &str = "[sensitive]";

/// Characters of a value left in clear at its end (`******84`).
const KEPT: usize = 2;

/// A slot value masked for the record: every character but the last two becomes `*`
/// (`1980-03-05` → `********05`); values of two characters or fewer are masked whole.
/// Masking a masked value changes nothing, so a replay that fills a slot with the masked value
/// records the same thing again.
pub fn mask(value: &str) -> String {
    let count = value.chars().count();
    let keep = if count > KEPT { KEPT } else { 0 };
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i + keep < count { '*' } else { c })
        .collect()
}

/// `text` with every way the flow could have said each value (as written, and every `say_as`
/// rendering such as `{x:digits}`) replaced by the same rendering of the masked value. Longer
/// renderings are replaced first, so "8 4 2 1" goes before "4821" could match inside it. Only
/// whole words are replaced: a call id, ticket or recording path that happens to hold the same
/// digits (`…5a20d48214b6.wav`) is an identifier, not the caller's value, and must stay usable.
pub fn redact<'a>(
    text: &str,
    values: impl IntoIterator<Item = &'a str>,
    currency: Currency,
) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for value in values {
        let value = value.trim();
        let masked = mask(value);
        if value.is_empty() || value == masked {
            continue;
        }
        pairs.push((value.to_string(), masked.clone()));
        for kind in SayAs::ALL {
            let spoken = kind.render(value, currency);
            if !spoken.is_empty() && spoken != value {
                pairs.push((spoken, kind.render(&masked, currency)));
            }
        }
    }
    pairs.sort_by_key(|(clear, _)| std::cmp::Reverse(clear.len()));
    let mut out = text.to_string();
    for (clear, masked) in pairs {
        if clear != masked {
            out = replace_words(&out, &clear, &masked);
        }
    }
    out
}

/// `text` with each occurrence of `clear` that stands as a word of its own (no letter or digit
/// right before or after it) replaced by `masked`.
fn replace_words(text: &str, clear: &str, masked: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in text.match_indices(clear) {
        if at < last {
            continue;
        }
        let end = at + clear.len();
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        let joined = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        if joined(before) || joined(after) {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push_str(masked);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_keeps_the_last_two_characters() {
        assert_eq!(mask("1980-03-05"), "********05");
        assert_eq!(mask("12345684"), "******84");
        assert_eq!(mask("4821"), "**21");
        assert_eq!(mask("42"), "**");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn masking_twice_is_masking_once() {
        for value in ["1980-03-05", "4821", "7", "a b c"] {
            assert_eq!(mask(&mask(value)), mask(value));
        }
    }

    #[test]
    fn every_spoken_form_of_a_value_is_masked() {
        let digits = SayAs::Digits.render("4821", Currency::Usd);
        let said = format!("I found your card ending in {digits}. Card 4821 is blocked.");
        let shown = redact(&said, ["4821"], Currency::Usd);
        assert!(!shown.contains(&digits), "{shown}");
        assert!(!shown.contains("4821"), "{shown}");
        assert!(shown.contains("**21"), "{shown}");
        let born = SayAs::Date.render("1980-03-05", Currency::Usd);
        let date = redact(
            &format!("Born on {born}, 1980-03-05."),
            ["1980-03-05"],
            Currency::Usd,
        );
        assert!(!date.contains("1980"), "{date}");
        assert!(!date.contains("March"), "{date}");
    }

    #[test]
    fn digits_inside_an_identifier_are_left_alone() {
        let said = "voicemail recordings/01a24ef9-5a20d48214b6-1.wav for card 4821";
        let shown = redact(said, ["4821"], Currency::Usd);
        assert_eq!(
            shown,
            "voicemail recordings/01a24ef9-5a20d48214b6-1.wav for card **21"
        );
    }

    #[test]
    fn redacting_a_masked_value_changes_nothing() {
        let masked = mask("4821");
        let said = format!(
            "card ending in {}",
            SayAs::Digits.render(&masked, Currency::Usd)
        );
        assert_eq!(redact(&said, [masked.as_str()], Currency::Usd), said);
    }
}
