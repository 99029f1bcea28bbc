//! The call journal's rows: each input the flow received on a call, written as it happens so a
//! crash loses none, and read back in order for replay.

use sqlx::Row;

use super::Store;
use crate::call::core::journal::{JournalEntry, JournalInput};
use crate::error::HotlineError;

impl Store {
    pub async fn add_journal_entry(
        &self,
        call_id: &str,
        seq: i64,
        entry: &JournalEntry,
    ) -> Result<(), HotlineError> {
        let input =
            serde_json::to_string(&entry.input).map_err(|source| HotlineError::JournalEntry {
                call: call_id.to_string(),
                seq,
                source,
            })?;
        let decisions = serde_json::to_string(&entry.decisions).map_err(|source| {
            HotlineError::JournalEntry {
                call: call_id.to_string(),
                seq,
                source,
            }
        })?;
        sqlx::query(
            "INSERT INTO call_journal (call_id, seq, at_ms, input, decisions) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(call_id)
        .bind(seq)
        .bind(entry.at_ms as i64)
        .bind(input)
        .bind(decisions)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The call's journal in the order the flow received it.
    pub async fn journal(&self, call_id: &str) -> Result<Vec<JournalEntry>, HotlineError> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, input, decisions FROM call_journal WHERE call_id = ? ORDER BY seq",
        )
        .bind(call_id)
        .fetch_all(&self.pool)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            let at_ms: i64 = row.try_get("at_ms")?;
            let input: String = row.try_get("input")?;
            let decisions: String = row.try_get("decisions")?;
            let unreadable = |source| HotlineError::JournalEntry {
                call: call_id.to_string(),
                seq,
                source,
            };
            entries.push(JournalEntry {
                at_ms: at_ms.max(0) as u64,
                input: serde_json::from_str::<JournalInput>(&input).map_err(unreadable)?,
                decisions: serde_json::from_str(&decisions).map_err(unreadable)?,
            });
        }
        Ok(entries)
    }
}
