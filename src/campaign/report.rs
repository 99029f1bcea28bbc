//! What a campaign manager reads: the status counts (from the dialer rebuilt from the stored
//! attempts) and the results file, one CSV line per attempt. Pure: rows and times in, text out.

use std::collections::HashSet;

use chrono::{DateTime, TimeZone, Utc};
use hotline_dialer::{AttemptRecord, ContactStatus, Dialer, Outcome, Settled, E164};

use crate::store::AttemptRow;

/// The counts `hotline campaigns status` prints.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    /// Attempts placed (every row).
    pub attempted: usize,
    /// Attempts without an outcome yet.
    pub in_progress: usize,
    /// Contacts who answered.
    pub reached: usize,
    /// Of those, contacts a person answered for (or opted out).
    pub reached_person: usize,
    /// Of those, contacts only an answering machine answered for.
    pub reached_machine: usize,
    /// Contacts done without being reached (invalid, declined, retries used up, window closed
    /// for good).
    pub failed: usize,
    /// Contacts not called (again) because their number is on a do-not-call list: the
    /// campaign's or the global one.
    pub skipped_do_not_call: usize,
    /// Contacts tried at least once and due again.
    pub waiting_for_retry: usize,
    /// Contacts not tried yet.
    pub not_yet_called: usize,
}

/// Whether an outcome means a person (or their machine) took the call.
pub fn is_reached(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::AnsweredPerson | Outcome::AnsweredMachine | Outcome::OptedOut
    )
}

/// Milliseconds since the epoch as a UTC time.
pub fn at_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// The dialer's view of the stored attempts of known contacts; one without an outcome has
/// `ended: None` (`Dialer::rebuild` settles it as `server_restart`).
pub fn attempt_records(
    rows: &[AttemptRow],
    known: impl Fn(&str) -> Option<E164>,
) -> Vec<AttemptRecord> {
    rows.iter()
        .filter_map(|r| {
            let number = known(&r.number)?;
            let ended = match (r.ended_at, r.outcome.as_deref().and_then(Outcome::parse)) {
                (Some(at), Some(outcome)) => Some((at_ms(at), outcome)),
                _ => None,
            };
            Some(AttemptRecord {
                number,
                started_at: at_ms(r.started_at),
                ended,
            })
        })
        .collect()
}

/// The status from the dialer rebuilt from the ended attempts, and the rows.
pub fn status(dialer: &Dialer, numbers: &[E164], rows: &[AttemptRow]) -> Status {
    let in_flight: HashSet<&str> = rows
        .iter()
        .filter(|r| r.outcome.is_none())
        .map(|r| r.number.as_str())
        .collect();
    let tried: HashSet<&str> = rows.iter().map(|r| r.number.as_str()).collect();
    let reached: HashSet<&str> = rows
        .iter()
        .filter(|r| {
            r.outcome
                .as_deref()
                .and_then(Outcome::parse)
                .is_some_and(is_reached)
        })
        .map(|r| r.number.as_str())
        .collect();
    let by_person: HashSet<&str> = rows
        .iter()
        .filter(|r| {
            r.outcome
                .as_deref()
                .and_then(Outcome::parse)
                .is_some_and(|o| is_reached(o) && o != Outcome::AnsweredMachine)
        })
        .map(|r| r.number.as_str())
        .collect();
    let mut s = Status {
        attempted: rows.len(),
        in_progress: rows.iter().filter(|r| r.outcome.is_none()).count(),
        reached: reached.len(),
        reached_person: by_person.len(),
        reached_machine: reached.len() - by_person.len(),
        ..Status::default()
    };
    for number in numbers {
        let n = number.as_str();
        if in_flight.contains(n) || reached.contains(n) {
            continue;
        }
        if dialer.do_not_call().contains(number)
            && !matches!(
                dialer.status(number),
                Some(ContactStatus::Settled(
                    Settled::Completed(_) | Settled::RetriesExhausted(_) | Settled::WindowClosed
                ))
            )
        {
            s.skipped_do_not_call += 1;
            continue;
        }
        match dialer.status(number) {
            Some(ContactStatus::Settled(Settled::Completed(o))) if is_reached(o) => {}
            Some(ContactStatus::Settled(_)) => s.failed += 1,
            Some(ContactStatus::Waiting { .. }) if tried.contains(n) => s.waiting_for_retry += 1,
            Some(ContactStatus::Waiting { .. }) => s.not_yet_called += 1,
            Some(ContactStatus::InFlight { .. }) | None => {}
        }
    }
    s
}

/// The header of the results file.
pub const CSV_HEADER: &str =
    "campaign,number,attempt,started_at,ended_at,outcome,sip_status,sip_call_id,call_id,amd,amd_reason,amd_ms";

/// One CSV line per attempt, oldest first, times in RFC 3339 UTC; an attempt still ringing has
/// the outcome `in_progress`.
pub fn results_csv(rows: &[AttemptRow]) -> String {
    let time = |ms: i64| at_ms(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for r in rows {
        let fields = [
            r.campaign.clone(),
            r.number.clone(),
            r.attempt.to_string(),
            time(r.started_at),
            r.ended_at.map(time).unwrap_or_default(),
            r.outcome.clone().unwrap_or_else(|| "in_progress".into()),
            r.sip_status.map(|s| s.to_string()).unwrap_or_default(),
            r.sip_call_id.clone().unwrap_or_default(),
            r.call_id.clone().unwrap_or_default(),
            r.amd.clone().unwrap_or_default(),
            r.amd_reason.clone().unwrap_or_default(),
            r.amd_ms.map(|ms| ms.to_string()).unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: &str, attempt: i64, outcome: Option<&str>, status: Option<i64>) -> AttemptRow {
        AttemptRow {
            id: format!("a{attempt}{number}"),
            campaign: "c".into(),
            number: number.into(),
            attempt,
            started_at: 1_765_000_000_000 + attempt,
            ended_at: outcome.map(|_| 1_765_000_005_000),
            outcome: outcome.map(str::to_string),
            sip_status: status,
            sip_call_id: Some("x@h".into()),
            call_id: None,
            amd: None,
            amd_reason: None,
            amd_ms: None,
        }
    }

    #[test]
    fn one_csv_line_per_attempt() {
        let rows = vec![
            row("+15551230001", 1, Some("busy"), Some(486)),
            row("+15551230001", 2, None, None),
        ];
        let csv = results_csv(&rows);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(
            lines[1],
            "c,+15551230001,1,2025-12-06T05:46:40.001Z,2025-12-06T05:46:45.000Z,busy,486,x@h,,,,"
        );
        assert_eq!(
            lines[2],
            "c,+15551230001,2,2025-12-06T05:46:40.002Z,,in_progress,,x@h,,,,"
        );
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn status_tells_retries_waiting_from_contacts_done() {
        use hotline_dialer::{import_contacts, parse_campaign, DoNotCall};
        use std::path::Path;
        let campaign = parse_campaign(
            "campaign: c\nflow: f.yaml\ntrunk: t\ncaller_id: \"+12125550100\"\n\
             contacts:\n  file: c.csv\n  phone: phone\ndefault_time_zone: UTC\n\
             window:\n  weekdays: [mon-sun]\n  hours: \"00:00-24:00\"\n\
             retries:\n  busy: { delay: 1h, count: 1 }\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let import = import_contacts(
            "phone\n+12125550101\n+12125550102\n+12125550103\n+12125550104\n+12125550105\n",
            Path::new("c.csv"),
            &campaign,
        )
        .unwrap();
        let numbers: Vec<E164> = import.contacts.iter().map(|c| c.number.clone()).collect();
        let rows = vec![
            row("+12125550101", 1, Some("busy"), Some(486)),
            row("+12125550102", 1, Some("invalid_number"), Some(404)),
            row("+12125550103", 1, Some("answered_machine"), Some(200)),
            row("+12125550104", 1, None, None),
        ];
        let ended: Vec<AttemptRow> = rows
            .iter()
            .filter(|r| r.outcome.is_some())
            .cloned()
            .collect();
        let known = |n: &str| numbers.iter().find(|e| e.as_str() == n).cloned();
        // The fifth contact, never called, was put on the global list meanwhile.
        let mut dnc = DoNotCall::default();
        dnc.add(numbers[4].clone());
        let dialer = Dialer::rebuild(
            &campaign,
            import.contacts.clone(),
            dnc,
            &attempt_records(&ended, known),
            at_ms(1_765_000_010_000),
        )
        .unwrap();
        assert_eq!(
            status(&dialer, &numbers, &rows),
            Status {
                attempted: 4,
                in_progress: 1,
                reached: 1,
                reached_person: 0,
                reached_machine: 1,
                failed: 1,
                skipped_do_not_call: 1,
                waiting_for_retry: 1,
                not_yet_called: 0,
            }
        );
    }

    #[test]
    fn reached_outcomes() {
        assert!(is_reached(Outcome::AnsweredPerson));
        assert!(!is_reached(Outcome::Busy));
        assert!(!is_reached(Outcome::InvalidNumber));
    }
}
