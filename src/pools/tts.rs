//! The Piper pool: text in, 8 kHz audio out sentence by sentence, so the first sentence plays while
//! the rest is still being synthesised.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hotline_media::{f32_to_pcm, Resampler};
use hotline_speak::{split_sentences, PiperVoice};
use tokio::sync::mpsc;

use super::prompt_cache::PromptCache;
use super::prompt_store::PromptStore;
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
    /// Texts for the preparation thread (only with a cache).
    prepare: Option<flume::Sender<Preparation>>,
}

/// Sentences to put in the prompt cache, and who waits to hear it is done.
struct Preparation {
    texts: Vec<String>,
    done: Option<tokio::sync::oneshot::Sender<Prepared>>,
}

/// What one preparation did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prepared {
    /// Sentences synthesised now (the others were cached already).
    pub made: usize,
    /// Sentences in the cache afterwards.
    pub cached: usize,
}

impl TtsPool {
    /// Starts `workers` synthesis threads; with a cache, sentences said before are not synthesised again.
    pub fn start(
        voice_onnx: &Path,
        workers: usize,
        threads: usize,
        cache: Option<Arc<PromptCache>>,
        prompt_dir: Option<&Path>,
    ) -> Result<TtsPool, HotlineError> {
        let config = voice_config_path(voice_onnx);
        let (queue, jobs) = flume::bounded::<TtsJob>(workers * 16);
        for n in 0..workers {
            let mut voice = PiperVoice::load_with_threads(voice_onnx, &config, threads)?;
            let jobs = jobs.clone();
            let cache = cache.clone();
            std::thread::Builder::new()
                .name(format!("tts-{n}"))
                .spawn(move || {
                    while let Ok(job) = jobs.recv() {
                        run_job(&mut voice, cache.as_deref(), job);
                    }
                })
                .map_err(|source| HotlineError::Io {
                    path: "tts worker thread".into(),
                    source,
                })?;
        }
        let prepare = match cache {
            Some(cache) => {
                let store = prompt_dir
                    .map(|dir| PromptStore::open(dir, voice_onnx, &config))
                    .transpose()?;
                Some(start_preparation(voice_onnx, &config, cache, store)?)
            }
            None => None,
        };
        Ok(TtsPool { queue, prepare })
    }

    /// Synthesises `texts` into the cache on the background preparation thread, so calls never
    /// queue behind it. Returns at once; without a cache it does nothing.
    pub fn prepare(&self, texts: Vec<String>) {
        if let Some(prepare) = &self.prepare {
            let _ = prepare.send(Preparation { texts, done: None });
        }
    }

    /// Synthesises `texts` into the cache and returns when they are all there: the server is not
    /// ready for calls before its flow's prompts can play at once. Without a cache it returns at once.
    pub async fn prepare_and_wait(&self, texts: Vec<String>) -> Prepared {
        let Some(prepare) = &self.prepare else {
            return Prepared::default();
        };
        let (done, finished) = tokio::sync::oneshot::channel();
        if prepare
            .send(Preparation {
                texts,
                done: Some(done),
            })
            .is_err()
        {
            return Prepared::default();
        }
        finished.await.unwrap_or_default()
    }

    pub async fn submit(&self, job: TtsJob) -> Result<(), HotlineError> {
        self.queue
            .send_async(job)
            .await
            .map_err(|_| HotlineError::PoolStopped { what: "TTS" })
    }
}

/// The preparation thread: its own voice. The first batch (the flow's prompts at start-up, before
/// any call is taken) runs at normal priority; after it the thread drops to the lowest CPU
/// priority, so live calls go first when a reloaded flow brings new prompts.
fn start_preparation(
    voice_onnx: &Path,
    config: &Path,
    cache: Arc<PromptCache>,
    store: Option<PromptStore>,
) -> Result<flume::Sender<Preparation>, HotlineError> {
    let mut voice = PiperVoice::load_with_threads(voice_onnx, config, 1)?;
    let (texts_tx, texts_rx) = flume::unbounded::<Preparation>();
    std::thread::Builder::new()
        .name("tts-prepare".into())
        .spawn(move || {
            let mut first = true;
            while let Ok(Preparation { texts, done }) = texts_rx.recv() {
                if !std::mem::take(&mut first) {
                    lower_thread_priority();
                }
                let started = std::time::Instant::now();
                let mut made = 0;
                for sentence in texts.iter().flat_map(|t| split_sentences(t)) {
                    if cache.get(&sentence).is_some() {
                        continue;
                    }
                    if let Some(pcm) = store.as_ref().and_then(|s| s.load(&sentence)) {
                        cache.insert(&sentence, Arc::new(pcm));
                        continue;
                    }
                    if let Some(pcm) = synthesize_8k(&mut voice, &sentence) {
                        if let Some(store) = &store {
                            store.save(&sentence, &pcm);
                        }
                        cache.insert(&sentence, Arc::new(pcm));
                        made += 1;
                    }
                }
                tracing::info!(
                    "prepared {made} flow sentences in {:.1} s ({} cached)",
                    started.elapsed().as_secs_f32(),
                    cache.len()
                );
                if let Some(done) = done {
                    let _ = done.send(Prepared {
                        made,
                        cached: cache.len(),
                    });
                }
            }
        })
        .map_err(|source| HotlineError::Io {
            path: "tts prepare thread".into(),
            source,
        })?;
    Ok(texts_tx)
}

/// Nice 19 for the calling thread (Linux keeps a nice value per thread).
fn lower_thread_priority() {
    // SAFETY: gettid and setpriority take no pointers; they change only this thread's priority.
    let rc = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19)
    };
    if rc != 0 {
        tracing::debug!("could not lower the preparation thread's priority");
    }
}

/// `voice.onnx` has its settings in `voice.onnx.json`.
pub fn voice_config_path(voice_onnx: &Path) -> std::path::PathBuf {
    let mut name = voice_onnx.as_os_str().to_owned();
    name.push(".json");
    name.into()
}

fn synthesize_8k(voice: &mut PiperVoice, sentence: &str) -> Option<Vec<i16>> {
    match voice.synthesize(sentence) {
        Ok(audio) => {
            let rate = voice.sample_rate();
            let mut down = Resampler::new(rate, 8000);
            let mut pcm = Vec::with_capacity(audio.len() * 8000 / rate as usize + 64);
            down.process(&audio, &mut pcm);
            down.flush(&mut pcm);
            let mut pcm = f32_to_pcm(&pcm);
            trim_leading_silence(&mut pcm);
            Some(pcm)
        }
        Err(e) => {
            tracing::error!("speech synthesis failed for {sentence:?}: {e}");
            None
        }
    }
}

/// Piper starts each sentence with up to a few hundred milliseconds of near-silence; on a phone
/// that is pure latency. Keeps 20 ms before the first sample above -50 dBFS.
pub fn trim_leading_silence(pcm: &mut Vec<i16>) {
    const THRESHOLD: i16 = 104; // -50 dBFS
    const KEEP: usize = 160;
    if let Some(first) = pcm.iter().position(|s| s.unsigned_abs() > THRESHOLD as u16) {
        pcm.drain(..first.saturating_sub(KEEP));
    }
}

fn run_job(voice: &mut PiperVoice, cache: Option<&PromptCache>, job: TtsJob) {
    for sentence in split_sentences(&job.text) {
        if job.cancelled.load(Ordering::Relaxed) {
            break;
        }
        let pcm = match cache.and_then(|c| c.get(&sentence)) {
            Some(hit) => hit.as_ref().clone(),
            None => match synthesize_8k(voice, &sentence) {
                Some(pcm) => {
                    if let Some(c) = cache {
                        c.insert(&sentence, Arc::new(pcm.clone()));
                    }
                    pcm
                }
                None => {
                    let _ = job.output.send(TtsChunk::Failed(sentence));
                    continue;
                }
            },
        };
        if job.output.send(TtsChunk::Audio(pcm)).is_err() {
            return;
        }
    }
    let _ = job.output.send(TtsChunk::Done);
}

#[cfg(test)]
mod tests {
    use super::trim_leading_silence;

    #[test]
    fn leading_near_silence_is_cut_to_20_ms() {
        let mut pcm = vec![0i16; 2000];
        pcm[1000] = 20; // hiss below -50 dBFS stays part of the silence
        pcm.extend([3000, -3000, 0, 0]);
        trim_leading_silence(&mut pcm);
        assert_eq!(pcm.len(), 160 + 4);
        assert_eq!(pcm[160], 3000);
        let mut quiet = vec![0i16; 500];
        trim_leading_silence(&mut quiet);
        assert_eq!(quiet.len(), 500, "all-quiet audio is left alone");
    }
}
