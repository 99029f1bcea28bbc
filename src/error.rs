//! The binary's one error enum: configuration, storage, models and call-path failures.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HotlineError {
    #[error("{file}: {field}{}{reason}", if field.is_empty() { "" } else { ": " })]
    Config {
        file: String,
        field: String,
        reason: String,
    },
    /// The quality-inspection rules file (`inspection.rules`) cannot be used.
    #[error("{}:{line}:{column}: {reason}", file.display())]
    InspectionRules {
        file: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: agent(s) {} still have the example password, and {listen} lets other machines register: \
         anyone could register as that agent and take its calls; set a password of your own in {} \
         (or keep sip.listen on 127.0.0.1, or sip.allowed.register on loopback)",
        file.display(), agents.join(", "), file.display()
    )]
    ExamplePasswords {
        file: PathBuf,
        agents: Vec<String>,
        listen: std::net::SocketAddr,
    },
    #[error("socket {addr}: {source}")]
    Socket {
        addr: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Store(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("flow {file} has errors:\n{report}")]
    Flow { file: String, report: String },
    #[error(transparent)]
    Models(#[from] hotline_models::ModelsError),
    #[error(transparent)]
    Onnx(#[from] hotline_onnx::OnnxError),
    #[error(transparent)]
    Listen(#[from] hotline_listen::ListenError),
    #[error(transparent)]
    Speak(#[from] hotline_speak::SpeakError),
    #[error("no free RTP port between {min} and {max}")]
    NoRtpPort { min: u16, max: u16 },
    #[error(transparent)]
    Mood(hotline_mood::MoodError),
    #[error(transparent)]
    Agents(#[from] hotline_acd::AcdError),
    #[error("intent model: {0}")]
    Nlu(String),
    #[error(transparent)]
    NluModel(#[from] hotline_nlu::NluError),
    #[error("HTTP client: {0}")]
    Http(String),
    #[error("Whisper failed its first run at start-up: {reason}")]
    WarmUp { reason: String },
    #[error("the transcription was cancelled before it started")]
    TranscriptionCancelled,
    #[error("{what} worker pool has stopped")]
    PoolStopped { what: &'static str },
    #[error("WAV {}: {reason}", path.display())]
    Wav { path: PathBuf, reason: String },
    #[error("dial: {0}")]
    Dial(String),
    #[error(
        "cannot listen on {addr} for the admin API (admin.listen, or --admin-listen): {source}"
    )]
    AdminBind {
        addr: String,
        source: std::io::Error,
    },
    #[error("call {call}: journal entry {seq} cannot be read or written: {source}")]
    JournalEntry {
        call: String,
        seq: i64,
        source: serde_json::Error,
    },
    #[error(
        "no audio {what} device found ({detail}): hotline talk needs {needs}; on a server use \
         `hotline chat` or call over SIP"
    )]
    NoSoundDevice {
        what: &'static str,
        needs: &'static str,
        detail: String,
    },
    #[error("the sound card stopped: {reason}")]
    SoundCard { reason: String },
    /// A file a campaign or a queue's callbacks need cannot be read.
    #[error("cannot read the {what} {}: {source}", path.display())]
    Unreadable {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A campaign file, contact list or dialer event the dialer refused (file:line:column).
    #[error(transparent)]
    Campaign(#[from] hotline_dialer::DialerError),
    #[error("the campaign has no contact to call ({skipped} rows of its list skipped): `hotline campaigns check {}` says why", file.display())]
    CampaignNoContacts { file: PathBuf, skipped: usize },
    #[error("the flow {} offers no opt-out: every campaign flow must let the contact press 9 or say stop (see `hotline campaigns check`)", flow.display())]
    CampaignNoOptOut { flow: PathBuf },
    #[error("trunk `{trunk}` is not in {}", file.display())]
    TrunkUnknown { trunk: String, file: PathBuf },
    #[error("trunk `{trunk}` has no IP address: {host}")]
    TrunkAddress { trunk: String, host: String },
    #[error("the {what} of trunk `{trunk}` names an environment variable that is not set")]
    TrunkSecretUnset { trunk: String, what: &'static str },
    /// The intents or FAQ of a flow cannot be indexed with the sentence encoder.
    #[error("{file}: cannot {what}: {source}")]
    FlowIndex {
        file: String,
        what: &'static str,
        source: hotline_nlu::NluError,
    },
    /// The SIP layer refused to send an INVITE (for example a target URI it cannot parse).
    #[error(transparent)]
    Invite(#[from] hotline_sip::SipError),
    /// A webhook POST that got no answer (connection refused, timeout).
    #[error("{source}")]
    WebhookUnreachable { source: reqwest::Error },
    /// A webhook POST answered with a status other than 2xx.
    #[error("HTTP {status}")]
    WebhookRefused { status: reqwest::StatusCode },
    #[error("{what}: {value:?} is not valid; expected {expected}")]
    BadValue {
        what: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// An error and its causes as one message for a person, outermost first, joined by ": ". A cause
/// whose text the message already holds (an error that prints its source) is not repeated.
pub fn for_a_person(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if text.is_empty() || message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_reads_as_one_sentence_without_repeats() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let error = anyhow::Error::from(HotlineError::Io {
            path: PathBuf::from("flows/x.yaml"),
            source: io,
        })
        .context("loading the flow");
        assert_eq!(
            for_a_person(&error),
            "loading the flow: flows/x.yaml: No such file"
        );
    }
}
