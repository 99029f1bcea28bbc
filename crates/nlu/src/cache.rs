//! Embeddings kept on disk between evaluation runs, keyed by the model and tokenizer bytes and
//! the texts, so a rerun skips the minutes of embedding a whole dataset.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::NluError;

/// First bytes of a cache file (format version 1).
const MAGIC: &[u8; 8] = b"HLNUEMB1";

/// The cache directory: `$HOTLINE_CACHE_DIR/nlu`, else `$XDG_CACHE_HOME/hotline/nlu`, else
/// `~/.cache/hotline/nlu`; `None` when none of those variables is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("HOTLINE_CACHE_DIR") {
        return Some(PathBuf::from(dir).join("nlu"));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("hotline").join("nlu"));
    }
    var("HOME").map(|home| {
        PathBuf::from(home)
            .join(".cache")
            .join("hotline")
            .join("nlu")
    })
}

/// Hex SHA-256 of the model and tokenizer files together: changes whenever either does.
pub fn model_key(model: &Path, tokenizer: &Path) -> Result<String, NluError> {
    let mut hasher = Sha256::new();
    for path in [model, tokenizer] {
        let bytes = std::fs::read(path).map_err(|e| NluError::io(path, e))?;
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hex(&hasher.finalize()))
}

/// Hex SHA-256 of a list of texts.
pub fn texts_key(texts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for text in texts {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads embeddings written by [`store`]; `None` when the file is missing, damaged, or holds
/// a different number of embeddings.
pub fn load(path: &Path, count: usize) -> Option<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).ok()?;
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (header, body) = rest.split_at_checked(16)?;
    let stored = u64::from_le_bytes(header[..8].try_into().ok()?) as usize;
    let width = u64::from_le_bytes(header[8..].try_into().ok()?) as usize;
    if stored != count || width == 0 || body.len() != count.checked_mul(width)?.checked_mul(4)? {
        return None;
    }
    let values: Vec<f32> = body
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Some(values.chunks_exact(width).map(<[f32]>::to_vec).collect())
}

/// Writes embeddings (all of one width) atomically: a temporary file renamed into place.
pub fn store(path: &Path, embeddings: &[Vec<f32>]) -> Result<(), NluError> {
    let width = embeddings.first().map_or(0, Vec::len);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| NluError::io(dir, e))?;
    }
    let mut bytes = Vec::with_capacity(24 + embeddings.len() * width * 4);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(embeddings.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&(width as u64).to_le_bytes());
    for value in embeddings.iter().flatten() {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary).map_err(|e| NluError::io(&temporary, e))?;
    file.write_all(&bytes)
        .map_err(|e| NluError::io(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| NluError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_mismatches() {
        let dir = std::env::temp_dir().join(format!("hotline-nlu-cache-{}", std::process::id()));
        let path = dir.join("e.bin");
        let embeddings = vec![vec![0.5, -1.0, 2.0], vec![0.0, 3.25, -0.125]];
        store(&path, &embeddings).expect("writes");
        assert_eq!(load(&path, 2), Some(embeddings));
        assert_eq!(load(&path, 3), None);
        std::fs::write(&path, b"HLNUEMB1short").expect("writes");
        assert_eq!(load(&path, 2), None);
        assert_eq!(load(&dir.join("missing.bin"), 2), None);
        std::fs::remove_dir_all(&dir).expect("cleans up");
    }

    #[test]
    fn text_keys_differ_when_texts_do() {
        assert_eq!(texts_key(&["a", "b"]), texts_key(&["a", "b"]));
        assert_ne!(texts_key(&["a", "b"]), texts_key(&["ab"]));
        assert_eq!(texts_key(&[]).len(), 64);
    }
}
