//! Campaign files and contact lists: what is accepted, and where each refusal points.

use std::path::Path;
use std::time::Duration;

use chrono::Weekday;

use crate::contacts::{import_contacts, RowProblemKind, ZoneSource};
use crate::dnc::DoNotCall;
use crate::error::DialerError;
use crate::phone::normalise;
use crate::retry::OnMachine;
use crate::{parse_campaign, Campaign};

pub(crate) const CAMPAIGN: &str = r#"campaign: delivery
flow: ../flows/delivery_notice.yaml
trunk: main
caller_id: "+1 212 555 0100"
contacts:
  file: contacts.csv
  phone: phone
  time_zone: tz
default_country: US
default_time_zone: America/New_York
window:
  weekdays: [mon-fri, sat]
  hours: "09:00-20:00"
  exclude: [2026-12-25]
start: 2026-12-01
end: 2026-12-31
pacing:
  max_concurrent: 4
  calls_per_second: 2
  ramp: 1m
retries:
  busy: { delay: 10m, count: 3 }
  no_answer: { delay: 1h, count: 2 }
  max_per_day: 2
on_machine: hang_up_and_retry
do_not_call: [dnc.txt]
"#;

pub(crate) fn campaign() -> Campaign {
    parse_campaign(CAMPAIGN, Path::new("delivery.yaml")).unwrap()
}

/// The error for `CAMPAIGN` with `from` replaced by `to`, as `line:column: reason`.
fn error_for(from: &str, to: &str) -> String {
    assert!(CAMPAIGN.contains(from), "{from}");
    let text = CAMPAIGN.replacen(from, to, 1);
    match parse_campaign(&text, Path::new("delivery.yaml")) {
        Err(e @ DialerError::Config { .. }) => e.to_string().replacen("delivery.yaml:", "", 1),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn a_full_campaign_reads_into_typed_values() {
    let c = campaign();
    assert_eq!(c.name, "delivery");
    assert_eq!(c.flow_pos.line, 2);
    assert_eq!(c.contacts.time_zone_column.as_deref(), Some("tz"));
    assert_eq!(c.window.weekdays.len(), 6);
    assert!(!c.window.weekdays.contains(&Weekday::Sun));
    assert_eq!(c.pacing.max_concurrent, 4);
    assert_eq!(c.pacing.ramp, Duration::from_secs(60));
    assert_eq!(c.retries.busy.delay, Duration::from_secs(600));
    assert_eq!(c.retries.no_answer.count, 2);
    assert_eq!(c.retries.max_per_day, 2);
    assert_eq!(c.retries.on_machine, OnMachine::HangUpAndRetry);
    assert_eq!(c.default_zone, chrono_tz::America::New_York);
}

#[test]
fn every_refusal_names_line_and_column() {
    assert_eq!(
        error_for("pacing:", "pacng:"),
        "17:1: unknown field `pacng`: did you mean `pacing`?"
    );
    assert_eq!(
        error_for("  max_concurrent: 4", "  max_concurent: 4"),
        "18:3: unknown field `max_concurent`: did you mean `max_concurrent`?"
    );
    assert_eq!(
        error_for("\"09:00-20:00\"", "\"09:00-2000\""),
        "13:10: hours `09:00-2000` needs times as HH:MM"
    );
    assert_eq!(
        error_for("[mon-fri, sat]", "[mon-fri, sa]"),
        "12:23: `sa` is not a weekday (mon, tue, wed, thu, fri, sat, sun)"
    );
    assert_eq!(
        error_for("America/New_York", "America/Gotham"),
        "10:20: unknown time zone `America/Gotham` (write an IANA name such as America/New_York or Europe/Paris)"
    );
    assert_eq!(
        error_for("end: 2026-12-31", "end: 2026-11-31"),
        "16:6: `end` has `2026-11-31`, not a date like 2026-12-24"
    );
    assert_eq!(
        error_for("delay: 10m", "delay: 10q"),
        "22:18: invalid duration for `retries.busy.delay`: `10q` has an unknown unit (use ms, s, m or h)"
            .replace("has an unknown unit (use ms, s, m or h)", &unit_reason("10q"))
    );
    assert_eq!(
        error_for("on_machine: hang_up_and_retry", "on_machine: hangup"),
        "25:13: `on_machine` is `hangup`; write leave_message or hang_up_and_retry"
    );
    let missing = error_for("trunk: main\n", "");
    assert!(missing.contains("missing field `trunk`"), "{missing}");
}

fn unit_reason(text: &str) -> String {
    hotline_flow::parse_duration_text(text)
        .unwrap_err()
        .to_string()
}

const CONTACTS: &str = "name,phone,tz,delivery_date
Ada,(212) 555-0142,,2026-12-08
Ben,+44 20 7946 0018,,2026-12-08
Cleo,555-01,,2026-12-09
Dan,212.555.0142,,2026-12-09
Eve,+61 412 345 678,Australia/Perth,2026-12-10
Finn,+1 505 555 0100,,2026-12-10
Gus,+33 1 42 68 53 00,Mars/Olympus,2026-12-10
";

#[test]
fn good_rows_are_imported_and_bad_ones_reported_by_line() {
    let import = import_contacts(CONTACTS, Path::new("contacts.csv"), &campaign()).unwrap();
    let numbers: Vec<&str> = import.contacts.iter().map(|c| c.number.as_str()).collect();
    assert_eq!(
        numbers,
        [
            "+12125550142",
            "+442079460018",
            "+61412345678",
            "+15055550100"
        ]
    );
    let sources: Vec<ZoneSource> = import.contacts.iter().map(|c| c.zone_source).collect();
    assert_eq!(
        sources,
        [
            ZoneSource::Number,
            ZoneSource::Number,
            ZoneSource::Column,
            ZoneSource::CampaignDefault
        ]
    );
    assert_eq!(import.contacts[2].zone, chrono_tz::Australia::Perth);
    assert_eq!(
        import.contacts[0].variables,
        [
            ("name".to_string(), "Ada".to_string()),
            ("delivery_date".to_string(), "2026-12-08".to_string())
        ]
    );
    let problems: Vec<String> = import.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems[0].starts_with("line 4: `555-01` is not a valid number"),
        "{problems:?}"
    );
    assert_eq!(problems[1], "line 5: +12125550142 is already on line 2");
    assert_eq!(problems[2], "line 8: unknown time zone `Mars/Olympus`");
    assert!(matches!(
        import.problems[1].kind,
        RowProblemKind::Duplicate { first_line: 2, .. }
    ));
}

#[test]
fn a_missing_column_is_named_with_the_columns_found() {
    let err = import_contacts("name,number\nA,1\n", Path::new("c.csv"), &campaign()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.csv: the contact list has no column `phone` (its columns: name, number)"
    );
}

#[test]
fn do_not_call_lists_normalise_and_report_bad_lines() {
    let mut dnc = DoNotCall::default();
    let problems = dnc.add_list(
        "# opted out by phone\n(212) 555-0142\n\nnot a number\n+442079460018 # Ben\n",
        Some("US"),
    );
    assert_eq!(dnc.len(), 2);
    assert!(dnc.contains(&normalise("+1 212 555 0142", None).unwrap()));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 4);
}

#[test]
fn the_check_report_counts_what_launch_would_do() {
    let c = campaign();
    let import = import_contacts(CONTACTS, Path::new("contacts.csv"), &c).unwrap();
    let mut dnc = DoNotCall::default();
    dnc.add_list("+1 505 555 0100\n", None);
    // Tuesday 8 December 2026, 15:00 UTC: 10:00 in New York, 15:00 in London, 23:00 in Perth.
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-08T15:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let report = crate::check_campaign(&c, &import, &dnc, now);
    assert_eq!(report.to_call, 3);
    assert_eq!(report.do_not_call.len(), 1);
    assert_eq!((report.invalid.len(), report.duplicates.len()), (2, 1));
    assert_eq!(report.open_now, 2);
    assert_eq!(report.outside_window.len(), 1);
    let perth = &report.outside_window[0];
    assert_eq!(perth.number.as_str(), "+61412345678");
    // Wednesday 09:00 in Perth (UTC+8).
    assert_eq!(
        perth.opens.unwrap().to_rfc3339(),
        "2026-12-09T01:00:00+00:00"
    );
}

#[test]
fn machine_detection_defaults_are_asterisks_and_a_block_changes_them() {
    let c = campaign();
    let md = &c.machine_detection;
    assert!(md.enabled);
    assert_eq!(md.initial_silence, Duration::from_millis(2500));
    assert_eq!(md.greeting, Duration::from_millis(1500));
    assert_eq!(md.after_greeting_silence, Duration::from_millis(800));
    assert_eq!(md.total_analysis, Duration::from_millis(5000));
    assert_eq!(md.min_word_length, Duration::from_millis(100));
    assert_eq!(md.between_words_silence, Duration::from_millis(150));
    assert_eq!(md.maximum_words, 3);
    assert_eq!(md.silence_threshold, 256);

    let text = CAMPAIGN.replacen(
        "do_not_call:",
        "machine_detection:\n  greeting: 2s\n  maximum_words: 5\n  enabled: true\ndo_not_call:",
        1,
    );
    let c = parse_campaign(&text, Path::new("delivery.yaml")).unwrap();
    assert_eq!(c.machine_detection.greeting, Duration::from_secs(2));
    assert_eq!(c.machine_detection.maximum_words, 5);
}

#[test]
fn a_bad_machine_detection_setting_is_refused_at_its_line() {
    let block = |body: &str| {
        error_for(
            "do_not_call:",
            &format!("machine_detection:\n{body}\ndo_not_call:"),
        )
    };
    assert_eq!(
        block("  greeting: soon"),
        "27:13: invalid duration for `machine_detection.greeting`: `soon` must start with a number, e.g. `6s`"
    );
    assert_eq!(
        block("  maximum_words: 0"),
        "27:18: `machine_detection.maximum_words` must be at least 1"
    );
    assert!(block("  silence_threshold: 70000")
        .starts_with("27:22: `machine_detection.silence_threshold` is 70000"),);
    assert!(
        block("  greting: 2s").contains("did you mean `greeting`?"),
        "{}",
        block("  greting: 2s")
    );
}

#[test]
fn an_opt_out_goes_to_the_global_list_unless_the_campaign_keeps_its_own() {
    use crate::OptOutList;
    assert_eq!(campaign().opt_out_list, OptOutList::Global);
    let own = format!("{CAMPAIGN}opt_out_list: campaign\n");
    let c = parse_campaign(&own, Path::new("delivery.yaml")).unwrap();
    assert_eq!(c.opt_out_list, OptOutList::Campaign);
    let bad = format!("{CAMPAIGN}opt_out_list: mine\n");
    let e = parse_campaign(&bad, Path::new("delivery.yaml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "delivery.yaml:27:15: `opt_out_list` is `mine`; write global or campaign"
    );
}
