//! How many TCP and TLS connections are open, in all and per source IP: a new one beyond
//! `sip.connections.max` or `max_per_ip` is refused at accept, before any TLS or SIP work.

use std::collections::HashMap;
use std::net::IpAddr;

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotRefusal {
    /// `sip.connections.max` connections are open.
    Full,
    /// `sip.connections.max_per_ip` connections are open from this IP.
    FullForSource,
}

/// Open connections, counted (no IO; the driver calls `open` at accept and `close` when the
/// connection's task ends).
#[derive(Debug)]
pub struct ConnectionSlots {
    max: usize,
    max_per_ip: usize,
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

impl ConnectionSlots {
    pub fn new(max: usize, max_per_ip: usize) -> ConnectionSlots {
        ConnectionSlots {
            max,
            max_per_ip,
            total: 0,
            per_ip: HashMap::new(),
        }
    }

    /// Takes a slot for a connection from `ip`, or says why not.
    pub fn open(&mut self, ip: IpAddr) -> Result<(), SlotRefusal> {
        if self.total >= self.max {
            return Err(SlotRefusal::Full);
        }
        let from_ip = self.per_ip.entry(ip).or_insert(0);
        if *from_ip >= self.max_per_ip {
            return Err(SlotRefusal::FullForSource);
        }
        *from_ip += 1;
        self.total += 1;
        Ok(())
    }

    /// Gives back the slot of a connection from `ip`.
    pub fn close(&mut self, ip: IpAddr) {
        if let Some(from_ip) = self.per_ip.get_mut(&ip) {
            *from_ip -= 1;
            self.total = self.total.saturating_sub(1);
            if *from_ip == 0 {
                self.per_ip.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_gets_its_share_and_the_server_its_total() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let c: IpAddr = "192.0.2.3".parse().unwrap();
        let mut slots = ConnectionSlots::new(3, 2);
        assert_eq!(slots.open(a), Ok(()));
        assert_eq!(slots.open(a), Ok(()));
        assert_eq!(slots.open(a), Err(SlotRefusal::FullForSource));
        assert_eq!(slots.open(b), Ok(()));
        assert_eq!(slots.open(c), Err(SlotRefusal::Full));
        slots.close(a);
        assert_eq!(slots.open(c), Ok(()));
        assert_eq!(slots.total, 3);
    }

    #[test]
    fn closing_frees_the_source_entirely() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let mut slots = ConnectionSlots::new(10, 1);
        slots.open(a).unwrap();
        slots.close(a);
        slots.close(a); // a stray close changes nothing
        assert_eq!(slots.total, 0);
        assert!(slots.per_ip.is_empty());
        assert_eq!(slots.open(a), Ok(()));
    }
}
