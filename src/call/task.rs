//! One call's conversational state: what the bot is saying, whether it is listening, the turn in
//! progress, and the transcripts coming back, as methods the session loop calls on events.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_flow::{CallerInput, Conversation};
use hotline_sip::CallId;
use tokio::sync::mpsc;

use super::turn::{ms, Turn};
use super::voicemail::Voicemail;
use super::Playout;
use crate::pools::{AsrResult, ListenerEvent, TtsChunk, TtsJob};
use crate::server::Services;

/// Said when the flow asks for a transfer and no agent queue exists yet.
pub(super) const NO_AGENT: &str = "I'm sorry, no agent is available to take your call right now. Please try again later. Goodbye.";

/// Results that come back to the call task from jobs it spawned.
pub(super) enum Internal {
    /// A transcript; `pause` names the early (speculative) transcription it belongs to.
    Asr {
        pause: Option<u64>,
        result: Result<AsrResult, String>,
    },
    /// The business API's answer to the engine's `http` action, and how long it took.
    Http {
        input: CallerInput,
        took: std::time::Duration,
    },
    /// The contact center's news for a queued caller.
    Queue(crate::center::QueueEvent),
    /// A REFER was accepted this long ago and no final NOTIFY has come.
    ReferSilent,
    /// News from the leg ringing or bridged to this agent.
    Leg {
        agent: String,
        update: super::agent_leg::LegUpdate,
    },
}

/// The end of a turn as the endpointer saw it.
#[derive(Clone, Copy)]
pub(super) struct TurnEnd {
    pub(super) decided_at: Instant,
    pub(super) endpoint_wait: Duration,
}

/// Whisper started on a pause, before the endpointer confirmed the end of the turn.
pub(super) struct Speculation {
    pub(super) pause: u64,
    /// Tells the ASR pool to skip the job if it has not started.
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) result: Option<Result<AsrResult, String>>,
    /// Set once the turn really ended at that pause: the transcript is then awaited.
    pub(super) turn_end: Option<TurnEnd>,
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
    pub(super) barge_in: bool,
    pub(super) playout: Playout,
    pub(super) speech: VecDeque<Speech>,
    pub(super) after_speech: AfterSpeech,
    pub(super) no_input_deadline: Option<Instant>,
    pub(super) asr_in_flight: Option<TurnEnd>,
    pub(super) speculation: Option<Speculation>,
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
    /// The caller started speaking while the bot was listening: accept that turn even though the
    /// no-input timer was stopped.
    pub(super) speaking_while_listening: bool,
    /// Where the call stands once the flow handed it to people.
    pub(super) handoff: Option<super::handoff::Handoff>,
    /// Commands to the SIP task (agent legs, REFER).
    pub(super) sip: mpsc::UnboundedSender<crate::server::SipCommand>,
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
            AfterSpeech::Listen(timeout) => self.no_input_deadline = Some(now + timeout),
            AfterSpeech::Hangup(cause) => {
                self.no_input_deadline = None;
                self.hanging_up = Some(cause);
            }
            AfterSpeech::Record { max, beep } => self.start_voicemail(max, beep),
            AfterSpeech::Handoff { queue, reason } => {
                self.no_input_deadline = None;
                self.start_handoff(queue, reason).await;
            }
        }
    }

    pub(super) fn accepting_input(&self) -> bool {
        self.hanging_up.is_none()
            && self.voicemail.is_none()
            && !self.handed_over()
            && !matches!(
                self.after_speech,
                AfterSpeech::Hangup(_) | AfterSpeech::Record { .. } | AfterSpeech::Handoff { .. }
            )
            && (self.no_input_deadline.is_some()
                || self.speaking_while_listening
                || self.barge_in
                || self.is_silent())
    }

    pub(super) async fn on_listener(&mut self, event: ListenerEvent) {
        match event {
            ListenerEvent::SpeechStarted => {
                if self.barge_in && !self.is_silent() && self.accepting_input() {
                    tracing::debug!("call {}: barge-in", self.id);
                    self.stop_speaking();
                }
                // The caller is talking: no "I didn't hear you" over them. If the turn turns out
                // to be noise, the engine gets NoInput from the transcript instead.
                if self.no_input_deadline.take().is_some() {
                    self.speaking_while_listening = true;
                }
            }
            ListenerEvent::Paused { pause, samples } => {
                if self.accepting_input() && self.asr_in_flight.is_none() {
                    let cancel = Arc::new(AtomicBool::new(false));
                    self.drop_speculation();
                    self.speculation = Some(Speculation {
                        pause,
                        cancel: Arc::clone(&cancel),
                        result: None,
                        turn_end: None,
                    });
                    self.submit_asr(Some(pause), samples, Some(cancel));
                }
            }
            ListenerEvent::Resumed { pause } => {
                if self.speculation.as_ref().is_some_and(|s| s.pause == pause) {
                    self.drop_speculation();
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
                    self.drop_speculation();
                    return;
                }
                self.no_input_deadline = None;
                self.speaking_while_listening = false;
                self.utterance_audio = samples.clone();
                match self.speculation.take() {
                    Some(mut spec) if pause == Some(spec.pause) => match spec.result.take() {
                        Some(result) => self.on_transcript(result, end).await,
                        None => {
                            spec.turn_end = Some(end);
                            self.speculation = Some(spec);
                        }
                    },
                    stale => {
                        if let Some(spec) = stale {
                            spec.cancel.store(true, Ordering::Relaxed);
                        }
                        self.asr_in_flight = Some(end);
                        self.submit_asr(None, samples, None);
                    }
                }
            }
            ListenerEvent::Failed(reason) => {
                tracing::error!("call {}: VAD failed: {reason}", self.id)
            }
        }
    }

    /// Forgets the early transcription, and stops it if it has not started.
    pub(super) fn drop_speculation(&mut self) {
        if let Some(spec) = self.speculation.take() {
            spec.cancel.store(true, Ordering::Relaxed);
        }
    }

    pub(super) fn submit_asr(
        &self,
        pause: Option<u64>,
        samples: Vec<f32>,
        cancel: Option<Arc<AtomicBool>>,
    ) {
        let asr = self.services.asr.clone();
        let internal = self.internal.clone();
        tokio::spawn(async move {
            let result = match asr.transcribe(samples, cancel).await {
                Ok(r) => r,
                Err(e) => Err(e.to_string()),
            };
            let _ = internal.send(Internal::Asr { pause, result });
        });
    }

    pub(super) async fn on_asr(&mut self, pause: Option<u64>, result: Result<AsrResult, String>) {
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

    pub(super) async fn on_transcript(&mut self, result: Result<AsrResult, String>, end: TurnEnd) {
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
        let actions = self.conversation.handle(input, self.started.elapsed());
        let done = Instant::now();
        if let Some(turn) = &mut self.turn {
            turn.record.match_ms = Some(ms(done - begin));
        }
        self.apply(actions, done).await;
    }

    pub(super) async fn on_digit(&mut self, digit: char) {
        tracing::info!("call {}: caller pressed {digit}", self.id);
        if digit == '#' && self.voicemail.is_some() {
            self.finish_voicemail().await;
            return;
        }
        if self.handed_over() {
            self.handoff_digit(digit).await;
            return;
        }
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

    pub(super) async fn handle_input(&mut self, input: CallerInput, now: Instant) {
        if matches!(input, CallerInput::NoInput) {
            self.failures_in_a_row += 1;
        }
        self.flush_turn().await;
        self.turn_seq += 1;
        self.turn = Some(Turn::new(&self.id, self.turn_seq));
        let actions = self.conversation.handle(input, self.started.elapsed());
        self.apply(actions, now).await;
    }
}
