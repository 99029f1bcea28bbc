//! The supervisor console, served by `hotline serve` itself: the login page, login and logout
//! (session cookie, throttled, audited), and `/console`, calls in progress and recent calls
//! rendered on the server and kept live by a little script over `/api/events`, and
//! `/console/calls/{id}`, one call's page. Also the `/api/calls` list they read and the admin's
//! `/api/audit`.

use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Json, Router};
use serde::Deserialize;

use super::guard::{self, Caller};
use super::{AdminState, ApiError};
use crate::auth::{csrf, role, secret, Access, Via};
use crate::store::{unix_ms, AuditEntry, CallRecord};

const LOGIN_HTML: &str = include_str!("login.html");
const CONSOLE_HTML: &str = include_str!("console.html");
const CONSOLE_JS: &str = include_str!("console.js");
const CONSOLE_CSS: &str = include_str!("console.css");
const CALL_HTML: &str = include_str!("call.html");
const CALL_JS: &str = include_str!("call.js");
/// The menu and the viewer's name and log-out button, the same on every console page.
const MENU_HTML: &str = include_str!("menu.html");

/// Pages may load scripts and styles from this server only, and may not be framed elsewhere.
const CSP: &str = "default-src 'self'; frame-ancestors 'none'; form-action 'self'";

pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/console", get(console))
        .route("/console/calls/{id}", get(call_page))
        .route(
            "/call.js",
            get(|| async { asset("text/javascript", CALL_JS) }),
        )
        .route(
            "/console.js",
            get(|| async { asset("text/javascript", CONSOLE_JS) }),
        )
        .route(
            "/console.css",
            get(|| async { asset("text/css", CONSOLE_CSS) }),
        )
        .route("/api/calls", get(calls))
        .route("/api/audit", get(audit_list))
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// An HTML page with the console's security headers.
fn page(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "same-origin"),
        ],
        Html(html),
    )
        .into_response()
}

fn login_form(status: StatusCode, message: &str) -> Response {
    let message = if message.is_empty() {
        String::new()
    } else {
        format!(
            r#"<p class="error" id="message" role="alert">{}</p>"#,
            escape(message)
        )
    };
    page(status, LOGIN_HTML.replace("{{message}}", &message))
}

async fn login_page() -> Response {
    login_form(StatusCode::OK, "")
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
}

async fn login(
    State(s): State<AdminState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if csrf::same_site(site).is_err() {
        return login_form(StatusCode::FORBIDDEN, "Log in from this server's own page.");
    }
    let name = form.name.trim().to_string();
    let address = caller.address.clone();
    let checked = s.throttle().check(&name, &address, Instant::now());
    if let Err(wait) = checked {
        audit(
            &s,
            AuditEntry::new(unix_ms(), &name, "login_throttled").address(&address),
        )
        .await;
        let minutes = wait.as_secs().div_ceil(60).max(1);
        return login_form(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many failed logins. Try again in {minutes} minute(s)."),
        );
    }
    let found = match s.store.user_credentials(&name).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!("login: {e}");
            return login_form(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The store cannot be read.",
            );
        }
    };
    let (role, hash) = match found {
        Some((role, hash)) => (Some(role), hash),
        None => (None, secret::decoy_hash().to_string()),
    };
    let password = form.password;
    let matches = tokio::task::spawn_blocking(move || secret::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(role) = role.filter(|_| matches) else {
        s.throttle().failed(&name, &address, Instant::now());
        audit(
            &s,
            AuditEntry::new(unix_ms(), &name, "login_failed").address(&address),
        )
        .await;
        return login_form(StatusCode::UNAUTHORIZED, "Wrong name or password.");
    };
    s.throttle().succeeded(&name);
    let (Ok(id), Ok(csrf_token)) = (secret::new_session_secret(), secret::new_session_secret())
    else {
        return login_form(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No randomness for a session.",
        );
    };
    let now = unix_ms();
    let lifetime = s.config.admin.session_lifetime;
    let expires = now + lifetime.as_millis() as i64;
    if let Err(e) = s
        .store
        .create_session(&secret::sha256_hex(&id), &name, &csrf_token, now, expires)
        .await
    {
        tracing::error!("login: {e}");
        return login_form(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The session cannot be stored.",
        );
    }
    audit(
        &s,
        AuditEntry::new(now, &name, "login")
            .detail(role.as_str())
            .address(&address),
    )
    .await;
    (
        [(
            header::SET_COOKIE,
            guard::session_set_cookie(&id, lifetime.as_secs(), s.config.admin.secure_cookies),
        )],
        Redirect::to("/console"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(s): State<AdminState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let clear = [(
        header::SET_COOKIE,
        guard::session_clear_cookie(s.config.admin.secure_cookies),
    )];
    let Some(who) = caller.principal else {
        return (clear, Redirect::to("/login")).into_response();
    };
    let Via::Session { csrf: expected } = &who.via else {
        return ApiError {
            status: StatusCode::BAD_REQUEST,
            message:
                "logout ends a browser session; tokens are revoked with `hotline tokens revoke`"
                    .into(),
        }
        .into_response();
    };
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Err(refusal) = csrf::check("POST", site, expected, Some(&form.csrf)) {
        return ApiError {
            status: StatusCode::FORBIDDEN,
            message: refusal.message().into(),
        }
        .into_response();
    }
    if let Some(id) = guard::session_cookie(&headers) {
        if let Err(e) = s.store.end_session(&secret::sha256_hex(&id)).await {
            tracing::error!("logout: {e}");
        }
    }
    audit(
        &s,
        AuditEntry::new(unix_ms(), &who.name, "logout").address(&caller.address),
    )
    .await;
    (clear, Redirect::to("/login")).into_response()
}

/// Why a console page is not shown to the one asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageRefused {
    NotLoggedIn,
    RoleCannotSee(crate::auth::Role),
}

impl IntoResponse for PageRefused {
    fn into_response(self) -> Response {
        match self {
            PageRefused::NotLoggedIn => Redirect::to("/login").into_response(),
            PageRefused::RoleCannotSee(role) => page(
                StatusCode::FORBIDDEN,
                format!(
                    "<!doctype html><title>Hotline</title><p id=\"message\">The {role} role cannot see the console.</p>"
                ),
            ),
        }
    }
}

/// The person behind a console page and their session's CSRF token ("" for a token).
fn console_viewer(caller: Caller) -> Result<(crate::auth::Principal, String), PageRefused> {
    let Some(who) = caller.principal else {
        return Err(PageRefused::NotLoggedIn);
    };
    if role::access(who.role, &who.name, "GET", "/console") == Access::Forbidden {
        return Err(PageRefused::RoleCannotSee(who.role));
    }
    let csrf_token = match &who.via {
        Via::Session { csrf } => csrf.clone(),
        Via::Token => String::new(),
    };
    Ok((who, csrf_token))
}

async fn console(State(s): State<AdminState>, Extension(caller): Extension<Caller>) -> Response {
    let (who, csrf_token) = match console_viewer(caller) {
        Ok(viewer) => viewer,
        Err(refused) => return refused.into_response(),
    };
    let calls = match s.store.list_calls(50).await {
        Ok(calls) => calls,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let ended: Vec<&CallRecord> = calls.iter().filter(|c| c.ended_at.is_some()).collect();
    let html = CONSOLE_HTML
        .replace("{{menu}}", MENU_HTML)
        .replace("{{csrf}}", &escape(&csrf_token))
        .replace("{{user}}", &escape(&who.name))
        .replace("{{role}}", who.role.as_str())
        .replace("{{recent_rows}}", &rows(&ended));
    page(StatusCode::OK, html)
}

/// `/console/calls/{id}`: the page; its script reads `/api/calls/{id}`.
async fn call_page(Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Response {
    console_page(caller, CALL_HTML, |html| {
        html.replace("{{call_id}}", &escape(&id))
    })
}

/// A console page whose script does the rest, for the viewer (or the login page, or 403): the
/// template's `{{menu}}` (the same on every page), `{{csrf}}`, `{{user}}` and `{{role}}` filled
/// in, then the page's own by `fill`.
pub fn console_page(
    caller: Caller,
    template: &str,
    fill: impl FnOnce(String) -> String,
) -> Response {
    let (who, csrf_token) = match console_viewer(caller) {
        Ok(viewer) => viewer,
        Err(refused) => return refused.into_response(),
    };
    let html = template
        .replace("{{menu}}", MENU_HTML)
        .replace("{{csrf}}", &escape(&csrf_token))
        .replace("{{user}}", &escape(&who.name))
        .replace("{{role}}", who.role.as_str());
    page(StatusCode::OK, fill(html))
}

/// Table rows for calls (the script renders the same columns on refresh).
fn rows(calls: &[&CallRecord]) -> String {
    if calls.is_empty() {
        return r#"<tr class="none"><td colspan="5">None</td></tr>"#.into();
    }
    calls
        .iter()
        .map(|c| {
            format!(
                "<tr><td><a href=\"/console/calls/{}\" title=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&c.id),
                escape(&c.id),
                escape(c.id.get(..8).unwrap_or(&c.id)),
                escape(&c.caller),
                time(c.started_at),
                c.ended_at.map(time).unwrap_or_default(),
                escape(c.hangup_cause.as_deref().unwrap_or("")),
            )
        })
        .collect()
}

fn time(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Text for HTML element content or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<i64>,
}

/// `GET /api/calls?limit=N`: the newest calls (at most 500), in progress or not.
#[utoipa::path(get, path = "/api/calls", tag = "calls",
    params(("limit" = Option<i64>, Query, description = "How many (1 to 500, default 50)")),
    responses((status = 200, description = "The newest calls, in progress or not", body = Vec<crate::store::CallRecord>)))]
async fn calls(
    State(s): State<AdminState>,
    Query(q): Query<Limit>,
) -> Result<Json<Vec<CallRecord>>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    Ok(Json(s.store.list_calls(limit).await?))
}

/// `GET /api/audit?limit=N` (admin): the newest audit entries.
#[utoipa::path(get, path = "/api/audit", tag = "audit",
    params(("limit" = Option<i64>, Query, description = "How many (1 to 5000, default 200)")),
    responses((status = 200, description = "The newest audit entries (admin only)", body = Vec<crate::store::AuditEntry>)))]
async fn audit_list(
    State(s): State<AdminState>,
    Query(q): Query<Limit>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    Ok(Json(s.store.audit_log(limit).await?))
}

/// Records an audit entry; a store failure is logged, never shown to the person logging in.
pub async fn audit(s: &AdminState, entry: AuditEntry) {
    if let Err(e) = s.store.audit(&entry).await {
        tracing::error!("audit log: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::tests::serve;
    use crate::auth::Role;
    use crate::config::Config;
    use crate::store::{temp_db, Store};
    use std::sync::Arc;

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    async fn log_in(base: &str, name: &str, password: &str) -> reqwest::Response {
        client()
            .post(format!("{base}/login"))
            .form(&[("name", name), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_session_logs_in_needs_its_csrf_token_to_change_things_and_logs_out() {
        let store = Store::open(&temp_db("console-session")).await.unwrap();
        let hash = secret::hash_password("sue's long password").unwrap();
        store
            .add_user("sue", Role::Supervisor, &hash, 1)
            .await
            .unwrap();
        let state = AdminState::new(store.clone(), Arc::new(Config::load(None).unwrap()));
        let base = serve(state).await;

        let r = log_in(&base, "sue", "wrong password").await;
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("Wrong name or password."));
        let r = log_in(&base, "nobody", "wrong password").await;
        assert_eq!(r.status(), 401);

        let r = log_in(&base, "sue", "sue's long password").await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/console");
        let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            set_cookie.contains("; HttpOnly; SameSite=Strict"),
            "{set_cookie}"
        );
        let cookie = set_cookie.split(';').next().unwrap().to_string();

        let page = client()
            .get(format!("{base}/console"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
        let html = page.text().await.unwrap();
        assert!(html.contains("Calls in progress") && html.contains("sue (supervisor)"));
        let csrf = html
            .split(r#"<meta name="csrf-token" content=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string();
        assert_eq!(csrf.len(), 64);

        // Reading with the cookie alone is fine; a change needs the token, from this site.
        let get = client()
            .get(format!("{base}/api/queues"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 200);
        let post = |token: Option<&str>, site: Option<&str>| {
            let mut r = client()
                .post(format!("{base}/api/queues"))
                .header("cookie", &cookie);
            if let Some(token) = token {
                r = r.header("x-csrf-token", token);
            }
            if let Some(site) = site {
                r = r.header("sec-fetch-site", site);
            }
            r.send()
        };
        assert_eq!(post(None, None).await.unwrap().status(), 403);
        assert_eq!(post(Some("0000"), None).await.unwrap().status(), 403);
        assert_eq!(
            post(Some(&csrf), Some("cross-site"))
                .await
                .unwrap()
                .status(),
            403
        );
        // Past the guard: the route itself answers (GET only).
        assert_eq!(
            post(Some(&csrf), Some("same-origin"))
                .await
                .unwrap()
                .status(),
            405
        );

        let out = client()
            .post(format!("{base}/logout"))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
        let after = client()
            .get(format!("{base}/api/queues"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), 401);
        let console = client()
            .get(format!("{base}/console"))
            .send()
            .await
            .unwrap();
        assert_eq!(console.headers()["location"], "/login");

        let actions: Vec<String> = store
            .audit_log(10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}", e.action, e.actor))
            .collect();
        assert_eq!(
            actions,
            [
                "logout sue",
                "login sue",
                "login_failed nobody",
                "login_failed sue"
            ]
        );
    }

    #[tokio::test]
    async fn repeated_failures_lock_the_name() {
        let store = Store::open(&temp_db("console-throttle")).await.unwrap();
        let hash = secret::hash_password("ann's long password").unwrap();
        store.add_user("ann", Role::Agent, &hash, 1).await.unwrap();
        let state = AdminState::new(store.clone(), Arc::new(Config::load(None).unwrap()));
        let base = serve(state).await;
        for _ in 0..5 {
            assert_eq!(log_in(&base, "ann", "guess guess").await.status(), 401);
        }
        let r = log_in(&base, "ann", "ann's long password").await;
        assert_eq!(r.status(), 429);
        assert!(r.text().await.unwrap().contains("Too many failed logins"));
        assert_eq!(
            store.audit_log(1).await.unwrap()[0].action,
            "login_throttled"
        );
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
