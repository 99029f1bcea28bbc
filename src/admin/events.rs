//! `GET /api/events`: the calls on record as they change, as server-sent events, so the console
//! shows calls and their transcript lines as they are stored instead of polling. One-way is all a
//! supervisor's live view needs; changes go back through ordinary POSTs with the CSRF token.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::AdminState;
use crate::store::CallEvent;

/// The SSE frame of a call event.
pub fn frame(event: &CallEvent) -> Event {
    Event::default().event(event.name()).data(event.to_json())
}

/// Sent instead of the events a slow reader missed: the page reloads its lists.
fn lagged(missed: u64) -> Event {
    Event::default()
        .event("lagged")
        .data(format!("{{\"missed\":{missed}}}"))
}

#[utoipa::path(get, path = "/api/events", tag = "calls",
    responses((status = 200, description = "Server-sent events: calls and turns as they are stored", body = String, content_type = "text/event-stream")))]
pub async fn events(
    State(s): State<AdminState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = s.store.call_events();
    Sse::new(stream(receiver, s.stop.clone()))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The events until the channel closes or the server stops (so a graceful shutdown does not
/// wait for open consoles).
fn stream(
    receiver: broadcast::Receiver<CallEvent>,
    stop: Option<watch::Receiver<bool>>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold((receiver, stop), |(mut receiver, mut stop)| async move {
        let event = next(&mut receiver, stop.as_mut()).await?;
        Some((Ok(event), (receiver, stop)))
    })
}

/// The next frame, or `None` once the channel is closed or the server stops.
async fn next(
    receiver: &mut broadcast::Receiver<CallEvent>,
    stop: Option<&mut watch::Receiver<bool>>,
) -> Option<Event> {
    let received = async {
        match receiver.recv().await {
            Ok(event) => Some(frame(&event)),
            Err(RecvError::Lagged(missed)) => Some(lagged(missed)),
            Err(RecvError::Closed) => None,
        }
    };
    match stop {
        Some(stop) if *stop.borrow() => None,
        Some(stop) => tokio::select! {
            event = received => event,
            _ = stop.changed() => None,
        },
        None => received.await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn the_stream_forwards_events_and_ends_when_the_server_stops() {
        let (sender, receiver) = broadcast::channel(4);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut events = Box::pin(stream(receiver, Some(stop_rx)));
        sender
            .send(CallEvent::CallEnded {
                call_id: "c1".into(),
                at: 1,
                cause: "caller-bye".into(),
            })
            .unwrap();
        assert!(events.next().await.is_some());
        stop_tx.send(true).unwrap();
        assert!(events.next().await.is_none());
    }

    #[tokio::test]
    async fn the_route_needs_a_supervisor_and_streams_what_the_store_writes() {
        use crate::admin::tests::{serve, token};
        use crate::auth::Role;
        use crate::store::{sample_call, temp_db, Store};
        let store = Store::open(&temp_db("admin-events")).await.unwrap();
        let supervisor = token(&store, "sue", Role::Supervisor).await;
        let agent = token(&store, "ann", Role::Agent).await;
        let config = std::sync::Arc::new(crate::config::Config::load(None).unwrap());
        let base = serve(AdminState::new(store.clone(), config)).await;
        let url = format!("{base}/api/events");
        let client = reqwest::Client::new();
        assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
        let refused = client.get(&url).bearer_auth(&agent).send().await.unwrap();
        assert_eq!(refused.status(), 403);

        let mut stream = client
            .get(&url)
            .bearer_auth(&supervisor)
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        assert_eq!(stream.headers()["content-type"], "text/event-stream");
        store.call_started(&sample_call("c1", 100)).await.unwrap();
        let mut text = String::new();
        while !text.contains("\n\n") {
            let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
                .await
                .expect("an event within 5 s")
                .unwrap()
                .expect("the stream stays open");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(
            text.starts_with(
                "event: call_started\ndata: {\"kind\":\"call_started\",\"call\":{\"id\":\"c1\""
            ),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_slow_reader_is_told_it_missed_events() {
        let (sender, receiver) = broadcast::channel(1);
        for at in 0..3 {
            sender
                .send(CallEvent::CallEnded {
                    call_id: "c1".into(),
                    at,
                    cause: "x".into(),
                })
                .unwrap();
        }
        let mut events = Box::pin(stream(receiver, None));
        // The first item is the notice, then the newest event.
        assert!(events.next().await.is_some());
        assert!(events.next().await.is_some());
    }
}
