//! `hotline faq eval SET.yaml`: scores a labelled set of caller questions against a flow's FAQ
//! (the same meaning-and-wording answerer calls use) and prints, for every threshold, how many
//! questions are answered right, answered wrong, and off-topic ones answered, with the
//! threshold to choose. The numbers behind a flow's `faq_threshold`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hotline_nlu::{recommend, sweep, HybridFaq, ScoredQuestion};
use serde::Deserialize;

use crate::config::Config;

/// A labelled set: the flow it is for and its questions.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelledSet {
    /// The flow file, relative to the working directory.
    flow: PathBuf,
    questions: Vec<LabelledQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelledQuestion {
    /// What the caller asks.
    ask: String,
    /// The FAQ entry that should answer, or `none` when no entry should.
    answer: String,
}

/// Lowest, highest threshold tried and the step between them.
const SWEEP: (f32, f32, f32) = (0.30, 0.90, 0.05);

pub fn run(set_file: &Path, flow_override: Option<&Path>, config: &Config) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(set_file)
        .with_context(|| format!("cannot read the labelled set {}", set_file.display()))?;
    let set: LabelledSet = serde_saphyr::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a labelled FAQ set: {e}", set_file.display()))?;
    let flow_file = flow_override.map_or(set.flow.clone(), Path::to_path_buf);
    let source = std::fs::read_to_string(&flow_file)
        .with_context(|| format!("cannot read the flow {}", flow_file.display()))?;
    let name = flow_file.display().to_string();
    let flow = match hotline_flow::load_flow(&source, &name) {
        Ok(flow) => flow,
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            bail!("{name} has errors; run `hotline flow check {name}`");
        }
    };
    let ids: Vec<&str> = flow.faq().iter().map(|e| e.id.as_str()).collect();
    for (i, q) in set.questions.iter().enumerate() {
        if q.answer != "none" && !ids.contains(&q.answer.as_str()) {
            bail!(
                "{}: question {} ({:?}) expects the FAQ entry {:?}, which {name} does not have (it has: {})",
                set_file.display(),
                i + 1,
                q.ask,
                q.answer,
                ids.join(", ")
            );
        }
    }

    let models = crate::server::model_paths(config)?;
    hotline_onnx::init(&models.onnxruntime)?;
    let encoder = crate::server::load_encoder(&config.speech.models_dir)?;
    let faq = HybridFaq::new(&flow, encoder)?;
    let mut scored = Vec::with_capacity(set.questions.len());
    for q in &set.questions {
        let best = faq
            .score_entries(&q.ask)?
            .into_iter()
            .next()
            .map(|s| (s.entry, s.score));
        scored.push(ScoredQuestion {
            question: q.ask.clone(),
            expected: (q.answer != "none").then(|| q.answer.clone()),
            best,
        });
    }
    print_report(&name, &flow, &scored);
    Ok(())
}

fn print_report(name: &str, flow: &hotline_flow::Flow, scored: &[ScoredQuestion]) {
    let in_scope = scored.iter().filter(|q| q.expected.is_some()).count();
    println!(
        "{name}: {} FAQ entries; {} questions ({in_scope} for an entry, {} off-topic)\n",
        flow.faq().len(),
        scored.len(),
        scored.len() - in_scope
    );
    println!("question scores (best entry):");
    for q in scored {
        let (entry, score) = q
            .best
            .as_ref()
            .map_or(("-", 0.0), |(e, s)| (e.as_str(), *s));
        let verdict = match &q.expected {
            Some(expected) if expected == entry => "right entry",
            Some(_) => "WRONG entry",
            None => "off-topic",
        };
        println!(
            "  {score:.2}  {entry:<16} {verdict:<12} {:?} (expects {})",
            q.question,
            q.expected.as_deref().unwrap_or("none")
        );
    }
    let outcomes = sweep(scored, SWEEP.0, SWEEP.1, SWEEP.2);
    println!("\nthreshold  coverage  wrong answers  (right / wrong entry / off-topic answered)");
    for o in &outcomes {
        println!(
            "  {:.2}      {:>5.1}%      {:>5.1}%       ({} / {} / {})",
            o.threshold,
            100.0 * o.coverage(),
            100.0 * o.wrong_answer_rate(),
            o.right,
            o.wrong_entry,
            o.off_topic_answered
        );
    }
    let current = flow.settings().faq_threshold;
    let now = hotline_nlu::outcome_at(scored, current);
    println!(
        "\nthe flow's faq_threshold {current:.2}: coverage {:.1}%, wrong answers {:.1}%",
        100.0 * now.coverage(),
        100.0 * now.wrong_answer_rate()
    );
    if let Some(best) = recommend(&outcomes) {
        println!(
            "suggested faq_threshold {:.2}: the lowest with {} (coverage {:.1}%)",
            best.threshold,
            if best.wrong_entry + best.off_topic_answered == 0 {
                "no wrong answer on this set".to_string()
            } else {
                format!(
                    "the fewest wrong answers ({:.1}%)",
                    100.0 * best.wrong_answer_rate()
                )
            },
            100.0 * best.coverage()
        );
    }
}
