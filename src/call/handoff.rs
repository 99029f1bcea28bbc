//! Handing a caller to a person: the handoff ticket, the queue with hold music and position
//! announcements, a callback on a key press, overflow, ringing agents one at a time, the bridge
//! with the caller's task still in the media path (and recording it), and blind transfer by REFER
//! with a fallback to the queue when the far end refuses.

use std::time::Duration;

use hotline_acd::{Enqueued, Overflow, QueueMessages, TransferMode};

use super::agent_leg::{self, LegCommand, LegHandle, LegRequest, LegUpdate};
use super::hold::HoldMusic;
use super::recording::StereoRecorder;
use super::task::{AfterSpeech, CallTask};
use super::turn::Turn;
use super::{Frame, Playout};
use crate::center::QueueEvent;
use crate::server::SipCommand;
use crate::store::unix_ms;

/// How long an accepted REFER may go without a final NOTIFY before the caller is taken back.
const REFER_NOTIFY_WAIT: Duration = Duration::from_secs(32);

/// How long a voicemail left on overflow may be.
const OVERFLOW_VOICEMAIL: Duration = Duration::from_secs(120);

/// Where a handoff stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stage {
    /// In the queue, hearing hold music.
    Queued,
    /// An agent's phone is ringing (the caller still hears hold music).
    Ringing,
    /// The agent answered and hears the whisper.
    Whisper,
    /// Caller and agent talk.
    Bridged,
    /// A REFER is out; waiting for the far end's verdict.
    Referring,
    /// Overflow, callback or the end of the bridge: nothing more to hand over.
    Over,
}

/// Both directions of a bridged call, written to disk as they come so the conversation with
/// the agent is on record even if the process dies (see `recording.rs`).
#[derive(Default)]
pub(super) enum BridgeRecording {
    /// No bridged audio yet.
    #[default]
    NotStarted,
    Writing(StereoRecorder),
    /// Finished, or the file could not be written (logged once).
    Closed,
}

/// Which channel of the bridge recording.
#[derive(Debug, Clone, Copy)]
enum Side {
    Caller,
    Agent,
}

pub(super) struct Handoff {
    pub(super) queue: String,
    pub(super) reason: String,
    pub(super) stage: Stage,
    ticket: Option<crate::store::HandoffTicket>,
    hold: HoldMusic,
    from_agent: Playout,
    leg: Option<LegHandle>,
    recording: BridgeRecording,
    callback_digit: char,
    /// The queue's sentences (the caller may move to another queue on overflow).
    messages: QueueMessages,
}

impl CallTask {
    /// The flow's `transfer` has been said: open the ticket, then REFER or queue.
    pub(super) async fn start_handoff(&mut self, queue: String, reason: String) {
        let Some(center) = self.services.center.clone() else {
            return self
                .transfer_unavailable(&reason, "no agents are configured")
                .await;
        };
        let Some(spec) = center.queue(&queue) else {
            return self
                .transfer_unavailable(&reason, &format!("queue {queue:?} is not defined"))
                .await;
        };
        // Everything said so far goes into the ticket.
        self.flush_turn().await;
        let ticket = match self
            .services
            .store
            .create_handoff_ticket(
                &self.id,
                &queue,
                &reason,
                unix_ms(),
                &self.services.ticket_base_url,
            )
            .await
        {
            Ok(ticket) => Some(ticket),
            Err(e) => {
                tracing::error!("call {}: cannot create the handoff ticket: {e}", self.id);
                None
            }
        };
        self.trace(format!(
            "handoff to queue {queue} (reason: {reason}), ticket {}",
            ticket.as_ref().map(|t| t.id.as_str()).unwrap_or("none")
        ));
        self.flush_turn().await;
        let music = self.services.hold_music(spec.hold_music.as_deref());
        self.handoff = Some(Handoff {
            queue: queue.clone(),
            reason,
            stage: Stage::Queued,
            ticket,
            hold: HoldMusic::new(music),
            from_agent: Playout::default(),
            leg: None,
            recording: BridgeRecording::default(),
            callback_digit: spec.callback_digit,
            messages: spec.messages.clone(),
        });
        match spec.mode {
            TransferMode::Refer { target } => {
                self.trace(format!("REFER to {target}"));
                self.set_stage(Stage::Referring);
                let _ = self
                    .sip
                    .send(SipCommand::Refer(self.sip_call.clone(), target));
            }
            TransferMode::Bridge => self.join_queue(queue).await,
        }
    }

    async fn transfer_unavailable(&mut self, reason: &str, why: &str) {
        tracing::info!("call {}: transfer not possible: {why}", self.id);
        let sentence = self.queue_messages().no_agent;
        self.say_to_caller(sentence).await;
        self.after_speech = AfterSpeech::Hangup(format!("transfer-unavailable:{reason}"));
    }

    fn set_stage(&mut self, stage: Stage) {
        if let Some(h) = &mut self.handoff {
            h.stage = stage;
        }
    }

    fn stage(&self) -> Option<&Stage> {
        self.handoff.as_ref().map(|h| &h.stage)
    }

    /// Enqueues the caller (again, after an overflow to another queue or a refused REFER).
    async fn join_queue(&mut self, queue: String) {
        let Some(center) = self.services.center.clone() else {
            return;
        };
        let Some(spec) = center.queue(&queue) else {
            return self.overflow(Overflow::Hangup).await;
        };
        let priority = spec.priority_callers.contains(&self.caller_key)
            || spec.priority_variable.as_deref().is_some_and(|v| {
                self.conversation.variable(v).is_some_and(|x| {
                    matches!(x.to_ascii_lowercase().as_str(), "yes" | "true" | "1")
                })
            });
        if let Some(h) = &mut self.handoff {
            h.queue = queue.clone();
            h.stage = Stage::Queued;
            h.callback_digit = spec.callback_digit;
            h.messages = spec.messages.clone();
        }
        let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let internal = self.internal.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if internal.send(super::task::Internal::Queue(event)).is_err() {
                    break;
                }
            }
        });
        match center.enqueue(&self.id, &queue, priority, events_tx).await {
            Ok(Enqueued::Waiting {
                position,
                estimated_wait,
            }) => {
                self.trace(format!(
                    "queued in {queue} at position {position}{}",
                    if priority { " (priority caller)" } else { "" }
                ));
                self.flush_turn().await;
                let text =
                    spec.messages
                        .announcement(position, estimated_wait, spec.callback_digit);
                self.say_to_caller(text).await;
            }
            Ok(Enqueued::Overflow(overflow)) => {
                self.trace(format!("queue {queue}: no agent logged in, overflow"));
                self.overflow(overflow).await;
            }
            Err(e) => {
                tracing::error!("call {}: cannot queue: {e}", self.id);
                self.overflow(Overflow::Hangup).await;
            }
        }
    }

    /// What the queue does with a caller it cannot serve.
    async fn overflow(&mut self, overflow: Overflow) {
        self.end_leg();
        match overflow {
            Overflow::Queue(next) => {
                self.trace(format!("overflow to queue {next}"));
                Box::pin(self.join_queue(next)).await;
            }
            Overflow::Voicemail => {
                self.set_stage(Stage::Over);
                self.trace("overflow: voicemail".into());
                self.stop_speaking();
                self.say_to_caller(self.queue_messages().voicemail).await;
                self.after_speech = AfterSpeech::Record {
                    max: OVERFLOW_VOICEMAIL,
                    beep: true,
                };
            }
            Overflow::Callback => self.request_callback("overflow").await,
            Overflow::Hangup => {
                self.set_stage(Stage::Over);
                self.trace("overflow: hang up".into());
                self.stop_speaking();
                self.say_to_caller(self.queue_messages().no_agent).await;
                let reason = self.handoff_reason();
                self.after_speech = AfterSpeech::Hangup(format!("overflow:{reason}"));
            }
        }
    }

    fn handoff_reason(&self) -> String {
        self.handoff
            .as_ref()
            .map(|h| h.reason.clone())
            .unwrap_or_default()
    }

    /// Stores a callback job for this caller's number and ends the call.
    async fn request_callback(&mut self, why: &str) {
        let queue = self
            .handoff
            .as_ref()
            .map(|h| h.queue.clone())
            .unwrap_or_default();
        self.end_leg();
        self.set_stage(Stage::Over);
        if let Some(center) = &self.services.center {
            center.left(&self.id, "callback").await;
        }
        match self
            .services
            .store
            .add_callback(&self.id, &queue, &self.caller_key, unix_ms())
            .await
        {
            Ok(id) => self.trace(format!(
                "callback {id} requested ({why}) for {}",
                self.caller_key
            )),
            Err(e) => tracing::error!("call {}: cannot store the callback: {e}", self.id),
        }
        self.flush_turn().await;
        self.stop_speaking();
        self.say_to_caller(self.queue_messages().callback_confirmed)
            .await;
        self.after_speech = AfterSpeech::Hangup("callback".into());
    }

    /// A key pressed while handed over: the callback key, while waiting.
    pub(super) async fn handoff_digit(&mut self, digit: char) {
        let Some(h) = &self.handoff else { return };
        let waiting = matches!(h.stage, Stage::Queued | Stage::Ringing);
        if waiting && digit == h.callback_digit {
            self.request_callback("caller pressed a key").await;
        }
    }

    /// The center's news for this caller.
    pub(super) async fn on_queue_event(&mut self, event: QueueEvent) {
        match event {
            QueueEvent::Announce {
                position,
                estimated_wait,
            } => {
                if self.stage() == Some(&Stage::Queued) && self.is_silent() {
                    let digit = self
                        .handoff
                        .as_ref()
                        .map(|h| h.callback_digit)
                        .unwrap_or('1');
                    let text = self
                        .queue_messages()
                        .announcement(position, estimated_wait, digit);
                    self.say_to_caller(text).await;
                }
            }
            QueueEvent::Overflow(overflow) => {
                self.trace(format!("queue: waited too long, overflow {overflow:?}"));
                self.overflow(overflow).await;
            }
            QueueEvent::Offer {
                agent,
                agent_name,
                target,
                ring_timeout,
            } => {
                match self.stage() {
                    Some(Stage::Queued) => {}
                    // The distributor moved on from the agent being rung (their phone's
                    // registration was lost): that leg is stale.
                    Some(Stage::Ringing) => self.end_leg(),
                    _ => {
                        if let Some(center) = &self.services.center {
                            center.no_answer(&self.id, &agent).await;
                        }
                        return;
                    }
                }
                self.trace(format!("ringing agent {agent} ({agent_name})"));
                let request = LegRequest {
                    agent: agent.clone(),
                    target_uri: target.uri,
                    destination: target.destination,
                    from_uri: self.agent_leg_from_uri(),
                    ring_timeout,
                    headers: self.handoff_headers(),
                    whisper: self.whisper_text(),
                };
                let leg = agent_leg::spawn(
                    self.services.clone(),
                    self.sip.clone(),
                    request,
                    self.internal.clone(),
                );
                if let Some(h) = &mut self.handoff {
                    h.leg = Some(leg);
                    h.stage = Stage::Ringing;
                }
            }
        }
    }

    /// News from the agent's leg.
    pub(super) async fn on_leg_update(&mut self, agent: &str, update: LegUpdate) {
        let current = self.handoff.as_ref().and_then(|h| h.leg.as_ref());
        if current.is_none_or(|leg| leg.agent != agent) {
            // A leg this call already gave up on (its agent was logged out while ringing).
            return;
        }
        let agent = agent.to_string();
        match update {
            LegUpdate::Answered => {
                self.trace(format!("agent {agent} answered; whispering the summary"));
                self.set_stage(Stage::Whisper);
                if let Some(center) = &self.services.center {
                    center.answered(&self.id, &agent).await;
                }
            }
            LegUpdate::Bridged => {
                self.trace(format!("bridged to agent {agent}"));
                self.flush_turn().await;
                self.set_stage(Stage::Bridged);
            }
            LegUpdate::Audio(pcm) => {
                if let Some(h) = &mut self.handoff {
                    h.from_agent.push(&pcm);
                    h.from_agent.trim_to(1600);
                }
                self.record_bridge(Side::Agent, &pcm);
            }
            LegUpdate::NotAnswered(why) => {
                if let Some(h) = &mut self.handoff {
                    h.leg = None;
                    if h.stage == Stage::Ringing {
                        h.stage = Stage::Queued;
                    }
                }
                self.trace(format!("agent {agent} did not answer ({why})"));
                self.flush_turn().await;
                if let Some(center) = &self.services.center {
                    center.no_answer(&self.id, &agent).await;
                }
            }
            LegUpdate::Ended(cause) => {
                self.trace(format!("agent {agent} hung up ({cause})"));
                if let Some(h) = &mut self.handoff {
                    h.leg = None;
                    h.stage = Stage::Over;
                }
                if let Some(center) = &self.services.center {
                    center.hung_up(&self.id).await;
                }
                self.save_bridge_recording();
                self.hanging_up = Some("agent-hangup".into());
            }
        }
    }

    /// The far end's answer to our REFER.
    pub(super) async fn on_refer_answered(&mut self, status: u16) {
        if self.stage() != Some(&Stage::Referring) {
            return;
        }
        if (200..300).contains(&status) {
            self.trace(format!("REFER accepted ({status})"));
            let internal = self.internal.clone();
            tokio::spawn(async move {
                tokio::time::sleep(REFER_NOTIFY_WAIT).await;
                let _ = internal.send(super::task::Internal::ReferSilent);
            });
        } else {
            self.refer_failed(format!("REFER refused ({status})")).await;
        }
    }

    /// A NOTIFY about the referred call's progress.
    pub(super) async fn on_refer_progress(&mut self, status: Option<u16>, terminated: bool) {
        if self.stage() != Some(&Stage::Referring) {
            return;
        }
        match status {
            Some(s) if (200..300).contains(&s) => {
                self.trace(format!("transfer target answered ({s}); leaving the call"));
                self.set_stage(Stage::Over);
                let reason = self.handoff_reason();
                self.hanging_up = Some(format!("referred:{reason}"));
            }
            Some(s) if s >= 300 => {
                self.refer_failed(format!("transfer target refused ({s})"))
                    .await
            }
            _ if terminated => {
                self.refer_failed("REFER ended without an answer".into())
                    .await
            }
            _ => {}
        }
    }

    /// The far end accepted the REFER but never said how the transfer went.
    pub(super) async fn on_refer_silent(&mut self) {
        if self.stage() == Some(&Stage::Referring) {
            self.refer_failed(format!(
                "no final NOTIFY within {} s of the REFER's acceptance",
                REFER_NOTIFY_WAIT.as_secs()
            ))
            .await;
        }
    }

    /// The blind transfer did not happen: the caller stays, and goes to the queue's agents.
    async fn refer_failed(&mut self, why: String) {
        let queue = self
            .handoff
            .as_ref()
            .map(|h| h.queue.clone())
            .unwrap_or_default();
        self.trace(format!("{why}; falling back to queue {queue}'s agents"));
        self.join_queue(queue).await;
    }

    /// The caller's side ended: release the agent and the queue place.
    pub(super) async fn end_handoff(&mut self) {
        let Some(stage) = self.stage().cloned() else {
            return;
        };
        self.end_leg();
        if let Some(center) = &self.services.center {
            center.hung_up(&self.id).await;
        }
        if matches!(stage, Stage::Bridged | Stage::Whisper) {
            self.save_bridge_recording();
        }
        self.set_stage(Stage::Over);
    }

    fn end_leg(&mut self) {
        if let Some(leg) = self.handoff.as_mut().and_then(|h| h.leg.take()) {
            let _ = leg.commands.send(LegCommand::Hangup);
        }
    }

    /// True while the bot has handed the call over (it no longer listens to the caller).
    pub(super) fn handed_over(&self) -> bool {
        self.handoff.is_some()
    }

    /// The caller's audio while handed over: to the agent when bridged, and to the recording.
    pub(super) fn caller_audio(&mut self, samples: &[f32]) {
        let Some(h) = &mut self.handoff else { return };
        if h.stage != Stage::Bridged {
            return;
        }
        let pcm = hotline_media::f32_to_pcm(samples);
        self.record_bridge(Side::Caller, &pcm);
        if let Some(leg) = self.handoff.as_ref().and_then(|h| h.leg.as_ref()) {
            let _ = leg.commands.send(LegCommand::Audio(pcm));
        }
    }

    /// The frame for the caller when the bot is not speaking: the agent, or hold music.
    pub(super) fn handoff_frame(&mut self) -> Option<Frame> {
        let h = self.handoff.as_mut()?;
        match h.stage {
            Stage::Queued | Stage::Ringing | Stage::Whisper | Stage::Referring => {
                Some(h.hold.next_frame())
            }
            Stage::Bridged => Some(h.from_agent.next_frame()),
            Stage::Over => None,
        }
    }

    /// Appends bridged audio to the recording on disk, opening it at the first audio.
    fn record_bridge(&mut self, side: Side, pcm: &[i16]) {
        let starting = matches!(
            self.handoff.as_ref().map(|h| &h.recording),
            Some(BridgeRecording::NotStarted)
        );
        if starting {
            let path = self
                .services
                .recordings_dir()
                .join(format!("{}-bridge.wav", self.id));
            let opened = StereoRecorder::create(&path);
            let Some(h) = &mut self.handoff else { return };
            h.recording = match opened {
                Ok(recorder) => BridgeRecording::Writing(recorder),
                Err(e) => {
                    tracing::error!("call {}: cannot record the bridged call: {e}", self.id);
                    BridgeRecording::Closed
                }
            };
        }
        let Some(h) = &mut self.handoff else { return };
        let BridgeRecording::Writing(recorder) = &mut h.recording else {
            return;
        };
        let written = match side {
            Side::Caller => recorder.caller(pcm),
            Side::Agent => recorder.agent(pcm),
        };
        if let Err(e) = written {
            tracing::error!("call {}: the bridge recording stopped: {e}", self.id);
            h.recording = BridgeRecording::Closed;
        }
    }

    fn save_bridge_recording(&mut self) {
        let Some(h) = &mut self.handoff else { return };
        let BridgeRecording::Writing(recorder) =
            std::mem::replace(&mut h.recording, BridgeRecording::Closed)
        else {
            return;
        };
        match recorder.finish() {
            Ok(path) => self.trace(format!(
                "bridge recording {} (left: caller, right: agent)",
                path.display()
            )),
            Err(e) => tracing::error!("call {}: cannot store the bridge recording: {e}", self.id),
        }
    }

    fn agent_leg_from_uri(&self) -> String {
        let number = if self.caller_key.is_empty() {
            "hotline"
        } else {
            &self.caller_key
        };
        let host = self.services.config.rtp.address;
        format!("sip:{number}@{host}")
    }

    fn handoff_headers(&self) -> Vec<(String, String)> {
        let Some(ticket) = self.handoff.as_ref().and_then(|h| h.ticket.as_ref()) else {
            return Vec::new();
        };
        vec![
            (
                "Call-Info".to_string(),
                format!("<{}>;purpose=info", ticket.url),
            ),
            ("X-Hotline-Ticket".to_string(), ticket.id.clone()),
            (
                "X-Hotline-Summary".to_string(),
                crate::store::summary_header(&ticket.context),
            ),
        ]
    }

    /// What the agent hears before the caller is put through.
    fn whisper_text(&self) -> String {
        let reason = self.handoff_reason();
        let intent = self
            .handoff
            .as_ref()
            .and_then(|h| h.ticket.as_ref())
            .and_then(|t| {
                t.context["intents"]
                    .as_array()?
                    .last()?
                    .as_str()
                    .map(str::to_string)
            });
        self.queue_messages().whisper(intent.as_deref(), &reason)
    }

    /// The sentences of the queue the caller is in; before any queue (or in one `queues.yaml`
    /// does not define), the file's own wording, else today's.
    pub(super) fn queue_messages(&self) -> QueueMessages {
        match (&self.handoff, &self.services.center) {
            (Some(h), _) => h.messages.clone(),
            (None, Some(center)) => center.messages().clone(),
            (None, None) => QueueMessages::default(),
        }
    }

    /// A queue's sentence for the caller: said, and kept on the call's record as the bot's words
    /// (in the turn that traces why), so `calls show` tells what the caller heard.
    pub(super) async fn say_to_caller(&mut self, text: String) {
        if !text.trim().is_empty() {
            let (id, seq) = (self.id.clone(), self.turn_seq + 1);
            let turn = self.turn.get_or_insert_with(|| Turn::new(&id, seq));
            if turn.record.seq == seq {
                self.turn_seq = seq;
            }
            turn.add_bot_text(&text);
        }
        self.say(text).await;
    }
}
