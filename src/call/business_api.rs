//! Carrying out a flow's `http` node: the request with its secrets filled in from the environment,
//! sent with its timeout; a timeout, a refused connection or a missing secret come back as "no
//! answer" so the flow takes its failure branch. Secrets are never logged.

use std::time::Duration;

use hotline_flow::{CallerInput, HttpMethod, HttpRequest};

/// Sends the request; always answers with an `HttpResult` for the flow.
pub async fn call(client: &reqwest::Client, request: &HttpRequest) -> CallerInput {
    // Logged before secrets are filled in: the placeholders stay placeholders.
    tracing::info!("flow http: {} {}", method_name(request.method), request.url);
    let resolved = match request.with_secrets(|name| std::env::var(name).ok()) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("flow http not sent: {e}");
            return no_answer();
        }
    };
    let mut builder = client
        .request(method(resolved.method), &resolved.url)
        .timeout(resolved.timeout.max(Duration::from_millis(100)));
    for (name, value) in &resolved.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = &resolved.body {
        builder = builder
            .header("content-type", "application/json")
            .body(body.clone());
    }
    match builder.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.text().await {
                Ok(body) => CallerInput::HttpResult {
                    status: Some(status),
                    body,
                },
                Err(e) => {
                    tracing::warn!("flow http: reading the answer failed: {e}");
                    no_answer()
                }
            }
        }
        Err(e) => {
            tracing::warn!(
                "flow http: {} {} failed: {}",
                method_name(request.method),
                request.url,
                without_url(&e)
            );
            no_answer()
        }
    }
}

fn no_answer() -> CallerInput {
    CallerInput::HttpResult {
        status: None,
        body: String::new(),
    }
}

/// reqwest's error text names the URL, which may carry a secret.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        let mut text = e.to_string();
        if let Some(url) = e.url() {
            text = text.replace(url.as_str(), "<url>");
        }
        text
    }
}

fn method(m: HttpMethod) -> reqwest::Method {
    match m {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Patch => reqwest::Method::PATCH,
        HttpMethod::Delete => reqwest::Method::DELETE,
    }
}

fn method_name(m: HttpMethod) -> &'static str {
    m.as_str()
}
