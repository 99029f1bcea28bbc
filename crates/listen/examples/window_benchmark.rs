//! Measures word error rate and latency of Whisper's encoder window sizes on Asterisk prompts.
//!
//! Usage: `cargo run -p hotline-listen --example window_benchmark -- models/ggml-base.bin [threads]`.
//! Needs the Debian package `asterisk-core-sounds-en-wav` and sox (for 8 -> 16 kHz).

use std::path::Path;
use std::process::Command;

use hotline_listen::{word_error_rate, AudioWindow, WhisperAsr, WordErrors};

const PROMPTS: [&str; 20] = [
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
    "agent-pass",
    "agent-user",
    "auth-incorrect",
    "agent-newlocation",
    "vm-tocancelmsg",
    "conf-adminmenu-162",
];

fn load_16k(name: &str) -> Vec<f32> {
    let out = Command::new("sox")
        .arg(format!(
            "/usr/share/asterisk/sounds/en_US_f_Allison/{name}.wav"
        ))
        .args([
            "-t",
            "raw",
            "-e",
            "floating-point",
            "-b",
            "32",
            "-r",
            "16000",
            "-",
        ])
        .output()
        .expect("sox runs");
    out.stdout
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn transcripts() -> String {
    let out = Command::new("zcat")
        .arg("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
        .output()
        .expect("zcat runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let model = args
        .first()
        .map(String::as_str)
        .unwrap_or("models/ggml-base.bin");
    let threads: usize = args.get(1).and_then(|t| t.parse().ok()).unwrap_or(2);
    let all = transcripts();
    let clips: Vec<(String, Vec<f32>)> = PROMPTS
        .iter()
        .map(|name| {
            let prefix = format!("{name}: ");
            let text = all
                .lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .unwrap_or("");
            (text.to_string(), load_16k(name))
        })
        .collect();
    let audio_s: f64 = clips.iter().map(|(_, a)| a.len() as f64 / 16000.0).sum();
    println!(
        "{model}, {threads} threads, {} prompts, {audio_s:.1} s of audio",
        clips.len()
    );
    let mut asr = WhisperAsr::load(Path::new(model), threads).expect("model loads");
    let windows = [
        AudioWindow::Full,
        AudioWindow::Fit { min_frames: 0 },
        AudioWindow::Fit { min_frames: 256 },
        AudioWindow::Fit { min_frames: 384 },
        AudioWindow::Fit { min_frames: 500 },
        AudioWindow::Fit { min_frames: 768 },
    ];
    for window in windows {
        asr.set_window(window);
        let mut errors = WordErrors::default();
        let mut elapsed = 0.0;
        let mut short_elapsed = 0.0;
        let mut short_n = 0;
        for (text, audio) in &clips {
            let heard = asr.transcribe(audio).expect("transcribes");
            errors = errors + word_error_rate(text, &heard.text);
            elapsed += heard.elapsed.as_secs_f64();
            if heard.audio.as_secs_f64() < 4.0 {
                short_elapsed += heard.elapsed.as_secs_f64();
                short_n += 1;
            }
        }
        println!(
            "{window:?}: WER {:.1}%, total {elapsed:.1} s, mean {:.2} s per prompt, mean {:.2} s per prompt under 4 s",
            100.0 * errors.rate(),
            elapsed / clips.len() as f64,
            short_elapsed / f64::from(short_n.max(1))
        );
    }
}
