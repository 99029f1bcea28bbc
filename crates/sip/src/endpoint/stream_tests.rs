//! Messages that arrive on a TCP or TLS connection: what we send back goes on that
//! connection, names that transport in Via and Contact, and refused streams get 400/413.

use super::uas_tests::{lone_uas, request, OFFER, PEER};
use super::*;
use crate::{parse_message, Message, StreamDefect, StreamRefusal, Transport};

const TCP_LOCAL: &str = "10.0.0.2:5061";

fn drain(ep: &mut Endpoint) -> Vec<Transmit> {
    std::iter::from_fn(|| ep.poll_transmit()).collect()
}

fn text(t: &Transmit) -> String {
    String::from_utf8_lossy(&t.payload).into_owned()
}

fn incoming_call(ep: &mut Endpoint) -> CallId {
    std::iter::from_fn(|| ep.poll_event())
        .find_map(|e| match e {
            Event::IncomingCall { call, .. } => Some(call),
            _ => None,
        })
        .expect("an incoming call")
}

#[test]
fn a_call_over_tcp_is_answered_and_ended_on_that_connection() {
    let (mut ep, now) = lone_uas();
    ep.set_stream_listener(Transport::Tcp, TCP_LOCAL.parse().unwrap());
    let peer = PEER.parse().unwrap();
    let extra = "Content-Type: application/sdp\r\n";
    let invite = request("INVITE", "t1", None, 1, "t1", extra, OFFER);
    ep.handle_stream_message(now, peer, Transport::Tcp, &invite);
    let call = incoming_call(&mut ep);
    ep.answer(now, &call, OFFER.into()).unwrap();
    let sent = drain(&mut ep);
    assert!(sent.iter().all(|t| t.transport == Transport::Tcp));
    let ok = sent.iter().map(text).find(|t| t.starts_with("SIP/2.0 200"));
    let ok = ok.expect("a 200 OK");
    assert!(
        ok.contains("Contact: <sip:hotline@10.0.0.2:5061;transport=tcp>"),
        "{ok}"
    );

    ep.hangup(now, &call).unwrap();
    let bye = drain(&mut ep);
    assert_eq!(bye.len(), 1);
    assert_eq!(bye[0].transport, Transport::Tcp);
    assert!(text(&bye[0]).starts_with("BYE "));
    assert!(text(&bye[0]).contains("Via: SIP/2.0/TCP 10.0.0.2:5061;"));
}

#[test]
fn an_incoming_call_says_which_transport_it_came_over() {
    let (mut ep, now) = lone_uas();
    ep.set_stream_listener(Transport::Tls, TCP_LOCAL.parse().unwrap());
    let extra = "Content-Type: application/sdp\r\n";
    let invite = request("INVITE", "s1", None, 1, "s1", extra, OFFER);
    ep.handle_stream_message(now, PEER.parse().unwrap(), Transport::Tls, &invite);
    let udp_peer: SocketAddr = "192.0.2.77:5060".parse().unwrap();
    let invite = request("INVITE", "s2", None, 1, "s2", extra, OFFER);
    ep.handle_datagram(now, udp_peer, &invite);
    let transports: Vec<Transport> = std::iter::from_fn(|| ep.poll_event())
        .filter_map(|e| match e {
            Event::IncomingCall { transport, .. } => Some(transport),
            _ => None,
        })
        .collect();
    assert_eq!(transports, vec![Transport::Tls, Transport::Udp]);
}

#[test]
fn once_the_connection_is_closed_we_fall_back_to_udp() {
    let (mut ep, now) = lone_uas();
    ep.set_stream_listener(Transport::Tls, "10.0.0.2:5061".parse().unwrap());
    let peer = PEER.parse().unwrap();
    let options = request("OPTIONS", "o1", None, 1, "o1", "", "");
    ep.handle_stream_message(now, peer, Transport::Tls, &options);
    assert_eq!(drain(&mut ep)[0].transport, Transport::Tls);
    ep.connection_closed(peer);
    let options = request("OPTIONS", "o2", None, 1, "o2", "", "");
    ep.handle_datagram(now, peer, &options);
    assert_eq!(drain(&mut ep)[0].transport, Transport::Udp);
}

#[test]
fn a_refused_stream_gets_its_status_from_the_head() {
    let (mut ep, now) = lone_uas();
    let peer = PEER.parse().unwrap();
    let full = request("INFO", "i1", None, 1, "i1", "", "");
    let text_full = String::from_utf8(full).unwrap();
    let head = text_full.replace("Content-Length: 0\r\n\r\n", "Content-Length: 9999999\r\n");
    let refusal = StreamRefusal {
        status: 413,
        head: Some(head.into_bytes()),
        reason: StreamDefect::TooLarge,
    };
    ep.refuse_stream_message(now, peer, Transport::Tcp, &refusal);
    let sent = drain(&mut ep);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].transport, Transport::Tcp);
    match parse_message(&sent[0].payload) {
        Ok(Message::Response(r)) => {
            assert_eq!(r.status, 413);
            assert_eq!(r.headers.call_id(), Some("i1"));
        }
        other => panic!("not a response: {other:?}"),
    }
    // Nothing to answer without a head, and nothing for a stranger.
    let headless = StreamRefusal {
        status: 413,
        head: None,
        reason: StreamDefect::HeadTooLong,
    };
    ep.refuse_stream_message(now, peer, Transport::Tcp, &headless);
    assert!(drain(&mut ep).is_empty());
}
