//! `hotline mood eval SET.yaml`: scores a labelled set of caller utterances (calm, annoyed,
//! angry) with the anger tracker calls use, each as the first turn of a call and from its words
//! alone, and prints precision and recall of escalation at every threshold and the best one.
//! The numbers behind a flow's `anger_threshold`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use hotline_mood::{
    at_threshold, best_threshold, threshold_table, Judged, Lexicon, MoodConfig, MoodTracker,
    TurnObservation,
};

use crate::config::Config;

/// The default before it was chosen by this measurement, printed for comparison.
const EARLIER_DEFAULT: f32 = 0.8;

pub fn run(set_file: &Path, config: &Config) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(set_file)
        .with_context(|| format!("cannot read the labelled set {}", set_file.display()))?;
    let set: BTreeMap<String, Vec<String>> = serde_saphyr::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a labelled anger set (calm:, annoyed:, angry: lists): {e}",
            set_file.display()
        )
    })?;
    let lexicon_path = config.speech.models_dir.join(hotline_mood::LEXICON_FILE);
    let lexicon = Arc::new(Lexicon::load(&lexicon_path).map_err(|e| {
        anyhow::anyhow!("{e}; `hotline models fetch` installs the sentiment lexicon")
    })?);

    let mut scored = Vec::new();
    let mut lines = Vec::new();
    for (label, utterances) in &set {
        let Some(judged) = Judged::parse(label) else {
            bail!(
                "{}: {label:?} is not a label; use calm, annoyed or angry",
                set_file.display()
            );
        };
        for utterance in utterances {
            let mut tracker = MoodTracker::new(Arc::clone(&lexicon), MoodConfig::default());
            let reading = tracker.observe(TurnObservation {
                text: utterance,
                audio_8k: None,
                failures_in_a_row: 0,
            });
            scored.push((judged, reading.anger));
            lines.push((label.clone(), reading.anger, utterance.clone()));
        }
    }
    if scored.is_empty() {
        bail!("{} holds no utterances", set_file.display());
    }
    lines.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!(
        "{}: {} utterances, scored from their words as a call's first turn\n",
        set_file.display(),
        scored.len()
    );
    for (label, anger, utterance) in &lines {
        println!("  {anger:.2}  {label:<8} {utterance}");
    }
    println!("\nthreshold  recall  precision  F1    (angry / annoyed / calm escalated)");
    let table = threshold_table(&scored);
    for r in &table {
        println!(
            "  {:.2}     {:>5.1}%  {:>6.1}%   {:.2}  ({}/{} / {}/{} / {}/{})",
            r.threshold,
            100.0 * r.recall(),
            100.0 * r.precision(),
            r.f1(),
            r.angry_escalated,
            r.angry,
            r.annoyed_escalated,
            r.annoyed,
            r.calm_escalated,
            r.calm
        );
    }
    let flow_default = hotline_flow::schema::Settings::default().anger_threshold;
    println!();
    for (what, threshold) in [
        ("flows' default", flow_default),
        ("earlier default", EARLIER_DEFAULT),
    ] {
        let r = at_threshold(&scored, threshold);
        println!(
            "the {what} anger_threshold {threshold:.2}: recall {:.1}%, precision {:.1}%",
            100.0 * r.recall(),
            100.0 * r.precision()
        );
    }
    if let Some(best) = best_threshold(&table) {
        println!(
            "best F1 at anger_threshold {:.2}: recall {:.1}%, precision {:.1}%",
            best.threshold,
            100.0 * best.recall(),
            100.0 * best.precision()
        );
    }
    Ok(())
}
