//! The IO around inspection: reading the rules file (again when it changes, keeping the last good
//! rules when an edit is broken), inspecting a stored call and keeping the verdict, and the
//! server's task that inspects every call as its record closes.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{inspect, CallFacts, Inspection, Rule};
use crate::error::HotlineError;
use crate::store::{CallEvent, Store};

/// The rules file and the last good rules read from it.
pub struct RulesFile {
    path: PathBuf,
    rules: Vec<Rule>,
    /// The modification time and length last read (good or not), to read again only on change.
    seen: Option<(SystemTime, u64)>,
}

impl RulesFile {
    /// Reads the rules; a missing file is no rules (every call scores 100).
    pub fn load(path: &Path) -> Result<RulesFile, HotlineError> {
        let mut file = RulesFile {
            path: path.to_path_buf(),
            rules: Vec::new(),
            seen: None,
        };
        file.seen = stamp(path);
        file.rules = read(path)?;
        Ok(file)
    }

    /// An empty rule set for `path`, read on the next [`RulesFile::refresh`].
    pub fn unread(path: &Path) -> RulesFile {
        RulesFile {
            path: path.to_path_buf(),
            rules: Vec::new(),
            seen: None,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Reads the file again if it changed; a broken edit is logged with its position and the
    /// last good rules stay.
    pub fn refresh(&mut self) {
        let now = stamp(&self.path);
        if now == self.seen && self.seen.is_some() {
            return;
        }
        self.seen = now;
        match read(&self.path) {
            Ok(rules) => {
                tracing::info!(
                    "inspection rules {} loaded: {} rule(s)",
                    self.path.display(),
                    rules.len()
                );
                self.rules = rules;
            }
            Err(e) => tracing::error!(
                "inspection rules refused, the last good rules ({}) stay: {e}",
                self.rules.len()
            ),
        }
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn read(path: &Path) -> Result<Vec<Rule>, HotlineError> {
    match std::fs::read_to_string(path) {
        Ok(text) => super::rules::parse(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(HotlineError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Inspects one stored call with `rules` and keeps the verdict; `None`: no such call.
pub async fn inspect_stored_call(
    store: &Store,
    rules: &[Rule],
    call_id: &str,
    now: i64,
) -> Result<Option<Inspection>, HotlineError> {
    let Some(call) = store.find_call(call_id).await? else {
        return Ok(None);
    };
    let turns = store.turns(&call.id).await?;
    let transferred = store.call_was_transferred(&call.id).await?;
    let verdict = inspect(
        rules,
        &CallFacts {
            transferred,
            answered_at: call.answered_at.unwrap_or(call.started_at),
            turns: &turns,
        },
    );
    let fired = serde_json::to_string(&verdict.fired).unwrap_or_else(|_| "[]".into());
    store
        .save_inspection(&call.id, now, verdict.score, &fired)
        .await?;
    Ok(Some(verdict))
}

/// The server's inspector: every call that ends is inspected with the rules as they are then.
pub async fn run(store: Store, path: PathBuf, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut events = store.call_events();
    let mut rules = match RulesFile::load(&path) {
        Ok(rules) => rules,
        Err(e) => {
            tracing::error!("inspection rules refused; calls are inspected with none until the file is fixed: {e}");
            RulesFile::unread(&path)
        }
    };
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = shutdown.changed() => return,
        };
        let call_id = match event {
            Ok(CallEvent::CallEnded { call_id, .. }) => call_id,
            Ok(_) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!("inspection: {missed} call event(s) missed; `hotline calls inspect` inspects them again");
                continue;
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        rules.refresh();
        let now = crate::store::unix_ms();
        if let Err(e) = inspect_stored_call(&store, rules.rules(), &call_id, now).await {
            tracing::warn!("inspection of call {call_id}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_edit_keeps_the_last_good_rules() {
        let dir = std::env::temp_dir().join(format!("hotline-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rules.yaml");
        let _ = std::fs::remove_file(&path);
        let mut file = RulesFile::load(&path).unwrap();
        assert!(file.rules().is_empty(), "a missing file is no rules");
        std::fs::write(
            &path,
            "rules:\n- id: greet\n  weight: 20\n  greeting_contains: Acme\n",
        )
        .unwrap();
        file.refresh();
        assert_eq!(file.rules()[0].id, "greet");
        std::fs::write(&path, "rules:\n- id: greet\n  weight: lots\n").unwrap();
        assert!(RulesFile::load(&path).is_err());
        file.refresh();
        assert_eq!(file.rules().len(), 1);
        assert_eq!(file.rules()[0].id, "greet");
    }
}
