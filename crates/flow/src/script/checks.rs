//! Checks of a script step's `expect:` entries against the actions the engine returned, and
//! the one-line descriptions of actions used in failure messages.

use super::ActionCheck;
use crate::engine::Action;

/// The texts an action offers to `*_contains` checks, by check field.
fn fields_of(action: &Action) -> Option<(&'static str, Vec<(&'static str, String)>)> {
    Some(match action {
        Action::Http(req) => (
            "http",
            vec![
                ("url_contains", req.url.clone()),
                ("method", req.method.as_str().to_string()),
                (
                    "header_contains",
                    req.headers
                        .iter()
                        .map(|(n, v)| format!("{n}: {v}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                ("body_contains", req.body.clone().unwrap_or_default()),
            ],
        ),
        Action::Record { max, beep } => (
            "record",
            vec![("value", format!("{}s beep={beep}", max.as_secs()))],
        ),
        Action::Ticket { summary, fields } => (
            "ticket",
            vec![
                ("summary_contains", summary.clone()),
                (
                    "field_contains",
                    fields
                        .iter()
                        .map(|(n, v)| format!("{n}: {v}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            ],
        ),
        Action::Remember { key, value } => (
            "remember",
            vec![("key", key.clone()), ("value", value.clone())],
        ),
        Action::Language { code } => ("language", vec![("value", code.clone())]),
        Action::SlotFilled { slot, value, .. } => (
            "slot",
            vec![("slot", slot.clone()), ("value", value.clone())],
        ),
        Action::FaqAnswered { entry, .. } => (
            "faq",
            vec![("entry", entry.clone().unwrap_or_else(|| "none".to_string()))],
        ),
        Action::Transfer { queue, reason } => (
            "transfer",
            vec![("queue", queue.clone()), ("reason", reason.clone())],
        ),
        Action::Hangup { reason } => ("hangup", vec![("reason", reason.clone())]),
        Action::Listen { .. } => ("listen", Vec::new()),
        _ => return None,
    })
}

/// What the check expected, when no action of the step satisfies it (`None`: one does).
/// `*_contains` fields look for a part (ignoring case); the others must be equal.
pub(super) fn missing_action(check: &ActionCheck, actions: &[Action]) -> Option<String> {
    let fits = |action: &Action| {
        let Some((kind, texts)) = fields_of(action) else {
            return false;
        };
        kind == check.action
            && check.contains.iter().all(|(field, wanted)| {
                texts.iter().any(|(name, text)| {
                    name == field
                        && if field.ends_with("_contains") {
                            text.to_lowercase().contains(&wanted.to_lowercase())
                        } else {
                            text == wanted
                        }
                })
            })
    };
    if actions.iter().any(fits) {
        return None;
    }
    let details: Vec<String> = check
        .contains
        .iter()
        .map(|(f, v)| format!("{f} \"{v}\""))
        .collect();
    Some(format!(
        "expected a `{}` action{}{}",
        check.action,
        if details.is_empty() { "" } else { " with " },
        details.join(", ")
    ))
}

/// One action in a few words.
pub(super) fn describe_action(action: &Action) -> String {
    match action {
        Action::Say { text } => format!("say \"{text}\""),
        Action::Listen { .. } => "listen".to_string(),
        Action::Transfer { queue, .. } => format!("transfer to `{queue}`"),
        Action::Hangup { reason } => format!("hang up ({reason})"),
        Action::Matched { intent, .. } => {
            format!("matched {}", intent.as_deref().unwrap_or("nothing"))
        }
        Action::Http(req) => format!("http {} {}", req.method.as_str(), req.url),
        Action::Record { max, .. } => format!("record up to {}s", max.as_secs()),
        Action::Ticket { summary, .. } => format!("ticket \"{summary}\""),
        Action::Remember { key, value } => format!("remember {key}={value}"),
        Action::Language { code } => format!("language {code}"),
        Action::SlotFilled { slot, value, .. } => format!("slot {slot}={value}"),
        Action::FaqAnswered { entry, .. } => {
            format!("faq {}", entry.as_deref().unwrap_or("no answer"))
        }
    }
}
