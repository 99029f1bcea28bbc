//! `hotline calls list`, `show`, `replay`, `to-test` and `inspect`: call records and their turns, as a supervisor reads them.

use std::path::Path;

use clap::Subcommand;

use crate::store::{CallRecord, Store, TurnRecord};

#[derive(Subcommand)]
pub enum CallsAction {
    /// The newest calls first.
    List {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// One call with every turn (id, id prefix or SIP Call-ID).
    Show { id: String },
    /// Runs the call's recorded inputs through the flow again and compares every decision;
    /// with --flow, shows what that flow would have said and done on the same caller turns.
    Replay {
        id: String,
        #[arg(long)]
        flow: Option<std::path::PathBuf>,
    },
    /// Writes a flow test script (flows/tests format) from the call, to keep it as a regression test.
    ToTest {
        id: String,
        /// Where to write the script (default: standard output).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Scores ended calls again with the inspection rules (`inspection.rules`), worst first.
    Inspect {
        /// Only calls started at or after this (UTC): 2026-12-07 or 2026-12-07T09:00.
        #[arg(long)]
        since: Option<String>,
    },
}

/// `hotline calls inspect`: every ended call since `since` scored with the rules file as it is
/// now (a broken file is refused with its position and nothing is changed).
pub async fn inspect(database: &Path, rules: &Path, since: Option<&str>) -> anyhow::Result<()> {
    let since = since
        .map(|t| crate::analytics::parse_time(t, crate::analytics::TimeEdge::From))
        .transpose()?
        .unwrap_or(0);
    let rules = crate::inspection::watch::RulesFile::load(rules)?;
    if !database.exists() {
        anyhow::bail!(
            "no call records yet: {} does not exist (start `hotline serve` first)",
            database.display()
        );
    }
    let store = Store::open(database).await?;
    let now = crate::store::unix_ms();
    let mut scored = Vec::new();
    for call in store.ended_calls_since(since).await? {
        if let Some(verdict) =
            crate::inspection::watch::inspect_stored_call(&store, rules.rules(), &call.id, now)
                .await?
        {
            scored.push((verdict.score, call.id, verdict.fired));
        }
    }
    scored.sort_by_key(|(score, _, _)| *score);
    println!(
        "{} call(s) inspected with {} rule(s)",
        scored.len(),
        rules.rules().len()
    );
    for (score, id, fired) in scored {
        let rules: Vec<&str> = fired.iter().map(|f| f.rule.as_str()).collect();
        println!("{id}  {score:>3}  {}", rules.join(", "));
    }
    Ok(())
}

pub async fn run(action: CallsAction, database: &Path) -> anyhow::Result<()> {
    if !database.exists() {
        anyhow::bail!(
            "no call records yet: {} does not exist (start `hotline serve` first)",
            database.display()
        );
    }
    let store = Store::open(database).await?;
    match action {
        CallsAction::Inspect { .. } => {
            anyhow::bail!(
                "`calls inspect` needs the rules file: run it through `hotline calls inspect`"
            )
        }
        CallsAction::Replay { id, flow } => {
            let same = crate::cli_replay::replay_call(&store, &id, flow.as_deref()).await?;
            if !same && flow.is_none() {
                anyhow::bail!("the replay does not match what happened on the call");
            }
        }
        CallsAction::ToTest { id, out } => {
            crate::cli_replay::call_to_test(&store, &id, out.as_deref()).await?
        }
        CallsAction::List { limit } => {
            println!(
                "{:<36}  {:<19}  {:>6}  {:<6}  {:<22}  CALLER",
                "ID", "STARTED (UTC)", "SECS", "CODEC", "CAUSE"
            );
            for call in store.list_calls(limit).await? {
                println!("{}", list_line(&call));
            }
        }
        CallsAction::Show { id } => {
            let Some(call) = store.find_call(&id).await? else {
                anyhow::bail!("no call matches {id:?}");
            };
            let turns = store.turns(&call.id).await?;
            print!("{}", show_text(&call, &turns));
            for ticket in store.tickets_of_call(&call.id).await? {
                println!("\nticket    {} {}", ticket.id, ticket.summary);
                for (name, value) in &ticket.fields {
                    println!("          {name}: {value}");
                }
            }
        }
    }
    Ok(())
}

pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| ms.to_string())
}

fn duration_secs(call: &CallRecord) -> String {
    match (call.answered_at.or(Some(call.started_at)), call.ended_at) {
        (Some(a), Some(e)) => format!("{:.1}", (e - a) as f64 / 1000.0),
        _ => "live".into(),
    }
}

pub fn list_line(call: &CallRecord) -> String {
    format!(
        "{:<36}  {:<19}  {:>6}  {:<6}  {:<22}  {}",
        call.id,
        time(call.started_at),
        duration_secs(call),
        call.codec.as_deref().unwrap_or("-"),
        call.hangup_cause.as_deref().unwrap_or("-"),
        call.caller
    )
}

pub fn show_text(call: &CallRecord, turns: &[TurnRecord]) -> String {
    let mut out = String::new();
    let opt = |t: Option<i64>| t.map(time).unwrap_or_else(|| "-".into());
    out.push_str(&format!("call      {}\n", call.id));
    out.push_str(&format!(
        "sip       {} ({}, from {})\n",
        call.sip_call_id, call.direction, call.source
    ));
    out.push_str(&format!(
        "caller    {}\ncallee    {}\n",
        call.caller, call.callee
    ));
    out.push_str(&format!(
        "started   {}\nanswered  {}\nended     {}\n",
        time(call.started_at),
        opt(call.answered_at),
        opt(call.ended_at)
    ));
    out.push_str(&format!(
        "cause     {}\n",
        call.hangup_cause.as_deref().unwrap_or("-")
    ));
    out.push_str(&format!(
        "codec     {}\n",
        call.codec.as_deref().unwrap_or("-")
    ));
    out.push_str(&format!(
        "flow      {} @ {}\n",
        call.flow_name.as_deref().unwrap_or("-"),
        call.flow_version.as_deref().unwrap_or("-")
    ));
    for t in turns {
        out.push_str(&format!("\n#{} {}\n", t.seq, time(t.at)));
        if let Some(text) = &t.caller_text {
            out.push_str(&format!(
                "  caller: {text:?} (confidence {:.2})\n",
                t.asr_confidence.unwrap_or(0.0)
            ));
        }
        if let Some(d) = &t.caller_dtmf {
            out.push_str(&format!("  caller pressed: {d}\n"));
        }
        out.push_str(&understood(t));
        if let Some(trace) = &t.trace {
            for line in trace.lines() {
                out.push_str(&format!("  flow: {line}\n"));
            }
        }
        if let (Some(sentiment), Some(anger)) = (t.sentiment, t.anger) {
            out.push_str(&format!(
                "  mood: sentiment {sentiment:+.2}, anger {anger:.2}{}\n",
                t.mood_cues
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            ));
        }
        if let Some(text) = &t.bot_text {
            out.push_str(&format!("  bot: {text:?}\n"));
        }
        let f = |v: Option<i64>| v.map(|x| format!("{x} ms")).unwrap_or_else(|| "-".into());
        if t.voice_to_voice_ms.is_some() || t.asr_ms.is_some() {
            out.push_str(&format!(
                "  timing: endpointing {}, asr {}, matching {}, first tts {}, voice-to-voice {}\n",
                f(t.endpoint_wait_ms),
                f(t.asr_ms),
                f(t.match_ms),
                f(t.tts_first_ms),
                f(t.voice_to_voice_ms)
            ));
        }
    }
    out
}

/// "matched: X (score)" only for an intent whose route was taken; the engine records no intent
/// when the best candidate had no route at the listening node.
fn understood(t: &TurnRecord) -> String {
    let node = t.node.as_deref().unwrap_or("-");
    let score = t.match_score.unwrap_or(0.0);
    match (&t.intent, &t.node) {
        (Some(intent), _) => format!("  matched: {intent} (score {score:.2}) -> {node}\n"),
        // A silence: the node that waited is recorded, but nothing was matched.
        (None, Some(_)) if t.match_score.is_none() => format!("  no input at {node}\n"),
        (None, Some(_)) if score > 0.0 => {
            format!("  no route taken at {node} (best candidate scored {score:.2})\n")
        }
        (None, Some(_)) => format!("  nothing matched at {node}\n"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_lists_what_was_said_and_the_timings() {
        let call = CallRecord {
            id: "0192-abc".into(),
            sip_call_id: "x@y".into(),
            direction: "inbound".into(),
            caller: "sip:alice@127.0.0.1".into(),
            callee: "sip:hotline@127.0.0.1".into(),
            source: "127.0.0.1:5062".into(),
            started_at: 1_700_000_000_000,
            answered_at: Some(1_700_000_000_100),
            ended_at: Some(1_700_000_012_100),
            hangup_cause: Some("caller-bye".into()),
            codec: Some("PCMU".into()),
            flow_name: Some("shop".into()),
            flow_version: Some("0123456789abcdef".into()),
            caller_key: Some("alice".into()),
        };
        let turn = TurnRecord {
            call_id: call.id.clone(),
            seq: 1,
            at: 1_700_000_005_000,
            caller_text: Some("how long does delivery take".into()),
            asr_confidence: Some(0.87),
            intent: Some("delivery_times".into()),
            match_score: Some(0.8),
            node: Some("delivery".into()),
            bot_text: Some("Delivery takes two to three working days.".into()),
            asr_ms: Some(300),
            voice_to_voice_ms: Some(812),
            sentiment: Some(-0.4),
            anger: Some(0.25),
            mood_cues: Some("repetition".into()),
            trace: Some("slot order_number = 4567\nhttp GET http://shop/orders/4567".into()),
            ..Default::default()
        };
        let text = show_text(&call, &[turn]);
        assert!(text.contains("caller: \"how long does delivery take\" (confidence 0.87)"));
        assert!(text.contains("delivery_times (score 0.80) -> delivery"));
        assert!(text.contains("voice-to-voice 812 ms"));
        assert!(text.contains(
            "  flow: slot order_number = 4567\n  flow: http GET http://shop/orders/4567"
        ));
        assert!(text.contains("mood: sentiment -0.40, anger 0.25 (repetition)"));
        assert!(text.contains("cause     caller-bye"));
        assert!(text.contains("flow      shop @ 0123456789abcdef"));
        assert!(list_line(&call).contains("12.0"));
    }

    #[test]
    fn matched_is_shown_only_for_a_route_taken() {
        let turn = |intent: Option<&str>, score: f64| TurnRecord {
            intent: intent.map(str::to_string),
            match_score: Some(score),
            node: Some("more".into()),
            ..Default::default()
        };
        assert_eq!(
            understood(&turn(Some("more_help"), 0.55)),
            "  matched: more_help (score 0.55) -> more\n"
        );
        let unrouted = understood(&turn(None, 0.55));
        assert!(!unrouted.contains("matched:"), "{unrouted}");
        assert!(unrouted.contains("no route taken at more"), "{unrouted}");
        assert_eq!(understood(&turn(None, 0.0)), "  nothing matched at more\n");
        let silence = TurnRecord {
            node: Some("more".into()),
            ..Default::default()
        };
        assert_eq!(understood(&silence), "  no input at more\n");
    }
}
