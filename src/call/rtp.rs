//! One call's RTP socket: G.711 both ways, RFC 4733 digits in and out, strict source, and
//! received packets put back in sequence order.
//!
//! Used by inbound calls, agent legs and `hotline dial`. Every datagram goes through the media
//! crate's [`RtpGuard`] first: only RTP from the source the SDP named (or a NAT-rewritten port on
//! a trusted IP after probation), within the size and rate caps, is taken in; the rest is dropped
//! and counted in [`RTP_DROPS`] for `/metrics`. Our RTP goes where the guard says the source is.
//! Nothing plays the caller's audio to a loudspeaker, so there is no playout clock: a packet in
//! sequence is handed on at once, one that overtook another waits for it, and a missing packet
//! becomes 20 ms of silence once [`REORDER_DEPTH`] of later audio has arrived.
//!
//! On an SRTP call ([`RtpLink::use_srtp`]) every datagram is authenticated and decrypted before
//! the guard sees it: one that fails (forged, replayed, plain RTP) is dropped and counted as
//! `srtp_auth` or `srtp_replay`, so it can neither be heard nor move the guard's source.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hotline_media::{
    dtmf_packets, pcm_to_f32, Codec, DropReason, DtmfEvent, DtmfReceiver, JitterBuffer,
    JitterFrame, MediaError, RtpGuard, RtpPacket, RtpSender, SrtpReceiver, SrtpSender, Verdict,
};
use tokio::net::UdpSocket;

use crate::call::{Frame, FRAME};
use crate::error::HotlineError;

/// How much later audio a missing packet is waited for before it counts as lost.
pub const REORDER_DEPTH: Duration = Duration::from_millis(60);

/// RTP datagrams dropped by every link in this process, by [`DropReason::index`].
pub static RTP_DROPS: DropCounters = DropCounters::new();

/// Process-wide counts of dropped RTP datagrams, one per [`DropReason`].
pub struct DropCounters([AtomicU64; DropReason::ALL.len()]);

impl DropCounters {
    const fn new() -> DropCounters {
        DropCounters([const { AtomicU64::new(0) }; DropReason::ALL.len()])
    }

    pub fn add(&self, reason: DropReason) {
        self.0[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, reason: DropReason) -> u64 {
        self.0[reason.index()].load(Ordering::Relaxed)
    }
}

/// What one received packet meant.
#[derive(Debug)]
pub enum Incoming {
    /// 8 kHz caller audio in -1..1.
    Audio(Vec<f32>),
    Digit(char),
    /// Anything else: wrong payload type, foreign source, a DTMF continuation, garbage.
    Ignored,
}

pub struct RtpLink {
    socket: UdpSocket,
    guard: RtpGuard,
    /// The first foreign source seen, logged once per link.
    foreign_logged: bool,
    codec: Codec,
    payload_type: u8,
    dtmf_payload_type: Option<u8>,
    sender: RtpSender,
    dtmf: DtmfReceiver,
    encoded: Vec<u8>,
    /// One frame of silence in the call's codec, encoded once: most frames a listening call
    /// sends are silence.
    silence: Vec<u8>,
    decoded: Vec<i16>,
    dtmf_out: VecDeque<RtpPacket>,
    reorder: JitterBuffer,
    /// SRTP contexts when the call negotiated SDES keys: (what we send, what we receive).
    srtp: Option<(SrtpSender, SrtpReceiver)>,
}

impl RtpLink {
    /// `guard` knows the source the SDP named; it is where our RTP goes until it learns better.
    pub fn new(
        socket: std::net::UdpSocket,
        guard: RtpGuard,
        codec: Codec,
        payload_type: u8,
        dtmf_payload_type: Option<u8>,
    ) -> Result<RtpLink, HotlineError> {
        let local = socket.local_addr().ok();
        let socket = UdpSocket::from_std(socket).map_err(|source| HotlineError::Socket {
            addr: format!("{local:?}"),
            source,
        })?;
        Ok(RtpLink {
            socket,
            guard,
            foreign_logged: false,
            codec,
            payload_type,
            dtmf_payload_type,
            sender: RtpSender::new(rand::random(), rand::random(), rand::random(), payload_type),
            dtmf: DtmfReceiver::new(),
            encoded: Vec::with_capacity(FRAME),
            silence: encoded_silence(codec),
            decoded: Vec::with_capacity(FRAME),
            dtmf_out: VecDeque::new(),
            reorder: JitterBuffer::new(REORDER_DEPTH, Duration::from_millis(20)),
            srtp: None,
        })
    }

    /// Protects the link with SRTP: what we send with our key, what we take with the caller's.
    pub fn use_srtp(&mut self, keys: &super::SrtpKeys) {
        self.srtp = Some((
            SrtpSender::new(keys.ours.suite, &keys.ours.key),
            SrtpReceiver::new(keys.theirs.suite, &keys.theirs.key),
        ));
    }

    /// The packet as it goes on the wire: SRTP-protected on an SRTP call.
    fn wire(&mut self, packet: &RtpPacket) -> Option<Vec<u8>> {
        let bytes = packet.to_bytes();
        match &mut self.srtp {
            Some((sender, _)) => sender.protect(&bytes).ok(),
            None => Some(bytes),
        }
    }

    /// Takes the media the caller chose in its answer (delayed offer): codec, payload types, and
    /// the source to expect, unless RTP from that host already showed where it really is.
    pub fn apply_answer(
        &mut self,
        remote: SocketAddr,
        codec: Codec,
        payload_type: u8,
        dtmf_payload_type: Option<u8>,
    ) {
        self.guard.expect(remote);
        self.codec = codec;
        self.silence = encoded_silence(codec);
        self.payload_type = payload_type;
        self.dtmf_payload_type = dtmf_payload_type;
        self.sender = RtpSender::new(rand::random(), rand::random(), rand::random(), payload_type);
    }

    /// The next packet in sequence order, interpreted; waits for datagrams as needed. Safe to
    /// cancel (in `select!`): a datagram is either fully taken in or left on the socket.
    pub async fn recv(&mut self, buf: &mut [u8]) -> Incoming {
        loop {
            match self.reorder.pop_ready() {
                Some(JitterFrame::Packet(packet)) => return self.interpret(packet),
                Some(JitterFrame::Lost { .. }) => return Incoming::Audio(vec![0.0; FRAME]),
                None => {}
            }
            let Ok((n, source)) = self.socket.recv_from(buf).await else {
                return Incoming::Ignored;
            };
            let plain;
            let datagram = match &mut self.srtp {
                None => &buf[..n],
                Some((_, receiver)) => match receiver.unprotect(&buf[..n]) {
                    Ok(packet) => {
                        plain = packet;
                        &plain[..]
                    }
                    Err(e) => {
                        RTP_DROPS.add(match e {
                            MediaError::SrtpReplay { .. } => DropReason::SrtpReplay,
                            MediaError::SrtpAuthentication { .. } => DropReason::SrtpAuthentication,
                            _ => DropReason::NotRtp,
                        });
                        continue;
                    }
                },
            };
            match self.guard.check(Instant::now(), source, datagram) {
                Verdict::Accept(packet) => {
                    self.reorder.push(packet);
                }
                Verdict::Drop(reason) => {
                    RTP_DROPS.add(reason);
                    if reason == DropReason::ForeignSource && !self.foreign_logged {
                        self.foreign_logged = true;
                        tracing::warn!(
                            %source,
                            expected = ?self.guard.source(),
                            "RTP from a foreign source dropped (further drops are only counted)"
                        );
                    }
                }
            }
        }
    }

    fn interpret(&mut self, packet: RtpPacket) -> Incoming {
        if Some(packet.payload_type) == self.dtmf_payload_type {
            return match DtmfEvent::parse(&packet.payload) {
                Ok(event) => match self.dtmf.on_packet(packet.timestamp, &event) {
                    Some(digit) => Incoming::Digit(digit),
                    None => Incoming::Ignored,
                },
                Err(_) => Incoming::Ignored,
            };
        }
        if packet.payload_type != self.payload_type {
            return Incoming::Ignored;
        }
        self.decoded.clear();
        self.codec.decode(&packet.payload, &mut self.decoded);
        Incoming::Audio(pcm_to_f32(&self.decoded))
    }

    /// Sends one 20 ms frame (silence is sent as encoded silence, keeping the stream continuous).
    pub async fn send_frame(&mut self, frame: &Frame) {
        // Symmetric RTP (RFC 4961): answer where the accepted media comes from.
        let Some(remote) = self.guard.source() else {
            return;
        };
        if let Some(packet) = self.dtmf_out.pop_front() {
            if let Some(bytes) = self.wire(&packet) {
                let _ = self.socket.send_to(&bytes, remote).await;
            }
            return;
        }
        self.encoded.clear();
        let packet = match frame {
            Frame::Speech {
                pcm,
                talkspurt_start,
            } => {
                self.codec.encode(pcm, &mut self.encoded);
                self.sender.audio(
                    std::mem::take(&mut self.encoded),
                    FRAME as u32,
                    *talkspurt_start,
                )
            }
            Frame::Silence => self.sender.audio(self.silence.clone(), FRAME as u32, false),
        };
        if let Some(bytes) = self.wire(&packet) {
            let _ = self.socket.send_to(&bytes, remote).await;
        }
    }

    /// Queues one RFC 4733 digit; its packets replace audio frames on the next `send_frame` calls,
    /// one every 20 ms, all carrying the event's timestamp.
    pub fn queue_digit(&mut self, digit: char, duration_ms: u32) {
        let Some(pt) = self.dtmf_payload_type else {
            return;
        };
        if let Ok(events) = dtmf_packets(digit, duration_ms, 10) {
            self.dtmf_out.extend(self.sender.dtmf(pt, &events));
        }
    }
}

fn encoded_silence(codec: Codec) -> Vec<u8> {
    let mut silence = Vec::with_capacity(FRAME);
    codec.encode(&[0i16; FRAME], &mut silence);
    silence
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link on loopback and a plain socket playing the caller.
    async fn link_and_caller() -> (RtpLink, std::net::UdpSocket, Vec<u8>) {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let addr = socket.local_addr().unwrap();
        let caller = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        caller.connect(addr).unwrap();
        let guard = RtpGuard::new(
            hotline_media::GuardLimits::default(),
            Some(caller.local_addr().unwrap()),
            None,
        );
        let link = RtpLink::new(socket, guard, Codec::Pcmu, 0, Some(101)).unwrap();
        (link, caller, vec![0u8; 2048])
    }

    /// 20 ms of PCMU whose every sample decodes to `level`.
    fn packet(sequence: u16, level: i16) -> Vec<u8> {
        let mut payload = Vec::new();
        Codec::Pcmu.encode(&[level; FRAME], &mut payload);
        RtpPacket {
            payload_type: 0,
            marker: false,
            sequence,
            timestamp: u32::from(sequence) * FRAME as u32,
            ssrc: 7,
            payload,
        }
        .to_bytes()
    }

    /// What a sample of `level` is after a trip through PCMU.
    fn g711(level: i16) -> i16 {
        let (mut encoded, mut decoded) = (Vec::new(), Vec::new());
        Codec::Pcmu.encode(&[level], &mut encoded);
        Codec::Pcmu.decode(&encoded, &mut decoded);
        decoded[0]
    }

    async fn next_level(link: &mut RtpLink, buf: &mut [u8]) -> i32 {
        let incoming = tokio::time::timeout(std::time::Duration::from_secs(2), link.recv(buf))
            .await
            .expect("a frame comes out");
        match incoming {
            Incoming::Audio(samples) => (samples[0] * 32768.0).round() as i32,
            other => panic!("not audio: {other:?}"),
        }
    }

    #[tokio::test]
    async fn reordered_packets_come_out_in_sequence_and_a_lost_one_as_silence() {
        let (mut link, caller, mut buf) = link_and_caller().await;
        // 1, 3, 2 (reordered), then 4 is lost and 5, 6, 7 follow.
        for (sequence, level) in [
            (1, 1000),
            (3, 3000),
            (2, 2000),
            (5, 5000),
            (6, 6000),
            (7, 7000),
        ] {
            caller.send(&packet(sequence, level)).unwrap();
        }
        let mut levels = Vec::new();
        for _ in 0..7 {
            levels.push(next_level(&mut link, &mut buf).await);
        }
        let expected: Vec<i32> = [1000, 2000, 3000, 0, 5000, 6000, 7000]
            .iter()
            .map(|&level| i32::from(g711(level)))
            .collect();
        assert_eq!(levels, expected);
    }

    #[tokio::test]
    async fn a_sprayer_on_another_address_is_dropped_and_counted_before_and_after_the_caller() {
        let (mut link, caller, mut buf) = link_and_caller().await;
        let target = caller.peer_addr().unwrap();
        let sprayer = std::net::UdpSocket::bind("127.0.0.2:0").unwrap();
        let before = RTP_DROPS.get(DropReason::ForeignSource);
        // The sprayer goes first, loud and in sequence; then the caller; then the sprayer again.
        for sequence in 1..=5 {
            sprayer.send_to(&packet(sequence, 9000), target).unwrap();
        }
        caller.send(&packet(1, 1000)).unwrap();
        for sequence in 6..=10 {
            sprayer.send_to(&packet(sequence, 9000), target).unwrap();
        }
        caller.send(&packet(2, 2000)).unwrap();
        assert_eq!(next_level(&mut link, &mut buf).await, i32::from(g711(1000)));
        assert_eq!(next_level(&mut link, &mut buf).await, i32::from(g711(2000)));
        assert!(RTP_DROPS.get(DropReason::ForeignSource) >= before + 10);
    }

    #[tokio::test]
    async fn an_srtp_link_takes_only_authenticated_packets_and_sends_encrypted_ones() {
        use hotline_media::{CryptoLine, MasterKey, SrtpSuite, MASTER_LEN};
        let line = |byte| CryptoLine {
            tag: 1,
            suite: SrtpSuite::AesCm128HmacSha1_80,
            key: MasterKey::from_bytes(&[byte; MASTER_LEN]),
        };
        let (mut link, caller, mut buf) = link_and_caller().await;
        let keys = crate::call::SrtpKeys {
            theirs: line(1),
            ours: line(2),
        };
        link.use_srtp(&keys);
        let mut caller_srtp = SrtpSender::new(keys.theirs.suite, &keys.theirs.key);
        let auth_before = RTP_DROPS.get(DropReason::SrtpAuthentication);
        let replay_before = RTP_DROPS.get(DropReason::SrtpReplay);
        // Plain RTP and a forged packet first, then the caller's real packet, then a replay.
        caller.send(&packet(1, 9000)).unwrap();
        let mut forged = caller_srtp.protect(&packet(1, 1000)).unwrap();
        let genuine = forged.clone();
        forged[20] ^= 0xff;
        caller.send(&forged).unwrap();
        caller.send(&genuine).unwrap();
        caller.send(&genuine).unwrap();
        caller
            .send(&caller_srtp.protect(&packet(2, 2000)).unwrap())
            .unwrap();
        assert_eq!(next_level(&mut link, &mut buf).await, i32::from(g711(1000)));
        assert_eq!(next_level(&mut link, &mut buf).await, i32::from(g711(2000)));
        assert!(RTP_DROPS.get(DropReason::SrtpAuthentication) >= auth_before + 2);
        assert!(RTP_DROPS.get(DropReason::SrtpReplay) > replay_before);

        // What we send opens with our key and not without it.
        link.send_frame(&Frame::Silence).await;
        caller
            .set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        caller.set_nonblocking(false).unwrap();
        let mut received = [0u8; 2048];
        let n = caller.recv(&mut received).unwrap();
        let mut ours = SrtpReceiver::new(keys.ours.suite, &keys.ours.key);
        let plain = ours.unprotect(&received[..n]).expect("our key opens it");
        assert_eq!(plain.len(), n - 10);
        assert!(
            RtpPacket::parse(&received[..n]).is_ok(),
            "the header is RTP"
        );
        assert_ne!(
            plain[12..],
            received[12..n - 10],
            "the payload is encrypted"
        );
    }
}
