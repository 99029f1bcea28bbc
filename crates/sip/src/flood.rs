//! Per-source rate limiting in the style of Kamailio's pike: requests are counted per source
//! address per sampling interval; a source above the limit is blocked for a while and its
//! packets are dropped unanswered. Pure logic with the time passed in; the caller logs the
//! reports it returns, which come once per interval per blocked source, never per packet.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::access::plain_ip;

/// Flood limits (see [`crate::EndpointConfig::flood`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloodLimit {
    /// More requests than this from one source within one `interval` block it.
    pub requests: u32,
    /// The sampling interval.
    pub interval: Duration,
    /// How long a blocked source stays blocked after its last excess.
    pub block_for: Duration,
    /// At most this many sources are tracked; beyond it, untracked sources pass.
    pub max_sources: usize,
}

impl Default for FloodLimit {
    /// 100 requests per 2 s per source, blocked for 30 s, 65 536 sources tracked.
    fn default() -> FloodLimit {
        FloodLimit {
            requests: 100,
            interval: Duration::from_secs(2),
            block_for: Duration::from_secs(30),
            max_sources: 65_536,
        }
    }
}

/// What to do with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloodVerdict {
    /// Handle it.
    Pass,
    /// Drop it silently; nothing to log.
    Drop,
    /// Drop it silently, and log this (at most once per interval per source).
    DropAndReport(FloodReport),
}

/// A blocked source, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloodReport {
    /// The source.
    pub source: IpAddr,
    /// It has just been blocked (else: it is still sending while blocked).
    pub newly_blocked: bool,
    /// Requests dropped since the previous report.
    pub dropped: u64,
    /// When the block ends unless the source keeps flooding.
    pub until: Instant,
}

#[derive(Clone, Debug)]
struct Source {
    window_start: Instant,
    count: u32,
    blocked_until: Option<Instant>,
    dropped: u64,
    reported_at: Instant,
}

/// The per-source counters.
#[derive(Clone, Debug)]
pub struct FloodGuard {
    limit: FloodLimit,
    sources: HashMap<IpAddr, Source>,
    last_sweep: Option<Instant>,
}

impl FloodGuard {
    /// A guard with these limits.
    pub fn new(limit: FloodLimit) -> FloodGuard {
        FloodGuard {
            limit,
            sources: HashMap::new(),
            last_sweep: None,
        }
    }

    /// Counts one request from `source` at `now` and says what to do with it.
    pub fn check(&mut self, now: Instant, source: IpAddr) -> FloodVerdict {
        let source = plain_ip(source);
        self.sweep(now);
        let limit = self.limit;
        if !self.sources.contains_key(&source) && self.sources.len() >= limit.max_sources {
            return FloodVerdict::Pass;
        }
        let entry = self.sources.entry(source).or_insert(Source {
            window_start: now,
            count: 0,
            blocked_until: None,
            dropped: 0,
            reported_at: now,
        });
        if now.saturating_duration_since(entry.window_start) >= limit.interval {
            entry.window_start = now;
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        let over = entry.count > limit.requests;
        if entry.blocked_until.is_some_and(|until| until <= now) {
            entry.blocked_until = None;
        }
        match entry.blocked_until {
            None if !over => FloodVerdict::Pass,
            None => {
                let until = now + limit.block_for;
                entry.blocked_until = Some(until);
                entry.dropped = 0;
                entry.reported_at = now;
                FloodVerdict::DropAndReport(FloodReport {
                    source,
                    newly_blocked: true,
                    dropped: 1,
                    until,
                })
            }
            Some(mut until) => {
                if over {
                    until = now + limit.block_for; // still flooding: the block goes on
                    entry.blocked_until = Some(until);
                }
                entry.dropped += 1;
                if now.saturating_duration_since(entry.reported_at) < limit.interval {
                    return FloodVerdict::Drop;
                }
                entry.reported_at = now;
                let dropped = std::mem::take(&mut entry.dropped);
                FloodVerdict::DropAndReport(FloodReport {
                    source,
                    newly_blocked: false,
                    dropped,
                    until,
                })
            }
        }
    }

    /// Whether `source` is blocked at `now`.
    pub fn is_blocked(&self, now: Instant, source: IpAddr) -> bool {
        self.sources
            .get(&plain_ip(source))
            .and_then(|s| s.blocked_until)
            .is_some_and(|until| until > now)
    }

    /// How many sources are tracked (memory stays bounded by `max_sources`).
    pub fn tracked(&self) -> usize {
        self.sources.len()
    }

    /// Forgets quiet, unblocked sources, at most once per interval (amortised over requests).
    fn sweep(&mut self, now: Instant) {
        let interval = self.limit.interval;
        if self
            .last_sweep
            .is_some_and(|at| now.saturating_duration_since(at) < interval)
        {
            return;
        }
        self.last_sweep = Some(now);
        self.sources.retain(|_, s| {
            s.blocked_until.is_some_and(|until| until > now)
                || now.saturating_duration_since(s.window_start) < interval
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit() -> FloodLimit {
        FloodLimit {
            requests: 5,
            interval: Duration::from_secs(2),
            block_for: Duration::from_secs(10),
            max_sources: 3,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_source_within_the_limit_passes() {
        let mut guard = FloodGuard::new(limit());
        let t0 = Instant::now();
        for second in 0..20 {
            // 2 requests a second: 4 per interval, under 5.
            for half in 0..2 {
                let now = t0 + Duration::from_millis(second * 1000 + half * 500);
                assert_eq!(guard.check(now, ip("192.0.2.1")), FloodVerdict::Pass);
            }
        }
    }

    #[test]
    fn a_flood_is_blocked_reported_once_per_interval_and_released() {
        let mut guard = FloodGuard::new(limit());
        let t0 = Instant::now();
        let flooder = ip("198.51.100.9");
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        for i in 0..5 {
            assert_eq!(guard.check(at(i), flooder), FloodVerdict::Pass);
        }
        let FloodVerdict::DropAndReport(first) = guard.check(at(5), flooder) else {
            panic!("the sixth request in the interval blocks the source");
        };
        assert!(first.newly_blocked);
        assert_eq!(first.until, at(5) + Duration::from_secs(10));
        // 1000 more packets within the interval: dropped, not one more report.
        let reports = (6..1006)
            .filter(|ms| guard.check(at(*ms), flooder) != FloodVerdict::Drop)
            .count();
        assert_eq!(reports, 0);
        // Another source is not affected.
        assert_eq!(guard.check(at(1006), ip("192.0.2.1")), FloodVerdict::Pass);
        // Sending after the interval: one summary report with the count; the block lasts 10 s
        // from the last excess (at 1005 ms).
        let FloodVerdict::DropAndReport(summary) = guard.check(at(2100), flooder) else {
            panic!("a summary once per interval");
        };
        assert!(!summary.newly_blocked);
        assert_eq!(summary.dropped, 1001);
        let last_excess = at(1005) + Duration::from_secs(10);
        assert_eq!(summary.until, last_excess);
        // A slow trickle does not extend the block, which then ends.
        assert!(guard.is_blocked(last_excess - Duration::from_millis(1), flooder));
        assert_eq!(guard.check(last_excess, flooder), FloodVerdict::Pass);
    }

    #[test]
    fn memory_is_bounded_by_max_sources() {
        let mut guard = FloodGuard::new(limit());
        let t0 = Instant::now();
        for i in 0..10u8 {
            let source = IpAddr::from([203, 0, 113, i]);
            assert_eq!(guard.check(t0, source), FloodVerdict::Pass);
        }
        assert_eq!(guard.tracked(), 3);
        // After an interval of quiet, the old sources are forgotten.
        guard.check(t0 + Duration::from_secs(3), ip("192.0.2.1"));
        assert_eq!(guard.tracked(), 1);
    }
}
