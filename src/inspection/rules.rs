//! The supervisor's inspection rules file (`inspection/rules.yaml`) read into typed rules, with
//! every refusal at `file:line:column` (serde-saphyr's spans, as campaign and queue files do).
//! Pure: the text comes in, rules or one error go out; the caller reads the file.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::HotlineError;

/// One rule: points off the call's score when its condition holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub description: String,
    /// Points taken off 100 when the rule fires.
    pub weight: u32,
    pub condition: Condition,
}

/// What a rule looks for in a call's turns.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The bot's first utterance lacks this text (case-insensitive).
    GreetingContains(String),
    /// An FAQ answer was given with a score below this.
    FaqAnswerBelow(f64),
    /// The caller's anger reached this and the call was not transferred to a person.
    AngerRoseWithoutEscalation(f64),
    /// The same node asked again this many times in a row (no input, or nothing understood).
    RepromptsAtLeast(u32),
    /// More than this before a turn where the caller said and pressed nothing (measured from the
    /// previous turn, or the answer).
    SilenceLongerThan(Duration),
}

/// The condition keys a rule may have, exactly one per rule.
pub const CONDITIONS: [&str; 5] = [
    "greeting_contains",
    "faq_answer_below",
    "anger_rose_without_escalation",
    "reprompts_at_least",
    "silence_longer_than",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    #[serde(default)]
    description: String,
    weight: Spanned<i64>,
    greeting_contains: Option<Spanned<String>>,
    faq_answer_below: Option<Spanned<f64>>,
    anger_rose_without_escalation: Option<Spanned<f64>>,
    reprompts_at_least: Option<Spanned<i64>>,
    silence_longer_than: Option<Spanned<String>>,
}

fn at<T>(file: &Path, value: &Spanned<T>, reason: impl Into<String>) -> HotlineError {
    let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX).max(1);
    HotlineError::InspectionRules {
        file: file.to_path_buf(),
        line: n(value.referenced.line()),
        column: n(value.referenced.column()),
        reason: reason.into(),
    }
}

fn at_start(file: &Path, line: usize, column: usize, reason: String) -> HotlineError {
    HotlineError::InspectionRules {
        file: file.to_path_buf(),
        line: line.max(1),
        column: column.max(1),
        reason,
    }
}

/// serde-saphyr ends its messages with " at line N, column M"; the position is reported apart.
fn plain_reason(message: &str) -> String {
    let message = message.trim();
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(", column ") => message[..i].to_string(),
        _ => message.to_string(),
    }
}

fn fraction(file: &Path, value: &Spanned<f64>, key: &str) -> Result<f64, HotlineError> {
    if (0.0..=1.0).contains(&value.value) {
        Ok(value.value)
    } else {
        Err(at(
            file,
            value,
            format!("`{key}` must be a number from 0 to 1, not {}", value.value),
        ))
    }
}

/// Reads a rules file's text; `file` names it in errors.
pub fn parse(text: &str, file: &Path) -> Result<Vec<Rule>, HotlineError> {
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(Vec::new());
    }
    let raw: RawFile = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| {
                (
                    usize::try_from(l.line()).unwrap_or(1),
                    usize::try_from(l.column()).unwrap_or(1),
                )
            })
            .unwrap_or((1, 1));
        at_start(
            file,
            line,
            column,
            plain_reason(&e.without_snippet().to_string()),
        )
    })?;
    let mut rules: Vec<Rule> = Vec::with_capacity(raw.rules.len());
    for r in raw.rules {
        let id = r.id.value.trim().to_string();
        if id.is_empty() {
            return Err(at(file, &r.id, "a rule's `id` may not be empty"));
        }
        if rules.iter().any(|other| other.id == id) {
            return Err(at(file, &r.id, format!("rule id `{id}` is used twice")));
        }
        if !(0..=100).contains(&r.weight.value) {
            return Err(at(
                file,
                &r.weight,
                format!(
                    "`weight` must be a whole number from 0 to 100, not {}",
                    r.weight.value
                ),
            ));
        }
        let mut found: Vec<Condition> = Vec::new();
        if let Some(v) = &r.greeting_contains {
            if v.value.trim().is_empty() {
                return Err(at(file, v, "`greeting_contains` needs some text"));
            }
            found.push(Condition::GreetingContains(v.value.trim().to_string()));
        }
        if let Some(v) = &r.faq_answer_below {
            found.push(Condition::FaqAnswerBelow(fraction(
                file,
                v,
                "faq_answer_below",
            )?));
        }
        if let Some(v) = &r.anger_rose_without_escalation {
            found.push(Condition::AngerRoseWithoutEscalation(fraction(
                file,
                v,
                "anger_rose_without_escalation",
            )?));
        }
        if let Some(v) = &r.reprompts_at_least {
            let n = u32::try_from(v.value)
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    at(
                        file,
                        v,
                        format!(
                            "`reprompts_at_least` must be a whole number, 1 or more, not {}",
                            v.value
                        ),
                    )
                })?;
            found.push(Condition::RepromptsAtLeast(n));
        }
        if let Some(v) = &r.silence_longer_than {
            let d = hotline_flow::parse_duration_text(&v.value).map_err(|reason| {
                at(
                    file,
                    v,
                    format!(
                        "invalid duration for `silence_longer_than`: `{}` {reason}",
                        v.value
                    ),
                )
            })?;
            found.push(Condition::SilenceLongerThan(d));
        }
        let condition = match found.len() {
            1 => found.remove(0),
            0 => {
                return Err(at(
                    file,
                    &r.id,
                    format!(
                        "rule `{id}` has no condition; give one of: {}",
                        CONDITIONS.join(", ")
                    ),
                ))
            }
            _ => {
                return Err(at(
                    file,
                    &r.id,
                    format!(
                        "rule `{id}` has {} conditions; give exactly one",
                        found.len()
                    ),
                ))
            }
        };
        rules.push(Rule {
            id,
            description: r.description.trim().to_string(),
            weight: r.weight.value as u32,
            condition,
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> String {
        parse(text, Path::new("rules.yaml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn every_condition_reads() {
        let rules = parse(
            "rules:\n\
             - id: greet\n  description: Greets with the name.\n  weight: 20\n  greeting_contains: Acme\n\
             - id: faq\n  weight: 10\n  faq_answer_below: 0.6\n\
             - id: anger\n  weight: 30\n  anger_rose_without_escalation: 0.7\n\
             - id: loop\n  weight: 15\n  reprompts_at_least: 3\n\
             - id: quiet\n  weight: 5\n  silence_longer_than: 8s\n",
            Path::new("rules.yaml"),
        )
        .unwrap();
        let conditions: Vec<&Condition> = rules.iter().map(|r| &r.condition).collect();
        assert_eq!(
            conditions,
            [
                &Condition::GreetingContains("Acme".into()),
                &Condition::FaqAnswerBelow(0.6),
                &Condition::AngerRoseWithoutEscalation(0.7),
                &Condition::RepromptsAtLeast(3),
                &Condition::SilenceLongerThan(Duration::from_secs(8)),
            ]
        );
        assert_eq!(rules[0].description, "Greets with the name.");
        assert_eq!(rules[0].weight, 20);
    }

    #[test]
    fn an_empty_file_has_no_rules() {
        assert_eq!(parse("# nothing yet\n", Path::new("r.yaml")).unwrap(), []);
    }

    #[test]
    fn broken_rules_are_refused_at_their_line() {
        assert_eq!(
            refusal("rules:\n- id: a\n  weight: 10\n  greeting_contians: Acme\n"),
            "rules.yaml:4:3: unknown field `greeting_contians`, expected one of id, \
             description, weight, greeting_contains, faq_answer_below, \
             anger_rose_without_escalation, reprompts_at_least, silence_longer_than"
        );
        assert_eq!(
            refusal("rules:\n- id: a\n  weight: 10\n"),
            "rules.yaml:2:7: rule `a` has no condition; give one of: greeting_contains, \
             faq_answer_below, anger_rose_without_escalation, reprompts_at_least, \
             silence_longer_than"
        );
        assert_eq!(
            refusal("rules:\n- id: a\n  weight: 10\n  faq_answer_below: 6\n"),
            "rules.yaml:4:21: `faq_answer_below` must be a number from 0 to 1, not 6"
        );
        let said = refusal("rules:\n- id: a\n  weight: 10\n  silence_longer_than: soon\n");
        assert!(
            said.starts_with(
                "rules.yaml:4:24: invalid duration for `silence_longer_than`: `soon` "
            ),
            "{said}"
        );
        assert_eq!(
            refusal("rules:\n- id: a\n  weight: 10\n  reprompts_at_least: 3\n- id: a\n  weight: 1\n  reprompts_at_least: 2\n"),
            "rules.yaml:5:7: rule id `a` is used twice"
        );
        assert_eq!(
            refusal("rules:\n- id: a\n  weight: 300\n  reprompts_at_least: 3\n"),
            "rules.yaml:3:11: `weight` must be a whole number from 0 to 100, not 300"
        );
        assert_eq!(
            refusal(
                "rules:\n- id: a\n  weight: 5\n  reprompts_at_least: 3\n  faq_answer_below: 0.5\n"
            ),
            "rules.yaml:2:7: rule `a` has 2 conditions; give exactly one"
        );
    }
}
