//! The console's analytics: `GET /api/analytics` reads one time range's call, turn and queue
//! rows, hands them to the pure `analytics` module and answers its figures as JSON, or one
//! chart's numbers as CSV (`format=csv&chart=NAME`); `/console/analytics` draws them as inline
//! SVG. Unanswered questions are grouped by meaning with `hotline faq gaps`' function.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::console::console_page;
use super::guard::Caller;
use super::history::csv_download;
use super::{AdminState, ApiError};
use crate::analytics::{self, parse_time, Bucket, TimeEdge};
use crate::store::{unix_ms, CallFilter};

const ANALYTICS_HTML: &str = include_str!("analytics.html");
const ANALYTICS_JS: &str = include_str!("analytics.js");

/// Without `from`, the analytics cover this many days before `to`.
pub const DEFAULT_DAYS: i64 = 7;

/// The newest unanswered questions grouped (embedding each costs a few milliseconds).
pub const MAX_UNANSWERED: usize = 300;

pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/console/analytics", get(analytics_page))
        .route(
            "/analytics.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], ANALYTICS_JS) }),
        )
        .route("/api/analytics", get(analytics))
}

#[derive(Debug, Default, Deserialize)]
struct AnalyticsQuery {
    flow: Option<String>,
    from: Option<String>,
    to: Option<String>,
    bucket: Option<String>,
    format: Option<String>,
    chart: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A group of unanswered questions: its best wording, how often it was asked, other wordings.
#[derive(Debug, Clone, PartialEq)]
struct Gap {
    question: String,
    count: usize,
    wordings: Vec<String>,
}

/// Groups by meaning with the sentence encoder (as `hotline faq gaps`), or by identical
/// wording when no encoder is loaded or it fails.
async fn group_gaps(
    encoder: Option<Arc<hotline_nlu::SentenceEncoder>>,
    questions: Vec<String>,
) -> Vec<Gap> {
    if let Some(encoder) = encoder {
        let asked = questions.clone();
        let grouped = tokio::task::spawn_blocking(move || {
            hotline_nlu::group_unanswered(&encoder, &asked, hotline_nlu::DEFAULT_GAP_SIMILARITY)
        })
        .await;
        match grouped {
            Ok(Ok(groups)) => {
                return groups
                    .into_iter()
                    .map(|g| Gap {
                        wordings: g
                            .members
                            .into_iter()
                            .filter(|m| *m != g.representative)
                            .take(5)
                            .collect(),
                        question: g.representative,
                        count: g.count,
                    })
                    .collect()
            }
            Ok(Err(e)) => tracing::warn!("analytics: cannot group unanswered questions: {e}"),
            Err(e) => tracing::warn!("analytics: grouping unanswered questions failed: {e}"),
        }
    }
    let mut gaps: Vec<Gap> = Vec::new();
    for question in questions {
        let key = question.trim().to_lowercase();
        match gaps
            .iter_mut()
            .find(|g| g.question.trim().to_lowercase() == key)
        {
            Some(gap) => gap.count += 1,
            None => gaps.push(Gap {
                question: question.trim().to_string(),
                count: 1,
                wordings: Vec::new(),
            }),
        }
    }
    gaps.sort_by(|a, b| b.count.cmp(&a.count));
    gaps
}

/// `GET /api/analytics?flow=&from=&to=&bucket=hour|day|week[&format=csv&chart=NAME]`.
async fn analytics(
    State(s): State<AdminState>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, ApiError> {
    let to = match given(&q.to) {
        Some(text) => parse_time(text, TimeEdge::To)?,
        None => unix_ms(),
    };
    let from = match given(&q.from) {
        Some(text) => parse_time(text, TimeEdge::From)?,
        None => to - DEFAULT_DAYS * 86_400_000,
    };
    let bucket = Bucket::parse(given(&q.bucket).unwrap_or("day"))?;
    let flow = given(&q.flow).map(str::to_string);
    let csv_chart = match given(&q.format) {
        None | Some("json") => None,
        Some("csv") => Some(given(&q.chart).ok_or_else(|| {
            ApiError::bad_request(format!(
                "format=csv needs chart=NAME, one of: {}",
                analytics::csv::CHARTS.join(", ")
            ))
        })?),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format: {other:?} is not valid; expected json or csv"
            )))
        }
    };
    let filter = CallFilter {
        from: Some(from),
        to: Some(to),
        flow: flow.clone(),
        ..Default::default()
    };
    let calls = s.store.search_calls(&filter, i64::MAX, 0).await?;
    let turns = s.store.turns_in_range(flow.as_deref(), from, to).await?;
    let stays = s
        .store
        .queue_stays_in_range(flow.as_deref(), from, to)
        .await?;
    let mut figures = analytics::compute(&analytics::Inputs {
        calls: &calls,
        turns: &turns,
        stays: &stays,
        bucket,
        service_levels: &s.service_levels,
        default_service_level: s.default_service_level,
    });
    // The newest questions, which `compute` lists oldest first.
    let mut questions = std::mem::take(&mut figures.unanswered);
    questions.reverse();
    questions.truncate(MAX_UNANSWERED);
    let needs_gaps = csv_chart.is_none() || csv_chart == Some("unanswered");
    let gaps = if needs_gaps {
        group_gaps(s.encoder.clone(), questions).await
    } else {
        Vec::new()
    };
    if let Some(chart) = csv_chart {
        let pairs: Vec<(String, usize)> =
            gaps.iter().map(|g| (g.question.clone(), g.count)).collect();
        let body = analytics::csv::chart(&figures, &pairs, chart)?;
        return Ok(csv_download(&format!("{chart}.csv"), body));
    }
    let mut answer = serde_json::to_value(&figures).unwrap_or_else(|_| json!({}));
    answer["from"] = json!(from);
    answer["to"] = json!(to);
    answer["flow"] = json!(flow);
    answer["bucket"] = json!(bucket);
    answer["unanswered"] = Value::Array(
        gaps.iter()
            .map(|g| json!({ "question": g.question, "count": g.count, "wordings": g.wordings }))
            .collect(),
    );
    Ok(Json(answer).into_response())
}

/// `/console/analytics`: the filter form and the charts; its script reads `/api/analytics`.
async fn analytics_page(Extension(caller): Extension<Caller>) -> Response {
    console_page(caller, ANALYTICS_HTML, |html| html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_an_encoder_identical_questions_group_together() {
        let gaps = group_gaps(
            None,
            vec![
                "Do you ship to Canada".into(),
                "what time is it".into(),
                "do you ship to canada ".into(),
            ],
        )
        .await;
        assert_eq!(
            gaps,
            [
                Gap {
                    question: "Do you ship to Canada".into(),
                    count: 2,
                    wordings: vec![]
                },
                Gap {
                    question: "what time is it".into(),
                    count: 1,
                    wordings: vec![]
                },
            ]
        );
    }
}
