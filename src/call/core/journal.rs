//! The call's journal: every input the flow received on a call, with its time and the decisions
//! it led to, kept compactly beside the call record (text, digits and timings, never audio) so a
//! call can be replayed through the same engine, against its own flow or a new version.

use std::time::Duration;

use hotline_flow::{Action, CallerInput};
use serde::{Deserialize, Serialize};

use super::handoff::HandoffOutput;

/// What the flow was given, in a form that survives the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalInput {
    /// The call began: what the flow knew before the caller said anything.
    Start {
        caller_memory: Vec<(String, String)>,
        today: Option<String>,
        /// Variables set for this call before it began: a campaign contact's columns.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        variables: Vec<(String, String)>,
    },
    Speech {
        text: String,
        confidence: f32,
        /// The mood score, when the phone path measured one.
        anger: Option<f32>,
    },
    Dtmf {
        digit: char,
    },
    NoInput,
    Anger {
        score: f32,
    },
    HttpResult {
        status: Option<u16>,
        body: String,
    },
    Recorded {
        path: String,
        duration_ms: u64,
    },
    TicketCreated {
        id: String,
    },
    Hangup,
    /// An answer at a `sensitive` slot, kept masked (see `core::sensitive`): the masked value it
    /// filled the slot with, or none; `pending` for a digit that only added to those being typed.
    /// Replayed as a slot filled with the masked value ("filled, value withheld").
    Withheld {
        value: Option<String>,
        #[serde(default)]
        pending: bool,
    },
    /// The business API answered after the flow's timeout: the flow had already taken its failure
    /// branch, so the answer was kept here and not given to it (not replayed).
    HttpLate {
        status: Option<u16>,
        after_ms: u64,
    },
    /// News from the agent's leg during a handoff: `answered`, `bridged`, `no answer: WHY` or
    /// `ended: WHY`. Handoff entries keep what the handoff core did; replay shows them as they
    /// were (the flow had already handed the call over).
    AgentLeg {
        agent: String,
        status: String,
    },
    /// The far end's answer to the REFER.
    ReferAnswered {
        status: u16,
    },
    /// A NOTIFY about the referred call (its sipfrag status, if any).
    ReferProgress {
        status: Option<u16>,
        terminated: bool,
    },
    /// The handoff's timer fired: the agent's ring deadline or the wait for the REFER's NOTIFY.
    HandoffTimeout,
    /// An input this version of the journal has no field for (kept for the reader, not replayed).
    Other {
        what: String,
    },
}

/// One input, when it came (since the call started) and what the flow decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub at_ms: u64,
    pub input: JournalInput,
    pub decisions: Vec<String>,
}

impl JournalInput {
    pub fn from_caller_input(input: &CallerInput) -> JournalInput {
        match input {
            CallerInput::Speech { text, confidence } => JournalInput::Speech {
                text: text.clone(),
                confidence: *confidence,
                anger: None,
            },
            CallerInput::SpeechWithMood {
                text,
                confidence,
                anger,
            } => JournalInput::Speech {
                text: text.clone(),
                confidence: *confidence,
                anger: Some(*anger),
            },
            CallerInput::Dtmf(digit) => JournalInput::Dtmf { digit: *digit },
            CallerInput::NoInput => JournalInput::NoInput,
            CallerInput::Anger { score } => JournalInput::Anger { score: *score },
            CallerInput::HttpResult { status, body } => JournalInput::HttpResult {
                status: *status,
                body: body.clone(),
            },
            CallerInput::Recorded { path, duration } => JournalInput::Recorded {
                path: path.clone(),
                duration_ms: duration.as_millis() as u64,
            },
            CallerInput::TicketCreated { id } => JournalInput::TicketCreated { id: id.clone() },
            CallerInput::Hangup => JournalInput::Hangup,
            CallerInput::Withheld { value } => JournalInput::Withheld {
                value: value.clone(),
                pending: false,
            },
            other => JournalInput::Other {
                what: format!("{other:?}"),
            },
        }
    }

    /// The engine input this entry stands for; `None` for the start of the call.
    pub fn to_caller_input(&self) -> Option<CallerInput> {
        Some(match self {
            JournalInput::Start { .. }
            | JournalInput::Other { .. }
            | JournalInput::HttpLate { .. } => return None,
            JournalInput::AgentLeg { .. }
            | JournalInput::ReferAnswered { .. }
            | JournalInput::ReferProgress { .. }
            | JournalInput::HandoffTimeout => return None,
            JournalInput::Speech {
                text,
                confidence,
                anger: Some(anger),
            } => CallerInput::SpeechWithMood {
                text: text.clone(),
                confidence: *confidence,
                anger: *anger,
            },
            JournalInput::Speech {
                text, confidence, ..
            } => CallerInput::Speech {
                text: text.clone(),
                confidence: *confidence,
            },
            JournalInput::Dtmf { digit } => CallerInput::Dtmf(*digit),
            JournalInput::NoInput => CallerInput::NoInput,
            JournalInput::Anger { score } => CallerInput::Anger { score: *score },
            JournalInput::HttpResult { status, body } => CallerInput::HttpResult {
                status: *status,
                body: body.clone(),
            },
            JournalInput::Recorded { path, duration_ms } => CallerInput::Recorded {
                path: path.clone(),
                duration: Duration::from_millis(*duration_ms),
            },
            JournalInput::TicketCreated { id } => CallerInput::TicketCreated { id: id.clone() },
            JournalInput::Hangup => CallerInput::Hangup,
            // A digit that only joined those being typed: any digit does the same.
            JournalInput::Withheld { pending: true, .. } => CallerInput::Dtmf('0'),
            JournalInput::Withheld { value, .. } => CallerInput::Withheld {
                value: value.clone(),
            },
        })
    }

    /// One line for a person reading a replay.
    pub fn describe(&self) -> String {
        match self {
            JournalInput::Start { .. } => "call answered".to_string(),
            JournalInput::Speech { text, anger, .. } => match anger {
                Some(a) => format!("caller said {:?} (anger {a:.2})", text.trim()),
                None => format!("caller said {:?}", text.trim()),
            },
            JournalInput::Dtmf { digit } => format!("caller pressed {digit}"),
            JournalInput::NoInput => "caller said nothing".to_string(),
            JournalInput::Anger { score } => format!("caller sounded angry ({score:.2})"),
            JournalInput::HttpResult { status, .. } => match status {
                Some(code) => format!("the API answered {code}"),
                None => "the API did not answer".to_string(),
            },
            JournalInput::Recorded { duration_ms, .. } => {
                format!(
                    "a message was recorded ({:.1} s)",
                    *duration_ms as f64 / 1000.0
                )
            }
            JournalInput::TicketCreated { id } => format!("ticket {id} was created"),
            JournalInput::Hangup => "caller hung up".to_string(),
            JournalInput::Withheld { pending: true, .. } => {
                "caller pressed a key [sensitive]".to_string()
            }
            JournalInput::Withheld { value: Some(v), .. } => {
                format!("caller answered [sensitive] (kept as {v:?})")
            }
            JournalInput::Withheld { value: None, .. } => "caller answered [sensitive]".to_string(),
            JournalInput::HttpLate { status, after_ms } => format!(
                "the API answered {} after {after_ms} ms, past the flow's timeout (not given to the flow)",
                status.map_or("nothing".to_string(), |s| s.to_string())
            ),
            JournalInput::AgentLeg { agent, status } => format!("agent {agent}: {status}"),
            JournalInput::ReferAnswered { status } => format!("the REFER was answered {status}"),
            JournalInput::ReferProgress { status, terminated } => format!(
                "the referred call reached {}{}",
                status.map_or("an unknown status".to_string(), |s| s.to_string()),
                if *terminated { " (final)" } else { "" }
            ),
            JournalInput::HandoffTimeout => "the handoff's timer fired".to_string(),
            JournalInput::Other { what } => format!("not replayed: {what}"),
        }
    }

    /// A handoff input: kept with what the handoff core did, shown as it was on replay.
    pub fn is_handoff(&self) -> bool {
        matches!(
            self,
            JournalInput::AgentLeg { .. }
                | JournalInput::ReferAnswered { .. }
                | JournalInput::ReferProgress { .. }
                | JournalInput::HandoffTimeout
        )
    }
}

/// What the handoff core decided, as journal lines (IO details such as announcements' wording
/// are left to the record).
pub fn handoff_decisions(outputs: &[HandoffOutput]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|output| {
            Some(match output {
                HandoffOutput::Trace(_) | HandoffOutput::StoreTurn => return None,
                HandoffOutput::SendRefer { target } => format!("refer to {target}"),
                HandoffOutput::JoinQueue { queue } => format!("join queue {queue}"),
                HandoffOutput::Announce { position, .. } => format!("announce position {position}"),
                HandoffOutput::RingAgent { agent } => format!("ring agent {agent}"),
                HandoffOutput::CancelRing { agent } => format!("stop ringing agent {agent}"),
                HandoffOutput::EndLeg => "end the agent's leg".to_string(),
                HandoffOutput::AgentNoAnswer { agent } => format!("agent {agent} did not answer"),
                HandoffOutput::AgentAnswered { agent } => format!("agent {agent} took the call"),
                HandoffOutput::LeftQueue => "leave the queue".to_string(),
                HandoffOutput::SaveRecording => "save the bridge recording".to_string(),
                HandoffOutput::Voicemail => "offer voicemail".to_string(),
                HandoffOutput::NoAgent { cause } => format!("no agent: hang up ({cause})"),
                HandoffOutput::Callback { queue, .. } => format!("callback from {queue}"),
                HandoffOutput::EndCall { cause } => format!("end the call ({cause})"),
            })
        })
        .collect()
}

/// The flow's decisions as lines that compare exactly across runs: what was said, where the flow
/// went and what it asked the world for.
pub fn decisions(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|action| match action {
            Action::Say { text } => format!("say {text:?}"),
            Action::Listen { timeout, .. } => format!("listen {} ms", timeout.as_millis()),
            Action::Transfer { queue, reason } => format!("transfer to {queue} ({reason})"),
            Action::Hangup { reason } => format!("hang up ({reason})"),
            Action::Matched {
                intent,
                score,
                node,
            } => format!(
                "at {node}: {} ({score:.2})",
                intent.as_deref().unwrap_or("no match")
            ),
            Action::Http(request) => format!("http {} {}", request.method.as_str(), request.url),
            Action::Record { max, beep } => {
                format!("record up to {} s (beep: {beep})", max.as_secs())
            }
            Action::Ticket { summary, .. } => format!("ticket {summary:?}"),
            Action::Remember { key, value } => format!("remember {key} = {value:?}"),
            Action::Language { code } => format!("language {code}"),
            Action::SlotFilled { slot, value, node } => format!("at {node}: {slot} = {value:?}"),
            Action::FaqAnswered { entry, score, node } => format!(
                "at {node}: faq {} ({score:.2})",
                entry.as_deref().unwrap_or("no answer")
            ),
            other => format!("{other:?}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_survives_the_store_and_back() {
        let inputs = vec![
            CallerInput::SpeechWithMood {
                text: " Where is my parcel?".into(),
                confidence: 0.8,
                anger: 0.25,
            },
            CallerInput::Speech {
                text: "yes".into(),
                confidence: 0.5,
            },
            CallerInput::Dtmf('#'),
            CallerInput::NoInput,
            CallerInput::Anger { score: 0.9 },
            CallerInput::HttpResult {
                status: None,
                body: String::new(),
            },
            CallerInput::Recorded {
                path: "r/1.wav".into(),
                duration: Duration::from_millis(2500),
            },
            CallerInput::TicketCreated { id: "T-1".into() },
            CallerInput::Hangup,
            CallerInput::Withheld {
                value: Some("**21".into()),
            },
        ];
        for input in inputs {
            let entry = JournalEntry {
                at_ms: 1200,
                input: JournalInput::from_caller_input(&input),
                decisions: vec!["say \"Hi\"".into()],
            };
            let text = serde_json::to_string(&entry).unwrap();
            let back: JournalEntry = serde_json::from_str(&text).unwrap();
            assert_eq!(back, entry);
            assert_eq!(back.input.to_caller_input(), Some(input));
        }
    }

    #[test]
    fn the_start_is_no_engine_input() {
        let start = JournalInput::Start {
            caller_memory: vec![("last_intent".into(), "returns".into())],
            today: Some("2026-12-02".into()),
            variables: Vec::new(),
        };
        assert_eq!(start.to_caller_input(), None);
    }

    #[test]
    fn decisions_name_what_was_said_and_done() {
        let lines = decisions(&[
            Action::Matched {
                intent: Some("returns".into()),
                score: 0.812,
                node: "main".into(),
            },
            Action::Say {
                text: "You can return it.".into(),
            },
            Action::Listen {
                timeout: Duration::from_secs(6),
                speech: true,
                dtmf: true,
            },
        ]);
        assert_eq!(
            lines,
            [
                "at main: returns (0.81)",
                "say \"You can return it.\"",
                "listen 6000 ms"
            ]
        );
    }
}
