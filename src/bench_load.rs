//! `hotline bench load`: many callers at once, arriving over time, each asking several questions
//! with natural pauses; prints voice-to-voice latency, turns lost, the callers' WER and the
//! right-answer rate for each number of calls, so capacity is a measured figure.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::bench::{percentile, response_ms, spoken_questions, start_server, QUESTIONS};
use crate::config::{Config, WhisperChoice};
use crate::dial::{self, script::Step};
use crate::store::Store;

/// What one load level is asked to do.
pub struct LoadPlan {
    pub calls: Vec<usize>,
    pub model: String,
    pub flow: PathBuf,
    /// Mean time between two calls' arrivals.
    pub arrival: Duration,
    /// Questions per caller, at least and at most.
    pub questions: (usize, usize),
    pub seed: u64,
}

/// One caller's part: when they call, what they ask, how long they pause before speaking.
#[derive(Debug, Clone, PartialEq)]
pub struct CallerPlan {
    pub start: Duration,
    pub questions: Vec<usize>,
    pub gap: Duration,
}

/// The callers of one load level: arrivals spread at random around `arrival` apart, 4-6
/// questions each from the bench set, pauses of 0.7-1.5 s. Pure, seeded, so runs compare.
pub fn plan_callers(
    calls: usize,
    arrival: Duration,
    questions: (usize, usize),
    question_count: usize,
    seed: u64,
) -> Vec<CallerPlan> {
    let mut rng = SplitMix(seed ^ (calls as u64).wrapping_mul(0x9e37_79b9));
    let mut at = Duration::ZERO;
    let (low, high) = (questions.0.max(1), questions.1.max(questions.0.max(1)));
    (0..calls)
        .map(|_| {
            let plan = CallerPlan {
                start: at,
                questions: (0..low + rng.below(high - low + 1))
                    .map(|_| rng.below(question_count))
                    .collect(),
                gap: Duration::from_millis(700 + rng.below(801) as u64),
            };
            // Uniform in 0.5-1.5 × the mean: arrivals over time, never in step.
            at += arrival.mul_f64(0.5 + rng.below(1001) as f64 / 1000.0);
            plan
        })
        .collect()
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// What one load level measured.
#[derive(Debug, Default)]
struct LevelResult {
    caller_ms: Vec<f64>,
    asked: usize,
    heard: usize,
    right: usize,
    errors: hotline_listen::WordErrors,
    refused: usize,
    holding: usize,
}

pub async fn run(plan: LoadPlan, base: Config) -> anyhow::Result<()> {
    let work = std::env::temp_dir().join(format!("hotline-bench-load-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let spoken: Vec<Vec<i16>> = spoken_questions(&work)?
        .into_iter()
        .map(|q| q.pcm)
        .collect();
    println!(
        "machine: {} cores; whisper {}; calls arrive about {} ms apart, {}-{} questions each",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        plan.model,
        plan.arrival.as_millis(),
        plan.questions.0,
        plan.questions.1
    );
    println!(
        "{:>6} {:>9} {:>9} {:>7} {:>6} {:>7} {:>8} {:>8} {:>8}",
        "calls", "p50 ms", "p95 ms", "turns", "lost", "WER %", "right %", "refused", "holding"
    );
    for &calls in &plan.calls {
        let mut config = base.clone();
        config.sip.listen = "127.0.0.1:0".parse()?;
        config.admin.listen = "127.0.0.1:0".parse()?;
        config.flow_file = plan.flow.clone();
        config.database = work.join(format!("load-{calls}.db"));
        let _ = std::fs::remove_file(&config.database);
        config.speech.whisper_model = WhisperChoice::parse(&plan.model);
        config.sip.max_calls = config.sip.max_calls.max(calls);
        let callers = plan_callers(
            calls,
            plan.arrival,
            plan.questions,
            QUESTIONS.len(),
            plan.seed,
        );
        let r = level(config, &callers, &spoken).await?;
        let (mut ms, lost) = (r.caller_ms, r.asked.saturating_sub(r.heard));
        println!(
            "{:>6} {:>9.0} {:>9.0} {:>7} {:>6} {:>7.1} {:>8.1} {:>8} {:>8}",
            calls,
            percentile(&mut ms, 0.50),
            percentile(&mut ms, 0.95),
            r.asked,
            lost,
            r.errors.rate() * 100.0,
            if r.asked == 0 {
                0.0
            } else {
                r.right as f64 * 100.0 / r.asked as f64
            },
            r.refused,
            r.holding
        );
    }
    println!("lost: questions that never became a caller turn on the record (must be 0)");
    println!("refused: calls the server turned away (admission control or sip.max_calls)");
    println!("holding: turns whose caller heard the holding phrase");
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

async fn level(
    config: Config,
    callers: &[CallerPlan],
    spoken: &[Vec<i16>],
) -> anyhow::Result<LevelResult> {
    let database = config.database.clone();
    let holding_phrase = config.speech.holding_phrase.clone();
    let (addr, stop, server) = start_server(config).await?;
    let mut expected: HashMap<String, Vec<usize>> = HashMap::new();
    let mut dials = tokio::task::JoinSet::new();
    let started = tokio::time::Instant::now();
    for (n, caller) in callers.iter().enumerate() {
        let from = format!("sip:load{n}@127.0.0.1");
        expected.insert(from.clone(), caller.questions.clone());
        let steps = caller
            .questions
            .iter()
            .map(|&q| Step::Play {
                name: QUESTIONS[q].0.to_string(),
                pcm: spoken[q].clone(),
            })
            .collect();
        let options = dial::DialOptions {
            target: format!("sip:hotline@{addr}"),
            from,
            steps,
            record: None,
            codec: hotline_media::Codec::Pcmu,
            gap: caller.gap,
            max_duration: Duration::from_secs(300),
            reply_timeout: dial::REPLY_TIMEOUT,
        };
        let at = started + caller.start;
        dials.spawn(async move {
            tokio::time::sleep_until(at).await;
            dial::dial(options).await
        });
    }
    let mut result = LevelResult::default();
    while let Some(report) = dials.join_next().await {
        let report = report??;
        if !report.answered {
            result.refused += 1;
            continue;
        }
        result.caller_ms.extend(response_ms(&report));
    }
    let _ = stop.send(true);
    let _ = server.await;
    let store = Store::open(&database).await?;
    for call in store.list_calls(100_000).await? {
        let Some(wanted) = expected.get(&call.caller) else {
            continue;
        };
        let records = store.turns(&call.id).await?;
        result.holding += records
            .iter()
            .filter(|t| {
                !holding_phrase.is_empty()
                    && t.bot_text
                        .as_deref()
                        .is_some_and(|b| b.contains(&holding_phrase))
            })
            .count();
        let turns: Vec<(String, Option<String>)> = records
            .into_iter()
            .filter_map(|t| t.caller_text.map(|text| (text, t.intent)))
            .collect();
        result.asked += wanted.len();
        result.heard += turns.len().min(wanted.len());
        let reference: Vec<&str> = wanted.iter().map(|&q| QUESTIONS[q].0).collect();
        let heard: Vec<&str> = turns.iter().map(|(text, _)| text.as_str()).collect();
        result.errors =
            result.errors + hotline_listen::word_error_rate(&reference.join(" "), &heard.join(" "));
        if turns.len() == wanted.len() {
            result.right += turns
                .iter()
                .zip(wanted)
                .filter(|((_, intent), &q)| intent.as_deref() == Some(QUESTIONS[q].1))
                .count();
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_arrive_over_time_with_four_to_six_questions_each() {
        let plan = plan_callers(16, Duration::from_secs(2), (4, 6), 8, 7);
        assert_eq!(plan.len(), 16);
        for pair in plan.windows(2) {
            let apart = pair[1].start - pair[0].start;
            assert!(
                apart >= Duration::from_secs(1) && apart <= Duration::from_secs(3),
                "{apart:?}"
            );
        }
        assert!(plan.iter().all(|c| (4..=6).contains(&c.questions.len())));
        assert!(plan.iter().all(|c| c.questions.iter().all(|&q| q < 8)));
        assert!(plan
            .iter()
            .all(|c| c.gap >= Duration::from_millis(700) && c.gap <= Duration::from_millis(1500)));
        assert_eq!(plan, plan_callers(16, Duration::from_secs(2), (4, 6), 8, 7));
        assert_ne!(plan, plan_callers(16, Duration::from_secs(2), (4, 6), 8, 8));
    }
}
