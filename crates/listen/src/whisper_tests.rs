//! Whisper on real telephone speech: word error rate over Asterisk prompts, silence, threads.

use crate::test_audio::{model, prompt_8k, transcript, upsample_2x};
use crate::{word_error_rate, AudioWindow, WhisperAsr, WordErrors};

/// Prompts with plain-speech transcripts, 1 s to 25 s long.
pub(crate) const PROMPTS: [&str; 14] = [
    "agent-alreadyon",
    "conf-getchannel",
    "conf-onlyperson",
    "confbridge-removed",
    "entr-num-rmv-blklist",
    "pls-hold-while-try",
    "vm-invalid-password",
    "vm-nobodyavail",
    "vm-rec-temp",
    "vm-sorry",
    "all-circuits-busy-now",
    "cannot-complete-as-dialed",
    "check-number-dial-again",
    "basic-pbx-ivr-main",
];

fn corpus_wer(asr: &WhisperAsr, prompts: &[&str]) -> WordErrors {
    let mut total = WordErrors::default();
    for name in prompts {
        let heard = asr
            .transcribe(&upsample_2x(&prompt_8k(name)))
            .expect("transcribes");
        let reference = transcript(name);
        let errors = word_error_rate(&reference, &heard.text);
        println!(
            "{name}: {:.1} s audio in {:.2} s, conf {:.2}, {} edits\n  ref: {reference}\n  hyp: {}",
            heard.audio.as_secs_f64(),
            heard.elapsed.as_secs_f64(),
            heard.confidence,
            errors.edits,
            heard.text
        );
        assert!(!heard.no_speech, "{name} is speech");
        total = total + errors;
    }
    println!("corpus WER {:.1}%", 100.0 * total.rate());
    total
}

#[test]
fn base_transcribes_telephone_prompts() {
    let asr = WhisperAsr::load(&model("ggml-base.bin"), 2).expect("base loads");
    let wer = corpus_wer(&asr, &PROMPTS);
    assert!(wer.rate() < 0.15, "WER {:.1}%", 100.0 * wer.rate());
}

#[test]
fn tiny_en_transcribes_telephone_prompts() {
    let asr = WhisperAsr::load(&model("ggml-tiny.en.bin"), 2).expect("tiny.en loads");
    let wer = corpus_wer(&asr, &PROMPTS[..8]);
    assert!(wer.rate() < 0.25, "WER {:.1}%", 100.0 * wer.rate());
}

#[test]
fn full_window_gives_the_same_words_on_a_short_prompt() {
    let mut asr = WhisperAsr::load(&model("ggml-tiny.en.bin"), 2).expect("tiny.en loads");
    let audio = upsample_2x(&prompt_8k("pls-hold-while-try"));
    let fit = asr.transcribe(&audio).expect("transcribes");
    asr.set_window(AudioWindow::Full);
    let full = asr.transcribe(&audio).expect("transcribes");
    assert_eq!(
        word_error_rate(&full.text, &fit.text).edits,
        0,
        "{:?} vs {:?}",
        full.text,
        fit.text
    );
}

#[test]
fn silence_and_very_short_clips_are_no_speech() {
    let asr = WhisperAsr::load(&model("ggml-base.bin"), 2).expect("base loads");
    let silence = asr.transcribe(&vec![0.0; 32_000]).expect("transcribes");
    assert!(
        silence.no_speech,
        "silence heard as {:?} ({:?})",
        silence.text, silence
    );
    let blip = asr
        .transcribe(&vec![0.0; 1_600])
        .expect("short clips are padded");
    assert!(blip.no_speech, "100 ms heard as {:?}", blip.text);
    assert!(asr.transcribe(&vec![0.0; 16_000 * 31]).is_err());
}

#[test]
fn workers_on_other_threads_share_the_model() {
    let asr = WhisperAsr::load(&model("ggml-tiny.en.bin"), 1).expect("tiny.en loads");
    let worker = asr.worker().expect("second state");
    let audio = upsample_2x(&prompt_8k("vm-sorry"));
    let audio2 = audio.clone();
    let handle = std::thread::spawn(move || worker.transcribe(&audio2).expect("transcribes"));
    let here = asr.transcribe(&audio).expect("transcribes");
    let there = handle.join().expect("worker thread");
    assert_eq!(here.text, there.text);
    assert!(word_error_rate(&transcript("vm-sorry"), &here.text).rate() < 0.3);
}

#[test]
fn missing_model_names_the_fetch_command() {
    let err = WhisperAsr::load(std::path::Path::new("/nonexistent/ggml-base.bin"), 1)
        .err()
        .expect("fails");
    assert!(err.to_string().contains("hotline models fetch"));
}

#[test]
fn a_40_second_utterance_is_transcribed_whole() {
    // Four real prompts back to back with 300 ms pauses: 40 s, longer than Whisper's window.
    let names = [
        "basic-pbx-ivr-main",
        "vm-rec-temp",
        "agent-alreadyon",
        "conf-getchannel",
    ];
    let mut audio = Vec::new();
    let mut reference = String::new();
    for name in names {
        audio.extend(upsample_2x(&prompt_8k(name)));
        audio.extend(std::iter::repeat_n(0.0, 4_800));
        reference.push_str(&transcript(name));
        reference.push(' ');
    }
    assert!(audio.len() > 16_000 * 38, "{} samples", audio.len());
    let asr = WhisperAsr::load(&model("ggml-base.bin"), 2).expect("base loads");
    assert!(asr.transcribe(&audio).is_err(), "one window cannot take it");
    let heard = asr.transcribe_long(&audio).expect("transcribes");
    let errors = word_error_rate(&reference, &heard.text);
    println!(
        "{} windows, {:.1} s in {:.2} s, {} edits / {} words\n  ref: {reference}\n  hyp: {}",
        heard.windows,
        heard.audio.as_secs_f64(),
        heard.elapsed.as_secs_f64(),
        errors.edits,
        errors.reference_words,
        heard.text
    );
    assert_eq!(heard.windows, 2);
    assert!(!heard.no_speech);
    assert!(errors.rate() < 0.15, "WER {:.1}%", 100.0 * errors.rate());
}
