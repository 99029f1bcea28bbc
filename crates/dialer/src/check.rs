//! `campaigns check`: what launching the campaign now would do, before a single call is placed.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::campaign_file::Campaign;
use crate::contacts::{ContactImport, RowProblem, RowProblemKind};
use crate::dnc::DoNotCall;
use crate::phone::E164;

/// A contact whose window is closed now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutsideWindow {
    pub line: usize,
    pub number: E164,
    pub zone: Tz,
    /// `None`: the window does not open again before the campaign ends.
    pub opens: Option<DateTime<Utc>>,
}

/// The pre-launch report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Imported contacts not on a do-not-call list.
    pub to_call: usize,
    /// Of those, how many could be called right now.
    pub open_now: usize,
    /// Of those, the ones whose window is closed, with when it opens.
    pub outside_window: Vec<OutsideWindow>,
    /// Imported contacts skipped for do-not-call: (CSV line, number).
    pub do_not_call: Vec<(usize, E164)>,
    /// Rows with a bad number or time zone.
    pub invalid: Vec<RowProblem>,
    /// Rows repeating an earlier number.
    pub duplicates: Vec<RowProblem>,
}

/// What the campaign would do with these contacts if launched at `now`.
pub fn check_campaign(
    campaign: &Campaign,
    import: &ContactImport,
    dnc: &DoNotCall,
    now: DateTime<Utc>,
) -> CheckReport {
    let mut report = CheckReport::default();
    for problem in &import.problems {
        match problem.kind {
            RowProblemKind::Duplicate { .. } => report.duplicates.push(problem.clone()),
            _ => report.invalid.push(problem.clone()),
        }
    }
    for contact in &import.contacts {
        if dnc.contains(&contact.number) {
            report
                .do_not_call
                .push((contact.line, contact.number.clone()));
            continue;
        }
        report.to_call += 1;
        let opens = campaign.window.next_open(now, contact.zone);
        if opens == Some(now) {
            report.open_now += 1;
        } else {
            report.outside_window.push(OutsideWindow {
                line: contact.line,
                number: contact.number.clone(),
                zone: contact.zone,
                opens,
            });
        }
    }
    report
}
