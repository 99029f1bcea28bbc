//! Our INVITE through a trunk that asks for digest credentials: the challenge is ACKed and the
//! INVITE sent again once with the answer; a second challenge ends the call.

use std::time::Instant;

use super::uas_tests::{config, OFFER};
use super::*;
use crate::random::SplitMix64;
use crate::{parse_message, Message, Method, Request};

const TRUNK: &str = "10.0.0.2:5070";

fn sent(endpoint: &mut Endpoint) -> Vec<Request> {
    let mut out = Vec::new();
    while let Some(t) = endpoint.poll_transmit() {
        match parse_message(&t.payload).unwrap() {
            Message::Request(r) => out.push(r),
            Message::Response(r) => panic!("unexpected response {}", r.status),
        }
    }
    out
}

fn challenge_to(invite: &Request, status: u16, header: &str) -> Vec<u8> {
    let h = &invite.headers;
    format!(
        "SIP/2.0 {status} Auth\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=trunk1\r\nCall-ID: {}\r\n\
         CSeq: {}\r\n{header}: Digest realm=\"trunk\", nonce=\"n{status}\", qop=\"auth\", algorithm=MD5\r\n\
         Content-Length: 0\r\n\r\n",
        h.get("Via").unwrap(),
        h.get("From").unwrap(),
        h.get("To").unwrap(),
        h.get("Call-ID").unwrap(),
        h.get("CSeq").unwrap(),
    )
    .into_bytes()
}

fn place(endpoint: &mut Endpoint, now: Instant, credentials: Option<(String, String)>) -> CallId {
    endpoint
        .invite(
            now,
            OutgoingCall {
                target_uri: format!("sip:+15551234@{TRUNK}"),
                from_uri: "sip:+12125550100@10.0.0.1".into(),
                destination: TRUNK.parse().unwrap(),
                sdp: OFFER.into(),
                extra_headers: Vec::new(),
                credentials,
            },
        )
        .unwrap()
}

#[test]
fn a_407_is_answered_once_with_proxy_authorization() {
    let now = Instant::now();
    let mut uac = Endpoint::new(config("10.0.0.1:5060"), SplitMix64::new(7));
    let call = place(&mut uac, now, Some(("hotline".into(), "s3cret".into())));
    let first = sent(&mut uac).remove(0);
    uac.handle_datagram(
        now,
        TRUNK.parse().unwrap(),
        &challenge_to(&first, 407, "Proxy-Authenticate"),
    );
    let out = sent(&mut uac);
    assert_eq!(out.len(), 2, "an ACK and the new INVITE");
    assert_eq!(out[0].method, Method::Ack);
    assert_eq!(out[0].headers.get("CSeq"), Some("1 ACK"));
    let second = &out[1];
    assert_eq!(second.method, Method::Invite);
    assert_eq!(second.headers.get("CSeq"), Some("2 INVITE"));
    assert_eq!(second.headers.get("Call-ID"), first.headers.get("Call-ID"));
    assert_eq!(second.headers.get("From"), first.headers.get("From"));
    assert_ne!(second.headers.get("Via"), first.headers.get("Via"));
    let auth = second.headers.get("Proxy-Authorization").unwrap();
    let credentials = crate::digest::parse_authorization(auth).unwrap();
    assert_eq!(credentials.uri, format!("sip:+15551234@{TRUNK}"));
    assert!(crate::digest::verify(
        &credentials,
        "trunk",
        "s3cret",
        "INVITE"
    ));
    assert_eq!(uac.poll_event(), None, "the challenge is not a failure");

    // A second challenge (wrong password, say) is final.
    uac.handle_datagram(
        now,
        TRUNK.parse().unwrap(),
        &challenge_to(second, 407, "Proxy-Authenticate"),
    );
    let out = sent(&mut uac);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].headers.get("CSeq"), Some("2 ACK"));
    assert_eq!(
        uac.poll_event(),
        Some(Event::Failed {
            call,
            status: 407,
            reason: "Auth".into()
        })
    );
}

#[test]
fn a_401_gets_authorization_and_without_credentials_a_challenge_is_final() {
    let now = Instant::now();
    let mut uac = Endpoint::new(config("10.0.0.1:5060"), SplitMix64::new(8));
    place(&mut uac, now, Some(("u".into(), "p".into())));
    let first = sent(&mut uac).remove(0);
    uac.handle_datagram(
        now,
        TRUNK.parse().unwrap(),
        &challenge_to(&first, 401, "WWW-Authenticate"),
    );
    let out = sent(&mut uac);
    assert!(out[1].headers.get("Authorization").is_some());
    assert!(out[1].headers.get("Proxy-Authorization").is_none());

    let mut bare = Endpoint::new(config("10.0.0.1:5060"), SplitMix64::new(9));
    let call = place(&mut bare, now, None);
    let first = sent(&mut bare).remove(0);
    bare.handle_datagram(
        now,
        TRUNK.parse().unwrap(),
        &challenge_to(&first, 401, "WWW-Authenticate"),
    );
    assert_eq!(sent(&mut bare).len(), 1, "only the ACK");
    assert!(
        matches!(bare.poll_event(), Some(Event::Failed { call: c, status: 401, .. }) if c == call)
    );
}
