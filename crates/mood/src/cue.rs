//! The signals that made a turn look angry, kept with each reading so the call record and the
//! agent's context can say why (not just how much).

use std::fmt;

/// One observed sign of a caller's mood.
#[derive(Clone, Debug, PartialEq)]
pub enum Signal {
    /// The words are negative overall (VADER compound below the configured floor).
    NegativeWords {
        /// Compound sentiment of the turn, -1..0.
        compound: f32,
    },
    /// A contemptuous word or abusive phrase ("useless", "shut up").
    Insult {
        /// The word or phrase as normalised.
        word: String,
        /// Aimed at the listener ("you are useless") rather than at a thing.
        directed: bool,
    },
    /// A swear word.
    Profanity {
        /// The word as normalised (`f***` when the recogniser censored it).
        word: String,
        /// Offensive rather than mild ("damn", "bloody").
        strong: bool,
    },
    /// A phrase of a frustrated caller, by kind ("called again", "already told you").
    Frustration {
        /// Kind of frustration.
        phrase: &'static str,
    },
    /// The caller says nearly what they said in earlier turns.
    Repetition {
        /// Number of earlier turns this one repeats.
        earlier_turns: u32,
        /// Highest word overlap with one of them, 0..1.
        similarity: f32,
    },
    /// The dialogue keeps failing (no match, no input) several turns running.
    Failures {
        /// Consecutive failed turns, as reported by the caller of the API.
        in_a_row: u32,
    },
    /// The voice is louder than this caller's baseline.
    Louder {
        /// Level above the baseline, dB.
        db_above_baseline: f32,
    },
    /// The voice is higher than this caller's baseline.
    HigherPitch {
        /// Pitch relative to the baseline (1.3 = 30% higher).
        ratio: f32,
    },
}

/// A signal with the weight (0..1) it contributed to the turn's anger evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Cue {
    /// What was observed.
    pub signal: Signal,
    /// Its weight in the evidence, 0..1.
    pub weight: f32,
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signal::NegativeWords { compound } => write!(f, "negative words ({compound:.2})"),
            Signal::Insult { word, directed } => {
                let aim = if *directed { " at the agent" } else { "" };
                write!(f, "insult \"{word}\"{aim}")
            }
            Signal::Profanity { word, strong } => {
                let kind = if *strong {
                    "profanity"
                } else {
                    "mild swearing"
                };
                write!(f, "{kind} \"{word}\"")
            }
            Signal::Frustration { phrase } => write!(f, "frustration: {phrase}"),
            Signal::Repetition {
                earlier_turns,
                similarity,
            } => write!(
                f,
                "repeats {earlier_turns} earlier turn(s) (overlap {similarity:.2})"
            ),
            Signal::Failures { in_a_row } => write!(f, "{in_a_row} failed turns in a row"),
            Signal::Louder { db_above_baseline } => {
                write!(f, "louder by {db_above_baseline:.1} dB")
            }
            Signal::HigherPitch { ratio } => {
                write!(f, "pitch {:.0}% above normal", (ratio - 1.0) * 100.0)
            }
        }
    }
}

impl fmt::Display for Cue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{:.2}]", self.signal, self.weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_read_as_plain_english_with_their_weight() {
        let cue = Cue {
            signal: Signal::Insult {
                word: "useless".into(),
                directed: true,
            },
            weight: 0.75,
        };
        assert_eq!(cue.to_string(), "insult \"useless\" at the agent [0.75]");
        let louder = Signal::Louder {
            db_above_baseline: 11.96,
        };
        assert_eq!(louder.to_string(), "louder by 12.0 dB");
        let pitch = Signal::HigherPitch { ratio: 1.3 };
        assert_eq!(pitch.to_string(), "pitch 30% above normal");
    }
}
