//! The console's quality inspection: `/console/inspection` lists inspected calls worst first
//! (score, the rules that fired with their evidence, the review), rendered here; `GET
//! /api/inspections` gives the same rows as JSON; `POST /api/calls/{id}/review {"note": ...}`
//! marks a call reviewed by the caller, in the audit log.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::console::{console_page, escape};
use super::guard::Caller;
use super::{AdminState, ApiError};
use crate::store::{unix_ms, AuditEntry, InspectionRow};

const INSPECTION_HTML: &str = include_str!("inspection.html");
const INSPECTION_JS: &str = include_str!("inspection.js");

/// The most calls the page and the API list at once.
pub const MAX_ROWS: i64 = 500;

/// The longest review note kept.
pub const MAX_NOTE: usize = 2000;

pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/console/inspection", get(inspection_page))
        .route(
            "/inspection.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], INSPECTION_JS) }),
        )
        .route("/api/inspections", get(list))
        .route("/api/calls/{id}/review", post(review))
}

/// `?reviewed=yes|no` (anything else or nothing: all) and `limit`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `yes`, `no` or `all` (default).
    #[param(pattern = "^(yes|no|all)$", example = "no")]
    pub reviewed: Option<String>,
    /// At most this many calls (default 100).
    #[param(pattern = "^[1-9][0-9]{0,5}$", example = "20")]
    pub limit: Option<String>,
}

fn parse_list(q: &ListQuery) -> Result<(Option<bool>, i64), ApiError> {
    let reviewed = match q.reviewed.as_deref().map(str::trim) {
        None | Some("") | Some("all") => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "reviewed: {other:?} is not valid; expected yes, no or all"
            )))
        }
    };
    let limit = match q.limit.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => 100,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "limit: {text:?} is not valid; expected a whole number, 1 or more"
                ))
            })?
            .min(MAX_ROWS),
    };
    Ok((reviewed, limit))
}

/// `GET /api/inspections`: inspected calls, lowest score first.
#[utoipa::path(get, path = "/api/inspections", tag = "calls",
    params(ListQuery),
    responses(
        (status = 200, description = "Inspected calls, lowest score first", body = Vec<crate::store::InspectionRow>),
        (status = 400, description = "A query value is not valid", body = super::openapi::ErrorBody)))]
async fn list(
    State(s): State<AdminState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<InspectionRow>>, ApiError> {
    let (reviewed, limit) = parse_list(&q)?;
    Ok(Json(s.store.inspections(reviewed, limit).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Review {
    #[serde(default)]
    pub note: String,
}

/// `POST /api/calls/{id}/review`: marks the call reviewed by the caller with the note.
#[utoipa::path(post, path = "/api/calls/{id}/review", tag = "calls",
    params(("id" = String, Path, description = "The call's id")),
    request_body = Review,
    responses(
        (status = 200, description = "Marked reviewed", body = super::answers::Reviewed),
        (status = 400, description = "The note is too long", body = super::openapi::ErrorBody),
        (status = 404, description = "No inspected call with that id", body = super::openapi::ErrorBody)))]
async fn review(
    State(s): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(review): Json<Review>,
) -> Result<Json<Value>, ApiError> {
    let note = review.note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(ApiError::bad_request(format!(
            "note: {} characters is too long; at most {MAX_NOTE}",
            note.chars().count()
        )));
    }
    let who = caller
        .principal
        .as_ref()
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "unknown".into());
    let at = unix_ms();
    if !s.store.review_call(&id, &who, at, note).await? {
        return Err(ApiError::not_found(format!(
            "no inspected call {id} (`hotline calls inspect` inspects older calls)"
        )));
    }
    let entry = AuditEntry::new(at, &who, "call_review")
        .target(&id)
        .detail(note.to_string())
        .address(&caller.address);
    if let Err(e) = s.store.audit(&entry).await {
        tracing::error!("audit log: {e}");
    }
    Ok(Json(
        json!({ "call_id": id, "reviewed_by": who, "reviewed_at": at, "review_note": note }),
    ))
}

/// `/console/inspection`: the worst calls first, each with a form to mark it reviewed.
async fn inspection_page(
    State(s): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Response {
    let (reviewed, limit) = match parse_list(&q) {
        Ok(parsed) => parsed,
        Err(e) => return e.into_response(),
    };
    if caller.principal.is_none() {
        return console_page(caller, INSPECTION_HTML, |html| html);
    }
    let rows = match s.store.inspections(reviewed, limit).await {
        Ok(rows) => rows,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let selected = |value: &str| match (value, reviewed) {
        ("yes", Some(true)) | ("no", Some(false)) | ("all", None) => " selected",
        _ => "",
    };
    let filter = format!(
        "<option value=\"all\"{}>all</option><option value=\"no\"{}>not reviewed</option><option value=\"yes\"{}>reviewed</option>",
        selected("all"),
        selected("no"),
        selected("yes")
    );
    let body = table_rows(&rows);
    console_page(caller, INSPECTION_HTML, |html| {
        html.replace("{{filter}}", &filter)
            .replace("{{rows}}", &body)
            .replace("{{count}}", &rows.len().to_string())
    })
}

fn time(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// One table row per call: link, caller, start, score, rules fired, review and its form.
fn table_rows(rows: &[InspectionRow]) -> String {
    if rows.is_empty() {
        return r#"<tr class="none"><td colspan="6">No inspected call yet</td></tr>"#.into();
    }
    rows.iter()
        .map(|r| {
            let fired: String = r
                .fired
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|f| {
                    let turn = f["turn"]
                        .as_u64()
                        .map(|n| format!(" (turn {n})"))
                        .unwrap_or_default();
                    format!(
                        "<li class=\"fired\" data-rule=\"{}\"><b>{}</b> −{}{}: {}</li>",
                        escape(f["rule"].as_str().unwrap_or("")),
                        escape(f["rule"].as_str().unwrap_or("")),
                        f["weight"].as_u64().unwrap_or(0),
                        turn,
                        escape(f["evidence"].as_str().unwrap_or(""))
                    )
                })
                .collect();
            let fired = if fired.is_empty() {
                "<span class=\"none\">none</span>".to_string()
            } else {
                format!("<ul class=\"fired\">{fired}</ul>")
            };
            let review = match (&r.reviewed_by, r.reviewed_at) {
                (Some(by), Some(at)) => format!(
                    "<span class=\"reviewed\">Reviewed by {} at {}</span><br><q class=\"note\">{}</q>",
                    escape(by),
                    time(at),
                    escape(r.review_note.as_deref().unwrap_or(""))
                ),
                _ => "<span class=\"unreviewed\">Not reviewed</span>".to_string(),
            };
            let id = escape(&r.call_id);
            format!(
                "<tr class=\"inspection-row\" data-call-id=\"{id}\"><td><a href=\"/console/calls/{id}\" title=\"{id}\">{}</a></td><td>{}</td><td>{}</td><td class=\"score\">{}</td><td>{fired}</td><td class=\"review\">{review}<form class=\"review-form\" data-call-id=\"{id}\"><input name=\"note\" class=\"note-input\" placeholder=\"Note\" maxlength=\"{MAX_NOTE}\"><button type=\"submit\" class=\"mark-reviewed\">Mark reviewed</button></form></td></tr>",
                escape(r.call_id.get(..8).unwrap_or(&r.call_id)),
                escape(&r.caller),
                time(r.started_at),
                r.score,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::tests::{serve, token};
    use crate::auth::Role;
    use crate::config::Config;
    use crate::store::{sample_call, temp_db, Store};
    use std::sync::Arc;

    #[tokio::test]
    async fn supervisors_list_and_review_agents_get_403() {
        let store = Store::open(&temp_db("admin-inspection")).await.unwrap();
        store.call_started(&sample_call("c1", 100)).await.unwrap();
        store.call_ended("c1", 200, "bot-done").await.unwrap();
        let fired =
            r#"[{"rule":"greet","description":"","weight":20,"turn":1,"evidence":"Hello <b>"}]"#;
        store.save_inspection("c1", 300, 80, fired).await.unwrap();
        let sue = token(&store, "sue", Role::Supervisor).await;
        let ann = token(&store, "ann", Role::Agent).await;
        let base = serve(AdminState::new(
            store.clone(),
            Arc::new(Config::load(None).unwrap()),
        ))
        .await;
        let client = reqwest::Client::new();
        let send = |method: reqwest::Method, path: &str, who: &str, body: Option<&str>| {
            let mut r = client
                .request(method, format!("{base}{path}"))
                .bearer_auth(who);
            if let Some(body) = body {
                r = r
                    .header("content-type", "application/json")
                    .body(body.to_string());
            }
            async move {
                let r = r.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        use reqwest::Method;
        let (status, body) = send(Method::GET, "/api/inspections", &sue, None).await;
        assert_eq!(status, 200);
        let rows: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(rows[0]["score"], 80);
        assert_eq!(rows[0]["fired"][0]["rule"], "greet");

        let (status, page) = send(Method::GET, "/console/inspection", &sue, None).await;
        assert_eq!(status, 200);
        assert!(page.contains("Hello &lt;b&gt;"), "evidence is escaped");
        assert!(page.contains("Not reviewed"));

        let (status, _) = send(
            Method::POST,
            "/api/calls/c1/review",
            &sue,
            Some(r#"{"note":"coached the flow"}"#),
        )
        .await;
        assert_eq!(status, 200);
        let (_, page) = send(Method::GET, "/console/inspection", &sue, None).await;
        assert!(page.contains("Reviewed by sue"), "{page}");
        assert!(page.contains("coached the flow"));
        let audit = store.audit_log(10).await.unwrap();
        assert_eq!(
            (
                audit[0].actor.as_str(),
                audit[0].action.as_str(),
                audit[0].target.as_deref()
            ),
            ("sue", "call_review", Some("c1"))
        );
        let (status, body) = send(Method::POST, "/api/calls/nope/review", &sue, Some("{}")).await;
        assert_eq!(status, 404, "{body}");
        let (status, body) = send(Method::GET, "/api/inspections?reviewed=maybe", &sue, None).await;
        assert_eq!(
            (status, body.as_str()),
            (
                400,
                r#"{"error":"reviewed: \"maybe\" is not valid; expected yes, no or all"}"#
            )
        );

        for (method, path) in [
            (Method::GET, "/api/inspections"),
            (Method::GET, "/console/inspection"),
            (Method::POST, "/api/calls/c1/review"),
        ] {
            let (status, _) = send(method, path, &ann, Some("{}")).await;
            assert_eq!(status, 403, "{path}");
        }
    }
}
