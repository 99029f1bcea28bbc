//! Supervisors' and agents' side of the center: agent state changes from the admin API and the
//! CLI, the JSON they see, where an agent's phone is reached, and the live queue gauges.

use std::net::SocketAddr;
use std::time::Instant;

use hotline_acd::{AgentState, AgentView};
use serde::Serialize;

use super::{Center, Inner};
use crate::store::unix_ms;

/// A state change asked for through the admin API (`POST /api/agents/{id}/state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentCommand {
    Login,
    Available,
    Pause(String),
    Logout,
}

/// One agent as the API and `hotline agents list` show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgentJson {
    pub id: String,
    pub name: String,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Milliseconds in the current state.
    pub since_ms: u64,
    /// Milliseconds since the agent last finished a call or became available, when available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_ms: Option<u64>,
    pub skills: Vec<String>,
    pub answered: u64,
    pub missed: u64,
    pub external: bool,
    /// Where the phone registered from, for phone agents that are registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_from: Option<String>,
}

/// Why an agent command was refused, with the HTTP status it maps to.
#[derive(Debug)]
pub enum CommandRefused {
    UnknownAgent(String),
    Conflict(String),
}

impl Center {
    /// Every agent, sorted by id.
    pub fn agents_json(&self) -> Vec<AgentJson> {
        let inner = self.lock();
        let now = Instant::now();
        inner
            .dist
            .agents()
            .into_iter()
            .map(|a| to_json(&inner, a, now))
            .collect()
    }

    /// Applies a supervisor's or agent's state change, and records it.
    pub async fn command(
        &self,
        agent: &str,
        command: AgentCommand,
    ) -> Result<AgentJson, CommandRefused> {
        let (view, state, reason) = {
            let mut inner = self.lock();
            let now = Instant::now();
            let Some(spec) = inner.specs.get(agent).cloned() else {
                return Err(CommandRefused::UnknownAgent(agent.to_string()));
            };
            let needs_phone = matches!(command, AgentCommand::Login | AgentCommand::Available);
            if needs_phone && spec.uri.is_none() && !inner.phones.contains_key(agent) {
                return Err(CommandRefused::Conflict(format!(
                    "agent {agent} has no registered phone: register it to Hotline first"
                )));
            }
            let result = match &command {
                AgentCommand::Login => inner.dist.login(agent, now),
                AgentCommand::Available => inner.dist.make_available(agent, now),
                AgentCommand::Pause(reason) => inner.dist.pause(agent, reason, now),
                AgentCommand::Logout => inner.dist.logout(agent, now),
            };
            let view = result.map_err(|e| CommandRefused::Conflict(e.to_string()))?;
            let reason = match &command {
                AgentCommand::Pause(r) => Some(r.clone()),
                _ => None,
            };
            let json = to_json(&inner, view.clone(), now);
            (json, view.state.name(), reason)
        };
        tracing::info!("agent {agent}: {state} (by the admin API)");
        if let Err(e) = self
            .store
            .agent_event(agent, state, reason.as_deref(), unix_ms())
            .await
        {
            tracing::error!("contact center: cannot store agent event: {e}");
        }
        self.wake.notify_one();
        Ok(view)
    }

    /// Agents with a queue's skills who are available now and not already claimed by callers
    /// waiting in it, for a campaign paced by the queue's agents; `None` for an unknown queue.
    pub fn free_agents(&self, queue: &str) -> Option<usize> {
        let inner = self.lock();
        let live = inner.dist.live(Instant::now());
        let q = live.iter().find(|q| q.queue == queue)?;
        Some(q.agents_available.saturating_sub(q.waiting))
    }

    /// Live gauges for `/metrics`: callers waiting, longest wait, agents by state.
    pub fn live_metrics(&self) -> Vec<crate::admin::Metric> {
        use crate::admin::{Metric, MetricKind};
        let gauge = |name: &str, help: &str, samples: Vec<(Vec<(String, String)>, f64)>| Metric {
            samples,
            ..Metric::new(name, help, MetricKind::Gauge)
        };
        let inner = self.lock();
        let live = inner.dist.live(Instant::now());
        let by_queue = |f: &dyn Fn(&hotline_acd::QueueLive) -> f64| {
            live.iter()
                .map(|q| (vec![("queue".to_string(), q.queue.clone())], f(q)))
                .collect::<Vec<_>>()
        };
        let mut states: Vec<(Vec<(String, String)>, f64)> = Vec::new();
        for agent in inner.dist.agents() {
            for name in [
                "logged_out",
                "available",
                "ringing",
                "on_call",
                "wrap_up",
                "paused",
            ] {
                let value = if agent.state.name() == name { 1.0 } else { 0.0 };
                states.push((
                    vec![
                        ("agent".to_string(), agent.id.clone()),
                        ("state".to_string(), name.to_string()),
                    ],
                    value,
                ));
            }
        }
        vec![
            gauge(
                "hotline_queue_waiting",
                "Callers waiting in the queue now.",
                by_queue(&|q| q.waiting as f64),
            ),
            gauge(
                "hotline_queue_longest_wait_seconds",
                "How long the longest-waiting caller has waited.",
                by_queue(&|q| q.longest_wait.as_secs_f64()),
            ),
            gauge(
                "hotline_queue_agents_logged_in",
                "Agents with the queue's skills who are logged in.",
                by_queue(&|q| q.agents_logged_in as f64),
            ),
            gauge(
                "hotline_queue_agents_available",
                "Agents with the queue's skills who are available now.",
                by_queue(&|q| q.agents_available as f64),
            ),
            gauge(
                "hotline_agent_state",
                "1 for the state each agent is in.",
                states,
            ),
        ]
    }
}

fn to_json(inner: &Inner, a: AgentView, now: Instant) -> AgentJson {
    let reason = match &a.state {
        AgentState::Paused { reason } => Some(reason.clone()),
        _ => None,
    };
    let idle_ms = match a.state {
        AgentState::Available => a
            .idle_since
            .map(|t| now.saturating_duration_since(t).as_millis() as u64),
        _ => None,
    };
    AgentJson {
        registered_from: inner.phones.get(&a.id).map(|p| p.source.to_string()),
        id: a.id,
        name: a.name,
        state: a.state.name().to_string(),
        reason,
        since_ms: now.saturating_duration_since(a.since).as_millis() as u64,
        idle_ms,
        skills: a.skills,
        answered: a.answered,
        missed: a.missed,
        external: a.external,
    }
}

/// Where an offered agent is reached: their phone's registration, or their external URI.
pub(super) fn target_of(
    inner: &Inner,
    agent: &str,
    trunk: Option<SocketAddr>,
) -> Option<super::AgentTarget> {
    if let Some(phone) = inner.phones.get(agent) {
        return Some(super::AgentTarget {
            uri: phone.contact.clone(),
            destination: phone.source,
        });
    }
    let uri = inner.specs.get(agent)?.uri.clone()?;
    Some(super::AgentTarget {
        destination: external_destination(&uri, trunk)?,
        uri,
    })
}

/// An external agent's URI is sent to its own host when that is an IP address, else to the
/// trunk (no DNS here).
fn external_destination(uri: &str, trunk: Option<SocketAddr>) -> Option<SocketAddr> {
    let parsed = hotline_sip::Uri::parse(uri).ok()?;
    let host = parsed.host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => Some(SocketAddr::new(ip, parsed.port.unwrap_or(5060))),
        Err(_) => trunk,
    }
}

#[cfg(test)]
mod tests {
    use super::external_destination;

    #[test]
    fn external_agents_go_to_their_ip_or_else_the_trunk() {
        let trunk = Some("192.0.2.40:5060".parse().unwrap());
        assert_eq!(
            external_destination("sip:desk@192.0.2.30:5080", trunk),
            Some("192.0.2.30:5080".parse().unwrap())
        );
        assert_eq!(
            external_destination("sip:desk@[2001:db8::1]", None),
            Some("[2001:db8::1]:5060".parse().unwrap())
        );
        assert_eq!(
            external_destination("sip:+15551234@carrier.example.com", trunk),
            trunk
        );
        assert_eq!(
            external_destination("sip:+15551234@carrier.example.com", None),
            None
        );
    }
}
