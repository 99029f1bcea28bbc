//! Spoken texts with `{variable}` placeholders: parsing for validation, rendering at run time.

use std::collections::HashMap;

/// A problem in a template, with the character offset where it starts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TemplateProblem {
    /// `{` without a matching `}`.
    Unclosed { offset: usize },
    /// `{}` or a name with characters other than letters, digits and `_`.
    BadName { offset: usize, name: String },
}

/// Names of the variables a template uses, or the first problem found.
/// `{{` and `}}` stand for literal braces.
pub(crate) fn variables(template: &str) -> Result<Vec<String>, TemplateProblem> {
    let mut names = Vec::new();
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
                let name: String = chars[i + 1..i + 1 + close].iter().collect();
                let name = name.trim().to_string();
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(TemplateProblem::BadName { offset: i, name });
                }
                names.push(name);
                i += close + 2;
            }
            _ => i += 1,
        }
    }
    Ok(names)
}

/// Fills in `{name}` placeholders from `values`. Unknown names render as empty text (validation
/// rejects them before a flow can run); `{{`/`}}` render as braces.
pub(crate) fn render(template: &str, values: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if let (true, Some(close)) = (tail.starts_with('{'), tail.find('}')) {
            let name = tail[1..close].trim();
            if let Some(value) = values.get(name) {
                out.push_str(value);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_variable_names() {
        assert_eq!(
            variables("Welcome to {shop}, open until { closing }."),
            Ok(vec!["shop".to_string(), "closing".to_string()])
        );
        assert_eq!(variables("Use {{braces}}"), Ok(vec![]));
    }

    #[test]
    fn reports_unclosed_and_bad_names() {
        assert_eq!(
            variables("Hi {name"),
            Err(TemplateProblem::Unclosed { offset: 3 })
        );
        assert_eq!(
            variables("Hi {two words}"),
            Err(TemplateProblem::BadName {
                offset: 3,
                name: "two words".to_string()
            })
        );
    }

    #[test]
    fn renders_values_and_literal_braces() {
        let values = HashMap::from([("shop".to_string(), "Northwind".to_string())]);
        assert_eq!(
            render("Welcome to {shop}! {{not a var}}", &values),
            "Welcome to Northwind! {not a var}"
        );
        assert_eq!(render("Stray } and {", &values), "Stray } and {");
    }
}
