//! `hotline campaigns dnc add|remove|list|import`: the global do-not-call list, written straight
//! to the store (like `hotline users add`), so it works before the server ever ran and the
//! running server's campaigns see each change before their next INVITE.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hotline_dialer::{import_do_not_call, normalise};

use crate::campaign::report::at_ms;
use crate::store::{unix_ms, DncRow, Store};

#[derive(clap::Subcommand)]
pub enum DncAction {
    /// Put a number on the global list: no campaign calls it again.
    Add {
        number: String,
        /// Why (kept with the number).
        #[arg(long, default_value = "")]
        reason: String,
        /// ISO country for a number written without + (`US`, `GB` ...).
        #[arg(long)]
        country: Option<String>,
    },
    /// Take a number off the global list.
    Remove {
        number: String,
        #[arg(long)]
        country: Option<String>,
    },
    /// Every number on the global list, with when, why and who added it.
    List,
    /// Add the numbers of a CSV file (number first, optional reason second, optional header).
    Import {
        file: PathBuf,
        #[arg(long)]
        country: Option<String>,
    },
}

pub async fn run(action: DncAction, database: &Path) -> anyhow::Result<()> {
    let store = Store::open(database).await?;
    match action {
        DncAction::Add {
            number,
            reason,
            country,
        } => {
            let number = e164(&number, country.as_deref())?;
            let row = DncRow {
                number: number.clone(),
                added_at: unix_ms(),
                reason,
                source: "cli".into(),
            };
            if store.dnc_add(&row).await? {
                println!("{number} is on the do-not-call list: no campaign will call it.");
            } else {
                println!("{number} was already on the do-not-call list.");
            }
        }
        DncAction::Remove { number, country } => {
            let number = e164(&number, country.as_deref())?;
            if !store.dnc_remove(&number).await? {
                bail!("{number} is not on the do-not-call list");
            }
            println!("{number} is off the do-not-call list: campaigns may call it again.");
        }
        DncAction::List => {
            let rows = store.dnc_list().await?;
            if rows.is_empty() {
                println!("The do-not-call list is empty.");
            }
            for row in rows {
                println!(
                    "{}  {}  {}  {}",
                    row.number,
                    at_ms(row.added_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    row.source,
                    row.reason
                );
            }
        }
        DncAction::Import { file, country } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read the do-not-call file {}", file.display()))?;
            let import = import_do_not_call(&text, country.as_deref());
            for problem in &import.problems {
                println!(
                    "warning: {}:{}: `{}` is not a number ({}): skipped",
                    file.display(),
                    problem.line,
                    problem.raw,
                    problem.problem
                );
            }
            let source = format!("import:{}", file.display());
            let mut added = 0;
            for entry in &import.entries {
                let row = DncRow {
                    number: entry.number.to_string(),
                    added_at: unix_ms(),
                    reason: entry.reason.clone().unwrap_or_default(),
                    source: source.clone(),
                };
                if store.dnc_add(&row).await? {
                    added += 1;
                }
            }
            println!(
                "{added} number(s) added to the do-not-call list from {} ({} already on it, {} row(s) skipped).",
                file.display(),
                import.entries.len() - added,
                import.problems.len()
            );
        }
    }
    Ok(())
}

/// A number as the list keeps it, or a sentence saying why it is not one.
pub fn e164(text: &str, country: Option<&str>) -> anyhow::Result<String> {
    normalise(text, country)
        .map(|n| n.to_string())
        .map_err(|e| anyhow::anyhow!("`{text}` is not a phone number: {e}"))
}

/// The global list's numbers, for `campaigns check` (empty when there is no database yet).
pub async fn global_numbers(database: &Path) -> anyhow::Result<Vec<String>> {
    if !database.exists() {
        return Ok(Vec::new());
    }
    let store = Store::open(database).await?;
    Ok(store
        .dnc_list()
        .await?
        .into_iter()
        .map(|r| r.number)
        .collect())
}
