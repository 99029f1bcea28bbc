//! The receive-side jitter buffer: puts a peer's RTP packets back in order, drops duplicates and
//! late arrivals, and hands out one frame per packet interval with gaps reported as lost.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::rtp::RtpPacket;

/// Extended sequence numbers start here so that early reordered packets stay representable.
const EXTENDED_BASE: u64 = 1 << 32;
/// A sequence number further than this from the stream (either way) means the sender restarted.
const RESTART_DISTANCE: u64 = 1000;
/// Packets held beyond the target depth before the oldest are dropped (2 s at 20 ms).
const EXTRA_CAPACITY: usize = 100;

/// What the caller plays for one packet interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JitterFrame {
    /// The next packet in sequence order (audio, or telephone-event: dispatch by payload type).
    Packet(RtpPacket),
    /// The packet with this sequence number never arrived in time: insert one frame of silence.
    Lost {
        /// Sequence number of the missing packet.
        sequence: u16,
    },
}

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// Queued for playout.
    Queued,
    /// Already queued (or being held): dropped.
    Duplicate,
    /// Its turn has passed: dropped.
    Late,
    /// New SSRC or a sequence jump: the buffer was emptied and restarted with this packet.
    Restarted,
}

/// Counters since the buffer was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets queued.
    pub queued: u64,
    /// Packets dropped as duplicates.
    pub duplicates: u64,
    /// Packets dropped because they arrived after their turn.
    pub late: u64,
    /// Sequence numbers that were never played.
    pub lost: u64,
    /// Packets dropped because the caller did not pop fast enough.
    pub overflowed: u64,
    /// Restarts on SSRC change or sequence jump.
    pub restarts: u64,
}

/// A fixed-depth jitter buffer driven by the caller's playout clock: [`JitterBuffer::push`]
/// every received packet, [`JitterBuffer::pop`] once per packet interval. Playout starts (and
/// restarts after running dry) once the buffered packets span the target depth.
#[derive(Clone, Debug)]
pub struct JitterBuffer {
    depth: u64,
    ssrc: Option<u32>,
    packets: BTreeMap<u64, RtpPacket>,
    /// Highest extended sequence number seen in the current stream.
    highest: u64,
    /// First extended sequence number not yet played, once anything has been played.
    next: Option<u64>,
    playing: bool,
    stats: JitterStats,
}

impl JitterBuffer {
    /// A buffer holding about `target_depth` of audio in packets of `ptime` (at least one packet).
    pub fn new(target_depth: Duration, ptime: Duration) -> Self {
        let ptime = ptime.as_nanos().max(1);
        let depth = target_depth.as_nanos().div_ceil(ptime).clamp(1, 50) as u64;
        JitterBuffer {
            depth,
            ssrc: None,
            packets: BTreeMap::new(),
            highest: 0,
            next: None,
            playing: false,
            stats: JitterStats::default(),
        }
    }

    /// Target depth in packets.
    pub fn depth(&self) -> usize {
        self.depth as usize
    }

    /// Packets currently held.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// True when no packet is held.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Counters since creation.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Forgets the stream: the next packet starts a new one.
    pub fn reset(&mut self) {
        self.ssrc = None;
        self.packets.clear();
        self.next = None;
        self.playing = false;
    }

    /// Offers one received packet.
    pub fn push(&mut self, packet: RtpPacket) -> PushOutcome {
        let Some(ssrc) = self.ssrc else {
            self.start_stream(packet);
            return PushOutcome::Queued;
        };
        if ssrc != packet.ssrc {
            return self.restart(packet);
        }
        let delta = i64::from(packet.sequence.wrapping_sub(self.highest as u16) as i16);
        let extended = self.highest.saturating_add_signed(delta);
        let floor = self.next.unwrap_or(self.highest);
        if extended < floor.saturating_sub(RESTART_DISTANCE)
            || extended > self.highest + RESTART_DISTANCE
        {
            return self.restart(packet);
        }
        if self.next.is_some_and(|next| extended < next) {
            self.stats.late += 1;
            return PushOutcome::Late;
        }
        if self.packets.contains_key(&extended) {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        self.packets.insert(extended, packet);
        self.highest = self.highest.max(extended);
        self.stats.queued += 1;
        while self.packets.len() > self.depth as usize + EXTRA_CAPACITY {
            if let Some((oldest, _)) = self.packets.pop_first() {
                self.stats.overflowed += 1;
                self.next = Some(oldest + 1);
            }
        }
        PushOutcome::Queued
    }

    /// The frame to play for this packet interval, or `None` while (re)filling to the target
    /// depth: play silence then.
    pub fn pop(&mut self) -> Option<JitterFrame> {
        if !self.playing {
            let (&lowest, _) = self.packets.first_key_value()?;
            if self.highest - lowest + 1 < self.depth {
                return None;
            }
            if let Some(next) = self.next {
                // Missing while the buffer was dry: their time has passed unplayed.
                self.stats.lost += lowest.saturating_sub(next);
            }
            self.next = Some(lowest);
            self.playing = true;
        }
        let next = self.next?;
        if let Some(packet) = self.packets.remove(&next) {
            self.next = Some(next + 1);
            return Some(JitterFrame::Packet(packet));
        }
        if self.packets.is_empty() {
            // Ran dry (silence suppression, a pause, or a burst of loss): refill before playing.
            self.playing = false;
            return None;
        }
        self.next = Some(next + 1);
        self.stats.lost += 1;
        Some(JitterFrame::Lost {
            sequence: next as u16,
        })
    }

    /// For a consumer without a playout clock (the call's speech recogniser): the next packet as
    /// soon as it is in sequence, without waiting for the target depth; a missing packet is given
    /// up as `Lost` only once the target depth of later packets has arrived after it. `None`: wait
    /// for the next packet.
    pub fn pop_ready(&mut self) -> Option<JitterFrame> {
        let next = match self.next {
            Some(next) => next,
            None => {
                let (&lowest, _) = self.packets.first_key_value()?;
                lowest
            }
        };
        if let Some(packet) = self.packets.remove(&next) {
            self.next = Some(next + 1);
            return Some(JitterFrame::Packet(packet));
        }
        if self.packets.is_empty() || self.highest - next < self.depth {
            self.next = Some(next);
            return None;
        }
        self.next = Some(next + 1);
        self.stats.lost += 1;
        Some(JitterFrame::Lost {
            sequence: next as u16,
        })
    }

    /// Removes every held packet in sequence order (at the end of a call); playout then refills.
    pub fn drain(&mut self) -> Vec<RtpPacket> {
        let packets = std::mem::take(&mut self.packets);
        if let Some((&last, _)) = packets.last_key_value() {
            self.next = Some(last + 1);
        }
        self.playing = false;
        packets.into_values().collect()
    }

    fn start_stream(&mut self, packet: RtpPacket) {
        self.ssrc = Some(packet.ssrc);
        self.highest = EXTENDED_BASE + u64::from(packet.sequence);
        self.next = None;
        self.playing = false;
        self.packets.insert(self.highest, packet);
        self.stats.queued += 1;
    }

    fn restart(&mut self, packet: RtpPacket) -> PushOutcome {
        self.reset();
        self.stats.restarts += 1;
        self.start_stream(packet);
        PushOutcome::Restarted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PTIME: Duration = Duration::from_millis(20);

    fn packet(ssrc: u32, sequence: u16) -> RtpPacket {
        RtpPacket {
            payload_type: 0,
            marker: false,
            sequence,
            timestamp: u32::from(sequence) * 160,
            ssrc,
            payload: vec![sequence as u8; 160],
        }
    }

    /// A frame as Ok(sequence) for a packet, Err(sequence) for a loss.
    fn describe(frame: JitterFrame) -> Result<u16, u16> {
        match frame {
            JitterFrame::Packet(p) => Ok(p.sequence),
            JitterFrame::Lost { sequence } => Err(sequence),
        }
    }

    /// Pops until the buffer yields nothing.
    fn play_out(buffer: &mut JitterBuffer) -> Vec<Result<u16, u16>> {
        std::iter::from_fn(|| buffer.pop()).map(describe).collect()
    }

    /// `pop_ready` until it yields nothing.
    fn ready(buffer: &mut JitterBuffer) -> Vec<Result<u16, u16>> {
        std::iter::from_fn(|| buffer.pop_ready())
            .map(describe)
            .collect()
    }

    #[test]
    fn ready_packets_come_out_at_once_and_in_order() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(60), PTIME);
        buffer.push(packet(1, 10));
        assert_eq!(ready(&mut buffer), [Ok(10)]);
        // 12 overtook 11: held until 11 arrives, then both in order.
        buffer.push(packet(1, 12));
        assert_eq!(ready(&mut buffer), []);
        buffer.push(packet(1, 11));
        assert_eq!(ready(&mut buffer), [Ok(11), Ok(12)]);
        // A duplicate and a late packet are dropped.
        assert_eq!(buffer.push(packet(1, 12)), PushOutcome::Late);
        assert_eq!(ready(&mut buffer), []);
    }

    #[test]
    fn a_missing_packet_is_given_up_after_the_target_depth() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(60), PTIME);
        buffer.push(packet(1, 65_534));
        assert_eq!(ready(&mut buffer), [Ok(65_534)]);
        // 65_535 is lost; the sequence wraps.
        buffer.push(packet(1, 0));
        buffer.push(packet(1, 1));
        assert_eq!(ready(&mut buffer), []);
        buffer.push(packet(1, 2));
        assert_eq!(ready(&mut buffer), [Err(65_535), Ok(0), Ok(1), Ok(2)]);
        assert_eq!(buffer.stats().lost, 1);
        // Too late now.
        assert_eq!(buffer.push(packet(1, 65_535)), PushOutcome::Late);
    }

    #[test]
    fn a_new_sender_starts_a_new_stream_for_ready_packets() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(60), PTIME);
        buffer.push(packet(1, 100));
        assert_eq!(ready(&mut buffer), [Ok(100)]);
        assert_eq!(buffer.push(packet(2, 7)), PushOutcome::Restarted);
        assert_eq!(ready(&mut buffer), [Ok(7)]);
    }

    #[test]
    fn depth_is_rounded_up_to_whole_packets() {
        assert_eq!(
            JitterBuffer::new(Duration::from_millis(60), PTIME).depth(),
            3
        );
        assert_eq!(
            JitterBuffer::new(Duration::from_millis(50), PTIME).depth(),
            3
        );
        assert_eq!(JitterBuffer::new(Duration::ZERO, PTIME).depth(), 1);
    }

    #[test]
    fn playout_waits_until_the_target_depth_is_buffered() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(60), PTIME);
        buffer.push(packet(1, 10));
        assert_eq!(buffer.pop(), None);
        buffer.push(packet(1, 11));
        assert_eq!(buffer.pop(), None);
        buffer.push(packet(1, 12));
        assert_eq!(buffer.pop(), Some(JitterFrame::Packet(packet(1, 10))));
        assert_eq!(play_out(&mut buffer), vec![Ok(11), Ok(12)]);
    }

    #[test]
    fn reordered_packets_come_out_in_order() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(40), PTIME);
        for sequence in [102, 100, 101, 104, 103, 105] {
            assert_eq!(buffer.push(packet(1, sequence)), PushOutcome::Queued);
        }
        assert_eq!(
            play_out(&mut buffer),
            vec![Ok(100), Ok(101), Ok(102), Ok(103), Ok(104), Ok(105)]
        );
    }

    #[test]
    fn first_packet_overtaken_during_prefill_is_still_played() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(60), PTIME);
        buffer.push(packet(1, 6));
        buffer.push(packet(1, 5));
        buffer.push(packet(1, 7));
        assert_eq!(play_out(&mut buffer), vec![Ok(5), Ok(6), Ok(7)]);
        assert_eq!(buffer.stats().late, 0);
    }

    #[test]
    fn duplicates_are_dropped() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(40), PTIME);
        assert_eq!(buffer.push(packet(1, 0)), PushOutcome::Queued);
        assert_eq!(buffer.push(packet(1, 1)), PushOutcome::Queued);
        assert_eq!(buffer.push(packet(1, 1)), PushOutcome::Duplicate);
        assert_eq!(buffer.push(packet(1, 2)), PushOutcome::Queued);
        assert_eq!(play_out(&mut buffer), vec![Ok(0), Ok(1), Ok(2)]);
        // Once played, the same packet again is late, not played twice.
        assert_eq!(buffer.push(packet(1, 2)), PushOutcome::Late);
        assert_eq!(buffer.stats().duplicates, 1);
        assert_eq!(buffer.stats().late, 1);
    }

    #[test]
    fn missing_packets_are_reported_lost_and_late_arrivals_dropped() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(40), PTIME);
        for sequence in [0, 1, 3, 4, 7] {
            buffer.push(packet(1, sequence));
        }
        assert_eq!(buffer.pop(), Some(JitterFrame::Packet(packet(1, 0))));
        assert_eq!(buffer.pop(), Some(JitterFrame::Packet(packet(1, 1))));
        assert_eq!(buffer.pop(), Some(JitterFrame::Lost { sequence: 2 }));
        assert_eq!(buffer.push(packet(1, 2)), PushOutcome::Late);
        assert_eq!(buffer.push(packet(1, 5)), PushOutcome::Queued);
        assert_eq!(
            play_out(&mut buffer),
            vec![Ok(3), Ok(4), Ok(5), Err(6), Ok(7)]
        );
        assert_eq!(buffer.stats().lost, 2);
    }

    #[test]
    fn sequence_wraps_at_65535() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(60), PTIME);
        for sequence in [65534, 65533, 0, 65535, 2, 1] {
            assert_eq!(buffer.push(packet(1, sequence)), PushOutcome::Queued);
        }
        assert_eq!(
            play_out(&mut buffer),
            vec![Ok(65533), Ok(65534), Ok(65535), Ok(0), Ok(1), Ok(2)]
        );
        // Loss across the wrap is reported with the wrapped number.
        let mut buffer = JitterBuffer::new(Duration::from_millis(20), PTIME);
        for sequence in [65535, 1] {
            buffer.push(packet(1, sequence));
        }
        assert_eq!(play_out(&mut buffer), vec![Ok(65535), Err(0), Ok(1)]);
    }

    #[test]
    fn running_dry_refills_to_the_target_depth_before_playing_again() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(40), PTIME);
        buffer.push(packet(1, 0));
        buffer.push(packet(1, 1));
        assert_eq!(play_out(&mut buffer), vec![Ok(0), Ok(1)]);
        buffer.push(packet(1, 2));
        assert_eq!(buffer.pop(), None);
        buffer.push(packet(1, 3));
        assert_eq!(play_out(&mut buffer), vec![Ok(2), Ok(3)]);
    }

    #[test]
    fn new_ssrc_or_sequence_jump_restarts_the_stream() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(20), PTIME);
        buffer.push(packet(1, 500));
        buffer.push(packet(1, 501));
        assert_eq!(buffer.pop(), Some(JitterFrame::Packet(packet(1, 500))));
        assert_eq!(buffer.push(packet(2, 9)), PushOutcome::Restarted);
        assert_eq!(buffer.push(packet(2, 10)), PushOutcome::Queued);
        assert_eq!(play_out(&mut buffer), vec![Ok(9), Ok(10)]);
        // Same SSRC, sequence far away (the sender restarted its numbering).
        assert_eq!(buffer.push(packet(2, 30000)), PushOutcome::Restarted);
        assert_eq!(play_out(&mut buffer), vec![Ok(30000)]);
        assert_eq!(buffer.stats().restarts, 2);
    }

    #[test]
    fn a_caller_that_stops_popping_loses_the_oldest_packets_not_memory() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(40), PTIME);
        for sequence in 0..500u16 {
            buffer.push(packet(1, sequence));
        }
        let held = buffer.len();
        assert_eq!(held, 2 + EXTRA_CAPACITY);
        assert_eq!(buffer.stats().overflowed, 500 - held as u64);
        assert_eq!(
            buffer.pop(),
            Some(JitterFrame::Packet(packet(1, 500 - held as u16)))
        );
    }

    #[test]
    fn drain_returns_the_rest_in_order() {
        let mut buffer = JitterBuffer::new(Duration::from_millis(100), PTIME);
        for sequence in [3, 1, 2] {
            buffer.push(packet(1, sequence));
        }
        assert_eq!(buffer.pop(), None);
        let drained: Vec<u16> = buffer.drain().iter().map(|p| p.sequence).collect();
        assert_eq!(drained, vec![1, 2, 3]);
        assert!(buffer.is_empty());
        assert_eq!(buffer.push(packet(1, 2)), PushOutcome::Late);
    }
}
