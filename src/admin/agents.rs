//! Agent routes of the admin API: who is logged in and in what state, and state changes from
//! supervisors, agents' desktop tools and `hotline agents`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::ApiError;
use crate::center::{AgentCommand, AgentJson, Center, CommandRefused};

/// `GET /api/agents`, `POST /api/agents/{id}/state`.
pub fn router(center: Arc<Center>) -> Router {
    Router::new()
        .route("/api/agents", get(list))
        .route("/api/agents/{id}/state", post(change))
        .with_state(center)
}

async fn list(State(center): State<Arc<Center>>) -> Json<Vec<AgentJson>> {
    Json(center.agents_json())
}

/// The body of a state change.
#[derive(Debug, Deserialize)]
struct StateChange {
    state: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn change(
    State(center): State<Arc<Center>>,
    Path(id): Path<String>,
    Json(body): Json<StateChange>,
) -> Result<Json<AgentJson>, ApiError> {
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
    center
        .command(&id, command)
        .await
        .map(Json)
        .map_err(|refused| match refused {
            CommandRefused::UnknownAgent(agent) => ApiError::not_found(format!("no agent {agent}")),
            CommandRefused::Conflict(message) => ApiError {
                status: StatusCode::CONFLICT,
                message,
            },
        })
}
