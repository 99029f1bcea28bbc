//! `CalendarDate`: a day in the proleptic Gregorian calendar, with just the arithmetic that
//! date slots need (weekdays, adding days, ISO form). The caller passes today's date in; this
//! crate never reads the clock.

use std::fmt;

/// A calendar day, e.g. 2026-03-05.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate {
    year: i32,
    month: u32,
    day: u32,
}

/// Month names as callers say them, January first.
pub(crate) const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Weekday names, Monday first.
pub(crate) const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl CalendarDate {
    /// The date, if it exists (month 1-12, day within the month, year 1-9999).
    pub fn new(year: i32, month: u32, day: u32) -> Option<CalendarDate> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(CalendarDate { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(text: &str) -> Option<CalendarDate> {
        let mut parts = text.trim().splitn(3, '-');
        let year = parts.next()?;
        let month = parts.next()?;
        let day = parts.next()?;
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return None;
        }
        CalendarDate::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1-12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The day of the month, 1-31.
    pub fn day(self) -> u32 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    fn to_days(self) -> i64 {
        // Shift the year to start in March so that the leap day comes last.
        let (y, m) = if self.month <= 2 {
            (i64::from(self.year) - 1, i64::from(self.month) + 9)
        } else {
            (i64::from(self.year), i64::from(self.month) - 3)
        };
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let day_of_year = (153 * m + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    fn from_days(days: i64) -> Option<CalendarDate> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        CalendarDate::new(
            i32::try_from(year).ok()?,
            u32::try_from(month).ok()?,
            u32::try_from(day).ok()?,
        )
    }

    /// The date `days` later (earlier when negative); `None` outside years 1-9999.
    pub fn add_days(self, days: i64) -> Option<CalendarDate> {
        CalendarDate::from_days(self.to_days() + days)
    }

    /// Day of the week, 0 = Monday ... 6 = Sunday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.to_days() + 3).rem_euclid(7) as u32
    }

    /// The month's English name, e.g. `March`.
    pub fn month_name(self) -> String {
        capitalise(MONTHS[(self.month - 1) as usize])
    }

    /// The weekday's English name, e.g. `Thursday`.
    pub fn weekday_name(self) -> String {
        capitalise(WEEKDAYS[self.weekday() as usize])
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl fmt::Display for CalendarDate {
    /// ISO 8601: `2026-03-05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> CalendarDate {
        CalendarDate::new(y, m, d).expect("valid test date")
    }

    #[test]
    fn validates_days_per_month() {
        assert!(
            CalendarDate::new(2024, 2, 29).is_some(),
            "2024 is a leap year"
        );
        assert!(CalendarDate::new(2026, 2, 29).is_none());
        assert!(
            CalendarDate::new(1900, 2, 29).is_none(),
            "1900 is not a leap year"
        );
        assert!(
            CalendarDate::new(2000, 2, 29).is_some(),
            "2000 is a leap year"
        );
        assert!(CalendarDate::new(2026, 4, 31).is_none());
        assert!(CalendarDate::new(2026, 13, 1).is_none());
        assert!(CalendarDate::new(2026, 1, 0).is_none());
    }

    #[test]
    fn known_weekdays() {
        assert_eq!(date(1970, 1, 1).weekday_name(), "Thursday");
        assert_eq!(date(2000, 1, 1).weekday_name(), "Saturday");
        assert_eq!(date(2026, 11, 21).weekday_name(), "Saturday");
        assert_eq!(date(1980, 3, 5).weekday_name(), "Wednesday");
    }

    #[test]
    fn adding_days_crosses_months_and_years() {
        assert_eq!(date(2026, 12, 31).add_days(1), Some(date(2027, 1, 1)));
        assert_eq!(date(2024, 2, 28).add_days(1), Some(date(2024, 2, 29)));
        assert_eq!(date(2026, 3, 1).add_days(-1), Some(date(2026, 2, 28)));
        assert_eq!(date(2026, 11, 21).add_days(365), Some(date(2027, 11, 21)));
        assert_eq!(date(1969, 12, 31).add_days(1), Some(date(1970, 1, 1)));
    }

    #[test]
    fn iso_round_trip() {
        assert_eq!(
            CalendarDate::parse_iso("1980-03-05"),
            Some(date(1980, 3, 5))
        );
        assert_eq!(date(1980, 3, 5).to_string(), "1980-03-05");
        assert_eq!(CalendarDate::parse_iso("1980-3-5"), None);
        assert_eq!(CalendarDate::parse_iso("1980-02-30"), None);
        assert_eq!(CalendarDate::parse_iso("soon"), None);
    }
}
