//! Turn-taking in virtual time: a transcriber slower than the caller, barge-in, early
//! transcription kept and dropped, no-input and digit timeouts, keys during a prompt, the holding
//! phrase and hang-up (while the bot speaks, while transcribing, mid-sentence, past the deadline),
//! each in microseconds.

use std::time::{Duration, Instant};

use super::turn_taking::*;
use crate::pools::AsrResult;

const LISTENING: CallState = CallState {
    open: true,
    bot_speaking: false,
};
const SPEAKING: CallState = CallState {
    open: true,
    bot_speaking: true,
};

fn core(barge_in: bool) -> TurnTaker {
    TurnTaker::new(TurnTakingConfig {
        barge_in,
        holding_after: Some(Duration::from_millis(1500)),
    })
}

fn heard(text: &str) -> Transcript {
    Ok(AsrResult {
        text: text.to_string(),
        confidence: 0.9,
        no_speech_probability: 0.0,
        elapsed: Duration::from_millis(300),
        queued: Duration::ZERO,
        second_pass: false,
    })
}

fn end(t0: Instant, ms: u64) -> TurnEnd {
    TurnEnd {
        decided_at: t0 + Duration::from_millis(ms),
        endpoint_wait: Duration::from_millis(512),
    }
}

/// The jobs asked for, with whether each is speculative.
fn jobs(out: &[TurnOutput]) -> Vec<(JobId, bool)> {
    out.iter()
        .filter_map(|o| match o {
            TurnOutput::Transcribe {
                job, speculative, ..
            } => Some((*job, *speculative)),
            _ => None,
        })
        .collect()
}

fn cancels(out: &[TurnOutput]) -> Vec<JobId> {
    out.iter()
        .filter_map(|o| match o {
            TurnOutput::Cancel(job) => Some(*job),
            _ => None,
        })
        .collect()
}

fn turns(out: &[TurnOutput]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            TurnOutput::Turn(t) => Some(t.transcript.as_ref().unwrap().text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_transcriber_slower_than_the_caller_loses_no_turn_and_keeps_the_order() {
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    let mut asked = Vec::new();
    // Six things said back to back, 3.5 s apart, while no transcript has come back yet.
    for i in 0..6u64 {
        core.speech_started(LISTENING);
        let out = core.utterance(None, vec![0.1; 800], end(t0, 3500 * (i + 1)), LISTENING);
        assert!(turns(&out).is_empty());
        asked.extend(jobs(&out));
    }
    assert_eq!(asked.len(), 6, "every utterance is transcribed");
    assert!(asked.iter().all(|(_, speculative)| !speculative));
    assert_eq!(core.waiting(), 6);
    // Transcripts come back out of order: the later ones wait for the first.
    let texts = ["one", "two", "three", "four", "five", "six"];
    let mut handed = Vec::new();
    for i in [3usize, 1, 2, 5, 4, 0] {
        handed.extend(turns(&core.transcript(asked[i].0, heard(texts[i]))));
        if i != 0 {
            assert!(handed.is_empty(), "turn {} must wait for the first", i + 1);
        }
    }
    assert_eq!(handed, texts);
    assert_eq!(core.waiting(), 0);
    assert_eq!(core.ignored(), 0);
}

#[test]
fn a_turn_waiting_for_its_early_transcript_survives_the_next_pause() {
    // The bug that lost a third of what callers said under load: turn 1 ended at pause 1 and
    // waits for the early transcript; the caller speaks again and pauses before it is back.
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    core.speech_started(LISTENING);
    let early = jobs(&core.paused(1, vec![0.1; 400], LISTENING));
    assert_eq!(early.len(), 1);
    assert!(early[0].1, "the pause's run is speculative");
    let out = core.utterance(Some(1), vec![0.1; 500], end(t0, 900), LISTENING);
    assert!(jobs(&out).is_empty(), "the early run is reused");
    core.speech_started(LISTENING);
    // While turn 1 waits, no speculative run competes with it, and nothing is cancelled.
    let out = core.paused(2, vec![0.1; 400], LISTENING);
    assert!(jobs(&out).is_empty() && cancels(&out).is_empty());
    let second = jobs(&core.utterance(Some(2), vec![0.1; 500], end(t0, 2900), LISTENING));
    assert_eq!(second.len(), 1);
    assert_eq!(
        turns(&core.transcript(early[0].0, heard("my account is 1234"))),
        ["my account is 1234"]
    );
    assert_eq!(
        turns(&core.transcript(second[0].0, heard("no, 1235"))),
        ["no, 1235"]
    );
}

#[test]
fn the_early_transcript_is_used_when_the_turn_ends_at_the_pause() {
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    core.speech_started(LISTENING);
    let early = jobs(&core.paused(7, vec![0.1; 400], LISTENING))[0].0;
    // The transcript is back before the endpointer has finished waiting.
    assert!(core.transcript(early, heard("opening hours")).is_empty());
    let out = core.utterance(Some(7), vec![0.1; 400], end(t0, 800), LISTENING);
    assert!(jobs(&out).is_empty());
    assert_eq!(turns(&out), ["opening hours"]);
}

#[test]
fn the_early_transcript_is_dropped_when_the_caller_goes_on() {
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    core.speech_started(LISTENING);
    let early = jobs(&core.paused(3, vec![0.1; 400], LISTENING))[0].0;
    assert_eq!(cancels(&core.resumed(3)), [early]);
    // Its late answer is ignored; the whole utterance is transcribed again.
    assert!(core.transcript(early, heard("where is")).is_empty());
    let out = core.utterance(None, vec![0.1; 900], end(t0, 1500), LISTENING);
    let full = jobs(&out)[0].0;
    assert_ne!(full, early);
    assert_eq!(
        turns(&core.transcript(full, heard("where is my parcel"))),
        ["where is my parcel"]
    );
}

#[test]
fn barge_in_stops_the_bot_and_the_turn_is_handed_out_once() {
    let t0 = Instant::now();
    let mut core = core(true);
    let out = core.speech_started(SPEAKING);
    assert!(matches!(out.as_slice(), [TurnOutput::StopSpeaking]));
    let job = jobs(&core.utterance(None, vec![0.1; 500], end(t0, 700), SPEAKING))[0].0;
    assert_eq!(turns(&core.transcript(job, heard("stop"))).len(), 1);
    assert!(turns(&core.transcript(job, heard("stop"))).is_empty());
}

#[test]
fn without_barge_in_speech_over_the_bot_is_not_taken_and_is_counted() {
    let t0 = Instant::now();
    let mut core = core(false);
    assert!(core.speech_started(SPEAKING).is_empty());
    let out = core.utterance(None, vec![0.1; 500], end(t0, 700), SPEAKING);
    assert!(jobs(&out).is_empty());
    assert_eq!(core.ignored(), 1);
}

#[test]
fn a_closed_flow_takes_no_turn() {
    let t0 = Instant::now();
    let mut core = core(true);
    let closed = CallState {
        open: false,
        bot_speaking: false,
    };
    assert!(core.speech_started(closed).is_empty());
    assert!(core
        .utterance(None, vec![0.1; 500], end(t0, 700), closed)
        .is_empty());
    assert_eq!(core.ignored(), 1);
}

#[test]
fn no_input_fires_at_the_timeout_and_not_while_the_caller_speaks() {
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(5), t0);
    assert_eq!(core.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    assert!(core
        .handle_timeout(t0 + Duration::from_millis(4999))
        .is_empty());
    assert!(matches!(
        core.handle_timeout(t0 + Duration::from_secs(5)).as_slice(),
        [TurnOutput::NoInput]
    ));
    assert_eq!(core.poll_timeout(), None);

    core.listen_for(Duration::from_secs(5), t0 + Duration::from_secs(6));
    core.speech_started(LISTENING);
    assert_eq!(core.poll_timeout(), None, "the caller is speaking");
    // Their turn is taken although the timer stopped.
    let out = core.utterance(None, vec![0.1; 500], end(t0, 9000), LISTENING);
    assert_eq!(jobs(&out).len(), 1);
}

#[test]
fn a_slow_transcript_makes_the_caller_hear_the_holding_phrase_once() {
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    core.speech_started(LISTENING);
    let job = jobs(&core.utterance(None, vec![0.1; 500], end(t0, 1000), LISTENING))[0].0;
    let due = core.poll_timeout().unwrap();
    assert_eq!(due, t0 + Duration::from_millis(2500));
    assert!(core
        .handle_timeout(due - Duration::from_millis(1))
        .is_empty());
    assert!(matches!(
        core.handle_timeout(due).as_slice(),
        [TurnOutput::HoldingPhrase]
    ));
    assert!(core.handle_timeout(due + Duration::from_secs(1)).is_empty());
    assert_eq!(core.poll_timeout(), None);
    assert_eq!(turns(&core.transcript(job, heard("hello"))), ["hello"]);
    // The next slow turn gets its own phrase.
    let job = jobs(&core.utterance(None, vec![0.1; 500], end(t0, 5000), LISTENING))[0].0;
    assert!(matches!(
        core.handle_timeout(t0 + Duration::from_millis(6500))
            .as_slice(),
        [TurnOutput::HoldingPhrase]
    ));
    assert_eq!(turns(&core.transcript(job, heard("again"))), ["again"]);
}

#[test]
fn a_server_stopping_cancels_every_job_and_counts_the_unheard_turns_as_lost() {
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    core.speech_started(LISTENING);
    let first = jobs(&core.utterance(None, vec![0.1; 500], end(t0, 1000), LISTENING))[0].0;
    core.speech_started(LISTENING);
    let (out, unheard) = core.hang_up();
    assert_eq!(cancels(&out), [first]);
    assert_eq!(unheard, 1);
    assert_eq!(core.lost(), 1);
    assert_eq!(core.poll_timeout(), None);
}

/// A listening core with two finished turns (ended at 1 s and 2.5 s) whose transcripts are out.
fn two_turns_being_transcribed(t0: Instant) -> (TurnTaker, JobId, JobId) {
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    core.speech_started(LISTENING);
    let first = jobs(&core.utterance(None, vec![0.1; 500], end(t0, 1000), LISTENING))[0].0;
    core.speech_started(LISTENING);
    let second = jobs(&core.utterance(None, vec![0.1; 500], end(t0, 2500), LISTENING))[0].0;
    (core, first, second)
}

#[test]
fn hang_up_while_transcribing_keeps_every_finished_turn_and_stores_them_in_order() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let (mut core, first, second) = two_turns_being_transcribed(t0);
    let out = core.caller_hung_up(None, LISTENING, at(2600));
    assert!(cancels(&out).is_empty(), "finished turns are not cancelled");
    assert_eq!(core.waiting(), 2);
    assert_eq!(
        core.poll_timeout(),
        Some(at(2600) + HANG_UP_TRANSCRIPTION_WAIT)
    );
    // The second transcript first: it waits for the first, then both come out in order.
    assert!(turns(&core.transcript(second, heard("and my order number"))).is_empty());
    let out = core.transcript(first, heard("I want to cancel"));
    assert_eq!(turns(&out), ["I want to cancel", "and my order number"]);
    assert!(out
        .iter()
        .all(|o| matches!(o, TurnOutput::Turn(t) if t.after_hang_up)));
    assert_eq!(core.waiting(), 0);
    assert_eq!(core.lost(), 0);
    assert_eq!(core.poll_timeout(), None, "nothing left to wait for");
}

#[test]
fn transcripts_missing_at_the_hang_up_deadline_are_cancelled_and_counted_lost() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let (mut core, first, second) = two_turns_being_transcribed(t0);
    core.caller_hung_up(None, LISTENING, at(3000));
    assert_eq!(turns(&core.transcript(first, heard("hello"))), ["hello"]);
    let deadline = core.poll_timeout().expect("the second is still awaited");
    assert_eq!(deadline, at(3000) + HANG_UP_TRANSCRIPTION_WAIT);
    assert!(core
        .handle_timeout(deadline - Duration::from_millis(1))
        .is_empty());
    let out = core.handle_timeout(deadline);
    assert_eq!(cancels(&out), [second]);
    assert_eq!(core.lost(), 1);
    assert_eq!(core.waiting(), 0);
    assert_eq!(core.poll_timeout(), None);
    assert!(
        core.transcript(second, heard("too late")).is_empty(),
        "a cancelled job's late answer makes no turn"
    );
}

#[test]
fn an_utterance_cut_off_by_the_hang_up_is_closed_and_transcribed() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    core.speech_started(LISTENING);
    // The caller paused once (an early run started), went on, and hung up mid-sentence.
    let early = jobs(&core.paused(1, vec![0.1; 400], LISTENING))[0].0;
    assert_eq!(cancels(&core.resumed(1)), [early]);
    let out = core.caller_hung_up(Some(vec![0.1; 900]), LISTENING, at(2000));
    assert!(cancels(&out).is_empty());
    let asked = jobs(&out);
    assert_eq!(asked.len(), 1, "the cut-off utterance is transcribed");
    assert!(!asked[0].1, "as a final turn, not a speculation");
    assert_eq!(core.waiting(), 1);
    let out = core.transcript(asked[0].0, heard("my card was stolen"));
    assert_eq!(turns(&out), ["my card was stolen"]);
    assert!(matches!(&out[0], TurnOutput::Turn(t) if t.after_hang_up));
}

#[test]
fn hang_up_before_speech_was_confirmed_or_during_an_early_run_transcribes_nothing_new() {
    let t0 = Instant::now();
    let mut quiet = core(true);
    quiet.listen_for(Duration::from_secs(8), t0);
    // No speech confirmed: a click or breath in the listener's buffer is not an utterance.
    let out = quiet.caller_hung_up(Some(vec![0.1; 100]), LISTENING, t0);
    assert!(jobs(&out).is_empty());
    assert_eq!(quiet.poll_timeout(), None);

    let mut pausing = core(true);
    pausing.listen_for(Duration::from_secs(8), t0);
    pausing.speech_started(LISTENING);
    let early = jobs(&pausing.paused(1, vec![0.1; 400], LISTENING))[0].0;
    let out = pausing.caller_hung_up(None, LISTENING, t0);
    assert_eq!(cancels(&out), [early], "speculation is still cancelled");
    assert_eq!(pausing.poll_timeout(), None);
}

#[test]
fn a_speculative_run_is_replaced_by_the_next_pause() {
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    let first = jobs(&core.paused(1, vec![0.1; 400], LISTENING))[0].0;
    let out = core.paused(2, vec![0.1; 600], LISTENING);
    assert_eq!(cancels(&out), [first]);
    let second = jobs(&out)[0].0;
    let out = core.utterance(Some(2), vec![0.1; 600], end(t0, 1200), LISTENING);
    assert!(jobs(&out).is_empty());
    assert_eq!(turns(&core.transcript(second, heard("yes"))), ["yes"]);
}

#[test]
fn a_key_during_a_prompt_stops_the_bot_and_is_a_turn_even_without_barge_in() {
    let mut core = core(false);
    let out = core.digit('3', SPEAKING);
    assert!(matches!(
        out.as_slice(),
        [TurnOutput::StopSpeaking, TurnOutput::Digit('3')]
    ));
    // While listening, the key is the turn and nothing needs stopping.
    assert!(matches!(
        core.digit('4', LISTENING).as_slice(),
        [TurnOutput::Digit('4')]
    ));
}

#[test]
fn keys_while_the_flow_takes_no_input_are_not_taken() {
    let mut core = core(true);
    let closed = CallState {
        open: false,
        bot_speaking: true,
    };
    assert!(core.digit('1', closed).is_empty());
}

#[test]
fn a_key_stops_the_no_input_timer_and_the_digit_timeout_ends_the_entry() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    core.digit('4', LISTENING);
    assert_eq!(
        core.poll_timeout(),
        None,
        "no 'I didn't hear you' after a key"
    );
    // The flow waits `digit_timeout` (3 s) for the next key.
    core.listen_for(Duration::from_secs(3), at(1000));
    assert!(core.handle_timeout(at(3999)).is_empty());
    core.digit('2', LISTENING);
    core.listen_for(Duration::from_secs(3), at(3500));
    assert!(core.handle_timeout(at(6499)).is_empty());
    assert!(matches!(
        core.handle_timeout(at(6500)).as_slice(),
        [TurnOutput::NoInput]
    ));
    assert_eq!(core.poll_timeout(), None);
}

#[test]
fn hang_up_while_the_bot_speaks_stops_it_and_leaves_no_timer() {
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    let out = core.caller_hung_up(None, SPEAKING, t0);
    assert!(matches!(out.as_slice(), [TurnOutput::StopSpeaking]));
    assert_eq!(core.waiting(), 0);
    assert_eq!(core.poll_timeout(), None);
}

#[test]
fn hang_up_while_a_transcription_runs_keeps_it_and_its_late_transcript_is_a_turn_for_the_record() {
    let t0 = Instant::now();
    let mut core = core(true);
    core.listen_for(Duration::from_secs(8), t0);
    core.speech_started(LISTENING);
    let job = jobs(&core.utterance(None, vec![0.1; 500], end(t0, 1000), LISTENING))[0].0;
    let out = core.caller_hung_up(None, LISTENING, t0 + Duration::from_millis(1100));
    assert!(cancels(&out).is_empty());
    assert!(!out.iter().any(|o| matches!(o, TurnOutput::StopSpeaking)));
    assert_eq!(core.waiting(), 1);
    assert!(
        core.handle_timeout(t0 + Duration::from_secs(5)).is_empty(),
        "no holding phrase for a caller who left"
    );
    let out = core.transcript(job, heard("hello"));
    assert_eq!(turns(&out), ["hello"]);
    assert!(matches!(&out[0], TurnOutput::Turn(t) if t.after_hang_up));
    assert_eq!(core.poll_timeout(), None);
}
