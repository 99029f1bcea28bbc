//! Runs every scripted conversation in `flows/tests/` against the flow it names, and checks
//! that every example flow in `flows/` loads without errors or warnings.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hotline_flow::{load_flow, Flow, KeywordMatcher, Script};

fn flows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../flows")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> Result<Flow, String> {
    let source = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    load_flow(&source, &path.display().to_string()).map_err(|diagnostics| {
        diagnostics
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[test]
fn example_flows_load_cleanly() {
    let flows = yaml_files(&flows_dir());
    assert!(
        !flows.is_empty(),
        "no example flows in {}",
        flows_dir().display()
    );
    let mut problems = Vec::new();
    for path in flows {
        match load(&path) {
            Ok(flow) => problems.extend(flow.warnings().iter().map(|w| w.to_string())),
            Err(e) => problems.push(e),
        }
    }
    assert!(
        problems.is_empty(),
        "example flows have problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_flow_script_passes() {
    let dir = flows_dir().join("tests");
    let scripts = yaml_files(&dir);
    assert!(!scripts.is_empty(), "no scripts in {}", dir.display());
    let mut failures = Vec::new();
    let mut steps = 0;
    for path in &scripts {
        let name = path.display().to_string();
        let source = fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let script = match Script::parse(&source, &name) {
            Ok(script) => script,
            Err(e) => {
                failures.push(format!("{e}: {e:?}"));
                continue;
            }
        };
        let flow = match load(&dir.join(script.flow_path())) {
            Ok(flow) => Arc::new(flow),
            Err(e) => {
                failures.push(format!("{name}: flow does not load:\n{e}"));
                continue;
            }
        };
        let matcher = Arc::new(KeywordMatcher::new(&flow));
        let report = script.run(flow, matcher);
        steps += report.steps;
        failures.extend(report.failures.iter().map(|f| f.to_string()));
    }
    assert!(
        failures.is_empty(),
        "{} failing expectations:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(steps > 0, "scripts ran no steps");
}
