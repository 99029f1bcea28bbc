//! The Whisper pool: utterances (8 kHz) in, transcripts out, on worker threads behind a bounded queue.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_listen::{keep_better, second_pass_wanted, Expect, Transcript, WhisperAsr};
use hotline_media::Resampler;
use tokio::sync::oneshot;

use crate::config::HotWords;
use crate::error::HotlineError;

/// What the caller said, with the time spent queued and transcribing.
#[derive(Debug, Clone)]
pub struct AsrResult {
    pub text: String,
    pub confidence: f32,
    /// Whisper's own estimate that the clip held no speech.
    pub no_speech_probability: f32,
    /// From submission to result, including time waiting for a free worker.
    pub elapsed: Duration,
    /// From submission until a worker took the job.
    pub queued: Duration,
    /// Decoded a second time with the flow's hot words (`speech.hot_words: uncertain`).
    pub second_pass: bool,
}

struct AsrJob {
    pcm_8k: Vec<f32>,
    /// Set when the result is no longer wanted (the caller went on speaking): skipped if not started.
    cancelled: Option<Arc<AtomicBool>>,
    /// What the flow waits for: digits are heard with Whisper's full window.
    expect: Expect,
    /// Words the caller is likely to say (the flow's hot words), given to Whisper as its prompt.
    hot_words: Option<HotWordsJob>,
    submitted: Instant,
    reply: oneshot::Sender<Result<AsrResult, HotlineError>>,
}

/// The flow's hot words for one job, and when to use them.
#[derive(Debug, Clone)]
pub struct HotWordsJob {
    pub words: Arc<str>,
    /// `None`: on the only decode; `Some(floor)`: on a second decode when the first one's
    /// confidence is under the floor (see [`hotline_listen::second_pass_wanted`]).
    pub below: Option<f32>,
}

/// The hot words for a decode of speech under `mode` (`speech.hot_words`); `None` when it is
/// off or the flow has none. `words` is only built when needed.
pub fn hot_words_job(mode: HotWords, words: impl FnOnce() -> String) -> Option<HotWordsJob> {
    let below = match mode {
        HotWords::Off => return None,
        HotWords::Always => None,
        HotWords::Uncertain { below } => Some(below),
    };
    let words = words();
    (!words.is_empty()).then(|| HotWordsJob {
        words: Arc::from(words),
        below,
    })
}

#[derive(Clone)]
pub struct AsrPool {
    queue: flume::Sender<AsrJob>,
}

impl AsrPool {
    /// Loads the model once and starts `workers` threads sharing its weights, each with its own
    /// decoding state, so they decode at the same time.
    pub fn start(model: &Path, workers: usize, threads: usize) -> Result<AsrPool, HotlineError> {
        let first = WhisperAsr::load(model, threads)?;
        let mut recognisers = Vec::with_capacity(workers.max(1));
        for _ in 1..workers.max(1) {
            recognisers.push(first.worker()?);
        }
        recognisers.push(first);
        let (queue, jobs) = flume::bounded::<AsrJob>(workers * 8);
        for (n, mut asr) in recognisers.into_iter().enumerate() {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("asr-{n}"))
                .spawn(move || {
                    while let Ok(job) = jobs.recv() {
                        if job
                            .cancelled
                            .as_ref()
                            .is_some_and(|c| c.load(Ordering::Relaxed))
                        {
                            let _ = job.reply.send(Err(HotlineError::TranscriptionCancelled));
                            continue;
                        }
                        let queued = job.submitted.elapsed();
                        let mut up = Resampler::new(8000, 16000);
                        let mut pcm_16k = Vec::with_capacity(job.pcm_8k.len() * 2 + 64);
                        up.process(&job.pcm_8k, &mut pcm_16k);
                        up.flush(&mut pcm_16k);
                        let result = decode(&mut asr, &pcm_16k, &job)
                            .map(|(t, second_pass)| AsrResult {
                                text: t.text,
                                confidence: t.confidence,
                                no_speech_probability: t.no_speech_probability,
                                elapsed: job.submitted.elapsed(),
                                queued,
                                second_pass,
                            })
                            .map_err(HotlineError::from);
                        let _ = job.reply.send(result);
                    }
                })
                .map_err(|source| HotlineError::Io {
                    path: "asr worker thread".into(),
                    source,
                })?;
        }
        Ok(AsrPool { queue })
    }

    /// Runs Whisper once on a second of faint noise, so the first caller does not pay for the
    /// model's first run (buffers allocated, weights paged in). Returns how long it took.
    pub async fn warm_up(&self) -> Result<Duration, HotlineError> {
        let started = Instant::now();
        let mut seed: u32 = 0x2545_f491;
        let noise: Vec<f32> = (0..8000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed as f32 / u32::MAX as f32 - 0.5) * 0.002
            })
            .collect();
        self.transcribe(noise, None, Expect::Speech, None)
            .await
            .map_err(|e| match e {
                HotlineError::PoolStopped { .. } => e,
                e => HotlineError::WarmUp {
                    reason: e.to_string(),
                },
            })?;
        Ok(started.elapsed())
    }

    /// Transcribes one utterance. Fails only when the pool is gone; a model error comes back as text.
    /// A job whose `cancelled` flag is set before a worker takes it is skipped. `expect` is what
    /// the flow waits for (see [`Expect`]); `hot_words` primes Whisper with the flow's words.
    pub async fn transcribe(
        &self,
        pcm_8k: Vec<f32>,
        cancelled: Option<Arc<AtomicBool>>,
        expect: Expect,
        hot_words: Option<HotWordsJob>,
    ) -> Result<AsrResult, HotlineError> {
        let (reply, answer) = oneshot::channel();
        let job = AsrJob {
            pcm_8k,
            cancelled,
            expect,
            hot_words,
            submitted: Instant::now(),
            reply,
        };
        self.queue
            .send_async(job)
            .await
            .map_err(|_| HotlineError::PoolStopped { what: "ASR" })?;
        answer
            .await
            .map_err(|_| HotlineError::PoolStopped { what: "ASR" })?
    }
}

/// One job's decode (any length: a long turn is transcribed in windows and joined), with the
/// hot words as the job asks; true when a second, primed decode was run.
fn decode(
    asr: &mut WhisperAsr,
    pcm_16k: &[f32],
    job: &AsrJob,
) -> Result<(Transcript, bool), hotline_listen::ListenError> {
    let Some(hot) = &job.hot_words else {
        asr.set_prompt(None);
        return Ok((asr.transcribe_long_expecting(pcm_16k, job.expect)?, false));
    };
    let Some(below) = hot.below else {
        asr.set_prompt(Some(&hot.words));
        return Ok((asr.transcribe_long_expecting(pcm_16k, job.expect)?, false));
    };
    asr.set_prompt(None);
    let plain = asr.transcribe_long_expecting(pcm_16k, job.expect)?;
    let gone = job
        .cancelled
        .as_ref()
        .is_some_and(|c| c.load(Ordering::Relaxed));
    if gone || !second_pass_wanted(&plain, below) {
        return Ok((plain, false));
    }
    asr.set_prompt(Some(&hot.words));
    let primed = asr.transcribe_long_expecting(pcm_16k, job.expect)?;
    Ok((keep_better(plain, primed), true))
}
