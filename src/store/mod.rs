//! Call records and conversation turns in SQLite (WAL), written as the call happens so a crash loses nothing.
//!
//! A call row is inserted when the INVITE arrives, updated on answer and on hang-up; each turn is
//! inserted as soon as the bot has answered it. At start-up, calls a crash left open are closed with
//! the cause `server-restart`, so `hotline calls list` never shows a call as live forever.

mod callback_jobs;
mod campaign_dnc;
mod campaigns;
mod do_not_call;
mod flow_publications;
mod handoff;
mod inspections;
mod journal;
pub mod live;
mod metrics;
mod outbox;
mod queues;
mod registrations;
pub mod retention;
mod search;
mod summaries;
mod users;

pub use callback_jobs::CallbackJob;
pub use campaigns::AttemptRow;
pub use do_not_call::DncRow;
pub use flow_publications::{FlowPublication, NewPublication};
pub use handoff::{summary_header, HandoffTicket, StoredTicket};
pub use inspections::InspectionRow;
pub use live::CallEvent;
pub use metrics::{AgentMetrics, QueueMetrics};
pub use outbox::OutboxRow;
pub use queues::{AgentEvent, CallbackRecord};
pub use registrations::RegistrationRow;
pub use search::{CallFilter, CallSummary, QueueStay, TurnFacts, OUTCOMES};
pub use users::AuditEntry;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use crate::error::HotlineError;

/// One call detail record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CallRecord {
    pub id: String,
    pub sip_call_id: String,
    pub direction: String,
    pub caller: String,
    pub callee: String,
    pub source: String,
    /// Unix time in milliseconds.
    pub started_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub hangup_cause: Option<String>,
    pub codec: Option<String>,
    pub flow_name: Option<String>,
    pub flow_version: Option<String>,
    /// Who the caller is for caller memory: the user part of their address (their number).
    pub caller_key: Option<String>,
}

/// A ticket a flow created.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRecord {
    pub id: String,
    pub call_id: String,
    pub created_at: i64,
    pub summary: String,
    pub fields: Vec<(String, String)>,
}

/// One exchange: what the caller said or pressed, and what the bot answered, with its timings.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TurnRecord {
    pub call_id: String,
    pub seq: i64,
    pub at: i64,
    pub node: Option<String>,
    pub caller_text: Option<String>,
    pub caller_dtmf: Option<String>,
    pub asr_confidence: Option<f64>,
    pub intent: Option<String>,
    pub match_score: Option<f64>,
    pub bot_text: Option<String>,
    pub endpoint_wait_ms: Option<i64>,
    pub asr_ms: Option<i64>,
    pub match_ms: Option<i64>,
    pub tts_first_ms: Option<i64>,
    pub voice_to_voice_ms: Option<i64>,
    /// The caller's sentiment (-1..1) and anger (0..1) after this turn, and the cues behind them.
    pub sentiment: Option<f64>,
    pub anger: Option<f64>,
    pub mood_cues: Option<String>,
    /// Slots filled, FAQ entries used, API calls made: one line each.
    pub trace: Option<String>,
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    /// Where handoff tickets are POSTed (`webhook.url`); `None`: no outbox rows are added.
    webhook_url: Option<Arc<str>>,
    /// Wakes the webhook worker when a row is added to the outbox.
    outbox_added: Arc<tokio::sync::Notify>,
    /// Calls started, turns stored and calls ended, for the console's live view.
    live: live::LiveEvents,
}

/// Milliseconds since the Unix epoch, for records.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Store {
    /// Opens (creating if needed) the database and applies migrations.
    pub async fn open(path: &Path) -> Result<Store, HotlineError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| HotlineError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store {
            pool,
            webhook_url: None,
            outbox_added: Arc::new(tokio::sync::Notify::new()),
            live: live::LiveEvents::default(),
        })
    }

    /// The same store, adding a webhook delivery to the outbox with every handoff ticket.
    pub fn with_webhook(mut self, url: Option<&str>) -> Store {
        self.webhook_url = url.map(Arc::from);
        self
    }

    /// Notified (one stored permit) whenever a row is added to the webhook outbox.
    pub fn outbox_added(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.outbox_added)
    }

    /// Every call started, turn stored and call ended from now on, as it is written.
    pub fn call_events(&self) -> tokio::sync::broadcast::Receiver<CallEvent> {
        self.live.subscribe()
    }

    /// How many calls were ever recorded, and how many are in progress.
    pub async fn call_counts(&self) -> Result<(i64, i64), HotlineError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, COALESCE(SUM(ended_at IS NULL), 0) AS active FROM calls",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("total")?, row.try_get("active")?))
    }

    /// Closes calls left open by a crash or kill; returns how many.
    pub async fn close_interrupted_calls(&self, now: i64) -> Result<u64, HotlineError> {
        let done = sqlx::query(
            "UPDATE calls SET ended_at = ?, hangup_cause = 'server-restart' WHERE ended_at IS NULL",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn call_started(&self, call: &CallRecord) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT INTO calls (id, sip_call_id, direction, caller, callee, source, started_at, flow_name, flow_version, caller_key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&call.id)
        .bind(&call.sip_call_id)
        .bind(&call.direction)
        .bind(&call.caller)
        .bind(&call.callee)
        .bind(&call.source)
        .bind(call.started_at)
        .bind(&call.flow_name)
        .bind(&call.flow_version)
        .bind(&call.caller_key)
        .execute(&self.pool)
        .await?;
        self.live
            .publish(CallEvent::CallStarted { call: call.clone() });
        Ok(())
    }

    pub async fn call_answered(&self, id: &str, at: i64, codec: &str) -> Result<(), HotlineError> {
        sqlx::query("UPDATE calls SET answered_at = ?, codec = ? WHERE id = ?")
            .bind(at)
            .bind(codec)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The codec the caller chose later, in the ACK's answer to our offer (delayed offer).
    pub async fn call_codec(&self, id: &str, codec: &str) -> Result<(), HotlineError> {
        sqlx::query("UPDATE calls SET codec = ? WHERE id = ?")
            .bind(codec)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the end of a call once; a second end (say a late BYE) keeps the first cause.
    pub async fn call_ended(&self, id: &str, at: i64, cause: &str) -> Result<(), HotlineError> {
        let done = sqlx::query(
            "UPDATE calls SET ended_at = ?, hangup_cause = ? WHERE id = ? AND ended_at IS NULL",
        )
        .bind(at)
        .bind(cause)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() > 0 {
            self.live.publish(CallEvent::CallEnded {
                call_id: id.to_string(),
                at,
                cause: cause.to_string(),
            });
        }
        Ok(())
    }

    pub async fn add_turn(&self, t: &TurnRecord) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT INTO turns (call_id, seq, at, node, caller_text, caller_dtmf, asr_confidence, intent, match_score,
                                bot_text, endpoint_wait_ms, asr_ms, match_ms, tts_first_ms, voice_to_voice_ms,
                                sentiment, anger, mood_cues, trace)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&t.call_id)
        .bind(t.seq)
        .bind(t.at)
        .bind(&t.node)
        .bind(&t.caller_text)
        .bind(&t.caller_dtmf)
        .bind(t.asr_confidence)
        .bind(&t.intent)
        .bind(t.match_score)
        .bind(&t.bot_text)
        .bind(t.endpoint_wait_ms)
        .bind(t.asr_ms)
        .bind(t.match_ms)
        .bind(t.tts_first_ms)
        .bind(t.voice_to_voice_ms)
        .bind(t.sentiment)
        .bind(t.anger)
        .bind(&t.mood_cues)
        .bind(&t.trace)
        .execute(&self.pool)
        .await?;
        self.live.publish(CallEvent::Turn { turn: t.clone() });
        Ok(())
    }

    /// Keeps a flow version's source under its hash (once; reloading the same text is a no-op).
    pub async fn flow_loaded(
        &self,
        version: &str,
        name: &str,
        file: &str,
        source: &str,
        at: i64,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT OR IGNORE INTO flow_versions (version, name, file, loaded_at, source) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(version)
        .bind(name)
        .bind(file)
        .bind(at)
        .bind(source)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The source of a flow version a call ran.
    pub async fn flow_source(&self, version: &str) -> Result<Option<String>, HotlineError> {
        let row = sqlx::query("SELECT source FROM flow_versions WHERE version = ?")
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("source"))
            .transpose()
            .map_err(Into::into)
    }

    /// The file a flow version was loaded from.
    pub async fn flow_file(&self, version: &str) -> Result<Option<String>, HotlineError> {
        let row = sqlx::query("SELECT file FROM flow_versions WHERE version = ?")
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("file"))
            .transpose()
            .map_err(Into::into)
    }

    /// Stores a ticket and returns its id (`T-` and a sortable unique suffix).
    pub async fn create_ticket(
        &self,
        call_id: &str,
        summary: &str,
        fields: &[(String, String)],
        at: i64,
    ) -> Result<String, HotlineError> {
        let id = format!("T-{}", uuid::Uuid::now_v7().simple());
        let fields_json = serde_json::to_string(fields).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO tickets (id, call_id, created_at, summary, fields) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(call_id)
        .bind(at)
        .bind(summary)
        .bind(fields_json)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    pub async fn tickets_of_call(&self, call_id: &str) -> Result<Vec<TicketRecord>, HotlineError> {
        let rows = sqlx::query("SELECT * FROM tickets WHERE call_id = ? ORDER BY created_at, id")
            .bind(call_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let fields: String = r.try_get("fields")?;
                Ok(TicketRecord {
                    id: r.try_get("id")?,
                    call_id: r.try_get("call_id")?,
                    created_at: r.try_get("created_at")?,
                    summary: r.try_get("summary")?,
                    fields: serde_json::from_str(&fields).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Keeps `key = value` for this caller's next calls.
    pub async fn remember(
        &self,
        caller: &str,
        key: &str,
        value: &str,
        at: i64,
    ) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT INTO caller_memory (caller, key, value, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(caller, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(caller)
        .bind(key)
        .bind(value)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// What Hotline knows about a caller: remembered values, plus `calls` (earlier calls) and
    /// `last_call` (when the last one started, Unix ms).
    pub async fn caller_memory(&self, caller: &str) -> Result<Vec<(String, String)>, HotlineError> {
        let mut facts: Vec<(String, String)> =
            sqlx::query("SELECT key, value FROM caller_memory WHERE caller = ? ORDER BY key")
                .bind(caller)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("key")?, r.try_get("value")?)))
                .collect::<Result<_, sqlx::Error>>()?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MAX(started_at) AS last FROM calls WHERE caller_key = ?",
        )
        .bind(caller)
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        let last: Option<i64> = row.try_get("last")?;
        facts.push(("calls".into(), n.to_string()));
        if let Some(last) = last {
            facts.push(("last_call".into(), last.to_string()));
        }
        Ok(facts)
    }

    /// What callers said that nothing answered (no intent routed, no FAQ answer, no slot filled,
    /// not escalated), newest first, at most `limit`: the raw material for new FAQ entries.
    pub async fn unanswered_questions(&self, limit: i64) -> Result<Vec<String>, HotlineError> {
        let rows = sqlx::query(
            "SELECT caller_text, trace FROM turns
             WHERE caller_text IS NOT NULL AND caller_text != '' AND intent IS NULL
             ORDER BY at DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut questions = Vec::new();
        for row in &rows {
            let text: String = row.try_get("caller_text")?;
            let trace: Option<String> = row.try_get("trace")?;
            let turn = hotline_nlu::RecordedTurn {
                text: &text,
                intent: None,
                trace: trace.as_deref(),
            };
            if hotline_nlu::is_unanswered(&turn) {
                questions.push(text);
                if questions.len() as i64 >= limit {
                    break;
                }
            }
        }
        Ok(questions)
    }

    /// The newest calls first.
    pub async fn list_calls(&self, limit: i64) -> Result<Vec<CallRecord>, HotlineError> {
        let rows = sqlx::query("SELECT * FROM calls ORDER BY started_at DESC, id DESC LIMIT ?")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(call_from_row).collect()
    }

    /// A call by its id, or by a unique prefix of it, or by its SIP Call-ID.
    pub async fn find_call(&self, key: &str) -> Result<Option<CallRecord>, HotlineError> {
        let rows =
            sqlx::query("SELECT * FROM calls WHERE id = ? OR sip_call_id = ? OR id LIKE ? LIMIT 2")
                .bind(key)
                .bind(key)
                .bind(format!("{key}%"))
                .fetch_all(&self.pool)
                .await?;
        match rows.as_slice() {
            [one] => Ok(Some(call_from_row(one)?)),
            _ => Ok(None),
        }
    }

    pub async fn turns(&self, call_id: &str) -> Result<Vec<TurnRecord>, HotlineError> {
        let rows = sqlx::query("SELECT * FROM turns WHERE call_id = ? ORDER BY seq")
            .bind(call_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(turn_from_row).collect()
    }
}

fn call_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<CallRecord, HotlineError> {
    Ok(CallRecord {
        id: r.try_get("id")?,
        sip_call_id: r.try_get("sip_call_id")?,
        direction: r.try_get("direction")?,
        caller: r.try_get("caller")?,
        callee: r.try_get("callee")?,
        source: r.try_get("source")?,
        started_at: r.try_get("started_at")?,
        answered_at: r.try_get("answered_at")?,
        ended_at: r.try_get("ended_at")?,
        hangup_cause: r.try_get("hangup_cause")?,
        codec: r.try_get("codec")?,
        flow_name: r.try_get("flow_name")?,
        flow_version: r.try_get("flow_version")?,
        caller_key: r.try_get("caller_key")?,
    })
}

fn turn_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<TurnRecord, HotlineError> {
    Ok(TurnRecord {
        call_id: r.try_get("call_id")?,
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        node: r.try_get("node")?,
        caller_text: r.try_get("caller_text")?,
        caller_dtmf: r.try_get("caller_dtmf")?,
        asr_confidence: r.try_get("asr_confidence")?,
        intent: r.try_get("intent")?,
        match_score: r.try_get("match_score")?,
        bot_text: r.try_get("bot_text")?,
        endpoint_wait_ms: r.try_get("endpoint_wait_ms")?,
        asr_ms: r.try_get("asr_ms")?,
        match_ms: r.try_get("match_ms")?,
        tts_first_ms: r.try_get("tts_first_ms")?,
        voice_to_voice_ms: r.try_get("voice_to_voice_ms")?,
        sentiment: r.try_get("sentiment")?,
        anger: r.try_get("anger")?,
        mood_cues: r.try_get("mood_cues")?,
        trace: r.try_get("trace")?,
    })
}

/// A fresh database path for a store test (the directory is emptied first).
#[cfg(test)]
pub(crate) fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hotline-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("calls.db")
}

/// A call record for store tests.
#[cfg(test)]
pub(crate) fn sample_call(id: &str, started_at: i64) -> CallRecord {
    CallRecord {
        id: id.into(),
        sip_call_id: format!("sip-{id}"),
        direction: "inbound".into(),
        caller: "sip:alice@127.0.0.1".into(),
        callee: "sip:hotline@127.0.0.1".into(),
        source: "127.0.0.1:5062".into(),
        started_at,
        answered_at: None,
        ended_at: None,
        hangup_cause: None,
        codec: None,
        flow_name: Some("shop".into()),
        flow_version: Some("abc".into()),
        caller_key: Some("alice".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: &str, started_at: i64) -> CallRecord {
        sample_call(id, started_at)
    }

    #[tokio::test]
    async fn the_journal_is_read_back_in_order() {
        use crate::call::core::journal::{JournalEntry, JournalInput};
        let store = Store::open(&temp_db("journal")).await.unwrap();
        store.call_started(&sample("c1", 100)).await.unwrap();
        let entries = vec![
            JournalEntry {
                at_ms: 0,
                input: JournalInput::Start {
                    caller_memory: vec![],
                    today: Some("2026-12-02".into()),
                    variables: Vec::new(),
                },
                decisions: vec!["say \"Hi\"".into()],
            },
            JournalEntry {
                at_ms: 2500,
                input: JournalInput::Dtmf { digit: '1' },
                decisions: vec!["hang up (done)".into()],
            },
        ];
        // Written out of order, read in the order the flow received them.
        store.add_journal_entry("c1", 2, &entries[1]).await.unwrap();
        store.add_journal_entry("c1", 1, &entries[0]).await.unwrap();
        assert_eq!(store.journal("c1").await.unwrap(), entries);
        assert!(store.journal("other").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn tickets_and_caller_memory() {
        let store = Store::open(&temp_db("memory")).await.unwrap();
        store.call_started(&sample("c1", 100)).await.unwrap();
        let fields = vec![("order".to_string(), "4567".to_string())];
        let id = store
            .create_ticket("c1", "Order 4567 not found", &fields, 150)
            .await
            .unwrap();
        let tickets = store.tickets_of_call("c1").await.unwrap();
        assert_eq!(tickets.len(), 1);
        assert_eq!(tickets[0].id, id);
        assert_eq!(tickets[0].fields, fields);
        store
            .remember("alice", "language", "en", 160)
            .await
            .unwrap();
        store
            .remember("alice", "language", "de", 170)
            .await
            .unwrap();
        let facts = store.caller_memory("alice").await.unwrap();
        assert!(
            facts.contains(&("language".into(), "de".into())),
            "{facts:?}"
        );
        assert!(facts.contains(&("calls".into(), "1".into())), "{facts:?}");
        assert!(
            facts.contains(&("last_call".into(), "100".into())),
            "{facts:?}"
        );
        let stranger = store.caller_memory("bob").await.unwrap();
        assert_eq!(stranger, vec![("calls".to_string(), "0".to_string())]);
    }

    #[tokio::test]
    async fn a_call_and_its_turns_survive_reopening() {
        let path = temp_db("reopen");
        {
            let store = Store::open(&path).await.unwrap();
            store.call_started(&sample("c1", 1000)).await.unwrap();
            store.call_answered("c1", 1100, "PCMU").await.unwrap();
            store
                .add_turn(&TurnRecord {
                    call_id: "c1".into(),
                    seq: 1,
                    at: 1500,
                    caller_text: Some("how long does delivery take".into()),
                    asr_confidence: Some(0.9),
                    intent: Some("delivery_time".into()),
                    bot_text: Some("Two to three days.".into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            store.call_ended("c1", 2000, "caller-bye").await.unwrap();
            store
                .call_ended("c1", 3000, "late-duplicate")
                .await
                .unwrap();
        }
        let store = Store::open(&path).await.unwrap();
        let call = store.find_call("c1").await.unwrap().unwrap();
        assert_eq!(call.codec.as_deref(), Some("PCMU"));
        assert_eq!(call.hangup_cause.as_deref(), Some("caller-bye"));
        assert_eq!(call.ended_at, Some(2000));
        let turns = store.turns("c1").await.unwrap();
        assert_eq!(turns.len(), 1);
        store
            .add_turn(&TurnRecord {
                call_id: "c1".into(),
                seq: 2,
                at: 1600,
                caller_text: Some("do you ship to Canada".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            store.unanswered_questions(10).await.unwrap(),
            vec!["do you ship to Canada".to_string()],
            "only turns no intent matched are unanswered"
        );
        assert_eq!(turns[0].bot_text.as_deref(), Some("Two to three days."));
    }

    #[tokio::test]
    async fn answered_slot_and_escalated_turns_are_not_gaps() {
        let store = Store::open(&temp_db("gaps")).await.unwrap();
        store.call_started(&sample("g1", 10)).await.unwrap();
        let turns = [
            ("when are you open", Some("faq opening_hours (0.99)")),
            ("four five six seven", Some("slot order_number = 4567")),
            ("you are useless", Some("transfer to support (anger)")),
            ("what time is it", Some("faq no answer (0.31)")),
            ("do you ship to Canada", None),
        ];
        for (seq, (text, trace)) in turns.into_iter().enumerate() {
            store
                .add_turn(&TurnRecord {
                    call_id: "g1".into(),
                    seq: seq as i64 + 1,
                    at: 100 + seq as i64,
                    caller_text: Some(text.into()),
                    trace: trace.map(str::to_string),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        assert_eq!(
            store.unanswered_questions(10).await.unwrap(),
            ["do you ship to Canada", "what time is it"]
        );
        assert_eq!(
            store.unanswered_questions(1).await.unwrap(),
            ["do you ship to Canada"]
        );
    }

    #[tokio::test]
    async fn flow_versions_are_kept_by_hash() {
        let store = Store::open(&temp_db("flows")).await.unwrap();
        store
            .flow_loaded("v1", "shop", "flows/shop.yaml", "flow: shop\n", 5)
            .await
            .unwrap();
        store
            .flow_loaded("v1", "shop", "flows/shop.yaml", "flow: shop\n", 9)
            .await
            .unwrap();
        assert_eq!(
            store.flow_source("v1").await.unwrap().as_deref(),
            Some("flow: shop\n")
        );
        assert_eq!(store.flow_source("v2").await.unwrap(), None);
    }

    #[tokio::test]
    async fn interrupted_calls_are_closed_at_startup() {
        let path = temp_db("interrupted");
        let store = Store::open(&path).await.unwrap();
        store.call_started(&sample("open", 10)).await.unwrap();
        store.call_started(&sample("done", 20)).await.unwrap();
        store.call_ended("done", 30, "caller-bye").await.unwrap();
        assert_eq!(store.close_interrupted_calls(99).await.unwrap(), 1);
        let open = store.find_call("open").await.unwrap().unwrap();
        assert_eq!(open.hangup_cause.as_deref(), Some("server-restart"));
        let listed = store.list_calls(10).await.unwrap();
        assert_eq!(
            listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["done", "open"]
        );
    }
}
