//! Fuzz target: arbitrary bytes through the SIP parser and into a UAS endpoint.
#![no_main]

use std::time::{Duration, Instant};

use hotline_sip::{parse_message, Endpoint, EndpointConfig, Event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_message(data);
    let config = EndpointConfig {
        local_addr: "192.0.2.10:5060".parse().unwrap(),
        user_agent: "fuzz".into(),
        t1: Duration::from_millis(500),
        t2: Duration::from_secs(4),
        registrar: None,
    };
    let mut endpoint = Endpoint::new(config, 1);
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
