//! Contact list import: a CSV with a column mapping, every number normalised to E.164 and given
//! a time zone; bad rows are reported with their line and reason and the good rows kept.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use chrono_tz::Tz;

use crate::campaign_file::Campaign;
use crate::error::DialerError;
use crate::phone::{normalise, NumberProblem, E164};
use crate::zones::zone_of_number;

/// Where a contact's time zone came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneSource {
    /// The list's time zone column.
    Column,
    /// The number's country or area code.
    Number,
    /// Nothing better: the campaign's `default_time_zone`.
    CampaignDefault,
}

/// One person to call.
#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    /// The CSV line the contact was read from.
    pub line: usize,
    pub number: E164,
    pub zone: Tz,
    pub zone_source: ZoneSource,
    /// The other columns, by header, for the flow's `{contact.COLUMN}`.
    pub variables: Vec<(String, String)>,
}

/// Why a row was not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowProblemKind {
    InvalidNumber {
        raw: String,
        problem: NumberProblem,
    },
    UnknownTimeZone(String),
    /// The same number as an earlier row.
    Duplicate {
        number: E164,
        first_line: usize,
    },
}

/// A row left out, with its CSV line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub line: usize,
    pub kind: RowProblemKind,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RowProblemKind::InvalidNumber { raw, problem } => {
                write!(
                    f,
                    "line {}: `{raw}` is not a valid number: {problem}",
                    self.line
                )
            }
            RowProblemKind::UnknownTimeZone(zone) => {
                write!(f, "line {}: unknown time zone `{zone}`", self.line)
            }
            RowProblemKind::Duplicate { number, first_line } => write!(
                f,
                "line {}: {number} is already on line {first_line}",
                self.line
            ),
        }
    }
}

/// What an import produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactImport {
    pub contacts: Vec<Contact>,
    pub problems: Vec<RowProblem>,
}

/// Reads the contact list `text` (named `file` in errors) with the campaign's mapping.
pub fn import_contacts(
    text: &str,
    file: &Path,
    campaign: &Campaign,
) -> Result<ContactImport, DialerError> {
    let csv_error = |line: usize, e: csv::Error| DialerError::Csv {
        file: file.to_path_buf(),
        line,
        reason: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(1, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| DialerError::MissingColumn {
                file: file.to_path_buf(),
                column: name.to_string(),
                found: headers.clone(),
            })
    };
    let source = &campaign.contacts;
    let phone = column(&source.phone_column)?;
    let zone_column = source.time_zone_column.as_deref().map(column).transpose()?;

    let mut import = ContactImport::default();
    let mut seen: HashMap<E164, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            csv_error(line, e)
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let problem = |kind| RowProblem { line, kind };
        let raw = record.get(phone).unwrap_or("").to_string();
        let number = match normalise(&raw, campaign.default_country.as_deref()) {
            Ok(n) => n,
            Err(problem_kind) => {
                import.problems.push(problem(RowProblemKind::InvalidNumber {
                    raw,
                    problem: problem_kind,
                }));
                continue;
            }
        };
        let written_zone = zone_column
            .and_then(|i| record.get(i))
            .filter(|z| !z.is_empty());
        let (zone, zone_source) = match written_zone {
            Some(name) => match name.parse::<Tz>() {
                Ok(zone) => (zone, ZoneSource::Column),
                Err(_) => {
                    import
                        .problems
                        .push(problem(RowProblemKind::UnknownTimeZone(name.to_string())));
                    continue;
                }
            },
            None => match zone_of_number(&number) {
                Some(zone) => (zone, ZoneSource::Number),
                None => (campaign.default_zone, ZoneSource::CampaignDefault),
            },
        };
        if let Some(&first_line) = seen.get(&number) {
            import
                .problems
                .push(problem(RowProblemKind::Duplicate { number, first_line }));
            continue;
        }
        seen.insert(number.clone(), line);
        let variables = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != phone && Some(*i) != zone_column)
            .map(|(i, h)| (h.clone(), record.get(i).unwrap_or("").to_string()))
            .collect();
        import.contacts.push(Contact {
            line,
            number,
            zone,
            zone_source,
            variables,
        });
    }
    Ok(import)
}
