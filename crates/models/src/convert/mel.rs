//! The Slaney-style mel filter bank Whisper was trained with, computed rather than shipped.
//!
//! This follows the published definition of `librosa.filters.mel` with `htk=False` and
//! `norm="slaney"` (the bank OpenAI ships as `mel_filters.npz` and whisper.cpp reads from the
//! ggml header): triangles between mel-spaced edges on the Slaney scale (linear below 1 kHz,
//! logarithmic above), each scaled by `2 / (upper edge - lower edge)` in Hz.

/// Hz per mel below the break frequency.
const F_SP: f64 = 200.0 / 3.0;
/// Break between the linear and logarithmic parts of the Slaney scale.
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// The mel filter bank for `sample_rate` and `n_fft`, row-major `n_mels × (n_fft / 2 + 1)`,
/// covering 0 Hz to the Nyquist frequency. Whisper uses `mel_filter_bank(16000, 400, 80)`.
pub fn mel_filter_bank(sample_rate: u32, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_bins = n_fft / 2 + 1;
    let sr = f64::from(sample_rate);
    // Bin centre frequencies, as numpy's rfftfreq computes them.
    let bin_hz_step = 1.0 / (n_fft as f64 * (1.0 / sr));
    let fft_hz: Vec<f64> = (0..n_bins).map(|k| k as f64 * bin_hz_step).collect();

    // n_mels + 2 edges evenly spaced in mel from 0 Hz to Nyquist (numpy linspace).
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sr / 2.0));
    let n_edges = n_mels + 2;
    let step = (hi - lo) / (n_edges - 1) as f64;
    let edges: Vec<f64> = (0..n_edges)
        .map(|i| {
            let mel = if i == n_edges - 1 {
                hi
            } else {
                lo + i as f64 * step
            };
            mel_to_hz(mel)
        })
        .collect();

    let mut bank = vec![0f32; n_mels * n_bins];
    for (m, row) in bank.chunks_exact_mut(n_bins).enumerate() {
        let (left, centre, right) = (edges[m], edges[m + 1], edges[m + 2]);
        let norm = 2.0 / (right - left);
        for (w, &f) in row.iter_mut().zip(&fft_hz) {
            let rising = (f - left) / (centre - left);
            let falling = (right - f) / (right - centre);
            // Stored as f32 first, then normalised, as the reference does.
            let tri = rising.min(falling).max(0.0) as f32;
            *w = (f64::from(tri) * norm) as f32;
        }
    }
    bank
}

#[cfg(test)]
mod tests {
    use super::*;

    const N_BINS: usize = 201;

    fn whisper_bank() -> Vec<f32> {
        mel_filter_bank(16000, 400, 80)
    }

    #[test]
    fn has_whisper_shape() {
        assert_eq!(whisper_bank().len(), 80 * N_BINS);
        assert_eq!(mel_filter_bank(16000, 400, 128).len(), 128 * N_BINS);
    }

    #[test]
    fn matches_librosa_reference_values() {
        // Entries of librosa.filters.mel(sr=16000, n_fft=400, n_mels=80) as published
        // (the same values Hugging Face's WhisperFeatureExtractor and OpenAI's npz hold).
        let bank = whisper_bank();
        for (m, k, expected) in [
            (0, 1, 0.024_862_594_902_515_41),
            (1, 2, 0.022_871_771_827_340_126),
            (9, 10, 0.006_945_197_004_824_877),
            (39, 41, 0.011_486_922_390_758_991),
            (69, 131, 0.004_875_534_214_079_38),
            (79, 190, 0.002_232_054_946_944_117_5),
            (79, 192, 0.003_164_711_641_147_732_7),
            (79, 199, 0.000_448_759_004_939_347_5),
        ] {
            let got = f64::from(bank[m * N_BINS + k]);
            assert!(
                (got - expected).abs() <= expected * 1e-6,
                "bank[{m}][{k}] = {got}, librosa has {expected}"
            );
        }
        let total: f64 = bank.iter().map(|v| f64::from(*v)).sum();
        assert!((total - 1.999_024).abs() < 2e-5, "sum {total}");
    }

    #[test]
    fn rows_are_triangles_moving_up_in_frequency() {
        let bank = whisper_bank();
        let mut last_peak = 0;
        for (m, row) in bank.chunks_exact(N_BINS).enumerate() {
            assert!(row.iter().all(|w| *w >= 0.0));
            let sum: f32 = row.iter().sum();
            // Slaney normalisation gives each triangle unit area in Hz: 40 Hz bins -> sum ~ 1/40.
            assert!(sum > 0.01 && sum < 0.04, "row {m} sums to {sum}");
            let peak = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(k, _)| k)
                .unwrap_or(0);
            assert!(
                peak >= last_peak,
                "row {m} peaks below row {}",
                m.max(1) - 1
            );
            last_peak = peak;
            // Non-zero weights form one contiguous run.
            let nz: Vec<usize> = (0..N_BINS).filter(|&k| row[k] > 0.0).collect();
            assert_eq!(nz.last().unwrap() - nz[0] + 1, nz.len(), "row {m}");
        }
    }

    #[test]
    fn slaney_scale_is_linear_below_1khz_and_invertible() {
        assert!((hz_to_mel(500.0) - 7.5).abs() < 1e-12);
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        for hz in [0.0, 123.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
    }
}
