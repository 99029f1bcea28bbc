//! The task that owns one call (inbound, or a campaign call once answered): RTP both ways, the listener, the flow, ASR and TTS jobs.
//!
//! It `select!`s over RTP packets (each frame goes through the call's listener at once), the
//! 20 ms send clock, ASR results, TTS audio, the no-input and inactivity deadlines, and dialog
//! events. Whisper and Piper never run here: the task only submits jobs and awaits their
//! answers, so pacing holds however slow a model is. Silero, a fraction of a millisecond per
//! 32 ms window and only on windows loud enough to be speech, runs inline in the listener.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_flow::{CallerInput, Conversation};
use hotline_media::{EndpointerConfig, Pacer};
use tokio::sync::mpsc;

use super::core::journal::JournalInput;
use super::core::requests::Requests;
use super::core::turn_taking::{TurnTaker, TurnTakingConfig};
use super::rtp::Incoming;
use super::task::{AfterSpeech, CallTask, Internal, Speech};
use super::turn::Turn;
use super::{
    codec_name, dtmf_from_info, local_sdp, media_from_answer, media_refusal, rtp_guard, CallSetup,
    DialogEvent, Playout, RtpLink,
};
use crate::pools::{Listener, TtsChunk};
use crate::server::{Services, SipCommand};
use crate::store::{unix_ms, CallRecord};

pub async fn run_inbound(
    setup: CallSetup,
    services: Arc<Services>,
    commands: mpsc::UnboundedSender<SipCommand>,
    mut dialog: mpsc::UnboundedReceiver<DialogEvent>,
) {
    let sip_call = setup.sip_call.clone();
    if let Some(status) = media_refusal(&setup.media, &services.config.rtp) {
        tracing::warn!(
            source = %setup.source,
            media = ?setup.media.remote_rtp,
            "call refused: SDP c= address outside rtp.allowed_networks"
        );
        let _ = commands.send(SipCommand::Reject(sip_call.clone(), status));
        let _ = commands.send(SipCommand::Gone(sip_call));
        return;
    }
    let id = uuid::Uuid::now_v7().to_string();
    let active = services.current_flow();
    let record = CallRecord {
        id: id.clone(),
        sip_call_id: sip_call.0.clone(),
        direction: "inbound".into(),
        caller: setup.caller.clone(),
        callee: setup.callee.clone(),
        source: setup.source.to_string(),
        started_at: unix_ms(),
        answered_at: None,
        ended_at: None,
        hangup_cause: None,
        codec: None,
        flow_name: Some(active.flow.name().to_string()),
        flow_version: Some(active.flow.version_hash().to_string()),
        caller_key: Some(setup.caller_key.clone()),
    };
    if let Err(e) = services.store.call_started(&record).await {
        tracing::error!("cannot record call {id}: {e}");
        let _ = commands.send(SipCommand::Reject(sip_call.clone(), 500));
        let _ = commands.send(SipCommand::Gone(sip_call));
        return;
    }
    let cause =
        match answer_and_talk(&id, setup, &services, &commands, &mut dialog, active, None).await {
            Ok(cause) => cause,
            Err(e) => {
                tracing::error!("call {id} failed: {e}");
                let _ = commands.send(SipCommand::Hangup(sip_call.clone()));
                "server-error".to_string()
            }
        };
    tracing::info!("call {id} ended: {cause}");
    if let Err(e) = services.store.call_ended(&id, unix_ms(), &cause).await {
        tracing::error!("cannot record the end of call {id}: {e}");
    }
    let _ = commands.send(SipCommand::Gone(sip_call));
}

/// What differs for a call Hotline placed (a campaign call): the RTP socket its offer named, the
/// flow's variables for this contact; the call is already answered.
pub(super) struct Outbound {
    pub socket: std::net::UdpSocket,
    pub variables: Vec<(String, String)>,
}

/// Answers an inbound call (or takes an answered outbound one) and runs its flow until the end;
/// returns the hang-up cause.
pub(super) async fn answer_and_talk(
    id: &str,
    setup: CallSetup,
    services: &Arc<Services>,
    commands: &mpsc::UnboundedSender<SipCommand>,
    dialog: &mut mpsc::UnboundedReceiver<DialogEvent>,
    active: Arc<crate::server::ActiveFlow>,
    mut outbound: Option<Outbound>,
) -> Result<String, crate::error::HotlineError> {
    let config = &services.config;
    let socket = match outbound.as_mut() {
        Some(o) => o
            .socket
            .try_clone()
            .map_err(|source| crate::error::HotlineError::Socket {
                addr: "rtp".into(),
                source,
            })?,
        None => services.bind_rtp()?,
    };
    let local_rtp = socket
        .local_addr()
        .map_err(|source| crate::error::HotlineError::Socket {
            addr: "rtp".into(),
            source,
        })?;
    let plan = setup.media;
    let sdp = local_sdp(
        &plan,
        local_rtp,
        rand::random::<u32>() as u64,
        &config.rtp.codecs,
    );
    let mut link = RtpLink::new(
        socket,
        rtp_guard(&config.rtp, plan.remote_rtp, setup.source.ip()),
        plan.codec,
        plan.payload_type,
        plan.dtmf_payload_type,
    )?;
    if let Some(keys) = &plan.srtp {
        link.use_srtp(keys);
        tracing::info!(
            "call {id}: media is SRTP ({}, SDES keys)",
            keys.ours.suite.name()
        );
    }

    let endpointing = EndpointerConfig {
        start_threshold: config.speech.vad_threshold,
        end_threshold: (config.speech.vad_threshold - 0.15).max(0.05),
        end_silence: config.speech.end_of_speech_silence,
        ..EndpointerConfig::default()
    };
    let mut listener = Listener::new(
        &services.vad,
        endpointing,
        config.speech.early_transcription,
    );
    let mut heard = Vec::new();

    if outbound.is_none() {
        let _ = commands.send(SipCommand::Ringing(setup.sip_call.clone()));
    }
    if outbound.is_none() && !config.sip.answer_after.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(config.sip.answer_after) => {}
            event = dialog.recv() => {
                // Only the end of the dialog (CANCEL) can come before we answer.
                if let Some(DialogEvent::Ended(cause)) = event {
                    return Ok(cause);
                }
            }
        }
    }
    if outbound.is_none() {
        let _ = commands.send(SipCommand::Answer(setup.sip_call.clone(), sdp));
    }
    services
        .store
        .call_answered(id, unix_ms(), codec_name(plan.codec))
        .await?;

    let (internal_tx, mut internal) = mpsc::unbounded_channel();
    let memory = match services.store.caller_memory(&setup.caller_key).await {
        Ok(facts) => facts,
        Err(e) => {
            tracing::error!("call {id}: cannot read caller memory: {e}");
            Vec::new()
        }
    };
    let settings = active.flow.settings();
    let start = JournalInput::Start {
        caller_memory: memory.clone(),
        today: today().map(|d| d.to_string()),
        variables: outbound
            .as_ref()
            .map(|o| o.variables.clone())
            .unwrap_or_default(),
    };
    let mut conversation = Conversation::new(Arc::clone(&active.flow), Arc::clone(&active.matcher))
        .with_caller_memory(memory);
    if let Some(date) = today() {
        conversation = conversation.with_today(date);
    }
    if let Some(faq) = &active.faq {
        conversation = conversation.with_faq(Arc::clone(faq));
    }
    for (name, value) in outbound.iter().flat_map(|o| o.variables.iter()) {
        conversation.set_variable(name, value);
    }
    let mut task = CallTask {
        id: id.to_string(),
        sip_call: setup.sip_call.clone(),
        services: Arc::clone(services),
        conversation,
        playout: Playout::default(),
        speech: VecDeque::new(),
        after_speech: AfterSpeech::Nothing,
        listen: TurnTaker::new(TurnTakingConfig {
            barge_in: settings.barge_in,
            holding_after: config.speech.holding_after,
        }),
        requests: Requests::new(),
        asr_jobs: HashMap::new(),
        journal_seq: 0,
        turn: None,
        turn_seq: 0,
        hanging_up: None,
        internal: internal_tx,
        started: Instant::now(),
        caller_key: setup.caller_key.clone(),
        mood: hotline_mood::MoodTracker::new(
            Arc::clone(&services.lexicon),
            hotline_mood::MoodConfig::default(),
        ),
        failures_in_a_row: 0,
        utterance_audio: Vec::new(),
        voicemail: None,
        voicemail_seq: 0,
        handoff: None,
        sip: commands.clone(),
        withhold_after_hang_up: false,
    };
    // Synthesis of the greeting starts now; sending waits for the ACK.
    task.turn = Some(Turn::new(id, 0));
    let actions = task.conversation.start(Duration::ZERO);
    task.journal(start, Duration::ZERO, &actions).await;
    task.apply(actions, Instant::now()).await;

    // A call we placed was confirmed by its 2xx (our ACK is sent): media flows at once.
    let mut confirmed = outbound.is_some();
    let mut pacer = Pacer::new(Instant::now(), Duration::from_millis(20));
    let mut last_rtp = Instant::now();
    let inactivity = config.rtp.inactivity_timeout;
    let mut buf = vec![0u8; 2048];
    let hangup_grace = Duration::from_secs(5);
    let mut hangup_sent_at: Option<Instant> = None;

    loop {
        let turn_timer = task.listen.poll_timeout();
        let handoff_timer = task.handoff_timeout();
        let requests_timer = task.requests.poll_timeout();
        let inactivity_deadline = last_rtp + inactivity;
        tokio::select! {
            incoming = link.recv(&mut buf) => {
                match incoming {
                    Incoming::Audio(samples) => {
                        last_rtp = Instant::now();
                        if task.voicemail.is_some() {
                            task.voicemail_audio(&samples).await;
                        }
                        if task.handed_over() {
                            // A person has the call (or will): relay, record, stop transcribing.
                            task.caller_audio(&samples);
                        } else {
                            listener.hear(&samples, last_rtp, &mut heard);
                            for event in heard.drain(..) {
                                task.on_listener(event).await;
                            }
                        }
                    }
                    Incoming::Digit(digit) => {
                        last_rtp = Instant::now();
                        task.on_digit(digit).await;
                    }
                    Incoming::Ignored => {}
                }
            }
            _ = tokio::time::sleep_until(pacer.next_deadline().into()) => {
                let due = pacer.on_tick(Instant::now());
                if confirmed {
                    // When late, send at most a few frames at once rather than a burst.
                    for _ in 0..due.min(3) {
                        let from_bot = !task.playout.is_empty();
                        let frame = if from_bot {
                            task.playout.next_frame()
                        } else {
                            task.handoff_frame().unwrap_or(super::Frame::Silence)
                        };
                        if from_bot && matches!(frame, super::Frame::Speech { talkspurt_start: true, .. }) {
                            task.on_first_audio(Instant::now()).await;
                        }
                        link.send_frame(&frame).await;
                    }
                }
                task.after_playout(Instant::now()).await;
                if let Some(cause) = &task.hanging_up {
                    match hangup_sent_at {
                        None if task.is_silent() => {
                            let _ = commands.send(SipCommand::Hangup(task.sip_call.clone()));
                            hangup_sent_at = Some(Instant::now());
                        }
                        Some(at) if at.elapsed() > hangup_grace => return Ok(cause.clone()),
                        _ => {}
                    }
                }
            }
            Some(message) = internal.recv() => match message {
                Internal::Asr { job, result } => task.on_asr(job, result).await,
                Internal::Http { id, input } => task.on_http_answer(id, input, Instant::now()).await,
                Internal::Queue(event) => task.on_queue_event(event).await,
                Internal::Leg { agent, update } => task.on_leg_update(&agent, update).await,
            },
            Some(chunk) = next_chunk(&mut task.speech) => task.on_tts(chunk),
            _ = sleep_opt(turn_timer) => task.on_turn_timeout(Instant::now()).await,
            _ = sleep_opt(handoff_timer) => task.on_handoff_timeout(Instant::now()).await,
            _ = sleep_opt(requests_timer) => task.on_requests_timeout(Instant::now()).await,
            _ = tokio::time::sleep_until(inactivity_deadline.into()), if confirmed => {
                tracing::warn!("call {}: no RTP for {:?}, hanging up", task.id, inactivity);
                task.stop_speaking();
                let _ = commands.send(SipCommand::Hangup(task.sip_call.clone()));
                return Ok("rtp-timeout".into());
            }
            event = dialog.recv() => match event {
                Some(DialogEvent::Confirmed { answer }) => {
                    if let Some(media) = answer.as_deref().and_then(|a| media_from_answer(a, &config.rtp.codecs)) {
                        if media_refusal(&media, &config.rtp).is_some() {
                            tracing::warn!("call {}: the ACK's answer asks for media at {:?}, outside rtp.allowed_networks; hanging up", task.id, media.remote_rtp);
                            task.stop_speaking();
                            let _ = commands.send(SipCommand::Hangup(task.sip_call.clone()));
                            return Ok("media-refused".into());
                        }
                        tracing::info!("call {}: the ACK's answer chose {}", task.id, codec_name(media.codec));
                        if let Some(remote) = media.remote_rtp {
                            link.apply_answer(remote, media.codec, media.payload_type, media.dtmf_payload_type);
                        }
                        if let Err(e) = services.store.call_codec(&task.id, codec_name(media.codec)).await {
                            tracing::error!("call {}: cannot store the codec: {e}", task.id);
                        }
                    }
                    confirmed = true;
                    last_rtp = Instant::now();
                    pacer = Pacer::new(Instant::now(), Duration::from_millis(20));
                }
                Some(DialogEvent::Ended(cause)) => {
                    // A caller who hangs up after leaving a message has left it.
                    task.finish_voicemail().await;
                    task.end_handoff().await;
                    // What the caller said last is still transcribed and recorded.
                    let cut_off = if task.handed_over() { None } else { listener.speech_in_progress() };
                    task.on_caller_hung_up(cut_off).await;
                    let abandoned = task.requests.caller_hung_up();
                    let _ = task.run_requests(abandoned).await;
                    task.flush_turn().await;
                    let _ = task.converse(CallerInput::Hangup).await;
                    task.hear_the_rest(&mut internal, dialog).await;
                    return Ok(task.hanging_up.clone().unwrap_or(cause));
                }
                Some(DialogEvent::Info { content_type, body }) => {
                    if let Some(digit) = dtmf_from_info(&content_type, &body) {
                        task.on_digit(digit).await;
                    }
                }
                Some(DialogEvent::ReferAnswered { status }) => task.on_refer_answered(status).await,
                Some(DialogEvent::ReferProgress { status, terminated }) => {
                    task.on_refer_progress(status, terminated).await
                }
                Some(DialogEvent::Shutdown) => task.on_shutdown().await,
                Some(DialogEvent::Ringing | DialogEvent::Answered { .. }) => {}
                None => return Ok("shutdown".into()),
            },
        }
    }
}

async fn sleep_opt(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn next_chunk(speech: &mut VecDeque<Speech>) -> Option<TtsChunk> {
    match speech.front_mut() {
        Some(s) => s.chunks.recv().await,
        None => std::future::pending().await,
    }
}

/// Today's date (UTC) for the flow's date slots ("tomorrow", "next Tuesday").
fn today() -> Option<hotline_flow::CalendarDate> {
    use chrono::Datelike;
    let now = chrono::Utc::now().date_naive();
    hotline_flow::CalendarDate::new(now.year(), now.month(), now.day())
}
