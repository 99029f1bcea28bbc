//! Development sweep of classifier settings on Banking77 (removed before delivery).

use std::path::Path;

use hotline_nlu::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let models = Path::new("/tmp/nlu-assets");
    hotline_onnx::init(&models.join("libonnxruntime.so.1.31.1"))?;
    let encoder = SentenceEncoder::load_with_threads(
        &models.join(MODEL_FILE),
        &models.join(TOKENIZER_FILE),
        2,
    )?;
    let t = std::time::Instant::now();
    let data = Banking77::load(
        Path::new("/work/shared/data/nlu/banking77"),
        &encoder,
        Some(Path::new("/tmp/nlu-cache")),
    )?;
    eprintln!("loaded in {:?} cache={}", t.elapsed(), data.from_cache);
    let few = data.few_shot_indices(10, 77);
    let all = data.all_indices();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("acc");
    let grid: Vec<(usize, f32, f32, f32, f32)> = match mode {
        "acc" => vec![
            (60, 0.01, 1e-4, 0.0, 0.05),
            (60, 0.01, 1e-4, 1.0, 0.05),
            (60, 0.01, 1e-4, 0.3, 0.05),
            (60, 0.01, 1e-5, 0.0, 0.05),
            (60, 0.01, 1e-3, 0.0, 0.05),
            (30, 0.01, 1e-4, 0.0, 0.05),
            (100, 0.003, 1e-4, 0.0, 0.05),
        ],
        _ => args[1..]
            .chunks(5)
            .map(|c| {
                (
                    c[0].parse().unwrap(),
                    c[1].parse().unwrap(),
                    c[2].parse().unwrap(),
                    c[3].parse().unwrap(),
                    c[4].parse().unwrap(),
                )
            })
            .collect(),
    };
    for (epochs, lr, l2, w, temp) in grid {
        let options = ClassifierOptions {
            training: TrainingOptions {
                epochs,
                learning_rate: lr,
                l2,
                batch_size: 32,
                seed: 77,
            },
            nearest_weight: w,
            nearest_temperature: temp,
            threshold: 0.3,
        };
        let t = std::time::Instant::now();
        let f = data.score(&few, options)?;
        let tf = t.elapsed();
        let a = if mode == "few" {
            f
        } else {
            data.score(&all, options)?
        };
        println!("ep {epochs} lr {lr} l2 {l2} w {w} T {temp}: few {:.2}% (f1 {:.2}) [{:?}]  full {:.2}% (f1 {:.2}) [{:?}]",
            100.0 * f.accuracy, 100.0 * f.macro_f1, tf, 100.0 * a.accuracy, 100.0 * a.macro_f1, t.elapsed() - tf);
    }
    Ok(())
}
