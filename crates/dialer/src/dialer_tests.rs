//! The dialer in virtual time: pacing never exceeded, retries only inside the window, a daily
//! cap, do-not-call checked at dial time, and the same state rebuilt after a crash.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::campaign_tests::campaign;
use crate::contacts::{Contact, ZoneSource};
use crate::dialer::{AttemptRecord, ContactStatus, Dialer, Settled};
use crate::dnc::DoNotCall;
use crate::phone::{normalise, E164};
use crate::retry::Outcome;
use crate::Campaign;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn number(text: &str) -> E164 {
    normalise(text, None).unwrap()
}

fn contact(text: &str, zone: Tz) -> Contact {
    Contact {
        line: 0,
        number: number(text),
        zone,
        zone_source: ZoneSource::Column,
        variables: Vec::new(),
    }
}

fn new_york_contacts(n: usize) -> Vec<Contact> {
    (0..n)
        .map(|i| {
            contact(
                &format!("+1212555{:04}", 1000 + i),
                chrono_tz::America::New_York,
            )
        })
        .collect()
}

/// The example campaign without a ramp, at `max` calls at once and `cps` a second.
fn paced(max: u32, cps: u32) -> Campaign {
    let mut c = campaign();
    c.pacing.max_concurrent = max;
    c.pacing.calls_per_second = cps;
    c.pacing.ramp = Duration::ZERO;
    c
}

/// Tuesday 8 December 2026, 10:00 in New York.
const TUESDAY_10AM_NY: &str = "2026-12-08T15:00:00Z";

/// Runs the dialer in virtual time: every call lasts `length(number, attempt)` and ends with
/// `outcome(number, attempt)`. Returns each attempt as (number, start, end).
fn simulate(
    dialer: &mut Dialer,
    start: DateTime<Utc>,
    length: impl Fn(&E164, u32) -> TimeDelta,
    outcome: impl Fn(&E164, u32) -> Outcome,
) -> Vec<(E164, DateTime<Utc>, DateTime<Utc>)> {
    let mut now = start;
    let mut pending: Vec<(DateTime<Utc>, E164, u32)> = Vec::new();
    let mut attempts = Vec::new();
    for _ in 0..100_000 {
        pending.sort();
        while pending.first().is_some_and(|(end, _, _)| *end <= now) {
            let (end, n, attempt) = pending.remove(0);
            dialer.attempt_ended(&n, outcome(&n, attempt), end).unwrap();
        }
        for dial in dialer.poll_dial(now) {
            let end = now + length(&dial.number, dial.attempt);
            attempts.push((dial.number.clone(), now, end));
            pending.push((end, dial.number, dial.attempt));
        }
        if dialer.is_finished() && pending.is_empty() {
            return attempts;
        }
        let next = dialer
            .poll_timeout()
            .into_iter()
            .chain(pending.iter().map(|(end, _, _)| *end))
            .min()
            .expect("something to wait for");
        assert!(
            next > now || !pending.is_empty() || next == now,
            "time runs backwards"
        );
        now = next.max(now + TimeDelta::milliseconds(1));
    }
    panic!("the campaign never finished");
}

#[test]
fn forty_contacts_never_exceed_four_at_once_or_two_a_second() {
    let mut dialer = Dialer::new(
        &paced(4, 2),
        new_york_contacts(40),
        DoNotCall::default(),
        utc(TUESDAY_10AM_NY),
    );
    let attempts = simulate(
        &mut dialer,
        utc(TUESDAY_10AM_NY),
        |n, _| {
            TimeDelta::milliseconds(800 + (n.as_str()[8..].parse::<i64>().unwrap() * 737) % 6000)
        },
        |_, _| Outcome::AnsweredPerson,
    );
    assert_eq!(attempts.len(), 40);
    for (_, start, _) in &attempts {
        let in_the_second = attempts
            .iter()
            .filter(|(_, s, _)| s >= start && *s < *start + TimeDelta::seconds(1))
            .count();
        assert!(
            in_the_second <= 2,
            "{in_the_second} calls in the second from {start}"
        );
        let at_once = attempts
            .iter()
            .filter(|(_, s, e)| s <= start && e > start)
            .count();
        assert!(at_once <= 4, "{at_once} calls at once at {start}");
    }
    // Pacing is the limit, not the dialer's own slowness: four at once were reached.
    let busiest = attempts
        .iter()
        .map(|(_, t, _)| attempts.iter().filter(|(_, s, e)| s <= t && e > t).count())
        .max();
    assert_eq!(busiest, Some(4));
    assert_eq!(
        dialer
            .progress()
            .settled
            .get(&Settled::Completed(Outcome::AnsweredPerson)),
        Some(&40)
    );
}

#[test]
fn the_ramp_grows_concurrency_from_one() {
    let mut c = paced(4, 10);
    c.pacing.ramp = Duration::from_secs(60);
    let now = utc(TUESDAY_10AM_NY);
    let mut dialer = Dialer::new(&c, new_york_contacts(10), DoNotCall::default(), now);
    assert_eq!(dialer.poll_dial(now).len(), 1);
    let next = dialer.poll_timeout().unwrap();
    assert!(
        next > now + TimeDelta::seconds(19) && next < now + TimeDelta::seconds(21),
        "{next}"
    );
    assert_eq!(dialer.poll_dial(next).len(), 1);
    assert_eq!(dialer.poll_dial(now + TimeDelta::seconds(61)).len(), 2);
    assert_eq!(dialer.in_flight(), 4);
}

#[test]
fn a_retry_due_after_closing_waits_for_the_next_opening() {
    let c = paced(4, 2);
    // Tuesday 19:55 in New York; the window closes at 20:00.
    let now = utc("2026-12-09T00:55:00Z");
    let ada = number("+12125550142");
    let mut dialer = Dialer::new(
        &c,
        vec![contact("+12125550142", chrono_tz::America::New_York)],
        DoNotCall::default(),
        now,
    );
    assert_eq!(dialer.poll_dial(now).len(), 1);
    dialer
        .attempt_ended(&ada, Outcome::Busy, now + TimeDelta::minutes(1))
        .unwrap();
    // Busy retries after 10 minutes: 20:06, closed; Wednesday 09:00 EST is 14:00 UTC.
    let opening = utc("2026-12-09T14:00:00Z");
    assert_eq!(
        dialer.status(&ada),
        Some(ContactStatus::Waiting { due: opening })
    );
    assert!(dialer.poll_dial(utc("2026-12-09T01:10:00Z")).is_empty());
    assert_eq!(dialer.poll_timeout(), Some(opening));
    assert_eq!(dialer.poll_dial(opening).len(), 1);
}

#[test]
fn busy_contacts_around_the_world_are_only_called_inside_their_windows() {
    let c = paced(3, 2);
    let zones = [
        ("+12125550101", chrono_tz::America::New_York),
        ("+14155550102", chrono_tz::America::Los_Angeles),
        ("+442079460103", chrono_tz::Europe::London),
        ("+61293740104", chrono_tz::Australia::Sydney),
        ("+61893740105", chrono_tz::Australia::Perth),
        ("+33142680106", chrono_tz::Europe::Paris),
    ];
    let contacts: Vec<Contact> = zones.iter().map(|(n, z)| contact(n, *z)).collect();
    let now = utc("2026-12-04T22:30:00Z"); // a Friday evening in Europe, morning in Sydney
    let mut dialer = Dialer::new(&c, contacts, DoNotCall::default(), now);
    let attempts = simulate(
        &mut dialer,
        now,
        |_, _| TimeDelta::seconds(25),
        |_, _| Outcome::Busy,
    );
    let mut per_contact: HashMap<&E164, Vec<DateTime<Utc>>> = HashMap::new();
    for (n, start, _) in &attempts {
        let zone = zones.iter().find(|(z, _)| number(z) == *n).unwrap().1;
        assert!(
            c.window.is_open(*start, zone),
            "{n} called at {start}, outside its window"
        );
        per_contact.entry(n).or_default().push(*start);
    }
    for (n, starts) in per_contact {
        // The first attempt and three busy retries, at most two a local day.
        assert_eq!(starts.len(), 4, "{n}");
        let zone = zones.iter().find(|(z, _)| number(z) == *n).unwrap().1;
        let mut days: HashMap<_, usize> = HashMap::new();
        for s in &starts {
            *days.entry(s.with_timezone(&zone).date_naive()).or_default() += 1;
        }
        assert!(days.values().all(|&d| d <= 2), "{n}: {days:?}");
        for pair in starts.windows(2) {
            assert!(
                pair[1] - pair[0] >= TimeDelta::minutes(10),
                "{n}: retried before the delay"
            );
        }
        assert_eq!(
            dialer.status(n),
            Some(ContactStatus::Settled(Settled::RetriesExhausted(
                Outcome::Busy
            )))
        );
    }
}

#[test]
fn the_daily_cap_moves_the_third_attempt_to_tomorrow() {
    let c = paced(4, 2); // max_per_day: 2, busy every 10 minutes
    let ada = number("+12125550142");
    let now = utc(TUESDAY_10AM_NY);
    let mut dialer = Dialer::new(
        &c,
        vec![contact("+12125550142", chrono_tz::America::New_York)],
        DoNotCall::default(),
        now,
    );
    dialer.poll_dial(now);
    dialer
        .attempt_ended(&ada, Outcome::NoAnswer, now + TimeDelta::seconds(30))
        .unwrap();
    // No answer retries after an hour.
    let second = now + TimeDelta::seconds(30) + TimeDelta::hours(1);
    assert_eq!(dialer.poll_timeout(), Some(second));
    assert_eq!(dialer.poll_dial(second).len(), 1);
    dialer
        .attempt_ended(&ada, Outcome::NoAnswer, second + TimeDelta::seconds(30))
        .unwrap();
    assert_eq!(dialer.poll_timeout(), Some(utc("2026-12-09T14:00:00Z")));
}

#[test]
fn a_number_put_on_do_not_call_after_import_is_not_dialled() {
    let c = paced(4, 2);
    let now = utc(TUESDAY_10AM_NY);
    let mut dialer = Dialer::new(&c, new_york_contacts(3), DoNotCall::default(), now);
    let second = number("+12125551001");
    dialer.add_do_not_call(second.clone());
    let dialled: Vec<E164> = dialer
        .poll_dial(now)
        .into_iter()
        .chain(dialer.poll_dial(now + TimeDelta::seconds(1)))
        .map(|d| d.number)
        .collect();
    assert_eq!(dialled, [number("+12125551000"), number("+12125551002")]);
    assert_eq!(
        dialer.status(&second),
        Some(ContactStatus::Settled(Settled::DoNotCall))
    );
}

#[test]
fn outcomes_that_are_never_retried_settle_the_contact() {
    let c = paced(10, 10);
    let now = utc(TUESDAY_10AM_NY);
    let mut dialer = Dialer::new(&c, new_york_contacts(5), DoNotCall::default(), now);
    let dials = dialer.poll_dial(now);
    let outcomes = [
        Outcome::InvalidNumber,
        Outcome::Declined,
        Outcome::OptedOut,
        Outcome::AnsweredPerson,
        Outcome::AnsweredMachine,
    ];
    for (dial, outcome) in dials.iter().zip(outcomes) {
        dialer
            .attempt_ended(&dial.number, outcome, now + TimeDelta::seconds(20))
            .unwrap();
    }
    for (dial, outcome) in dials.iter().zip(&outcomes[..4]) {
        assert_eq!(
            dialer.status(&dial.number),
            Some(ContactStatus::Settled(Settled::Completed(*outcome)))
        );
    }
    // The campaign hangs up on machines and retries them after two hours.
    assert_eq!(
        dialer.status(&dials[4].number),
        Some(ContactStatus::Waiting {
            due: now + TimeDelta::seconds(20) + TimeDelta::hours(2)
        })
    );
    assert!(dialer.do_not_call().contains(&dials[2].number));
    assert!(dialer
        .attempt_ended(&dials[0].number, Outcome::Busy, now)
        .is_err());
}

#[test]
fn after_a_crash_the_dialer_is_rebuilt_from_its_attempts() {
    let c = paced(10, 10);
    let now = utc(TUESDAY_10AM_NY);
    let contacts = new_york_contacts(3);
    let [a, b, d] = [0, 1, 2].map(|i| contacts[i].number.clone());
    let mut before = Dialer::new(&c, contacts.clone(), DoNotCall::default(), now);
    assert_eq!(before.poll_dial(now).len(), 3);
    before
        .attempt_ended(&a, Outcome::Busy, now + TimeDelta::minutes(1))
        .unwrap();
    before
        .attempt_ended(&d, Outcome::AnsweredPerson, now + TimeDelta::minutes(2))
        .unwrap();
    // kill -9 here: b's attempt has no outcome on record.
    let records = vec![
        AttemptRecord {
            number: a.clone(),
            started_at: now,
            ended: Some((now + TimeDelta::minutes(1), Outcome::Busy)),
        },
        AttemptRecord {
            number: b.clone(),
            started_at: now,
            ended: None,
        },
        AttemptRecord {
            number: d.clone(),
            started_at: now,
            ended: Some((now + TimeDelta::minutes(2), Outcome::AnsweredPerson)),
        },
    ];
    let restart = now + TimeDelta::minutes(5);
    let mut after = Dialer::rebuild(&c, contacts, DoNotCall::default(), &records, restart).unwrap();
    assert_eq!(after.status(&a), before.status(&a));
    assert_eq!(after.status(&d), before.status(&d));
    assert_eq!(after.in_flight(), 0);
    // b's attempt is settled as server_restart and retried at once, as its second attempt.
    let dials = after.poll_dial(restart);
    assert_eq!(dials.len(), 1);
    assert_eq!((&dials[0].number, dials[0].attempt), (&b, 2));
    assert_eq!(after.poll_timeout(), Some(now + TimeDelta::minutes(11)));
    // An attempt of a number the campaign does not have is refused.
    let stranger = vec![AttemptRecord {
        number: number("+12125559999"),
        started_at: now,
        ended: None,
    }];
    assert!(Dialer::rebuild(
        &c,
        new_york_contacts(1),
        DoNotCall::default(),
        &stranger,
        restart
    )
    .is_err());
}

#[test]
fn a_dial_found_on_the_global_list_before_its_invite_is_undone_and_settled() {
    let c = paced(1, 1);
    let now = utc(TUESDAY_10AM_NY);
    let mut dialer = Dialer::new(&c, new_york_contacts(2), DoNotCall::default(), now);
    let first = dialer.poll_dial(now);
    assert_eq!(first.len(), 1);
    dialer.skip_do_not_call(&first[0].number).unwrap();
    assert_eq!(dialer.in_flight(), 0);
    assert_eq!(
        dialer.status(&first[0].number),
        Some(ContactStatus::Settled(Settled::DoNotCall))
    );
    assert!(dialer.do_not_call().contains(&first[0].number));
    // The slot it took is free again: the next contact is dialled at once.
    let next = dialer.poll_dial(now);
    assert_eq!(next.len(), 1);
    assert_ne!(next[0].number, first[0].number);
    assert!(dialer.skip_do_not_call(&first[0].number).is_err());
}
