//! Stateless digest nonces: a challenge costs the registrar no memory. A nonce is the time it
//! was made, a serial number (so two nonces are never equal) and a keyed hash (HMAC-SHA256
//! under a key drawn at start) of both and the client's address, so a nonce is verified and expired from itself alone, and one sent to one
//! address is worthless from another. Only nonces that authenticated someone are remembered,
//! for the nonce-count replay check.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::access::plain_ip;
use crate::digest::constant_time_eq;

/// How long a nonce we issued is accepted (afterwards: 401 with `stale=true`).
pub(crate) const NONCE_LIFETIME: Duration = Duration::from_secs(300);
/// At most this many used nonces are remembered for the replay check.
const MAX_USED: usize = 4096;

/// What a presented nonce is worth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NonceCheck {
    /// Ours, fresh, for this address, and its count went up.
    Fresh,
    /// Ours but too old, or its count did not go up (a replay): challenge again, stale.
    Stale,
    /// Not ours (forged, or made for another address, or under an earlier key).
    Unknown,
}

/// Mints and checks nonces.
pub(crate) struct Nonces {
    key: [u8; 32],
    /// The registrar's time origin: nonce times are milliseconds since it.
    epoch: Option<Instant>,
    /// Nonces that authenticated a request: the highest nonce count accepted.
    used: HashMap<String, (Instant, u32)>,
    serial: u64,
}

/// The key stays out of logs.
impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nonces")
            .field("used", &self.used.len())
            .finish()
    }
}

impl Nonces {
    pub fn new(key: [u8; 32]) -> Nonces {
        Nonces {
            key,
            epoch: None,
            used: HashMap::new(),
            serial: 0,
        }
    }

    fn mac(&self, millis: u64, serial: u64, source: IpAddr) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(&millis.to_be_bytes());
        mac.update(&serial.to_be_bytes());
        mac.update(plain_ip(source).to_string().as_bytes());
        let tag = mac.finalize().into_bytes();
        tag[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A new nonce for a challenge to `source`.
    pub fn mint(&mut self, now: Instant, source: IpAddr) -> String {
        let epoch = *self.epoch.get_or_insert(now);
        let millis = now.saturating_duration_since(epoch).as_millis() as u64;
        self.serial += 1;
        let serial = self.serial;
        format!(
            "{millis:012x}{serial:016x}{}",
            self.mac(millis, serial, source)
        )
    }

    /// Checks a nonce and its count (`nc`), and records the count when it is accepted.
    pub fn check(&mut self, now: Instant, source: IpAddr, nonce: &str, nc: u32) -> NonceCheck {
        let (Some(epoch), Some(time), Some(serial), Some(tag)) = (
            self.epoch,
            nonce.get(..12),
            nonce.get(12..28),
            nonce.get(28..),
        ) else {
            return NonceCheck::Unknown;
        };
        let (Ok(millis), Ok(serial)) = (
            u64::from_str_radix(time, 16),
            u64::from_str_radix(serial, 16),
        ) else {
            return NonceCheck::Unknown;
        };
        if !constant_time_eq(self.mac(millis, serial, source).as_bytes(), tag.as_bytes()) {
            return NonceCheck::Unknown;
        }
        let made = epoch + Duration::from_millis(millis);
        if now.saturating_duration_since(made) >= NONCE_LIFETIME {
            return NonceCheck::Stale;
        }
        self.used
            .retain(|_, (made, _)| now.saturating_duration_since(*made) < NONCE_LIFETIME);
        let full = self.used.len() >= MAX_USED;
        match self.used.get_mut(nonce) {
            Some((_, last)) if nc <= *last => NonceCheck::Stale,
            Some((_, last)) => {
                *last = nc;
                NonceCheck::Fresh
            }
            None if full => NonceCheck::Stale,
            None => {
                self.used.insert(nonce.to_string(), (made, nc));
                NonceCheck::Fresh
            }
        }
    }

    /// How many nonces are remembered (only those that authenticated someone).
    #[cfg(test)]
    pub fn remembered(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_verify_expire_and_refuse_replays_forgeries_and_other_addresses() {
        let mut nonces = Nonces::new([7; 32]);
        let t0 = Instant::now();
        let phone: IpAddr = "192.0.2.5".parse().unwrap();
        let nonce = nonces.mint(t0, phone);
        for _ in 0..1000 {
            assert_ne!(nonces.mint(t0, phone), nonce, "never the same nonce twice");
        }
        assert_eq!(nonces.remembered(), 0, "challenges cost no memory");
        assert_eq!(nonces.check(t0, phone, &nonce, 1), NonceCheck::Fresh);
        assert_eq!(
            nonces.check(t0, phone, &nonce, 1),
            NonceCheck::Stale,
            "replay"
        );
        assert_eq!(nonces.check(t0, phone, &nonce, 2), NonceCheck::Fresh);
        let other: IpAddr = "192.0.2.6".parse().unwrap();
        assert_eq!(nonces.check(t0, other, &nonce, 3), NonceCheck::Unknown);
        let mut forged = nonce.clone();
        forged.replace_range(..12, "000000000001");
        assert_eq!(nonces.check(t0, phone, &forged, 1), NonceCheck::Unknown);
        assert_eq!(nonces.check(t0, phone, "short", 1), NonceCheck::Unknown);
        let late = t0 + NONCE_LIFETIME;
        assert_eq!(nonces.check(late, phone, &nonce, 9), NonceCheck::Stale);
        // Another key (a restart) does not know the old nonces.
        let mut restarted = Nonces::new([8; 32]);
        restarted.mint(t0, phone);
        assert_eq!(restarted.check(t0, phone, &nonce, 1), NonceCheck::Unknown);
    }
}
