//! Phrases of a frustrated caller ("this is the third time", "I already told you", "let me
//! speak to a human"): our own English patterns over normalised words.
//!
//! Pattern syntax, one word per space: `a|b` matches either word, `~` skips zero to two words,
//! anything else matches that word exactly.

/// A kind of frustration, its patterns, and how strongly it signals anger (0..1, scaled by
/// [`crate::MoodConfig::frustration`]).
struct Frustration {
    label: &'static str,
    strength: f32,
    patterns: &'static [&'static str],
}

const FRUSTRATIONS: &[Frustration] = &[
    Frustration {
        label: "called again",
        strength: 1.0,
        patterns: &[
            "this is the second|third|fourth|fifth|sixth|tenth|umpteenth|hundredth time",
            "called|rang|phoned|rung|tried|asked|explained|said|told ~ two|three|four|five|six|several|multiple|many|ten|twenty times",
            "how many times",
            "every time i call|ring|phone",
        ],
    },
    Frustration {
        label: "already told you",
        strength: 1.0,
        patterns: &[
            "i ~ already told|said|explained|gave",
            "i just told|said|explained",
            "told you already",
            "i told you",
        ],
    },
    Frustration {
        label: "not listening",
        strength: 1.0,
        patterns: &[
            "are you even listening",
            "are you listening",
            "you are not ~ listening",
            "you do not listen",
            "you never listen",
            "listen to me",
            "you do not understand",
            "do you not understand",
            "what is wrong with you",
        ],
    },
    Frustration {
        label: "wants a human",
        strength: 0.7,
        patterns: &[
            "speak|talk to a|an|the|some|your ~ human|person|manager|supervisor|someone|somebody|operator",
            "want|need|demand a|an|the|your ~ human|manager|supervisor|operator",
            "real person|human",
        ],
    },
    Frustration {
        label: "this is ridiculous",
        strength: 1.0,
        patterns: &[
            "ridiculous|absurd|outrageous|disgraceful|disgrace|shambles|appalling|unbelievable|insane",
            "this|that|it is a joke",
        ],
    },
    Frustration {
        label: "kept waiting",
        strength: 0.8,
        patterns: &[
            "have|has|been waiting",
            "still waiting",
            "waiting|waited for ~ ages|hours|weeks|days|months|so long",
            "how long do i have to wait",
        ],
    },
    Frustration {
        label: "unacceptable",
        strength: 1.0,
        patterns: &["unacceptable|inexcusable|inadmissible"],
    },
    Frustration {
        label: "cancel everything",
        strength: 0.8,
        patterns: &[
            "cancel everything|all",
            "cancel|close ~ my account|subscription|contract|membership",
            "another|different company|provider|supplier",
        ],
    },
    Frustration {
        label: "nobody helps",
        strength: 0.8,
        patterns: &[
            "nobody ~ helps|help|helped|helping|cares|listens|answers|knows",
            "no one ~ helps|help|helped|helping|cares|listens|answers|knows",
            "not helping|helpful",
            "no help",
        ],
    },
    Frustration {
        label: "waste of time",
        strength: 0.8,
        patterns: &["waste|wasting|wasted ~ my|our time", "waste of time"],
    },
    Frustration {
        label: "fed up",
        strength: 1.0,
        patterns: &[
            "fed up",
            "sick of",
            "sick and tired",
            "enough is enough",
            "had enough",
            "never again",
        ],
    },
];

/// Whether `pattern` (split into words) matches `words` starting at its first word.
fn matches_here(pattern: &[&str], words: &[String]) -> bool {
    let Some((first, rest)) = pattern.split_first() else {
        return true;
    };
    if *first == "~" {
        return (0..=2.min(words.len())).any(|skip| matches_here(rest, &words[skip..]));
    }
    match words.split_first() {
        Some((word, remaining)) => {
            first.split('|').any(|alt| alt == word) && matches_here(rest, remaining)
        }
        None => false,
    }
}

/// Whether `pattern` occurs anywhere in `words`.
fn occurs(pattern: &str, words: &[String]) -> bool {
    let pattern: Vec<&str> = pattern.split(' ').collect();
    (0..words.len()).any(|start| matches_here(&pattern, &words[start..]))
}

/// Labels and strengths of the frustration phrases in normalised `words`, each kind once.
pub(crate) fn find_frustration(words: &[String]) -> Vec<(&'static str, f32)> {
    FRUSTRATIONS
        .iter()
        .filter(|f| f.patterns.iter().any(|p| occurs(p, words)))
        .map(|f| (f.label, f.strength))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::normalised_words;

    fn labels(text: &str) -> Vec<&'static str> {
        find_frustration(&normalised_words(text))
            .into_iter()
            .map(|(label, _)| label)
            .collect()
    }

    #[test]
    fn the_listed_phrases_are_found_in_asr_spellings() {
        assert_eq!(labels("This is the 3rd time I call."), ["called again"]);
        assert_eq!(labels("I've called you three times"), ["called again"]);
        assert_eq!(labels("I already told you that"), ["already told you"]);
        assert_eq!(labels("I have already told you"), ["already told you"]);
        assert_eq!(labels("Are you even listening?"), ["not listening"]);
        assert_eq!(labels("you're not listening"), ["not listening"]);
        assert_eq!(labels("Let me speak to a human."), ["wants a human"]);
        assert_eq!(labels("I want a manager now"), ["wants a human"]);
        assert_eq!(labels("this is ridiculous"), ["this is ridiculous"]);
        assert_eq!(labels("Ive been waiting for an hour"), ["kept waiting"]);
        assert_eq!(labels("That's unacceptable."), ["unacceptable"]);
        assert_eq!(labels("just cancel everything"), ["cancel everything"]);
        assert_eq!(labels("I'm sick and tired of this"), ["fed up"]);
    }

    #[test]
    fn ordinary_requests_are_not_frustration() {
        for text in [
            "how long does delivery take",
            "thanks, that's great",
            "I'd like to change my delivery address",
            "can you tell me the opening times",
            "what time do you open on saturday",
            "I need to cancel my order from yesterday",
        ] {
            assert_eq!(labels(text), Vec::<&str>::new(), "{text}");
        }
    }

    #[test]
    fn several_kinds_are_reported_once_each() {
        let found = labels(
            "This is ridiculous! I have called three times and three times nobody helps me.",
        );
        assert_eq!(
            found,
            ["called again", "this is ridiculous", "nobody helps"]
        );
    }

    #[test]
    fn gaps_allow_at_most_two_words() {
        let words = normalised_words("i have already told you");
        assert!(occurs("i ~ already told", &words));
        let words = normalised_words("i went to the shop and already told them");
        assert!(!occurs("i ~ already told", &words));
    }
}
