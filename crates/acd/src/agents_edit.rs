//! Rewriting one agent's secret in `agents.yaml` as text, for `hotline agents passwd`: the
//! agent's `password:` line (and any earlier HA1 lines) give way to `ha1_md5`, `ha1_sha256`
//! and `ha1_realm`, and every other byte of the file (comments, order, spacing) stays as the
//! operator wrote it. Re-serialising the YAML would lose the comments that explain the file.

use std::path::Path;

use crate::agents_file::{parse_agents, Ha1Hashes};
use crate::error::{AcdError, EditProblem};

/// The keys replaced in the agent's entry.
const SECRET_KEYS: [&str; 4] = ["password", "ha1_md5", "ha1_sha256", "ha1_realm"];

/// One line's shape: where its key starts, whether a `- ` opens a list item, and the key.
struct Shape<'a> {
    /// Column of the key (after `- ` on an item's first line).
    column: usize,
    dash: bool,
    /// The text from the key on, without the line ending.
    rest: &'a str,
}

fn shape(line: &str) -> Option<Shape<'_>> {
    let body = line.trim_end_matches(['\r', '\n']);
    let trimmed = body.trim_start_matches(' ');
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let (dash, rest) = match trimmed.strip_prefix("- ") {
        Some(after) => (true, after.trim_start_matches(' ')),
        None => (false, trimmed),
    };
    Some(Shape {
        column: body.len() - rest.len(),
        dash,
        rest,
    })
}

/// The key of `key: value`, if the line is one.
fn key_of(rest: &str) -> Option<&str> {
    let (key, _) = rest.split_once(':')?;
    (!key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then_some(key)
}

/// The plain or quoted scalar after `id:`, without a trailing comment.
fn id_value(rest: &str) -> Option<&str> {
    let value = rest.strip_prefix("id:")?;
    let value = value.split(" #").next().unwrap_or(value).trim();
    Some(
        value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value),
    )
}

/// A YAML double-quoted scalar.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `text` with agent `id`'s secret replaced by `hashes` made for `realm`; `file` names the
/// file in errors. The result is parsed again and must give the agent exactly these hashes
/// and no password.
pub fn set_agent_ha1(
    text: &str,
    file: &Path,
    id: &str,
    hashes: &Ha1Hashes,
    realm: &str,
) -> Result<String, AcdError> {
    let problem = |problem| AcdError::AgentsEdit {
        file: file.to_path_buf(),
        agent: id.to_string(),
        problem,
    };
    let before = parse_agents(text, file)?;
    match before.agents.iter().find(|a| a.id == id) {
        None => return Err(problem(EditProblem::NoSuchAgent)),
        Some(a) if a.is_external() => return Err(problem(EditProblem::External)),
        Some(_) => {}
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let id_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| shape(lines[i]).is_some_and(|s| id_value(s.rest) == Some(id)))
        .collect();
    let [id_line] = id_lines[..] else {
        return Err(problem(EditProblem::NotBlockStyle));
    };
    let column = shape(lines[id_line]).map(|s| s.column).unwrap_or(0);
    let start = entry_start(&lines, id_line, column).ok_or(problem(EditProblem::NotBlockStyle))?;
    let end = entry_end(&lines, start, column);
    // The entry's own keys that go, each with its continuation lines.
    let mut removed = vec![false; lines.len()];
    let mut i = start;
    while i < end {
        let Some(s) = shape(lines[i]) else {
            i += 1;
            continue;
        };
        if s.column == column && key_of(s.rest).is_some_and(|k| SECRET_KEYS.contains(&k)) {
            removed[i] = true;
            i += 1;
            while i < end && shape(lines[i]).is_some_and(|s| s.column > column && !s.dash) {
                removed[i] = true;
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut fresh: Vec<String> = Vec::new();
    if let Some(md5) = &hashes.md5 {
        fresh.push(format!("ha1_md5: {}", quoted(md5)));
    }
    if let Some(sha256) = &hashes.sha256 {
        fresh.push(format!("ha1_sha256: {}", quoted(sha256)));
    }
    fresh.push(format!("ha1_realm: {}", quoted(realm)));
    let at = (start..end).find(|&i| removed[i]).unwrap_or(id_line + 1);
    let mut out = String::with_capacity(text.len() + 200);
    for (i, line) in lines.iter().enumerate() {
        if i == at {
            for (n, key) in fresh.iter().enumerate() {
                let lead = if n == 0 && at == start && removed[start] {
                    format!("{}- ", " ".repeat(column.saturating_sub(2)))
                } else {
                    " ".repeat(column)
                };
                out.push_str(&format!("{lead}{key}{newline}"));
            }
        }
        if !removed[i] {
            out.push_str(line);
        }
    }
    if at == lines.len() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        for key in &fresh {
            out.push_str(&format!("{}{key}{newline}", " ".repeat(column)));
        }
    }
    let after = parse_agents(&out, file)?;
    let agent = after.agents.iter().find(|a| a.id == id);
    if !agent.is_some_and(|a| a.password.is_none() && a.ha1.as_ref() == Some(hashes)) {
        return Err(problem(EditProblem::NotBlockStyle));
    }
    Ok(out)
}

/// The first line of the list item holding the `id:` line.
fn entry_start(lines: &[&str], id_line: usize, column: usize) -> Option<usize> {
    let mut i = id_line;
    loop {
        match shape(lines[i]) {
            Some(s) if s.column == column && s.dash => return Some(i),
            Some(s) if s.column == column => {}
            Some(_) => return None,
            None => {}
        }
        i = i.checked_sub(1)?;
    }
}

/// One past the item's last line: the next line, comment or not, indented less than its keys.
fn entry_end(lines: &[&str], start: usize, column: usize) -> usize {
    let mut end = start + 1;
    while end < lines.len() {
        let body = lines[end].trim_end_matches(['\r', '\n']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        if !body.trim().is_empty() && indent < column {
            break;
        }
        end += 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# Agents.\nrealm: hotline\n\nagents:\n  - id: agent1\n    name: Agent One\n    password: agent1-secret     # change me\n    skills: [support]\n  # the night shift\n  - id: agent2\n    password: agent2-secret\n    skills:\n      - support\n";

    fn hashes() -> Ha1Hashes {
        Ha1Hashes {
            md5: Some("a".repeat(32)),
            sha256: Some("b".repeat(64)),
        }
    }

    fn edit(text: &str, id: &str) -> Result<String, AcdError> {
        set_agent_ha1(text, Path::new("agents.yaml"), id, &hashes(), "hotline")
    }

    #[test]
    fn only_the_agents_password_line_changes() {
        let out = edit(FILE, "agent1").unwrap();
        let expected = FILE.replace(
            "    password: agent1-secret     # change me\n",
            &format!(
                "    ha1_md5: \"{}\"\n    ha1_sha256: \"{}\"\n    ha1_realm: \"hotline\"\n",
                "a".repeat(32),
                "b".repeat(64)
            ),
        );
        assert_eq!(out, expected);
        // Again, on the result: the hashes are replaced in place, nothing else moves.
        assert_eq!(edit(&out, "agent1").unwrap(), expected);
        // The last agent, with a block list after its password.
        let out = edit(FILE, "agent2").unwrap();
        assert!(out.contains("  # the night shift\n  - id: agent2\n    ha1_md5: "));
        assert!(out.ends_with("ha1_realm: \"hotline\"\n    skills:\n      - support\n"));
        assert!(out.contains("password: agent1-secret"));
    }

    #[test]
    fn an_item_that_opens_with_its_password_and_crlf_files_work() {
        let text = "agents:\r\n  - password: x\r\n    id: ann\r\n";
        let out = edit(text, "ann").unwrap();
        assert!(out.starts_with("agents:\r\n  - ha1_md5: \""), "{out}");
        assert!(out.ends_with("    id: ann\r\n"), "{out}");
        assert!(!out.contains("password"));
    }

    #[test]
    fn unknown_external_and_flow_style_agents_are_refused_with_a_sentence() {
        let err = edit(FILE, "agent9").unwrap_err().to_string();
        assert_eq!(
            err,
            "agents.yaml: agent `agent9`: there is no such agent in this file"
        );
        let external = "agents:\n  - id: carol\n    uri: sip:+15551234@trunk.example.com\n";
        let err = edit(external, "carol").unwrap_err().to_string();
        assert!(err.contains("external agent"), "{err}");
        let flow = "agents: [{id: ann, password: x}]\n";
        let err = edit(flow, "ann").unwrap_err().to_string();
        assert!(err.contains("one key per line"), "{err}");
    }
}
