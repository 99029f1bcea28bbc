//! Converts a CTranslate2 Whisper model directory to a whisper.cpp ggml file (for models the manifest does not list).
//!
//! Usage: `cargo run -p hotline-models --example convert -- <ct2-dir> <out.bin>`; the directory
//! holds `model.bin` and `tokenizer.json`.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, out] = args.as_slice() else {
        eprintln!("usage: convert <ct2-dir> <out.bin>");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let started = Instant::now();
    match hotline_models::convert_ct2_to_ggml(
        &dir.join("model.bin"),
        &dir.join("tokenizer.json"),
        &PathBuf::from(out),
    ) {
        Ok(report) => println!(
            "{out}: {} bytes, {} tensors, vocab {}, {}+{} layers, in {:.1} s",
            report.bytes_out,
            report.tensors,
            report.n_vocab,
            report.n_audio_layer,
            report.n_text_layer,
            started.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
