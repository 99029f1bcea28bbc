//! CSV for spreadsheets: the history search's rows and each analytics chart's numbers, with a
//! header line, RFC 4180 quoting, and text cells that a spreadsheet would run as a formula
//! (`=`, `+`, `-`, `@` that are not numbers) prefixed with `'`.

use super::figures::Analytics;
use crate::error::HotlineError;
use crate::store::CallSummary;

/// The charts of the analytics page, by the name `chart=` takes.
pub const CHARTS: [&str; 9] = [
    "calls",
    "outcomes",
    "transfer_reasons",
    "intents",
    "funnel",
    "anger",
    "latency",
    "queues",
    "unanswered",
];

/// One cell, quoted when it holds a comma, quote or line break.
pub fn cell(text: &str) -> String {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err();
    let text = if risky {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A header and rows as CSV text (CRLF line ends, as RFC 4180 asks).
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn time(unix_ms: Option<i64>) -> String {
    unix_ms
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn number(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.4}")).unwrap_or_default()
}

/// The history search's rows (times in UTC).
pub fn calls(found: &[CallSummary]) -> String {
    table(
        &[
            "id",
            "caller",
            "started_utc",
            "ended_utc",
            "duration_s",
            "flow",
            "outcome",
            "transfer_reason",
            "hangup_cause",
            "max_anger",
            "turns",
            "intents",
        ],
        found.iter().map(|c| {
            vec![
                c.id.clone(),
                c.caller.clone(),
                time(Some(c.started_at)),
                time(c.ended_at),
                c.ended_at
                    .map(|e| format!("{:.1}", (e - c.started_at) as f64 / 1000.0))
                    .unwrap_or_default(),
                c.flow_name.clone().unwrap_or_default(),
                c.outcome.clone(),
                c.transfer_reason.clone().unwrap_or_default(),
                c.hangup_cause.clone().unwrap_or_default(),
                number(c.max_anger),
                c.turns.to_string(),
                c.intents.clone(),
            ]
        }),
    )
}

/// One chart's numbers; `unanswered` are the grouped questions (representative, count).
pub fn chart(
    figures: &Analytics,
    unanswered: &[(String, usize)],
    name: &str,
) -> Result<String, HotlineError> {
    let f = figures;
    Ok(match name {
        "calls" => table(
            &[
                "bucket_start_utc",
                "calls",
                "contained",
                "transferred",
                "abandoned",
                "failed",
                "in_progress",
            ],
            f.buckets.iter().map(|b| {
                let c = &b.counts;
                vec![
                    b.label.clone(),
                    c.calls.to_string(),
                    c.contained.to_string(),
                    c.transferred.to_string(),
                    c.abandoned.to_string(),
                    c.failed.to_string(),
                    c.in_progress.to_string(),
                ]
            }),
        ),
        "outcomes" => {
            let c = &f.outcomes.counts;
            table(
                &[
                    "calls",
                    "contained",
                    "transferred",
                    "abandoned",
                    "failed",
                    "in_progress",
                    "containment_rate",
                    "abandonment_rate",
                ],
                [vec![
                    c.calls.to_string(),
                    c.contained.to_string(),
                    c.transferred.to_string(),
                    c.abandoned.to_string(),
                    c.failed.to_string(),
                    c.in_progress.to_string(),
                    number(f.outcomes.containment_rate),
                    number(f.outcomes.abandonment_rate),
                ]],
            )
        }
        "transfer_reasons" => table(
            &["reason", "calls"],
            f.transfer_reasons
                .iter()
                .map(|r| vec![r.name.clone(), r.count.to_string()]),
        ),
        "intents" => table(
            &["intent", "turns", "calls"],
            f.top_intents
                .iter()
                .map(|i| vec![i.intent.clone(), i.turns.to_string(), i.calls.to_string()]),
        ),
        "funnel" => table(
            &[
                "node",
                "turns",
                "no_match",
                "no_input",
                "no_match_rate",
                "no_input_rate",
                "last_node_of_calls",
            ],
            f.funnel.iter().map(|n| {
                vec![
                    n.node.clone(),
                    n.turns.to_string(),
                    n.no_match.to_string(),
                    n.no_input.to_string(),
                    number(Some(n.no_match_rate)),
                    number(Some(n.no_input_rate)),
                    n.last_node_of_calls.to_string(),
                ]
            }),
        ),
        "anger" => table(
            &["anger_from", "anger_to", "calls"],
            f.anger
                .iter()
                .map(|b| vec![format!("{:.1}", b.from), format!("{:.1}", b.to), b.calls.to_string()])
                .chain([vec!["none".into(), "none".into(), f.calls_without_anger.to_string()]]),
        ),
        "latency" => table(
            &["turns", "p50_ms", "p95_ms"],
            [vec![
                f.latency.turns.to_string(),
                f.latency.p50_ms.map(|v| v.to_string()).unwrap_or_default(),
                f.latency.p95_ms.map(|v| v.to_string()).unwrap_or_default(),
            ]],
        ),
        "queues" => table(
            &[
                "queue",
                "entered",
                "answered",
                "answered_within_sl",
                "abandoned",
                "service_level",
                "abandonment_rate",
                "average_handle_time_s",
            ],
            f.queues.iter().map(|q| {
                vec![
                    q.queue.clone(),
                    q.entered.to_string(),
                    q.answered.to_string(),
                    q.answered_within_sl.to_string(),
                    q.abandoned.to_string(),
                    number(q.service_level),
                    number(q.abandonment_rate),
                    number(q.average_handle_time_seconds),
                ]
            }),
        ),
        "unanswered" => table(
            &["question", "times_asked"],
            unanswered
                .iter()
                .map(|(q, n)| vec![q.clone(), n.to_string()]),
        ),
        other => {
            return Err(HotlineError::BadValue {
                what: "chart",
                value: other.into(),
                expected: "calls, outcomes, transfer_reasons, intents, funnel, anger, latency, queues or unanswered",
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::figures::{Count, Latency};

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        // Numbers stay numbers, a telephone number included.
        assert_eq!(cell("+4930123456"), "+4930123456");
        assert_eq!(cell("-0.5"), "-0.5");
    }

    #[test]
    fn every_chart_has_a_header_and_its_rows() {
        let f = Analytics {
            transfer_reasons: vec![Count {
                name: "anger".into(),
                count: 3,
            }],
            latency: Latency {
                turns: 2,
                p50_ms: Some(800),
                p95_ms: Some(1200),
            },
            ..Default::default()
        };
        let gaps = [("do you ship to Canada, or not".to_string(), 2)];
        assert_eq!(
            chart(&f, &gaps, "transfer_reasons").unwrap(),
            "reason,calls\r\nanger,3\r\n"
        );
        assert_eq!(
            chart(&f, &gaps, "latency").unwrap(),
            "turns,p50_ms,p95_ms\r\n2,800,1200\r\n"
        );
        assert_eq!(
            chart(&f, &gaps, "unanswered").unwrap(),
            "question,times_asked\r\n\"do you ship to Canada, or not\",2\r\n"
        );
        for name in CHARTS {
            let text = chart(&f, &gaps, name).unwrap();
            assert!(text.ends_with("\r\n"), "{name}: {text}");
        }
        assert_eq!(
            chart(&f, &gaps, "pie").unwrap_err().to_string(),
            "chart: \"pie\" is not valid; expected calls, outcomes, transfer_reasons, intents, \
             funnel, anger, latency, queues or unanswered"
        );
    }

    #[test]
    fn the_history_rows_as_csv() {
        let found = [CallSummary {
            id: "c1".into(),
            caller: "sip:+4930@pbx".into(),
            started_at: 0,
            answered_at: Some(0),
            ended_at: Some(61_500),
            hangup_cause: Some("bot-done".into()),
            flow_name: Some("shop".into()),
            outcome: "contained".into(),
            transfer_reason: None,
            max_anger: Some(0.25),
            turns: 3,
            intents: "delivery_time,returns".into(),
        }];
        assert_eq!(
            calls(&found),
            "id,caller,started_utc,ended_utc,duration_s,flow,outcome,transfer_reason,hangup_cause,\
             max_anger,turns,intents\r\nc1,sip:+4930@pbx,1970-01-01 00:00:00,1970-01-01 00:01:01,\
             61.5,shop,contained,,bot-done,0.2500,3,\"delivery_time,returns\"\r\n"
        );
    }
}
