//! Agents' phone registrations in SQLite (migration 0009), so agents registered before a
//! restart are still reachable after it instead of waiting up to an hour for their phone's
//! next REGISTER. The SIP task writes a row on every REGISTER and deletes it on unregister or
//! expiry; at start the rows still in date are handed back to the registrar.

use std::net::SocketAddr;

use sqlx::Row;

use super::Store;
use crate::error::HotlineError;

/// One agent's binding as kept on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRow {
    /// The SIP user, which is the agent's id.
    pub user: String,
    pub contact: String,
    /// Where the REGISTER came from, and where INVITEs to the agent go.
    pub source: SocketAddr,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub call_id: String,
    pub cseq: u32,
    /// [`hotline_sip::AccountSecret::fingerprint`] when it registered.
    pub secret_tag: String,
}

impl Store {
    /// Writes (or replaces) an agent's binding.
    pub async fn registration_saved(&self, row: &RegistrationRow) -> Result<(), HotlineError> {
        sqlx::query(
            "INSERT INTO registrations (user, contact, source, expires_at, call_id, cseq, secret_tag)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(user) DO UPDATE SET contact = excluded.contact,
               source = excluded.source, expires_at = excluded.expires_at,
               call_id = excluded.call_id, cseq = excluded.cseq,
               secret_tag = excluded.secret_tag",
        )
        .bind(&row.user)
        .bind(&row.contact)
        .bind(row.source.to_string())
        .bind(row.expires_at)
        .bind(&row.call_id)
        .bind(i64::from(row.cseq))
        .bind(&row.secret_tag)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets an agent's binding (unregistered, expired, or no longer an agent).
    pub async fn registration_removed(&self, user: &str) -> Result<(), HotlineError> {
        sqlx::query("DELETE FROM registrations WHERE user = ?")
            .bind(user)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The bindings still in date at `now_ms`; lapsed ones are deleted on the way. A row whose
    /// source no longer parses is dropped too (the phone registers again).
    pub async fn live_registrations(
        &self,
        now_ms: i64,
    ) -> Result<Vec<RegistrationRow>, HotlineError> {
        sqlx::query("DELETE FROM registrations WHERE expires_at <= ?")
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        let rows = sqlx::query(
            "SELECT user, contact, source, expires_at, call_id, cseq, secret_tag FROM registrations
             ORDER BY user",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(RegistrationRow {
                    user: r.get("user"),
                    contact: r.get("contact"),
                    source: r.get::<String, _>("source").parse().ok()?,
                    expires_at: r.get("expires_at"),
                    call_id: r.get("call_id"),
                    cseq: u32::try_from(r.get::<i64, _>("cseq")).ok()?,
                    secret_tag: r.get("secret_tag"),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user: &str, expires_at: i64) -> RegistrationRow {
        RegistrationRow {
            user: user.into(),
            contact: format!("sip:{user}@192.168.1.20:5060"),
            source: "198.51.100.20:31000".parse().unwrap(),
            expires_at,
            call_id: format!("reg-{user}"),
            cseq: 3,
            secret_tag: "0123abcd".into(),
        }
    }

    #[tokio::test]
    async fn bindings_survive_a_reopen_and_lapsed_ones_are_dropped() {
        let path = crate::store::temp_db("registrations");
        {
            let store = Store::open(&path).await.unwrap();
            store.registration_saved(&row("ann", 10_000)).await.unwrap();
            store.registration_saved(&row("bob", 5_000)).await.unwrap();
            store.registration_saved(&row("cy", 10_000)).await.unwrap();
            let mut refreshed = row("ann", 20_000);
            refreshed.cseq = 4;
            store.registration_saved(&refreshed).await.unwrap();
            store.registration_removed("cy").await.unwrap();
        }
        let store = Store::open(&path).await.unwrap();
        let live = store.live_registrations(6_000).await.unwrap();
        let mut ann = row("ann", 20_000);
        ann.cseq = 4;
        assert_eq!(live, vec![ann]);
        assert!(store.live_registrations(20_000).await.unwrap().is_empty());
    }
}
