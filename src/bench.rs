//! `hotline bench latency`: voice-to-voice latency over loopback, with where the time goes.
//!
//! Starts the real server in-process for each Whisper model, calls it with `hotline dial`'s client
//! speaking espeak-ng questions (a different engine from the bot's voice), and prints p50/p95 of the
//! caller-measured latency and of the server-side parts: endpointing wait, ASR, matching, first TTS audio.
//! `hotline bench wer` is in [`wer`], `hotline bench media` in [`media`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;

use crate::config::{Config, WhisperChoice};
use crate::dial::{self, script::Step};
use crate::store::Store;

mod amd;
mod dialer;
mod digits;
mod media;
mod spoken;
mod wer;

#[derive(Subcommand)]
pub enum BenchAction {
    /// Answering-machine detection on a labelled set of greetings (people in espeak-ng voices
    /// and Asterisk's recorded "hello"; machines from Asterisk's recorded voicemail prompts and
    /// espeak-ng greetings), offline: accuracy, people taken for machines, time to verdict; ours
    /// beside Asterisk's own rules.
    Amd {
        /// Print every greeting's verdict, not only the misses.
        #[arg(long)]
        verbose: bool,
        /// Try another `maximum_words` than the campaign default.
        #[arg(long)]
        maximum_words: Option<u32>,
        /// Try another `greeting` (ms) than the campaign default.
        #[arg(long)]
        greeting_ms: Option<u64>,
        /// Try another `between_words_silence` (ms) than the campaign default.
        #[arg(long)]
        between_words_ms: Option<u64>,
    },
    /// The pure dialer's speed: a campaign of N contacts run to its end in virtual time (no
    /// SIP); dials decided per second and time per poll.
    Dialer {
        #[arg(long, default_value_t = 100_000)]
        contacts: usize,
    },
    /// Word error rate of Whisper on real recorded prompts (Debian's asterisk-core-sounds-en-wav)
    /// through the phone path's G.711 µ-law codec and resampler, offline.
    Wer {
        /// Prompts to transcribe, spread evenly over those with a spoken transcript.
        #[arg(long, default_value_t = 139)]
        files: usize,
        /// base, tiny.en or a ggml file (default: the configured model).
        #[arg(long)]
        whisper: Option<String>,
        /// Decode with whisper.cpp's defaults (beam search of 5, full window) for comparison.
        #[arg(long)]
        whisper_cpp: bool,
        /// Print every transcript, not only those with errors.
        #[arg(long)]
        verbose: bool,
    },
    /// A labelled set of spoken questions (eval/shop_spoken.yaml) in several espeak-ng voices
    /// through the phone path's codec, offline: what the flow understands, with Whisper primed
    /// with the flow's hot words and without.
    Spoken {
        /// The labelled set (flow, questions with the intent or FAQ entry that should answer).
        #[arg(default_value = "eval/shop_spoken.yaml")]
        set: PathBuf,
        /// base, tiny.en or a ggml file (default: the configured model).
        #[arg(long)]
        whisper: Option<String>,
        /// Print every question, not only those misunderstood in either run.
        #[arg(long)]
        verbose: bool,
        /// Try this prompt instead of the flow's hot words.
        #[arg(long)]
        hot_words: Option<String>,
    },
    /// Seven-digit numbers read digit by digit (Asterisk's recorded digits) through the phone
    /// path's codec and resampler, offline: how many a digits slot stores exactly, with Whisper
    /// told to expect digits and without.
    Digits {
        /// Numbers to read.
        #[arg(long, default_value_t = 50)]
        numbers: usize,
        /// base, tiny.en or a ggml file (default: the configured model).
        #[arg(long)]
        whisper: Option<String>,
        /// Seed of the numbers and pauses.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Print every number, not only the misses.
        #[arg(long)]
        verbose: bool,
        /// Least encoder frames (50 a second; 1500 is Whisper's full 30 s window), instead of
        /// the server's window.
        #[arg(long)]
        min_frames: Option<u32>,
    },
    /// Time per utterance of intent + FAQ + slot understanding on one core.
    Understanding {
        #[arg(long, default_value = "flows/shop.yaml")]
        flow: PathBuf,
    },
    /// Voice-to-voice latency of question turns.
    Latency {
        /// Question turns per model.
        #[arg(long, default_value_t = 20)]
        turns: usize,
        /// Models to compare.
        #[arg(long, value_delimiter = ',', default_value = "base,tiny.en")]
        models: Vec<String>,
        /// Override speech.end_of_speech_silence (comma-separated to compare several).
        #[arg(long, value_delimiter = ',')]
        silence: Vec<String>,
        /// Flow to run.
        #[arg(long, default_value = "flows/shop.yaml")]
        flow: PathBuf,
        /// Synthesise every sentence on demand (speech.prompt_cache off).
        #[arg(long)]
        no_prompt_cache: bool,
        /// Start Whisper only once the turn is over (speech.early_transcription off).
        #[arg(long)]
        no_early_transcription: bool,
        /// Calls in progress at once (each asks 4 questions); the server's Whisper and Piper
        /// workers are shared between them as in production.
        #[arg(long, default_value_t = 1)]
        concurrent: usize,
    },
    /// What listening calls cost: N SIPp calls streaming RTP both ways into the server (started
    /// here as its own process, or `--target`/`--pid`), its CPU over a steady window, its memory
    /// per call beyond the idle server, and calls per core.
    Media {
        /// Numbers of calls to measure, one server run each.
        #[arg(long, value_delimiter = ',', default_value = "100")]
        calls: Vec<usize>,
        /// Length of the steady window measured, in seconds.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// What the caller's line carries: quiet (-65 dBFS hiss), noisy (-45 dBFS), silent.
        #[arg(long, value_enum, default_value = "quiet")]
        line: media::Line,
        /// New calls per second while setting up.
        #[arg(long, default_value_t = 50)]
        rate: u32,
        /// Measure a server already running at this SIP address (with --pid) instead of
        /// starting one; it must accept the calls (sip.max_calls, sip.flood).
        #[arg(long, requires = "pid")]
        target: Option<std::net::SocketAddr>,
        /// Process id of the server given with --target.
        #[arg(long, requires = "target")]
        pid: Option<u32>,
    },
    /// Capacity: calls arriving over time, each asking several questions with natural pauses;
    /// latency, turns lost, WER and right answers for each number of calls.
    Load {
        /// Numbers of calls to measure, one server run each.
        #[arg(long, value_delimiter = ',', default_value = "4,8,16,24,32")]
        calls: Vec<usize>,
        /// Whisper model.
        #[arg(long, default_value = "base")]
        model: String,
        #[arg(long, default_value = "flows/shop.yaml")]
        flow: PathBuf,
        /// Mean time between two calls' arrivals, e.g. 1500ms.
        #[arg(long, default_value = "1500ms")]
        arrival: String,
        /// Questions per caller, as MIN-MAX.
        #[arg(long, default_value = "4-6")]
        questions: String,
        /// Seed for arrivals, questions and pauses (the same seed plans the same callers).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// One utterance's understanding: intent, FAQ and slots, timed on one core.
pub fn understanding(flow: &std::path::Path, config: &Config) -> anyhow::Result<()> {
    let models = crate::server::model_paths(config)?;
    hotline_onnx::init(&models.onnxruntime)?;
    // `load_encoder` runs the model on one intra-op thread.
    let encoder = crate::server::load_encoder(&config.speech.models_dir)?;
    let active = crate::server::load_flow_file(flow, Some(&encoder))?;
    let mut utterances: Vec<String> = active
        .flow
        .intents()
        .iter()
        .flat_map(|i| i.examples.iter().cloned())
        .collect();
    utterances.extend(QUESTIONS.iter().map(|(q, _)| q.to_string()));
    utterances.extend(
        [
            "my order number is four five six seven",
            "what's the weather like today",
        ]
        .map(String::from),
    );
    let faq = active.faq.clone();
    let mut times = Vec::with_capacity(utterances.len());
    for text in &utterances {
        let started = std::time::Instant::now();
        let intent = active.matcher.classify(text);
        let answer = faq.as_ref().and_then(|f| f.answer(text));
        let slot = hotline_flow::parse_slot(hotline_flow::SlotType::OrderNumber, text, None, None);
        std::hint::black_box((intent, answer, slot));
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{} utterances of {}: intent + FAQ + order-number slot, one core: mean {mean:.2} ms, p50 {:.2} ms, p95 {:.2} ms",
        utterances.len(),
        flow.display(),
        percentile(&mut times.clone(), 0.5),
        percentile(&mut times, 0.95)
    );
    Ok(())
}

/// Questions a shop's callers ask, spoken by espeak-ng, with the intent that should answer them.
/// Two have a pause inside (a comma), which too short an end-of-speech silence cuts in two.
pub const QUESTIONS: &[(&str, &str)] = &[
    ("How long does delivery take?", "delivery_time"),
    ("What is your return policy?", "returns"),
    ("Which payment methods do you accept?", "payment_methods"),
    (
        "Hello, I would like to know your opening hours.",
        "opening_hours",
    ),
    ("How much does shipping cost?", "shipping_cost"),
    ("How can I track my order?", "order_tracking"),
    (
        "I ordered something yesterday, and I want to cancel it.",
        "cancel_order",
    ),
    ("Can I return a product I bought?", "returns"),
];

/// Speaks `text` with espeak-ng into a WAV.
pub fn espeak_wav(text: &str, path: &Path) -> anyhow::Result<()> {
    espeak_voice_wav(text, "en-us", 160, path)
}

/// Speaks `text` with espeak-ng's `voice` at `speed` words per minute into a WAV.
pub fn espeak_voice_wav(text: &str, voice: &str, speed: u32, path: &Path) -> anyhow::Result<()> {
    let status = std::process::Command::new("espeak-ng")
        .args(["-v", voice, "-s", &speed.to_string(), "-w"])
        .arg(path)
        .arg(text)
        .status()
        .map_err(|e| {
            anyhow::anyhow!("espeak-ng could not run ({e}); install the Debian package espeak-ng")
        })?;
    anyhow::ensure!(status.success(), "espeak-ng failed for {text:?}");
    Ok(())
}

pub async fn run(action: BenchAction, base: Config) -> anyhow::Result<()> {
    if let BenchAction::Understanding { flow } = &action {
        return understanding(flow, &base);
    }
    if let BenchAction::Media {
        calls,
        seconds,
        line,
        rate,
        target,
        pid,
    } = action
    {
        let plan = media::MediaPlan {
            calls,
            seconds,
            line,
            rate,
            target: target.zip(pid),
        };
        return media::run(plan).await;
    }
    if let BenchAction::Load {
        calls,
        model,
        flow,
        arrival,
        questions,
        seed,
    } = action
    {
        let arrival = crate::config::parse_duration(&arrival).ok_or_else(|| {
            anyhow::anyhow!("--arrival {arrival:?} is not a duration like 1500ms")
        })?;
        let range = questions
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
            .filter(|(a, b): &(usize, usize)| *a >= 1 && a <= b)
            .ok_or_else(|| anyhow::anyhow!("--questions {questions:?} should be like 4-6"))?;
        let plan = crate::bench_load::LoadPlan {
            calls,
            model,
            flow,
            arrival,
            questions: range,
            seed,
        };
        return crate::bench_load::run(plan, base).await;
    }
    if let BenchAction::Dialer { contacts } = action {
        return dialer::run(contacts);
    }
    if let BenchAction::Amd {
        verbose,
        maximum_words,
        greeting_ms,
        between_words_ms,
    } = action
    {
        let mut ours = hotline_dialer::MachineDetection::default();
        if let Some(n) = maximum_words {
            ours.maximum_words = n;
        }
        if let Some(ms) = greeting_ms {
            ours.greeting = Duration::from_millis(ms);
        }
        if let Some(ms) = between_words_ms {
            ours.between_words_silence = Duration::from_millis(ms);
        }
        return amd::run(ours, verbose);
    }
    if let BenchAction::Digits {
        numbers,
        whisper,
        seed,
        verbose,
        min_frames,
    } = action
    {
        let options = digits::DigitsOptions {
            numbers,
            whisper,
            seed,
            verbose,
            min_frames,
        };
        return tokio::task::block_in_place(|| digits::run(options, base));
    }
    if let BenchAction::Spoken {
        set,
        whisper,
        verbose,
        hot_words,
    } = action
    {
        let options = spoken::SpokenOptions {
            set,
            whisper,
            verbose,
            hot_words,
        };
        return tokio::task::block_in_place(|| spoken::run(options, base));
    }
    if let BenchAction::Wer {
        files,
        whisper,
        whisper_cpp,
        verbose,
    } = action
    {
        let options = wer::WerOptions {
            files,
            whisper,
            whisper_cpp,
            verbose,
        };
        return tokio::task::block_in_place(|| wer::run(options, base));
    }
    let BenchAction::Latency {
        turns,
        models,
        silence,
        flow,
        no_prompt_cache,
        no_early_transcription,
        concurrent,
    } = action
    else {
        return Ok(());
    };
    let work = std::env::temp_dir().join(format!("hotline-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let questions = spoken_questions(&work)?;
    let silences: Vec<Option<Duration>> = if silence.is_empty() {
        vec![None]
    } else {
        silence
            .iter()
            .map(|s| {
                crate::config::parse_duration(s)
                    .map(Some)
                    .ok_or_else(|| anyhow::anyhow!("bad --silence {s:?}"))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let concurrent = concurrent.max(1);
    println!(
        "machine: {} cores; {} question turns per configuration; {} call(s) at once",
        num_cpus(),
        turns,
        concurrent
    );
    for model in &models {
        for silence in &silences {
            let mut config = base.clone();
            config.sip.listen = "127.0.0.1:0".parse()?;
            config.admin.listen = "127.0.0.1:0".parse()?;
            config.flow_file = flow.clone();
            config.database = work.join(format!(
                "bench-{model}-{}.db",
                silence.map(|s| s.as_millis()).unwrap_or(0)
            ));
            let _ = std::fs::remove_file(&config.database);
            config.speech.whisper_model = WhisperChoice::parse(model);
            if let Some(s) = silence {
                config.speech.end_of_speech_silence = *s;
            }
            if no_prompt_cache {
                config.speech.prompt_cache = false;
            }
            if no_early_transcription {
                config.speech.early_transcription = config.speech.end_of_speech_silence;
            }
            config.sip.max_calls = config.sip.max_calls.max(concurrent);
            let label = format!(
                "whisper {model}, end-of-speech silence {} ms, early transcription {}, prompt cache {}",
                config.speech.end_of_speech_silence.as_millis(),
                if no_early_transcription { "off".to_string() } else { format!("{} ms", config.speech.early_transcription.as_millis()) },
                if config.speech.prompt_cache { "on" } else { "off" },
            );
            let label = if concurrent > 1 {
                format!("{label}, {concurrent} calls at once")
            } else {
                label
            };
            measure(&label, config, &questions, turns, concurrent).await?;
        }
    }
    Ok(())
}

pub struct Question {
    pub text: String,
    pub intent: String,
    pub pcm: Vec<i16>,
}

/// The bench questions spoken by espeak-ng into `work`, each followed by half a second of silence.
pub fn spoken_questions(work: &Path) -> anyhow::Result<Vec<Question>> {
    let mut questions = Vec::new();
    for (n, (q, intent)) in QUESTIONS.iter().enumerate() {
        let path = work.join(format!("q{n}.wav"));
        espeak_wav(q, &path)?;
        let mut pcm = dial::read_wav_8k(&path)?;
        pcm.extend(std::iter::repeat_n(0, 4000));
        questions.push(Question {
            text: q.to_string(),
            intent: intent.to_string(),
            pcm,
        });
    }
    Ok(questions)
}

/// The real server in-process, once it is ready: its SIP address, the switch that stops it, and
/// its task.
pub async fn start_server(
    config: Config,
) -> anyhow::Result<(
    std::net::SocketAddr,
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<Result<(), crate::error::HotlineError>>,
)> {
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(crate::server::run(config, Some(ready_tx), shutdown));
    let addr = ready
        .await
        .map_err(|_| anyhow::anyhow!("server did not start"))?;
    Ok((addr, stop, server))
}

/// Each answered turn's caller-measured voice-to-voice time, in milliseconds.
pub fn response_ms(report: &dial::DialReport) -> impl Iterator<Item = f64> + '_ {
    report
        .timings
        .iter()
        .filter_map(|t| t.response.map(|r| r.as_millis() as f64))
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

async fn measure(
    label: &str,
    config: Config,
    questions: &[Question],
    turns: usize,
    concurrent: usize,
) -> anyhow::Result<()> {
    let database = config.database.clone();
    let (addr, stop, server) = start_server(config).await?;
    let per_call = 4;
    let mut caller_ms = Vec::new();
    // What each caller (by its From URI) asked, in order.
    let mut expected: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut asked = 0;
    let mut placed = 0;
    while asked < turns {
        let mut round = tokio::task::JoinSet::new();
        for _ in 0..concurrent {
            if asked >= turns {
                break;
            }
            let n = per_call.min(turns - asked);
            let chosen: Vec<&Question> = (0..n)
                .map(|i| &questions[(asked + i) % questions.len()])
                .collect();
            let from = format!("sip:bench{placed}@127.0.0.1");
            placed += 1;
            expected.insert(
                from.clone(),
                chosen.iter().map(|q| q.intent.clone()).collect(),
            );
            let steps = chosen
                .iter()
                .map(|q| Step::Play {
                    name: q.text.clone(),
                    pcm: q.pcm.clone(),
                })
                .collect();
            round.spawn(dial::dial(dial::DialOptions {
                target: format!("sip:hotline@{addr}"),
                from,
                steps,
                record: None,
                codec: hotline_media::Codec::Pcmu,
                gap: Duration::from_millis(900),
                max_duration: Duration::from_secs(180),
                reply_timeout: dial::REPLY_TIMEOUT,
            }));
            asked += n;
        }
        while let Some(report) = round.join_next().await {
            caller_ms.extend(response_ms(&report??));
        }
    }
    let _ = stop.send(true);
    let _ = server.await;
    let store = Store::open(&database).await?;
    let mut parts: [Vec<f64>; 5] = Default::default();
    let (mut right, mut asked_total) = (0, 0);
    let calls = store.list_calls(1000).await?;
    let mut misses = Vec::new();
    for call in &calls {
        let Some(wanted) = expected.get(&call.caller) else {
            continue;
        };
        let heard: Vec<(String, Option<String>)> = store
            .turns(&call.id)
            .await?
            .into_iter()
            .filter_map(|t| t.caller_text.map(|text| (text, t.intent)))
            .collect();
        asked_total += wanted.len();
        // Right only when the turns line up one to one: a question cut in two shifts them.
        if heard.len() == wanted.len() {
            for ((text, intent), want) in heard.iter().zip(wanted) {
                if intent.as_deref() == Some(want.as_str()) {
                    right += 1;
                } else {
                    let got = intent.as_deref().unwrap_or("nothing");
                    misses.push(format!("heard {text:?}: matched {got}, wanted {want}"));
                }
            }
        } else {
            misses.push(format!(
                "call {}: {} turns heard for {} questions (a question cut in two, or one missed)",
                call.id,
                heard.len(),
                wanted.len()
            ));
        }
    }
    for call in &calls {
        for t in store.turns(&call.id).await? {
            if t.caller_text.is_none() {
                continue;
            }
            for (slot, v) in parts.iter_mut().zip([
                t.endpoint_wait_ms,
                t.asr_ms,
                t.match_ms,
                t.tts_first_ms,
                t.voice_to_voice_ms,
            ]) {
                if let Some(v) = v {
                    slot.push(v as f64);
                }
            }
        }
    }
    println!("\n{label}");
    println!("  {:<34} {:>6} {:>8} {:>8}", "", "n", "p50 ms", "p95 ms");
    let row = |name: &str, v: &mut Vec<f64>| {
        let (p50, p95) = (percentile(v, 0.50), percentile(v, 0.95));
        println!("  {name:<34} {:>6} {:>8.0} {:>8.0}", v.len(), p50, p95);
    };
    row("voice-to-voice (caller measured)", &mut caller_ms);
    let names = [
        "  endpointing wait",
        "  ASR still running at end of turn",
        "  matching",
        "  first TTS audio",
        "voice-to-voice (server measured)",
    ];
    for (name, v) in names.iter().zip(parts.iter_mut()) {
        row(name, v);
    }
    println!("  questions answered with the right intent: {right} of {asked_total}");
    for miss in &misses {
        println!("    {miss}");
    }
    Ok(())
}

/// Nearest-rank percentile; NaN for no samples.
pub fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.5), 10.0);
        assert_eq!(percentile(&mut v, 0.95), 19.0);
        assert!(percentile(&mut [], 0.5).is_nan());
        assert_eq!(percentile(&mut [7.0], 0.95), 7.0);
    }
}
