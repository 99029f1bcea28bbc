//! Carrying out what the flow asks for: speech, listening, hang-up and transfer, and the actions
//! that talk to the world (the business's API, tickets, caller memory, voicemail). Requests and
//! tickets go through the requests core (`core::requests`), which decides what the engine is
//! given and when; this file does their IO.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hotline_flow::{Action, CallerInput};

use super::core::journal::JournalInput;
use super::core::requests::{RequestId, RequestOutput};
use super::task::{AfterSpeech, CallTask, Internal};
use super::turn::Turn;
use super::voicemail::{beep, Voicemail};
use crate::store::unix_ms;

/// How much longer than the flow's timeout the HTTP client waits for an answer.
const TRANSPORT_GRACE: Duration = Duration::from_secs(2);

impl CallTask {
    /// Carries out what the flow asked for, in order; results the engine waits for (tickets) are
    /// fed back at once, slow ones (HTTP) come back through the task's internal channel or the
    /// requests core's timeout.
    pub(super) async fn apply(&mut self, actions: Vec<Action>, now: Instant) {
        let mut queue: VecDeque<Action> = actions.into();
        let mut text = String::new();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Say { text: t } => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(&t);
                }
                Action::Listen { timeout, .. } => self.after_speech = AfterSpeech::Listen(timeout),
                Action::Hangup { reason } => {
                    self.after_speech = AfterSpeech::Hangup(format!("bot-{reason}"))
                }
                Action::Transfer { queue: q, reason } => {
                    self.trace(format!("transfer to {q} ({reason})"));
                    self.after_speech = AfterSpeech::Handoff { queue: q, reason };
                }
                Action::Matched {
                    intent,
                    score,
                    node,
                } => {
                    if intent.is_none() {
                        self.failures_in_a_row += 1;
                    } else {
                        self.failures_in_a_row = 0;
                    }
                    if let Some(turn) = &mut self.turn {
                        turn.record.intent = intent;
                        turn.record.match_score = Some(score as f64);
                        turn.record.node = Some(node);
                    }
                }
                Action::Http(request) => {
                    let outputs = self.requests.http(request, now);
                    let more = self.run_requests(outputs).await;
                    queue.extend(more);
                }
                Action::Ticket { summary, fields } => {
                    // Tickets keep sensitive slot values masked.
                    let summary = self.conversation.redact(&summary);
                    let fields: Vec<(String, String)> = fields
                        .into_iter()
                        .map(|(name, value)| (name, self.conversation.redact(&value)))
                        .collect();
                    let outputs = self.requests.ticket(summary, fields);
                    let more = self.run_requests(outputs).await;
                    queue.extend(more);
                }
                Action::Remember { key, value } => {
                    let value = self.conversation.redact(&value);
                    if let Err(e) = self
                        .services
                        .store
                        .remember(&self.caller_key, &key, &value, unix_ms())
                        .await
                    {
                        tracing::error!("call {}: cannot remember {key}: {e}", self.id);
                    }
                }
                Action::Language { code } => {
                    tracing::info!("call {}: flow asks for language {code:?}; one voice and English Whisper are installed", self.id);
                }
                Action::Record { max, beep } => {
                    self.after_speech = AfterSpeech::Record { max, beep }
                }
                Action::SlotFilled { slot, value, .. } => {
                    self.trace(format!("slot {slot} = {value}"))
                }
                Action::FaqAnswered { entry, score, .. } => self.trace(format!(
                    "faq {} ({score:.2})",
                    entry.as_deref().unwrap_or("no answer")
                )),
                other => tracing::debug!("call {}: flow action {other:?} not handled", self.id),
            }
        }
        // The caller hears the values; the record keeps sensitive ones masked.
        let shown = self.conversation.redact(&text);
        if let Some(turn) = &mut self.turn {
            turn.replied_at = Some(now);
            if !shown.is_empty() {
                turn.add_bot_text(&shown);
            }
        }
        if text.is_empty() {
            self.flush_turn().await;
        } else {
            self.say(text).await;
        }
    }

    /// Adds a line to the turn's trace (slots, FAQ entries, API calls, tickets).
    pub(super) fn trace(&mut self, line: String) {
        let line = self.conversation.redact(&line);
        tracing::info!("call {}: {line}", self.id);
        let id = self.id.clone();
        let seq = self.turn_seq + 1;
        let turn = self.turn.get_or_insert_with(|| Turn::new(&id, seq));
        if turn.record.seq == seq {
            self.turn_seq = seq;
        }
        match &mut turn.record.trace {
            Some(t) => {
                t.push('\n');
                t.push_str(&line);
            }
            None => turn.record.trace = Some(line),
        }
    }

    /// Carries out what the requests core decided, in order: sends the request (the answer comes
    /// back through the task's internal channel), writes the ticket and feeds its id back, journals
    /// a late answer. Returns what the flow did with the inputs it was given.
    pub(super) async fn run_requests(&mut self, outputs: Vec<RequestOutput>) -> Vec<Action> {
        let mut work: VecDeque<RequestOutput> = outputs.into();
        let mut actions = Vec::new();
        while let Some(output) = work.pop_front() {
            match output {
                RequestOutput::Trace(line) => self.trace(line),
                RequestOutput::SendHttp { id, mut request } => {
                    // The core's timer is the flow's timeout; the transport waits a little
                    // longer, so an answer just past it is still seen and journaled as late.
                    request.timeout += TRANSPORT_GRACE;
                    let client = self.services.http.clone();
                    let internal = self.internal.clone();
                    tokio::spawn(async move {
                        let input = super::business_api::call(&client, &request).await;
                        let _ = internal.send(Internal::Http { id, input });
                    });
                }
                RequestOutput::CreateTicket {
                    id,
                    summary,
                    fields,
                } => {
                    let ticket = match self
                        .services
                        .store
                        .create_ticket(&self.id, &summary, &fields, unix_ms())
                        .await
                    {
                        Ok(ticket) => Some(ticket),
                        Err(e) => {
                            tracing::error!("call {}: cannot create ticket: {e}", self.id);
                            None
                        }
                    };
                    work.extend(self.requests.ticket_created(id, ticket));
                }
                RequestOutput::ToFlow(input) => actions.extend(self.converse(input).await),
                RequestOutput::Late { status, after } => {
                    tracing::info!(
                        "call {}: the API answered {} after {} ms, past the flow's timeout: not given to the flow",
                        self.id,
                        status.map_or("nothing".to_string(), |s| s.to_string()),
                        after.as_millis()
                    );
                    let late = JournalInput::HttpLate {
                        status,
                        after_ms: after.as_millis() as u64,
                    };
                    self.journal_lines(late, self.started.elapsed(), Vec::new())
                        .await;
                }
            }
        }
        actions
    }

    /// The business API's answer to request `id`, for the requests core and then the flow.
    pub(super) async fn on_http_answer(&mut self, id: RequestId, input: CallerInput, now: Instant) {
        let CallerInput::HttpResult { status, body } = input else {
            return;
        };
        let outputs = self.requests.http_answered(id, status, body, now);
        self.run_request_outputs(outputs, now).await;
    }

    /// The flow's `http` timeout passed: the flow takes its failure branch.
    pub(super) async fn on_requests_timeout(&mut self, now: Instant) {
        let outputs = self.requests.handle_timeout(now);
        self.run_request_outputs(outputs, now).await;
    }

    /// Runs the core's outputs and, when the flow was given an input, carries out its answer.
    async fn run_request_outputs(&mut self, outputs: Vec<RequestOutput>, now: Instant) {
        let to_flow = outputs
            .iter()
            .any(|o| matches!(o, RequestOutput::ToFlow(_)));
        let actions = self.run_requests(outputs).await;
        if to_flow {
            self.apply(actions, now).await;
        }
    }

    /// An answer from the world (an HTTP result, a recorded voicemail) for the engine. When it
    /// comes after the turn that asked was stored (its first words already played), a trace line
    /// has opened a turn of its own, so what the bot says next is still on the record.
    pub(super) async fn on_runtime_answer(&mut self, input: CallerInput) {
        let actions = self.converse(input).await;
        self.apply(actions, Instant::now()).await;
    }

    /// The bot has finished the prompt before a voicemail: beep, then record.
    pub(super) fn start_voicemail(&mut self, max: Duration, with_beep: bool) {
        if with_beep {
            self.playout.push(&beep(Duration::from_millis(400)));
        }
        self.voicemail = Some(Voicemail::new(max));
    }

    /// Caller audio while a voicemail is being recorded (only once the beep has played).
    pub(super) async fn voicemail_audio(&mut self, samples: &[f32]) {
        if !self.is_silent() {
            return;
        }
        let done = self.voicemail.as_mut().is_some_and(|v| v.push(samples));
        if done {
            self.finish_voicemail().await;
        }
    }

    /// Stores the message as a WAV next to the database and tells the flow where it is.
    pub(super) async fn finish_voicemail(&mut self) {
        let Some(voicemail) = self.voicemail.take() else {
            return;
        };
        let duration = voicemail.duration();
        self.voicemail_seq += 1;
        let dir = self.services.recordings_dir();
        let path = dir.join(format!("{}-{}.wav", self.id, self.voicemail_seq));
        let pcm = voicemail.into_pcm();
        let written = std::fs::create_dir_all(&dir)
            .map_err(|e| e.to_string())
            .and_then(|_| crate::dial::write_wav_8k(&path, &pcm).map_err(|e| e.to_string()));
        let path_text = match written {
            Ok(()) => path.display().to_string(),
            Err(e) => {
                tracing::error!("call {}: cannot store voicemail: {e}", self.id);
                String::new()
            }
        };
        self.trace(format!(
            "voicemail {path_text} ({:.1} s)",
            duration.as_secs_f32()
        ));
        if self.handed_over() {
            // A message left when no agent could take the call: the flow is already over.
            let thanks = self.queue_messages().voicemail_thanks;
            self.say_to_caller(thanks).await;
            self.after_speech = AfterSpeech::Hangup("voicemail".into());
            return;
        }
        self.on_runtime_answer(CallerInput::Recorded {
            path: path_text,
            duration,
        })
        .await;
    }
}
