//! Queue and agent records: a caller's time in a queue, each offer to an agent, agent state
//! changes and callback requests. Rows are the truth, so metrics survive a restart.

use sqlx::Row;

use super::Store;
use crate::error::HotlineError;

/// One agent state change (`available`, `paused`, `logged_out`, ...).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AgentEvent {
    pub agent: String,
    pub state: String,
    pub reason: Option<String>,
    pub at: i64,
}

/// A caller who asked to be called back instead of waiting.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CallbackRecord {
    pub id: i64,
    pub call_id: String,
    pub queue: String,
    pub number: String,
    pub requested_at: i64,
    pub status: String,
}

/// Whether `outcome` is one a queue call may end with.
pub fn valid_queue_outcome(outcome: &str) -> bool {
    match outcome {
        "handled" | "abandoned" | "callback" | "referred" => true,
        "overflow:voicemail" | "overflow:callback" | "overflow:hangup" => true,
        other => other
            .strip_prefix("overflow:queue:")
            .is_some_and(|name| !name.is_empty()),
    }
}

const QUEUE_OUTCOMES: &str =
    "handled, abandoned, overflow:voicemail|callback|hangup|queue:NAME, callback or referred";

impl Store {
    /// A caller entered `queue` (again, after an overflow, is a new row).
    pub async fn queue_entered(
        &self,
        call_id: &str,
        queue: &str,
        priority: bool,
        at: i64,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT INTO queue_calls (call_id, queue, priority, entered_at) VALUES (?, ?, ?, ?)",
        )
        .bind(call_id)
        .bind(queue)
        .bind(priority)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The call is ringing `agent`: one offer row, one more ring attempt for the queued call.
    pub async fn queue_offered(
        &self,
        call_id: &str,
        agent: &str,
        at: i64,
    ) -> Result<(), HotlineError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO agent_offers (call_id, agent, offered_at) VALUES (?, ?, ?)")
            .bind(call_id)
            .bind(agent)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        // The caller's current stay: the newest row of theirs not yet finished.
        sqlx::query(
            "UPDATE queue_calls SET ring_attempts = ring_attempts + 1
             WHERE id = (SELECT MAX(id) FROM queue_calls WHERE call_id = ?1 AND ended_at IS NULL)",
        )
        .bind(call_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How the newest open offer of this call to `agent` ended: `answered`, `no-answer` or
    /// `caller-gone`.
    pub async fn offer_outcome(
        &self,
        call_id: &str,
        agent: &str,
        outcome: &str,
        at: i64,
    ) -> Result<(), HotlineError> {
        if !matches!(outcome, "answered" | "no-answer" | "caller-gone") {
            return Err(HotlineError::BadValue {
                what: "offer outcome",
                value: outcome.into(),
                expected: "answered, no-answer or caller-gone",
            });
        }
        sqlx::query(
            "UPDATE agent_offers SET outcome = ?3, outcome_at = ?4
             WHERE id = (SELECT MAX(id) FROM agent_offers
                         WHERE call_id = ?1 AND agent = ?2 AND outcome IS NULL)",
        )
        .bind(call_id)
        .bind(agent)
        .bind(outcome)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An agent took the queued call.
    pub async fn queue_answered(
        &self,
        call_id: &str,
        agent: &str,
        at: i64,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "UPDATE queue_calls SET answered_at = ?3, agent = ?2
             WHERE id = (SELECT MAX(id) FROM queue_calls WHERE call_id = ?1 AND ended_at IS NULL) AND answered_at IS NULL",
        )
        .bind(call_id)
        .bind(agent)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The caller's stay in the queue ended (see [`valid_queue_outcome`]).
    pub async fn queue_finished(
        &self,
        call_id: &str,
        outcome: &str,
        at: i64,
    ) -> Result<(), HotlineError> {
        if !valid_queue_outcome(outcome) {
            return Err(HotlineError::BadValue {
                what: "queue outcome",
                value: outcome.into(),
                expected: QUEUE_OUTCOMES,
            });
        }
        sqlx::query(
            "UPDATE queue_calls SET ended_at = ?3, outcome = ?2
             WHERE id = (SELECT MAX(id) FROM queue_calls WHERE call_id = ?1 AND ended_at IS NULL)",
        )
        .bind(call_id)
        .bind(outcome)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records an agent state change.
    pub async fn agent_event(
        &self,
        agent: &str,
        state: &str,
        reason: Option<&str>,
        at: i64,
    ) -> Result<(), HotlineError> {
        sqlx::query("INSERT INTO agent_events (agent, state, reason, at) VALUES (?, ?, ?, ?)")
            .bind(agent)
            .bind(state)
            .bind(reason)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// An agent's state changes, newest first.
    pub async fn agent_history(
        &self,
        agent: &str,
        limit: i64,
    ) -> Result<Vec<AgentEvent>, HotlineError> {
        let rows = sqlx::query(
            "SELECT agent, state, reason, at FROM agent_events WHERE agent = ?
             ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(agent)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AgentEvent {
                    agent: r.try_get("agent")?,
                    state: r.try_get("state")?,
                    reason: r.try_get("reason")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Keeps a callback request (status `pending`); returns its id.
    pub async fn add_callback(
        &self,
        call_id: &str,
        queue: &str,
        number: &str,
        at: i64,
    ) -> Result<i64, HotlineError> {
        let done = sqlx::query(
            "INSERT INTO callbacks (call_id, queue, number, requested_at) VALUES (?, ?, ?, ?)",
        )
        .bind(call_id)
        .bind(queue)
        .bind(number)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.last_insert_rowid())
    }

    /// Callback requests not yet placed, oldest first.
    pub async fn pending_callbacks(&self) -> Result<Vec<CallbackRecord>, HotlineError> {
        let rows = sqlx::query(
            "SELECT * FROM callbacks WHERE status = 'pending' ORDER BY requested_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(super::callback_jobs::job(r)?.record()))
            .collect()
    }

    /// Moves a callback request to `placed` or `done` (for the campaign engine that will place
    /// them).
    #[cfg(test)]
    pub async fn callback_status(&self, id: i64, status: &str) -> Result<(), HotlineError> {
        if !matches!(status, "pending" | "placed" | "done") {
            return Err(HotlineError::BadValue {
                what: "callback status",
                value: status.into(),
                expected: "pending, placed or done",
            });
        }
        sqlx::query("UPDATE callbacks SET status = ? WHERE id = ?")
            .bind(status)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_db;

    #[test]
    fn queue_outcomes() {
        for ok in [
            "handled",
            "abandoned",
            "callback",
            "referred",
            "overflow:voicemail",
            "overflow:callback",
            "overflow:hangup",
            "overflow:queue:billing",
        ] {
            assert!(valid_queue_outcome(ok), "{ok}");
        }
        for bad in [
            "",
            "answered",
            "overflow:",
            "overflow:queue:",
            "overflow:fax",
        ] {
            assert!(!valid_queue_outcome(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_queued_call_its_offers_and_a_second_queue_after_overflow() {
        let store = Store::open(&temp_db("queue-stay")).await.unwrap();
        store
            .queue_entered("c1", "sales", false, 1000)
            .await
            .unwrap();
        store.queue_offered("c1", "ann", 1100).await.unwrap();
        store
            .offer_outcome("c1", "ann", "no-answer", 1300)
            .await
            .unwrap();
        store.queue_offered("c1", "bob", 1400).await.unwrap();
        store
            .offer_outcome("c1", "bob", "caller-gone", 1500)
            .await
            .unwrap();
        store
            .queue_finished("c1", "overflow:queue:support", 1500)
            .await
            .unwrap();
        store
            .queue_entered("c1", "support", true, 1500)
            .await
            .unwrap();
        store.queue_offered("c1", "cy", 1600).await.unwrap();
        store
            .offer_outcome("c1", "cy", "answered", 1700)
            .await
            .unwrap();
        store.queue_answered("c1", "cy", 1700).await.unwrap();
        store.queue_finished("c1", "handled", 9700).await.unwrap();
        assert!(store.queue_finished("c1", "bored", 9800).await.is_err());
        assert!(store
            .offer_outcome("c1", "cy", "maybe", 9800)
            .await
            .is_err());

        let rows = sqlx::query(
            "SELECT queue, priority, answered_at, agent, ended_at, outcome, ring_attempts
             FROM queue_calls ORDER BY id",
        )
        .fetch_all(&store.pool)
        .await
        .unwrap();
        // queue, priority, answered_at, agent, ended_at, outcome, ring_attempts
        type Stay = (String, bool, Option<i64>, Option<String>, i64, String, i64);
        let stays: Vec<Stay> = rows
            .iter()
            .map(|r| {
                (
                    r.get("queue"),
                    r.get("priority"),
                    r.get("answered_at"),
                    r.get("agent"),
                    r.get("ended_at"),
                    r.get("outcome"),
                    r.get("ring_attempts"),
                )
            })
            .collect();
        assert_eq!(
            stays,
            vec![
                (
                    "sales".into(),
                    false,
                    None,
                    None,
                    1500,
                    "overflow:queue:support".into(),
                    2
                ),
                (
                    "support".into(),
                    true,
                    Some(1700),
                    Some("cy".into()),
                    9700,
                    "handled".into(),
                    1
                ),
            ]
        );
        let offers: Vec<(String, Option<String>)> =
            sqlx::query("SELECT agent, outcome FROM agent_offers ORDER BY id")
                .fetch_all(&store.pool)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get("agent"), r.get("outcome")))
                .collect();
        assert_eq!(
            offers,
            vec![
                ("ann".into(), Some("no-answer".into())),
                ("bob".into(), Some("caller-gone".into())),
                ("cy".into(), Some("answered".into())),
            ]
        );
    }

    #[tokio::test]
    async fn agent_history_newest_first() {
        let store = Store::open(&temp_db("agent-events")).await.unwrap();
        store
            .agent_event("ann", "available", None, 10)
            .await
            .unwrap();
        store
            .agent_event("ann", "paused", Some("lunch"), 20)
            .await
            .unwrap();
        store
            .agent_event("bob", "available", None, 15)
            .await
            .unwrap();
        store
            .agent_event("ann", "logged_out", None, 30)
            .await
            .unwrap();
        let history = store.agent_history("ann", 2).await.unwrap();
        assert_eq!(
            history,
            vec![
                AgentEvent {
                    agent: "ann".into(),
                    state: "logged_out".into(),
                    reason: None,
                    at: 30
                },
                AgentEvent {
                    agent: "ann".into(),
                    state: "paused".into(),
                    reason: Some("lunch".into()),
                    at: 20
                },
            ]
        );
    }

    #[tokio::test]
    async fn callbacks_are_kept_until_placed() {
        let path = temp_db("callbacks");
        let (first, second) = {
            let store = Store::open(&path).await.unwrap();
            let first = store
                .add_callback("c1", "sales", "+4930123", 100)
                .await
                .unwrap();
            let second = store
                .add_callback("c2", "support", "+4930456", 200)
                .await
                .unwrap();
            (first, second)
        };
        let store = Store::open(&path).await.unwrap();
        let pending = store.pending_callbacks().await.unwrap();
        assert_eq!(
            pending.iter().map(|c| c.id).collect::<Vec<_>>(),
            [first, second]
        );
        assert_eq!(pending[1].number, "+4930456");
        store.callback_status(first, "placed").await.unwrap();
        assert!(store.callback_status(second, "lost").await.is_err());
        let pending = store.pending_callbacks().await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].queue, "support");
    }
}
