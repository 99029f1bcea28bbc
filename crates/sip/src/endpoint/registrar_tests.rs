//! The registrar with digest authentication, driven by hand-written REGISTERs from agents
//! behind NAT. Expected digests are computed here from the challenge, not by the crate.

use crate::random::SplitMix64;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

use super::uas_tests::config;
use super::*;
use crate::{parse_message, AccountSecret, Message, Response};

/// The agent's public (NAT) address; its Via and Contact say 192.168.1.20:5060.
const AGENT: &str = "198.51.100.20:31000";
const OTHER: &str = "198.51.100.99:40000";
const CONTACT: &str = "sip:agent1@192.168.1.20:5060";

fn accounts() -> BTreeMap<String, String> {
    [("agent1", "s3cret"), ("agent2", "hunter2")]
        .into_iter()
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .collect()
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A quoted parameter of a WWW-Authenticate value.
fn param(challenge: &str, name: &str) -> String {
    let start = challenge.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
    let len = challenge[start..].find('"').unwrap();
    challenge[start..start + len].to_string()
}

/// The Authorization a correct client sends for this challenge.
fn authorization(challenge: &str, user: &str, password: &str, nc: u32) -> String {
    let (realm, nonce) = (param(challenge, "realm"), param(challenge, "nonce"));
    let uri = "sip:10.0.0.2";
    let ha1 = md5_hex(&format!("{user}:{realm}:{password}"));
    let ha2 = md5_hex(&format!("REGISTER:{uri}"));
    let cnonce = "0a4f113b";
    let response = md5_hex(&format!("{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}"));
    format!(
        "Authorization: Digest username=\"{user}\", realm=\"{realm}\",nonce=\"{nonce}\", \
         uri=\"{uri}\",response=\"{response}\",algorithm=MD5,cnonce=\"{cnonce}\",qop=auth,nc={nc:08x}\r\n"
    )
}

/// A registrar endpoint and a virtual clock.
struct Reg {
    ep: Endpoint,
    start: Instant,
    now: Instant,
    sent: u32,
}

impl Reg {
    fn new() -> Reg {
        let mut config = config("10.0.0.2:5060");
        config.registrar = Some(RegistrarConfig::new("hotline", accounts()));
        let start = Instant::now();
        Reg {
            ep: Endpoint::new(config, SplitMix64::new(5)),
            start,
            now: start,
            sent: 0,
        }
    }

    fn at(&mut self, secs: u64) {
        self.now = self.start + Duration::from_secs(secs);
        self.ep.handle_timeout(self.now);
    }

    /// Sends one REGISTER for `user` from `source` and returns the single response.
    fn send(&mut self, source: &str, user: &str, extra: &str) -> Response {
        self.sent += 1;
        let n = self.sent;
        let text = format!(
            "REGISTER sip:10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKr{n};rport\r\nMax-Forwards: 70\r\nFrom: <sip:{user}@10.0.0.2>;tag=ag{n}\r\nTo: <sip:{user}@10.0.0.2>\r\nCall-ID: reg-{user}@192.168.1.20\r\nCSeq: {n} REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        let source: SocketAddr = source.parse().unwrap();
        self.ep.handle_datagram(self.now, source, text.as_bytes());
        let sent: Vec<Transmit> = std::iter::from_fn(|| self.ep.poll_transmit()).collect();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].destination, source);
        match parse_message(&sent[0].payload) {
            Ok(Message::Response(r)) => r,
            other => panic!("not a response: {other:?}"),
        }
    }

    /// Challenge, then answer it with `password` (the To user is `user`).
    fn login(&mut self, source: &str, user: &str, password: &str, extra: &str) -> Response {
        let challenge = self.send(source, user, extra);
        assert_eq!(challenge.status, 401);
        let www = challenge
            .headers
            .get("WWW-Authenticate")
            .unwrap()
            .to_string();
        let auth = authorization(&www, user, password, 1);
        self.send(source, user, &format!("{extra}{auth}"))
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.ep.poll_event()).collect()
    }
}

fn contact(expires: Option<u64>) -> String {
    match expires {
        Some(e) => format!("Contact: <{CONTACT}>;expires={e}\r\n"),
        None => format!("Contact: <{CONTACT}>\r\n"),
    }
}

fn refused(user: &str, source: &str, throttled: bool) -> Event {
    Event::RegisterRefused {
        user: user.into(),
        source: source.parse().unwrap(),
        throttled,
    }
}

#[test]
fn challenge_then_correct_response_registers_the_nat_address() {
    let mut reg = Reg::new();
    let r = reg.send(AGENT, "agent1", &contact(None));
    assert_eq!(r.status, 401);
    // SHA-256 offered first, then MD5 (RFC 8760 §2.4), with one nonce.
    let offers = r.headers.values("WWW-Authenticate").unwrap_or_default();
    assert_eq!(offers.len(), 2, "{offers:?}");
    assert!(offers[0].contains("algorithm=SHA-256"), "{}", offers[0]);
    let www = offers[1].to_string();
    assert!(
        www.starts_with("Digest realm=\"hotline\", nonce=\""),
        "{www}"
    );
    assert!(www.contains("algorithm=MD5") && www.contains("qop=\"auth\""));
    assert!(!www.contains("stale"));
    assert_eq!(param(&www, "nonce"), param(offers[0], "nonce"));
    assert_eq!(param(&www, "nonce").len(), 60);
    assert!(reg.events().is_empty());

    let auth = authorization(&www, "agent1", "s3cret", 1);
    let r = reg.send(AGENT, "agent1", &format!("{}{auth}", contact(None)));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers.get("Contact"),
        Some(format!("<{CONTACT}>;expires=3600").as_str())
    );
    assert_eq!(
        reg.events(),
        vec![Event::Registered {
            user: "agent1".into(),
            contact: CONTACT.into(),
            source: AGENT.parse().unwrap(),
            expires: Duration::from_secs(3600),
            call_id: "reg-agent1@192.168.1.20".into(),
            cseq: 2,
        }]
    );
    assert_eq!(
        reg.ep.registration("agent1"),
        Some(Registration {
            contact: CONTACT.into(),
            source: AGENT.parse().unwrap(),
            expires_at: reg.now + Duration::from_secs(3600),
        })
    );
    assert_eq!(reg.ep.registration("agent2"), None);

    // Replaying the same nonce count is refused with a fresh challenge, not a 403.
    let r = reg.send(AGENT, "agent1", &format!("{}{auth}", contact(None)));
    assert_eq!(r.status, 401);
    assert!(r
        .headers
        .get("WWW-Authenticate")
        .unwrap()
        .contains("stale=true"));
    // The nonce was made for the agent's address: from elsewhere it is worth a new challenge.
    let auth = authorization(&www, "agent1", "s3cret", 2);
    let r = reg.send(OTHER, "agent1", &format!("{}{auth}", contact(Some(600))));
    assert_eq!(r.status, 401);
    assert!(reg.events().is_empty());
    // The next nonce count on the same nonce refreshes (here from a new NAT port).
    let new_port = "198.51.100.20:31001";
    let r = reg.send(new_port, "agent1", &format!("{}{auth}", contact(Some(600))));
    assert_eq!(r.status, 200);
    assert_eq!(
        reg.events(),
        vec![Event::Registered {
            user: "agent1".into(),
            contact: CONTACT.into(),
            source: new_port.parse().unwrap(),
            expires: Duration::from_secs(600),
            call_id: "reg-agent1@192.168.1.20".into(),
            cseq: 5,
        }]
    );
    assert_eq!(
        reg.ep.registration("agent1").unwrap().source,
        new_port.parse().unwrap()
    );
}

#[test]
fn sha_256_digest_registers() {
    let mut reg = Reg::new();
    let r = reg.send(AGENT, "agent1", &contact(None));
    let offers = r.headers.values("WWW-Authenticate").unwrap_or_default();
    let (realm, nonce) = (param(offers[0], "realm"), param(offers[0], "nonce"));
    let sha = |s: String| -> String {
        Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let uri = "sip:10.0.0.2";
    let ha1 = sha(format!("agent1:{realm}:s3cret"));
    let ha2 = sha(format!("REGISTER:{uri}"));
    let response = sha(format!("{ha1}:{nonce}:00000001:c1:auth:{ha2}"));
    let auth = format!(
        "Authorization: Digest username=\"agent1\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm=SHA-256, cnonce=\"c1\", qop=auth, nc=00000001\r\n"
    );
    let r = reg.send(AGENT, "agent1", &format!("{}{auth}", contact(None)));
    assert_eq!(r.status, 200);
    // The same response claimed as MD5 is wrong.
    let md5_claim = auth
        .replace("SHA-256", "MD5")
        .replace("00000001", "00000002");
    let r = reg.send(AGENT, "agent1", &format!("{}{md5_claim}", contact(None)));
    assert_eq!(r.status, 403);
}

#[test]
fn the_offered_algorithms_are_configurable() {
    let mut reg = Reg::new();
    reg.ep.registrar.as_mut().unwrap().config.algorithms = vec![crate::DigestAlgorithm::Md5];
    let r = reg.send(AGENT, "agent1", &contact(None));
    let offers = r.headers.values("WWW-Authenticate").unwrap_or_default();
    assert_eq!(offers.len(), 1, "{offers:?}");
    assert!(offers[0].contains("algorithm=MD5"));
    let auth = authorization(offers[0], "agent1", "s3cret", 1);
    let r = reg.send(AGENT, "agent1", &format!("{}{auth}", contact(None)));
    assert_eq!(r.status, 200);
}

#[test]
fn forged_failures_from_one_address_do_not_lock_the_user_out_elsewhere() {
    let mut reg = Reg::new();
    for _ in 0..5 {
        assert_eq!(
            reg.login(OTHER, "agent1", "guess", &contact(None)).status,
            403
        );
    }
    // The pair is locked: even without credentials, 403 unchecked.
    assert_eq!(reg.send(OTHER, "agent1", &contact(None)).status, 403);
    // The agent's own phone still registers, and the forger may still try other users
    // (until the address limit).
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        200
    );
    let agent2 = "Contact: <sip:agent2@10.9.9.9>\r\n";
    assert_eq!(reg.login(OTHER, "agent2", "hunter2", agent2).status, 200);
}

#[test]
fn challenges_leave_no_state_behind() {
    let mut reg = Reg::new();
    for i in 0..500u32 {
        let source = format!("203.0.113.{}:{}", i % 250, 5000 + i);
        assert_eq!(reg.send(&source, "agent1", &contact(None)).status, 401);
    }
    let registrar = reg.ep.registrar.as_ref().unwrap();
    assert_eq!(registrar.remembered_nonces(), 0);
    assert!(
        reg.ep.servers.len() <= 500,
        "transactions only, which expire"
    );
    reg.at(40);
    assert!(reg.ep.servers.is_empty());
}

#[test]
fn wrong_password_unknown_user_and_foreign_to_are_forbidden() {
    let mut reg = Reg::new();
    let r = reg.login(AGENT, "agent1", "wrong", &contact(None));
    assert_eq!(r.status, 403);
    let r = reg.login(AGENT, "mallory", "s3cret", &contact(None));
    assert_eq!(r.status, 403);
    // agent2's valid credentials on a REGISTER for agent1's address-of-record.
    let challenge = reg.send(AGENT, "agent1", &contact(None));
    let www = challenge
        .headers
        .get("WWW-Authenticate")
        .unwrap()
        .to_string();
    let auth = authorization(&www, "agent2", "hunter2", 1);
    let r = reg.send(AGENT, "agent1", &format!("{}{auth}", contact(None)));
    assert_eq!(r.status, 403);
    assert_eq!(
        reg.events(),
        vec![
            refused("agent1", AGENT, false),
            refused("mallory", AGENT, false),
            refused("agent2", AGENT, false),
        ]
    );
    assert_eq!(reg.ep.registration("agent1"), None);
    assert_eq!(reg.ep.registration("agent2"), None);
    // A broken Authorization is a bad request.
    let r = reg.send(
        AGENT,
        "agent1",
        "Authorization: Digest username=\"agent1\r\n",
    );
    assert_eq!(r.status, 400);
    // Credentials in a scheme we do not speak: challenged for Digest (RFC 4475 regaut01).
    let r = reg.send(
        AGENT,
        "agent1",
        "Authorization: NoOneKnowsThisScheme opaque-data=here\r\n",
    );
    assert_eq!(r.status, 401);
}

#[test]
fn five_failures_lock_the_ip_out_until_the_lockout_passes() {
    let mut reg = Reg::new();
    for _ in 0..5 {
        assert_eq!(
            reg.login(AGENT, "agent1", "guess", &contact(None)).status,
            403
        );
    }
    assert_eq!(reg.events(), vec![refused("agent1", AGENT, false); 5]);
    // Now even a REGISTER without credentials gets 403, unchecked.
    assert_eq!(reg.send(AGENT, "agent1", &contact(None)).status, 403);
    assert_eq!(reg.events(), vec![refused("agent1", AGENT, true)]);
    // Another address is not affected.
    assert_eq!(
        reg.login(
            OTHER,
            "agent2",
            "hunter2",
            "Contact: <sip:agent2@10.9.9.9>\r\n"
        )
        .status,
        200
    );
    reg.events();
    reg.at(299);
    assert_eq!(reg.send(AGENT, "agent1", &contact(None)).status, 403);
    assert_eq!(reg.events(), vec![refused("agent1", AGENT, true)]);
    reg.at(300);
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        200
    );
    assert!(matches!(reg.events()[..], [Event::Registered { .. }]));
}

#[test]
fn failures_spread_beyond_the_window_do_not_lock_out() {
    let mut reg = Reg::new();
    for i in 0..8 {
        reg.at(i * 20); // at most three within any 60 s
        assert_eq!(
            reg.login(AGENT, "agent1", "guess", &contact(None)).status,
            403
        );
    }
    assert!(reg
        .events()
        .iter()
        .all(|e| *e == refused("agent1", AGENT, false)));
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        200
    );
}

#[test]
fn too_brief_gets_423_and_too_long_is_clamped() {
    let mut reg = Reg::new();
    let r = reg.login(AGENT, "agent1", "s3cret", &contact(Some(30)));
    assert_eq!(r.status, 423);
    assert_eq!(r.headers.get("Min-Expires"), Some("60"));
    assert_eq!(reg.ep.registration("agent1"), None);
    let r = reg.login(
        AGENT,
        "agent1",
        "s3cret",
        &format!("{}Expires: 30\r\n", contact(None)),
    );
    assert_eq!(r.status, 423);
    assert!(reg.events().is_empty());
    // The Contact parameter wins over the header; above the maximum is clamped.
    let extra = format!("{}Expires: 30\r\n", contact(Some(99999)));
    let r = reg.login(AGENT, "agent1", "s3cret", &extra);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers.get("Contact"),
        Some(format!("<{CONTACT}>;expires=3600").as_str())
    );
    let extra = format!("{}Expires: 60\r\n", contact(None));
    let r = reg.login(AGENT, "agent1", "s3cret", &extra);
    assert_eq!(
        r.headers.get("Contact"),
        Some(format!("<{CONTACT}>;expires=60").as_str())
    );
}

#[test]
fn query_refresh_and_unregister() {
    let mut reg = Reg::new();
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        200
    );
    reg.at(100);
    // No Contact: a query listing the binding with the time left.
    let r = reg.login(AGENT, "agent1", "s3cret", "");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers.get("Contact"),
        Some(format!("<{CONTACT}>;expires=3500").as_str())
    );
    // A new device replaces the binding (one per user, last wins).
    let r = reg.login(
        AGENT,
        "agent1",
        "s3cret",
        "Contact: <sip:agent1@192.168.1.21>\r\n",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        reg.ep.registration("agent1").unwrap().contact,
        "sip:agent1@192.168.1.21"
    );
    // expires=0 for a contact that is not bound leaves the binding alone.
    let r = reg.login(AGENT, "agent1", "s3cret", &contact(Some(0)));
    assert_eq!(r.status, 200);
    assert!(reg.ep.registration("agent1").is_some());
    let r = reg.login(
        AGENT,
        "agent1",
        "s3cret",
        "Contact: <sip:agent1@192.168.1.21>;expires=0\r\n",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.headers.get("Contact"), None);
    assert_eq!(reg.ep.registration("agent1"), None);
    let events = reg.events();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(
        events[2],
        Event::Unregistered {
            user: "agent1".into()
        }
    );

    // Contact: * with Expires: 0 removes whatever is bound; without Expires: 0 it is refused.
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        200
    );
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", "Contact: *\r\n")
            .status,
        400
    );
    let r = reg.login(AGENT, "agent1", "s3cret", "Contact: *\r\nExpires: 0\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(reg.ep.registration("agent1"), None);
    assert_eq!(
        reg.events().last(),
        Some(&Event::Unregistered {
            user: "agent1".into()
        })
    );
}

#[test]
fn unrefreshed_binding_expires_from_handle_timeout() {
    let mut reg = Reg::new();
    let extra = format!("{}Expires: 60\r\n", contact(None));
    assert_eq!(reg.login(AGENT, "agent1", "s3cret", &extra).status, 200);
    reg.events();
    reg.at(40); // server transactions are gone (Timer J)
    assert_eq!(
        reg.ep.poll_timeout(),
        Some(reg.start + Duration::from_secs(60))
    );
    reg.at(59);
    assert!(reg.events().is_empty());
    assert!(reg.ep.registration("agent1").is_some());
    reg.at(60);
    assert_eq!(
        reg.events(),
        vec![Event::RegistrationExpired {
            user: "agent1".into()
        }]
    );
    assert_eq!(reg.ep.registration("agent1"), None);
    assert_eq!(reg.ep.poll_timeout(), None);
}

#[test]
fn an_expired_nonce_is_stale_and_not_a_failure() {
    let mut reg = Reg::new();
    let r = reg.send(AGENT, "agent1", &contact(None));
    let www = r.headers.get("WWW-Authenticate").unwrap().to_string();
    reg.at(301);
    let auth = authorization(&www, "agent1", "s3cret", 1);
    let r = reg.send(AGENT, "agent1", &format!("{}{auth}", contact(None)));
    assert_eq!(r.status, 401);
    let fresh = r.headers.get("WWW-Authenticate").unwrap().to_string();
    assert!(fresh.ends_with("stale=true"), "{fresh}");
    assert_ne!(param(&fresh, "nonce"), param(&www, "nonce"));
    assert!(reg.events().is_empty());
    // A wrong password on an expired nonce is still a failure.
    let auth = authorization(&www, "agent1", "nope", 1);
    assert_eq!(
        reg.send(AGENT, "agent1", &format!("{}{auth}", contact(None)))
            .status,
        403
    );
    // The fresh nonce works.
    let auth = authorization(&fresh, "agent1", "s3cret", 1);
    let r = reg.send(AGENT, "agent1", &format!("{}{auth}", contact(None)));
    assert_eq!(r.status, 200);
}

#[test]
fn reloaded_accounts_drop_removed_users() {
    let mut reg = Reg::new();
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        200
    );
    reg.events();
    let mut accounts = accounts();
    accounts.remove("agent1");
    accounts.insert("agent2".into(), "changed".into());
    reg.ep.set_accounts(accounts);
    assert_eq!(
        reg.events(),
        vec![Event::Unregistered {
            user: "agent1".into()
        }]
    );
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        403
    );
    assert_eq!(reg.login(OTHER, "agent2", "hunter2", "").status, 403);
    assert_eq!(reg.login(OTHER, "agent2", "changed", "").status, 200);
}

#[test]
fn without_a_registrar_register_gets_405_and_options_lists_register_with_one() {
    let mut plain = Endpoint::new(config("10.0.0.2:5060"), SplitMix64::new(5));
    let mut reg = Reg::new();
    std::mem::swap(&mut reg.ep, &mut plain);
    let r = reg.send(AGENT, "agent1", &contact(None));
    assert_eq!(r.status, 405);
    assert!(!r.headers.allow().contains(&"REGISTER".to_string()));
    std::mem::swap(&mut reg.ep, &mut plain);
    let options = "OPTIONS sip:10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKo1;rport\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:10.0.0.2>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    reg.ep
        .handle_datagram(reg.now, AGENT.parse().unwrap(), options.as_bytes());
    let Ok(Message::Response(r)) = parse_message(&reg.ep.poll_transmit().unwrap().payload) else {
        panic!("no response")
    };
    assert!(r.headers.allow().contains(&"REGISTER".to_string()));
}

#[test]
fn an_older_cseq_on_the_same_call_id_is_refused_with_500() {
    let mut reg = Reg::new();
    reg.sent = 10;
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        200
    );
    reg.events();
    reg.sent = 3; // CSeq 4 and 5 on the Call-ID that registered with CSeq 12
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(Some(600)))
            .status,
        500
    );
    assert!(reg.events().is_empty());
    assert_eq!(
        reg.ep.registration("agent1").unwrap().expires_at,
        reg.now + Duration::from_secs(3600)
    );
}

/// An account known only by its HA1 hashes (as `hotline agents passwd` writes them).
fn ha1_only(md5: bool, sha256: bool) -> AccountSecret {
    AccountSecret::Ha1 {
        md5: md5.then(|| crate::ha1(crate::DigestAlgorithm::Md5, "agent1", "hotline", "s3cret")),
        sha256: sha256.then(|| {
            crate::ha1(
                crate::DigestAlgorithm::Sha256,
                "agent1",
                "hotline",
                "s3cret",
            )
        }),
    }
}

#[test]
fn an_account_kept_as_ha1_registers_with_md5_and_sha_256() {
    let mut reg = Reg::new();
    let mut accounts = BTreeMap::new();
    accounts.insert("agent1".to_string(), ha1_only(true, true));
    reg.ep.set_accounts(accounts);
    // MD5 from the HA1.
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        200
    );
    assert_eq!(
        reg.login(AGENT, "agent1", "wrong", &contact(None)).status,
        403
    );
    // SHA-256 from the HA1: the crate's own UAC answers the SHA-256 offer.
    let r = reg.send(AGENT, "agent1", &contact(None));
    let sha_offer = r.headers.values("WWW-Authenticate").unwrap_or_default()[0].to_string();
    assert!(sha_offer.contains("SHA-256"), "{sha_offer}");
    let challenge = crate::digest::parse_challenge(&sha_offer).unwrap();
    let value = crate::digest::authorization(
        &challenge,
        "agent1",
        "s3cret",
        "REGISTER",
        "sip:10.0.0.2",
        "c9",
    );
    let r = reg.send(
        AGENT,
        "agent1",
        &format!("{}Authorization: {value}\r\n", contact(None)),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn an_algorithm_without_its_ha1_is_refused() {
    let mut reg = Reg::new();
    let mut accounts = BTreeMap::new();
    accounts.insert("agent1".to_string(), ha1_only(false, true));
    reg.ep.set_accounts(accounts);
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(None)).status,
        403,
        "an MD5 answer cannot be checked without the MD5 HA1"
    );
}

#[test]
fn a_restored_binding_is_reachable_and_expires_when_it_would_have() {
    let mut reg = Reg::new();
    let binding = Registration {
        contact: CONTACT.into(),
        source: AGENT.parse().unwrap(),
        expires_at: reg.now + Duration::from_secs(100),
    };
    assert!(reg.ep.restore_registration(
        reg.now,
        "agent1",
        binding.clone(),
        "reg-agent1@192.168.1.20",
        7
    ));
    assert!(!reg
        .ep
        .restore_registration(reg.now, "nobody", binding.clone(), "x", 1));
    let lapsed = Registration {
        expires_at: reg.now,
        ..binding.clone()
    };
    assert!(!reg
        .ep
        .restore_registration(reg.now, "agent2", lapsed, "x", 1));
    assert_eq!(reg.ep.registration("agent1"), Some(binding));
    assert!(reg.events().is_empty(), "restoring raises no event");
    // The phone's next REGISTER on its Call-ID carries a higher CSeq and refreshes it.
    reg.sent = 7;
    assert_eq!(
        reg.login(AGENT, "agent1", "s3cret", &contact(Some(600)))
            .status,
        200
    );
    reg.events();
    reg.at(700);
    assert_eq!(
        reg.events(),
        vec![Event::RegistrationExpired {
            user: "agent1".into()
        }]
    );
}
