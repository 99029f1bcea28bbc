//! Slows password guessing: failed logins are counted per name and per client address over a
//! sliding window; past a limit, logins for that name (or from that address) are refused until
//! the oldest failure in the window has aged out. Pure: the time is passed in.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The limits; [`Default`] is what the server uses.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures allowed per name within `window` before that name is locked.
    pub per_name: usize,
    /// Failures allowed per address within `window` (an office behind one NAT shares one).
    pub per_address: usize,
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_name: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Failed logins by name and by address.
#[derive(Debug, Default)]
pub struct Throttle {
    limits: Limits,
    by_name: HashMap<String, VecDeque<Instant>>,
    by_address: HashMap<String, VecDeque<Instant>>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Throttle {
        Throttle {
            limits,
            ..Throttle::default()
        }
    }

    /// `Err(wait)`: refuse this login attempt without checking the password, try again after
    /// `wait`. Checked before the password, so a locked name cannot be guessed at all.
    pub fn check(&mut self, name: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let window = self.limits.window;
        let waits = [
            wait(&mut self.by_name, name, self.limits.per_name, window, now),
            wait(
                &mut self.by_address,
                address,
                self.limits.per_address,
                window,
                now,
            ),
        ];
        match waits.into_iter().flatten().max() {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// A wrong name or password.
    pub fn failed(&mut self, name: &str, address: &str, now: Instant) {
        self.by_name
            .entry(name.to_string())
            .or_default()
            .push_back(now);
        self.by_address
            .entry(address.to_string())
            .or_default()
            .push_back(now);
        self.forget_old(now);
    }

    /// A good login clears the name's failures (not the address's: one good account must not
    /// reset the count of an address trying many names).
    pub fn succeeded(&mut self, name: &str) {
        self.by_name.remove(name);
    }

    /// Drops failures older than the window, so memory stays bounded by recent attempts.
    fn forget_old(&mut self, now: Instant) {
        let window = self.limits.window;
        for map in [&mut self.by_name, &mut self.by_address] {
            map.retain(|_, times| {
                prune(times, window, now);
                !times.is_empty()
            });
        }
    }
}

fn prune(times: &mut VecDeque<Instant>, window: Duration, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

/// How long `key` must wait, if it has reached `limit` failures within the window.
fn wait(
    map: &mut HashMap<String, VecDeque<Instant>>,
    key: &str,
    limit: usize,
    window: Duration,
    now: Instant,
) -> Option<Duration> {
    let times = map.get_mut(key)?;
    prune(times, window, now);
    if times.len() < limit {
        return None;
    }
    // Locked until enough failures leave the window to fall below the limit.
    let unlocking = times[times.len() - limit];
    Some(window.saturating_sub(now.saturating_duration_since(unlocking)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            per_name: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        }
    }

    #[test]
    fn a_name_is_locked_after_its_limit_until_the_window_passes() {
        let t0 = Instant::now();
        let mut t = Throttle::new(limits());
        for i in 0..3 {
            assert_eq!(
                t.check("ann", "10.0.0.1", t0 + Duration::from_secs(i)),
                Ok(())
            );
            t.failed("ann", "10.0.0.1", t0 + Duration::from_secs(i));
        }
        // Locked: the first failure (t0) leaves the window at t0 + 60 s.
        assert_eq!(
            t.check("ann", "10.0.0.9", t0 + Duration::from_secs(10)),
            Err(Duration::from_secs(50))
        );
        // Another name from the same address is still fine.
        assert_eq!(
            t.check("bob", "10.0.0.1", t0 + Duration::from_secs(10)),
            Ok(())
        );
        assert_eq!(
            t.check("ann", "10.0.0.9", t0 + Duration::from_secs(60)),
            Ok(())
        );
    }

    #[test]
    fn an_address_trying_many_names_is_locked() {
        let t0 = Instant::now();
        let mut t = Throttle::new(limits());
        for (i, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert_eq!(t.check(name, "192.0.2.7", t0), Ok(()), "{name}");
            t.failed(name, "192.0.2.7", t0 + Duration::from_secs(i as u64));
        }
        assert_eq!(
            t.check("f", "192.0.2.7", t0 + Duration::from_secs(30)),
            Err(Duration::from_secs(30))
        );
        assert_eq!(
            t.check("f", "192.0.2.8", t0 + Duration::from_secs(30)),
            Ok(())
        );
    }

    #[test]
    fn success_clears_the_name_but_not_the_address() {
        let t0 = Instant::now();
        let mut t = Throttle::new(limits());
        t.failed("ann", "a1", t0);
        t.failed("ann", "a1", t0);
        t.succeeded("ann");
        t.failed("ann", "a1", t0);
        t.failed("ann", "a1", t0);
        assert_eq!(t.check("ann", "a1", t0), Ok(()));
        t.failed("ann", "a1", t0);
        // Five failures from a1 in all: the address is locked though ann's count was reset.
        assert!(t.check("zed", "a1", t0).is_err());
    }

    #[test]
    fn old_failures_are_forgotten() {
        let t0 = Instant::now();
        let mut t = Throttle::new(limits());
        t.failed("ann", "a1", t0);
        t.failed("bob", "a2", t0 + Duration::from_secs(61));
        assert_eq!(t.by_name.len(), 1);
        assert_eq!(t.by_address.len(), 1);
    }
}
