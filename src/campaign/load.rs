//! Reading everything a campaign needs to run, for the server: the campaign file, its flow (with
//! the opt-out every campaign flow must offer), contact list, do-not-call lists and its trunk
//! with the secrets resolved. Every refusal is a sentence naming the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hotline_dialer::{
    find_opt_out, import_contacts, parse_campaign, parse_trunks, Campaign, Contact, DoNotCall,
    Trunk,
};

use crate::error::HotlineError;
use crate::server::ActiveFlow;

/// A campaign ready to run.
pub struct Loaded {
    /// The flow's file and text, stored under its version so its calls can be replayed.
    pub flow_file: PathBuf,
    pub flow_source: String,
    /// Rows of the contact list that were skipped (invalid, duplicates).
    pub skipped: usize,
    pub campaign: Campaign,
    pub flow: Arc<ActiveFlow>,
    pub contacts: Vec<Contact>,
    pub dnc: DoNotCall,
    pub trunk: Trunk,
    /// Where the trunk's INVITEs go.
    pub destination: std::net::SocketAddr,
    /// The trunk's credentials with `{env.NAME}` resolved.
    pub credentials: Option<(String, String)>,
    /// The number shown to contacts: the campaign's caller ID, else the trunk's.
    pub caller_id: String,
}

/// `delivery` → `dir/delivery.yaml`; anything that looks like a path is taken as one.
pub fn campaign_path(dir: &Path, name: &str) -> PathBuf {
    let given = PathBuf::from(name);
    if name.contains('/') || name.ends_with(".yaml") || name.ends_with(".yml") {
        given
    } else {
        dir.join(format!("{name}.yaml"))
    }
}

/// `campaigns/../flows/x.yaml` → `flows/x.yaml`, for reading and for messages.
pub fn beside(folder: &Path, relative: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in folder.join(relative).components() {
        match part {
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn read(path: &Path, what: &'static str) -> Result<String, HotlineError> {
    std::fs::read_to_string(path).map_err(|source| HotlineError::Unreadable {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// The trunks in `file`; a missing file is no trunks.
pub fn load_trunks(file: &Path) -> Result<Vec<Trunk>, HotlineError> {
    match std::fs::read_to_string(file) {
        Ok(text) => Ok(parse_trunks(&text, file)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(HotlineError::Unreadable {
            what: "trunks file",
            path: file.to_path_buf(),
            source,
        }),
    }
}

/// What a campaign plans to call, without its flow or trunk: enough to rebuild its dialer for a
/// status report.
pub struct Plan {
    pub campaign: Campaign,
    pub flow_file: PathBuf,
    pub contacts: Vec<Contact>,
    /// Rows of the contact list that were skipped (invalid, duplicates).
    pub skipped: usize,
    pub dnc: DoNotCall,
}

/// Reads the campaign file, its contact list and do-not-call lists.
pub fn load_plan(file: &Path) -> Result<Plan, HotlineError> {
    let campaign = parse_campaign(&read(file, "campaign file")?, file)?;
    let folder = file.parent().unwrap_or(Path::new("."));
    let flow_file = beside(folder, &campaign.flow);
    let contacts_file = beside(folder, &campaign.contacts.file);
    let import = import_contacts(
        &read(&contacts_file, "contact list")?,
        &contacts_file,
        &campaign,
    )?;
    let mut dnc = DoNotCall::default();
    for list in &campaign.do_not_call {
        let path = beside(folder, list);
        dnc.add_list(
            &read(&path, "do-not-call list")?,
            campaign.default_country.as_deref(),
        );
    }
    Ok(Plan {
        campaign,
        flow_file,
        skipped: import.problems.len(),
        contacts: import.contacts,
        dnc,
    })
}

/// A trunk, where its INVITEs go, and its digest credentials (user, password).
pub type TrunkRoute = (Trunk, std::net::SocketAddr, Option<(String, String)>);

/// Trunk `name` of `trunks_file`, where its INVITEs go, and its credentials with
/// `{env.NAME}` resolved (campaigns and queue callbacks leave through it).
pub fn trunk_route(name: &str, trunks_file: &Path) -> Result<TrunkRoute, HotlineError> {
    let trunks = load_trunks(trunks_file)?;
    let Some(trunk) = trunks.into_iter().find(|t| t.name == name) else {
        return Err(HotlineError::TrunkUnknown {
            trunk: name.to_string(),
            file: trunks_file.to_path_buf(),
        });
    };
    let host = trunk.host.trim_start_matches('[').trim_end_matches(']');
    let destination = std::net::SocketAddr::new(
        host.parse().map_err(|_| HotlineError::TrunkAddress {
            trunk: trunk.name.clone(),
            host: trunk.host.clone(),
        })?,
        trunk.port,
    );
    let env = |name: &str| std::env::var(name).ok();
    let credentials = match (&trunk.username, &trunk.password) {
        (Some(user), Some(password)) => {
            let missing = |what: &'static str| HotlineError::TrunkSecretUnset {
                trunk: trunk.name.clone(),
                what,
            };
            Some((
                user.resolve(env).ok_or_else(|| missing("username"))?,
                password.resolve(env).ok_or_else(|| missing("password"))?,
            ))
        }
        _ => None,
    };
    Ok((trunk, destination, credentials))
}

/// Loads the campaign in `file` with the trunks of `trunks_file`.
pub fn load_campaign(
    file: &Path,
    trunks_file: &Path,
    encoder: Option<&Arc<hotline_nlu::SentenceEncoder>>,
) -> Result<Loaded, HotlineError> {
    let Plan {
        campaign,
        flow_file,
        contacts,
        skipped,
        dnc,
    } = load_plan(file)?;
    if contacts.is_empty() {
        return Err(HotlineError::CampaignNoContacts {
            file: file.to_path_buf(),
            skipped,
        });
    }
    let flow_text = read(&flow_file, "flow")?;
    let flow = crate::server::active_flow(&flow_text, &flow_file.display().to_string(), encoder)?;
    if !find_opt_out(&flow.flow).is_offered() {
        return Err(HotlineError::CampaignNoOptOut { flow: flow_file });
    }
    let (trunk, destination, credentials) = trunk_route(&campaign.trunk, trunks_file)?;
    let caller_id =
        hotline_dialer::normalise(&campaign.caller_id, campaign.default_country.as_deref())
            .map(|n| n.to_string())
            .ok()
            .or_else(|| trunk.caller_id.clone())
            .unwrap_or_else(|| campaign.caller_id.clone());
    Ok(Loaded {
        flow_file,
        flow_source: flow_text,
        skipped,
        campaign,
        flow: Arc::new(flow),
        contacts,
        dnc,
        trunk,
        destination,
        credentials,
        caller_id,
    })
}
