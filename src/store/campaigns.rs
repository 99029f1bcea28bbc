//! Campaign progress in SQLite: which campaigns run (a restart resumes them) and one row per call
//! attempt, inserted before its INVITE leaves and completed with its outcome, so a crash loses
//! no attempt and the dialer can be rebuilt from the rows.

use sqlx::Row;

use super::Store;
use crate::error::HotlineError;

/// One attempt as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttemptRow {
    pub id: String,
    pub campaign: String,
    pub number: String,
    pub attempt: i64,
    /// Unix milliseconds.
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub outcome: Option<String>,
    pub sip_status: Option<i64>,
    pub sip_call_id: Option<String>,
    pub call_id: Option<String>,
    /// The answering-machine verdict (`human`, `machine_end_beep` ...), its reason, and how
    /// long after the answer it came (migration 0011).
    pub amd: Option<String>,
    pub amd_reason: Option<String>,
    pub amd_ms: Option<i64>,
}

/// A campaign the server was told to run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRow {
    pub campaign: String,
    pub file: String,
    pub state: String,
    pub started_at: i64,
    pub updated_at: i64,
}

impl Store {
    /// Records (or updates) a campaign's run state: running, paused, stopped, finished.
    pub async fn campaign_state(
        &self,
        campaign: &str,
        file: &str,
        state: &str,
        at: i64,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT INTO campaign_runs (campaign, file, state, started_at, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(campaign) DO UPDATE SET file = excluded.file, state = excluded.state,
                 updated_at = excluded.updated_at",
        )
        .bind(campaign)
        .bind(file)
        .bind(state)
        .bind(at)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every campaign ever started, by name.
    pub async fn campaign_runs(&self) -> Result<Vec<RunRow>, HotlineError> {
        let rows = sqlx::query(
            "SELECT campaign, file, state, started_at, updated_at FROM campaign_runs ORDER BY campaign",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RunRow {
                    campaign: r.try_get("campaign")?,
                    file: r.try_get("file")?,
                    state: r.try_get("state")?,
                    started_at: r.try_get("started_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// Inserts an attempt before its INVITE leaves.
    pub async fn attempt_started(&self, a: &AttemptRow) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT INTO campaign_attempts (id, campaign, number, attempt, started_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&a.id)
        .bind(&a.campaign)
        .bind(&a.number)
        .bind(a.attempt)
        .bind(a.started_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The SIP Call-ID of an attempt, once the INVITE is sent.
    pub async fn attempt_sip_call(&self, id: &str, sip_call_id: &str) -> Result<(), HotlineError> {
        sqlx::query("UPDATE campaign_attempts SET sip_call_id = ? WHERE id = ?")
            .bind(sip_call_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Completes an attempt (once: a settled attempt keeps its first outcome).
    pub async fn attempt_ended(
        &self,
        id: &str,
        at: i64,
        outcome: &str,
        sip_status: Option<u16>,
        call_id: Option<&str>,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "UPDATE campaign_attempts SET ended_at = ?, outcome = ?, sip_status = ?, call_id = ?
             WHERE id = ? AND ended_at IS NULL",
        )
        .bind(at)
        .bind(outcome)
        .bind(sip_status.map(i64::from))
        .bind(call_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The answering-machine verdict of an answered attempt.
    pub async fn attempt_machine_detection(
        &self,
        id: &str,
        result: &str,
        reason: &str,
        after_ms: i64,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "UPDATE campaign_attempts SET amd = ?, amd_reason = ?, amd_ms = ? WHERE id = ?",
        )
        .bind(result)
        .bind(reason)
        .bind(after_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Settles the attempts a crash or stop left without an outcome as `server_restart`;
    /// returns how many.
    pub async fn settle_interrupted_attempts(&self, at: i64) -> Result<u64, HotlineError> {
        let done = sqlx::query(
            "UPDATE campaign_attempts SET ended_at = ?, outcome = 'server_restart' WHERE ended_at IS NULL",
        )
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// A campaign's attempts, oldest first.
    pub async fn campaign_attempts(&self, campaign: &str) -> Result<Vec<AttemptRow>, HotlineError> {
        let rows = sqlx::query(
            "SELECT id, campaign, number, attempt, started_at, ended_at, outcome, sip_status, sip_call_id, call_id,
                    amd, amd_reason, amd_ms
             FROM campaign_attempts WHERE campaign = ? ORDER BY started_at, rowid",
        )
        .bind(campaign)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attempt_row).collect()
    }

    /// Attempts by campaign and outcome (`in_progress` for those without one), for /metrics.
    pub async fn campaign_outcome_counts(
        &self,
    ) -> Result<Vec<(String, String, i64)>, HotlineError> {
        let rows = sqlx::query(
            "SELECT campaign, COALESCE(outcome, 'in_progress') AS outcome, COUNT(*) AS n
             FROM campaign_attempts GROUP BY campaign, COALESCE(outcome, 'in_progress')
             ORDER BY campaign, outcome",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("campaign")?,
                    r.try_get("outcome")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }
}

fn attempt_row(r: &sqlx::sqlite::SqliteRow) -> Result<AttemptRow, HotlineError> {
    Ok(AttemptRow {
        id: r.try_get("id")?,
        campaign: r.try_get("campaign")?,
        number: r.try_get("number")?,
        attempt: r.try_get("attempt")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        outcome: r.try_get("outcome")?,
        sip_status: r.try_get("sip_status")?,
        sip_call_id: r.try_get("sip_call_id")?,
        call_id: r.try_get("call_id")?,
        amd: r.try_get("amd")?,
        amd_reason: r.try_get("amd_reason")?,
        amd_ms: r.try_get("amd_ms")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_db;

    fn attempt(id: &str, number: &str, at: i64) -> AttemptRow {
        AttemptRow {
            id: id.into(),
            campaign: "delivery".into(),
            number: number.into(),
            attempt: 1,
            started_at: at,
            ended_at: None,
            outcome: None,
            sip_status: None,
            sip_call_id: None,
            call_id: None,
            amd: None,
            amd_reason: None,
            amd_ms: None,
        }
    }

    #[tokio::test]
    async fn attempts_are_settled_once_and_a_restart_settles_the_open_ones() {
        let path = temp_db("campaign-attempts");
        let store = Store::open(&path).await.unwrap();
        store
            .campaign_state("delivery", "campaigns/delivery.yaml", "running", 1)
            .await
            .unwrap();
        store
            .attempt_started(&attempt("a1", "+12125550101", 10))
            .await
            .unwrap();
        store
            .attempt_started(&attempt("a2", "+12125550102", 20))
            .await
            .unwrap();
        store.attempt_sip_call("a1", "x@127.0.0.1").await.unwrap();
        store
            .attempt_machine_detection("a2", "machine_end_beep", "too_many_words", 1200)
            .await
            .unwrap();
        store
            .attempt_ended("a1", 15, "busy", Some(486), None)
            .await
            .unwrap();
        // A late second end keeps the first outcome.
        store
            .attempt_ended("a1", 16, "no_answer", Some(480), None)
            .await
            .unwrap();
        drop(store);

        // The server restarts with a2 still in flight.
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.settle_interrupted_attempts(30).await.unwrap(), 1);
        let rows = store.campaign_attempts("delivery").await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].outcome.as_deref(),
                rows[0].sip_status,
                rows[0].sip_call_id.as_deref()
            ),
            (Some("busy"), Some(486), Some("x@127.0.0.1"))
        );
        assert_eq!(
            (rows[1].outcome.as_deref(), rows[1].ended_at),
            (Some("server_restart"), Some(30))
        );
        assert_eq!(
            (
                rows[1].amd.as_deref(),
                rows[1].amd_reason.as_deref(),
                rows[1].amd_ms
            ),
            (Some("machine_end_beep"), Some("too_many_words"), Some(1200))
        );
        assert_eq!(rows[0].amd, None);
        assert_eq!(
            store.campaign_outcome_counts().await.unwrap(),
            vec![
                ("delivery".into(), "busy".into(), 1),
                ("delivery".into(), "server_restart".into(), 1)
            ]
        );
        let runs = store.campaign_runs().await.unwrap();
        assert_eq!(
            (runs[0].campaign.as_str(), runs[0].state.as_str()),
            ("delivery", "running")
        );
    }
}
