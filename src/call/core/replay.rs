//! Replaying a call: its journal's inputs run through a conversation again (the flow it ran, or a
//! new version), each decision compared with what happened; and a call turned into a flow test
//! script (`flows/tests/` format) so a bad call becomes a regression test.

use std::fmt::Write as _;
use std::time::Duration;

use hotline_flow::Conversation;

use super::journal::{decisions, JournalEntry, JournalInput};

/// One input of the replayed call, what it led to then and what it leads to now.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayStep {
    pub at_ms: u64,
    pub input: String,
    pub recorded: Vec<String>,
    pub replayed: Vec<String>,
    /// False for a handoff input: its decisions are shown as they were, not run again.
    pub rerun: bool,
}

impl ReplayStep {
    pub fn matches(&self) -> bool {
        self.recorded == self.replayed
    }
}

/// Runs the journal through `conversation` (built with the call's caller memory and date).
pub fn replay(conversation: &mut Conversation, journal: &[JournalEntry]) -> Vec<ReplayStep> {
    let mut steps = Vec::new();
    for entry in journal {
        let now = Duration::from_millis(entry.at_ms);
        if entry.input.is_handoff() {
            // The flow had handed the call over: what the handoff did is shown as it was.
            steps.push(ReplayStep {
                at_ms: entry.at_ms,
                input: entry.input.describe(),
                recorded: entry.decisions.clone(),
                replayed: entry.decisions.clone(),
                rerun: false,
            });
            continue;
        }
        let actions = match (&entry.input, entry.input.to_caller_input()) {
            (JournalInput::Start { .. }, _) => conversation.start(now),
            (_, Some(input)) => conversation.handle(input, now),
            (_, None) => Vec::new(),
        };
        steps.push(ReplayStep {
            at_ms: entry.at_ms,
            input: entry.input.describe(),
            recorded: entry.decisions.clone(),
            replayed: decisions(&actions),
            rerun: true,
        });
    }
    steps
}

/// The replay as a person reads it: every step, marked `=` when it did the same and `≠` with
/// both versions when not, then the verdict.
pub fn render(steps: &[ReplayStep]) -> String {
    let mut out = String::new();
    for step in steps {
        let mark = match (step.rerun, step.matches()) {
            (false, _) => "·",
            (true, true) => "=",
            (true, false) => "≠",
        };
        let _ = writeln!(
            out,
            "{mark} {:>7.1} s  {}",
            step.at_ms as f64 / 1000.0,
            step.input
        );
        if !step.rerun {
            for line in &step.recorded {
                let _ = writeln!(out, "    as then   {line}");
            }
        } else if step.matches() {
            for line in &step.replayed {
                let _ = writeln!(out, "              {line}");
            }
        } else {
            for line in &step.recorded {
                let _ = writeln!(out, "    was       {line}");
            }
            for line in &step.replayed {
                let _ = writeln!(out, "    now       {line}");
            }
        }
    }
    let differ = steps.iter().filter(|s| !s.matches()).count();
    if differ == 0 {
        let _ = writeln!(
            out,
            "replay matches: all {} decisions are the same",
            steps.len()
        );
    } else {
        let _ = writeln!(
            out,
            "replay differs: {differ} of {} decisions changed",
            steps.len()
        );
    }
    out
}

/// What the caller memory and date of the call were.
pub fn call_context(journal: &[JournalEntry]) -> (Vec<(String, String)>, Option<String>) {
    match journal.first().map(|e| &e.input) {
        Some(JournalInput::Start {
            caller_memory,
            today,
            ..
        }) => (caller_memory.clone(), today.clone()),
        _ => (Vec::new(), None),
    }
}

/// The variables set for the call before it began (a campaign contact's columns).
pub fn call_variables(journal: &[JournalEntry]) -> Vec<(String, String)> {
    match journal.first().map(|e| &e.input) {
        Some(JournalInput::Start { variables, .. }) => variables.clone(),
        _ => Vec::new(),
    }
}

/// A flow test script that replays the call's inputs and expects what the flow did.
/// `flow_path` is written as the script's `flow:` (relative to where the script will live).
pub fn to_test_script(journal: &[JournalEntry], flow_path: &str, call_id: &str) -> String {
    let (memory, today) = call_context(journal);
    let mut out = String::new();
    let _ = writeln!(out, "flow: {}", yaml_str(flow_path));
    let _ = writeln!(
        out,
        "description: {}",
        yaml_str(&format!("Replays call {call_id} as it was heard."))
    );
    if let Some(day) = today {
        let _ = writeln!(out, "today: {day}");
    }
    if !memory.is_empty() {
        let _ = writeln!(out, "caller_memory:");
        for (key, value) in &memory {
            let _ = writeln!(out, "  {key}: {}", yaml_str(value));
        }
    }
    if let Some(first) = journal.first() {
        if matches!(first.input, JournalInput::Start { .. }) {
            let checks = expectations(&first.decisions, "  ");
            if !checks.is_empty() {
                let _ = writeln!(out, "greeting:\n{checks}");
            }
        }
    }
    let _ = writeln!(out, "steps:");
    let mut any = false;
    for entry in journal {
        let input = match &entry.input {
            JournalInput::Start { .. }
            | JournalInput::Other { .. }
            | JournalInput::HttpLate { .. }
            | JournalInput::AgentLeg { .. }
            | JournalInput::ReferAnswered { .. }
            | JournalInput::ReferProgress { .. }
            | JournalInput::HandoffTimeout => continue,
            JournalInput::Speech { text, anger, .. } => {
                let mut s = format!("  - caller: {}\n", yaml_str(text));
                if let Some(a) = anger {
                    let _ = writeln!(s, "    anger: {a:.2}");
                }
                s
            }
            JournalInput::Dtmf { digit } => {
                format!("  - press: {}\n", yaml_str(&digit.to_string()))
            }
            JournalInput::NoInput => "  - silence: true\n".to_string(),
            JournalInput::Anger { score } => format!("  - anger: {score:.2}\n"),
            JournalInput::HttpResult { status, body } => format!(
                "  - http_result: {{ status: {}, body: {} }}\n",
                status.map_or("null".to_string(), |s| s.to_string()),
                yaml_str(body)
            ),
            JournalInput::Recorded { path, duration_ms } => format!(
                "  - recorded: {{ path: {}, duration: {}ms }}\n",
                yaml_str(path),
                duration_ms
            ),
            JournalInput::TicketCreated { id } => {
                format!("  - ticket_created: {}\n", yaml_str(id))
            }
            // The script ends where the caller hung up.
            JournalInput::Hangup => break,
            // A test needs a real value here, and the journal kept none: the script ends.
            JournalInput::Withheld { .. } => {
                out.push_str("  # the caller's next answer was sensitive and is withheld\n");
                break;
            }
        };
        any = true;
        out.push_str(&input);
        out.push_str(&expectations(&entry.decisions, "    "));
    }
    if !any {
        out.push_str("  - hang_up: true\n");
    }
    out
}

/// `bot_says`, `node`, `intent`, `transfer` and `hangup` checks from recorded decisions.
fn expectations(lines: &[String], indent: &str) -> String {
    let mut out = String::new();
    let said: Vec<String> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("say "))
        .filter_map(|quoted| serde_json::from_str::<String>(quoted).ok())
        .filter_map(|text| first_sentence(&text))
        .collect();
    if !said.is_empty() {
        let quoted: Vec<String> = said.iter().map(|s| yaml_str(s)).collect();
        let _ = writeln!(out, "{indent}bot_says: [{}]", quoted.join(", "));
    }
    for line in lines {
        if let Some(rest) = line.strip_prefix("transfer to ") {
            if let Some((queue, _)) = rest.split_once(' ') {
                let _ = writeln!(out, "{indent}transfer: {}", yaml_str(queue));
            }
        } else if line.starts_with("hang up (") {
            let _ = writeln!(out, "{indent}hangup: true");
        }
    }
    out
}

/// The first sentence of what the bot said, which names the answer without tying the test to
/// every word of it.
fn first_sentence(text: &str) -> Option<String> {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|(i, c)| matches!(c, '.' | '?' | '!') && *i > 8)
        .map_or(text.len(), |(i, c)| i + c.len_utf8());
    let sentence = text[..end].trim();
    (!sentence.is_empty()).then(|| sentence.to_string())
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn yaml_str(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at_ms: u64, input: JournalInput, decisions: &[&str]) -> JournalEntry {
        JournalEntry {
            at_ms,
            input,
            decisions: decisions.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_script_holds_every_input_with_its_checks() {
        let journal = vec![
            entry(
                0,
                JournalInput::Start {
                    caller_memory: vec![("calls_count".into(), "2".into())],
                    today: Some("2026-12-02".into()),
                    variables: Vec::new(),
                },
                &[
                    "say \"Welcome to Northwind. How can I help?\"",
                    "listen 6000 ms",
                ],
            ),
            entry(
                3100,
                JournalInput::Speech {
                    text: " Where is \"my\" parcel?".into(),
                    confidence: 0.8,
                    anger: Some(0.3),
                },
                &[
                    "at main: order_tracking (0.82)",
                    "say \"Your tracking link is in the email. Anything else?\"",
                ],
            ),
            entry(
                9000,
                JournalInput::Dtmf { digit: '0' },
                &["transfer to support (caller asked for a person)"],
            ),
            entry(9100, JournalInput::Hangup, &[]),
        ];
        let script = to_test_script(&journal, "../shop.yaml", "C1");
        assert!(script.contains("flow: \"../shop.yaml\""), "{script}");
        assert!(script.contains("today: 2026-12-02"));
        assert!(script.contains("calls_count: \"2\""));
        assert!(script.contains("greeting:\n  bot_says: [\"Welcome to Northwind.\"]"));
        assert!(script.contains("  - caller: \" Where is \\\"my\\\" parcel?\"\n    anger: 0.30\n    bot_says: [\"Your tracking link is in the email.\"]"));
        assert!(script.contains("  - press: \"0\"\n    transfer: \"support\""));
    }

    #[test]
    fn the_verdict_counts_changed_decisions() {
        let same = ReplayStep {
            at_ms: 0,
            input: "call answered".into(),
            recorded: vec!["say \"Hi\"".into()],
            replayed: vec!["say \"Hi\"".into()],
            rerun: true,
        };
        let changed = ReplayStep {
            replayed: vec!["say \"Hello\"".into()],
            ..same.clone()
        };
        assert!(render(std::slice::from_ref(&same)).contains("replay matches"));
        let text = render(&[same, changed]);
        assert!(text.contains("replay differs: 1 of 2"));
        assert!(text.contains("was       say \"Hi\""));
        assert!(text.contains("now       say \"Hello\""));
    }
}
