//! When the caller in `hotline dial` speaks: a pure turn-taking script driven by 20 ms frames.
//!
//! The caller waits for the bot to finish talking (it spoke, then stayed quiet for `gap`), plays its
//! next step, and measures how long after its own speech ended the bot's answer began.

use std::time::Duration;

/// One thing the caller does in turn.
#[derive(Debug, Clone)]
pub enum Step {
    /// Speak: 8 kHz linear PCM.
    Play { name: String, pcm: Vec<i16> },
    /// Press keys (RFC 4733).
    Dtmf(String),
}

/// What the caller should send in the next 20 ms.
#[derive(Debug, PartialEq)]
pub enum Output {
    Silence,
    Audio(Vec<i16>),
    Digit(char),
    HangUp,
}

/// A finished turn's measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnTiming {
    pub step: String,
    /// Offset into the call at which the caller's speech (or key press) ended.
    pub caller_end: Duration,
    /// From then to the first bot audio; `None` if the bot never answered.
    pub response: Option<Duration>,
}

const FRAME_SAMPLES: usize = 160;
const FRAME: Duration = Duration::from_millis(20);
/// Frames louder than this (dBFS) count as speech.
const VOICED_DBFS: f32 = -42.0;
/// How long one RFC 4733 digit takes on the wire (tone plus the end packets).
pub const DIGIT_TIME: Duration = Duration::from_millis(160);

pub struct Script {
    steps: std::collections::VecDeque<Step>,
    gap: Duration,
    first_prompt_timeout: Duration,
    reply_timeout: Duration,
    now: Duration,
    bot_spoke: bool,
    bot_quiet_for: Duration,
    waiting_since: Duration,
    playing: Option<(String, Vec<i16>, usize, usize)>,
    pending_digits: std::collections::VecDeque<char>,
    digit_label: String,
    timings: Vec<TurnTiming>,
    awaiting_reply: bool,
}

impl Script {
    pub fn new(steps: Vec<Step>, gap: Duration) -> Script {
        Script {
            steps: steps.into(),
            gap,
            first_prompt_timeout: Duration::from_secs(20),
            reply_timeout: Duration::from_secs(20),
            now: Duration::ZERO,
            bot_spoke: false,
            bot_quiet_for: Duration::ZERO,
            waiting_since: Duration::ZERO,
            playing: None,
            pending_digits: Default::default(),
            digit_label: String::new(),
            timings: Vec::new(),
            awaiting_reply: false,
        }
    }

    /// Waits up to `timeout` for the greeting and for each answer (20 s unless told).
    pub fn with_reply_timeout(mut self, timeout: Duration) -> Script {
        self.first_prompt_timeout = timeout;
        self.reply_timeout = timeout;
        self
    }

    pub fn timings(&self) -> &[TurnTiming] {
        &self.timings
    }

    /// Feeds 20 ms of what the caller heard; returns what to send in the next 20 ms.
    pub fn on_frame(&mut self, heard: &[i16]) -> Output {
        self.now += FRAME;
        let voiced = hotline_media::rms_dbfs(&hotline_media::pcm_to_f32(heard)) > VOICED_DBFS;
        if voiced {
            if self.awaiting_reply {
                if let Some(last) = self.timings.last_mut() {
                    // The frame heard now started one frame ago.
                    last.response = Some(
                        self.now
                            .saturating_sub(FRAME)
                            .saturating_sub(last.caller_end),
                    );
                }
                self.awaiting_reply = false;
            }
            self.bot_spoke = true;
            self.bot_quiet_for = Duration::ZERO;
        } else {
            self.bot_quiet_for += FRAME;
        }

        if let Some((name, pcm, pos, last_voiced)) = &mut self.playing {
            let end = (*pos + FRAME_SAMPLES).min(pcm.len());
            let mut frame = pcm[*pos..end].to_vec();
            frame.resize(FRAME_SAMPLES, 0);
            *pos = end;
            if end >= pcm.len() {
                // The caller's speech ended at its last voiced sample, not at the file's end.
                let trailing = pcm.len().saturating_sub(*last_voiced);
                // The frame returned now is sent during the next 20 ms.
                let caller_end =
                    (self.now + FRAME).saturating_sub(Duration::from_micros(trailing as u64 * 125));
                self.timings.push(TurnTiming {
                    step: name.clone(),
                    caller_end,
                    response: None,
                });
                self.finish_step();
            }
            return Output::Audio(frame);
        }
        if let Some(digit) = self.pending_digits.pop_front() {
            if self.pending_digits.is_empty() {
                self.timings.push(TurnTiming {
                    step: self.digit_label.clone(),
                    caller_end: self.now + DIGIT_TIME,
                    response: None,
                });
                self.finish_step();
            }
            return Output::Digit(digit);
        }

        let waited = self.now.saturating_sub(self.waiting_since);
        let limit = if self.timings.is_empty() {
            self.first_prompt_timeout
        } else {
            self.reply_timeout
        };
        let bot_done = self.bot_spoke && self.bot_quiet_for >= self.gap;
        if !(bot_done || waited >= limit) {
            return Output::Silence;
        }
        match self.steps.pop_front() {
            Some(Step::Play { name, pcm }) => {
                let last_voiced = last_voiced_sample(&pcm);
                self.playing = Some((name, pcm, 0, last_voiced));
                self.on_frame_continue()
            }
            Some(Step::Dtmf(digits)) => {
                self.digit_label = format!("dtmf {digits}");
                self.pending_digits = digits.chars().collect();
                self.on_frame_continue()
            }
            None => Output::HangUp,
        }
    }

    /// Starts the step just chosen without consuming another heard frame.
    fn on_frame_continue(&mut self) -> Output {
        self.now -= FRAME;
        self.on_frame(&[])
    }

    fn finish_step(&mut self) {
        self.playing = None;
        self.bot_spoke = false;
        self.bot_quiet_for = Duration::ZERO;
        self.waiting_since = self.now;
        self.awaiting_reply = true;
    }
}

/// Index one past the last sample that belongs to a voiced 20 ms frame.
fn last_voiced_sample(pcm: &[i16]) -> usize {
    pcm.chunks(FRAME_SAMPLES)
        .enumerate()
        .filter(|(_, c)| hotline_media::rms_dbfs(&hotline_media::pcm_to_f32(c)) > VOICED_DBFS)
        .map(|(i, c)| i * FRAME_SAMPLES + c.len())
        .next_back()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(frames: usize) -> Vec<i16> {
        (0..frames * FRAME_SAMPLES)
            .map(|i| ((i as f32 * 0.3).sin() * 8000.0) as i16)
            .collect()
    }

    #[test]
    fn waits_for_the_greeting_then_speaks_and_times_the_reply() {
        let mut question = tone(25);
        question.extend(vec![0i16; 10 * FRAME_SAMPLES]); // 200 ms of trailing silence
        let mut s = Script::new(
            vec![Step::Play {
                name: "q1".into(),
                pcm: question,
            }],
            Duration::from_millis(600),
        );
        let loud = tone(1);
        let quiet = vec![0i16; FRAME_SAMPLES];
        for _ in 0..50 {
            assert_eq!(
                s.on_frame(&loud),
                Output::Silence,
                "must not talk over the greeting"
            );
        }
        let mut sent_audio = 0;
        for _ in 0..29 {
            assert_eq!(s.on_frame(&quiet), Output::Silence);
        }
        // 30th quiet frame completes the 600 ms gap.
        loop {
            match s.on_frame(&quiet) {
                Output::Audio(_) => sent_audio += 1,
                Output::Silence => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(sent_audio, 35);
        // The voiced part ended 200 ms before the file did (the file's last frame goes out during
        // the 20 ms after it is returned). One quiet frame was heard when the loop above stopped,
        // nine more now, then a loud one: the bot began 180 ms after the file ended, which is
        // 380 ms after the caller's speech ended.
        for _ in 0..9 {
            s.on_frame(&quiet);
        }
        s.on_frame(&loud);
        let t = &s.timings()[0];
        assert_eq!(t.step, "q1");
        assert_eq!(t.response, Some(Duration::from_millis(380)));
        for _ in 0..29 {
            s.on_frame(&quiet);
        }
        assert_eq!(s.on_frame(&quiet), Output::HangUp);
    }

    #[test]
    fn digits_go_out_one_per_step_and_a_silent_bot_does_not_hang_the_script() {
        let mut s = Script::new(vec![Step::Dtmf("12".into())], Duration::from_millis(600));
        let quiet = vec![0i16; FRAME_SAMPLES];
        let mut out = Vec::new();
        // 20 s waiting for a greeting that never comes, then 20 s for a reply that never comes.
        for _ in 0..2100 {
            match s.on_frame(&quiet) {
                Output::Silence => {}
                o => out.push(o),
            }
            if out.last() == Some(&Output::HangUp) {
                break;
            }
        }
        assert_eq!(
            out,
            vec![Output::Digit('1'), Output::Digit('2'), Output::HangUp]
        );
        assert_eq!(s.timings()[0].response, None);
    }
}
