//! The admin HTTP API: call records, tickets, queue figures and Prometheus `/metrics`, for
//! supervisors, agents' phones and monitoring. Read-only over the store; agent routes (state
//! changes) are merged in by the server from the queue/agent side. Every `/api` route sits behind
//! `guard` (sessions and tokens, roles, CSRF); the console's pages are in `console`.

pub mod agents;
pub mod analytics;
pub mod answers;
pub mod campaigns;
pub mod console;
pub mod do_not_call;
pub mod events;
pub mod exposition;
pub mod flow_diff;
pub mod flows;
pub mod guard;
pub mod history;
pub mod inspection;
pub mod openapi;
pub mod recordings;
pub mod rejections;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub use exposition::{Metric, MetricKind};

use crate::config::Config;
use crate::error::HotlineError;
use crate::store::{QueueMetrics, Store};

/// Live gauges from the running server (queue lengths, agents' states...), added to `/metrics`.
/// Their names must differ from the store-derived families [`store_metrics`] renders.
pub type LiveMetrics = Arc<dyn Fn() -> Vec<Metric> + Send + Sync>;

/// The service-level target of a queue without its own: 80/20 is the usual contact-center goal.
pub const DEFAULT_SERVICE_LEVEL: Duration = Duration::from_secs(20);

/// What the admin handlers share.
#[derive(Clone)]
pub struct AdminState {
    pub store: Store,
    pub config: Arc<Config>,
    pub live: LiveMetrics,
    /// Answer-time targets per queue (from the queues file); others use `default_service_level`.
    pub service_levels: Arc<HashMap<String, Duration>>,
    pub default_service_level: Duration,
    /// Failed logins per name and address.
    pub throttle: Arc<std::sync::Mutex<crate::auth::throttle::Throttle>>,
    /// Where voicemails and bridge recordings are (`recordings/` beside the database).
    pub recordings_dir: PathBuf,
    /// Turns true when the server stops, ending the open event streams; `None`: never.
    pub stop: Option<tokio::sync::watch::Receiver<bool>>,
    /// Groups the analytics' unanswered questions by meaning as `hotline faq gaps` does; `None`
    /// (no model loaded): each distinct wording is its own group.
    pub encoder: Option<Arc<hotline_nlu::SentenceEncoder>>,
}

impl AdminState {
    /// No live gauges and the default service level for every queue.
    pub fn new(store: Store, config: Arc<Config>) -> AdminState {
        let recordings_dir = config
            .database
            .parent()
            .map(|d| d.join("recordings"))
            .unwrap_or_else(|| PathBuf::from("recordings"));
        AdminState {
            recordings_dir,
            stop: None,
            encoder: None,
            store,
            config,
            live: Arc::new(Vec::new),
            service_levels: Arc::default(),
            default_service_level: DEFAULT_SERVICE_LEVEL,
            throttle: Arc::new(std::sync::Mutex::new(crate::auth::throttle::Throttle::new(
                crate::auth::throttle::Limits::default(),
            ))),
        }
    }

    /// The login throttle (a poisoned lock is still a throttle).
    pub fn throttle(&self) -> std::sync::MutexGuard<'_, crate::auth::throttle::Throttle> {
        self.throttle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The whole admin server: these routes, the console and `agent_routes`, all behind the guard.
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()` so logins are throttled
/// per client address.
pub fn app(state: AdminState, agent_routes: Router) -> Router {
    router(state.clone())
        .merge(agent_routes)
        .layer(axum::middleware::from_fn_with_state(state, guard::guard))
        .layer(axum::middleware::from_fn(rejections::json_rejections))
}

/// The admin API's routes. Agent routes (`/api/agents`...) are another router, merged with
/// `router(state).merge(agent_routes)` where the server starts this one.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/calls/{id}", get(call))
        .route(
            "/api/calls/{id}/recordings/{name}",
            get(recordings::recording),
        )
        .route("/api/events", get(events::events))
        .route("/api/tickets/{id}", get(ticket))
        .route("/api/queues", get(queues))
        .route("/api/callbacks", get(callbacks))
        .route("/api/agents/{id}/history", get(agent_history))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi::document))
        .merge(console::router())
        .merge(history::router())
        .merge(analytics::router())
        .merge(flows::router())
        .merge(inspection::router())
        .with_state(state)
}

/// An error answer: `{"error": "..."}` with its status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    /// 400 with the sentence saying what is wrong with the request.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl From<HotlineError> for ApiError {
    fn from(e: HotlineError) -> ApiError {
        if matches!(e, HotlineError::BadValue { .. }) {
            return ApiError::bad_request(e.to_string());
        }
        tracing::warn!("admin API: {e}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: e.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

/// Liveness, and whether handoff tickets go to a CRM webhook.
async fn health(State(s): State<AdminState>) -> Json<Value> {
    Json(json!({ "status": "ok", "webhook": s.config.webhook.url.is_some() }))
}

#[utoipa::path(get, path = "/api/calls/{id}", tag = "calls",
    params(("id" = String, Path, description = "The call's id")),
    responses(
        (status = 200, description = "The call, its turns, the flow path, tickets and recordings", body = answers::CallDetail),
        (status = 404, description = "No such call", body = openapi::ErrorBody)))]
async fn call(
    State(s): State<AdminState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let Some(call) = s.store.find_call(&id).await? else {
        return Err(ApiError::not_found(format!("no call {id}")));
    };
    let turns = s.store.turns(&call.id).await?;
    let tickets: Vec<Value> = s
        .store
        .tickets_of_call(&call.id)
        .await?
        .into_iter()
        .map(|t| {
            let fields: serde_json::Map<String, Value> =
                t.fields.into_iter().map(|(k, v)| (k, json!(v))).collect();
            json!({ "id": t.id, "created_at": t.created_at, "summary": t.summary, "fields": fields })
        })
        .collect();
    let path = flow_path(&turns);
    let recordings: Vec<Value> = recordings::recordings_of(&s.recordings_dir, &call.id)
        .into_iter()
        .map(|name| json!({ "url": format!("/api/calls/{}/recordings/{name}", call.id), "name": name }))
        .collect();
    Ok(Json(json!({
        "call": call,
        "turns": turns,
        "path": path,
        "tickets": tickets,
        "recordings": recordings,
    })))
}

/// The flow nodes the call went through, in order, a node repeated only when the call left it
/// and came back.
pub fn flow_path(turns: &[crate::store::TurnRecord]) -> Vec<String> {
    let mut path: Vec<String> = Vec::new();
    for node in turns.iter().filter_map(|t| t.node.as_deref()) {
        if path.last().map(String::as_str) != Some(node) {
            path.push(node.to_string());
        }
    }
    path
}

#[utoipa::path(get, path = "/api/tickets/{id}", tag = "tickets",
    params(("id" = String, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket with the conversation so far", body = crate::store::StoredTicket),
        (status = 404, description = "No such ticket", body = openapi::ErrorBody)))]
async fn ticket(
    State(s): State<AdminState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match s.store.ticket(&id).await? {
        Some(ticket) => Ok(Json(json!(ticket))),
        None => Err(ApiError::not_found(format!("no ticket {id}"))),
    }
}

/// Callers waiting to be called back (pending jobs), oldest first.
#[utoipa::path(get, path = "/api/callbacks", tag = "queues",
    responses((status = 200, description = "Pending callback requests, oldest first", body = Vec<crate::store::CallbackRecord>)))]
async fn callbacks(
    State(s): State<AdminState>,
) -> Result<Json<Vec<crate::store::CallbackRecord>>, ApiError> {
    Ok(Json(s.store.pending_callbacks().await?))
}

/// An agent's last 100 state changes, newest first.
#[utoipa::path(get, path = "/api/agents/{id}/history", tag = "agents",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 200, description = "The agent's last 100 state changes, newest first", body = Vec<crate::store::AgentEvent>)))]
async fn agent_history(
    State(s): State<AdminState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<crate::store::AgentEvent>>, ApiError> {
    Ok(Json(s.store.agent_history(&id, 100).await?))
}

/// A queue's figures as JSON (durations in seconds).
pub fn queue_json(m: &QueueMetrics) -> Value {
    json!({
        "queue": m.queue,
        "entered": m.entered,
        "answered": m.answered,
        "answered_within_sl": m.answered_within_sl,
        "abandoned": m.abandoned,
        "overflowed": m.overflowed,
        "callbacks": m.callbacks,
        "service_level": m.service_level,
        "abandonment_rate": m.abandonment_rate,
        "average_handle_time_seconds": m.average_handle_time.map(|d| d.as_secs_f64()),
    })
}

#[utoipa::path(get, path = "/api/queues", tag = "queues",
    responses((status = 200, description = "Each queue's figures and callers waiting now", body = Vec<answers::QueueView>)))]
async fn queues(State(s): State<AdminState>) -> Result<Json<Value>, ApiError> {
    let metrics = s
        .store
        .queue_metrics(&s.service_levels, s.default_service_level)
        .await?;
    let live = (s.live)();
    let gauge = |name: &str, queue: &str| -> f64 {
        live.iter()
            .filter(|m| m.name == name)
            .flat_map(|m| m.samples.iter())
            .find(|(labels, _)| labels.iter().any(|(k, v)| k == "queue" && v == queue))
            .map(|(_, value)| *value)
            .unwrap_or(0.0)
    };
    let mut answer: Vec<Value> = metrics.iter().map(queue_json).collect();
    // Queues nobody entered yet are not in the store's figures but may be in the live gauges.
    let mut names: Vec<String> = metrics.iter().map(|m| m.queue.clone()).collect();
    for (labels, _) in live
        .iter()
        .filter(|m| m.name == "hotline_queue_waiting")
        .flat_map(|m| m.samples.iter())
    {
        if let Some((_, queue)) = labels.iter().find(|(k, _)| k == "queue") {
            if !names.contains(queue) {
                names.push(queue.clone());
                answer.push(json!({ "queue": queue }));
            }
        }
    }
    for (entry, queue) in answer.iter_mut().zip(&names) {
        entry["waiting"] = json!(gauge("hotline_queue_waiting", queue));
        entry["longest_wait_seconds"] = json!(gauge("hotline_queue_longest_wait_seconds", queue));
    }
    Ok(Json(Value::Array(answer)))
}

async fn metrics(State(s): State<AdminState>) -> Result<Response, ApiError> {
    let mut families = store_metrics(&s).await?;
    families.extend((s.live)());
    families.push(rtp_drop_metric());
    Ok((
        [(header::CONTENT_TYPE, exposition::CONTENT_TYPE)],
        exposition::render(&families),
    )
        .into_response())
}

/// RTP datagrams every call's link dropped since the process started, by reason.
pub fn rtp_drop_metric() -> Metric {
    hotline_media::DropReason::ALL.iter().fold(
        Metric::new(
            "hotline_rtp_packets_dropped_total",
            "RTP datagrams dropped: foreign_source (not the SDP's source), probation (a new port \
             on the caller's IP, not yet proven), too_big, rate (beyond rtp.max_packet_rate), \
             not_rtp; on SRTP calls srtp_auth (tag does not match) and srtp_replay.",
            MetricKind::Counter,
        ),
        |m, reason| {
            m.sample(
                &[("reason", reason.label())],
                crate::call::rtp::RTP_DROPS.get(*reason) as f64,
            )
        },
    )
}

/// The families computed from the call, queue, offer and outbox rows.
pub async fn store_metrics(s: &AdminState) -> Result<Vec<Metric>, HotlineError> {
    use MetricKind::{Counter, Gauge};
    let (total, active) = s.store.call_counts().await?;
    let queues = s
        .store
        .queue_metrics(&s.service_levels, s.default_service_level)
        .await?;
    let agents = s.store.agent_metrics().await?;
    let pending = s.store.webhook_pending().await?;

    let per_queue = |name: &str, help: &str, kind, value: &dyn Fn(&QueueMetrics) -> Option<f64>| {
        queues
            .iter()
            .fold(Metric::new(name, help, kind), |m, q| match value(q) {
                Some(v) => m.sample(&[("queue", &q.queue)], v),
                None => m,
            })
    };
    let mut out = vec![
        Metric::new(
            "hotline_calls_total",
            "Calls recorded since the database was created.",
            Counter,
        )
        .sample(&[], total as f64),
        Metric::new("hotline_calls_active", "Calls in progress.", Gauge).sample(&[], active as f64),
        per_queue(
            "hotline_queue_entered_total",
            "Callers who entered the queue.",
            Counter,
            &|q| Some(q.entered as f64),
        ),
        per_queue(
            "hotline_queue_answered_total",
            "Queued callers an agent answered.",
            Counter,
            &|q| Some(q.answered as f64),
        ),
        per_queue(
            "hotline_queue_abandoned_total",
            "Queued callers who hung up while waiting.",
            Counter,
            &|q| Some(q.abandoned as f64),
        ),
        per_queue(
            "hotline_queue_overflowed_total",
            "Queued callers sent on to voicemail, callback, hang-up or another queue.",
            Counter,
            &|q| Some(q.overflowed as f64),
        ),
        per_queue(
            "hotline_queue_callbacks_total",
            "Callback requests recorded for the queue.",
            Counter,
            &|q| Some(q.callbacks as f64),
        ),
        per_queue(
            "hotline_queue_service_level_ratio",
            "Answered within the service-level target over answered plus abandoned.",
            Gauge,
            &|q| q.service_level,
        ),
        per_queue(
            "hotline_queue_abandonment_ratio",
            "Abandoned over entered.",
            Gauge,
            &|q| q.abandonment_rate,
        ),
        per_queue(
            "hotline_queue_average_handle_time_seconds",
            "Mean time from an agent's answer to the end of the call.",
            Gauge,
            &|q| q.average_handle_time.map(|d| d.as_secs_f64()),
        ),
    ];
    let per_agent = |name: &str, help: &str, value: &dyn Fn(&crate::store::AgentMetrics) -> f64| {
        agents
            .iter()
            .fold(Metric::new(name, help, Counter), |m, a| {
                m.sample(&[("agent", &a.agent)], value(a))
            })
    };
    out.push(per_agent(
        "hotline_agent_offered_total",
        "Calls rung at the agent.",
        &|a| a.offered as f64,
    ));
    out.push(per_agent(
        "hotline_agent_answered_total",
        "Calls the agent answered.",
        &|a| a.answered as f64,
    ));
    out.push(per_agent(
        "hotline_agent_missed_total",
        "Calls that rang out at the agent unanswered.",
        &|a| a.missed as f64,
    ));
    out.push(per_agent(
        "hotline_agent_talk_seconds_total",
        "Time the agent spent on queued calls.",
        &|a| a.talk_time.as_secs_f64(),
    ));
    out.push(
        Metric::new(
            "hotline_webhook_pending",
            "Webhook deliveries not yet accepted by the CRM.",
            Gauge,
        )
        .sample(&[], pending as f64),
    );
    out.push(s.store.campaign_outcome_counts().await?.iter().fold(
        Metric::new(
            "hotline_campaign_attempts_total",
            "Campaign call attempts by outcome (answered_person, busy, no_answer, \
                     invalid_number, declined, network_failure, server_restart ...; in_progress \
                     while ringing or talking).",
            Counter,
        ),
        |m, (campaign, outcome, n)| {
            m.sample(&[("campaign", campaign), ("outcome", outcome)], *n as f64)
        },
    ));
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::{sample_call, temp_db, unix_ms};

    #[test]
    fn the_path_lists_each_node_once_per_visit() {
        let turn = |node: Option<&str>| crate::store::TurnRecord {
            node: node.map(str::to_string),
            ..Default::default()
        };
        let turns = [
            turn(Some("greeting")),
            turn(Some("menu")),
            turn(Some("menu")),
            turn(None),
            turn(Some("delivery")),
            turn(Some("menu")),
        ];
        assert_eq!(flow_path(&turns), ["greeting", "menu", "delivery", "menu"]);
        assert!(flow_path(&[]).is_empty());
    }

    /// Serves the whole admin app (behind the guard) on a free port.
    pub(crate) async fn serve(state: AdminState) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app =
            app(state, Router::new()).into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    /// A token of `role` named `name` in the store.
    pub(crate) async fn token(store: &Store, name: &str, role: crate::auth::Role) -> String {
        let token = crate::auth::secret::new_token().unwrap();
        let sha = crate::auth::secret::sha256_hex(&token);
        assert!(store.add_token(name, role, &sha, 1).await.unwrap());
        token
    }

    async fn get_as(url: &str, token: Option<&str>) -> (u16, String, String) {
        let mut request = reqwest::Client::new().get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, kind, r.text().await.unwrap())
    }

    #[tokio::test]
    async fn metrics_open_only_when_configured() {
        let store = Store::open(&temp_db("admin-metrics-open")).await.unwrap();
        let mut config = Config::load(None).unwrap();
        let closed = serve(AdminState::new(store.clone(), Arc::new(config.clone()))).await;
        config.admin.metrics_open = true;
        let open = serve(AdminState::new(store, Arc::new(config))).await;
        assert_eq!(get_as(&format!("{closed}/metrics"), None).await.0, 401);
        assert_eq!(get_as(&format!("{open}/metrics"), None).await.0, 200);
        // Opening /metrics opens nothing else.
        assert_eq!(get_as(&format!("{open}/api/queues"), None).await.0, 401);
    }

    #[tokio::test]
    async fn routes_answer_from_the_store() {
        let store = Store::open(&temp_db("admin-routes")).await.unwrap();
        store.call_started(&sample_call("c1", 100)).await.unwrap();
        store.call_started(&sample_call("c2", 200)).await.unwrap();
        store.call_ended("c2", 300, "caller-bye").await.unwrap();
        store
            .queue_entered("c1", "sales", false, 1000)
            .await
            .unwrap();
        store.queue_offered("c1", "ann", 1000).await.unwrap();
        store
            .offer_outcome("c1", "ann", "answered", 4000)
            .await
            .unwrap();
        store.queue_answered("c1", "ann", 4000).await.unwrap();
        store.queue_finished("c1", "handled", 64000).await.unwrap();
        let ticket = store
            .create_handoff_ticket("c1", "sales", "asked for a human", unix_ms(), "http://x")
            .await
            .unwrap();
        let config = Arc::new(Config::load(None).unwrap());
        let admin = token(&store, "ops", crate::auth::Role::Admin).await;
        let agent = token(&store, "ann", crate::auth::Role::Agent).await;
        let mut state = AdminState::new(store, config);
        state.live = Arc::new(|| {
            vec![Metric::new(
                "hotline_queue_waiting",
                "Callers waiting now.",
                MetricKind::Gauge,
            )
            .sample(&[("queue", "sales")], 2.0)]
        });
        let base = serve(state).await;
        let get_text = |url: String| {
            let admin = admin.clone();
            async move { get_as(&url, Some(&admin)).await }
        };

        // No token: 401 with a JSON error; a wrong one too; an agent's: 403 off their routes.
        for path in ["/api/calls/c1", "/api/queues", "/metrics", "/api/audit"] {
            let (status, kind, body) = get_as(&format!("{base}{path}"), None).await;
            assert_eq!(status, 401, "{path}");
            assert!(kind.starts_with("application/json"), "{kind}");
            assert!(body.contains("\"error\""), "{body}");
        }
        let (status, _, _) = get_as(&format!("{base}/api/queues"), Some("hl_nope")).await;
        assert_eq!(status, 401);
        let (status, _, body) = get_as(&format!("{base}/api/queues"), Some(&agent)).await;
        assert_eq!(
            (status, body.as_str()),
            (403, r#"{"error":"the agent role may not GET /api/queues"}"#)
        );
        let (status, _, _) = get_as(&format!("{base}/api/agents/ann/history"), Some(&agent)).await;
        assert_eq!(status, 200);
        let (status, _, _) = get_as(&format!("{base}/api/agents/bob/history"), Some(&agent)).await;
        assert_eq!(status, 403);
        let (status, _, _) = get_as(&format!("{base}/health"), None).await;
        assert_eq!(status, 200);

        let (status, _, body) = get_text(format!("{base}/health")).await;
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"status":"ok","webhook":false}"#)
        );

        let (status, _, body) = get_text(format!("{base}/api/calls/c1")).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["call"]["id"], "c1");
        assert_eq!(v["turns"], json!([]));
        assert_eq!(v["path"], json!([]));
        assert_eq!(v["tickets"][0]["id"], json!(ticket.id));
        assert_eq!(v["recordings"], json!([]));
        let (status, _, _) = get_text(format!("{base}/api/calls/nope")).await;
        assert_eq!(status, 404);

        let (status, _, body) = get_text(format!("{base}/api/tickets/{}", ticket.id)).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["context"], ticket.context);
        assert_eq!(v["kind"], "handoff");
        let (status, kind, body) = get_text(format!("{base}/api/tickets/T-unknown")).await;
        assert_eq!(status, 404);
        assert!(kind.starts_with("application/json"), "{kind}");
        assert_eq!(body, r#"{"error":"no ticket T-unknown"}"#);

        let (status, _, body) = get_text(format!("{base}/api/queues")).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v[0]["queue"], "sales");
        assert_eq!(v[0]["answered_within_sl"], 1);
        assert_eq!(v[0]["average_handle_time_seconds"], 60.0);
        // Callers waiting now come from the live gauges.
        assert_eq!(v[0]["waiting"], 2.0);

        let (status, _, body) = get_text(format!("{base}/api/audit")).await;
        assert_eq!((status, body.as_str()), (200, "[]"));

        let (status, kind, text) = get_text(format!("{base}/metrics")).await;
        assert_eq!(status, 200);
        assert_eq!(kind, exposition::CONTENT_TYPE);
        for line in [
            "# TYPE hotline_calls_total counter",
            "hotline_calls_total 2",
            "hotline_calls_active 1",
            "hotline_queue_entered_total{queue=\"sales\"} 1",
            "hotline_queue_answered_total{queue=\"sales\"} 1",
            "hotline_queue_abandoned_total{queue=\"sales\"} 0",
            "hotline_queue_overflowed_total{queue=\"sales\"} 0",
            "hotline_queue_service_level_ratio{queue=\"sales\"} 1",
            "hotline_queue_average_handle_time_seconds{queue=\"sales\"} 60",
            "hotline_agent_answered_total{agent=\"ann\"} 1",
            "hotline_agent_missed_total{agent=\"ann\"} 0",
            "hotline_agent_talk_seconds_total{agent=\"ann\"} 60",
            "hotline_webhook_pending 0",
            "hotline_queue_waiting{queue=\"sales\"} 2",
            "# TYPE hotline_rtp_packets_dropped_total counter",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "no line {line:?} in\n{text}"
            );
        }
    }
}
