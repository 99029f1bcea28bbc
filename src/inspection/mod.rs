//! Quality inspection of every call: the supervisor's rules (`rules`) applied to a call's stored
//! turns, giving a score (100 minus the weights of the rules that fired) and, for each rule that
//! fired, the turn and words that made it fire. Pure: the turns come in, the verdict goes out;
//! `watch` loads the rules and stores the verdicts.

pub mod rules;
pub mod watch;

use serde::Serialize;

use crate::store::TurnRecord;
pub use rules::{Condition, Rule};

/// What inspection reads of one ended call.
#[derive(Debug, Clone, Copy)]
pub struct CallFacts<'a> {
    /// The call went to a person (a queue, a handoff ticket or a REFER).
    pub transferred: bool,
    /// When the call was answered (or started), Unix ms.
    pub answered_at: i64,
    pub turns: &'a [TurnRecord],
}

/// One rule that fired, with where and why.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Finding {
    pub rule: String,
    pub description: String,
    pub weight: u32,
    /// The turn (1 = the call's first stored turn) the evidence is from; `None`: the whole call.
    pub turn: Option<usize>,
    /// What was said or measured there.
    pub evidence: String,
}

/// A call's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    /// 100 minus the weights of the rules that fired, never below 0.
    pub score: u32,
    pub fired: Vec<Finding>,
}

/// Applies every rule to the call.
pub fn inspect(rules: &[Rule], call: &CallFacts<'_>) -> Inspection {
    let fired: Vec<Finding> = rules
        .iter()
        .filter_map(|rule| {
            check(&rule.condition, call).map(|(turn, evidence)| Finding {
                rule: rule.id.clone(),
                description: rule.description.clone(),
                weight: rule.weight,
                turn,
                evidence,
            })
        })
        .collect();
    let off: u32 = fired.iter().map(|f| f.weight).sum();
    Inspection {
        score: 100u32.saturating_sub(off),
        fired,
    }
}

/// Whether the condition holds, with the turn number and evidence.
fn check(condition: &Condition, call: &CallFacts<'_>) -> Option<(Option<usize>, String)> {
    let numbered = || call.turns.iter().enumerate().map(|(i, t)| (i + 1, t));
    match condition {
        Condition::GreetingContains(word) => {
            let first = numbered().find(|(_, t)| !bot_text(t).is_empty());
            match first {
                None => Some((None, "the bot said nothing".into())),
                Some((n, t)) if !contains(bot_text(t), word) => Some((
                    Some(n),
                    format!("greeting without \"{word}\": {}", bot_text(t)),
                )),
                Some(_) => None,
            }
        }
        Condition::FaqAnswerBelow(threshold) => numbered().find_map(|(n, t)| {
            faq_answers(t)
                .find(|(_, score)| score < threshold)
                .map(|(entry, score)| {
                    (
                        Some(n),
                        format!(
                            "FAQ {entry} answered at {score:.2} to \"{}\"",
                            t.caller_text.as_deref().unwrap_or("").trim()
                        ),
                    )
                })
        }),
        Condition::AngerRoseWithoutEscalation(level) => {
            if call.transferred {
                return None;
            }
            numbered()
                .find(|(_, t)| t.anger.is_some_and(|a| a >= *level))
                .map(|(n, t)| {
                    (
                        Some(n),
                        format!(
                            "anger {:.2} after \"{}\", and no transfer to a person",
                            t.anger.unwrap_or(0.0),
                            t.caller_text.as_deref().unwrap_or("").trim()
                        ),
                    )
                })
        }
        Condition::RepromptsAtLeast(times) => {
            let mut run: Option<(&str, u32)> = None;
            for (n, t) in numbered() {
                let node = t.node.as_deref().unwrap_or("");
                run = match (run, failed(t)) {
                    (_, false) => None,
                    (Some((prev, k)), true) if prev == node => Some((node, k + 1)),
                    (_, true) => Some((node, 1)),
                };
                if let Some((node, k)) = run {
                    if k >= *times {
                        return Some((
                            Some(n),
                            format!("node {node} asked again {k} times in a row"),
                        ));
                    }
                }
            }
            None
        }
        Condition::SilenceLongerThan(limit) => {
            let limit_ms = limit.as_millis() as i64;
            let mut before = call.answered_at;
            for (n, t) in numbered() {
                let gap = t.at - before;
                if gap > limit_ms && !gave_input(t) {
                    return Some((
                        Some(n),
                        format!("{:.1} s with nothing said or pressed", gap as f64 / 1000.0),
                    ));
                }
                before = t.at;
            }
            None
        }
    }
}

fn bot_text(t: &TurnRecord) -> &str {
    t.bot_text.as_deref().unwrap_or("").trim()
}

fn contains(text: &str, word: &str) -> bool {
    text.to_lowercase().contains(&word.to_lowercase())
}

/// The FAQ entries a turn answered from and their scores (trace lines `faq ENTRY (SCORE)`).
fn faq_answers(t: &TurnRecord) -> impl Iterator<Item = (&str, f64)> {
    t.trace.as_deref().unwrap_or("").lines().filter_map(|line| {
        let rest = line.trim().strip_prefix("faq ")?;
        if rest.starts_with("no answer") {
            return None;
        }
        let (entry, score) = rest.rsplit_once(" (")?;
        let score: f64 = score.strip_suffix(')')?.parse().ok()?;
        Some((entry, score))
    })
}

/// The caller said or pressed something.
fn gave_input(t: &TurnRecord) -> bool {
    let text = t.caller_text.as_deref().unwrap_or("").trim();
    let keys = t.caller_dtmf.as_deref().unwrap_or("").trim();
    (!text.is_empty() && !hotline_flow::is_no_speech(text)) || !keys.is_empty()
}

/// The node had to ask again: no input, or input nothing answered (`hotline faq gaps`' rule).
fn failed(t: &TurnRecord) -> bool {
    if t.node.is_none() {
        return false;
    }
    if !gave_input(t) {
        return true;
    }
    let text = t.caller_text.as_deref().unwrap_or("").trim();
    let keys = t.caller_dtmf.as_deref().unwrap_or("").trim();
    hotline_nlu::is_unanswered(&hotline_nlu::RecordedTurn {
        text: if text.is_empty() { keys } else { text },
        intent: t.intent.as_deref(),
        trace: t.trace.as_deref(),
    })
}

#[cfg(test)]
mod tests;
