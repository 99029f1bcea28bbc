//! Sample-rate conversion between the rates Hotline meets (8 kHz telephone audio, 16 kHz for
//! Whisper, 22.05 kHz Piper voices): a streaming polyphase windowed-sinc (Kaiser) filter for any
//! rational ratio.
//!
//! Output sample k sits at input time k * from / to; it is the sum of the input samples within
//! the filter's reach weighted by a low-pass sinc, so the output is aligned with the input
//! (no delay) and `flush` emits the tail. The low-pass passes up to 85 % of the lower Nyquist
//! frequency (3.4 kHz at 8 kHz) and stops from the lower Nyquist frequency on with about 90 dB
//! of attenuation, which rejects aliases when downsampling and images when upsampling.

/// Stopband attenuation the Kaiser window is designed for, in dB.
const ATTENUATION_DB: f64 = 90.0;
/// Passband edge as a fraction of the lower of the two Nyquist frequencies.
const PASSBAND: f64 = 0.85;
/// Above this many phases the taps are computed per output sample instead of tabulated.
const MAX_TABLE_PHASES: u64 = 4096;

/// A streaming resampler from `from_hz` to `to_hz`. Feeding the input in any chunking gives
/// bit-identical output; the total output length is ceil(input length * to / from).
#[derive(Clone, Debug)]
pub struct Resampler {
    /// Interpolation factor (to / gcd).
    up: u64,
    /// Decimation factor (from / gcd).
    down: u64,
    /// Taps on each side of the output instant, in input samples.
    half: usize,
    /// Low-pass cutoff in cycles per input sample.
    cutoff: f64,
    beta: f64,
    /// Taps per phase, phase-major, each phase normalised to unit DC gain (empty if too many phases).
    table: Vec<f32>,
    /// Input samples from absolute index `history_start` on (negative indices are zero padding).
    history: Vec<f32>,
    history_start: i64,
    /// Input samples received since the start (or the last flush).
    consumed: u64,
    next_output: u64,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let quarter = x * x / 4.0;
    for k in 1..200 {
        term *= quarter / (k * k) as f64;
        sum += term;
        if term < sum * 1e-16 {
            break;
        }
    }
    sum
}

impl Resampler {
    /// A resampler between two rates in Hz (a zero rate is treated as 1 Hz).
    pub fn new(from_hz: u32, to_hz: u32) -> Self {
        let from = u64::from(from_hz.max(1));
        let to = u64::from(to_hz.max(1));
        let divisor = gcd(from, to);
        let (up, down) = (to / divisor, from / divisor);
        let lower_nyquist = from.min(to) as f64 / 2.0;
        let transition_hz = (1.0 - PASSBAND) * lower_nyquist;
        let cutoff_hz = (1.0 + PASSBAND) / 2.0 * lower_nyquist;
        // Kaiser's estimate of the filter length for this attenuation and transition width.
        let transition = 2.0 * std::f64::consts::PI * transition_hz / from as f64;
        let length = (ATTENUATION_DB - 8.0) / (2.285 * transition);
        let half = ((length / 2.0).ceil() as usize).max(1);
        let beta = 0.1102 * (ATTENUATION_DB - 8.7);
        let mut resampler = Resampler {
            up,
            down,
            half,
            cutoff: cutoff_hz / from as f64,
            beta,
            table: Vec::new(),
            history: Vec::new(),
            history_start: 0,
            consumed: 0,
            next_output: 0,
        };
        if up <= MAX_TABLE_PHASES {
            let mut table = Vec::with_capacity(up as usize * 2 * half);
            for phase in 0..up {
                resampler.phase_taps(phase, &mut table);
            }
            resampler.table = table;
        }
        resampler.restart();
        resampler
    }

    /// Output samples per input sample.
    pub fn ratio(&self) -> f64 {
        self.up as f64 / self.down as f64
    }

    /// Resamples the next chunk of the stream, appending what can be computed so far to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.up == self.down {
            out.extend_from_slice(input);
            return;
        }
        self.history.extend_from_slice(input);
        self.consumed += input.len() as u64;
        self.produce(None, out);
    }

    /// Ends the stream: appends the remaining output (the input is padded with silence) and
    /// makes the resampler ready for a new stream.
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        if self.up != self.down {
            let total = (self.consumed * self.up).div_ceil(self.down);
            self.history.resize(self.history.len() + self.half + 1, 0.0);
            self.produce(Some(total), out);
        }
        self.restart();
    }

    fn restart(&mut self) {
        self.history.clear();
        self.history.resize(self.half - 1, 0.0);
        self.history_start = 1 - self.half as i64;
        self.consumed = 0;
        self.next_output = 0;
    }

    /// Appends the 2 * half taps of one phase, normalised to unit DC gain.
    fn phase_taps(&self, phase: u64, taps: &mut Vec<f32>) {
        let fraction = phase as f64 / self.up as f64;
        let width = self.half as f64;
        let norm = bessel_i0(self.beta);
        let mut sum = 0.0;
        let mut values = Vec::with_capacity(2 * self.half);
        for j in 0..2 * self.half {
            // Distance from the output instant to this input sample, in input samples.
            let x = fraction + width - 1.0 - j as f64;
            let u = x / width;
            let window = if u.abs() < 1.0 {
                bessel_i0(self.beta * (1.0 - u * u).sqrt()) / norm
            } else {
                0.0
            };
            let argument = std::f64::consts::PI * 2.0 * self.cutoff * x;
            let sinc = if argument.abs() < 1e-12 {
                1.0
            } else {
                argument.sin() / argument
            };
            let value = 2.0 * self.cutoff * sinc * window;
            sum += value;
            values.push(value);
        }
        taps.extend(values.iter().map(|value| (value / sum) as f32));
    }

    /// Computes outputs while their input is available (or until `limit` when flushing).
    fn produce(&mut self, limit: Option<u64>, out: &mut Vec<f32>) {
        let available_end = self.history_start + self.history.len() as i64;
        let taps_per_phase = 2 * self.half;
        let mut scratch = Vec::new();
        loop {
            if limit.is_some_and(|limit| self.next_output >= limit) {
                break;
            }
            let position = self.next_output * self.down;
            let index = (position / self.up) as i64;
            let phase = position % self.up;
            if index + self.half as i64 >= available_end {
                break;
            }
            let start = (index - self.half as i64 + 1 - self.history_start) as usize;
            let samples = &self.history[start..start + taps_per_phase];
            let taps = if self.table.is_empty() {
                scratch.clear();
                self.phase_taps(phase, &mut scratch);
                &scratch[..]
            } else {
                let at = phase as usize * taps_per_phase;
                &self.table[at..at + taps_per_phase]
            };
            out.push(samples.iter().zip(taps).map(|(s, t)| s * t).sum());
            self.next_output += 1;
        }
        // Drop the input no later output can reach.
        let next_index = (self.next_output * self.down / self.up) as i64;
        let keep_from = next_index - self.half as i64 + 1;
        let drop = (keep_from - self.history_start).clamp(0, self.history.len() as i64) as usize;
        self.history.drain(..drop);
        self.history_start += drop as i64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine(frequency: f64, rate: u32, len: usize, amplitude: f64) -> Vec<f32> {
        (0..len)
            .map(|n| (amplitude * (2.0 * PI * frequency * n as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    fn resample_all(from: u32, to: u32, input: &[f32]) -> Vec<f32> {
        let mut resampler = Resampler::new(from, to);
        let mut out = Vec::new();
        resampler.process(input, &mut out);
        resampler.flush(&mut out);
        out
    }

    /// Amplitude of the `frequency` component in the middle half of `signal` (Hann-windowed DFT bin).
    fn tone_amplitude(signal: &[f32], rate: u32, frequency: f64) -> f64 {
        let middle = &signal[signal.len() / 4..signal.len() * 3 / 4];
        let len = middle.len() as f64;
        let (mut re, mut im, mut weight) = (0.0, 0.0, 0.0);
        for (n, &x) in middle.iter().enumerate() {
            let w = 0.5 - 0.5 * (2.0 * PI * n as f64 / len).cos();
            let phase = 2.0 * PI * frequency * n as f64 / f64::from(rate);
            re += w * f64::from(x) * phase.cos();
            im += w * f64::from(x) * phase.sin();
            weight += w;
        }
        2.0 * (re * re + im * im).sqrt() / weight
    }

    fn db(ratio: f64) -> f64 {
        20.0 * ratio.log10()
    }

    #[test]
    fn one_kilohertz_passes_unchanged_in_level_and_time() {
        for (from, to) in [(22050, 8000), (8000, 16000), (16000, 8000)] {
            let input = sine(1000.0, from, from as usize, 0.5);
            let output = resample_all(from, to, &input);
            let gain = tone_amplitude(&output, to, 1000.0) / tone_amplitude(&input, from, 1000.0);
            assert!(db(gain).abs() < 0.5, "{from} -> {to}: {:.3} dB", db(gain));
            // No delay: the middle of the output matches the ideal sine at the output rate.
            let ideal = sine(1000.0, to, output.len(), 0.5);
            let middle = output.len() / 4..output.len() * 3 / 4;
            let error = output[middle.clone()]
                .iter()
                .zip(&ideal[middle])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(error < 0.01, "{from} -> {to}: max error {error}");
        }
    }

    #[test]
    fn tones_above_the_output_nyquist_do_not_alias() {
        for (from, to, frequency) in [
            (22050, 8000, 5000.0),
            (16000, 8000, 5000.0),
            (22050, 8000, 7000.0),
        ] {
            let input = sine(frequency, from, from as usize, 0.5);
            let output = resample_all(from, to, &input);
            let rms_in = (input.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>()
                / input.len() as f64)
                .sqrt();
            let middle = &output[output.len() / 10..output.len() * 9 / 10];
            let rms_out = (middle.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>()
                / middle.len() as f64)
                .sqrt();
            assert!(
                db(rms_out / rms_in) < -50.0,
                "{from} -> {to} at {frequency} Hz: {:.1} dB",
                db(rms_out / rms_in)
            );
        }
    }

    #[test]
    fn upsampling_leaves_no_image_above_the_input_nyquist() {
        let input = sine(3000.0, 8000, 8000, 0.5);
        let output = resample_all(8000, 16000, &input);
        let tone = tone_amplitude(&output, 16000, 3000.0);
        let image = tone_amplitude(&output, 16000, 5000.0);
        assert!(
            db(image / tone) < -50.0,
            "image at {:.1} dB",
            db(image / tone)
        );
    }

    #[test]
    fn chunked_processing_matches_one_call() {
        let input: Vec<f32> = (0..20000)
            .map(|n| ((n * 7919 % 2003) as f32 / 1001.5 - 1.0) * 0.7)
            .collect();
        for (from, to) in [(22050, 8000), (8000, 16000), (16000, 8000), (44100, 48000)] {
            let whole = resample_all(from, to, &input);
            let mut resampler = Resampler::new(from, to);
            let mut chunked = Vec::new();
            let mut state = 12345u32;
            let mut rest = &input[..];
            while !rest.is_empty() {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let size = ((state >> 16) as usize % 700).min(rest.len());
                resampler.process(&rest[..size], &mut chunked);
                rest = &rest[size..];
            }
            resampler.flush(&mut chunked);
            assert_eq!(whole, chunked, "{from} -> {to}");
        }
    }

    #[test]
    fn output_length_follows_the_ratio() {
        for (from, to, len) in [
            (22050, 8000, 22050),
            (22050, 8000, 1001),
            (8000, 16000, 160),
            (16000, 8000, 333),
            (8000, 8000, 77),
        ] {
            let output = resample_all(from, to, &vec![0.1; len]);
            let expected = (len as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
            assert_eq!(output.len(), expected, "{from} -> {to} with {len}");
        }
        // While streaming, the output trails the input only by the filter's reach.
        let mut resampler = Resampler::new(8000, 16000);
        let mut out = Vec::new();
        resampler.process(&vec![0.0; 8000], &mut out);
        assert!(out.len() > 16000 - 2 * 2 * resampler.half && out.len() <= 16000);
    }

    #[test]
    fn a_flushed_resampler_starts_a_fresh_stream() {
        let input = sine(440.0, 16000, 4000, 0.3);
        let mut resampler = Resampler::new(16000, 8000);
        let mut first = Vec::new();
        resampler.process(&input, &mut first);
        resampler.flush(&mut first);
        let mut second = Vec::new();
        resampler.process(&input, &mut second);
        resampler.flush(&mut second);
        assert_eq!(first, second);
    }

    #[test]
    fn coprime_rates_compute_taps_on_the_fly() {
        let resampler = Resampler::new(8000, 44101);
        assert!(resampler.table.is_empty());
        let input = sine(1000.0, 8000, 800, 0.5);
        let output = resample_all(8000, 44101, &input);
        assert_eq!(output.len(), 4411);
        let gain = tone_amplitude(&output, 44101, 1000.0) / tone_amplitude(&input, 8000, 1000.0);
        assert!(db(gain).abs() < 0.5, "{:.3} dB", db(gain));
    }

    #[test]
    fn constant_signal_keeps_its_level() {
        let output = resample_all(22050, 8000, &vec![0.25; 22050]);
        let middle = &output[1000..7000];
        assert!(middle.iter().all(|x| (x - 0.25).abs() < 1e-4));
    }
}
