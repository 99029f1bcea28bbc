//! The loop inside `hotline serve` that places the callback jobs waiting callers left: for each
//! queue with a `callback_trunk`, when one of its agents is free, the oldest due job (the pure
//! choice of `hotline_acd::next_due`) is leased in the store and placed agent first
//! (`callback.rs`); its outcome is settled by the queue's policy (`hotline_acd::settle`).
//! One job at a time per queue. A job whose placer died is taken again when its lease expires.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use hotline_acd::{settle, CallbackOutcome, QueueSpec};
use tokio::sync::mpsc;

use super::callback::{self, CallbackRoute};
use crate::server::{Services, SipCommand};
use crate::store::unix_ms;

/// How long a lease holds without renewal (renewed every 20 s while the job is placed).
pub const LEASE: Duration = Duration::from_secs(60);

/// How often free agents and due jobs are looked at.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Runs until shutdown.
pub async fn run_callbacks(
    services: Arc<Services>,
    sip: mpsc::UnboundedSender<SipCommand>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let Some(center) = services.center.clone() else {
        return;
    };
    let queues: Vec<QueueSpec> = center
        .queue_specs()
        .into_iter()
        .filter(|q| q.callback_trunk.is_some())
        .collect();
    if queues.is_empty() {
        return;
    }
    let (done_tx, mut done) = mpsc::unbounded_channel::<String>();
    let mut busy: HashSet<String> = HashSet::new();
    // The last trunk problem told per queue, so a broken trunk is logged once, not every second.
    let mut told: HashMap<String, String> = HashMap::new();
    loop {
        for queue in &queues {
            if busy.contains(&queue.name) || center.free_agents(&queue.name).unwrap_or(0) == 0 {
                continue;
            }
            let jobs = match services.store.callback_jobs(Some(&queue.name), false).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::error!("callbacks: cannot read the jobs of {}: {e}", queue.name);
                    continue;
                }
            };
            let views: Vec<_> = jobs.iter().filter_map(|j| j.view()).collect();
            let now = unix_ms();
            let Some(due) = hotline_acd::next_due(&views, &queue.name, now) else {
                continue;
            };
            let Some(job) = jobs.iter().find(|j| j.id == due.id).cloned() else {
                continue;
            };
            let route = match route(&services, queue) {
                Ok(route) => {
                    told.remove(&queue.name);
                    route
                }
                Err(e) => {
                    if told.get(&queue.name) != Some(&e) {
                        tracing::error!("callbacks of queue {} cannot be placed: {e}", queue.name);
                        told.insert(queue.name.clone(), e);
                    }
                    continue;
                }
            };
            let until = now + LEASE.as_millis() as i64;
            match services.store.lease_callback(job.id, now, until).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::error!("callbacks: cannot lease job {}: {e}", job.id);
                    continue;
                }
            }
            busy.insert(queue.name.clone());
            tracing::info!(
                "callback {} of queue {}: an agent is free, placing it (attempt {})",
                job.id,
                queue.name,
                job.attempts + 1
            );
            let (services, sip, done_tx) = (Arc::clone(&services), sip.clone(), done_tx.clone());
            let (name, policy) = (queue.name.clone(), queue.callback_policy);
            tokio::spawn(async move {
                let store = services.store.clone();
                let id = job.id;
                let attempts = job.attempts;
                let renew = move || {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let until = unix_ms() + LEASE.as_millis() as i64;
                        if let Err(e) = store.renew_callback_lease(id, until).await {
                            tracing::error!("callback {id}: cannot renew its lease: {e}");
                        }
                    });
                };
                let placed = callback::place(Arc::clone(&services), sip, job, route, renew).await;
                if let Some((outcome, call_id)) = placed {
                    record(&services, id, attempts, outcome, call_id.as_deref(), policy).await;
                }
                let _ = done_tx.send(name);
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            Some(queue) = done.recv() => { busy.remove(&queue); }
            _ = shutdown.changed() => return,
        }
    }
}

async fn record(
    services: &Services,
    id: i64,
    attempts: u32,
    outcome: CallbackOutcome,
    call_id: Option<&str>,
    policy: hotline_acd::CallbackPolicy,
) {
    let now = unix_ms();
    let settled = settle(attempts, outcome, policy, now);
    tracing::info!(
        "callback {id}: {} after {} attempt(s): {}",
        outcome.name(),
        settled.attempts,
        settled.state.name()
    );
    if let Err(e) = services
        .store
        .settle_callback(id, settled, outcome.name(), call_id, now)
        .await
    {
        tracing::error!("callback {id}: cannot record its outcome: {e}");
    }
}

/// The queue's trunk, read again for each job (an edit of the trunks file applies to the next).
fn route(services: &Services, queue: &QueueSpec) -> Result<CallbackRoute, String> {
    let name = queue.callback_trunk.as_deref().unwrap_or_default();
    let (trunk, destination, credentials) =
        crate::campaign::load::trunk_route(name, &services.config.campaigns.trunks)?;
    Ok(CallbackRoute {
        trunk: destination,
        credentials,
        caller_id: trunk
            .caller_id
            .map(|c| c.chars().filter(|c| !c.is_whitespace()).collect())
            .unwrap_or_else(|| "hotline".into()),
        ring_timeout: trunk.ring_timeout,
    })
}
