//! A call's recordings (voicemails, agent-bridge recordings) served to the console: which files
//! belong to a call, and the path check that keeps the route from ever serving a file outside
//! the recordings directory, whatever name a request carries.

use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{AdminState, ApiError};

/// Why a recording name is not served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordingRefused {
    #[error("{name:?} is not a recording of call {call_id}")]
    NotOfThisCall { call_id: String, name: String },
    #[error("{name:?} is outside the recordings directory")]
    OutsideDirectory { name: String },
    #[error("no recording {name:?}")]
    Missing { name: String },
}

/// Is `name` one of the names the call path gives a call's recordings: `{call_id}-{tag}.wav`
/// with a tag of letters, digits, `-` and `_` (so no separator, no `..`, nothing hidden)?
pub fn is_recording_name(call_id: &str, name: &str) -> bool {
    let Some(tag) = name
        .strip_prefix(call_id)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.strip_suffix(".wav"))
    else {
        return false;
    };
    !call_id.is_empty()
        && call_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The file to serve for `name`: a recording name of this call that resolves (links followed)
/// to a file inside `dir`.
pub fn recording_path(dir: &Path, call_id: &str, name: &str) -> Result<PathBuf, RecordingRefused> {
    if !is_recording_name(call_id, name) {
        return Err(RecordingRefused::NotOfThisCall {
            call_id: call_id.to_string(),
            name: name.to_string(),
        });
    }
    let missing = || RecordingRefused::Missing {
        name: name.to_string(),
    };
    let dir = dir.canonicalize().map_err(|_| missing())?;
    let file = dir.join(name).canonicalize().map_err(|_| missing())?;
    if !file.starts_with(&dir) {
        return Err(RecordingRefused::OutsideDirectory {
            name: name.to_string(),
        });
    }
    if !file.is_file() {
        return Err(missing());
    }
    Ok(file)
}

/// The names of the call's recordings in `dir`, sorted; none when the directory is absent.
pub fn recordings_of(dir: &Path, call_id: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| recording_path(dir, call_id, name).is_ok())
        .collect();
    names.sort();
    names
}

/// `GET /api/calls/{id}/recordings/{name}`: the WAV file.
#[utoipa::path(get, path = "/api/calls/{id}/recordings/{name}", tag = "calls",
    params(("id" = String, Path, description = "The call's id"), ("name" = String, Path, description = "A recording\'s file name, as the call lists it: {id}-{tag}.wav", pattern = r"^[A-Za-z0-9-]+-[A-Za-z0-9_-]+\.wav$")),
    responses((status = 200, description = "The WAV file", body = Vec<u8>, content_type = "audio/wav"),
        (status = 400, description = "Not a recording of this call", body = super::openapi::ErrorBody),
        (status = 404, description = "No such call or recording", body = super::openapi::ErrorBody)))]
pub async fn recording(
    State(s): State<AdminState>,
    UrlPath((id, name)): UrlPath<(String, String)>,
) -> Result<Response, ApiError> {
    let Some(call) = s.store.find_call(&id).await? else {
        return Err(ApiError::not_found(format!("no call {id}")));
    };
    let path = recording_path(&s.recordings_dir, &call.id, &name).map_err(|refused| {
        let status = match refused {
            RecordingRefused::Missing { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError {
            status,
            message: refused.to_string(),
        }
    })?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ApiError::not_found(format!("no recording {name:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: &str = "0193a6f2-7c1e-7d2a-9a55-1f2e3d4c5b6a";

    #[test]
    fn only_the_calls_own_recording_names_pass() {
        assert!(is_recording_name(CALL, &format!("{CALL}-1.wav")));
        assert!(is_recording_name(CALL, &format!("{CALL}-bridge.wav")));
        for name in [
            format!("{CALL}.wav"),
            format!("{CALL}-.wav"),
            format!("{CALL}-1.mp3"),
            format!("{CALL}-../../etc/passwd.wav"),
            format!("{CALL}-a/b.wav"),
            format!("{CALL}-..wav"),
            "other-1.wav".to_string(),
            format!("../{CALL}-1.wav"),
        ] {
            assert!(!is_recording_name(CALL, &name), "{name}");
        }
        assert!(!is_recording_name("../x", "../x-1.wav"));
        assert!(!is_recording_name("", "-1.wav"));
    }

    #[test]
    fn a_link_out_of_the_directory_is_refused() {
        let root = std::env::temp_dir().join(format!("hotline-recordings-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("recordings");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(root.join("secret.wav"), b"RIFF").unwrap();
        std::fs::write(dir.join(format!("{CALL}-1.wav")), b"RIFF").unwrap();
        std::os::unix::fs::symlink(root.join("secret.wav"), dir.join(format!("{CALL}-2.wav")))
            .unwrap();

        let good = recording_path(&dir, CALL, &format!("{CALL}-1.wav")).unwrap();
        assert!(good.starts_with(dir.canonicalize().unwrap()));
        assert_eq!(
            recording_path(&dir, CALL, &format!("{CALL}-2.wav")),
            Err(RecordingRefused::OutsideDirectory {
                name: format!("{CALL}-2.wav")
            })
        );
        assert!(matches!(
            recording_path(&dir, CALL, &format!("{CALL}-3.wav")),
            Err(RecordingRefused::Missing { .. })
        ));
        assert_eq!(recordings_of(&dir, CALL), [format!("{CALL}-1.wav")]);
        assert!(recordings_of(&root.join("absent"), CALL).is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
