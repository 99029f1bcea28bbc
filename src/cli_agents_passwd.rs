//! `hotline agents passwd ID`: sets a phone agent's SIP password by writing its HA1 hashes
//! (MD5 and SHA-256, for the file's realm) into `agents.yaml` in place of the clear password,
//! so the file no longer gives the password away. Works on the file, not the server: restart
//! `hotline serve` to use it (registrations are kept across the restart).

use std::path::Path;

use hotline_acd::Ha1Hashes;
use hotline_sip::{ha1, DigestAlgorithm};

use crate::server::exposure::is_example_password;

/// Shorter passwords are refused.
const MIN_LENGTH: usize = 10;

/// Why a new password is refused, as a sentence, or `None` when it is acceptable.
pub fn weakness(id: &str, password: &str) -> Option<String> {
    if password.trim().is_empty() {
        return Some("the password is empty".into());
    }
    if is_example_password(id, password) {
        return Some(format!(
            "that password is the example one or a well-known weak one; anyone could register as `{id}` with it"
        ));
    }
    if password.chars().count() < MIN_LENGTH {
        return Some(format!(
            "the password is shorter than {MIN_LENGTH} characters; a phone stores it once, so make it long"
        ));
    }
    None
}

/// Reads the new password, checks it, and rewrites `id`'s entry in `file`.
pub fn passwd(id: &str, from_stdin: bool, file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let realm = hotline_acd::parse_agents(&text, file)?.realm;
    let password = crate::cli_users::read_password(from_stdin)?;
    if let Some(why) = weakness(id, &password) {
        anyhow::bail!("password for agent `{id}` refused: {why}; nothing was changed");
    }
    let hashes = Ha1Hashes {
        md5: Some(ha1(DigestAlgorithm::Md5, id, &realm, &password)),
        sha256: Some(ha1(DigestAlgorithm::Sha256, id, &realm, &password)),
    };
    let rewritten = hotline_acd::set_agent_ha1(&text, file, id, &hashes, &realm)?;
    write_in_place(file, &rewritten)?;
    println!(
        "agent {id}: password stored as HA1 hashes for realm {realm} in {} (no password in clear); restart `hotline serve` to use it",
        file.display()
    );
    Ok(())
}

/// Replaces `file` by a sibling written in full and renamed over it, keeping its permissions,
/// so a crash mid-write never leaves half a file.
fn write_in_place(file: &Path, text: &str) -> anyhow::Result<()> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "agents.yaml".into());
    let temporary = file.with_file_name(format!(".{name}.hotline-new"));
    let fail = |e: std::io::Error| anyhow::anyhow!("cannot write {}: {e}", file.display());
    std::fs::write(&temporary, text).map_err(fail)?;
    if let Ok(meta) = std::fs::metadata(file) {
        std::fs::set_permissions(&temporary, meta.permissions()).map_err(fail)?;
    }
    std::fs::rename(&temporary, file).map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_example_passwords_are_refused_with_a_reason() {
        assert!(weakness("agent1", "agent1-secret")
            .unwrap()
            .contains("example"));
        assert!(weakness("agent1", "changeme").unwrap().contains("example"));
        assert!(weakness("agent1", "short1").unwrap().contains("shorter"));
        assert!(weakness("agent1", "   ").unwrap().contains("empty"));
        assert_eq!(weakness("agent1", "violet-harbour-lamp-42"), None);
    }
}
