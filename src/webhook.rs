//! Delivers the webhook outbox to the CRM in the background, with retries, so a slow or broken
//! CRM never holds up a call: call tasks only add a row and wake this task.
//!
//! Rows are the truth: deliveries still pending after a crash are sent after the restart.

use std::time::Duration;

use crate::config::WebhookConfig;
use crate::error::HotlineError;
use crate::store::{unix_ms, OutboxRow, Store};

/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);
/// How long one POST may take.
pub const POST_TIMEOUT: Duration = Duration::from_secs(5);
/// Look at the outbox at least this often even without a wake-up (another process may add rows).
const IDLE_POLL: Duration = Duration::from_secs(30);

/// The wait after the `attempts`-th failed attempt: `first_retry * 2^(attempts-1)`, at most 5 min.
pub fn retry_delay(first_retry: Duration, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    first_retry
        .checked_mul(1u32 << doublings)
        .unwrap_or(MAX_RETRY_DELAY)
        .min(MAX_RETRY_DELAY)
}

/// Runs until `shutdown` flips to true.
pub async fn run(
    store: Store,
    http: reqwest::Client,
    settings: WebhookConfig,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let added = store.outbox_added();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let wait = match deliver_due(&store, &http, &settings).await {
            Ok(()) => match store.next_webhook_due().await {
                Ok(Some(next)) => Duration::from_millis((next - unix_ms()).max(0) as u64),
                Ok(None) => IDLE_POLL,
                Err(e) => {
                    tracing::warn!("webhook outbox: {e}");
                    IDLE_POLL
                }
            },
            Err(e) => {
                tracing::warn!("webhook outbox: {e}");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            _ = added.notified() => {}
            _ = tokio::time::sleep(wait.min(IDLE_POLL)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn deliver_due(
    store: &Store,
    http: &reqwest::Client,
    settings: &WebhookConfig,
) -> Result<(), HotlineError> {
    loop {
        let due = store.due_webhooks(unix_ms(), 20).await?;
        if due.is_empty() {
            return Ok(());
        }
        for row in due {
            match post(http, &row, settings.secret.as_deref()).await {
                Ok(()) => {
                    store.webhook_delivered(row.id, unix_ms()).await?;
                    tracing::info!("webhook {} delivered to {}", row.id, row.url);
                }
                Err(error) => {
                    let error = error.to_string();
                    let attempts = row.attempts as u32 + 1;
                    if attempts >= settings.max_attempts {
                        tracing::error!(
                            "webhook {} to {} failed {attempts} times, giving up: {error}",
                            row.id,
                            row.url
                        );
                        store.webhook_attempt_failed(row.id, &error, None).await?;
                    } else {
                        let delay = retry_delay(settings.first_retry, attempts);
                        tracing::warn!(
                            "webhook {} to {} failed (attempt {attempts}), retrying in {delay:?}: {error}",
                            row.id,
                            row.url
                        );
                        let retry_at = unix_ms() + delay.as_millis() as i64;
                        store
                            .webhook_attempt_failed(row.id, &error, Some(retry_at))
                            .await?;
                    }
                }
            }
        }
    }
}

async fn post(
    http: &reqwest::Client,
    row: &OutboxRow,
    secret: Option<&str>,
) -> Result<(), HotlineError> {
    let mut request = http
        .post(&row.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .timeout(POST_TIMEOUT);
    // Signed at each attempt, so the timestamp says when this POST left.
    let now = unix_ms() / 1000;
    for (name, value) in crate::webhook_signature::headers(secret, now, &row.body) {
        request = request.header(name, value);
    }
    let response = request
        .body(row.body.clone())
        .send()
        .await
        .map_err(|source| HotlineError::WebhookUnreachable { source })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(HotlineError::WebhookRefused { status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};

    use axum::http::{HeaderMap, StatusCode};

    #[test]
    fn retries_double_up_to_five_minutes() {
        let first = Duration::from_secs(2);
        assert_eq!(retry_delay(first, 1), Duration::from_secs(2));
        assert_eq!(retry_delay(first, 2), Duration::from_secs(4));
        assert_eq!(retry_delay(first, 4), Duration::from_secs(16));
        assert_eq!(retry_delay(first, 8), Duration::from_secs(256));
        assert_eq!(retry_delay(first, 9), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(first, 60), MAX_RETRY_DELAY);
    }

    /// A CRM that answers 503 twice, then 200; it records every body and content type.
    async fn flaky_crm() -> (String, Arc<Mutex<Vec<(String, String)>>>) {
        let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let calls = Arc::new(AtomicU32::new(0));
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post({
                let seen = Arc::clone(&seen);
                move |headers: HeaderMap, body: String| {
                    let seen = Arc::clone(&seen);
                    let calls = Arc::clone(&calls);
                    async move {
                        let kind = headers
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        seen.lock().unwrap().push((kind, body));
                        if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                            StatusCode::SERVICE_UNAVAILABLE
                        } else {
                            StatusCode::OK
                        }
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/hook"), seen)
    }

    async fn wait_for_status(store: &Store, id: i64, status: &str) -> OutboxRow {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let row = store.webhook_row(id).await.unwrap().unwrap();
            if row.status == status {
                return row;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "row never became {status}: {row:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn delivered_on_the_third_attempt_after_two_failures() {
        let (url, seen) = flaky_crm().await;
        let store = Store::open(&crate::store::temp_db("webhook-retry"))
            .await
            .unwrap();
        let id = store
            .enqueue_webhook(&url, r#"{"ticket":"T-1"}"#, unix_ms())
            .await
            .unwrap();
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let settings = WebhookConfig {
            url: Some(url.clone()),
            secret: None,
            max_attempts: 10,
            first_retry: Duration::from_millis(50),
        };
        let worker = tokio::spawn(run(
            store.clone(),
            reqwest::Client::new(),
            settings,
            shutdown,
        ));
        let row = wait_for_status(&store, id, "delivered").await;
        assert_eq!(row.attempts, 3);
        assert_eq!(
            row.last_error.as_deref(),
            Some("HTTP 503 Service Unavailable")
        );
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3);
        for (kind, body) in &seen {
            assert_eq!(kind, "application/json");
            assert_eq!(body, r#"{"ticket":"T-1"}"#);
        }
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(2), worker)
            .await
            .expect("the worker stops on shutdown")
            .unwrap();
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts() {
        let (url, seen) = flaky_crm().await;
        let store = Store::open(&crate::store::temp_db("webhook-give-up"))
            .await
            .unwrap();
        let id = store.enqueue_webhook(&url, "{}", unix_ms()).await.unwrap();
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        let settings = WebhookConfig {
            url: Some(url),
            secret: None,
            max_attempts: 2,
            first_retry: Duration::from_millis(20),
        };
        tokio::spawn(run(
            store.clone(),
            reqwest::Client::new(),
            settings,
            shutdown,
        ));
        let row = wait_for_status(&store, id, "failed").await;
        assert_eq!(row.attempts, 2);
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn each_post_is_signed_with_the_secret() {
        let seen: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post({
                let seen = Arc::clone(&seen);
                move |headers: HeaderMap, body: String| {
                    let seen = Arc::clone(&seen);
                    async move {
                        let get = |name: &str| {
                            headers
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string()
                        };
                        seen.lock().unwrap().push((
                            get("x-hotline-timestamp"),
                            get("x-hotline-signature"),
                            body,
                        ));
                        StatusCode::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let store = Store::open(&crate::store::temp_db("webhook-signed"))
            .await
            .unwrap();
        let id = store
            .enqueue_webhook(&url, r#"{"ticket":"T-9"}"#, unix_ms())
            .await
            .unwrap();
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        let settings = WebhookConfig {
            url: Some(url),
            secret: Some("whsec_test".into()),
            max_attempts: 3,
            first_retry: Duration::from_millis(20),
        };
        tokio::spawn(run(
            store.clone(),
            reqwest::Client::new(),
            settings,
            shutdown,
        ));
        wait_for_status(&store, id, "delivered").await;
        let seen = seen.lock().unwrap().clone();
        let (timestamp, signature, body) = &seen[0];
        let sent: i64 = timestamp.parse().expect("a Unix timestamp");
        assert!((unix_ms() / 1000 - sent).abs() < 60);
        assert_eq!(
            *signature,
            crate::webhook_signature::signature("whsec_test", sent, body)
        );
    }
}
