//! The live contact center: the agent and queue distributor (pure, in `hotline-acd`) behind a
//! lock, where each registered phone is, and the task that turns the distributor's decisions
//! into messages to the waiting callers' call tasks. Every change is also written to the store,
//! so metrics and history survive a restart.

mod agents;

pub use agents::{AgentCommand, AgentJson, CommandRefused};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hotline_acd::{AgentSpec, Decision, Distributor, Ended, Enqueued, Overflow, QueueSpec};
use tokio::sync::{mpsc, Notify};

use crate::store::{unix_ms, Store};

/// What the center tells a waiting caller's call task.
#[derive(Debug, Clone)]
pub enum QueueEvent {
    /// Ring this agent; give up after `ring_timeout` and report `no_answer`.
    Offer {
        agent: String,
        agent_name: String,
        target: AgentTarget,
        ring_timeout: Duration,
    },
    /// Tell the caller where they are.
    Announce {
        position: usize,
        estimated_wait: Option<Duration>,
    },
    /// The queue gives up on this caller: do what it says instead.
    Overflow(Overflow),
}

/// Where an agent is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentTarget {
    /// Request-URI of the INVITE: the phone's registered Contact, or the external agent's URI.
    pub uri: String,
    /// Where the INVITE goes: the address the REGISTER came from (NAT-safe), or the URI's host.
    pub destination: SocketAddr,
}

#[derive(Debug, Clone)]
struct Phone {
    contact: String,
    source: SocketAddr,
}

struct Inner {
    dist: Distributor,
    specs: HashMap<String, AgentSpec>,
    phones: HashMap<String, Phone>,
    callers: HashMap<String, Waiting>,
}

/// A caller the center may still message.
struct Waiting {
    events: mpsc::UnboundedSender<QueueEvent>,
    queue: String,
}

/// The shared contact-center state.
pub struct Center {
    inner: Mutex<Inner>,
    wake: Notify,
    store: Store,
    realm: String,
    /// Where INVITEs to external agents with a host name go.
    trunk: Option<SocketAddr>,
    /// The file-wide sentences of `queues.yaml`, for a caller sent to a queue it does not define.
    messages: hotline_acd::QueueMessages,
}

impl Center {
    /// The center from the agents and queues files; a missing file means none of that kind.
    pub fn load(
        config: &crate::config::AgentsConfig,
        store: Store,
    ) -> Result<Center, crate::error::HotlineError> {
        let (agents_file, queues_file) = (&config.file, &config.queues);
        let read = |path: &std::path::Path| -> Result<Option<String>, crate::error::HotlineError> {
            match std::fs::read_to_string(path) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tracing::warn!("{} not found: no agents or queues from it", path.display());
                    Ok(None)
                }
                Err(source) => Err(crate::error::HotlineError::Io {
                    path: path.to_path_buf(),
                    source,
                }),
            }
        };
        let agents = match read(agents_file)? {
            Some(text) => hotline_acd::parse_agents(&text, agents_file)?,
            None => hotline_acd::AgentsFile {
                realm: hotline_acd::DEFAULT_REALM.to_string(),
                agents: Vec::new(),
            },
        };
        let queues = match read(queues_file)? {
            Some(text) => hotline_acd::parse_queues_file(&text, queues_file)?,
            None => hotline_acd::QueuesFile {
                queues: Vec::new(),
                messages: hotline_acd::QueueMessages::default(),
            },
        };
        let hotline_acd::QueuesFile { queues, messages } = queues;
        tracing::info!(
            "{} agent(s), {} queue(s)",
            agents.agents.len(),
            queues.len()
        );
        let mut center = Center::new(agents.realm, agents.agents, queues, store);
        center.trunk = config.trunk;
        center.messages = messages;
        Ok(center)
    }

    pub fn new(
        realm: String,
        agents: Vec<AgentSpec>,
        queues: Vec<QueueSpec>,
        store: Store,
    ) -> Center {
        let specs = agents.iter().map(|a| (a.id.clone(), a.clone())).collect();
        Center {
            inner: Mutex::new(Inner {
                dist: Distributor::new(agents, queues, Instant::now()),
                specs,
                phones: HashMap::new(),
                callers: HashMap::new(),
            }),
            wake: Notify::new(),
            store,
            realm,
            trunk: None,
            messages: hotline_acd::QueueMessages::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The digest realm and the SIP accounts (user → password or HA1 hashes) of phone agents.
    pub fn accounts(
        &self,
    ) -> (
        String,
        std::collections::BTreeMap<String, hotline_sip::AccountSecret>,
    ) {
        let inner = self.lock();
        let accounts = inner
            .specs
            .values()
            .filter_map(|a| {
                let secret = match (&a.password, &a.ha1) {
                    (Some(p), _) => hotline_sip::AccountSecret::Password(p.clone()),
                    (None, Some(h)) => hotline_sip::AccountSecret::Ha1 {
                        md5: h.md5.clone(),
                        sha256: h.sha256.clone(),
                    },
                    (None, None) => return None,
                };
                Some((a.id.clone(), secret))
            })
            .collect();
        (self.realm.clone(), accounts)
    }

    /// Each queue's service-level target, for the store's figures.
    pub fn service_levels(&self) -> std::collections::HashMap<String, Duration> {
        self.lock()
            .dist
            .queues()
            .iter()
            .map(|q| (q.name.clone(), q.service_level))
            .collect()
    }

    /// The queue's settings, if it exists.
    pub fn queue(&self, name: &str) -> Option<QueueSpec> {
        self.lock().dist.queue(name).cloned()
    }

    /// Every queue's settings, in file order.
    pub fn queue_specs(&self) -> Vec<QueueSpec> {
        self.lock().dist.queues().to_vec()
    }

    /// The file-wide sentences of `queues.yaml` (today's wording where it rewords none).
    pub fn messages(&self) -> &hotline_acd::QueueMessages {
        &self.messages
    }

    /// Every queue sentence said the same way on every call, for the prompt cache.
    pub fn fixed_sentences(&self) -> Vec<String> {
        let inner = self.lock();
        let mut texts = self.messages.fixed_texts('1');
        for queue in inner.dist.queues() {
            texts.extend(queue.messages.fixed_texts(queue.callback_digit));
        }
        let mut seen = std::collections::HashSet::new();
        texts.retain(|t| seen.insert(t.clone()));
        texts
    }

    /// Puts a caller in a queue; `events` receives offers, announcements and overflow.
    pub async fn enqueue(
        &self,
        call: &str,
        queue: &str,
        priority: bool,
        events: mpsc::UnboundedSender<QueueEvent>,
    ) -> Result<Enqueued, hotline_acd::AcdError> {
        let outcome = {
            let mut inner = self.lock();
            let outcome = inner.dist.enqueue(call, queue, priority, Instant::now())?;
            if matches!(outcome, Enqueued::Waiting { .. }) {
                inner.callers.insert(
                    call.to_string(),
                    Waiting {
                        events,
                        queue: queue.to_string(),
                    },
                );
            }
            outcome
        };
        let now = unix_ms();
        self.log(self.store.queue_entered(call, queue, priority, now).await);
        if let Enqueued::Overflow(overflow) = &outcome {
            self.log(
                self.store
                    .queue_finished(call, &overflow_outcome(overflow), now)
                    .await,
            );
        }
        // Only now may the clock offer this caller: the offer's row needs the queue row.
        self.wake.notify_one();
        Ok(outcome)
    }

    /// The agent answered the offered call.
    pub async fn answered(&self, call: &str, agent: &str) {
        if let Err(e) = self.lock().dist.answered(call, agent, Instant::now()) {
            tracing::warn!("contact center: {e}");
        }
        let now = unix_ms();
        self.log(self.store.offer_outcome(call, agent, "answered", now).await);
        self.log(self.store.queue_answered(call, agent, now).await);
        self.log(self.store.agent_event(agent, "on_call", None, now).await);
        self.wake.notify_one();
    }

    /// The agent did not answer in time (or refused): skip them for this caller.
    pub async fn no_answer(&self, call: &str, agent: &str) {
        let state = {
            let mut inner = self.lock();
            if let Err(e) = inner.dist.no_answer(call, agent, Instant::now()) {
                tracing::debug!("contact center: {e}");
            }
            inner.dist.agent(agent).map(|a| a.state)
        };
        let now = unix_ms();
        self.log(
            self.store
                .offer_outcome(call, agent, "no-answer", now)
                .await,
        );
        if let Some(hotline_acd::AgentState::Paused { reason }) = state {
            tracing::warn!("agent {agent} paused after missing calls: {reason}");
            self.log(
                self.store
                    .agent_event(agent, "paused", Some(&reason), now)
                    .await,
            );
        }
        self.wake.notify_one();
    }

    /// The caller's call ended (hung up while waiting, ringing or talking to an agent).
    pub async fn hung_up(&self, call: &str) {
        let ended = {
            let mut inner = self.lock();
            inner.callers.remove(call);
            inner.dist.hung_up(call, Instant::now())
        };
        let now = unix_ms();
        if let Some(ended) = ended {
            match ended {
                Ended::Abandoned { ringing_agent, .. } => {
                    self.log(self.store.queue_finished(call, "abandoned", now).await);
                    if let Some(agent) = ringing_agent {
                        self.log(
                            self.store
                                .offer_outcome(call, &agent, "caller-gone", now)
                                .await,
                        );
                    }
                }
                Ended::Handled { agent, .. } => {
                    self.log(self.store.queue_finished(call, "handled", now).await);
                    self.log(self.store.agent_event(&agent, "wrap_up", None, now).await);
                }
                Ended::Left { .. } => {}
            }
        }
        self.wake.notify_one();
    }

    /// The caller left the queue without hanging up on it (callback, overflow taken, REFER).
    pub async fn left(&self, call: &str, outcome: &str) {
        {
            let mut inner = self.lock();
            inner.callers.remove(call);
            inner.dist.left(call, Instant::now());
        }
        self.log(self.store.queue_finished(call, outcome, unix_ms()).await);
        self.wake.notify_one();
    }

    /// A phone agent's REGISTER succeeded: remember where the phone is; a logged-out agent is
    /// logged in by it.
    pub async fn registered(&self, user: &str, contact: &str, source: SocketAddr) {
        let logged_in = {
            let mut inner = self.lock();
            inner.phones.insert(
                user.to_string(),
                Phone {
                    contact: contact.to_string(),
                    source,
                },
            );
            let logged_out = inner
                .dist
                .agent(user)
                .is_some_and(|a| matches!(a.state, hotline_acd::AgentState::LoggedOut));
            logged_out && inner.dist.login(user, Instant::now()).is_ok()
        };
        if logged_in {
            tracing::info!("agent {user} registered from {source} and is available");
            self.log(
                self.store
                    .agent_event(user, "available", Some("registered"), unix_ms())
                    .await,
            );
        }
        self.wake.notify_one();
    }

    /// A phone agent's registration expired or was removed: they are logged out.
    pub async fn registration_lost(&self, user: &str, why: &str) {
        {
            let mut inner = self.lock();
            inner.phones.remove(user);
            let _ = inner.dist.registration_lost(user, Instant::now());
        }
        tracing::info!("agent {user} logged out: registration {why}");
        self.log(
            self.store
                .agent_event(
                    user,
                    "logged_out",
                    Some(&format!("registration {why}")),
                    unix_ms(),
                )
                .await,
        );
        self.wake.notify_one();
    }

    /// Runs the distributor's clock: offers, announcements, overflow and wrap-up ends.
    pub async fn run(self: std::sync::Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            let (decisions, next) = {
                let mut inner = self.lock();
                let decisions = inner.dist.poll(Instant::now());
                (decisions, inner.dist.next_timeout())
            };
            for decision in decisions {
                self.dispatch(decision).await;
            }
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => {}
                _ = self.wake.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    async fn dispatch(&self, decision: Decision) {
        let now = unix_ms();
        match decision {
            Decision::Offer { call, agent, .. } => {
                let (sender, target, name, ring_timeout) = {
                    let inner = self.lock();
                    let waiting = inner.callers.get(&call);
                    let sender = waiting.map(|w| w.events.clone());
                    let queue = waiting.and_then(|w| inner.dist.queue(&w.queue));
                    let target = self::agents::target_of(&inner, &agent, self.trunk);
                    let name = inner
                        .specs
                        .get(&agent)
                        .map(|a| a.name.clone())
                        .unwrap_or_else(|| agent.clone());
                    let ring_timeout = queue
                        .map(|q| q.ring_timeout)
                        .unwrap_or(Duration::from_secs(15));
                    (sender, target, name, ring_timeout)
                };
                self.log(self.store.queue_offered(&call, &agent, now).await);
                let delivered = match (sender, target) {
                    (Some(sender), Some(target)) => sender
                        .send(QueueEvent::Offer {
                            agent: agent.clone(),
                            agent_name: name,
                            target,
                            ring_timeout,
                        })
                        .is_ok(),
                    (Some(_), None) => {
                        tracing::warn!("agent {agent} has no reachable phone; skipped");
                        false
                    }
                    (None, _) => false,
                };
                if !delivered {
                    Box::pin(self.no_answer(&call, &agent)).await;
                }
            }
            Decision::Announce {
                call,
                position,
                estimated_wait,
            } => {
                if let Some(waiting) = self.lock().callers.get(&call) {
                    let _ = waiting.events.send(QueueEvent::Announce {
                        position,
                        estimated_wait,
                    });
                }
            }
            Decision::Overflow { call, overflow, .. } => {
                let sender = self.lock().callers.remove(&call);
                self.log(
                    self.store
                        .queue_finished(&call, &overflow_outcome(&overflow), now)
                        .await,
                );
                if let Some(waiting) = sender {
                    let _ = waiting.events.send(QueueEvent::Overflow(overflow));
                }
            }
            Decision::AgentAvailable { agent } => {
                self.log(
                    self.store
                        .agent_event(&agent, "available", Some("wrap-up over"), now)
                        .await,
                );
            }
        }
    }

    fn log<T>(&self, result: Result<T, crate::error::HotlineError>) {
        if let Err(e) = result {
            tracing::error!("contact center: cannot store: {e}");
        }
    }
}

/// How an overflow is written in `queue_calls.outcome`.
pub fn overflow_outcome(overflow: &Overflow) -> String {
    match overflow {
        Overflow::Voicemail => "overflow:voicemail".into(),
        Overflow::Callback => "overflow:callback".into(),
        Overflow::Hangup => "overflow:hangup".into(),
        Overflow::Queue(q) => format!("overflow:queue:{q}"),
    }
}
