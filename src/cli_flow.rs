//! `hotline flow check` and `hotline flow test`, and the line parsing and printing `hotline chat`
//! shares: a supervisor's tools for flows, running the same engine the phone path runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use hotline_flow::{Action, Script};

use crate::server::{load_encoder, load_flow_file};

/// The phone path's matcher for the terminal tools: embeddings when the models are installed.
pub(crate) fn encoder() -> Option<Arc<hotline_nlu::SentenceEncoder>> {
    let config = crate::config::Config::load(None).ok()?;
    let models = crate::server::model_paths(&config).ok()?;
    hotline_onnx::init(&models.onnxruntime).ok()?;
    match load_encoder(&config.speech.models_dir) {
        Ok(encoder) => Some(encoder),
        Err(e) => {
            eprintln!("intent embeddings unavailable ({e}); matching with keywords only");
            None
        }
    }
}

/// Validates flow files; every problem as file:line:column. Fails if any file has errors.
pub fn check(files: &[PathBuf]) -> anyhow::Result<()> {
    anyhow::ensure!(!files.is_empty(), "name at least one flow file");
    let mut failed = 0;
    for file in files {
        let source =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let diagnostics = hotline_flow::check(&source, &file.display().to_string());
        for d in &diagnostics {
            println!("{d}");
        }
        if diagnostics.iter().any(|d| d.is_error()) {
            failed += 1;
        } else {
            println!("{}: ok", file.display());
        }
    }
    anyhow::ensure!(
        failed == 0,
        "{failed} of {} flow {} errors; fix the lines above and check again",
        files.len(),
        if files.len() == 1 {
            "file has"
        } else {
            "files have"
        }
    );
    Ok(())
}

/// Runs scripted conversations (default: every `flows/tests/*.yaml`); fails listing each failing step.
pub fn test(scripts: &[PathBuf]) -> anyhow::Result<()> {
    let scripts = if scripts.is_empty() {
        let mut found: Vec<PathBuf> = std::fs::read_dir("flows/tests")
            .context("reading flows/tests")?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        found.sort();
        found
    } else {
        scripts.to_vec()
    };
    let (mut passed, mut failed) = (0, 0);
    let encoder = encoder();
    for path in &scripts {
        let source =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let script = Script::parse(&source, &path.display().to_string())?;
        let flow_path = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(script.flow_path());
        let active = load_flow_file(&flow_path, encoder.as_ref())?;
        let report = script.run_with_faq(
            Arc::clone(&active.flow),
            Arc::clone(&active.matcher),
            active.faq.clone(),
        );
        if report.passed() {
            passed += 1;
            println!("ok      {} ({} steps)", path.display(), report.steps);
        } else {
            failed += 1;
            println!("FAILED  {}", path.display());
            for failure in &report.failures {
                println!("        {failure}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    anyhow::ensure!(failed == 0, "{failed} script(s) failed");
    Ok(())
}

/// What one line typed in `hotline chat` means.
#[derive(Debug, PartialEq)]
pub enum ChatLine {
    /// An empty line: the caller stays silent until the no-input timeout.
    Silence,
    /// Only keypad characters: key presses, one after another.
    Keys(Vec<char>),
    Speech(String),
    Quit,
}

pub fn parse_chat_line(line: &str) -> ChatLine {
    let t = line.trim();
    if t.is_empty() {
        ChatLine::Silence
    } else if t == "/quit" || t == "/hangup" {
        ChatLine::Quit
    } else if t
        .chars()
        .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
    {
        ChatLine::Keys(t.chars().collect())
    } else {
        ChatLine::Speech(t.to_string())
    }
}

/// Prints the bot's side; true when the call is over.
pub(crate) fn show(out: &mut impl Write, actions: Vec<Action>) -> std::io::Result<bool> {
    let mut over = false;
    for action in actions {
        match action {
            Action::Say { text } => writeln!(out, "bot> {text}")?,
            Action::Matched {
                intent,
                score,
                node,
            } => writeln!(
                out,
                "     [{} {:.2} at {node}]",
                intent.as_deref().unwrap_or("no match"),
                score
            )?,
            Action::Transfer { queue, reason } => {
                writeln!(out, "     [transfer to {queue}: {reason}]")?;
                over = true;
            }
            Action::Hangup { reason } => {
                writeln!(out, "     [hang up: {reason}]")?;
                over = true;
            }
            Action::Listen { .. } => {}
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    Ok(over)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_flow::{CallerInput, Conversation};
    use std::time::Duration;

    #[test]
    fn chat_lines() {
        assert_eq!(parse_chat_line("  "), ChatLine::Silence);
        assert_eq!(parse_chat_line("12#"), ChatLine::Keys(vec!['1', '2', '#']));
        assert_eq!(parse_chat_line("/quit"), ChatLine::Quit);
        assert_eq!(
            parse_chat_line("where is my order 12345"),
            ChatLine::Speech("where is my order 12345".into())
        );
    }

    #[test]
    fn the_shop_flow_answers_in_chat_as_on_the_phone() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let active =
            load_flow_file(&root.join("flows/shop.yaml"), None).expect("the shop flow loads");
        let mut conversation =
            Conversation::new(Arc::clone(&active.flow), Arc::clone(&active.matcher));
        let mut out = Vec::new();
        show(&mut out, conversation.start(Duration::ZERO)).unwrap();
        let over = show(
            &mut out,
            conversation.handle(
                CallerInput::Speech {
                    text: "How much does shipping cost?".into(),
                    confidence: 1.0,
                },
                Duration::from_secs(5),
            ),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!over);
        assert!(
            text.contains("bot> Hello, and welcome to Northwind Shop."),
            "{text}"
        );
        assert!(text.contains("[shipping_cost"), "{text}");
        assert!(text.contains("4 dollars 95"), "{text}");
    }
}
