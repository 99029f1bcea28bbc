//! Slots: pure functions that pull typed values out of what a caller said ("four five six
//! seven", "next Tuesday", "half past nine", "twenty dollars fifty", "yeah"), tolerant of the
//! way speech recognition writes them ("for" for four, "to" for two, "4,567", "9:30 p.m.").
//!
//! Every parser returns the value in a canonical text form (digits `4567`, date `2026-03-05`,
//! time `21:30`, amount `20.50`, `yes`/`no`), the form stored in flow variables.

mod amounts;
mod calendar;
mod dates;
mod numbers;
mod postcodes;
mod times;
mod yes_no;

pub use amounts::amount;
pub use calendar::CalendarDate;
pub use dates::{date, date_of_birth};
pub use numbers::{digits, spoken_number};
pub use postcodes::postcode;
pub use times::time;
pub use yes_no::yes_no;

use std::fmt;

/// What kind of value an `ask` node's slot collects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlotType {
    /// Any digit sequence ("four five six seven" -> `4567`); `length` may fix its length.
    Digits,
    /// An order number: 4 to 20 digits, read digit by digit.
    OrderNumber,
    /// A phone number: 6 to 15 digits, with `+` when the caller says "plus".
    Phone,
    /// A calendar date, relative ones ("tomorrow") resolved against today's date.
    Date,
    /// A date in the past that must include the year ("the 5th of March 1980").
    DateOfBirth,
    /// A time of day, `HH:MM` on the 24-hour clock.
    Time,
    /// An amount of money, `20.50`.
    Amount,
    /// Yes or no, in many phrasings.
    YesNo,
    /// A UK postcode (`SW1A 1AA`) or a US ZIP code (`90210`, `90210-1234`), written or spelled.
    Postcode,
    /// Anything the caller says, trimmed: a message, an address, a description.
    FreeText,
}

impl SlotType {
    /// Every slot type, in documentation order.
    pub const ALL: [SlotType; 10] = [
        SlotType::Digits,
        SlotType::OrderNumber,
        SlotType::Phone,
        SlotType::Date,
        SlotType::DateOfBirth,
        SlotType::Time,
        SlotType::Amount,
        SlotType::YesNo,
        SlotType::Postcode,
        SlotType::FreeText,
    ];

    /// The name flows use (`order_number`, `yes_no` ...).
    pub fn name(self) -> &'static str {
        match self {
            SlotType::Digits => "digits",
            SlotType::OrderNumber => "order_number",
            SlotType::Phone => "phone",
            SlotType::Date => "date",
            SlotType::DateOfBirth => "date_of_birth",
            SlotType::Time => "time",
            SlotType::Amount => "amount",
            SlotType::YesNo => "yes_no",
            SlotType::Postcode => "postcode",
            SlotType::FreeText => "free_text",
        }
    }

    /// The type with this flow name.
    pub fn from_name(name: &str) -> Option<SlotType> {
        SlotType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether keypad digits can answer it (digits are collected until `#`).
    pub fn takes_keypad_digits(self) -> bool {
        !matches!(
            self,
            SlotType::YesNo | SlotType::Time | SlotType::Amount | SlotType::FreeText
        )
    }

    /// Whether any utterance fills it, so a later answer cannot be read as a correction of it.
    pub fn takes_anything(self) -> bool {
        self == SlotType::FreeText
    }
}

impl fmt::Display for SlotType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Extracts a slot value of type `kind` from a transcript (or from keypad digits).
/// `length` fixes the number of digits for digit types; `today` resolves relative dates and
/// is required for dates without a year. Returns the canonical text form, or `None`.
pub fn parse_slot(
    kind: SlotType,
    text: &str,
    length: Option<usize>,
    today: Option<CalendarDate>,
) -> Option<String> {
    match kind {
        SlotType::Digits => digits(text, length),
        SlotType::OrderNumber => {
            digits(text, length).filter(|d| length.is_some() || (4..=20).contains(&d.len()))
        }
        SlotType::Phone => numbers::phone(text),
        SlotType::Date => date(text, today).map(|d| d.to_string()),
        SlotType::DateOfBirth => date_of_birth(text, today).map(|d| d.to_string()),
        SlotType::Time => time(text).map(|(h, m)| format!("{h:02}:{m:02}")),
        SlotType::Amount => amount(text),
        SlotType::YesNo => yes_no(text).map(|yes| if yes { "yes" } else { "no" }.to_string()),
        SlotType::Postcode => postcode(text),
        SlotType::FreeText => Some(text.trim().to_string()).filter(|t| !t.is_empty()),
    }
}

/// Lower-cased words of a transcript for slot parsing. Unlike intent matching, numbers keep
/// their shape: `4,567` -> `4567`, `9:30` and `20.50` stay whole, `$` and `+` become words,
/// hyphens and other punctuation separate words, apostrophes vanish (`o'clock` -> `oclock`).
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.to_lowercase().chars().collect();
    let mut cleaned = String::with_capacity(chars.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let between_digits =
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
        match c {
            c if c.is_alphanumeric() => cleaned.push(c),
            ',' if between_digits && !digit_group_is_spaced(&chars, i) => {}
            ':' | '.' if between_digits => cleaned.push(c),
            '\'' | '\u{2019}' => {}
            '$' => cleaned.push_str(" dollars "),
            '€' => cleaned.push_str(" euros "),
            '£' => cleaned.push_str(" pounds "),
            '+' => cleaned.push_str(" plus "),
            _ => cleaned.push(' '),
        }
    }
    cleaned.split_whitespace().map(str::to_string).collect()
}

/// True when the comma at `i` separates single digits ("4,5,6,7" is a digit list, not a
/// thousands separator as in "4,567").
fn digit_group_is_spaced(chars: &[char], i: usize) -> bool {
    let after = chars[i + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    after != 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_numbers_whole() {
        assert_eq!(tokens("It's 4,567."), vec!["its", "4567"]);
        assert_eq!(tokens("at 9:30 p.m."), vec!["at", "9:30", "p", "m"]);
        assert_eq!(tokens("$20.50"), vec!["dollars", "20.50"]);
        assert_eq!(tokens("4-5-6-7"), vec!["4", "5", "6", "7"]);
        assert_eq!(tokens("4, 5, 6, 7"), vec!["4", "5", "6", "7"]);
        assert_eq!(tokens("4,5,6,7"), vec!["4", "5", "6", "7"]);
        assert_eq!(tokens("+49 151"), vec!["plus", "49", "151"]);
    }

    #[test]
    fn slot_types_round_trip_their_names() {
        for kind in SlotType::ALL {
            assert_eq!(SlotType::from_name(kind.name()), Some(kind));
        }
        assert_eq!(SlotType::from_name("colour"), None);
    }

    #[test]
    fn parse_slot_dispatches_by_type() {
        let today = CalendarDate::new(2026, 11, 21);
        let parse = |kind, text| parse_slot(kind, text, None, today);
        assert_eq!(
            parse(SlotType::OrderNumber, "it's four five six seven"),
            Some("4567".into())
        );
        assert_eq!(
            parse(SlotType::OrderNumber, "forty two"),
            None,
            "too short for an order"
        );
        assert_eq!(parse(SlotType::Digits, "forty two"), Some("42".into()));
        assert_eq!(parse(SlotType::Date, "tomorrow"), Some("2026-11-22".into()));
        assert_eq!(
            parse(SlotType::Time, "half past nine"),
            Some("09:30".into())
        );
        assert_eq!(
            parse(SlotType::Amount, "twenty dollars fifty"),
            Some("20.50".into())
        );
        assert_eq!(parse(SlotType::YesNo, "yeah sure"), Some("yes".into()));
        assert_eq!(parse(SlotType::YesNo, "nope"), Some("no".into()));
        assert_eq!(
            parse(SlotType::Postcode, "s w one a one a a"),
            Some("SW1A 1AA".into())
        );
        assert_eq!(
            parse(SlotType::FreeText, "  12 High Street, Leeds \n"),
            Some("12 High Street, Leeds".into())
        );
        assert_eq!(parse(SlotType::FreeText, "   "), None);
        assert_eq!(
            parse(SlotType::Phone, "plus four nine one five one two three"),
            Some("+4915123".into())
        );
        assert_eq!(
            parse_slot(SlotType::Digits, "for five six seven", Some(4), None),
            Some("4567".into())
        );
    }
}
