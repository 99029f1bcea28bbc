//! Fuzz target: arbitrary bytes through the SIP parser and into a UAS endpoint with its
//! registrar on (digest challenges, lockouts) and the flood guard, as `hotline serve` runs it.
#![no_main]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hotline_sip::{
    parse_message, Endpoint, EndpointConfig, Event, FloodLimit, RandomSource, RegistrarConfig,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_message(data);
    let config = EndpointConfig {
        local_addr: "192.0.2.10:5060".parse().unwrap(),
        user_agent: "fuzz".into(),
        t1: Duration::from_millis(500),
        t2: Duration::from_secs(4),
        flood: Some(FloodLimit::default()),
        registrar: Some(RegistrarConfig::new(
            "hotline",
            BTreeMap::from([("agent1".to_string(), "a-long-test-password".to_string())]),
        )),
        ..EndpointConfig::new("192.0.2.10:5060".parse().unwrap())
    };
    let mut endpoint = Endpoint::new(config, Counter(1));
    let now = Instant::now();
    let source = "192.0.2.20:5060".parse().unwrap();
    // The same bytes twice: the second time exercises retransmission matching.
    endpoint.handle_datagram(now, source, data);
    while let Some(event) = endpoint.poll_event() {
        if let Event::IncomingCall { call, .. } = event {
            let _ = endpoint.answer(now, &call, "v=0\r\n".into());
        }
    }
    endpoint.handle_datagram(now, source, data);
    while endpoint.poll_transmit().is_some() {}
    if let Some(at) = endpoint.poll_timeout() {
        endpoint.handle_timeout(at);
    }
    endpoint.handle_timeout(now + Duration::from_secs(3600));
});

/// Deterministic identifiers, so a crash replays exactly.
struct Counter(u64);

impl RandomSource for Counter {
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
}
