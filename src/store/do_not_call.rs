//! The global do-not-call list in SQLite (migration 0008): every campaign's runner asks it (with
//! the campaign's own list, `campaign_dnc`) right before each INVITE leaves, and an opt-out is
//! written to it before the attempt is settled, so no campaign calls the number again, even
//! after a restart.

use sqlx::Row;

use super::Store;
use crate::error::HotlineError;

/// One number on the global list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DncRow {
    /// E.164.
    pub number: String,
    /// Unix milliseconds.
    pub added_at: i64,
    pub reason: String,
    /// `cli`, `api`, `import:FILE`, or the campaign whose contact opted out.
    pub source: String,
}

impl DncRow {
    /// A row of either list (`number, added_at, reason, source`).
    pub(super) fn from_row(r: &sqlx::sqlite::SqliteRow) -> Result<DncRow, sqlx::Error> {
        Ok(DncRow {
            number: r.try_get("number")?,
            added_at: r.try_get("added_at")?,
            reason: r.try_get("reason")?,
            source: r.try_get("source")?,
        })
    }
}

/// A row for the store tests of both lists.
#[cfg(test)]
pub(super) fn asked_row(number: &str, source: &str) -> DncRow {
    DncRow {
        number: number.into(),
        added_at: 5,
        reason: "asked".into(),
        source: source.into(),
    }
}

impl Store {
    /// Puts a number on the global list; false when it was there already (the first entry stays).
    pub async fn dnc_add(&self, row: &DncRow) -> Result<bool, HotlineError> {
        let done = sqlx::query(
            "INSERT INTO do_not_call (number, added_at, reason, source) VALUES (?, ?, ?, ?)
             ON CONFLICT(number) DO NOTHING",
        )
        .bind(&row.number)
        .bind(row.added_at)
        .bind(&row.reason)
        .bind(&row.source)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Takes a number off the global list; false when it was not on it.
    pub async fn dnc_remove(&self, number: &str) -> Result<bool, HotlineError> {
        let done = sqlx::query("DELETE FROM do_not_call WHERE number = ?")
            .bind(number)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether `number` (E.164) is on the global list (queue callbacks ask before dialling).
    pub async fn dnc_listed(&self, number: &str) -> Result<bool, HotlineError> {
        let row = sqlx::query("SELECT 1 FROM do_not_call WHERE number = ?")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// The whole global list, oldest first.
    pub async fn dnc_list(&self) -> Result<Vec<DncRow>, HotlineError> {
        let rows = sqlx::query(
            "SELECT number, added_at, reason, source FROM do_not_call ORDER BY added_at, number",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(DncRow::from_row)
            .collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_db;

    use super::asked_row as row;

    #[tokio::test]
    async fn campaign_dnc_numbers_are_added_once_listed_and_removed() {
        let store = Store::open(&temp_db("dnc")).await.unwrap();
        assert!(store.dnc_add(&row("+12125550101", "cli")).await.unwrap());
        assert!(!store.dnc_add(&row("+12125550101", "api")).await.unwrap());
        assert!(store.dnc_blocks("any", "+12125550101").await.unwrap());
        assert!(!store.dnc_blocks("any", "+12125550102").await.unwrap());
        assert!(store.dnc_listed("+12125550101").await.unwrap());
        assert!(!store.dnc_listed("+12125550102").await.unwrap());
        let list = store.dnc_list().await.unwrap();
        assert_eq!(list, vec![row("+12125550101", "cli")]);
        assert!(store.dnc_remove("+12125550101").await.unwrap());
        assert!(!store.dnc_remove("+12125550101").await.unwrap());
        assert!(store.dnc_list().await.unwrap().is_empty());
    }
}
