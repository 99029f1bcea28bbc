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
//!
//! Scripts can also start with `caller_memory:` and `today:`, answer the engine's requests
//! (`http_result`, `recorded`, `ticket_created`), send `anger:` scores, and check actions
//! (`expect:`) and variables (`set:`); see `step`.

mod checks;
mod run;
mod step;

use std::time::Duration;

use crate::diagnostic::{sort_diagnostics, SourcePos};
use crate::error::FlowError;
use crate::slots::CalendarDate;
use crate::yaml::{parse_document, Reader, YamlNode, YamlValue};

pub use run::{run_script, ScriptReport, StepFailure};

/// A parsed conversation script.
#[derive(Clone, Debug)]
pub struct Script {
    file: String,
    flow_path: String,
    description: String,
    caller_memory: Vec<(String, String)>,
    today: Option<CalendarDate>,
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

/// What the simulated caller (or the runtime) does in a step.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StepInput {
    /// Says this (given to the engine as a transcript), with an anger score if given.
    Caller(String, Option<f32>),
    /// Presses these keys, one after the other.
    Press(Vec<char>),
    /// Says nothing until the listen timeout.
    Silence,
    /// Hangs up.
    HangUp,
    /// Sounds this angry.
    Anger(f32),
    /// The API answers (status `None`: timeout).
    HttpResult(Option<u16>, String),
    /// The voicemail was recorded.
    Recorded(String, Duration),
    /// The ticket was created.
    TicketCreated(String),
}

/// A check on one action of the step (`expect:`).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ActionCheck {
    /// `http`, `record`, `ticket`, `remember`, `language`, `slot`, `faq`, `transfer`,
    /// `hangup`, `listen`.
    pub action: String,
    /// Text that must appear in the action's main text (URL, summary, value ...).
    pub contains: Vec<(String, String)>,
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
    pub actions: Vec<ActionCheck>,
    pub variables: Vec<(String, String)>,
    pub pos: SourcePos,
}

const SCRIPT_FIELDS: &[&str] = &[
    "flow",
    "description",
    "caller_memory",
    "today",
    "greeting",
    "steps",
];

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
    let caller_memory = match top.get("caller_memory") {
        Some(v) => reader
            .fields(v, "`caller_memory`", &[])
            .map(|fields| {
                fields
                    .entries
                    .iter()
                    .filter_map(|f| reader.string(f.value, &f.name).map(|v| (f.name.clone(), v)))
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let today = top.get("today").and_then(|v| {
        let text = reader.text(v, "today")?;
        let date = CalendarDate::parse_iso(&text);
        if date.is_none() {
            reader.error(
                v.pos,
                format!("`today` must be a date such as 2026-11-21, found `{text}`"),
            );
        }
        date
    });
    let greeting = match top.get("greeting") {
        Some(v) => {
            let fields = reader.fields(v, "`greeting`", step::EXPECT_FIELDS)?;
            step::read_expectations(reader, &fields)
        }
        None => Expectations::default(),
    };
    let steps = match reader.require(&top, "steps", "the script") {
        Some(YamlNode {
            value: YamlValue::Seq(items),
            ..
        }) => items
            .iter()
            .filter_map(|item| step::read_step(reader, item))
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
        caller_memory,
        today,
        greeting,
        steps,
    })
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
        assert_eq!(
            script.steps[0].input,
            StepInput::Caller("hi".to_string(), None)
        );
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
                "s.yaml:3:5: a step needs exactly one of `caller`, `press`, `silence`, `hang_up`, `anger`, `http_result`, `recorded` or `ticket_created`",
                "s.yaml:5:12: `press` takes keypad keys (0-9, *, #, A-D), found `x`",
                "s.yaml:7:5: unknown field `bot_sayz` in a step; did you mean `bot_says`?",
            ]
        );
    }

    #[test]
    fn parses_runtime_answers_memory_and_checks() {
        let script = Script::parse(
            "flow: f.yaml\ntoday: 2026-11-21\ncaller_memory: { language: de }\nsteps:\n  - caller: hi\n    anger: 0.9\n  - anger: 0.2\n  - http_result: { status: null }\n  - http_result: { status: 200, body: '{}' }\n    expect: [{ action: http, url_contains: /orders }]\n    set: { order: '4567' }\n  - recorded: { path: /tmp/a.wav, seconds: 3 }\n  - ticket_created: T-1\n",
            "s.yaml",
        )
        .expect("valid script");
        assert_eq!(script.today, CalendarDate::new(2026, 11, 21));
        assert_eq!(
            script.caller_memory,
            [("language".to_string(), "de".to_string())]
        );
        let inputs: Vec<&StepInput> = script.steps.iter().map(|s| &s.input).collect();
        assert_eq!(
            inputs,
            [
                &StepInput::Caller("hi".into(), Some(0.9)),
                &StepInput::Anger(0.2),
                &StepInput::HttpResult(None, String::new()),
                &StepInput::HttpResult(Some(200), "{}".into()),
                &StepInput::Recorded("/tmp/a.wav".into(), Duration::from_secs(3)),
                &StepInput::TicketCreated("T-1".into()),
            ]
        );
        let checks = &script.steps[3].expect;
        assert_eq!(checks.actions[0].action, "http");
        assert_eq!(
            checks.variables,
            [("order".to_string(), "4567".to_string())]
        );
    }

    #[test]
    fn reports_bad_runtime_answers_and_checks() {
        let err = Script::parse(
            "flow: f.yaml\ntoday: soon\nsteps:\n  - anger: 2\n  - http_result: { status: 99 }\n  - silence: true\n    expect: { action: email }\n",
            "s.yaml",
        )
        .expect_err("invalid script");
        let FlowError::InvalidScript { diagnostics, .. } = err else {
            panic!("expected InvalidScript");
        };
        let found: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            found,
            [
                "s.yaml:2:8: `today` must be a date such as 2026-11-21, found `soon`",
                "s.yaml:4:12: `anger` must be between 0 and 1, found 2",
                "s.yaml:5:28: `status` must be between 100 and 599, found 99",
                "s.yaml:7:13: unknown action `email`; use one of: http, record, ticket, remember, language, slot, faq, transfer, hangup, listen",
            ]
        );
    }
}
