//! Durations as flow authors write them: `6s`, `500ms`, `1.5s`, `2m`.

use std::time::Duration;

/// Parses a duration with a unit (`ms`, `s`, `m`, `h`) and no bounds: the one spelling of
/// durations in every supervisor-edited YAML file (flows here, queues in `hotline-acd`). Returns a
/// short reason on failure, meant to follow the quoted input in a message ("`6x` has an unknown
/// unit ...").
pub fn parse_duration_text(text: &str) -> Result<Duration, &'static str> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err("must start with a number, e.g. `6s`");
    }
    let value: f64 = number.parse().map_err(|_| "is not a valid number")?;
    let millis_per_unit = match unit.trim() {
        "ms" => 1.0,
        "s" => 1000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        "" => return Err("has no unit (write e.g. `6s` or `500ms`)"),
        _ => return Err("has an unknown unit (use `ms`, `s`, `m` or `h`)"),
    };
    Ok(Duration::from_millis(
        (value * millis_per_unit).round() as u64
    ))
}

/// A flow's durations: [`parse_duration_text`], between 1 ms and one hour.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, &'static str> {
    let duration = parse_duration_text(text)?;
    if duration < Duration::from_millis(1) {
        return Err("must be at least 1ms");
    }
    if duration > Duration::from_secs(3600) {
        return Err("must be at most one hour");
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings() {
        assert_eq!(parse_duration("6s"), Ok(Duration::from_secs(6)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration(" 3 s "), Ok(Duration::from_secs(3)));
    }

    #[test]
    fn rejects_bad_durations_with_reason() {
        assert!(parse_duration("6").unwrap_err().contains("no unit"));
        assert!(parse_duration("6x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("s").unwrap_err().contains("number"));
        assert!(parse_duration("0s").unwrap_err().contains("at least"));
        assert!(parse_duration("1.2.3s").unwrap_err().contains("number"));
        assert!(parse_duration("2h").is_err());
    }
}
