//! Forgetting what callers said after `store.retention_days`: the transcripts (turn texts,
//! traces, the call journal) and the recordings of older calls are deleted, while the call
//! records and their timings stay for the statistics. Which calls and files are due is pure
//! logic over the time passed in; the job does the IO, at start and then hourly.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::Row;

use super::{unix_ms, Store};
use crate::error::HotlineError;

/// How often the job looks for calls past the retention period.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);
const DAY_MS: i64 = 24 * 3600 * 1000;

/// How long transcripts and recordings are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days kept; 0 keeps everything for ever.
    pub days: u32,
}

impl Retention {
    /// Everything that started before this moment (Unix ms) is due; `None` when kept for ever.
    pub fn cutoff_ms(self, now_ms: i64) -> Option<i64> {
        (self.days > 0).then(|| now_ms - i64::from(self.days) * DAY_MS)
    }

    /// The calls (id, start in Unix ms) whose transcripts are due at `now_ms`.
    pub fn expired_calls(self, calls: &[(String, i64)], now_ms: i64) -> Vec<&str> {
        let Some(cutoff) = self.cutoff_ms(now_ms) else {
            return Vec::new();
        };
        calls
            .iter()
            .filter(|(_, started)| *started < cutoff)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// The recording files (path, last written in Unix ms) due at `now_ms`.
    pub fn expired_recordings(self, files: &[(PathBuf, i64)], now_ms: i64) -> Vec<&Path> {
        let Some(cutoff) = self.cutoff_ms(now_ms) else {
            return Vec::new();
        };
        files
            .iter()
            .filter(|(_, written)| *written < cutoff)
            .map(|(path, _)| path.as_path())
            .collect()
    }
}

/// What one sweep deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub calls: usize,
    pub recordings: usize,
}

impl Store {
    /// Calls started before `cutoff` that still hold transcripts or a journal.
    pub async fn calls_with_transcripts_before(
        &self,
        cutoff: i64,
    ) -> Result<Vec<(String, i64)>, HotlineError> {
        let rows = sqlx::query(
            "SELECT id, started_at FROM calls WHERE started_at < ? AND (
                EXISTS (SELECT 1 FROM turns t WHERE t.call_id = calls.id AND (t.caller_text IS NOT NULL
                    OR t.caller_dtmf IS NOT NULL OR t.bot_text IS NOT NULL OR t.trace IS NOT NULL))
                OR EXISTS (SELECT 1 FROM call_journal j WHERE j.call_id = calls.id))
             ORDER BY started_at",
        )
        .bind(cutoff)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("started_at")?)))
            .collect()
    }

    /// Deletes what was said on a call: turn texts and traces, and its journal.
    pub async fn forget_transcripts(&self, call_id: &str) -> Result<(), HotlineError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE turns SET caller_text = NULL, caller_dtmf = NULL, bot_text = NULL, trace = NULL,
                mood_cues = NULL WHERE call_id = ?",
        )
        .bind(call_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM call_journal WHERE call_id = ?")
            .bind(call_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The files in `dir` with when each was last written (Unix ms); none when it does not exist.
fn recordings(dir: &Path) -> Vec<(PathBuf, i64)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let meta = entry.metadata().ok().filter(|m| m.is_file())?;
            let written = meta.modified().ok()?;
            let ms = written
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_millis() as i64;
            Some((entry.path(), ms))
        })
        .collect()
}

/// One pass: deletes the transcripts and recordings due at `now_ms`.
pub async fn sweep(
    store: &Store,
    recordings_dir: &Path,
    retention: Retention,
    now_ms: i64,
) -> Result<Swept, HotlineError> {
    let Some(cutoff) = retention.cutoff_ms(now_ms) else {
        return Ok(Swept::default());
    };
    let calls = store.calls_with_transcripts_before(cutoff).await?;
    let due = retention.expired_calls(&calls, now_ms);
    for id in &due {
        store.forget_transcripts(id).await?;
    }
    let files = recordings(recordings_dir);
    let mut removed = 0;
    for path in retention.expired_recordings(&files, now_ms) {
        match std::fs::remove_file(path) {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!("retention: cannot delete {}: {e}", path.display()),
        }
    }
    Ok(Swept {
        calls: due.len(),
        recordings: removed,
    })
}

/// Sweeps at start, then every hour, until `shutdown` flips to true.
pub async fn run(
    store: Store,
    recordings_dir: PathBuf,
    retention: Retention,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    if retention.days == 0 {
        return;
    }
    loop {
        match sweep(&store, &recordings_dir, retention, unix_ms()).await {
            Ok(swept) if swept != Swept::default() => tracing::info!(
                "retention: forgot the transcripts of {} call(s) and deleted {} recording(s) older than {} days",
                swept.calls,
                swept.recordings,
                retention.days
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("retention: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_765_000_000_000;

    #[test]
    fn nothing_is_due_when_kept_for_ever() {
        let keep = Retention { days: 0 };
        assert_eq!(keep.cutoff_ms(NOW), None);
        let calls = vec![("old".to_string(), 0)];
        assert!(keep.expired_calls(&calls, NOW).is_empty());
        let files = vec![(PathBuf::from("r/old.wav"), 0)];
        assert!(keep.expired_recordings(&files, NOW).is_empty());
    }

    #[test]
    fn calls_older_than_the_period_are_due() {
        let thirty = Retention { days: 30 };
        let calls = vec![
            ("31-days".to_string(), NOW - 31 * DAY_MS),
            ("just-over".to_string(), NOW - 30 * DAY_MS - 1),
            ("exactly".to_string(), NOW - 30 * DAY_MS),
            ("yesterday".to_string(), NOW - DAY_MS),
        ];
        assert_eq!(thirty.expired_calls(&calls, NOW), ["31-days", "just-over"]);
        let files = vec![
            (PathBuf::from("r/a-1.wav"), NOW - 40 * DAY_MS),
            (PathBuf::from("r/b-1.wav"), NOW - 2 * DAY_MS),
        ];
        assert_eq!(
            thirty.expired_recordings(&files, NOW),
            [Path::new("r/a-1.wav")]
        );
    }

    #[tokio::test]
    async fn a_sweep_forgets_old_transcripts_and_keeps_new_ones() {
        let db = crate::store::temp_db("retention");
        let store = Store::open(&db).await.unwrap();
        let old = NOW - 10 * DAY_MS;
        for (id, at) in [("old", old), ("new", NOW - 1000)] {
            sqlx::query(
                "INSERT INTO calls (id, sip_call_id, direction, caller, callee, source, started_at)
                 VALUES (?, ?, 'inbound', 'a', 'b', '127.0.0.1', ?)",
            )
            .bind(id)
            .bind(id)
            .bind(at)
            .execute(&store.pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO turns (call_id, seq, at, caller_text, bot_text) VALUES (?, 1, ?, 'my birthday', 'thanks')",
            )
            .bind(id)
            .bind(at)
            .execute(&store.pool)
            .await
            .unwrap();
        }
        let dir = db.with_extension("recordings");
        std::fs::create_dir_all(&dir).unwrap();
        let recording = dir.join("old-1.wav");
        std::fs::write(&recording, b"RIFF").unwrap();
        let week = Retention { days: 7 };
        // The file was written just now: with the clock 8 days on, it is due too.
        let later = unix_ms() + 8 * DAY_MS;
        let swept = sweep(&store, &dir, week, NOW).await.unwrap();
        assert_eq!(
            swept,
            Swept {
                calls: 1,
                recordings: 0
            }
        );
        let texts: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT call_id, caller_text FROM turns ORDER BY call_id")
                .fetch_all(&store.pool)
                .await
                .unwrap();
        assert_eq!(
            texts,
            [
                ("new".to_string(), Some("my birthday".to_string())),
                ("old".to_string(), None)
            ]
        );
        assert!(recording.exists());
        let swept = sweep(&store, &dir, week, later).await.unwrap();
        assert_eq!(swept.recordings, 1);
        assert!(!recording.exists());
    }
}
