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
use crate::store::unix_ms;

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

/// The time range, flow and form of the figures (times as `2026-12-01` or `2026-12-01T10:00`).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
struct Gap {
    question: String,
    count: usize,
    wordings: Vec<String>,
}

/// `GET /api/analytics` as JSON: the figures, the range they cover and the unanswered questions
/// grouped by meaning (the handler adds these to the figures; this names the shape for the
/// OpenAPI document).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
struct AnalyticsAnswer {
    #[serde(flatten)]
    figures: analytics::figures::Analytics,
    /// Unix time in milliseconds.
    from: i64,
    to: i64,
    flow: Option<String>,
    bucket: Bucket,
    unanswered: Vec<Gap>,
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
    gaps.sort_by_key(|g| std::cmp::Reverse(g.count));
    gaps
}

/// `GET /api/analytics?flow=&from=&to=&bucket=hour|day|week[&format=csv&chart=NAME]`.
#[utoipa::path(get, path = "/api/analytics", tag = "analytics",
    params(AnalyticsQuery),
    responses(
        (status = 200, description = "The figures of the time range (one chart's numbers as CSV with format=csv&chart=NAME)", content(
            (AnalyticsAnswer = "application/json"),
            (String = "text/csv"))),
        (status = 400, description = "A query value is not valid", body = super::openapi::ErrorBody)))]
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
    let (calls, turns) = s
        .store
        .analytics_rows_in_range(flow.as_deref(), from, to)
        .await?;
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
    use crate::admin::tests::{serve, token};
    use crate::auth::Role;
    use crate::config::Config;
    use crate::store::{sample_call, temp_db, Store, TurnRecord};

    async fn get(url: &str, token: &str) -> (u16, String, String) {
        let r = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, kind, r.text().await.unwrap())
    }

    /// Two calls on 2026-12-07: one the bot ended after answering, one the caller left after
    /// asking something nothing answered.
    #[tokio::test]
    async fn search_and_analytics_answer_json_and_csv_to_supervisors_only() {
        let store = Store::open(&temp_db("admin-analytics")).await.unwrap();
        let day = 1_796_601_600_000; // 2026-12-07 00:00 UTC
        let mut a = sample_call("a", day + 3_600_000);
        a.caller = "sip:+4930111@pbx".into();
        let b = sample_call("b", day + 7_200_000);
        for call in [&a, &b] {
            store.call_started(call).await.unwrap();
        }
        let turn = |call: &str, text: &str, intent: Option<&str>, v2v: i64| TurnRecord {
            call_id: call.into(),
            seq: 1,
            at: day,
            node: Some("menu".into()),
            caller_text: Some(text.into()),
            intent: intent.map(str::to_string),
            voice_to_voice_ms: Some(v2v),
            anger: Some(0.3),
            ..Default::default()
        };
        store
            .add_turn(&turn(
                "a",
                "how long is shipping",
                Some("delivery_time"),
                900,
            ))
            .await
            .unwrap();
        store
            .add_turn(&turn("b", "do you ship to Canada", None, 1100))
            .await
            .unwrap();
        store
            .call_ended("a", day + 3_660_000, "bot-done")
            .await
            .unwrap();
        store
            .call_ended("b", day + 7_230_000, "caller-bye")
            .await
            .unwrap();
        let sue = token(&store, "sue", Role::Supervisor).await;
        let ann = token(&store, "ann", Role::Agent).await;
        let base = serve(AdminState::new(
            store,
            Arc::new(Config::load(None).unwrap()),
        ))
        .await;

        let (status, _, body) =
            get(&format!("{base}/api/calls/search?number=%2B4930111"), &sue).await;
        assert_eq!(status, 200, "{body}");
        let found: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(found.as_array().unwrap().len(), 1);
        assert_eq!(found[0]["id"], "a");
        assert_eq!(found[0]["outcome"], "contained");
        for url in [
            format!("{base}/api/calls/search?outcome=abandoned&format=csv"),
            format!("{base}/api/calls/search.csv?outcome=abandoned"),
        ] {
            let (status, kind, body) = get(&url, &sue).await;
            assert_eq!(
                (status, kind.as_str()),
                (200, "text/csv; charset=utf-8"),
                "{url}"
            );
            let lines: Vec<&str> = body.lines().collect();
            assert!(lines[0].starts_with("id,caller,started_utc,"), "{body}");
            assert_eq!(lines.len(), 2, "{body}");
            assert!(lines[1].starts_with("b,"), "{body}");
        }
        let (status, _, body) = get(&format!("{base}/api/calls/search?min_anger=lots"), &sue).await;
        assert_eq!(
            (status, body.as_str()),
            (
                400,
                r#"{"error":"min_anger: \"lots\" is not valid; expected a number from 0 to 1"}"#
            )
        );

        let range = "from=2026-12-07&to=2026-12-07&bucket=hour";
        let (status, _, body) = get(&format!("{base}/api/analytics?{range}"), &sue).await;
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["outcomes"]["calls"], 2);
        assert_eq!(v["outcomes"]["containment_rate"], 0.5);
        assert_eq!(v["buckets"].as_array().unwrap().len(), 2);
        assert_eq!(v["buckets"][0]["label"], "2026-12-07 01:00");
        assert_eq!(v["top_intents"][0]["intent"], "delivery_time");
        assert_eq!(v["funnel"][0]["node"], "menu");
        assert_eq!(v["funnel"][0]["no_match"], 1);
        assert_eq!(v["latency"]["p95_ms"], 1100);
        assert_eq!(v["anger"][3]["calls"], 2);
        assert_eq!(v["unanswered"][0]["question"], "do you ship to Canada");
        let (status, _, body) = get(
            &format!("{base}/api/analytics?{range}&format=csv&chart=calls"),
            &sue,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            "bucket_start_utc,calls,contained,transferred,abandoned,failed,in_progress\r\n\
             2026-12-07 01:00,1,1,0,0,0,0\r\n2026-12-07 02:00,1,0,0,1,0,0\r\n"
        );
        let (status, _, body) = get(
            &format!("{base}/api/analytics?{range}&format=csv&chart=unanswered"),
            &sue,
        )
        .await;
        assert_eq!(
            (status, body.as_str()),
            (200, "question,times_asked\r\ndo you ship to Canada,1\r\n")
        );
        let (status, _, body) = get(&format!("{base}/api/analytics?format=csv"), &sue).await;
        assert_eq!(status, 400);
        assert!(body.contains("format=csv needs chart=NAME"), "{body}");
        let (status, _, body) = get(&format!("{base}/api/analytics?bucket=month"), &sue).await;
        assert_eq!(status, 400, "{body}");

        for path in [
            "/api/calls/search",
            "/api/calls/search.csv",
            "/api/analytics",
        ] {
            let (status, _, _) = get(&format!("{base}{path}"), &ann).await;
            assert_eq!(status, 403, "{path}");
        }
    }

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
