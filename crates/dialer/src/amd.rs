//! Answering-machine detection for an answered campaign call, as pure logic: fed the callee's
//! audio frames (and, when there is one, the word count of the first transcript) with the time
//! since the answer, it decides whether a person or a machine answered, and on a machine when its
//! greeting is over (a beep, or a long silence), so a message is spoken after the tone.
//!
//! The timing rules follow what Asterisk's `AMD()` measures (a person says a short "Hello?" and
//! waits; a machine talks on); the word count of the transcript follows jambonz's speech-based
//! detection. No clock is read: every input carries its time.

use std::fmt;
use std::time::Duration;

use crate::beep::{frame_length, Beep, BeepDetector};

/// A campaign's `machine_detection:` settings (Asterisk's `amd.conf` names and defaults, but
/// for `between_words_silence`).
#[derive(Clone, Debug, PartialEq)]
pub struct MachineDetection {
    /// `false`: no detection; every answer runs the flow as a person's.
    pub enabled: bool,
    /// Silence from the answer longer than this: no greeting came (verdict unknown).
    pub initial_silence: Duration,
    /// Speech in the greeting longer than this in all: a machine.
    pub greeting: Duration,
    /// Silence after a short greeting this long: a person waiting for an answer.
    pub after_greeting_silence: Duration,
    /// No verdict this long after the answer: unknown.
    pub total_analysis: Duration,
    /// Voice shorter than this is not a word (a click, a breath).
    pub min_word_length: Duration,
    /// Silence this long ends a word.
    pub between_words_silence: Duration,
    /// This many words before a pause: a machine.
    pub maximum_words: u32,
    /// A frame whose mean absolute sample (16-bit scale) is under this is silence.
    pub silence_threshold: u16,
    /// A first transcript with at least this many words is a machine's (0: not used).
    pub transcript_words: u32,
    /// After a machine verdict, this much silence ends the greeting (no beep came).
    pub end_silence: Duration,
    /// After a machine verdict, give up waiting for the greeting's end after this long.
    pub max_greeting_wait: Duration,
    /// A tone of this length range is a beep.
    pub beep_min: Duration,
    pub beep_max: Duration,
    /// Asterisk's rule: a silent answer is a machine (ours: unknown, treated as a person).
    pub initial_silence_is_machine: bool,
}

impl Default for MachineDetection {
    fn default() -> Self {
        let ms = Duration::from_millis;
        MachineDetection {
            enabled: true,
            initial_silence: ms(2500),
            greeting: ms(1500),
            after_greeting_silence: ms(800),
            total_analysis: ms(5000),
            min_word_length: ms(100),
            // Asterisk's 50 ms splits "Yes, speaking" into three words; 150 ms measured
            // better (`hotline bench amd`, docs/benchmarks.md).
            between_words_silence: ms(150),
            maximum_words: 3,
            silence_threshold: 256,
            transcript_words: 6,
            end_silence: ms(1500),
            max_greeting_wait: Duration::from_secs(30),
            beep_min: ms(100),
            beep_max: ms(1500),
            initial_silence_is_machine: false,
        }
    }
}

/// Who answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Human,
    Machine,
    Unknown,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Human => "human",
            Verdict::Machine => "machine",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Why the verdict was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A short greeting followed by silence.
    ShortGreeting,
    /// The greeting went on longer than `greeting`.
    LongGreeting,
    /// `maximum_words` words before a pause.
    TooManyWords,
    /// The first transcript had `transcript_words` words or more.
    LongTranscript,
    /// A beep was heard.
    Beep,
    /// Nothing was said for `initial_silence`.
    InitialSilence,
    /// `total_analysis` passed without a verdict.
    TooLong,
    /// A key was pressed before the verdict (the driver decides this: machines press no keys).
    KeyPressed,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::ShortGreeting => "short_greeting",
            Reason::LongGreeting => "long_greeting",
            Reason::TooManyWords => "too_many_words",
            Reason::LongTranscript => "long_transcript",
            Reason::Beep => "beep",
            Reason::InitialSilence => "initial_silence",
            Reason::TooLong => "too_long",
            Reason::KeyPressed => "key_pressed",
        }
    }
}

/// A verdict, its reason and when it was reached (time since the answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub reason: Reason,
    pub at: Duration,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, after {} ms)",
            self.verdict.name(),
            self.reason.name(),
            self.at.as_millis()
        )
    }
}

/// How a machine's greeting ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GreetingEnd {
    /// A beep stopped: speak now (Twilio's `machine_end_beep`).
    Beep,
    /// The greeting fell silent for `end_silence` (`machine_end_silence`).
    Silence,
    /// Neither came within `max_greeting_wait` (`machine_end_other`).
    Timeout,
}

impl GreetingEnd {
    /// The result name Twilio uses, kept on the attempt.
    pub fn result_name(self) -> &'static str {
        match self {
            GreetingEnd::Beep => "machine_end_beep",
            GreetingEnd::Silence => "machine_end_silence",
            GreetingEnd::Timeout => "machine_end_other",
        }
    }
}

/// What the detector tells its driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmdEvent {
    Decided(Decision),
    /// A machine's greeting is over at `at` (after the verdict, or with it on a beep).
    GreetingEnded {
        how: GreetingEnd,
        at: Duration,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Nothing said yet.
    Waiting,
    /// A greeting is going on.
    Greeting,
    /// A machine: waiting for its beep or silence.
    MachineTalking { since: Duration },
    /// Nothing more to tell.
    Done,
}

/// One answered call's detector.
#[derive(Clone, Debug)]
pub struct Detector {
    config: MachineDetection,
    phase: Phase,
    decision: Option<Decision>,
    beeps: BeepDetector,
    silence_run: Duration,
    voice_run: Duration,
    in_word: bool,
    words: u32,
    greeting_voice: Duration,
}

impl Detector {
    pub fn new(config: MachineDetection) -> Detector {
        Detector {
            beeps: BeepDetector::new(config.beep_min, config.beep_max),
            config,
            phase: Phase::Waiting,
            decision: None,
            silence_run: Duration::ZERO,
            voice_run: Duration::ZERO,
            in_word: false,
            words: 0,
            greeting_voice: Duration::ZERO,
        }
    }

    /// The verdict, once there is one.
    pub fn decision(&self) -> Option<Decision> {
        self.decision
    }

    /// True when nothing more will come (a person or unknown decided, or a machine's greeting
    /// ended).
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Feeds one frame of the callee's audio (8 kHz, -1..1) received `at` after the answer.
    pub fn on_frame(&mut self, at: Duration, samples: &[f32]) -> Vec<AmdEvent> {
        let mut events = Vec::new();
        if self.phase == Phase::Done {
            return events;
        }
        let length = frame_length(samples.len());
        let beep = self.beeps.on_frame(samples);
        let voiced = !self.beeps.in_tone() && self.is_voiced(samples);
        if voiced {
            self.silence_run = Duration::ZERO;
            self.voice_run += length;
        } else {
            self.silence_run += length;
            if self.silence_run >= self.config.between_words_silence {
                self.in_word = false;
                self.voice_run = Duration::ZERO;
            }
        }
        match self.phase {
            Phase::Waiting | Phase::Greeting => self.analyse(at, length, voiced, beep, &mut events),
            Phase::MachineTalking { since } => {
                let how = if beep.is_some() {
                    Some(GreetingEnd::Beep)
                } else if self.silence_run >= self.config.end_silence && !self.beeps.in_tone() {
                    Some(GreetingEnd::Silence)
                } else if at >= since + self.config.max_greeting_wait {
                    Some(GreetingEnd::Timeout)
                } else {
                    None
                };
                if let Some(how) = how {
                    self.phase = Phase::Done;
                    events.push(AmdEvent::GreetingEnded { how, at });
                }
            }
            Phase::Done => {}
        }
        events
    }

    /// The first transcript of the callee's speech had `words` words (heard `at`).
    pub fn on_transcript(&mut self, at: Duration, words: u32) -> Vec<AmdEvent> {
        let mut events = Vec::new();
        let undecided = matches!(self.phase, Phase::Waiting | Phase::Greeting);
        if undecided && self.config.transcript_words > 0 && words >= self.config.transcript_words {
            self.decide(Verdict::Machine, Reason::LongTranscript, at, &mut events);
        }
        events
    }

    fn analyse(
        &mut self,
        at: Duration,
        length: Duration,
        voiced: bool,
        beep: Option<Beep>,
        events: &mut Vec<AmdEvent>,
    ) {
        let c = &self.config;
        if beep.is_some() {
            self.decide(Verdict::Machine, Reason::Beep, at, events);
            self.phase = Phase::Done;
            events.push(AmdEvent::GreetingEnded {
                how: GreetingEnd::Beep,
                at,
            });
            return;
        }
        if voiced && !self.in_word && self.voice_run >= c.min_word_length {
            self.in_word = true;
            self.words += 1;
            if self.phase == Phase::Waiting {
                self.phase = Phase::Greeting;
                // The word's first frames were voice of the greeting too.
                self.greeting_voice = self.voice_run - length;
            }
        }
        if self.phase == Phase::Greeting && voiced {
            self.greeting_voice += length;
        }
        let (verdict, reason) = match self.phase {
            Phase::Greeting if self.words >= c.maximum_words => {
                (Verdict::Machine, Reason::TooManyWords)
            }
            Phase::Greeting if self.greeting_voice >= c.greeting => {
                (Verdict::Machine, Reason::LongGreeting)
            }
            Phase::Greeting if self.silence_run >= c.after_greeting_silence => {
                (Verdict::Human, Reason::ShortGreeting)
            }
            Phase::Waiting if self.silence_run >= c.initial_silence => {
                let verdict = if c.initial_silence_is_machine {
                    Verdict::Machine
                } else {
                    Verdict::Unknown
                };
                (verdict, Reason::InitialSilence)
            }
            _ if at >= c.total_analysis => (Verdict::Unknown, Reason::TooLong),
            _ => return,
        };
        self.decide(verdict, reason, at, events);
    }

    fn decide(&mut self, verdict: Verdict, reason: Reason, at: Duration, out: &mut Vec<AmdEvent>) {
        let decision = Decision {
            verdict,
            reason,
            at,
        };
        self.decision = Some(decision);
        out.push(AmdEvent::Decided(decision));
        self.phase = match verdict {
            Verdict::Machine => Phase::MachineTalking { since: at },
            Verdict::Human | Verdict::Unknown => Phase::Done,
        };
    }

    /// Asterisk's measure: the frame's mean absolute sample against the threshold.
    fn is_voiced(&self, samples: &[f32]) -> bool {
        if samples.is_empty() {
            return false;
        }
        let mean = samples.iter().map(|s| s.abs()).sum::<f32>() / samples.len() as f32;
        mean * 32768.0 >= f32::from(self.config.silence_threshold)
    }
}
