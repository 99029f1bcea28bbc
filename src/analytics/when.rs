//! Time for the history and analytics filters: the bucket a moment falls in (UTC hours, days,
//! weeks from Monday) and the `from`/`to` a person types (a date, a date and time, or Unix ms).

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::error::HotlineError;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How analytics groups calls in time (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Hour,
    Day,
    /// Weeks start on Monday 00:00 UTC (ISO 8601).
    Week,
}

impl Bucket {
    pub fn parse(text: &str) -> Result<Bucket, HotlineError> {
        match text {
            "hour" => Ok(Bucket::Hour),
            "day" => Ok(Bucket::Day),
            "week" => Ok(Bucket::Week),
            other => Err(HotlineError::BadValue {
                what: "bucket",
                value: other.into(),
                expected: "hour, day or week",
            }),
        }
    }

    /// The start (Unix ms) of the bucket holding `at`.
    pub fn start(self, at: i64) -> i64 {
        match self {
            Bucket::Hour => at.div_euclid(HOUR_MS) * HOUR_MS,
            Bucket::Day => at.div_euclid(DAY_MS) * DAY_MS,
            // 1970-01-01 was a Thursday: shift so that weeks begin on Mondays.
            Bucket::Week => (at + 3 * DAY_MS).div_euclid(7 * DAY_MS) * 7 * DAY_MS - 3 * DAY_MS,
        }
    }

    /// The start of the next bucket after the one starting at `start`.
    pub fn next(self, start: i64) -> i64 {
        start
            + match self {
                Bucket::Hour => HOUR_MS,
                Bucket::Day => DAY_MS,
                Bucket::Week => 7 * DAY_MS,
            }
    }

    /// How a bucket is labelled on charts and in CSV: `2026-12-07 13:00`, `2026-12-07`, or the
    /// week's Monday as `2026-12-07` too.
    pub fn label(self, start: i64) -> String {
        let Some(t) = DateTime::from_timestamp_millis(start) else {
            return start.to_string();
        };
        match self {
            Bucket::Hour => t.format("%Y-%m-%d %H:00").to_string(),
            Bucket::Day | Bucket::Week => t.format("%Y-%m-%d").to_string(),
        }
    }
}

/// Which end of a range a typed time is: a bare date as `to` means the end of that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeEdge {
    From,
    To,
}

/// A time as typed in the console's form or a URL, in UTC: `2026-12-07`, `2026-12-07T13:05`
/// (what a `datetime-local` field sends), `2026-12-07 13:05:30`, or Unix milliseconds. A bare
/// date as the `to` edge is the midnight after it, so `to=2026-12-07` includes that day.
pub fn parse_time(text: &str, edge: TimeEdge) -> Result<i64, HotlineError> {
    let text = text.trim();
    let bad = || HotlineError::BadValue {
        what: if edge == TimeEdge::From { "from" } else { "to" },
        value: text.into(),
        expected: "a UTC date (2026-12-07), date and time (2026-12-07T13:05) or Unix milliseconds",
    };
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| bad());
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
        let ms = midnight.and_utc().timestamp_millis();
        return Ok(if edge == TimeEdge::To {
            ms + DAY_MS
        } else {
            ms
        });
    }
    for format in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err(bad())
}

/// The ISO week day (1 = Monday) and hour of a moment, for the tests.
#[cfg(test)]
fn weekday_and_hour(at: i64) -> (u32, u32) {
    use chrono::{Datelike, Timelike};
    let t = DateTime::from_timestamp_millis(at).unwrap();
    (t.weekday().number_from_monday(), t.hour())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-09 (a Wednesday) 13:45:10 UTC.
    const WEDNESDAY: i64 = 1_796_823_910_000;

    #[test]
    fn buckets_start_on_the_hour_the_day_and_monday() {
        assert_eq!(weekday_and_hour(WEDNESDAY), (3, 13));
        assert_eq!(
            Bucket::Hour.label(Bucket::Hour.start(WEDNESDAY)),
            "2026-12-09 13:00"
        );
        assert_eq!(
            Bucket::Day.label(Bucket::Day.start(WEDNESDAY)),
            "2026-12-09"
        );
        let monday = Bucket::Week.start(WEDNESDAY);
        assert_eq!(Bucket::Week.label(monday), "2026-12-07");
        assert_eq!(weekday_and_hour(monday), (1, 0));
        // A Monday at midnight starts its own week; the Sunday before is in the previous one.
        assert_eq!(Bucket::Week.start(monday), monday);
        assert_eq!(Bucket::Week.start(monday - 1), monday - 7 * DAY_MS);
        assert_eq!(Bucket::Week.next(monday), monday + 7 * DAY_MS);
        assert_eq!(Bucket::Hour.next(0), HOUR_MS);
        for (text, bucket) in [
            ("hour", Bucket::Hour),
            ("day", Bucket::Day),
            ("week", Bucket::Week),
        ] {
            assert_eq!(Bucket::parse(text).unwrap(), bucket);
        }
        assert_eq!(
            Bucket::parse("month").unwrap_err().to_string(),
            "bucket: \"month\" is not valid; expected hour, day or week"
        );
    }

    #[test]
    fn typed_times_are_utc_and_a_bare_date_to_includes_its_day() {
        let day = parse_time("2026-12-09", TimeEdge::From).unwrap();
        assert_eq!(day, Bucket::Day.start(WEDNESDAY));
        assert_eq!(
            parse_time("2026-12-09", TimeEdge::To).unwrap(),
            day + DAY_MS
        );
        assert_eq!(
            parse_time("2026-12-09T13:45", TimeEdge::From).unwrap(),
            WEDNESDAY - 10_000
        );
        assert_eq!(
            parse_time("2026-12-09 13:45:10", TimeEdge::To).unwrap(),
            WEDNESDAY
        );
        assert_eq!(
            parse_time(" 1796823910000 ", TimeEdge::From).unwrap(),
            WEDNESDAY
        );
        assert_eq!(
            parse_time("yesterday", TimeEdge::To)
                .unwrap_err()
                .to_string(),
            "to: \"yesterday\" is not valid; expected a UTC date (2026-12-07), date and time \
             (2026-12-07T13:05) or Unix milliseconds"
        );
        assert!(parse_time("2026-13-01", TimeEdge::From).is_err());
    }
}
