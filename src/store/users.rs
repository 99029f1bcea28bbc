//! Users, API tokens, browser sessions and the audit log (migration 0006). Secrets are never
//! stored: passwords as Argon2 hashes, tokens and session ids as their SHA-256.

use sqlx::Row;

use super::Store;
use crate::auth::Role;
use crate::error::HotlineError;

/// A user as `hotline users list` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UserRow {
    pub name: String,
    pub role: String,
    pub created_at: i64,
}

/// An API token as `hotline tokens list` shows it (never the token itself).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TokenRow {
    pub name: String,
    pub role: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Who a valid session belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub user: String,
    pub role: Role,
    pub csrf: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub address: Option<String>,
}

impl AuditEntry {
    /// An entry at `at` by `actor`, with no target, detail or address yet.
    pub fn new(at: i64, actor: &str, action: &str) -> AuditEntry {
        AuditEntry {
            at,
            actor: actor.to_string(),
            action: action.to_string(),
            target: None,
            detail: None,
            address: None,
        }
    }

    pub fn target(mut self, target: &str) -> AuditEntry {
        self.target = Some(target.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> AuditEntry {
        self.detail = Some(detail.into());
        self
    }

    pub fn address(mut self, address: &str) -> AuditEntry {
        self.address = Some(address.to_string());
        self
    }
}

impl Store {
    /// Adds a user; `false` if the name is taken.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, HotlineError> {
        let done = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(name) DO NOTHING",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn users(&self) -> Result<Vec<UserRow>, HotlineError> {
        let rows = sqlx::query("SELECT name, role, created_at FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UserRow {
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Removes a user and ends their sessions; `false` if there was no such user.
    pub async fn remove_user(&self, name: &str) -> Result<bool, HotlineError> {
        sqlx::query("DELETE FROM sessions WHERE user_name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        let done = sqlx::query("DELETE FROM users WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A user's role and password hash, to check a login; `None`: no such user (or a role this
    /// version does not know).
    pub async fn user_credentials(
        &self,
        name: &str,
    ) -> Result<Option<(Role, String)>, HotlineError> {
        let row = sqlx::query("SELECT role, password_hash FROM users WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let role: String = row.try_get("role")?;
        Ok(Role::parse(&role)
            .ok()
            .map(|role| (role, row.try_get("password_hash").unwrap_or_default())))
    }

    /// Adds a token by its SHA-256; `false` if the name is taken.
    pub async fn add_token(
        &self,
        name: &str,
        role: Role,
        token_sha256: &str,
        now: i64,
    ) -> Result<bool, HotlineError> {
        let done = sqlx::query(
            "INSERT INTO api_tokens (name, role, token_sha256, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(name) DO NOTHING",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(token_sha256)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRow>, HotlineError> {
        let rows = sqlx::query(
            "SELECT name, role, created_at, last_used_at FROM api_tokens ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    /// Deletes a token; `false` if there was none by that name.
    pub async fn revoke_token(&self, name: &str) -> Result<bool, HotlineError> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The token's name and role, noting when it was last used; `None`: unknown or revoked.
    pub async fn token_owner(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<(String, Role)>, HotlineError> {
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_at = ? WHERE token_sha256 = ? RETURNING name, role",
        )
        .bind(now)
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let role: String = row.try_get("role")?;
        Ok(Role::parse(&role)
            .ok()
            .map(|role| (row.try_get("name").unwrap_or_default(), role)))
    }

    /// Records a new session (by the SHA-256 of its id) and drops expired ones.
    pub async fn create_session(
        &self,
        id_sha256: &str,
        user: &str,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), HotlineError> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id_sha256, user_name, csrf, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id_sha256)
        .bind(user)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session's user, role and CSRF token, if it exists and has not expired.
    pub async fn session(
        &self,
        id_sha256: &str,
        now: i64,
    ) -> Result<Option<SessionRow>, HotlineError> {
        let row = sqlx::query(
            "SELECT s.user_name, s.csrf, u.role FROM sessions s JOIN users u ON u.name = s.user_name
             WHERE s.id_sha256 = ? AND s.expires_at > ?",
        )
        .bind(id_sha256)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let role: String = row.try_get("role")?;
        Ok(Role::parse(&role).ok().map(|role| SessionRow {
            user: row.try_get("user_name").unwrap_or_default(),
            role,
            csrf: row.try_get("csrf").unwrap_or_default(),
        }))
    }

    /// Ends a session.
    pub async fn end_session(&self, id_sha256: &str) -> Result<(), HotlineError> {
        sqlx::query("DELETE FROM sessions WHERE id_sha256 = ?")
            .bind(id_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, target, detail, address)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.detail)
        .bind(&entry.address)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest `limit` audit entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, HotlineError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, target, detail, address FROM audit_log
             ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: r.try_get("detail")?,
                    address: r.try_get("address")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_db;

    #[tokio::test]
    async fn users_tokens_sessions_and_audit_round_trip() {
        let store = Store::open(&temp_db("users")).await.unwrap();
        assert!(store
            .add_user("sue", Role::Supervisor, "$h", 1)
            .await
            .unwrap());
        assert!(!store.add_user("sue", Role::Admin, "$h2", 2).await.unwrap());
        assert_eq!(
            store.user_credentials("sue").await.unwrap(),
            Some((Role::Supervisor, "$h".to_string()))
        );
        assert_eq!(store.user_credentials("nobody").await.unwrap(), None);

        assert!(store
            .add_token("prom", Role::Supervisor, "abc", 1)
            .await
            .unwrap());
        assert_eq!(
            store.token_owner("abc", 5).await.unwrap(),
            Some(("prom".to_string(), Role::Supervisor))
        );
        assert_eq!(store.tokens().await.unwrap()[0].last_used_at, Some(5));
        assert_eq!(store.token_owner("abd", 5).await.unwrap(), None);
        assert!(store.revoke_token("prom").await.unwrap());
        assert!(!store.revoke_token("prom").await.unwrap());
        assert_eq!(store.token_owner("abc", 6).await.unwrap(), None);

        store
            .create_session("s1", "sue", "c1", 10, 100)
            .await
            .unwrap();
        let session = store.session("s1", 50).await.unwrap().unwrap();
        assert_eq!(
            (session.user.as_str(), session.role),
            ("sue", Role::Supervisor)
        );
        assert_eq!(store.session("s1", 100).await.unwrap(), None, "expired");
        store.end_session("s1").await.unwrap();
        assert_eq!(store.session("s1", 50).await.unwrap(), None);
        store
            .create_session("s2", "sue", "c2", 10, 100)
            .await
            .unwrap();
        assert!(store.remove_user("sue").await.unwrap());
        assert_eq!(store.session("s2", 50).await.unwrap(), None, "removed user");

        store
            .audit(&AuditEntry::new(7, "sue", "login").address("10.0.0.1"))
            .await
            .unwrap();
        store
            .audit(
                &AuditEntry::new(8, "sue", "agent_state")
                    .target("ann")
                    .detail("paused"),
            )
            .await
            .unwrap();
        let log = store.audit_log(10).await.unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].action, "agent_state");
        assert_eq!(log[1].address.as_deref(), Some("10.0.0.1"));
    }
}
