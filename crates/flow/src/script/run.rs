//! Runs a parsed script against a flow and reports every step whose expectations failed.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::diagnostic::SourcePos;
use crate::engine::{Action, CallerInput, Conversation};
use crate::error::FlowError;
use crate::faq::FaqAnswerer;
use crate::flow::Flow;
use crate::matcher::IntentMatcher;
use crate::script::{checks, Expectations, Script, StepInput};

/// Time the simulated caller takes to speak or press a key.
const STEP_TIME: Duration = Duration::from_secs(3);

/// One failed expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFailure {
    /// Script file.
    pub file: String,
    /// Step number, 1-based; 0 is the greeting.
    pub step: usize,
    /// Where the step is written.
    pub pos: SourcePos,
    /// What was expected and what happened.
    pub message: String,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match self.step {
            0 => "greeting".to_string(),
            n => format!("step {n}"),
        };
        write!(
            f,
            "{}:{}:{}: {step}: {}",
            self.file, self.pos.line, self.pos.column, self.message
        )
    }
}

/// The outcome of running a script.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptReport {
    /// Script file.
    pub file: String,
    /// Name of the flow that was run.
    pub flow: String,
    /// Steps run (not counting the greeting).
    pub steps: usize,
    /// Every failed expectation, in step order.
    pub failures: Vec<StepFailure>,
}

impl ScriptReport {
    /// True when every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Parses `script_source` and plays it against `flow`.
///
/// Errors only when the script itself is invalid; failed expectations are in the report.
pub fn run_script(
    flow: Arc<Flow>,
    matcher: Arc<dyn IntentMatcher + Send + Sync>,
    script_source: &str,
    file: &str,
) -> Result<ScriptReport, FlowError> {
    Ok(Script::parse(script_source, file)?.run(flow, matcher))
}

impl Script {
    /// Plays the script against `flow`, on a virtual clock, with the flow's keyword FAQ answerer.
    pub fn run(
        &self,
        flow: Arc<Flow>,
        matcher: Arc<dyn IntentMatcher + Send + Sync>,
    ) -> ScriptReport {
        self.run_with_faq(flow, matcher, None)
    }

    /// Plays the script with another FAQ answerer (the phone path's hybrid retrieval); `None`
    /// keeps the flow's keyword answerer.
    pub fn run_with_faq(
        &self,
        flow: Arc<Flow>,
        matcher: Arc<dyn IntentMatcher + Send + Sync>,
        faq: Option<Arc<dyn FaqAnswerer + Send + Sync>>,
    ) -> ScriptReport {
        let mut report = ScriptReport {
            file: self.file.clone(),
            flow: flow.name().to_string(),
            steps: self.steps.len(),
            failures: Vec::new(),
        };
        let mut call =
            Conversation::new(flow, matcher).with_caller_memory(self.caller_memory.clone());
        if let Some(faq) = faq {
            call = call.with_faq(faq);
        }
        if let Some(today) = self.today {
            call = call.with_today(today);
        }
        let mut now = Duration::ZERO;
        let actions = call.start(now);
        self.verify(&mut report, 0, &self.greeting, &actions, &call);
        for (index, step) in self.steps.iter().enumerate() {
            let number = index + 1;
            if call.is_finished() && step.input != StepInput::HangUp {
                report.failures.push(StepFailure {
                    file: self.file.clone(),
                    step: number,
                    pos: step.pos,
                    message: "the call had already ended before this step".to_string(),
                });
                break;
            }
            let mut actions = Vec::new();
            match &step.input {
                StepInput::Caller(text, anger) => {
                    now += STEP_TIME;
                    let input = match anger {
                        Some(anger) => CallerInput::SpeechWithMood {
                            text: text.clone(),
                            confidence: 1.0,
                            anger: *anger,
                        },
                        None => CallerInput::Speech {
                            text: text.clone(),
                            confidence: 1.0,
                        },
                    };
                    actions = call.handle(input, now);
                }
                StepInput::Press(keys) => {
                    for &key in keys {
                        now += STEP_TIME;
                        actions.extend(call.handle(CallerInput::Dtmf(key), now));
                    }
                }
                StepInput::Silence => {
                    now = call.listen_deadline().unwrap_or(now + STEP_TIME);
                    actions = call.handle(CallerInput::NoInput, now);
                }
                StepInput::HangUp => {
                    now += STEP_TIME;
                    actions = call.handle(CallerInput::Hangup, now);
                }
                StepInput::Anger(score) => {
                    actions = call.handle(CallerInput::Anger { score: *score }, now);
                }
                StepInput::HttpResult(status, body) => {
                    now += STEP_TIME;
                    let input = CallerInput::HttpResult {
                        status: *status,
                        body: body.clone(),
                    };
                    actions = call.handle(input, now);
                }
                StepInput::Recorded(path, duration) => {
                    now += *duration;
                    let input = CallerInput::Recorded {
                        path: path.clone(),
                        duration: *duration,
                    };
                    actions = call.handle(input, now);
                }
                StepInput::TicketCreated(id) => {
                    actions = call.handle(CallerInput::TicketCreated { id: id.clone() }, now);
                }
            }
            self.verify(&mut report, number, &step.expect, &actions, &call);
        }
        report
    }

    fn verify(
        &self,
        report: &mut ScriptReport,
        step: usize,
        expect: &Expectations,
        actions: &[Action],
        call: &Conversation,
    ) {
        let said: Vec<&str> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Say { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let said = said.join(" ");
        let said_lower = said.to_lowercase();
        let mut fail = |message: String| {
            report.failures.push(StepFailure {
                file: self.file.clone(),
                step,
                pos: expect.pos,
                message,
            })
        };
        for phrase in &expect.bot_says {
            if !said_lower.contains(&phrase.to_lowercase()) {
                fail(format!(
                    "expected the bot to say \"{phrase}\"; it said \"{said}\""
                ));
            }
        }
        for phrase in &expect.not_says {
            if said_lower.contains(&phrase.to_lowercase()) {
                fail(format!(
                    "expected the bot not to say \"{phrase}\"; it said \"{said}\""
                ));
            }
        }
        if let Some(node) = &expect.node {
            if call.current_node() != node {
                fail(format!(
                    "expected to be at node `{node}`, but at `{}`",
                    call.current_node()
                ));
            }
        }
        if let Some(intent) = &expect.intent {
            let matched: Vec<String> = actions
                .iter()
                .filter_map(|a| match a {
                    Action::Matched { intent, .. } => {
                        Some(intent.clone().unwrap_or_else(|| "nothing".to_string()))
                    }
                    _ => None,
                })
                .collect();
            if !matched.contains(intent) {
                fail(format!(
                    "expected intent `{intent}`, matched: {}",
                    if matched.is_empty() {
                        "no input".to_string()
                    } else {
                        matched.join(", ")
                    }
                ));
            }
        }
        let hung_up = actions.iter().any(|a| matches!(a, Action::Hangup { .. }));
        if let Some(expected) = expect.hangup {
            if hung_up != expected {
                let what = if expected {
                    "to hang up"
                } else {
                    "not to hang up"
                };
                fail(format!(
                    "expected the bot {what}; actions: {}",
                    describe(actions)
                ));
            }
        }
        if let Some(queue) = &expect.transfer {
            let transferred = actions
                .iter()
                .any(|a| matches!(a, Action::Transfer { queue: q, .. } if q == queue));
            if !transferred {
                fail(format!(
                    "expected a transfer to `{queue}`; actions: {}",
                    describe(actions)
                ));
            }
        }
        for check in &expect.actions {
            if let Some(message) = checks::missing_action(check, actions) {
                fail(format!("{message}; actions: {}", describe(actions)));
            }
        }
        for (name, expected) in &expect.variables {
            let found = call.variable(name).unwrap_or_default();
            if found != expected {
                fail(format!(
                    "expected variable `{name}` to be \"{expected}\", it is \"{found}\""
                ));
            }
        }
    }
}

fn describe(actions: &[Action]) -> String {
    if actions.is_empty() {
        return "none".to_string();
    }
    actions
        .iter()
        .map(checks::describe_action)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::load_flow;
    use crate::matcher::KeywordMatcher;

    const FLOW: &str = "\
flow: script-test
start: menu
intents:
  bye:
    keywords: [bye]
nodes:
  menu:
    ask: Say bye.
    no_match: Please say bye.
    routes:
      - intent: bye
        next: done
  done:
    hangup: See you.
";

    fn run(script: &str) -> ScriptReport {
        let flow = Arc::new(load_flow(FLOW, "f.yaml").expect("valid flow"));
        let matcher = Arc::new(KeywordMatcher::new(&flow));
        run_script(flow, matcher, script, "s.yaml").expect("valid script")
    }

    #[test]
    fn passing_script_has_no_failures() {
        let report = run("flow: f.yaml\ngreeting:\n  bot_says: [say bye]\nsteps:\n  - caller: hello\n    bot_says: [please say bye]\n    node: menu\n  - caller: bye\n    intent: bye\n    hangup: true\n");
        assert!(report.passed(), "{:?}", report.failures);
        assert_eq!((report.steps, report.flow.as_str()), (2, "script-test"));
    }

    #[test]
    fn every_failed_expectation_is_listed_with_its_step() {
        let report = run("flow: f.yaml\nsteps:\n  - caller: bye\n    bot_says: [farewell]\n    hangup: false\n    node: menu\n  - caller: hello\n");
        let found: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            found,
            vec![
                "s.yaml:3:5: step 1: expected the bot to say \"farewell\"; it said \"See you.\"",
                "s.yaml:3:5: step 1: expected to be at node `menu`, but at `done`",
                "s.yaml:3:5: step 1: expected the bot not to hang up; actions: matched bye, say \"See you.\", hang up (done)",
                "s.yaml:7:5: step 2: the call had already ended before this step",
            ]
        );
    }

    #[test]
    fn silence_and_keys_are_played() {
        let report = run("flow: f.yaml\nsteps:\n  - silence: true\n    bot_says: [say bye]\n  - press: '5'\n    bot_says: [please say bye]\n    intent: nothing\n");
        assert!(report.passed(), "{:?}", report.failures);
    }
}
