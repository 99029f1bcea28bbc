//! Applies `auth` to every admin request: finds who sent it (bearer token, else session
//! cookie), then for `/api` and `/metrics` answers 401 without anyone, 403 for a role that may
//! not, and 403 for a session request that changes state without its CSRF token. Other paths
//! (health, login, console) get the principal, if any, as a request extension and decide alone.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AdminState, ApiError};
use crate::auth::{csrf, role, secret, Access, Principal, Via};
use crate::store::unix_ms;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hotline_session";

/// The header a console page sends its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who sent a request, for the handlers: a request extension set by [`guard`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Option<Principal>,
    /// The client's address, for the audit log and login throttling.
    pub address: String,
}

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn guard(State(s): State<AdminState>, mut request: Request, next: Next) -> Response {
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let path = request.uri().path().to_string();
    let method = request.method().as_str().to_string();
    let protected = path.starts_with("/api/")
        || path == "/api"
        || (path == "/metrics" && !s.config.admin.metrics_open);
    let principal = match identify(&s, request.headers()).await {
        Ok(principal) => principal,
        Err(answer) if protected => return answer.into_response(),
        // A stale cookie or bad token on the login page: carry on as nobody.
        Err(_) => None,
    };
    if protected {
        let Some(who) = &principal else {
            return unauthorized("log in, or send Authorization: Bearer <token>").into_response();
        };
        if role::access(who.role, &who.name, &method, &path) == Access::Forbidden {
            return ApiError {
                status: StatusCode::FORBIDDEN,
                message: format!("the {} role may not {method} {path}", who.role),
            }
            .into_response();
        }
        if let Via::Session { csrf: expected } = &who.via {
            let headers = request.headers();
            let presented = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
            if let Err(refusal) = csrf::check(&method, site, expected, presented) {
                return ApiError {
                    status: StatusCode::FORBIDDEN,
                    message: refusal.message().into(),
                }
                .into_response();
            }
        }
    }
    request
        .extensions_mut()
        .insert(Caller { principal, address });
    next.run(request).await
}

fn unauthorized(message: &str) -> ApiError {
    ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: message.into(),
    }
}

/// The bearer token's owner, else the session cookie's; `Err` for a token or session that is
/// presented but not valid (never silently treated as someone else).
pub async fn identify(s: &AdminState, headers: &HeaderMap) -> Result<Option<Principal>, ApiError> {
    let now = unix_ms();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("Authorization must be: Bearer <token>"))?;
        return match s.store.token_owner(&secret::sha256_hex(token), now).await? {
            Some((name, role)) => Ok(Some(Principal {
                name,
                role,
                via: Via::Token,
            })),
            None => Err(unauthorized("unknown or revoked token")),
        };
    }
    let Some(session) = session_cookie(headers) else {
        return Ok(None);
    };
    match s.store.session(&secret::sha256_hex(&session), now).await? {
        Some(row) => Ok(Some(Principal {
            name: row.user,
            role: row.role,
            via: Via::Session { csrf: row.csrf },
        })),
        None => Err(unauthorized("the session has expired; log in again")),
    }
}

/// The session id from the `Cookie` header(s), if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value for a new session: HttpOnly (scripts cannot read it), SameSite=Strict
/// (other sites' pages never send it), Secure when the operator serves the console over HTTPS.
pub fn session_set_cookie(id: &str, max_age_secs: u64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn session_clear_cookie(secure: bool) -> String {
    session_set_cookie("", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        assert_eq!(session_cookie(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; hotline_session=abc123 ; x=y"),
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some("abc123"));
        headers.insert(header::COOKIE, HeaderValue::from_static("hotline_session="));
        assert_eq!(session_cookie(&headers), None);
    }

    #[test]
    fn the_cookie_is_http_only_and_strict() {
        assert_eq!(
            session_set_cookie("s", 60, false),
            "hotline_session=s; Path=/; HttpOnly; SameSite=Strict; Max-Age=60"
        );
        assert!(session_set_cookie("s", 60, true).ends_with("; Secure"));
        assert!(session_clear_cookie(false).contains("Max-Age=0"));
    }
}
