//! Scripted conversations (`flows/tests/*.yaml`): a caller's side of a call, step by step,
//! with what the bot must say and do after each step. Used to test flows without audio.
//!
//! ```yaml
//! flow: ../shop.yaml
//! greeting:
//!   bot_says: [Northwind]
//! steps:
//!   - caller: " How long does delivery take?"
//!     bot_says: ["working days"]
//!     node: anything_else
//!   - press: "0"
//!     transfer: support
//! ```

mod run;

use crate::diagnostic::{sort_diagnostics, SourcePos};
use crate::error::FlowError;
use crate::parse::is_dtmf_key;
use crate::yaml::{parse_document, Fields, Reader, YamlNode, YamlValue};

pub use run::{run_script, ScriptReport, StepFailure};

/// A parsed conversation script.
#[derive(Clone, Debug)]
pub struct Script {
    file: String,
    flow_path: String,
    description: String,
    greeting: Expectations,
    steps: Vec<Step>,
}

/// One caller action and what must follow it.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub input: StepInput,
    pub expect: Expectations,
    pub pos: SourcePos,
}

/// What the simulated caller does in a step.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StepInput {
    /// Says this (given to the engine as a transcript).
    Caller(String),
    /// Presses these keys, one after the other.
    Press(Vec<char>),
    /// Says nothing until the listen timeout.
    Silence,
    /// Hangs up.
    HangUp,
}

/// Checks made on the bot's reaction to a step.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expectations {
    pub bot_says: Vec<String>,
    pub not_says: Vec<String>,
    pub node: Option<String>,
    pub intent: Option<String>,
    pub hangup: Option<bool>,
    pub transfer: Option<String>,
    pub pos: SourcePos,
}

const SCRIPT_FIELDS: &[&str] = &["flow", "description", "greeting", "steps"];
const EXPECT_FIELDS: &[&str] = &[
    "bot_says", "not_says", "node", "intent", "hangup", "transfer",
];
const INPUT_FIELDS: &[&str] = &["caller", "press", "silence", "hang_up"];

impl Script {
    /// Parses a script; every problem is reported with its line and column.
    pub fn parse(source: &str, file: &str) -> Result<Script, FlowError> {
        let invalid = |diagnostics| FlowError::InvalidScript {
            file: file.to_string(),
            diagnostics,
        };
        let doc = parse_document(source, file).map_err(|d| invalid(vec![d]))?;
        let mut reader = Reader::new(file);
        let script = read_script(&mut reader, &doc, file);
        if reader.diagnostics.is_empty() {
            if let Some(script) = script {
                return Ok(script);
            }
        }
        sort_diagnostics(&mut reader.diagnostics);
        Err(invalid(reader.diagnostics))
    }

    /// The flow file under test, as written (relative to the script's folder).
    pub fn flow_path(&self) -> &str {
        &self.flow_path
    }

    /// What the script is about.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Number of steps (not counting the greeting).
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }
}

fn read_script(reader: &mut Reader<'_>, doc: &YamlNode, file: &str) -> Option<Script> {
    let top = reader.fields(doc, "the script", SCRIPT_FIELDS)?;
    let flow_path = reader
        .require(&top, "flow", "the script")
        .and_then(|v| reader.text(v, "flow"));
    let description = top
        .get("description")
        .and_then(|v| reader.string(v, "description"))
        .unwrap_or_default();
    let greeting = match top.get("greeting") {
        Some(v) => {
            let fields = reader.fields(v, "`greeting`", EXPECT_FIELDS)?;
            read_expectations(reader, &fields)
        }
        None => Expectations::default(),
    };
    let steps = match reader.require(&top, "steps", "the script") {
        Some(YamlNode {
            value: YamlValue::Seq(items),
            ..
        }) => items
            .iter()
            .filter_map(|item| read_step(reader, item))
            .collect(),
        Some(other) => {
            reader.error(
                other.pos,
                format!("`steps` must be a list, found {}", other.kind_name()),
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    Some(Script {
        file: file.to_string(),
        flow_path: flow_path?,
        description,
        greeting,
        steps,
    })
}

fn read_step(reader: &mut Reader<'_>, node: &YamlNode) -> Option<Step> {
    let allowed: Vec<&str> = INPUT_FIELDS.iter().chain(EXPECT_FIELDS).copied().collect();
    let fields = reader.fields(node, "a step", &allowed)?;
    let inputs: Vec<_> = fields
        .entries
        .iter()
        .filter(|f| INPUT_FIELDS.contains(&f.name.as_str()))
        .collect();
    if inputs.len() != 1 {
        reader.error(
            node.pos,
            "a step needs exactly one of `caller`, `press`, `silence` or `hang_up`",
        );
        return None;
    }
    let field = inputs[0];
    let input = match field.name.as_str() {
        "caller" => StepInput::Caller(reader.string(field.value, "caller")?),
        "press" => {
            let keys = reader.text(field.value, "press")?;
            let keys: Vec<char> = keys.chars().filter(|c| !c.is_whitespace()).collect();
            if let Some(bad) = keys.iter().find(|c| !is_dtmf_key(c.to_ascii_uppercase())) {
                reader.error(
                    field.value.pos,
                    format!("`press` takes keypad keys (0-9, *, #, A-D), found `{bad}`"),
                );
                return None;
            }
            StepInput::Press(keys)
        }
        "silence" => {
            require_true(reader, field.value, "silence")?;
            StepInput::Silence
        }
        _ => {
            require_true(reader, field.value, "hang_up")?;
            StepInput::HangUp
        }
    };
    Some(Step {
        input,
        expect: read_expectations(reader, &fields),
        pos: node.pos,
    })
}

fn require_true(reader: &mut Reader<'_>, node: &YamlNode, field: &str) -> Option<()> {
    match reader.bool(node, field)? {
        true => Some(()),
        false => {
            reader.error(
                node.pos,
                format!("`{field}: false` does nothing; remove the step"),
            );
            None
        }
    }
}

fn read_expectations(reader: &mut Reader<'_>, fields: &Fields<'_>) -> Expectations {
    let list = |reader: &mut Reader<'_>, name: &str| -> Vec<String> {
        fields
            .get(name)
            .map(|v| reader.string_list(v, name))
            .unwrap_or_default()
            .into_iter()
            .map(|(s, _)| s)
            .collect()
    };
    Expectations {
        bot_says: list(reader, "bot_says"),
        not_says: list(reader, "not_says"),
        node: fields.get("node").and_then(|v| reader.text(v, "node")),
        intent: fields.get("intent").and_then(|v| reader.text(v, "intent")),
        hangup: fields.get("hangup").and_then(|v| reader.bool(v, "hangup")),
        transfer: fields
            .get("transfer")
            .and_then(|v| reader.text(v, "transfer")),
        pos: fields.pos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_and_expectations() {
        let script = Script::parse(
            "flow: ../shop.yaml\nsteps:\n  - caller: hi\n    bot_says: [hello]\n  - press: '1 2'\n  - silence: true\n  - hang_up: true\n",
            "s.yaml",
        )
        .expect("valid script");
        assert_eq!(script.flow_path(), "../shop.yaml");
        assert_eq!(script.step_count(), 4);
        assert_eq!(script.steps[0].input, StepInput::Caller("hi".to_string()));
        assert_eq!(script.steps[0].expect.bot_says, vec!["hello".to_string()]);
        assert_eq!(script.steps[1].input, StepInput::Press(vec!['1', '2']));
        assert_eq!(script.steps[1].pos, SourcePos::new(5, 5));
    }

    #[test]
    fn reports_every_bad_step_with_position() {
        let err = Script::parse(
            "flow: x.yaml\nsteps:\n  - caller: hi\n    press: '1'\n  - press: 'x'\n  - silence: true\n    bot_sayz: [a]\n",
            "s.yaml",
        )
        .expect_err("invalid script");
        let FlowError::InvalidScript { diagnostics, .. } = err else {
            panic!("expected InvalidScript");
        };
        let found: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            found,
            vec![
                "s.yaml:3:5: a step needs exactly one of `caller`, `press`, `silence` or `hang_up`",
                "s.yaml:5:12: `press` takes keypad keys (0-9, *, #, A-D), found `x`",
                "s.yaml:7:5: unknown field `bot_sayz` in a step; did you mean `bot_says`?",
            ]
        );
    }
}
