//! Server configuration: serde structs with embedded defaults, validated into typed values on load.
//!
//! `sip-config/hotline.yaml` documents every key; the same file is compiled in as the defaults, so a
//! bare `hotline serve` works on a fresh checkout and a user file only needs the keys it changes.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hotline_media::SrtpPolicy;
use ipnet::IpNet;
use serde::Deserialize;

use crate::error::HotlineError;

mod transport;
pub use transport::{ConnectionLimits, StreamsConfig, TlsConfig};

/// The defaults, byte for byte the documented example file.
pub const EMBEDDED_DEFAULTS: &str = include_str!("../sip-config/hotline.yaml");

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    sip: RawSip,
    rtp: RawRtp,
    speech: RawSpeech,
    flows: RawFlows,
    store: RawStore,
    admin: RawAdmin,
    webhook: RawWebhook,
    agents: RawAgents,
    campaigns: RawCampaigns,
    inspection: RawInspection,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawSip {
    listen: Option<String>,
    user_agent: Option<String>,
    allowed_peers: Option<Vec<String>>,
    allowed: RawAllowed,
    flood: RawFlood,
    max_calls: Option<usize>,
    when_full: Option<String>,
    retry_after: Option<String>,
    answer_after: Option<String>,
    shutdown_goodbye: Option<String>,
    drain_timeout: Option<String>,
    tcp: transport::RawTcp,
    tls: transport::RawTls,
    connections: transport::RawConnections,
}

/// `sip.allowed`: networks per request class; a missing or null list means `allowed_peers`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawAllowed {
    call: Option<Vec<String>>,
    register: Option<Vec<String>>,
    other: Option<Vec<String>>,
}

/// `sip.flood`: the per-source request rate limit.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawFlood {
    requests: Option<u32>,
    interval: Option<String>,
    block_for: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawRtp {
    address: Option<String>,
    port_min: Option<u16>,
    port_max: Option<u16>,
    inactivity_timeout: Option<String>,
    codecs: Option<Vec<String>>,
    allowed_networks: Option<Vec<String>>,
    max_packet_size: Option<usize>,
    max_packet_rate: Option<u32>,
    srtp: Option<String>,
    srtp_over_plain_sip: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawSpeech {
    whisper_model: Option<String>,
    asr_workers: Option<usize>,
    asr_threads: Option<usize>,
    voice: Option<String>,
    tts_workers: Option<usize>,
    tts_threads: Option<usize>,
    prompt_cache: Option<bool>,
    prompt_cache_dir: Option<String>,
    end_of_speech_silence: Option<String>,
    early_transcription: Option<String>,
    holding_phrase: Option<String>,
    holding_after: Option<String>,
    asr_test_delay: Option<String>,
    max_asr_wait: Option<String>,
    vad_threshold: Option<f32>,
    hot_words: Option<RawHotWords>,
    hot_words_below: Option<f32>,
    models_dir: Option<String>,
}

/// `speech.hot_words`: `true`/`false` as before, or a mode's name.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawHotWords {
    Flag(bool),
    Mode(String),
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawFlows {
    file: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawStore {
    database: Option<String>,
    retention_days: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawAdmin {
    listen: Option<String>,
    public_url: Option<String>,
    metrics_open: Option<bool>,
    secure_cookies: Option<bool>,
    session_hours: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawWebhook {
    url: Option<String>,
    secret: Option<String>,
    max_attempts: Option<u32>,
    first_retry: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawAgents {
    file: Option<String>,
    queues: Option<String>,
    min_registration: Option<String>,
    digest: Option<Vec<String>>,
    trunk: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawCampaigns {
    dir: Option<String>,
    trunks: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawInspection {
    rules: Option<String>,
}

/// Which Whisper weights to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhisperChoice {
    Base,
    TinyEn,
    File(PathBuf),
}

impl WhisperChoice {
    /// `base`, `tiny.en`, or a path to a ggml file.
    pub fn parse(text: &str) -> WhisperChoice {
        match text {
            "base" => WhisperChoice::Base,
            "tiny.en" | "tiny" => WhisperChoice::TinyEn,
            path => WhisperChoice::File(PathBuf::from(path)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SipConfig {
    pub listen: SocketAddr,
    pub user_agent: String,
    /// Who may call, register and send other requests (each defaults to `allowed_peers`).
    pub access: hotline_sip::AccessPolicy,
    /// Per-source request rate limit (`None`: `sip.flood.requests: 0`).
    pub flood: Option<hotline_sip::FloodLimit>,
    pub max_calls: usize,
    /// The answer to a call beyond `max_calls`.
    pub when_full: WhenFull,
    /// The Retry-After of the 503 sent when full.
    pub retry_after: Duration,
    pub answer_after: Duration,
    /// Said to calls in progress when the server is told to stop (SIGTERM), before their BYE.
    pub shutdown_goodbye: String,
    /// The longest a stop waits for the goodbyes to be said and the calls to end.
    pub drain_timeout: Duration,
    /// SIP over TCP and TLS (`sip.tcp`, `sip.tls`, `sip.connections`).
    pub streams: StreamsConfig,
}

/// When a caller's turn is decoded with the flow's hot words as Whisper's prompt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HotWords {
    /// Never.
    Off,
    /// On every decode of speech (not of digits).
    Always,
    /// Decoded without them first; again with them when Whisper's confidence in the first
    /// transcript is under `below`, keeping the surer of the two.
    Uncertain { below: f32 },
}

/// What a caller hears from us when `sip.max_calls` calls are up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// 503 Service Unavailable with Retry-After: a proxy or trunk may try another server.
    Unavailable,
    /// 486 Busy Here: the caller hears busy.
    Busy,
}

#[derive(Debug, Clone)]
pub struct RtpConfig {
    pub address: IpAddr,
    pub port_min: u16,
    pub port_max: u16,
    pub inactivity_timeout: Duration,
    pub codecs: Vec<hotline_media::Codec>,
    /// Networks an SDP `c=` address may lie in (others get 488); from `sip.allowed_peers` when
    /// the file leaves the list empty.
    pub allowed_networks: Vec<IpNet>,
    /// Caps on each call's RTP source: datagram size and packets per second.
    pub limits: hotline_media::GuardLimits,
    /// Whether inbound calls use SRTP (SDES keys, RFC 4568).
    pub srtp: SrtpPolicy,
    /// SDES keys may be exchanged over UDP or TCP signalling (in clear), not only over TLS.
    pub srtp_over_plain_sip: bool,
}

impl RtpConfig {
    /// Whether a peer may have us send media to, and take media from, `ip`.
    pub fn media_allowed(&self, ip: IpAddr) -> bool {
        let ip = hotline_media::guard::canonical(ip);
        self.allowed_networks.iter().any(|net| net.contains(&ip))
    }
}

#[derive(Debug, Clone)]
pub struct SpeechConfig {
    pub whisper_model: WhisperChoice,
    pub asr_workers: usize,
    pub asr_threads: usize,
    pub voice: PathBuf,
    pub tts_workers: usize,
    pub tts_threads: usize,
    pub prompt_cache: bool,
    /// Where the flow's synthesised prompts are kept between runs; `None`: synthesised at each start.
    pub prompt_cache_dir: Option<PathBuf>,
    pub end_of_speech_silence: Duration,
    pub early_transcription: Duration,
    /// Said once when a caller's turn has waited `holding_after` for its transcript; empty: never.
    pub holding_phrase: String,
    /// `None`: no holding phrase.
    pub holding_after: Option<Duration>,
    /// Added to every transcription, to test a loaded server on purpose (zero in production).
    pub asr_test_delay: Duration,
    /// New calls are refused while transcriptions recently waited longer than this in the queue;
    /// `None`: never refused for load.
    pub max_asr_wait: Option<Duration>,
    pub vad_threshold: f32,
    /// When Whisper is primed with the flow's own words (its example questions and keywords).
    pub hot_words: HotWords,
    pub models_dir: PathBuf,
}

/// The admin HTTP API.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub listen: SocketAddr,
    /// Base of ticket URLs; `None`: `http://` and the bound listen address.
    pub public_url: Option<String>,
    /// `/metrics` answers without a token (for a scraper on a trusted network).
    pub metrics_open: bool,
    /// The session cookie is marked `Secure` (set when the console is served over HTTPS).
    pub secure_cookies: bool,
    /// How long a console login lasts.
    pub session_lifetime: Duration,
}

/// Delivery of handoff tickets to the CRM.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `None`: no webhook (tickets are still stored and served by the admin API).
    pub url: Option<String>,
    /// Signs each POST (`X-Hotline-Signature`); `None`: bodies go unsigned.
    pub secret: Option<String>,
    pub max_attempts: u32,
    pub first_retry: Duration,
}

/// Where the human agents and their queues are described.
#[derive(Debug, Clone)]
pub struct AgentsConfig {
    pub file: PathBuf,
    pub queues: PathBuf,
    /// Shortest registration a phone may ask for (shorter asks get 423 Interval Too Brief).
    pub min_registration: Duration,
    /// The digest algorithms the registrar challenges with, in order.
    pub digest: Vec<hotline_sip::DigestAlgorithm>,
    /// Where INVITEs to external agents whose URI names a host (not an IP) are sent.
    pub trunk: Option<SocketAddr>,
}

/// Where campaign files and the SIP trunks they call through are.
#[derive(Debug, Clone)]
pub struct CampaignsConfig {
    /// `campaigns/`: `NAME` is `dir/NAME.yaml`.
    pub dir: PathBuf,
    /// `sip-config/trunks.yaml` (a missing file: no trunks, so no campaign can start).
    pub trunks: PathBuf,
}

/// The validated configuration the server runs on.
#[derive(Debug, Clone)]
pub struct Config {
    pub sip: SipConfig,
    pub rtp: RtpConfig,
    pub speech: SpeechConfig,
    pub flow_file: PathBuf,
    pub database: PathBuf,
    /// Transcripts, journals and recordings of calls older than this many days are deleted;
    /// 0 keeps them for ever.
    pub retention_days: u32,
    pub admin: AdminConfig,
    pub webhook: WebhookConfig,
    pub agents: AgentsConfig,
    pub campaigns: CampaignsConfig,
    /// The quality-inspection rules every ended call is scored by (`inspection/rules.yaml`).
    pub inspection_rules: PathBuf,
}

impl Config {
    /// The embedded defaults, optionally overlaid with a user file.
    pub fn load(user_file: Option<&Path>) -> Result<Config, HotlineError> {
        let defaults = parse_raw(EMBEDDED_DEFAULTS, "<embedded sip-config/hotline.yaml>")?;
        let merged = match user_file {
            None => defaults,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| HotlineError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                let user = parse_raw(&text, &path.display().to_string())?;
                overlay(defaults, user)
            }
        };
        let file = user_file
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "<embedded defaults>".into());
        validate(merged, &file)
    }
}

fn parse_raw(text: &str, file: &str) -> Result<RawConfig, HotlineError> {
    serde_saphyr::from_str(text).map_err(|e| HotlineError::Config {
        file: file.to_string(),
        field: String::new(),
        reason: e.to_string(),
    })
}

macro_rules! take {
    ($user:expr, $default:expr) => {
        $user.or($default)
    };
}

fn overlay(mut d: RawConfig, mut u: RawConfig) -> RawConfig {
    let streams = transport::RawStreams::overlay(
        transport::RawStreams {
            tcp: std::mem::take(&mut d.sip.tcp),
            tls: std::mem::take(&mut d.sip.tls),
            connections: std::mem::take(&mut d.sip.connections),
        },
        transport::RawStreams {
            tcp: std::mem::take(&mut u.sip.tcp),
            tls: std::mem::take(&mut u.sip.tls),
            connections: std::mem::take(&mut u.sip.connections),
        },
    );
    RawConfig {
        sip: RawSip {
            listen: take!(u.sip.listen, d.sip.listen),
            user_agent: take!(u.sip.user_agent, d.sip.user_agent),
            allowed_peers: take!(u.sip.allowed_peers, d.sip.allowed_peers),
            allowed: RawAllowed {
                call: take!(u.sip.allowed.call, d.sip.allowed.call),
                register: take!(u.sip.allowed.register, d.sip.allowed.register),
                other: take!(u.sip.allowed.other, d.sip.allowed.other),
            },
            flood: RawFlood {
                requests: take!(u.sip.flood.requests, d.sip.flood.requests),
                interval: take!(u.sip.flood.interval, d.sip.flood.interval),
                block_for: take!(u.sip.flood.block_for, d.sip.flood.block_for),
            },
            max_calls: take!(u.sip.max_calls, d.sip.max_calls),
            when_full: take!(u.sip.when_full, d.sip.when_full),
            retry_after: take!(u.sip.retry_after, d.sip.retry_after),
            answer_after: take!(u.sip.answer_after, d.sip.answer_after),
            shutdown_goodbye: take!(u.sip.shutdown_goodbye, d.sip.shutdown_goodbye),
            drain_timeout: take!(u.sip.drain_timeout, d.sip.drain_timeout),
            tcp: streams.tcp,
            tls: streams.tls,
            connections: streams.connections,
        },
        rtp: RawRtp {
            address: take!(u.rtp.address, d.rtp.address),
            port_min: take!(u.rtp.port_min, d.rtp.port_min),
            port_max: take!(u.rtp.port_max, d.rtp.port_max),
            inactivity_timeout: take!(u.rtp.inactivity_timeout, d.rtp.inactivity_timeout),
            codecs: take!(u.rtp.codecs, d.rtp.codecs),
            allowed_networks: take!(u.rtp.allowed_networks, d.rtp.allowed_networks),
            max_packet_size: take!(u.rtp.max_packet_size, d.rtp.max_packet_size),
            max_packet_rate: take!(u.rtp.max_packet_rate, d.rtp.max_packet_rate),
            srtp: take!(u.rtp.srtp, d.rtp.srtp),
            srtp_over_plain_sip: take!(u.rtp.srtp_over_plain_sip, d.rtp.srtp_over_plain_sip),
        },
        speech: RawSpeech {
            whisper_model: take!(u.speech.whisper_model, d.speech.whisper_model),
            asr_workers: take!(u.speech.asr_workers, d.speech.asr_workers),
            asr_threads: take!(u.speech.asr_threads, d.speech.asr_threads),
            voice: take!(u.speech.voice, d.speech.voice),
            tts_workers: take!(u.speech.tts_workers, d.speech.tts_workers),
            tts_threads: take!(u.speech.tts_threads, d.speech.tts_threads),
            prompt_cache: take!(u.speech.prompt_cache, d.speech.prompt_cache),
            prompt_cache_dir: take!(u.speech.prompt_cache_dir, d.speech.prompt_cache_dir),
            end_of_speech_silence: take!(
                u.speech.end_of_speech_silence,
                d.speech.end_of_speech_silence
            ),
            early_transcription: take!(u.speech.early_transcription, d.speech.early_transcription),
            holding_phrase: take!(u.speech.holding_phrase, d.speech.holding_phrase),
            holding_after: take!(u.speech.holding_after, d.speech.holding_after),
            asr_test_delay: take!(u.speech.asr_test_delay, d.speech.asr_test_delay),
            max_asr_wait: take!(u.speech.max_asr_wait, d.speech.max_asr_wait),
            vad_threshold: take!(u.speech.vad_threshold, d.speech.vad_threshold),
            hot_words: take!(u.speech.hot_words, d.speech.hot_words),
            hot_words_below: take!(u.speech.hot_words_below, d.speech.hot_words_below),
            models_dir: take!(u.speech.models_dir, d.speech.models_dir),
        },
        flows: RawFlows {
            file: take!(u.flows.file, d.flows.file),
        },
        store: RawStore {
            database: take!(u.store.database, d.store.database),
            retention_days: take!(u.store.retention_days, d.store.retention_days),
        },
        admin: RawAdmin {
            listen: take!(u.admin.listen, d.admin.listen),
            public_url: take!(u.admin.public_url, d.admin.public_url),
            metrics_open: take!(u.admin.metrics_open, d.admin.metrics_open),
            secure_cookies: take!(u.admin.secure_cookies, d.admin.secure_cookies),
            session_hours: take!(u.admin.session_hours, d.admin.session_hours),
        },
        webhook: RawWebhook {
            url: take!(u.webhook.url, d.webhook.url),
            secret: take!(u.webhook.secret, d.webhook.secret),
            max_attempts: take!(u.webhook.max_attempts, d.webhook.max_attempts),
            first_retry: take!(u.webhook.first_retry, d.webhook.first_retry),
        },
        agents: RawAgents {
            file: take!(u.agents.file, d.agents.file),
            queues: take!(u.agents.queues, d.agents.queues),
            min_registration: take!(u.agents.min_registration, d.agents.min_registration),
            digest: take!(u.agents.digest, d.agents.digest),
            trunk: take!(u.agents.trunk, d.agents.trunk),
        },
        campaigns: RawCampaigns {
            dir: take!(u.campaigns.dir, d.campaigns.dir),
            trunks: take!(u.campaigns.trunks, d.campaigns.trunks),
        },
        inspection: RawInspection {
            rules: take!(u.inspection.rules, d.inspection.rules),
        },
    }
}

fn bad(file: &str, field: &str, reason: impl Into<String>) -> HotlineError {
    HotlineError::Config {
        file: file.to_string(),
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// CIDRs or bare addresses, as in `sip.allowed_peers`.
fn networks(list: Vec<String>, file: &str, field: &str) -> Result<Vec<IpNet>, HotlineError> {
    list.iter()
        .map(|text| {
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| bad(file, field, format!("{text:?} is not a CIDR or address")))
        })
        .collect()
}

fn required<T>(value: Option<T>, file: &str, field: &str) -> Result<T, HotlineError> {
    value.ok_or_else(|| bad(file, field, "missing"))
}

fn validate(mut raw: RawConfig, file: &str) -> Result<Config, HotlineError> {
    let hot_words = hot_words(&raw.speech, file)?;
    let streams = transport::validate(
        transport::RawStreams {
            tcp: std::mem::take(&mut raw.sip.tcp),
            tls: std::mem::take(&mut raw.sip.tls),
            connections: std::mem::take(&mut raw.sip.connections),
        },
        file,
    )?;
    let listen: SocketAddr = required(raw.sip.listen, file, "sip.listen")?
        .parse()
        .map_err(|_| {
            bad(
                file,
                "sip.listen",
                "expected an address like 127.0.0.1:5060",
            )
        })?;
    let allowed_peers = networks(
        required(raw.sip.allowed_peers, file, "sip.allowed_peers")?,
        file,
        "sip.allowed_peers",
    )?;
    let class_networks = |list: Option<Vec<String>>, field: &str| match list {
        Some(list) => networks(list, file, field),
        None => Ok(allowed_peers.clone()),
    };
    let access = hotline_sip::AccessPolicy {
        call: class_networks(raw.sip.allowed.call, "sip.allowed.call")?,
        register: class_networks(raw.sip.allowed.register, "sip.allowed.register")?,
        other: class_networks(raw.sip.allowed.other, "sip.allowed.other")?,
    };
    let flood = match required(raw.sip.flood.requests, file, "sip.flood.requests")? {
        0 => None,
        requests => Some(hotline_sip::FloodLimit {
            requests,
            interval: positive(raw.sip.flood.interval, file, "sip.flood.interval")?,
            block_for: positive(raw.sip.flood.block_for, file, "sip.flood.block_for")?,
            ..hotline_sip::FloodLimit::default()
        }),
    };
    let when_full = match required(raw.sip.when_full, file, "sip.when_full")?.as_str() {
        "unavailable" | "503" => WhenFull::Unavailable,
        "busy" | "486" => WhenFull::Busy,
        other => {
            return Err(bad(
                file,
                "sip.when_full",
                format!("{other:?}: expected unavailable (503) or busy (486)"),
            ))
        }
    };
    let mut allowed_networks = networks(
        required(raw.rtp.allowed_networks, file, "rtp.allowed_networks")?,
        file,
        "rtp.allowed_networks",
    )?;
    if allowed_networks.is_empty() {
        allowed_networks = allowed_peers.clone();
    }
    let max_packet_size = required(raw.rtp.max_packet_size, file, "rtp.max_packet_size")?;
    if !(200..=65_535).contains(&max_packet_size) {
        return Err(bad(
            file,
            "rtp.max_packet_size",
            "must lie between 200 and 65535 bytes (20 ms of G.711 is 172)",
        ));
    }
    let max_packet_rate = required(raw.rtp.max_packet_rate, file, "rtp.max_packet_rate")?;
    if max_packet_rate < 100 {
        return Err(bad(
            file,
            "rtp.max_packet_rate",
            "must be at least 100 packets/s (a 20 ms stream with RFC 4733 digits sends up to 100)",
        ));
    }
    let srtp = match required(raw.rtp.srtp, file, "rtp.srtp")?.as_str() {
        "off" => SrtpPolicy::Off,
        "optional" => SrtpPolicy::Optional,
        "required" => SrtpPolicy::Required,
        other => {
            return Err(bad(
                file,
                "rtp.srtp",
                format!("{other:?} is not one of off, optional, required"),
            ))
        }
    };
    let srtp_over_plain_sip =
        required(raw.rtp.srtp_over_plain_sip, file, "rtp.srtp_over_plain_sip")?;
    let address: IpAddr = required(raw.rtp.address, file, "rtp.address")?
        .parse()
        .map_err(|_| bad(file, "rtp.address", "expected an IP address"))?;
    let port_min = required(raw.rtp.port_min, file, "rtp.port_min")?;
    let port_max = required(raw.rtp.port_max, file, "rtp.port_max")?;
    if port_min > port_max || port_min < 1024 {
        return Err(bad(
            file,
            "rtp.port_min",
            "needs 1024 <= port_min <= port_max",
        ));
    }
    let mut codecs = Vec::new();
    for name in required(raw.rtp.codecs, file, "rtp.codecs")? {
        codecs.push(match name.to_ascii_lowercase().as_str() {
            "pcmu" | "ulaw" => hotline_media::Codec::Pcmu,
            "pcma" | "alaw" => hotline_media::Codec::Pcma,
            other => return Err(bad(file, "rtp.codecs", format!("unknown codec {other:?}"))),
        });
    }
    if codecs.is_empty() {
        return Err(bad(file, "rtp.codecs", "at least one codec is needed"));
    }
    let whisper_model = WhisperChoice::parse(&required(
        raw.speech.whisper_model,
        file,
        "speech.whisper_model",
    )?);
    let vad_threshold = required(raw.speech.vad_threshold, file, "speech.vad_threshold")?;
    if !(0.05..=0.95).contains(&vad_threshold) {
        return Err(bad(
            file,
            "speech.vad_threshold",
            "must lie between 0.05 and 0.95",
        ));
    }
    let at_least_one = |v: Option<usize>, field: &str| -> Result<usize, HotlineError> {
        match required(v, file, field)? {
            0 => Err(bad(file, field, "must be at least 1")),
            n => Ok(n),
        }
    };
    let trunk = match non_empty(raw.agents.trunk) {
        Some(text) => Some(text.parse::<SocketAddr>().map_err(|_| {
            bad(
                file,
                "agents.trunk",
                "expected the trunk's address like 192.0.2.40:5060, or empty",
            )
        })?),
        None => None,
    };
    let admin_listen: SocketAddr = required(raw.admin.listen, file, "admin.listen")?
        .parse()
        .map_err(|_| {
            bad(
                file,
                "admin.listen",
                "expected an address like 127.0.0.1:8080",
            )
        })?;
    let public_url = non_empty(raw.admin.public_url);
    if let Some(url) = &public_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(bad(
                file,
                "admin.public_url",
                "expected an http:// or https:// URL",
            ));
        }
    }
    let webhook_url = non_empty(raw.webhook.url);
    if let Some(url) = &webhook_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(bad(
                file,
                "webhook.url",
                "expected an http:// or https:// URL",
            ));
        }
    }
    let max_attempts = match required(raw.webhook.max_attempts, file, "webhook.max_attempts")? {
        0 => return Err(bad(file, "webhook.max_attempts", "must be at least 1")),
        n => n,
    };
    Ok(Config {
        admin: AdminConfig {
            listen: admin_listen,
            public_url,
            metrics_open: required(raw.admin.metrics_open, file, "admin.metrics_open")?,
            secure_cookies: required(raw.admin.secure_cookies, file, "admin.secure_cookies")?,
            session_lifetime: match required(raw.admin.session_hours, file, "admin.session_hours")?
            {
                0 => return Err(bad(file, "admin.session_hours", "must be at least 1")),
                hours => Duration::from_secs(u64::from(hours) * 3600),
            },
        },
        webhook: WebhookConfig {
            url: webhook_url,
            secret: non_empty(raw.webhook.secret),
            max_attempts,
            first_retry: duration(raw.webhook.first_retry, file, "webhook.first_retry")?,
        },
        agents: AgentsConfig {
            file: PathBuf::from(required(raw.agents.file, file, "agents.file")?),
            queues: PathBuf::from(required(raw.agents.queues, file, "agents.queues")?),
            min_registration: duration(
                raw.agents.min_registration,
                file,
                "agents.min_registration",
            )?,
            digest: digest_algorithms(required(raw.agents.digest, file, "agents.digest")?, file)?,
            trunk,
        },
        campaigns: CampaignsConfig {
            dir: PathBuf::from(required(raw.campaigns.dir, file, "campaigns.dir")?),
            trunks: PathBuf::from(required(raw.campaigns.trunks, file, "campaigns.trunks")?),
        },
        inspection_rules: PathBuf::from(required(raw.inspection.rules, file, "inspection.rules")?),
        sip: SipConfig {
            listen,
            user_agent: required(raw.sip.user_agent, file, "sip.user_agent")?,
            access,
            flood,
            max_calls: at_least_one(raw.sip.max_calls, "sip.max_calls")?,
            when_full,
            retry_after: duration(raw.sip.retry_after, file, "sip.retry_after")?,
            answer_after: duration(raw.sip.answer_after, file, "sip.answer_after")?,
            shutdown_goodbye: required(raw.sip.shutdown_goodbye, file, "sip.shutdown_goodbye")?,
            drain_timeout: duration(raw.sip.drain_timeout, file, "sip.drain_timeout")?,
            streams,
        },
        rtp: RtpConfig {
            address,
            port_min,
            port_max,
            inactivity_timeout: duration(
                raw.rtp.inactivity_timeout,
                file,
                "rtp.inactivity_timeout",
            )?,
            codecs,
            allowed_networks,
            limits: hotline_media::GuardLimits {
                max_packet_size,
                max_packets_per_second: max_packet_rate,
            },
            srtp,
            srtp_over_plain_sip,
        },
        speech: SpeechConfig {
            whisper_model,
            asr_workers: at_least_one(raw.speech.asr_workers, "speech.asr_workers")?,
            asr_threads: at_least_one(raw.speech.asr_threads, "speech.asr_threads")?,
            voice: PathBuf::from(required(raw.speech.voice, file, "speech.voice")?),
            tts_workers: at_least_one(raw.speech.tts_workers, "speech.tts_workers")?,
            tts_threads: at_least_one(raw.speech.tts_threads, "speech.tts_threads")?,
            prompt_cache: required(raw.speech.prompt_cache, file, "speech.prompt_cache")?,
            prompt_cache_dir: non_empty(raw.speech.prompt_cache_dir).map(PathBuf::from),
            end_of_speech_silence: duration(
                raw.speech.end_of_speech_silence,
                file,
                "speech.end_of_speech_silence",
            )?,
            early_transcription: duration(
                raw.speech.early_transcription,
                file,
                "speech.early_transcription",
            )?,
            holding_phrase: raw
                .speech
                .holding_phrase
                .unwrap_or_default()
                .trim()
                .to_string(),
            holding_after: Some(duration(
                raw.speech.holding_after,
                file,
                "speech.holding_after",
            )?)
            .filter(|d| !d.is_zero()),
            asr_test_delay: duration(raw.speech.asr_test_delay, file, "speech.asr_test_delay")?,
            max_asr_wait: Some(duration(
                raw.speech.max_asr_wait,
                file,
                "speech.max_asr_wait",
            )?)
            .filter(|d| !d.is_zero()),
            vad_threshold,
            hot_words,
            models_dir: PathBuf::from(required(raw.speech.models_dir, file, "speech.models_dir")?),
        },
        flow_file: PathBuf::from(required(raw.flows.file, file, "flows.file")?),
        database: PathBuf::from(required(raw.store.database, file, "store.database")?),
        retention_days: raw.store.retention_days.unwrap_or(0),
    })
}

/// An empty or blank string means "not set".
fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl AdminConfig {
    /// The base of ticket URLs: `public_url`, else `http://` and the address the API is bound to.
    pub fn base_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{bound}"),
        }
    }
}

/// `[SHA-256, MD5]`, in the order challenged; at least one.
fn digest_algorithms(
    names: Vec<String>,
    file: &str,
) -> Result<Vec<hotline_sip::DigestAlgorithm>, HotlineError> {
    let field = "agents.digest";
    let algorithms = names
        .iter()
        .map(|name| {
            hotline_sip::DigestAlgorithm::parse(Some(name))
                .ok_or_else(|| bad(file, field, format!("{name:?}: expected SHA-256 or MD5")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if algorithms.is_empty() {
        return Err(bad(file, field, "at least one algorithm is needed"));
    }
    Ok(algorithms)
}

/// `speech.hot_words` (`false`, `true`, `off`, `always`, `uncertain`) with `speech.hot_words_below`.
fn hot_words(speech: &RawSpeech, file: &str) -> Result<HotWords, HotlineError> {
    let field = "speech.hot_words";
    let below = || {
        let below = required(speech.hot_words_below, file, "speech.hot_words_below")?;
        if below > 0.0 && below <= 1.0 {
            Ok(below)
        } else {
            Err(bad(
                file,
                "speech.hot_words_below",
                format!("{below} is not a confidence above 0 and at most 1"),
            ))
        }
    };
    match required(speech.hot_words.clone(), file, field)? {
        RawHotWords::Flag(false) => Ok(HotWords::Off),
        RawHotWords::Flag(true) => Ok(HotWords::Always),
        RawHotWords::Mode(mode) => match mode.as_str() {
            "off" => Ok(HotWords::Off),
            "always" => Ok(HotWords::Always),
            "uncertain" => Ok(HotWords::Uncertain { below: below()? }),
            other => Err(bad(
                file,
                field,
                format!("{other:?}: expected off, always or uncertain"),
            )),
        },
    }
}

/// A duration above zero.
fn positive(value: Option<String>, file: &str, field: &str) -> Result<Duration, HotlineError> {
    match duration(value, file, field)? {
        d if d.is_zero() => Err(bad(file, field, "must be longer than 0s")),
        d => Ok(d),
    }
}

fn duration(value: Option<String>, file: &str, field: &str) -> Result<Duration, HotlineError> {
    let text = required(value, file, field)?;
    parse_duration(&text).ok_or_else(|| {
        bad(
            file,
            field,
            format!("{text:?} is not a duration like 500ms or 30s"),
        )
    })
}

/// Parses `500ms`, `30s`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let n: f64 = number.trim().parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_validate() {
        let c = Config::load(None).expect("defaults are valid");
        assert_eq!(c.sip.listen, "127.0.0.1:5060".parse().unwrap());
        assert_eq!(c.rtp.inactivity_timeout, Duration::from_secs(30));
        assert_eq!(c.speech.whisper_model, WhisperChoice::Base);
        assert!(c
            .sip
            .access
            .call
            .iter()
            .any(|n| n.contains(&"127.0.0.1".parse::<IpAddr>().unwrap())));
    }

    #[test]
    fn media_networks_follow_the_sip_peers_unless_listed() {
        let dir = std::env::temp_dir().join(format!("hotline-media-nets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.yaml");
        std::fs::write(&path, "sip:\n  allowed_peers: [10.0.0.0/8]\n").unwrap();
        let c = Config::load(Some(&path)).unwrap();
        assert!(c.rtp.media_allowed("10.1.2.3".parse().unwrap()));
        assert!(!c.rtp.media_allowed("192.0.2.1".parse().unwrap()));
        assert_eq!(c.rtp.limits, hotline_media::GuardLimits::default());
        std::fs::write(
            &path,
            "sip:\n  allowed_peers: [10.0.0.0/8]\nrtp:\n  allowed_networks: [192.0.2.0/24]\n",
        )
        .unwrap();
        let c = Config::load(Some(&path)).unwrap();
        assert!(!c.rtp.media_allowed("10.1.2.3".parse().unwrap()));
        assert!(c.rtp.media_allowed("::ffff:192.0.2.1".parse().unwrap()));
        std::fs::write(&path, "rtp:\n  max_packet_rate: 20\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("rtp.max_packet_rate"), "{err}");
        assert_eq!(c.rtp.srtp, SrtpPolicy::Optional);
        assert!(!c.rtp.srtp_over_plain_sip);
        std::fs::write(&path, "rtp:\n  srtp: required\n").unwrap();
        assert_eq!(
            Config::load(Some(&path)).unwrap().rtp.srtp,
            SrtpPolicy::Required
        );
        std::fs::write(&path, "rtp:\n  srtp: off\n").unwrap();
        assert_eq!(Config::load(Some(&path)).unwrap().rtp.srtp, SrtpPolicy::Off);
        std::fs::write(&path, "rtp:\n  srtp: always\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(
            err.contains("rtp.srtp") && err.contains("off, optional, required"),
            "{err}"
        );
        std::fs::write(&path, "rtp:\n  allowed_networks: [lan]\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("rtp.allowed_networks"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn user_file_overrides_only_what_it_names() {
        let dir = std::env::temp_dir().join(format!("hotline-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.yaml");
        std::fs::write(
            &path,
            "sip:\n  listen: 127.0.0.1:5080\nspeech:\n  whisper_model: tiny.en\n",
        )
        .unwrap();
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.sip.listen.port(), 5080);
        assert_eq!(c.speech.whisper_model, WhisperChoice::TinyEn);
        assert_eq!(c.rtp.port_min, 20000);
    }

    #[test]
    fn bad_values_name_the_field() {
        let dir = std::env::temp_dir().join(format!("hotline-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.yaml");
        std::fs::write(&path, "rtp:\n  inactivity_timeout: soon\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("rtp.inactivity_timeout"), "{err}");
        std::fs::write(&path, "rtp:\n  colour: red\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn hot_words_take_a_flag_or_a_mode() {
        let dir = std::env::temp_dir().join(format!("hotline-config-hot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.yaml");
        let load = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Config::load(Some(&path)).map(|c| c.speech.hot_words)
        };
        assert_eq!(
            load("speech:\n  hot_words: true\n").unwrap(),
            HotWords::Always
        );
        assert_eq!(
            load("speech:\n  hot_words: false\n").unwrap(),
            HotWords::Off
        );
        assert_eq!(
            load("speech:\n  hot_words: uncertain\n  hot_words_below: 0.7\n").unwrap(),
            HotWords::Uncertain { below: 0.7 }
        );
        let err = load("speech:\n  hot_words: sometimes\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("speech.hot_words") && err.contains("uncertain"),
            "{err}"
        );
        let err = load("speech:\n  hot_words: uncertain\n  hot_words_below: 1.5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("speech.hot_words_below"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn admin_webhook_and_agents_defaults_and_overrides() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.admin.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.admin.public_url, None);
        assert!(
            !c.admin.metrics_open,
            "/metrics needs a token unless opened"
        );
        assert!(!c.admin.secure_cookies);
        assert_eq!(c.admin.session_lifetime, Duration::from_secs(12 * 3600));
        assert_eq!(c.webhook.url, None, "an empty url turns the webhook off");
        assert_eq!(c.webhook.max_attempts, 10);
        assert_eq!(c.webhook.first_retry, Duration::from_secs(2));
        assert_eq!(c.agents.file, PathBuf::from("sip-config/agents.yaml"));
        assert_eq!(c.agents.queues, PathBuf::from("sip-config/queues.yaml"));
        let bound = "127.0.0.1:9999".parse().unwrap();
        assert_eq!(c.admin.base_url(bound), "http://127.0.0.1:9999");

        let dir = std::env::temp_dir().join(format!("hotline-config-admin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.yaml");
        std::fs::write(
            &path,
            "admin:\n  public_url: https://hotline.example/\nwebhook:\n  url: http://crm.local/hook\n  first_retry: 500ms\n",
        )
        .unwrap();
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.admin.base_url(bound), "https://hotline.example");
        assert_eq!(c.webhook.url.as_deref(), Some("http://crm.local/hook"));
        assert_eq!(c.webhook.first_retry, Duration::from_millis(500));
        assert_eq!(c.webhook.max_attempts, 10);
        std::fs::write(&path, "webhook:\n  url: crm.local\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("webhook.url"), "{err}");
        std::fs::write(&path, "admin:\n  listen: everywhere\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("admin.listen"), "{err}");
        std::fs::write(&path, "admin:\n  session_hours: 0\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("admin.session_hours"), "{err}");
        std::fs::write(
            &path,
            "admin:\n  metrics_open: true\n  secure_cookies: true\n",
        )
        .unwrap();
        let c = Config::load(Some(&path)).unwrap();
        assert!(c.admin.metrics_open && c.admin.secure_cookies);
    }

    #[test]
    fn sip_safety_settings_default_to_allowed_peers_and_can_be_split() {
        let c = Config::load(None).unwrap();
        let loopback: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        assert_eq!(c.sip.access.call, loopback);
        assert_eq!(c.sip.access.register, loopback);
        assert_eq!(c.sip.access.other, loopback);
        assert_eq!(c.sip.when_full, WhenFull::Unavailable);
        let flood = c.sip.flood.expect("a flood limit by default");
        assert_eq!(flood.requests, 100);

        let dir = std::env::temp_dir().join(format!("hotline-config-sip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.yaml");
        std::fs::write(
            &path,
            "sip:\n  allowed_peers: [192.0.2.0/24]\n  allowed:\n    register: [10.0.0.0/8]\n    other: []\n  when_full: busy\n  flood:\n    requests: 0\n",
        )
        .unwrap();
        let c = Config::load(Some(&path)).unwrap();
        let trunk: IpNet = "192.0.2.0/24".parse().unwrap();
        assert_eq!(c.sip.access.call, vec![trunk]);
        assert_eq!(
            c.sip.access.register,
            vec!["10.0.0.0/8".parse::<IpNet>().unwrap()]
        );
        assert!(c.sip.access.other.is_empty(), "an empty list admits nobody");
        assert_eq!(c.sip.when_full, WhenFull::Busy);
        assert_eq!(c.sip.flood, None);
        assert_eq!(
            Config::load(None).unwrap().agents.digest,
            vec![hotline_sip::DigestAlgorithm::Md5]
        );
        std::fs::write(&path, "agents:\n  digest: [sha-256, MD5]\n").unwrap();
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.agents.digest, hotline_sip::DigestAlgorithm::ALL.to_vec());
        std::fs::write(&path, "agents:\n  digest: [sha-1]\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("agents.digest"), "{err}");
        std::fs::write(&path, "sip:\n  when_full: maybe\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("sip.when_full"), "{err}");
        std::fs::write(&path, "sip:\n  allowed:\n    call: [nowhere]\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("sip.allowed.call"), "{err}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("soon"), None);
    }
}
