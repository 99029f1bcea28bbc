//! Progressive pacing in virtual time: a campaign whose answered contacts go to a queue places
//! at most `ratio` x the queue's free agents calls at once, none while no agent is free, and
//! still calls everyone once agents come.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::campaign_tests::{campaign, CAMPAIGN};
use crate::contacts::{Contact, ZoneSource};
use crate::dialer::Dialer;
use crate::dnc::DoNotCall;
use crate::error::DialerError;
use crate::phone::normalise;
use crate::retry::Outcome;
use crate::{parse_campaign, AgentPacing, Campaign};

/// Tuesday 8 December 2026, 10:00 in New York.
fn tuesday_10am_ny() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-08T15:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn contacts(n: usize) -> Vec<Contact> {
    (0..n)
        .map(|i| Contact {
            line: i + 2,
            number: normalise(&format!("+1212555{:04}", 2000 + i), None).unwrap(),
            zone: chrono_tz::America::New_York,
            zone_source: ZoneSource::Column,
            variables: Vec::new(),
        })
        .collect()
}

/// The example campaign, generous in calls at once and per second, paced by `sales`' agents.
fn progressive(ratio: f64) -> Campaign {
    let mut c = campaign();
    c.pacing.max_concurrent = 50;
    c.pacing.calls_per_second = 50;
    c.pacing.ramp = Duration::ZERO;
    c.pacing.agents = Some(AgentPacing {
        queue: "sales".into(),
        ratio,
    });
    c
}

#[test]
fn the_free_agents_times_the_ratio_bound_the_calls_at_once() {
    let now = tuesday_10am_ny();
    for (free, ratio, expected) in [
        (0, 1.5, 0),
        (1, 1.5, 1),
        (2, 1.5, 3),
        (3, 1.0, 3),
        (4, 0.5, 2),
    ] {
        let mut dialer = Dialer::new(&progressive(ratio), contacts(20), DoNotCall::default(), now);
        assert_eq!(dialer.agents_queue(), Some("sales"));
        dialer.set_free_agents(free);
        assert_eq!(
            dialer.poll_dial(now).len(),
            expected,
            "{free} free agent(s) at ratio {ratio}"
        );
        // Full: nothing more until an attempt ends or more agents are free.
        assert!(dialer.poll_dial(now + TimeDelta::seconds(5)).is_empty());
        if expected == 0 {
            assert_eq!(dialer.poll_timeout(), None, "wait to be told of agents");
        }
    }
    let plain = Dialer::new(&campaign(), contacts(1), DoNotCall::default(), now);
    assert_eq!(plain.agents_queue(), None);
}

/// The queue has no agent for the first five minutes, then two; every answered contact keeps an
/// agent busy for the whole call (the worst case). Each start is checked against the free
/// agents the dialer was told at that moment.
#[test]
fn no_call_is_placed_before_an_agent_is_free_and_everyone_is_called_after() {
    let start = tuesday_10am_ny();
    let staffed = |at: DateTime<Utc>| -> usize {
        if at < start + TimeDelta::minutes(5) {
            0
        } else {
            2
        }
    };
    let ratio = 1.5;
    let mut dialer = Dialer::new(
        &progressive(ratio),
        contacts(12),
        DoNotCall::default(),
        start,
    );
    let mut now = start;
    let mut calls: Vec<(DateTime<Utc>, crate::phone::E164)> = Vec::new();
    let mut starts = Vec::new();
    for _ in 0..10_000 {
        calls.sort();
        while calls.first().is_some_and(|(end, _)| *end <= now) {
            let (end, number) = calls.remove(0);
            dialer
                .attempt_ended(&number, Outcome::AnsweredPerson, end)
                .unwrap();
        }
        let free = staffed(now).saturating_sub(calls.len());
        dialer.set_free_agents(free);
        for dial in dialer.poll_dial(now) {
            calls.push((now + TimeDelta::seconds(90), dial.number));
            starts.push((now, free, calls.len()));
        }
        if dialer.is_finished() && calls.is_empty() {
            break;
        }
        // The server looks at the queue every second, and when the dialer or a call says so.
        now = dialer
            .poll_timeout()
            .into_iter()
            .chain(calls.iter().map(|(end, _)| *end))
            .chain([now + TimeDelta::seconds(1)])
            .min()
            .unwrap()
            .max(now + TimeDelta::milliseconds(1));
    }
    assert!(dialer.is_finished(), "the campaign finished");
    assert_eq!(starts.len(), 12, "everyone called once");
    assert!(
        starts[0].0 >= start + TimeDelta::minutes(5),
        "no call before an agent was free: first at {}",
        starts[0].0
    );
    for (at, free, in_flight) in starts {
        assert!(
            in_flight as f64 <= ratio * free as f64,
            "{in_flight} calls in flight at {at} with {free} free agent(s)"
        );
    }
}

fn pacing_error(pacing: &str) -> Result<Campaign, DialerError> {
    let text = CAMPAIGN.replacen(
        "pacing:\n  max_concurrent: 4\n",
        &format!("pacing:\n  max_concurrent: 4\n{pacing}"),
        1,
    );
    parse_campaign(&text, Path::new("delivery.yaml"))
}

#[test]
fn agent_pacing_is_read_from_the_campaign_file_and_checked() {
    let c = pacing_error("  agents_queue: sales\n  ratio: 1.5\n").unwrap();
    assert_eq!(
        c.pacing.agents,
        Some(AgentPacing {
            queue: "sales".into(),
            ratio: 1.5
        })
    );
    let c = pacing_error("  agents_queue: sales\n").unwrap();
    assert_eq!(c.pacing.agents.unwrap().ratio, 1.0);
    assert_eq!(
        pacing_error("  ratio: 2\n").unwrap_err().to_string(),
        "delivery.yaml:19:10: `ratio` needs `agents_queue`: the queue whose free agents pace the calls"
    );
    assert_eq!(
        pacing_error("  agents_queue: sales\n  ratio: 0\n")
            .unwrap_err()
            .to_string(),
        "delivery.yaml:20:10: `ratio` is 0; write calls per free agent from 0.1 to 10 (1 = one call per free agent)"
    );
}
