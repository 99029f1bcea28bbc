//! The spoken-scenario file of `hotline eval calls`, and the pure scoring of one call's stored
//! turns against what each scenario turn expects.

use serde::Deserialize;

use crate::store::TurnRecord;

/// A scenario set: the flow it is for, the caller voices, and the scenarios.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSet {
    /// The flow, relative to the set's own file.
    pub flow: String,
    /// espeak-ng voices and words per minute (`en-us 160`); each scenario is called once per voice.
    #[serde(default = "default_voices")]
    pub voices: Vec<String>,
    pub scenarios: Vec<Scenario>,
}

fn default_voices() -> Vec<String> {
    vec![
        "en-us 160".to_string(),
        "en-gb-x-rp+f3 150".to_string(),
        "en-us+m3 185".to_string(),
    ]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub turns: Vec<Expected>,
}

/// One caller turn: what is said, and what the bot should make of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub say: String,
    /// The intent matched (`none`: no intent, as for an out-of-scope question).
    #[serde(default)]
    pub intent: Option<String>,
    /// The FAQ entry answered.
    #[serde(default)]
    pub faq: Option<String>,
    /// No answer at all: neither an intent nor an FAQ entry (out of scope).
    #[serde(default)]
    pub no_answer: bool,
    /// A slot filled by this turn: `name=value` (the value compared without case).
    #[serde(default)]
    pub slot: Option<String>,
    /// The call is handed to a queue on this turn, with this reason.
    #[serde(default)]
    pub escalate: Option<String>,
}

/// How one expected turn fared on a call.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnVerdict {
    pub say: String,
    /// What Whisper heard (`None`: the turn never became a caller turn on the record).
    pub heard: Option<String>,
    /// Each expectation that failed, as a sentence; empty when the turn was handled right.
    pub failures: Vec<String>,
}

impl TurnVerdict {
    pub fn right(&self) -> bool {
        self.heard.is_some() && self.failures.is_empty()
    }
}

/// A voice of the set: espeak-ng's name and a speed, from `"en-us 160"`.
pub fn parse_voice(text: &str) -> Option<(String, u32)> {
    let mut words = text.split_whitespace();
    let name = words.next()?.to_string();
    let speed = match words.next() {
        Some(s) => s.parse().ok()?,
        None => 160,
    };
    words.next().is_none().then_some((name, speed))
}

/// Scores a call: the stored turns that carry caller speech, in order, against the expected
/// turns. Trace lines (`faq ENTRY (score)`, `slot NAME = VALUE`, `transfer to QUEUE (REASON)`)
/// are read from each caller turn's record.
pub fn score(expected: &[Expected], records: &[TurnRecord]) -> Vec<TurnVerdict> {
    let heard: Vec<&TurnRecord> = records.iter().filter(|r| r.caller_text.is_some()).collect();
    expected
        .iter()
        .enumerate()
        .map(|(n, want)| {
            let Some(record) = heard.get(n) else {
                return TurnVerdict {
                    say: want.say.clone(),
                    heard: None,
                    failures: vec!["never became a caller turn".to_string()],
                };
            };
            TurnVerdict {
                say: want.say.clone(),
                heard: record.caller_text.clone(),
                failures: check(want, record),
            }
        })
        .collect()
}

fn check(want: &Expected, record: &TurnRecord) -> Vec<String> {
    let trace: Vec<&str> = record
        .trace
        .as_deref()
        .map_or(Vec::new(), |t| t.lines().collect());
    // `faq ENTRY (0.52)`, or `faq no answer (0.10)` when nothing was close enough.
    let faq = trace
        .iter()
        .filter_map(|l| l.strip_prefix("faq "))
        .find(|r| !r.starts_with("no answer"))
        .and_then(|r| r.split_whitespace().next());
    let intent = record.intent.as_deref();
    let mut failures = Vec::new();
    if let Some(wanted) = &want.intent {
        let got = intent.unwrap_or("none");
        if got != wanted {
            failures.push(format!("intent {got}, expected {wanted}"));
        }
    }
    if let Some(wanted) = &want.faq {
        let got = faq.unwrap_or("none");
        if got != wanted {
            failures.push(format!("FAQ answer {got}, expected {wanted}"));
        }
    }
    if want.no_answer {
        if let Some(got) = intent {
            failures.push(format!("intent {got}, expected no answer"));
        }
        if let Some(got) = faq {
            failures.push(format!("FAQ answer {got}, expected no answer"));
        }
    }
    if let Some(wanted) = &want.slot {
        let (name, value) = wanted.split_once('=').unwrap_or((wanted, ""));
        let got = trace.iter().find_map(|l| {
            l.strip_prefix("slot ")
                .and_then(|r| r.split_once(" = "))
                .filter(|(n, _)| n.trim() == name.trim())
                .map(|(_, v)| v.trim())
        });
        match got {
            Some(v) if v.to_lowercase().contains(&value.trim().to_lowercase()) => {}
            Some(v) => failures.push(format!("slot {} = {v:?}, expected {value:?}", name.trim())),
            None => failures.push(format!("slot {} not filled", name.trim())),
        }
    }
    if let Some(wanted) = &want.escalate {
        let got = trace.iter().find_map(|l| {
            l.strip_prefix("transfer to ")
                .and_then(|r| r.split_once(" ("))
                .map(|(_, reason)| reason.trim_end_matches(')'))
        });
        match got {
            Some(reason) if reason == wanted => {}
            Some(reason) => {
                failures.push(format!("handed over for {reason:?}, expected {wanted:?}"))
            }
            None => failures.push(format!("not handed over, expected {wanted:?}")),
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: i64, text: Option<&str>, intent: Option<&str>, trace: &[&str]) -> TurnRecord {
        TurnRecord {
            seq,
            caller_text: text.map(str::to_string),
            intent: intent.map(str::to_string),
            trace: (!trace.is_empty()).then(|| trace.join("\n")),
            ..TurnRecord::default()
        }
    }

    fn expect(yaml: &str) -> Vec<Expected> {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn intents_faq_answers_slots_and_handovers_are_read_from_the_record() {
        let want = expect(
            "- {say: Are you open on Saturday?, intent: opening_hours}\n\
             - {say: Where can I park?, faq: parking}\n\
             - {say: Tuesday please, slot: day=tuesday}\n\
             - {say: My tooth broke, escalate: dental emergency}\n",
        );
        let records = [
            record(1, None, None, &["greeting"]),
            record(
                2,
                Some("Are you open on Saturday?"),
                Some("opening_hours"),
                &[],
            ),
            record(3, Some("Where can I park?"), None, &["faq parking (0.78)"]),
            record(
                4,
                Some("Tuesday, please."),
                None,
                &["slot day = Tuesday, please."],
            ),
            record(
                5,
                Some("My tooth broke."),
                Some("emergency"),
                &["transfer to support (dental emergency)"],
            ),
        ];
        let verdicts = score(&want, &records);
        assert!(verdicts.iter().all(TurnVerdict::right), "{verdicts:#?}");
    }

    #[test]
    fn a_wrong_answer_names_what_was_expected() {
        let want = expect(
            "- {say: What's the weather like?, no_answer: true}\n\
             - {say: How much is a cleaning?, intent: prices}\n\
             - {say: I'm furious, escalate: caller upset}\n",
        );
        let records = [
            record(
                1,
                Some("What's the weather like?"),
                None,
                &["faq parking (0.51)"],
            ),
            record(
                2,
                Some("How much is a clean in?"),
                Some("opening_hours"),
                &[],
            ),
            record(3, Some("I'm furious."), None, &[]),
        ];
        let verdicts = score(&want, &records);
        assert_eq!(
            verdicts[0].failures,
            ["FAQ answer parking, expected no answer"]
        );
        assert_eq!(
            verdicts[1].failures,
            ["intent opening_hours, expected prices"]
        );
        assert_eq!(
            verdicts[2].failures,
            ["not handed over, expected \"caller upset\""]
        );
    }

    #[test]
    fn an_faq_lookup_that_found_nothing_is_no_answer() {
        let want = expect("- {say: What's the weather like?, no_answer: true}\n");
        let records = [record(
            1,
            Some("What's the winner like?"),
            None,
            &["faq no answer (0.10)"],
        )];
        assert!(score(&want, &records)[0].right());
        let want = expect("- {say: Can I bring my daughter?, faq: children}\n");
        let records = [record(
            1,
            Some("Can I drink my daughter?"),
            None,
            &["faq no answer (0.20)"],
        )];
        assert_eq!(
            score(&want, &records)[0].failures,
            ["FAQ answer none, expected children"]
        );
    }

    #[test]
    fn a_turn_that_never_reached_the_record_is_wrong() {
        let want = expect("- {say: Hello?, intent: human}\n- {say: Anyone?, intent: human}\n");
        let verdicts = score(&want, &[record(1, Some("Hello?"), Some("human"), &[])]);
        assert!(verdicts[0].right());
        assert!(!verdicts[1].right());
        assert_eq!(verdicts[1].heard, None);
    }

    #[test]
    fn voices_name_a_speed_or_default_to_160() {
        assert_eq!(parse_voice("en-us 185"), Some(("en-us".to_string(), 185)));
        assert_eq!(
            parse_voice("en-gb-x-rp+f3"),
            Some(("en-gb-x-rp+f3".to_string(), 160))
        );
        assert_eq!(parse_voice("en-us fast"), None);
        assert_eq!(parse_voice(""), None);
    }
}
