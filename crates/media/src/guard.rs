//! Which received datagrams a call's RTP link takes in: only RTP from the source the signalling
//! named (strict source, as Asterisk's `strictrtp` and rtpengine's strict-source), within a size
//! and a rate cap. Pure logic: the time and the datagram's source are passed in.
//!
//! The rule (docs/decisions.md, "Media: strict RTP source"):
//! - the source is the address the SDP named (`c=` and `m=`); packets from it are taken;
//! - a new port may take its place only on a *trusted* IP (the SDP's `c=` address or the address
//!   the SIP request came from), only after [`PROBATION_PACKETS`] consecutive in-sequence packets
//!   of one SSRC, and only while the current source has been silent for [`RELEARN_AFTER_SILENCE`]
//!   (or has never sent): a NAT that rewrote the port is followed, a live stream is never taken over;
//! - everything else is dropped, with the reason, for the counters.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::rtp::RtpPacket;

/// Consecutive in-sequence packets a new port must send before media is taken from it.
pub const PROBATION_PACKETS: u16 = 4;

/// How long the current source must have been silent before a new port may replace it.
pub const RELEARN_AFTER_SILENCE: Duration = Duration::from_secs(1);

/// Why a datagram was not taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// From an address that is neither the source nor a trusted IP on probation.
    ForeignSource,
    /// From a new port on a trusted IP, still on probation (or the current source is live).
    Probation,
    /// Larger than the size cap.
    TooBig,
    /// Beyond the per-second cap of the accepted source.
    Rate,
    /// Not an RTP packet (too short, wrong version, bad padding).
    NotRtp,
    /// On an SRTP call: an authentication tag that does not match (forged, damaged, plain RTP).
    SrtpAuthentication,
    /// On an SRTP call: an authenticated packet seen before, or older than the replay window.
    SrtpReplay,
}

impl DropReason {
    /// Every reason, in the order metrics list them.
    pub const ALL: [DropReason; 7] = [
        DropReason::ForeignSource,
        DropReason::Probation,
        DropReason::TooBig,
        DropReason::Rate,
        DropReason::NotRtp,
        DropReason::SrtpAuthentication,
        DropReason::SrtpReplay,
    ];

    /// The metric label value.
    pub fn label(self) -> &'static str {
        match self {
            DropReason::ForeignSource => "foreign_source",
            DropReason::Probation => "probation",
            DropReason::TooBig => "too_big",
            DropReason::Rate => "rate",
            DropReason::NotRtp => "not_rtp",
            DropReason::SrtpAuthentication => "srtp_auth",
            DropReason::SrtpReplay => "srtp_replay",
        }
    }

    /// Index into [`DropReason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What to do with one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept(RtpPacket),
    Drop(DropReason),
}

/// The caps on what one call's source may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardLimits {
    /// Datagrams longer than this many bytes are dropped.
    pub max_packet_size: usize,
    /// Packets beyond this many in one second from the accepted source are dropped.
    pub max_packets_per_second: u32,
}

impl Default for GuardLimits {
    /// 1500 bytes (an Ethernet MTU; 20 ms of G.711 is 172) and 200 packets/s (four times a
    /// 20 ms stream, room for RFC 4733 events and bursts after a network stall).
    fn default() -> GuardLimits {
        GuardLimits {
            max_packet_size: 1500,
            max_packets_per_second: 200,
        }
    }
}

/// A new port on a trusted IP, counting its in-sequence packets.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    from: SocketAddr,
    ssrc: u32,
    sequence: u16,
    count: u16,
}

/// Strict source, size and rate decisions for one call's RTP link.
#[derive(Debug, Clone)]
pub struct RtpGuard {
    limits: GuardLimits,
    source: Option<SocketAddr>,
    /// Whether `source` was confirmed by packets rather than only named by the SDP.
    heard: bool,
    trusted: Vec<IpAddr>,
    last_from_source: Option<Instant>,
    candidate: Option<Candidate>,
    window_start: Option<Instant>,
    window_count: u32,
}

impl RtpGuard {
    /// `expected`: the SDP's `c=` address and `m=` port, when known; `signalling`: the IP the SIP
    /// dialog talks to, trusted for a NAT-rewritten media port.
    pub fn new(
        limits: GuardLimits,
        expected: Option<SocketAddr>,
        signalling: Option<IpAddr>,
    ) -> RtpGuard {
        let mut guard = RtpGuard {
            limits,
            source: None,
            heard: false,
            trusted: Vec::new(),
            last_from_source: None,
            candidate: None,
            window_start: None,
            window_count: 0,
        };
        if let Some(ip) = signalling {
            guard.trust(ip);
        }
        if let Some(expected) = expected {
            guard.expect(expected);
        }
        guard
    }

    /// A new SDP named `expected` (a delayed offer's answer in the ACK). A source already heard on
    /// that IP stays (it is where the media really comes from); otherwise the SDP's address is
    /// the source from now on.
    pub fn expect(&mut self, expected: SocketAddr) {
        self.trust(expected.ip());
        let keep = self.heard && self.source.map(|s| same_ip(s.ip(), expected.ip())) == Some(true);
        if !keep {
            self.source = Some(expected);
            self.heard = false;
            self.last_from_source = None;
            self.candidate = None;
        }
    }

    /// Where RTP is accepted from and where ours should go; `None` until an SDP or probation names it.
    pub fn source(&self) -> Option<SocketAddr> {
        self.source
    }

    /// Decides one datagram that arrived from `from` at `now`.
    pub fn check(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) -> Verdict {
        if datagram.len() > self.limits.max_packet_size {
            return Verdict::Drop(DropReason::TooBig);
        }
        let Ok(packet) = RtpPacket::parse(datagram) else {
            return Verdict::Drop(DropReason::NotRtp);
        };
        if Some(from) != self.source {
            if !self.on_probation(now, from, &packet) {
                return Verdict::Drop(if self.is_trusted(from.ip()) {
                    DropReason::Probation
                } else {
                    DropReason::ForeignSource
                });
            }
            self.source = Some(from);
            self.candidate = None;
        }
        self.heard = true;
        self.last_from_source = Some(now);
        if self.over_rate(now) {
            return Verdict::Drop(DropReason::Rate);
        }
        Verdict::Accept(packet)
    }

    /// Counts `packet` towards `from`'s probation; true when `from` has passed it.
    fn on_probation(&mut self, now: Instant, from: SocketAddr, packet: &RtpPacket) -> bool {
        if !self.is_trusted(from.ip()) {
            return false;
        }
        let source_quiet = self
            .last_from_source
            .is_none_or(|last| now.saturating_duration_since(last) >= RELEARN_AFTER_SILENCE);
        if !source_quiet {
            self.candidate = None;
            return false;
        }
        let next = match self.candidate {
            Some(c)
                if c.from == from
                    && c.ssrc == packet.ssrc
                    && packet.sequence == c.sequence.wrapping_add(1) =>
            {
                Candidate {
                    sequence: packet.sequence,
                    count: c.count + 1,
                    ..c
                }
            }
            _ => Candidate {
                from,
                ssrc: packet.ssrc,
                sequence: packet.sequence,
                count: 1,
            },
        };
        self.candidate = Some(next);
        next.count >= PROBATION_PACKETS
    }

    /// One more packet from the source in the current one-second window; true beyond the cap.
    fn over_rate(&mut self, now: Instant) -> bool {
        let fresh = self
            .window_start
            .is_none_or(|start| now.saturating_duration_since(start) >= Duration::from_secs(1));
        if fresh {
            self.window_start = Some(now);
            self.window_count = 0;
        }
        self.window_count = self.window_count.saturating_add(1);
        self.window_count > self.limits.max_packets_per_second
    }

    fn trust(&mut self, ip: IpAddr) {
        let ip = canonical(ip);
        if !self.trusted.contains(&ip) {
            self.trusted.push(ip);
        }
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.contains(&canonical(ip))
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: &str = "192.0.2.10:40000";
    const NATTED: &str = "192.0.2.10:51234";
    const SPRAYER: &str = "198.51.100.7:40000";
    const SIGNALLING: &str = "192.0.2.10";

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn rtp(sequence: u16, ssrc: u32) -> Vec<u8> {
        RtpPacket {
            payload_type: 0,
            marker: false,
            sequence,
            timestamp: u32::from(sequence) * 160,
            ssrc,
            payload: vec![0xFF; 160],
        }
        .to_bytes()
    }

    fn guard() -> RtpGuard {
        RtpGuard::new(
            GuardLimits::default(),
            Some(addr(CALLER)),
            Some(SIGNALLING.parse().unwrap()),
        )
    }

    fn accepted(verdict: &Verdict) -> bool {
        matches!(verdict, Verdict::Accept(_))
    }

    #[test]
    fn the_sdp_source_is_taken_before_any_packet_and_a_sprayer_never_is() {
        let t0 = Instant::now();
        let mut g = guard();
        // The sprayer goes first, in sequence, for a long time: never taken.
        for n in 0..50u16 {
            let at = t0 + Duration::from_millis(20 * u64::from(n));
            assert_eq!(
                g.check(at, addr(SPRAYER), &rtp(n, 9)),
                Verdict::Drop(DropReason::ForeignSource)
            );
        }
        assert!(accepted(&g.check(t0, addr(CALLER), &rtp(1, 7))));
        assert_eq!(g.source(), Some(addr(CALLER)));
        assert_eq!(
            g.check(t0, addr(SPRAYER), &rtp(50, 9)),
            Verdict::Drop(DropReason::ForeignSource)
        );
    }

    #[test]
    fn a_nat_rewritten_port_on_the_trusted_ip_is_learned_after_probation() {
        let t0 = Instant::now();
        let mut g = guard();
        for n in 0..PROBATION_PACKETS - 1 {
            assert_eq!(
                g.check(t0, addr(NATTED), &rtp(100 + n, 7)),
                Verdict::Drop(DropReason::Probation)
            );
        }
        assert!(accepted(&g.check(
            t0,
            addr(NATTED),
            &rtp(100 + PROBATION_PACKETS - 1, 7)
        )));
        assert_eq!(g.source(), Some(addr(NATTED)));
        // The SDP's port is now the stranger.
        assert_eq!(
            g.check(t0, addr(CALLER), &rtp(1, 7)),
            Verdict::Drop(DropReason::Probation)
        );
    }

    #[test]
    fn probation_restarts_on_a_gap_in_sequence_or_a_new_ssrc() {
        let t0 = Instant::now();
        let mut g = guard();
        let from = addr(NATTED);
        g.check(t0, from, &rtp(1, 7));
        g.check(t0, from, &rtp(2, 7));
        g.check(t0, from, &rtp(4, 7)); // gap: count restarts at 1
        g.check(t0, from, &rtp(5, 8)); // new SSRC: restarts again
        g.check(t0, from, &rtp(6, 8));
        g.check(t0, from, &rtp(7, 8));
        assert_eq!(g.source(), Some(addr(CALLER)));
        assert!(accepted(&g.check(t0, from, &rtp(8, 8))));
    }

    #[test]
    fn a_live_source_is_never_replaced_even_from_its_own_ip() {
        let t0 = Instant::now();
        let mut g = guard();
        for n in 0..100u16 {
            let at = t0 + Duration::from_millis(20 * u64::from(n));
            assert!(accepted(&g.check(at, addr(CALLER), &rtp(n, 7))));
            assert!(!accepted(&g.check(at, addr(NATTED), &rtp(500 + n, 9))));
        }
        assert_eq!(g.source(), Some(addr(CALLER)));
        // Once the caller has been silent for a second, the new port may take over.
        let later = t0 + Duration::from_secs(3);
        for n in 0..PROBATION_PACKETS {
            g.check(later, addr(NATTED), &rtp(900 + n, 9));
        }
        assert_eq!(g.source(), Some(addr(NATTED)));
    }

    #[test]
    fn without_an_sdp_address_only_the_signalling_ip_can_be_learned() {
        let t0 = Instant::now();
        let mut g = RtpGuard::new(
            GuardLimits::default(),
            None,
            Some(SIGNALLING.parse().unwrap()),
        );
        assert_eq!(g.source(), None);
        for n in 0..10 {
            assert!(!accepted(&g.check(t0, addr(SPRAYER), &rtp(n, 9))));
        }
        for n in 0..PROBATION_PACKETS {
            g.check(t0, addr(NATTED), &rtp(n, 7));
        }
        assert_eq!(g.source(), Some(addr(NATTED)));
        // The ACK's answer names another port on the same IP: the heard source stays.
        g.expect(addr(CALLER));
        assert_eq!(g.source(), Some(addr(NATTED)));
    }

    #[test]
    fn an_answer_naming_another_host_replaces_the_source() {
        let mut g = RtpGuard::new(GuardLimits::default(), None, None);
        g.expect(addr(SPRAYER));
        assert_eq!(g.source(), Some(addr(SPRAYER)));
        assert!(accepted(&g.check(
            Instant::now(),
            addr(SPRAYER),
            &rtp(1, 3)
        )));
    }

    #[test]
    fn oversized_and_non_rtp_datagrams_are_dropped_whoever_sends_them() {
        let t0 = Instant::now();
        let mut g = guard();
        let mut big = rtp(1, 7);
        big.resize(1501, 0);
        assert_eq!(
            g.check(t0, addr(CALLER), &big),
            Verdict::Drop(DropReason::TooBig)
        );
        assert_eq!(
            g.check(t0, addr(CALLER), b"hello"),
            Verdict::Drop(DropReason::NotRtp)
        );
        let mut v1 = rtp(2, 7);
        v1[0] = 0x40;
        assert_eq!(
            g.check(t0, addr(CALLER), &v1),
            Verdict::Drop(DropReason::NotRtp)
        );
    }

    #[test]
    fn packets_beyond_the_rate_cap_are_dropped_until_the_next_second() {
        let t0 = Instant::now();
        let limits = GuardLimits {
            max_packet_size: 1500,
            max_packets_per_second: 10,
        };
        let mut g = RtpGuard::new(limits, Some(addr(CALLER)), None);
        let verdicts: Vec<bool> = (0..15u16)
            .map(|n| accepted(&g.check(t0, addr(CALLER), &rtp(n, 7))))
            .collect();
        assert_eq!(verdicts.iter().filter(|&&a| a).count(), 10);
        assert!(!verdicts[10]);
        let next = t0 + Duration::from_secs(1);
        assert!(accepted(&g.check(next, addr(CALLER), &rtp(20, 7))));
    }

    #[test]
    fn an_ipv4_mapped_source_is_the_same_host() {
        let t0 = Instant::now();
        let mut g = guard();
        let mapped: SocketAddr = "[::ffff:192.0.2.10]:51234".parse().unwrap();
        for n in 0..PROBATION_PACKETS {
            g.check(t0, mapped, &rtp(n, 7));
        }
        assert_eq!(g.source(), Some(mapped));
    }
}
