//! A call when the server is told to stop (SIGTERM): the flow ends, the caller hears
//! `sip.shutdown_goodbye`, and the call is hung up with the cause `shutdown` once it has played.

use hotline_flow::CallerInput;

use super::task::{AfterSpeech, CallTask};
use super::turn::Turn;

impl CallTask {
    /// The server is stopping: say goodbye, then hang up (bounded by `sip.drain_timeout`, which
    /// the SIP task enforces).
    pub(super) async fn on_shutdown(&mut self) {
        if self.hanging_up.is_some() {
            return;
        }
        tracing::info!(
            "call {}: the server is stopping; saying goodbye and hanging up",
            self.id
        );
        self.finish_voicemail().await;
        self.stop_speaking();
        self.listen.stop_listening();
        let (cancels, _) = self.listen.hang_up();
        self.run_turn_outputs(cancels).await;
        self.flush_turn().await;
        // The flow is over for this call: later transcripts go on the record only.
        let _ = self.converse(CallerInput::Hangup).await;
        let goodbye = self.services.config.sip.shutdown_goodbye.clone();
        self.turn_seq += 1;
        let mut turn = Turn::new(&self.id, self.turn_seq);
        turn.add_bot_text(&goodbye);
        turn.record.trace = Some("server stopping".to_string());
        self.turn = Some(turn);
        self.after_speech = AfterSpeech::Hangup("shutdown".to_string());
        self.say(goodbye).await;
    }
}
