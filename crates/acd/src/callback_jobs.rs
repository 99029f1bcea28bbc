//! Callback jobs left by waiting callers (press 1 in the queue): which job is due when an agent
//! of its queue is free, and what an attempt's outcome makes of it. Pure: times are Unix
//! milliseconds passed in; the server keeps the jobs in its store and carries the decisions out.

use std::time::Duration;

/// Where a callback job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for a free agent (and for `next_try_at`, after a failed attempt).
    Pending,
    /// Being placed by a server holding its lease until `lease_until`.
    Placed,
    /// The customer was reached and talked to the agent.
    Done,
    /// Every attempt the queue allows was used.
    Failed,
}

impl JobState {
    pub fn name(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Placed => "placed",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<JobState> {
        [
            JobState::Pending,
            JobState::Placed,
            JobState::Done,
            JobState::Failed,
        ]
        .into_iter()
        .find(|s| s.name() == text)
    }
}

/// What the decision needs to know of one job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobView {
    pub id: i64,
    pub queue: String,
    pub requested_at: i64,
    pub state: JobState,
    /// Attempts that reached the customer's line (an agent who did not answer is no attempt).
    pub attempts: u32,
    /// Not before this moment (0: at once).
    pub next_try_at: i64,
    /// While `Placed`: until when its placer holds it.
    pub lease_until: Option<i64>,
}

impl JobView {
    /// Whether the job may be taken at `now`: pending and due, or placed by a server whose lease
    /// ran out (it stopped or crashed while placing it).
    pub fn is_due(&self, now: i64) -> bool {
        match self.state {
            JobState::Pending => self.next_try_at <= now,
            JobState::Placed => self.lease_until.is_none_or(|until| until < now),
            JobState::Done | JobState::Failed => false,
        }
    }
}

/// The job an agent of `queue` who just became free should call back: the oldest due one.
pub fn next_due<'a>(jobs: &'a [JobView], queue: &str, now: i64) -> Option<&'a JobView> {
    jobs.iter()
        .filter(|j| j.queue == queue && j.is_due(now))
        .min_by_key(|j| (j.requested_at, j.id))
}

/// How one attempt to call a customer back ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// The customer answered and was bridged to the agent.
    Answered,
    Busy,
    NoAnswer,
    /// The trunk failed or refused the number.
    Failed,
    /// No agent took the job (rang out, or left): the customer was never called.
    AgentMissed,
    /// The number is on the do-not-call list: it is not called, and never will be for this job.
    DoNotCall,
    /// The number cannot be dialled (not a number, anonymous, or the trunk answered 404/484):
    /// retrying cannot help.
    InvalidNumber,
}

impl CallbackOutcome {
    pub fn name(self) -> &'static str {
        match self {
            CallbackOutcome::Answered => "answered",
            CallbackOutcome::Busy => "busy",
            CallbackOutcome::NoAnswer => "no-answer",
            CallbackOutcome::Failed => "failed",
            CallbackOutcome::AgentMissed => "agent-missed",
            CallbackOutcome::DoNotCall => "do-not-call",
            CallbackOutcome::InvalidNumber => "invalid-number",
        }
    }
}

/// A queue's rules for calling back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackPolicy {
    /// Attempts on the customer's line before the job is given up.
    pub max_attempts: u32,
    /// Wait after a busy, unanswered or failed attempt.
    pub retry_delay: Duration,
}

/// A job after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled {
    pub state: JobState,
    pub attempts: u32,
    pub next_try_at: i64,
}

/// What `outcome` makes of a job that had used `attempts` so far, at `now`.
pub fn settle(
    attempts: u32,
    outcome: CallbackOutcome,
    policy: CallbackPolicy,
    now: i64,
) -> Settled {
    let retry_at =
        now.saturating_add(i64::try_from(policy.retry_delay.as_millis()).unwrap_or(i64::MAX));
    match outcome {
        CallbackOutcome::Answered => Settled {
            state: JobState::Done,
            attempts: attempts + 1,
            next_try_at: now,
        },
        CallbackOutcome::AgentMissed => Settled {
            state: JobState::Pending,
            attempts,
            next_try_at: now,
        },
        // Nothing reached the customer's line, and nothing later will: failed at once.
        CallbackOutcome::DoNotCall | CallbackOutcome::InvalidNumber => Settled {
            state: JobState::Failed,
            attempts,
            next_try_at: now,
        },
        CallbackOutcome::Busy | CallbackOutcome::NoAnswer | CallbackOutcome::Failed => {
            let used = attempts + 1;
            Settled {
                state: if used >= policy.max_attempts {
                    JobState::Failed
                } else {
                    JobState::Pending
                },
                attempts: used,
                next_try_at: retry_at,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: i64, queue: &str, requested_at: i64) -> JobView {
        JobView {
            id,
            queue: queue.into(),
            requested_at,
            state: JobState::Pending,
            attempts: 0,
            next_try_at: 0,
            lease_until: None,
        }
    }

    const POLICY: CallbackPolicy = CallbackPolicy {
        max_attempts: 2,
        retry_delay: Duration::from_secs(600),
    };

    #[test]
    fn the_oldest_due_job_of_the_queue_goes_to_the_free_agent() {
        let mut waiting = job(3, "support", 300);
        waiting.next_try_at = 10_000;
        let jobs = vec![
            job(1, "sales", 100),
            job(2, "support", 200),
            waiting,
            job(4, "support", 150),
        ];
        assert_eq!(next_due(&jobs, "support", 5_000).map(|j| j.id), Some(4));
        assert_eq!(next_due(&jobs, "billing", 5_000), None);
    }

    #[test]
    fn a_job_waiting_for_its_retry_is_not_due_before_its_time() {
        let mut retry = job(1, "support", 100);
        retry.next_try_at = 10_000;
        let jobs = vec![retry];
        assert_eq!(next_due(&jobs, "support", 9_999), None);
        assert_eq!(next_due(&jobs, "support", 10_000).map(|j| j.id), Some(1));
    }

    #[test]
    fn a_placed_job_is_taken_again_only_once_its_lease_ran_out() {
        let mut placed = job(1, "support", 100);
        placed.state = JobState::Placed;
        placed.lease_until = Some(60_000);
        let jobs = vec![placed];
        assert_eq!(next_due(&jobs, "support", 60_000), None, "lease still held");
        assert_eq!(next_due(&jobs, "support", 60_001).map(|j| j.id), Some(1));
    }

    #[test]
    fn done_and_failed_jobs_are_never_due() {
        let mut done = job(1, "support", 100);
        done.state = JobState::Done;
        let mut failed = job(2, "support", 100);
        failed.state = JobState::Failed;
        assert_eq!(next_due(&[done, failed], "support", i64::MAX), None);
    }

    #[test]
    fn an_answer_finishes_the_job() {
        let s = settle(0, CallbackOutcome::Answered, POLICY, 1_000);
        assert_eq!((s.state, s.attempts), (JobState::Done, 1));
    }

    #[test]
    fn busy_and_no_answer_retry_after_the_delay_until_the_attempts_run_out() {
        let first = settle(0, CallbackOutcome::Busy, POLICY, 1_000);
        assert_eq!(first.state, JobState::Pending);
        assert_eq!(first.attempts, 1);
        assert_eq!(first.next_try_at, 601_000);
        let second = settle(first.attempts, CallbackOutcome::NoAnswer, POLICY, 601_000);
        assert_eq!((second.state, second.attempts), (JobState::Failed, 2));
    }

    #[test]
    fn an_agent_who_misses_the_job_costs_the_customer_no_attempt() {
        let s = settle(1, CallbackOutcome::AgentMissed, POLICY, 5_000);
        assert_eq!(
            s,
            Settled {
                state: JobState::Pending,
                attempts: 1,
                next_try_at: 5_000
            }
        );
    }

    #[test]
    fn a_listed_or_invalid_number_fails_the_job_at_once_without_using_an_attempt() {
        for outcome in [CallbackOutcome::DoNotCall, CallbackOutcome::InvalidNumber] {
            let s = settle(0, outcome, POLICY, 5_000);
            assert_eq!(
                s,
                Settled {
                    state: JobState::Failed,
                    attempts: 0,
                    next_try_at: 5_000
                },
                "{}",
                outcome.name()
            );
        }
    }

    #[test]
    fn state_names_read_back() {
        for s in [
            JobState::Pending,
            JobState::Placed,
            JobState::Done,
            JobState::Failed,
        ] {
            assert_eq!(JobState::parse(s.name()), Some(s));
        }
        assert_eq!(JobState::parse("lost"), None);
    }
}
