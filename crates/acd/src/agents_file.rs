//! `sip-config/agents.yaml`: who the agents are, how their phones authenticate, what they can do.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::AcdError;
use crate::yaml::{config_error, line_of, load};

/// One agent as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSpec {
    /// Also the SIP user name the agent's phone registers as.
    pub id: String,
    pub name: String,
    /// Digest password in clear for a phone that registers (`None` for external agents and
    /// for phones kept as HA1 hashes).
    pub password: Option<String>,
    /// The phone's HA1 hashes for the file's realm (`hotline agents passwd` writes them).
    pub ha1: Option<Ha1Hashes>,
    /// An external agent reached through a trunk (no registration).
    pub uri: Option<String>,
    pub skills: Vec<String>,
}

impl AgentSpec {
    /// Reached through a trunk rather than a registered phone.
    pub fn is_external(&self) -> bool {
        self.uri.is_some()
    }

    /// Has every one of `skills`.
    pub fn has_skills(&self, skills: &[String]) -> bool {
        skills.iter().all(|s| self.skills.contains(s))
    }
}

/// `H(id:realm:password)` per digest algorithm, lowercase hex (MD5: 32 digits, SHA-256: 64).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ha1Hashes {
    pub md5: Option<String>,
    pub sha256: Option<String>,
}

/// The whole `agents.yaml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentsFile {
    /// Digest realm, `hotline` unless given.
    pub realm: String,
    pub agents: Vec<AgentSpec>,
}

pub const DEFAULT_REALM: &str = "hotline";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgentsFile {
    realm: Option<Spanned<String>>,
    agents: Option<Vec<Spanned<RawAgent>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    id: Spanned<String>,
    name: Option<String>,
    password: Option<Spanned<String>>,
    ha1_md5: Option<Spanned<String>>,
    ha1_sha256: Option<Spanned<String>>,
    /// The realm the hashes were made for, so a realm change is caught at load.
    ha1_realm: Option<Spanned<String>>,
    uri: Option<Spanned<String>>,
    #[serde(default)]
    skills: Vec<Spanned<String>>,
}

/// Reads and validates `agents.yaml`; `file` is only used in messages.
pub fn parse_agents(text: &str, file: &Path) -> Result<AgentsFile, AcdError> {
    let raw: RawAgentsFile = load(text, file)?;
    let realm = match raw.realm {
        Some(realm) if realm.value.trim().is_empty() => {
            return Err(config_error(
                file,
                line_of(&realm),
                "`realm` must not be empty",
            ));
        }
        Some(realm) => realm.value,
        None => DEFAULT_REALM.to_string(),
    };
    let mut seen = HashSet::new();
    let mut agents = Vec::new();
    for agent in raw.agents.unwrap_or_default() {
        let line = line_of(&agent);
        let raw = agent.value;
        let id = raw.id.value.trim().to_string();
        if id.is_empty() {
            return Err(config_error(
                file,
                line_of(&raw.id),
                "agent `id` must not be empty",
            ));
        }
        if id.contains(|c: char| c.is_whitespace() || matches!(c, '@' | ':' | ';' | '<' | '>')) {
            return Err(config_error(
                file,
                line_of(&raw.id),
                format!("agent id `{id}` must be usable as a SIP user name (no spaces, @, :, ;, < or >)"),
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(config_error(
                file,
                line_of(&raw.id),
                format!("agent `{id}` is defined twice"),
            ));
        }
        let ha1 = ha1_hashes(&raw, &id, &realm, file)?;
        let password = match raw.password {
            Some(p) if p.value.is_empty() => {
                return Err(config_error(
                    file,
                    line_of(&p),
                    format!("agent `{id}`: `password` must not be empty"),
                ));
            }
            other => other,
        };
        if let Some(uri) = &raw.uri {
            let lower = uri.value.to_ascii_lowercase();
            if !(lower.starts_with("sip:") || lower.starts_with("sips:")) || uri.value.len() < 5 {
                return Err(config_error(
                    file,
                    line_of(uri),
                    format!("agent `{id}`: `uri` must be a SIP URI such as sip:+15551234@trunk.example.com"),
                ));
            }
        }
        if let (Some(p), Some(_)) = (&password, &ha1) {
            return Err(config_error(
                file,
                line_of(p),
                format!("agent `{id}` has both `password` and HA1 hashes; keep one (`hotline agents passwd {id}` writes the hashes and removes the password)"),
            ));
        }
        if let (Some(uri), Some(_)) = (&raw.uri, &ha1) {
            return Err(config_error(
                file,
                line_of(uri),
                format!("agent `{id}` has both `uri` and HA1 hashes; an external agent (uri) does not register, remove one"),
            ));
        }
        match (&password, &raw.uri) {
            (None, None) if ha1.is_some() => {}
            (None, None) => {
                return Err(config_error(
                    file,
                    line,
                    format!("agent `{id}` needs a `password` or `ha1_md5`/`ha1_sha256` (phone that registers) or a `uri` (external agent)"),
                ));
            }
            (Some(p), Some(_)) => {
                return Err(config_error(
                    file,
                    line_of(p),
                    format!("agent `{id}` has both `password` and `uri`; an external agent (uri) does not register, remove one"),
                ));
            }
            _ => {}
        }
        let mut skills: Vec<String> = Vec::new();
        for skill in raw.skills {
            let s = skill.value.trim();
            if s.is_empty() {
                return Err(config_error(
                    file,
                    line_of(&skill),
                    format!("agent `{id}`: skills must not be empty"),
                ));
            }
            if !skills.iter().any(|k| k == s) {
                skills.push(s.to_string());
            }
        }
        agents.push(AgentSpec {
            name: raw
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| id.clone()),
            id,
            password: password.map(|p| p.value),
            ha1,
            uri: raw.uri.map(|u| u.value),
            skills,
        });
    }
    Ok(AgentsFile { realm, agents })
}

/// The agent's HA1 hashes, checked: hex of the right length, and made for `realm` when the
/// file says which realm they were made for (HA1 includes the realm, so a changed realm makes
/// every phone's answer wrong).
fn ha1_hashes(
    raw: &RawAgent,
    id: &str,
    realm: &str,
    file: &Path,
) -> Result<Option<Ha1Hashes>, AcdError> {
    let check = |value: &Option<Spanned<String>>, key: &str, digits: usize| {
        let Some(v) = value else {
            return Ok(None);
        };
        let hex = v.value.trim().to_ascii_lowercase();
        if hex.len() != digits || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(config_error(
                file,
                line_of(v),
                format!("agent `{id}`: `{key}` must be {digits} hexadecimal digits (write it with `hotline agents passwd {id}`)"),
            ));
        }
        Ok(Some(hex))
    };
    let md5 = check(&raw.ha1_md5, "ha1_md5", 32)?;
    let sha256 = check(&raw.ha1_sha256, "ha1_sha256", 64)?;
    if md5.is_none() && sha256.is_none() {
        if let Some(r) = &raw.ha1_realm {
            return Err(config_error(
                file,
                line_of(r),
                format!("agent `{id}`: `ha1_realm` without `ha1_md5` or `ha1_sha256`"),
            ));
        }
        return Ok(None);
    }
    if let Some(made_for) = &raw.ha1_realm {
        if made_for.value != realm {
            return Err(config_error(
                file,
                line_of(made_for),
                format!("agent `{id}`: its HA1 hashes were made for realm `{}` but `realm` is `{realm}`; a hash only works in its own realm, so set the password again with `hotline agents passwd {id}`", made_for.value),
            ));
        }
    }
    Ok(Some(Ha1Hashes { md5, sha256 }))
}
