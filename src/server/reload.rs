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

pub async fn watch_flow(
    services: Arc<Services>,
    path: PathBuf,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut last_source: Option<String> = std::fs::read_to_string(&path).ok();
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
        if last_source.as_deref() == Some(source.as_str()) {
            continue;
        }
        last_source = Some(source.clone());
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
