//! One call's RTP socket: G.711 both ways, RFC 4733 digits in and out, symmetric RTP latching.
//!
//! Used by inbound calls and by `hotline dial`. Packets from any address other than the one we
//! latched onto are ignored once media has started, so a stray sender cannot hijack the stream.

use std::collections::VecDeque;
use std::net::SocketAddr;

use hotline_media::{
    dtmf_packets, pcm_to_f32, Codec, DtmfEvent, DtmfReceiver, RtpPacket, RtpSender,
};
use tokio::net::UdpSocket;

use crate::call::{Frame, FRAME};
use crate::error::HotlineError;

/// What one received datagram meant.
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

    /// Waits for the next datagram and interprets it.
    pub async fn recv(&mut self, buf: &mut [u8]) -> Incoming {
        let Ok((n, source)) = self.socket.recv_from(buf).await else {
            return Incoming::Ignored;
        };
        if self.latched && Some(source) != self.remote {
            return Incoming::Ignored;
        }
        let Ok(packet) = RtpPacket::parse(&buf[..n]) else {
            return Incoming::Ignored;
        };
        // Symmetric RTP (RFC 4961): answer where the media really comes from.
        if !self.latched {
            self.remote = Some(source);
            self.latched = true;
        }
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
