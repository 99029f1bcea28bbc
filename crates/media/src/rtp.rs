//! RTP (RFC 3550) packets as Hotline sends and receives them, and the sender state that numbers them.

use crate::dtmf::DtmfEvent;
use crate::error::MediaError;

/// Length of the fixed RTP header.
pub const RTP_HEADER_LEN: usize = 12;
/// The only RTP version in use.
pub const RTP_VERSION: u8 = 2;

/// One RTP packet. Contributing sources and header extensions of received packets are skipped;
/// packets built here carry neither.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtpPacket {
    /// Payload type (0 PCMU, 8 PCMA, or a dynamic type such as telephone-event).
    pub payload_type: u8,
    /// Marker bit: first packet of a talkspurt, or of a telephone event.
    pub marker: bool,
    /// Sequence number, incremented by one per packet, wrapping at 65535.
    pub sequence: u16,
    /// Sampling instant of the first sample, in clock-rate units, wrapping.
    pub timestamp: u32,
    /// Synchronisation source of the stream.
    pub ssrc: u32,
    /// Payload with any padding removed.
    pub payload: Vec<u8>,
}

fn read_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl RtpPacket {
    /// Parses one UDP datagram, skipping CSRCs and a header extension and removing padding.
    pub fn parse(datagram: &[u8]) -> Result<RtpPacket, MediaError> {
        let len = datagram.len();
        if len < RTP_HEADER_LEN {
            return Err(MediaError::RtpTooShort {
                len,
                needed: RTP_HEADER_LEN,
            });
        }
        let version = datagram[0] >> 6;
        if version != RTP_VERSION {
            return Err(MediaError::RtpVersion { version });
        }
        let has_padding = datagram[0] & 0x20 != 0;
        let has_extension = datagram[0] & 0x10 != 0;
        let csrc_count = usize::from(datagram[0] & 0x0F);
        let mut offset = RTP_HEADER_LEN + 4 * csrc_count;
        if has_extension {
            // 16-bit profile, 16-bit length in 32-bit words, then the extension itself.
            let needed = offset + 4;
            if len < needed {
                return Err(MediaError::RtpTooShort { len, needed });
            }
            let words = usize::from(read_u16(datagram, offset + 2));
            offset = needed + 4 * words;
        }
        if len < offset {
            return Err(MediaError::RtpTooShort {
                len,
                needed: offset,
            });
        }
        let mut end = len;
        if has_padding {
            let available = len - offset;
            let padding = usize::from(datagram[len - 1]);
            if padding == 0 || padding > available {
                return Err(MediaError::RtpPadding { padding, available });
            }
            end -= padding;
        }
        Ok(RtpPacket {
            payload_type: datagram[1] & 0x7F,
            marker: datagram[1] & 0x80 != 0,
            sequence: read_u16(datagram, 2),
            timestamp: read_u32(datagram, 4),
            ssrc: read_u32(datagram, 8),
            payload: datagram[offset..end].to_vec(),
        })
    }

    /// Serialises the packet: version 2, no padding, no extension, no CSRC.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(RTP_HEADER_LEN + self.payload.len());
        bytes.push(RTP_VERSION << 6);
        bytes.push((u8::from(self.marker) << 7) | (self.payload_type & 0x7F));
        bytes.extend_from_slice(&self.sequence.to_be_bytes());
        bytes.extend_from_slice(&self.timestamp.to_be_bytes());
        bytes.extend_from_slice(&self.ssrc.to_be_bytes());
        bytes.extend_from_slice(&self.payload);
        bytes
    }
}

/// Numbers the packets of one outgoing stream: one SSRC, consecutive sequence numbers and a
/// timestamp that advances with the audio clock, including over silence that is not sent.
#[derive(Clone, Debug)]
pub struct RtpSender {
    ssrc: u32,
    next_sequence: u16,
    next_timestamp: u32,
    payload_type: u8,
}

impl RtpSender {
    /// Starts a stream; the caller supplies random initial values as RFC 3550 asks.
    pub fn new(ssrc: u32, initial_sequence: u16, initial_timestamp: u32, payload_type: u8) -> Self {
        RtpSender {
            ssrc,
            next_sequence: initial_sequence,
            next_timestamp: initial_timestamp,
            payload_type,
        }
    }

    /// The stream's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Sequence number the next packet will carry.
    pub fn next_sequence(&self) -> u16 {
        self.next_sequence
    }

    /// Timestamp the next audio packet will carry.
    pub fn next_timestamp(&self) -> u32 {
        self.next_timestamp
    }

    /// Builds the next audio packet holding `samples` samples; the marker bit is set on the first
    /// packet of a talkspurt, and the timestamp then advances by `samples`.
    pub fn audio(&mut self, payload: Vec<u8>, samples: u32, talkspurt_start: bool) -> RtpPacket {
        let packet = self.packet(
            self.payload_type,
            talkspurt_start,
            self.next_timestamp,
            payload,
        );
        self.next_timestamp = self.next_timestamp.wrapping_add(samples);
        packet
    }

    /// Advances the timestamp over `samples` of silence that are not sent.
    pub fn skip(&mut self, samples: u32) {
        self.next_timestamp = self.next_timestamp.wrapping_add(samples);
    }

    /// Builds the packets of one telephone event (from [`crate::dtmf_packets`]) with payload type
    /// `payload_type`: all carry the current timestamp, then the timestamp advances by the
    /// event's final duration. The caller sends them one per packet interval.
    pub fn dtmf(&mut self, payload_type: u8, events: &[(DtmfEvent, bool)]) -> Vec<RtpPacket> {
        let timestamp = self.next_timestamp;
        let packets: Vec<RtpPacket> = events
            .iter()
            .map(|(event, marker)| {
                self.packet(payload_type, *marker, timestamp, event.to_bytes().to_vec())
            })
            .collect();
        let duration = events
            .iter()
            .map(|(event, _)| event.duration)
            .max()
            .unwrap_or(0);
        self.skip(u32::from(duration));
        packets
    }

    fn packet(
        &mut self,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        payload: Vec<u8>,
    ) -> RtpPacket {
        let sequence = self.next_sequence;
        self.next_sequence = self.next_sequence.wrapping_add(1);
        RtpPacket {
            payload_type,
            marker,
            sequence,
            timestamp,
            ssrc: self.ssrc,
            payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_packet() -> RtpPacket {
        RtpPacket {
            payload_type: 8,
            marker: true,
            sequence: 0xBEEF,
            timestamp: 0xDEAD_BEEF,
            ssrc: 0x1234_5678,
            payload: vec![0xD5; 160],
        }
    }

    #[test]
    fn serialised_packet_has_the_rfc_3550_layout_and_parses_back() {
        let packet = sample_packet();
        let bytes = packet.to_bytes();
        assert_eq!(bytes.len(), 172);
        assert_eq!(
            &bytes[..12],
            &[0x80, 0x88, 0xBE, 0xEF, 0xDE, 0xAD, 0xBE, 0xEF, 0x12, 0x34, 0x56, 0x78]
        );
        assert_eq!(RtpPacket::parse(&bytes), Ok(packet));
    }

    #[test]
    fn wrong_version_is_rejected() {
        let mut bytes = sample_packet().to_bytes();
        bytes[0] = 0x40; // version 1
        assert_eq!(
            RtpPacket::parse(&bytes),
            Err(MediaError::RtpVersion { version: 1 })
        );
        bytes[0] = 0x00;
        assert_eq!(
            RtpPacket::parse(&bytes),
            Err(MediaError::RtpVersion { version: 0 })
        );
    }

    #[test]
    fn short_datagrams_are_rejected() {
        let bytes = sample_packet().to_bytes();
        for len in 0..12 {
            assert_eq!(
                RtpPacket::parse(&bytes[..len]),
                Err(MediaError::RtpTooShort { len, needed: 12 })
            );
        }
        // A header alone is a valid packet with an empty payload.
        assert_eq!(
            RtpPacket::parse(&bytes[..12]).map(|p| p.payload.len()),
            Ok(0)
        );
    }

    #[test]
    fn padding_is_removed_and_bad_padding_rejected() {
        let mut bytes = sample_packet().to_bytes();
        bytes[0] |= 0x20;
        bytes.extend_from_slice(&[0, 0, 0, 4]);
        let packet = RtpPacket::parse(&bytes).expect("padded packet");
        assert_eq!(packet.payload, vec![0xD5; 160]);

        let last = bytes.len() - 1;
        bytes[last] = 0;
        assert_eq!(
            RtpPacket::parse(&bytes),
            Err(MediaError::RtpPadding {
                padding: 0,
                available: 164
            })
        );
        let header_only = [0xA0, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 5];
        assert_eq!(
            RtpPacket::parse(&header_only),
            Err(MediaError::RtpPadding {
                padding: 5,
                available: 1
            })
        );
    }

    #[test]
    fn csrcs_and_header_extension_are_skipped() {
        let mut bytes = vec![
            0x80 | 0x10 | 0x02,
            0x00,
            0x00,
            0x07,
            0,
            0,
            0,
            160,
            0,
            0,
            0,
            9,
        ];
        bytes.extend_from_slice(&[0xAA; 8]); // two CSRCs
        bytes.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x02]); // extension of two words
        bytes.extend_from_slice(&[0x11; 8]);
        bytes.extend_from_slice(&[1, 2, 3]);
        let packet = RtpPacket::parse(&bytes).expect("packet with CSRCs and extension");
        assert_eq!(packet.payload, vec![1, 2, 3]);
        assert_eq!(
            (packet.sequence, packet.timestamp, packet.ssrc),
            (7, 160, 9)
        );
        assert!(!packet.marker);

        // The same packet cut inside the CSRC list, the extension header or the extension body.
        for (len, needed) in [(16, 24), (22, 24), (30, 32)] {
            assert_eq!(
                RtpPacket::parse(&bytes[..len]),
                Err(MediaError::RtpTooShort { len, needed })
            );
        }
    }

    #[test]
    fn sender_numbers_packets_and_wraps_sequence_and_timestamp() {
        let mut sender = RtpSender::new(42, 65534, u32::MAX - 159, 0);
        let first = sender.audio(vec![0xFF; 160], 160, true);
        assert_eq!(
            (first.sequence, first.timestamp, first.marker),
            (65534, u32::MAX - 159, true)
        );
        let second = sender.audio(vec![0xFF; 160], 160, false);
        assert_eq!(
            (second.sequence, second.timestamp, second.marker),
            (65535, 0, false)
        );
        sender.skip(320);
        let third = sender.audio(vec![0xFF; 160], 160, true);
        assert_eq!((third.sequence, third.timestamp), (0, 480));
        assert!([first, second, third]
            .iter()
            .all(|p| p.ssrc == 42 && p.payload_type == 0));
        assert_eq!(sender.next_timestamp(), 640);
        assert_eq!(sender.next_sequence(), 1);
    }

    #[test]
    fn dtmf_packets_share_one_timestamp_and_advance_the_clock_by_the_duration() {
        let mut sender = RtpSender::new(7, 100, 1000, 0);
        let events = crate::dtmf_packets('5', 100, 10).expect("digit 5");
        let packets = sender.dtmf(101, &events);
        assert_eq!(packets.len(), events.len());
        assert!(packets
            .iter()
            .all(|p| p.timestamp == 1000 && p.payload_type == 101));
        let sequences: Vec<u16> = packets.iter().map(|p| p.sequence).collect();
        assert_eq!(
            sequences,
            (100..100 + events.len() as u16).collect::<Vec<_>>()
        );
        assert!(packets[0].marker && packets[1..].iter().all(|p| !p.marker));
        assert_eq!(sender.next_timestamp(), 1000 + 800);
    }
}
