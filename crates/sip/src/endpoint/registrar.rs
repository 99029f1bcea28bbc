//! The registrar (RFC 3261 §10.3) behind digest authentication (§22; RFC 7616/8760 SHA-256
//! offered before RFC 2617 MD5, qop=auth): stateless nonces (`nonce.rs`), lockout by user and
//! address (`lockout.rs`), and one binding per user whose source address is where requests to
//! that user go (agents are often behind NAT).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::lockout::{Limits, Lockout};
use super::nonce::{NonceCheck, Nonces};
use super::state::Ids;
use super::{Endpoint, Event};
use crate::digest::{self, AccountSecret, Algorithm};
use crate::fields::parse_bounded;
use crate::{Contact, Request};

/// Registrar settings (see [`crate::EndpointConfig::registrar`]).
#[derive(Clone)]
pub struct RegistrarConfig {
    /// The digest realm of our challenges.
    pub realm: String,
    /// Accounts: user name → password or HA1 hashes.
    pub accounts: BTreeMap<String, AccountSecret>,
    /// The algorithms challenged, one WWW-Authenticate each, in this order (default SHA-256
    /// then MD5; empty: MD5). Answers in either are accepted whatever is offered.
    pub algorithms: Vec<Algorithm>,
    /// Shortest registration accepted; shorter nonzero ones get 423 (default 60 s).
    pub min_expires: Duration,
    /// Longer registrations are shortened to this (default 3600 s).
    pub max_expires: Duration,
    /// Used when neither the Contact nor the request says (default 3600 s).
    pub default_expires: Duration,
    /// This many refused attempts for one user from one IP within `failure_window` lock that
    /// user out from that IP (default 5); the user elsewhere and other users are not affected.
    pub failure_limit: u32,
    /// This many refused attempts from one IP for any users within `failure_window` lock the IP
    /// out (default 20): a guesser walking through extensions.
    pub address_failure_limit: u32,
    /// This many refused attempts for one user within `failure_window` lock the user out from
    /// everywhere (default 20), provided they came from `user_failure_sources` IPs or more.
    pub user_failure_limit: u32,
    /// See `user_failure_limit` (default 3).
    pub user_failure_sources: u32,
    /// See `failure_limit` (default 60 s).
    pub failure_window: Duration,
    /// How long a lockout lasts: every REGISTER it covers gets 403 unchecked (default 300 s).
    pub lockout: Duration,
}

impl RegistrarConfig {
    /// A registrar for `realm` with these accounts (user → password or HA1) and the default
    /// limits.
    pub fn new<S: Into<AccountSecret>>(
        realm: impl Into<String>,
        accounts: BTreeMap<String, S>,
    ) -> RegistrarConfig {
        RegistrarConfig {
            realm: realm.into(),
            accounts: accounts.into_iter().map(|(u, s)| (u, s.into())).collect(),
            algorithms: Algorithm::ALL.to_vec(),
            min_expires: Duration::from_secs(60),
            max_expires: Duration::from_secs(3600),
            default_expires: Duration::from_secs(3600),
            failure_limit: 5,
            address_failure_limit: 20,
            user_failure_limit: 20,
            user_failure_sources: 3,
            failure_window: Duration::from_secs(60),
            lockout: Duration::from_secs(300),
        }
    }
}

/// Passwords stay out of logs.
impl fmt::Debug for RegistrarConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrarConfig")
            .field("realm", &self.realm)
            .field("accounts", &self.accounts.keys().collect::<Vec<_>>())
            .field("algorithms", &self.algorithms)
            .field("min_expires", &self.min_expires)
            .field("max_expires", &self.max_expires)
            .field("default_expires", &self.default_expires)
            .field("failure_limit", &self.failure_limit)
            .field("address_failure_limit", &self.address_failure_limit)
            .field("user_failure_limit", &self.user_failure_limit)
            .field("user_failure_sources", &self.user_failure_sources)
            .field("failure_window", &self.failure_window)
            .field("lockout", &self.lockout)
            .finish()
    }
}

/// A user's current binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The Contact URI the user registered.
    pub contact: String,
    /// The address the REGISTER came from: where requests for this user are sent.
    pub source: SocketAddr,
    /// When the binding lapses unless refreshed.
    pub expires_at: Instant,
}

#[derive(Clone, Debug)]
struct Binding {
    registration: Registration,
    call_id: String,
    cseq: u32,
}

/// Registrar state inside the endpoint.
#[derive(Debug)]
pub(crate) struct Registrar {
    pub(super) config: RegistrarConfig,
    nonces: Nonces,
    lockout: Lockout,
    bindings: BTreeMap<String, Binding>,
}

/// The outcome of authenticating one REGISTER.
enum Verdict {
    /// The user is locked out from this IP (or the IP, or the user, altogether).
    Throttled(String),
    /// No credentials, or a stale/unknown/replayed nonce: challenge.
    Challenge { stale: bool },
    /// Unparsable Authorization.
    Malformed,
    /// Wrong user, password or To: 403, counted.
    Refused(String),
    /// Authenticated as this user.
    User(String),
}

impl Registrar {
    pub fn new(config: RegistrarConfig, ids: &mut Ids) -> Registrar {
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&ids.next().to_le_bytes());
        }
        let lockout = Lockout::new(Limits {
            pair: config.failure_limit,
            address: config.address_failure_limit,
            user: config.user_failure_limit,
            user_sources: config.user_failure_sources,
            window: config.failure_window,
            lockout: config.lockout,
        });
        Registrar {
            config,
            nonces: Nonces::new(key),
            lockout,
            bindings: BTreeMap::new(),
        }
    }

    fn authenticate(&mut self, now: Instant, source: SocketAddr, request: &Request) -> Verdict {
        let h = &request.headers;
        let to_user = h
            .to()
            .ok()
            .and_then(|t| t.uri.user.clone())
            .unwrap_or_default();
        // Credentials in a scheme we do not speak are no credentials: challenge for Digest
        // (RFC 3261 22.1; RFC 4475 regaut01 expects a 401 challenge from a registrar).
        let credentials = h
            .get("Authorization")
            .filter(|value| digest::is_digest(value))
            .map(digest::parse_authorization);
        let claimed = match &credentials {
            Some(Some(c)) => c.username.clone(),
            _ => to_user.clone(),
        };
        if self.lockout.locked(now, source.ip(), &claimed) {
            return Verdict::Throttled(claimed);
        }
        let credentials = match credentials {
            None => return Verdict::Challenge { stale: false },
            Some(None) => return Verdict::Malformed,
            Some(Some(c)) => c,
        };
        let method = request.method.as_str();
        let proven = self
            .config
            .accounts
            .get(&credentials.username)
            .is_some_and(|secret| {
                digest::verify_secret(&credentials, &self.config.realm, secret, method)
            });
        if !proven || credentials.username != to_user {
            self.lockout.fail(now, source.ip(), &claimed);
            return Verdict::Refused(claimed);
        }
        let Some(nc) = digest::nonce_count(&credentials) else {
            return Verdict::Challenge { stale: true };
        };
        match self.nonces.check(now, source.ip(), &credentials.nonce, nc) {
            NonceCheck::Fresh => {}
            NonceCheck::Stale | NonceCheck::Unknown => return Verdict::Challenge { stale: true },
        }
        Verdict::User(credentials.username)
    }

    /// Nonces remembered for the replay check (only those that authenticated someone).
    #[cfg(test)]
    pub fn remembered_nonces(&self) -> usize {
        self.nonces.remembered()
    }

    fn live(&self, user: &str, now: Instant) -> Option<&Registration> {
        self.bindings
            .get(user)
            .map(|b| &b.registration)
            .filter(|r| r.expires_at > now)
    }
}

/// An expires value in seconds; values beyond u64 saturate (RFC 3261 §20.19).
fn parse_expires(s: &str) -> Option<u64> {
    let s = s.trim();
    parse_bounded(s, u64::MAX)
        .or_else(|| (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then_some(u64::MAX))
}

fn contact_value(registration: &Registration, now: Instant) -> String {
    let left = registration.expires_at.saturating_duration_since(now);
    format!("<{}>;expires={}", registration.contact, left.as_secs())
}

impl Endpoint {
    /// The current binding of `user`, if registered (kept until `expires_at` is passed to
    /// [`Endpoint::handle_timeout`]).
    pub fn registration(&self, user: &str) -> Option<Registration> {
        let registrar = self.registrar.as_ref()?;
        let b = registrar.bindings.get(user)?;
        Some(b.registration.clone())
    }

    /// Replaces the registrar's accounts (user → password or HA1), e.g. after a configuration
    /// reload. Bindings of users no longer listed are removed with [`Event::Unregistered`].
    /// Does nothing when the endpoint is not a registrar.
    pub fn set_accounts<S: Into<AccountSecret>>(&mut self, accounts: BTreeMap<String, S>) {
        let Some(registrar) = self.registrar.as_mut() else {
            return;
        };
        registrar.config.accounts = accounts.into_iter().map(|(u, s)| (u, s.into())).collect();
        let gone: Vec<String> = registrar
            .bindings
            .keys()
            .filter(|u| !registrar.config.accounts.contains_key(*u))
            .cloned()
            .collect();
        for user in gone {
            registrar.bindings.remove(&user);
            self.events.push_back(Event::Unregistered { user });
        }
    }

    /// Puts back a binding remembered from before a restart (from the store), so the user is
    /// reachable without registering again. Refused (false) for a user without an account, an
    /// expiry already passed, or when the endpoint is not a registrar. No event is raised: the
    /// caller restores its own view of the binding. A REGISTER with the same Call-ID must carry
    /// a higher CSeq than `cseq`, as before the restart.
    pub fn restore_registration(
        &mut self,
        now: Instant,
        user: &str,
        registration: Registration,
        call_id: &str,
        cseq: u32,
    ) -> bool {
        let Some(registrar) = self.registrar.as_mut() else {
            return false;
        };
        if registration.expires_at <= now || !registrar.config.accounts.contains_key(user) {
            return false;
        }
        registrar.bindings.insert(
            user.to_string(),
            Binding {
                registration,
                call_id: call_id.to_string(),
                cseq,
            },
        );
        true
    }

    /// The earliest binding expiry.
    pub(super) fn registrar_timeout(&self) -> Option<Instant> {
        let registrar = self.registrar.as_ref()?;
        registrar
            .bindings
            .values()
            .map(|b| b.registration.expires_at)
            .min()
    }

    /// Drops bindings that were not refreshed in time.
    pub(super) fn registrar_timers(&mut self, now: Instant) {
        let Some(registrar) = self.registrar.as_mut() else {
            return;
        };
        let expired: Vec<String> = registrar
            .bindings
            .iter()
            .filter(|(_, b)| b.registration.expires_at <= now)
            .map(|(u, _)| u.clone())
            .collect();
        for user in expired {
            registrar.bindings.remove(&user);
            self.events.push_back(Event::RegistrationExpired { user });
        }
    }

    /// A REGISTER that passed the §8.2 checks (§10.3).
    pub(super) fn on_register(
        &mut self,
        now: Instant,
        source: SocketAddr,
        key: &str,
        request: &Request,
    ) {
        let Some(registrar) = self.registrar.as_mut() else {
            return;
        };
        let (user, throttled) = match registrar.authenticate(now, source, request) {
            Verdict::User(user) => return self.update_binding(now, source, key, request, user),
            Verdict::Challenge { stale } => return self.challenge(now, source, key, stale),
            Verdict::Malformed => return self.reply_simple(now, key, 400),
            Verdict::Throttled(user) => (user, true),
            Verdict::Refused(user) => (user, false),
        };
        self.reply(now, key, 403, Vec::new(), None);
        self.events.push_back(Event::RegisterRefused {
            user,
            source,
            throttled,
        });
    }

    /// 401 with one challenge per configured algorithm, in order (RFC 8760 §2.4), sharing one
    /// stateless nonce.
    fn challenge(&mut self, now: Instant, source: SocketAddr, key: &str, stale: bool) {
        let Some(registrar) = self.registrar.as_mut() else {
            return;
        };
        let nonce = registrar.nonces.mint(now, source.ip());
        let mut algorithms = registrar.config.algorithms.clone();
        if algorithms.is_empty() {
            algorithms.push(Algorithm::Md5);
        }
        let extra = algorithms
            .into_iter()
            .map(|algorithm| {
                let value = digest::challenge(&registrar.config.realm, &nonce, stale, algorithm);
                ("WWW-Authenticate", value)
            })
            .collect();
        self.reply(now, key, 401, extra, None);
    }

    /// Adds, refreshes, removes or lists `user`'s binding.
    fn update_binding(
        &mut self,
        now: Instant,
        source: SocketAddr,
        key: &str,
        request: &Request,
        user: String,
    ) {
        let h = &request.headers;
        let (Ok(contacts), Ok(cseq), Some(call_id)) = (h.contacts(), h.cseq(), h.call_id()) else {
            return self.reply_simple(now, key, 400);
        };
        let header_expires = match h.get("Expires").map(parse_expires) {
            Some(None) => return self.reply_simple(now, key, 400),
            Some(Some(e)) => Some(e),
            None => None,
        };
        let Some(registrar) = self.registrar.as_mut() else {
            return;
        };
        let current = registrar.live(&user, now).cloned();
        let listing = |r: &Option<Registration>| -> Vec<(&'static str, String)> {
            r.iter()
                .map(|r| ("Contact", contact_value(r, now)))
                .collect()
        };
        let Some(last) = contacts.last() else {
            // A query (§10.2.3): list the binding.
            let extra = listing(&current);
            self.reply(now, key, 200, extra, None);
            return;
        };
        let out_of_order = registrar
            .bindings
            .get(&user)
            .is_some_and(|b| b.call_id == call_id && cseq.number <= b.cseq);
        if out_of_order {
            return self.reply_simple(now, key, 500); // §10.3 step 7
        }
        let address = match last {
            Contact::Any if contacts.len() == 1 && header_expires == Some(0) => None,
            Contact::Any => return self.reply_simple(now, key, 400), // §10.3 step 6
            Contact::Address(_) if contacts.contains(&Contact::Any) => {
                return self.reply_simple(now, key, 400);
            }
            Contact::Address(a) => Some(a),
        };
        let expires = match address.and_then(|a| a.param("expires")) {
            Some(p) => match p.value.as_deref().and_then(parse_expires) {
                Some(e) => e,
                None => return self.reply_simple(now, key, 400),
            },
            None => header_expires.unwrap_or(registrar.config.default_expires.as_secs()),
        };
        let contact = address.map(|a| a.uri.to_string());
        if expires == 0 {
            // `*` removes the binding; a Contact removes it only if it is the one bound.
            let removes =
                contact.is_none() || current.as_ref().map(|r| &r.contact) == contact.as_ref();
            let mut extra = listing(&current);
            if removes {
                extra.clear();
                if registrar.bindings.remove(&user).is_some() {
                    self.events.push_back(Event::Unregistered { user });
                }
            }
            self.reply(now, key, 200, extra, None);
            return;
        }
        let min = registrar.config.min_expires.as_secs();
        if expires < min {
            let extra = vec![("Min-Expires", min.to_string())];
            self.reply(now, key, 423, extra, None);
            return;
        }
        let expires = Duration::from_secs(expires.min(registrar.config.max_expires.as_secs()));
        let contact = contact.unwrap_or_default();
        let registration = Registration {
            contact: contact.clone(),
            source,
            expires_at: now + expires,
        };
        registrar.bindings.insert(
            user.clone(),
            Binding {
                registration: registration.clone(),
                call_id: call_id.to_string(),
                cseq: cseq.number,
            },
        );
        self.events.push_back(Event::Registered {
            user,
            contact,
            source,
            expires,
            call_id: call_id.to_string(),
            cseq: cseq.number,
        });
        let extra = vec![("Contact", contact_value(&registration, now))];
        self.reply(now, key, 200, extra, None);
    }
}
