//! Conversions between 16-bit PCM (what G.711 decodes to) and f32 samples (what the models consume).

/// Converts one 16-bit sample to the range [-1.0, 1.0).
pub fn sample_to_f32(sample: i16) -> f32 {
    f32::from(sample) / 32768.0
}

/// Converts one f32 sample to 16 bits, rounding and clipping to the i16 range (NaN becomes 0).
pub fn sample_to_pcm(sample: f32) -> i16 {
    if sample.is_nan() {
        return 0;
    }
    (sample * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// Converts 16-bit PCM to f32 samples in [-1.0, 1.0).
pub fn pcm_to_f32(pcm: &[i16]) -> Vec<f32> {
    pcm.iter().map(|&sample| sample_to_f32(sample)).collect()
}

/// Converts f32 samples to 16-bit PCM, clipping anything outside [-1.0, 1.0).
pub fn f32_to_pcm(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|&sample| sample_to_pcm(sample))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pcm_value_survives_the_round_trip() {
        for x in i16::MIN..=i16::MAX {
            assert_eq!(sample_to_pcm(sample_to_f32(x)), x);
        }
    }

    #[test]
    fn out_of_range_samples_are_clipped() {
        assert_eq!(
            f32_to_pcm(&[1.0, 1.5, -1.0, -7.0, f32::NAN, 0.5]),
            vec![32767, 32767, -32768, -32768, 0, 16384]
        );
        assert_eq!(pcm_to_f32(&[-32768, 0, 16384]), vec![-1.0, 0.0, 0.5]);
    }
}
