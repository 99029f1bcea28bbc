//! Prometheus text exposition format 0.0.4, kept apart from the HTTP side so the exact text can be
//! tested: `# HELP`, `# TYPE`, then one line per sample with escaped label values.

use std::fmt::Write;

/// The content type of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric family: its samples share the name, help and type.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: String,
    pub help: String,
    pub kind: MetricKind,
    /// Label pairs and value, one per sample.
    pub samples: Vec<(Vec<(String, String)>, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
}

impl Metric {
    pub fn new(name: &str, help: &str, kind: MetricKind) -> Metric {
        Metric {
            name: name.into(),
            help: help.into(),
            kind,
            samples: Vec::new(),
        }
    }

    /// Adds a sample with labels.
    pub fn sample(mut self, labels: &[(&str, &str)], value: f64) -> Metric {
        let labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples.push((labels, value));
        self
    }
}

/// The exposition text of every family, in the order given.
pub fn render(metrics: &[Metric]) -> String {
    let mut out = String::new();
    for m in metrics {
        let kind = match m.kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
        };
        let _ = writeln!(out, "# HELP {} {}", m.name, escape_help(&m.help));
        let _ = writeln!(out, "# TYPE {} {kind}", m.name);
        for (labels, value) in &m.samples {
            out.push_str(&m.name);
            if !labels.is_empty() {
                let pairs: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                    .collect();
                let _ = write!(out, "{{{}}}", pairs.join(","));
            }
            let _ = writeln!(out, " {}", number(*value));
        }
    }
    out
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_with_help_type_and_escaped_labels() {
        let text = render(&[
            Metric::new(
                "hotline_calls_total",
                "Calls recorded.",
                MetricKind::Counter,
            )
            .sample(&[], 42.0),
            Metric::new(
                "hotline_queue_service_level_ratio",
                "Share answered in time.\nPer queue \\ target.",
                MetricKind::Gauge,
            )
            .sample(&[("queue", "sales")], 0.75)
            .sample(&[("queue", "a\"b\\c\nd")], f64::NAN),
            Metric::new("hotline_empty", "Nothing yet.", MetricKind::Gauge),
        ]);
        assert_eq!(
            text,
            "# HELP hotline_calls_total Calls recorded.\n\
             # TYPE hotline_calls_total counter\n\
             hotline_calls_total 42\n\
             # HELP hotline_queue_service_level_ratio Share answered in time.\\nPer queue \\\\ target.\n\
             # TYPE hotline_queue_service_level_ratio gauge\n\
             hotline_queue_service_level_ratio{queue=\"sales\"} 0.75\n\
             hotline_queue_service_level_ratio{queue=\"a\\\"b\\\\c\\nd\"} NaN\n\
             # HELP hotline_empty Nothing yet.\n\
             # TYPE hotline_empty gauge\n"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(-0.25), "-0.25");
    }
}
