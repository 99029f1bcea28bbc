//! Refusals are logged once per source and interval, not once per packet: a scanner or a
//! password guesser must not be able to fill the operator's disk through our log.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How often one key (a source and what it was refused) is logged.
pub const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Keys remembered at most; beyond it, keys quiet for a whole interval are forgotten first, then
/// every key (a later refusal is logged again, which is the safe side).
const MAX_KEYS: usize = 4096;

/// Decides, with the time passed in, whether a refusal is logged now.
#[derive(Debug)]
pub struct LogThrottle<K> {
    interval: Duration,
    seen: HashMap<K, Seen>,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    logged_at: Instant,
    suppressed: u64,
}

/// What to log for one refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogDecision {
    /// Log it, saying how many like it were not logged since the last line (0: none).
    Log { suppressed: u64 },
    /// Stay silent: it was logged within the interval.
    Quiet,
}

impl<K: Eq + Hash> LogThrottle<K> {
    pub fn new(interval: Duration) -> LogThrottle<K> {
        LogThrottle {
            interval,
            seen: HashMap::new(),
        }
    }

    /// One refusal for `key` at `now`.
    pub fn refusal(&mut self, key: K, now: Instant) -> LogDecision {
        if self.seen.len() >= MAX_KEYS && !self.seen.contains_key(&key) {
            let interval = self.interval;
            self.seen
                .retain(|_, seen| now.saturating_duration_since(seen.logged_at) < interval);
            if self.seen.len() >= MAX_KEYS {
                self.seen.clear();
            }
        }
        match self.seen.get_mut(&key) {
            Some(seen) if now.saturating_duration_since(seen.logged_at) < self.interval => {
                seen.suppressed += 1;
                LogDecision::Quiet
            }
            Some(seen) => {
                let suppressed = seen.suppressed;
                *seen = Seen {
                    logged_at: now,
                    suppressed: 0,
                };
                LogDecision::Log { suppressed }
            }
            None => {
                self.seen.insert(
                    key,
                    Seen {
                        logged_at: now,
                        suppressed: 0,
                    },
                );
                LogDecision::Log { suppressed: 0 }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_refused_a_thousand_times_in_an_interval_is_logged_once_then_with_its_count() {
        let start = Instant::now();
        let mut throttle = LogThrottle::new(LOG_INTERVAL);
        assert_eq!(
            throttle.refusal("198.51.100.7", start),
            LogDecision::Log { suppressed: 0 }
        );
        for i in 1..1000u64 {
            let at = start + Duration::from_millis(i * 5);
            assert_eq!(throttle.refusal("198.51.100.7", at), LogDecision::Quiet);
        }
        // Another source is its own line at once.
        assert_eq!(
            throttle.refusal("203.0.113.9", start + Duration::from_secs(1)),
            LogDecision::Log { suppressed: 0 }
        );
        assert_eq!(
            throttle.refusal("198.51.100.7", start + LOG_INTERVAL),
            LogDecision::Log { suppressed: 999 }
        );
        assert_eq!(
            throttle.refusal("198.51.100.7", start + LOG_INTERVAL * 3),
            LogDecision::Log { suppressed: 0 }
        );
    }

    #[test]
    fn a_spray_of_new_sources_keeps_the_memory_bounded() {
        let start = Instant::now();
        let mut throttle = LogThrottle::new(LOG_INTERVAL);
        for i in 0..(MAX_KEYS as u32 * 3) {
            let decision = throttle.refusal(i, start + Duration::from_micros(u64::from(i)));
            assert_eq!(decision, LogDecision::Log { suppressed: 0 });
            assert!(throttle.seen.len() <= MAX_KEYS);
        }
    }
}
