//! Where a call's RTP socket lives: an even port picked at random (OS randomness) from
//! `rtp.port_min..=rtp.port_max`, so a call's port cannot be guessed from the one before, with
//! ports already in use skipped.

use crate::config::RtpConfig;
use crate::error::HotlineError;

/// Binds an even port of the range, trying every one once from a random start.
pub fn bind_random(rtp: &RtpConfig) -> Result<std::net::UdpSocket, HotlineError> {
    let span = (rtp.port_max - rtp.port_min) / 2 + 1;
    for port in rtp_port_order(rtp.port_min, span, os_random_u32()) {
        if let Ok(socket) = std::net::UdpSocket::bind((rtp.address, port)) {
            socket
                .set_nonblocking(true)
                .map_err(|source| HotlineError::Socket {
                    addr: format!("{}:{port}", rtp.address),
                    source,
                })?;
            return Ok(socket);
        }
    }
    Err(HotlineError::NoRtpPort {
        min: rtp.port_min,
        max: rtp.port_max,
    })
}

/// A random number from the operating system (falling back to the OS-seeded thread generator).
fn os_random_u32() -> u32 {
    use rand::TryRngCore;
    rand::rngs::OsRng
        .try_next_u32()
        .unwrap_or_else(|_| rand::random())
}

/// Every even port of the range once, starting at a random one and walking with a random stride
/// coprime with the number of ports, so a busy stretch of the range does not make its
/// neighbours likelier; `seed` is the randomness.
fn rtp_port_order(port_min: u16, span: u16, seed: u32) -> impl Iterator<Item = u16> {
    let span = u32::from(span.max(1));
    let start = seed % span;
    let mut stride = 1 + (seed / span) % span;
    while gcd(stride, span) != 1 {
        stride += 1;
    }
    (0..span).map(move |i| {
        let step = (start + i * stride) % span;
        port_min + (step * 2) as u16
    })
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod port_tests {
    use super::*;

    #[test]
    fn every_even_port_is_tried_once_from_a_random_start() {
        for seed in [0u32, 1, 7, 99, 12_345, u32::MAX] {
            let mut ports: Vec<u16> = rtp_port_order(20_000, 500, seed).collect();
            assert_eq!(ports.len(), 500);
            assert!(ports
                .iter()
                .all(|p| p % 2 == 0 && (20_000..=20_998).contains(p)));
            ports.sort_unstable();
            ports.dedup();
            assert_eq!(ports.len(), 500, "seed {seed}");
        }
        let firsts: std::collections::HashSet<u16> = (0..50u32)
            .map(|seed| {
                rtp_port_order(20_000, 500, seed.wrapping_mul(2_654_435_761))
                    .next()
                    .unwrap()
            })
            .collect();
        assert!(firsts.len() > 40, "{firsts:?}");
        assert_eq!(
            rtp_port_order(30_000, 1, 5).collect::<Vec<_>>(),
            vec![30_000]
        );
    }
}
