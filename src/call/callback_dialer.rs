//! The loop inside `hotline serve` that places the callback jobs waiting callers left: for each
//! queue with a `callback_trunk`, when one of its agents is free, the oldest due job (the pure
//! choice of `hotline_acd::next_due`) is leased in the store and placed agent first
//! (`callback.rs`); its outcome is settled by the queue's policy (`hotline_acd::settle`).
//! One job at a time per queue. Before anything is rung, the number is screened
//! (`hotline_acd::screen`): an undialable number or one on the global do-not-call list ends the
//! job at once. On a clean stop, jobs whose customer was not dialled yet are released for the
//! next start; a job whose placer died is taken again when its lease expires.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use hotline_acd::{settle, CallbackOutcome, PlacingStage, QueueSpec};
use tokio::sync::mpsc;

use super::callback::{self, CallbackRoute};
use crate::error::HotlineError;
use crate::server::{Services, SipCommand};
use crate::store::{unix_ms, CallbackJob};

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
    let (done_tx, mut done) = mpsc::unbounded_channel::<(String, i64)>();
    let mut busy: HashSet<String> = HashSet::new();
    // The jobs this server leased and is placing, for the stop to hand back the undialled ones.
    let mut placing: HashMap<i64, Arc<PlacingStage>> = HashMap::new();
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
                    let e = e.to_string();
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
            match screened(&services, &job).await {
                Ok(None) => {}
                Ok(Some(refused)) => {
                    tracing::info!(
                        "callback {} of queue {}: {} is not called ({})",
                        job.id,
                        queue.name,
                        job.number,
                        refused.name()
                    );
                    let policy = queue.callback_policy;
                    record(&services, job.id, job.attempts, refused, None, policy).await;
                    continue;
                }
                Err(e) => {
                    // As campaigns do: when the list cannot be read, the number is not called.
                    tracing::error!("callback {}: cannot read the do-not-call list: {e}", job.id);
                    if let Err(e) = services.store.release_callback(job.id, unix_ms()).await {
                        tracing::error!("callback {}: cannot release it: {e}", job.id);
                    }
                    continue;
                }
            }
            busy.insert(queue.name.clone());
            let stage = Arc::new(PlacingStage::new());
            placing.insert(job.id, Arc::clone(&stage));
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
                let placed =
                    callback::place(Arc::clone(&services), sip, job, route, &stage, renew).await;
                if let Some((outcome, call_id)) = placed {
                    record(&services, id, attempts, outcome, call_id.as_deref(), policy).await;
                }
                let _ = done_tx.send((name, id));
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            Some((queue, id)) = done.recv() => {
                busy.remove(&queue);
                placing.remove(&id);
            }
            _ = shutdown.changed() => {
                release_undialled(&services, &placing).await;
                return;
            }
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

/// Why the job's number must not be dialled (`None`: dial it). The global do-not-call list holds
/// E.164 numbers: a number that normalises is looked up in that form, any other as it is.
async fn screened(
    services: &Services,
    job: &CallbackJob,
) -> Result<Option<CallbackOutcome>, HotlineError> {
    let listed = hotline_acd::dialable(&job.number) && {
        let number = hotline_dialer::normalise(&job.number, None)
            .map(|n| n.to_string())
            .unwrap_or_else(|_| job.number.clone());
        services.store.dnc_listed(&number).await?
    };
    Ok(hotline_acd::screen(&job.number, listed))
}

/// On a clean stop: the jobs whose customer was not dialled go back to pending, due at once.
async fn release_undialled(services: &Services, placing: &HashMap<i64, Arc<PlacingStage>>) {
    for (id, stage) in placing {
        if !stage.release() {
            continue;
        }
        match services.store.release_callback(*id, unix_ms()).await {
            Ok(true) => tracing::info!(
                "callback {id}: not dialled before the stop; released for the next start"
            ),
            Ok(false) => {}
            Err(e) => tracing::error!("callback {id}: cannot release it at the stop: {e}"),
        }
    }
}

/// The queue's trunk, read again for each job (an edit of the trunks file applies to the next).
fn route(services: &Services, queue: &QueueSpec) -> Result<CallbackRoute, HotlineError> {
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
