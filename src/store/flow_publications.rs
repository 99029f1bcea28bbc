//! Flow versions published from the console's flow editor (migration 0013): each with its
//! source, who published it and when, so the editor lists a flow's history and can restore any
//! version.

use sqlx::Row;

use super::Store;
use crate::error::HotlineError;

/// One published version of a flow file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FlowPublication {
    pub id: i64,
    /// The file's name in the flows directory (`shop.yaml`).
    pub file: String,
    /// The flow's version hash, as call records name it.
    pub version: String,
    #[serde(skip_serializing)]
    pub source: String,
    pub published_by: String,
    pub published_at: i64,
    /// `publish`, `rollback` or `original` (the file before the first publish).
    pub action: String,
    /// For a rollback, the publication it restored.
    pub restored_from: Option<i64>,
}

/// A version about to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPublication<'a> {
    pub file: &'a str,
    pub version: &'a str,
    pub source: &'a str,
    pub published_by: &'a str,
    pub published_at: i64,
    pub action: &'a str,
    pub restored_from: Option<i64>,
}

fn from_row(r: &sqlx::sqlite::SqliteRow) -> Result<FlowPublication, HotlineError> {
    Ok(FlowPublication {
        id: r.try_get("id")?,
        file: r.try_get("file")?,
        version: r.try_get("version")?,
        source: r.try_get("source")?,
        published_by: r.try_get("published_by")?,
        published_at: r.try_get("published_at")?,
        action: r.try_get("action")?,
        restored_from: r.try_get("restored_from")?,
    })
}

impl Store {
    /// Stores a published version; returns its id.
    pub async fn add_flow_publication(&self, p: &NewPublication<'_>) -> Result<i64, HotlineError> {
        let done = sqlx::query(
            "INSERT INTO flow_publications (file, version, source, published_by, published_at, action, restored_from)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.file)
        .bind(p.version)
        .bind(p.source)
        .bind(p.published_by)
        .bind(p.published_at)
        .bind(p.action)
        .bind(p.restored_from)
        .execute(&self.pool)
        .await?;
        Ok(done.last_insert_rowid())
    }

    /// A file's published versions, newest first.
    pub async fn flow_publications(
        &self,
        file: &str,
    ) -> Result<Vec<FlowPublication>, HotlineError> {
        let rows = sqlx::query(
            "SELECT * FROM flow_publications WHERE file = ? ORDER BY id DESC LIMIT 500",
        )
        .bind(file)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// One published version of `file`.
    pub async fn flow_publication(
        &self,
        file: &str,
        id: i64,
    ) -> Result<Option<FlowPublication>, HotlineError> {
        let row = sqlx::query("SELECT * FROM flow_publications WHERE file = ? AND id = ?")
            .bind(file)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_db;

    #[tokio::test]
    async fn versions_are_listed_newest_first_per_file_and_read_back() {
        let store = Store::open(&temp_db("flow-publications")).await.unwrap();
        let publish = |file: &'static str, version: &'static str, by: &'static str, at: i64| {
            let store = store.clone();
            async move {
                store
                    .add_flow_publication(&NewPublication {
                        file,
                        version,
                        source: "flow: shop\n",
                        published_by: by,
                        published_at: at,
                        action: "publish",
                        restored_from: None,
                    })
                    .await
                    .unwrap()
            }
        };
        let first = publish("shop.yaml", "v1", "(file on disk)", 1000).await;
        publish("bank.yaml", "b1", "sue", 1500).await;
        let second = publish("shop.yaml", "v2", "sue", 2000).await;
        let back = store
            .add_flow_publication(&NewPublication {
                file: "shop.yaml",
                version: "v1",
                source: "flow: shop\n",
                published_by: "ann",
                published_at: 3000,
                action: "rollback",
                restored_from: Some(first),
            })
            .await
            .unwrap();
        let shop = store.flow_publications("shop.yaml").await.unwrap();
        let ids: Vec<i64> = shop.iter().map(|p| p.id).collect();
        assert_eq!(ids, [back, second, first]);
        assert_eq!(shop[0].action, "rollback");
        assert_eq!(shop[0].restored_from, Some(first));
        assert_eq!(shop[0].published_by, "ann");
        let one = store.flow_publication("shop.yaml", second).await.unwrap();
        assert_eq!(
            one.map(|p| (p.version, p.published_at)),
            Some(("v2".into(), 2000))
        );
        assert!(store
            .flow_publication("bank.yaml", second)
            .await
            .unwrap()
            .is_none());
    }
}
