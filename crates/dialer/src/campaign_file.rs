//! `campaigns/NAME.yaml`: what a campaign calls, whom, when, how fast and how often, read into
//! typed values with every refusal at `file:line:column`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::amd::MachineDetection;
use crate::error::DialerError;
use crate::phone::normalise;
use crate::retry::{OnMachine, RetryPolicy, RetryRule};
use crate::window::{parse_weekdays, CallingWindow, Hours};
use crate::yaml::{config_error, duration, load, pos_of, Pos};
use crate::zones::calling_code_of_country;

/// Where the contacts come from and which columns mean what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactSource {
    /// As written, relative to the campaign file's folder.
    pub file: PathBuf,
    pub phone_column: String,
    pub time_zone_column: Option<String>,
}

/// How fast the dialer may go.
#[derive(Clone, Debug, PartialEq)]
pub struct Pacing {
    pub max_concurrent: u32,
    pub calls_per_second: u32,
    /// Concurrency grows from 1 to `max_concurrent` over this long from the first call.
    pub ramp: Duration,
    /// Progressive pacing by the agents free in a queue, when the flow hands contacts to one.
    pub agents: Option<AgentPacing>,
}

/// `pacing: { agents_queue: sales, ratio: 1.5 }`: at most `ratio` x the queue's free agents
/// calls in flight at once (rounded down), besides `max_concurrent` and `calls_per_second`.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentPacing {
    pub queue: String,
    pub ratio: f64,
}

/// Where a contact's opt-out during a call is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptOutList {
    /// The global list: no campaign calls the number again (the default).
    #[default]
    Global,
    /// Only this campaign's list: other campaigns may still call the number.
    Campaign,
}

/// A checked campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct Campaign {
    pub name: String,
    /// The flow file, as written (relative to the campaign file's folder), and where.
    pub flow: PathBuf,
    pub flow_pos: Pos,
    pub trunk: String,
    pub caller_id: String,
    pub contacts: ContactSource,
    /// ISO country for national numbers, e.g. `US`.
    pub default_country: Option<String>,
    pub default_zone: Tz,
    pub window: CallingWindow,
    pub pacing: Pacing,
    pub retries: RetryPolicy,
    /// Do-not-call list files, as written.
    pub do_not_call: Vec<PathBuf>,
    /// Answering-machine detection on answered calls.
    pub machine_detection: MachineDetection,
    /// Where an opt-out during a call goes (`opt_out_list: global | campaign`).
    pub opt_out_list: OptOutList,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    campaign: Spanned<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    flow: Spanned<String>,
    trunk: Spanned<String>,
    caller_id: Spanned<String>,
    contacts: Spanned<RawContacts>,
    default_country: Option<Spanned<String>>,
    default_time_zone: Spanned<String>,
    window: Spanned<RawWindow>,
    start: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    pacing: Option<Spanned<RawPacing>>,
    retries: Option<Spanned<RawRetries>>,
    on_machine: Option<Spanned<String>>,
    machine_detection: Option<Spanned<RawMachineDetection>>,
    #[serde(default)]
    do_not_call: Vec<Spanned<String>>,
    opt_out_list: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMachineDetection {
    enabled: Option<bool>,
    initial_silence: Option<Spanned<String>>,
    greeting: Option<Spanned<String>>,
    after_greeting_silence: Option<Spanned<String>>,
    total_analysis: Option<Spanned<String>>,
    min_word_length: Option<Spanned<String>>,
    between_words_silence: Option<Spanned<String>>,
    maximum_words: Option<Spanned<u32>>,
    silence_threshold: Option<Spanned<u32>>,
    transcript_words: Option<Spanned<u32>>,
    end_silence: Option<Spanned<String>>,
    max_greeting_wait: Option<Spanned<String>>,
    beep_min: Option<Spanned<String>>,
    beep_max: Option<Spanned<String>>,
    initial_silence_is_machine: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContacts {
    file: Spanned<String>,
    phone: Spanned<String>,
    time_zone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    weekdays: Spanned<Vec<Spanned<String>>>,
    hours: Spanned<OneOrMany>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPacing {
    max_concurrent: Option<Spanned<u32>>,
    calls_per_second: Option<Spanned<u32>>,
    ramp: Option<Spanned<String>>,
    agents_queue: Option<Spanned<String>>,
    ratio: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetries {
    busy: Option<Spanned<RawRule>>,
    no_answer: Option<Spanned<RawRule>>,
    machine: Option<Spanned<RawRule>>,
    network_failure: Option<Spanned<RawRule>>,
    server_restart: Option<Spanned<RawRule>>,
    max_per_day: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    delay: Spanned<String>,
    count: u32,
}

/// `hours: "09:00-20:00"` or `hours: ["09:00-12:00", "14:00-20:00"]`.
struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a range like \"09:00-20:00\" or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut all = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    all.push(item);
                }
                Ok(OneOrMany(all))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Parses and checks a campaign file's text; `file` names it in errors.
pub fn parse_campaign(text: &str, file: &Path) -> Result<Campaign, DialerError> {
    let raw: RawCampaign = load(text, file)?;
    let err = |pos: Pos, reason: String| config_error(file, pos, reason);
    let non_empty = |v: &Spanned<String>, field: &str| {
        if v.value.trim().is_empty() {
            Err(err(pos_of(v), format!("`{field}` is empty")))
        } else {
            Ok(v.value.trim().to_string())
        }
    };

    let default_country = match &raw.default_country {
        Some(c) if calling_code_of_country(&c.value).is_none() => {
            return Err(err(
                pos_of(c),
                format!(
                    "unknown country `{}` (write an ISO code such as US, GB, DE, FR, AU)",
                    c.value
                ),
            ))
        }
        Some(c) => Some(c.value.trim().to_ascii_uppercase()),
        None => None,
    };
    normalise(&raw.caller_id.value, default_country.as_deref()).map_err(|problem| {
        err(
            pos_of(&raw.caller_id),
            format!("`caller_id` is not a usable number: {problem}"),
        )
    })?;
    let default_zone = time_zone(&raw.default_time_zone, file)?;

    let contacts = &raw.contacts.value;
    let contacts = ContactSource {
        file: PathBuf::from(non_empty(&contacts.file, "contacts.file")?),
        phone_column: non_empty(&contacts.phone, "contacts.phone")?,
        time_zone_column: match &contacts.time_zone {
            Some(c) => Some(non_empty(c, "contacts.time_zone")?),
            None => None,
        },
    };

    let start = raw
        .start
        .as_ref()
        .map(|d| date(d, "start", file))
        .transpose()?;
    let end = raw.end.as_ref().map(|d| date(d, "end", file)).transpose()?;
    if let (Some(s), Some(e), Some(end_text)) = (start, end, &raw.end) {
        if e < s {
            return Err(err(
                pos_of(end_text),
                format!("`end` ({e}) is before `start` ({s})"),
            ));
        }
    }
    let window = calling_window(&raw.window, start, end, file)?;

    let pacing = pacing(raw.pacing.as_ref(), file)?;
    let mut retries = retry_policy(raw.retries.as_ref(), file)?;
    if let Some(on_machine) = &raw.on_machine {
        retries.on_machine = match on_machine.value.trim() {
            "leave_message" => OnMachine::LeaveMessage,
            "hang_up_and_retry" => OnMachine::HangUpAndRetry,
            other => {
                return Err(err(
                    pos_of(on_machine),
                    format!("`on_machine` is `{other}`; write leave_message or hang_up_and_retry"),
                ))
            }
        };
    }

    let machine_detection = machine_detection(raw.machine_detection.as_ref(), file)?;
    let opt_out_list = match &raw.opt_out_list {
        None => OptOutList::Global,
        Some(v) => match v.value.trim() {
            "global" => OptOutList::Global,
            "campaign" => OptOutList::Campaign,
            other => {
                return Err(err(
                    pos_of(v),
                    format!("`opt_out_list` is `{other}`; write global or campaign"),
                ))
            }
        },
    };

    Ok(Campaign {
        name: non_empty(&raw.campaign, "campaign")?,
        flow: PathBuf::from(non_empty(&raw.flow, "flow")?),
        flow_pos: pos_of(&raw.flow),
        trunk: non_empty(&raw.trunk, "trunk")?,
        caller_id: raw.caller_id.value.trim().to_string(),
        contacts,
        default_country,
        default_zone,
        window,
        pacing,
        retries,
        do_not_call: raw
            .do_not_call
            .iter()
            .map(|p| non_empty(p, "do_not_call").map(PathBuf::from))
            .collect::<Result<_, _>>()?,
        machine_detection,
        opt_out_list,
    })
}

/// The `machine_detection:` block over Asterisk-like defaults; every value checked in place.
fn machine_detection(
    raw: Option<&Spanned<RawMachineDetection>>,
    file: &Path,
) -> Result<MachineDetection, DialerError> {
    let mut md = MachineDetection::default();
    let Some(raw) = raw else { return Ok(md) };
    let block = pos_of(raw);
    let raw = &raw.value;
    let set = |slot: &mut Duration, v: &Option<Spanned<String>>, field: &str| {
        if let Some(v) = v {
            let d = duration(v, &format!("machine_detection.{field}"), file)?;
            if d.is_zero() {
                return Err(config_error(
                    file,
                    pos_of(v),
                    format!("`machine_detection.{field}` must be longer than 0"),
                ));
            }
            *slot = d;
        }
        Ok::<_, DialerError>(())
    };
    set(
        &mut md.initial_silence,
        &raw.initial_silence,
        "initial_silence",
    )?;
    set(&mut md.greeting, &raw.greeting, "greeting")?;
    set(
        &mut md.after_greeting_silence,
        &raw.after_greeting_silence,
        "after_greeting_silence",
    )?;
    set(
        &mut md.total_analysis,
        &raw.total_analysis,
        "total_analysis",
    )?;
    set(
        &mut md.min_word_length,
        &raw.min_word_length,
        "min_word_length",
    )?;
    set(
        &mut md.between_words_silence,
        &raw.between_words_silence,
        "between_words_silence",
    )?;
    set(&mut md.end_silence, &raw.end_silence, "end_silence")?;
    set(
        &mut md.max_greeting_wait,
        &raw.max_greeting_wait,
        "max_greeting_wait",
    )?;
    set(&mut md.beep_min, &raw.beep_min, "beep_min")?;
    set(&mut md.beep_max, &raw.beep_max, "beep_max")?;
    if let Some(v) = &raw.maximum_words {
        if v.value == 0 {
            return Err(config_error(
                file,
                pos_of(v),
                "`machine_detection.maximum_words` must be at least 1",
            ));
        }
        md.maximum_words = v.value;
    }
    if let Some(v) = &raw.silence_threshold {
        md.silence_threshold = match u16::try_from(v.value) {
            Ok(t) if (1..=32767).contains(&t) => t,
            _ => {
                return Err(config_error(
                    file,
                    pos_of(v),
                    format!(
                        "`machine_detection.silence_threshold` is {}; write a mean sample level from 1 to 32767 (Asterisk's default is 256)",
                        v.value
                    ),
                ))
            }
        };
    }
    if let Some(v) = &raw.transcript_words {
        md.transcript_words = v.value;
    }
    if let Some(v) = raw.enabled {
        md.enabled = v;
    }
    if let Some(v) = raw.initial_silence_is_machine {
        md.initial_silence_is_machine = v;
    }
    if md.beep_max < md.beep_min {
        return Err(config_error(
            file,
            block,
            "`machine_detection.beep_max` is shorter than `beep_min`",
        ));
    }
    if md.total_analysis < md.after_greeting_silence {
        return Err(config_error(
            file,
            block,
            "`machine_detection.total_analysis` is shorter than `after_greeting_silence`: no person could ever be recognised",
        ));
    }
    Ok(md)
}

/// An IANA zone name such as `Europe/Paris`.
fn time_zone(value: &Spanned<String>, file: &Path) -> Result<Tz, DialerError> {
    value.value.trim().parse().map_err(|_| {
        config_error(
            file,
            pos_of(value),
            format!(
                "unknown time zone `{}` (write an IANA name such as America/New_York or Europe/Paris)",
                value.value
            ),
        )
    })
}

fn date(value: &Spanned<String>, field: &str, file: &Path) -> Result<NaiveDate, DialerError> {
    NaiveDate::parse_from_str(value.value.trim(), "%Y-%m-%d").map_err(|_| {
        config_error(
            file,
            pos_of(value),
            format!(
                "`{field}` has `{}`, not a date like 2026-12-24",
                value.value
            ),
        )
    })
}

fn calling_window(
    raw: &Spanned<RawWindow>,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    file: &Path,
) -> Result<CallingWindow, DialerError> {
    let mut weekdays = Vec::new();
    for day in &raw.value.weekdays.value {
        let days = parse_weekdays(&day.value).map_err(|reason| {
            config_error(file, pos_of(day), format!("`{}` {reason}", day.value))
        })?;
        for d in days {
            if !weekdays.contains(&d) {
                weekdays.push(d);
            }
        }
    }
    if weekdays.is_empty() {
        return Err(config_error(
            file,
            pos_of(&raw.value.weekdays),
            "`weekdays` is empty",
        ));
    }
    let hours_pos = pos_of(&raw.value.hours);
    let mut hours = Vec::new();
    for text in &raw.value.hours.value.0 {
        hours.push(
            Hours::parse(text).map_err(|reason| {
                config_error(file, hours_pos, format!("hours `{text}` {reason}"))
            })?,
        );
    }
    if hours.is_empty() {
        return Err(config_error(file, hours_pos, "`hours` is empty"));
    }
    hours.sort();
    if let Some(pair) = hours.windows(2).find(|w| w[1].start < w[0].end) {
        return Err(config_error(
            file,
            hours_pos,
            format!(
                "hours overlap ({}:{:02} starts before {}:{:02} ends)",
                pair[1].start / 60,
                pair[1].start % 60,
                pair[0].end / 60,
                pair[0].end % 60
            ),
        ));
    }
    let excluded = raw
        .value
        .exclude
        .iter()
        .map(|d| date(d, "exclude", file))
        .collect::<Result<_, _>>()?;
    Ok(CallingWindow {
        weekdays,
        hours,
        excluded,
        start,
        end,
    })
}

fn pacing(raw: Option<&Spanned<RawPacing>>, file: &Path) -> Result<Pacing, DialerError> {
    let mut pacing = Pacing {
        max_concurrent: 1,
        calls_per_second: 1,
        ramp: Duration::ZERO,
        agents: None,
    };
    let Some(raw) = raw else { return Ok(pacing) };
    let positive = |v: &Spanned<u32>, field: &str| {
        if v.value == 0 {
            Err(config_error(
                file,
                pos_of(v),
                format!("`{field}` must be at least 1"),
            ))
        } else {
            Ok(v.value)
        }
    };
    if let Some(v) = &raw.value.max_concurrent {
        pacing.max_concurrent = positive(v, "max_concurrent")?;
    }
    if let Some(v) = &raw.value.calls_per_second {
        pacing.calls_per_second = positive(v, "calls_per_second")?;
    }
    if let Some(v) = &raw.value.ramp {
        pacing.ramp = duration(v, "ramp", file)?;
    }
    match (&raw.value.agents_queue, &raw.value.ratio) {
        (None, None) => {}
        (None, Some(r)) => {
            return Err(config_error(
                file,
                pos_of(r),
                "`ratio` needs `agents_queue`: the queue whose free agents pace the calls",
            ))
        }
        (Some(q), ratio) => {
            let queue = q.value.trim();
            if queue.is_empty() {
                return Err(config_error(file, pos_of(q), "`agents_queue` is empty"));
            }
            let ratio = match ratio {
                None => 1.0,
                Some(r) if r.value.is_finite() && (0.1..=10.0).contains(&r.value) => r.value,
                Some(r) => {
                    return Err(config_error(
                        file,
                        pos_of(r),
                        format!(
                            "`ratio` is {}; write calls per free agent from 0.1 to 10 (1 = one call per free agent)",
                            r.value
                        ),
                    ))
                }
            };
            pacing.agents = Some(AgentPacing {
                queue: queue.to_string(),
                ratio,
            });
        }
    }
    Ok(pacing)
}

fn retry_policy(
    raw: Option<&Spanned<RawRetries>>,
    file: &Path,
) -> Result<RetryPolicy, DialerError> {
    let mut policy = RetryPolicy::default();
    let Some(raw) = raw else { return Ok(policy) };
    let raw = &raw.value;
    let rule = |r: &Option<Spanned<RawRule>>, field: &str, default: RetryRule| match r {
        Some(r) => Ok(RetryRule {
            delay: duration(&r.value.delay, &format!("retries.{field}.delay"), file)?,
            count: r.value.count,
        }),
        None => Ok::<_, DialerError>(default),
    };
    policy.busy = rule(&raw.busy, "busy", policy.busy)?;
    policy.no_answer = rule(&raw.no_answer, "no_answer", policy.no_answer)?;
    policy.machine = rule(&raw.machine, "machine", policy.machine)?;
    policy.network_failure = rule(
        &raw.network_failure,
        "network_failure",
        policy.network_failure,
    )?;
    policy.server_restart = rule(&raw.server_restart, "server_restart", policy.server_restart)?;
    if let Some(max) = &raw.max_per_day {
        if max.value == 0 {
            return Err(config_error(
                file,
                pos_of(max),
                "`max_per_day` must be at least 1",
            ));
        }
        policy.max_per_day = max.value;
    }
    Ok(policy)
}
