//! The `hotline` binary: command-line entry point.
fn main() {}
