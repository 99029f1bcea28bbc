//! `hotline eval calls`: spoken scenarios placed as real calls over the phone path (SIP, RTP,
//! G.711, the listener, Whisper, the flow), each turn scored from the call's stored record.
//!
//! The caller voices are espeak-ng's, a different engine from the bot's Piper voice. The server
//! runs in-process on loopback ports of its own; its store is a scratch database.

mod scenario;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::bench::{espeak_voice_wav, start_server};
use crate::config::{Config, WhisperChoice};
use crate::dial::{self, script::Step};
use crate::store::Store;
use scenario::{parse_voice, score, ScenarioSet, TurnVerdict};

/// What to run.
pub struct EvalOptions {
    pub set: PathBuf,
    /// Whisper model (base, tiny.en or a ggml file); the configured one when `None`.
    pub whisper: Option<String>,
    /// Calls placed at once.
    pub parallel: usize,
}

/// Silence before each turn's words, as a caller takes a breath (ms).
const LEAD_IN_MS: usize = 250;

pub async fn run(options: EvalOptions, base: Config) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&options.set)
        .with_context(|| format!("cannot read the scenario set {}", options.set.display()))?;
    let set: ScenarioSet = serde_saphyr::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a scenario set: {e}", options.set.display()))?;
    let voices = set
        .voices
        .iter()
        .map(|v| {
            parse_voice(v).ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: voice {v:?} is not an espeak-ng voice and a speed, like \"en-us 160\"",
                    options.set.display()
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let flow = options
        .set
        .parent()
        .unwrap_or(Path::new("."))
        .join(&set.flow);
    let work = std::env::temp_dir().join(format!("hotline-eval-calls-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let mut config = base;
    config.sip.listen = "127.0.0.1:0".parse()?;
    config.admin.listen = "127.0.0.1:0".parse()?;
    config.flow_file = flow.clone();
    config.database = work.join("eval.db");
    if let Some(w) = &options.whisper {
        config.speech.whisper_model = WhisperChoice::parse(w);
    }
    // Understanding is measured here, not capacity: a loaded machine must not turn calls away.
    config.speech.max_asr_wait = None;
    // The scripted caller takes the first words it hears as the answer: no holding phrase.
    config.speech.holding_after = None;
    config.sip.max_calls = config.sip.max_calls.max(options.parallel);
    let database = config.database.clone();
    println!(
        "{} scenarios x {} voices from {}, flow {}, placed {} at a time over SIP on loopback",
        set.scenarios.len(),
        voices.len(),
        options.set.display(),
        flow.display(),
        options.parallel.max(1)
    );
    let (addr, stop, server) = start_server(config).await?;

    // Every call: which scenario, in which voice.
    let mut placed: HashMap<String, (usize, usize)> = HashMap::new();
    let mut calls = Vec::new();
    for (s, scenario) in set.scenarios.iter().enumerate() {
        for (v, (voice, speed)) in voices.iter().enumerate() {
            let mut steps = Vec::new();
            for (t, turn) in scenario.turns.iter().enumerate() {
                let wav = work.join(format!("s{s}-v{v}-t{t}.wav"));
                espeak_voice_wav(&turn.say, voice, *speed, &wav)?;
                let mut pcm = vec![0i16; LEAD_IN_MS * 8];
                pcm.extend(dial::read_wav_8k(&wav)?);
                steps.push(Step::Play {
                    name: turn.say.clone(),
                    pcm,
                });
            }
            let from = format!("sip:eval-s{s}-v{v}@127.0.0.1");
            placed.insert(from.clone(), (s, v));
            calls.push(dial::DialOptions {
                target: format!("sip:hotline@{addr}"),
                from,
                steps,
                record: None,
                codec: hotline_media::Codec::Pcmu,
                gap: Duration::from_millis(800),
                max_duration: Duration::from_secs(180),
                // Understanding is scored, not speed: on a loaded machine an answer may take
                // far longer than a person would wait, and hanging up would lose the turn.
                reply_timeout: Duration::from_secs(90),
            });
        }
    }
    let mut unanswered = 0;
    let mut queue = calls.into_iter();
    loop {
        let mut batch = tokio::task::JoinSet::new();
        for options in queue.by_ref().take(options.parallel.max(1)) {
            batch.spawn(dial::dial(options));
        }
        if batch.is_empty() {
            break;
        }
        while let Some(report) = batch.join_next().await {
            if !report??.answered {
                unanswered += 1;
            }
        }
    }
    let _ = stop.send(true);
    let _ = server.await;

    let store = Store::open(&database).await?;
    let mut verdicts: HashMap<(usize, usize), Vec<TurnVerdict>> = HashMap::new();
    for call in store.list_calls(100_000).await? {
        let Some(&(s, v)) = placed.get(&call.caller) else {
            continue;
        };
        let records = store.turns(&call.id).await?;
        verdicts.insert((s, v), score(&set.scenarios[s].turns, &records));
    }
    let (mut turns, mut right, mut calls_right) = (0, 0, 0);
    for (s, scenario) in set.scenarios.iter().enumerate() {
        for (v, (voice, _)) in voices.iter().enumerate() {
            let results = verdicts.remove(&(s, v)).unwrap_or_else(|| {
                score(&scenario.turns, &[]) // never on the record: every turn wrong
            });
            let ok = results.iter().filter(|r| r.right()).count();
            turns += results.len();
            right += ok;
            calls_right += usize::from(ok == results.len());
            println!(
                "{} ({voice}): {ok}/{} turns right",
                scenario.name,
                results.len()
            );
            for r in results.iter().filter(|r| !r.right()) {
                println!(
                    "  {:?} heard as {:?}: {}",
                    r.say,
                    r.heard.as_deref().unwrap_or("(nothing)"),
                    r.failures.join("; ")
                );
            }
        }
    }
    let total_calls = set.scenarios.len() * voices.len();
    println!(
        "handled right: {right}/{turns} turns ({:.1}%), {calls_right}/{total_calls} calls with every turn right, {unanswered} calls not answered",
        100.0 * right as f64 / turns.max(1) as f64
    );
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
