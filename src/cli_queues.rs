//! `hotline queues callbacks [QUEUE]`: the callback jobs waiting callers left, read from the
//! store, with where each stands (pending, being placed, done, given up) and its last outcome.

use std::path::Path;

use clap::Subcommand;

use crate::cli_calls::time;
use crate::store::{CallbackJob, Store};

#[derive(Subcommand)]
pub enum QueuesAction {
    /// Callback jobs still to place or being placed, oldest first (--all: done and failed too).
    Callbacks {
        /// Only this queue's jobs.
        queue: Option<String>,
        #[arg(long)]
        all: bool,
    },
}

pub async fn run(action: QueuesAction, database: &Path) -> anyhow::Result<()> {
    if !database.exists() {
        anyhow::bail!(
            "no records yet: {} does not exist (start `hotline serve` first)",
            database.display()
        );
    }
    let store = Store::open(database).await?;
    match action {
        QueuesAction::Callbacks { queue, all } => {
            let jobs = store.callback_jobs(queue.as_deref(), all).await?;
            for line in callback_lines(&jobs) {
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// The table: a header, one line per job, or a sentence when there is none.
pub fn callback_lines(jobs: &[CallbackJob]) -> Vec<String> {
    if jobs.is_empty() {
        return vec!["No callback jobs.".into()];
    }
    let mut lines = vec![format!(
        "{:>5}  {:<12}  {:<16}  {:<19}  {:<7}  {:>8}  {:<12}  {:<10}  NEXT TRY (UTC)",
        "ID", "QUEUE", "NUMBER", "REQUESTED (UTC)", "STATE", "ATTEMPTS", "LAST", "AGENT"
    )];
    for job in jobs {
        let next = match job.status.as_str() {
            "pending" if job.next_try_at > job.requested_at => time(job.next_try_at),
            "pending" => "when an agent is free".into(),
            _ => "-".into(),
        };
        lines.push(format!(
            "{:>5}  {:<12}  {:<16}  {:<19}  {:<7}  {:>8}  {:<12}  {:<10}  {next}",
            job.id,
            job.queue,
            job.number,
            time(job.requested_at),
            job.status,
            job.attempts,
            job.last_outcome.as_deref().unwrap_or("-"),
            job.agent.as_deref().unwrap_or("-"),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: &str, next_try_at: i64, outcome: Option<&str>) -> CallbackJob {
        CallbackJob {
            id: 7,
            call_id: "c1".into(),
            queue: "support".into(),
            number: "+4930123".into(),
            requested_at: 1_765_000_000_000,
            status: status.into(),
            attempts: u32::from(outcome.is_some()),
            next_try_at,
            lease_until: None,
            agent: outcome.map(|_| "agent1".into()),
            last_outcome: outcome.map(str::to_string),
            updated_at: None,
            placed_call_id: None,
        }
    }

    #[test]
    fn each_job_shows_its_state_and_when_it_is_tried_next() {
        let lines = callback_lines(&[
            job("pending", 0, None),
            job("pending", 1_765_000_600_000, Some("busy")),
        ]);
        assert!(lines[0].starts_with("   ID  QUEUE"), "{lines:?}");
        assert!(lines[1].contains("pending") && lines[1].ends_with("when an agent is free"));
        assert!(lines[2].contains("busy") && lines[2].contains("agent1"));
        assert!(lines[2].ends_with(&time(1_765_000_600_000)), "{lines:?}");
        assert_eq!(callback_lines(&[]), ["No callback jobs."]);
    }
}
