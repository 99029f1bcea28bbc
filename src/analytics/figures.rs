//! Every analytics figure from the rows of one time range and flow: what each means is written
//! in docs/console.md ("Analytics"), and the queue figures follow the same definitions as
//! `/api/queues` and `/metrics` (store/metrics.rs).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::Serialize;

use super::when::Bucket;
use crate::store::{CallSummary, QueueStay, TurnFacts};

/// How many intents and transfer reasons the charts show.
pub const TOP: usize = 10;

/// Anger histogram bins: [0, 0.1), [0.1, 0.2) ... [0.9, 1.0].
pub const ANGER_BINS: usize = 10;

/// The rows and settings the figures are computed from.
pub struct Inputs<'a> {
    pub calls: &'a [CallSummary],
    pub turns: &'a [TurnFacts],
    pub stays: &'a [QueueStay],
    pub bucket: Bucket,
    /// Answer-time targets per queue; others use `default_service_level`.
    pub service_levels: &'a HashMap<String, Duration>,
    pub default_service_level: Duration,
}

/// Calls by outcome (see `store::OUTCOMES`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OutcomeCounts {
    pub calls: u64,
    pub contained: u64,
    pub transferred: u64,
    pub abandoned: u64,
    pub failed: u64,
    pub in_progress: u64,
}

impl OutcomeCounts {
    fn add(&mut self, outcome: &str) {
        self.calls += 1;
        match outcome {
            "contained" => self.contained += 1,
            "transferred" => self.transferred += 1,
            "abandoned" => self.abandoned += 1,
            "in_progress" => self.in_progress += 1,
            _ => self.failed += 1,
        }
    }
}

/// Calls that started in one bucket, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BucketCounts {
    /// Unix ms.
    pub start: i64,
    pub label: String,
    #[serde(flatten)]
    pub counts: OutcomeCounts,
}

/// The whole range's outcomes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Outcomes {
    #[serde(flatten)]
    pub counts: OutcomeCounts,
    /// contained / ended calls (calls not in progress); `None` before a call ended.
    pub containment_rate: Option<f64>,
    /// abandoned / ended calls.
    pub abandonment_rate: Option<f64>,
}

/// A name and how often it came up.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Count {
    pub name: String,
    pub count: u64,
}

/// An intent: turns that took its route, and calls with at least one such turn.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IntentCount {
    pub intent: String,
    pub turns: u64,
    pub calls: u64,
}

/// One node where the caller's input arrived: how many inputs reached it and how many failed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NodeFunnel {
    pub node: String,
    /// Turns whose input (speech, keys or silence) arrived at this node.
    pub turns: u64,
    /// Of those, speech or keys nothing answered (no route, FAQ answer, slot or transfer).
    pub no_match: u64,
    /// Of those, silence (nothing said or pressed before the timeout, or only noise).
    pub no_input: u64,
    pub no_match_rate: f64,
    pub no_input_rate: f64,
    /// Calls whose last input arrived here: where callers stopped.
    pub last_node_of_calls: u64,
}

/// One bin of the callers' highest anger per call.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AngerBin {
    pub from: f64,
    pub to: f64,
    pub calls: u64,
}

/// Voice-to-voice latency over the turns that measured it (nearest-rank percentiles).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Latency {
    pub turns: u64,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

/// One queue's figures for the calls of the range, as `/api/queues` defines them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QueueFigures {
    pub queue: String,
    pub entered: u64,
    pub answered: u64,
    pub answered_within_sl: u64,
    pub abandoned: u64,
    /// answered_within_sl / (answered + abandoned).
    pub service_level: Option<f64>,
    /// abandoned / entered.
    pub abandonment_rate: Option<f64>,
    /// Mean time from an agent's answer to the end, over stays that ended after an answer.
    pub average_handle_time_seconds: Option<f64>,
}

/// Everything the analytics page draws.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Analytics {
    pub buckets: Vec<BucketCounts>,
    pub outcomes: Outcomes,
    pub transfer_reasons: Vec<Count>,
    pub top_intents: Vec<IntentCount>,
    pub funnel: Vec<NodeFunnel>,
    pub anger: Vec<AngerBin>,
    /// Calls where no turn measured anger.
    pub calls_without_anger: u64,
    pub latency: Latency,
    pub queues: Vec<QueueFigures>,
    /// What callers said that nothing answered, newest last (the API groups them by meaning).
    #[serde(skip)]
    pub unanswered: Vec<String>,
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// All the figures for `inputs`.
pub fn compute(inputs: &Inputs<'_>) -> Analytics {
    let (buckets, outcomes) = outcomes(inputs.calls, inputs.bucket);
    let (anger, calls_without_anger) = anger(inputs.calls);
    Analytics {
        buckets,
        outcomes,
        transfer_reasons: transfer_reasons(inputs.calls),
        top_intents: top_intents(inputs.turns),
        funnel: funnel(inputs.turns),
        anger,
        calls_without_anger,
        latency: latency(inputs.turns),
        queues: queues(
            inputs.stays,
            inputs.service_levels,
            inputs.default_service_level,
        ),
        unanswered: inputs
            .turns
            .iter()
            .filter(|t| failure(t) == Some(Failure::NoMatch))
            .filter_map(|t| t.caller_text.clone())
            .filter(|text| !text.trim().is_empty())
            .collect(),
    }
}

fn outcomes(calls: &[CallSummary], bucket: Bucket) -> (Vec<BucketCounts>, Outcomes) {
    let mut by_bucket: BTreeMap<i64, BucketCounts> = BTreeMap::new();
    let mut total = Outcomes::default();
    for call in calls {
        let start = bucket.start(call.started_at);
        by_bucket
            .entry(start)
            .or_insert_with(|| BucketCounts {
                start,
                label: bucket.label(start),
                ..Default::default()
            })
            .counts
            .add(&call.outcome);
        total.counts.add(&call.outcome);
    }
    let t = &total.counts;
    let ended = t.calls - t.in_progress;
    total.containment_rate = ratio(t.contained, ended);
    total.abandonment_rate = ratio(t.abandoned, ended);
    // Empty buckets between the first and the last are drawn as zero, so the time axis is true.
    let mut filled = Vec::new();
    if let (Some(&first), Some(&last)) = (by_bucket.keys().next(), by_bucket.keys().last()) {
        let mut start = first;
        while start <= last {
            filled.push(by_bucket.remove(&start).unwrap_or_else(|| BucketCounts {
                start,
                label: bucket.label(start),
                ..Default::default()
            }));
            start = bucket.next(start);
        }
    }
    (filled, total)
}

/// Counts by name, largest first (ties by name), at most [`TOP`].
fn top(counts: HashMap<String, u64>) -> Vec<Count> {
    let mut list: Vec<Count> = counts
        .into_iter()
        .map(|(name, count)| Count { name, count })
        .collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    list.truncate(TOP);
    list
}

fn transfer_reasons(calls: &[CallSummary]) -> Vec<Count> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for call in calls.iter().filter(|c| c.outcome == "transferred") {
        let reason = call
            .transfer_reason
            .clone()
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| "unknown".into());
        *counts.entry(reason).or_default() += 1;
    }
    top(counts)
}

fn top_intents(turns: &[TurnFacts]) -> Vec<IntentCount> {
    let mut by_intent: HashMap<&str, (u64, Vec<&str>)> = HashMap::new();
    for turn in turns {
        if let Some(intent) = turn.intent.as_deref() {
            let entry = by_intent.entry(intent).or_default();
            entry.0 += 1;
            if entry.1.last() != Some(&turn.call_id.as_str()) {
                entry.1.push(&turn.call_id);
            }
        }
    }
    let mut list: Vec<IntentCount> = by_intent
        .into_iter()
        .map(|(intent, (turns, mut calls))| {
            calls.sort_unstable();
            calls.dedup();
            IntentCount {
                intent: intent.to_string(),
                turns,
                calls: calls.len() as u64,
            }
        })
        .collect();
    list.sort_by(|a, b| b.turns.cmp(&a.turns).then_with(|| a.intent.cmp(&b.intent)));
    list.truncate(TOP);
    list
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    NoMatch,
    NoInput,
}

/// Whether a turn failed at its node: silence, or input nothing answered (the rule of
/// `hotline faq gaps`, [`hotline_nlu::is_unanswered`], for speech and keys alike).
fn failure(turn: &TurnFacts) -> Option<Failure> {
    let text = turn.caller_text.as_deref().unwrap_or("").trim();
    let keys = turn.caller_dtmf.as_deref().unwrap_or("").trim();
    let said = !text.is_empty() && !hotline_flow::is_no_speech(text);
    if !said && keys.is_empty() {
        return Some(Failure::NoInput);
    }
    let recorded = hotline_nlu::RecordedTurn {
        text: if said { text } else { keys },
        intent: turn.intent.as_deref(),
        trace: turn.trace.as_deref(),
    };
    hotline_nlu::is_unanswered(&recorded).then_some(Failure::NoMatch)
}

fn funnel(turns: &[TurnFacts]) -> Vec<NodeFunnel> {
    let mut by_node: HashMap<&str, NodeFunnel> = HashMap::new();
    let mut last_node: HashMap<&str, &str> = HashMap::new();
    for turn in turns {
        let Some(node) = turn.node.as_deref() else {
            continue;
        };
        last_node.insert(&turn.call_id, node);
        let row = by_node.entry(node).or_insert_with(|| NodeFunnel {
            node: node.to_string(),
            turns: 0,
            no_match: 0,
            no_input: 0,
            no_match_rate: 0.0,
            no_input_rate: 0.0,
            last_node_of_calls: 0,
        });
        row.turns += 1;
        match failure(turn) {
            Some(Failure::NoMatch) => row.no_match += 1,
            Some(Failure::NoInput) => row.no_input += 1,
            None => {}
        }
    }
    for node in last_node.values() {
        if let Some(row) = by_node.get_mut(node) {
            row.last_node_of_calls += 1;
        }
    }
    let mut list: Vec<NodeFunnel> = by_node
        .into_values()
        .map(|mut row| {
            row.no_match_rate = ratio(row.no_match, row.turns).unwrap_or(0.0);
            row.no_input_rate = ratio(row.no_input, row.turns).unwrap_or(0.0);
            row
        })
        .collect();
    list.sort_by(|a, b| b.turns.cmp(&a.turns).then_with(|| a.node.cmp(&b.node)));
    list
}

fn anger(calls: &[CallSummary]) -> (Vec<AngerBin>, u64) {
    let mut bins: Vec<AngerBin> = (0..ANGER_BINS)
        .map(|i| AngerBin {
            from: i as f64 / ANGER_BINS as f64,
            to: (i + 1) as f64 / ANGER_BINS as f64,
            calls: 0,
        })
        .collect();
    let mut without = 0;
    for call in calls {
        match call.max_anger {
            Some(anger) if anger.is_finite() => {
                let i = (anger.clamp(0.0, 1.0) * ANGER_BINS as f64) as usize;
                bins[i.min(ANGER_BINS - 1)].calls += 1;
            }
            _ => without += 1,
        }
    }
    (bins, without)
}

/// The nearest-rank percentile `p` (0..100) of sorted values.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn latency(turns: &[TurnFacts]) -> Latency {
    let mut values: Vec<i64> = turns.iter().filter_map(|t| t.voice_to_voice_ms).collect();
    values.sort_unstable();
    Latency {
        turns: values.len() as u64,
        p50_ms: percentile(&values, 50.0),
        p95_ms: percentile(&values, 95.0),
    }
}

fn queues(
    stays: &[QueueStay],
    service_levels: &HashMap<String, Duration>,
    default_sl: Duration,
) -> Vec<QueueFigures> {
    let mut by_queue: BTreeMap<&str, (QueueFigures, Vec<i64>)> = BTreeMap::new();
    for stay in stays {
        let target = service_levels
            .get(&stay.queue)
            .copied()
            .unwrap_or(default_sl)
            .as_millis() as i64;
        let (row, handled) = by_queue.entry(&stay.queue).or_insert_with(|| {
            (
                QueueFigures {
                    queue: stay.queue.clone(),
                    ..Default::default()
                },
                Vec::new(),
            )
        });
        row.entered += 1;
        if let Some(answered) = stay.answered_at {
            row.answered += 1;
            if answered - stay.entered_at <= target {
                row.answered_within_sl += 1;
            }
            if let Some(ended) = stay.ended_at {
                handled.push(ended - answered);
            }
        }
        if stay.outcome.as_deref() == Some("abandoned") {
            row.abandoned += 1;
        }
    }
    by_queue
        .into_values()
        .map(|(mut row, handled)| {
            row.service_level = ratio(row.answered_within_sl, row.answered + row.abandoned);
            row.abandonment_rate = ratio(row.abandoned, row.entered);
            row.average_handle_time_seconds = (!handled.is_empty())
                .then(|| handled.iter().sum::<i64>() as f64 / handled.len() as f64 / 1000.0);
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn call(id: &str, started_at: i64, outcome: &str, anger: Option<f64>) -> CallSummary {
        CallSummary {
            id: id.into(),
            caller: format!("sip:{id}@pbx"),
            started_at,
            answered_at: Some(started_at),
            ended_at: (outcome != "in_progress").then_some(started_at + 60_000),
            hangup_cause: None,
            flow_name: Some("shop".into()),
            outcome: outcome.into(),
            transfer_reason: None,
            max_anger: anger,
            turns: 0,
            intents: String::new(),
        }
    }

    fn turn(call: &str, node: &str, text: Option<&str>, intent: Option<&str>) -> TurnFacts {
        TurnFacts {
            call_id: call.into(),
            node: Some(node.into()),
            caller_text: text.map(str::to_string),
            intent: intent.map(str::to_string),
            ..Default::default()
        }
    }

    fn figures(calls: &[CallSummary], turns: &[TurnFacts], stays: &[QueueStay]) -> Analytics {
        compute(&Inputs {
            calls,
            turns,
            stays,
            bucket: Bucket::Hour,
            service_levels: &HashMap::new(),
            default_service_level: Duration::from_secs(20),
        })
    }

    #[test]
    fn calls_per_bucket_with_empty_hours_between_and_containment() {
        let mut transferred = call("t", 3 * HOUR + 5, "transferred", None);
        transferred.transfer_reason = Some("anger".into());
        let mut asked = call("h", 3 * HOUR + 9, "transferred", None);
        asked.transfer_reason = Some("asked for a human".into());
        let mut angry_again = call("t2", 3 * HOUR + 7, "transferred", None);
        angry_again.transfer_reason = Some("anger".into());
        let calls = [
            call("a", HOUR + 1, "contained", None),
            call("b", HOUR + 2, "abandoned", None),
            transferred,
            asked,
            angry_again,
            call("live", 3 * HOUR + 10, "in_progress", None),
        ];
        let f = figures(&calls, &[], &[]);
        let per_hour: Vec<(String, u64, u64)> = f
            .buckets
            .iter()
            .map(|b| (b.label.clone(), b.counts.calls, b.counts.transferred))
            .collect();
        assert_eq!(
            per_hour,
            [
                ("1970-01-01 01:00".to_string(), 2, 0),
                ("1970-01-01 02:00".to_string(), 0, 0),
                ("1970-01-01 03:00".to_string(), 4, 3),
            ]
        );
        assert_eq!(f.buckets[2].counts.in_progress, 1);
        assert_eq!(
            (f.outcomes.counts.calls, f.outcomes.counts.contained),
            (6, 1)
        );
        // Five calls ended: one contained, one abandoned.
        assert_eq!(f.outcomes.containment_rate, Some(0.2));
        assert_eq!(f.outcomes.abandonment_rate, Some(0.2));
        assert_eq!(
            f.transfer_reasons,
            [
                Count {
                    name: "anger".into(),
                    count: 2
                },
                Count {
                    name: "asked for a human".into(),
                    count: 1
                },
            ]
        );
        let empty = figures(&[], &[], &[]);
        assert!(empty.buckets.is_empty());
        assert_eq!(empty.outcomes.containment_rate, None);
        assert_eq!(empty.latency, Latency::default());
    }

    #[test]
    fn the_funnel_counts_inputs_no_matches_and_silences_per_node() {
        let mut slot = turn("c1", "order", Some("four five six"), None);
        slot.trace = Some("slot order_number = 456".into());
        let mut key = turn("c2", "menu", None, None);
        key.caller_dtmf = Some("9".into());
        let turns = [
            turn(
                "c1",
                "menu",
                Some("where is my order"),
                Some("order_status"),
            ),
            slot,
            turn("c2", "menu", Some("do you sell bikes"), None),
            key,
            turn("c2", "menu", None, None),
            turn("c2", "menu", Some("[BLANK_AUDIO]"), None),
            // The greeting: no node, not an input.
            TurnFacts {
                call_id: "c3".into(),
                ..Default::default()
            },
        ];
        let f = figures(&[], &turns, &[]);
        let menu = &f.funnel[0];
        assert_eq!(menu.node, "menu");
        assert_eq!((menu.turns, menu.no_match, menu.no_input), (5, 2, 2));
        assert_eq!((menu.no_match_rate, menu.no_input_rate), (0.4, 0.4));
        assert_eq!(menu.last_node_of_calls, 1, "c2 stopped at the menu");
        let order = &f.funnel[1];
        assert_eq!(
            (order.node.as_str(), order.turns, order.no_match),
            ("order", 1, 0)
        );
        assert_eq!(order.last_node_of_calls, 1);
        assert_eq!(f.unanswered, ["do you sell bikes"]);
        assert_eq!(
            f.top_intents,
            [IntentCount {
                intent: "order_status".into(),
                turns: 1,
                calls: 1
            }]
        );
    }

    #[test]
    fn top_intents_count_turns_and_calls() {
        let turns = [
            turn("c1", "menu", Some("x"), Some("delivery")),
            turn("c1", "menu", Some("x"), Some("delivery")),
            turn("c2", "menu", Some("x"), Some("delivery")),
            turn("c2", "menu", Some("x"), Some("returns")),
            turn("c3", "menu", Some("x"), Some("agent")),
        ];
        let f = figures(&[], &turns, &[]);
        let got: Vec<(&str, u64, u64)> = f
            .top_intents
            .iter()
            .map(|i| (i.intent.as_str(), i.turns, i.calls))
            .collect();
        assert_eq!(
            got,
            [("delivery", 3, 2), ("agent", 1, 1), ("returns", 1, 1)]
        );
    }

    #[test]
    fn anger_is_binned_by_each_calls_highest_reading() {
        let calls = [
            call("calm", 0, "contained", Some(0.0)),
            call("calm2", 0, "contained", Some(0.05)),
            call("edge", 0, "contained", Some(0.1)),
            call("furious", 0, "transferred", Some(1.0)),
            call("unmeasured", 0, "failed", None),
        ];
        let f = figures(&calls, &[], &[]);
        let counts: Vec<u64> = f.anger.iter().map(|b| b.calls).collect();
        assert_eq!(counts, [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!((f.anger[1].from, f.anger[1].to), (0.1, 0.2));
        assert_eq!(f.calls_without_anger, 1);
    }

    #[test]
    fn latency_percentiles_are_nearest_rank() {
        let turns: Vec<TurnFacts> = (1..=20)
            .map(|i| TurnFacts {
                voice_to_voice_ms: Some(i * 100),
                ..Default::default()
            })
            .chain([TurnFacts::default()])
            .collect();
        let f = figures(&[], &turns, &[]);
        assert_eq!(
            f.latency,
            Latency {
                turns: 20,
                p50_ms: Some(1000),
                p95_ms: Some(1900)
            }
        );
    }

    /// The same stays as store/metrics.rs's test, so the figures agree with `/api/queues`:
    /// sales answered after 5 s (handled 60 s) and 40 s (30 s), one abandoned, one overflowed.
    #[test]
    fn queue_figures_follow_the_queue_metrics_definitions() {
        let s = 1_000;
        let stay = |queue: &str, answered: Option<i64>, ended: i64, outcome: &str| QueueStay {
            queue: queue.into(),
            entered_at: 0,
            answered_at: answered,
            ended_at: Some(ended),
            outcome: Some(outcome.into()),
        };
        let stays = [
            stay("sales", Some(5 * s), 65 * s, "handled"),
            stay("sales", Some(40 * s), 70 * s, "handled"),
            stay("sales", None, 9 * s, "abandoned"),
            stay("sales", None, 90 * s, "overflow:voicemail"),
            stay("support", None, 3 * s, "abandoned"),
        ];
        let targets = HashMap::from([("sales".to_string(), Duration::from_secs(20))]);
        let f = compute(&Inputs {
            calls: &[],
            turns: &[],
            stays: &stays,
            bucket: Bucket::Day,
            service_levels: &targets,
            default_service_level: Duration::from_secs(60),
        });
        let sales = &f.queues[0];
        assert_eq!(
            (
                sales.entered,
                sales.answered,
                sales.answered_within_sl,
                sales.abandoned
            ),
            (4, 2, 1, 1)
        );
        assert_eq!(sales.service_level, Some(1.0 / 3.0));
        assert_eq!(sales.abandonment_rate, Some(0.25));
        assert_eq!(sales.average_handle_time_seconds, Some(45.0));
        let support = &f.queues[1];
        assert_eq!(
            (support.queue.as_str(), support.service_level),
            ("support", Some(0.0))
        );
        assert_eq!(support.average_handle_time_seconds, None);
    }
}
