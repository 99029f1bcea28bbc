//! Calling windows in the contact's own time zone, across daylight-saving changes.

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::window::{parse_weekdays, CallingWindow, Hours};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn every_day(hours: &str) -> CallingWindow {
    CallingWindow {
        weekdays: parse_weekdays("mon-sun").unwrap(),
        hours: vec![Hours::parse(hours).unwrap()],
        excluded: Vec::new(),
        start: None,
        end: None,
    }
}

const NEW_YORK: Tz = chrono_tz::America::New_York;

#[test]
fn the_window_opens_at_nine_local_on_both_sides_of_spring_forward() {
    let window = every_day("09:00-20:00");
    // Saturday 7 March 2026, EST (UTC-5): 09:00 is 14:00 UTC.
    assert_eq!(
        window.next_open(utc("2026-03-07T06:00:00Z"), NEW_YORK),
        Some(utc("2026-03-07T14:00:00Z"))
    );
    // Sunday 8 March 2026, clocks go forward at 02:00: 09:00 EDT is 13:00 UTC.
    assert_eq!(
        window.next_open(utc("2026-03-08T06:00:00Z"), NEW_YORK),
        Some(utc("2026-03-08T13:00:00Z"))
    );
    // 13:30 UTC that Sunday is 09:30 local: open. The day before it was 08:30: closed.
    assert!(window.is_open(utc("2026-03-08T13:30:00Z"), NEW_YORK));
    assert!(!window.is_open(utc("2026-03-07T13:30:00Z"), NEW_YORK));
}

#[test]
fn the_window_follows_fall_back_too() {
    let window = every_day("09:00-20:00");
    // Sunday 1 November 2026, clocks go back at 02:00: 09:00 EST is 14:00 UTC.
    assert_eq!(
        window.next_open(utc("2026-11-01T05:00:00Z"), NEW_YORK),
        Some(utc("2026-11-01T14:00:00Z"))
    );
    // 20:00 EST closes at 01:00 UTC the next day.
    assert!(window.is_open(utc("2026-11-02T00:59:00Z"), NEW_YORK));
    assert!(!window.is_open(utc("2026-11-02T01:00:00Z"), NEW_YORK));
}

#[test]
fn an_opening_in_the_skipped_hour_moves_to_the_end_of_the_gap() {
    let window = every_day("02:30-04:00");
    // 02:30 does not exist on 8 March 2026 in New York; 03:00 EDT (07:00 UTC) is the first
    // instant after the gap.
    assert_eq!(
        window.next_open(utc("2026-03-08T05:00:00Z"), NEW_YORK),
        Some(utc("2026-03-08T07:00:00Z"))
    );
}

#[test]
fn the_same_instant_is_open_in_one_zone_and_closed_in_another() {
    let window = every_day("09:00-20:00");
    let at = utc("2026-06-10T15:00:00Z");
    assert!(window.is_open(at, chrono_tz::Europe::London)); // 16:00 BST
    assert!(window.is_open(at, NEW_YORK)); // 11:00 EDT
    assert!(!window.is_open(at, chrono_tz::Australia::Sydney)); // 01:00 AEST
    assert_eq!(
        window.next_open(at, chrono_tz::Australia::Sydney),
        Some(utc("2026-06-10T23:00:00Z"))
    );
}

#[test]
fn weekdays_excluded_dates_and_the_end_date_are_respected() {
    let mut window = every_day("09:00-17:00");
    window.weekdays = parse_weekdays("mon-fri").unwrap();
    window.excluded = vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()];
    window.end = NaiveDate::from_ymd_opt(2026, 12, 29);
    // Thursday 24 December 2026 after closing: Friday is Christmas, then the weekend.
    let next = window
        .next_open(utc("2026-12-24T23:00:00Z"), NEW_YORK)
        .unwrap();
    assert_eq!(next, utc("2026-12-28T14:00:00Z"));
    assert_eq!(
        next.with_timezone(&NEW_YORK)
            .date_naive()
            .format("%a")
            .to_string(),
        "Mon"
    );
    // After closing on the last day it never opens again.
    assert_eq!(
        window.next_open(utc("2026-12-29T23:00:00Z"), NEW_YORK),
        None
    );
}

#[test]
fn a_start_date_holds_the_window_shut_until_then() {
    let mut window = every_day("09:00-17:00");
    window.start = NaiveDate::from_ymd_opt(2026, 7, 1);
    assert_eq!(
        window.next_open(utc("2026-06-20T15:00:00Z"), chrono_tz::Europe::Paris),
        Some(
            chrono_tz::Europe::Paris
                .with_ymd_and_hms(2026, 7, 1, 9, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        )
    );
}

#[test]
fn split_hours_and_twenty_four() {
    let mut window = every_day("09:00-12:00");
    window.hours.push(Hours::parse("14:00-24:00").unwrap());
    assert_eq!(
        window.next_open(utc("2026-06-10T12:30:00Z"), chrono_tz::UTC),
        Some(utc("2026-06-10T14:00:00Z"))
    );
    assert!(window.is_open(utc("2026-06-10T23:59:00Z"), chrono_tz::UTC));
}

#[test]
fn bad_hours_and_weekdays_are_refused() {
    assert!(Hours::parse("9-17").is_err());
    assert!(Hours::parse("20:00-09:00").is_err());
    assert!(Hours::parse("09:00-25:00").is_err());
    assert!(Hours::parse("09:60-10:00").is_err());
    assert_eq!(
        Hours::parse("09:00-20:00"),
        Ok(Hours {
            start: 540,
            end: 1200
        })
    );
    assert_eq!(parse_weekdays("Friday"), Ok(vec![Weekday::Fri]));
    assert_eq!(parse_weekdays("fri-mon").unwrap().len(), 4);
    assert!(parse_weekdays("funday").is_err());
}
