//! Per-campaign do-not-call lists in SQLite (migration 0014): numbers one campaign may not call,
//! beside the global list no campaign may call. The runner asks both in one query right before
//! each INVITE leaves.

use sqlx::Row;

use super::{DncRow, Store};
use crate::error::HotlineError;

impl Store {
    /// Puts a number on a campaign's list; false when it was there already (the first entry
    /// stays).
    pub async fn campaign_dnc_add(
        &self,
        campaign: &str,
        row: &DncRow,
    ) -> Result<bool, HotlineError> {
        let done = sqlx::query(
            "INSERT INTO campaign_do_not_call (campaign, number, added_at, reason, source)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT(campaign, number) DO NOTHING",
        )
        .bind(campaign)
        .bind(&row.number)
        .bind(row.added_at)
        .bind(&row.reason)
        .bind(&row.source)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Takes a number off a campaign's list; false when it was not on it.
    pub async fn campaign_dnc_remove(
        &self,
        campaign: &str,
        number: &str,
    ) -> Result<bool, HotlineError> {
        let done =
            sqlx::query("DELETE FROM campaign_do_not_call WHERE campaign = ? AND number = ?")
                .bind(campaign)
                .bind(number)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A campaign's whole list, oldest first.
    pub async fn campaign_dnc_list(&self, campaign: &str) -> Result<Vec<DncRow>, HotlineError> {
        let rows = sqlx::query(
            "SELECT number, added_at, reason, source FROM campaign_do_not_call
             WHERE campaign = ? ORDER BY added_at, number",
        )
        .bind(campaign)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(DncRow::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// Every campaign's list as (campaign, number) pairs, for `campaigns check`.
    pub async fn campaign_dnc_all(&self) -> Result<Vec<(String, String)>, HotlineError> {
        let rows = sqlx::query("SELECT campaign, number FROM campaign_do_not_call")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("campaign")?, r.try_get("number")?)))
            .collect()
    }

    /// Whether `campaign` may not call `number`: it is on the global list or on the campaign's.
    pub async fn dnc_blocks(&self, campaign: &str, number: &str) -> Result<bool, HotlineError> {
        let row = sqlx::query(
            "SELECT 1 FROM do_not_call WHERE number = ?
             UNION ALL
             SELECT 1 FROM campaign_do_not_call WHERE campaign = ? AND number = ?
             LIMIT 1",
        )
        .bind(number)
        .bind(campaign)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_db;

    use crate::store::do_not_call::asked_row as row;

    #[tokio::test]
    async fn a_campaign_list_blocks_only_its_campaign_and_the_global_list_blocks_all() {
        let store = Store::open(&temp_db("campaign-dnc")).await.unwrap();
        assert!(store
            .campaign_dnc_add("delivery", &row("+12125550101", "cli"))
            .await
            .unwrap());
        assert!(!store
            .campaign_dnc_add("delivery", &row("+12125550101", "api"))
            .await
            .unwrap());
        assert!(store.dnc_blocks("delivery", "+12125550101").await.unwrap());
        assert!(!store.dnc_blocks("payments", "+12125550101").await.unwrap());
        assert!(!store.dnc_blocks("delivery", "+12125550102").await.unwrap());
        store.dnc_add(&row("+12125550102", "cli")).await.unwrap();
        assert!(store.dnc_blocks("payments", "+12125550102").await.unwrap());
        assert_eq!(
            store.campaign_dnc_list("delivery").await.unwrap(),
            vec![row("+12125550101", "cli")]
        );
        assert!(store
            .campaign_dnc_list("payments")
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .campaign_dnc_remove("delivery", "+12125550101")
            .await
            .unwrap());
        assert!(!store
            .campaign_dnc_remove("delivery", "+12125550101")
            .await
            .unwrap());
        assert!(!store.dnc_blocks("delivery", "+12125550101").await.unwrap());
    }
}
