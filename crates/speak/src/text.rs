//! Text before phonemes: sentence and clause splitting, and the few rewrites espeak-ng gets wrong.
//!
//! Sentences are split here so the first one can be played while the rest are synthesised.
//! Clauses are split here because espeak-ng 1.51's command line does not say which
//! punctuation ended a clause, and Piper needs that mark as a phoneme.

/// Titles that are always followed by a name, never the end of a sentence.
const TITLES: &[&str] = &[
    "dr", "mr", "mrs", "ms", "prof", "st", "mt", "sgt", "capt", "rev",
];
/// Abbreviations that sit inside a sentence.
const INNER_ABBREVIATIONS: &[&str] = &["e.g", "i.e", "vs", "cf", "approx", "fig"];
/// Abbreviations that sit inside a sentence when a number follows ("No. 5", "ext. 204").
const NUMBER_ABBREVIATIONS: &[&str] = &["no", "ext", "tel", "nr"];
/// Abbreviations that end a sentence only when a capitalised word follows.
const MAYBE_FINAL_ABBREVIATIONS: &[&str] = &[
    "etc", "a.m", "p.m", "inc", "ltd", "co", "corp", "jr", "sr", "u.s", "u.k", "dept",
];

/// Splits text into sentences, each keeping its closing punctuation.
///
/// A sentence ends at `.`, `!` or `?` (plus closing quotes or brackets) followed by
/// whitespace or the end of the text, and at blank lines. Titles ("Dr. Smith"), inner
/// abbreviations ("e.g."), decimals (4.99) and times (9:30) do not end a sentence;
/// "a.m.", "etc." and the like end one only when a capitalised word follows.
pub fn split_sentences(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut sentences = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' && next_line_is_blank(&chars, i) {
            push_sentence(&mut sentences, &mut current);
            i += 1;
            continue;
        }
        current.push(if c.is_whitespace() { ' ' } else { c });
        i += 1;
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        // Take the whole run of terminal marks and closing quotes/brackets.
        while i < chars.len() && (matches!(chars[i], '.' | '!' | '?') || is_closer(chars[i])) {
            current.push(chars[i]);
            i += 1;
        }
        let at_end = i >= chars.len();
        if !at_end && !chars[i].is_whitespace() {
            continue; // "4.99", "a.m", "example.com"
        }
        if c == '.' && !period_ends_sentence(&current, next_word_start(&chars, i)) {
            continue;
        }
        push_sentence(&mut sentences, &mut current);
    }
    push_sentence(&mut sentences, &mut current);
    sentences
}

fn push_sentence(sentences: &mut Vec<String>, current: &mut String) {
    let sentence = collapse_spaces(current);
    if sentence.chars().any(|c| !c.is_whitespace()) {
        sentences.push(sentence);
    }
    current.clear();
}

fn next_line_is_blank(chars: &[char], newline: usize) -> bool {
    chars[newline + 1..]
        .iter()
        .take_while(|c| **c != '\n')
        .all(|c| c.is_whitespace())
        && chars[newline + 1..].contains(&'\n')
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '}' | '”' | '’' | '»')
}

fn next_word_start(chars: &[char], from: usize) -> Option<char> {
    chars[from..].iter().copied().find(|c| !c.is_whitespace())
}

/// Decides whether the `.` that ends `sentence` closes it, given the next word's first char.
fn period_ends_sentence(sentence: &str, next: Option<char>) -> bool {
    let Some(next) = next else { return true };
    let trimmed = sentence.trim_end_matches(|c: char| c == '.' || is_closer(c));
    let word: String = trimmed
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .to_lowercase();
    if sentence.ends_with("...") {
        return next.is_uppercase();
    }
    if TITLES.contains(&word.as_str()) {
        return false;
    }
    if INNER_ABBREVIATIONS.contains(&word.as_str()) {
        return false;
    }
    if NUMBER_ABBREVIATIONS.contains(&word.as_str()) {
        return !next.is_ascii_digit();
    }
    if MAYBE_FINAL_ABBREVIATIONS.contains(&word.as_str()) {
        return next.is_uppercase() || next.is_ascii_digit();
    }
    true
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A piece of a sentence up to a punctuation mark Piper knows as a phoneme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    /// The words, without the closing mark.
    pub text: String,
    /// The closing mark: `,` `;` `:` inside a sentence, `.` `?` `!` at its end.
    pub mark: char,
}

/// Splits one sentence into clauses at `,` `;` `:` followed by a space, and takes the
/// sentence's closing mark (`.` when it has none). `1,000` and `9:30` stay whole.
pub(crate) fn split_clauses(sentence: &str) -> Vec<Clause> {
    let chars: Vec<char> = sentence.chars().collect();
    let mut clauses = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_space = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        if matches!(c, ',' | ';' | ':') && followed_by_space {
            push_clause(&mut clauses, &mut current, c);
        } else {
            current.push(c);
        }
    }
    let body = current.trim_end_matches(|c: char| {
        matches!(c, '.' | '!' | '?') || is_closer(c) || c.is_whitespace()
    });
    let tail = &current[body.len()..];
    let mark = if tail.contains('?') {
        '?'
    } else if tail.contains('!') {
        '!'
    } else {
        '.'
    };
    let mut last = body.to_string();
    push_clause(&mut clauses, &mut last, mark);
    if let Some(final_clause) = clauses.last_mut() {
        // A sentence such as "Yes, sir!" ends with the sentence's mark, not the comma's.
        if matches!(final_clause.mark, ',' | ';' | ':') {
            final_clause.mark = mark;
        }
    }
    clauses
}

fn push_clause(clauses: &mut Vec<Clause>, current: &mut String, mark: char) {
    let text = collapse_spaces(current);
    current.clear();
    if text.chars().any(char::is_alphanumeric) {
        clauses.push(Clause { text, mark });
    }
}

/// Rewrites what espeak-ng reads badly for a phone line; everything else (numbers, times,
/// `&`, `%`) is left to espeak-ng, which reads those well.
///
/// - money: `$4.99` → "4 dollars and 99 cents", `$1` → "1 dollar" (also `€`, `£`);
/// - phone numbers: `555-1234`, `1-800-555-0199` → digit by digit, groups separated by commas;
/// - `#5` → "number 5";
/// - runs of whitespace become one space.
///
/// Applying it twice gives the same text as applying it once.
pub fn normalize_text(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(normalize_word).collect();
    words.join(" ")
}

fn normalize_word(word: &str) -> String {
    let lead_len = word.len() - word.trim_start_matches(['(', '"', '\'']).len();
    let (lead, rest) = word.split_at(lead_len);
    let core_len = rest.trim_end_matches(|c: char| !c.is_alphanumeric()).len();
    let (core, tail) = rest.split_at(core_len);
    let spoken = if let Some(money) = spell_money(core) {
        money
    } else if let Some(phone) = spell_phone_number(core) {
        phone
    } else if let Some(number) = core
        .strip_prefix('#')
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    {
        format!("number {number}")
    } else {
        core.to_string()
    };
    format!("{lead}{spoken}{tail}")
}

fn spell_money(word: &str) -> Option<String> {
    let (symbol, amount) = word.char_indices().nth(1).map(|(i, _)| word.split_at(i))?;
    let (one, many, cent, cents) = match symbol {
        "$" => ("dollar", "dollars", "cent", "cents"),
        "€" => ("euro", "euros", "cent", "cents"),
        "£" => ("pound", "pounds", "penny", "pence"),
        _ => return None,
    };
    let (whole, fraction) = match amount.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (amount, None),
    };
    let whole_ok = !whole.is_empty() && whole.chars().all(|c| c.is_ascii_digit() || c == ',');
    if !whole_ok || !whole.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let units: u64 = whole.replace(',', "").parse().ok()?;
    let hundredths: u64 = match fraction {
        None => 0,
        Some(f) if f.len() == 2 && f.chars().all(|c| c.is_ascii_digit()) => f.parse().ok()?,
        Some(_) => return None,
    };
    let unit_word = if units == 1 { one } else { many };
    let cent_word = if hundredths == 1 { cent } else { cents };
    Some(match (units, hundredths) {
        (_, 0) => format!("{whole} {unit_word}"),
        (0, _) => format!("{hundredths} {cent_word}"),
        _ => format!("{whole} {unit_word} and {hundredths} {cent_word}"),
    })
}

fn spell_phone_number(word: &str) -> Option<String> {
    let groups: Vec<&str> = word.split('-').collect();
    let digits: usize = groups.iter().map(|g| g.len()).sum();
    let well_formed = groups.len() >= 2
        && groups
            .iter()
            .all(|g| (1..=4).contains(&g.len()) && g.chars().all(|c| c.is_ascii_digit()));
    let ends_in_four = groups.last().is_some_and(|g| g.len() == 4);
    if !well_formed || !ends_in_four || digits < 7 {
        return None;
    }
    let spoken: Vec<String> = groups
        .iter()
        .map(|g| g.chars().map(String::from).collect::<Vec<_>>().join(" "))
        .collect();
    Some(spoken.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_plain_sentences() {
        assert_eq!(
            split_sentences("Hello, world. How are you? Great!"),
            vec!["Hello, world.", "How are you?", "Great!"]
        );
    }

    #[test]
    fn keeps_titles_abbreviations_decimals_and_times_intact() {
        assert_eq!(
            split_sentences(
                "Dr. Smith sees you at 9:30 today. It costs $4.99, e.g. for a visit. Bye."
            ),
            vec![
                "Dr. Smith sees you at 9:30 today.",
                "It costs $4.99, e.g. for a visit.",
                "Bye."
            ]
        );
    }

    #[test]
    fn maybe_final_abbreviation_depends_on_next_word() {
        assert_eq!(
            split_sentences("We open at 9 a.m. on Monday. We close at 5 p.m. Call us."),
            vec![
                "We open at 9 a.m. on Monday.",
                "We close at 5 p.m.",
                "Call us."
            ]
        );
    }

    #[test]
    fn keeps_closing_quotes_and_mark_runs_with_their_sentence() {
        assert_eq!(
            split_sentences("He said \"stop.\" Then what?! Nothing..."),
            vec!["He said \"stop.\"", "Then what?!", "Nothing..."]
        );
    }

    #[test]
    fn number_abbreviation_depends_on_a_following_number() {
        assert_eq!(
            split_sentences("Ask for No. 5 please. The answer is no. Thanks."),
            vec!["Ask for No. 5 please.", "The answer is no.", "Thanks."]
        );
    }

    #[test]
    fn ellipsis_before_lowercase_continues_the_sentence() {
        assert_eq!(
            split_sentences("Well... maybe. Yes."),
            vec!["Well... maybe.", "Yes."]
        );
    }

    #[test]
    fn blank_line_ends_a_sentence_and_single_newline_does_not() {
        assert_eq!(
            split_sentences("Welcome to\nAcme\n\nPress one"),
            vec!["Welcome to Acme", "Press one"]
        );
    }

    #[test]
    fn empty_and_punctuation_only_text_gives_no_sentences() {
        assert!(split_sentences("").is_empty());
        assert!(split_sentences("   \n\n  ").is_empty());
    }

    #[test]
    fn clauses_carry_their_marks() {
        let clauses = split_clauses("Hello, world; at 9:30 we pay 1,000: yes?");
        let marks: Vec<char> = clauses.iter().map(|c| c.mark).collect();
        let texts: Vec<&str> = clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec!["Hello", "world", "at 9:30 we pay 1,000", "yes"]);
        assert_eq!(marks, vec![',', ';', ':', '?']);
    }

    #[test]
    fn sentence_without_mark_ends_with_period_and_exclamation_wins_over_trailing_comma() {
        assert_eq!(
            split_clauses("Press one"),
            vec![Clause {
                text: "Press one".into(),
                mark: '.'
            }]
        );
        let clauses = split_clauses("Yes, sir,!");
        assert_eq!(clauses.last().map(|c| c.mark), Some('!'));
    }

    #[test]
    fn clauses_without_words_are_dropped() {
        let clauses = split_clauses("Well, - , fine.");
        let texts: Vec<&str> = clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec!["Well", "fine"]);
    }

    #[test]
    fn money_is_read_as_dollars_and_cents() {
        assert_eq!(
            normalize_text("It costs $4.99."),
            "It costs 4 dollars and 99 cents."
        );
        assert_eq!(normalize_text("Pay $1 now"), "Pay 1 dollar now");
        assert_eq!(normalize_text("($0.50)"), "(50 cents)");
        assert_eq!(normalize_text("£2,500"), "2,500 pounds");
        assert_eq!(normalize_text("$4.5"), "$4.5");
    }

    #[test]
    fn phone_numbers_are_read_digit_by_digit() {
        assert_eq!(normalize_text("Call 555-1234."), "Call 5 5 5, 1 2 3 4.");
        assert_eq!(normalize_text("1-800-555-0199"), "1, 8 0 0, 5 5 5, 0 1 9 9");
        assert_eq!(normalize_text("2020-21"), "2020-21");
        assert_eq!(normalize_text("2024-01-15"), "2024-01-15");
    }

    #[test]
    fn hash_number_and_whitespace() {
        assert_eq!(
            normalize_text("Ticket  #42\nis open"),
            "Ticket number 42 is open"
        );
        assert_eq!(normalize_text("#hashtag"), "#hashtag");
    }

    #[test]
    fn normalizing_twice_changes_nothing() {
        let once = normalize_text("Call 555-1234 about $4.99 & ticket #7, Dr. Who.");
        assert_eq!(normalize_text(&once), once);
    }
}
