//! One call's conversational state: what the bot is saying, whether it is listening, the turn in
//! progress, and the transcripts coming back, as methods the session loop calls on events.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_flow::slots::SlotType;
use hotline_flow::{CallerInput, Conversation};
use hotline_listen::Expect;
use hotline_sip::CallId;
use tokio::sync::mpsc;

use super::core::journal::{decisions, JournalEntry, JournalInput};
use super::core::requests::{RequestId, Requests};
use super::core::turn_taking::{
    CallState, HeardTurn, JobId, Transcript, TurnEnd, TurnOutput, TurnTaker,
};
use super::turn::{ms, Turn};
use super::voicemail::Voicemail;
use super::Playout;
use crate::pools::{ListenerEvent, TtsChunk, TtsJob};
use crate::server::Services;

/// Results that come back to the call task from jobs it spawned.
pub(super) enum Internal {
    /// A transcript of a job the turn-taking core asked for.
    Asr { job: JobId, result: Transcript },
    /// The business API's answer to the request the requests core asked for.
    Http { id: RequestId, input: CallerInput },
    /// The contact center's news for a queued caller.
    Queue(crate::center::QueueEvent),
    /// News from the leg ringing or bridged to this agent.
    Leg {
        agent: String,
        update: super::agent_leg::LegUpdate,
    },
}

pub(super) struct Speech {
    pub(super) chunks: mpsc::UnboundedReceiver<TtsChunk>,
    pub(super) cancelled: Arc<AtomicBool>,
}

/// What the call does once the bot has finished speaking.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum AfterSpeech {
    Nothing,
    Listen(Duration),
    Hangup(String),
    /// Beep (if asked) and record a voicemail of at most this long.
    Record {
        max: Duration,
        beep: bool,
    },
    /// Hand the caller to a person through this queue.
    Handoff {
        queue: String,
        reason: String,
    },
}

pub(super) struct CallTask {
    pub(super) id: String,
    pub(super) sip_call: CallId,
    pub(super) services: Arc<Services>,
    pub(super) conversation: Conversation,
    pub(super) playout: Playout,
    pub(super) speech: VecDeque<Speech>,
    pub(super) after_speech: AfterSpeech,
    /// Turn-taking: which utterances become turns, and when.
    pub(super) listen: TurnTaker,
    /// The flow's requests to the world (`http`, `ticket`) and their timeouts.
    pub(super) requests: Requests,
    /// Cancel flags of the transcriptions in flight.
    pub(super) asr_jobs: HashMap<JobId, Arc<AtomicBool>>,
    /// Entries written to the call's journal so far.
    pub(super) journal_seq: i64,
    pub(super) turn: Option<Turn>,
    pub(super) turn_seq: i64,
    pub(super) hanging_up: Option<String>,
    pub(super) internal: mpsc::UnboundedSender<Internal>,
    pub(super) started: Instant,
    /// Who the caller is for caller memory (their number).
    pub(super) caller_key: String,
    pub(super) mood: hotline_mood::MoodTracker,
    pub(super) failures_in_a_row: u32,
    /// The audio of the caller's current turn, for the voice cues of the mood score.
    pub(super) utterance_audio: Vec<f32>,
    pub(super) voicemail: Option<Voicemail>,
    pub(super) voicemail_seq: u32,
    /// Where the call stands once the flow handed it to people.
    pub(super) handoff: Option<super::handoff::Handoff>,
    /// Commands to the SIP task (agent legs, REFER).
    pub(super) sip: mpsc::UnboundedSender<crate::server::SipCommand>,
    /// The caller hung up while the flow asked for a sensitive slot: what is heard afterwards is
    /// withheld from the record as that slot's answer would have been.
    pub(super) withhold_after_hang_up: bool,
}

impl CallTask {
    pub(super) fn is_silent(&self) -> bool {
        self.playout.is_empty() && self.speech.is_empty()
    }

    pub(super) fn stop_speaking(&mut self) {
        for s in self.speech.drain(..) {
            s.cancelled.store(true, Ordering::Relaxed);
        }
        self.playout.clear();
    }

    pub(super) async fn say(&mut self, text: String) {
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

    pub(super) fn on_tts(&mut self, chunk: TtsChunk) {
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

    pub(super) async fn on_first_audio(&mut self, now: Instant) {
        if let Some(turn) = &mut self.turn {
            turn.on_first_audio(now);
        }
        self.flush_turn().await;
    }

    /// Stores the turn in progress, if any.
    pub(super) async fn flush_turn(&mut self) {
        if let Some(turn) = self.turn.take() {
            if let Err(e) = self.services.store.add_turn(&turn.record).await {
                tracing::error!("call {}: cannot store turn: {e}", self.id);
            }
        }
    }

    /// Once the bot is quiet: start listening, or hang up.
    pub(super) async fn after_playout(&mut self, now: Instant) {
        if !self.is_silent() {
            return;
        }
        match std::mem::replace(&mut self.after_speech, AfterSpeech::Nothing) {
            AfterSpeech::Nothing => {}
            AfterSpeech::Listen(timeout) => self.listen.listen_for(timeout, now),
            AfterSpeech::Hangup(cause) => {
                self.listen.stop_listening();
                self.hanging_up = Some(cause);
            }
            AfterSpeech::Record { max, beep } => {
                self.listen.stop_listening();
                self.start_voicemail(max, beep)
            }
            AfterSpeech::Handoff { queue, reason } => {
                self.listen.stop_listening();
                self.start_handoff(queue, reason).await;
            }
        }
    }

    /// What the turn-taking core needs to know of the call.
    pub(super) fn call_state(&self) -> CallState {
        CallState {
            open: self.hanging_up.is_none()
                && self.voicemail.is_none()
                && !self.handed_over()
                && !matches!(
                    self.after_speech,
                    AfterSpeech::Hangup(_)
                        | AfterSpeech::Record { .. }
                        | AfterSpeech::Handoff { .. }
                ),
            bot_speaking: !self.is_silent(),
        }
    }

    pub(super) async fn on_listener(&mut self, event: ListenerEvent) {
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
                let ignored = self.listen.ignored();
                let out = self.listen.utterance(pause, samples, end, state);
                if self.listen.ignored() > ignored {
                    tracing::info!(
                        "call {}: utterance not taken: the flow is not listening (barge-in off or the call is ending)",
                        self.id
                    );
                }
                out
            }
            ListenerEvent::Failed(reason) => {
                tracing::error!("call {}: VAD failed: {reason}", self.id);
                Vec::new()
            }
        };
        self.run_turn_outputs(outputs).await;
    }

    pub(super) async fn on_asr(&mut self, job: JobId, result: Transcript) {
        self.asr_jobs.remove(&job);
        let outputs = self.listen.transcript(job, result);
        self.run_turn_outputs(outputs).await;
    }

    /// The core's timers (no-input, the holding phrase) are due.
    pub(super) async fn on_turn_timeout(&mut self, now: Instant) {
        let outputs = self.listen.handle_timeout(now);
        self.run_turn_outputs(outputs).await;
    }

    /// Carries out what the turn-taking core decided.
    pub(super) async fn run_turn_outputs(&mut self, outputs: Vec<TurnOutput>) {
        for output in outputs {
            match output {
                TurnOutput::Transcribe {
                    job,
                    samples,
                    speculative,
                } => {
                    let cancel = Arc::new(AtomicBool::new(false));
                    self.asr_jobs.insert(job, Arc::clone(&cancel));
                    self.submit_asr(job, samples, speculative.then_some(cancel));
                }
                TurnOutput::Cancel(job) => {
                    if let Some(flag) = self.asr_jobs.remove(&job) {
                        flag.store(true, Ordering::Relaxed);
                    }
                }
                TurnOutput::StopSpeaking => {
                    tracing::debug!("call {}: the caller interrupted the bot", self.id);
                    self.stop_speaking();
                }
                TurnOutput::Turn(turn) => self.on_heard(turn).await,
                TurnOutput::Digit(digit) => self.on_key_turn(digit).await,
                TurnOutput::NoInput => {
                    self.handle_input(CallerInput::NoInput, Instant::now())
                        .await
                }
                TurnOutput::HoldingPhrase => {
                    let phrase = self.services.config.speech.holding_phrase.clone();
                    if !phrase.is_empty() {
                        tracing::info!("call {}: transcription is slow; holding phrase", self.id);
                        self.services.load.turn_delayed();
                        self.say(phrase).await;
                    }
                }
            }
        }
    }

    pub(super) fn submit_asr(
        &self,
        job: JobId,
        samples: Vec<f32>,
        cancel: Option<Arc<AtomicBool>>,
    ) {
        let asr = self.services.asr.clone();
        let internal = self.internal.clone();
        let test_delay = self.services.config.speech.asr_test_delay;
        let services = Arc::clone(&self.services);
        let expect = expect_for(self.conversation.expected_slot());
        // Digits are heard best without a vocabulary of words to lean towards.
        let hot_words = (expect == Expect::Speech)
            .then(|| {
                crate::pools::hot_words_job(self.services.config.speech.hot_words, || {
                    hotline_flow::hot_words(self.conversation.flow())
                })
            })
            .flatten();
        tokio::spawn(async move {
            let result = asr.transcribe(samples, cancel, expect, hot_words).await;
            if let Ok(heard) = &result {
                services.load.asr_started(heard.queued, Instant::now());
            }
            if !test_delay.is_zero() {
                tokio::time::sleep(test_delay).await;
            }
            let _ = internal.send(Internal::Asr { job, result });
        });
    }

    /// A turn the core handed out: for the flow while it takes input, else for the record.
    async fn on_heard(&mut self, heard: HeardTurn) {
        if heard.waiting_behind > 0 {
            tracing::info!(
                "call {}: {} more caller turn(s) wait behind this one",
                self.id,
                heard.waiting_behind
            );
        }
        self.utterance_audio = heard.audio;
        if heard.after_hang_up {
            // The caller has gone: no reply, no actions, but what they said is on the record.
            let transcript = heard.transcript.map(|mut asr| {
                if self.withhold_after_hang_up {
                    asr.text = hotline_flow::privacy::WITHHELD.to_string();
                }
                asr
            });
            self.record_only(transcript, "heard after the caller hung up")
                .await;
            return;
        }
        if self.call_state().open {
            self.on_transcript(heard.transcript, heard.end).await;
            return;
        }
        // The flow stopped taking input after this was said: it is still on the record.
        self.record_only(heard.transcript, "heard after the flow stopped listening")
            .await;
    }

    /// Stores a caller turn the flow does not run for, with why in its trace.
    async fn record_only(&mut self, transcript: Transcript, why: &str) {
        let asr = match transcript {
            Ok(asr) => asr,
            Err(reason) => {
                tracing::error!("call {}: ASR failed: {reason}", self.id);
                return;
            }
        };
        if asr.text.trim().is_empty() {
            return;
        }
        self.flush_turn().await;
        self.turn_seq += 1;
        let mut turn = Turn::new(&self.id, self.turn_seq);
        turn.record.caller_text = Some(asr.text.trim().to_string());
        turn.record.asr_confidence = Some(asr.confidence as f64);
        turn.record.trace = Some(why.to_string());
        self.turn = Some(turn);
        self.flush_turn().await;
    }

    /// Feeds the conversation and writes the input with its decisions to the call's journal.
    pub(super) async fn converse(&mut self, input: CallerInput) -> Vec<hotline_flow::Action> {
        let at = self.started.elapsed();
        let sensitive = self.conversation.sensitive_slot().map(str::to_string);
        if matches!(input, CallerInput::NoInput) {
            // The node that waited in vain, so the silence counts against its `ask` in the
            // analytics' funnel (a match names its node itself).
            if let Some(turn) = &mut self.turn {
                turn.record.node = Some(self.conversation.current_node().to_string());
            }
        }
        let actions = self.conversation.handle(input.clone(), at);
        let conversation = &self.conversation;
        let journaled =
            super::core::sensitive::journal_input(&input, sensitive.as_deref(), &actions, |slot| {
                conversation.is_sensitive(slot)
            });
        if matches!(journaled, JournalInput::Withheld { .. }) {
            if let Some(turn) = &mut self.turn {
                let withheld = || Some(hotline_flow::privacy::WITHHELD.to_string());
                if turn.record.caller_text.is_some() {
                    turn.record.caller_text = withheld();
                }
                if turn.record.caller_dtmf.is_some() {
                    turn.record.caller_dtmf = withheld();
                }
            }
        }
        self.journal(journaled, at, &actions).await;
        actions
    }

    pub(super) async fn journal(
        &mut self,
        input: JournalInput,
        at: Duration,
        actions: &[hotline_flow::Action],
    ) {
        // Values of sensitive slots are masked in what the flow said and did.
        let lines = decisions(actions)
            .iter()
            .map(|line| self.conversation.redact(line))
            .collect();
        self.journal_lines(input, at, lines).await;
    }

    /// Writes an input and the decisions it led to (as journal lines) to the call's journal.
    pub(super) async fn journal_lines(
        &mut self,
        input: JournalInput,
        at: Duration,
        decisions: Vec<String>,
    ) {
        self.journal_seq += 1;
        let entry = JournalEntry {
            at_ms: at.as_millis() as u64,
            input,
            decisions,
        };
        if let Err(e) = self
            .services
            .store
            .add_journal_entry(&self.id, self.journal_seq, &entry)
            .await
        {
            tracing::error!("call {}: cannot write the journal: {e}", self.id);
        }
    }

    pub(super) async fn on_transcript(&mut self, result: Transcript, end: TurnEnd) {
        let asr = match result {
            Ok(asr) => asr,
            Err(reason) => {
                tracing::error!("call {}: ASR failed: {reason}", self.id);
                return;
            }
        };
        let sensitive = self.conversation.sensitive_slot().is_some();
        tracing::info!(
            "call {}: caller said {:?} (confidence {:.2}, Whisper {} ms{})",
            self.id,
            if sensitive {
                hotline_flow::privacy::WITHHELD
            } else {
                asr.text.as_str()
            },
            asr.confidence,
            asr.elapsed.as_millis(),
            if asr.second_pass {
                ", decoded again with the hot words"
            } else {
                ""
            }
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
        // Silero already judged this audio to be speech, so a short, unsure "Yeah." is still an
        // answer; only an empty transcript or Whisper's confident "no speech" count as silence.
        let heard_nothing =
            asr.text.trim().is_empty() || (asr.no_speech_probability > 0.6 && asr.confidence < 0.5);
        let input = if heard_nothing {
            self.failures_in_a_row += 1;
            CallerInput::NoInput
        } else {
            let audio = std::mem::take(&mut self.utterance_audio);
            let reading = self.mood.observe(hotline_mood::TurnObservation {
                text: &asr.text,
                audio_8k: (!audio.is_empty()).then_some(&audio[..]),
                failures_in_a_row: self.failures_in_a_row,
            });
            if let Some(turn) = &mut self.turn {
                turn.record.sentiment = Some(reading.sentiment as f64);
                turn.record.anger = Some(reading.anger as f64);
                if !reading.cues.is_empty() {
                    let cues: Vec<String> = reading.cues.iter().map(|c| c.to_string()).collect();
                    turn.record.mood_cues = Some(cues.join("; "));
                }
            }
            CallerInput::SpeechWithMood {
                text: asr.text,
                confidence: asr.confidence,
                anger: reading.anger,
            }
        };
        let begin = Instant::now();
        let actions = self.converse(input).await;
        let done = Instant::now();
        if let Some(turn) = &mut self.turn {
            turn.record.match_ms = Some(ms(done - begin));
        }
        self.apply(actions, done).await;
    }

    pub(super) async fn on_digit(&mut self, digit: char) {
        if self.conversation.sensitive_slot().is_some() && digit.is_ascii_digit() {
            tracing::info!(
                "call {}: caller pressed a key for a sensitive slot",
                self.id
            );
        } else {
            tracing::info!("call {}: caller pressed {digit}", self.id);
        }
        if digit == '#' && self.voicemail.is_some() {
            self.finish_voicemail().await;
            return;
        }
        if self.handed_over() {
            self.handoff_digit(digit).await;
            return;
        }
        let outputs = self.listen.digit(digit, self.call_state());
        self.run_turn_outputs(outputs).await;
    }

    /// A key the turn-taking core took as the caller's turn (the prompt is already stopped).
    async fn on_key_turn(&mut self, digit: char) {
        self.flush_turn().await;
        self.turn_seq += 1;
        let mut turn = Turn::new(&self.id, self.turn_seq);
        turn.record.caller_dtmf = Some(digit.to_string());
        turn.speech_end = Some(Instant::now());
        self.turn = Some(turn);
        self.after_speech = AfterSpeech::Nothing;
        let actions = self.converse(CallerInput::Dtmf(digit)).await;
        self.apply(actions, Instant::now()).await;
    }

    pub(super) async fn handle_input(&mut self, input: CallerInput, now: Instant) {
        if matches!(input, CallerInput::NoInput) {
            self.failures_in_a_row += 1;
        }
        self.flush_turn().await;
        self.turn_seq += 1;
        self.turn = Some(Turn::new(&self.id, self.turn_seq));
        let actions = self.converse(input).await;
        self.apply(actions, now).await;
    }
}

/// How Whisper should hear the caller's next words, from the slot the flow waits for: numbers
/// read digit by digit get the full window (see `hotline_listen::Expect`).
fn expect_for(slot: Option<SlotType>) -> Expect {
    match slot {
        Some(SlotType::Digits | SlotType::OrderNumber | SlotType::Phone) => Expect::Digits,
        _ => Expect::Speech,
    }
}
