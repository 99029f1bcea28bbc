//! Insults and profanity in a caller's words: our own short English lists, matched on whole
//! normalised words with their common inflections and ASR spellings (`f***ing`, `idiots`).

/// Contemptuous words; aimed at the agent ("you are useless") they weigh more.
const INSULTS: &[&str] = &[
    "idiot",
    "idiots",
    "idiotic",
    "stupid",
    "stupidity",
    "moron",
    "morons",
    "moronic",
    "dumb",
    "dumbest",
    "useless",
    "pathetic",
    "incompetent",
    "incompetence",
    "clueless",
    "hopeless",
    "worthless",
    "rubbish",
    "garbage",
    "scam",
    "scammers",
    "scammer",
    "fraud",
    "frauds",
    "crooks",
    "thieves",
    "liars",
    "liar",
    "ripoff",
    "imbecile",
    "imbeciles",
    "brainless",
];

/// Profanity stems; a word counts when it is the stem or the stem plus a common ending.
const STRONG_PROFANITY: &[&str] = &[
    "fuck",
    "motherfuck",
    "shit",
    "bullshit",
    "asshole",
    "arsehole",
    "bastard",
    "bitch",
    "cunt",
    "wanker",
    "twat",
    "bollocks",
    "dickhead",
    "jackass",
    "dumbass",
    "piss",
];

/// Milder swearing: annoyance more than abuse.
const MILD_PROFANITY: &[&str] = &[
    "damn", "goddamn", "dammit", "damnit", "hell", "crap", "bloody", "bugger", "freaking",
    "frigging", "friggin", "effing", "sodding",
];

/// Endings that keep a profanity stem recognisable (`fucking`, `fuckin`, `shitty`, `pissed`).
const ENDINGS: &[&str] = &[
    "", "s", "es", "ed", "er", "ers", "ing", "in", "y", "ty", "py",
];

/// Two-word abuse aimed at the listener.
const ABUSIVE_PHRASES: &[[&str; 2]] = &[
    ["shut", "up"],
    ["screw", "you"],
    ["fuck", "you"],
    ["fuck", "off"],
    ["piss", "off"],
    ["bugger", "off"],
];

/// Words that aim what follows at the agent or the company ("you", "your", "you people").
const ADDRESSEE: &[&str] = &["you", "your", "ya", "u", "yours", "youse"];

/// Words that cancel a following insult ("I'm not stupid" is no insult of the agent).
const NEGATORS: &[&str] = &["not", "never", "no"];

/// One insult or swear word found in a turn.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Abuse {
    /// A contemptuous word or abusive phrase, `directed` when aimed at the listener.
    Insult { word: String, directed: bool },
    /// A swear word; `strong` for the offensive ones, false for "damn", "bloody"...
    Profanity { word: String, strong: bool },
}

fn has_stem(word: &str, stems: &[&str]) -> bool {
    stems.iter().any(|stem| {
        word.strip_prefix(stem)
            .is_some_and(|ending| ENDINGS.contains(&ending))
    })
}

/// A word censored by the recogniser: a letter followed by at least two `*` (`f***`, `s**t`).
fn is_censored(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_alphabetic) && word.matches('*').count() >= 2
}

/// Whether one of the three words before `i` addresses the listener ("you idiot", "are you
/// stupid", "your system is rubbish").
fn is_directed(words: &[String], i: usize) -> bool {
    let start = i.saturating_sub(3);
    words[start..i]
        .iter()
        .any(|w| ADDRESSEE.contains(&w.as_str()))
}

fn is_negated(words: &[String], i: usize) -> bool {
    let start = i.saturating_sub(2);
    words[start..i]
        .iter()
        .any(|w| NEGATORS.contains(&w.as_str()))
}

/// Insults and profanity in normalised `words`, each distinct word once.
pub(crate) fn find_abuse(words: &[String]) -> Vec<Abuse> {
    let mut found: Vec<Abuse> = Vec::new();
    let mut push = |abuse: Abuse| {
        if !found.contains(&abuse) {
            found.push(abuse);
        }
    };
    for pair in words.windows(2) {
        if ABUSIVE_PHRASES
            .iter()
            .any(|p| p[0] == pair[0] && p[1] == pair[1])
        {
            push(Abuse::Insult {
                word: format!("{} {}", pair[0], pair[1]),
                directed: true,
            });
        }
    }
    for (i, word) in words.iter().enumerate() {
        if INSULTS.contains(&word.as_str()) {
            if !is_negated(words, i) {
                push(Abuse::Insult {
                    word: word.clone(),
                    directed: is_directed(words, i),
                });
            }
        } else if has_stem(word, STRONG_PROFANITY) || is_censored(word) {
            push(Abuse::Profanity {
                word: word.clone(),
                strong: true,
            });
        } else if has_stem(word, MILD_PROFANITY) {
            push(Abuse::Profanity {
                word: word.clone(),
                strong: false,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::normalised_words;

    fn abuse(text: &str) -> Vec<Abuse> {
        find_abuse(&normalised_words(text))
    }

    fn insult(word: &str, directed: bool) -> Abuse {
        Abuse::Insult {
            word: word.to_string(),
            directed,
        }
    }

    #[test]
    fn polite_requests_have_no_abuse() {
        for text in [
            "how long does delivery take",
            "hello, I'd like to check my balance",
            "thanks, that's great",
            "the shell of the parcel was dented", // "shell" is not "hell"
            "I'm calling about my order, it hasn't arrived",
        ] {
            assert_eq!(abuse(text), [], "{text}");
        }
    }

    #[test]
    fn insults_aimed_at_the_agent_are_directed() {
        assert_eq!(abuse("you are useless"), [insult("useless", true)]);
        assert_eq!(abuse("you people are useless!"), [insult("useless", true)]);
        assert_eq!(abuse("are you stupid?"), [insult("stupid", true)]);
        assert_eq!(abuse("your system is rubbish"), [insult("rubbish", true)]);
        assert_eq!(abuse("this app is useless"), [insult("useless", false)]);
        assert_eq!(abuse("Idiots. Complete idiots."), [insult("idiots", false)]);
        assert_eq!(abuse("I'm not stupid"), []);
        assert_eq!(abuse("shut up"), [insult("shut up", true)]);
    }

    #[test]
    fn profanity_is_found_with_endings_and_censoring() {
        let strong = |w: &str| Abuse::Profanity {
            word: w.to_string(),
            strong: true,
        };
        let mild = |w: &str| Abuse::Profanity {
            word: w.to_string(),
            strong: false,
        };
        assert_eq!(abuse("this fucking thing"), [strong("fucking")]);
        assert_eq!(abuse("I'm pissed"), [strong("pissed")]);
        assert_eq!(abuse("what the f*** is this"), [strong("f***")]);
        assert_eq!(abuse("what the hell"), [mild("hell")]);
        assert_eq!(abuse("bloody hell"), [mild("bloody"), mild("hell")]);
        assert_eq!(
            abuse("fuck off"),
            [insult("fuck off", true), strong("fuck")]
        );
        assert_eq!(abuse("hello, help me"), []);
    }
}
