//! Two endpoints calling each other through an in-memory network with a virtual clock.

use crate::random::SplitMix64;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::uas_tests::{config, ANSWER, OFFER};
use super::*;
use crate::Method;

const UAC: usize = 0;
const UAS: usize = 1;

/// One datagram seen on the wire.
struct Sent {
    at: Duration,
    from: usize,
    first_line: String,
    dropped: bool,
}

type Filter = Box<dyn FnMut(usize, &str) -> bool>;

/// Two endpoints and a lossy wire; `drop(from, first_line)` decides losses.
struct Net {
    start: Instant,
    now: Instant,
    endpoints: [Endpoint; 2],
    addrs: [SocketAddr; 2],
    events: [Vec<Event>; 2],
    log: Vec<Sent>,
    drop: Filter,
}

impl Net {
    fn new() -> Net {
        let start = Instant::now();
        Net {
            start,
            now: start,
            endpoints: [
                Endpoint::new(config("10.0.0.1:5060"), SplitMix64::new(1)),
                Endpoint::new(config("10.0.0.2:5060"), SplitMix64::new(2)),
            ],
            addrs: [
                "10.0.0.1:5060".parse().unwrap(),
                "10.0.0.2:5060".parse().unwrap(),
            ],
            events: [Vec::new(), Vec::new()],
            log: Vec::new(),
            drop: Box::new(|_, _| false),
        }
    }

    /// Delivers datagrams until both sides are quiet.
    fn settle(&mut self) {
        loop {
            let mut moved = false;
            for from in [UAC, UAS] {
                while let Some(t) = self.endpoints[from].poll_transmit() {
                    moved = true;
                    let text = String::from_utf8_lossy(&t.payload);
                    let first_line = text.lines().next().unwrap_or_default().to_string();
                    let to = 1 - from;
                    let dropped = t.destination != self.addrs[to] || (self.drop)(from, &first_line);
                    self.log.push(Sent {
                        at: self.now - self.start,
                        from,
                        first_line,
                        dropped,
                    });
                    if !dropped {
                        let source = self.addrs[from];
                        self.endpoints[to].handle_datagram(self.now, source, &t.payload);
                    }
                }
            }
            for side in [UAC, UAS] {
                while let Some(e) = self.endpoints[side].poll_event() {
                    self.events[side].push(e);
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Advances the virtual clock timer by timer up to `limit` from the start.
    fn run_until(&mut self, limit: Duration) {
        self.settle();
        loop {
            let next = self
                .endpoints
                .iter()
                .filter_map(Endpoint::poll_timeout)
                .min();
            match next {
                Some(at) if at <= self.start + limit => {
                    self.now = self.now.max(at);
                    for e in &mut self.endpoints {
                        e.handle_timeout(self.now);
                    }
                    self.settle();
                }
                _ => break,
            }
        }
        self.now = self.now.max(self.start + limit);
    }

    fn call(&mut self) -> CallId {
        let request = OutgoingCall {
            target_uri: "sip:support@10.0.0.2".into(),
            from_uri: "sip:alice@10.0.0.1".into(),
            destination: self.addrs[UAS],
            sdp: OFFER.into(),
            extra_headers: vec![("X-Queue".into(), "billing".into())],
            credentials: None,
        };
        let id = self.endpoints[UAC].invite(self.now, request).unwrap();
        self.settle();
        id
    }

    fn uas(&mut self) -> &mut Endpoint {
        &mut self.endpoints[UAS]
    }

    fn uac(&mut self) -> &mut Endpoint {
        &mut self.endpoints[UAC]
    }

    fn lines(&self, from: usize, prefix: &str) -> Vec<&Sent> {
        self.log
            .iter()
            .filter(|s| s.from == from && s.first_line.starts_with(prefix))
            .collect()
    }

    fn wire(&self) -> Vec<String> {
        self.log.iter().map(|s| s.first_line.clone()).collect()
    }
}

fn answered_call(net: &mut Net) -> CallId {
    let id = net.call();
    let now = net.now;
    net.uas().answer(now, &id, ANSWER.into()).unwrap();
    net.settle();
    id
}

#[test]
fn full_call_with_bye_from_the_caller() {
    let mut net = Net::new();
    let id = net.call();
    let Some(Event::IncomingCall {
        call,
        offer,
        from,
        request_uri,
        ..
    }) = net.events[UAS].first().cloned()
    else {
        panic!("no IncomingCall: {:?}", net.events[UAS])
    };
    assert_eq!(call, id);
    assert_eq!(offer.as_deref(), Some(OFFER));
    assert!(from.starts_with("<sip:alice@10.0.0.1>;tag="));
    assert_eq!(request_uri, "sip:support@10.0.0.2");
    let now = net.now;
    net.uas().ringing(now, &id).unwrap();
    net.settle();
    assert_eq!(net.events[UAC], vec![Event::Ringing { call: id.clone() }]);
    net.uas().answer(now, &id, ANSWER.into()).unwrap();
    net.settle();
    assert_eq!(
        net.events[UAC][1],
        Event::Answered {
            call: id.clone(),
            answer: Some(ANSWER.into())
        }
    );
    assert_eq!(
        net.events[UAS][1],
        Event::Confirmed {
            call: id.clone(),
            answer: None
        }
    );
    net.uac().hangup(now, &id).unwrap();
    net.settle();
    assert_eq!(
        net.events[UAC].last(),
        Some(&Event::Ended {
            call: id.clone(),
            cause: EndCause::LocalBye
        })
    );
    assert_eq!(
        net.events[UAS].last(),
        Some(&Event::Ended {
            call: id.clone(),
            cause: EndCause::RemoteBye
        })
    );
    assert_eq!(
        net.wire(),
        vec![
            "INVITE sip:support@10.0.0.2 SIP/2.0",
            "SIP/2.0 100 Trying",
            "SIP/2.0 180 Ringing",
            "SIP/2.0 200 OK",
            "ACK sip:hotline@10.0.0.2:5060 SIP/2.0",
            "BYE sip:hotline@10.0.0.2:5060 SIP/2.0",
            "SIP/2.0 200 OK",
        ]
    );
    // Nothing is left running afterwards except transaction clean-up.
    net.run_until(Duration::from_secs(120));
    assert_eq!(net.log.len(), 7);
    assert_eq!(net.uac().poll_timeout(), None);
    assert_eq!(net.uas().poll_timeout(), None);
    assert!(net.uac().hangup(now, &id).is_err());
}

#[test]
fn bye_from_the_callee() {
    let mut net = Net::new();
    let id = answered_call(&mut net);
    let now = net.now;
    net.uas().hangup(now, &id).unwrap();
    net.settle();
    assert_eq!(
        net.events[UAS].last(),
        Some(&Event::Ended {
            call: id.clone(),
            cause: EndCause::LocalBye
        })
    );
    assert_eq!(
        net.events[UAC].last(),
        Some(&Event::Ended {
            call: id,
            cause: EndCause::RemoteBye
        })
    );
    assert_eq!(net.lines(UAS, "BYE sip:hotline@10.0.0.1:5060").len(), 1);
}

#[test]
fn lost_acks_make_the_2xx_retransmit_with_backoff_then_bye() {
    let mut net = Net::new();
    net.drop = Box::new(|from, line| from == UAC && line.starts_with("ACK"));
    let id = answered_call(&mut net);
    net.run_until(Duration::from_secs(40));
    let sent: Vec<f64> = net
        .lines(UAS, "SIP/2.0 200")
        .iter()
        .map(|s| s.at.as_secs_f64())
        .collect();
    let gaps: Vec<f64> = sent.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(&gaps[..5], &[0.5, 1.0, 2.0, 4.0, 4.0], "{gaps:?}");
    assert!(gaps.iter().all(|g| *g <= 4.0));
    // Every retransmitted 2xx is ACKed again by the caller (and every ACK is lost).
    assert_eq!(net.lines(UAC, "ACK").len(), sent.len());
    assert!(net.lines(UAC, "ACK").iter().all(|s| s.dropped));
    assert!(net.events[UAS].contains(&Event::Ended {
        call: id.clone(),
        cause: EndCause::AckTimeout
    }));
    assert!(!net.events[UAS].contains(&Event::Confirmed {
        call: id.clone(),
        answer: None
    }));
    let bye = net.lines(UAS, "BYE");
    assert_eq!(bye.len(), 1);
    assert_eq!(bye[0].at, Duration::from_secs(32));
    assert_eq!(
        net.events[UAC].last(),
        Some(&Event::Ended {
            call: id,
            cause: EndCause::RemoteBye
        })
    );
    // The AckTimeout BYE completes silently: a single Ended for the UAS.
    let ended = net.events[UAS]
        .iter()
        .filter(|e| matches!(e, Event::Ended { .. }))
        .count();
    assert_eq!(ended, 1);
}

#[test]
fn a_late_ack_still_confirms() {
    let mut net = Net::new();
    let mut lost = 0;
    net.drop = Box::new(move |from, line| {
        let drop = from == UAC && line.starts_with("ACK") && lost < 2;
        lost += usize::from(drop);
        drop
    });
    let id = answered_call(&mut net);
    net.run_until(Duration::from_secs(40));
    assert_eq!(net.lines(UAS, "SIP/2.0 200").len(), 3);
    assert!(net.events[UAS].contains(&Event::Confirmed {
        call: id,
        answer: None
    }));
    assert!(net.lines(UAS, "BYE").is_empty());
}

#[test]
fn cancel_before_answer() {
    let mut net = Net::new();
    let id = net.call();
    let now = net.now;
    net.uas().ringing(now, &id).unwrap();
    net.settle();
    net.uac().hangup(now, &id).unwrap();
    net.settle();
    assert_eq!(
        net.events[UAS].last(),
        Some(&Event::Cancelled { call: id.clone() })
    );
    assert_eq!(
        net.events[UAC].last(),
        Some(&Event::Failed {
            call: id.clone(),
            status: 487,
            reason: "Request Terminated".into()
        })
    );
    let wire = net.wire();
    assert!(wire.contains(&"CANCEL sip:support@10.0.0.2 SIP/2.0".to_string()));
    assert_eq!(net.lines(UAS, "SIP/2.0 487").len(), 1);
    assert_eq!(net.lines(UAC, "ACK sip:support@10.0.0.2").len(), 1);
    assert!(net.uas().answer(now, &id, ANSWER.into()).is_err());
    net.run_until(Duration::from_secs(60));
    assert_eq!(
        net.lines(UAS, "SIP/2.0 487").len(),
        1,
        "487 was ACKed, no retransmission"
    );
}

#[test]
fn reject_488_is_acked_and_reported() {
    let mut net = Net::new();
    let mut lost = false;
    net.drop = Box::new(move |from, line| {
        let drop = from == UAC && line.starts_with("ACK") && !lost;
        lost |= drop;
        drop
    });
    let id = net.call();
    let now = net.now;
    assert!(net.uas().reject(now, &id, 200).is_err());
    net.uas().reject(now, &id, 488).unwrap();
    net.settle();
    assert_eq!(
        net.events[UAC].last(),
        Some(&Event::Failed {
            call: id.clone(),
            status: 488,
            reason: "Not Acceptable Here".into()
        })
    );
    net.run_until(Duration::from_secs(60));
    // The first ACK was lost: Timer G resent the 488 once, the ACK was resent and absorbed.
    assert_eq!(net.lines(UAS, "SIP/2.0 488").len(), 2);
    assert_eq!(net.lines(UAC, "ACK").len(), 2);
    assert_eq!(net.events[UAC].len(), 1);
}

#[test]
fn unanswered_invite_times_out_with_408() {
    let mut net = Net::new();
    net.drop = Box::new(|_, _| true);
    let id = net.call();
    net.run_until(Duration::from_secs(40));
    let sent: Vec<Duration> = net.lines(UAC, "INVITE").iter().map(|s| s.at).collect();
    let secs: Vec<f64> = sent.iter().map(Duration::as_secs_f64).collect();
    assert_eq!(secs, vec![0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]);
    assert_eq!(
        net.events[UAC],
        vec![Event::Failed {
            call: id,
            status: 408,
            reason: "Request Timeout".into()
        }]
    );
}

#[test]
fn unanswered_bye_ends_after_timer_f() {
    let mut net = Net::new();
    let id = answered_call(&mut net);
    net.drop = Box::new(|from, line| from == UAS && line.starts_with("SIP/2.0 200"));
    let now = net.now;
    net.uac().hangup(now, &id).unwrap();
    net.run_until(Duration::from_secs(40));
    let gaps: Vec<f64> = net
        .lines(UAC, "BYE")
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs_f64())
        .collect();
    assert_eq!(&gaps[..4], &[0.5, 1.0, 2.0, 4.0]);
    assert!(gaps.iter().all(|g| *g <= 4.0));
    assert_eq!(
        net.events[UAC].last(),
        Some(&Event::Ended {
            call: id,
            cause: EndCause::LocalBye
        })
    );
}

#[test]
fn info_in_dialog_reaches_the_other_side() {
    let mut net = Net::new();
    let id = answered_call(&mut net);
    let now = net.now;
    let body = (
        "application/dtmf-relay".to_string(),
        "Signal=5\r\nDuration=160\r\n".to_string(),
    );
    net.uac()
        .send_in_dialog(now, &id, Method::Info, Some(body))
        .unwrap();
    net.settle();
    assert_eq!(
        net.events[UAS].last(),
        Some(&Event::Info {
            call: id,
            content_type: "application/dtmf-relay".into(),
            body: "Signal=5\r\nDuration=160\r\n".into()
        })
    );
    assert_eq!(net.lines(UAS, "SIP/2.0 200").len(), 2);
}

#[test]
fn a_call_can_ring_for_minutes_before_the_answer() {
    let mut net = Net::new();
    let id = net.call();
    let now = net.now;
    net.uas().ringing(now, &id).unwrap();
    net.run_until(Duration::from_secs(300));
    let now = net.now;
    net.uas().answer(now, &id, ANSWER.into()).unwrap();
    net.settle();
    assert_eq!(
        net.events[UAS].last(),
        Some(&Event::Confirmed {
            call: id.clone(),
            answer: None
        })
    );
    assert!(matches!(
        net.events[UAC].last(),
        Some(Event::Answered { .. })
    ));
    // While ringing, nothing was retransmitted: the 1xx stopped Timer A.
    assert_eq!(net.lines(UAC, "INVITE").len(), 1);
}
