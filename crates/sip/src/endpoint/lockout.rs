//! Registrar lockout after repeated failures, by user AND address: failures for one user from
//! one address lock that pair only, so forged REGISTERs naming a user cannot lock that user out
//! from the office's own phones. An address that fails for many users is locked (a guesser
//! walking through extensions), and a user is locked everywhere only after many failures from
//! several addresses (a distributed guess at one password).

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::access::plain_ip;

/// At most this many failure records are kept; beyond it, the oldest quiet ones go first and,
/// failing that, new failures are not recorded (memory stays bounded under a spray).
const MAX_RECORDS: usize = 65_536;

/// The lockout limits (part of [`super::RegistrarConfig`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Failures for one user from one address within `window` that lock the pair.
    pub pair: u32,
    /// Failures from one address (any users) within `window` that lock the address.
    pub address: u32,
    /// Failures for one user (any addresses) within `window` that lock the user ...
    pub user: u32,
    /// ... provided they came from at least this many addresses.
    pub user_sources: u32,
    pub window: Duration,
    pub lockout: Duration,
}

#[derive(Clone, Debug, Default)]
struct Record {
    recent: VecDeque<(Instant, IpAddr)>,
    locked_until: Option<Instant>,
}

impl Record {
    fn locked(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    fn live(&self, now: Instant, window: Duration) -> bool {
        self.locked(now)
            || self
                .recent
                .back()
                .is_some_and(|(t, _)| now.saturating_duration_since(*t) < window)
    }

    /// Adds a failure; returns the failures and distinct addresses within the window.
    fn add(&mut self, now: Instant, ip: IpAddr, window: Duration) -> (usize, usize) {
        self.recent
            .retain(|(t, _)| now.saturating_duration_since(*t) < window);
        self.recent.push_back((now, ip));
        let sources: HashSet<IpAddr> = self.recent.iter().map(|(_, ip)| *ip).collect();
        (self.recent.len(), sources.len())
    }

    fn lock(&mut self, now: Instant, lockout: Duration) {
        self.recent.clear();
        self.locked_until = Some(now + lockout);
    }
}

/// Failure records by pair, address and user.
#[derive(Clone, Debug)]
pub(crate) struct Lockout {
    limits: Limits,
    pairs: HashMap<(IpAddr, String), Record>,
    addresses: HashMap<IpAddr, Record>,
    users: HashMap<String, Record>,
}

impl Lockout {
    pub fn new(limits: Limits) -> Lockout {
        Lockout {
            limits,
            pairs: HashMap::new(),
            addresses: HashMap::new(),
            users: HashMap::new(),
        }
    }

    /// Whether a REGISTER for `user` from `ip` is refused unchecked.
    pub fn locked(&self, now: Instant, ip: IpAddr, user: &str) -> bool {
        let ip = plain_ip(ip);
        self.pairs
            .get(&(ip, user.to_string()))
            .is_some_and(|r| r.locked(now))
            || self.addresses.get(&ip).is_some_and(|r| r.locked(now))
            || self.users.get(user).is_some_and(|r| r.locked(now))
    }

    /// Counts a refused REGISTER for `user` from `ip`.
    pub fn fail(&mut self, now: Instant, ip: IpAddr, user: &str) {
        let ip = plain_ip(ip);
        let l = self.limits;
        let window = l.window;
        if self.records() >= MAX_RECORDS {
            self.pairs.retain(|_, r| r.live(now, window));
            self.addresses.retain(|_, r| r.live(now, window));
            self.users.retain(|_, r| r.live(now, window));
            if self.records() >= MAX_RECORDS {
                return;
            }
        }
        let reached = |limit: u32, count: usize| limit > 0 && count >= limit as usize;
        let pair = self.pairs.entry((ip, user.to_string())).or_default();
        if reached(l.pair, pair.add(now, ip, window).0) {
            pair.lock(now, l.lockout);
        }
        let address = self.addresses.entry(ip).or_default();
        if reached(l.address, address.add(now, ip, window).0) {
            address.lock(now, l.lockout);
        }
        let record = self.users.entry(user.to_string()).or_default();
        let (failures, sources) = record.add(now, ip, window);
        if reached(l.user, failures) && sources >= l.user_sources as usize {
            record.lock(now, l.lockout);
        }
    }

    fn records(&self) -> usize {
        self.pairs.len() + self.addresses.len() + self.users.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            pair: 5,
            address: 20,
            user: 20,
            user_sources: 3,
            window: Duration::from_secs(60),
            lockout: Duration::from_secs(300),
        }
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([198, 51, 100, n])
    }

    #[test]
    fn forged_failures_from_one_address_lock_only_that_pair() {
        let mut lockout = Lockout::new(limits());
        let t0 = Instant::now();
        for _ in 0..5 {
            lockout.fail(t0, ip(9), "agent1");
        }
        assert!(lockout.locked(t0, ip(9), "agent1"));
        assert!(!lockout.locked(t0, ip(10), "agent1"), "the user elsewhere");
        assert!(
            !lockout.locked(t0, ip(9), "agent2"),
            "other users from there"
        );
        assert!(!lockout.locked(t0 + Duration::from_secs(300), ip(9), "agent1"));
    }

    #[test]
    fn an_address_walking_through_users_is_locked() {
        let mut lockout = Lockout::new(limits());
        let t0 = Instant::now();
        for n in 0..20 {
            lockout.fail(t0, ip(9), &format!("{}", 100 + n));
        }
        assert!(lockout.locked(t0, ip(9), "agent1"));
        assert!(!lockout.locked(t0, ip(10), "agent1"));
    }

    #[test]
    fn a_user_is_locked_only_after_many_failures_from_many_addresses() {
        let mut lockout = Lockout::new(limits());
        let t0 = Instant::now();
        // 19 failures from 19 addresses: not yet.
        for n in 0..19 {
            lockout.fail(t0, ip(n), "agent1");
        }
        assert!(!lockout.locked(t0, ip(200), "agent1"));
        lockout.fail(t0, ip(19), "agent1");
        assert!(lockout.locked(t0, ip(200), "agent1"), "a distributed guess");
        // 20 failures from two addresses only lock those pairs, not the user.
        let mut lockout = Lockout::new(Limits {
            pair: 100,
            ..limits()
        });
        for n in 0..20 {
            lockout.fail(t0, ip(n % 2), "agent2");
        }
        assert!(!lockout.locked(t0, ip(200), "agent2"));
    }
}
