//! Quality-inspection verdicts per call (migration 0015): written when a call ends or is
//! inspected again, listed worst first for the console, and a supervisor's review kept beside
//! them (a new inspection never clears a review).

use sqlx::Row;

use super::{CallRecord, Store};
use crate::error::HotlineError;

/// One inspected call as the console lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct InspectionRow {
    pub call_id: String,
    pub caller: String,
    pub started_at: i64,
    pub flow_name: Option<String>,
    pub inspected_at: i64,
    pub score: i64,
    /// The rules that fired: a JSON array of {rule, description, weight, turn, evidence}.
    #[schema(value_type = Vec<Object>)]
    pub fired: serde_json::Value,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_note: Option<String>,
}

impl Store {
    /// Whether an ended call went to a person, from its summary row (migration 0012).
    pub async fn call_was_transferred(&self, call_id: &str) -> Result<bool, HotlineError> {
        let row = sqlx::query("SELECT outcome FROM call_summaries WHERE call_id = ?")
            .bind(call_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<String, _>("outcome")? == "transferred",
            None => false,
        })
    }

    /// Stores (or replaces) a call's score and fired rules, keeping its review.
    pub async fn save_inspection(
        &self,
        call_id: &str,
        at: i64,
        score: u32,
        fired_json: &str,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT INTO inspections (call_id, inspected_at, score, fired) VALUES (?, ?, ?, ?)
             ON CONFLICT(call_id) DO UPDATE SET inspected_at = excluded.inspected_at,
                 score = excluded.score, fired = excluded.fired",
        )
        .bind(call_id)
        .bind(at)
        .bind(i64::from(score))
        .bind(fired_json)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Inspected calls, lowest score first (then newest); `reviewed` filters on the review.
    pub async fn inspections(
        &self,
        reviewed: Option<bool>,
        limit: i64,
    ) -> Result<Vec<InspectionRow>, HotlineError> {
        let rows = sqlx::query(
            "SELECT i.call_id, c.caller, c.started_at, c.flow_name, i.inspected_at, i.score,
                    i.fired, i.reviewed_by, i.reviewed_at, i.review_note
             FROM inspections i JOIN calls c ON c.id = i.call_id
             WHERE ?1 IS NULL OR (i.reviewed_at IS NOT NULL) = ?1
             ORDER BY i.score ASC, c.started_at DESC LIMIT ?2",
        )
        .bind(reviewed)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let fired: String = r.try_get("fired")?;
                Ok(InspectionRow {
                    call_id: r.try_get("call_id")?,
                    caller: r.try_get("caller")?,
                    started_at: r.try_get("started_at")?,
                    flow_name: r.try_get("flow_name")?,
                    inspected_at: r.try_get("inspected_at")?,
                    score: r.try_get("score")?,
                    fired: serde_json::from_str(&fired).unwrap_or_default(),
                    reviewed_by: r.try_get("reviewed_by")?,
                    reviewed_at: r.try_get("reviewed_at")?,
                    review_note: r.try_get("review_note")?,
                })
            })
            .collect()
    }

    /// Marks an inspected call reviewed by `by` with a note; false when it was never inspected.
    pub async fn review_call(
        &self,
        call_id: &str,
        by: &str,
        at: i64,
        note: &str,
    ) -> Result<bool, HotlineError> {
        let done = sqlx::query(
            "UPDATE inspections SET reviewed_by = ?, reviewed_at = ?, review_note = ?
             WHERE call_id = ?",
        )
        .bind(by)
        .bind(at)
        .bind(note)
        .bind(call_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ended calls started at or after `since` (Unix ms), oldest first, for re-inspection.
    pub async fn ended_calls_since(&self, since: i64) -> Result<Vec<CallRecord>, HotlineError> {
        let rows = sqlx::query(
            "SELECT * FROM calls WHERE ended_at IS NOT NULL AND started_at >= ?
             ORDER BY started_at, id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(super::call_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{sample_call, temp_db, Store};

    #[tokio::test]
    async fn worst_first_and_a_review_survives_a_new_inspection() {
        let store = Store::open(&temp_db("inspections")).await.unwrap();
        for (id, at) in [("good", 100), ("bad", 200)] {
            store.call_started(&sample_call(id, at)).await.unwrap();
            store.call_ended(id, at + 50, "bot-done").await.unwrap();
        }
        store.save_inspection("good", 1, 100, "[]").await.unwrap();
        let fired =
            r#"[{"rule":"greet","description":"","weight":20,"turn":1,"evidence":"Hello"}]"#;
        store.save_inspection("bad", 1, 80, fired).await.unwrap();
        let rows = store.inspections(None, 10).await.unwrap();
        let order: Vec<(&str, i64)> = rows.iter().map(|r| (r.call_id.as_str(), r.score)).collect();
        assert_eq!(order, [("bad", 80), ("good", 100)]);
        assert_eq!(rows[0].fired[0]["rule"], "greet");

        assert!(store.review_call("bad", "sue", 5, "coached").await.unwrap());
        assert!(!store.review_call("nope", "sue", 5, "x").await.unwrap());
        store.save_inspection("bad", 9, 80, fired).await.unwrap();
        let reviewed = store.inspections(Some(true), 10).await.unwrap();
        assert_eq!(reviewed.len(), 1);
        assert_eq!(
            (
                reviewed[0].reviewed_by.as_deref(),
                reviewed[0].review_note.as_deref()
            ),
            (Some("sue"), Some("coached"))
        );
        assert_eq!(
            store.inspections(Some(false), 10).await.unwrap()[0].call_id,
            "good"
        );
        assert!(!store.call_was_transferred("bad").await.unwrap());
        assert_eq!(store.ended_calls_since(150).await.unwrap()[0].id, "bad");
    }
}
