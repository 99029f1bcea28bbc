//! axum's extractors refuse a query that does not parse or a body that is not the JSON a route
//! takes with a `text/plain` sentence; the API promises `{"error": ...}` on every error (its
//! OpenAPI document says so), so this layer rewrites those answers on `/api` routes.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// The longest rejection text kept; axum's are one line.
const MAX_REJECTION: usize = 16 * 1024;

/// The middleware (`axum::middleware::from_fn`).
pub async fn json_rejections(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !api || !plain || !response.status().is_client_error() {
        return response;
    }
    let status = response.status();
    let text = match to_bytes(response.into_body(), MAX_REJECTION).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => status
            .canonical_reason()
            .unwrap_or("bad request")
            .to_string(),
    };
    ApiError {
        status,
        message: text,
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;

    #[derive(serde::Deserialize)]
    struct Limit {
        #[allow(dead_code)]
        limit: Option<i64>,
    }

    async fn limited(_: axum::extract::Query<Limit>) -> &'static str {
        "ok"
    }

    #[tokio::test]
    async fn a_query_that_does_not_parse_gets_a_json_sentence() {
        let app = Router::new()
            .route("/api/x", get(limited))
            .route("/page", get(limited))
            .layer(axum::middleware::from_fn(json_rejections));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let ask = |path: &str| reqwest::get(format!("{base}{path}"));

        let answer = ask("/api/x?limit=many").await.unwrap();
        assert_eq!(answer.status(), 400);
        assert_eq!(answer.headers()[header::CONTENT_TYPE], "application/json");
        let v: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
        assert!(v["error"].as_str().unwrap().contains("limit"), "{v}");
        // A good query and the pages outside the API are left alone.
        assert_eq!(ask("/api/x?limit=3").await.unwrap().status(), 200);
        let page = ask("/page?limit=many").await.unwrap();
        assert_eq!(page.status(), 400);
        assert!(page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
    }
}
