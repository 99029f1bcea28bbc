//! Who may use the admin API and the console: roles and what each may reach, password and token
//! hashing, CSRF checks and login throttling. Pure logic with the time passed in; the store keeps
//! users, tokens, sessions and the audit log, and `admin::guard` applies all this to requests.

pub mod csrf;
pub mod role;
pub mod secret;
pub mod throttle;

pub use role::{Access, Role};

/// Someone the admin API knows: a person logged in with a session, or a machine with a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user or token name (for an agent, their agent id in the agents file).
    pub name: String,
    pub role: Role,
    pub via: Via,
}

/// How a request proved who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session cookie; state-changing requests must also carry this CSRF token.
    Session { csrf: String },
    /// `Authorization: Bearer ...`: no CSRF check (browsers never send it on their own).
    Token,
}

/// Why the CLI refuses a user, token or password.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("the password is {length} characters long; use at least {min} characters")]
    PasswordTooShort { length: usize, min: usize },
    #[error("{role:?} is not a role; use admin, supervisor or agent")]
    UnknownRole { role: String },
    #[error(
        "{name:?} is not a valid name; use letters, digits, '.', '-', '_' or '@' (at most 64)"
    )]
    BadName { name: String },
    #[error("the password could not be hashed: {reason}")]
    Hashing { reason: String },
    #[error("the operating system gave no random bytes: {reason}")]
    Randomness { reason: String },
}

/// Names of users and tokens: short, printable, safe in a URL path and a log line.
pub fn check_name(name: &str) -> Result<(), AuthError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::BadName {
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_plain() {
        assert!(check_name("ann").is_ok());
        assert!(check_name("desk-2@floor.1").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("ann smith").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
