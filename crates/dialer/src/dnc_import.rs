//! Importing a do-not-call CSV file into the global list: one number a row (first column),
//! an optional reason (second column), an optional header row, `#` comment lines; every bad row is reported with
//! its line and the good rows are kept.

use crate::dnc::DncProblem;
use crate::phone::{normalise, E164};

/// One good row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DncEntry {
    pub line: usize,
    pub number: E164,
    /// The second column, when the row has one that is not empty.
    pub reason: Option<String>,
}

/// What a do-not-call CSV file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DncImport {
    pub entries: Vec<DncEntry>,
    /// Rows whose first cell is not a number.
    pub problems: Vec<DncProblem>,
}

/// Header cells that name the number column.
const HEADERS: &[&str] = &["number", "phone", "phone_number", "telephone", "msisdn"];

/// Reads a do-not-call CSV file's text; national numbers take `default_country`.
pub fn import_do_not_call(text: &str, default_country: Option<&str>) -> DncImport {
    let mut import = DncImport::default();
    for (i, text_line) in text.lines().enumerate() {
        let line = i + 1;
        if text_line.trim().is_empty() || text_line.trim_start().starts_with('#') {
            continue;
        }
        // One row a line: each line is read as CSV on its own, so its number is exact.
        let record = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text_line.as_bytes())
            .records()
            .next()
            .and_then(Result::ok)
            .unwrap_or_default();
        let raw = record.get(0).unwrap_or("").to_string();
        if line == 1 && HEADERS.contains(&raw.to_ascii_lowercase().as_str()) {
            continue;
        }
        match normalise(&raw, default_country) {
            Ok(number) => import.entries.push(DncEntry {
                line,
                number,
                reason: record.get(1).filter(|r| !r.is_empty()).map(str::to_string),
            }),
            Err(problem) => import.problems.push(DncProblem { line, raw, problem }),
        }
    }
    import
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_rows_are_kept_and_bad_ones_reported_with_their_line() {
        let text = "number,reason\n+1 212 555 0101,asked on the phone\n\n# a comment\n555-01,typo\n(212) 555-0102\n";
        let import = import_do_not_call(text, Some("US"));
        let numbers: Vec<(usize, &str, Option<&str>)> = import
            .entries
            .iter()
            .map(|e| (e.line, e.number.as_str(), e.reason.as_deref()))
            .collect();
        assert_eq!(
            numbers,
            vec![
                (2, "+12125550101", Some("asked on the phone")),
                (6, "+12125550102", None)
            ]
        );
        assert_eq!(import.problems.len(), 1);
        assert_eq!(import.problems[0].line, 5);
        assert_eq!(import.problems[0].raw, "555-01");
    }

    #[test]
    fn a_file_without_header_starts_with_a_number() {
        let import = import_do_not_call("+442079460018\n", None);
        assert_eq!(import.entries.len(), 1);
        assert_eq!(import.entries[0].line, 1);
        assert!(import.problems.is_empty());
    }
}
