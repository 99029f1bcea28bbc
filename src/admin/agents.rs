//! Agent routes of the admin API: who is logged in and in what state, and state changes from
//! supervisors, agents' desktop tools and `hotline agents`. Each change is written to the
//! audit log with who asked for it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;

use super::guard::Caller;
use super::ApiError;
use crate::center::{AgentCommand, AgentJson, Center, CommandRefused};
use crate::store::{unix_ms, AuditEntry, Store};

/// What the agent routes share: the live agents, and the store for the audit log.
#[derive(Clone)]
struct Agents {
    center: Arc<Center>,
    store: Store,
}

/// `GET /api/agents`, `POST /api/agents/{id}/state`.
pub fn router(center: Arc<Center>, store: Store) -> Router {
    Router::new()
        .route("/api/agents", get(list))
        .route("/api/agents/{id}/state", post(change))
        .with_state(Agents { center, store })
}

#[utoipa::path(get, path = "/api/agents", tag = "agents",
    responses((status = 200, description = "The agents, their states and figures", body = Vec<AgentJson>)))]
async fn list(State(agents): State<Agents>) -> Json<Vec<AgentJson>> {
    Json(agents.center.agents_json())
}

/// The body of a state change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct StateChange {
    /// available, paused (with a reason), logged_out; login or logged_in log in.
    #[schema(
        pattern = "^(available|login|logged_in|paused|logged_out)$",
        example = "available"
    )]
    state: String,
    #[serde(default)]
    reason: Option<String>,
}

#[utoipa::path(post, path = "/api/agents/{id}/state", tag = "agents",
    params(("id" = String, Path, description = "The agent's id")), request_body = StateChange,
    responses(
        (status = 200, description = "The agent in its new state", body = AgentJson),
        (status = 400, description = "Not a state", body = super::openapi::ErrorBody),
        (status = 404, description = "No such agent", body = super::openapi::ErrorBody),
        (status = 409, description = "The change is not possible now", body = super::openapi::ErrorBody)))]
async fn change(
    State(agents): State<Agents>,
    caller: Option<Extension<Caller>>,
    Path(id): Path<String>,
    Json(body): Json<StateChange>,
) -> Result<Json<AgentJson>, ApiError> {
    let asked = match &body.reason {
        Some(reason) => format!("{} ({reason})", body.state),
        None => body.state.clone(),
    };
    let command = match body.state.as_str() {
        "available" => AgentCommand::Available,
        "login" | "logged_in" => AgentCommand::Login,
        "paused" => AgentCommand::Pause(body.reason.unwrap_or_else(|| "paused".into())),
        "logged_out" => AgentCommand::Logout,
        other => {
            return Err(ApiError {
                status: StatusCode::BAD_REQUEST,
                message: format!(
                    "unknown state {other:?}: use available, paused (with a reason) or logged_out"
                ),
            })
        }
    };
    let answer =
        agents
            .center
            .command(&id, command)
            .await
            .map(Json)
            .map_err(|refused| match refused {
                CommandRefused::UnknownAgent(agent) => {
                    ApiError::not_found(format!("no agent {agent}"))
                }
                CommandRefused::Conflict(message) => ApiError {
                    status: StatusCode::CONFLICT,
                    message,
                },
            });
    let caller = caller.map(|Extension(c)| c);
    let actor = caller
        .as_ref()
        .and_then(|c| c.principal.as_ref())
        .map(|p| p.name.as_str())
        .unwrap_or("unknown");
    let outcome = match &answer {
        Ok(_) => asked,
        Err(e) => format!("{asked}: refused ({})", e.message),
    };
    let mut entry = AuditEntry::new(unix_ms(), actor, "agent_state")
        .target(&id)
        .detail(outcome);
    if let Some(c) = &caller {
        entry = entry.address(&c.address);
    }
    if let Err(e) = agents.store.audit(&entry).await {
        tracing::error!("audit log: {e}");
    }
    answer
}
