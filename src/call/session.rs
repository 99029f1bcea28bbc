//! The task that owns one inbound call: RTP both ways, the listener, the flow, ASR and TTS jobs.
//!
//! It `select!`s over RTP packets, the 20 ms send clock, listener events, ASR results, TTS audio,
//! the no-input and inactivity deadlines, and dialog events. Inference never runs here: the task
//! only submits jobs and awaits their answers, so pacing holds however slow a model is.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_flow::{Action, CallerInput, Conversation};
use hotline_media::{EndpointerConfig, Pacer};
use hotline_sip::CallId;
use tokio::sync::mpsc;

use super::rtp::Incoming;
use super::turn::{ms, Turn};
use super::{codec_name, dtmf_from_info, local_sdp, CallSetup, DialogEvent, Playout, RtpLink};
use crate::pools::{spawn_listener, AsrResult, ListenerEvent, TtsChunk, TtsJob};
use crate::server::{Services, SipCommand};
use crate::store::{unix_ms, CallRecord};

/// Said when the flow asks for a transfer and no agent queue exists yet.
const NO_AGENT: &str = "I'm sorry, no agent is available to take your call right now. Please try again later. Goodbye.";

/// Results that come back to the call task from jobs it spawned.
enum Internal {
    /// A transcript; `pause` names the early (speculative) transcription it belongs to.
    Asr {
        pause: Option<u64>,
        result: Result<AsrResult, String>,
    },
}

/// The end of a turn as the endpointer saw it.
#[derive(Clone, Copy)]
struct TurnEnd {
    decided_at: Instant,
    endpoint_wait: Duration,
}

/// Whisper started on a pause, before the endpointer confirmed the end of the turn.
struct Speculation {
    pause: u64,
    result: Option<Result<AsrResult, String>>,
    /// Set once the turn really ended at that pause: the transcript is then awaited.
    turn_end: Option<TurnEnd>,
}

struct Speech {
    chunks: mpsc::UnboundedReceiver<TtsChunk>,
    cancelled: Arc<AtomicBool>,
}

/// What the call does once the bot has finished speaking.
#[derive(Debug, Clone, PartialEq)]
enum AfterSpeech {
    Nothing,
    Listen(Duration),
    Hangup(String),
}

struct CallTask {
    id: String,
    sip_call: CallId,
    services: Arc<Services>,
    conversation: Conversation,
    barge_in: bool,
    playout: Playout,
    speech: VecDeque<Speech>,
    after_speech: AfterSpeech,
    no_input_deadline: Option<Instant>,
    asr_in_flight: Option<TurnEnd>,
    speculation: Option<Speculation>,
    turn: Option<Turn>,
    turn_seq: i64,
    hanging_up: Option<String>,
    internal: mpsc::UnboundedSender<Internal>,
    started: Instant,
}

pub async fn run_inbound(
    setup: CallSetup,
    services: Arc<Services>,
    commands: mpsc::UnboundedSender<SipCommand>,
    mut dialog: mpsc::UnboundedReceiver<DialogEvent>,
) {
    let sip_call = setup.sip_call.clone();
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
    };
    if let Err(e) = services.store.call_started(&record).await {
        tracing::error!("cannot record call {id}: {e}");
        let _ = commands.send(SipCommand::Reject(sip_call.clone(), 500));
        let _ = commands.send(SipCommand::Gone(sip_call));
        return;
    }
    let cause = match answer_and_talk(&id, setup, &services, &commands, &mut dialog, active).await {
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

async fn answer_and_talk(
    id: &str,
    setup: CallSetup,
    services: &Arc<Services>,
    commands: &mpsc::UnboundedSender<SipCommand>,
    dialog: &mut mpsc::UnboundedReceiver<DialogEvent>,
    active: Arc<crate::server::ActiveFlow>,
) -> Result<String, crate::error::HotlineError> {
    let config = &services.config;
    let socket = services.bind_rtp()?;
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
        plan.remote_rtp,
        plan.codec,
        plan.payload_type,
        plan.dtmf_payload_type,
    )?;

    let (listener_tx, mut listener) = mpsc::unbounded_channel();
    let endpointing = EndpointerConfig {
        start_threshold: config.speech.vad_threshold,
        end_threshold: (config.speech.vad_threshold - 0.15).max(0.05),
        end_silence: config.speech.end_of_speech_silence,
        ..EndpointerConfig::default()
    };
    let audio_to_listener = spawn_listener(
        &services.vad_model,
        endpointing,
        config.speech.early_transcription,
        listener_tx,
    )?;

    let _ = commands.send(SipCommand::Ringing(setup.sip_call.clone()));
    if !config.sip.answer_after.is_zero() {
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
    let _ = commands.send(SipCommand::Answer(setup.sip_call.clone(), sdp));
    services
        .store
        .call_answered(id, unix_ms(), codec_name(plan.codec))
        .await?;

    let (internal_tx, mut internal) = mpsc::unbounded_channel();
    let settings = active.flow.settings();
    let mut task = CallTask {
        id: id.to_string(),
        sip_call: setup.sip_call.clone(),
        services: Arc::clone(services),
        conversation: Conversation::new(Arc::clone(&active.flow), Arc::clone(&active.matcher)),
        barge_in: settings.barge_in,
        playout: Playout::default(),
        speech: VecDeque::new(),
        after_speech: AfterSpeech::Nothing,
        no_input_deadline: None,
        asr_in_flight: None,
        speculation: None,
        turn: None,
        turn_seq: 0,
        hanging_up: None,
        internal: internal_tx,
        started: Instant::now(),
    };
    let started = task.started;
    // Synthesis of the greeting starts now; sending waits for the ACK.
    task.turn = Some(Turn::new(id, 0));
    let actions = task.conversation.start(Duration::ZERO);
    task.apply(actions, Instant::now()).await;

    let mut confirmed = false;
    let mut pacer = Pacer::new(Instant::now(), Duration::from_millis(20));
    let mut last_rtp = Instant::now();
    let inactivity = config.rtp.inactivity_timeout;
    let mut buf = vec![0u8; 2048];
    let hangup_grace = Duration::from_secs(5);
    let mut hangup_sent_at: Option<Instant> = None;

    loop {
        let no_input = task.no_input_deadline;
        let inactivity_deadline = last_rtp + inactivity;
        tokio::select! {
            incoming = link.recv(&mut buf) => {
                match incoming {
                    Incoming::Audio(samples) => {
                        last_rtp = Instant::now();
                        let _ = audio_to_listener.send(samples);
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
                        let frame = task.playout.next_frame();
                        if matches!(frame, super::Frame::Speech { talkspurt_start: true, .. }) {
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
            Some(event) = listener.recv() => task.on_listener(event).await,
            Some(Internal::Asr { pause, result }) = internal.recv() => task.on_asr(pause, result).await,
            Some(chunk) = next_chunk(&mut task.speech) => task.on_tts(chunk),
            _ = sleep_opt(no_input) => {
                task.no_input_deadline = None;
                task.handle_input(CallerInput::NoInput, Instant::now()).await;
            }
            _ = tokio::time::sleep_until(inactivity_deadline.into()), if confirmed => {
                tracing::warn!("call {}: no RTP for {:?}, hanging up", task.id, inactivity);
                task.stop_speaking();
                let _ = commands.send(SipCommand::Hangup(task.sip_call.clone()));
                return Ok("rtp-timeout".into());
            }
            event = dialog.recv() => match event {
                Some(DialogEvent::Confirmed) => {
                    confirmed = true;
                    last_rtp = Instant::now();
                    pacer = Pacer::new(Instant::now(), Duration::from_millis(20));
                }
                Some(DialogEvent::Ended(cause)) => {
                    task.stop_speaking();
                    task.flush_turn().await;
                    let _ = task.conversation.handle(CallerInput::Hangup, started.elapsed());
                    return Ok(task.hanging_up.clone().unwrap_or(cause));
                }
                Some(DialogEvent::Info { content_type, body }) => {
                    if let Some(digit) = dtmf_from_info(&content_type, &body) {
                        task.on_digit(digit).await;
                    }
                }
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

impl CallTask {
    fn is_silent(&self) -> bool {
        self.playout.is_empty() && self.speech.is_empty()
    }

    fn stop_speaking(&mut self) {
        for s in self.speech.drain(..) {
            s.cancelled.store(true, Ordering::Relaxed);
        }
        self.playout.clear();
    }

    /// Carries out what the flow asked for, in order.
    async fn apply(&mut self, actions: Vec<Action>, now: Instant) {
        let mut text = String::new();
        for action in actions {
            match action {
                Action::Say { text: t } => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(&t);
                }
                Action::Listen { timeout, .. } => self.after_speech = AfterSpeech::Listen(timeout),
                Action::Hangup { reason } => {
                    self.after_speech = AfterSpeech::Hangup(format!("bot-{reason}"));
                }
                Action::Transfer { queue, reason } => {
                    tracing::info!(
                        "call {}: transfer to {queue:?} ({reason}) requested; no agent queues yet",
                        self.id
                    );
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(NO_AGENT);
                    self.after_speech =
                        AfterSpeech::Hangup(format!("transfer-unavailable:{reason}"));
                }
                Action::Matched {
                    intent,
                    score,
                    node,
                } => {
                    if let Some(turn) = &mut self.turn {
                        turn.record.intent = intent;
                        turn.record.match_score = Some(score as f64);
                        turn.record.node = Some(node);
                    }
                }
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
        if let Some(turn) = &mut self.turn {
            turn.replied_at = Some(now);
            if !text.is_empty() {
                turn.add_bot_text(&text);
            }
        }
        if text.is_empty() {
            self.flush_turn().await;
        } else {
            self.say(text).await;
        }
    }

    async fn say(&mut self, text: String) {
        let (output, chunks) = mpsc::unbounded_channel();
        let cancelled = Arc::new(AtomicBool::new(false));
        let job = TtsJob {
            text,
            cancelled: Arc::clone(&cancelled),
            output,
        };
        if let Err(e) = self.services.tts.submit(job).await {
            tracing::error!("call {}: {e}", self.id);
            return;
        }
        self.speech.push_back(Speech { chunks, cancelled });
    }

    fn on_tts(&mut self, chunk: TtsChunk) {
        match chunk {
            TtsChunk::Audio(pcm) => {
                if let Some(turn) = &mut self.turn {
                    turn.on_tts_chunk(Instant::now());
                }
                self.playout.push(&pcm);
            }
            TtsChunk::Failed(reason) => {
                tracing::error!("call {}: speech synthesis failed: {reason}", self.id)
            }
            TtsChunk::Done => {
                self.speech.pop_front();
            }
        }
    }

    async fn on_first_audio(&mut self, now: Instant) {
        if let Some(turn) = &mut self.turn {
            turn.on_first_audio(now);
        }
        self.flush_turn().await;
    }

    /// Stores the turn in progress, if any.
    async fn flush_turn(&mut self) {
        if let Some(turn) = self.turn.take() {
            if let Err(e) = self.services.store.add_turn(&turn.record).await {
                tracing::error!("call {}: cannot store turn: {e}", self.id);
            }
        }
    }

    /// Once the bot is quiet: start listening, or hang up.
    async fn after_playout(&mut self, now: Instant) {
        if !self.is_silent() {
            return;
        }
        match std::mem::replace(&mut self.after_speech, AfterSpeech::Nothing) {
            AfterSpeech::Nothing => {}
            AfterSpeech::Listen(timeout) => self.no_input_deadline = Some(now + timeout),
            AfterSpeech::Hangup(cause) => {
                self.no_input_deadline = None;
                self.hanging_up = Some(cause);
            }
        }
    }

    fn accepting_input(&self) -> bool {
        self.hanging_up.is_none()
            && !matches!(self.after_speech, AfterSpeech::Hangup(_))
            && (self.no_input_deadline.is_some() || self.barge_in || self.is_silent())
    }

    async fn on_listener(&mut self, event: ListenerEvent) {
        match event {
            ListenerEvent::SpeechStarted => {
                if self.barge_in && !self.is_silent() && self.accepting_input() {
                    tracing::debug!("call {}: barge-in", self.id);
                    self.stop_speaking();
                }
            }
            ListenerEvent::Paused { pause, samples } => {
                if self.accepting_input() && self.asr_in_flight.is_none() {
                    self.speculation = Some(Speculation {
                        pause,
                        result: None,
                        turn_end: None,
                    });
                    self.submit_asr(Some(pause), samples);
                }
            }
            ListenerEvent::Resumed { pause } => {
                if self.speculation.as_ref().is_some_and(|s| s.pause == pause) {
                    self.speculation = None;
                }
            }
            ListenerEvent::Utterance {
                pause,
                samples,
                decided_at,
                endpoint_wait,
            } => {
                let end = TurnEnd {
                    decided_at,
                    endpoint_wait,
                };
                if !self.accepting_input() || self.asr_in_flight.is_some() {
                    tracing::debug!("call {}: utterance ignored (bot busy)", self.id);
                    self.speculation = None;
                    return;
                }
                self.no_input_deadline = None;
                match self.speculation.take() {
                    Some(mut spec) if pause == Some(spec.pause) => match spec.result.take() {
                        Some(result) => self.on_transcript(result, end).await,
                        None => {
                            spec.turn_end = Some(end);
                            self.speculation = Some(spec);
                        }
                    },
                    _ => {
                        self.asr_in_flight = Some(end);
                        self.submit_asr(None, samples);
                    }
                }
            }
            ListenerEvent::Failed(reason) => {
                tracing::error!("call {}: VAD failed: {reason}", self.id)
            }
        }
    }

    fn submit_asr(&self, pause: Option<u64>, samples: Vec<f32>) {
        let asr = self.services.asr.clone();
        let internal = self.internal.clone();
        tokio::spawn(async move {
            let result = match asr.transcribe(samples).await {
                Ok(r) => r,
                Err(e) => Err(e.to_string()),
            };
            let _ = internal.send(Internal::Asr { pause, result });
        });
    }

    async fn on_asr(&mut self, pause: Option<u64>, result: Result<AsrResult, String>) {
        match pause {
            None => {
                if let Some(end) = self.asr_in_flight.take() {
                    self.on_transcript(result, end).await;
                }
            }
            Some(pause) => {
                let Some(spec) = self.speculation.as_mut().filter(|s| s.pause == pause) else {
                    return; // the caller went on speaking: stale
                };
                match spec.turn_end {
                    Some(end) => {
                        self.speculation = None;
                        self.on_transcript(result, end).await;
                    }
                    None => spec.result = Some(result),
                }
            }
        }
    }

    async fn on_transcript(&mut self, result: Result<AsrResult, String>, end: TurnEnd) {
        let asr = match result {
            Ok(asr) => asr,
            Err(reason) => {
                tracing::error!("call {}: ASR failed: {reason}", self.id);
                return;
            }
        };
        tracing::info!(
            "call {}: caller said {:?} (confidence {:.2}, Whisper {} ms)",
            self.id,
            asr.text,
            asr.confidence,
            asr.elapsed.as_millis()
        );
        self.flush_turn().await;
        self.turn_seq += 1;
        let mut turn = Turn::new(&self.id, self.turn_seq);
        turn.speech_end = Some(
            end.decided_at
                .checked_sub(end.endpoint_wait)
                .unwrap_or(end.decided_at),
        );
        turn.record.caller_text = Some(asr.text.trim().to_string());
        turn.record.asr_confidence = Some(asr.confidence as f64);
        turn.record.endpoint_wait_ms = Some(ms(end.endpoint_wait));
        // What transcription added after the end of the turn (less than its run time when it
        // started early, during the end-of-speech wait).
        turn.record.asr_ms = Some(ms(end.decided_at.elapsed()));
        self.turn = Some(turn);
        // Barge-in may have cut the bot short: whatever it was going to do next is superseded.
        self.stop_speaking();
        self.after_speech = AfterSpeech::Nothing;
        let input = if asr.no_speech {
            CallerInput::NoInput
        } else {
            CallerInput::Speech {
                text: asr.text,
                confidence: asr.confidence,
            }
        };
        let begin = Instant::now();
        let actions = self.conversation.handle(input, self.started.elapsed());
        let done = Instant::now();
        if let Some(turn) = &mut self.turn {
            turn.record.match_ms = Some(ms(done - begin));
        }
        self.apply(actions, done).await;
    }

    async fn on_digit(&mut self, digit: char) {
        tracing::info!("call {}: caller pressed {digit}", self.id);
        if !self.accepting_input() {
            return;
        }
        self.flush_turn().await;
        self.turn_seq += 1;
        let mut turn = Turn::new(&self.id, self.turn_seq);
        turn.record.caller_dtmf = Some(digit.to_string());
        turn.speech_end = Some(Instant::now());
        self.turn = Some(turn);
        self.stop_speaking();
        self.after_speech = AfterSpeech::Nothing;
        self.no_input_deadline = None;
        let actions = self
            .conversation
            .handle(CallerInput::Dtmf(digit), self.started.elapsed());
        self.apply(actions, Instant::now()).await;
    }

    async fn handle_input(&mut self, input: CallerInput, now: Instant) {
        self.flush_turn().await;
        self.turn_seq += 1;
        self.turn = Some(Turn::new(&self.id, self.turn_seq));
        let actions = self.conversation.handle(input, self.started.elapsed());
        self.apply(actions, now).await;
    }
}
