//! What a run tells: the execution trace and its text snapshots, its exports (Chrome
//! trace JSON, Mermaid Gantt), and the `tracing` integration.
//!
//! Each file is a module: `cargo test -p workflow-tests --test trace trace_exports::`
//! runs one file.

#[path = "../support/own_process.rs"]
mod own_process;
mod trace;
mod trace_capture;
mod trace_exports;
mod trace_silent;
mod trace_tracing;
