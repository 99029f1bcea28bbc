//! A small positioned YAML tree (built on `saphyr`'s marked nodes) and a reader that turns it
//! into typed values while collecting every problem as a diagnostic instead of stopping at the
//! first one.

use std::time::Duration;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::diagnostic::{Diagnostic, SourcePos};
use crate::duration::parse_duration;

/// A YAML node with the position where it starts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct YamlNode {
    pub pos: SourcePos,
    pub value: YamlValue,
}

/// The value of a YAML node. Mapping entries keep their order and their keys' positions.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum YamlValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<YamlNode>),
    Map(Vec<(YamlNode, YamlNode)>),
    /// Something this reader does not accept (aliases, malformed tagged values).
    Unsupported(&'static str),
}

impl YamlNode {
    /// "a string", "a list", ... for messages such as "expected a number, found a list".
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            YamlValue::Null => "an empty value",
            YamlValue::Bool(_) => "a boolean",
            YamlValue::Int(_) | YamlValue::Float(_) => "a number",
            YamlValue::Str(_) => "a string",
            YamlValue::Seq(_) => "a list",
            YamlValue::Map(_) => "a mapping",
            YamlValue::Unsupported(what) => what,
        }
    }

    /// The scalar as text, if it is a string or a number (numbers keep their YAML spelling
    /// closely enough for ids and DTMF digits).
    pub fn as_text(&self) -> Option<String> {
        match &self.value {
            YamlValue::Str(s) => Some(s.clone()),
            YamlValue::Int(i) => Some(i.to_string()),
            YamlValue::Float(f) => Some(f.to_string()),
            _ => None,
        }
    }
}

fn pos_of(node: &MarkedYaml<'_>) -> SourcePos {
    SourcePos::new(node.span.start.line(), node.span.start.col() + 1)
}

fn convert(node: &MarkedYaml<'_>) -> YamlNode {
    let pos = pos_of(node);
    let value = match &node.data {
        YamlData::Value(scalar) => match scalar {
            Scalar::Null => YamlValue::Null,
            Scalar::Boolean(b) => YamlValue::Bool(*b),
            Scalar::Integer(i) => YamlValue::Int(*i),
            Scalar::FloatingPoint(f) => YamlValue::Float(f.into_inner()),
            Scalar::String(s) => YamlValue::Str(s.to_string()),
        },
        YamlData::Representation(text, _, _) => YamlValue::Str(text.to_string()),
        YamlData::Sequence(items) => YamlValue::Seq(items.iter().map(convert).collect()),
        YamlData::Mapping(entries) => YamlValue::Map(
            entries
                .iter()
                .map(|(k, v)| (convert(k), convert(v)))
                .collect(),
        ),
        YamlData::Tagged(_, inner) => return convert(inner),
        YamlData::Alias(_) => YamlValue::Unsupported("an alias (aliases are not supported)"),
        YamlData::BadValue => YamlValue::Unsupported("an invalid value"),
    };
    YamlNode { pos, value }
}

/// Parses `source` as exactly one YAML document.
pub(crate) fn parse_document(source: &str, file: &str) -> Result<YamlNode, Diagnostic> {
    let docs = MarkedYaml::load_from_str(source).map_err(|e| {
        let mark = e.marker();
        Diagnostic::error(
            file,
            SourcePos::new(mark.line().max(1), mark.col() + 1),
            format!("YAML syntax error: {}", e.info()),
        )
    })?;
    let mut docs = docs.iter();
    let Some(first) = docs.next() else {
        return Err(Diagnostic::error(
            file,
            SourcePos::START,
            "the file is empty",
        ));
    };
    if let Some(second) = docs.next() {
        return Err(Diagnostic::error(
            file,
            pos_of(second),
            "only one YAML document is allowed per file",
        ));
    }
    Ok(convert(first))
}

/// Reads typed values out of `YamlNode`s, recording a diagnostic for every mismatch.
pub(crate) struct Reader<'f> {
    pub file: &'f str,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'f> Reader<'f> {
    pub fn new(file: &'f str) -> Self {
        Reader {
            file,
            diagnostics: Vec::new(),
        }
    }

    pub fn error(&mut self, pos: SourcePos, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(self.file, pos, message));
    }

    pub fn warning(&mut self, pos: SourcePos, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::warning(self.file, pos, message));
    }

    fn type_error(&mut self, node: &YamlNode, field: &str, expected: &str) {
        self.error(
            node.pos,
            format!("`{field}` must be {expected}, found {}", node.kind_name()),
        );
    }

    /// The entries of a mapping, with string keys. Non-string keys are reported and skipped.
    /// `allowed` lists the fields this mapping may have; others are reported as unknown.
    pub fn fields<'n>(
        &mut self,
        node: &'n YamlNode,
        what: &str,
        allowed: &[&str],
    ) -> Option<Fields<'n>> {
        let YamlValue::Map(entries) = &node.value else {
            self.error(
                node.pos,
                format!("{what} must be a mapping, found {}", node.kind_name()),
            );
            return None;
        };
        let mut out = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let Some(name) = key.as_text() else {
                self.error(key.pos, format!("keys in {what} must be strings"));
                continue;
            };
            if !allowed.is_empty() && !allowed.contains(&name.as_str()) {
                self.error(key.pos, unknown_field_message(&name, what, allowed));
                continue;
            }
            out.push(Field {
                name,
                key_pos: key.pos,
                value,
            });
        }
        Some(Fields {
            pos: node.pos,
            entries: out,
        })
    }

    /// A required field; reports "missing required field" at the mapping's position.
    pub fn require<'n>(
        &mut self,
        fields: &Fields<'n>,
        name: &str,
        what: &str,
    ) -> Option<&'n YamlNode> {
        let found = fields.get(name);
        if found.is_none() {
            self.error(
                fields.pos,
                format!("{what} is missing required field `{name}`"),
            );
        }
        found
    }

    /// A string (numbers are accepted and turned into their text).
    pub fn string(&mut self, node: &YamlNode, field: &str) -> Option<String> {
        match node.as_text() {
            Some(s) => Some(s),
            None => {
                self.type_error(node, field, "a string");
                None
            }
        }
    }

    /// A non-empty string.
    pub fn text(&mut self, node: &YamlNode, field: &str) -> Option<String> {
        let s = self.string(node, field)?;
        if s.trim().is_empty() {
            self.error(node.pos, format!("`{field}` must not be empty"));
            return None;
        }
        Some(s)
    }

    pub fn bool(&mut self, node: &YamlNode, field: &str) -> Option<bool> {
        match node.value {
            YamlValue::Bool(b) => Some(b),
            _ => {
                self.type_error(node, field, "true or false");
                None
            }
        }
    }

    /// A whole number in `min..=max`.
    pub fn uint(&mut self, node: &YamlNode, field: &str, min: u32, max: u32) -> Option<u32> {
        match node.value {
            YamlValue::Int(i) if i >= i64::from(min) && i <= i64::from(max) => {
                u32::try_from(i).ok()
            }
            YamlValue::Int(i) => {
                self.error(
                    node.pos,
                    format!("`{field}` must be between {min} and {max}, found {i}"),
                );
                None
            }
            _ => {
                self.type_error(node, field, "a whole number");
                None
            }
        }
    }

    /// A duration such as `6s`, `500ms` or `1.5s`, greater than zero.
    pub fn duration(&mut self, node: &YamlNode, field: &str) -> Option<Duration> {
        let text = match &node.value {
            YamlValue::Str(s) => s.clone(),
            YamlValue::Int(_) | YamlValue::Float(_) => {
                self.error(
                    node.pos,
                    format!(
                        "invalid duration for `{field}`: `{}` has no unit (write e.g. `6s` or `500ms`)",
                        node.as_text().unwrap_or_default()
                    ),
                );
                return None;
            }
            _ => {
                self.type_error(node, field, "a duration such as `6s`");
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.error(
                    node.pos,
                    format!("invalid duration for `{field}`: `{text}` {reason}"),
                );
                None
            }
        }
    }

    /// A list of non-empty strings; a single string is accepted as a one-item list, unless it
    /// has commas in it: `keywords: refund, money back, return` is a YAML string, not three
    /// keywords, and taking it as one phrase would silently never match.
    pub fn string_list(&mut self, node: &YamlNode, field: &str) -> Vec<(String, SourcePos)> {
        match &node.value {
            YamlValue::Seq(items) => items
                .iter()
                .filter_map(|item| self.text(item, field).map(|s| (s, item.pos)))
                .collect(),
            YamlValue::Null => Vec::new(),
            YamlValue::Str(s) if s.contains(',') => {
                self.error(node.pos, comma_list_message(field, s));
                // The items it probably meant, so that later checks do not add "no keywords".
                s.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| (t.to_string(), node.pos))
                    .collect()
            }
            _ => match self.text(node, field) {
                Some(s) => vec![(s, node.pos)],
                None => Vec::new(),
            },
        }
    }
}

/// The error for a string with commas where a list belongs, with both ways to write it.
fn comma_list_message(field: &str, text: &str) -> String {
    let items: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    format!(
        "`{field}` must be a list, found the string `{text}`; write `{field}: [{}]` for {} items, \
         or `{field}: [\"{}\"]` if it is one phrase with commas in it",
        items.join(", "),
        items.len(),
        text.trim()
    )
}

/// One `key: value` entry of a mapping.
pub(crate) struct Field<'n> {
    pub name: String,
    pub key_pos: SourcePos,
    pub value: &'n YamlNode,
}

/// The entries of a mapping, in file order.
pub(crate) struct Fields<'n> {
    pub pos: SourcePos,
    pub entries: Vec<Field<'n>>,
}

impl<'n> Fields<'n> {
    pub fn get(&self, name: &str) -> Option<&'n YamlNode> {
        self.entries
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value)
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

fn unknown_field_message(name: &str, what: &str, allowed: &[&str]) -> String {
    let suggestion = allowed
        .iter()
        .filter(|a| crate::matcher::text::edit_distance(a, name) <= 2)
        .min_by_key(|a| crate::matcher::text::edit_distance(a, name));
    match suggestion {
        Some(s) => format!("unknown field `{name}` in {what}; did you mean `{s}`?"),
        None => format!(
            "unknown field `{name}` in {what}; expected one of: {}",
            allowed.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let doc = parse_document("a: 1\nb:\n  c: x\n", "t.yaml").expect("valid yaml");
        let YamlValue::Map(entries) = &doc.value else {
            panic!("expected a mapping");
        };
        assert_eq!(entries[0].0.pos, SourcePos::new(1, 1));
        assert_eq!(entries[1].1.pos, SourcePos::new(3, 3));
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse_document("a: b\n  c: d\n", "t.yaml").expect_err("invalid yaml");
        assert_eq!((err.line, err.column), (2, 4));
        assert!(
            err.message.starts_with("YAML syntax error"),
            "{}",
            err.message
        );
    }

    #[test]
    fn duplicate_keys_are_syntax_errors() {
        let err = parse_document("a: b\na: c\n", "t.yaml").expect_err("duplicate key");
        assert_eq!((err.line, err.column), (2, 1));
        assert!(err.message.contains("duplicated key"), "{}", err.message);
    }

    #[test]
    fn empty_and_multi_document_files_are_rejected() {
        assert_eq!(
            parse_document("", "t.yaml").expect_err("empty").message,
            "the file is empty"
        );
        let err = parse_document("a: 1\n---\nb: 2\n", "t.yaml").expect_err("two docs");
        assert_eq!(err.line, 3);
    }

    #[test]
    fn unknown_field_suggests_close_name() {
        let doc = parse_document("nxt: a\n", "t.yaml").expect("valid yaml");
        let mut reader = Reader::new("t.yaml");
        reader.fields(&doc, "node `a`", &["say", "next"]);
        assert_eq!(
            reader.diagnostics[0].message,
            "unknown field `nxt` in node `a`; did you mean `next`?"
        );
    }
}
