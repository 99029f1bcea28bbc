//! The outgoing audio clock: frame n is due at start + n * ptime, so deadlines never drift
//! however late the caller's timer fires.

use std::time::{Duration, Instant};

/// A drift-free frame clock. The caller sleeps until [`Pacer::next_deadline`], then asks
/// [`Pacer::on_tick`] how many frames are due.
#[derive(Clone, Debug)]
pub struct Pacer {
    start: Instant,
    ptime: Duration,
    /// Index of the next frame not yet reported as due.
    next_frame: u64,
}

impl Pacer {
    /// A clock whose frame 0 is due at `start`, then one frame every `ptime` (at least 1 µs).
    pub fn new(start: Instant, ptime: Duration) -> Self {
        Pacer {
            start,
            ptime: ptime.max(Duration::from_micros(1)),
            next_frame: 0,
        }
    }

    /// The packet interval.
    pub fn ptime(&self) -> Duration {
        self.ptime
    }

    /// Number of frames reported as due so far.
    pub fn frames_elapsed(&self) -> u64 {
        self.next_frame
    }

    /// When frame `n` is due: `start + n * ptime`, computed exactly.
    pub fn deadline(&self, n: u64) -> Instant {
        let nanos = self.ptime.as_nanos().saturating_mul(u128::from(n));
        let offset = Duration::new(
            u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX),
            (nanos % 1_000_000_000) as u32,
        );
        self.start + offset
    }

    /// When the next frame is due.
    pub fn next_deadline(&self) -> Instant {
        self.deadline(self.next_frame)
    }

    /// Counts the frames due at `now` that were not yet reported: 0 if early, 1 on time, more
    /// if the caller was late (it decides whether to send or drop the extra frames).
    pub fn on_tick(&mut self, now: Instant) -> u32 {
        let Some(elapsed) = now.checked_duration_since(self.start) else {
            return 0;
        };
        let due_until = (elapsed.as_nanos() / self.ptime.as_nanos()) as u64 + 1;
        let due = due_until.saturating_sub(self.next_frame);
        self.next_frame = self.next_frame.max(due_until);
        u32::try_from(due).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PTIME: Duration = Duration::from_millis(20);

    #[test]
    fn a_thousand_ticks_end_exactly_twenty_seconds_later() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, PTIME);
        assert_eq!(pacer.next_deadline(), start);
        for n in 0..1000u64 {
            // The caller wakes a little late every time; lateness must not accumulate.
            let now = pacer.next_deadline() + Duration::from_micros(700);
            assert_eq!(pacer.on_tick(now), 1, "tick {n}");
        }
        assert_eq!(pacer.next_deadline(), start + Duration::from_secs(20));
        assert_eq!(pacer.frames_elapsed(), 1000);
    }

    #[test]
    fn odd_packet_interval_does_not_drift() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, Duration::from_nanos(1_000_000_007));
        for _ in 0..3000 {
            let deadline = pacer.next_deadline();
            pacer.on_tick(deadline);
        }
        assert_eq!(
            pacer.next_deadline(),
            start + Duration::from_nanos(3000 * 1_000_000_007)
        );
    }

    #[test]
    fn early_tick_reports_nothing_and_late_tick_reports_every_missed_frame() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, PTIME);
        assert_eq!(pacer.on_tick(start), 1);
        assert_eq!(pacer.on_tick(start + Duration::from_millis(19)), 0);
        // Frames 1, 2 and 3 are due at 20, 40 and 60 ms; waking at 65 ms owes all three.
        assert_eq!(pacer.on_tick(start + Duration::from_millis(65)), 3);
        assert_eq!(pacer.next_deadline(), start + Duration::from_millis(80));
        assert_eq!(pacer.on_tick(start + Duration::from_millis(70)), 0);
        assert_eq!(pacer.on_tick(start + Duration::from_millis(80)), 1);
    }

    #[test]
    fn tick_before_start_is_not_due() {
        let start = Instant::now() + Duration::from_secs(1);
        let mut pacer = Pacer::new(start, PTIME);
        assert_eq!(pacer.on_tick(start - Duration::from_millis(1)), 0);
        assert_eq!(pacer.next_deadline(), start);
    }
}
