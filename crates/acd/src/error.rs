//! The crate's one error type: configuration problems with their position, and commands the
//! distributor refuses.

use std::path::PathBuf;

/// Why reading a configuration file or carrying out a distributor command failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcdError {
    /// `agents.yaml` or `queues.yaml` is invalid; `line` is 1-based.
    #[error("{}:{line}: {reason}", file.display())]
    Config {
        file: PathBuf,
        line: usize,
        reason: String,
    },
    /// A sentence of `queues.yaml` that cannot be said as written; `line`, `column` are 1-based.
    #[error("{}:{line}:{column}: {}{problem}", file.display(), whose(.queue))]
    Sentence {
        file: PathBuf,
        line: usize,
        column: usize,
        /// The queue whose `messages:` hold it; none for the file-wide block.
        queue: Option<String>,
        problem: Box<SentenceProblem>,
    },
    /// `hotline agents passwd` could not rewrite an agent's entry.
    #[error("{}: agent `{agent}`: {problem}", file.display())]
    AgentsEdit {
        file: PathBuf,
        agent: String,
        problem: EditProblem,
    },
    #[error("unknown agent `{0}`")]
    UnknownAgent(String),
    #[error("unknown queue `{0}`")]
    UnknownQueue(String),
    #[error("call `{0}` is not known to the distributor")]
    UnknownCall(String),
    #[error("call `{0}` is already queued or connected to an agent")]
    DuplicateCall(String),
    /// The agent is ringing or on a call; the call must finish first.
    #[error("agent `{agent}` cannot {action} while {state}: the call must finish first")]
    AgentBusy {
        agent: String,
        action: &'static str,
        state: &'static str,
    },
    /// The agent must log in before doing this.
    #[error("agent `{agent}` cannot {action} while logged out: log in first")]
    NotLoggedIn { agent: String, action: &'static str },
    /// `answered` / `no_answer` named an agent that is not being offered that call.
    #[error("agent `{agent}` is not being offered call `{call}`")]
    NotOffered { agent: String, call: String },
}

/// What is wrong with a sentence in a `messages:` block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SentenceProblem {
    #[error("unknown sentence `{key}`{}", sentence_hint(.suggestion))]
    UnknownSentence {
        key: String,
        suggestion: Option<&'static str>,
    },
    #[error(
        "sentence `{key}`: unknown placeholder {{{placeholder}}}{}; {}",
        placeholder_hint(.suggestion),
        can_use(.allowed)
    )]
    UnknownPlaceholder {
        key: &'static str,
        placeholder: String,
        allowed: &'static [&'static str],
        suggestion: Option<&'static str>,
    },
    #[error("sentence `{key}`: a `{{` is not closed by `}}`")]
    UnclosedBrace { key: &'static str },
}

fn whose(queue: &Option<String>) -> String {
    queue
        .as_ref()
        .map(|q| format!("queue `{q}`: "))
        .unwrap_or_default()
}

fn sentence_hint(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => format!(
            "; the sentences are {}",
            crate::messages::SENTENCE_KEYS
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn placeholder_hint(suggestion: &Option<&'static str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean {{{s}}}?)"))
        .unwrap_or_default()
}

fn can_use(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        return "it takes no placeholders".to_string();
    }
    let names: Vec<String> = allowed.iter().map(|a| format!("{{{a}}}")).collect();
    format!("it can use {}", names.join(", "))
}

/// Why an agent's entry in `agents.yaml` could not be rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EditProblem {
    #[error("there is no such agent in this file")]
    NoSuchAgent,
    #[error("an external agent (uri) does not register, so it has no password")]
    External,
    #[error("its entry must be written in block style, one key per line (`- id: ...` then `password: ...` below it) for its password to be replaced")]
    NotBlockStyle,
}
