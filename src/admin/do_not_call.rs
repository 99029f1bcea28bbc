//! The global do-not-call list on the admin API: `GET /api/do-not-call` (every number, with
//! when, why and who added it), `POST /api/do-not-call` (`{"number": ..., "reason": ...}`) and
//! `DELETE /api/do-not-call/{number}`; a campaign's own list the same way under
//! `/api/campaigns/{name}/do-not-call`. Campaigns read both lists before each INVITE.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::ApiError;
use crate::store::{unix_ms, DncRow, Store};

#[derive(serde::Deserialize)]
struct AddBody {
    number: String,
    #[serde(default)]
    reason: String,
    /// ISO country for a number written without +.
    #[serde(default)]
    country: Option<String>,
}

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/do-not-call", get(list).post(add))
        .route("/api/do-not-call/{number}", delete(remove))
        .route(
            "/api/campaigns/{name}/do-not-call",
            get(campaign_list).post(campaign_add),
        )
        .route(
            "/api/campaigns/{name}/do-not-call/{number}",
            delete(campaign_remove),
        )
        .with_state(store)
}

fn e164(text: &str, country: Option<&str>) -> Result<String, ApiError> {
    hotline_dialer::normalise(text, country)
        .map(|n| n.to_string())
        .map_err(|e| ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("`{text}` is not a phone number: {e}"),
        })
}

async fn list(State(store): State<Store>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "numbers": store.dnc_list().await? })))
}

async fn add(
    State(store): State<Store>,
    Json(body): Json<AddBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let number = e164(&body.number, body.country.as_deref())?;
    let added = store
        .dnc_add(&DncRow {
            number: number.clone(),
            added_at: unix_ms(),
            reason: body.reason,
            source: "api".into(),
        })
        .await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({ "number": number, "added": added }))))
}

async fn remove(
    State(store): State<Store>,
    Path(number): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let number = e164(&number, None)?;
    if !store.dnc_remove(&number).await? {
        return Err(ApiError::not_found(format!(
            "{number} is not on the do-not-call list"
        )));
    }
    Ok(Json(json!({ "number": number, "removed": true })))
}

async fn campaign_list(
    State(store): State<Store>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let numbers = store.campaign_dnc_list(&name).await?;
    Ok(Json(json!({ "campaign": name, "numbers": numbers })))
}

async fn campaign_add(
    State(store): State<Store>,
    Path(name): Path<String>,
    Json(body): Json<AddBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let number = e164(&body.number, body.country.as_deref())?;
    let added = store
        .campaign_dnc_add(
            &name,
            &DncRow {
                number: number.clone(),
                added_at: unix_ms(),
                reason: body.reason,
                source: "api".into(),
            },
        )
        .await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "campaign": name, "number": number, "added": added })),
    ))
}

async fn campaign_remove(
    State(store): State<Store>,
    Path((name, number)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let number = e164(&number, None)?;
    if !store.campaign_dnc_remove(&name, &number).await? {
        return Err(ApiError::not_found(format!(
            "{number} is not on campaign {name}'s do-not-call list"
        )));
    }
    Ok(Json(
        json!({ "campaign": name, "number": number, "removed": true }),
    ))
}
