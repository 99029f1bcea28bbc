//! Handing a caller to a person, the IO side: the handoff ticket, the queue with hold music and
//! position announcements, callbacks, ringing agents one at a time, the bridge with the caller's
//! task still in the media path (and recording it), and blind transfer by REFER. What happens
//! when is decided by the pure `core::handoff` machine; this file carries out its outputs and
//! feeds it the center's, the agent leg's and the far end's news.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hotline_acd::{Enqueued, QueueMessages, TransferMode};

use super::agent_leg::{self, LegCommand, LegHandle, LegRequest, LegUpdate};
use super::core::handoff::{HandoffCore, HandoffOutput, Joined, LegStatus, Route, Stage};
use super::core::journal::{handoff_decisions, JournalInput};
use super::hold::HoldMusic;
use super::recording::StereoRecorder;
use super::task::{AfterSpeech, CallTask};
use super::turn::Turn;
use super::{Frame, Playout};
use crate::center::{AgentTarget, QueueEvent};
use crate::server::SipCommand;
use crate::store::unix_ms;

/// How long a voicemail left on overflow may be.
const OVERFLOW_VOICEMAIL: Duration = Duration::from_secs(120);

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
    /// What happens when: stages, the ring deadline, the REFER wait.
    core: HandoffCore,
    ticket: Option<crate::store::HandoffTicket>,
    hold: HoldMusic,
    from_agent: Playout,
    leg: Option<LegHandle>,
    /// Where the agent last offered is reached, until the core says to ring them.
    offer: Option<AgentTarget>,
    recording: BridgeRecording,
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
        let route = match spec.mode {
            TransferMode::Refer { target } => Route::Refer { target },
            TransferMode::Bridge => Route::Bridge,
        };
        let (core, outputs) = HandoffCore::start(&queue, &reason, route, spec.callback_digit);
        self.handoff = Some(Handoff {
            core,
            ticket,
            hold: HoldMusic::new(music),
            from_agent: Playout::default(),
            leg: None,
            offer: None,
            recording: BridgeRecording::default(),
            messages: spec.messages.clone(),
        });
        self.run_handoff(outputs).await;
    }

    async fn transfer_unavailable(&mut self, reason: &str, why: &str) {
        tracing::info!("call {}: transfer not possible: {why}", self.id);
        let sentence = self.queue_messages().no_agent;
        self.say_to_caller(sentence).await;
        self.after_speech = AfterSpeech::Hangup(format!("transfer-unavailable:{reason}"));
    }

    fn core(&mut self) -> Option<&mut HandoffCore> {
        self.handoff.as_mut().map(|h| &mut h.core)
    }

    /// Carries out what the handoff core decided, in order; entering a queue feeds the center's
    /// answer back to the core and carries out its outputs in turn.
    async fn run_handoff(&mut self, outputs: Vec<HandoffOutput>) {
        let mut work: VecDeque<HandoffOutput> = outputs.into();
        while let Some(output) = work.pop_front() {
            match output {
                HandoffOutput::Trace(line) => self.trace(line),
                HandoffOutput::StoreTurn => self.flush_turn().await,
                HandoffOutput::SendRefer { target } => {
                    let _ = self
                        .sip
                        .send(SipCommand::Refer(self.sip_call.clone(), target));
                }
                HandoffOutput::JoinQueue { queue } => {
                    let more = self.enqueue(queue).await;
                    work.extend(more);
                }
                HandoffOutput::Announce {
                    position,
                    estimated_wait,
                } => {
                    let digit = self.core().map(|c| c.callback_digit()).unwrap_or('1');
                    let text = self
                        .queue_messages()
                        .announcement(position, estimated_wait, digit);
                    self.say_to_caller(text).await;
                }
                HandoffOutput::RingAgent { agent } => self.ring_agent(agent),
                HandoffOutput::CancelRing { agent } => {
                    let leg = self.handoff.as_ref().and_then(|h| h.leg.as_ref());
                    if let Some(leg) = leg.filter(|l| l.agent == agent) {
                        let _ = leg.commands.send(LegCommand::NoAnswer);
                    }
                }
                HandoffOutput::EndLeg => {
                    if let Some(leg) = self.handoff.as_mut().and_then(|h| h.leg.take()) {
                        let _ = leg.commands.send(LegCommand::Hangup);
                    }
                }
                HandoffOutput::AgentNoAnswer { agent } => {
                    if let Some(center) = &self.services.center {
                        center.no_answer(&self.id, &agent).await;
                    }
                }
                HandoffOutput::AgentAnswered { agent } => {
                    if let Some(center) = &self.services.center {
                        center.answered(&self.id, &agent).await;
                    }
                }
                HandoffOutput::LeftQueue => {
                    if let Some(center) = &self.services.center {
                        center.hung_up(&self.id).await;
                    }
                }
                HandoffOutput::SaveRecording => self.save_bridge_recording(),
                HandoffOutput::Voicemail => {
                    self.stop_speaking();
                    self.say_to_caller(self.queue_messages().voicemail).await;
                    self.after_speech = AfterSpeech::Record {
                        max: OVERFLOW_VOICEMAIL,
                        beep: true,
                    };
                }
                HandoffOutput::NoAgent { cause } => {
                    self.stop_speaking();
                    self.say_to_caller(self.queue_messages().no_agent).await;
                    self.after_speech = AfterSpeech::Hangup(cause);
                }
                HandoffOutput::Callback { queue, why } => self.store_callback(&queue, &why).await,
                HandoffOutput::EndCall { cause } => self.hanging_up = Some(cause),
            }
        }
    }

    /// Enqueues the caller (again, after an overflow to another queue or a refused REFER) and
    /// returns what the core makes of the center's answer.
    async fn enqueue(&mut self, queue: String) -> Vec<HandoffOutput> {
        let Some(center) = self.services.center.clone() else {
            return Vec::new();
        };
        let Some(spec) = center.queue(&queue) else {
            return self.core().map_or_else(Vec::new, |c| {
                let digit = c.callback_digit();
                c.joined(digit, Joined::Unavailable)
            });
        };
        let priority = spec.priority_callers.contains(&self.caller_key)
            || spec.priority_variable.as_deref().is_some_and(|v| {
                self.conversation.variable(v).is_some_and(|x| {
                    matches!(x.to_ascii_lowercase().as_str(), "yes" | "true" | "1")
                })
            });
        if let Some(h) = &mut self.handoff {
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
        let joined = match center.enqueue(&self.id, &queue, priority, events_tx).await {
            Ok(Enqueued::Waiting {
                position,
                estimated_wait,
            }) => Joined::Waiting {
                position,
                estimated_wait,
                priority,
            },
            Ok(Enqueued::Overflow(overflow)) => Joined::Overflow(overflow),
            Err(e) => {
                tracing::error!("call {}: cannot queue: {e}", self.id);
                Joined::Unavailable
            }
        };
        self.core()
            .map_or_else(Vec::new, |c| c.joined(spec.callback_digit, joined))
    }

    /// Stores a callback job for this caller's number and ends the call.
    async fn store_callback(&mut self, queue: &str, why: &str) {
        if let Some(center) = &self.services.center {
            center.left(&self.id, "callback").await;
        }
        match self
            .services
            .store
            .add_callback(&self.id, queue, &self.caller_key, unix_ms())
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

    /// Starts the leg to the agent the core decided to ring.
    fn ring_agent(&mut self, agent: String) {
        let Some(target) = self.handoff.as_mut().and_then(|h| h.offer.take()) else {
            return;
        };
        let request = LegRequest {
            agent,
            target_uri: target.uri,
            destination: target.destination,
            from_uri: self.agent_leg_from_uri(),
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
        }
    }

    /// A key pressed while handed over: the callback key, while waiting.
    pub(super) async fn handoff_digit(&mut self, digit: char) {
        let outputs = self.core().map(|c| c.digit(digit)).unwrap_or_default();
        self.run_handoff(outputs).await;
    }

    /// The center's news for this caller.
    pub(super) async fn on_queue_event(&mut self, event: QueueEvent) {
        let silent = self.is_silent();
        let Some(h) = &mut self.handoff else {
            if let (QueueEvent::Offer { agent, .. }, Some(center)) = (&event, &self.services.center)
            {
                center.no_answer(&self.id, agent).await;
            }
            return;
        };
        let outputs = match event {
            QueueEvent::Announce {
                position,
                estimated_wait,
            } => h.core.announce(position, estimated_wait, silent),
            QueueEvent::Overflow(overflow) => h.core.queue_overflow(overflow),
            QueueEvent::Offer {
                agent,
                agent_name,
                target,
                ring_timeout,
            } => {
                h.offer = Some(target);
                h.core
                    .offered(&agent, &agent_name, ring_timeout, Instant::now())
            }
        };
        self.run_handoff(outputs).await;
    }

    /// News from the agent's leg.
    pub(super) async fn on_leg_update(&mut self, agent: &str, update: LegUpdate) {
        let Some(h) = &mut self.handoff else { return };
        if h.core.agent() != Some(agent) {
            // A leg this call already gave up on (its agent was logged out while ringing).
            return;
        }
        let (status, said) = match update {
            LegUpdate::Audio(pcm) => {
                h.from_agent.push(&pcm);
                h.from_agent.trim_to(1600);
                self.record_bridge(Side::Agent, &pcm);
                return;
            }
            LegUpdate::Answered => (LegStatus::Answered, "answered".to_string()),
            LegUpdate::Bridged => (LegStatus::Bridged, "bridged".to_string()),
            LegUpdate::NotAnswered(why) => {
                let said = format!("no answer: {why}");
                (LegStatus::NotAnswered(why), said)
            }
            LegUpdate::Ended(cause) => {
                let said = format!("ended: {cause}");
                (LegStatus::Ended(cause), said)
            }
        };
        let outputs = h.core.leg_update(agent, status);
        if h.core.agent().is_none() {
            // The leg ended by itself: nothing to hang up.
            h.leg = None;
        }
        let input = JournalInput::AgentLeg {
            agent: agent.to_string(),
            status: said,
        };
        self.journal_handoff(input, &outputs).await;
        self.run_handoff(outputs).await;
    }

    /// The far end's answer to our REFER.
    pub(super) async fn on_refer_answered(&mut self, status: u16) {
        let now = Instant::now();
        let outputs = self
            .core()
            .map(|c| c.refer_answered(status, now))
            .unwrap_or_default();
        self.journal_handoff(JournalInput::ReferAnswered { status }, &outputs)
            .await;
        self.run_handoff(outputs).await;
    }

    /// A NOTIFY about the referred call's progress.
    pub(super) async fn on_refer_progress(&mut self, status: Option<u16>, terminated: bool) {
        let outputs = self
            .core()
            .map(|c| c.refer_progress(status, terminated))
            .unwrap_or_default();
        let input = JournalInput::ReferProgress { status, terminated };
        self.journal_handoff(input, &outputs).await;
        self.run_handoff(outputs).await;
    }

    /// When the handoff core must be woken (the ring deadline, the REFER wait).
    pub(super) fn handoff_timeout(&self) -> Option<Instant> {
        self.handoff.as_ref().and_then(|h| h.core.poll_timeout())
    }

    /// The handoff core's timer is due.
    pub(super) async fn on_handoff_timeout(&mut self, now: Instant) {
        let outputs = self
            .core()
            .map(|c| c.handle_timeout(now))
            .unwrap_or_default();
        if !outputs.is_empty() {
            self.journal_handoff(JournalInput::HandoffTimeout, &outputs)
                .await;
        }
        self.run_handoff(outputs).await;
    }

    /// A handoff input goes into the call's journal with what the handoff core did about it.
    async fn journal_handoff(&mut self, input: JournalInput, outputs: &[HandoffOutput]) {
        if self.handoff.is_none() {
            return;
        }
        let at = self.started.elapsed();
        self.journal_lines(input, at, handoff_decisions(outputs))
            .await;
    }

    /// The caller's side ended: release the agent and the queue place.
    pub(super) async fn end_handoff(&mut self) {
        let outputs = self.core().map(|c| c.caller_hung_up()).unwrap_or_default();
        self.run_handoff(outputs).await;
    }

    /// True while the bot has handed the call over (it no longer listens to the caller).
    pub(super) fn handed_over(&self) -> bool {
        self.handoff.is_some()
    }

    /// The caller's audio while handed over: to the agent when bridged, and to the recording.
    pub(super) fn caller_audio(&mut self, samples: &[f32]) {
        let Some(h) = &mut self.handoff else { return };
        if h.core.stage() != Stage::Bridged {
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
        match h.core.stage() {
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
        let reason = self
            .handoff
            .as_ref()
            .map(|h| h.core.reason().to_string())
            .unwrap_or_default();
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
