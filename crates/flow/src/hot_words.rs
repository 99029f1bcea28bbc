//! The words a flow's callers are likely to say, as one short text for the speech recogniser's
//! prompt: Whisper spells a word it was primed with far more often than a near-sound it was not
//! ("shipping cost", not "she think I'd be caught"), so a flow's own vocabulary is heard better.
//!
//! Pure: built from the flow's description, its intents' examples and keywords and its FAQ
//! questions, in file order, without repeats, and cut to a length that keeps Whisper's decoder
//! fast.

use crate::Flow;

/// At most this many characters of vocabulary (about 60 tokens: a prompt costs decoder time,
/// and Whisper keeps only the last 224 prompt tokens anyway).
pub const HOT_WORDS_MAX_CHARS: usize = 320;

/// Keywords this short are left out: they are not words a recogniser mishears ("no").
const SHORTEST_KEYWORD: usize = 3;

/// The prompt for a flow's callers: its description, one example question of each intent and
/// the FAQ's questions as sentences (Whisper copies a prompt's style, so sentences keep its
/// transcripts sentences), then as many keywords as fit, as a list. Empty when the flow has
/// none of them.
pub fn hot_words(flow: &Flow) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut sentences: Vec<String> = Vec::new();
    let mut keywords: Vec<String> = Vec::new();
    for intent in flow.intents() {
        if let Some(example) = intent.examples.first() {
            if let Some(sentence) = as_sentence(example, &mut seen) {
                sentences.push(sentence);
            }
        }
    }
    for entry in flow.faq() {
        if let Some(sentence) = as_sentence(&entry.question, &mut seen) {
            sentences.push(sentence);
        }
    }
    for keyword in flow.intents().iter().flat_map(|i| &i.keywords) {
        let keyword = keyword.trim();
        if keyword.chars().count() >= SHORTEST_KEYWORD && seen.insert(keyword.to_lowercase()) {
            keywords.push(keyword.to_string());
        }
    }
    let mut prompt = String::from(flow.description().trim());
    let fits = |prompt: &str, more: usize| prompt.len() + more + 2 <= HOT_WORDS_MAX_CHARS;
    for sentence in sentences {
        if !fits(&prompt, sentence.len()) {
            break;
        }
        if !prompt.is_empty() {
            prompt.push(' ');
        }
        prompt.push_str(&sentence);
    }
    let mut listed = 0;
    for keyword in keywords {
        let separator = if listed == 0 { " " } else { ", " };
        if !fits(&prompt, separator.len() + keyword.len()) {
            break;
        }
        prompt.push_str(if prompt.is_empty() { "" } else { separator });
        let keyword = if listed == 0 {
            capitalised(&keyword)
        } else {
            keyword
        };
        prompt.push_str(&keyword);
        listed += 1;
    }
    if listed > 0 {
        prompt.push('.');
    }
    prompt
}

/// `text` as a sentence that starts with a capital and ends with a question mark or full stop,
/// unless an equal one was already taken.
fn as_sentence(text: &str, seen: &mut std::collections::HashSet<String>) -> Option<String> {
    let text = text.trim().trim_end_matches(['?', '.', '!']).trim();
    if text.chars().count() < SHORTEST_KEYWORD || !seen.insert(text.to_lowercase()) {
        return None;
    }
    let first = text.split_whitespace().next().unwrap_or("").to_lowercase();
    let question = [
        "how", "what", "when", "where", "which", "who", "why", "can", "could", "do", "does", "is",
        "are", "will", "would", "may",
    ]
    .contains(&first.as_str());
    Some(format!(
        "{}{}",
        capitalised(text),
        if question { "?" } else { "." }
    ))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_flow;

    fn flow(extra: &str) -> Flow {
        let source =
            format!("version: 1\nflow: t\n{extra}\nstart: a\nnodes:\n  a:\n    hangup: Bye\n");
        load_flow(&source, "t.yaml").unwrap_or_else(|d| panic!("{d:?}"))
    }

    #[test]
    fn example_questions_then_keywords_follow_the_description_once_each() {
        let flow = flow(
            "description: Northwind Shop hotline.\nintents:\n  a:\n    examples: [where is my parcel, where is it]\n    keywords: [tracking number, PayPal, no, Tracking Number]\n  b:\n    examples: [I want a refund]\n    keywords: [postage, paypal, i want a refund]\nfaq:\n  gift:\n    question: Do you sell gift cards?\n    answer: Yes.\n",
        );
        assert_eq!(
            hot_words(&flow),
            "Northwind Shop hotline. Where is my parcel? I want a refund. Do you sell gift cards? Tracking number, PayPal, postage."
        );
    }

    #[test]
    fn a_flow_without_words_gives_an_empty_prompt() {
        assert_eq!(hot_words(&flow("")), "");
    }

    #[test]
    fn a_long_vocabulary_is_cut_at_a_whole_phrase() {
        let keywords: Vec<String> = (0..200).map(|i| format!("word{i}")).collect();
        let flow = flow(&format!(
            "intents:\n  a:\n    examples: [x y z]\n    keywords: [{}]\n",
            keywords.join(", ")
        ));
        let prompt = hot_words(&flow);
        assert!(prompt.len() <= HOT_WORDS_MAX_CHARS, "{}", prompt.len());
        assert!(prompt.starts_with("X y z. Word0, word1, "), "{prompt}");
        assert!(prompt.ends_with('.'));
        let last = prompt.trim_end_matches('.').rsplit(", ").next().unwrap();
        assert!(keywords.iter().any(|k| k == last), "{last}");
    }
}
