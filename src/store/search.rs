//! The console's history search and the rows analytics are computed from: calls filtered by
//! number, time, flow, intent, outcome and anger in SQL (one static statement, every filter
//! optional), each with its outcome, transfer reason and highest anger worked out from the
//! turn, queue and ticket rows; and the turns and queue stays of the calls in a time range.

use sqlx::Row;

use super::Store;
use crate::error::HotlineError;

/// How a call ended, as the console and the analytics count it (first rule that applies):
/// in progress; abandoned (hung up while queued for an agent and never answered); transferred
/// (queued for an agent, handed off with a ticket, or referred elsewhere); contained (the bot
/// ended it); abandoned (the caller hung up before the bot ended it); failed (anything else:
/// a server error, lost media, an unacknowledged answer, a restart).
pub const OUTCOMES: [&str; 5] = [
    "contained",
    "transferred",
    "abandoned",
    "failed",
    "in_progress",
];

/// The outcome of `calls c`, as SQL (see [`OUTCOMES`]).
const OUTCOME_SQL: &str = "CASE
    WHEN c.ended_at IS NULL THEN 'in_progress'
    WHEN EXISTS (SELECT 1 FROM queue_calls q WHERE q.call_id = c.id AND q.outcome = 'abandoned')
         AND NOT EXISTS (SELECT 1 FROM queue_calls q WHERE q.call_id = c.id AND q.answered_at IS NOT NULL)
         THEN 'abandoned'
    WHEN EXISTS (SELECT 1 FROM queue_calls q WHERE q.call_id = c.id)
         OR EXISTS (SELECT 1 FROM tickets k WHERE k.call_id = c.id AND k.kind = 'handoff')
         OR c.hangup_cause LIKE 'referred:%'
         THEN 'transferred'
    WHEN c.hangup_cause LIKE 'bot-%' THEN 'contained'
    WHEN c.hangup_cause = 'caller-bye' THEN 'abandoned'
    ELSE 'failed'
END";

/// Which calls to find; `None` is "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallFilter {
    /// Part of the caller's address or number (`+4930` finds `sip:+4930123@host`).
    pub number: Option<String>,
    /// Started at or after (Unix ms).
    pub from: Option<i64>,
    /// Started before (Unix ms).
    pub to: Option<i64>,
    pub flow: Option<String>,
    /// Some turn of the call took this intent's route.
    pub intent: Option<String>,
    /// One of [`OUTCOMES`].
    pub outcome: Option<String>,
    /// The caller's highest anger on the call was at least this (0..1).
    pub min_anger: Option<f64>,
}

/// One call as the history lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CallSummary {
    pub id: String,
    pub caller: String,
    pub started_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub hangup_cause: Option<String>,
    pub flow_name: Option<String>,
    /// See [`OUTCOMES`].
    pub outcome: String,
    /// Why a transferred call was handed over (the handoff ticket's reason, e.g. `anger`).
    pub transfer_reason: Option<String>,
    /// The caller's highest anger on the call (0..1), if any turn measured it.
    pub max_anger: Option<f64>,
    pub turns: i64,
    /// The distinct intents the call's turns took, comma-separated, in no set order.
    pub intents: String,
}

/// A caller turn, as analytics needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnFacts {
    pub call_id: String,
    pub node: Option<String>,
    pub caller_text: Option<String>,
    pub caller_dtmf: Option<String>,
    pub intent: Option<String>,
    pub trace: Option<String>,
    pub voice_to_voice_ms: Option<i64>,
}

/// One stay of a caller in an agent queue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueStay {
    pub queue: String,
    pub entered_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub outcome: Option<String>,
}

const SUMMARY_SQL: &str = "WITH found AS (
    SELECT c.id, c.caller, c.started_at, c.answered_at, c.ended_at, c.hangup_cause, c.flow_name,
           (SELECT MAX(t.anger) FROM turns t WHERE t.call_id = c.id) AS max_anger,
           (SELECT COUNT(*) FROM turns t WHERE t.call_id = c.id) AS turns,
           (SELECT COALESCE(group_concat(DISTINCT t.intent), '') FROM turns t WHERE t.call_id = c.id) AS intents,
           COALESCE(
             (SELECT k.reason FROM tickets k WHERE k.call_id = c.id AND k.kind = 'handoff'
              ORDER BY k.created_at LIMIT 1),
             CASE WHEN c.hangup_cause LIKE 'referred:%' THEN substr(c.hangup_cause, 10) END
           ) AS transfer_reason,
           OUTCOME AS outcome
    FROM calls c
    WHERE c.started_at >= ?1 AND c.started_at < ?2
      AND (?3 IS NULL OR c.caller_key = ?3 OR instr(c.caller, ?3) > 0)
      AND (?4 IS NULL OR c.flow_name = ?4)
      AND (?5 IS NULL OR EXISTS (SELECT 1 FROM turns t WHERE t.call_id = c.id AND t.intent = ?5))
)
SELECT * FROM found
WHERE (?6 IS NULL OR outcome = ?6) AND (?7 IS NULL OR max_anger >= ?7)
ORDER BY started_at DESC, id DESC
LIMIT ?8 OFFSET ?9";

impl Store {
    /// Calls matching `filter`, newest first, `limit` from `offset`.
    pub async fn search_calls(
        &self,
        filter: &CallFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<CallSummary>, HotlineError> {
        if let Some(outcome) = &filter.outcome {
            if !OUTCOMES.contains(&outcome.as_str()) {
                return Err(HotlineError::BadValue {
                    what: "outcome",
                    value: outcome.clone(),
                    expected: "contained, transferred, abandoned, failed or in_progress",
                });
            }
        }
        let sql = SUMMARY_SQL.replace("OUTCOME", OUTCOME_SQL);
        // Audited: the statement is built from two constants only; every value is bound.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(filter.from.unwrap_or(i64::MIN))
            .bind(filter.to.unwrap_or(i64::MAX))
            .bind(
                filter
                    .number
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty()),
            )
            .bind(&filter.flow)
            .bind(&filter.intent)
            .bind(&filter.outcome)
            .bind(filter.min_anger)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CallSummary {
                    id: r.try_get("id")?,
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
                })
            })
            .collect()
    }

    /// The turns of the calls of `flow` (any when `None`) started in `[from, to)`, read from the
    /// turn rows: what analytics read before the summary rows of migration 0012, kept so the
    /// tests can check the summaries against it.
    #[cfg(test)]
    pub async fn turns_in_range(
        &self,
        flow: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<Vec<TurnFacts>, HotlineError> {
        let rows = sqlx::query(
            "SELECT t.call_id, t.node, t.caller_text, t.caller_dtmf, t.intent, t.trace, t.voice_to_voice_ms
             FROM calls c JOIN turns t ON t.call_id = c.id
             WHERE c.started_at >= ?1 AND c.started_at < ?2 AND (?3 IS NULL OR c.flow_name = ?3)
             ORDER BY c.started_at, t.seq",
        )
        .bind(from)
        .bind(to)
        .bind(flow)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TurnFacts {
                    call_id: r.try_get("call_id")?,
                    node: r.try_get("node")?,
                    caller_text: r.try_get("caller_text")?,
                    caller_dtmf: r.try_get("caller_dtmf")?,
                    intent: r.try_get("intent")?,
                    trace: r.try_get("trace")?,
                    voice_to_voice_ms: r.try_get("voice_to_voice_ms")?,
                })
            })
            .collect()
    }

    /// The queue stays of the calls of `flow` (any when `None`) started in `[from, to)`.
    pub async fn queue_stays_in_range(
        &self,
        flow: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<Vec<QueueStay>, HotlineError> {
        let rows = sqlx::query(
            "SELECT q.queue, q.entered_at, q.answered_at, q.ended_at, q.outcome
             FROM calls c JOIN queue_calls q ON q.call_id = c.id
             WHERE c.started_at >= ?1 AND c.started_at < ?2 AND (?3 IS NULL OR c.flow_name = ?3)
             ORDER BY q.id",
        )
        .bind(from)
        .bind(to)
        .bind(flow)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(QueueStay {
                    queue: r.try_get("queue")?,
                    entered_at: r.try_get("entered_at")?,
                    answered_at: r.try_get("answered_at")?,
                    ended_at: r.try_get("ended_at")?,
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{sample_call, temp_db, TurnRecord};

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
                ..Default::default()
            })
            .await
            .unwrap();
    }

    /// contained (bot hung up), transferred (queued, answered, handoff ticket "anger"),
    /// abandoned in the queue, abandoned by hanging up on the bot, failed, in progress.
    async fn seeded(name: &str) -> Store {
        let store = Store::open(&temp_db(name)).await.unwrap();
        for (i, (id, caller, flow)) in [
            ("contained", "sip:+4930111@pbx", "shop"),
            ("transferred", "sip:+4930222@pbx", "shop"),
            ("queue-abandoned", "sip:+4930333@pbx", "shop"),
            ("hung-up", "sip:+1555000@pbx", "bank"),
            ("failed", "sip:+1555111@pbx", "shop"),
            ("live", "sip:+1555222@pbx", "shop"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut call = sample_call(id, 1000 * (i as i64 + 1));
            call.caller = caller.into();
            call.caller_key = Some(caller[4..].split('@').next().unwrap().into());
            call.flow_name = Some(flow.into());
            store.call_started(&call).await.unwrap();
        }
        turn(&store, "contained", 1, Some("delivery_time"), 0.1).await;
        turn(&store, "transferred", 1, Some("human"), 0.8).await;
        turn(&store, "transferred", 2, None, 0.9).await;
        turn(&store, "hung-up", 1, Some("lost_card"), 0.4).await;
        store
            .call_ended("contained", 1500, "bot-done")
            .await
            .unwrap();
        store
            .queue_entered("transferred", "support", false, 2100)
            .await
            .unwrap();
        store
            .queue_answered("transferred", "ann", 2200)
            .await
            .unwrap();
        store
            .queue_finished("transferred", "handled", 2900)
            .await
            .unwrap();
        store
            .create_handoff_ticket("transferred", "support", "anger", 2100, "http://x")
            .await
            .unwrap();
        store
            .call_ended("transferred", 2900, "caller-bye")
            .await
            .unwrap();
        store
            .queue_entered("queue-abandoned", "support", false, 3100)
            .await
            .unwrap();
        store
            .queue_finished("queue-abandoned", "abandoned", 3500)
            .await
            .unwrap();
        store
            .call_ended("queue-abandoned", 3500, "caller-bye")
            .await
            .unwrap();
        store
            .call_ended("hung-up", 4500, "caller-bye")
            .await
            .unwrap();
        store
            .call_ended("failed", 5500, "rtp-timeout")
            .await
            .unwrap();
        store
    }

    fn ids(found: &[CallSummary]) -> Vec<&str> {
        found.iter().map(|c| c.id.as_str()).collect()
    }

    #[tokio::test]
    async fn every_filter_narrows_the_search() {
        let store = seeded("search-filters").await;
        let all = store
            .search_calls(&CallFilter::default(), 50, 0)
            .await
            .unwrap();
        assert_eq!(
            ids(&all),
            [
                "live",
                "failed",
                "hung-up",
                "queue-abandoned",
                "transferred",
                "contained"
            ]
        );
        let outcome_of = |id: &str| all.iter().find(|c| c.id == id).unwrap().outcome.clone();
        for (id, outcome) in [
            ("contained", "contained"),
            ("transferred", "transferred"),
            ("queue-abandoned", "abandoned"),
            ("hung-up", "abandoned"),
            ("failed", "failed"),
            ("live", "in_progress"),
        ] {
            assert_eq!(outcome_of(id), outcome, "{id}");
        }
        let transferred = all.iter().find(|c| c.id == "transferred").unwrap();
        assert_eq!(transferred.transfer_reason.as_deref(), Some("anger"));
        assert_eq!(transferred.max_anger, Some(0.9));
        assert_eq!(transferred.turns, 2);
        assert_eq!(transferred.intents, "human");

        let search = |filter: CallFilter| {
            let store = store.clone();
            async move { store.search_calls(&filter, 50, 0).await.unwrap() }
        };
        let by = |f: fn(&mut CallFilter)| {
            let mut filter = CallFilter::default();
            f(&mut filter);
            filter
        };
        let found = search(by(|f| f.number = Some("+4930".into()))).await;
        assert_eq!(ids(&found), ["queue-abandoned", "transferred", "contained"]);
        let found = search(by(|f| f.number = Some("+1555000".into()))).await;
        assert_eq!(ids(&found), ["hung-up"]);
        let found = search(by(|f| f.flow = Some("bank".into()))).await;
        assert_eq!(ids(&found), ["hung-up"]);
        let found = search(by(|f| f.intent = Some("delivery_time".into()))).await;
        assert_eq!(ids(&found), ["contained"]);
        let found = search(by(|f| f.outcome = Some("abandoned".into()))).await;
        assert_eq!(ids(&found), ["hung-up", "queue-abandoned"]);
        let found = search(by(|f| f.min_anger = Some(0.4))).await;
        assert_eq!(ids(&found), ["hung-up", "transferred"]);
        // From is inclusive, to exclusive.
        let found = search(by(|f| {
            f.from = Some(2000);
            f.to = Some(4000);
        }))
        .await;
        assert_eq!(ids(&found), ["queue-abandoned", "transferred"]);
        // Filters combine.
        let found = search(by(|f| {
            f.number = Some("+4930".into());
            f.outcome = Some("transferred".into());
            f.min_anger = Some(0.5);
        }))
        .await;
        assert_eq!(ids(&found), ["transferred"]);
        // Pages.
        let page = store
            .search_calls(&CallFilter::default(), 2, 2)
            .await
            .unwrap();
        assert_eq!(ids(&page), ["hung-up", "queue-abandoned"]);
        // An unknown outcome is refused with the ones there are.
        let wrong = store
            .search_calls(&by(|f| f.outcome = Some("happy".into())), 50, 0)
            .await
            .unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "outcome: \"happy\" is not valid; expected contained, transferred, abandoned, failed or in_progress"
        );
    }

    #[tokio::test]
    async fn turns_and_queue_stays_of_a_range() {
        let store = seeded("search-range").await;
        let turns = store.turns_in_range(Some("shop"), 0, 3000).await.unwrap();
        assert_eq!(turns.len(), 3);
        assert!(turns.iter().all(|t| t.call_id != "hung-up"));
        assert_eq!(
            store.turns_in_range(None, 0, i64::MAX).await.unwrap().len(),
            4
        );
        let stays = store.queue_stays_in_range(None, 0, i64::MAX).await.unwrap();
        assert_eq!(stays.len(), 2);
        assert_eq!(stays[1].outcome.as_deref(), Some("abandoned"));
        assert!(store
            .queue_stays_in_range(Some("bank"), 0, i64::MAX)
            .await
            .unwrap()
            .is_empty());
    }
}
