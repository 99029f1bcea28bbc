//! `hotline serve`: loads models, flow and store, binds SIP, and runs until shutdown.
//!
//! `run` is the whole server's entry point (the binary, the benchmark and the tests all call it), so
//! there is exactly one way the server starts.

mod connection_slots;
mod connections;
pub(crate) mod exposure;
pub mod load;
mod log_throttle;
mod reload;
mod rtp_ports;
mod signalling;
mod tls;

pub use signalling::SipCommand;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use hotline_flow::{Flow, IntentMatcher, KeywordMatcher};
use hotline_nlu::SentenceEncoder;
use tokio::net::UdpSocket;

use crate::config::{Config, WhisperChoice};
use crate::error::HotlineError;
use crate::pools::{AsrPool, TtsPool};
use crate::store::{unix_ms, Store};

/// The flow new calls start on, with the matcher built for it.
pub struct ActiveFlow {
    pub flow: Arc<Flow>,
    pub matcher: Arc<dyn IntentMatcher + Send + Sync>,
    /// The knowledge base answerer; `None` keeps the flow's own keyword answerer.
    pub faq: Option<Arc<dyn hotline_flow::FaqAnswerer + Send + Sync>>,
}

/// What every call task shares.
pub struct Services {
    pub config: Config,
    pub store: Store,
    pub asr: AsrPool,
    pub tts: TtsPool,
    /// Silero VAD, shared by every call's listener.
    pub vad: Arc<hotline_listen::SileroModel>,
    pub lexicon: Arc<hotline_mood::Lexicon>,
    pub encoder: Arc<SentenceEncoder>,
    pub http: reqwest::Client,
    /// Base of handoff ticket URLs (`admin.public_url`, else the bound admin address).
    pub ticket_base_url: String,
    /// Agents and queues.
    pub center: Option<Arc<crate::center::Center>>,
    /// The ASR queue's wait and the admission decision for new calls.
    pub load: Arc<load::Load>,
    /// Hold music by file (`None`: the generated tune), decoded once.
    hold_music: std::sync::Mutex<std::collections::HashMap<Option<PathBuf>, Arc<Vec<i16>>>>,
    flow: RwLock<Arc<ActiveFlow>>,
    /// Set once the server is stopping: new calls are refused with 503.
    pub draining: std::sync::atomic::AtomicBool,
}

impl Services {
    /// The flow a new call should run (calls keep the version they started with).
    pub fn current_flow(&self) -> Arc<ActiveFlow> {
        match self.flow.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Where voicemails are kept: `recordings/` beside the database.
    pub fn recordings_dir(&self) -> PathBuf {
        self.config
            .database
            .parent()
            .map(|d| d.join("recordings"))
            .unwrap_or_else(|| PathBuf::from("recordings"))
    }

    /// The queue's hold music: its file when it has one that can be read, else the generated tune.
    pub fn hold_music(&self, file: Option<&std::path::Path>) -> Arc<Vec<i16>> {
        let key = file.map(std::path::Path::to_path_buf);
        let mut cache = match self.hold_music.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(music) = cache.get(&key) {
            return Arc::clone(music);
        }
        let music = match file.map(crate::dial::read_wav_8k) {
            Some(Ok(pcm)) if !pcm.is_empty() => pcm,
            Some(Err(e)) => {
                tracing::warn!("hold music: {e}; playing the generated tune instead");
                crate::call::generated_music()
            }
            _ => crate::call::generated_music(),
        };
        let music = Arc::new(music);
        cache.insert(key, Arc::clone(&music));
        music
    }

    /// New calls run `active` from now on.
    pub fn set_flow(&self, active: ActiveFlow) {
        let mut guard = match self.flow.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(active);
    }

    /// Binds an even RTP port picked at random from the configured range ([`rtp_ports`]).
    pub fn bind_rtp(&self) -> Result<std::net::UdpSocket, HotlineError> {
        rtp_ports::bind_random(&self.config.rtp)
    }
}

/// Model file paths the configuration points at, checked before anything starts.
pub struct ModelPaths {
    pub whisper: PathBuf,
    pub vad: PathBuf,
    pub voice: PathBuf,
    pub onnxruntime: PathBuf,
    pub lexicon: PathBuf,
}

pub fn model_paths(config: &Config) -> Result<ModelPaths, HotlineError> {
    let dir = &config.speech.models_dir;
    let whisper = match &config.speech.whisper_model {
        WhisperChoice::Base => dir.join("ggml-base.bin"),
        WhisperChoice::TinyEn => dir.join("ggml-tiny.en.bin"),
        WhisperChoice::File(path) => path.clone(),
    };
    let paths = ModelPaths {
        whisper,
        vad: dir.join("silero_vad.onnx"),
        voice: config.speech.voice.clone(),
        onnxruntime: dir.join("libonnxruntime.so.1.31.1"),
        lexicon: dir.join(hotline_mood::LEXICON_FILE),
    };
    for file in [
        &paths.whisper,
        &paths.vad,
        &paths.voice,
        &crate::pools::tts::voice_config_path(&paths.voice),
        &paths.onnxruntime,
        &paths.lexicon,
    ] {
        if !file.is_file() {
            return Err(HotlineError::Models(hotline_models::ModelsError::Missing {
                asset: file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path: file.clone(),
            }));
        }
    }
    Ok(paths)
}

/// Loads and checks the flow file; on errors, every diagnostic as file:line:column.
pub fn load_flow_file(
    path: &std::path::Path,
    encoder: Option<&Arc<SentenceEncoder>>,
) -> Result<ActiveFlow, HotlineError> {
    let source = std::fs::read_to_string(path).map_err(|source| HotlineError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    active_flow(&source, &path.display().to_string(), encoder)
}

/// Says so when a flow asks for a voice or language this server does not have: the call is then
/// served with the configured voice and English speech recognition.
pub fn warn_about_settings(flow: &hotline_flow::Flow, config: &Config) {
    let settings = flow.settings();
    let installed = config
        .speech
        .voice
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(voice) = settings.voice.as_deref() {
        if voice != installed {
            tracing::warn!(
                "flow {} asks for voice {voice:?}; this server speaks with {installed:?} (speech.voice); point speech.voice at that voice to use it",
                flow.name()
            );
        }
    }
    if !settings.language.starts_with("en") {
        tracing::warn!(
            "flow {} is in language {:?}; the installed models understand and speak English",
            flow.name(),
            settings.language
        );
    }
}

/// A flow from its source text, with its matcher: sentence embeddings with the flow's keyword
/// rules when the encoder is loaded, keywords alone otherwise. On errors, the diagnostics one per line.
pub fn active_flow(
    source: &str,
    file: &str,
    encoder: Option<&Arc<SentenceEncoder>>,
) -> Result<ActiveFlow, HotlineError> {
    let flow = hotline_flow::load_flow(source, file).map_err(|diags| HotlineError::Flow {
        file: file.to_string(),
        report: diags
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    })?;
    let index = |what: &'static str| {
        move |source| HotlineError::FlowIndex {
            file: file.to_string(),
            what,
            source,
        }
    };
    let flow = Arc::new(flow);
    let (matcher, faq): (
        Arc<dyn IntentMatcher + Send + Sync>,
        Option<Arc<dyn hotline_flow::FaqAnswerer + Send + Sync>>,
    ) = match encoder {
        Some(encoder) => (
            Arc::new(
                hotline_nlu::EmbeddingMatcher::new(&flow, Arc::clone(encoder))
                    .map_err(index("embed the intents' examples"))?
                    .with_keyword_floor(KEYWORD_FLOOR),
            ),
            Some(Arc::new(
                hotline_nlu::HybridFaq::new(&flow, Arc::clone(encoder))
                    .map_err(index("index the FAQ entries"))?,
            )),
        ),
        None => (Arc::new(KeywordMatcher::new(&flow)), None),
    };
    Ok(ActiveFlow { flow, matcher, faq })
}

/// How similar an utterance must be to the intent a keyword rule picked for that rule to count:
/// low enough for ASR misspellings ("delivary"), high enough that "open a bank account" does
/// not land on opening hours.
pub(crate) const KEYWORD_FLOOR: f32 = 0.2;

/// The sentence encoder for intents, when its model is installed (ONNX Runtime must be up).
pub fn load_encoder(models_dir: &std::path::Path) -> Result<Arc<SentenceEncoder>, HotlineError> {
    let model = models_dir.join(hotline_nlu::MODEL_FILE);
    let tokenizer = models_dir.join(hotline_nlu::TOKENIZER_FILE);
    for file in [&model, &tokenizer] {
        if !file.is_file() {
            return Err(HotlineError::Models(hotline_models::ModelsError::Missing {
                asset: "minilm".into(),
                path: file.clone(),
            }));
        }
    }
    let encoder =
        SentenceEncoder::load(&model, &tokenizer).map_err(|e| HotlineError::Nlu(e.to_string()))?;
    Ok(Arc::new(encoder))
}

/// Runs the server until `shutdown` flips to true. `ready` receives the bound SIP address.
pub async fn run(
    config: Config,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<(), HotlineError> {
    let models = model_paths(&config)?;
    hotline_onnx::init(&models.onnxruntime)?;
    let encoder = load_encoder(&config.speech.models_dir)?;
    // One Silero for all calls, a session per core (a call holds only its ~1 KB state).
    let vad_sessions = std::thread::available_parallelism().map_or(1, |n| n.get());
    let vad = hotline_listen::SileroModel::load(&models.vad, vad_sessions)?;
    // One read: the version served, recorded and watched for edits are the same text.
    let flow_source =
        std::fs::read_to_string(&config.flow_file).map_err(|source| HotlineError::Io {
            path: config.flow_file.clone(),
            source,
        })?;
    let flow_name = config.flow_file.display().to_string();
    let flow = active_flow(&flow_source, &flow_name, Some(&encoder))?;
    warn_about_settings(&flow.flow, &config);
    let store = Store::open(&config.database)
        .await?
        .with_webhook(config.webhook.url.as_deref());
    store
        .flow_loaded(
            &flow.flow.version_hash(),
            flow.flow.name(),
            &config.flow_file.display().to_string(),
            &flow_source,
            unix_ms(),
        )
        .await?;
    if store.users().await?.is_empty() && store.tokens().await?.is_empty() {
        tracing::warn!(
            "no users or API tokens yet: the admin API and console answer 401 to everyone; \
             create the first admin with `hotline users add NAME --role admin` (docs/console.md)"
        );
    }
    let closed = store.close_interrupted_calls(unix_ms()).await?;
    if closed > 0 {
        tracing::warn!("closed {closed} call record(s) left open by an earlier crash");
    }
    // Agents and queues before the slow model loads: a broken file is reported at once.
    let center = Arc::new(crate::center::Center::load(&config.agents, store.clone())?);
    let (realm, accounts) = center.accounts();
    let in_clear: Vec<&str> = accounts
        .iter()
        .filter(|(_, secret)| matches!(secret, hotline_sip::AccountSecret::Password(_)))
        .map(|(id, _)| id.as_str())
        .collect();
    if !in_clear.is_empty() {
        tracing::warn!(
            "{}: the password of agent(s) {} is kept in clear; store it as a hash with \
             `hotline agents passwd ID` (docs/operations.md)",
            config.agents.file.display(),
            in_clear.join(", ")
        );
    }
    if exposure::others_can_register(config.sip.listen, &config.sip.access.register) {
        let weak: Vec<String> = accounts
            .iter()
            .filter(|(id, secret)| exposure::is_example_secret(id, &realm, secret))
            .map(|(id, _)| id.clone())
            .collect();
        if !weak.is_empty() {
            return Err(HotlineError::ExamplePasswords {
                file: config.agents.file.clone(),
                agents: weak,
                listen: config.sip.listen,
            });
        }
    }
    // A TLS certificate that cannot be used stops the start here, before the models load.
    let tls_acceptor = match &config.sip.streams.tls {
        Some(tls) => Some(tls::acceptor(tls)?),
        None => None,
    };
    tracing::info!("loading Whisper {}", models.whisper.display());
    let asr = AsrPool::start(
        &models.whisper,
        config.speech.asr_workers,
        config.speech.asr_threads,
    )?;
    tracing::info!("loading Piper voice {}", models.voice.display());
    let cache = config
        .speech
        .prompt_cache
        .then(|| Arc::new(crate::pools::prompt_cache::PromptCache::new(2000)));
    let tts = TtsPool::start(
        &models.voice,
        config.speech.tts_workers,
        config.speech.tts_threads,
        cache,
        config.speech.prompt_cache_dir.as_deref(),
    )?;
    // Ready means ready: Whisper has run once and the flow's prompts are synthesised before the
    // SIP port opens, so the first caller is served as fast as the hundredth.
    let warming = std::time::Instant::now();
    let mut sentences = flow.flow.spoken_texts();
    sentences.push(config.speech.holding_phrase.clone());
    sentences.extend(center.fixed_sentences());
    let (whisper_first_run, prepared) =
        tokio::join!(asr.warm_up(), tts.prepare_and_wait(sentences));
    let whisper_first_run = whisper_first_run?;
    let ready_after = warming.elapsed();
    let admin_listener = tokio::net::TcpListener::bind(config.admin.listen)
        .await
        .map_err(|source| HotlineError::AdminBind {
            addr: config.admin.listen.to_string(),
            source,
        })?;
    let admin_local = admin_listener
        .local_addr()
        .map_err(|source| HotlineError::AdminBind {
            addr: config.admin.listen.to_string(),
            source,
        })?;
    let ticket_base_url = config.admin.base_url(admin_local);
    let socket =
        UdpSocket::bind(config.sip.listen)
            .await
            .map_err(|source| HotlineError::Socket {
                addr: config.sip.listen.to_string(),
                source,
            })?;
    let local = socket.local_addr().map_err(|source| HotlineError::Socket {
        addr: config.sip.listen.to_string(),
        source,
    })?;
    tracing::info!(
        "flow {} version {}",
        flow.flow.name(),
        &flow.flow.version_hash()[..12.min(flow.flow.version_hash().len())]
    );
    let flow_file = config.flow_file.clone();
    let lexicon =
        Arc::new(hotline_mood::Lexicon::load(&models.lexicon).map_err(HotlineError::Mood)?);
    let http = reqwest::Client::builder()
        .user_agent(format!(
            "{}/{}",
            config.sip.user_agent,
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .map_err(|e| HotlineError::Http(e.to_string()))?;
    if config.webhook.url.is_some() && config.webhook.secret.is_none() {
        tracing::warn!("webhook.secret is not set: webhook bodies go unsigned");
    }
    tokio::spawn(crate::webhook::run(
        store.clone(),
        http.clone(),
        config.webhook.clone(),
        shutdown.clone(),
    ));
    tokio::spawn(Arc::clone(&center).run(shutdown.clone()));
    let recordings_dir = config
        .database
        .parent()
        .map(|d| d.join("recordings"))
        .unwrap_or_else(|| PathBuf::from("recordings"));
    tokio::spawn(crate::store::retention::run(
        store.clone(),
        recordings_dir,
        crate::store::retention::Retention {
            days: config.retention_days,
        },
        shutdown.clone(),
    ));
    tokio::spawn(crate::inspection::watch::run(
        store.clone(),
        config.inspection_rules.clone(),
        shutdown.clone(),
    ));
    let mut admin_state = crate::admin::AdminState::new(store.clone(), Arc::new(config.clone()));
    admin_state.service_levels = Arc::new(center.service_levels());
    admin_state.stop = Some(shutdown.clone());
    admin_state.encoder = Some(Arc::clone(&encoder));
    let load = Arc::new(load::Load::new(config.speech.max_asr_wait));
    let live = Arc::clone(&center);
    let live_load = Arc::clone(&load);
    admin_state.live = Arc::new(move || {
        let mut families = live.live_metrics();
        families.extend(live_load.metrics(std::time::Instant::now()));
        families
    });
    let (campaigns, campaign_requests) = crate::campaign::control();
    let guarded_routes = crate::admin::agents::router(Arc::clone(&center), store.clone()).merge(
        crate::admin::campaigns::router(campaigns, store.clone(), config.campaigns.dir.clone()),
    );
    let admin_app = crate::admin::app(admin_state, guarded_routes)
        .into_make_service_with_connect_info::<SocketAddr>();
    let mut admin_shutdown = shutdown.clone();
    tokio::spawn(async move {
        let stopped = async move {
            while !*admin_shutdown.borrow() {
                if admin_shutdown.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(e) = axum::serve(admin_listener, admin_app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!("admin API on {admin_local} stopped: {e}");
        }
    });
    let services = Arc::new(Services {
        lexicon,
        encoder,
        http,
        ticket_base_url,
        center: Some(center),
        load,
        hold_music: std::sync::Mutex::default(),
        store,
        asr,
        tts,
        vad,
        flow: RwLock::new(Arc::new(flow)),
        draining: std::sync::atomic::AtomicBool::new(false),
        config,
    });
    println!(
        "Ready in {:.1} s: Whisper ran once in {} ms, {} prompt sentences cached ({} synthesised now)",
        ready_after.as_secs_f64(),
        whisper_first_run.as_millis(),
        prepared.cached,
        prepared.made
    );
    println!("Admin API listening on http://{admin_local}");
    let (stream_tx, stream_rx) = tokio::sync::mpsc::channel(1024);
    let acceptance = connections::Acceptance::new(
        services.config.sip.streams.limits,
        services.config.sip.access.clone(),
    );
    let mut streams = connections::StreamInput {
        events: stream_rx,
        keep_open: stream_tx.clone(),
        tcp_local: None,
        tls_local: None,
    };
    let mut listeners = Vec::new();
    if let Some(addr) = services.config.sip.streams.tcp {
        listeners.push((addr, None));
    }
    if let (Some(tls), Some(acceptor)) = (&services.config.sip.streams.tls, tls_acceptor) {
        listeners.push((tls.listen, Some(acceptor)));
    }
    for (addr, acceptor) in listeners {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| HotlineError::Socket {
                addr: addr.to_string(),
                source,
            })?;
        let bound = listener
            .local_addr()
            .map_err(|source| HotlineError::Socket {
                addr: addr.to_string(),
                source,
            })?;
        if acceptor.is_some() {
            streams.tls_local = Some(bound);
            println!("SIP listening on tls:{bound}");
        } else {
            streams.tcp_local = Some(bound);
            println!("SIP listening on tcp:{bound}");
        }
        tokio::spawn(connections::accept_loop(
            listener,
            acceptor,
            Arc::clone(&acceptance),
            stream_tx.clone(),
        ));
    }
    println!("SIP listening on udp:{local}");
    if let Some(ready) = ready {
        let _ = ready.send(local);
    }
    tokio::spawn(reload::watch_flow(
        Arc::clone(&services),
        flow_file,
        flow_source,
        shutdown.clone(),
    ));
    let (sip_tx, sip_rx) = tokio::sync::mpsc::unbounded_channel::<SipCommand>();
    tokio::spawn(crate::campaign::run(
        Arc::clone(&services),
        sip_tx.clone(),
        campaign_requests,
        shutdown.clone(),
    ));
    let callbacks = tokio::spawn(crate::call::run_callbacks(
        Arc::clone(&services),
        sip_tx.clone(),
        shutdown.clone(),
    ));
    let served =
        signalling::run_signalling(socket, services, (sip_tx, sip_rx), shutdown, streams).await;
    // The callback placer hands back, on the stop, the jobs it leased but did not dial: wait
    // for those writes (bounded, so a stuck database cannot hold the exit).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), callbacks).await;
    served
}
