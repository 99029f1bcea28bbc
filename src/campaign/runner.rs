//! The loop that runs one campaign inside `hotline serve`: it feeds the pure dialer the time,
//! writes each attempt to the store before its INVITE leaves, places it, and writes its outcome
//! when it ends. Pausing stops new calls; stopping also waits for the calls in flight to end.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hotline_dialer::{Dialer, OptOutList, E164};
use tokio::sync::mpsc;

use super::attempt::{self, AttemptNews, AttemptRequest};
use super::load::Loaded;
use super::report::attempt_records;
use crate::server::{Services, SipCommand};
use crate::store::{unix_ms, AttemptRow, DncRow};

/// What the manager tells a running campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunnerCommand {
    Pause,
    Resume,
    Stop,
}

/// How a campaign's loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    Finished,
    Stopped,
    /// The server is stopping; the campaign resumes at the next start.
    Shutdown,
}

/// Longest sleep between two looks at the dialer (it tells when it has something to do; this
/// only bounds a clock jump).
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// How often a campaign paced by a queue's agents looks at how many are free.
const AGENTS_LOOK: Duration = Duration::from_secs(1);

/// Runs the campaign until it is finished or stopped. `paused`: start paused (after a restart).
pub async fn run(
    services: Arc<Services>,
    sip: mpsc::UnboundedSender<SipCommand>,
    loaded: Loaded,
    mut paused: bool,
    mut commands: mpsc::UnboundedReceiver<RunnerCommand>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> RunEnd {
    let name = loaded.campaign.name.clone();
    let store = services.store.clone();
    let flow = &loaded.flow.flow;
    if let Err(e) = store
        .flow_loaded(
            &flow.version_hash(),
            flow.name(),
            &loaded.flow_file.display().to_string(),
            &loaded.flow_source,
            unix_ms(),
        )
        .await
    {
        tracing::error!("campaign {name}: cannot store its flow version: {e}");
    }
    let rows = match store.campaign_attempts(&name).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!("campaign {name}: cannot read its attempts: {e}");
            return RunEnd::Shutdown;
        }
    };
    let known: HashMap<String, E164> = loaded
        .contacts
        .iter()
        .map(|c| (c.number.as_str().to_string(), c.number.clone()))
        .collect();
    let records = attempt_records(&rows, |n| known.get(n).cloned());
    let variables: HashMap<E164, Vec<(String, String)>> = loaded
        .contacts
        .iter()
        .map(|c| (c.number.clone(), flow_variables(&c.variables)))
        .collect();
    let mut dialer = match Dialer::rebuild(
        &loaded.campaign,
        loaded.contacts.clone(),
        loaded.dnc.clone(),
        &records,
        Utc::now(),
    ) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("campaign {name}: its stored attempts do not fit the campaign: {e}");
            return RunEnd::Shutdown;
        }
    };
    let (news_tx, mut news) = mpsc::unbounded_channel::<(String, E164, AttemptNews)>();
    let mut stopping = false;
    tracing::info!(
        "campaign {name} {}: {} contact(s), {} attempt(s) so far",
        if paused { "paused" } else { "running" },
        known.len(),
        rows.len()
    );
    loop {
        if !paused && !stopping && !*shutdown.borrow() {
            if let Some(queue) = dialer.agents_queue() {
                let free = services
                    .center
                    .as_ref()
                    .and_then(|c| c.free_agents(queue))
                    .unwrap_or(0);
                dialer.set_free_agents(free);
            }
            for dial in dialer.poll_dial(Utc::now()) {
                // The global list and the campaign's own are read right before the INVITE: a
                // number added while the campaign runs (CLI, API, an opt-out) is never dialled.
                // When the lists cannot be read, the call is not placed either.
                let listed = store.dnc_blocks(&name, dial.number.as_str()).await.unwrap_or_else(|e| {
                    tracing::error!("campaign {name}: cannot read the do-not-call list, not calling {}: {e}", dial.number);
                    true
                });
                if listed {
                    tracing::info!(
                        "campaign {name}: {} is on the do-not-call list: skipped",
                        dial.number
                    );
                    if let Err(e) = dialer.skip_do_not_call(&dial.number) {
                        tracing::error!("campaign {name}: {e}");
                    }
                    continue;
                }
                let id = uuid::Uuid::now_v7().to_string();
                let row = AttemptRow {
                    id: id.clone(),
                    campaign: name.clone(),
                    number: dial.number.to_string(),
                    attempt: i64::from(dial.attempt),
                    started_at: unix_ms(),
                    ended_at: None,
                    outcome: None,
                    sip_status: None,
                    sip_call_id: None,
                    call_id: None,
                    amd: None,
                    amd_reason: None,
                    amd_ms: None,
                };
                // Written before the INVITE leaves: a crash after this line is settled at the
                // next start as server_restart, never lost.
                if let Err(e) = store.attempt_started(&row).await {
                    tracing::error!(
                        "campaign {name}: cannot record an attempt, not calling {}: {e}",
                        dial.number
                    );
                    let _ = dialer.attempt_ended(
                        &dial.number,
                        hotline_dialer::Outcome::NetworkFailure,
                        Utc::now(),
                    );
                    continue;
                }
                let request = AttemptRequest {
                    number: dial.number.to_string(),
                    target_uri: loaded.trunk.request_uri(dial.number.as_str()),
                    destination: loaded.destination,
                    caller_id: loaded.caller_id.clone(),
                    credentials: loaded.credentials.clone(),
                    ring_timeout: loaded.trunk.ring_timeout,
                    flow: Arc::clone(&loaded.flow),
                    variables: variables.get(&dial.number).cloned().unwrap_or_default(),
                    machine_detection: loaded.campaign.machine_detection.clone(),
                    on_machine: loaded.campaign.retries.on_machine,
                };
                let tx = news_tx.clone();
                let number = dial.number.clone();
                tokio::spawn(attempt::place(
                    Arc::clone(&services),
                    sip.clone(),
                    request,
                    move |n| {
                        let _ = tx.send((id.clone(), number.clone(), n));
                    },
                ));
            }
        }
        if dialer.in_flight() == 0 {
            if stopping {
                return RunEnd::Stopped;
            }
            if *shutdown.borrow() {
                return RunEnd::Shutdown;
            }
            if dialer.is_finished() {
                tracing::info!("campaign {name} is finished: every contact is settled");
                return RunEnd::Finished;
            }
        }
        let longest = if dialer.agents_queue().is_some() {
            AGENTS_LOOK
        } else {
            MAX_SLEEP
        };
        let wake = match (paused || stopping, dialer.poll_timeout()) {
            (false, Some(at)) => (at - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(longest),
            (false, None) => longest,
            _ => MAX_SLEEP,
        };
        tokio::select! {
            Some((id, number, n)) = news.recv() => match n {
                AttemptNews::Sent(call) => {
                    if let Err(e) = store.attempt_sip_call(&id, &call.0).await {
                        tracing::error!("campaign {name}: cannot record the Call-ID of {id}: {e}");
                    }
                }
                AttemptNews::Ended(end) => {
                    tracing::info!(
                        "campaign {name}: {number} {} (SIP {:?})",
                        end.outcome,
                        end.sip_status
                    );
                    if end.outcome == hotline_dialer::Outcome::OptedOut {
                        // On the list before the attempt is settled: the number is not called
                        // again (by any campaign, or by this one with `opt_out_list: campaign`),
                        // even if the server stops right after.
                        let row = DncRow {
                            number: number.to_string(),
                            added_at: unix_ms(),
                            reason: "opted out during a campaign call".into(),
                            source: name.clone(),
                        };
                        let written = match loaded.campaign.opt_out_list {
                            OptOutList::Global => store.dnc_add(&row).await,
                            OptOutList::Campaign => store.campaign_dnc_add(&name, &row).await,
                        };
                        if let Err(e) = written {
                            tracing::error!("campaign {name}: cannot put {number} on the do-not-call list: {e}");
                        }
                    }
                    if let Some(check) = end.amd {
                        let ms = i64::try_from(check.decision.at.as_millis()).unwrap_or(i64::MAX);
                        if let Err(e) = store
                            .attempt_machine_detection(&id, check.result_name(), check.decision.reason.name(), ms)
                            .await
                        {
                            tracing::error!("campaign {name}: cannot record the machine verdict of {id}: {e}");
                        }
                    }
                    if let Err(e) = store
                        .attempt_ended(&id, unix_ms(), end.outcome.name(), end.sip_status, end.call_id.as_deref())
                        .await
                    {
                        tracing::error!("campaign {name}: cannot record the outcome of {id}: {e}");
                    }
                    if let Err(e) = dialer.attempt_ended(&number, end.outcome, Utc::now()) {
                        tracing::error!("campaign {name}: {e}");
                    }
                }
            },
            command = commands.recv() => match command {
                Some(RunnerCommand::Pause) => paused = true,
                Some(RunnerCommand::Resume) => paused = false,
                Some(RunnerCommand::Stop) | None => stopping = true,
            },
            _ = tokio::time::sleep(wake) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// The flow's variables for a contact's columns: `contact_COLUMN` (what flows can declare today)
/// and `contact.COLUMN`.
pub fn flow_variables(columns: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (column, value) in columns {
        let key = column.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        out.push((format!("contact_{key}"), value.clone()));
        out.push((format!("contact.{key}"), value.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_become_contact_variables() {
        let vars = flow_variables(&[
            ("name".into(), "Ada".into()),
            ("Delivery Date".into(), "9 December".into()),
        ]);
        assert!(vars.contains(&("contact_name".into(), "Ada".into())));
        assert!(vars.contains(&("contact.name".into(), "Ada".into())));
        assert!(vars.contains(&("contact_delivery_date".into(), "9 December".into())));
    }
}
