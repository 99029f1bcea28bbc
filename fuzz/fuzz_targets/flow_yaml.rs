//! Fuzz target: any text as a flow file through the loader and checker, which must answer
//! with diagnostics (file, line, column) and never panic, as `hotline flow check` does.
#![no_main]

use hotline_flow::{check, load_flow};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let _ = check(source, "fuzz.yaml");
    if let Ok(flow) = load_flow(source, "fuzz.yaml") {
        let _ = flow.warnings().len();
    }
});
