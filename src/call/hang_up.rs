//! A caller who hangs up keeps what they said: the turns still being transcribed, and the sentence
//! the hang-up cut off, go on the call record as "heard after the caller hung up" (the flow does
//! not run for them), within the core's `HANG_UP_TRANSCRIPTION_WAIT`.

use std::time::Instant;

use tokio::sync::mpsc;

use super::core::turn_taking::HANG_UP_TRANSCRIPTION_WAIT;
use super::task::{CallTask, Internal};
use super::DialogEvent;

impl CallTask {
    /// The caller hung up: the bot stops, early transcription is cancelled, and finished turns
    /// (and `in_progress`, the utterance the listener still held) wait for their transcripts.
    pub(super) async fn on_caller_hung_up(&mut self, in_progress: Option<Vec<f32>>) {
        self.withhold_after_hang_up = self.conversation.sensitive_slot().is_some();
        if let Some(samples) = &in_progress {
            tracing::info!(
                "call {}: the caller hung up mid-sentence; transcribing its {:.1} s",
                self.id,
                samples.len() as f64 / 8000.0
            );
        }
        let outputs = self
            .listen
            .caller_hung_up(in_progress, self.call_state(), Instant::now());
        self.run_turn_outputs(outputs).await;
    }

    /// Feeds the transcripts still coming from the ASR pool until none is awaited or the core's
    /// deadline passes; each becomes a turn on the record. A server told to stop meanwhile stops
    /// waiting at once, so the call's end is still recorded before the process goes.
    pub(super) async fn hear_the_rest(
        &mut self,
        internal: &mut mpsc::UnboundedReceiver<Internal>,
        dialog: &mut mpsc::UnboundedReceiver<DialogEvent>,
    ) {
        let awaited = self.listen.waiting();
        if awaited == 0 {
            return;
        }
        tracing::info!(
            "call {}: the caller hung up while {awaited} turn(s) were being transcribed; waiting up to {:?} for them",
            self.id,
            HANG_UP_TRANSCRIPTION_WAIT
        );
        let stored_before = self.turn_seq;
        let lost_before = self.listen.lost();
        while let Some(deadline) = self.listen.poll_timeout() {
            tokio::select! {
                Some(message) = internal.recv() => {
                    // Only transcripts matter now: the flow is over for this call.
                    if let Internal::Asr { job, result } = message {
                        tracing::debug!(
                            "call {}: transcription {job} came back after the hang-up: {}",
                            self.id,
                            match &result {
                                Ok(asr) => format!("Whisper {} ms", asr.elapsed.as_millis()),
                                Err(e) => e.to_string(),
                            }
                        );
                        self.on_asr(job, result).await;
                    }
                }
                _ = tokio::time::sleep_until(deadline.into()) => {
                    self.on_turn_timeout(Instant::now()).await;
                }
                event = dialog.recv() => {
                    if matches!(event, Some(DialogEvent::Shutdown) | None) {
                        tracing::warn!(
                            "call {}: the server is stopping; no longer waiting for the caller's last transcripts",
                            self.id
                        );
                        let (cancels, _) = self.listen.hang_up();
                        self.run_turn_outputs(cancels).await;
                    }
                }
            }
        }
        let stored = self.turn_seq - stored_before;
        let lost = self.listen.lost() - lost_before;
        tracing::info!(
            "call {}: {stored} turn(s) heard after the caller hung up stored",
            self.id
        );
        if lost > 0 {
            tracing::warn!(
                "call {}: {lost} turn(s) the caller said before hanging up were lost: no transcript in time",
                self.id
            );
        }
    }
}
