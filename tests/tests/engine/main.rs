//! The run engine: scheduling and data flow, policies (timeouts, retries, limits,
//! failure policies), resources and `Context`, DSL shapes and the compile-time graph
//! facts, a workflow wider than a word of the wake set, panics and spawned nodes (a
//! spawned fan-out wider than the outcome queue keeps in place: `spawn_wide`).
//!
//! One test binary per area keeps the suite's build short (each binary links tokio and
//! the runtime again); each file is a module, so `cargo test -p workflow-tests --test
//! engine policies::` runs one file.

// `hostile_round4`'s sub-workflows nested 50 deep: rustc's query depth (128 by
// default) overflows evaluating the outermost plan constant (which nests every
// level's; 40 levels fit in 128, 256 is enough for 50). The run's future is no limit:
// a child run's future is boxed behind `dyn` (`executor/child.rs`), so rustc proves
// one level's future `Send` at a time (before that, 7 levels overflowed 128 there, and
// 50 needed 1024).
#![recursion_limit = "256"]

#[path = "../support/block_on.rs"]
mod block_on;
#[path = "../support/busy_then.rs"]
mod busy_then;
mod cancelled_kind;
mod child_waits;
mod combinations;
mod ended_publisher;
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
mod panicky_subscriber;
mod pattern_fan_out;
mod policies;
mod reliability_panics;
mod reliability_spawn;
mod report_order;
mod resource_drop_panics;
mod resources_context;
mod routing;
mod run_limits;
mod shapes;
mod shared_ports;
mod shutdown_cancels;
mod source_loops;
mod spawn_wide;
mod status_at_stop;
mod subworkflows;
mod wide;
mod zero_limits;
