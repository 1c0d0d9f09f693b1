//! Benchmarks: `cargo bench -p workflow-benches`.
