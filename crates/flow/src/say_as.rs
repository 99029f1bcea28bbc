//! Say-as: how a value is read aloud when a text writes `{name:kind}` (`{order_number:digits}`
//! reads "four five six seven"; `{total:money}` reads "twenty dollars and fifty cents").
//! Values that do not fit their kind are read as they are.

use std::fmt;

use crate::slots::CalendarDate;

/// A way of reading a value aloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SayAs {
    /// Digit by digit: `4567` -> "four five six seven" (order numbers, card digits).
    Digits,
    /// Character by character: `AB12` -> "A B one two" (booking codes).
    Spell,
    /// As a number: `42` -> "forty-two".
    Number,
    /// As money in the flow's currency: `20.50` -> "twenty dollars and fifty cents".
    Money,
    /// A `YYYY-MM-DD` date: "the fifth of March twenty twenty-six".
    Date,
    /// An `HH:MM` time: `21:30` -> "nine thirty p.m.".
    Time,
    /// A phone number in groups of three digits: "plus four nine, one five one, ...".
    Phone,
}

impl SayAs {
    /// Every kind, in documentation order.
    pub const ALL: [SayAs; 7] = [
        SayAs::Digits,
        SayAs::Spell,
        SayAs::Number,
        SayAs::Money,
        SayAs::Date,
        SayAs::Time,
        SayAs::Phone,
    ];

    /// The name written after the colon.
    pub fn name(self) -> &'static str {
        match self {
            SayAs::Digits => "digits",
            SayAs::Spell => "spell",
            SayAs::Number => "number",
            SayAs::Money => "money",
            SayAs::Date => "date",
            SayAs::Time => "time",
            SayAs::Phone => "phone",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<SayAs> {
        SayAs::ALL.into_iter().find(|k| k.name() == name)
    }

    /// `value` as words to speak.
    pub fn render(self, value: &str, currency: Currency) -> String {
        let value = value.trim();
        let spoken = match self {
            SayAs::Digits => Some(characters(value, false)),
            SayAs::Spell => Some(characters(value, true)),
            SayAs::Number => number(value),
            SayAs::Money => money(value, currency),
            SayAs::Date => CalendarDate::parse_iso(value).map(date),
            SayAs::Time => time(value),
            SayAs::Phone => Some(phone(value)),
        };
        spoken
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| value.to_string())
    }
}

impl fmt::Display for SayAs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The currency `money` values are read in (`settings.currency`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Currency {
    /// US dollars and cents (the default).
    #[default]
    Usd,
    /// Euros and cents.
    Eur,
    /// Pounds and pence.
    Gbp,
}

impl Currency {
    /// From an ISO 4217 code: `USD`, `EUR`, `GBP` (any case).
    pub fn from_code(code: &str) -> Option<Currency> {
        match code.trim().to_ascii_uppercase().as_str() {
            "USD" => Some(Currency::Usd),
            "EUR" => Some(Currency::Eur),
            "GBP" => Some(Currency::Gbp),
            _ => None,
        }
    }

    /// (one major, several major, one minor, several minor).
    fn words(self) -> [&'static str; 4] {
        match self {
            Currency::Usd => ["dollar", "dollars", "cent", "cents"],
            Currency::Eur => ["euro", "euros", "cent", "cents"],
            Currency::Gbp => ["pound", "pounds", "penny", "pence"],
        }
    }
}

/// Number words 0-19, shared by saying numbers and by parsing spoken ones.
pub(crate) const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
/// Tens words by tens digit (0 and 1 unused), shared likewise.
pub(crate) const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// An integer in words: 42 -> "forty-two", 1250 -> "one thousand two hundred fifty".
pub(crate) fn number_words(n: u64) -> String {
    if n < 20 {
        return ONES[n as usize].to_string();
    }
    if n < 100 {
        let tens = TENS[(n / 10) as usize];
        return match n % 10 {
            0 => tens.to_string(),
            unit => format!("{tens}-{}", ONES[unit as usize]),
        };
    }
    let (unit, name) = match n {
        100..=999 => (100, "hundred"),
        1_000..=999_999 => (1_000, "thousand"),
        1_000_000..=999_999_999 => (1_000_000, "million"),
        _ => (1_000_000_000, "billion"),
    };
    let head = format!("{} {name}", number_words(n / unit));
    match n % unit {
        0 => head,
        rest => format!("{head} {}", number_words(rest)),
    }
}

fn characters(value: &str, letters: bool) -> String {
    value
        .chars()
        .filter_map(|c| match c.to_digit(10) {
            Some(d) => Some(ONES[d as usize].to_string()),
            None if letters && c.is_alphanumeric() => Some(c.to_uppercase().to_string()),
            None => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn number(value: &str) -> Option<String> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let (negative, whole) = match whole.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, whole),
    };
    let mut out = number_words(whole.parse().ok()?);
    if !fraction.is_empty() {
        if !fraction.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        out = format!("{out} point {}", characters(fraction, false));
    }
    Some(if negative {
        format!("minus {out}")
    } else {
        out
    })
}

fn money(value: &str, currency: Currency) -> Option<String> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let major: u64 = whole.parse().ok()?;
    let minor: u64 = match fraction.len() {
        1 => fraction.parse::<u64>().ok()? * 10,
        2 => fraction.parse().ok()?,
        _ => return None,
    };
    let [one, many, cent, cents] = currency.words();
    let major_words = format!(
        "{} {}",
        number_words(major),
        if major == 1 { one } else { many }
    );
    let minor_words = format!(
        "{} {}",
        number_words(minor),
        if minor == 1 { cent } else { cents }
    );
    Some(match (major, minor) {
        (_, 0) => major_words,
        (0, _) => minor_words,
        _ => format!("{major_words} and {minor_words}"),
    })
}

/// A year as people say it: 1980 -> "nineteen eighty", 2005 -> "two thousand five",
/// 2026 -> "twenty twenty-six".
fn year_words(year: i32) -> String {
    let y = year.unsigned_abs() as u64;
    match (y / 100, y % 100) {
        (20, rest) if rest < 10 => number_words(y),
        (_, 0) if y.is_multiple_of(1000) => number_words(y),
        (century, 0) => format!("{} hundred", number_words(century)),
        (century, rest) if rest < 10 => {
            format!("{} oh {}", number_words(century), number_words(rest))
        }
        (century, rest) => format!("{} {}", number_words(century), number_words(rest)),
    }
}

/// 1 -> "first", 22 -> "twenty-second".
fn ordinal_words(n: u32) -> String {
    const SPECIAL: [(&str, &str); 8] = [
        ("one", "first"),
        ("two", "second"),
        ("three", "third"),
        ("five", "fifth"),
        ("eight", "eighth"),
        ("nine", "ninth"),
        ("twelve", "twelfth"),
        ("ty", "tieth"),
    ];
    let words = number_words(u64::from(n));
    for (end, replacement) in SPECIAL {
        if let Some(stem) = words.strip_suffix(end) {
            return format!("{stem}{replacement}");
        }
    }
    format!("{words}th")
}

fn date(d: CalendarDate) -> String {
    format!(
        "the {} of {} {}",
        ordinal_words(d.day()),
        d.month_name(),
        year_words(d.year())
    )
}

fn time(value: &str) -> Option<String> {
    let (h, m) = value.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    let suffix = if h < 12 { "a.m." } else { "p.m." };
    let hour12 = match h % 12 {
        0 => 12,
        x => x,
    };
    Some(match (h, m) {
        (0, 0) => "midnight".to_string(),
        (12, 0) => "twelve noon".to_string(),
        (_, 0) => format!("{} {suffix}", number_words(u64::from(hour12))),
        (_, m) if m < 10 => format!(
            "{} oh {} {suffix}",
            number_words(u64::from(hour12)),
            number_words(u64::from(m))
        ),
        (_, m) => format!(
            "{} {} {suffix}",
            number_words(u64::from(hour12)),
            number_words(u64::from(m))
        ),
    })
}

fn phone(value: &str) -> String {
    let plus = value.trim_start().starts_with('+');
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    let groups: Vec<String> = digits
        .chunks(3)
        .map(|group| characters(&group.iter().collect::<String>(), false))
        .collect();
    let body = groups.join(", ");
    if plus {
        format!("plus {body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(kind: SayAs, value: &str) -> String {
        kind.render(value, Currency::Usd)
    }

    #[test]
    fn digits_and_spelling() {
        assert_eq!(say(SayAs::Digits, "4567"), "four five six seven");
        assert_eq!(say(SayAs::Digits, "40-01"), "four zero zero one");
        assert_eq!(say(SayAs::Spell, "ab12"), "A B one two");
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(say(SayAs::Number, "42"), "forty-two");
        assert_eq!(say(SayAs::Number, "1250"), "one thousand two hundred fifty");
        assert_eq!(say(SayAs::Number, "3.25"), "three point two five");
        assert_eq!(say(SayAs::Number, "-7"), "minus seven");
        assert_eq!(
            say(SayAs::Number, "many"),
            "many",
            "unfit values are read as is"
        );
    }

    #[test]
    fn money_in_each_currency() {
        assert_eq!(say(SayAs::Money, "20.50"), "twenty dollars and fifty cents");
        assert_eq!(say(SayAs::Money, "1.00"), "one dollar");
        assert_eq!(say(SayAs::Money, "0.01"), "one cent");
        assert_eq!(say(SayAs::Money, "4.5"), "four dollars and fifty cents");
        assert_eq!(
            SayAs::Money.render("3.99", Currency::Gbp),
            "three pounds and ninety-nine pence"
        );
        assert_eq!(SayAs::Money.render("10", Currency::Eur), "ten euros");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            say(SayAs::Date, "2026-03-05"),
            "the fifth of March twenty twenty-six"
        );
        assert_eq!(
            say(SayAs::Date, "1980-12-22"),
            "the twenty-second of December nineteen eighty"
        );
        assert_eq!(
            say(SayAs::Date, "2005-07-01"),
            "the first of July two thousand five"
        );
        assert_eq!(
            say(SayAs::Date, "1905-07-30"),
            "the thirtieth of July nineteen oh five"
        );
        assert_eq!(say(SayAs::Time, "21:30"), "nine thirty p.m.");
        assert_eq!(say(SayAs::Time, "09:05"), "nine oh five a.m.");
        assert_eq!(say(SayAs::Time, "08:00"), "eight a.m.");
        assert_eq!(say(SayAs::Time, "12:00"), "twelve noon");
        assert_eq!(say(SayAs::Time, "00:00"), "midnight");
    }

    #[test]
    fn phone_numbers_in_groups() {
        assert_eq!(
            say(SayAs::Phone, "+4915112"),
            "plus four nine one, five one one, two"
        );
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for kind in SayAs::ALL {
            assert_eq!(SayAs::from_name(kind.name()), Some(kind));
        }
        assert_eq!(SayAs::from_name("currency"), None);
    }
}
