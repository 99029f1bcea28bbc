//! Transactions over TCP and TLS (RFC 3261 §17): nothing is retransmitted by the transaction
//! layer, Timers D, I and J are zero, Timers B, F and H still bound each wait, and the UAS
//! core still retransmits its 2xx until the ACK (§13.3.1.4). Each case runs beside UDP.

use std::time::{Duration, Instant};

use super::uas_tests::{lone_uas, request, OFFER, PEER};
use super::*;
use crate::Transport;

const SDP: &str = "Content-Type: application/sdp\r\n";

/// Sends `message` from the peer over `transport` (a connection for TCP, a datagram for UDP).
fn deliver(ep: &mut Endpoint, now: Instant, transport: Transport, message: &[u8]) {
    ep.handle_stream_message(now, PEER.parse().unwrap(), transport, message);
}

/// A UAS that accepts TCP connections, and the clock it starts at.
fn uas() -> (Endpoint, Instant) {
    let (mut ep, now) = lone_uas();
    ep.set_stream_listener(Transport::Tcp, "10.0.0.2:5061".parse().unwrap());
    (ep, now)
}

/// First lines of everything sent, in order.
fn sent(ep: &mut Endpoint) -> Vec<String> {
    std::iter::from_fn(|| ep.poll_transmit())
        .map(|t| {
            let text = String::from_utf8_lossy(&t.payload).into_owned();
            text.lines().next().unwrap_or_default().to_string()
        })
        .collect()
}

/// Fires every timer up to `until` after `start`, collecting the first lines sent.
fn run_timers(ep: &mut Endpoint, start: Instant, until: Duration) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(at) = ep.poll_timeout().filter(|at| *at <= start + until) {
        ep.handle_timeout(at);
        lines.extend(sent(ep));
    }
    lines
}

/// The ACK for a non-2xx final response: same branch as the INVITE (§17.1.1.3).
fn ack(branch: &str, call_id: &str) -> Vec<u8> {
    request("ACK", call_id, None, 1, branch, "", "")
}

#[test]
fn a_refusal_over_tcp_is_sent_once_and_forgotten_at_the_ack() {
    for transport in [Transport::Tcp, Transport::Udp] {
        let (mut ep, now) = uas();
        deliver(
            &mut ep,
            now,
            transport,
            &request("INVITE", "r1", None, 1, "r1", SDP, OFFER),
        );
        ep.reject(now, &CallId("r1".into()), 488).unwrap();
        assert_eq!(sent(&mut ep).len(), 2, "100 and 488");
        let resent = run_timers(&mut ep, now, Duration::from_secs(3));
        let ack_at = now + Duration::from_secs(3);
        deliver(&mut ep, ack_at, transport, &ack("r1", "r1"));
        ep.handle_timeout(ack_at);
        match transport {
            // No Timer G; Timer I is zero: the transaction is gone with the ACK.
            Transport::Tcp | Transport::Tls => {
                assert!(resent.is_empty(), "{transport}: {resent:?}");
                assert!(ep.servers.is_empty(), "{transport}: Timer I is zero");
            }
            // Timer G: 500 ms, 1 s, 2 s...; Timer I keeps absorbing ACKs for T4.
            Transport::Udp => {
                assert_eq!(resent.len(), 2, "{resent:?}");
                assert!(resent.iter().all(|l| l.starts_with("SIP/2.0 488")));
                assert_eq!(ep.servers.len(), 1, "Timer I is T4 over UDP");
                ep.handle_timeout(ack_at + Duration::from_secs(5));
                assert!(ep.servers.is_empty());
            }
        }
    }
}

#[test]
fn over_tcp_timer_h_still_ends_a_refusal_that_is_never_acked() {
    let (mut ep, now) = uas();
    let invite = request("INVITE", "h1", None, 1, "h1", SDP, OFFER);
    deliver(&mut ep, now, Transport::Tcp, &invite);
    ep.reject(now, &CallId("h1".into()), 486).unwrap();
    sent(&mut ep);
    assert!(run_timers(&mut ep, now, Duration::from_secs(31)).is_empty());
    assert_eq!(ep.servers.len(), 1, "still waiting for the ACK");
    assert!(run_timers(&mut ep, now, Duration::from_secs(33)).is_empty());
    assert!(ep.servers.is_empty(), "Timer H (64*T1) gave up");
}

#[test]
fn a_non_invite_transaction_over_tcp_is_forgotten_once_answered() {
    for (transport, kept) in [(Transport::Tcp, false), (Transport::Udp, true)] {
        let (mut ep, now) = uas();
        let options = request("OPTIONS", "o1", None, 1, "o1", "", "");
        deliver(&mut ep, now, transport, &options);
        assert_eq!(sent(&mut ep), vec!["SIP/2.0 200 OK"]);
        ep.handle_timeout(now);
        // Timer J: zero over TCP, 64*T1 over UDP to answer retransmissions.
        assert_eq!(!ep.servers.is_empty(), kept, "{transport}");
    }
}

#[test]
fn our_bye_over_tcp_is_not_retransmitted_but_timer_f_still_ends_the_call() {
    for transport in [Transport::Tcp, Transport::Udp] {
        let (mut ep, now) = uas();
        let call = CallId("b1".into());
        deliver(
            &mut ep,
            now,
            transport,
            &request("INVITE", "b1", None, 1, "b1", SDP, OFFER),
        );
        ep.answer(now, &call, OFFER.into()).unwrap();
        sent(&mut ep);
        let to_tag = ep.calls["b1"].local_tag().to_string();
        let ack = request("ACK", "b1", Some(&to_tag), 1, "b1ack", "", "");
        deliver(&mut ep, now, transport, &ack);
        ep.hangup(now, &call).unwrap();
        assert!(sent(&mut ep)[0].starts_with("BYE "));
        let resent = run_timers(&mut ep, now, Duration::from_secs(40));
        let byes = resent.iter().filter(|l| l.starts_with("BYE ")).count();
        match transport {
            Transport::Udp => assert!(byes >= 5, "Timer E over UDP: {resent:?}"),
            _ => assert_eq!(byes, 0, "no Timer E over {transport}: {resent:?}"),
        }
        let ended = std::iter::from_fn(|| ep.poll_event())
            .any(|e| matches!(e, Event::Ended { call: c, cause: EndCause::LocalBye } if c == call));
        assert!(ended, "{transport}: Timer F reports the unanswered BYE");
    }
}

#[test]
fn a_2xx_over_tcp_is_still_retransmitted_until_the_ack() {
    let (mut ep, now) = uas();
    let call = CallId("ok1".into());
    deliver(
        &mut ep,
        now,
        Transport::Tcp,
        &request("INVITE", "ok1", None, 1, "ok1", SDP, OFFER),
    );
    ep.answer(now, &call, OFFER.into()).unwrap();
    sent(&mut ep);
    let resent = run_timers(&mut ep, now, Duration::from_millis(1600));
    assert_eq!(resent, vec!["SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
    let to_tag = ep.calls["ok1"].local_tag().to_string();
    let ack = request("ACK", "ok1", Some(&to_tag), 1, "ok1ack", "", "");
    deliver(
        &mut ep,
        now + Duration::from_millis(1600),
        Transport::Tcp,
        &ack,
    );
    assert!(run_timers(&mut ep, now, Duration::from_secs(40))
        .iter()
        .all(|l| !l.starts_with("SIP/2.0 200")));
}

/// Our INVITE to a peer whose TCP connection is up (an agent registered over TCP), and the
/// peer's response to it.
fn invite_over(ep: &mut Endpoint, now: Instant, transport: Transport) -> (CallId, String) {
    deliver(
        ep,
        now,
        transport,
        &request("OPTIONS", "up", None, 1, "up", "", ""),
    );
    sent(ep);
    let call = ep
        .invite(
            now,
            OutgoingCall {
                target_uri: "sip:agent@192.0.2.9".into(),
                from_uri: "sip:hotline@10.0.0.2".into(),
                destination: PEER.parse().unwrap(),
                sdp: OFFER.into(),
                extra_headers: Vec::new(),
                credentials: None,
            },
        )
        .unwrap();
    let invite = ep.poll_transmit().expect("our INVITE");
    assert_eq!(invite.transport, transport);
    (call, String::from_utf8(invite.payload).unwrap())
}

fn response_to(invite: &str, status: &str) -> Vec<u8> {
    let mut out = format!("SIP/2.0 {status}\r\n");
    for line in invite.lines() {
        if ["Via:", "From:", "Call-ID:", "CSeq:"]
            .iter()
            .any(|h| line.starts_with(h))
        {
            out.push_str(line);
            out.push_str("\r\n");
        } else if line.starts_with("To:") {
            out.push_str(&format!("{line};tag=agent\r\n"));
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out.into_bytes()
}

#[test]
fn our_invite_over_tcp_is_not_retransmitted_and_timer_d_is_zero() {
    for transport in [Transport::Tcp, Transport::Udp] {
        let (mut ep, now) = uas();
        let (_, invite) = invite_over(&mut ep, now, transport);
        let resent = run_timers(&mut ep, now, Duration::from_secs(3));
        match transport {
            Transport::Udp => assert_eq!(resent.len(), 2, "Timer A: {resent:?}"),
            _ => assert!(resent.is_empty(), "no Timer A over {transport}: {resent:?}"),
        }
        let busy_at = now + Duration::from_secs(3);
        deliver(
            &mut ep,
            busy_at,
            transport,
            &response_to(&invite, "486 Busy Here"),
        );
        assert_eq!(sent(&mut ep).len(), 1, "the ACK");
        ep.handle_timeout(busy_at);
        // Timer D: zero over TCP, 32 s over UDP to answer retransmitted 486s.
        assert_eq!(ep.clients.is_empty(), transport.is_stream(), "{transport}");
    }
}

#[test]
fn over_tcp_timer_b_still_fails_an_unanswered_invite_with_408() {
    let (mut ep, now) = uas();
    let (call, _) = invite_over(&mut ep, now, Transport::Tcp);
    assert!(run_timers(&mut ep, now, Duration::from_secs(40)).is_empty());
    let failed = std::iter::from_fn(|| ep.poll_event())
        .any(|e| matches!(e, Event::Failed { call: c, status: 408, .. } if c == call));
    assert!(failed);
}
