//! A server on a public address: nothing reflected to the address a Via names, strangers
//! refused before any state, forged responses dropped, floods cut off.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::build::response_to;
use super::uas_tests::{config, OFFER};
use super::*;
use crate::random::SplitMix64;
use crate::{parse_message, AccessPolicy, Request, Response};

const SOURCE: &str = "203.0.113.5:40000";

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
    list.iter().map(|n| n.parse().unwrap()).collect()
}

/// A request whose Via names `via_host` (a victim, when it is not the real source).
fn request_via(method: &str, call_id: &str, to_tag: Option<&str>, via_host: &str) -> Vec<u8> {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let body = if method == "INVITE" { OFFER } else { "" };
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "{method} sip:hotline@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP {via_host};branch=z9hG4bK{call_id}{method}\r\nMax-Forwards: 70\r\nFrom: <sip:bob@example.com>;tag=bobtag\r\nTo: <sip:hotline@10.0.0.2>{to_tag}\r\nCall-ID: {call_id}\r\nCSeq: 1 {method}\r\nContact: <sip:bob@{via_host}>\r\n{content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn drain(ep: &mut Endpoint) -> Vec<Transmit> {
    std::iter::from_fn(|| ep.poll_transmit()).collect()
}

fn status_of(t: &Transmit) -> u16 {
    match parse_message(&t.payload) {
        Ok(crate::Message::Response(r)) => r.status,
        other => panic!("not a response: {other:?}"),
    }
}

fn incoming_call(ep: &mut Endpoint) -> Option<CallId> {
    std::iter::from_fn(|| ep.poll_event()).find_map(|e| match e {
        Event::IncomingCall { call, .. } => Some(call),
        _ => None,
    })
}

/// Runs the endpoint's timers for `span`, collecting what it sends.
fn run_timers(ep: &mut Endpoint, from: Instant, span: Duration) -> Vec<Transmit> {
    let mut sent = Vec::new();
    while let Some(at) = ep.poll_timeout().filter(|at| *at <= from + span) {
        ep.handle_timeout(at);
        sent.extend(drain(ep));
    }
    sent
}

#[test]
fn every_response_to_an_invite_naming_another_host_goes_to_its_source() {
    let mut ep = Endpoint::new(config("10.0.0.2:5060"), SplitMix64::new(1));
    let now = Instant::now();
    let victim = "198.51.100.66:5060";
    ep.handle_datagram(
        now,
        addr(SOURCE),
        &request_via("INVITE", "refl", None, victim),
    );
    let call = incoming_call(&mut ep).expect("the call is offered");
    ep.ringing(now, &call).unwrap();
    ep.answer(now, &call, OFFER.into()).unwrap();
    // A retransmitted INVITE gets the latest response again.
    ep.handle_datagram(
        now,
        addr(SOURCE),
        &request_via("INVITE", "refl", None, victim),
    );
    let mut sent = drain(&mut ep);
    let statuses: Vec<u16> = sent.iter().map(status_of).collect();
    assert_eq!(statuses, vec![100, 180, 200, 200]);
    // No ACK ever comes: the 2xx is retransmitted until 64*T1, then the call ends with BYE.
    let retransmits = run_timers(&mut ep, now, Duration::from_secs(40));
    assert!(retransmits.len() >= 7, "{}", retransmits.len());
    sent.extend(retransmits);
    for t in &sent {
        assert_eq!(t.destination, addr(SOURCE), "sent to the Via's host");
    }
    let first = match parse_message(&sent[0].payload) {
        Ok(crate::Message::Response(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        first.headers.get("Via"),
        Some("SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bKreflINVITE;received=203.0.113.5;rport=40000")
    );
}

#[test]
fn a_refused_invite_is_retransmitted_to_its_source_only() {
    let mut ep = Endpoint::new(config("10.0.0.2:5060"), SplitMix64::new(1));
    let now = Instant::now();
    let via = "198.51.100.66:5060";
    ep.handle_datagram(now, addr(SOURCE), &request_via("INVITE", "busy", None, via));
    let call = incoming_call(&mut ep).unwrap();
    ep.reject(now, &call, 486).unwrap();
    let mut sent = drain(&mut ep);
    sent.extend(run_timers(&mut ep, now, Duration::from_secs(40)));
    assert!(sent.iter().filter(|t| status_of(t) == 486).count() >= 5);
    assert!(sent.iter().all(|t| t.destination == addr(SOURCE)));
    // A malformed request naming a victim is answered at its source too.
    let bad = b"INVITE sip:hotline@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bKbad\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: bad\r\nCSeq: x INVITE\r\nContent-Length: 0\r\n\r\n";
    ep.handle_datagram(now, addr(SOURCE), bad);
    let sent = drain(&mut ep);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].destination, addr(SOURCE));
}

fn guarded() -> (Endpoint, Instant) {
    let mut config = config("10.0.0.2:5060");
    config.access = AccessPolicy {
        call: nets(&["192.0.2.0/24"]),
        register: nets(&["10.1.0.0/16"]),
        other: nets(&["192.0.2.0/24", "10.1.0.0/16"]),
    };
    (Endpoint::new(config, SplitMix64::new(3)), Instant::now())
}

#[test]
fn strangers_get_a_stateless_403_and_no_transaction() {
    let (mut ep, now) = guarded();
    let stranger = addr("198.51.100.1:5060");
    for method in ["INVITE", "OPTIONS", "REGISTER", "BYE", "CANCEL", "MESSAGE"] {
        ep.handle_datagram(now, stranger, &request_via(method, "s1", None, "10.0.0.9"));
        let sent = drain(&mut ep);
        assert_eq!(sent.len(), 1, "{method}");
        assert_eq!(status_of(&sent[0]), 403, "{method}");
        assert_eq!(sent[0].destination, stranger);
        assert!(matches!(ep.poll_event(), Some(Event::Forbidden { .. })));
    }
    ep.handle_datagram(
        now,
        stranger,
        &request_via("ACK", "s1", Some("x"), "10.0.0.9"),
    );
    assert!(drain(&mut ep).is_empty(), "an ACK is never answered");
    assert!(ep.servers.is_empty() && ep.calls.is_empty());
    assert_eq!(ep.poll_timeout(), None, "nothing to remember");
    // A retransmission of a refused INVITE is refused again, still statelessly.
    ep.handle_datagram(
        now,
        stranger,
        &request_via("INVITE", "s1", None, "10.0.0.9"),
    );
    assert_eq!(drain(&mut ep).len(), 1);
    assert!(ep.servers.is_empty());
}

#[test]
fn calling_registering_and_other_requests_have_their_own_networks() {
    let (mut ep, now) = guarded();
    let trunk = addr("192.0.2.7:5060");
    let phone = addr("10.1.2.3:5060");
    // The phone network may not call; the trunk's may.
    ep.handle_datagram(now, phone, &request_via("INVITE", "c1", None, "10.1.2.3"));
    assert_eq!(
        drain(&mut ep).iter().map(status_of).collect::<Vec<_>>(),
        vec![403]
    );
    ep.handle_datagram(now, trunk, &request_via("INVITE", "c2", None, "192.0.2.7"));
    assert_eq!(
        drain(&mut ep).iter().map(status_of).collect::<Vec<_>>(),
        vec![100]
    );
    // The trunk may not register (no registrar here: 405 shows the request got in).
    ep.handle_datagram(
        now,
        trunk,
        &request_via("REGISTER", "r1", None, "192.0.2.7"),
    );
    assert_eq!(
        drain(&mut ep).iter().map(status_of).collect::<Vec<_>>(),
        vec![403]
    );
    ep.handle_datagram(now, phone, &request_via("REGISTER", "r2", None, "10.1.2.3"));
    assert_eq!(
        drain(&mut ep).iter().map(status_of).collect::<Vec<_>>(),
        vec![405]
    );
    // Both may ask OPTIONS.
    ep.handle_datagram(now, phone, &request_via("OPTIONS", "o1", None, "10.1.2.3"));
    assert_eq!(
        drain(&mut ep).iter().map(status_of).collect::<Vec<_>>(),
        vec![200]
    );
}

/// An endpoint that may be called by nobody, placing a call to an agent at `agent`.
fn calling_out(agent: SocketAddr) -> (Endpoint, Instant, CallId, Request) {
    let mut config = config("10.0.0.2:5060");
    config.access = AccessPolicy::only(&[]);
    let mut ep = Endpoint::new(config, SplitMix64::new(4));
    let now = Instant::now();
    let call = ep
        .invite(
            now,
            OutgoingCall {
                target_uri: format!("sip:agent@{agent}"),
                from_uri: "sip:hotline@10.0.0.2".into(),
                destination: agent,
                sdp: OFFER.into(),
                extra_headers: Vec::new(),
                credentials: None,
            },
        )
        .unwrap();
    let sent = drain(&mut ep);
    let Ok(crate::Message::Request(invite)) = parse_message(&sent[0].payload) else {
        panic!("an INVITE");
    };
    (ep, now, call, invite)
}

fn ok_to(invite: &Request, agent: SocketAddr) -> Vec<u8> {
    let vias = vec![invite.headers.get("Via").unwrap().to_string()];
    let mut ok: Response = response_to(invite, &vias, 200, Some("agenttag"), "phone");
    ok.headers.push("Contact", format!("<sip:agent@{agent}>"));
    ok.headers.push("Content-Type", "application/sdp");
    ok.body = OFFER.as_bytes().to_vec();
    ok.to_bytes()
}

#[test]
fn a_forged_answer_from_another_address_is_dropped() {
    let agent = addr("10.9.9.9:5060");
    let (mut ep, now, call, invite) = calling_out(agent);
    // An impostor who learnt the branch answers first, from elsewhere.
    ep.handle_datagram(now, addr("10.6.6.6:5060"), &ok_to(&invite, agent));
    assert!(drain(&mut ep).is_empty(), "no ACK to the impostor");
    assert_eq!(ep.poll_event(), None);
    // The same port on another host, and another port on the right host, are not the agent.
    ep.handle_datagram(now, addr("10.9.9.9:5999"), &ok_to(&invite, agent));
    assert_eq!(ep.poll_event(), None);
    ep.handle_datagram(now, agent, &ok_to(&invite, agent));
    assert!(matches!(ep.poll_event(), Some(Event::Answered { call: c, .. }) if c == call));
    let ack = drain(&mut ep);
    assert_eq!(ack[0].destination, agent);
}

#[test]
fn the_dialog_peer_may_send_in_dialog_requests_from_outside_every_network() {
    let agent = addr("10.9.9.9:5060");
    let (mut ep, now, call, invite) = calling_out(agent);
    ep.handle_datagram(now, agent, &ok_to(&invite, agent));
    let _ = drain(&mut ep);
    let _ = ep.poll_event();
    let our_tag = invite.headers.from().unwrap().tag().unwrap().to_string();
    let bye = |cseq: u32| {
        format!(
            "BYE sip:hotline@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKbye{cseq}\r\nMax-Forwards: 70\r\nFrom: <sip:agent@10.9.9.9>;tag=agenttag\r\nTo: {};tag={our_tag}\r\nCall-ID: {call}\r\nCSeq: {cseq} BYE\r\nContent-Length: 0\r\n\r\n",
            invite.headers.get("From").unwrap().split(';').next().unwrap(),
        )
        .into_bytes()
    };
    // Someone else naming the dialog's tags: 403, the call goes on.
    ep.handle_datagram(now, addr("10.9.9.10:5060"), &bye(5));
    assert_eq!(
        drain(&mut ep).iter().map(status_of).collect::<Vec<_>>(),
        vec![403]
    );
    assert!(matches!(ep.poll_event(), Some(Event::Forbidden { .. })));
    assert!(ep.calls.contains_key(&call.0));
    // The agent itself: 200 and the call ends.
    ep.handle_datagram(now, agent, &bye(6));
    assert_eq!(
        drain(&mut ep).iter().map(status_of).collect::<Vec<_>>(),
        vec![200]
    );
    assert!(matches!(ep.poll_event(), Some(Event::Ended { .. })));
}

#[test]
fn a_flooding_source_is_cut_off_and_reported_once() {
    let mut config = config("10.0.0.2:5060");
    config.flood = Some(crate::FloodLimit {
        requests: 5,
        interval: Duration::from_secs(2),
        block_for: Duration::from_secs(10),
        max_sources: 100,
    });
    let mut ep = Endpoint::new(config, SplitMix64::new(5));
    let now = Instant::now();
    let flooder = addr("198.51.100.9:5060");
    for i in 0..50 {
        let options = request_via("OPTIONS", &format!("f{i}"), None, "198.51.100.9");
        ep.handle_datagram(now, flooder, &options);
    }
    assert_eq!(drain(&mut ep).len(), 5, "only the first five are answered");
    let events: Vec<Event> = std::iter::from_fn(|| ep.poll_event()).collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(&events[0], Event::Flood(r) if r.newly_blocked));
    // Someone else still gets through.
    let other = request_via("OPTIONS", "other", None, "192.0.2.1");
    ep.handle_datagram(now, addr("192.0.2.1:5060"), &other);
    assert_eq!(drain(&mut ep).len(), 1);
}

#[test]
fn a_full_server_answers_503_with_retry_after() {
    let mut ep = Endpoint::new(config("10.0.0.2:5060"), SplitMix64::new(6));
    let now = Instant::now();
    ep.handle_datagram(
        now,
        addr(SOURCE),
        &request_via("INVITE", "full", None, "203.0.113.5"),
    );
    let call = incoming_call(&mut ep).unwrap();
    ep.reject_unavailable(now, &call, Duration::from_millis(30_400))
        .unwrap();
    let sent = drain(&mut ep);
    let Ok(crate::Message::Response(r)) = parse_message(&sent[1].payload) else {
        panic!("a response");
    };
    assert_eq!(r.status, 503);
    assert_eq!(r.headers.get("Retry-After"), Some("30"));
    assert!(ep.calls.is_empty());
}
