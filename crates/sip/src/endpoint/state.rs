//! What the endpoint remembers between datagrams: calls (dialogs), server and client
//! transactions, and the generator of tags, branches and Call-IDs.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::random::RandomSource;
use crate::{CallId, NameAddr, Request, Uri, MAGIC_COOKIE};

/// Which side of the call we are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Uas,
    Uac,
}

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallState {
    /// UAS: INVITE received, no final response yet.
    Incoming,
    /// UAS: 2xx sent, waiting for the ACK.
    Answered,
    /// UAC: INVITE sent, nothing heard yet.
    Calling,
    /// UAC: a provisional response arrived.
    Early,
    /// UAC: CANCEL sent for the unanswered INVITE.
    Cancelling,
    /// Both: the dialog is established.
    Confirmed,
    /// Both: our BYE is on its way.
    Terminating,
}

/// A 2xx the UAS core retransmits until the ACK arrives (RFC 3261 §13.3.1.4).
#[derive(Clone, Debug)]
pub(crate) struct PendingAck {
    pub payload: Vec<u8>,
    pub destination: SocketAddr,
    pub next_at: Instant,
    pub interval: Duration,
    pub deadline: Instant,
    pub cseq: u32,
    /// The 2xx to the dialog-creating INVITE (its loss ends the call) or to a re-INVITE.
    pub initial: bool,
}

/// One call: the dialog plus what is needed to drive its INVITE.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub role: Role,
    pub state: CallState,
    /// Our side, with our tag.
    pub local: NameAddr,
    /// The peer, with its tag once known.
    pub remote: NameAddr,
    pub remote_target: Uri,
    /// Where in-dialog requests go.
    pub peer: SocketAddr,
    pub local_cseq: u32,
    pub remote_cseq: Option<u32>,
    pub invite_cseq: u32,
    pub local_sdp: Option<String>,
    /// UAS: the INVITE server transaction key; UAC: the INVITE client transaction key.
    pub invite_key: String,
    pub pending_ack: Option<PendingAck>,
    /// UAC: the ACK sent for the 2xx, resent when the 2xx is retransmitted.
    pub ack: Option<Vec<u8>>,
    pub ringing_reported: bool,
    pub cancel_deadline: Option<Instant>,
    /// UAC: credentials for a digest challenge to the INVITE, taken when it is answered (once).
    pub credentials: Option<(String, String)>,
}

impl Call {
    pub fn local_tag(&self) -> &str {
        self.local.tag().unwrap_or_default()
    }
}

/// A server transaction (RFC 3261 §17.2) over UDP.
#[derive(Clone, Debug)]
pub(crate) struct ServerTx {
    pub request: Request,
    /// Responses go here: the request's source address, whatever its Via says.
    pub destination: SocketAddr,
    /// Via values for responses, the top one stamped with received/rport.
    pub response_vias: Vec<String>,
    /// The To tag our responses carry when the request had none.
    pub to_tag: String,
    pub call: Option<CallId>,
    pub last: Option<(u16, Vec<u8>)>,
    /// Timer G: next retransmission of a non-2xx final response, and the interval.
    pub retransmit: Option<(Instant, Duration)>,
    /// Timer H: give up waiting for the ACK.
    pub give_up_at: Option<Instant>,
    /// Timers I/J and the end of the accepted state: forget the transaction.
    pub expire_at: Option<Instant>,
    pub acked: bool,
}

impl ServerTx {
    pub fn final_status(&self) -> Option<u16> {
        self.last.as_ref().map(|(s, _)| *s).filter(|s| *s >= 200)
    }
}

/// What a client transaction is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientKind {
    Invite,
    Cancel,
    /// `report`: whether its completion is reported as `Ended { LocalBye }`.
    Bye {
        report: bool,
    },
    /// Our REFER: its final response is reported as `ReferAnswered`.
    Refer,
    Other,
}

/// A client transaction (RFC 3261 §17.1) over UDP.
#[derive(Clone, Debug)]
pub(crate) struct ClientTx {
    pub kind: ClientKind,
    pub call: CallId,
    pub request: Request,
    pub payload: Vec<u8>,
    pub destination: SocketAddr,
    /// Timers A/E: next retransmission and the interval.
    pub retransmit: Option<(Instant, Duration)>,
    /// Timers B/F.
    pub timeout_at: Option<Instant>,
    /// Timer D: keep absorbing retransmitted final responses.
    pub expire_at: Option<Instant>,
    /// ACK for a non-2xx final response to an INVITE.
    pub ack: Option<Vec<u8>>,
}

/// Tags, branches and Call-IDs from the injected random source.
pub(crate) struct Ids {
    random: Box<dyn RandomSource>,
}

/// The generator's state stays out of logs.
impl std::fmt::Debug for Ids {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ids")
    }
}

impl Ids {
    pub fn new(random: Box<dyn RandomSource>) -> Ids {
        Ids { random }
    }

    pub fn next(&mut self) -> u64 {
        self.random.next_u64()
    }

    pub fn tag(&mut self) -> String {
        format!("{:016x}", self.next())
    }

    pub fn branch(&mut self) -> String {
        format!("{MAGIC_COOKIE}{:016x}{:016x}", self.next(), self.next())
    }

    pub fn call_id(&mut self, host: &str) -> String {
        format!("{:016x}{:016x}@{host}", self.next(), self.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix64;

    #[test]
    fn ids_are_deterministic_and_distinct() {
        let seeded = |seed| Ids::new(Box::new(SplitMix64::new(seed)));
        let mut a = seeded(1);
        let mut b = seeded(1);
        assert_eq!(a.tag(), b.tag());
        let (x, y) = (a.branch(), a.branch());
        assert_ne!(x, y);
        assert!(x.starts_with(MAGIC_COOKIE));
        assert!(a.call_id("10.0.0.1").ends_with("@10.0.0.1"));
        assert_ne!(seeded(2).tag(), seeded(3).tag());
    }
}
