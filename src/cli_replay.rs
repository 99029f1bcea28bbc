//! `hotline calls replay ID [--flow NEW.yaml]` and `hotline calls to-test ID`: a stored call's
//! journal run through the flow engine again, and a call turned into a flow test script.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use hotline_flow::{CalendarDate, Conversation};

use crate::call::core::journal::JournalEntry;
use crate::call::core::replay::{call_context, call_variables, render, replay, to_test_script};
use crate::server::active_flow;
use crate::store::{CallRecord, Store};

/// A call and its journal, or a sentence saying why there is none.
async fn call_and_journal(
    store: &Store,
    id: &str,
) -> anyhow::Result<(CallRecord, Vec<JournalEntry>)> {
    let Some(call) = store.find_call(id).await? else {
        anyhow::bail!("no call matches {id:?} (`hotline calls list` shows the calls)");
    };
    let journal = store.journal(&call.id).await?;
    anyhow::ensure!(
        !journal.is_empty(),
        "call {} has no journal: it was taken before journals were kept, or never answered",
        call.id
    );
    Ok((call, journal))
}

/// Replays a call against the flow it ran, or `flow_file`; true when every decision matched.
pub async fn replay_call(
    store: &Store,
    id: &str,
    flow_file: Option<&Path>,
) -> anyhow::Result<bool> {
    let Some(call) = store.find_call(id).await? else {
        anyhow::bail!("no call matches {id:?} (`hotline calls list` shows the calls)");
    };
    if call.answered_at.is_none() {
        println!(
            "call {} was never answered: the flow made no decisions, nothing to replay",
            call.id
        );
        return Ok(true);
    }
    let (call, journal) = call_and_journal(store, &call.id).await?;
    let (source, file) = match flow_file {
        Some(path) => (
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
            path.display().to_string(),
        ),
        None => {
            let version = call
                .flow_version
                .clone()
                .with_context(|| format!("call {} does not name its flow version", call.id))?;
            let source = store.flow_source(&version).await?.with_context(|| {
                format!("flow version {version} of call {} is not stored", call.id)
            })?;
            (source, format!("flow version {version}"))
        }
    };
    let active =
        active_flow(&source, &file, crate::cli_flow::encoder().as_ref()).map_err(|e| match e {
            // `file` may be "flow version X": said as before, without a second "flow".
            crate::error::HotlineError::Flow { report, .. } => {
                anyhow::anyhow!("{file} has errors:\n{report}")
            }
            other => other.into(),
        })?;
    let (memory, today) = call_context(&journal);
    let mut conversation = Conversation::new(Arc::clone(&active.flow), Arc::clone(&active.matcher))
        .with_caller_memory(memory);
    if let Some(day) = today.as_deref().and_then(CalendarDate::parse_iso) {
        conversation = conversation.with_today(day);
    }
    if let Some(faq) = &active.faq {
        conversation = conversation.with_faq(Arc::clone(faq));
    }
    for (name, value) in call_variables(&journal) {
        conversation.set_variable(&name, &value);
    }
    let steps = replay(&mut conversation, &journal);
    println!("call {} through {file}", call.id);
    print!("{}", render(&steps));
    Ok(steps.iter().all(|s| s.matches()))
}

/// Writes (or prints) a flow test script from a call.
pub async fn call_to_test(store: &Store, id: &str, out: Option<&Path>) -> anyhow::Result<()> {
    let (call, journal) = call_and_journal(store, id).await?;
    let version = call.flow_version.clone().unwrap_or_default();
    let flow_file = store
        .flow_file(&version)
        .await?
        .with_context(|| format!("flow version {version:?} of call {} is not stored", call.id))?;
    match out {
        Some(path) => {
            let dir = path.parent().unwrap_or(Path::new("."));
            let flow = relative_to(Path::new(&flow_file), dir);
            let script = to_test_script(&journal, &flow.display().to_string(), &call.id);
            std::fs::write(path, script).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "wrote {}; run it with `hotline flow test {}`",
                path.display(),
                path.display()
            );
        }
        None => {
            let flow = absolute(Path::new(&flow_file));
            print!(
                "{}",
                to_test_script(&journal, &flow.display().to_string(), &call.id)
            );
        }
    }
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `target` as seen from directory `from` (both made absolute), e.g. `../shop.yaml`.
fn relative_to(target: &Path, from: &Path) -> PathBuf {
    let target = absolute(target);
    let from = absolute(from);
    let t: Vec<Component> = target.components().collect();
    let f: Vec<Component> = from.components().collect();
    let common = t.iter().zip(&f).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..f.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c.as_os_str());
    }
    rel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_is_named_from_the_script_directory() {
        let dir = std::env::temp_dir().join(format!("hotline-rel-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("flows/tests")).unwrap();
        std::fs::write(dir.join("flows/shop.yaml"), "x").unwrap();
        assert_eq!(
            relative_to(&dir.join("flows/shop.yaml"), &dir.join("flows/tests")),
            PathBuf::from("../shop.yaml")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
