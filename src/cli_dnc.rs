//! `hotline campaigns dnc add|remove|list|import [--campaign NAME]`: the global do-not-call list,
//! or one campaign's own, written straight to the store (like `hotline users add`), so it works
//! before the server ever ran and the running server's campaigns see each change before their
//! next INVITE.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hotline_dialer::{import_do_not_call, normalise};

use crate::campaign::report::at_ms;
use crate::store::{unix_ms, DncRow, Store};

#[derive(clap::Subcommand)]
pub enum DncAction {
    /// Put a number on the global list (no campaign calls it again), or on one campaign's.
    Add {
        number: String,
        /// Why (kept with the number).
        #[arg(long, default_value = "")]
        reason: String,
        /// ISO country for a number written without + (`US`, `GB` ...).
        #[arg(long)]
        country: Option<String>,
        /// This campaign's own list instead of the global one.
        #[arg(long)]
        campaign: Option<String>,
    },
    /// Take a number off the global list, or off one campaign's.
    Remove {
        number: String,
        #[arg(long)]
        country: Option<String>,
        #[arg(long)]
        campaign: Option<String>,
    },
    /// Every number on the global list (or a campaign's), with when, why and who added it.
    List {
        #[arg(long)]
        campaign: Option<String>,
    },
    /// Add the numbers of a CSV file (number first, optional reason second, optional header).
    Import {
        file: PathBuf,
        #[arg(long)]
        country: Option<String>,
        #[arg(long)]
        campaign: Option<String>,
    },
}

/// Which list a command edits, for its sentences.
fn list_name(campaign: Option<&str>) -> String {
    match campaign {
        Some(c) => format!("campaign {c}'s do-not-call list"),
        None => "the do-not-call list".into(),
    }
}

async fn add(store: &Store, campaign: Option<&str>, row: &DncRow) -> anyhow::Result<bool> {
    Ok(match campaign {
        Some(c) => store.campaign_dnc_add(c, row).await?,
        None => store.dnc_add(row).await?,
    })
}

pub async fn run(action: DncAction, database: &Path) -> anyhow::Result<()> {
    let store = Store::open(database).await?;
    match action {
        DncAction::Add {
            number,
            reason,
            country,
            campaign,
        } => {
            let number = e164(&number, country.as_deref())?;
            let row = DncRow {
                number: number.clone(),
                added_at: unix_ms(),
                reason,
                source: "cli".into(),
            };
            let list = list_name(campaign.as_deref());
            if add(&store, campaign.as_deref(), &row).await? {
                match &campaign {
                    Some(c) => println!("{number} is on {list}: campaign {c} will not call it."),
                    None => println!("{number} is on {list}: no campaign will call it."),
                }
            } else {
                println!("{number} was already on {list}.");
            }
        }
        DncAction::Remove {
            number,
            country,
            campaign,
        } => {
            let number = e164(&number, country.as_deref())?;
            let list = list_name(campaign.as_deref());
            let removed = match &campaign {
                Some(c) => store.campaign_dnc_remove(c, &number).await?,
                None => store.dnc_remove(&number).await?,
            };
            if !removed {
                bail!("{number} is not on {list}");
            }
            println!(
                "{number} is off {list}: campaigns may call it again unless another list has it."
            );
        }
        DncAction::List { campaign } => {
            let rows = match &campaign {
                Some(c) => store.campaign_dnc_list(c).await?,
                None => store.dnc_list().await?,
            };
            if rows.is_empty() {
                let list = list_name(campaign.as_deref());
                println!("{}{} is empty.", list[..1].to_uppercase(), &list[1..]);
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
        DncAction::Import {
            file,
            country,
            campaign,
        } => {
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
                if add(&store, campaign.as_deref(), &row).await? {
                    added += 1;
                }
            }
            println!(
                "{added} number(s) added to {} from {} ({} already on it, {} row(s) skipped).",
                list_name(campaign.as_deref()),
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

/// The lists kept in the store, for `campaigns check`.
#[derive(Default)]
pub struct StoredLists {
    /// The global list's numbers.
    pub global: Vec<String>,
    /// (campaign, number) for every campaign's own list.
    pub by_campaign: Vec<(String, String)>,
}

/// The store's do-not-call lists (empty when there is no database yet).
pub async fn stored_lists(database: &Path) -> anyhow::Result<StoredLists> {
    if !database.exists() {
        return Ok(StoredLists::default());
    }
    let store = Store::open(database).await?;
    Ok(StoredLists {
        global: store
            .dnc_list()
            .await?
            .into_iter()
            .map(|r| r.number)
            .collect(),
        by_campaign: store.campaign_dnc_all().await?,
    })
}
