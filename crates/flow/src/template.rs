//! Texts with `{placeholders}`: `{shop}`, `{caller.name}`, `{order_number:digits}` (say-as),
//! `{env.SHOP_API_KEY}` (secrets, http nodes only). Parsing for validation, filling at run
//! time. `{{` and `}}` stand for literal braces.

use std::collections::HashMap;

use crate::say_as::{Currency, SayAs};

/// A problem in a template, with the character offset where it starts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TemplateProblem {
    /// `{` without a matching `}`.
    Unclosed { offset: usize },
    /// `{}` or a name with characters other than letters, digits, `_` and `.`.
    BadName { offset: usize, name: String },
}

/// One `{name}` or `{name:kind}` in a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Placeholder {
    /// Variable name, possibly dotted (`caller.name`, `env.KEY`).
    pub name: String,
    /// The say-as kind after the colon, as written (validated separately).
    pub kind: Option<String>,
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

fn placeholder(inner: &str) -> Option<Placeholder> {
    let (name, kind) = match inner.split_once(':') {
        Some((name, kind)) => (name.trim(), Some(kind.trim().to_string())),
        None => (inner.trim(), None),
    };
    (is_name(name) && kind.as_ref().is_none_or(|k| !k.is_empty())).then(|| Placeholder {
        name: name.to_string(),
        kind,
    })
}

/// The placeholders a template uses, or the first problem found.
pub(crate) fn placeholders(template: &str) -> Result<Vec<Placeholder>, TemplateProblem> {
    let mut found = Vec::new();
    let chars: Vec<char> = template.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '{' if chars.get(i + 1) == Some(&'{') => i += 2,
            '}' if chars.get(i + 1) == Some(&'}') => i += 2,
            '{' => {
                let Some(close) = chars[i + 1..].iter().position(|&c| c == '}') else {
                    return Err(TemplateProblem::Unclosed { offset: i });
                };
                let inner: String = chars[i + 1..i + 1 + close].iter().collect();
                match placeholder(&inner) {
                    Some(p) => found.push(p),
                    None => {
                        return Err(TemplateProblem::BadName {
                            offset: i,
                            name: inner.trim().to_string(),
                        })
                    }
                }
                i += close + 2;
            }
            _ => i += 1,
        }
    }
    Ok(found)
}

/// Copies `template`, replacing each placeholder with `fill(placeholder)`; `{{`/`}}` become
/// braces and malformed placeholders stay as written.
pub(crate) fn expand(template: &str, mut fill: impl FnMut(&Placeholder) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if let (true, Some(close)) = (tail.starts_with('{'), tail.find('}')) {
            match placeholder(&tail[1..close]) {
                Some(p) => out.push_str(&fill(&p)),
                None => out.push_str(&tail[..=close]),
            }
            rest = &tail[close + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Fills a spoken text: values by name (unknown names and secrets render as nothing), read
/// aloud as their say-as kind asks.
pub(crate) fn render(
    template: &str,
    values: &HashMap<String, String>,
    currency: Currency,
) -> String {
    expand(template, |p| {
        if p.name.starts_with("env.") {
            return String::new();
        }
        let value = values.get(&p.name).map(String::as_str).unwrap_or_default();
        match p.kind.as_deref().and_then(SayAs::from_name) {
            Some(kind) if !value.is_empty() => kind.render(value, currency),
            _ => value.to_string(),
        }
    })
}

/// Fills a template of an http request. `{env.NAME}` stays as written for the runtime to
/// resolve; values pass through `escape` and lose any braces, so that nothing a caller says
/// can turn into a secret reference.
pub(crate) fn render_request(
    template: &str,
    values: &HashMap<String, String>,
    escape: impl Fn(&str) -> String,
) -> String {
    expand(template, |p| {
        if p.name.starts_with("env.") {
            return format!("{{{}}}", p.name);
        }
        let value = values.get(&p.name).map(String::as_str).unwrap_or_default();
        escape(&value.replace(['{', '}'], ""))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(template: &str) -> Vec<String> {
        placeholders(template)
            .expect("valid template")
            .into_iter()
            .map(|p| p.name)
            .collect()
    }

    #[test]
    fn finds_placeholders() {
        assert_eq!(
            names("Welcome to {shop}, open until { closing }."),
            ["shop", "closing"]
        );
        assert_eq!(
            names("Hi {caller.name}, {env.KEY}"),
            ["caller.name", "env.KEY"]
        );
        assert!(names("Use {{braces}}").is_empty());
        let found = placeholders("Order {order_number:digits}").expect("valid");
        assert_eq!(found[0].kind.as_deref(), Some("digits"));
    }

    #[test]
    fn reports_unclosed_and_bad_names() {
        assert_eq!(
            placeholders("Hi {name"),
            Err(TemplateProblem::Unclosed { offset: 3 })
        );
        for bad in ["Hi {two words}", "Hi {a..b}", "Hi {}", "Hi {x:}"] {
            assert!(
                matches!(
                    placeholders(bad),
                    Err(TemplateProblem::BadName { offset: 3, .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn renders_values_say_as_and_literal_braces() {
        let values = HashMap::from([
            ("shop".to_string(), "Northwind".to_string()),
            ("order".to_string(), "4567".to_string()),
            ("caller.name".to_string(), "Ada".to_string()),
        ]);
        assert_eq!(
            render("Welcome to {shop}! {{not a var}}", &values, Currency::Usd),
            "Welcome to Northwind! {not a var}"
        );
        assert_eq!(
            render(
                "Order {order:digits}, {caller.name}.",
                &values,
                Currency::Usd
            ),
            "Order four five six seven, Ada."
        );
        assert_eq!(
            render("Stray } and {", &values, Currency::Usd),
            "Stray } and {"
        );
        assert_eq!(render("Key {env.KEY}", &values, Currency::Usd), "Key ");
    }

    #[test]
    fn request_templates_keep_secrets_and_escape_values() {
        let values = HashMap::from([("q".to_string(), "a b/{env.KEY}".to_string())]);
        let url = render_request("{env.API}/find?q={q}", &values, |v| v.replace(' ', "%20"));
        assert_eq!(url, "{env.API}/find?q=a%20b/env.KEY");
    }
}
