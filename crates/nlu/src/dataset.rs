//! Labelled utterances: reading the Banking77 CSV files (`text,category`, RFC 4180 quoting)
//! and drawing seeded subsets of them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::DatasetProblem;
use crate::vector::SeededRng;
use crate::NluError;

/// One labelled utterance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Utterance {
    /// What the customer wrote or said.
    pub text: String,
    /// The intent it was labelled with.
    pub intent: String,
}

/// Reads a `text,category` CSV file.
pub fn read_utterances(path: &Path) -> Result<Vec<Utterance>, NluError> {
    let source = std::fs::read_to_string(path).map_err(|e| NluError::io(path, e))?;
    parse_utterances(&source).map_err(|(line, problem)| NluError::Dataset {
        path: path.to_path_buf(),
        line,
        problem,
    })
}

/// Parses `text,category` CSV text; errors carry the 1-based line.
pub fn parse_utterances(source: &str) -> Result<Vec<Utterance>, (usize, DatasetProblem)> {
    let records = parse_csv(source)?;
    let mut records = records.into_iter();
    match records.next() {
        Some((_, header)) if header == ["text", "category"] => {}
        _ => return Err((1, DatasetProblem::Header)),
    }
    let mut utterances = Vec::new();
    for (line, mut fields) in records {
        if fields.len() != 2 {
            return Err((line, DatasetProblem::FieldCount(fields.len())));
        }
        let intent = fields.pop().unwrap_or_default();
        let text = fields.pop().unwrap_or_default();
        utterances.push(Utterance { text, intent });
    }
    if utterances.is_empty() {
        return Err((2, DatasetProblem::Empty));
    }
    Ok(utterances)
}

/// A CSV record's fields with the 1-based line it starts on.
type Record = (usize, Vec<String>);

/// Splits CSV text into records of fields. Blank lines are skipped; quoted fields may hold
/// commas, newlines and doubled quotes.
fn parse_csv(source: &str) -> Result<Vec<Record>, (usize, DatasetProblem)> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut quote_line = 1;
    let mut chars = source.chars().peekable();
    let mut end_record = |fields: &mut Vec<String>, field: &mut String, at: usize| {
        let done = std::mem::take(fields);
        if done.is_empty() && field.is_empty() {
            return;
        }
        let mut done = done;
        done.push(std::mem::take(field));
        records.push((at, done));
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                quote_line = line;
            }
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                end_record(&mut fields, &mut field, record_line);
                line += 1;
                record_line = line;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err((quote_line, DatasetProblem::UnterminatedQuote));
    }
    end_record(&mut fields, &mut field, record_line);
    Ok(records)
}

/// Intents in first-seen order.
pub fn intents_of(utterances: &[Utterance]) -> Vec<String> {
    let mut seen = Vec::new();
    for u in utterances {
        if !seen.contains(&u.intent) {
            seen.push(u.intent.clone());
        }
    }
    seen
}

/// Indices of up to `per_intent` utterances of each intent, drawn with `seed`; the result is
/// sorted, so it does not depend on anything but the data and the seed.
pub fn sample_per_intent(utterances: &[Utterance], per_intent: usize, seed: u64) -> Vec<usize> {
    let mut by_intent: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, u) in utterances.iter().enumerate() {
        by_intent.entry(&u.intent).or_default().push(i);
    }
    let mut rng = SeededRng::new(seed);
    let mut chosen = Vec::new();
    for indices in by_intent.values_mut() {
        rng.shuffle(indices);
        chosen.extend(indices.iter().take(per_intent));
    }
    chosen.sort_unstable();
    chosen
}

/// `count` intents drawn with `seed`, sorted by name.
pub fn pick_intents(intents: &[String], count: usize, seed: u64) -> Vec<String> {
    let mut sorted = intents.to_vec();
    sorted.sort();
    SeededRng::new(seed).shuffle(&mut sorted);
    let mut picked: Vec<String> = sorted.into_iter().take(count).collect();
    picked.sort();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_fields_with_commas_quotes_and_newlines() {
        let csv =
            "text,category\r\nplain text,a\n\"with, comma\",b\n\"say \"\"hi\"\"\nthere\",c\n\n";
        let parsed = parse_utterances(csv).expect("valid");
        let texts: Vec<&str> = parsed.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(texts, ["plain text", "with, comma", "say \"hi\"\nthere"]);
        assert_eq!(parsed[2].intent, "c");
    }

    #[test]
    fn reports_bad_input_with_line() {
        assert_eq!(
            parse_utterances("words,label\nx,y\n"),
            Err((1, DatasetProblem::Header))
        );
        assert_eq!(
            parse_utterances("text,category\nok,a\n\"open,b\n"),
            Err((3, DatasetProblem::UnterminatedQuote))
        );
        assert_eq!(
            parse_utterances("text,category\nok,a\none,two,three\n"),
            Err((3, DatasetProblem::FieldCount(3)))
        );
        assert_eq!(
            parse_utterances("text,category\n"),
            Err((2, DatasetProblem::Empty))
        );
    }

    #[test]
    fn sampling_is_seeded_and_capped_per_intent() {
        let data: Vec<Utterance> = (0..30)
            .map(|i| Utterance {
                text: format!("t{i}"),
                intent: ["a", "b", "c"][i % 3].to_string(),
            })
            .collect();
        let first = sample_per_intent(&data, 4, 77);
        assert_eq!(first, sample_per_intent(&data, 4, 77));
        assert_ne!(first, sample_per_intent(&data, 4, 78));
        for intent in ["a", "b", "c"] {
            assert_eq!(
                first.iter().filter(|&&i| data[i].intent == intent).count(),
                4
            );
        }
        assert_eq!(sample_per_intent(&data, 100, 1).len(), 30);
        assert_eq!(intents_of(&data), ["a", "b", "c"]);
        let picked = pick_intents(&intents_of(&data), 2, 5);
        assert_eq!(picked.len(), 2);
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
    }
}
