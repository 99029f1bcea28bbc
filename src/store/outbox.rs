//! The durable webhook outbox: a row per POST still owed to the CRM, so deliveries survive a
//! crash and a slow CRM never holds up a call (call tasks only insert; `crate::webhook` sends).

use sqlx::{Row, Sqlite, Transaction};

use super::Store;
use crate::error::HotlineError;

/// One delivery owed (or made, or given up).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub url: String,
    pub body: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
}

pub(super) async fn insert(
    tx: &mut Transaction<'_, Sqlite>,
    url: &str,
    body: &str,
    at: i64,
) -> Result<i64, HotlineError> {
    let done = sqlx::query(
        "INSERT INTO webhook_outbox (url, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?)",
    )
    .bind(url)
    .bind(body)
    .bind(at)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(done.last_insert_rowid())
}

fn row(r: &sqlx::sqlite::SqliteRow) -> Result<OutboxRow, HotlineError> {
    Ok(OutboxRow {
        id: r.try_get("id")?,
        url: r.try_get("url")?,
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        delivered_at: r.try_get("delivered_at")?,
        last_error: r.try_get("last_error")?,
        status: r.try_get("status")?,
    })
}

impl Store {
    /// Queues a JSON `body` for POSTing to `url` now; wakes the webhook worker. (Handoff
    /// tickets go in with their ticket's transaction instead.)
    #[cfg(test)]
    pub async fn enqueue_webhook(
        &self,
        url: &str,
        body: &str,
        at: i64,
    ) -> Result<i64, HotlineError> {
        let mut tx = self.pool.begin().await?;
        let id = insert(&mut tx, url, body, at).await?;
        tx.commit().await?;
        self.outbox_added.notify_one();
        Ok(id)
    }

    /// Pending deliveries due at `now`, oldest first.
    pub async fn due_webhooks(&self, now: i64, limit: i64) -> Result<Vec<OutboxRow>, HotlineError> {
        let rows = sqlx::query(
            "SELECT * FROM webhook_outbox WHERE status = 'pending' AND next_attempt_at <= ?
             ORDER BY next_attempt_at, id LIMIT ?",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row).collect()
    }

    /// When the next pending delivery is due, if any is pending.
    pub async fn next_webhook_due(&self) -> Result<Option<i64>, HotlineError> {
        let r = sqlx::query(
            "SELECT MIN(next_attempt_at) AS next FROM webhook_outbox WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(r.try_get("next")?)
    }

    /// How many deliveries are still pending.
    pub async fn webhook_pending(&self) -> Result<i64, HotlineError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM webhook_outbox WHERE status = 'pending'")
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("n")?)
    }

    /// One outbox row by id.
    #[cfg(test)]
    pub async fn webhook_row(&self, id: i64) -> Result<Option<OutboxRow>, HotlineError> {
        sqlx::query("SELECT * FROM webhook_outbox WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(row)
            .transpose()
    }

    /// The CRM accepted the delivery.
    pub async fn webhook_delivered(&self, id: i64, at: i64) -> Result<(), HotlineError> {
        sqlx::query(
            "UPDATE webhook_outbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1
             WHERE id = ?",
        )
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An attempt failed: retry at `retry_at`, or give up (`failed`) when it is `None`.
    pub async fn webhook_attempt_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?,
                    status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END,
                    next_attempt_at = COALESCE(?, next_attempt_at)
             WHERE id = ?",
        )
        .bind(error)
        .bind(retry_at)
        .bind(retry_at)
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

    #[tokio::test]
    async fn rows_move_from_pending_to_delivered_or_failed_and_survive_reopening() {
        let path = temp_db("outbox");
        let (a, b) = {
            let store = Store::open(&path).await.unwrap();
            let a = store
                .enqueue_webhook("http://crm/a", "{}", 100)
                .await
                .unwrap();
            let b = store
                .enqueue_webhook("http://crm/b", "[]", 200)
                .await
                .unwrap();
            (a, b)
        };
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.webhook_pending().await.unwrap(), 2);
        assert_eq!(store.next_webhook_due().await.unwrap(), Some(100));
        let due: Vec<i64> = store
            .due_webhooks(150, 10)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(due, [a]);
        store
            .webhook_attempt_failed(a, "HTTP 503", Some(1000))
            .await
            .unwrap();
        let due: Vec<i64> = store
            .due_webhooks(500, 10)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(due, [b]);
        store
            .webhook_attempt_failed(b, "refused", None)
            .await
            .unwrap();
        store.webhook_delivered(a, 1001).await.unwrap();
        let a = store.webhook_row(a).await.unwrap().unwrap();
        assert_eq!(
            (a.status.as_str(), a.attempts, a.delivered_at),
            ("delivered", 2, Some(1001))
        );
        let b = store.webhook_row(b).await.unwrap().unwrap();
        assert_eq!((b.status.as_str(), b.attempts), ("failed", 1));
        assert_eq!(b.last_error.as_deref(), Some("refused"));
        assert_eq!(store.webhook_pending().await.unwrap(), 0);
        assert_eq!(store.next_webhook_due().await.unwrap(), None);
    }
}
