//! Tests over the generated corpus of random graph shapes (`tests/build.rs`): property
//! tests against a reference evaluator, cancellation at every point, stress, and memory
//! over thousands of faulty runs; and routed shapes (a decision and a fan-out each) against
//! their own reference. The corpus (32 + 6 workflows) is compiled once, here.
//!
//! Each file is a module: `cargo test -p workflow-tests --test corpus prop_dag::` runs
//! one file. proptest's regression seeds are in `tests/proptest-regressions/`.

mod prop_dag;
mod prop_routes;
mod reliability_cancel;
mod reliability_memory;
mod reliability_stress;
mod support;

/// `reliability_memory` measures with the counting allocator. Counts are attributed per
/// test (its probe counts its own thread only), so the other tests of this binary
/// running in parallel do not disturb it.
#[global_allocator]
static ALLOC: workflow_test::CountingAllocator = workflow_test::CountingAllocator::system();
