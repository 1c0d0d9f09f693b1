//! Runnable examples: `cargo run --example quickstart`, `cargo run --example guide`.
