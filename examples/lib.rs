//! Runnable examples: `cargo run --example quickstart`, `cargo run --example guide`,
//! `cargo run --example trace` (trace of a run as Chrome JSON and a Mermaid Gantt
//! chart), `cargo run --example tracing` (the `tracing` spans and events, printed by
//! `tracing-subscriber`).

#![forbid(unsafe_code)]
