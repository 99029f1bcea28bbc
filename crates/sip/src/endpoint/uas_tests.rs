//! Hand-written requests against a lone UAS, for the paths our own UAC never takes.

use crate::random::SplitMix64;
use std::time::{Duration, Instant};

use super::*;
use crate::{parse_message, Message, Response};

pub(super) const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
pub(super) const ANSWER: &str = "v=0\r\no=- 2 2 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";

pub(super) fn config(addr: &str) -> EndpointConfig {
    let config = EndpointConfig::new(addr.parse().unwrap());
    assert_eq!(
        (config.t1, config.t2),
        (Duration::from_millis(500), Duration::from_secs(4))
    );
    config
}

pub(super) const PEER: &str = "192.0.2.9:5062";

pub(super) fn request(
    method: &str,
    call_id: &str,
    to_tag: Option<&str>,
    cseq: u32,
    branch: &str,
    extra: &str,
    body: &str,
) -> Vec<u8> {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    format!(
        "{method} sip:hotline@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5062;branch=z9hG4bK{branch}\r\nMax-Forwards: 70\r\nFrom: <sip:bob@192.0.2.9>;tag=bobtag\r\nTo: <sip:hotline@10.0.0.2>{to_tag}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:bob@192.0.2.9:5062>\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub(super) fn lone_uas() -> (Endpoint, Instant) {
    (
        Endpoint::new(config("10.0.0.2:5060"), SplitMix64::new(9)),
        Instant::now(),
    )
}

pub(super) fn responses(ep: &mut Endpoint) -> Vec<Response> {
    std::iter::from_fn(|| ep.poll_transmit())
        .map(|t| {
            assert_eq!(t.destination, PEER.parse().unwrap());
            match parse_message(&t.payload) {
                Ok(Message::Response(r)) => r,
                other => panic!("not a response: {other:?}"),
            }
        })
        .collect()
}

fn statuses(ep: &mut Endpoint) -> Vec<u16> {
    responses(ep).iter().map(|r| r.status).collect()
}

#[test]
fn options_unknown_method_and_unknown_dialog() {
    let (mut ep, now) = lone_uas();
    let peer = PEER.parse().unwrap();
    ep.handle_datagram(now, peer, &request("OPTIONS", "o1", None, 1, "o1", "", ""));
    let r = responses(&mut ep);
    assert_eq!(r[0].status, 200);
    assert!(r[0].headers.allow().contains(&"INVITE".to_string()));
    assert_eq!(r[0].headers.get("Accept"), Some("application/sdp"));
    assert!(r[0].headers.to().unwrap().tag().is_some());

    ep.handle_datagram(
        now,
        peer,
        &request("FROBNICATE", "o2", None, 1, "o2", "", ""),
    );
    let r = responses(&mut ep);
    assert_eq!(r[0].status, 501);
    assert!(r[0].headers.get("Allow").is_some());

    ep.handle_datagram(
        now,
        peer,
        &request("SUBSCRIBE", "o3", None, 1, "o3", "", ""),
    );
    assert_eq!(statuses(&mut ep), vec![405]);

    ep.handle_datagram(
        now,
        peer,
        &request("BYE", "nope", Some("x"), 2, "o4", "", ""),
    );
    assert_eq!(statuses(&mut ep), vec![481]);
    ep.handle_datagram(now, peer, &request("CANCEL", "nope", None, 2, "o5", "", ""));
    assert_eq!(statuses(&mut ep), vec![481]);
    assert_eq!(ep.poll_event(), None);
}

#[test]
fn retransmitted_invite_repeats_the_latest_response_and_is_announced_once() {
    let (mut ep, now) = lone_uas();
    let peer = PEER.parse().unwrap();
    let invite = request(
        "INVITE",
        "dup",
        None,
        1,
        "dup",
        "Content-Type: application/sdp\r\n",
        OFFER,
    );
    ep.handle_datagram(now, peer, &invite);
    let trying = std::iter::from_fn(|| ep.poll_transmit()).collect::<Vec<_>>();
    ep.handle_datagram(now, peer, &invite);
    assert_eq!(
        std::iter::from_fn(|| ep.poll_transmit()).collect::<Vec<_>>(),
        trying
    );
    let call = CallId("dup".into());
    ep.ringing(now, &call).unwrap();
    let ringing = ep.poll_transmit().unwrap();
    ep.handle_datagram(now, peer, &invite);
    assert_eq!(ep.poll_transmit(), Some(ringing));
    let events: Vec<Event> = std::iter::from_fn(|| ep.poll_event()).collect();
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0], Event::IncomingCall { call: c, .. } if *c == call));
    // A second INVITE with the same Call-ID but a new transaction is a merged request.
    ep.handle_datagram(
        now,
        peer,
        &request("INVITE", "dup", None, 2, "dup2", "", ""),
    );
    assert_eq!(statuses(&mut ep), vec![482]);
}

#[test]
fn reinvite_gets_our_last_sdp_and_bye_ends() {
    let (mut ep, now) = lone_uas();
    let peer = PEER.parse().unwrap();
    ep.handle_datagram(
        now,
        peer,
        &request(
            "INVITE",
            "re",
            None,
            1,
            "re1",
            "Content-Type: application/sdp\r\n",
            OFFER,
        ),
    );
    let call = CallId("re".into());
    ep.answer(now, &call, ANSWER.into()).unwrap();
    let r = responses(&mut ep);
    let tag = r[1].headers.to().unwrap().tag().unwrap().to_string();
    assert_eq!(
        r[1].headers.get("Contact"),
        Some("<sip:hotline@10.0.0.2:5060>")
    );
    ep.handle_datagram(
        now,
        peer,
        &request("ACK", "re", Some(&tag), 1, "re2", "", ""),
    );
    ep.handle_datagram(
        now,
        peer,
        &request(
            "INVITE",
            "re",
            Some(&tag),
            2,
            "re3",
            "Content-Type: application/sdp\r\n",
            OFFER,
        ),
    );
    let r = responses(&mut ep);
    assert_eq!(r[0].status, 200);
    assert_eq!(r[0].body, ANSWER.as_bytes());
    // An out-of-order request in the dialog is refused.
    ep.handle_datagram(
        now,
        peer,
        &request("INFO", "re", Some(&tag), 1, "re4", "", ""),
    );
    assert_eq!(statuses(&mut ep), vec![500]);
    ep.handle_datagram(
        now,
        peer,
        &request("BYE", "re", Some(&tag), 3, "re5", "", ""),
    );
    assert_eq!(statuses(&mut ep), vec![200]);
    let events: Vec<Event> = std::iter::from_fn(|| ep.poll_event()).collect();
    assert_eq!(
        events.last(),
        Some(&Event::Ended {
            call,
            cause: EndCause::RemoteBye
        })
    );
}

#[test]
fn multipart_offer_is_unpacked_and_unknown_bodies_refused() {
    let (mut ep, now) = lone_uas();
    let peer = PEER.parse().unwrap();
    let body = format!("--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/sdp\r\n\r\n{OFFER}\r\n--b--\r\n");
    let ct = "Content-Type: multipart/mixed;boundary=b\r\n";
    ep.handle_datagram(
        now,
        peer,
        &request("INVITE", "mp", None, 1, "mp", ct, &body),
    );
    assert_eq!(statuses(&mut ep), vec![100]);
    let Some(Event::IncomingCall { offer, .. }) = ep.poll_event() else {
        panic!("no call")
    };
    assert_eq!(offer.as_deref(), Some(OFFER));
    let ct = "Content-Type: text/html\r\n";
    ep.handle_datagram(
        now,
        peer,
        &request("INVITE", "html", None, 1, "html", ct, "<p>"),
    );
    assert_eq!(statuses(&mut ep), vec![415]);
}

#[test]
fn api_misuse_is_reported() {
    let (mut ep, now) = lone_uas();
    let unknown = CallId("none".into());
    assert!(matches!(
        ep.ringing(now, &unknown),
        Err(crate::SipError::UnknownCall { .. })
    ));
    assert!(matches!(
        ep.hangup(now, &unknown),
        Err(crate::SipError::UnknownCall { .. })
    ));
    let bad = OutgoingCall {
        target_uri: "mailto:x@y".into(),
        from_uri: "sip:a@b".into(),
        destination: PEER.parse().unwrap(),
        sdp: String::new(),
        extra_headers: Vec::new(),
        credentials: None,
    };
    assert!(matches!(
        ep.invite(now, bad.clone()),
        Err(crate::SipError::InvalidUri { .. })
    ));
    let bad = OutgoingCall {
        target_uri: "sip:x@y".into(),
        extra_headers: vec![("X-Bad".into(), "a\r\nInjected: 1".into())],
        credentials: None,
        ..bad
    };
    assert!(matches!(
        ep.invite(now, bad),
        Err(crate::SipError::InvalidHeader { .. })
    ));
}

#[test]
fn delayed_offer_the_ack_carries_the_answer() {
    let (mut ep, now) = lone_uas();
    let peer = PEER.parse().unwrap();
    // An INVITE without SDP: our 200 makes the offer, the ACK answers it (RFC 3264).
    ep.handle_datagram(now, peer, &request("INVITE", "d1", None, 1, "d1", "", ""));
    let call = CallId("d1".into());
    ep.answer(now, &call, OFFER.into()).unwrap();
    let r = responses(&mut ep);
    let tag = r[1].headers.to().unwrap().tag().unwrap().to_string();
    ep.handle_datagram(
        now,
        peer,
        &request(
            "ACK",
            "d1",
            Some(&tag),
            1,
            "d2",
            "Content-Type: application/sdp\r\n",
            ANSWER,
        ),
    );
    let events: Vec<Event> = std::iter::from_fn(|| ep.poll_event()).collect();
    assert!(
        events.contains(&Event::Confirmed {
            call: call.clone(),
            answer: Some(ANSWER.into())
        }),
        "{events:?}"
    );
}

#[test]
fn options_with_accept_text_plain_gets_200_with_capabilities() {
    let (mut ep, now) = lone_uas();
    let options = "OPTIONS sip:hotline@10.0.0.2 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bKsipsak1;rport\r\n\
        From: <sip:sipsak@10.0.0.7>;tag=1\r\nTo: <sip:hotline@10.0.0.2>\r\n\
        Call-ID: sipsak1\r\nCSeq: 1 OPTIONS\r\nAccept: text/plain\r\nContent-Length: 0\r\n\r\n";
    ep.handle_datagram(now, "10.0.0.7:5060".parse().unwrap(), options.as_bytes());
    let reply = String::from_utf8(ep.poll_transmit().expect("a reply").payload).unwrap();
    assert!(reply.starts_with("SIP/2.0 200"), "{reply}");
    for header in ["Allow:", "Accept:", "Supported:"] {
        assert!(reply.contains(header), "{header} missing in {reply}");
    }
}

#[test]
fn a_refusal_can_say_why_in_a_warning_header() {
    let (mut ep, now) = lone_uas();
    let peer = PEER.parse().unwrap();
    let extra = "Content-Type: application/sdp\r\n";
    ep.handle_datagram(
        now,
        peer,
        &request("INVITE", "w1", None, 1, "w1", extra, OFFER),
    );
    let warning = crate::Warning::new(302, "SRTP required").unwrap();
    ep.reject_with_warning(now, &CallId("w1".into()), 488, &warning)
        .unwrap();
    let refusal = responses(&mut ep).pop().unwrap();
    assert_eq!(refusal.status, 488);
    assert_eq!(
        refusal.headers.get("Warning"),
        Some("302 10.0.0.2:5060 \"SRTP required\"")
    );
}
