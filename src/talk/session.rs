//! The talk loop: the call path of a phone call (listener, turn-taking core, Whisper pool, flow
//! engine, Piper pool, playout) driven by the sound card instead of RTP. Every 20 ms it takes a
//! frame from the microphone and gives one to the speaker, as the RTP session does with the
//! network; turns and answers are printed as text as well.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_flow::{Action, CallerInput, Conversation};
use hotline_media::{Pacer, Resampler};
use tokio::sync::mpsc;

use super::sound::SoundCard;
use crate::call::core::turn_taking::{
    CallState, HeardTurn, JobId, Transcript, TurnEnd, TurnOutput, TurnTaker,
};
use crate::call::{Frame, Playout, FRAME};
use crate::error::HotlineError;
use crate::pools::{AsrPool, Listener, ListenerEvent, TtsChunk, TtsJob, TtsPool};

/// The call path's shared parts, loaded once.
pub struct Engines {
    pub asr: AsrPool,
    pub tts: TtsPool,
    pub listener: Listener,
    pub mood: Option<hotline_mood::MoodTracker>,
    pub holding_phrase: String,
    /// `speech.hot_words`, as on a call.
    pub hot_words: crate::config::HotWords,
    pub http: reqwest::Client,
}

/// When `hotline talk` ends by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// After this many caller turns have been answered (and the answer played).
    pub turns: Option<u32>,
    /// After this long.
    pub seconds: Option<Duration>,
}

/// What the bot does once it has finished speaking (the call task's rule, without handoff).
#[derive(Debug, Clone, PartialEq)]
enum AfterSpeech {
    Nothing,
    Listen(Duration),
    End(String),
}

/// Answers coming back to the loop from jobs it started.
pub enum Internal {
    Asr { job: JobId, result: Transcript },
    Http(CallerInput),
}

struct Speech {
    chunks: mpsc::UnboundedReceiver<TtsChunk>,
    cancelled: Arc<AtomicBool>,
}

/// One conversation with the person at the desk.
pub struct Talk<W: Write> {
    conversation: Conversation,
    engines: Engines,
    listen: TurnTaker,
    asr_jobs: HashMap<JobId, Arc<AtomicBool>>,
    /// Transcriptions submitted whose answer has not come back (cancelled ones too).
    asr_running: usize,
    speech: VecDeque<Speech>,
    playout: Playout,
    after_speech: AfterSpeech,
    ended: Option<String>,
    started: Instant,
    failures_in_a_row: u32,
    utterance_audio: Vec<f32>,
    answered_turns: u32,
    tickets: u32,
    internal: mpsc::UnboundedSender<Internal>,
    out: W,
}

impl<W: Write> Talk<W> {
    pub fn new(
        conversation: Conversation,
        engines: Engines,
        listen: TurnTaker,
        out: W,
    ) -> (Talk<W>, mpsc::UnboundedReceiver<Internal>) {
        let (internal, receiver) = mpsc::unbounded_channel();
        let talk = Talk {
            conversation,
            engines,
            listen,
            asr_jobs: HashMap::new(),
            asr_running: 0,
            speech: VecDeque::new(),
            playout: Playout::default(),
            after_speech: AfterSpeech::Nothing,
            ended: None,
            started: Instant::now(),
            failures_in_a_row: 0,
            utterance_audio: Vec::new(),
            answered_turns: 0,
            tickets: 0,
            internal,
            out,
        };
        (talk, receiver)
    }

    /// Runs the conversation on the sound card until the flow ends it or a limit is reached;
    /// returns why it ended.
    pub async fn run(
        mut self,
        card: &SoundCard,
        mut internal: mpsc::UnboundedReceiver<Internal>,
        limits: Limits,
    ) -> Result<String, HotlineError> {
        let frame_in = (card.input_rate / 50) as usize;
        let mut down = Resampler::new(card.input_rate, 8000);
        let mut up = Resampler::new(8000, card.output_rate);
        let mut heard = Vec::new();
        let mut mic_8k = Vec::with_capacity(FRAME * 2);
        let mut speaker = Vec::with_capacity(frame_in * 2);
        // A little audio ahead so the speaker never waits on the first frames.
        let lead = vec![0.0; (card.output_rate / 50) as usize * 3];
        card.speaker.push(&lead);

        let start = self.conversation.start(Duration::ZERO);
        self.apply(start).await;
        let mut pacer = Pacer::new(Instant::now(), Duration::from_millis(20));
        loop {
            if let Some(reason) = self.finished(limits) {
                self.hang_up().await;
                self.wait_for_whisper(&mut internal).await;
                return Ok(reason);
            }
            if let Some(reason) = card.failure() {
                return Err(HotlineError::SoundCard { reason });
            }
            let turn_timer = self.listen.poll_timeout();
            tokio::select! {
                _ = tokio::time::sleep_until(pacer.next_deadline().into()) => {
                    let now = Instant::now();
                    let due = pacer.on_tick(now);
                    for _ in 0..due.min(3) {
                        mic_8k.clear();
                        down.process(&card.mic.take(frame_in), &mut mic_8k);
                        self.engines.listener.hear(&mic_8k, now, &mut heard);
                        let frame = match self.playout.next_frame() {
                            Frame::Speech { pcm, .. } => hotline_media::pcm_to_f32(&pcm),
                            Frame::Silence => vec![0.0; FRAME],
                        };
                        speaker.clear();
                        up.process(&frame, &mut speaker);
                        card.speaker.push(&speaker);
                    }
                    for event in heard.drain(..) {
                        self.on_listener(event).await;
                    }
                    self.after_playout(Instant::now());
                }
                Some(message) = internal.recv() => match message {
                    Internal::Asr { job, result } => {
                        self.asr_running = self.asr_running.saturating_sub(1);
                        self.asr_jobs.remove(&job);
                        let outputs = self.listen.transcript(job, result);
                        self.run_turn_outputs(outputs).await;
                    }
                    Internal::Http(input) => {
                        let actions = self.converse(input);
                        self.apply(actions).await;
                    }
                },
                Some(chunk) = next_chunk(&mut self.speech) => self.on_tts(chunk),
                _ = sleep_opt(turn_timer) => {
                    let outputs = self.listen.handle_timeout(Instant::now());
                    self.run_turn_outputs(outputs).await;
                }
            }
        }
    }

    /// Why the conversation is over, once it is and the bot has finished speaking.
    fn finished(&self, limits: Limits) -> Option<String> {
        if let Some(reason) = &self.ended {
            return Some(reason.clone());
        }
        if limits.seconds.is_some_and(|s| self.started.elapsed() >= s) {
            return Some("time limit (--seconds)".into());
        }
        // Turns still being transcribed are let go: the user asked for N answers.
        if self.is_silent() && limits.turns.is_some_and(|n| self.answered_turns >= n) {
            return Some("turn limit (--turns)".into());
        }
        None
    }

    async fn hang_up(&mut self) {
        self.stop_speaking();
        let (cancels, _) = self.listen.hang_up();
        self.run_turn_outputs(cancels).await;
        self.conversation
            .handle(CallerInput::Hangup, self.started.elapsed());
    }

    /// Waits (at most a minute) for the transcriptions still running: Whisper must not be
    /// mid-run on its thread when the process exits and its library is torn down.
    async fn wait_for_whisper(&mut self, internal: &mut mpsc::UnboundedReceiver<Internal>) {
        let give_up = tokio::time::Instant::now() + Duration::from_secs(60);
        while self.asr_running > 0 {
            match tokio::time::timeout_at(give_up, internal.recv()).await {
                Ok(Some(Internal::Asr { .. })) => self.asr_running -= 1,
                Ok(Some(Internal::Http(_))) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }

    fn is_silent(&self) -> bool {
        self.playout.is_empty() && self.speech.is_empty()
    }

    fn stop_speaking(&mut self) {
        for s in self.speech.drain(..) {
            s.cancelled.store(true, Ordering::Relaxed);
        }
        self.playout.clear();
    }

    fn call_state(&self) -> CallState {
        CallState {
            open: self.ended.is_none() && !matches!(self.after_speech, AfterSpeech::End(_)),
            bot_speaking: !self.is_silent(),
        }
    }

    fn after_playout(&mut self, now: Instant) {
        if !self.is_silent() {
            return;
        }
        match std::mem::replace(&mut self.after_speech, AfterSpeech::Nothing) {
            AfterSpeech::Nothing => {}
            AfterSpeech::Listen(timeout) => self.listen.listen_for(timeout, now),
            AfterSpeech::End(reason) => {
                self.listen.stop_listening();
                self.ended = Some(reason);
            }
        }
    }

    fn on_tts(&mut self, chunk: TtsChunk) {
        match chunk {
            TtsChunk::Audio(pcm) => self.playout.push(&pcm),
            TtsChunk::Failed(reason) => {
                self.line(format!("     [speech synthesis failed: {reason}]"))
            }
            TtsChunk::Done => {
                self.speech.pop_front();
            }
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
        if let Err(e) = self.engines.tts.submit(job).await {
            self.line(format!("     [speech synthesis unavailable: {e}]"));
            return;
        }
        self.speech.push_back(Speech { chunks, cancelled });
    }

    async fn on_listener(&mut self, event: ListenerEvent) {
        let state = self.call_state();
        let outputs = match event {
            ListenerEvent::SpeechStarted => self.listen.speech_started(state),
            ListenerEvent::Paused { pause, samples } => self.listen.paused(pause, samples, state),
            ListenerEvent::Resumed { pause } => self.listen.resumed(pause),
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
                self.listen.utterance(pause, samples, end, state)
            }
            ListenerEvent::Failed(reason) => {
                self.line(format!("     [voice detection failed: {reason}]"));
                Vec::new()
            }
        };
        self.run_turn_outputs(outputs).await;
    }

    /// Carries out what the turn-taking core decided, as the call task does.
    async fn run_turn_outputs(&mut self, outputs: Vec<TurnOutput>) {
        for output in outputs {
            match output {
                TurnOutput::Transcribe {
                    job,
                    samples,
                    speculative: _,
                } => {
                    let cancel = Arc::new(AtomicBool::new(false));
                    self.asr_jobs.insert(job, Arc::clone(&cancel));
                    self.asr_running += 1;
                    let asr = self.engines.asr.clone();
                    let internal = self.internal.clone();
                    // The core cancels a final turn's job only at the end of the talk, when a
                    // job still queued is not worth running (the call task lets it run).
                    let cancel = Some(cancel);
                    // Whisper primed with the flow's words as on a call (`speech.hot_words`).
                    let hot_words = crate::pools::hot_words_job(self.engines.hot_words, || {
                        hotline_flow::hot_words(self.conversation.flow())
                    });
                    tokio::spawn(async move {
                        let result = asr
                            .transcribe(samples, cancel, hotline_listen::Expect::Speech, hot_words)
                            .await;
                        let _ = internal.send(Internal::Asr { job, result });
                    });
                }
                TurnOutput::Cancel(job) => {
                    if let Some(flag) = self.asr_jobs.remove(&job) {
                        flag.store(true, Ordering::Relaxed);
                    }
                }
                TurnOutput::StopSpeaking => self.stop_speaking(),
                // No keypad at the desk: the core hands out a key only when fed one.
                TurnOutput::Digit(_) => {}
                TurnOutput::Turn(turn) => self.on_heard(turn).await,
                TurnOutput::NoInput => {
                    self.failures_in_a_row += 1;
                    self.line("you> (silence)".into());
                    let actions = self.converse(CallerInput::NoInput);
                    self.apply(actions).await;
                }
                TurnOutput::HoldingPhrase => {
                    let phrase = self.engines.holding_phrase.clone();
                    if !phrase.is_empty() {
                        self.line(format!("bot> {phrase}   [holding: transcription is slow]"));
                        self.say(phrase).await;
                    }
                }
            }
        }
    }

    /// A caller turn the core handed out: printed, scored for mood, given to the flow.
    async fn on_heard(&mut self, heard: HeardTurn) {
        if !self.call_state().open {
            return;
        }
        let asr = match heard.transcript {
            Ok(asr) => asr,
            Err(reason) => {
                self.line(format!("     [transcription failed: {reason}]"));
                return;
            }
        };
        self.utterance_audio = heard.audio;
        // Barge-in may have cut the bot short: whatever it was going to do next is superseded.
        self.stop_speaking();
        self.after_speech = AfterSpeech::Nothing;
        // The call task's rule: only an empty transcript or Whisper's confident "no speech"
        // count as silence.
        let heard_nothing =
            asr.text.trim().is_empty() || (asr.no_speech_probability > 0.6 && asr.confidence < 0.5);
        let input = if heard_nothing {
            self.failures_in_a_row += 1;
            self.line("you> (nothing understood)".into());
            CallerInput::NoInput
        } else {
            self.line(format!(
                "you> {}   [Whisper {} ms, confidence {:.2}]",
                asr.text.trim(),
                asr.elapsed.as_millis(),
                asr.confidence
            ));
            let audio = std::mem::take(&mut self.utterance_audio);
            match &mut self.engines.mood {
                Some(mood) => {
                    let reading = mood.observe(hotline_mood::TurnObservation {
                        text: &asr.text,
                        audio_8k: (!audio.is_empty()).then_some(&audio[..]),
                        failures_in_a_row: self.failures_in_a_row,
                    });
                    CallerInput::SpeechWithMood {
                        text: asr.text,
                        confidence: asr.confidence,
                        anger: reading.anger,
                    }
                }
                None => CallerInput::Speech {
                    text: asr.text,
                    confidence: asr.confidence,
                },
            }
        };
        self.answered_turns += 1;
        let actions = self.converse(input);
        self.apply(actions).await;
    }

    fn converse(&mut self, input: CallerInput) -> Vec<Action> {
        self.conversation.handle(input, self.started.elapsed())
    }

    /// Carries out the flow's actions: speech and listening as on a call; what needs the
    /// contact center (agents, tickets, voicemail) is shown, not done.
    async fn apply(&mut self, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        let mut text = String::new();
        while let Some(action) = queue.pop_front() {
            let reply = match action {
                Action::Say { text: t } => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(&t);
                    None
                }
                Action::Listen { timeout, .. } => {
                    self.after_speech = AfterSpeech::Listen(timeout);
                    None
                }
                Action::Hangup { reason } => {
                    self.line(format!("     [hang up: {reason}]"));
                    self.after_speech = AfterSpeech::End(format!("the flow hung up ({reason})"));
                    None
                }
                Action::Transfer { queue: q, reason } => {
                    self.line(format!(
                        "     [transfer to {q} ({reason}): no agents at the desk, the talk ends here]"
                    ));
                    self.after_speech = AfterSpeech::End(format!("transfer to {q}"));
                    None
                }
                Action::Matched {
                    intent,
                    score,
                    node,
                } => {
                    match intent {
                        Some(intent) => {
                            self.failures_in_a_row = 0;
                            self.line(format!("     [{intent} {score:.2} at {node}]"));
                        }
                        None => {
                            self.failures_in_a_row += 1;
                            self.line(format!("     [no match at {node}, best {score:.2}]"));
                        }
                    }
                    None
                }
                Action::FaqAnswered { entry, score, node } => {
                    self.line(format!(
                        "     [faq {} {score:.2} at {node}]",
                        entry.as_deref().unwrap_or("no answer")
                    ));
                    None
                }
                Action::SlotFilled { slot, value, node } => {
                    self.line(format!("     [slot {slot} = {value:?} at {node}]"));
                    None
                }
                Action::Http(request) => {
                    self.line(format!(
                        "     [http {} {}]",
                        request.method.as_str(),
                        request.url
                    ));
                    let client = self.engines.http.clone();
                    let internal = self.internal.clone();
                    tokio::spawn(async move {
                        let input = crate::call::business_api::call(&client, &request).await;
                        let _ = internal.send(Internal::Http(input));
                    });
                    None
                }
                Action::Ticket { summary, .. } => {
                    self.tickets += 1;
                    let id = format!("talk-{}", self.tickets);
                    self.line(format!("     [ticket {id} (not stored): {summary:?}]"));
                    Some(CallerInput::TicketCreated { id })
                }
                Action::Record { max, .. } => {
                    self.line(format!(
                        "     [voicemail of up to {} s: not recorded at the desk]",
                        max.as_secs()
                    ));
                    Some(CallerInput::Recorded {
                        path: String::new(),
                        duration: Duration::ZERO,
                    })
                }
                Action::Remember { key, value } => {
                    self.line(format!("     [remember {key} = {value:?} (not stored)]"));
                    None
                }
                Action::Language { code } => {
                    self.line(format!("     [language {code}]"));
                    None
                }
                other => {
                    self.line(format!("     [{other:?}]"));
                    None
                }
            };
            if let Some(input) = reply {
                queue.extend(self.converse(input));
            }
        }
        if !text.is_empty() {
            self.line(format!("bot> {text}"));
            self.say(text).await;
        }
    }

    /// One line of the transcript on stdout (a closed pipe is not worth stopping for).
    fn line(&mut self, text: String) {
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
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
