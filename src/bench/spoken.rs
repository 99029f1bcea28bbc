//! `hotline bench spoken`: what a flow understands of questions spoken over the phone, with
//! Whisper primed with the flow's own words (its hot words) and without.
//!
//! Offline simulation of the phone path, not a call: each question of a labelled set (written
//! for the set, not the flow's own examples) is spoken by several espeak-ng voices (a different
//! engine from the bot's), preceded by a short silence, sent through G.711 µ-law and the ASR
//! pool's resampler, transcribed, and understood as an `ask` node with the flow's FAQ fallback
//! would: the intent the matcher finds, else the FAQ entry over the flow's threshold, else none.
//! Each transcript is understood twice: without near-miss matching and with it (the flow's
//! `near_miss` setting), so one run gives both figures.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use hotline_flow::{IntentMatcher, NearMissMatcher};
use hotline_listen::{
    keep_better, second_pass_wanted, word_error_rate, Transcript, WhisperAsr, WordErrors,
};
use serde::Deserialize;

use crate::bench::espeak_voice_wav;
use crate::bench::wer::phone_path;
use crate::config::{Config, WhisperChoice};
use crate::server::ActiveFlow;

/// What to measure.
pub struct SpokenOptions {
    pub set: PathBuf,
    /// Whisper model (base, tiny.en or a ggml file); the configured one when `None`.
    pub whisper: Option<String>,
    /// Print every question, not only the ones misunderstood in either run.
    pub verbose: bool,
    /// Another prompt to try instead of the flow's hot words.
    pub hot_words: Option<String>,
}

/// The labelled set's file.
#[derive(Deserialize)]
struct LabelledSet {
    flow: PathBuf,
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    ask: String,
    /// The intent or FAQ entry that should answer, or `none`.
    answer: String,
}

/// The caller voices: espeak-ng voice and words per minute.
const VOICES: &[(&str, u32)] = &[("en-us", 160), ("en-gb-x-rp+f3", 150), ("en-us+m3", 185)];

/// Silence before each question, as the endpointer's pre-roll keeps some (ms, by voice).
const LEAD_IN_MS: &[usize] = &[200, 250, 300];

/// The tally of one run (with or without hot words).
#[derive(Default)]
struct Tally {
    right: usize,
    in_scope: usize,
    in_scope_right: usize,
    out_of_scope: usize,
    rejected: usize,
    words: WordErrors,
    seconds: f64,
}

pub fn run(options: SpokenOptions, mut config: Config) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&options.set)
        .with_context(|| format!("cannot read the labelled set {}", options.set.display()))?;
    let set: LabelledSet = serde_saphyr::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a labelled set: {e}", options.set.display()))?;
    if let Some(w) = &options.whisper {
        config.speech.whisper_model = WhisperChoice::parse(w);
    }
    let models = crate::server::model_paths(&config)?;
    hotline_onnx::init(&models.onnxruntime)?;
    let encoder = crate::server::load_encoder(&config.speech.models_dir)?;
    let active = crate::server::load_flow_file(&set.flow, Some(&encoder))?;
    check_labels(&set, &active, &options.set)?;
    let matchers = Matchers::new(&active, &encoder)?;
    let mut asr = WhisperAsr::load(&models.whisper, config.speech.asr_threads)?;
    let prompt = options
        .hot_words
        .clone()
        .unwrap_or_else(|| hotline_flow::hot_words(&active.flow));
    println!(
        "{} questions x {} voices from {}, G.711 µ-law round trip, 8 -> 16 kHz; model {}\nhot words ({} chars): {prompt}",
        set.questions.len(),
        VOICES.len(),
        options.set.display(),
        models.whisper.display(),
        prompt.len()
    );

    let work = std::env::temp_dir().join(format!("hotline-bench-spoken-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let (mut plain, mut primed) = (Tally::default(), Tally::default());
    let (mut plain_near, mut primed_near) = (Tally::default(), Tally::default());
    let mut both = Vec::new();
    for (n, question) in set.questions.iter().enumerate() {
        for (v, (voice, speed)) in VOICES.iter().enumerate() {
            let wav = work.join(format!("q{n}-{v}.wav"));
            espeak_voice_wav(&question.ask, voice, *speed, &wav)?;
            let mut pcm = vec![0i16; LEAD_IN_MS[v % LEAD_IN_MS.len()] * 8];
            pcm.extend(crate::dial::read_wav_8k(&wav)?);
            pcm.extend(std::iter::repeat_n(0, 2400));
            let pcm_16k = phone_path(&pcm);
            let mut lines = Vec::new();
            let mut decodes = Vec::new();
            let mut near_lines = Vec::new();
            for (tally, near_tally, hot) in [
                (&mut plain, &mut plain_near, None),
                (&mut primed, &mut primed_near, Some(prompt.as_str())),
            ] {
                asr.set_prompt(hot);
                let started = Instant::now();
                let heard = asr.transcribe_long(&pcm_16k)?;
                let seconds = started.elapsed().as_secs_f64();
                tally.seconds += seconds;
                near_tally.seconds += seconds;
                let text = heard_text(&heard);
                let words = word_error_rate(&question.ask, text);
                let got = understand(&active, matchers.without.as_ref(), text);
                let near = understand(&active, matchers.with.as_ref(), text);
                tally.record(&question.answer, &got, words);
                near_tally.record(&question.answer, &near, words);
                lines.push((got, text.to_string()));
                near_lines.push(near);
                decodes.push((heard, seconds));
            }
            let wrong = lines
                .iter()
                .map(|(got, _)| got)
                .chain(&near_lines)
                .any(|got| *got != question.answer);
            if options.verbose || wrong {
                println!(
                    "{:?} ({voice}) expects {}:\n  plain:     {} (near miss: {}) <- {:?} ({:.2})\n  hot words: {} (near miss: {}) <- {:?} ({:.2})",
                    question.ask,
                    question.answer,
                    lines[0].0,
                    near_lines[0],
                    lines[0].1,
                    decodes[0].0.confidence,
                    lines[1].0,
                    near_lines[1],
                    lines[1].1,
                    decodes[1].0.confidence
                );
            }
            let (primed_heard, primed_seconds) = decodes.pop().expect("two decodes");
            let (plain_heard, plain_seconds) = decodes.pop().expect("two decodes");
            both.push(BothDecodes {
                question: n,
                plain: plain_heard,
                plain_seconds,
                primed: primed_heard,
                primed_seconds,
            });
        }
    }
    for (name, tally) in [
        ("plain", &plain),
        ("hot words", &primed),
        ("plain + near miss", &plain_near),
        ("hot words + near miss", &primed_near),
    ] {
        tally.print(name);
    }
    print_second_pass(&active, &matchers, &set, &both);
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// One question in one voice, decoded without and with the hot words.
struct BothDecodes {
    question: usize,
    plain: Transcript,
    plain_seconds: f64,
    primed: Transcript,
    primed_seconds: f64,
}

/// The confidence floors `speech.hot_words: uncertain` could use, tried on the same decodes.
const SECOND_PASS_BELOW: &[f32] = &[0.5, 0.6, 0.7, 0.8, 0.9];

/// What hot words on a second decode only would give: the plain transcript, or, when it is under
/// the floor, the better of the two; and how many questions would pay for the second decode.
fn print_second_pass(
    active: &ActiveFlow,
    matchers: &Matchers,
    set: &LabelledSet,
    both: &[BothDecodes],
) {
    for &below in SECOND_PASS_BELOW {
        let mut tally = Tally::default();
        let mut second = 0;
        for d in both {
            let question = &set.questions[d.question];
            tally.seconds += d.plain_seconds;
            let kept = if second_pass_wanted(&d.plain, below) {
                second += 1;
                tally.seconds += d.primed_seconds;
                keep_better(d.plain.clone(), d.primed.clone())
            } else {
                d.plain.clone()
            };
            let text = heard_text(&kept);
            let got = understand(active, matchers.without.as_ref(), text);
            tally.record(&question.answer, &got, word_error_rate(&question.ask, text));
        }
        tally.print(&format!(
            "second pass under {below:.1} ({second}/{} decoded twice)",
            both.len()
        ));
    }
}

/// The text a turn would carry: nothing when Whisper heard no speech.
fn heard_text(heard: &Transcript) -> &str {
    if heard.no_speech {
        ""
    } else {
        heard.text.as_str()
    }
}

/// Every label names an intent or FAQ entry of the flow, or `none`.
fn check_labels(set: &LabelledSet, active: &ActiveFlow, file: &Path) -> anyhow::Result<()> {
    let flow = &active.flow;
    let known = |label: &str| {
        label == "none"
            || flow.intents().iter().any(|i| i.id == label)
            || flow.faq().iter().any(|e| e.id == label)
    };
    for (i, q) in set.questions.iter().enumerate() {
        if !known(&q.answer) {
            bail!(
                "{}: question {} ({:?}) expects {:?}, which is neither an intent nor an FAQ entry of {}",
                file.display(),
                i + 1,
                q.ask,
                q.answer,
                set.flow.display()
            );
        }
    }
    Ok(())
}

/// The flow's matcher built twice, near-miss matching off and on, whatever the flow's setting.
struct Matchers {
    without: Box<dyn IntentMatcher>,
    with: Box<dyn IntentMatcher>,
}

impl Matchers {
    fn new(
        active: &ActiveFlow,
        encoder: &std::sync::Arc<hotline_nlu::SentenceEncoder>,
    ) -> anyhow::Result<Self> {
        let build = |near_miss: Option<NearMissMatcher>| {
            hotline_nlu::EmbeddingMatcher::new(&active.flow, std::sync::Arc::clone(encoder)).map(
                |m| {
                    m.with_keyword_floor(crate::server::KEYWORD_FLOOR)
                        .with_near_miss(near_miss)
                },
            )
        };
        Ok(Matchers {
            without: Box::new(build(None)?),
            with: Box::new(build(Some(NearMissMatcher::new(&active.flow)))?),
        })
    }
}

/// What an `ask` node with the FAQ fallback makes of `text`: an intent, an FAQ entry, or none.
fn understand(active: &ActiveFlow, matcher: &dyn IntentMatcher, text: &str) -> String {
    if let Some(found) = matcher.classify(text) {
        return found.intent;
    }
    let threshold = active.flow.settings().faq_threshold;
    active
        .faq
        .as_ref()
        .and_then(|faq| faq.answer(text))
        .filter(|a| a.score >= threshold)
        .map_or_else(|| "none".to_string(), |a| a.entry)
}

impl Tally {
    fn record(&mut self, expected: &str, got: &str, words: WordErrors) {
        self.right += usize::from(expected == got);
        if expected == "none" {
            self.out_of_scope += 1;
            self.rejected += usize::from(got == "none");
        } else {
            self.in_scope += 1;
            self.in_scope_right += usize::from(expected == got);
        }
        self.words = self.words + words;
    }

    fn print(&self, name: &str) {
        let total = self.in_scope + self.out_of_scope;
        println!(
            "{name}: right {}/{total} ({:.1}%); in scope {}/{} answered right; out of scope {}/{} refused; WER {:.1}%; {:.2} s per question",
            self.right,
            100.0 * self.right as f64 / total.max(1) as f64,
            self.in_scope_right,
            self.in_scope,
            self.rejected,
            self.out_of_scope,
            100.0 * self.words.rate(),
            self.seconds / total.max(1) as f64
        );
    }
}
