//! The calls of a time range as analytics counts them, and their turns, read from the per-call
//! summary rows of migration 0012 (kept at hang-up by triggers) in one indexed scan, plus the few
//! calls still in progress, computed live from their rows. The history search keeps its own
//! computation (search.rs); the test below checks both give the same rows and figures.

use sqlx::Row;

use super::{CallSummary, Store, TurnFacts};
use crate::error::HotlineError;

const RANGE_SQL: &str = "
SELECT call_id, caller, started_at, answered_at, ended_at, hangup_cause, flow_name, outcome,
       transfer_reason, max_anger, turns, intents, turn_facts
FROM call_summaries
WHERE started_at >= ?1 AND started_at < ?2 AND (?3 IS NULL OR flow_name = ?3)
UNION ALL
SELECT call_id, caller, started_at, answered_at, ended_at, hangup_cause, flow_name, outcome,
       transfer_reason, max_anger, turns, intents, turn_facts
FROM call_summary_now
WHERE ended_at IS NULL AND started_at >= ?1 AND started_at < ?2 AND (?3 IS NULL OR flow_name = ?3)
ORDER BY started_at DESC, call_id DESC";

/// One turn in a summary row's `turn_facts`.
#[derive(Debug, serde::Deserialize)]
struct FactJson {
    node: Option<String>,
    caller_text: Option<String>,
    caller_dtmf: Option<String>,
    intent: Option<String>,
    trace: Option<String>,
    v2v: Option<i64>,
}

impl Store {
    /// Every call of `flow` (any when `None`) started in `[from, to)`, newest first, with its
    /// outcome, transfer reason, highest anger, turns and intents; and their turns, oldest call
    /// first and in order within a call (as [`Store::turns_in_range`] gives them).
    pub async fn analytics_rows_in_range(
        &self,
        flow: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<(Vec<CallSummary>, Vec<TurnFacts>), HotlineError> {
        let rows = sqlx::query(RANGE_SQL)
            .bind(from)
            .bind(to)
            .bind(flow)
            .fetch_all(&self.pool)
            .await?;
        let mut calls = Vec::with_capacity(rows.len());
        let mut facts = Vec::with_capacity(rows.len());
        for r in &rows {
            calls.push(CallSummary {
                id: r.try_get("call_id")?,
                caller: r.try_get("caller")?,
                started_at: r.try_get("started_at")?,
                answered_at: r.try_get("answered_at")?,
                ended_at: r.try_get("ended_at")?,
                hangup_cause: r.try_get("hangup_cause")?,
                flow_name: r.try_get("flow_name")?,
                outcome: r.try_get("outcome")?,
                transfer_reason: r.try_get("transfer_reason")?,
                max_anger: r.try_get("max_anger")?,
                turns: r.try_get("turns")?,
                intents: r.try_get("intents")?,
            });
            let text: String = r.try_get("turn_facts")?;
            let parsed: Vec<FactJson> =
                serde_json::from_str(&text).map_err(|e| HotlineError::BadValue {
                    what: "call summary turn facts",
                    value: format!("{text:.80} ({e})"),
                    expected: "a JSON array as migration 0012 writes it",
                })?;
            facts.push(parsed);
        }
        let mut turns = Vec::with_capacity(facts.iter().map(Vec::len).sum());
        for (call, call_facts) in calls.iter().zip(facts).rev() {
            turns.extend(call_facts.into_iter().map(|f| TurnFacts {
                call_id: call.id.clone(),
                node: f.node,
                caller_text: f.caller_text,
                caller_dtmf: f.caller_dtmf,
                intent: f.intent,
                trace: f.trace,
                voice_to_voice_ms: f.v2v,
            }));
        }
        Ok((calls, turns))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use crate::analytics::{self, Bucket};
    use crate::store::{sample_call, temp_db, CallFilter, Store, TurnRecord};

    async fn turn(store: &Store, call: &str, seq: i64, intent: Option<&str>, anger: f64) {
        store
            .add_turn(&TurnRecord {
                call_id: call.into(),
                seq,
                at: seq,
                node: Some("menu".into()),
                caller_text: Some("something".into()),
                intent: intent.map(str::to_string),
                anger: Some(anger),
                voice_to_voice_ms: Some(800 + seq * 100),
                ..Default::default()
            })
            .await
            .unwrap();
    }

    /// Contained, transferred with a ticket written after the hang-up, abandoned in a queue,
    /// hung up on the bot, referred elsewhere, failed, closed by a restart, and in progress.
    async fn seeded() -> Store {
        let store = Store::open(&temp_db("summaries")).await.unwrap();
        let calls = [
            ("contained", "shop"),
            ("transferred", "shop"),
            ("queue-abandoned", "shop"),
            ("hung-up", "bank"),
            ("referred", "bank"),
            ("failed", "shop"),
            ("restarted", "shop"),
            ("live", "shop"),
        ];
        for (i, (id, flow)) in calls.into_iter().enumerate() {
            let mut call = sample_call(id, 3_600_000 * (i as i64 + 1));
            call.flow_name = Some(flow.into());
            store.call_started(&call).await.unwrap();
        }
        turn(&store, "contained", 1, Some("delivery_time"), 0.1).await;
        turn(&store, "contained", 2, Some("returns"), 0.2).await;
        turn(&store, "transferred", 1, Some("human"), 0.8).await;
        turn(&store, "hung-up", 1, Some("lost_card"), 0.4).await;
        turn(&store, "live", 1, Some("delivery_time"), 0.5).await;
        store
            .call_ended("contained", 4_000_000, "bot-done")
            .await
            .unwrap();
        store
            .queue_entered("transferred", "support", false, 7_300_000)
            .await
            .unwrap();
        store
            .queue_answered("transferred", "ann", 7_310_000)
            .await
            .unwrap();
        store
            .call_ended("transferred", 7_400_000, "caller-bye")
            .await
            .unwrap();
        // Written after the hang-up: the summary must follow.
        store
            .queue_finished("transferred", "handled", 7_400_000)
            .await
            .unwrap();
        store
            .create_handoff_ticket("transferred", "support", "anger", 7_400_000, "http://x")
            .await
            .unwrap();
        store
            .queue_entered("queue-abandoned", "support", false, 10_900_000)
            .await
            .unwrap();
        store
            .queue_finished("queue-abandoned", "abandoned", 11_000_000)
            .await
            .unwrap();
        store
            .call_ended("queue-abandoned", 11_000_000, "caller-bye")
            .await
            .unwrap();
        store
            .call_ended("hung-up", 14_500_000, "caller-bye")
            .await
            .unwrap();
        // A turn stored after the end (say, the last answer's record) still counts.
        turn(&store, "hung-up", 2, None, 0.95).await;
        store
            .call_ended("referred", 18_100_000, "referred:billing")
            .await
            .unwrap();
        store
            .call_ended("failed", 21_700_000, "rtp-timeout")
            .await
            .unwrap();
        store
    }

    #[tokio::test]
    async fn summary_rows_give_the_same_figures_as_the_live_computation() {
        let store = seeded().await;
        // A restart closes the calls left open but "live", which starts after it.
        let restart_closed = store.close_interrupted_calls(26_000_000).await.unwrap();
        assert_eq!(restart_closed, 2, "restarted and live were open");
        let mut live = sample_call("live-2", 30_000_000);
        live.flow_name = Some("shop".into());
        store.call_started(&live).await.unwrap();
        turn(&store, "live-2", 1, None, 0.3).await;

        let levels = HashMap::new();
        for flow in [None, Some("shop"), Some("bank")] {
            for (from, to) in [(0, i64::MAX), (7_000_000, 20_000_000)] {
                let filter = CallFilter {
                    from: Some(from),
                    to: Some(to),
                    flow: flow.map(str::to_string),
                    ..Default::default()
                };
                let old = store.search_calls(&filter, i64::MAX, 0).await.unwrap();
                let (new, new_turns) = store.analytics_rows_in_range(flow, from, to).await.unwrap();
                assert_eq!(new, old, "flow {flow:?}, {from}..{to}");
                let turns = store.turns_in_range(flow, from, to).await.unwrap();
                assert_eq!(new_turns, turns, "flow {flow:?}, {from}..{to}");
                let stays = store.queue_stays_in_range(flow, from, to).await.unwrap();
                let figures = |calls, turns| {
                    analytics::compute(&analytics::Inputs {
                        calls,
                        turns,
                        stays: &stays,
                        bucket: Bucket::Hour,
                        service_levels: &levels,
                        default_service_level: Duration::from_secs(20),
                    })
                };
                assert_eq!(
                    figures(&new, &new_turns),
                    figures(&old, &turns),
                    "flow {flow:?}, {from}..{to}"
                );
            }
        }
        let (all, _) = store
            .analytics_rows_in_range(None, 0, i64::MAX)
            .await
            .unwrap();
        let outcome = |id: &str| {
            let call = all.iter().find(|c| c.id == id).unwrap();
            (call.outcome.as_str(), call.transfer_reason.as_deref())
        };
        assert_eq!(outcome("contained"), ("contained", None));
        assert_eq!(outcome("transferred"), ("transferred", Some("anger")));
        assert_eq!(outcome("queue-abandoned"), ("abandoned", None));
        assert_eq!(outcome("hung-up"), ("abandoned", None));
        assert_eq!(outcome("referred"), ("transferred", Some("billing")));
        assert_eq!(outcome("failed"), ("failed", None));
        assert_eq!(outcome("restarted"), ("failed", None));
        assert_eq!(outcome("live-2"), ("in_progress", None));
        let hung_up = all.iter().find(|c| c.id == "hung-up").unwrap();
        assert_eq!((hung_up.turns, hung_up.max_anger), (2, Some(0.95)));
    }
}
