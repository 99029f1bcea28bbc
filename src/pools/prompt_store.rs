//! The flow's prompts kept on disk between runs, so a restarted server is ready in a moment instead
//! of synthesising every prompt again. Only the flow's own sentences are kept (never a sentence
//! with a caller's data in it), keyed by the voice that spoke them.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::HotlineError;

pub struct PromptStore {
    dir: PathBuf,
    /// Names the voice and its settings: another voice never plays this one's audio.
    voice_key: String,
}

impl PromptStore {
    /// Creates `dir` if needed; the voice is known by its model and settings files' names and sizes.
    pub fn open(
        dir: &Path,
        voice_onnx: &Path,
        voice_config: &Path,
    ) -> Result<PromptStore, HotlineError> {
        std::fs::create_dir_all(dir).map_err(|source| HotlineError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let describe = |p: &Path| {
            let size = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            format!(
                "{}:{size}",
                p.file_name().unwrap_or_default().to_string_lossy()
            )
        };
        Ok(PromptStore {
            dir: dir.to_path_buf(),
            voice_key: format!("{} {}", describe(voice_onnx), describe(voice_config)),
        })
    }

    /// The stored audio of `sentence`, if this voice said it before.
    pub fn load(&self, sentence: &str) -> Option<Vec<i16>> {
        let bytes = std::fs::read(self.path(sentence)).ok()?;
        decode(&bytes, &self.voice_key, sentence)
    }

    /// Keeps `pcm` for `sentence`; a failure only costs a synthesis next time, so it is logged.
    pub fn save(&self, sentence: &str, pcm: &[i16]) {
        let path = self.path(sentence);
        let temp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::File::create(&temp)
            .and_then(|mut f| f.write_all(&encode(&self.voice_key, sentence, pcm)))
            .and_then(|()| std::fs::rename(&temp, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            tracing::warn!("prompt cache: cannot write {}: {e}", path.display());
        }
    }

    fn path(&self, sentence: &str) -> PathBuf {
        let key = fnv1a(format!("{}\n{sentence}", self.voice_key).as_bytes());
        self.dir.join(format!("{key:016x}.pcm"))
    }
}

/// The file: the voice key and the sentence (each a little-endian u32 length and UTF-8), then the
/// 8 kHz samples as little-endian i16. Both texts are checked on reading, so a hash collision or a
/// file from another voice is never played.
fn encode(voice_key: &str, sentence: &str, pcm: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + voice_key.len() + sentence.len() + pcm.len() * 2);
    for text in [voice_key, sentence] {
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    for s in pcm {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn decode(bytes: &[u8], voice_key: &str, sentence: &str) -> Option<Vec<i16>> {
    let mut rest = bytes;
    for expected in [voice_key, sentence] {
        let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let text = rest.get(4..4 + len)?;
        if text != expected.as_bytes() {
            return None;
        }
        rest = &rest[4 + len..];
    }
    if !rest.len().is_multiple_of(2) || rest.is_empty() {
        return None;
    }
    Some(
        rest.chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect(),
    )
}

/// 64-bit FNV-1a: a stable file name for a sentence (std's hasher may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_comes_back_only_for_the_same_voice_and_sentence() {
        let bytes = encode("joe.onnx:10 joe.json:2", "Hello.", &[1, -2, 300]);
        assert_eq!(
            decode(&bytes, "joe.onnx:10 joe.json:2", "Hello."),
            Some(vec![1, -2, 300])
        );
        assert_eq!(decode(&bytes, "amy.onnx:10 amy.json:2", "Hello."), None);
        assert_eq!(decode(&bytes, "joe.onnx:10 joe.json:2", "Hello!"), None);
        assert_eq!(
            decode(
                &bytes[..bytes.len() - 1],
                "joe.onnx:10 joe.json:2",
                "Hello."
            ),
            None
        );
        assert_eq!(decode(&[], "joe.onnx:10 joe.json:2", "Hello."), None);
    }

    #[test]
    fn prompts_survive_a_restart_on_disk() {
        let dir = std::env::temp_dir().join(format!("hotline-prompt-store-{}", std::process::id()));
        let voice = dir.join("voice.onnx");
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(&voice, b"weights").expect("voice");
        let store = PromptStore::open(&dir, &voice, &dir.join("voice.onnx.json")).expect("open");
        assert_eq!(store.load("Welcome."), None);
        store.save("Welcome.", &[5, 6, 7]);
        let again = PromptStore::open(&dir, &voice, &dir.join("voice.onnx.json")).expect("open");
        assert_eq!(again.load("Welcome."), Some(vec![5, 6, 7]));
        std::fs::write(&voice, b"other weights").expect("new voice");
        let other = PromptStore::open(&dir, &voice, &dir.join("voice.onnx.json")).expect("open");
        assert_eq!(other.load("Welcome."), None, "a new voice says it again");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
