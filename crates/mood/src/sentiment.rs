//! Text sentiment in the manner of VADER (Hutto & Gilbert, ICWSM 2014): lexicon valences
//! adjusted by boosters and dampeners, negation, capitals, exclamation marks and "but", summed
//! and normalised to a compound score in -1..1. Our own implementation of the published rules.

use crate::lexicon::Lexicon;
use crate::words::{written_words, Word};

/// How much a booster ("very") or dampener ("kind of") adds to or removes from a valence.
const BOOST: f32 = 0.293;
/// Extra valence of a word written in capitals when the rest of the text is not.
const CAPS_BOOST: f32 = 0.733;
/// Factor applied to a valence under negation ("not good").
const NEGATION: f32 = -0.74;
/// Emphasis added per exclamation mark, up to [`MAX_EXCLAMATIONS`].
const EXCLAMATION_BOOST: f32 = 0.292;
const MAX_EXCLAMATIONS: usize = 4;
/// Emphasis added per question mark when there are two or three, capped at [`MAX_QUESTION_BOOST`].
const QUESTION_BOOST: f32 = 0.18;
const MAX_QUESTION_BOOST: f32 = 0.96;
/// Normalisation constant: compound = sum / sqrt(sum² + ALPHA).
const ALPHA: f32 = 15.0;
/// Weights of the clauses before and after "but".
const BEFORE_BUT: f32 = 0.5;
const AFTER_BUT: f32 = 1.5;
/// Booster effect at a distance of one, two and three words.
const DISTANCE_DECAY: [f32; 3] = [1.0, 0.95, 0.9];

/// Words that intensify (+) or soften (-) the sentiment word after them.
const BOOSTERS: &[(&str, f32)] = &[
    ("absolutely", BOOST),
    ("amazingly", BOOST),
    ("awfully", BOOST),
    ("completely", BOOST),
    ("considerably", BOOST),
    ("deeply", BOOST),
    ("entirely", BOOST),
    ("especially", BOOST),
    ("exceptionally", BOOST),
    ("extremely", BOOST),
    ("freaking", BOOST),
    ("frigging", BOOST),
    ("fully", BOOST),
    ("greatly", BOOST),
    ("highly", BOOST),
    ("hugely", BOOST),
    ("incredibly", BOOST),
    ("intensely", BOOST),
    ("most", BOOST),
    ("more", BOOST),
    ("particularly", BOOST),
    ("quite", BOOST),
    ("really", BOOST),
    ("remarkably", BOOST),
    ("so", BOOST),
    ("such", BOOST),
    ("thoroughly", BOOST),
    ("totally", BOOST),
    ("tremendously", BOOST),
    ("truly", BOOST),
    ("unbelievably", BOOST),
    ("utterly", BOOST),
    ("very", BOOST),
    ("almost", -BOOST),
    ("barely", -BOOST),
    ("hardly", -BOOST),
    ("kinda", -BOOST),
    ("less", -BOOST),
    ("little", -BOOST),
    ("marginally", -BOOST),
    ("occasionally", -BOOST),
    ("partly", -BOOST),
    ("rather", -BOOST),
    ("scarcely", -BOOST),
    ("slightly", -BOOST),
    ("somewhat", -BOOST),
    ("sorta", -BOOST),
];

/// Words that negate the sentiment word up to three words after them.
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "none", "nobody", "nothing", "nowhere", "neither", "nor", "cannot",
    "without", "rarely", "seldom", "despite", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt",
    "werent", "havent", "hasnt", "hadnt", "wont", "cant", "couldnt", "shouldnt", "wouldnt", "aint",
];

/// Sentiment of one text.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TextScore {
    /// Normalised sum of valences, -1 (most negative) to 1 (most positive); VADER's "compound".
    pub compound: f32,
    /// Share of the text's sentiment mass that is positive, 0..1.
    pub positive: f32,
    /// Share that is negative, 0..1.
    pub negative: f32,
    /// Share that is neutral (words without valence), 0..1.
    pub neutral: f32,
}

fn booster(word: &str) -> Option<f32> {
    BOOSTERS.iter().find(|(w, _)| *w == word).map(|(_, b)| *b)
}

fn is_negation(word: &str) -> bool {
    NEGATIONS.contains(&word) || word.contains("n't")
}

/// How much the booster `word` changes a neighbouring `valence` (0 if it is no booster).
fn boost_from(word: &Word, valence: f32, caps_differ: bool) -> f32 {
    let Some(mut scalar) = booster(&word.lower) else {
        return 0.0;
    };
    if valence < 0.0 {
        scalar = -scalar;
    }
    if word.is_shouted() && caps_differ {
        scalar += CAPS_BOOST.copysign(valence);
    }
    scalar
}

/// Valence of the word at `i` with its neighbours' effects applied.
fn word_valence(lexicon: &Lexicon, words: &[Word], i: usize, caps_differ: bool) -> f32 {
    let word = &words[i];
    let next_is_sentiment = words
        .get(i + 1)
        .is_some_and(|n| lexicon.valence(&n.lower).is_some());
    // "kind of" and "sort of" soften; "kind" there is not the adjective.
    let next_is_of = words.get(i + 1).is_some_and(|n| n.lower == "of");
    if booster(&word.lower).is_some() || (word.lower == "kind" && next_is_of) {
        return 0.0;
    }
    // "no" as a determiner ("no problems") carries no sentiment of its own.
    if word.lower == "no" && next_is_sentiment {
        return 0.0;
    }
    let Some(mut valence) = lexicon.valence(&word.lower) else {
        return 0.0;
    };
    if word.is_shouted() && caps_differ {
        valence += CAPS_BOOST.copysign(valence);
    }
    for distance in 1..=3 {
        let Some(prev_index) = i.checked_sub(distance) else {
            break;
        };
        let prev = &words[prev_index];
        if prev.lower == "no" && distance == 1 {
            valence *= NEGATION;
            continue;
        }
        if lexicon.valence(&prev.lower).is_some() {
            continue;
        }
        valence += boost_from(prev, valence, caps_differ) * DISTANCE_DECAY[distance - 1];
        if prev.lower == "of" && distance == 1 && prev_index >= 1 {
            let before = &words[prev_index - 1].lower;
            if before == "kind" || before == "sort" {
                valence -= BOOST.copysign(valence);
            }
        }
        if is_negation(&prev.lower) {
            // "never so good" and "without doubt" intensify rather than negate.
            let between = (prev_index + 1 < i).then(|| words[prev_index + 1].lower.as_str());
            match (prev.lower.as_str(), between) {
                ("never", Some("so" | "this")) => valence *= 1.25,
                ("without", Some("doubt")) => {}
                _ => valence *= NEGATION,
            }
        }
    }
    // "least" negates unless it is "at least" or "very least".
    if i >= 1 && words[i - 1].lower == "least" && lexicon.valence("least").is_none() {
        let before = i.checked_sub(2).map(|j| words[j].lower.as_str());
        if !matches!(before, Some("at" | "very")) {
            valence *= NEGATION;
        }
    }
    valence
}

/// Emphasis from exclamation marks and repeated question marks.
fn punctuation_emphasis(text: &str) -> f32 {
    let exclamations = text.matches('!').count().min(MAX_EXCLAMATIONS);
    let questions = text.matches('?').count();
    let question_boost = if questions > 1 {
        (questions as f32 * QUESTION_BOOST).min(MAX_QUESTION_BOOST)
    } else {
        0.0
    };
    exclamations as f32 * EXCLAMATION_BOOST + question_boost
}

/// Scores the sentiment of `text` (one caller turn) with the VADER rules and `lexicon`.
/// Empty or sentiment-free text scores 0 compound.
pub fn score_text(lexicon: &Lexicon, text: &str) -> TextScore {
    let words: Vec<Word> = written_words(text)
        .into_iter()
        .filter(|w| {
            w.text.chars().any(char::is_alphanumeric) || lexicon.valence(&w.lower).is_some()
        })
        .collect();
    if words.is_empty() {
        return TextScore::default();
    }
    let shouted = words.iter().filter(|w| w.is_shouted()).count();
    let caps_differ = shouted > 0 && shouted < words.len();
    let mut valences: Vec<f32> = (0..words.len())
        .map(|i| word_valence(lexicon, &words, i, caps_differ))
        .collect();
    if let Some(but) = words.iter().position(|w| w.lower == "but") {
        for (i, v) in valences.iter_mut().enumerate() {
            if i < but {
                *v *= BEFORE_BUT;
            } else if i > but {
                *v *= AFTER_BUT;
            }
        }
    }
    let emphasis = punctuation_emphasis(text);
    let mut sum: f32 = valences.iter().sum();
    if sum > 0.0 {
        sum += emphasis;
    } else if sum < 0.0 {
        sum -= emphasis;
    }
    let compound = (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0);

    let mut positive: f32 = valences.iter().filter(|v| **v > 0.0).map(|v| v + 1.0).sum();
    let mut negative: f32 = valences.iter().filter(|v| **v < 0.0).map(|v| v - 1.0).sum();
    let neutral = valences.iter().filter(|v| **v == 0.0).count() as f32;
    if positive > negative.abs() {
        positive += emphasis;
    } else if positive < negative.abs() {
        negative -= emphasis;
    }
    let total = positive + negative.abs() + neutral;
    TextScore {
        compound,
        positive: positive / total,
        negative: negative.abs() / total,
        neutral: neutral / total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        Lexicon::from_entries([
            ("good", 1.9),
            ("great", 3.1),
            ("bad", -2.5),
            ("useless", -1.8),
            ("ridiculous", -1.1),
            ("thanks", 1.9),
            ("problem", -1.7),
            ("kind", 2.4),
            ("help", 1.7),
        ])
    }

    fn compound(text: &str) -> f32 {
        score_text(&lexicon(), text).compound
    }

    #[test]
    fn neutral_and_empty_text_score_zero() {
        assert_eq!(compound(""), 0.0);
        assert_eq!(compound("how long does delivery take"), 0.0);
        let score = score_text(&lexicon(), "how long does delivery take");
        assert_eq!(score.neutral, 1.0);
    }

    #[test]
    fn lexicon_words_set_the_direction_and_share() {
        assert!(compound("that's good") > 0.3);
        assert!(compound("that's bad") < -0.3);
        let score = score_text(&lexicon(), "good and bad");
        assert!(score.positive > 0.0 && score.negative > 0.0);
        assert!((score.positive + score.negative + score.neutral - 1.0).abs() < 1e-5);
    }

    #[test]
    fn boosters_intensify_and_dampeners_soften() {
        let plain = compound("the service is good");
        assert!(compound("the service is very good") > plain);
        assert!(compound("the service is extremely good") > plain);
        assert!(compound("the service is kind of good") < plain);
        assert!(compound("the service is kind of good") > 0.0);
        assert!(compound("the service is very bad") < compound("the service is bad"));
    }

    #[test]
    fn negation_flips_within_three_words() {
        assert!(compound("not good") < 0.0);
        assert!(compound("it is not really good") < 0.0);
        assert!(compound("not bad at all") > 0.0);
        assert!(compound("no problem") > 0.0);
        assert!(compound("isn't good") < 0.0);
        assert!(compound("dont help") < 0.0);
        // Too far away to negate.
        assert!(compound("not that it matters, the food was good") > 0.0);
    }

    #[test]
    fn capitals_and_exclamations_add_emphasis() {
        let plain = compound("this is bad");
        assert!(compound("this is BAD") < plain);
        // All capitals is no emphasis: nothing differs.
        assert!((compound("THIS IS BAD") - plain).abs() < 1e-6);
        assert!(compound("this is bad!!") < plain);
        assert!(compound("this is good!!") > compound("this is good"));
        assert!(compound("this is good!!!!!!!!") - compound("this is good!!!!") < 1e-6);
    }

    #[test]
    fn the_clause_after_but_dominates() {
        assert!(compound("the food was good but the service was bad") < 0.0);
        assert!(compound("the food was bad but the service was great") > 0.0);
    }

    #[test]
    fn compound_stays_within_bounds() {
        let many = "great ".repeat(200);
        let c = compound(&many);
        assert!(c > 0.99 && c <= 1.0);
        let c = compound(&"useless! ".repeat(200));
        assert!((-1.0..-0.99).contains(&c));
    }
}
