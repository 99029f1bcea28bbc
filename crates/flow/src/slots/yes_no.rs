//! Yes or no in the many ways callers say it ("yeah", "sure", "that's right", "nope", "not
//! really"), including speech recognition's near-misses ("yea", "yup", "know" for "no").

use super::tokens;

/// Phrases that leave the answer open; checked first so "not sure" is not "sure".
const UNSURE: &[&[&str]] = &[
    &["not", "sure"],
    &["dont", "know"],
    &["do", "not", "know"],
    &["no", "idea"],
    &["maybe"],
    &["perhaps"],
    &["not", "certain"],
];

const NO: &[&[&str]] = &[
    &["no"],
    &["nope"],
    &["nah"],
    &["naw"],
    &["not", "really"],
    &["not", "at", "all"],
    &["negative"],
    &["incorrect"],
    &["wrong"],
    &["not", "right"],
    &["not", "correct"],
    &["dont"],
    &["do", "not"],
    &["never"],
    &["no", "way"],
    &["not", "quite"],
    &["thats", "not"],
    &["its", "not"],
    &["is", "not"],
    &["isnt"],
    &["wasnt"],
];

const YES: &[&[&str]] = &[
    &["yes"],
    &["yeah"],
    &["yea"],
    &["yep"],
    &["yup"],
    &["ya"],
    &["yah"],
    &["yess"],
    &["sure"],
    &["correct"],
    &["right"],
    &["exactly"],
    &["absolutely"],
    &["of", "course"],
    &["okay"],
    &["ok"],
    &["affirmative"],
    &["certainly"],
    &["definitely"],
    &["indeed"],
    &["please", "do"],
    &["go", "ahead"],
    &["uh", "huh"],
    &["mm", "hmm"],
    &["mhm"],
    &["i", "think", "so"],
    &["it", "is"],
    &["that", "is"],
    &["thats", "it"],
    &["alright"],
    &["all", "right"],
    &["true"],
];

/// `Some(true)` for yes, `Some(false)` for no, `None` when the answer is neither or unsure.
pub fn yes_no(text: &str) -> Option<bool> {
    let words = tokens(text);
    let has = |p: &&[&str]| words.windows(p.len()).any(|w| w == *p);
    if UNSURE.iter().any(has) {
        return None;
    }
    if NO.iter().any(has) || words == ["know"] {
        return Some(false);
    }
    if YES.iter().any(has) {
        return Some(true);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_ways_to_say_yes() {
        for text in [
            "Yes.",
            " Yeah.",
            "yep",
            "Yup, that's it.",
            "Sure.",
            "That's right.",
            "Correct",
            "Absolutely!",
            "of course",
            "OK",
            "Yes please.",
            "Mm-hmm.",
            "Uh-huh",
            "I think so",
            "yea",
        ] {
            assert_eq!(yes_no(text), Some(true), "{text:?}");
        }
    }

    #[test]
    fn many_ways_to_say_no() {
        for text in [
            "No.",
            " Nope.",
            "nah",
            "Not really.",
            "No, that's wrong.",
            "That's not right",
            "Incorrect.",
            "not at all",
            "No thanks.",
            "Know.",
            "I don't",
        ] {
            assert_eq!(yes_no(text), Some(false), "{text:?}");
        }
    }

    #[test]
    fn unsure_or_unrelated_is_neither() {
        for text in [
            "I'm not sure",
            "I don't know",
            "maybe",
            "What's the weather like?",
            "[BLANK_AUDIO]",
            "",
        ] {
            assert_eq!(yes_no(text), None, "{text:?}");
        }
    }
}
