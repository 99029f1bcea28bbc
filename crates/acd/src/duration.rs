//! Durations as supervisors write them in `queues.yaml`: `500ms`, `20s`, `1.5s`, `3m`, `1h`.

use std::time::Duration;

/// Parses a duration that carries a unit (the flows' spelling, [`hotline_flow::parse_duration_text`]).
/// `0s` is accepted; callers decide whether zero makes sense for their setting. The error is a
/// reason that follows the quoted text in a message.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, &'static str> {
    let duration = hotline_flow::parse_duration_text(text)?;
    if duration > Duration::from_secs(24 * 3600) {
        return Err("must be at most one day");
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_spellings() {
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration(" 0s "), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_bad_durations_with_a_reason() {
        assert!(parse_duration("20").unwrap_err().contains("no unit"));
        assert!(parse_duration("20x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("s").unwrap_err().contains("number"));
        assert!(parse_duration("-1s").unwrap_err().contains("number"));
        assert!(parse_duration("1.2.3s")
            .unwrap_err()
            .contains("valid number"));
        assert!(parse_duration("25h").unwrap_err().contains("one day"));
    }
}
