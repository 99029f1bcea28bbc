//! Fetches every model asset into a checkout, as `hotline models fetch` does.
//!
//! Usage: `cargo run -p hotline-models --example fetch -- [checkout-root]` (default: the
//! workspace root). Wheels are cached in `hotline_models::default_cache_dir()`.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let opts = hotline_models::FetchOptions::new(root);
    println!("cache: {}", opts.cache_dir.display());
    let started = Instant::now();
    let mut print = |line: &str| println!("{line}");
    match hotline_models::fetch(&opts, &mut print) {
        Ok(report) => {
            for a in &report.assets {
                println!(
                    "{:<24} {:?} in {:.1} s",
                    a.id,
                    a.action,
                    a.elapsed.as_secs_f64()
                );
            }
            println!("total {:.1} s", started.elapsed().as_secs_f64());
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
