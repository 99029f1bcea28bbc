//! Test audio: speech from espeak-ng, conversions with sox, and the DTMF digits inside an
//! RFC 2833/4733 telephone-event pcap (read from the file itself, so tests never guess).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::run_ok;

/// Speaks `text` with espeak-ng into a WAV file (espeak's own rate, 16-bit mono).
pub fn espeak_wav(text: &str, wav: &Path) {
    run_ok(
        Command::new("espeak-ng")
            .args(["-v", "en-us", "-s", "150", "-w"])
            .arg(wav)
            .arg(text),
    );
}

/// Converts any WAV to headerless 8 kHz mono G.711 mu-law (`.ul`, what SIPp's `rtp_stream`
/// wants: it would send a WAV header as audio), with silence before and after.
pub fn wav_to_ulaw(wav: &Path, ul: &Path, silence_before: Duration, silence_after: Duration) {
    sox_convert(
        wav,
        ul,
        &["-r", "8000", "-c", "1", "-t", "ul"],
        silence_before,
        silence_after,
    );
}

/// Converts any WAV to a 16-bit mono WAV at `rate` Hz, with silence before and after (what
/// baresip's `aufile` and most softphones want).
pub fn wav_to_pcm16(
    wav: &Path,
    out: &Path,
    rate: u32,
    silence_before: Duration,
    silence_after: Duration,
) {
    let rate = rate.to_string();
    sox_convert(
        wav,
        out,
        &[
            "-r",
            &rate,
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            "-t",
            "wav",
        ],
        silence_before,
        silence_after,
    );
}

fn sox_convert(input: &Path, output: &Path, format: &[&str], before: Duration, after: Duration) {
    run_ok(
        Command::new("sox")
            .arg(input)
            .args(format)
            .arg(output)
            .args(["gain", "-n", "-3", "pad"])
            .arg(format!("{:.3}", before.as_secs_f64()))
            .arg(format!("{:.3}", after.as_secs_f64())),
    );
}

/// The keys carried by the telephone-event packets (payload type `payload_type`) of a pcap,
/// one per event (an event is one RTP timestamp), in capture order. Handles classic pcap files
/// of either byte order with Ethernet, Linux cooked or raw IPv4 framing.
pub fn telephone_event_digits(pcap: &Path, payload_type: u8) -> Vec<char> {
    let bytes =
        std::fs::read(pcap).unwrap_or_else(|e| panic!("cannot read {}: {e}", pcap.display()));
    let big_endian = match bytes.get(0..4) {
        Some([0xa1, 0xb2, 0xc3, 0xd4]) | Some([0xa1, 0xb2, 0x3c, 0x4d]) => true,
        Some([0xd4, 0xc3, 0xb2, 0xa1]) | Some([0x4d, 0x3c, 0xb2, 0xa1]) => false,
        _ => panic!("{} is not a classic pcap file", pcap.display()),
    };
    let u32_at = |at: usize| -> usize {
        let b: [u8; 4] = bytes[at..at + 4].try_into().expect("4 bytes");
        (if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }) as usize
    };
    let link_type = u32_at(20);
    let mut digits = Vec::new();
    let mut last_timestamp = None;
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let captured = u32_at(at + 8);
        let frame = &bytes[at + 16..(at + 16 + captured).min(bytes.len())];
        at += 16 + captured;
        let Some(ip) = (match link_type {
            1 if frame.len() > 14 && frame[12..14] == [0x08, 0x00] => Some(&frame[14..]),
            113 if frame.len() > 16 && frame[14..16] == [0x08, 0x00] => Some(&frame[16..]),
            101 | 228 => Some(frame),
            _ => None,
        }) else {
            continue;
        };
        if ip.len() < 20 || ip[0] >> 4 != 4 || ip[9] != 17 {
            continue;
        }
        let udp = &ip[((ip[0] & 0x0f) as usize * 4).min(ip.len())..];
        if udp.len() < 8 + 12 {
            continue;
        }
        let rtp = &udp[8..];
        if rtp[0] >> 6 != 2 || rtp[1] & 0x7f != payload_type {
            continue;
        }
        let header = 12 + 4 * (rtp[0] & 0x0f) as usize;
        let Some(&event) = rtp.get(header) else {
            continue;
        };
        let timestamp = u32::from_be_bytes([rtp[4], rtp[5], rtp[6], rtp[7]]);
        if last_timestamp == Some(timestamp) {
            continue;
        }
        last_timestamp = Some(timestamp);
        if let Some(&key) = b"0123456789*#ABCD".get(event as usize) {
            digits.push(key as char);
        }
    }
    digits
}

/// One piece of a scripted phone conversation.
pub enum Segment<'a> {
    Silence(Duration),
    /// Spoken by espeak-ng (`voice`: an espeak voice such as `en-us` or `en-us+f3`).
    Say {
        text: &'a str,
        voice: &'a str,
    },
}

/// Builds an 8 kHz 16-bit mono WAV from silences and espeak-ng speech in order: the timeline of
/// what a softphone says during a call (baresip hangs up when its file ends).
pub fn timeline_wav(dir: &Path, name: &str, segments: &[Segment]) -> std::path::PathBuf {
    let mut parts = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let part = dir.join(format!("{name}-part{i}.wav"));
        match segment {
            Segment::Silence(length) => run_ok(
                Command::new("sox")
                    .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
                    .arg(&part)
                    .args(["trim", "0", &format!("{:.3}", length.as_secs_f64())]),
            ),
            Segment::Say { text, voice } => {
                let raw = dir.join(format!("{name}-part{i}-raw.wav"));
                run_ok(
                    Command::new("espeak-ng")
                        .args(["-v", voice, "-s", "150", "-w"])
                        .arg(&raw)
                        .arg(text),
                );
                run_ok(
                    Command::new("sox")
                        .arg(&raw)
                        .args(["-r", "8000", "-c", "1", "-b", "16"])
                        .arg(&part),
                )
            }
        };
        parts.push(part);
    }
    let out = dir.join(format!("{name}.wav"));
    run_ok(Command::new("sox").args(&parts).arg(&out));
    out
}
