//! `sip-config/queues.yaml`: the queues callers wait in, which agents serve them and what
//! happens when nobody answers in time.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{Deserializer, Error as _, MapAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::AcdError;
use crate::messages::QueueMessages;
use crate::messages_file::RawMessages;
use crate::yaml::{config_error, duration, line_of, load, Entries};

/// What happens to a caller who cannot be served by the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overflow {
    Voicemail,
    Callback,
    Hangup,
    /// Move the caller to another queue.
    Queue(String),
}

/// How an answering agent is connected to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferMode {
    /// Hotline stays in the media path and bridges the two legs.
    Bridge,
    /// The caller is sent a SIP REFER to `target`.
    Refer { target: String },
}

/// One queue as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSpec {
    pub name: String,
    /// An agent needs all of them.
    pub skills: Vec<String>,
    /// Higher is served first when an agent can serve several queues.
    pub priority: i32,
    pub max_wait: Duration,
    pub overflow: Overflow,
    pub mode: TransferMode,
    pub ring_timeout: Duration,
    /// Zero sends the agent straight back to available.
    pub wrap_up: Duration,
    /// Zero turns position announcements off.
    pub announce_every: Duration,
    pub service_level: Duration,
    pub hold_music: Option<PathBuf>,
    pub callback_digit: char,
    /// The SIP trunk (`trunks.yaml`) callbacks of this queue are placed through; `None`: the
    /// jobs are kept but nobody places them.
    pub callback_trunk: Option<String>,
    /// Attempts and retry delay for calling a customer back.
    pub callback_policy: crate::CallbackPolicy,
    pub priority_callers: Vec<String>,
    pub priority_variable: Option<String>,
    /// What callers and agents hear from this queue.
    pub messages: QueueMessages,
}

impl QueueSpec {
    /// Whether a caller goes ahead: their number is listed in `priority_callers`, or the flow
    /// variable named by `priority_variable` is "yes", "true" or "1".
    pub fn is_priority_caller(&self, caller_number: &str, variable_value: Option<&str>) -> bool {
        let listed = self.priority_callers.iter().any(|n| n == caller_number);
        let flagged = self.priority_variable.is_some()
            && variable_value.is_some_and(|v| {
                matches!(v.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "1")
            });
        listed || flagged
    }
}

pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);
pub const DEFAULT_RING_TIMEOUT: Duration = Duration::from_secs(15);
pub const DEFAULT_WRAP_UP: Duration = Duration::from_secs(10);
pub const DEFAULT_ANNOUNCE_EVERY: Duration = Duration::from_secs(30);
pub const DEFAULT_SERVICE_LEVEL: Duration = Duration::from_secs(20);
pub const DEFAULT_CALLBACK_ATTEMPTS: u32 = 3;
pub const DEFAULT_CALLBACK_RETRY: Duration = Duration::from_secs(600);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueuesFile {
    /// Sentences for every queue (each queue may reword them again).
    messages: Option<RawMessages>,
    queues: Spanned<Entries<Spanned<String>, Spanned<RawQueue>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueue {
    #[serde(default)]
    skills: Vec<Spanned<String>>,
    priority: Option<i32>,
    max_wait: Option<Spanned<String>>,
    overflow: Option<Spanned<RawOverflow>>,
    mode: Option<Spanned<String>>,
    refer_to: Option<Spanned<String>>,
    ring_timeout: Option<Spanned<String>>,
    wrap_up: Option<Spanned<String>>,
    announce_every: Option<Spanned<String>>,
    service_level: Option<Spanned<String>>,
    hold_music: Option<String>,
    callback_digit: Option<Spanned<String>>,
    callback_trunk: Option<Spanned<String>>,
    callback_attempts: Option<Spanned<u32>>,
    callback_retry: Option<Spanned<String>>,
    #[serde(default)]
    priority_callers: Vec<String>,
    priority_variable: Option<String>,
    messages: Option<RawMessages>,
}

/// `overflow: voicemail` or `overflow: { queue: sales }`.
enum RawOverflow {
    Named(String),
    Queue(String),
}

impl<'de> Deserialize<'de> for RawOverflow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OverflowVisitor;

        impl<'de> Visitor<'de> for OverflowVisitor {
            type Value = RawOverflow;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("voicemail, callback, hangup or { queue: NAME }")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawOverflow, E> {
                Ok(RawOverflow::Named(v.to_string()))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawOverflow, A::Error> {
                let mut queue = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "queue" {
                        return Err(A::Error::custom(format!(
                            "unknown field `{key}` in overflow; write `overflow: {{ queue: NAME }}`"
                        )));
                    }
                    queue = Some(map.next_value::<String>()?);
                }
                queue
                    .map(RawOverflow::Queue)
                    .ok_or_else(|| A::Error::custom("overflow mapping needs `queue: NAME`"))
            }
        }

        deserializer.deserialize_any(OverflowVisitor)
    }
}

/// `queues.yaml` read and validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuesFile {
    /// The queues, in file order.
    pub queues: Vec<QueueSpec>,
    /// The file-wide sentences (today's wording reworded by the top-level `messages:`), for a
    /// caller sent to a queue the file does not define.
    pub messages: QueueMessages,
}

/// Reads and validates `queues.yaml`; `file` is only used in messages. Queues keep file order.
pub fn parse_queues(text: &str, file: &Path) -> Result<Vec<QueueSpec>, AcdError> {
    parse_queues_file(text, file).map(|f| f.queues)
}

/// Reads and validates `queues.yaml`, with its file-wide sentences.
pub fn parse_queues_file(text: &str, file: &Path) -> Result<QueuesFile, AcdError> {
    let raw: RawQueuesFile = load(text, file)?;
    let shared = match &raw.messages {
        Some(messages) => messages.apply(&QueueMessages::default(), file, None)?,
        None => QueueMessages::default(),
    };
    let mut queues = Vec::new();
    // Line of each queue's `overflow` value, for the cross-queue checks below.
    let mut overflow_lines = Vec::new();
    for (name, queue) in raw.queues.value.0 {
        let name_line = line_of(&name);
        let (spec, overflow_line) = queue_spec(name, queue, &shared, file)?;
        if queues.iter().any(|q: &QueueSpec| q.name == spec.name) {
            return Err(config_error(
                file,
                name_line,
                format!("queue `{}` is defined twice", spec.name),
            ));
        }
        queues.push(spec);
        overflow_lines.push(overflow_line);
    }
    check_overflow_targets(&queues, &overflow_lines, file)?;
    Ok(QueuesFile {
        queues,
        messages: shared,
    })
}

/// One queue, and the line of its `overflow` (of its name when overflow is not given).
fn queue_spec(
    name: Spanned<String>,
    queue: Spanned<RawQueue>,
    shared: &QueueMessages,
    file: &Path,
) -> Result<(QueueSpec, usize), AcdError> {
    let name_line = line_of(&name);
    let queue_name = name.value.trim().to_string();
    if queue_name.is_empty() || queue_name.contains(char::is_whitespace) {
        return Err(config_error(
            file,
            name_line,
            format!("queue name `{}` must be one word", name.value),
        ));
    }
    let raw = queue.value;
    let at = |line: usize, reason: String| {
        config_error(file, line, format!("queue `{queue_name}`: {reason}"))
    };

    let mut skills: Vec<String> = Vec::new();
    for skill in raw.skills {
        let s = skill.value.trim();
        if s.is_empty() {
            return Err(at(line_of(&skill), "skills must not be empty".into()));
        }
        if !skills.iter().any(|k| k == s) {
            skills.push(s.to_string());
        }
    }

    let (overflow, overflow_line) = match raw.overflow {
        None => (Overflow::Voicemail, name_line),
        Some(spanned) => {
            let line = line_of(&spanned);
            let overflow = match spanned.value {
                RawOverflow::Named(n) => match n.trim() {
                    "voicemail" => Overflow::Voicemail,
                    "callback" => Overflow::Callback,
                    "hangup" => Overflow::Hangup,
                    other => {
                        return Err(at(
                            line,
                            format!("unknown overflow `{other}`; use voicemail, callback, hangup or {{ queue: NAME }}"),
                        ));
                    }
                },
                RawOverflow::Queue(q) => Overflow::Queue(q.trim().to_string()),
            };
            (overflow, line)
        }
    };

    let mode = match raw.mode.as_ref().map(|m| (m.value.trim(), line_of(m))) {
        None | Some(("bridge", _)) => {
            if let Some(refer_to) = &raw.refer_to {
                return Err(at(
                    line_of(refer_to),
                    "`refer_to` is only used with `mode: refer`".into(),
                ));
            }
            TransferMode::Bridge
        }
        Some(("refer", line)) => match &raw.refer_to {
            None => return Err(at(line, "`mode: refer` needs `refer_to: sip:...`".into())),
            Some(target) => {
                let lower = target.value.trim().to_ascii_lowercase();
                if !(lower.starts_with("sip:") || lower.starts_with("sips:")) {
                    return Err(at(
                        line_of(target),
                        format!("`refer_to` must be a SIP URI, found `{}`", target.value),
                    ));
                }
                TransferMode::Refer {
                    target: target.value.trim().to_string(),
                }
            }
        },
        Some((other, line)) => {
            return Err(at(
                line,
                format!("unknown mode `{other}`; use bridge or refer"),
            ));
        }
    };

    let callback_digit = match &raw.callback_digit {
        None => '1',
        Some(digit) => {
            let mut chars = digit.value.trim().chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#' => c,
                _ => {
                    return Err(at(
                        line_of(digit),
                        format!(
                            "`callback_digit` must be one of 0-9, * or # (quoted, e.g. \"1\"), found `{}`",
                            digit.value
                        ),
                    ));
                }
            }
        }
    };

    let callback_trunk = match &raw.callback_trunk {
        None => None,
        Some(t) if t.value.trim().is_empty() => {
            return Err(at(line_of(t), "`callback_trunk` must name a trunk".into()));
        }
        Some(t) => Some(t.value.trim().to_string()),
    };
    let max_attempts = match &raw.callback_attempts {
        None => DEFAULT_CALLBACK_ATTEMPTS,
        Some(n) if n.value == 0 => {
            return Err(at(
                line_of(n),
                "`callback_attempts` must be at least 1".into(),
            ));
        }
        Some(n) => n.value,
    };
    let callback_policy = crate::CallbackPolicy {
        max_attempts,
        retry_delay: duration(
            raw.callback_retry.as_ref(),
            DEFAULT_CALLBACK_RETRY,
            &format!("callback_retry` of queue `{queue_name}"),
            true,
            file,
        )?,
    };

    let mut priority_callers = Vec::new();
    for number in raw.priority_callers {
        let number = number.trim().to_string();
        if number.is_empty() {
            return Err(at(
                name_line,
                "`priority_callers` must not hold empty numbers".into(),
            ));
        }
        priority_callers.push(number);
    }

    let messages = match &raw.messages {
        Some(messages) => messages.apply(shared, file, Some(&queue_name))?,
        None => shared.clone(),
    };
    let prefix = |field: &str| format!("{field}` of queue `{queue_name}");
    let spec = QueueSpec {
        skills,
        priority: raw.priority.unwrap_or(0),
        max_wait: duration(
            raw.max_wait.as_ref(),
            DEFAULT_MAX_WAIT,
            &prefix("max_wait"),
            false,
            file,
        )?,
        overflow,
        mode,
        ring_timeout: duration(
            raw.ring_timeout.as_ref(),
            DEFAULT_RING_TIMEOUT,
            &prefix("ring_timeout"),
            false,
            file,
        )?,
        wrap_up: duration(
            raw.wrap_up.as_ref(),
            DEFAULT_WRAP_UP,
            &prefix("wrap_up"),
            true,
            file,
        )?,
        announce_every: duration(
            raw.announce_every.as_ref(),
            DEFAULT_ANNOUNCE_EVERY,
            &prefix("announce_every"),
            true,
            file,
        )?,
        service_level: duration(
            raw.service_level.as_ref(),
            DEFAULT_SERVICE_LEVEL,
            &prefix("service_level"),
            false,
            file,
        )?,
        hold_music: raw
            .hold_music
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from),
        callback_digit,
        callback_trunk,
        callback_policy,
        priority_callers,
        priority_variable: raw
            .priority_variable
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()),
        messages,
        name: queue_name,
    };
    Ok((spec, overflow_line))
}

/// Every `{ queue: NAME }` overflow names a defined queue, and following overflows never loops.
fn check_overflow_targets(
    queues: &[QueueSpec],
    overflow_lines: &[usize],
    file: &Path,
) -> Result<(), AcdError> {
    let index = |name: &str| queues.iter().position(|q| q.name == name);
    for (i, queue) in queues.iter().enumerate() {
        if let Overflow::Queue(target) = &queue.overflow {
            if index(target).is_none() {
                return Err(config_error(
                    file,
                    overflow_lines[i],
                    format!("overflow queue \"{target}\" is not defined"),
                ));
            }
        }
    }
    for (start, queue) in queues.iter().enumerate() {
        let mut path = vec![queue.name.as_str()];
        let mut current = start;
        while let Overflow::Queue(target) = &queues[current].overflow {
            let next = index(target).expect("targets checked above");
            path.push(&queues[next].name);
            if next == start {
                return Err(config_error(
                    file,
                    overflow_lines[start],
                    format!("overflow cycle: {}", path.join(" → ")),
                ));
            }
            if path.len() > queues.len() + 1 {
                break; // a cycle further along; reported when its own queue is checked
            }
            current = next;
        }
    }
    Ok(())
}
