//! Hotline's own sans-IO SIP stack over UDP: parse and print messages, negotiate SDP, and run
//! the transactions and dialogs of one user agent (UAS and UAC) as a pure state machine.
//!
//! Nothing here opens a socket, reads the clock, spawns a thread or asks the OS for randomness:
//! the caller feeds datagrams and time into an [`Endpoint`] and drains
//! [`Endpoint::poll_transmit`], [`Endpoint::poll_event`] and [`Endpoint::poll_timeout`].
//! Tags, branches and Call-IDs come from a splitmix64 generator seeded by the caller.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use hotline_sip::{AccessPolicy, Endpoint, EndpointConfig, Event, FloodLimit, OsRandom};
//!
//! let config = EndpointConfig {
//!     local_addr: "192.0.2.10:5060".parse().unwrap(),
//!     user_agent: "hotline".into(),
//!     t1: Duration::from_millis(500),
//!     t2: Duration::from_secs(4),
//!     registrar: None,
//!     access: AccessPolicy::open(),
//!     flood: Some(FloodLimit::default()),
//! };
//! let mut endpoint = Endpoint::new(config, OsRandom);
//! let now = Instant::now();
//! let options = b"OPTIONS sip:hotline@192.0.2.10 SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;rport\r\n\
//!     From: <sip:a@192.0.2.7>;tag=1\r\nTo: <sip:hotline@192.0.2.10>\r\n\
//!     Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
//! endpoint.handle_datagram(now, "192.0.2.7:40000".parse().unwrap(), options);
//! let reply = endpoint.poll_transmit().unwrap();
//! assert!(reply.payload.starts_with(b"SIP/2.0 200 OK"));
//! assert_eq!(reply.destination, "192.0.2.7:40000".parse().unwrap()); // always the source
//! while let Some(event) = endpoint.poll_event() {
//!     if let Event::IncomingCall { call, .. } = event {
//!         endpoint.ringing(now, &call).unwrap();
//!     }
//! }
//! ```
//!
//! # Implemented
//! - RFC 3261 §7, §25 message syntax: exact request line, SIP/2.0 only (505), header folding,
//!   compact names, case-insensitive names, comma lists respecting quotes and `<>`,
//!   Content-Length (§18.3: absent means the rest of the datagram on UDP, trailing octets
//!   ignored), single-valued headers, CSeq/Max-Forwards/status ranges, CSeq method check.
//!   Parse errors carry the status to answer and the raw Via/From/To/Call-ID/CSeq (§8.2.6).
//! - RFC 3261 §8.2 UAS request processing in this order: mandatory headers (To, From,
//!   Call-ID, CSeq, Via; the parser itself accepts their absence, as RFC 4475 §3.3.1 expects of
//!   a parser) and Contact syntax (400, e.g. an addr-spec Contact with `?`), method (405 known-but-not-served with Allow, 501 unknown), Request-URI scheme (416),
//!   Require (420 with Unsupported), then for a new INVITE Content-Type (415 with Accept) and
//!   Accept (406); OPTIONS gets 200 with Allow/Accept/Supported (§11.2) whatever its Accept says.
//! - RFC 3261 §17 transactions over UDP: INVITE server (100 Trying at once, Timer G/H/I),
//!   non-INVITE server (Timer J), INVITE client (Timer A/B/D), non-INVITE client (Timer E/F),
//!   RFC 2543 transaction matching when the branch lacks the magic cookie (§17.2.3). Over a
//!   TCP or TLS connection Timers A, E and G do not run and Timers D, I and J are zero; Timers
//!   B, F and H still bound each wait, and the UAS core still retransmits its 2xx until the
//!   ACK (§13.3.1.4 asks it whatever the transport). Timer K is zero on every transport.
//! - RFC 3261 §12-§15 dialogs: To-tag generation, remote target from Contact, CSeq ordering
//!   (500 for an out-of-order in-dialog request), 2xx retransmission by the UAS core at T1
//!   doubling up to T2 until ACK (§13.3.1.4), BYE after 64*T1 without ACK, ACK for 2xx as a
//!   new transaction (§13.2.2.4), CANCEL (§9: 200 to CANCEL, 487 to INVITE; 481 when unmatched).
//! - RFC 3581 rport for everyone: every response goes to the request's source address and
//!   port, whatever the Via names (so a forged Via cannot make us reflect traffic), and the
//!   top Via of every response carries `received` and `rport` filled in.
//! - Access before state: a request from outside the networks allowed for its class
//!   ([`AccessPolicy`]: call, register, other) gets a stateless 403 and no transaction; a
//!   request inside a dialog we hold is admitted from that dialog's peer. A per-source flood
//!   limit ([`FloodGuard`], Kamailio pike style) drops requests before they are parsed.
//! - Responses to our requests are matched by branch, method and source address: a response
//!   from anywhere but where the request went is dropped.
//! - RFC 3261 §10.3 registrar (with `EndpointConfig::registrar`) behind §22 digest
//!   authentication (RFC 7616/8760 SHA-256 offered first, RFC 2617 MD5 beside it, qop=auth):
//!   401 with one challenge per algorithm sharing a stateless nonce (time, serial and an
//!   HMAC-SHA256 over them and the client's IP, under a key drawn from the random source;
//!   valid 5 minutes, `stale=true` once expired, unknown, from another IP, or for a nonce count
//!   that does not increase; only nonces that authenticated someone are remembered), 403 for an
//!   unknown user, wrong response or To user other than the username, lockout by user AND
//!   address (`failure_limit` refusals for one user from one IP lock that pair; an IP failing
//!   for `address_failure_limit` users, or a user failing `user_failure_limit` times from
//!   `user_failure_sources` IPs, is locked too; for `lockout`). One binding per user (last
//!   wins) holding the Contact URI
//!   and the source address; expiry from the Contact `expires`, else `Expires`, else the
//!   default; 423 with Min-Expires, clamping to the maximum, `Contact: *` with `Expires: 0`,
//!   queries without Contact, out-of-order CSeq for the same Call-ID (500); expiry reported
//!   from `handle_timeout`.
//! - RFC 3515 REFER as transferor ([`Endpoint::refer`], final response or 408 reported) and
//!   NOTIFY in a dialog (200; `Event: refer` with its `message/sipfrag` status line and
//!   `Subscription-State: terminated` reported). NOTIFY outside a dialog gets 481.
//! - RFC 4566/3264 SDP parse/print and offer/answer for PCMU, PCMA and telephone-event.
//! - RFC 2046 multipart bodies: the SDP part of a `multipart/*` INVITE is found.
//!
//! - RFC 3261 §18 over TCP and TLS connections the peer opens: [`StreamFramer`] cuts a
//!   stream into messages by Content-Length (400 without one, 413 beyond the limit) and
//!   reports RFC 5626 keep-alive pings; [`Endpoint::handle_stream_message`] remembers which
//!   transport a peer address came over, so everything we send it (responses, in-dialog
//!   requests, calls to an agent registered over TCP) is marked [`Transmit::transport`] for the
//!   driver to write on that connection, with a Via and Contact naming that transport.
//!
//! # Simplifications
//! - We never open a connection: a stream peer is reached only while its own connection is
//!   up; everything else goes over UDP. No DNS (RFC 3263), no route sets: every in-dialog request we send goes to the
//!   address the dialog's first request came from (UAS) or was sent to (UAC).
//! - A re-INVITE or UPDATE in an established dialog is answered 200 with the SDP we sent last
//!   (session refresh, hold); no renegotiation. PRACK and INFO get 200; INFO is reported.
//! - No 100rel or session timers. Without `registrar` REGISTER gets 405. The registrar keeps
//!   one binding per user (a second device replaces the first), only in memory; it does not
//!   compare Request-URI with the digest `uri`, offers no `opaque`, no SHA-512-256 and no
//!   `auth-int`, and ignores Contact `q`. As UAC we answer one digest challenge (401/407) to
//!   an INVITE placed with [`OutgoingCall::credentials`] (MD5 or SHA-256, qop=auth or none,
//!   nc=1); a second challenge, or one to another request, is a final failure.
//! - REFER: we send it but refuse it from peers (405); NOTIFY is answered 200 whatever its
//!   Event package (no 489), and our REFER subscription is not refreshed or ended by us.
//! - Proxy-Require is ignored (it concerns proxies, RFC 3261 §8.2.2.3); only Require gives 420.
//! - A UAC `hangup` while the INVITE is unanswered sends CANCEL at once (even before a
//!   provisional response); the call ends with `Failed { status: 487 }` when the 487 arrives
//!   or after 64*T1.
//! - Requests in RFC 2543 syntax (no From tag) are refused with 400 (RFC 4475 §3.4.1 allows it).

mod access;
mod accessors;
mod digest;
mod endpoint;
mod error;
mod fields;
mod flood;
mod headers;
mod message;
mod multipart;
mod name_addr;
mod parse;
mod random;
mod scan;
pub mod sdp;
mod stream;
mod uri;
mod via;
mod warning;

pub use access::{AccessPolicy, RequestClass};
pub use digest::{ha1, AccountSecret, Algorithm as DigestAlgorithm};
pub use endpoint::{
    EndCause, Endpoint, EndpointConfig, Event, OutgoingCall, RegistrarConfig, Registration,
    Transmit,
};
pub use error::{Defect, RecoveredRequest, SdpDefect, SipError};
pub use fields::{parse_max_forwards, CSeq, MediaType, Method};
pub use flood::{FloodGuard, FloodLimit, FloodReport, FloodVerdict};
pub use headers::{canonical_name, Headers};
pub use message::{reason_phrase, Message, Request, Response};
pub use multipart::{parts as multipart_parts, sdp_body};
pub use name_addr::{Contact, NameAddr};
pub use parse::parse_message;
pub use random::{OsRandom, RandomSource};
pub use scan::Param;
pub use sdp::{
    answer_sdp, negotiate, negotiate_answer, offer_sdp, Codec, Direction, Negotiated,
    SessionDescription,
};
pub use stream::{Frame, StreamDefect, StreamFramer, StreamRefusal, Transport};
pub use uri::Uri;
pub use via::{Via, MAGIC_COOKIE};
pub use warning::Warning;

/// A SIP Call-ID, which names a call in the [`Endpoint`] API.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallId(pub String);

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
