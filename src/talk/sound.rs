//! The desk's sound card for `hotline talk`: the default microphone and speaker through cpal,
//! each as a queue of mono samples at the device's rate that the talk loop drains and fills on
//! its own 20 ms clock, so the call path sees the same frames it gets from RTP.
//!
//! Both callbacks wait (briefly) for the loop rather than inventing audio: on a real card they
//! never wait, and on a device with no clock of its own (ALSA's `null`, under the `file` plugin
//! the test uses) the loop's clock paces the device instead of the device running flat out.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};

use crate::error::HotlineError;

/// The rate asked of the card when it offers it: what Whisper wants, so little is resampled.
const PREFERRED_RATE: u32 = 16_000;
/// The most captured audio held for the loop; the microphone waits beyond it.
const MIC_BACKLOG: Duration = Duration::from_millis(400);
/// How long the speaker waits for the loop's next frames before playing silence.
const SPEAKER_WAIT: Duration = Duration::from_millis(60);

/// Samples passed between a cpal callback and the talk loop.
pub struct SampleQueue {
    samples: Mutex<VecDeque<f32>>,
    changed: Condvar,
}

impl SampleQueue {
    fn new() -> Arc<SampleQueue> {
        Arc::new(SampleQueue {
            samples: Mutex::new(VecDeque::new()),
            changed: Condvar::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<f32>> {
        match self.samples.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Takes up to `max` samples (what is there when fewer).
    pub fn take(&self, max: usize) -> Vec<f32> {
        let mut q = self.lock();
        let n = max.min(q.len());
        let out = q.drain(..n).collect();
        self.changed.notify_all();
        out
    }

    pub fn push(&self, samples: &[f32]) {
        let mut q = self.lock();
        q.extend(samples.iter().copied());
        self.changed.notify_all();
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Called by the microphone: waits until `samples` fit beside what is queued (at most
    /// `limit`, or an empty queue for a longer block); when the loop has stalled that long, the
    /// oldest audio goes, so the caller is never heard late. Nothing is dropped while the loop
    /// keeps up.
    fn push_when_room(&self, samples: &[f32], limit: usize, stall: Duration) {
        let mut q = self.lock();
        let give_up = Instant::now() + stall;
        while !q.is_empty() && q.len() + samples.len() > limit {
            let left = give_up.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let excess = (q.len() + samples.len()).saturating_sub(limit).min(q.len());
                q.drain(..excess);
                break;
            }
            q = match self.changed.wait_timeout(q, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        q.extend(samples.iter().copied());
    }

    /// Called by the speaker: fills `out`, waiting a little for the loop, silence for the rest.
    fn fill(&self, out: &mut [f32]) {
        let mut q = self.lock();
        let give_up = Instant::now() + SPEAKER_WAIT;
        while q.len() < out.len() {
            let left = give_up.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            q = match self.changed.wait_timeout(q, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        for slot in out.iter_mut() {
            *slot = q.pop_front().unwrap_or(0.0);
        }
        self.changed.notify_all();
    }
}

/// The open microphone and speaker; dropping it closes both.
pub struct SoundCard {
    input: cpal::Stream,
    output: cpal::Stream,
    /// Captured audio, mono, at `input_rate`.
    pub mic: Arc<SampleQueue>,
    /// Audio to play, mono, at `output_rate`.
    pub speaker: Arc<SampleQueue>,
    pub input_rate: u32,
    pub output_rate: u32,
    /// What the devices' names are, for the first line the user reads.
    pub description: String,
    /// The first error a stream reported while running.
    pub failure: Arc<Mutex<Option<String>>>,
}

/// One configuration a device offers (pure data, for [`choose_config`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offer {
    pub channels: u16,
    pub min_rate: u32,
    pub max_rate: u32,
    pub format: SampleFormat,
}

/// Picks how to open a device: mono (or the fewest channels) at 16 kHz when it offers that in a
/// format we convert, else its own default.
pub fn choose_config(
    offers: &[Offer],
    default: (u16, u32, SampleFormat),
) -> (u16, u32, SampleFormat) {
    offers
        .iter()
        .filter(|o| usable(o.format) && (o.min_rate..=o.max_rate).contains(&PREFERRED_RATE))
        .min_by_key(|o| (o.channels, format_rank(o.format)))
        .map(|o| (o.channels, PREFERRED_RATE, o.format))
        .unwrap_or(default)
}

fn usable(format: SampleFormat) -> bool {
    format_rank(format) < u8::MAX
}

/// Preference among the sample formats we convert (lower is better).
fn format_rank(format: SampleFormat) -> u8 {
    match format {
        SampleFormat::F32 => 0,
        SampleFormat::I16 => 1,
        SampleFormat::I32 => 2,
        SampleFormat::U16 => 3,
        _ => u8::MAX,
    }
}

impl SoundCard {
    /// Opens the default microphone and speaker, paused ([`SoundCard::start`] starts them).
    pub fn open() -> Result<SoundCard, HotlineError> {
        let host = cpal::default_host();
        let no_input = |detail: String| HotlineError::NoSoundDevice {
            what: "input",
            needs: "a microphone",
            detail,
        };
        let no_output = |detail: String| HotlineError::NoSoundDevice {
            what: "output",
            needs: "a speaker",
            detail,
        };
        let input = host
            .default_input_device()
            .ok_or_else(|| no_input("the system has none".into()))?;
        let output = host
            .default_output_device()
            .ok_or_else(|| no_output("the system has none".into()))?;
        let failure = Arc::new(Mutex::new(None));

        let (in_channels, input_rate, in_format) = {
            let default = input
                .default_input_config()
                .map_err(|e| no_input(e.to_string()))?;
            let offers: Vec<Offer> = input
                .supported_input_configs()
                .map(|c| c.map(offer).collect())
                .unwrap_or_default();
            choose_config(
                &offers,
                (
                    default.channels(),
                    default.sample_rate(),
                    default.sample_format(),
                ),
            )
        };
        let (out_channels, output_rate, out_format) = {
            let default = output
                .default_output_config()
                .map_err(|e| no_output(e.to_string()))?;
            let offers: Vec<Offer> = output
                .supported_output_configs()
                .map(|c| c.map(offer).collect())
                .unwrap_or_default();
            choose_config(
                &offers,
                (
                    default.channels(),
                    default.sample_rate(),
                    default.sample_format(),
                ),
            )
        };
        let mic = SampleQueue::new();
        let speaker = SampleQueue::new();
        let in_config = StreamConfig {
            channels: in_channels,
            sample_rate: input_rate,
            buffer_size: cpal::BufferSize::Default,
        };
        let out_config = StreamConfig {
            channels: out_channels,
            sample_rate: output_rate,
            buffer_size: cpal::BufferSize::Default,
        };
        let backlog = (input_rate as f64 * MIC_BACKLOG.as_secs_f64()) as usize;
        let input_stream = match in_format {
            SampleFormat::F32 => capture::<f32>(&input, &in_config, &mic, backlog, &failure),
            SampleFormat::I16 => capture::<i16>(&input, &in_config, &mic, backlog, &failure),
            SampleFormat::I32 => capture::<i32>(&input, &in_config, &mic, backlog, &failure),
            SampleFormat::U16 => capture::<u16>(&input, &in_config, &mic, backlog, &failure),
            other => return Err(no_input(format!("sample format {other} is not supported"))),
        }
        .map_err(|e| no_input(e.to_string()))?;
        let output_stream = match out_format {
            SampleFormat::F32 => playback::<f32>(&output, &out_config, &speaker, &failure),
            SampleFormat::I16 => playback::<i16>(&output, &out_config, &speaker, &failure),
            SampleFormat::I32 => playback::<i32>(&output, &out_config, &speaker, &failure),
            SampleFormat::U16 => playback::<u16>(&output, &out_config, &speaker, &failure),
            other => return Err(no_output(format!("sample format {other} is not supported"))),
        }
        .map_err(|e| no_output(e.to_string()))?;
        let description = format!(
            "microphone {} at {input_rate} Hz, speaker {} at {output_rate} Hz",
            device_name(&input),
            device_name(&output)
        );
        Ok(SoundCard {
            input: input_stream,
            output: output_stream,
            mic,
            speaker,
            input_rate,
            output_rate,
            description,
            failure,
        })
    }

    /// Starts capture and playback (opening leaves both paused, so nothing is heard while the
    /// models load).
    pub fn start(&self) -> Result<(), HotlineError> {
        self.input.play().map_err(|e| HotlineError::NoSoundDevice {
            what: "input",
            needs: "a microphone",
            detail: e.to_string(),
        })?;
        self.output.play().map_err(|e| HotlineError::NoSoundDevice {
            what: "output",
            needs: "a speaker",
            detail: e.to_string(),
        })
    }

    /// The first error a stream reported, if any.
    pub fn failure(&self) -> Option<String> {
        match self.failure.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

fn offer(c: cpal::SupportedStreamConfigRange) -> Offer {
    Offer {
        channels: c.channels(),
        min_rate: c.min_sample_rate(),
        max_rate: c.max_sample_rate(),
        format: c.sample_format(),
    }
}

fn device_name(device: &cpal::Device) -> String {
    device
        .id()
        .map(|id| id.to_string())
        .unwrap_or_else(|_| "(unnamed)".into())
}

fn keep_first_failure(failure: &Arc<Mutex<Option<String>>>) -> impl FnMut(cpal::Error) + Send {
    let failure = Arc::clone(failure);
    move |e: cpal::Error| {
        let mut slot = match failure.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if slot.is_none() {
            *slot = Some(e.to_string());
        }
    }
}

/// Builds the microphone stream: frames mixed down to mono, as f32, into `queue`.
fn capture<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    queue: &Arc<SampleQueue>,
    backlog: usize,
    failure: &Arc<Mutex<Option<String>>>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels.max(1));
    let queue = Arc::clone(queue);
    let mut mono = Vec::new();
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _| {
            mono.clear();
            mono.extend(data.chunks(channels).map(|frame| {
                frame.iter().map(|&s| f32::from_sample_(s)).sum::<f32>() / channels as f32
            }));
            queue.push_when_room(&mono, backlog, MIC_BACKLOG);
        },
        keep_first_failure(failure),
        None,
    )
}

/// Builds the speaker stream: mono samples from `queue` on every channel.
fn playback<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    queue: &Arc<SampleQueue>,
    failure: &Arc<Mutex<Option<String>>>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32> + Send + 'static,
{
    let channels = usize::from(config.channels.max(1));
    let queue = Arc::clone(queue);
    let mut mono = Vec::new();
    device.build_output_stream::<T, _, _>(
        *config,
        move |data: &mut [T], _| {
            mono.resize(data.len() / channels, 0.0);
            queue.fill(&mut mono);
            for (frame, &s) in data.chunks_mut(channels).zip(mono.iter()) {
                for slot in frame {
                    *slot = T::from_sample_(s);
                }
            }
        },
        keep_first_failure(failure),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(channels: u16, min_rate: u32, max_rate: u32, format: SampleFormat) -> Offer {
        Offer {
            channels,
            min_rate,
            max_rate,
            format,
        }
    }

    #[test]
    fn a_card_that_offers_16_khz_mono_is_opened_so() {
        let offers = [
            offer(2, 8_000, 192_000, SampleFormat::I16),
            offer(1, 8_000, 192_000, SampleFormat::I16),
            offer(1, 8_000, 192_000, SampleFormat::F32),
        ];
        assert_eq!(
            choose_config(&offers, (2, 48_000, SampleFormat::I16)),
            (1, 16_000, SampleFormat::F32)
        );
    }

    #[test]
    fn a_card_without_16_khz_keeps_its_default() {
        let offers = [offer(2, 44_100, 48_000, SampleFormat::I16)];
        assert_eq!(
            choose_config(&offers, (2, 48_000, SampleFormat::I16)),
            (2, 48_000, SampleFormat::I16)
        );
    }

    #[test]
    fn formats_we_cannot_convert_are_passed_over() {
        let offers = [
            offer(1, 8_000, 48_000, SampleFormat::F64),
            offer(2, 8_000, 48_000, SampleFormat::I32),
        ];
        assert_eq!(
            choose_config(&offers, (2, 48_000, SampleFormat::F64)),
            (2, 16_000, SampleFormat::I32)
        );
    }

    #[test]
    fn the_microphone_waits_for_room_and_drops_nothing_while_the_loop_keeps_up() {
        let q = SampleQueue::new();
        q.push_when_room(&[1.0; 6], 8, Duration::from_secs(5));
        let reader = {
            let q = Arc::clone(&q);
            std::thread::spawn(move || {
                let mut taken = Vec::new();
                while taken.len() < 12 {
                    taken.extend(q.take(2));
                    std::thread::yield_now();
                }
                taken
            })
        };
        // Does not fit beside the six queued: waits for the reader instead of dropping.
        q.push_when_room(&[2.0; 6], 8, Duration::from_secs(5));
        let taken = reader.join().expect("reader");
        assert_eq!(taken, [[1.0; 6], [2.0; 6]].concat());
    }

    #[test]
    fn a_stalled_loop_loses_the_oldest_microphone_audio() {
        let q = SampleQueue::new();
        q.push_when_room(&[1.0, 2.0, 3.0, 4.0], 4, Duration::ZERO);
        q.push_when_room(&[5.0, 6.0], 4, Duration::ZERO);
        assert_eq!(q.take(10), [3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn the_speaker_plays_what_is_queued_then_silence() {
        let q = SampleQueue::new();
        q.push(&[0.5, -0.5]);
        let mut out = [1.0; 4];
        q.fill(&mut out);
        assert_eq!(out, [0.5, -0.5, 0.0, 0.0]);
        assert!(q.is_empty());
    }
}
