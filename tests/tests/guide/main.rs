//! The guide's chapters, in Rust: basics, error handling, complex patterns, debugging,
//! performance and best practices.
//!
//! Each chapter is a module: `cargo test -p workflow-tests --test guide
//! guide_debugging::` runs one.

mod guide_basics;
mod guide_best_practices;
mod guide_complex_patterns;
mod guide_debugging;
mod guide_error_handling;
mod guide_performance;

/// The counting allocator of `workflow-test` (the guide's `tracemalloc`), for the memory
/// tests of `guide_performance`. Counts are attributed per test, so the other tests of
/// this binary running in parallel do not disturb them.
#[global_allocator]
static ALLOC: workflow_test::CountingAllocator = workflow_test::CountingAllocator::system();
