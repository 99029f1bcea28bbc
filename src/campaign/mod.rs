//! Outbound campaigns inside `hotline serve`: the manager that starts, pauses, resumes and stops
//! campaign runners on request (admin API, hence `hotline campaigns start ...`), keeps their
//! state in the store, and at start-up settles attempts a crash left open and resumes the
//! campaigns that were running.

mod attempt;
pub mod load;
mod machine;
pub mod report;
mod runner;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use runner::{RunEnd, RunnerCommand};

use crate::server::{Services, SipCommand};
use crate::store::unix_ms;

/// What can be asked of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Pause,
    Resume,
    Stop,
}

impl Action {
    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "start" => Some(Action::Start),
            "pause" => Some(Action::Pause),
            "resume" => Some(Action::Resume),
            "stop" => Some(Action::Stop),
            _ => None,
        }
    }
}

/// Why a request was refused: a sentence for the campaign manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The campaign cannot be loaded (file, flow, contacts, trunk).
    Invalid(String),
    /// Not possible in the campaign's present state.
    Conflict(String),
    NotFound(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Invalid(m) | Refused::Conflict(m) | Refused::NotFound(m) => f.write_str(m),
        }
    }
}

struct Request {
    name: String,
    action: Action,
    reply: oneshot::Sender<Result<String, Refused>>,
}

/// The handle the admin API holds on the manager.
#[derive(Clone)]
pub struct Control {
    tx: mpsc::UnboundedSender<Request>,
}

/// The manager's end of the control channel, given to [`run`].
pub struct Requests(mpsc::UnboundedReceiver<Request>);

/// A control handle and the requests it sends; requests wait until [`run`] starts.
pub fn control() -> (Control, Requests) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Control { tx }, Requests(rx))
}

impl Control {
    /// Asks the manager; the answer is a sentence saying what happened.
    pub async fn ask(&self, name: &str, action: Action) -> Result<String, Refused> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request {
                name: name.to_string(),
                action,
                reply,
            })
            .map_err(|_| Refused::Conflict("the server is stopping".into()))?;
        answer
            .await
            .map_err(|_| Refused::Conflict("the server is stopping".into()))?
    }
}

struct Running {
    commands: mpsc::UnboundedSender<RunnerCommand>,
    file: PathBuf,
    paused: bool,
}

/// Runs the manager until shutdown.
pub async fn run(
    services: Arc<Services>,
    sip: mpsc::UnboundedSender<SipCommand>,
    Requests(mut requests): Requests,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let store = services.store.clone();
    match store.settle_interrupted_attempts(unix_ms()).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            "campaigns: {n} attempt(s) left in flight by an earlier stop settled as server_restart"
        ),
        Err(e) => tracing::error!("campaigns: cannot settle interrupted attempts: {e}"),
    }
    let (ended_tx, mut ended) = mpsc::unbounded_channel::<(String, RunEnd)>();
    let mut running: HashMap<String, Running> = HashMap::new();
    let start = |name: &str,
                 file: PathBuf,
                 paused: bool,
                 running: &mut HashMap<String, Running>|
     -> Result<String, Refused> {
        let loaded = load::load_campaign(
            &file,
            &services.config.campaigns.trunks,
            Some(&services.encoder),
        )
        .map_err(|e| Refused::Invalid(e.to_string()))?;
        if loaded.campaign.name != name {
            return Err(Refused::Invalid(format!(
                "{} names the campaign `{}`, not `{name}`",
                file.display(),
                loaded.campaign.name
            )));
        }
        if let Some(agents) = &loaded.campaign.pacing.agents {
            let known = services
                .center
                .as_ref()
                .is_some_and(|c| c.queue(&agents.queue).is_some());
            if !known {
                return Err(Refused::Invalid(format!(
                    "{} paces by the agents of queue `{}`, which the queues file does not define",
                    file.display(),
                    agents.queue
                )));
            }
        }
        let contacts = match loaded.contacts.len() {
            1 => "1 contact to call".to_string(),
            n => format!("{n} contacts to call"),
        };
        let summary = match loaded.skipped {
            0 => contacts,
            1 => format!("{contacts}, 1 row of the list skipped"),
            n => format!("{contacts}, {n} rows of the list skipped"),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let ended_tx = ended_tx.clone();
        let task_name = name.to_string();
        let (services, sip, shutdown) = (Arc::clone(&services), sip.clone(), shutdown.clone());
        tokio::spawn(async move {
            let end = runner::run(services, sip, loaded, paused, rx, shutdown).await;
            let _ = ended_tx.send((task_name, end));
        });
        running.insert(
            name.to_string(),
            Running {
                commands: tx,
                file,
                paused,
            },
        );
        Ok(summary)
    };
    match store.campaign_runs().await {
        Ok(runs) => {
            for run in runs {
                if run.state != "running" && run.state != "paused" {
                    continue;
                }
                let paused = run.state == "paused";
                if let Err(e) = start(
                    &run.campaign,
                    PathBuf::from(&run.file),
                    paused,
                    &mut running,
                ) {
                    tracing::error!(
                        "campaign {} cannot resume after the restart: {e}",
                        run.campaign
                    );
                }
            }
        }
        Err(e) => tracing::error!("campaigns: cannot read the runs: {e}"),
    }
    loop {
        tokio::select! {
            Some(request) = requests.recv() => {
                let answer = handle(&request, &mut running, &services, &start).await;
                let _ = request.reply.send(answer);
            }
            Some((name, end)) = ended.recv() => {
                let Some(run) = running.remove(&name) else { continue };
                let state = match end {
                    RunEnd::Finished => "finished",
                    RunEnd::Stopped => "stopped",
                    RunEnd::Shutdown => continue,
                };
                if let Err(e) = store
                    .campaign_state(&name, &run.file.display().to_string(), state, unix_ms())
                    .await
                {
                    tracing::error!("campaign {name}: cannot record that it is {state}: {e}");
                }
            }
            else => return,
        }
    }
}

async fn handle(
    request: &Request,
    running: &mut HashMap<String, Running>,
    services: &Arc<Services>,
    start: &impl Fn(&str, PathBuf, bool, &mut HashMap<String, Running>) -> Result<String, Refused>,
) -> Result<String, Refused> {
    let name = request.name.as_str();
    let store = &services.store;
    let record = |state: &'static str, file: PathBuf| async move {
        store
            .campaign_state(name, &file.display().to_string(), state, unix_ms())
            .await
            .map_err(|e| Refused::Conflict(format!("cannot record the campaign's state: {e}")))
    };
    match (request.action, running.get_mut(name)) {
        (Action::Start, Some(run)) => Err(Refused::Conflict(format!(
            "campaign {name} is already {}",
            if run.paused {
                "started and paused: resume it"
            } else {
                "running"
            }
        ))),
        (Action::Start, None) => {
            let file = load::campaign_path(&services.config.campaigns.dir, name);
            let summary = start(name, file.clone(), false, running)?;
            record("running", file).await?;
            Ok(format!("campaign {name} started: {summary}"))
        }
        (_, None) => Err(Refused::NotFound(format!(
            "campaign {name} is not running: start it with `hotline campaigns start {name}`"
        ))),
        (Action::Pause, Some(run)) => {
            run.paused = true;
            let _ = run.commands.send(RunnerCommand::Pause);
            record("paused", run.file.clone()).await?;
            Ok(format!(
                "campaign {name} paused: no new calls; calls in progress go on"
            ))
        }
        (Action::Resume, Some(run)) => {
            run.paused = false;
            let _ = run.commands.send(RunnerCommand::Resume);
            record("running", run.file.clone()).await?;
            Ok(format!("campaign {name} resumed"))
        }
        (Action::Stop, Some(run)) => {
            let _ = run.commands.send(RunnerCommand::Stop);
            record("stopped", run.file.clone()).await?;
            Ok(format!(
                "campaign {name} stopped: no new calls; calls in progress go on to their end"
            ))
        }
    }
}

/// A campaign's run state (`running`, `paused`, `stopped`, `finished`, or `never started`) and
/// its status counts, from the store and the campaign's files: the dialer is rebuilt from the
/// attempts that ended, so retries waiting are told apart from contacts settled.
pub async fn control_status(
    store: &crate::store::Store,
    dir: &std::path::Path,
    name: &str,
) -> Result<(String, report::Status), crate::error::HotlineError> {
    let runs = store.campaign_runs().await?;
    let run = runs.into_iter().find(|r| r.campaign == name);
    let file = run
        .as_ref()
        .map(|r| PathBuf::from(&r.file))
        .unwrap_or_else(|| load::campaign_path(dir, name));
    let plan = load::load_plan(&file)?;
    let rows = store.campaign_attempts(&plan.campaign.name).await?;
    let numbers: Vec<hotline_dialer::E164> =
        plan.contacts.iter().map(|c| c.number.clone()).collect();
    let known: HashMap<String, hotline_dialer::E164> = numbers
        .iter()
        .map(|n| (n.as_str().to_string(), n.clone()))
        .collect();
    let ended: Vec<crate::store::AttemptRow> = rows
        .iter()
        .filter(|r| r.outcome.is_some())
        .cloned()
        .collect();
    let records = report::attempt_records(&ended, |n| known.get(n).cloned());
    let mut dnc = plan.dnc;
    let global = store.dnc_list().await?;
    let own = store.campaign_dnc_list(&plan.campaign.name).await?;
    for row in global.iter().chain(&own) {
        if let Some(number) = known.get(&row.number) {
            dnc.add(number.clone());
        }
    }
    let dialer = hotline_dialer::Dialer::rebuild(
        &plan.campaign,
        plan.contacts,
        dnc,
        &records,
        chrono::Utc::now(),
    )?;
    let state = run
        .map(|r| r.state)
        .unwrap_or_else(|| "never started".into());
    Ok((state, report::status(&dialer, &numbers, &rows)))
}
