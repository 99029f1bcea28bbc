//! Handoff tickets: what a human agent and the CRM need to take over a call (who called, what
//! was said, what the bot understood, how the caller felt), stored with the ticket and, when a
//! webhook is configured, queued for delivery in the same transaction.

use serde_json::{json, Map, Value};
use sqlx::Row;

use super::{CallRecord, Store, TurnRecord};
use crate::error::HotlineError;

/// A handoff ticket just created.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffTicket {
    pub id: String,
    /// Where the admin API serves it (`<base>/api/tickets/<id>`).
    pub url: String,
    /// The JSON the agent's view and the CRM receive.
    pub context: Value,
}

/// Any ticket as stored (flow tickets have no queue, reason or context).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct StoredTicket {
    pub id: String,
    pub call_id: String,
    /// `flow` or `handoff`.
    pub kind: String,
    pub created_at: i64,
    pub summary: String,
    /// `[name, value]` pairs, in the order the flow set them.
    #[schema(value_type = Vec<Vec<String>>)]
    pub fields: Vec<(String, String)>,
    pub queue: Option<String>,
    pub reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub context: Option<Value>,
}

/// The context JSON of a handoff ticket, from the call record and its turns.
pub fn handoff_context(
    ticket: &str,
    url: &str,
    call: &CallRecord,
    turns: &[TurnRecord],
    queue: &str,
    reason: &str,
) -> Value {
    let transcript: Vec<Value> = turns
        .iter()
        .map(|t| {
            json!({
                "seq": t.seq,
                "caller": t.caller_text,
                "dtmf": t.caller_dtmf,
                "bot": t.bot_text,
                "intent": t.intent,
                "score": t.match_score,
            })
        })
        .collect();
    let mut intents: Vec<&str> = Vec::new();
    for intent in turns.iter().filter_map(|t| t.intent.as_deref()) {
        if !intents.contains(&intent) {
            intents.push(intent);
        }
    }
    let mut slots = Map::new();
    for line in turns
        .iter()
        .filter_map(|t| t.trace.as_deref())
        .flat_map(str::lines)
    {
        if let Some((name, value)) = line
            .strip_prefix("slot ")
            .and_then(|rest| rest.split_once(" = "))
        {
            slots.insert(name.trim().to_string(), Value::from(value.trim()));
        }
    }
    let sentiment: Vec<Value> = turns
        .iter()
        .filter(|t| t.sentiment.is_some() || t.anger.is_some())
        .map(|t| json!({"seq": t.seq, "sentiment": t.sentiment, "anger": t.anger}))
        .collect();
    json!({
        "ticket": ticket,
        "url": url,
        "call": {
            "id": call.id,
            "caller": call.caller,
            "caller_key": call.caller_key,
            "started_at": call.started_at,
        },
        "queue": queue,
        "reason": reason,
        "transcript": transcript,
        "intents": intents,
        "slots": slots,
        "sentiment": sentiment,
    })
}

/// A one-line summary of a handoff context for a SIP header (e.g. `X-Hotline-Summary`):
/// `intent=order_tracking; reason=anger; anger=0.91; turns=4`. Printable ASCII only, no CR/LF,
/// at most [`SUMMARY_MAX`] characters.
pub fn summary_header(context: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(intent) = context["intents"].as_array().and_then(|a| a.last()) {
        if let Some(intent) = intent.as_str() {
            parts.push(format!("intent={intent}"));
        }
    }
    if let Some(queue) = context["queue"].as_str() {
        parts.push(format!("queue={queue}"));
    }
    if let Some(reason) = context["reason"].as_str() {
        parts.push(format!("reason={reason}"));
    }
    let last_anger = context["sentiment"]
        .as_array()
        .and_then(|a| a.iter().rev().find_map(|s| s["anger"].as_f64()));
    if let Some(anger) = last_anger {
        parts.push(format!("anger={anger:.2}"));
    }
    if let Some(turns) = context["transcript"].as_array() {
        parts.push(format!("turns={}", turns.len()));
    }
    if let Some(slots) = context["slots"].as_object() {
        let mut slots: Vec<(&String, &Value)> = slots.iter().collect();
        slots.sort_by_key(|(name, _)| *name);
        for (name, value) in slots {
            parts.push(format!("{name}={}", value.as_str().unwrap_or_default()));
        }
    }
    let clean: String = parts
        .join("; ")
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let mut out = clean;
    if out.len() > SUMMARY_MAX {
        // Cut at the last separator that fits, so no part is half shown.
        let cut = out[..SUMMARY_MAX].rfind("; ").unwrap_or(SUMMARY_MAX);
        out.truncate(cut);
    }
    out
}

/// The longest [`summary_header`].
pub const SUMMARY_MAX: usize = 200;

impl Store {
    /// Creates a handoff ticket for `call_id` with the conversation so far; when a webhook is
    /// configured ([`Store::with_webhook`]), its POST joins the outbox in the same transaction and
    /// the webhook worker is woken. `ticket_base_url` is `admin.public_url` or the admin address.
    pub async fn create_handoff_ticket(
        &self,
        call_id: &str,
        queue: &str,
        reason: &str,
        at: i64,
        ticket_base_url: &str,
    ) -> Result<HandoffTicket, HotlineError> {
        let call = self
            .find_call(call_id)
            .await?
            .ok_or_else(|| HotlineError::BadValue {
                what: "handoff ticket call",
                value: call_id.into(),
                expected: "the id of a recorded call",
            })?;
        let turns = self.turns(&call.id).await?;
        let id = format!("T-{}", uuid::Uuid::now_v7().simple());
        let url = format!("{}/api/tickets/{id}", ticket_base_url.trim_end_matches('/'));
        let context = handoff_context(&id, &url, &call, &turns, queue, reason);
        let body = context.to_string();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO tickets (id, call_id, created_at, summary, fields, kind, reason, queue, context)
             VALUES (?, ?, ?, ?, '[]', 'handoff', ?, ?, ?)",
        )
        .bind(&id)
        .bind(&call.id)
        .bind(at)
        .bind(summary_header(&context))
        .bind(reason)
        .bind(queue)
        .bind(&body)
        .execute(&mut *tx)
        .await?;
        if let Some(webhook) = &self.webhook_url {
            super::outbox::insert(&mut tx, webhook, &body, at).await?;
        }
        tx.commit().await?;
        if self.webhook_url.is_some() {
            self.outbox_added.notify_one();
        }
        Ok(HandoffTicket { id, url, context })
    }

    /// Any ticket by id.
    pub async fn ticket(&self, id: &str) -> Result<Option<StoredTicket>, HotlineError> {
        let Some(r) = sqlx::query("SELECT * FROM tickets WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let fields: String = r.try_get("fields")?;
        let context: Option<String> = r.try_get("context")?;
        Ok(Some(StoredTicket {
            id: r.try_get("id")?,
            call_id: r.try_get("call_id")?,
            kind: r.try_get("kind")?,
            created_at: r.try_get("created_at")?,
            summary: r.try_get("summary")?,
            fields: serde_json::from_str(&fields).unwrap_or_default(),
            queue: r.try_get("queue")?,
            reason: r.try_get("reason")?,
            context: context.and_then(|c| serde_json::from_str(&c).ok()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{sample_call, temp_db};

    fn turns() -> Vec<TurnRecord> {
        vec![
            TurnRecord {
                call_id: "c1".into(),
                seq: 1,
                at: 200,
                caller_text: Some("where is my order".into()),
                intent: Some("order_tracking".into()),
                match_score: Some(0.82),
                bot_text: Some("What is your order number?".into()),
                sentiment: Some(-0.2),
                anger: Some(0.3),
                ..Default::default()
            },
            TurnRecord {
                call_id: "c1".into(),
                seq: 2,
                at: 300,
                caller_dtmf: Some("4567".into()),
                bot_text: Some("I cannot find order 4567.".into()),
                trace: Some("slot order_number = 4567\nhttp GET http://shop/orders/4567".into()),
                ..Default::default()
            },
            TurnRecord {
                call_id: "c1".into(),
                seq: 3,
                at: 400,
                caller_text: Some("this is ridiculous, where is my order".into()),
                intent: Some("order_tracking".into()),
                match_score: Some(0.7),
                sentiment: Some(-0.8),
                anger: Some(0.91),
                trace: Some("slot date = 2026-11-23".into()),
                ..Default::default()
            },
        ]
    }

    #[test]
    fn context_holds_transcript_intents_slots_and_mood() {
        let call = sample_call("c1", 100);
        let c = handoff_context(
            "T-1",
            "http://h/api/tickets/T-1",
            &call,
            &turns(),
            "support",
            "anger",
        );
        assert_eq!(c["ticket"], "T-1");
        assert_eq!(c["call"]["caller_key"], "alice");
        assert_eq!(c["call"]["started_at"], 100);
        assert_eq!(c["transcript"].as_array().unwrap().len(), 3);
        assert_eq!(c["transcript"][1]["dtmf"], "4567");
        assert_eq!(c["transcript"][1]["caller"], Value::Null);
        assert_eq!(c["transcript"][0]["score"], 0.82);
        assert_eq!(c["intents"], json!(["order_tracking"]));
        assert_eq!(
            c["slots"],
            json!({"order_number": "4567", "date": "2026-11-23"})
        );
        assert_eq!(
            c["sentiment"],
            json!([{"seq": 1, "sentiment": -0.2, "anger": 0.3}, {"seq": 3, "sentiment": -0.8, "anger": 0.91}])
        );
        assert_eq!(
            summary_header(&c),
            "intent=order_tracking; queue=support; reason=anger; anger=0.91; turns=3; date=2026-11-23; order_number=4567"
        );
    }

    #[test]
    fn summary_is_one_short_ascii_line() {
        let long = "x".repeat(150);
        let c = json!({
            "intents": ["straße\r\nInjected: yes"],
            "reason": "caller asked",
            "transcript": [],
            "slots": {"a": long, "b": long},
        });
        let s = summary_header(&c);
        assert!(s.len() <= SUMMARY_MAX, "{} chars", s.len());
        assert!(s.chars().all(|c| (' '..='~').contains(&c)), "{s:?}");
        assert!(
            s.starts_with("intent=stra_e__Injected: yes; reason=caller asked; turns=0"),
            "{s}"
        );
        assert!(!s.ends_with("; "), "{s}");
    }

    #[tokio::test]
    async fn a_handoff_ticket_is_stored_and_queued_for_the_webhook() {
        let path = temp_db("handoff");
        let store = Store::open(&path)
            .await
            .unwrap()
            .with_webhook(Some("http://crm.local/hook"));
        store.call_started(&sample_call("c1", 100)).await.unwrap();
        for t in turns() {
            store.add_turn(&t).await.unwrap();
        }
        let ticket = store
            .create_handoff_ticket("c1", "support", "anger", 500, "http://127.0.0.1:8080/")
            .await
            .unwrap();
        assert!(ticket.id.starts_with("T-"));
        assert_eq!(
            ticket.url,
            format!("http://127.0.0.1:8080/api/tickets/{}", ticket.id)
        );
        assert_eq!(ticket.context["url"], ticket.url.as_str());

        let stored = store.ticket(&ticket.id).await.unwrap().unwrap();
        assert_eq!(stored.kind, "handoff");
        assert_eq!(stored.queue.as_deref(), Some("support"));
        assert_eq!(stored.context.as_ref(), Some(&ticket.context));
        assert!(stored.summary.contains("reason=anger"));
        assert_eq!(store.ticket("T-none").await.unwrap(), None);

        let due = store.due_webhooks(500, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].url, "http://crm.local/hook");
        let body: Value = serde_json::from_str(&due[0].body).unwrap();
        assert_eq!(body, ticket.context);

        // Without a webhook: the ticket, no outbox row; a flow ticket reads back as kind flow.
        let plain = Store::open(&path).await.unwrap();
        plain
            .create_handoff_ticket("c1", "support", "asked", 600, "http://x")
            .await
            .unwrap();
        assert_eq!(plain.webhook_pending().await.unwrap(), 1);
        let flow_id = plain.create_ticket("c1", "note", &[], 700).await.unwrap();
        let flow = plain.ticket(&flow_id).await.unwrap().unwrap();
        assert_eq!((flow.kind.as_str(), flow.context), ("flow", None));
        assert!(plain
            .create_handoff_ticket("nobody", "support", "asked", 600, "http://x")
            .await
            .is_err());
    }
}
