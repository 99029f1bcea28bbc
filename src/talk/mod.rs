//! `hotline talk [FLOW]`: a flow author talks to a flow at the desk, through the sound card's
//! microphone and speaker, on the call path a phone call takes (listener, turn-taking core,
//! Whisper, flow engine, Piper), with every turn printed as text too.
//!
//! - `sound`: the default microphone and speaker through cpal, as sample queues.
//! - `session`: the 20 ms loop that moves audio between them and the call path.

mod session;
mod sound;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hotline_flow::Conversation;
use hotline_media::EndpointerConfig;

use crate::call::core::turn_taking::{TurnTaker, TurnTakingConfig};
use crate::error::HotlineError;
use crate::pools::{AsrPool, Listener, TtsPool};
use session::{Engines, Talk};

pub use session::Limits;

/// How `hotline talk` runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct TalkOptions {
    pub limits: Limits,
    /// Let the caller speak over the bot when the flow allows it (with headphones only: the
    /// microphone hears the speaker).
    pub barge_in: bool,
}

/// Opens the sound card, loads the models and the flow, and talks until the flow ends the
/// conversation, a limit is reached or the user presses Ctrl-C.
pub async fn talk(
    config_file: Option<&Path>,
    flow_file: &Path,
    options: TalkOptions,
) -> Result<(), HotlineError> {
    // The sound card first: without one there is nothing to load the models for.
    let card = sound::SoundCard::open()?;
    let config = crate::config::Config::load(config_file)?;
    let models = crate::server::model_paths(&config)?;
    hotline_onnx::init(&models.onnxruntime)?;
    let encoder = crate::server::load_encoder(&config.speech.models_dir)?;
    let active = crate::server::load_flow_file(flow_file, Some(&encoder))?;
    let vad = hotline_listen::SileroModel::load(&models.vad, 1)?;
    let endpointing = EndpointerConfig {
        start_threshold: config.speech.vad_threshold,
        end_threshold: (config.speech.vad_threshold - 0.15).max(0.05),
        end_silence: config.speech.end_of_speech_silence,
        ..EndpointerConfig::default()
    };
    let listener = Listener::new(&vad, endpointing, config.speech.early_transcription);
    eprintln!("loading Whisper {}", models.whisper.display());
    let asr = AsrPool::start(&models.whisper, 1, config.speech.asr_threads)?;
    asr.warm_up().await?;
    eprintln!("loading Piper voice {}", models.voice.display());
    let cache = Arc::new(crate::pools::prompt_cache::PromptCache::new(500));
    let tts = TtsPool::start(
        &models.voice,
        1,
        config.speech.tts_threads,
        Some(cache),
        None,
    )?;
    let mood = match hotline_mood::Lexicon::load(&models.lexicon) {
        Ok(lexicon) => Some(hotline_mood::MoodTracker::new(
            Arc::new(lexicon),
            hotline_mood::MoodConfig::default(),
        )),
        Err(e) => {
            eprintln!("mood lexicon unavailable ({e}); anger is not scored");
            None
        }
    };
    let settings = active.flow.settings();
    let listen = TurnTaker::new(TurnTakingConfig {
        // The speaker is heard by the microphone: without headphones the bot would interrupt
        // itself, so barge-in is the flow's only with --barge-in (see docs/flows.md).
        barge_in: settings.barge_in && options.barge_in,
        holding_after: config.speech.holding_after,
    });
    let mut conversation = Conversation::new(Arc::clone(&active.flow), Arc::clone(&active.matcher));
    if let Some(faq) = &active.faq {
        conversation = conversation.with_faq(Arc::clone(faq));
    }
    // Today's date (UTC) for date slots ("tomorrow"), as on a call.
    let today = chrono::Utc::now().date_naive();
    {
        use chrono::Datelike;
        if let Some(date) =
            hotline_flow::CalendarDate::new(today.year(), today.month(), today.day())
        {
            conversation = conversation.with_today(date);
        }
    }
    let engines = Engines {
        asr,
        tts,
        listener,
        mood,
        holding_phrase: config.speech.holding_phrase.clone(),
        hot_words: config.speech.hot_words,
        http: reqwest::Client::new(),
    };
    eprintln!(
        "talking to {} ({}) through the {}; speak after the greeting, Ctrl-C to stop",
        active.flow.name(),
        flow_file.display(),
        card.description
    );
    let (talk, internal) = Talk::new(conversation, engines, listen, std::io::stdout());
    card.start()?;
    let ended = tokio::select! {
        ended = talk.run(&card, internal, options.limits) => ended?,
        _ = tokio::signal::ctrl_c() => "stopped (Ctrl-C)".to_string(),
    };
    // Let the speaker play what it still holds (the last words) before the card closes.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while !card.speaker.is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("talk ended: {ended}");
    Ok(())
}
