//! Tunes the classifier's few-shot settings on the Banking77 *training* file only: for each
//! of a few sampling seeds, it trains on N examples per intent and scores on the training
//! sentences that were not drawn, so the test file never steers a setting.
//!
//! `cargo run --release -p hotline-nlu --example tune_few_shot -- [nw=0.3,t=0.05,ww=0.5,ep=40,lr=0.01,l2=1e-5,bs=32] ...`
//! (from the repository root; the Banking77 embeddings cache is reused). Experiments, each
//! off unless its variable is set: `NAMES=1` adds each intent's name ("card_arrival" ->
//! "card arrival") as an example; `CENTER=1` subtracts the sample's mean embedding before
//! training; `AUGMENT=1` adds two reworded copies of each example (one word dropped, a 3/4
//! sub-span), embedded with the real encoder.

use std::path::Path;

use hotline_nlu::{
    accuracy, default_cache_dir, sample_per_intent, Banking77, ClassifierOptions, SentenceEncoder,
    MODEL_FILE, TOKENIZER_FILE,
};

fn parse(spec: &str) -> ClassifierOptions {
    let mut o = ClassifierOptions::default();
    for pair in spec.split(',').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').expect("key=value");
        let x: f32 = value.parse().expect("number");
        match key {
            "nw" => o.nearest_weight = x,
            "t" => o.nearest_temperature = x,
            "ww" => o.word_weight = x,
            "ep" => o.training.epochs = x as usize,
            "lr" => o.training.learning_rate = x,
            "l2" => o.training.l2 = x,
            "bs" => o.training.batch_size = x as usize,
            _ => panic!("unknown setting {key}"),
        }
    }
    o
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let models = Path::new("models");
    hotline_onnx::init(&models.join("libonnxruntime.so.1.31.1"))?;
    let encoder = SentenceEncoder::load(&models.join(MODEL_FILE), &models.join(TOKENIZER_FILE))?;
    let mut data = Banking77::load(
        Path::new("../shared/data/nlu/banking77"),
        &encoder,
        default_cache_dir().as_deref(),
    )?;
    let per_intent: usize = std::env::var("PER_INTENT").map_or(10, |v| v.parse().unwrap_or(10));
    let seeds = [1_u64, 2, 3];
    let mut specs: Vec<String> = std::env::args().skip(1).collect();
    if specs.is_empty() {
        specs.push(String::new());
    }
    let names = std::env::var("NAMES").is_ok();
    let center = std::env::var("CENTER").is_ok();
    let original = data.train.len();
    if names {
        let intents = data.intents();
        let texts: Vec<String> = intents.iter().map(|i| i.replace('_', " ")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let embedded = encoder.embed(&refs)?;
        for ((intent, text), e) in intents.iter().zip(&texts).zip(embedded) {
            data.train.push(hotline_nlu::Utterance {
                text: text.clone(),
                intent: intent.clone(),
            });
            data.train_embeddings.push(e);
        }
    }
    for spec in &specs {
        let options = parse(spec);
        let mut scores = Vec::new();
        for &seed in &seeds {
            let mut chosen = sample_per_intent(&data.train[..original], per_intent, seed);
            chosen.extend(original..data.train.len());
            let mut data = data.clone();
            if center {
                let width = data.train_embeddings[0].len();
                let mut mean = vec![0.0_f32; width];
                for &i in &chosen {
                    mean.iter_mut()
                        .zip(&data.train_embeddings[i])
                        .for_each(|(m, x)| *m += x / chosen.len() as f32);
                }
                for e in data.train_embeddings.iter_mut() {
                    e.iter_mut().zip(&mean).for_each(|(x, m)| *x -= m);
                    let n = e.iter().map(|x| x * x).sum::<f32>().sqrt();
                    e.iter_mut().for_each(|x| *x /= n);
                }
            }
            if std::env::var("AUGMENT").is_ok() {
                let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                let mut next = |n: usize| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    (rng % n.max(1) as u64) as usize
                };
                let mut extra = Vec::new();
                for &i in &chosen {
                    let words: Vec<&str> = data.train[i].text.split_whitespace().collect();
                    if words.len() < 4 {
                        continue;
                    }
                    let drop = next(words.len());
                    let dropped: Vec<&str> = words
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| *k != drop)
                        .map(|(_, w)| *w)
                        .collect();
                    extra.push((dropped.join(" "), data.train[i].intent.clone()));
                    let keep = (words.len() * 3).div_ceil(4);
                    let start = next(words.len() - keep + 1);
                    extra.push((
                        words[start..start + keep].join(" "),
                        data.train[i].intent.clone(),
                    ));
                }
                let refs: Vec<&str> = extra.iter().map(|(t, _)| t.as_str()).collect();
                let embedded = encoder.embed(&refs)?;
                for ((text, intent), e) in extra.into_iter().zip(embedded) {
                    chosen.push(data.train.len());
                    data.train.push(hotline_nlu::Utterance { text, intent });
                    data.train_embeddings.push(e);
                }
            }
            let classifier = data.classifier(&chosen, options)?;
            let intents = classifier.intents();
            let mut expected = Vec::new();
            let mut predicted = Vec::new();
            for (i, (u, e)) in data.train.iter().zip(&data.train_embeddings).enumerate() {
                if i >= original || chosen.binary_search(&i).is_ok() {
                    continue;
                }
                expected.push(
                    intents
                        .iter()
                        .position(|k| *k == u.intent)
                        .unwrap_or(intents.len()),
                );
                predicted.push(classifier.predict(&u.text, e)?.intent);
            }
            scores.push(100.0 * accuracy(&expected, &predicted));
        }
        let mean = scores.iter().sum::<f32>() / scores.len() as f32;
        println!(
            "{:<50} mean {:.2}%  ({})",
            if spec.is_empty() { "default" } else { spec },
            mean,
            scores
                .iter()
                .map(|s| format!("{s:.2}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    Ok(())
}
