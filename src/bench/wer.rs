//! `hotline bench wer`: word error rate of Whisper on real recorded telephone prompts, through
//! the phone path's codec and resampler, with our decoding or whisper.cpp's defaults.
//!
//! This is an offline simulation of the phone path, not a call: each Asterisk prompt (8 kHz,
//! read by a human) is encoded to G.711 µ-law and decoded again, resampled to 16 kHz by the same
//! resampler the ASR pool uses, and transcribed whole (windows of at most 30 s, as the pool does).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hotline_listen::{word_error_rate, Decoding, WhisperAsr, WordErrors};
use hotline_media::{pcm_to_f32, ulaw_decode, ulaw_encode, Resampler};

use crate::config::{Config, WhisperChoice};

/// Where Debian's `asterisk-core-sounds-en-wav` puts the prompts and their transcripts.
pub(super) const PROMPTS_DIR: &str = "/usr/share/asterisk/sounds/en";
const TRANSCRIPTS: &str = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz";

/// What to measure.
pub struct WerOptions {
    /// Prompts to transcribe, spread evenly over the ones with a spoken transcript.
    pub files: usize,
    /// Whisper model (base, tiny.en or a ggml file); the configured one when `None`.
    pub whisper: Option<String>,
    /// Decode with whisper.cpp's defaults instead of ours.
    pub whisper_cpp: bool,
    /// Print every prompt's transcript, not only the ones with errors.
    pub verbose: bool,
}

/// One prompt: its name, reference text and 8 kHz samples.
struct Prompt {
    name: String,
    reference: String,
    pcm: Vec<i16>,
}

pub fn run(options: WerOptions, mut config: Config) -> anyhow::Result<()> {
    if let Some(w) = &options.whisper {
        config.speech.whisper_model = WhisperChoice::parse(w);
    }
    let model = crate::server::model_paths(&config)?.whisper;
    let mut asr = WhisperAsr::load(&model, config.speech.asr_threads)?;
    let decoding = if options.whisper_cpp {
        Decoding::WhisperCpp
    } else {
        Decoding::Telephone
    };
    asr.set_decoding(decoding);
    let prompts = load_prompts(options.files)?;
    println!(
        "{} prompts from {PROMPTS_DIR}, G.711 µ-law round trip, 8 -> 16 kHz; model {}, {decoding:?} decoding, {} threads",
        prompts.len(),
        model.display(),
        config.speech.asr_threads
    );

    let (mut total, mut audio_seconds, mut busy_seconds) = (WordErrors::default(), 0.0, 0.0);
    let (mut runaways, mut redecoded, mut repeats_removed, mut slowest) =
        (0, 0, 0, (0.0, String::new()));
    for prompt in &prompts {
        let pcm_16k = phone_path(&prompt.pcm);
        let started = Instant::now();
        let heard = asr.transcribe_long(&pcm_16k)?;
        let seconds = started.elapsed().as_secs_f64();
        let errors = word_error_rate(&prompt.reference, &heard.text);
        total = total + errors;
        audio_seconds += heard.audio.as_secs_f64();
        busy_seconds += seconds;
        if seconds > slowest.0 {
            slowest = (seconds, prompt.name.clone());
        }
        let runaway = is_runaway(&prompt.reference, &heard.text);
        runaways += usize::from(runaway);
        redecoded += usize::from(heard.redecoded);
        repeats_removed += usize::from(heard.repeats_removed);
        if options.verbose || errors.edits > 0 {
            println!(
                "{}: {:.1} s audio in {seconds:.2} s, {} edits / {} words{}{}{}\n  ref: {}\n  hyp: {}",
                prompt.name,
                heard.audio.as_secs_f64(),
                errors.edits,
                errors.reference_words,
                if runaway { ", RUNAWAY" } else { "" },
                if heard.redecoded { ", decoded again" } else { "" },
                if heard.repeats_removed { ", repeats removed" } else { "" },
                prompt.reference,
                heard.text
            );
        }
    }
    let n = prompts.len().max(1) as f64;
    println!(
        "WER {:.1}% ({} edits / {} words) over {} prompts, {audio_seconds:.0} s of audio",
        100.0 * total.rate(),
        total.edits,
        total.reference_words,
        prompts.len()
    );
    println!(
        "runaways (hypothesis > 1.5x the reference words + 3: loops, hallucinations): {runaways}; decoded again for a loop: {redecoded}; repeats removed: {repeats_removed}"
    );
    println!(
        "time per prompt: mean {:.2} s, slowest {:.2} s ({}); real-time factor {:.2}",
        busy_seconds / n,
        slowest.0,
        slowest.1,
        busy_seconds / audio_seconds.max(1e-9)
    );
    Ok(())
}

/// A hypothesis far longer than its reference: a repetition loop or hallucinated text.
fn is_runaway(reference: &str, hypothesis: &str) -> bool {
    let r = hotline_listen::normalise_words(reference).len();
    let h = hotline_listen::normalise_words(hypothesis).len();
    h * 2 > r * 3 + 6
}

/// The audio as the server gets it from a caller: G.711 µ-law and back, then 8 -> 16 kHz with
/// the ASR pool's resampler.
pub(super) fn phone_path(pcm: &[i16]) -> Vec<f32> {
    let line: Vec<i16> = pcm.iter().map(|&s| ulaw_decode(ulaw_encode(s))).collect();
    let mut up = Resampler::new(8000, 16000);
    let mut out = Vec::with_capacity(line.len() * 2 + 64);
    up.process(&pcm_to_f32(&line), &mut out);
    up.flush(&mut out);
    out
}

/// `files` prompts with a spoken transcript (not a bracketed tone), spread evenly over them in
/// name order.
fn load_prompts(files: usize) -> anyhow::Result<Vec<Prompt>> {
    let transcripts = read_transcripts(Path::new(TRANSCRIPTS))?;
    let mut names: Vec<(String, String)> = std::fs::read_dir(PROMPTS_DIR)
        .map_err(|e| {
            anyhow::anyhow!(
                "{PROMPTS_DIR}: {e} (install the Debian package asterisk-core-sounds-en-wav)"
            )
        })?
        .filter_map(|entry| {
            let path: PathBuf = entry.ok()?.path();
            let name = path.file_stem()?.to_str()?.to_string();
            (path.extension()? == "wav").then_some(())?;
            let text = transcripts.get(&name)?;
            let spoken = !text.contains('[') && !hotline_listen::normalise_words(text).is_empty();
            spoken.then(|| (name, text.clone()))
        })
        .collect();
    names.sort();
    let take = files.min(names.len());
    let mut prompts = Vec::with_capacity(take);
    for i in 0..take {
        let (name, reference) = names[i * names.len() / take].clone();
        let pcm = crate::dial::read_wav_8k(&Path::new(PROMPTS_DIR).join(format!("{name}.wav")))?;
        prompts.push(Prompt {
            name,
            reference,
            pcm,
        });
    }
    Ok(prompts)
}

/// `name: text` lines of the package's transcript list.
fn read_transcripts(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    let output = std::process::Command::new("zcat")
        .arg(path)
        .output()
        .map_err(|e| anyhow::anyhow!("zcat {}: {e}", path.display()))?;
    anyhow::ensure!(
        output.status.success(),
        "cannot read {} (install the Debian package asterisk-core-sounds-en-wav)",
        path.display()
    );
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| l.split_once(": "))
        .map(|(name, text)| (name.trim().to_string(), text.trim().to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hypothesis_far_longer_than_its_reference_is_a_runaway() {
        assert!(!is_runaway("press one", "press 1"));
        assert!(!is_runaway("please hold", "please hold on now"));
        let loop_text = "press 1 to record ".repeat(5);
        assert!(is_runaway("press one to record", &loop_text));
    }

    #[test]
    fn the_phone_path_doubles_the_rate_and_keeps_the_level() {
        let tone: Vec<i16> = (0..8000)
            .map(|n| {
                (8000.0 * (2.0 * std::f32::consts::PI * 440.0 * n as f32 / 8000.0).sin()) as i16
            })
            .collect();
        let out = phone_path(&tone);
        assert!((out.len() as i64 - 16_000).abs() < 64, "{}", out.len());
        let peak = out[1000..15_000].iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!((0.2..0.3).contains(&peak), "{peak}");
    }
}
