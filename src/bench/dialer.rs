//! `hotline bench dialer`: how fast the pure dialer decides, with no SIP at all. A campaign of
//! N contacts (100 000 by default) runs to its end in virtual time: calls last 30 s, one in five
//! is busy and retried 10 minutes later, one in ten is not answered and retried an hour later.
//! Prints the dials decided per second of real (CPU) time and the time per `poll_dial`.

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use hotline_dialer::{parse_campaign, Contact, Dialer, DoNotCall, Outcome, ZoneSource, E164};

const CAMPAIGN: &str = r#"campaign: bench
flow: none.yaml
trunk: bench
caller_id: "+1 212 555 0100"
contacts:
  file: none.csv
  phone: phone
default_country: US
default_time_zone: America/New_York
window:
  weekdays: [mon-sun]
  hours: "00:00-24:00"
pacing:
  max_concurrent: 1000
  calls_per_second: 200
retries:
  busy: { delay: 10m, count: 1 }
  no_answer: { delay: 1h, count: 1 }
  max_per_day: 3
"#;

/// Runs the bench and prints its figures.
pub fn run(contacts: usize) -> anyhow::Result<()> {
    let campaign = parse_campaign(CAMPAIGN, Path::new("bench.yaml"))?;
    if contacts > 4_000_000 {
        anyhow::bail!("at most 4 000 000 contacts (numbers +1 212 555 0000 onwards)");
    }
    let zone = campaign.default_zone;
    let list: Vec<Contact> = (0..contacts)
        .map(|i| {
            let number = format!("+1212{}{:04}", 555 + i / 10_000, i % 10_000);
            Ok(Contact {
                line: i + 2,
                number: hotline_dialer::normalise(&number, None)?,
                zone,
                zone_source: ZoneSource::Column,
                variables: Vec::new(),
            })
        })
        .collect::<Result<_, hotline_dialer::NumberProblem>>()
        .map_err(|e| anyhow::anyhow!("bench contact: {e}"))?;
    let start: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-12-08T15:00:00Z")?.into();
    let built = Instant::now();
    let mut dialer = Dialer::new(&campaign, list, DoNotCall::default(), start);
    let build_time = built.elapsed();

    let outcome = |n: &E164, attempt: u32| {
        let tail: u64 = n.as_str()[5..].parse().unwrap_or(0);
        match (tail % 10, attempt) {
            (0 | 1, 1) => Outcome::Busy,
            (2, 1) => Outcome::NoAnswer,
            _ => Outcome::AnsweredPerson,
        }
    };
    let mut now = start;
    let mut calls: std::collections::BinaryHeap<std::cmp::Reverse<(DateTime<Utc>, E164, u32)>> =
        Default::default();
    let (mut dials, mut polls) = (0usize, 0usize);
    let clock = Instant::now();
    loop {
        while calls.peek().is_some_and(|c| c.0 .0 <= now) {
            let std::cmp::Reverse((end, number, attempt)) = calls.pop().expect("peeked");
            dialer.attempt_ended(&number, outcome(&number, attempt), end)?;
        }
        polls += 1;
        for dial in dialer.poll_dial(now) {
            dials += 1;
            calls.push(std::cmp::Reverse((
                now + TimeDelta::seconds(30),
                dial.number,
                dial.attempt,
            )));
        }
        if dialer.is_finished() && calls.is_empty() {
            break;
        }
        let next = dialer
            .poll_timeout()
            .into_iter()
            .chain(calls.peek().map(|c| c.0 .0))
            .min()
            .ok_or_else(|| anyhow::anyhow!("the dialer stalled with nothing to wait for"))?;
        now = next.max(now + TimeDelta::milliseconds(1));
    }
    let spent = clock.elapsed();
    println!(
        "Dialer, pure logic: {contacts} contacts, {dials} dials ({} retries) over {} of virtual time.",
        dials - contacts,
        humantime(now - start)
    );
    println!(
        "  built in {:.2} s; ran in {:.2} s: {:.0} dials decided per second, {} polls, {:.1} µs per poll.",
        build_time.as_secs_f64(),
        spent.as_secs_f64(),
        dials as f64 / spent.as_secs_f64(),
        polls,
        spent.as_secs_f64() * 1e6 / polls as f64
    );
    Ok(())
}

fn humantime(d: TimeDelta) -> String {
    let s = d.num_seconds();
    format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60)
}
