//! Turn-taking as a pure state machine: what the caller said becomes turns, in order, and none is
//! lost however slow transcription is. The driver feeds it the listener's events, transcripts and
//! the time; it answers with transcriptions to start or cancel and turns to handle.
//!
//! Every utterance the endpointer closes gets a transcription job (its early one from the pause
//! when the caller did not speak again, else a new one). Finished turns wait in a queue and leave
//! it in the order they were spoken, each as soon as its own transcript and all earlier ones are
//! in. A turn that waits longer than the holding delay makes the caller hear a holding phrase once,
//! so a slow server is never silence.
//!
//! When the caller hangs up, what they said is still theirs: finished turns keep waiting for their
//! transcripts, and an utterance cut off by the hang-up is closed and transcribed too. Those turns
//! come out marked as heard after the hang-up (for the record, not for the flow), until nothing is
//! awaited or [`HANG_UP_TRANSCRIPTION_WAIT`] has passed; what is still missing then is lost.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::pools::AsrResult;

/// How long after the caller hung up the core still waits for the transcripts of what they said;
/// then what is missing is cancelled and counted as lost.
pub const HANG_UP_TRANSCRIPTION_WAIT: Duration = Duration::from_secs(30);

/// A transcription job the core asked for.
pub type JobId = u64;

/// What Whisper made of a job's audio, or why it could not.
pub type Transcript = Result<AsrResult, crate::error::HotlineError>;

/// How the core takes turns.
#[derive(Debug, Clone, Copy)]
pub struct TurnTakingConfig {
    /// The caller may speak over the bot and stop it.
    pub barge_in: bool,
    /// After a turn has waited this long for its transcript the caller hears the holding phrase;
    /// `None`: never.
    pub holding_after: Option<Duration>,
}

/// What the driver knows of the call when it feeds an event.
#[derive(Debug, Clone, Copy)]
pub struct CallState {
    /// The flow still takes caller input (not hanging up, recording a message or handed over).
    pub open: bool,
    /// The bot is speaking (or has audio queued).
    pub bot_speaking: bool,
}

/// The end of a turn as the endpointer saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TurnEnd {
    pub decided_at: Instant,
    pub endpoint_wait: Duration,
}

/// A caller turn ready for the flow, handed out in the order it was spoken.
#[derive(Debug)]
pub struct HeardTurn {
    pub transcript: Transcript,
    pub end: TurnEnd,
    /// The turn's audio (8 kHz), for the voice cues of the mood score.
    pub audio: Vec<f32>,
    /// Other turns still waiting for their transcripts behind this one.
    pub waiting_behind: usize,
    /// The caller had hung up when this transcript came: the turn is for the record only.
    pub after_hang_up: bool,
}

/// What the core asks the driver to do.
#[derive(Debug)]
pub enum TurnOutput {
    /// Transcribe this audio; `speculative` jobs may be skipped once cancelled.
    Transcribe {
        job: JobId,
        samples: Vec<f32>,
        speculative: bool,
    },
    /// The job's result is no longer wanted.
    Cancel(JobId),
    /// The caller spoke over the bot: stop its speech.
    StopSpeaking,
    /// The caller's turn, for the flow.
    Turn(HeardTurn),
    /// The caller was silent for the whole listen timeout.
    NoInput,
    /// A turn has waited for its transcript past the holding delay: tell the caller.
    HoldingPhrase,
    /// The caller pressed a key while the flow takes input: a turn of its own for the flow.
    Digit(char),
}

/// An early transcription started at a pause, before the turn was known to have ended there.
#[derive(Debug)]
struct Speculation {
    pause: u64,
    job: JobId,
    result: Option<Transcript>,
}

/// A finished utterance waiting for its transcript (or for earlier turns).
#[derive(Debug)]
struct Pending {
    job: JobId,
    end: TurnEnd,
    audio: Vec<f32>,
    result: Option<Transcript>,
    /// When the turn ended, for the holding phrase.
    queued_at: Instant,
}

/// One call's turn-taking.
#[derive(Debug)]
pub struct TurnTaker {
    config: TurnTakingConfig,
    next_job: JobId,
    speculation: Option<Speculation>,
    pending: VecDeque<Pending>,
    no_input_deadline: Option<Instant>,
    /// The caller started speaking while the bot listened: that turn counts even though the
    /// no-input timer was stopped.
    speaking_while_listening: bool,
    /// The holding phrase was said for the turns now waiting.
    held: bool,
    /// Utterances that came while the flow took no input (said for the record).
    ignored: u64,
    /// The endpointer confirmed speech that has not ended in an utterance yet.
    caller_speaking: bool,
    /// When the caller hung up, if they did.
    hung_up_at: Option<Instant>,
    /// Turns the caller finished whose transcripts never came.
    lost: usize,
}

impl TurnTaker {
    pub fn new(config: TurnTakingConfig) -> TurnTaker {
        TurnTaker {
            config,
            next_job: 0,
            speculation: None,
            pending: VecDeque::new(),
            no_input_deadline: None,
            speaking_while_listening: false,
            held: false,
            ignored: 0,
            caller_speaking: false,
            hung_up_at: None,
            lost: 0,
        }
    }

    /// The bot has finished its prompt and waits this long for the caller.
    pub fn listen_for(&mut self, timeout: Duration, now: Instant) {
        self.no_input_deadline = Some(now + timeout);
    }

    /// The flow no longer waits for the caller (it hangs up, records or hands over).
    pub fn stop_listening(&mut self) {
        self.no_input_deadline = None;
    }

    /// The caller may be heard now: the flow waits for them, or they may speak over the bot.
    fn accepting(&self, state: CallState) -> bool {
        state.open
            && (self.no_input_deadline.is_some()
                || self.speaking_while_listening
                || self.config.barge_in
                || !state.bot_speaking)
    }

    /// Turns finished but not yet handed out (after a hang-up: transcripts still awaited).
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    /// Utterances that came while the flow took no input.
    pub fn ignored(&self) -> u64 {
        self.ignored
    }

    /// The endpointer confirmed speech (it lasted its minimum length).
    pub fn speech_started(&mut self, state: CallState) -> Vec<TurnOutput> {
        let mut out = Vec::new();
        self.caller_speaking = true;
        if self.config.barge_in && state.bot_speaking && self.accepting(state) {
            out.push(TurnOutput::StopSpeaking);
        }
        // The caller is talking: no "I didn't hear you" over them. If the turn turns out to be
        // noise, the flow gets NoInput from the transcript instead.
        if self.no_input_deadline.take().is_some() {
            self.speaking_while_listening = true;
        }
        out
    }

    /// The caller paused: transcribe what was said so far, unless earlier turns still keep
    /// Whisper busy (then an early run would only delay them).
    pub fn paused(&mut self, pause: u64, samples: Vec<f32>, state: CallState) -> Vec<TurnOutput> {
        let mut out = Vec::new();
        if !self.accepting(state) || !self.pending.is_empty() {
            return out;
        }
        if let Some(old) = self.speculation.take() {
            out.push(TurnOutput::Cancel(old.job));
        }
        let job = self.new_job();
        self.speculation = Some(Speculation {
            pause,
            job,
            result: None,
        });
        out.push(TurnOutput::Transcribe {
            job,
            samples,
            speculative: true,
        });
        out
    }

    /// The caller went on after that pause: its early transcript is stale.
    pub fn resumed(&mut self, pause: u64) -> Vec<TurnOutput> {
        match self.speculation.take() {
            Some(spec) if spec.pause == pause => vec![TurnOutput::Cancel(spec.job)],
            other => {
                self.speculation = other;
                Vec::new()
            }
        }
    }

    /// The endpointer closed an utterance. It is queued behind any earlier turn and never
    /// dropped while the flow takes input.
    pub fn utterance(
        &mut self,
        pause: Option<u64>,
        samples: Vec<f32>,
        end: TurnEnd,
        state: CallState,
    ) -> Vec<TurnOutput> {
        let mut out = Vec::new();
        self.caller_speaking = false;
        if !self.accepting(state) {
            self.ignored += 1;
            if let Some(spec) = self.speculation.take() {
                out.push(TurnOutput::Cancel(spec.job));
            }
            return out;
        }
        self.no_input_deadline = None;
        self.speaking_while_listening = false;
        let queued_at = end.decided_at;
        match self.speculation.take() {
            Some(spec) if pause == Some(spec.pause) => self.pending.push_back(Pending {
                job: spec.job,
                end,
                audio: samples,
                result: spec.result,
                queued_at,
            }),
            stale => {
                if let Some(spec) = stale {
                    out.push(TurnOutput::Cancel(spec.job));
                }
                self.transcribe_turn(samples, end, queued_at, &mut out);
            }
        }
        self.release(&mut out);
        out
    }

    /// A job's transcript came back.
    pub fn transcript(&mut self, job: JobId, result: Transcript) -> Vec<TurnOutput> {
        let mut out = Vec::new();
        if let Some(p) = self.pending.iter_mut().find(|p| p.job == job) {
            p.result = Some(result);
        } else if let Some(spec) = self.speculation.as_mut().filter(|s| s.job == job) {
            spec.result = Some(result);
        }
        // Anything else is a cancelled job's late answer.
        self.release(&mut out);
        out
    }

    /// Hands out, in order, every turn whose transcript and all earlier ones are in.
    fn release(&mut self, out: &mut Vec<TurnOutput>) {
        while self.pending.front().is_some_and(|p| p.result.is_some()) {
            let p = self.pending.pop_front().expect("front checked");
            out.push(TurnOutput::Turn(HeardTurn {
                transcript: p.result.expect("result checked"),
                end: p.end,
                audio: p.audio,
                waiting_behind: self.pending.len(),
                after_hang_up: self.hung_up_at.is_some(),
            }));
        }
        if self.pending.is_empty() {
            self.held = false;
        }
    }

    /// The next moment the core must be woken at, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if let Some(at) = self.hung_up_at {
            return (!self.pending.is_empty()).then_some(at + HANG_UP_TRANSCRIPTION_WAIT);
        }
        let holding = match (self.config.holding_after, self.held) {
            (Some(after), false) => self.pending.front().map(|p| p.queued_at + after),
            _ => None,
        };
        match (self.no_input_deadline, holding) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Time has reached `now`: fire what is due.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<TurnOutput> {
        let mut out = Vec::new();
        if let Some(at) = self.hung_up_at {
            if now >= at + HANG_UP_TRANSCRIPTION_WAIT {
                self.lost += self.pending.len();
                out.extend(self.pending.drain(..).map(|p| TurnOutput::Cancel(p.job)));
            }
            return out;
        }
        if let (Some(after), false, Some(front)) =
            (self.config.holding_after, self.held, self.pending.front())
        {
            if now >= front.queued_at + after {
                self.held = true;
                out.push(TurnOutput::HoldingPhrase);
            }
        }
        if self.no_input_deadline.is_some_and(|at| now >= at) {
            self.no_input_deadline = None;
            out.push(TurnOutput::NoInput);
        }
        out
    }

    /// The caller pressed a key. While the flow takes input it is a turn at once, even over a
    /// prompt (keys always interrupt the bot, barge-in or not); the no-input or digit timer stops
    /// until the flow listens again. Keys while the flow takes no input are not taken.
    pub fn digit(&mut self, digit: char, state: CallState) -> Vec<TurnOutput> {
        let mut out = Vec::new();
        if !state.open {
            return out;
        }
        if state.bot_speaking {
            out.push(TurnOutput::StopSpeaking);
        }
        self.no_input_deadline = None;
        out.push(TurnOutput::Digit(digit));
        out
    }

    /// The caller hung up at `now`: the bot stops speaking if it was and early transcription is
    /// cancelled, but finished turns keep waiting for their transcripts, and `in_progress` (the
    /// utterance the caller was still speaking, as the listener has it) is closed and transcribed
    /// when it was confirmed speech. Until [`TurnTaker::waiting`] is zero or
    /// [`TurnTaker::poll_timeout`] passes, transcripts become turns marked `after_hang_up`.
    pub fn caller_hung_up(
        &mut self,
        in_progress: Option<Vec<f32>>,
        state: CallState,
        now: Instant,
    ) -> Vec<TurnOutput> {
        let mut out = Vec::new();
        if state.bot_speaking {
            out.push(TurnOutput::StopSpeaking);
        }
        if let Some(spec) = self.speculation.take() {
            out.push(TurnOutput::Cancel(spec.job));
        }
        let cut_off = in_progress
            .filter(|samples| self.caller_speaking && !samples.is_empty() && self.accepting(state));
        if let Some(samples) = cut_off {
            let end = TurnEnd {
                decided_at: now,
                endpoint_wait: Duration::ZERO,
            };
            self.transcribe_turn(samples, end, now, &mut out);
        }
        self.caller_speaking = false;
        self.speaking_while_listening = false;
        self.no_input_deadline = None;
        self.hung_up_at = Some(now);
        out
    }

    /// Turns the caller finished before hanging up whose transcripts did not come in time.
    pub fn lost(&self) -> usize {
        self.lost
    }

    /// The call is over with no time to wait (the server is stopping, the talk ends): every job
    /// still running is no longer wanted. Returns the cancels and how many finished turns never
    /// got their transcript (they count as lost).
    pub fn hang_up(&mut self) -> (Vec<TurnOutput>, usize) {
        let mut out = Vec::new();
        if let Some(spec) = self.speculation.take() {
            out.push(TurnOutput::Cancel(spec.job));
        }
        let unheard = self.pending.len();
        self.lost += unheard;
        for p in self.pending.drain(..) {
            out.push(TurnOutput::Cancel(p.job));
        }
        self.no_input_deadline = None;
        (out, unheard)
    }

    /// Starts the final transcription of a finished turn and queues the turn for it.
    fn transcribe_turn(
        &mut self,
        samples: Vec<f32>,
        end: TurnEnd,
        queued_at: Instant,
        out: &mut Vec<TurnOutput>,
    ) {
        let job = self.new_job();
        out.push(TurnOutput::Transcribe {
            job,
            samples: samples.clone(),
            speculative: false,
        });
        self.pending.push_back(Pending {
            job,
            end,
            audio: samples,
            result: None,
            queued_at,
        });
    }

    fn new_job(&mut self) -> JobId {
        self.next_job += 1;
        self.next_job
    }
}
