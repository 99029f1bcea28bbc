//! Hot reload of the flow file: an edit applies to new calls within about a second; calls in
//! progress finish on the version they started with; a broken edit is refused and logged with
//! every file:line:column problem while the last good version keeps serving.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{active_flow, Services};
use crate::store::unix_ms;

/// How often the file is looked at.
const POLL: Duration = Duration::from_millis(500);

/// What the watcher last applied (or refused): the exact text, so the comparison starts from
/// the source the server loaded, not from a second read that could already hold an edit.
#[derive(Debug)]
pub struct WatchedSource {
    last: String,
}

impl WatchedSource {
    /// Starts from the text that was loaded and is being served.
    pub fn new(loaded: String) -> Self {
        Self { last: loaded }
    }

    /// True when `current` differs from the last text seen; then it becomes the last text seen,
    /// so a broken edit is reported once, not at every poll.
    pub fn take_edit(&mut self, current: &str) -> bool {
        if self.last == current {
            return false;
        }
        current.clone_into(&mut self.last);
        true
    }
}

/// Polls `path`; `loaded` is the exact source the server is serving.
pub async fn watch_flow(
    services: Arc<Services>,
    path: PathBuf,
    loaded: String,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut watched = WatchedSource::new(loaded);
    let mut unreadable = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => {
                unreadable = false;
                source
            }
            Err(e) => {
                if !unreadable {
                    tracing::error!(
                        "flow file {} unreadable ({e}); still serving the last good version",
                        path.display()
                    );
                    unreadable = true;
                }
                continue;
            }
        };
        if !watched.take_edit(&source) {
            continue;
        }
        let file = path.display().to_string();
        match active_flow(&source, &file, Some(&services.encoder)) {
            Ok(active) => {
                super::warn_about_settings(&active.flow, &services.config);
                let version = active.flow.version_hash();
                let name = active.flow.name().to_string();
                let texts = active.flow.spoken_texts();
                if let Err(e) = services
                    .store
                    .flow_loaded(&version, &name, &file, &source, unix_ms())
                    .await
                {
                    tracing::error!("cannot record flow version {version}: {e}");
                }
                services.set_flow(active);
                tracing::info!(
                    "flow {name} reloaded: version {}",
                    &version[..12.min(version.len())]
                );
                services.tts.prepare(texts);
            }
            Err(report) => {
                let serving = services.current_flow().flow.version_hash();
                tracing::error!(
                    "flow edit refused; still serving version {}:\n{report}",
                    &serving[..12.min(serving.len())]
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WatchedSource;

    #[test]
    fn an_edit_saved_before_the_first_poll_is_seen() {
        // The server loaded "v1"; by the watcher's first read the file already holds "v2".
        let mut watched = WatchedSource::new("v1".to_string());
        assert!(watched.take_edit("v2"));
        assert!(!watched.take_edit("v2"), "the same text is applied once");
    }

    #[test]
    fn the_loaded_text_is_not_an_edit() {
        let mut watched = WatchedSource::new("v1".to_string());
        assert!(!watched.take_edit("v1"));
        assert!(watched.take_edit("broken"));
        assert!(
            !watched.take_edit("broken"),
            "a refused edit is reported once"
        );
        assert!(
            watched.take_edit("v1"),
            "going back to the served text is an edit again"
        );
    }
}
