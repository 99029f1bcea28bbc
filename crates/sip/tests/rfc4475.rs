//! The RFC 4475 torture messages: the parser accepts or rejects each one as MANIFEST.tsv says,
//! the endpoint answers each request with the status a UAS should send, and mutated copies
//! never make the endpoint panic.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hotline_sip::{parse_message, Endpoint, EndpointConfig, Event, Message, OsRandom, SipError};

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/sip/rfc4475"
    ))
}

struct Row {
    file: String,
    parser: String,
    expected: String,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(corpus_dir().join("MANIFEST.tsv")).expect("manifest");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "manifest row {line:?}");
            Row {
                file: cols[0].to_string(),
                parser: cols[3].to_string(),
                expected: cols[4].to_string(),
            }
        })
        .collect()
}

fn datagram(file: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(format!("{file}.dat"))).expect("corpus file")
}

#[test]
fn parser_accepts_or_rejects_as_the_manifest_says() {
    let rows = manifest();
    assert!(rows.len() >= 50, "manifest has {} rows", rows.len());
    let mut mismatches = Vec::new();
    for row in &rows {
        let result = parse_message(&datagram(&row.file));
        let accepted = result.is_ok();
        let wanted = match row.parser.as_str() {
            "accept" => true,
            "reject" => false,
            other => panic!("unknown parser column {other:?}"),
        };
        if accepted != wanted {
            mismatches.push(format!(
                "{}: wanted {}, got {:?}",
                row.file,
                row.parser,
                result.err()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}

/// What our UAS answers, per manifest row. `None` = nothing is sent (responses are dropped).
/// "Normal" answers: INVITE → 100 Trying (and an IncomingCall event), OPTIONS → 200,
/// REGISTER → 405 (we are not a registrar: `registrar` is None), MESSAGE → 405,
/// unknown methods → 501.
fn our_answer(file: &str) -> Option<u16> {
    Some(match file {
        // accepted requests processed normally
        "esc01" | "escnull" | "longreq" | "baddate" | "escruri" => match file {
            "escnull" => 405, // REGISTER, not a registrar
            _ => 100,         // INVITE: 100 Trying, then the application decides
        },
        // INVITE carrying a To tag of a dialog we never created: RFC 3261 §12.2.2 → 481
        "wsinv" => 481,
        "intmeth" | "esc02" => 501, // unknown (escaped) method names
        "lwsdisp" | "semiuri" | "transports" | "badaspec" | "baddn" | "badbranch" | "zeromf" => 200,
        "dblreq" => 405,  // the REGISTER only
        "mpart01" => 405, // MESSAGE: known, not served
        "unksm2" | "regaut01" | "cparam01" | "cparam02" | "regescrt" => 405, // REGISTER
        // rejected by the parser or by header inspection
        "badinv01" | "clerr" | "ncl" | "scalar02" | "quotbal" | "ltgtruri" | "lwsruri"
        | "lwsstart" | "trws" | "mismatch01" | "mismatch02" | "insuf" | "multi01" | "mcl01"
        | "regbadct" | "inv2543" => 400,
        "badvers" => 505,
        "unkscm" | "novelsc" => 416,
        "bext01" => 420,
        "invut" => 415,
        "sdp01" => 406,
        // responses with no transaction, and test.dat which has no Via to answer to: dropped
        "unreason" | "noreason" | "scalarlg" | "bigcode" | "bcast" | "test" => return None,
        other => panic!("no expectation written for {other}"),
    })
}

/// Whether our answer is one the manifest's expected_handling column allows.
fn manifest_allows(expected: &str, ours: Option<u16>) -> bool {
    let codes: Vec<u16> = expected
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| t.len() == 3)
        .filter_map(|t| t.parse().ok())
        .collect();
    let tolerant = expected.contains("tolerate") || expected.contains("accept if");
    let normal = expected.starts_with("process")
        || expected.starts_with("answer it")
        || expected.starts_with("registrar semantics");
    match ours {
        None => {
            expected.starts_with("drop")
                || expected.contains("or drop")
                || expected.contains("(response)")
        }
        Some(code) => {
            codes.contains(&code)
                || ((tolerant || normal) && matches!(code, 100 | 200 | 405 | 481 | 501))
        }
    }
}

fn uas() -> Endpoint {
    Endpoint::new(
        EndpointConfig {
            local_addr: "192.0.2.10:5060".parse().unwrap(),
            user_agent: "hotline-test".into(),
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            ..EndpointConfig::new("192.0.2.10:5060".parse().unwrap())
        },
        OsRandom,
    )
}

#[test]
fn uas_answers_every_request_as_the_manifest_expects() {
    let source: SocketAddr = "192.0.2.200:5060".parse().unwrap();
    let now = Instant::now();
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for row in manifest() {
        let mut endpoint = uas();
        endpoint.handle_datagram(now, source, &datagram(&row.file));
        let first = endpoint.poll_transmit();
        // Read the status line only: a 400 echoes the request's (possibly malformed) Via.
        let status = first.as_ref().map(|t| {
            let text = String::from_utf8_lossy(&t.payload);
            let code = text.strip_prefix("SIP/2.0 ").and_then(|r| r.get(..3));
            code.and_then(|c| c.parse::<u16>().ok())
                .unwrap_or_else(|| panic!("{}: endpoint sent a non-response {text:?}", row.file))
        });
        let wanted = our_answer(&row.file);
        if status != wanted {
            problems.push(format!(
                "{}: sent {status:?}, expected {wanted:?}",
                row.file
            ));
        }
        if !manifest_allows(&row.expected, wanted) {
            problems.push(format!(
                "{}: {wanted:?} contradicts {:?}",
                row.file, row.expected
            ));
        }
        let incoming = std::iter::from_fn(|| endpoint.poll_event())
            .filter(|e| matches!(e, Event::IncomingCall { .. }))
            .count();
        if incoming != usize::from(wanted == Some(100)) {
            problems.push(format!("{}: {incoming} IncomingCall events", row.file));
        }
        seen.insert(row.file.clone(), status);
    }
    assert!(problems.is_empty(), "problems:\n{}", problems.join("\n"));
    assert_eq!(seen.get("bext01"), Some(&Some(420)));
}

#[test]
fn error_responses_echo_the_request_identity() {
    let source: SocketAddr = "192.0.2.200:5060".parse().unwrap();
    let mut endpoint = uas();
    endpoint.handle_datagram(Instant::now(), source, &datagram("bext01"));
    let t = endpoint.poll_transmit().expect("a response");
    let Ok(Message::Response(r)) = parse_message(&t.payload) else {
        panic!("not a response")
    };
    assert_eq!(r.status, 420);
    assert_eq!(
        r.headers.option_tags("Unsupported"),
        vec!["nothingSupportsThis", "nothingSupportsThisEither"]
    );
    assert_eq!(r.headers.call_id(), Some("bext01.0ha0isndaksdj"));
    assert_eq!(r.headers.cseq().unwrap().number, 8);
    assert!(r.headers.to().unwrap().tag().is_some());
    // The Via names a host, so the reply goes back to the source.
    assert_eq!(t.destination, source);

    let mut endpoint = uas();
    endpoint.handle_datagram(Instant::now(), source, &datagram("badvers"));
    let t = endpoint.poll_transmit().expect("a response");
    let Ok(Message::Response(r)) = parse_message(&t.payload) else {
        panic!("not a response")
    };
    assert_eq!(r.status, 505);
    assert_eq!(r.headers.call_id(), Some("badvers.31417@c.example.com"));

    let mut endpoint = uas();
    endpoint.handle_datagram(Instant::now(), source, &datagram("invut"));
    let t = endpoint.poll_transmit().expect("a response");
    let Ok(Message::Response(r)) = parse_message(&t.payload) else {
        panic!("not a response")
    };
    assert_eq!(r.status, 415);
    assert_eq!(r.headers.get("Accept"), Some("application/sdp"));
}

#[test]
fn multipart_message_has_no_sdp_part() {
    let Ok(Message::Request(r)) = parse_message(&datagram("mpart01")) else {
        panic!("mpart01 must parse")
    };
    assert_eq!(r.body.len(), 553);
    let ct = r.headers.content_type().unwrap().unwrap();
    assert_eq!(
        hotline_sip::multipart_parts(&r.body, "7a9cbec02ceef655").len(),
        2
    );
    assert_eq!(hotline_sip::sdp_body(&ct, &r.body), None);
}

#[test]
fn dblreq_ignores_the_second_request() {
    let Ok(Message::Request(r)) = parse_message(&datagram("dblreq")) else {
        panic!("dblreq must parse")
    };
    assert_eq!(r.method, hotline_sip::Method::Register);
    assert!(r.body.is_empty());
}

/// splitmix64, for reproducible mutations.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn mutated_corpus_never_panics() {
    const SPICE: &[u8] = b"\r\n ;,:<>\"\\%=@/0123456789SIP";
    let mut state = 0x5eed_u64;
    let mut endpoint = uas();
    let base = Instant::now();
    let source: SocketAddr = "192.0.2.200:5060".parse().unwrap();
    let mut cases = 0;
    let mut errors = 0;
    for row in manifest() {
        let original = datagram(&row.file);
        for round in 0..80u64 {
            let mut bytes = original.clone();
            let edits = 1 + next(&mut state) % 4;
            for _ in 0..edits {
                let len = bytes.len().max(1) as u64;
                let at = (next(&mut state) % len) as usize;
                match next(&mut state) % 5 {
                    0 => {
                        if let Some(b) = bytes.get_mut(at) {
                            *b ^= 1 << (next(&mut state) % 8);
                        }
                    }
                    1 => bytes.truncate(at),
                    2 => {
                        let c = SPICE[(next(&mut state) % SPICE.len() as u64) as usize];
                        bytes.insert(at.min(bytes.len()), c);
                    }
                    3 => {
                        let end = (at + (next(&mut state) % 16) as usize).min(bytes.len());
                        bytes.drain(at.min(end)..end);
                    }
                    _ => {
                        let end = (at + (next(&mut state) % 32) as usize).min(bytes.len());
                        let copy = bytes[at.min(end)..end].to_vec();
                        let to = (next(&mut state) % len) as usize;
                        bytes.splice(to.min(bytes.len())..to.min(bytes.len()), copy);
                    }
                }
            }
            let now = base + Duration::from_millis(cases * 37);
            if let Err(SipError::BadMessage { .. }) = parse_message(&bytes) {
                errors += 1;
            }
            endpoint.handle_datagram(now, source, &bytes);
            while let Some(event) = endpoint.poll_event() {
                if let Event::IncomingCall { call, .. } = event {
                    let _ = match round % 4 {
                        0 => endpoint.answer(now, &call, "v=0\r\n".into()),
                        1 => endpoint.reject(now, &call, 486),
                        2 => endpoint.ringing(now, &call),
                        _ => endpoint.hangup(now, &call),
                    };
                }
            }
            while endpoint.poll_transmit().is_some() {}
            if let Some(t) = endpoint.poll_timeout() {
                if t <= now + Duration::from_secs(1) {
                    endpoint.handle_timeout(t);
                }
            }
            cases += 1;
        }
    }
    endpoint.handle_timeout(base + Duration::from_secs(3600));
    assert!(cases >= 4000, "only {cases} cases");
    assert!(errors > 0, "no mutation was ever rejected");
}
