//! The console's call history: `GET /api/calls/search` (JSON, or CSV with `format=csv` or as
//! `/api/calls/search.csv`) and the `/console/history` page whose form and table use it. Every
//! query value arrives as text and is checked here, so a wrong one gets a sentence, not a 500.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;

use super::console::{console_page, escape};
use super::guard::Caller;
use super::{AdminState, ApiError};
use crate::analytics::{self, parse_time, TimeEdge};
use crate::error::HotlineError;
use crate::store::CallFilter;

const HISTORY_HTML: &str = include_str!("history.html");
const HISTORY_JS: &str = include_str!("history.js");

/// The most rows one search returns (JSON or CSV).
pub const MAX_LIMIT: i64 = 5000;

pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/console/history", get(history_page))
        .route(
            "/history.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], HISTORY_JS) }),
        )
        .route("/api/calls/search", get(search))
        .route("/api/calls/search.csv", get(search_csv))
}

/// The search's query string, as typed: empty values are "any".
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    pub number: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub flow: Option<String>,
    pub intent: Option<String>,
    pub outcome: Option<String>,
    pub min_anger: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub format: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The filter, limit and offset a query asks for.
pub fn parse_query(q: &SearchQuery) -> Result<(CallFilter, i64, i64), HotlineError> {
    let whole = |what: &'static str, text: &str| {
        text.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| HotlineError::BadValue {
                what,
                value: text.into(),
                expected: "a whole number, 0 or more",
            })
    };
    let min_anger = given(&q.min_anger)
        .map(|text| {
            text.parse::<f64>()
                .ok()
                .filter(|a| (0.0..=1.0).contains(a))
                .ok_or_else(|| HotlineError::BadValue {
                    what: "min_anger",
                    value: text.into(),
                    expected: "a number from 0 to 1",
                })
        })
        .transpose()?;
    let filter = CallFilter {
        number: given(&q.number).map(str::to_string),
        from: given(&q.from)
            .map(|t| parse_time(t, TimeEdge::From))
            .transpose()?,
        to: given(&q.to)
            .map(|t| parse_time(t, TimeEdge::To))
            .transpose()?,
        flow: given(&q.flow).map(str::to_string),
        intent: given(&q.intent).map(str::to_string),
        outcome: given(&q.outcome).map(str::to_string),
        min_anger,
    };
    let limit = given(&q.limit)
        .map(|t| whole("limit", t))
        .transpose()?
        .unwrap_or(100)
        .clamp(1, MAX_LIMIT);
    let offset = given(&q.offset)
        .map(|t| whole("offset", t))
        .transpose()?
        .unwrap_or(0);
    Ok((filter, limit, offset))
}

/// `GET /api/calls/search`: matching calls, newest first.
#[utoipa::path(get, path = "/api/calls/search", tag = "calls",
    params(SearchQuery),
    responses(
        (status = 200, description = "Matching calls, newest first (CSV with format=csv)", content(
            (Vec<crate::store::CallSummary> = "application/json"),
            (String = "text/csv"))),
        (status = 400, description = "A query value is not valid", body = super::openapi::ErrorBody)))]
async fn search(State(s): State<AdminState>, Query(q): Query<SearchQuery>) -> Response {
    let csv = match given(&q.format) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return ApiError::bad_request(format!(
                "format: {other:?} is not valid; expected json or csv"
            ))
            .into_response()
        }
    };
    match run_search(&s, &q).await {
        Ok(found) if csv => csv_download("calls.csv", analytics::csv::calls(&found)),
        Ok(found) => Json(found).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/calls/search.csv`: the same rows as CSV.
#[utoipa::path(get, path = "/api/calls/search.csv", tag = "calls",
    params(SearchQuery),
    responses(
        (status = 200, description = "Matching calls as CSV", body = String, content_type = "text/csv"),
        (status = 400, description = "A query value is not valid", body = super::openapi::ErrorBody)))]
async fn search_csv(State(s): State<AdminState>, Query(q): Query<SearchQuery>) -> Response {
    match run_search(&s, &q).await {
        Ok(found) => csv_download("calls.csv", analytics::csv::calls(&found)),
        Err(e) => e.into_response(),
    }
}

async fn run_search(
    s: &AdminState,
    q: &SearchQuery,
) -> Result<Vec<crate::store::CallSummary>, ApiError> {
    let (filter, limit, offset) = parse_query(q)?;
    Ok(s.store.search_calls(&filter, limit, offset).await?)
}

/// A CSV answer the browser saves as `name`.
pub fn csv_download(name: &str, body: String) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `/console/history`: the form and the results table; its script runs the searches.
async fn history_page(Extension(caller): Extension<Caller>) -> Response {
    let outcomes: String = crate::store::OUTCOMES
        .iter()
        .map(|o| {
            format!(
                "<option value=\"{o}\">{}</option>",
                escape(&o.replace('_', " "))
            )
        })
        .collect();
    console_page(caller, HISTORY_HTML, |html| {
        html.replace("{{outcomes}}", &outcomes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> SearchQuery {
        let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let uri: axum::http::Uri = format!(
            "/api/calls/search?{}",
            text.join("&").replace('+', "%2B").replace(' ', "%20")
        )
        .parse()
        .unwrap();
        Query::<SearchQuery>::try_from_uri(&uri).unwrap().0
    }

    #[test]
    fn a_typed_query_becomes_a_filter() {
        let (filter, limit, offset) = parse_query(&query(&[
            ("number", " +4930 "),
            ("from", "2026-12-07"),
            ("to", "2026-12-07"),
            ("flow", "shop"),
            ("intent", ""),
            ("outcome", "transferred"),
            ("min_anger", "0.5"),
            ("limit", "20"),
            ("offset", "40"),
        ]))
        .unwrap();
        assert_eq!(
            filter,
            CallFilter {
                number: Some("+4930".into()),
                from: Some(1_796_601_600_000),
                to: Some(1_796_601_600_000 + 86_400_000),
                flow: Some("shop".into()),
                intent: None,
                outcome: Some("transferred".into()),
                min_anger: Some(0.5),
            }
        );
        assert_eq!((limit, offset), (20, 40));
        let (filter, limit, offset) = parse_query(&SearchQuery::default()).unwrap();
        assert_eq!((filter, limit, offset), (CallFilter::default(), 100, 0));
        assert_eq!(
            parse_query(&query(&[("limit", "999999")])).unwrap().1,
            MAX_LIMIT
        );
    }

    #[test]
    fn wrong_values_get_a_sentence() {
        for (pairs, said) in [
            (
                [("min_anger", "2")],
                "min_anger: \"2\" is not valid; expected a number from 0 to 1",
            ),
            (
                [("limit", "ten")],
                "limit: \"ten\" is not valid; expected a whole number, 0 or more",
            ),
            (
                [("offset", "-1")],
                "offset: \"-1\" is not valid; expected a whole number, 0 or more",
            ),
        ] {
            assert_eq!(parse_query(&query(&pairs)).unwrap_err().to_string(), said);
        }
    }
}
