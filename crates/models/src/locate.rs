//! Finding installed model files, or telling the user how to install them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::ModelsError;
use crate::manifest::Manifest;

/// Paths of every model file Hotline runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSet {
    /// Whisper base (multilingual), ggml: the telephone-audio default.
    pub whisper_base: PathBuf,
    /// Whisper tiny.en, ggml: faster, less accurate on 8 kHz audio.
    pub whisper_tiny_en: PathBuf,
    /// Silero VAD v6 ONNX model.
    pub silero_vad: PathBuf,
    /// Piper voice model.
    pub piper_onnx: PathBuf,
    /// Piper voice configuration (`.onnx.json`).
    pub piper_config: PathBuf,
    /// ONNX Runtime shared library for `ort`'s `load-dynamic`.
    pub onnxruntime: PathBuf,
}

/// Finds the installed files of the embedded manifest under `root` (the checkout).
/// A missing or truncated file is an error naming it and `hotline models fetch`.
pub fn locate(root: &Path) -> Result<ModelSet, ModelsError> {
    locate_with(root, &BTreeMap::new())
}

/// Like [`locate`], but assets in `provided` (asset id -> path the user supplied) are taken
/// from there instead: e.g. `whisper-base` -> an existing `ggml-small.en.bin`, or
/// `piper-en_US-joe-medium` -> another voice's `.onnx` (its config is the same path plus `.json`).
pub fn locate_with(
    root: &Path,
    provided: &BTreeMap<String, PathBuf>,
) -> Result<ModelSet, ModelsError> {
    let manifest = Manifest::embedded()?;
    for id in provided.keys() {
        manifest.asset(id)?;
    }
    let files = |id: &str| -> Result<Vec<PathBuf>, ModelsError> {
        match provided.get(id) {
            Some(path) => user_files(id, path),
            None => installed_files(&manifest, root, id),
        }
    };
    let first = |id: &str| -> Result<PathBuf, ModelsError> {
        files(id)?
            .into_iter()
            .next()
            .ok_or_else(|| ModelsError::UnknownAsset {
                id: id.to_string(),
                known: manifest.ids().join(", "),
            })
    };
    let whisper_base = first("whisper-base")?;
    let whisper_tiny_en = first("whisper-tiny.en")?;
    let silero_vad = first("silero-vad")?;
    let voice = files("piper-en_US-joe-medium")?;
    let (piper_onnx, piper_config) = match voice.as_slice() {
        [onnx, config, ..] => (onnx.clone(), config.clone()),
        _ => {
            return Err(ModelsError::UnknownAsset {
                id: "piper-en_US-joe-medium".into(),
                known: manifest.ids().join(", "),
            })
        }
    };
    Ok(ModelSet {
        whisper_base,
        whisper_tiny_en,
        silero_vad,
        piper_onnx,
        piper_config,
        onnxruntime: first("onnxruntime")?,
    })
}

/// The installed files of one asset of the embedded manifest, checked for presence and size.
/// Useful for assets added after [`ModelSet`] was defined.
pub fn asset_files(root: &Path, id: &str) -> Result<Vec<PathBuf>, ModelsError> {
    installed_files(&Manifest::embedded()?, root, id)
}

fn installed_files(
    manifest: &Manifest,
    root: &Path,
    id: &str,
) -> Result<Vec<PathBuf>, ModelsError> {
    let asset = manifest.asset(id)?;
    asset
        .installed()
        .into_iter()
        .map(|f| {
            let path = root.join(&f.rel_path);
            match path.metadata() {
                Ok(m) if m.len() == f.size => Ok(path),
                Ok(m) => Err(ModelsError::InstalledSizeMismatch {
                    asset: id.to_string(),
                    path,
                    expected: f.size,
                    actual: m.len(),
                }),
                Err(_) => Err(ModelsError::Missing {
                    asset: id.to_string(),
                    path,
                }),
            }
        })
        .collect()
}

/// A user-supplied file, plus the Piper config beside a user-supplied voice.
fn user_files(id: &str, path: &Path) -> Result<Vec<PathBuf>, ModelsError> {
    let mut out = vec![path.to_path_buf()];
    if id.starts_with("piper-") {
        let mut config = path.as_os_str().to_os_string();
        config.push(".json");
        out.push(PathBuf::from(config));
    }
    for p in &out {
        std::fs::metadata(p).map_err(ModelsError::io(p))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_root(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hotline-locate-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn missing_file_error_names_file_and_fetch_command() {
        let root = temp_root("empty");
        let err = locate(&root).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("hotline models fetch"), "{text}");
        assert!(text.contains("models/ggml-base.bin"), "{text}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn truncated_file_is_reported_with_sizes() {
        let root = temp_root("short");
        std::fs::create_dir_all(root.join("models")).unwrap();
        std::fs::write(root.join("models/silero_vad.onnx"), b"short").unwrap();
        let err = asset_files(&root, "silero-vad").unwrap_err();
        assert!(matches!(
            err,
            ModelsError::InstalledSizeMismatch {
                expected: 2_327_524,
                actual: 5,
                ..
            }
        ));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn provided_voice_brings_its_config() {
        let root = temp_root("voice");
        let onnx = root.join("my-voice.onnx");
        std::fs::write(&onnx, b"x").unwrap();
        assert!(user_files("piper-en_US-joe-medium", &onnx).is_err());
        std::fs::write(root.join("my-voice.onnx.json"), b"{}").unwrap();
        let files = user_files("piper-en_US-joe-medium", &onnx).unwrap();
        assert_eq!(files[1], root.join("my-voice.onnx.json"));
        let mut provided = BTreeMap::new();
        provided.insert("no-such-asset".to_string(), onnx);
        assert!(matches!(
            locate_with(&root, &provided),
            Err(ModelsError::UnknownAsset { .. })
        ));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
