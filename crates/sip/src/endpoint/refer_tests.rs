//! REFER as transferor and the NOTIFYs that follow (RFC 3515), against a hand-written peer.

use std::time::{Duration, Instant};

use super::uas_tests::{lone_uas, request, responses, ANSWER, OFFER, PEER};
use super::*;
use crate::{parse_message, Message, Request};

const AGENT: &str = "sip:agent1@198.51.100.20:31000";

/// An answered and ACKed incoming call "x1"; returns our To tag.
fn confirmed() -> (Endpoint, Instant, CallId, String) {
    let (mut ep, now) = lone_uas();
    let peer = PEER.parse().unwrap();
    let sdp = "Content-Type: application/sdp\r\n";
    ep.handle_datagram(
        now,
        peer,
        &request("INVITE", "x1", None, 1, "i1", sdp, OFFER),
    );
    let call = CallId("x1".into());
    ep.answer(now, &call, ANSWER.into()).unwrap();
    let r = responses(&mut ep);
    let tag = r[1].headers.to().unwrap().tag().unwrap().to_string();
    ep.handle_datagram(
        now,
        peer,
        &request("ACK", "x1", Some(&tag), 1, "a1", "", ""),
    );
    let events = drain_events(&mut ep);
    assert!(matches!(events.last(), Some(Event::Confirmed { .. })));
    (ep, now, call, tag)
}

fn drain_events(ep: &mut Endpoint) -> Vec<Event> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

/// Every datagram sent, as requests (all to the peer).
fn sent_requests(ep: &mut Endpoint) -> Vec<Request> {
    std::iter::from_fn(|| ep.poll_transmit())
        .map(|t| {
            assert_eq!(t.destination, PEER.parse().unwrap());
            match parse_message(&t.payload) {
                Ok(Message::Request(r)) => r,
                other => panic!("not a request: {other:?}"),
            }
        })
        .collect()
}

/// The peer's response to one of our requests.
fn reply_to(req: &Request, status: u16, reason: &str) -> Vec<u8> {
    let h = &req.headers;
    let vias: String = h.get_all("Via").map(|v| format!("Via: {v}\r\n")).collect();
    format!(
        "SIP/2.0 {status} {reason}\r\n{vias}From: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        h.get("From").unwrap(),
        h.get("To").unwrap(),
        h.call_id().unwrap(),
        h.get("CSeq").unwrap(),
    )
    .into_bytes()
}

fn notify(tag: &str, cseq: u32, event: &str, state: &str, frag: &str) -> Vec<u8> {
    let extra = format!(
        "Event: {event}\r\nSubscription-State: {state}\r\nContent-Type: message/sipfrag\r\n"
    );
    let branch = format!("n{cseq}");
    request("NOTIFY", "x1", Some(tag), cseq, &branch, &extra, frag)
}

#[test]
fn refer_accepted_then_notify_progress_then_bye() {
    let (mut ep, now, call, tag) = confirmed();
    let peer = PEER.parse().unwrap();
    ep.refer(now, &call, AGENT, Some("sip:hotline@10.0.0.2"))
        .unwrap();
    let sent = sent_requests(&mut ep);
    assert_eq!(sent.len(), 1);
    let refer = &sent[0];
    assert_eq!(refer.method, crate::Method::Refer);
    assert_eq!(refer.uri.to_string(), "sip:bob@192.0.2.9:5062");
    let h = &refer.headers;
    assert_eq!(h.get("Refer-To"), Some(format!("<{AGENT}>").as_str()));
    assert_eq!(h.get("Referred-By"), Some("<sip:hotline@10.0.0.2>"));
    assert_eq!(h.get("CSeq"), Some("1 REFER"));
    assert_eq!(h.to().unwrap().tag(), Some("bobtag"));
    assert_eq!(h.from().unwrap().tag(), Some(tag.as_str()));

    ep.handle_datagram(now, peer, &reply_to(refer, 202, "Accepted"));
    assert_eq!(
        drain_events(&mut ep),
        vec![Event::ReferAnswered {
            call: call.clone(),
            status: 202,
            reason: "Accepted".into()
        }]
    );
    // The transaction is over: no retransmission of the REFER.
    ep.handle_timeout(now + Duration::from_secs(2));
    assert!(sent_requests(&mut ep).is_empty());

    let trying = notify(
        &tag,
        2,
        "refer",
        "active;expires=60",
        "SIP/2.0 100 Trying\r\n",
    );
    ep.handle_datagram(now, peer, &trying);
    let r = responses(&mut ep);
    assert_eq!((r.len(), r[0].status), (1, 200));
    assert_eq!(
        drain_events(&mut ep),
        vec![Event::ReferProgress {
            call: call.clone(),
            status: Some(100),
            terminated: false
        }]
    );
    let done = notify(
        &tag,
        3,
        "refer;id=1",
        "terminated;reason=noresource",
        "SIP/2.0 200 OK\r\n",
    );
    ep.handle_datagram(now, peer, &done);
    assert_eq!(responses(&mut ep)[0].status, 200);
    assert_eq!(
        drain_events(&mut ep),
        vec![Event::ReferProgress {
            call: call.clone(),
            status: Some(200),
            terminated: true
        }]
    );

    // Transfer done: hang up right away.
    ep.hangup(now, &call).unwrap();
    let sent = sent_requests(&mut ep);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, crate::Method::Bye);
    assert_eq!(sent[0].headers.get("CSeq"), Some("2 BYE"));
    ep.handle_datagram(now, peer, &reply_to(&sent[0], 200, "OK"));
    assert_eq!(
        drain_events(&mut ep),
        vec![Event::Ended {
            call: call.clone(),
            cause: EndCause::LocalBye
        }]
    );
    // A late NOTIFY after the dialog is gone matches nothing.
    ep.handle_datagram(now, peer, &notify(&tag, 4, "refer", "terminated", ""));
    assert_eq!(responses(&mut ep)[0].status, 481);
}

#[test]
fn refer_declined_is_reported_and_the_call_goes_on() {
    let (mut ep, now, call, _) = confirmed();
    let peer = PEER.parse().unwrap();
    ep.refer(now, &call, AGENT, None).unwrap();
    let refer = sent_requests(&mut ep).remove(0);
    assert_eq!(refer.headers.get("Referred-By"), None);
    ep.handle_datagram(now, peer, &reply_to(&refer, 603, "Decline"));
    assert_eq!(
        drain_events(&mut ep),
        vec![Event::ReferAnswered {
            call: call.clone(),
            status: 603,
            reason: "Decline".into()
        }]
    );
    // A retransmitted 603 is not reported twice.
    ep.handle_datagram(now, peer, &reply_to(&refer, 603, "Decline"));
    assert!(drain_events(&mut ep).is_empty());
    ep.hangup(now, &call).unwrap();
    assert_eq!(sent_requests(&mut ep)[0].method, crate::Method::Bye);
}

#[test]
fn unanswered_refer_times_out_with_408() {
    let (mut ep, start, call, _) = confirmed();
    ep.refer(start, &call, AGENT, None).unwrap();
    let mut refers = sent_requests(&mut ep).len();
    let mut events = Vec::new();
    while let Some(at) = ep.poll_timeout() {
        if at > start + Duration::from_secs(40) {
            break;
        }
        ep.handle_timeout(at);
        refers += sent_requests(&mut ep)
            .iter()
            .filter(|r| r.method == crate::Method::Refer)
            .count();
        events.extend(drain_events(&mut ep));
    }
    // Timer E: 0, 0.5, 1.5, 3.5, 7.5, then every 4 s until Timer F at 32 s.
    assert_eq!(refers, 11);
    assert_eq!(
        events,
        vec![Event::ReferAnswered {
            call,
            status: 408,
            reason: "Request Timeout".into()
        }]
    );
}

#[test]
fn notify_outside_a_dialog_and_other_packages() {
    let (mut ep, now, call, tag) = confirmed();
    let peer = PEER.parse().unwrap();
    let extra = "Event: refer\r\nSubscription-State: active\r\n";
    ep.handle_datagram(
        now,
        peer,
        &request("NOTIFY", "zz", None, 1, "o1", extra, ""),
    );
    assert_eq!(responses(&mut ep)[0].status, 481);
    ep.handle_datagram(
        now,
        peer,
        &request("NOTIFY", "x1", Some("wrongtag"), 2, "o2", extra, ""),
    );
    assert_eq!(responses(&mut ep)[0].status, 481);
    // Another package in the dialog: 200, nothing reported.
    ep.handle_datagram(now, peer, &notify(&tag, 3, "dialog", "active", ""));
    assert_eq!(responses(&mut ep)[0].status, 200);
    // A refer NOTIFY without a sipfrag status line still reports progress.
    ep.handle_datagram(now, peer, &notify(&tag, 4, "refer", "active", "garbage"));
    assert_eq!(responses(&mut ep)[0].status, 200);
    // REFER from the peer is not accepted.
    ep.handle_datagram(
        now,
        peer,
        &request(
            "REFER",
            "x1",
            Some(&tag),
            5,
            "o5",
            "Refer-To: <sip:x@y>\r\n",
            "",
        ),
    );
    let r = responses(&mut ep);
    assert_eq!(r[0].status, 405);
    let allow = r[0].headers.allow();
    assert!(allow.contains(&"NOTIFY".to_string()), "{allow:?}");
    assert!(!allow.contains(&"REFER".to_string()));
    assert!(!allow.contains(&"REGISTER".to_string()));
    assert_eq!(
        drain_events(&mut ep),
        vec![Event::ReferProgress {
            call,
            status: None,
            terminated: false
        }]
    );
}

#[test]
fn refer_misuse_is_refused() {
    let (mut ep, now) = lone_uas();
    let unknown = CallId("none".into());
    assert!(matches!(
        ep.refer(now, &unknown, AGENT, None),
        Err(crate::SipError::UnknownCall { .. })
    ));
    let peer = PEER.parse().unwrap();
    ep.handle_datagram(now, peer, &request("INVITE", "in", None, 1, "i9", "", ""));
    let ringing = CallId("in".into());
    assert!(matches!(
        ep.refer(now, &ringing, AGENT, None),
        Err(crate::SipError::CallState { .. })
    ));
    let (mut ep, now, call, _) = confirmed();
    assert!(matches!(
        ep.refer(now, &call, "not a uri", None),
        Err(crate::SipError::InvalidUri { .. })
    ));
    assert!(matches!(
        ep.refer(now, &call, AGENT, Some("sip:a@b>\r\nX: 1")),
        Err(crate::SipError::InvalidUri { .. })
    ));
    assert!(sent_requests(&mut ep).is_empty());
}
