//! Campaign routes of the admin API: `POST /api/campaigns/{name}/{start|pause|resume|stop}`
//! (what `hotline campaigns start ...` sends), `GET /api/campaigns/{name}` (the status counts)
//! and `GET /api/campaigns/{name}/results` (the results file as CSV), with the do-not-call
//! routes beside them.

use std::path::PathBuf;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::ApiError;
use crate::campaign::{control_status, report, Action, Control, Refused};
use crate::store::Store;

#[derive(Clone)]
struct CampaignsState {
    control: Control,
    store: Store,
    dir: PathBuf,
}

pub fn router(control: Control, store: Store, dir: PathBuf) -> Router {
    Router::new()
        .route("/api/campaigns/{name}", get(status))
        .route("/api/campaigns/{name}/results", get(results))
        .route("/api/campaigns/{name}/{action}", post(act))
        .with_state(CampaignsState {
            control,
            store: store.clone(),
            dir,
        })
        .merge(super::do_not_call::router(store))
}

#[utoipa::path(post, path = "/api/campaigns/{name}/{action}", tag = "campaigns",
    params(("name" = String, Path, description = "The campaign's name"), ("action" = String, Path, description = "start, pause, resume or stop")),
    responses((status = 200, description = "What the campaign runner did", body = super::answers::CampaignAction),
        (status = 400, description = "Not an action", body = super::openapi::ErrorBody),
        (status = 404, description = "No such campaign", body = super::openapi::ErrorBody),
        (status = 409, description = "Not possible in the campaign's state", body = super::openapi::ErrorBody),
        (status = 422, description = "The campaign's file is not valid", body = super::openapi::ErrorBody)))]
async fn act(
    State(s): State<CampaignsState>,
    Path((name, action)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let Some(action) = Action::parse(&action) else {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            message: format!("unknown action {action:?}: use start, pause, resume or stop"),
        });
    };
    match s.control.ask(&name, action).await {
        Ok(message) => Ok(Json(json!({ "campaign": name, "message": message }))),
        Err(Refused::Invalid(message)) => Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message,
        }),
        Err(Refused::Conflict(message)) => Err(ApiError {
            status: StatusCode::CONFLICT,
            message,
        }),
        Err(Refused::NotFound(message)) => Err(ApiError::not_found(message)),
    }
}

#[utoipa::path(get, path = "/api/campaigns/{name}", tag = "campaigns",
    params(("name" = String, Path, description = "The campaign's name")),
    responses((status = 200, description = "The campaign's state and counts", body = super::answers::CampaignStatus),
        (status = 404, description = "No such campaign", body = super::openapi::ErrorBody)))]
async fn status(
    State(s): State<CampaignsState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (state, counts) = control_status(&s.store, &s.dir, &name)
        .await
        .map_err(|e| ApiError::not_found(e.to_string()))?;
    Ok(Json(
        json!({ "campaign": name, "state": state, "status": counts }),
    ))
}

#[utoipa::path(get, path = "/api/campaigns/{name}/results", tag = "campaigns",
    params(("name" = String, Path, description = "The campaign's name")),
    responses((status = 200, description = "One CSV line per attempt", body = String, content_type = "text/csv")))]
async fn results(
    State(s): State<CampaignsState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let rows = s.store.campaign_attempts(&name).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        report::results_csv(&rows),
    )
        .into_response())
}
