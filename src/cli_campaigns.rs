//! `hotline campaigns check NAME`: reads a campaign, its flow, contact list and do-not-call lists,
//! and says in sentences what launching it would do. `start|pause|resume|stop` ask the running
//! server through its admin API (`cli_campaign_run`); `status` and `results` read the store.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::campaign::load::beside;
use crate::cli_campaign_run::{control, results, status};
use chrono::{DateTime, Utc};
use hotline_dialer::{
    check_campaign, find_opt_out, import_contacts, parse_campaign, CheckReport, DoNotCall,
};

#[derive(clap::Subcommand)]
pub enum CampaignsAction {
    /// Say what a campaign would do if launched now: contacts to call, skipped, invalid,
    /// duplicates, and who is outside their calling window until when.
    Check {
        /// A name under campaigns/ (`delivery` is campaigns/delivery.yaml) or a file path.
        name: String,
        /// Check as if launched at this instant (RFC 3339, e.g. 2026-12-08T15:00:00Z).
        #[arg(long)]
        at: Option<String>,
    },
    /// Start calling: the running server loads the campaign and places its calls.
    Start {
        /// The campaign's name (campaigns.dir/NAME.yaml on the server).
        name: String,
    },
    /// No new calls until resumed; calls in progress go on.
    Pause { name: String },
    /// Place calls again after a pause.
    Resume { name: String },
    /// End the campaign: no new calls; calls in progress go on to their end.
    Stop { name: String },
    /// Attempted, in progress, reached, failed and waiting for retry, from the call records.
    Status { name: String },
    /// The do-not-call lists (global, or one campaign's with `--campaign`): add, remove, list,
    /// import.
    Dnc {
        #[command(subcommand)]
        action: crate::cli_dnc::DncAction,
    },
    /// One line per attempt: number, attempt, times, outcome, SIP status, call ids.
    Results {
        name: String,
        /// Print CSV (the only format for now).
        #[arg(long)]
        csv: bool,
    },
}

/// Where the server-side commands go: the admin API and the store.
pub struct Server {
    /// The `--admin` URL, if given.
    pub admin: Option<String>,
    /// `--token` or `$HOTLINE_TOKEN`, for the admin API.
    pub token: Option<String>,
    pub admin_listen: std::net::SocketAddr,
    pub database: PathBuf,
    pub dir: PathBuf,
    /// `campaigns.trunks`.
    pub trunks: PathBuf,
}

/// Runs a campaigns command. A refusal is printed as one sentence (with its causes) and the
/// process exits with status 1: a campaign manager reads the reason, not a backtrace.
pub async fn run(action: CampaignsAction, server: Server) -> anyhow::Result<()> {
    use crate::campaign::Action;
    let result = match action {
        CampaignsAction::Check { name, at } => {
            match crate::cli_dnc::stored_lists(&server.database).await {
                Ok(lists) => check_command(&name, at.as_deref(), &server.trunks, &lists),
                Err(e) => Err(e),
            }
        }
        CampaignsAction::Dnc { action } => crate::cli_dnc::run(action, &server.database).await,
        CampaignsAction::Start { name } => control(&server, &name, Action::Start).await,
        CampaignsAction::Pause { name } => control(&server, &name, Action::Pause).await,
        CampaignsAction::Resume { name } => control(&server, &name, Action::Resume).await,
        CampaignsAction::Stop { name } => control(&server, &name, Action::Stop).await,
        CampaignsAction::Status { name } => status(&server, &name).await,
        CampaignsAction::Results { name, .. } => results(&server, &name).await,
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
    Ok(())
}

fn check_command(
    name: &str,
    at: Option<&str>,
    trunks: &Path,
    lists: &crate::cli_dnc::StoredLists,
) -> anyhow::Result<()> {
    let now = match at {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .with_context(|| format!("--at {text} is not a time like 2026-12-08T15:00:00Z"))?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    check(&campaign_path(name), now, trunks, lists)
}

/// `delivery` → campaigns/delivery.yaml; anything that looks like a path is taken as one.
fn campaign_path(name: &str) -> PathBuf {
    let given = PathBuf::from(name);
    if given.exists() || name.contains('/') || name.ends_with(".yaml") || name.ends_with(".yml") {
        given
    } else {
        Path::new("campaigns").join(format!("{name}.yaml"))
    }
}

fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))
}

fn check(
    file: &Path,
    now: DateTime<Utc>,
    trunks_file: &Path,
    lists: &crate::cli_dnc::StoredLists,
) -> anyhow::Result<()> {
    let campaign = parse_campaign(&read(file, "campaign file")?, file)?;
    let folder = file.parent().unwrap_or(Path::new("."));

    let flow_file = beside(folder, &campaign.flow);
    let flow_text = read(&flow_file, "flow").with_context(|| {
        format!(
            "{}:{}:{}: the campaign's flow",
            file.display(),
            campaign.flow_pos.line,
            campaign.flow_pos.column
        )
    })?;
    let flow = match hotline_flow::load_flow(&flow_text, &flow_file.display().to_string()) {
        Ok(flow) => flow,
        Err(diagnostics) => {
            for d in &diagnostics {
                println!("{d}");
            }
            bail!("the campaign's flow {} has errors", flow_file.display());
        }
    };
    let offer = find_opt_out(&flow);
    if !offer.is_offered() {
        bail!(
            "the flow {} offers no opt-out: every campaign flow must let the contact press 9 or say \
             stop (a route with dtmf \"9\" or an intent named stop or opt_out, reachable from the start)",
            flow_file.display()
        );
    }

    let trunks = crate::campaign::load::load_trunks(trunks_file)?;
    let Some(trunk) = trunks.iter().find(|t| t.name == campaign.trunk) else {
        bail!(
            "the campaign's trunk `{}` is not in {} (trunks there: {})",
            campaign.trunk,
            trunks_file.display(),
            if trunks.is_empty() {
                "none".to_string()
            } else {
                trunks
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    };

    let contacts_file = beside(folder, &campaign.contacts.file);
    let import = import_contacts(
        &read(&contacts_file, "contact list")?,
        &contacts_file,
        &campaign,
    )?;

    let mut dnc = DoNotCall::default();
    for list in &campaign.do_not_call {
        let path = beside(folder, list);
        for problem in dnc.add_list(
            &read(&path, "do-not-call list")?,
            campaign.default_country.as_deref(),
        ) {
            println!(
                "warning: {}:{}: `{}` is not a number ({}), so it protects no one",
                path.display(),
                problem.line,
                problem.raw,
                problem.problem
            );
        }
    }

    // The global list and the campaign's own (the store's), checked again by the server before
    // each INVITE.
    let mut on_global = std::collections::HashSet::new();
    for number in &lists.global {
        if let Ok(number) = hotline_dialer::normalise(number, None) {
            dnc.add(number.clone());
            on_global.insert(number);
        }
    }
    let mut on_campaign = std::collections::HashSet::new();
    for (owner, number) in &lists.by_campaign {
        if *owner != campaign.name {
            continue;
        }
        if let Ok(number) = hotline_dialer::normalise(number, None) {
            dnc.add(number.clone());
            on_campaign.insert(number);
        }
    }

    println!(
        "Campaign `{}` ({}) runs the flow {}; the flow offers an opt-out ({}).",
        campaign.name,
        file.display(),
        flow_file.display(),
        opt_out_words(&offer)
    );
    println!(
        "Calls leave by trunk `{}` ({}:{}, ring timeout {}s{}).",
        trunk.name,
        trunk.host,
        trunk.port,
        trunk.ring_timeout.as_secs(),
        if trunk.username.is_some() {
            ", with digest credentials"
        } else {
            ""
        }
    );
    let mut variables: Vec<&String> = flow.variables().keys().collect();
    variables.sort();
    for name in variables {
        if let Some(column) = name.strip_prefix("contact_") {
            let known = import
                .contacts
                .first()
                .is_none_or(|c| c.variables.iter().any(|(h, _)| h == column));
            if !known {
                println!("warning: the flow uses {{{name}}} but the contact list has no column `{column}`.");
            }
        }
    }
    let report = check_campaign(&campaign, &import, &dnc, now);
    print_report(
        &report,
        (&on_global, &on_campaign),
        &contacts_file,
        import.contacts.len() + import.problems.len(),
        now,
    );
    println!(
        "This check plans the campaign; `hotline campaigns start {}` runs it on the server.",
        campaign.name
    );
    Ok(())
}

fn opt_out_words(offer: &hotline_dialer::OptOutOffer) -> String {
    let mut ways = Vec::new();
    if !offer.by_key_9.is_empty() {
        ways.push(format!("key 9 at {}", offer.by_key_9.join(", ")));
    }
    if !offer.by_speech.is_empty() {
        ways.push(format!("saying stop at {}", offer.by_speech.join(", ")));
    }
    ways.join("; ")
}

/// "1 contact" / "3 contacts".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn print_report(
    report: &CheckReport,
    (on_global, on_campaign): (
        &std::collections::HashSet<hotline_dialer::E164>,
        &std::collections::HashSet<hotline_dialer::E164>,
    ),
    contacts_file: &Path,
    rows: usize,
    now: DateTime<Utc>,
) {
    println!(
        "{} read from {}.",
        count(rows, "row", "rows"),
        contacts_file.display()
    );
    println!(
        "{} will be called.",
        count(report.to_call, "contact", "contacts")
    );
    if !report.do_not_call.is_empty() {
        println!(
            "{} will be skipped: on a do-not-call list.",
            count(report.do_not_call.len(), "contact", "contacts")
        );
        let global = report
            .do_not_call
            .iter()
            .filter(|(_, n)| on_global.contains(n))
            .count();
        if global > 0 {
            println!("  ({global} of them on the global do-not-call list)");
        }
        let own = report
            .do_not_call
            .iter()
            .filter(|(_, n)| on_campaign.contains(n) && !on_global.contains(n))
            .count();
        if own > 0 {
            println!("  ({own} of them on this campaign's do-not-call list)");
        }
        for (line, number) in &report.do_not_call {
            if on_global.contains(number) {
                println!("  line {line}: {number} (global list)");
            } else if on_campaign.contains(number) {
                println!("  line {line}: {number} (campaign's list)");
            } else {
                println!("  line {line}: {number}");
            }
        }
    }
    if !report.invalid.is_empty() {
        println!(
            "{} will be skipped: invalid.",
            count(report.invalid.len(), "row", "rows")
        );
        for problem in &report.invalid {
            println!("  {problem}");
        }
    }
    if !report.duplicates.is_empty() {
        println!(
            "{} will be skipped: duplicates.",
            count(report.duplicates.len(), "row", "rows")
        );
        for problem in &report.duplicates {
            println!("  {problem}");
        }
    }
    println!(
        "Now ({}), {} inside the calling window and {} outside it.",
        now.format("%Y-%m-%d %H:%M UTC"),
        count(report.open_now, "contact is", "contacts are"),
        report.outside_window.len()
    );
    for waiting in &report.outside_window {
        match waiting.opens {
            Some(opens) => println!(
                "  line {}: {} ({}) opens {} local time ({})",
                waiting.line,
                waiting.number,
                waiting.zone.name(),
                opens.with_timezone(&waiting.zone).format("%a %Y-%m-%d %H:%M"),
                opens.format("%Y-%m-%d %H:%M UTC")
            ),
            None => println!(
                "  line {}: {} ({}) will not be called: the window does not open again before the campaign ends",
                waiting.line,
                waiting.number,
                waiting.zone.name()
            ),
        }
    }
}
