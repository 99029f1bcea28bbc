//! Callback jobs as the server places them: the jobs of a queue, the lease a placer takes (a
//! compare-and-set, so two placers never hold one job and a crashed placer's job comes back
//! when its lease expires), and each attempt's outcome. The decisions are `hotline_acd`'s.

use hotline_acd::{JobState, JobView, Settled};
use sqlx::Row;

use super::Store;
use crate::error::HotlineError;

/// One callback job with everything `hotline queues callbacks` shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CallbackJob {
    pub id: i64,
    /// The call the customer pressed the key in.
    pub call_id: String,
    pub queue: String,
    pub number: String,
    pub requested_at: i64,
    pub status: String,
    pub attempts: u32,
    pub next_try_at: i64,
    pub lease_until: Option<i64>,
    pub agent: Option<String>,
    pub last_outcome: Option<String>,
    pub updated_at: Option<i64>,
    /// The call record of the attempt that reached the customer.
    pub placed_call_id: Option<String>,
}

impl CallbackJob {
    /// The request as `/api/callbacks` lists it (without the placing details).
    pub fn record(self) -> super::CallbackRecord {
        super::CallbackRecord {
            id: self.id,
            call_id: self.call_id,
            queue: self.queue,
            number: self.number,
            requested_at: self.requested_at,
            status: self.status,
        }
    }

    /// What the pure decision needs; `None` for a status this build does not know.
    pub fn view(&self) -> Option<JobView> {
        Some(JobView {
            id: self.id,
            queue: self.queue.clone(),
            requested_at: self.requested_at,
            state: JobState::parse(&self.status)?,
            attempts: self.attempts,
            next_try_at: self.next_try_at,
            lease_until: self.lease_until,
        })
    }
}

/// One row of `callbacks` (`SELECT *`) as a job.
pub(super) fn job(r: &sqlx::sqlite::SqliteRow) -> Result<CallbackJob, sqlx::Error> {
    Ok(CallbackJob {
        id: r.try_get("id")?,
        call_id: r.try_get("call_id")?,
        queue: r.try_get("queue")?,
        number: r.try_get("number")?,
        requested_at: r.try_get("requested_at")?,
        status: r.try_get("status")?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(0),
        next_try_at: r.try_get("next_try_at")?,
        lease_until: r.try_get("lease_until")?,
        agent: r.try_get("agent")?,
        last_outcome: r.try_get("last_outcome")?,
        updated_at: r.try_get("updated_at")?,
        placed_call_id: r.try_get("placed_call_id")?,
    })
}

impl Store {
    /// Jobs, oldest first: of `queue` (all queues when `None`); only pending and placed ones
    /// unless `all`.
    pub async fn callback_jobs(
        &self,
        queue: Option<&str>,
        all: bool,
    ) -> Result<Vec<CallbackJob>, HotlineError> {
        let rows = sqlx::query(
            "SELECT * FROM callbacks WHERE (?1 IS NULL OR queue = ?1) \
             AND (?2 OR status IN ('pending', 'placed')) ORDER BY requested_at, id",
        )
        .bind(queue)
        .bind(all)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(job).collect::<Result<_, _>>()?)
    }

    /// Takes job `id` until `until` if it is still free to take at `now` (pending and due, or
    /// placed under an expired lease); `false` when another placer has it or it is settled.
    pub async fn lease_callback(
        &self,
        id: i64,
        now: i64,
        until: i64,
    ) -> Result<bool, HotlineError> {
        let done = sqlx::query(
            "UPDATE callbacks SET status = 'placed', lease_until = ?1, updated_at = ?2 \
             WHERE id = ?3 AND ((status = 'pending' AND next_try_at <= ?2) \
             OR (status = 'placed' AND (lease_until IS NULL OR lease_until < ?2)))",
        )
        .bind(until)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Extends a lease this placer holds while its call goes on.
    pub async fn renew_callback_lease(&self, id: i64, until: i64) -> Result<(), HotlineError> {
        sqlx::query("UPDATE callbacks SET lease_until = ? WHERE id = ? AND status = 'placed'")
            .bind(until)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Hands back a job this placer leased but did not dial (a clean stop): pending and due at
    /// `now`, its lease cleared, so the next start takes it at once. False when the job is no
    /// longer placed (settled meanwhile).
    pub async fn release_callback(&self, id: i64, now: i64) -> Result<bool, HotlineError> {
        let done = sqlx::query(
            "UPDATE callbacks SET status = 'pending', lease_until = NULL, next_try_at = ?1, \
             updated_at = ?1 WHERE id = ?2 AND status = 'placed'",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The agent the job is reserved for (the one ringing or talking).
    pub async fn callback_agent(&self, id: i64, agent: &str) -> Result<(), HotlineError> {
        sqlx::query("UPDATE callbacks SET agent = ? WHERE id = ?")
            .bind(agent)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Writes an attempt's outcome (`outcome`: answered, busy, ...) and releases the lease.
    pub async fn settle_callback(
        &self,
        id: i64,
        settled: Settled,
        outcome: &str,
        call_id: Option<&str>,
        now: i64,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "UPDATE callbacks SET status = ?, attempts = ?, next_try_at = ?, lease_until = NULL, \
             last_outcome = ?, updated_at = ?, placed_call_id = COALESCE(?, placed_call_id) \
             WHERE id = ?",
        )
        .bind(settled.state.name())
        .bind(i64::from(settled.attempts))
        .bind(settled.next_try_at)
        .bind(outcome)
        .bind(now)
        .bind(call_id)
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
    use hotline_acd::{settle, CallbackOutcome, CallbackPolicy};

    const POLICY: CallbackPolicy = CallbackPolicy {
        max_attempts: 2,
        retry_delay: std::time::Duration::from_secs(60),
    };

    #[tokio::test]
    async fn a_lease_is_held_by_one_placer_until_it_expires() {
        let store = Store::open(&temp_db("callback-lease")).await.unwrap();
        let id = store
            .add_callback("c1", "support", "+4930123", 100)
            .await
            .unwrap();
        assert!(store.lease_callback(id, 1_000, 61_000).await.unwrap());
        assert!(
            !store.lease_callback(id, 2_000, 62_000).await.unwrap(),
            "placed twice at once"
        );
        // The placer died: after the expiry another takes the job again.
        assert!(store.lease_callback(id, 61_001, 121_001).await.unwrap());
        let jobs = store.callback_jobs(Some("support"), false).await.unwrap();
        assert_eq!(jobs[0].status, "placed");
        assert_eq!(jobs[0].view().unwrap().state, JobState::Placed);
    }

    /// A store with one job of queue `support`, leased at 1 s until 61 s.
    async fn leased_job(label: &str) -> (Store, i64) {
        let store = Store::open(&temp_db(label)).await.unwrap();
        let id = store
            .add_callback("c1", "support", "+4930123", 100)
            .await
            .unwrap();
        assert!(store.lease_callback(id, 1_000, 61_000).await.unwrap());
        (store, id)
    }

    #[tokio::test]
    async fn a_released_job_is_taken_again_at_once_without_waiting_for_its_lease() {
        let (store, id) = leased_job("callback-release").await;
        assert!(store.release_callback(id, 2_000).await.unwrap());
        let jobs = store.callback_jobs(Some("support"), false).await.unwrap();
        assert_eq!(jobs[0].status, "pending");
        assert_eq!(jobs[0].lease_until, None);
        assert_eq!(jobs[0].attempts, 0, "a release uses no attempt");
        // The next start, long before the old lease would have expired.
        assert!(store.lease_callback(id, 3_000, 63_000).await.unwrap());
    }

    #[tokio::test]
    async fn a_listed_number_settles_the_job_failed_and_it_is_never_due_again() {
        let (store, id) = leased_job("callback-dnc").await;
        let refused = settle(0, CallbackOutcome::DoNotCall, POLICY, 2_000);
        store
            .settle_callback(id, refused, "do-not-call", None, 2_000)
            .await
            .unwrap();
        assert!(!store.release_callback(id, 2_500).await.unwrap(), "settled");
        assert!(!store.lease_callback(id, 999_000, 1_059_000).await.unwrap());
        let all = store.callback_jobs(None, true).await.unwrap();
        assert_eq!(all[0].status, "failed");
        assert_eq!(all[0].last_outcome.as_deref(), Some("do-not-call"));
    }

    #[tokio::test]
    async fn outcomes_are_stored_and_a_retry_waits_for_its_time() {
        let (store, id) = leased_job("callback-settle").await;
        let busy = settle(0, CallbackOutcome::Busy, POLICY, 2_000);
        store
            .settle_callback(id, busy, "busy", None, 2_000)
            .await
            .unwrap();
        assert!(
            !store.lease_callback(id, 3_000, 63_000).await.unwrap(),
            "retry too early"
        );
        assert!(store.lease_callback(id, 62_000, 122_000).await.unwrap());
        let done = settle(1, CallbackOutcome::Answered, POLICY, 70_000);
        store
            .settle_callback(id, done, "answered", Some("call-9"), 70_000)
            .await
            .unwrap();
        assert!(store.callback_jobs(None, false).await.unwrap().is_empty());
        let all = store.callback_jobs(None, true).await.unwrap();
        assert_eq!(all[0].status, "done");
        assert_eq!(all[0].attempts, 2);
        assert_eq!(all[0].last_outcome.as_deref(), Some("answered"));
        assert_eq!(all[0].placed_call_id.as_deref(), Some("call-9"));
    }
}
