//! The console's flow editor: `/console/flows` and `/api/flows`. Lists the flow files beside the
//! served one, checks a draft with the server's own flow loader (problems with line and column),
//! diffs it against the file on disk, publishes it (written atomically; the server's watcher
//! reloads the served file as it does any edit) and restores any version published before. A
//! draft with errors is never written. Every publish and rollback goes in the audit log.

use std::path::{Path as FsPath, PathBuf};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::console::console_page;
use super::flow_diff::{counts, line_diff};
use super::guard::Caller;
use super::{AdminState, ApiError};
use crate::store::{unix_ms, AuditEntry, NewPublication};

const FLOWS_HTML: &str = include_str!("flows.html");
const FLOWS_JS: &str = include_str!("flows.js");

/// Who the first stored version of a file (as it was before the first publish) is credited to.
pub const ON_DISK: &str = "(file on disk)";

pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/console/flows", get(flows_page))
        .route(
            "/flows.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], FLOWS_JS) }),
        )
        .route("/api/flows", get(list))
        .route("/api/flows/{name}", get(open))
        .route("/api/flows/{name}/check", post(check))
        .route("/api/flows/{name}/diff", post(diff))
        .route("/api/flows/{name}/publish", post(publish))
        .route("/api/flows/{name}/versions", get(versions))
        .route("/api/flows/{name}/versions/{id}", get(version))
        .route("/api/flows/{name}/rollback", post(rollback))
}

/// A flow file's name, as the API takes it: a plain `.yaml`/`.yml` file name in the flows
/// directory, nothing that could reach elsewhere.
pub fn valid_file_name(name: &str) -> Result<&str, ApiError> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain && (name.ends_with(".yaml") || name.ends_with(".yml")) {
        Ok(name)
    } else {
        Err(ApiError::bad_request(format!(
            "{name:?} is not a flow file name; expected a name like shop.yaml (letters, digits, - _ .)"
        )))
    }
}

/// The flow loader's findings on `source`, as the editor shows them, and whether any is an error.
pub fn findings(source: &str, name: &str) -> (Vec<Value>, bool) {
    let diagnostics = hotline_flow::check(source, name);
    let failed = diagnostics.iter().any(|d| d.is_error());
    let list = diagnostics
        .iter()
        .map(|d| {
            json!({
                "line": d.line,
                "column": d.column,
                "severity": if d.is_error() { "error" } else { "warning" },
                "message": d.message,
                "text": d.to_string(),
            })
        })
        .collect();
    (list, failed)
}

fn flows_dir(s: &AdminState) -> PathBuf {
    s.config
        .flow_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(FsPath::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn is_served(s: &AdminState, path: &FsPath) -> bool {
    let served = s.config.flow_file.canonicalize().ok();
    served.is_some() && path.canonicalize().ok() == served
}

fn actor(caller: &Option<Extension<Caller>>) -> (String, Option<String>) {
    let c = caller.as_ref().map(|Extension(c)| c);
    let name = c
        .and_then(|c| c.principal.as_ref())
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "unknown".into());
    (name, c.map(|c| c.address.clone()))
}

fn io_error(what: &str, path: &FsPath, e: std::io::Error) -> ApiError {
    tracing::warn!("flow editor: {what} {}: {e}", path.display());
    ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: format!("cannot {what} {}: {e}", path.display()),
    }
}

/// The file `name` in the flows directory, which must exist.
fn existing(s: &AdminState, name: &str) -> Result<PathBuf, ApiError> {
    let path = flows_dir(s).join(valid_file_name(name)?);
    if path.is_file() {
        Ok(path)
    } else {
        Err(ApiError::not_found(format!(
            "no flow file {name} in {}",
            flows_dir(s).display()
        )))
    }
}

fn read(path: &FsPath) -> Result<String, ApiError> {
    std::fs::read_to_string(path).map_err(|e| io_error("read", path, e))
}

/// Replaces `path` with `source` at once: a new file beside it, flushed, then renamed over it,
/// so the watcher never reads half a flow.
fn write_atomically(path: &FsPath, source: &str) -> Result<(), ApiError> {
    use std::io::Write;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("flow");
    let temp = path.with_file_name(format!(".{name}.{}.publishing", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(source.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error("write", path, e));
    }
    Ok(())
}

/// The version hash call records name, or a note when the text does not load.
fn version_of(source: &str, name: &str) -> String {
    hotline_flow::load_flow(source, name)
        .map(|f| f.version_hash())
        .unwrap_or_else(|_| "does-not-load".into())
}

/// `GET /api/flows`: the flow files of the flows directory, the served one marked.
#[utoipa::path(get, path = "/api/flows", tag = "flows",
    responses((status = 200, description = "The flow files, the served one marked", body = Vec<super::answers::FlowFile>)))]
async fn list(State(s): State<AdminState>) -> Result<Json<Value>, ApiError> {
    let dir = flows_dir(&s);
    let entries = std::fs::read_dir(&dir).map_err(|e| io_error("list", &dir, e))?;
    let mut files: Vec<Value> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            valid_file_name(&name).ok()?;
            let bytes = e.metadata().map(|m| m.len()).unwrap_or(0);
            Some(json!({ "name": name, "served": is_served(&s, &e.path()), "bytes": bytes }))
        })
        .collect();
    files.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(Json(Value::Array(files)))
}

/// `GET /api/flows/{name}`: the file's text as it is on disk (what the server serves).
#[utoipa::path(get, path = "/api/flows/{name}", tag = "flows",
    params(("name" = String, Path, description = "A flow file in the flows directory", pattern = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$", example = "shop.yaml")),
    responses((status = 200, description = "The file's text and the loader's findings", body = super::answers::FlowOpened), (status = 400, description = "Not a flow file name", body = super::openapi::ErrorBody), (status = 404, description = "No such flow file", body = super::openapi::ErrorBody)))]
async fn open(
    State(s): State<AdminState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let path = existing(&s, &name)?;
    let source = read(&path)?;
    let (problems, failed) = findings(&source, &name);
    Ok(Json(json!({
        "name": name,
        "served": is_served(&s, &path),
        "version": version_of(&source, &name),
        "source": source,
        "diagnostics": problems,
        "ok": !failed,
    })))
}

/// A draft of a flow file.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct Draft {
    source: String,
}

/// `POST /api/flows/{name}/check {"source": ...}`: the loader's errors and warnings.
#[utoipa::path(post, path = "/api/flows/{name}/check", tag = "flows",
    params(("name" = String, Path, description = "A flow file in the flows directory", pattern = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$", example = "shop.yaml")), request_body = Draft,
    responses((status = 200, description = "The loader's errors and warnings on the draft", body = super::answers::FlowChecked), (status = 400, description = "Not a flow file name", body = super::openapi::ErrorBody), (status = 404, description = "No such flow file", body = super::openapi::ErrorBody)))]
async fn check(
    State(s): State<AdminState>,
    Path(name): Path<String>,
    Json(draft): Json<Draft>,
) -> Result<Json<Value>, ApiError> {
    existing(&s, &name)?;
    let (problems, failed) = findings(&draft.source, &name);
    Ok(Json(json!({ "ok": !failed, "diagnostics": problems })))
}

/// `POST /api/flows/{name}/diff {"source": ...}`: the draft against the file on disk.
#[utoipa::path(post, path = "/api/flows/{name}/diff", tag = "flows",
    params(("name" = String, Path, description = "A flow file in the flows directory", pattern = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$", example = "shop.yaml")), request_body = Draft,
    responses((status = 200, description = "The draft against the file on disk, line by line", body = super::answers::FlowDiff), (status = 400, description = "Not a flow file name", body = super::openapi::ErrorBody), (status = 404, description = "No such flow file", body = super::openapi::ErrorBody)))]
async fn diff(
    State(s): State<AdminState>,
    Path(name): Path<String>,
    Json(draft): Json<Draft>,
) -> Result<Json<Value>, ApiError> {
    let live = read(&existing(&s, &name)?)?;
    let lines = line_diff(&live, &draft.source);
    let (added, removed) = counts(&lines);
    Ok(Json(
        json!({ "added": added, "removed": removed, "lines": lines }),
    ))
}

/// Writes `source` over `path` and records it; the first time a file is published, its text
/// on disk is stored first, so it can be restored.
async fn put_live(
    s: &AdminState,
    path: &FsPath,
    name: &str,
    source: &str,
    by: &str,
    action: &str,
    restored_from: Option<i64>,
) -> Result<(i64, String), ApiError> {
    let now = unix_ms();
    if s.store.flow_publications(name).await?.is_empty() {
        let before = read(path)?;
        s.store
            .add_flow_publication(&NewPublication {
                file: name,
                version: &version_of(&before, name),
                source: &before,
                published_by: ON_DISK,
                published_at: now,
                action: "original",
                restored_from: None,
            })
            .await?;
    }
    write_atomically(path, source)?;
    let version = version_of(source, name);
    let id = s
        .store
        .add_flow_publication(&NewPublication {
            file: name,
            version: &version,
            source,
            published_by: by,
            published_at: now,
            action,
            restored_from,
        })
        .await?;
    Ok((id, version))
}

async fn audit(
    s: &AdminState,
    caller: &Option<Extension<Caller>>,
    action: &str,
    name: &str,
    detail: String,
) {
    let (who, address) = actor(caller);
    let mut entry = AuditEntry::new(unix_ms(), &who, action)
        .target(name)
        .detail(detail);
    if let Some(address) = &address {
        entry = entry.address(address);
    }
    if let Err(e) = s.store.audit(&entry).await {
        tracing::error!("audit log: {e}");
    }
}

fn refused(problems: Vec<Value>, what: &str) -> Response {
    let errors = problems.iter().filter(|p| p["severity"] == "error").count();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "error": format!("{what} has {errors} error{}; nothing was published and the live version keeps serving",
                if errors == 1 { "" } else { "s" }),
            "diagnostics": problems,
        })),
    )
        .into_response()
}

/// `POST /api/flows/{name}/publish {"source": ...}`: refused (422, with the problems) when the
/// loader finds an error; else written, recorded and audited.
#[utoipa::path(post, path = "/api/flows/{name}/publish", tag = "flows",
    params(("name" = String, Path, description = "A flow file in the flows directory", pattern = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$", example = "shop.yaml")), request_body = Draft,
    responses((status = 200, description = "Published: the new version", body = super::answers::FlowPublished), (status = 400, description = "Not a flow file name", body = super::openapi::ErrorBody), (status = 404, description = "No such flow file", body = super::openapi::ErrorBody),
        (status = 422, description = "The draft has errors; nothing was published", body = super::answers::FlowRefused)))]
async fn publish(
    State(s): State<AdminState>,
    caller: Option<Extension<Caller>>,
    Path(name): Path<String>,
    Json(draft): Json<Draft>,
) -> Result<Response, ApiError> {
    let path = existing(&s, &name)?;
    let (problems, failed) = findings(&draft.source, &name);
    if failed {
        return Ok(refused(problems, "the draft"));
    }
    let (who, _) = actor(&caller);
    let (id, version) = put_live(&s, &path, &name, &draft.source, &who, "publish", None).await?;
    audit(
        &s,
        &caller,
        "flow_publish",
        &name,
        format!("version {id} ({})", short(&version)),
    )
    .await;
    Ok(
        Json(json!({ "id": id, "version": version, "served": is_served(&s, &path) }))
            .into_response(),
    )
}

fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}

/// `GET /api/flows/{name}/versions`: what was published, newest first, with who and when.
#[utoipa::path(get, path = "/api/flows/{name}/versions", tag = "flows",
    params(("name" = String, Path, description = "A flow file in the flows directory", pattern = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$", example = "shop.yaml")),
    responses((status = 200, description = "What was published, newest first", body = Vec<crate::store::FlowPublication>), (status = 400, description = "Not a flow file name", body = super::openapi::ErrorBody)))]
async fn versions(
    State(s): State<AdminState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let name = valid_file_name(&name)?;
    Ok(Json(json!(s.store.flow_publications(name).await?)))
}

/// `GET /api/flows/{name}/versions/{id}`: one published version with its text.
#[utoipa::path(get, path = "/api/flows/{name}/versions/{id}", tag = "flows",
    params(("name" = String, Path, description = "A flow file in the flows directory", pattern = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$", example = "shop.yaml"), ("id" = i64, Path, description = "The version's id", minimum = 1, example = 1)),
    responses((status = 200, description = "One published version with its text", body = super::answers::FlowVersion), (status = 400, description = "Not a flow file name", body = super::openapi::ErrorBody),
        (status = 404, description = "No such version", body = super::openapi::ErrorBody)))]
async fn version(
    State(s): State<AdminState>,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<Value>, ApiError> {
    let name = valid_file_name(&name)?;
    let Some(p) = s.store.flow_publication(name, id).await? else {
        return Err(ApiError::not_found(format!("no version {id} of {name}")));
    };
    let mut answer = json!(p);
    answer["source"] = json!(p.source);
    Ok(Json(answer))
}

/// Which stored version to publish again.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct Rollback {
    id: i64,
}

/// `POST /api/flows/{name}/rollback {"id": N}`: publishes version N's text again (checked by
/// today's loader first), recorded as a rollback and audited.
#[utoipa::path(post, path = "/api/flows/{name}/rollback", tag = "flows",
    params(("name" = String, Path, description = "A flow file in the flows directory", pattern = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$", example = "shop.yaml")), request_body = Rollback,
    responses((status = 200, description = "Version id published again", body = super::answers::FlowPublished), (status = 400, description = "Not a flow file name", body = super::openapi::ErrorBody),
        (status = 404, description = "No such flow file or version", body = super::openapi::ErrorBody),
        (status = 422, description = "That version no longer loads; nothing was published", body = super::answers::FlowRefused)))]
async fn rollback(
    State(s): State<AdminState>,
    caller: Option<Extension<Caller>>,
    Path(name): Path<String>,
    Json(body): Json<Rollback>,
) -> Result<Response, ApiError> {
    let path = existing(&s, &name)?;
    let Some(old) = s.store.flow_publication(&name, body.id).await? else {
        return Err(ApiError::not_found(format!(
            "no version {} of {name}",
            body.id
        )));
    };
    let (problems, failed) = findings(&old.source, &name);
    if failed {
        return Ok(refused(problems, &format!("version {}", body.id)));
    }
    let (who, _) = actor(&caller);
    let (id, version) = put_live(
        &s,
        &path,
        &name,
        &old.source,
        &who,
        "rollback",
        Some(old.id),
    )
    .await?;
    audit(
        &s,
        &caller,
        "flow_rollback",
        &name,
        format!("to version {} ({}) as {id}", old.id, short(&version)),
    )
    .await;
    Ok(Json(json!({ "id": id, "version": version, "restored_from": old.id, "served": is_served(&s, &path) })).into_response())
}

/// `/console/flows`: the editor; its script reads and writes `/api/flows`.
async fn flows_page(Extension(caller): Extension<Caller>) -> Response {
    console_page(caller, FLOWS_HTML, |html| html)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::admin::tests::{serve, token};
    use crate::auth::Role;
    use crate::config::Config;
    use crate::store::{temp_db, Store};

    const SHOP: &str = include_str!("../../flows/shop.yaml");

    async fn call(method: &str, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let client = reqwest::Client::new();
        let mut request = match method {
            "POST" => client.post(url),
            _ => client.get(url),
        }
        .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    #[test]
    fn only_plain_flow_file_names_are_taken() {
        for good in ["shop.yaml", "bank-2.yml", "a_b.yaml"] {
            assert!(valid_file_name(good).is_ok(), "{good}");
        }
        for bad in [
            "../shop.yaml",
            "shop",
            ".hidden.yaml",
            "a/b.yaml",
            "shop.yaml.bak",
            "",
        ] {
            let refused = valid_file_name(bad).unwrap_err();
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn findings_point_at_the_line_and_column() {
        let broken = SHOP.replace("start: known_caller", "start: nowhere");
        let (problems, failed) = findings(&broken, "shop.yaml");
        assert!(failed);
        let error = problems.iter().find(|p| p["severity"] == "error").unwrap();
        assert_eq!(
            (error["line"].as_u64(), error["column"].as_u64()),
            (Some(28), Some(8))
        );
        assert_eq!(error["message"], "`start` names unknown node `nowhere`");
        assert!(!findings(SHOP, "shop.yaml").1);
    }

    /// Publish refused for a broken draft, a fix published, its diff, the history with who
    /// published, a rollback to the original file, the audit log, and agents kept out.
    #[tokio::test]
    async fn publish_history_and_rollback_through_the_api() {
        let dir = std::env::temp_dir().join(format!("hotline-flow-editor-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let served = dir.join("shop.yaml");
        std::fs::write(&served, SHOP).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a flow").unwrap();
        let store = Store::open(&temp_db("flow-editor")).await.unwrap();
        let sue = token(&store, "sue", Role::Supervisor).await;
        let ann = token(&store, "ann", Role::Agent).await;
        let mut config = Config::load(None).unwrap();
        config.flow_file = served.clone();
        let base = serve(AdminState::new(store.clone(), Arc::new(config))).await;
        let api = |path: &str| format!("{base}/api/flows{path}");

        let (status, files) = call("GET", &api(""), &sue, None).await;
        assert_eq!(status, 200, "{files}");
        assert_eq!(
            files,
            json!([{ "name": "shop.yaml", "served": true, "bytes": SHOP.len() }])
        );
        let (status, opened) = call("GET", &api("/shop.yaml"), &sue, None).await;
        assert_eq!((status, opened["source"].as_str()), (200, Some(SHOP)));

        let broken = SHOP.replace("start: known_caller", "start: nowhere");
        let (status, refused) = call(
            "POST",
            &api("/shop.yaml/publish"),
            &sue,
            Some(json!({ "source": broken })),
        )
        .await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(
            refused["error"],
            "the draft has 1 error; nothing was published and the live version keeps serving"
        );
        assert_eq!(refused["diagnostics"][0]["line"], 28);
        assert_eq!(std::fs::read_to_string(&served).unwrap(), SHOP);

        let fixed = SHOP.replace(
            "Hello, and welcome to {shop}.",
            "Hi, thanks for calling {shop}.",
        );
        let (status, diff) = call(
            "POST",
            &api("/shop.yaml/diff"),
            &sue,
            Some(json!({ "source": fixed })),
        )
        .await;
        assert_eq!(
            (status, &diff["added"], &diff["removed"]),
            (200, &json!(1), &json!(1))
        );
        let changed: Vec<&Value> = diff["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["change"] != "same")
            .collect();
        assert_eq!(changed[0]["change"], "removed");
        assert_eq!(changed[0]["old"], 213);
        assert!(changed[1]["text"]
            .as_str()
            .unwrap()
            .contains("Hi, thanks for calling"));

        let (status, published) = call(
            "POST",
            &api("/shop.yaml/publish"),
            &sue,
            Some(json!({ "source": fixed })),
        )
        .await;
        assert_eq!(status, 200, "{published}");
        assert_eq!(published["served"], true);
        assert_eq!(std::fs::read_to_string(&served).unwrap(), fixed);

        let (_, history) = call("GET", &api("/shop.yaml/versions"), &sue, None).await;
        let history = history.as_array().unwrap().clone();
        assert_eq!(history.len(), 2);
        assert_eq!(
            (&history[0]["action"], &history[0]["published_by"]),
            (&json!("publish"), &json!("sue"))
        );
        assert_eq!(
            (&history[1]["action"], &history[1]["published_by"]),
            (&json!("original"), &json!(ON_DISK))
        );
        let original = history[1]["id"].as_i64().unwrap();
        let (_, one) = call(
            "GET",
            &api(&format!("/shop.yaml/versions/{original}")),
            &sue,
            None,
        )
        .await;
        assert_eq!(one["source"].as_str(), Some(SHOP));

        let (status, back) = call(
            "POST",
            &api("/shop.yaml/rollback"),
            &sue,
            Some(json!({ "id": original })),
        )
        .await;
        assert_eq!(status, 200, "{back}");
        assert_eq!(back["restored_from"], original);
        assert_eq!(std::fs::read_to_string(&served).unwrap(), SHOP);
        let (_, history) = call("GET", &api("/shop.yaml/versions"), &sue, None).await;
        assert_eq!(history.as_array().unwrap().len(), 3);
        assert_eq!(history[0]["action"], "rollback");

        let audit = store.audit_log(10).await.unwrap();
        let actions: Vec<(&str, &str)> = audit
            .iter()
            .map(|e| (e.action.as_str(), e.actor.as_str()))
            .collect();
        assert!(actions.contains(&("flow_publish", "sue")), "{actions:?}");
        assert!(actions.contains(&("flow_rollback", "sue")), "{actions:?}");

        let (status, _) = call("GET", &api("/..%2Fsecret.yaml"), &sue, None).await;
        assert_eq!(status, 400);
        let (status, _) = call("GET", &api("/bank.yaml"), &sue, None).await;
        assert_eq!(status, 404);
        for path in ["", "/shop.yaml", "/shop.yaml/versions"] {
            let (status, _) = call("GET", &api(path), &ann, None).await;
            assert_eq!(status, 403, "{path}");
        }
        let (status, _) = call(
            "POST",
            &api("/shop.yaml/publish"),
            &ann,
            Some(json!({ "source": fixed })),
        )
        .await;
        assert_eq!(status, 403);
    }
}
