//! The Piper pool: text in, 8 kHz audio out sentence by sentence, so the first sentence plays while
//! the rest is still being synthesised.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hotline_media::{f32_to_pcm, Resampler};
use hotline_speak::{split_sentences, PiperVoice};
use tokio::sync::mpsc;

use crate::error::HotlineError;

/// One piece of synthesised speech, or the end of the job.
#[derive(Debug)]
pub enum TtsChunk {
    /// 8 kHz linear PCM for one sentence.
    Audio(Vec<i16>),
    Failed(String),
    Done,
}

pub struct TtsJob {
    pub text: String,
    /// Set by the call when the caller barges in or hangs up; the worker stops between sentences.
    pub cancelled: Arc<AtomicBool>,
    pub output: mpsc::UnboundedSender<TtsChunk>,
}

#[derive(Clone)]
pub struct TtsPool {
    queue: flume::Sender<TtsJob>,
}

impl TtsPool {
    pub fn start(voice_onnx: &Path, workers: usize, threads: usize) -> Result<TtsPool, HotlineError> {
        let config = voice_config_path(voice_onnx);
        let (queue, jobs) = flume::bounded::<TtsJob>(workers * 16);
        for n in 0..workers {
            let mut voice = PiperVoice::load_with_threads(voice_onnx, &config, threads)?;
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("tts-{n}"))
                .spawn(move || {
                    while let Ok(job) = jobs.recv() {
                        run_job(&mut voice, job);
                    }
                })
                .map_err(|source| HotlineError::Io {
                    path: "tts worker thread".into(),
                    source,
                })?;
        }
        Ok(TtsPool { queue })
    }

    pub async fn submit(&self, job: TtsJob) -> Result<(), HotlineError> {
        self.queue
            .send_async(job)
            .await
            .map_err(|_| HotlineError::PoolStopped { what: "TTS" })
    }
}

/// `voice.onnx` has its settings in `voice.onnx.json`.
pub fn voice_config_path(voice_onnx: &Path) -> std::path::PathBuf {
    let mut name = voice_onnx.as_os_str().to_owned();
    name.push(".json");
    name.into()
}

fn run_job(voice: &mut PiperVoice, job: TtsJob) {
    let rate = voice.sample_rate();
    for sentence in split_sentences(&job.text) {
        if job.cancelled.load(Ordering::Relaxed) {
            break;
        }
        match voice.synthesize(&sentence) {
            Ok(audio) => {
                let mut down = Resampler::new(rate, 8000);
                let mut pcm = Vec::with_capacity(audio.len() * 8000 / rate as usize + 64);
                down.process(&audio, &mut pcm);
                down.flush(&mut pcm);
                if job.output.send(TtsChunk::Audio(f32_to_pcm(&pcm))).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = job.output.send(TtsChunk::Failed(e.to_string()));
            }
        }
    }
    let _ = job.output.send(TtsChunk::Done);
}
