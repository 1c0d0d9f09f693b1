//! Benchmarks: `cargo bench -p workflow-benches`.

#![forbid(unsafe_code)]
