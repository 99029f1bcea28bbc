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

/// A number to add to a do-not-call list.
#[derive(serde::Deserialize, utoipa::ToSchema)]
struct AddBody {
    /// The number: E.164, or national with `country`.
    #[schema(example = "+14155550123")]
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

#[utoipa::path(get, path = "/api/do-not-call", tag = "do-not-call",
    responses((status = 200, description = "Every number on the global list", body = super::answers::DncNumbers)))]
async fn list(State(store): State<Store>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "numbers": store.dnc_list().await? })))
}

#[utoipa::path(post, path = "/api/do-not-call", tag = "do-not-call",
    request_body = AddBody,
    responses((status = 201, description = "Added", body = super::answers::DncAdded), (status = 200, description = "Already on the list", body = super::answers::DncAdded), (status = 422, description = "Not a phone number", body = super::openapi::ErrorBody)))]
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

#[utoipa::path(delete, path = "/api/do-not-call/{number}", tag = "do-not-call",
    params(("number" = String, Path, description = "The number, in E.164 (+ and digits)", pattern = r"^\+[1-9][0-9]{6,14}$", example = "+14155550123")),
    responses((status = 200, description = "Removed", body = super::answers::DncRemoved), (status = 422, description = "Not a phone number", body = super::openapi::ErrorBody),
        (status = 404, description = "Not on the list", body = super::openapi::ErrorBody)))]
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

#[utoipa::path(get, path = "/api/campaigns/{name}/do-not-call", tag = "do-not-call",
    params(("name" = String, Path, description = "The campaign's name")),
    responses((status = 200, description = "Every number on the campaign's list", body = super::answers::CampaignDncNumbers)))]
async fn campaign_list(
    State(store): State<Store>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let numbers = store.campaign_dnc_list(&name).await?;
    Ok(Json(json!({ "campaign": name, "numbers": numbers })))
}

#[utoipa::path(post, path = "/api/campaigns/{name}/do-not-call", tag = "do-not-call",
    params(("name" = String, Path, description = "The campaign's name")), request_body = AddBody,
    responses((status = 201, description = "Added", body = super::answers::DncAdded), (status = 200, description = "Already on the list", body = super::answers::DncAdded), (status = 422, description = "Not a phone number", body = super::openapi::ErrorBody)))]
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

#[utoipa::path(delete, path = "/api/campaigns/{name}/do-not-call/{number}", tag = "do-not-call",
    params(("name" = String, Path, description = "The campaign's name"), ("number" = String, Path, description = "The number, in E.164 (+ and digits)", pattern = r"^\+[1-9][0-9]{6,14}$", example = "+14155550123")),
    responses((status = 200, description = "Removed", body = super::answers::DncRemoved), (status = 422, description = "Not a phone number", body = super::openapi::ErrorBody),
        (status = 404, description = "Not on the list", body = super::openapi::ErrorBody)))]
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
