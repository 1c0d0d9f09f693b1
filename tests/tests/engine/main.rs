//! The run engine: scheduling and data flow, policies (timeouts, retries, limits,
//! failure policies), resources and `Context`, DSL shapes and the compile-time graph
//! facts, a workflow wider than a word of the wake set, panics and spawned nodes (a
//! spawned fan-out wider than the outcome queue keeps in place: `spawn_wide`).
//!
//! One test binary per area keeps the suite's build short (each binary links tokio and
//! the runtime again); each file is a module, so `cargo test -p workflow-tests --test
//! engine policies::` runs one file.

// `hostile_round4`'s sub-workflows nested 50 deep: rustc's query depth (128 by
// default) overflows evaluating the outermost plan constant (256 is enough for it),
// and proving the outermost run's future `Send` (each level's future holds the next's:
// 512 was not enough).
#![recursion_limit = "1024"]

#[path = "../support/block_on.rs"]
mod block_on;
#[path = "../support/busy_then.rs"]
mod busy_then;
mod cancelled_kind;
mod child_waits;
mod combinations;
mod executor;
mod fanout;
mod fused;
mod graph_exports;
mod held_back;
mod hostile_input;
mod hostile_round4;
mod huge_limits;
mod jitter;
#[path = "../support/own_process.rs"]
mod own_process;
mod pattern_fan_out;
mod policies;
mod reliability_panics;
mod reliability_spawn;
mod report_order;
mod resources_context;
mod routing;
mod run_limits;
mod shapes;
mod shared_ports;
mod spawn_wide;
mod status_at_stop;
mod subworkflows;
mod wide;
