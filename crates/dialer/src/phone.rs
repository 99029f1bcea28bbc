//! Phone numbers as the contact lists write them (`(212) 555-0142`, `0151 2345678`,
//! `+44 20 7946 0018`) normalised to E.164 (`+12125550142`), with the reason when that fails.

use std::fmt;

use crate::zones::{calling_code_length, calling_code_of_country};

/// A number in E.164 form: `+` then 8 to 15 digits, the first digits being the country code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct E164(String);

impl E164 {
    /// The number with its leading `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country calling code (`1`, `44`, `353` ...).
    pub fn calling_code(&self) -> &str {
        let digits = &self.0[1..];
        &digits[..calling_code_length(digits)]
    }

    /// The national significant number, after the calling code.
    pub fn national(&self) -> &str {
        &self.0[1 + self.calling_code().len()..]
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a number could not be normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberProblem {
    Empty,
    /// A character that is not a digit, a space or `+-.()/`.
    BadCharacter(char),
    /// A national number (no `+` or `00`) and the campaign has no default country.
    NoCountry,
    /// The number's length does not fit its country.
    WrongLength {
        calling_code: String,
        digits: usize,
        expected: &'static str,
    },
    /// A North American number whose area code or exchange starts with 0 or 1.
    BadNanpNumber,
    /// Fewer than 8 or more than 15 digits in all.
    OutOfE164Range {
        digits: usize,
    },
}

impl fmt::Display for NumberProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberProblem::Empty => write!(f, "the number is empty"),
            NumberProblem::BadCharacter(c) => write!(f, "`{c}` is not allowed in a phone number"),
            NumberProblem::NoCountry => write!(
                f,
                "a national number needs `default_country` in the campaign (or write it with +)"
            ),
            NumberProblem::WrongLength {
                calling_code,
                digits,
                expected,
            } => write!(
                f,
                "a +{calling_code} number has {expected} digits after the country code, this one {digits}"
            ),
            NumberProblem::BadNanpNumber => write!(
                f,
                "a North American area code and exchange cannot start with 0 or 1"
            ),
            NumberProblem::OutOfE164Range { digits } => write!(
                f,
                "an international number has 8 to 15 digits, this one {digits}"
            ),
        }
    }
}

/// Normalises `raw` to E.164; national numbers take `default_country` (ISO code such as `US`).
pub fn normalise(raw: &str, default_country: Option<&str>) -> Result<E164, NumberProblem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(NumberProblem::Empty);
    }
    let mut digits = String::new();
    for (i, c) in raw.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            other => return Err(NumberProblem::BadCharacter(other)),
        }
    }
    if digits.is_empty() {
        return Err(NumberProblem::Empty);
    }
    let international = if raw.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else {
        let code = default_country
            .and_then(calling_code_of_country)
            .ok_or(NumberProblem::NoCountry)?;
        national_to_international(code, &digits)
    };
    validate(international)
}

/// Prefixes the country code, dropping the trunk prefix (`0` in most countries, `1` in NANP).
fn national_to_international(code: &str, digits: &str) -> String {
    let national = if code == "1" {
        digits
            .strip_prefix('1')
            .filter(|d| d.len() == 10)
            .unwrap_or(digits)
    } else {
        digits.strip_prefix('0').unwrap_or(digits)
    };
    format!("{code}{national}")
}

fn validate(digits: String) -> Result<E164, NumberProblem> {
    if !(8..=15).contains(&digits.len()) {
        return Err(NumberProblem::OutOfE164Range {
            digits: digits.len(),
        });
    }
    let code = &digits[..calling_code_length(&digits)];
    let national = &digits[code.len()..];
    let wrong = |expected| NumberProblem::WrongLength {
        calling_code: code.to_string(),
        digits: national.len(),
        expected,
    };
    match code {
        "1" => {
            if national.len() != 10 {
                return Err(wrong("10"));
            }
            let b = national.as_bytes();
            if b[0] < b'2' || b[3] < b'2' {
                return Err(NumberProblem::BadNanpNumber);
            }
        }
        "44" if !(9..=10).contains(&national.len()) => return Err(wrong("9 or 10")),
        "33" | "61" if national.len() != 9 => return Err(wrong("9")),
        "49" if !(6..=13).contains(&national.len()) => return Err(wrong("6 to 13")),
        _ => {}
    }
    Ok(E164(format!("+{digits}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, country: &str) -> String {
        normalise(raw, Some(country)).unwrap().to_string()
    }

    #[test]
    fn national_numbers_take_the_default_country() {
        assert_eq!(ok("(212) 555-0142", "US"), "+12125550142");
        assert_eq!(ok("1-212-555-0142", "US"), "+12125550142");
        assert_eq!(ok("020 7946 0018", "GB"), "+442079460018");
        assert_eq!(ok("0151 23456789", "DE"), "+4915123456789");
        assert_eq!(ok("01 42 68 53 00", "FR"), "+33142685300");
        assert_eq!(ok("02 9374 4000", "AU"), "+61293744000");
        assert_eq!(ok("021 123 4567", "ZA"), "+27211234567");
    }

    #[test]
    fn international_forms_ignore_the_default_country() {
        assert_eq!(ok("+44 20 7946 0018", "US"), "+442079460018");
        assert_eq!(ok("0049 30 901820", "US"), "+4930901820");
        let n = normalise("+353 1 234 5678", None).unwrap();
        assert_eq!((n.calling_code(), n.national()), ("353", "12345678"));
    }

    #[test]
    fn bad_numbers_say_why() {
        assert_eq!(normalise("", Some("US")), Err(NumberProblem::Empty));
        assert_eq!(
            normalise("212-555-01x2", Some("US")),
            Err(NumberProblem::BadCharacter('x'))
        );
        assert!(matches!(
            normalise("555-0142", Some("US")),
            Err(NumberProblem::WrongLength { .. })
        ));
        assert_eq!(
            normalise("+12345", None),
            Err(NumberProblem::OutOfE164Range { digits: 5 })
        );
        assert!(matches!(
            normalise("+1 212 555 014", None),
            Err(NumberProblem::WrongLength { .. })
        ));
        assert_eq!(
            normalise("(012) 555-0142", Some("US")),
            Err(NumberProblem::BadNanpNumber)
        );
        assert_eq!(normalise("2125550142", None), Err(NumberProblem::NoCountry));
        assert!(matches!(
            normalise("01 42 68 53", Some("FR")),
            Err(NumberProblem::WrongLength { .. })
        ));
    }
}
