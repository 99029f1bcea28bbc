//! `hotline agents ...` and `hotline tickets show`: a supervisor's client for the running
//! server's admin API (agent state lives in the server, so these talk HTTP, not SQLite).

use clap::Subcommand;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Subcommand)]
pub enum AgentsAction {
    /// Every agent with state, idle time, skills and answered/missed calls.
    List,
    /// Log an agent in (available for calls).
    Login { id: String },
    /// Make an agent available for calls again.
    Available { id: String },
    /// Stop offering calls to an agent for a while.
    Pause {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Log an agent out.
    Logout { id: String },
    /// Set a phone agent's SIP password: its HA1 hashes replace the password in agents.yaml
    /// (asked without echo, or read from standard input with --password-stdin). Edits the
    /// file, not the running server: restart it afterwards.
    Passwd {
        id: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum TicketsAction {
    /// One ticket: the caller, the conversation so far, intents, slots and mood.
    Show { id: String },
}

/// One agent as `GET /api/agents` lists it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct AgentRow {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub state: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub since_ms: i64,
    #[serde(default)]
    pub idle_ms: Option<i64>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub answered: i64,
    #[serde(default)]
    pub missed: i64,
    #[serde(default)]
    pub external: bool,
}

/// The admin API client: base URL plus the hint printed when nothing answers there.
pub(crate) struct Admin {
    base: String,
    listen_hint: String,
    pub(crate) http: reqwest::Client,
    /// Sent as `Authorization: Bearer ...` (`--token` or `$HOTLINE_TOKEN`).
    token: Option<String>,
}

impl Admin {
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<(u16, Value)> {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                anyhow::anyhow!(
                    "cannot reach the admin API at {}: is `hotline serve` running? admin.listen is {} ({e})",
                    self.base,
                    self.listen_hint
                )
            } else {
                anyhow::anyhow!("admin API at {}: {e}", self.base)
            }
        })?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status == 401 && self.token.is_none() {
            anyhow::bail!(
                "the admin API at {} needs a token: pass --token or set HOTLINE_TOKEN \
                 (make one with `hotline tokens add NAME --role supervisor`)",
                self.base
            );
        }
        Ok((status, body))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }
}

/// The error message of a non-2xx answer.
pub(crate) fn failure(status: u16, body: &Value) -> anyhow::Error {
    match body["error"].as_str() {
        Some(message) => anyhow::anyhow!("{message} (HTTP {status})"),
        None => anyhow::anyhow!("HTTP {status}: {body}"),
    }
}

/// `admin`: the `--admin` URL, else `http://` and the configured `admin.listen`.
pub async fn run_agents(
    action: AgentsAction,
    admin: Option<String>,
    token: Option<String>,
    listen: std::net::SocketAddr,
) -> anyhow::Result<()> {
    let admin = client(admin, token, listen)?;
    let (id, state, reason) = match action {
        AgentsAction::List => {
            let (status, body) = admin.send(admin.http.get(admin.url("/api/agents"))).await?;
            if !(200..300).contains(&status) {
                return Err(failure(status, &body));
            }
            let agents: Vec<AgentRow> = serde_json::from_value(body)
                .map_err(|e| anyhow::anyhow!("unexpected /api/agents answer: {e}"))?;
            print!("{}", agents_table(&agents));
            return Ok(());
        }
        AgentsAction::Login { id } | AgentsAction::Available { id } => (id, "available", None),
        AgentsAction::Pause { id, reason } => (id, "paused", Some(reason)),
        AgentsAction::Logout { id } => (id, "logged_out", None),
        AgentsAction::Passwd { .. } => {
            anyhow::bail!("`agents passwd` edits agents.yaml and is handled before the admin API")
        }
    };
    let mut request = json!({ "state": state });
    if let Some(reason) = reason {
        request["reason"] = Value::String(reason);
    }
    let url = admin.url(&format!("/api/agents/{}/state", path_segment(&id)));
    let (status, body) = admin
        .send(
            admin
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(request.to_string()),
        )
        .await?;
    if !(200..300).contains(&status) {
        return Err(failure(status, &body));
    }
    match serde_json::from_value::<AgentRow>(body.clone()) {
        Ok(agent) => print!("{}", agents_table(&[agent])),
        Err(_) => println!("{body}"),
    }
    Ok(())
}

pub async fn run_tickets(
    action: TicketsAction,
    admin: Option<String>,
    token: Option<String>,
    listen: std::net::SocketAddr,
) -> anyhow::Result<()> {
    let admin = client(admin, token, listen)?;
    let TicketsAction::Show { id } = action;
    let url = admin.url(&format!("/api/tickets/{}", path_segment(&id)));
    let (status, body) = admin.send(admin.http.get(url)).await?;
    if !(200..300).contains(&status) {
        return Err(failure(status, &body));
    }
    print!("{}", ticket_text(&body));
    Ok(())
}

pub(crate) fn client(
    admin: Option<String>,
    token: Option<String>,
    listen: std::net::SocketAddr,
) -> anyhow::Result<Admin> {
    Ok(Admin {
        token: token.filter(|t| !t.trim().is_empty()),
        base: admin.unwrap_or_else(|| format!("http://{listen}")),
        listen_hint: listen.to_string(),
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?,
    })
}

/// Agent and ticket ids are plain names; anything else is percent-encoded.
pub(crate) fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `1h02m`, `3m05s`, `42s`.
pub fn short_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// The agents as an aligned table, one line each, with a header.
pub fn agents_table(agents: &[AgentRow]) -> String {
    let header = [
        "ID", "NAME", "STATE", "SINCE", "IDLE", "ANSWERED", "MISSED", "SKILLS",
    ];
    let mut rows: Vec<[String; 8]> = vec![header.map(String::from)];
    for a in agents {
        let state = match &a.reason {
            Some(reason) if !reason.is_empty() => format!("{} ({reason})", a.state),
            _ => a.state.clone(),
        };
        let mut skills = a.skills.join(",");
        if a.external {
            skills = if skills.is_empty() {
                "external".into()
            } else {
                format!("{skills} external")
            };
        }
        rows.push([
            a.id.clone(),
            if a.name.is_empty() {
                "-".into()
            } else {
                a.name.clone()
            },
            state,
            short_duration(a.since_ms),
            a.idle_ms.map(short_duration).unwrap_or_else(|| "-".into()),
            a.answered.to_string(),
            a.missed.to_string(),
            if skills.is_empty() {
                "-".into()
            } else {
                skills
            },
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            let numeric = i == 5 || i == 6;
            if i > 0 {
                line.push_str("  ");
            }
            if numeric {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if i < row.len() - 1 {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A ticket as `GET /api/tickets/ID` returns it, for reading in a terminal.
pub fn ticket_text(ticket: &Value) -> String {
    let s = |v: &Value| match v {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = format!(
        "ticket    {}\nkind      {}\ncall      {}\nsummary   {}\n",
        s(&ticket["id"]),
        s(&ticket["kind"]),
        s(&ticket["call_id"]),
        s(&ticket["summary"])
    );
    let c = &ticket["context"];
    if c.is_object() {
        out.push_str(&format!(
            "caller    {}\nqueue     {}\nreason    {}\n",
            s(&c["call"]["caller"]),
            s(&c["queue"]),
            s(&c["reason"])
        ));
        if let Some(slots) = c["slots"].as_object().filter(|o| !o.is_empty()) {
            let list: Vec<String> = slots.iter().map(|(k, v)| format!("{k}={}", s(v))).collect();
            out.push_str(&format!("slots     {}\n", list.join(", ")));
        }
        for t in c["transcript"].as_array().into_iter().flatten() {
            out.push_str(&format!("\n#{}\n", s(&t["seq"])));
            if !t["caller"].is_null() {
                out.push_str(&format!("  caller: {}\n", s(&t["caller"])));
            }
            if !t["dtmf"].is_null() {
                out.push_str(&format!("  pressed: {}\n", s(&t["dtmf"])));
            }
            if !t["intent"].is_null() {
                out.push_str(&format!("  intent: {}\n", s(&t["intent"])));
            }
            if !t["bot"].is_null() {
                out.push_str(&format!("  bot: {}\n", s(&t["bot"])));
            }
        }
    } else if let Some(fields) = ticket["fields"].as_array() {
        for f in fields {
            out.push_str(&format!("{:<10}{}\n", s(&f[0]), s(&f[1])));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_table_is_aligned() {
        let agents: Vec<AgentRow> = serde_json::from_value(json!([
            {"id": "ann", "name": "Ann Lee", "state": "available", "since_ms": 65_000,
             "idle_ms": 42_000, "skills": ["billing", "de"], "answered": 12, "missed": 1,
             "external": false},
            {"id": "bob", "name": "Bob", "state": "paused", "reason": "lunch",
             "since_ms": 3_723_000, "skills": [], "answered": 3, "missed": 10, "external": true}
        ]))
        .unwrap();
        let table = agents_table(&agents);
        assert_eq!(
            table,
            "ID   NAME     STATE           SINCE  IDLE  ANSWERED  MISSED  SKILLS\n\
             ann  Ann Lee  available       1m05s  42s         12       1  billing,de\n\
             bob  Bob      paused (lunch)  1h02m  -            3      10  external\n"
        );
    }

    #[test]
    fn durations_and_ids() {
        assert_eq!(short_duration(0), "0s");
        assert_eq!(short_duration(59_999), "59s");
        assert_eq!(short_duration(60_000), "1m00s");
        assert_eq!(path_segment("ann"), "ann");
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn a_handoff_ticket_reads_as_text() {
        let text = ticket_text(&json!({
            "id": "T-1", "kind": "handoff", "call_id": "c1", "summary": "intent=x; reason=anger",
            "context": {"call": {"caller": "sip:alice@h"}, "queue": "support", "reason": "anger",
                        "slots": {"order": "4567"},
                        "transcript": [{"seq": 1, "caller": "where is it", "dtmf": null,
                                        "bot": "Which order?", "intent": "order_tracking"}]}
        }));
        assert!(text.contains("queue     support\n"), "{text}");
        assert!(text.contains("slots     order=4567\n"), "{text}");
        assert!(
            text.contains(
                "#1\n  caller: where is it\n  intent: order_tracking\n  bot: Which order?\n"
            ),
            "{text}"
        );
    }
}
