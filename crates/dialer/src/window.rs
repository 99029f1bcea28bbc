//! Calling windows: the weekdays, hours and dates a contact may be called, evaluated in the
//! contact's own time zone, including across daylight-saving changes.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// Hours of a day as minutes since local midnight, `start < end <= 24:00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hours {
    pub start: u32,
    pub end: u32,
}

impl Hours {
    /// Reads `09:00-20:00` (`24:00` may end a range).
    pub fn parse(text: &str) -> Result<Hours, &'static str> {
        let (a, b) = text
            .split_once('-')
            .ok_or("is not a range like 09:00-20:00")?;
        let start = clock(a.trim())?;
        let end = clock(b.trim())?;
        if start >= end {
            return Err("ends before it starts (a window cannot run past midnight; write two)");
        }
        if start == 24 * 60 {
            return Err("starts at 24:00");
        }
        Ok(Hours { start, end })
    }
}

fn clock(text: &str) -> Result<u32, &'static str> {
    let (h, m) = text.split_once(':').ok_or("needs times as HH:MM")?;
    let h: u32 = h.parse().map_err(|_| "has an hour that is not a number")?;
    let m: u32 = m.parse().map_err(|_| "has minutes that are not a number")?;
    if m > 59 || h > 24 || (h == 24 && m > 0) {
        return Err("has a time past 24:00 or minutes past 59");
    }
    Ok(h * 60 + m)
}

/// Reads `mon`, `Monday`, or a range `mon-fri`.
pub fn parse_weekdays(text: &str) -> Result<Vec<Weekday>, &'static str> {
    let one = |t: &str| -> Result<Weekday, &'static str> {
        Ok(match t.trim().to_ascii_lowercase().as_str() {
            "mon" | "monday" => Weekday::Mon,
            "tue" | "tuesday" => Weekday::Tue,
            "wed" | "wednesday" => Weekday::Wed,
            "thu" | "thursday" => Weekday::Thu,
            "fri" | "friday" => Weekday::Fri,
            "sat" | "saturday" => Weekday::Sat,
            "sun" | "sunday" => Weekday::Sun,
            _ => return Err("is not a weekday (mon, tue, wed, thu, fri, sat, sun)"),
        })
    };
    match text.split_once('-') {
        Some((a, b)) => {
            let (mut day, last) = (one(a)?, one(b)?);
            let mut days = vec![day];
            while day != last {
                day = day.succ();
                days.push(day);
            }
            Ok(days)
        }
        None => Ok(vec![one(text)?]),
    }
}

/// When calls may be placed, in the contact's local time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallingWindow {
    pub weekdays: Vec<Weekday>,
    /// Sorted, non-overlapping.
    pub hours: Vec<Hours>,
    pub excluded: Vec<NaiveDate>,
    /// The campaign's first and last day (inclusive), in the contact's calendar.
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// How far ahead `next_open` looks before deciding the window never opens.
const HORIZON_DAYS: i64 = 400;

impl CallingWindow {
    /// Whether a call may be placed at `at` to someone in `zone`.
    pub fn is_open(&self, at: DateTime<Utc>, zone: Tz) -> bool {
        self.next_open(at, zone) == Some(at)
    }

    /// The first instant at or after `from` when the window is open in `zone`; `None` when it
    /// never opens again (the campaign's end date has passed).
    pub fn next_open(&self, from: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let first = from.with_timezone(&zone).date_naive();
        for offset in 0..HORIZON_DAYS {
            let day = first + Duration::days(offset);
            if self.end.is_some_and(|end| day > end) {
                return None;
            }
            if !self.day_allowed(day) {
                continue;
            }
            for hours in &self.hours {
                let open = local_instant(zone, day, hours.start);
                let close = local_instant(zone, day, hours.end);
                if close > from && open < close {
                    return Some(open.max(from));
                }
            }
        }
        None
    }

    /// The first opening on a later local day than `after`'s, for a contact who has had
    /// today's attempts.
    pub fn next_day_open(&self, after: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let tomorrow = after.with_timezone(&zone).date_naive() + Duration::days(1);
        self.next_open(local_instant(zone, tomorrow, 0), zone)
    }

    fn day_allowed(&self, day: NaiveDate) -> bool {
        self.weekdays.contains(&day.weekday())
            && !self.excluded.contains(&day)
            && self.start.is_none_or(|start| day >= start)
    }
}

/// The UTC instant of `minutes` past local midnight of `day`; a time skipped by a clock change
/// moves to the first instant after the gap, a repeated one takes its first occurrence.
pub(crate) fn local_instant(zone: Tz, day: NaiveDate, minutes: u32) -> DateTime<Utc> {
    let midnight: NaiveDateTime = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    let wanted = midnight + Duration::minutes(i64::from(minutes));
    for skip in 0..=24 * 60 {
        let local = wanted + Duration::minutes(skip);
        match zone.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => {}
        }
    }
    Utc.from_utc_datetime(&wanted)
}
