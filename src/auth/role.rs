//! Roles and what each may reach, as one pure function of (role, who, method, path), so the
//! whole access table is unit-tested and written down in one place (docs/console.md).
//!
//! - admin: everything.
//! - supervisor: every `/api` route (calls, history search, analytics, tickets, queues, agents,
//!   callbacks) except the admin-only ones (`/api/audit`), `/metrics` and the console's pages.
//! - agent: their own `/api/agents/{id}/...` routes (id = their user or token name) and reading
//!   a ticket by id (the handoff ticket's URL travels to their phone with the call); nothing else.

use std::fmt;

/// What a user or token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Result<Role, super::AuthError> {
        match text {
            "admin" => Ok(Role::Admin),
            "supervisor" => Ok(Role::Supervisor),
            "agent" => Ok(Role::Agent),
            other => Err(super::AuthError::UnknownRole {
                role: other.to_string(),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer for one request of someone known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// Known but not allowed: 403.
    Forbidden,
}

/// May `role` (named `name`) use `method path`? Paths are the request's path without the query.
pub fn access(role: Role, name: &str, method: &str, path: &str) -> Access {
    let need = needed(name, method, path);
    match need {
        Need::Own | Need::Ticket => Access::Allowed,
        Need::Role(min) if role >= min => Access::Allowed,
        Need::Role(_) => Access::Forbidden,
    }
}

/// What a route asks of the caller.
#[derive(Debug, PartialEq)]
enum Need {
    /// The agent's own routes: agents themselves, and supervisors up.
    Own,
    /// Reading a ticket by id: any role.
    Ticket,
    Role(Role),
}

fn needed(name: &str, method: &str, path: &str) -> Need {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "audit", ..] => Need::Role(Role::Admin),
        ["api", "agents", id, "state" | "history"] if *id == name => Need::Own,
        ["api", "tickets", _] if method == "GET" => Need::Ticket,
        _ => Need::Role(Role::Supervisor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Access::{Allowed, Forbidden};

    #[test]
    fn roles_parse_and_print() {
        for role in [Role::Admin, Role::Supervisor, Role::Agent] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
        assert!(Role::Admin > Role::Supervisor && Role::Supervisor > Role::Agent);
    }

    #[test]
    fn admin_reaches_everything() {
        for (method, path) in [
            ("GET", "/api/audit"),
            ("GET", "/api/calls/c1"),
            ("POST", "/api/agents/ann/state"),
            ("GET", "/metrics"),
            ("GET", "/console"),
        ] {
            assert_eq!(access(Role::Admin, "root", method, path), Allowed, "{path}");
        }
    }

    #[test]
    fn supervisor_reaches_the_floor_but_not_the_audit_log() {
        for (method, path) in [
            ("GET", "/api/calls"),
            ("GET", "/api/calls/c1"),
            ("GET", "/api/tickets/T-1"),
            ("GET", "/api/queues"),
            ("GET", "/api/agents"),
            ("POST", "/api/agents/ann/state"),
            ("GET", "/api/agents/ann/history"),
            ("GET", "/api/callbacks"),
            ("GET", "/api/calls/search"),
            ("GET", "/api/calls/search.csv"),
            ("GET", "/api/analytics"),
            ("GET", "/metrics"),
            ("GET", "/console"),
            ("GET", "/console/history"),
            ("GET", "/console/analytics"),
        ] {
            assert_eq!(
                access(Role::Supervisor, "sue", method, path),
                Allowed,
                "{path}"
            );
        }
        assert_eq!(
            access(Role::Supervisor, "sue", "GET", "/api/audit"),
            Forbidden
        );
    }

    #[test]
    fn an_agent_reaches_only_their_own_routes_and_tickets() {
        for (method, path) in [
            ("POST", "/api/agents/ann/state"),
            ("GET", "/api/agents/ann/history"),
            ("GET", "/api/tickets/T-1"),
        ] {
            assert_eq!(access(Role::Agent, "ann", method, path), Allowed, "{path}");
        }
        for (method, path) in [
            ("POST", "/api/agents/bob/state"),
            ("GET", "/api/agents/bob/history"),
            ("GET", "/api/agents"),
            ("GET", "/api/calls/c1"),
            ("GET", "/api/queues"),
            ("GET", "/api/callbacks"),
            ("GET", "/api/audit"),
            ("GET", "/api/calls/search"),
            ("GET", "/api/calls/search.csv"),
            ("GET", "/api/analytics"),
            ("GET", "/metrics"),
            ("GET", "/console"),
            ("GET", "/console/history"),
            ("GET", "/console/analytics"),
            ("POST", "/api/tickets/T-1"),
            // A look-alike path does not make another agent's route one's own.
            ("POST", "/api/agents/ann/state/../../bob/state"),
        ] {
            assert_eq!(
                access(Role::Agent, "ann", method, path),
                Forbidden,
                "{path}"
            );
        }
    }
}
