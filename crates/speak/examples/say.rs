//! Speaks text to a WAV file for listening checks and timing:
//! `cargo run -p hotline-speak --example say -- [--threads N] [--out FILE] "Text to say."`
//!
//! Looks for the voice in `$HOTLINE_VOICES_DIR` (else `voices/` above the current directory)
//! and ONNX Runtime in `$HOTLINE_MODELS_DIR` (else `models/`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use hotline_speak::{split_sentences, PiperVoice};

fn find(env_var: &str, dir: &str, file: &str) -> Result<PathBuf, String> {
    if let Ok(from_env) = std::env::var(env_var) {
        return Ok(Path::new(&from_env).join(file));
    }
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    cwd.ancestors()
        .map(|ancestor| ancestor.join(dir).join(file))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            format!("{dir}/{file} not found: run `hotline models fetch` or set {env_var}")
        })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut threads = 1;
    let mut out = PathBuf::from("/tmp/piper_test.wav");
    let mut text = String::from("Thank you for calling Hotline. Your balance is $4.99, due on May 5th. How can I help you today?");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or("--threads needs a number")?.parse()?,
            "--out" => out = args.next().ok_or("--out needs a path")?.into(),
            _ => text = arg,
        }
    }
    hotline_onnx::init(&find(
        "HOTLINE_MODELS_DIR",
        "models",
        "libonnxruntime.so.1.31.1",
    )?)?;
    let onnx = find("HOTLINE_VOICES_DIR", "voices", "en_US-joe-medium.onnx")?;
    let json = find("HOTLINE_VOICES_DIR", "voices", "en_US-joe-medium.onnx.json")?;
    let started = Instant::now();
    let mut voice = PiperVoice::load_with_threads(&onnx, &json, threads)?;
    println!(
        "loaded in {:.2} s with {threads} intra-op thread(s)",
        started.elapsed().as_secs_f32()
    );
    // The first run pays one-off allocation costs; keep it out of the timings.
    voice.synthesize("Warm up.")?;

    let rate = voice.sample_rate();
    let mut all = Vec::new();
    let (mut busy, mut spoken) = (0.0f32, 0.0f32);
    for sentence in split_sentences(&text) {
        let started = Instant::now();
        let phonemes = voice.phonemes(&sentence)?;
        let phonemized = started.elapsed().as_secs_f32();
        let audio = voice.synthesize(&sentence)?;
        let took = started.elapsed().as_secs_f32() - phonemized;
        let seconds = audio.len() as f32 / rate as f32;
        busy += took;
        spoken += seconds;
        println!(
            "{took:.3} s (+{phonemized:.3} s espeak-ng) for {seconds:.2} s, RTF {:.3}: {sentence}\n    {}",
            took / seconds,
            phonemes.join(" | ")
        );
        all.extend(audio);
        all.resize(all.len() + rate as usize / 5, 0.0);
    }
    println!(
        "total {busy:.2} s for {spoken:.2} s of speech, RTF {:.3}",
        busy / spoken
    );

    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&out, spec)?;
    for sample in all {
        writer.write_sample((sample.clamp(-1.0, 1.0) * i16::MAX as f32) as i16)?;
    }
    writer.finalize()?;
    println!("wrote {}", out.display());
    Ok(())
}
