//! Call events as they are stored: a call started, a turn stored, a call ended. The store
//! publishes each one on a broadcast channel right after writing it, so the console's live view
//! shows exactly what the record keeps (sensitive answers already withheld) and every call path
//! (inbound, outbound) is covered by the one place that writes calls.

use serde::Serialize;
use tokio::sync::broadcast;

use super::{CallRecord, TurnRecord};

/// How many events a slow listener may fall behind before it is told it lost some.
pub const LIVE_EVENTS_CAPACITY: usize = 512;

/// One change to the calls on record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallEvent {
    /// A call was recorded (inbound or outbound), before it is answered.
    CallStarted { call: CallRecord },
    /// A turn was stored: what the caller said or pressed (redacted as stored) and the answer.
    Turn { turn: TurnRecord },
    /// A call ended (published once, with the cause that was kept).
    CallEnded {
        call_id: String,
        at: i64,
        cause: String,
    },
}

impl CallEvent {
    /// The server-sent event's name (`event:` line), which the console listens for.
    pub fn name(&self) -> &'static str {
        match self {
            CallEvent::CallStarted { .. } => "call_started",
            CallEvent::Turn { .. } => "turn",
            CallEvent::CallEnded { .. } => "call_ended",
        }
    }

    /// The event's JSON (`data:` line); one line, as JSON never needs a raw newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// The sending side, shared by every clone of the store.
#[derive(Clone)]
pub struct LiveEvents {
    sender: broadcast::Sender<CallEvent>,
}

impl Default for LiveEvents {
    fn default() -> LiveEvents {
        LiveEvents {
            sender: broadcast::channel(LIVE_EVENTS_CAPACITY).0,
        }
    }
}

impl LiveEvents {
    /// Sends to whoever listens; nobody listening is not an error.
    pub fn publish(&self, event: CallEvent) {
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CallEvent> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_their_kind() {
        let ended = CallEvent::CallEnded {
            call_id: "c1".into(),
            at: 5,
            cause: "caller-bye".into(),
        };
        assert_eq!(ended.name(), "call_ended");
        assert_eq!(
            ended.to_json(),
            r#"{"kind":"call_ended","call_id":"c1","at":5,"cause":"caller-bye"}"#
        );
        let turn = CallEvent::Turn {
            turn: TurnRecord {
                call_id: "c1".into(),
                seq: 2,
                caller_text: Some("line one\nline two".into()),
                ..TurnRecord::default()
            },
        };
        assert_eq!(turn.name(), "turn");
        let json = turn.to_json();
        assert!(!json.contains('\n'), "one data line: {json}");
        assert!(
            json.starts_with(r#"{"kind":"turn","turn":{"call_id":"c1","seq":2,"#),
            "{json}"
        );
        assert!(json.contains(r#""caller_text":"line one\nline two""#));
    }

    #[tokio::test]
    async fn the_store_publishes_what_it_stores_once() {
        let store = super::super::Store::open(&super::super::temp_db("live-events"))
            .await
            .unwrap();
        let mut events = store.call_events();
        store
            .call_started(&super::super::sample_call("c1", 100))
            .await
            .unwrap();
        store
            .add_turn(&TurnRecord {
                call_id: "c1".into(),
                seq: 1,
                caller_text: Some(hotline_flow::privacy::WITHHELD.into()),
                ..TurnRecord::default()
            })
            .await
            .unwrap();
        store.call_ended("c1", 300, "caller-bye").await.unwrap();
        store.call_ended("c1", 400, "late-bye").await.unwrap();
        let names: Vec<&str> = (0..3)
            .map(|_| events.try_recv().unwrap())
            .map(|e| {
                if let CallEvent::Turn { turn } = &e {
                    assert_eq!(
                        turn.caller_text.as_deref(),
                        Some(hotline_flow::privacy::WITHHELD)
                    );
                }
                e.name()
            })
            .collect();
        assert_eq!(names, ["call_started", "turn", "call_ended"]);
        assert!(events.try_recv().is_err(), "a second end is not published");
    }
}
