//! The `workflow-test` crate: the `Harness`, memory probes and `#[workflow_test]`.
//!
//! Each file is a module: `cargo test -p workflow-tests --test harness workflow_test::`
//! runs one file.

#[path = "../support/busy_then.rs"]
mod busy_then;
mod edge_values;
mod harness;
mod harness_memory;
mod mock_panics;
mod workflow_test;

/// Memory probes need the counting allocator. It attributes counts per test (each test
/// counts in a slot of its own), so the other tests of this binary running in parallel
/// do not disturb them. Spelled as `std::alloc::System` is (the `guide` and `corpus`
/// binaries spell it `CountingAllocator::system()`: both spellings keep compiling).
#[global_allocator]
static ALLOC: ::workflow_test::CountingAllocator = ::workflow_test::CountingAllocator;
