//! One call's RTP socket: G.711 both ways, RFC 4733 digits in and out, symmetric RTP latching,
//! and received packets put back in sequence order.
//!
//! Used by inbound calls and by `hotline dial`. Packets from any address other than the one we
//! latched onto are ignored once media has started, so a stray sender cannot hijack the stream.
//! Nothing plays the caller's audio to a loudspeaker, so there is no playout clock: a packet in
//! sequence is handed on at once, one that overtook another waits for it, and a missing packet
//! becomes 20 ms of silence once [`REORDER_DEPTH`] of later audio has arrived.

use std::collections::VecDeque;
use std::net::SocketAddr;

use std::time::Duration;

use hotline_media::{
    dtmf_packets, pcm_to_f32, Codec, DtmfEvent, DtmfReceiver, JitterBuffer, JitterFrame, RtpPacket,
    RtpSender,
};
use tokio::net::UdpSocket;

use crate::call::{Frame, FRAME};
use crate::error::HotlineError;

/// How much later audio a missing packet is waited for before it counts as lost.
pub const REORDER_DEPTH: Duration = Duration::from_millis(60);

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
    remote: Option<SocketAddr>,
    latched: bool,
    codec: Codec,
    payload_type: u8,
    dtmf_payload_type: Option<u8>,
    sender: RtpSender,
    dtmf: DtmfReceiver,
    encoded: Vec<u8>,
    decoded: Vec<i16>,
    dtmf_out: VecDeque<RtpPacket>,
    reorder: JitterBuffer,
}

impl RtpLink {
    pub fn new(
        socket: std::net::UdpSocket,
        remote: Option<SocketAddr>,
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
            remote,
            latched: false,
            codec,
            payload_type,
            dtmf_payload_type,
            sender: RtpSender::new(rand::random(), rand::random(), rand::random(), payload_type),
            dtmf: DtmfReceiver::new(),
            encoded: Vec::with_capacity(FRAME),
            decoded: Vec::with_capacity(FRAME),
            dtmf_out: VecDeque::new(),
            reorder: JitterBuffer::new(REORDER_DEPTH, Duration::from_millis(20)),
        })
    }

    /// Takes the media the caller chose in its answer (delayed offer): codec, payload types, and
    /// where to send, unless RTP from the caller already showed where it really is.
    pub fn apply_answer(
        &mut self,
        remote: SocketAddr,
        codec: Codec,
        payload_type: u8,
        dtmf_payload_type: Option<u8>,
    ) {
        if !self.latched {
            self.remote = Some(remote);
        }
        self.codec = codec;
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
            if self.latched && Some(source) != self.remote {
                continue;
            }
            let Ok(packet) = RtpPacket::parse(&buf[..n]) else {
                continue;
            };
            // Symmetric RTP (RFC 4961): answer where the media really comes from.
            if !self.latched {
                self.remote = Some(source);
                self.latched = true;
            }
            self.reorder.push(packet);
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
        let Some(remote) = self.remote else { return };
        if let Some(packet) = self.dtmf_out.pop_front() {
            let _ = self.socket.send_to(&packet.to_bytes(), remote).await;
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
            Frame::Silence => {
                self.codec.encode(&[0i16; FRAME], &mut self.encoded);
                self.sender
                    .audio(std::mem::take(&mut self.encoded), FRAME as u32, false)
            }
        };
        let _ = self.socket.send_to(&packet.to_bytes(), remote).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A link on loopback and a plain socket playing the caller.
    async fn link_and_caller() -> (RtpLink, std::net::UdpSocket, Vec<u8>) {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let addr = socket.local_addr().unwrap();
        let link = RtpLink::new(socket, None, Codec::Pcmu, 0, Some(101)).unwrap();
        let caller = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        caller.connect(addr).unwrap();
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
}
