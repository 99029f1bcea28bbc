//! DTMF keys as RFC 4733 telephone-events: the 4-byte payload, the packet train a sender emits,
//! and a receiver that reports each key press exactly once despite redundancy and loss.

use crate::error::MediaError;

/// RTP clock rate of telephone-event as Hotline offers it (`telephone-event/8000`).
pub const DTMF_CLOCK_RATE: u32 = 8000;
/// Interval between the packets of one event, in milliseconds.
pub const DTMF_PACKET_INTERVAL_MS: u32 = 20;
/// How many times the final (end) packet is sent, as RFC 4733 recommends.
pub const DTMF_END_REPEATS: usize = 3;
/// A packet this many samples older than the current event is a late straggler, not a new press.
const STALE_WINDOW: u32 = 5 * DTMF_CLOCK_RATE;

const KEYS: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D',
];

/// The event code (0-15) of a DTMF key; `a`-`d` are accepted as `A`-`D`.
pub fn event_code(digit: char) -> Option<u8> {
    let digit = digit.to_ascii_uppercase();
    KEYS.iter()
        .position(|&key| key == digit)
        .map(|index| index as u8)
}

/// One telephone-event payload (RFC 4733 section 2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DtmfEvent {
    /// Event code: 0-9, 10 `*`, 11 `#`, 12-15 `A`-`D`; other codes are other tones.
    pub event: u8,
    /// End bit: the event is over (sent three times).
    pub end: bool,
    /// Power level in -dBm0, 0..=63.
    pub volume: u8,
    /// Duration so far, in RTP clock units, counted from the event's timestamp.
    pub duration: u16,
}

impl DtmfEvent {
    /// Parses the first 4 bytes of a telephone-event payload.
    pub fn parse(payload: &[u8]) -> Result<Self, MediaError> {
        match payload {
            [event, flags, high, low, ..] => Ok(DtmfEvent {
                event: *event,
                end: flags & 0x80 != 0,
                volume: flags & 0x3F,
                duration: u16::from_be_bytes([*high, *low]),
            }),
            _ => Err(MediaError::DtmfTooShort { len: payload.len() }),
        }
    }

    /// Serialises the payload (the reserved bit is zero, volume is clipped to 63).
    pub fn to_bytes(&self) -> [u8; 4] {
        let [high, low] = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | self.volume.min(0x3F),
            high,
            low,
        ]
    }

    /// The DTMF key of this event, if it is one.
    pub fn digit(&self) -> Option<char> {
        KEYS.get(usize::from(self.event)).copied()
    }
}

/// The payloads a sender emits for one key press, one every 20 ms at 8 kHz, with the marker bit
/// of each: durations grow by 160 until `duration_ms` (at least one packet, at most 65535
/// samples), then the end packet is sent three times. All go out with the same RTP timestamp
/// (see [`crate::RtpSender::dtmf`]). `volume` is in -dBm0 (10 is typical).
pub fn dtmf_packets(
    digit: char,
    duration_ms: u32,
    volume: u8,
) -> Result<Vec<(DtmfEvent, bool)>, MediaError> {
    let event = event_code(digit).ok_or(MediaError::UnknownDtmfDigit { digit })?;
    let step = DTMF_CLOCK_RATE * DTMF_PACKET_INTERVAL_MS / 1000;
    let total = duration_ms
        .saturating_mul(DTMF_CLOCK_RATE / 1000)
        .clamp(step, u32::from(u16::MAX));
    let volume = volume.min(0x3F);
    let mut packets = Vec::new();
    let mut duration = step;
    while duration < total {
        packets.push((
            DtmfEvent {
                event,
                end: false,
                volume,
                duration: duration as u16,
            },
            packets.is_empty(),
        ));
        duration += step;
    }
    for _ in 0..DTMF_END_REPEATS {
        packets.push((
            DtmfEvent {
                event,
                end: true,
                volume,
                duration: total as u16,
            },
            packets.is_empty(),
        ));
    }
    Ok(packets)
}

#[derive(Clone, Copy, Debug)]
struct CurrentEvent {
    timestamp: u32,
    event: u8,
    longest: u16,
    ended: bool,
}

/// Turns received telephone-event packets into key presses. A press is reported on the first
/// packet seen with a new RTP timestamp, so redundant end packets, a lost start or lost end
/// packets never duplicate or drop it; late packets of an earlier event are ignored, and the
/// segments of one very long event (RFC 4733 section 2.5.1.3) count once.
#[derive(Clone, Debug, Default)]
pub struct DtmfReceiver {
    current: Option<CurrentEvent>,
}

impl DtmfReceiver {
    /// A receiver that has seen no event.
    pub fn new() -> Self {
        DtmfReceiver::default()
    }

    /// Forgets the current event (for a new stream or SSRC).
    pub fn reset(&mut self) {
        self.current = None;
    }

    /// Feeds one packet; returns the key when it starts a new press.
    pub fn on_packet(&mut self, rtp_timestamp: u32, event: &DtmfEvent) -> Option<char> {
        if let Some(current) = &mut self.current {
            if rtp_timestamp == current.timestamp {
                current.longest = current.longest.max(event.duration);
                current.ended |= event.end;
                return None;
            }
            let age = current.timestamp.wrapping_sub(rtp_timestamp);
            if age <= STALE_WINDOW {
                return None;
            }
            let continues = !current.ended
                && event.event == current.event
                && rtp_timestamp == current.timestamp.wrapping_add(u32::from(current.longest));
            if continues {
                *current = CurrentEvent {
                    timestamp: rtp_timestamp,
                    event: event.event,
                    longest: event.duration,
                    ended: event.end,
                };
                return None;
            }
        }
        self.current = Some(CurrentEvent {
            timestamp: rtp_timestamp,
            event: event.event,
            longest: event.duration,
            ended: event.end,
        });
        event.digit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The (timestamp, event) stream a sender produces for `keys`, one press every 200 ms.
    fn stream(keys: &str, first_timestamp: u32) -> Vec<Vec<(u32, DtmfEvent)>> {
        keys.chars()
            .enumerate()
            .map(|(index, key)| {
                let timestamp = first_timestamp.wrapping_add(index as u32 * 1600);
                let packets = dtmf_packets(key, 100, 10).expect("valid key");
                packets
                    .into_iter()
                    .map(|(event, _)| (timestamp, event))
                    .collect()
            })
            .collect()
    }

    fn receive(
        receiver: &mut DtmfReceiver,
        packets: impl IntoIterator<Item = (u32, DtmfEvent)>,
    ) -> String {
        packets
            .into_iter()
            .filter_map(|(timestamp, event)| receiver.on_packet(timestamp, &event))
            .collect()
    }

    #[test]
    fn payload_layout_follows_rfc_4733() {
        let event = DtmfEvent {
            event: 5,
            end: true,
            volume: 10,
            duration: 800,
        };
        assert_eq!(event.to_bytes(), [5, 0x8A, 0x03, 0x20]);
        assert_eq!(DtmfEvent::parse(&[5, 0x8A, 0x03, 0x20]), Ok(event));
        // The reserved bit is ignored, extra bytes too.
        assert_eq!(DtmfEvent::parse(&[5, 0xCA, 0x03, 0x20, 0xFF]), Ok(event));
        assert_eq!(
            DtmfEvent::parse(&[5, 0x8A, 0x03]),
            Err(MediaError::DtmfTooShort { len: 3 })
        );
    }

    #[test]
    fn event_codes_map_to_all_sixteen_keys() {
        let keys: String = (0..16u8)
            .map(|code| {
                let event = DtmfEvent {
                    event: code,
                    end: false,
                    volume: 0,
                    duration: 0,
                };
                let parsed = DtmfEvent::parse(&event.to_bytes()).expect("4 bytes");
                parsed.digit().expect("a DTMF key")
            })
            .collect();
        assert_eq!(keys, "0123456789*#ABCD");
        assert_eq!(
            DtmfEvent {
                event: 16,
                end: false,
                volume: 0,
                duration: 0
            }
            .digit(),
            None
        );
        assert_eq!(event_code('#'), Some(11));
        assert_eq!(event_code('d'), Some(15));
        assert_eq!(event_code('E'), None);
    }

    #[test]
    fn sender_train_grows_then_repeats_the_end_three_times() {
        let packets = dtmf_packets('#', 100, 10).expect("valid key");
        let durations: Vec<u16> = packets.iter().map(|(event, _)| event.duration).collect();
        assert_eq!(durations, vec![160, 320, 480, 640, 800, 800, 800]);
        let ends: Vec<bool> = packets.iter().map(|(event, _)| event.end).collect();
        assert_eq!(ends, vec![false, false, false, false, true, true, true]);
        let markers: Vec<bool> = packets.iter().map(|(_, marker)| *marker).collect();
        assert_eq!(
            markers,
            vec![true, false, false, false, false, false, false]
        );
        assert!(packets
            .iter()
            .all(|(event, _)| event.event == 11 && event.volume == 10));

        // A very short press still sends one duration's worth of end packets, with the marker.
        let short = dtmf_packets('1', 5, 10).expect("valid key");
        assert_eq!(short.len(), 3);
        assert!(short[0].1 && short[0].0.end && short[0].0.duration == 160);
        assert_eq!(
            dtmf_packets('x', 100, 10),
            Err(MediaError::UnknownDtmfDigit { digit: 'x' })
        );
    }

    #[test]
    fn each_key_is_reported_once_despite_redundant_end_packets() {
        let mut receiver = DtmfReceiver::new();
        let keys = "0123456789*#ABCD";
        let heard = receive(&mut receiver, stream(keys, 4000).into_iter().flatten());
        assert_eq!(heard, keys);
    }

    #[test]
    fn repeated_key_is_reported_each_time() {
        let mut receiver = DtmfReceiver::new();
        assert_eq!(
            receive(&mut receiver, stream("5511", 0).into_iter().flatten()),
            "5511"
        );
    }

    #[test]
    fn lost_end_packets_do_not_lose_or_merge_presses() {
        let mut receiver = DtmfReceiver::new();
        let without_ends = stream("4455", 9000)
            .into_iter()
            .flat_map(|press| press.into_iter().filter(|(_, e)| !e.end));
        assert_eq!(receive(&mut receiver, without_ends), "4455");
    }

    #[test]
    fn lost_start_packets_still_report_the_press() {
        let mut receiver = DtmfReceiver::new();
        let only_ends = stream("789", 0)
            .into_iter()
            .flat_map(|press| press.into_iter().filter(|(_, e)| e.end));
        assert_eq!(receive(&mut receiver, only_ends), "789");
        let mut receiver = DtmfReceiver::new();
        let one_end_each = stream("12", 0)
            .into_iter()
            .flat_map(|press| press.into_iter().skip(5).take(1));
        assert_eq!(receive(&mut receiver, one_end_each), "12");
    }

    #[test]
    fn late_packet_of_the_previous_press_is_ignored() {
        let mut receiver = DtmfReceiver::new();
        let presses = stream("36", 100);
        let mut packets: Vec<(u32, DtmfEvent)> = presses.concat();
        // The last end packet of '3' arrives after the first packet of '6'.
        let straggler = packets.remove(6);
        packets.insert(8, straggler);
        assert_eq!(receive(&mut receiver, packets), "36");
    }

    #[test]
    fn presses_across_timestamp_wrap_are_all_reported() {
        let mut receiver = DtmfReceiver::new();
        let heard = receive(
            &mut receiver,
            stream("*0#", u32::MAX - 2000).into_iter().flatten(),
        );
        assert_eq!(heard, "*0#");
    }

    #[test]
    fn segments_of_one_long_press_count_once() {
        let mut receiver = DtmfReceiver::new();
        let first = DtmfEvent {
            event: 9,
            end: false,
            volume: 10,
            duration: u16::MAX,
        };
        let second = DtmfEvent {
            event: 9,
            end: true,
            volume: 10,
            duration: 4000,
        };
        assert_eq!(receiver.on_packet(1000, &first), Some('9'));
        assert_eq!(receiver.on_packet(1000 + 65535, &second), None);
        // A fresh press after the end is reported again.
        assert_eq!(receiver.on_packet(1000 + 65535 + 8000, &second), Some('9'));
    }
}
