//! Conditions of `if` nodes: `caller.calls_count > 3`, `order_status == 'shipped'`,
//! `verified and not caller.open_ticket`. Parsed when the flow loads (so mistakes are
//! reported with their position), evaluated against the call's variables.

use std::collections::HashMap;
use std::fmt;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparator {
    /// `==`: equal text (ignoring case and surrounding spaces), or equal numbers.
    Eq,
    /// `!=`.
    Ne,
    /// `<` (numbers only).
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A variable, e.g. `caller.calls_count`.
    Variable(String),
    /// A quoted text, e.g. `'shipped'`.
    Text(String),
    /// A number, e.g. `3` or `0.5`.
    Number(f64),
}

/// `left`, or `left op right`, possibly negated with `not`.
#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    /// Whether `not` was written in front.
    pub negated: bool,
    /// Left side (alone: true when the value is set and not `false`/`no`/`0`).
    pub left: Operand,
    /// Comparison, if any.
    pub compare: Option<(Comparator, Operand)>,
}

/// A condition: tests joined by `and` / `or` (`and` binds tighter).
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// Alternatives (`or`), each a list of tests that must all hold (`and`).
    pub any_of: Vec<Vec<Test>>,
}

/// Why a condition could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionError(pub String);

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn error(message: impl Into<String>) -> ConditionError {
    ConditionError(message.into())
}

/// Splits on a keyword surrounded by spaces, outside quotes ("a and" splits into "a" and
/// an empty part, so a dangling keyword is reported as a missing side).
fn split_keyword(text: &str, keyword: &str) -> Vec<String> {
    let padded = format!(" {text} ");
    let bytes = padded.as_bytes();
    let lower = padded.to_ascii_lowercase();
    let pattern = format!(" {keyword} ");
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if lower.as_bytes()[i..].starts_with(pattern.as_bytes()) => {
                parts.push(padded[start..i].to_string());
                // Keep the closing space: it may open the next keyword.
                i += pattern.len() - 1;
                start = i;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    parts.push(padded[start..].to_string());
    parts
}

fn operand(text: &str) -> Result<Operand, ConditionError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(error("a comparison is missing a side"));
    }
    for q in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(q) {
            return match inner.strip_suffix(q) {
                Some(inner) => Ok(Operand::Text(inner.to_string())),
                None => Err(error(format!("`{text}` has no closing quote"))),
            };
        }
    }
    if let Ok(n) = text.parse::<f64>() {
        return Ok(Operand::Number(n));
    }
    let name = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text)
        .trim();
    let valid = name
        .split('.')
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if !valid {
        return Err(error(format!(
            "`{text}` is neither a variable, a number nor a quoted text"
        )));
    }
    match name {
        "true" | "false" | "yes" | "no" => Ok(Operand::Text(name.to_string())),
        _ => Ok(Operand::Variable(name.to_string())),
    }
}

fn test(text: &str) -> Result<Test, ConditionError> {
    let mut text = text.trim();
    let mut negated = false;
    if let Some(rest) = text.strip_prefix("not ") {
        negated = true;
        text = rest;
    } else if let Some(rest) = text.strip_prefix('!').filter(|r| !r.starts_with('=')) {
        negated = true;
        text = rest;
    }
    const OPERATORS: [(&str, Comparator); 6] = [
        ("==", Comparator::Eq),
        ("!=", Comparator::Ne),
        ("<=", Comparator::Le),
        (">=", Comparator::Ge),
        ("<", Comparator::Lt),
        (">", Comparator::Gt),
    ];
    for (symbol, comparator) in OPERATORS {
        if let Some((left, right)) = text.split_once(symbol) {
            let (left, right) = (operand(left)?, operand(right)?);
            let ordering = !matches!(comparator, Comparator::Eq | Comparator::Ne);
            if ordering {
                if let Some(Operand::Text(t)) = [&left, &right]
                    .into_iter()
                    .find(|o| matches!(o, Operand::Text(_)))
                {
                    return Err(error(format!(
                        "`{symbol}` compares numbers, but '{t}' is a text"
                    )));
                }
            }
            return Ok(Test {
                negated,
                left,
                compare: Some((comparator, right)),
            });
        }
    }
    if text.contains('=') {
        return Err(error(
            "write `==` to compare (a single `=` is not a comparison)",
        ));
    }
    Ok(Test {
        negated,
        left: operand(text)?,
        compare: None,
    })
}

impl Condition {
    /// Parses a condition.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        if text.trim().is_empty() {
            return Err(error("the condition is empty"));
        }
        let any_of = split_keyword(text, "or")
            .iter()
            .map(|alt| split_keyword(alt, "and").iter().map(|t| test(t)).collect())
            .collect::<Result<Vec<Vec<Test>>, _>>()?;
        Ok(Condition { any_of })
    }

    /// Names of the variables the condition reads.
    pub fn variables(&self) -> Vec<&str> {
        self.any_of
            .iter()
            .flatten()
            .flat_map(|t| std::iter::once(&t.left).chain(t.compare.as_ref().map(|(_, r)| r)))
            .filter_map(|o| match o {
                Operand::Variable(name) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether the condition holds for these variable values (unset variables are empty).
    pub fn evaluate(&self, values: &HashMap<String, String>) -> bool {
        self.any_of
            .iter()
            .any(|all| all.iter().all(|t| t.evaluate(values)))
    }
}

fn value_of(operand: &Operand, values: &HashMap<String, String>) -> String {
    match operand {
        Operand::Variable(name) => values.get(name).cloned().unwrap_or_default(),
        Operand::Text(t) => t.clone(),
        Operand::Number(n) => n.to_string(),
    }
}

/// True for values that are set and do not say no.
fn truthy(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    !matches!(v.as_str(), "" | "false" | "no" | "0")
}

impl Test {
    fn evaluate(&self, values: &HashMap<String, String>) -> bool {
        let left = value_of(&self.left, values);
        let result = match &self.compare {
            None => truthy(&left),
            Some((op, right)) => {
                let right = value_of(right, values);
                let numbers = (left.trim().parse::<f64>(), right.trim().parse::<f64>());
                match (op, numbers) {
                    (Comparator::Eq, (Ok(a), Ok(b))) => a == b,
                    (Comparator::Ne, (Ok(a), Ok(b))) => a != b,
                    (Comparator::Eq, _) => left.trim().eq_ignore_ascii_case(right.trim()),
                    (Comparator::Ne, _) => !left.trim().eq_ignore_ascii_case(right.trim()),
                    (Comparator::Lt, (Ok(a), Ok(b))) => a < b,
                    (Comparator::Le, (Ok(a), Ok(b))) => a <= b,
                    (Comparator::Gt, (Ok(a), Ok(b))) => a > b,
                    (Comparator::Ge, (Ok(a), Ok(b))) => a >= b,
                    // Ordering something that is not a number is false.
                    _ => false,
                }
            }
        };
        result != self.negated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(condition: &str, values: &[(&str, &str)]) -> bool {
        let values = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Condition::parse(condition)
            .expect("valid condition")
            .evaluate(&values)
    }

    #[test]
    fn truthiness_of_variables() {
        assert!(holds("caller.language", &[("caller.language", "de")]));
        assert!(!holds("caller.language", &[]));
        assert!(!holds("verified", &[("verified", "false")]));
        assert!(holds("not verified", &[("verified", "no")]));
        assert!(holds("!caller.open_ticket", &[]));
    }

    #[test]
    fn comparisons() {
        let v = [("status", "Shipped"), ("count", "4"), ("score", "0.5")];
        assert!(holds("status == 'shipped'", &v), "text ignores case");
        assert!(holds("status != \"delivered\"", &v));
        assert!(holds("count > 3", &v));
        assert!(holds("count >= 4.0", &v));
        assert!(!holds("count < 4", &v));
        assert!(holds("{count} == 4", &v));
        assert!(holds("score <= 0.5", &v));
        assert!(!holds("status > 3", &v), "a text is not ordered");
        assert!(!holds("missing > 3", &v));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let v = [("a", "yes"), ("b", ""), ("c", "yes")];
        assert!(holds("a and b or c", &v));
        assert!(!holds("a and b", &v));
        assert!(holds("b or a and c", &v));
        assert!(
            holds("x == 'this or that'", &[("x", "this or that")]),
            "quotes protect keywords"
        );
    }

    #[test]
    fn lists_variables() {
        let c =
            Condition::parse("caller.calls_count > 3 and not verified or x == y").expect("valid");
        assert_eq!(c.variables(), ["caller.calls_count", "verified", "x", "y"]);
    }

    #[test]
    fn rejects_malformed_conditions() {
        for (text, expected) in [
            ("", "empty"),
            ("status = 'x'", "`==`"),
            ("count > 'many'", "compares numbers"),
            ("status == 'open", "closing quote"),
            ("a and", "missing a side"),
            ("two words", "neither"),
        ] {
            let err = Condition::parse(text).expect_err(text);
            assert!(err.0.contains(expected), "{text}: {}", err.0);
        }
    }
}
