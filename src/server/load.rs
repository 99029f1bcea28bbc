//! How loaded the server is, and whether it can take one more call: the transcription queue's
//! recent wait decides, so a new call is refused before every call in progress slows down.
//!
//! [`Admission`] is pure (the time is passed in); [`Load`] wraps it with the counters `/metrics`
//! shows, shared by the SIP task, the call tasks and the ASR pool.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::admin::exposition::{Metric, MetricKind};

/// How fast the recent wait follows new samples: a sample counts half after this long.
const HALF_LIFE: Duration = Duration::from_secs(5);

/// The admission decision, from the recent wait of transcriptions in the ASR queue.
#[derive(Debug, Clone)]
pub struct Admission {
    /// Refuse new calls while the recent wait is above this; `None`: never refuse for load.
    max_wait: Option<Duration>,
    /// Exponentially weighted recent wait, in seconds.
    recent: f64,
    last_sample: Option<Instant>,
    /// Refusing until the recent wait falls below half of `max_wait` (no flapping at the edge).
    refusing: bool,
}

impl Admission {
    pub fn new(max_wait: Option<Duration>) -> Admission {
        Admission {
            max_wait,
            recent: 0.0,
            last_sample: None,
            refusing: false,
        }
    }

    /// One transcription started after waiting `wait` in the queue.
    pub fn record_wait(&mut self, wait: Duration, now: Instant) {
        let decayed = self.decayed(now);
        let weight = match self.last_sample {
            // The first sample, or one after a long quiet spell, stands for the queue as it is.
            None => 1.0,
            Some(_) => 0.3,
        };
        self.recent = decayed + weight * (wait.as_secs_f64() - decayed);
        self.last_sample = Some(now);
    }

    /// The recent wait as of `now`: with no new samples it fades (an idle queue waits for nothing).
    pub fn recent_wait(&self, now: Instant) -> Duration {
        Duration::from_secs_f64(self.decayed(now).max(0.0))
    }

    /// Whether a new call may be answered now.
    pub fn admit(&mut self, now: Instant) -> bool {
        let Some(max) = self.max_wait else {
            return true;
        };
        let recent = self.decayed(now);
        if self.refusing {
            self.refusing = recent > max.as_secs_f64() / 2.0;
        } else {
            self.refusing = recent > max.as_secs_f64();
        }
        !self.refusing
    }

    fn decayed(&self, now: Instant) -> f64 {
        match self.last_sample {
            None => 0.0,
            Some(at) => {
                let quiet = now.saturating_duration_since(at).as_secs_f64();
                self.recent * 0.5f64.powf(quiet / HALF_LIFE.as_secs_f64())
            }
        }
    }
}

/// Why a call was refused, for the counter's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `sip.max_calls` calls were in progress.
    MaxCalls,
    /// Transcriptions were waiting longer than `speech.max_asr_wait`.
    Overload,
}

/// The server's load figures and its admission decision.
#[derive(Debug)]
pub struct Load {
    admission: Mutex<Admission>,
    asr_wait_ms_total: AtomicU64,
    asr_jobs: AtomicU64,
    refused_max_calls: AtomicU64,
    refused_overload: AtomicU64,
    turns_delayed: AtomicU64,
}

impl Load {
    pub fn new(max_asr_wait: Option<Duration>) -> Load {
        Load {
            admission: Mutex::new(Admission::new(max_asr_wait)),
            asr_wait_ms_total: AtomicU64::new(0),
            asr_jobs: AtomicU64::new(0),
            refused_max_calls: AtomicU64::new(0),
            refused_overload: AtomicU64::new(0),
            turns_delayed: AtomicU64::new(0),
        }
    }

    /// A transcription left the queue after `wait`.
    pub fn asr_started(&self, wait: Duration, now: Instant) {
        self.asr_wait_ms_total
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
        self.asr_jobs.fetch_add(1, Ordering::Relaxed);
        self.admission().record_wait(wait, now);
    }

    /// Whether a new call may be answered now (counts nothing: see [`Load::refused`]).
    pub fn admit(&self, now: Instant) -> bool {
        self.admission().admit(now)
    }

    pub fn refused(&self, why: Refusal) {
        let counter = match why {
            Refusal::MaxCalls => &self.refused_max_calls,
            Refusal::Overload => &self.refused_overload,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A caller's turn waited so long for its transcript that they heard the holding phrase.
    pub fn turn_delayed(&self) {
        self.turns_delayed.fetch_add(1, Ordering::Relaxed);
    }

    /// The families `/metrics` shows.
    pub fn metrics(&self, now: Instant) -> Vec<Metric> {
        let recent = self.admission().recent_wait(now);
        vec![
            Metric::new(
                "hotline_asr_queue_wait_seconds_sum",
                "Time transcriptions waited in the ASR queue before a worker took them.",
                MetricKind::Counter,
            )
            .sample(
                &[],
                self.asr_wait_ms_total.load(Ordering::Relaxed) as f64 / 1000.0,
            ),
            Metric::new(
                "hotline_asr_queue_wait_seconds_count",
                "Transcriptions taken from the ASR queue.",
                MetricKind::Counter,
            )
            .sample(&[], self.asr_jobs.load(Ordering::Relaxed) as f64),
            Metric::new(
                "hotline_asr_queue_wait_recent_seconds",
                "Recent ASR queue wait (weighted, 5 s half-life): what admission control compares with speech.max_asr_wait.",
                MetricKind::Gauge,
            )
            .sample(&[], recent.as_secs_f64()),
            Metric::new(
                "hotline_calls_refused_total",
                "New calls refused because the server was full.",
                MetricKind::Counter,
            )
            .sample(
                &[("reason", "max_calls")],
                self.refused_max_calls.load(Ordering::Relaxed) as f64,
            )
            .sample(
                &[("reason", "overload")],
                self.refused_overload.load(Ordering::Relaxed) as f64,
            ),
            Metric::new(
                "hotline_turns_delayed_total",
                "Caller turns that waited long enough for their transcript to hear the holding phrase.",
                MetricKind::Counter,
            )
            .sample(&[], self.turns_delayed.load(Ordering::Relaxed) as f64),
        ]
    }

    fn admission(&self) -> std::sync::MutexGuard<'_, Admission> {
        self.admission
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_queue_waiting_past_the_limit_refuses_new_calls_until_it_drains() {
        let t0 = Instant::now();
        let mut admission = Admission::new(Some(ms(2000)));
        assert!(admission.admit(t0), "an idle server takes calls");
        admission.record_wait(ms(100), t0);
        assert!(admission.admit(t0 + ms(10)));
        for i in 1..=10 {
            admission.record_wait(ms(3500), t0 + ms(200 * i));
        }
        assert!(
            !admission.admit(t0 + ms(2100)),
            "transcriptions waiting 3.5 s: a new call would slow every call"
        );
        // Waits come down a little, but not below half the limit: still refusing (no flapping).
        for i in 11..=13 {
            admission.record_wait(ms(1500), t0 + ms(200 * i));
        }
        assert!(!admission.admit(t0 + ms(2700)));
        // Then the queue drains.
        for i in 14..=30 {
            admission.record_wait(ms(50), t0 + ms(200 * i));
        }
        assert!(admission.admit(t0 + ms(6100)));
    }

    #[test]
    fn with_no_new_transcriptions_the_recent_wait_fades() {
        let t0 = Instant::now();
        let mut admission = Admission::new(Some(ms(1000)));
        admission.record_wait(ms(4000), t0);
        assert!(!admission.admit(t0));
        assert!(admission.recent_wait(t0 + Duration::from_secs(5)) < ms(2100));
        assert!(
            admission.admit(t0 + Duration::from_secs(20)),
            "twenty quiet seconds: the queue is empty"
        );
    }

    #[test]
    fn without_a_limit_every_call_is_admitted() {
        let t0 = Instant::now();
        let mut admission = Admission::new(None);
        admission.record_wait(Duration::from_secs(30), t0);
        assert!(admission.admit(t0));
    }

    #[test]
    fn the_counters_show_on_metrics() {
        let t0 = Instant::now();
        let load = Load::new(Some(ms(1000)));
        load.asr_started(ms(250), t0);
        load.asr_started(ms(750), t0);
        load.refused(Refusal::Overload);
        load.turn_delayed();
        let text = crate::admin::exposition::render(&load.metrics(t0));
        assert!(
            text.contains("hotline_asr_queue_wait_seconds_sum 1\n"),
            "{text}"
        );
        assert!(
            text.contains("hotline_asr_queue_wait_seconds_count 2\n"),
            "{text}"
        );
        assert!(
            text.contains("hotline_calls_refused_total{reason=\"overload\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("hotline_turns_delayed_total 1\n"), "{text}");
    }
}
