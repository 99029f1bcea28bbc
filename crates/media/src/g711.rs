//! G.711 µ-law (PCMU) and A-law (PCMA): the two codecs every SIP phone speaks, on 16-bit linear PCM.
//!
//! The companding follows ITU-T G.711: µ-law works on 14-bit magnitudes, A-law on 13-bit
//! magnitudes; 16-bit input is truncated to those resolutions, negative values use the one's
//! complement magnitude as in the ITU-T G.191 reference software, so the decision thresholds are
//! symmetric around -0.5. Decoded values are the interval midpoints scaled back to 16 bits.

/// Largest 14-bit magnitude µ-law can represent (its last decision value is 8159).
const ULAW_CLIP: i32 = 8158;
/// µ-law bias in 14-bit units: shifts the segment boundaries onto powers of two.
const ULAW_BIAS: i32 = 33;

/// Encodes one 16-bit linear sample as a µ-law code (as sent on the wire, bits inverted).
pub fn ulaw_encode(sample: i16) -> u8 {
    let sample = i32::from(sample);
    let (sign, magnitude) = if sample < 0 {
        (0x00, (!sample) >> 2)
    } else {
        (0x80, sample >> 2)
    };
    let biased = magnitude.min(ULAW_CLIP) + ULAW_BIAS;
    // biased is in 33..=8191: its highest set bit is 5..=12, giving segments 0..=7.
    let segment = (31 - biased.leading_zeros()) as i32 - 5;
    let step = (biased >> (segment + 1)) & 0x0F;
    let code = sign | ((segment as u8) << 4) | step as u8;
    // The sign bit is kept, the magnitude bits are inverted.
    code ^ 0x7F
}

/// Decodes one µ-law code to a 16-bit linear sample (0x00 is -32124, 0x80 is 32124, 0xFF and 0x7F are 0).
pub fn ulaw_decode(code: u8) -> i16 {
    let inverted = !code;
    let segment = i32::from((inverted >> 4) & 0x07);
    let step = i32::from(inverted & 0x0F);
    // Interval midpoint in 14-bit units: ((2n + 33) << s) - 33.
    let magnitude = ((2 * step + ULAW_BIAS) << segment) - ULAW_BIAS;
    let value = magnitude * 4;
    if inverted & 0x80 != 0 {
        -value as i16
    } else {
        value as i16
    }
}

/// Encodes one 16-bit linear sample as an A-law code (as sent on the wire, even bits inverted).
pub fn alaw_encode(sample: i16) -> u8 {
    let sample = i32::from(sample);
    let (sign, magnitude) = if sample < 0 {
        (0x00, (!sample) >> 3)
    } else {
        (0x80, sample >> 3)
    };
    // 13-bit magnitude 0..=4095: segment 0 covers 0..32, segment s >= 1 covers 2^(s+4)..2^(s+5).
    let (segment, step) = if magnitude < 32 {
        (0, magnitude >> 1)
    } else {
        let segment = (31 - magnitude.leading_zeros()) as i32 - 4;
        (segment, (magnitude >> segment) & 0x0F)
    };
    (sign | ((segment as u8) << 4) | step as u8) ^ 0x55
}

/// Decodes one A-law code to a 16-bit linear sample (0xD5 is 8, 0x55 is -8, 0xAA is 32256).
pub fn alaw_decode(code: u8) -> i16 {
    let raw = code ^ 0x55;
    let segment = i32::from((raw >> 4) & 0x07);
    let step = i32::from(raw & 0x0F);
    let magnitude = if segment == 0 {
        2 * step + 1
    } else {
        // Start of the segment, plus whole steps of 2^segment, plus half a step.
        ((2 * step + 33) << segment) / 2
    };
    let value = magnitude * 8;
    if raw & 0x80 != 0 {
        value as i16
    } else {
        -value as i16
    }
}

/// The G.711 codecs with their static RTP payload types (RFC 3551).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// µ-law, payload type 0.
    Pcmu,
    /// A-law, payload type 8.
    Pcma,
}

impl Codec {
    /// Clock rate of both G.711 codecs in RTP, in Hz.
    pub const CLOCK_RATE: u32 = 8000;

    /// The static RTP payload type: 0 for PCMU, 8 for PCMA.
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The codec carried by a static payload type, if it is a G.711 one.
    pub fn from_payload_type(payload_type: u8) -> Option<Codec> {
        match payload_type {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The encoding name used in SDP `a=rtpmap` lines.
    pub fn sdp_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// Appends one code byte per sample to `out`.
    pub fn encode(self, pcm: &[i16], out: &mut Vec<u8>) {
        let encode = match self {
            Codec::Pcmu => ulaw_encode,
            Codec::Pcma => alaw_encode,
        };
        out.extend(pcm.iter().map(|&sample| encode(sample)));
    }

    /// Appends one 16-bit sample per payload byte to `out`.
    pub fn decode(self, payload: &[u8], out: &mut Vec<i16>) {
        let decode = match self {
            Codec::Pcmu => ulaw_decode,
            Codec::Pcma => alaw_decode,
        };
        out.extend(payload.iter().map(|&code| decode(code)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference decode tables, 16-bit scaled, derived from the G.711 segment definitions:
    // µ-law 14-bit decision values 0, 1, 3, ..., 31, 35, ..., 8159 with outputs at interval midpoints;
    // A-law 13-bit decision values 0, 2, ..., 32, 34, ..., 64, 68, ..., 4096 likewise.
    const ULAW_DECODE: [i16; 256] = [
        -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956, -23932, -22908, -21884,
        -20860, -19836, -18812, -17788, -16764, -15996, -15484, -14972, -14460, -13948, -13436,
        -12924, -12412, -11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316, -7932, -7676,
        -7420, -7164, -6908, -6652, -6396, -6140, -5884, -5628, -5372, -5116, -4860, -4604, -4348,
        -4092, -3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004, -2876, -2748, -2620, -2492,
        -2364, -2236, -2108, -1980, -1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436, -1372,
        -1308, -1244, -1180, -1116, -1052, -988, -924, -876, -844, -812, -780, -748, -716, -684,
        -652, -620, -588, -556, -524, -492, -460, -428, -396, -372, -356, -340, -324, -308, -292,
        -276, -260, -244, -228, -212, -196, -180, -164, -148, -132, -120, -112, -104, -96, -88,
        -80, -72, -64, -56, -48, -40, -32, -24, -16, -8, 0, 32124, 31100, 30076, 29052, 28028,
        27004, 25980, 24956, 23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764, 15996, 15484,
        14972, 14460, 13948, 13436, 12924, 12412, 11900, 11388, 10876, 10364, 9852, 9340, 8828,
        8316, 7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140, 5884, 5628, 5372, 5116, 4860, 4604,
        4348, 4092, 3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004, 2876, 2748, 2620, 2492, 2364,
        2236, 2108, 1980, 1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436, 1372, 1308, 1244, 1180,
        1116, 1052, 988, 924, 876, 844, 812, 780, 748, 716, 684, 652, 620, 588, 556, 524, 492, 460,
        428, 396, 372, 356, 340, 324, 308, 292, 276, 260, 244, 228, 212, 196, 180, 164, 148, 132,
        120, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8, 0,
    ];
    const ALAW_DECODE: [i16; 256] = [
        -5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736, -7552, -7296, -8064, -7808, -6528,
        -6272, -7040, -6784, -2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368, -3776, -3648,
        -4032, -3904, -3264, -3136, -3520, -3392, -22016, -20992, -24064, -23040, -17920, -16896,
        -19968, -18944, -30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136, -11008,
        -10496, -12032, -11520, -8960, -8448, -9984, -9472, -15104, -14592, -16128, -15616, -13056,
        -12544, -14080, -13568, -344, -328, -376, -360, -280, -264, -312, -296, -472, -456, -504,
        -488, -408, -392, -440, -424, -88, -72, -120, -104, -24, -8, -56, -40, -216, -200, -248,
        -232, -152, -136, -184, -168, -1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184,
        -1888, -1824, -2016, -1952, -1632, -1568, -1760, -1696, -688, -656, -752, -720, -560, -528,
        -624, -592, -944, -912, -1008, -976, -816, -784, -880, -848, 5504, 5248, 6016, 5760, 4480,
        4224, 4992, 4736, 7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784, 2752, 2624, 3008, 2880,
        2240, 2112, 2496, 2368, 3776, 3648, 4032, 3904, 3264, 3136, 3520, 3392, 22016, 20992,
        24064, 23040, 17920, 16896, 19968, 18944, 30208, 29184, 32256, 31232, 26112, 25088, 28160,
        27136, 11008, 10496, 12032, 11520, 8960, 8448, 9984, 9472, 15104, 14592, 16128, 15616,
        13056, 12544, 14080, 13568, 344, 328, 376, 360, 280, 264, 312, 296, 472, 456, 504, 488,
        408, 392, 440, 424, 88, 72, 120, 104, 24, 8, 56, 40, 216, 200, 248, 232, 152, 136, 184,
        168, 1376, 1312, 1504, 1440, 1120, 1056, 1248, 1184, 1888, 1824, 2016, 1952, 1632, 1568,
        1760, 1696, 688, 656, 752, 720, 560, 528, 624, 592, 944, 912, 1008, 976, 816, 784, 880,
        848,
    ];

    /// Wire code from the G.711 bit layout: sign bit 1 for positive, the 7 magnitude bits inverted.
    fn ulaw_code(negative: bool, segment: u8, step: u8) -> u8 {
        let sign = if negative { 0x00 } else { 0x80 };
        sign | (!((segment << 4) | step) & 0x7F)
    }

    /// Wire code from the G.711 bit layout: sign bit 1 for positive, even bits inverted.
    fn alaw_code(negative: bool, segment: u8, step: u8) -> u8 {
        let sign = if negative { 0x00 } else { 0x80 };
        (sign | (segment << 4) | step) ^ 0x55
    }

    #[test]
    fn ulaw_decode_matches_the_reference_table() {
        for code in 0..=255u8 {
            assert_eq!(
                ulaw_decode(code),
                ULAW_DECODE[code as usize],
                "code {code:#04x}"
            );
        }
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
    }

    #[test]
    fn alaw_decode_matches_the_reference_table() {
        for code in 0..=255u8 {
            assert_eq!(
                alaw_decode(code),
                ALAW_DECODE[code as usize],
                "code {code:#04x}"
            );
        }
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
    }

    #[test]
    fn every_code_survives_decode_then_encode() {
        for code in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law {code:#04x}");
            if code != 0x7F {
                assert_eq!(ulaw_encode(ulaw_decode(code)), code, "µ-law {code:#04x}");
            }
        }
        // Negative zero decodes to 0, which encodes as positive zero.
        assert_eq!(ulaw_encode(ulaw_decode(0x7F)), 0xFF);
    }

    #[test]
    fn ulaw_encodes_each_segment_boundary() {
        // 14-bit decision values where a new segment begins, scaled to 16 bits.
        let starts = [31i32, 95, 223, 479, 991, 2015, 4063];
        for (index, start) in starts.iter().enumerate() {
            let segment = index as u8 + 1;
            let d = (start * 4) as i16;
            assert_eq!(
                ulaw_encode(d - 1),
                ulaw_code(false, segment - 1, 15),
                "below {d}"
            );
            assert_eq!(ulaw_encode(d), ulaw_code(false, segment, 0), "at {d}");
            assert_eq!(ulaw_encode(-d), ulaw_code(true, segment - 1, 15), "at -{d}");
            assert_eq!(
                ulaw_encode(-d - 1),
                ulaw_code(true, segment, 0),
                "below -{d}"
            );
        }
        // Inside segment 0 the first interval is 0..1 (16-bit 0..4).
        assert_eq!(ulaw_encode(3), 0xFF);
        assert_eq!(ulaw_encode(4), ulaw_code(false, 0, 1));
        assert_eq!(ulaw_encode(-4), 0x7F);
        assert_eq!(ulaw_encode(-5), ulaw_code(true, 0, 1));
        // Overload: everything beyond the last decision value gives the extreme codes.
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(32636), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
    }

    #[test]
    fn alaw_encodes_each_segment_boundary() {
        // 13-bit decision values where a new segment begins, scaled to 16 bits.
        let starts = [32i32, 64, 128, 256, 512, 1024, 2048];
        for (index, start) in starts.iter().enumerate() {
            let segment = index as u8 + 1;
            let d = (start * 8) as i16;
            assert_eq!(
                alaw_encode(d - 1),
                alaw_code(false, segment - 1, 15),
                "below {d}"
            );
            assert_eq!(alaw_encode(d), alaw_code(false, segment, 0), "at {d}");
            assert_eq!(alaw_encode(-d), alaw_code(true, segment - 1, 15), "at -{d}");
            assert_eq!(
                alaw_encode(-d - 1),
                alaw_code(true, segment, 0),
                "below -{d}"
            );
        }
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(15), 0xD5);
        assert_eq!(alaw_encode(16), alaw_code(false, 0, 1));
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn quantisation_error_stays_within_one_step_and_is_monotonic() {
        let mut previous = (i16::MIN, i16::MIN);
        for x in i16::MIN..=i16::MAX {
            let mu = ulaw_decode(ulaw_encode(x));
            let a = alaw_decode(alaw_encode(x));
            assert!(mu >= previous.0 && a >= previous.1, "not monotonic at {x}");
            previous = (mu, a);
            let magnitude = i32::from(x).abs();
            // Step sizes in 16-bit units at this magnitude (µ-law overload region excepted).
            if magnitude <= 32124 {
                let mu_step = 1 << ((magnitude + 132).ilog2() - 4);
                assert!(
                    (i32::from(mu) - i32::from(x)).abs() <= mu_step,
                    "µ-law error at {x}: {mu}"
                );
            }
            let a_step = if magnitude < 512 {
                16
            } else {
                1 << (magnitude.ilog2() - 4)
            };
            assert!(
                (i32::from(a) - i32::from(x)).abs() <= a_step,
                "A-law error at {x}: {a}"
            );
        }
    }

    #[test]
    fn codec_round_trips_a_frame_and_knows_its_payload_type() {
        let pcm: Vec<i16> = (0..160)
            .map(|i| ((i * 397) % 20000 - 10000) as i16)
            .collect();
        for codec in [Codec::Pcmu, Codec::Pcma] {
            assert_eq!(Codec::from_payload_type(codec.payload_type()), Some(codec));
            let mut payload = Vec::new();
            codec.encode(&pcm, &mut payload);
            assert_eq!(payload.len(), 160);
            let mut decoded = Vec::new();
            codec.decode(&payload, &mut decoded);
            assert_eq!(decoded.len(), 160);
            for (x, y) in pcm.iter().zip(&decoded) {
                // 8-bit companding keeps the error under about 1/16 of the magnitude plus a step.
                let tolerance = i32::from(*x).abs() / 16 + 16;
                assert!(
                    (i32::from(*x) - i32::from(*y)).abs() <= tolerance,
                    "{x} -> {y}"
                );
            }
        }
        assert_eq!(Codec::Pcmu.payload_type(), 0);
        assert_eq!(Codec::Pcma.payload_type(), 8);
        assert_eq!(Codec::from_payload_type(18), None);
    }
}
