//! Testing async workflows: `#[workflow_test]` with timeout and deadlock watchdogs, and a
//! [`Harness`] that runs workflows, records everything and asserts with helpful output.
//!
//! # A test
//!
//! ```
//! use std::time::Duration;
//! use workflow_core::prelude::*;
//! use workflow_test::{workflow_test, Harness};
//!
//! #[node]
//! async fn task(name: &'static str) -> &'static str {
//!     tokio::time::sleep(Duration::from_secs(1)).await;
//!     name
//! }
//!
//! workflow! {
//!     struct Concurrent {
//!         input a: &'static str,
//!         input b: &'static str,
//!         task1 = task(name: a),
//!         task2 = task(name: b),
//!     }
//! }
//!
//! // `start_paused`: tokio's clock only moves when every task waits, so the two
//! // one-second sleeps take no real time and the timings below are exact.
//! #[workflow_test(timeout = "5s", deadlock = "2s", start_paused = true)]
//! async fn nodes_run_concurrently(h: Harness) {
//!     let start = tokio::time::Instant::now();
//!     let run = h.assert_success(h.execute(Concurrent, ConcurrentInput { a: "x", b: "y" }).await);
//!     assert_eq!(start.elapsed(), Duration::from_secs(1)); // not 2: they overlapped
//!     assert_eq!(run.outputs.task1, "x");
//!     h.assert_overlapped("task1", "task2");
//!     h.assert_executed("task1", 1);
//! }
//! # fn main() { nodes_run_concurrently(); }
//! ```
//!
//! # What a failing test prints
//!
//! Assertions print what ran, what failed and the trace. With this workflow, where
//! `load` fails and `store` therefore never runs,
//!
//! ```text
//! workflow! {
//!     struct Etl {
//!         input url: String,
//!         page = fetch(url),
//!         rows = load(page),
//!         saved = store(rows),
//!     }
//! }
//!
//! #[workflow_test(timeout = "5s", start_paused = true)]
//! async fn etl_stores_the_rows(h: Harness) {
//!     let run = h.assert_success(h.execute(Etl, EtlInput { url: "https://example.com".into() }).await);
//!     assert_eq!(run.outputs.saved, 1);
//! }
//! ```
//!
//! the test fails with:
//!
//! ```text
//! ---- etl_stores_the_rows stdout ----
//!
//! thread 'etl_stores_the_rows' panicked at tests/etl.rs:38:17:
//! expected the run to succeed, but it failed: node `rows` of workflow `Etl` failed after 1 attempt(s): connection refused
//!
//! finished runs: 1 (1 failed)
//! run 1 of `Etl` (150ms) failed: node `rows` of workflow `Etl` failed after 1 attempt(s): connection refused
//!   page             succeeded  attempts=1 time=100ms
//!   rows             failed     attempts=1 time=50ms
//!   saved            skipped
//!   trace:
//!              0ns run started
//!              0ns page: scheduled
//!              0ns page: started (attempt 1)
//!            100ms page: completed after 1 attempt(s)
//!            100ms rows: scheduled
//!            100ms rows: started (attempt 1)
//!            150ms rows: failed after 1 attempt(s): connection refused
//!            150ms saved: skipped
//!            150ms run failed: node `rows` of workflow `Etl` failed after 1 attempt(s): connection refused
//! ```
//!
//! A test whose body hangs (here it blocks its thread with `std::thread::sleep` while a
//! run is in flight, which no in-runtime timeout could interrupt) fails after its
//! `timeout`, listing every run of the test with each node's state and the trace so far:
//!
//! ```text
//! thread 'hangs' panicked at tests/pipeline.rs:98:1:
//! test `pipeline::hangs` timed out after 300ms (the body was still running; its runtime is being shut down in the background)
//!
//! finished runs: 0 (0 failed)
//! runs in flight: 1
//! run 1 of `Pipeline` still running (last event at 0ns)
//!   fetch            succeeded
//!   slow             running
//!   gate             waiting for `go`
//!   sink             not started
//!   trace so far:
//!              0ns run started
//!              0ns fetch: scheduled
//!              0ns fetch: started (attempt 1)
//!              0ns fetch: completed after 1 attempt(s)
//!              0ns slow: scheduled
//!              0ns gate: scheduled
//!              0ns slow: started (attempt 1)
//!              0ns gate: started (attempt 1)
//!              0ns gate: waiting for `go`
//! ```
//!
//! and a stall (`deadlock = "500ms"`) is reported as a deadlock, naming what waits:
//!
//! ```text
//! test `pipeline::stuck` failed: deadlock: no node of any workflow run made progress for 500ms while 1 node(s) were pending
//! run 1 of `Stuck`: `stuck` is running (not in a tracked wait)
//! ```
//!
//! # Parts
//!
//! - [`workflow_test`]: the test attribute (timeout, deadlock, runtime flavor, paused
//!   clock, injected [`Harness`]).
//! - [`Harness`]: [`execute`](Harness::execute) like a [`Runtime`](workflow_core::Runtime),
//!   then assert: [`assert_success`](Harness::assert_success),
//!   [`assert_error`](Harness::assert_error), [`assert_executed`](Harness::assert_executed),
//!   [`assert_before`](Harness::assert_before), [`assert_overlapped`](Harness::assert_overlapped),
//!   [`assert_not_taken`](Harness::assert_not_taken) (a node in an arm of a `match` the
//!   run did not take), [`last_trace`](Harness::last_trace), ...
//! - Mocks: [`Harness::mock`], [`Harness::mock_arc`] (a trait object) and
//!   [`Harness::insert_resource_arc`] swap a resource;
//!   [`MockFn`] and [`CallRecorder`] record calls.
//! - Load: [`Harness::load`] runs N executions at concurrency C and returns a
//!   [`LoadReport`] (throughput, latency percentiles, failures).
//! - Memory: install [`CountingAllocator`](struct@CountingAllocator) in the test binary
//!   (`static ALLOC: CountingAllocator = CountingAllocator;`), then measure a block
//!   with [`MemoryProbe`] or [`measure`], or check repeated runs with
//!   [`Harness::memory_growth`] / [`Harness::assert_no_memory_growth`].
//! - Leaks: [`Harness::assert_no_leaks`] checks that no node task and no resource handle
//!   outlived the runs ([`LeakReport`]).
//! - Runs: [`Harness::last_run`], [`Harness::runs`] ([`RunRecord`]),
//!   [`Harness::live_runs`], [`Harness::report`]. Reports and messages number the runs
//!   of a harness in the order they started (`run 1`, `run 2`:
//!   [`RunRecord::number`]), whatever else ran in the process; the runtime's own,
//!   process-wide id is [`RunRecord::run_id`].
//!
//! With the default `serde` feature, [`RunRecord`], [`LoadReport`], [`LeakReport`],
//! [`MemoryStats`] and [`MemoryGrowth`] are `serde::Serialize` (like workflow-core's
//! traces and reports), for keeping load figures or a failed run's record as JSON.

#![doc(test(attr(deny(warnings))))]
#![deny(unsafe_code)]

#[cfg(feature = "store")]
mod durable;
mod harness;
mod leaks;
mod load;
// The counting global allocator implements `GlobalAlloc`, which is `unsafe` by
// definition; the module explains why its use is sound. No other module may use `unsafe`.
#[allow(unsafe_code)]
mod memory;
mod mock;
mod not_awaited;
mod on_harness;
mod other_names;
mod record;
mod runner;
#[cfg(feature = "store")]
mod through_runtime;

#[cfg(feature = "store")]
pub use durable::assert_restored;
#[doc(hidden)]
pub use harness::MockValue;
pub use harness::{AssertedError, BuildTheHarnessFirst, Harness, HarnessBuilder, RunResult};
pub use leaks::LeakReport;
pub use load::{InputFn, LoadReport};
pub use memory::{
    measure, CountingAllocator, MemoryCheck, MemoryGrowth, MemoryProbe, MemoryStats, RepeatFn,
};
/// What a mock's `assert_called_with` compares a call with; public so that a compile
/// error names it by a short path. Not API.
#[doc(hidden)]
pub use mock::ComparableCall;
pub use mock::{CallRecorder, CloneAnswer, MockFn};
#[doc(hidden)]
pub use not_awaited::{AwaitedFirst, ResultNotAwaited};
#[doc(hidden)]
pub use on_harness::{
    AssertBeforeOnTheHarness, AssertExecutedOnTheHarness, AssertNotExecutedOnTheHarness,
    AssertNotTakenOnTheHarness, AssertOverlappedOnTheHarness, AssertionsGoOnTheHarness,
    ExecutionCountOnTheHarness,
};
#[doc(hidden)]
pub use other_names::{
    AnswerIsReturning, AssertErrorIsTheName, AssertExecutedIsTheName, AssertNotExecutedIsTheName,
    CalledOnceThenWith, ExecuteRunsTheWorkflow, InsertIntoABuiltHarness, InsertResourceIsTheName,
    MockIsTheName, OrderIsAssertBefore, SignalsAreEvents, TraceIsLastTrace,
    TraceIsTheBuildersSetting,
};
pub use record::RunRecord;
pub use runner::TestOutput;
#[cfg(feature = "store")]
#[doc(hidden)]
pub use through_runtime::{
    RecoverThroughTheRuntime, ResumeThroughTheRuntime, StartDurableThroughTheRuntime,
};

/// Runs an `async fn` as a test on its own tokio runtime, watched for timeouts and
/// deadlocks, with an optional injected [`Harness`].
///
/// Use it where you would use `#[tokio::test]`:
///
/// ```
/// use workflow_test::{workflow_test, Harness};
///
/// #[workflow_test]
/// async fn plain() {
///     tokio::task::yield_now().await;
/// }
///
/// #[workflow_test(timeout = "2s", deadlock = "500ms", start_paused = true)]
/// async fn with_harness(h: Harness) -> Result<(), String> {
///     assert_eq!(h.run_count(), 0);
///     Ok(())
/// }
///
/// #[workflow_test(flavor = "multi_thread", workers = 2)]
/// #[should_panic(expected = "boom")]
/// async fn panics_are_kept() {
///     panic!("boom");
/// }
/// # fn main() { plain(); with_harness(); }
/// ```
///
/// # Options
///
/// | option | meaning |
/// |---|---|
/// | `timeout = "2s"` | fail the test when it runs longer (real time; none by default, so without it a hung test hangs as a `#[tokio::test]` would). Enforced from the test's own thread, so it fires even when the body blocks its thread; the failure lists every run of the test's harnesses with each node's state (succeeded, running, waiting for a key, not started, ...) and the trace so far; the runtime is then shut down in the background |
/// | `deadlock = "500ms"` | fail with a deadlock report when no node of any run made progress for that long while nodes are pending (which nodes wait, on what, by path inside fan-out items and sub-workflows: `thumbs[2].img`; none by default). A node of an item or a sub-workflow that finishes is progress too, traced or not. Measured on tokio's clock: under `start_paused` a true deadlock is reported at once, without waiting in real time |
/// | `flavor = "current_thread"` (default) or `"multi_thread"` | the tokio runtime |
/// | `workers = N` (or tokio's name, `worker_threads = N`) | worker threads (`multi_thread` only) |
/// | `start_paused = true` | start tokio's clock paused (`current_thread` only): sleeps take no real time and timings are exact |
/// | `crate = path` | where `workflow_test` is, if you re-export it |
///
/// The fn may return `()` or `Result<T, E>` with `E: Debug` (an `Err` fails the test),
/// and may take one parameter of type [`Harness`], created for the test.
///
/// A panic of the body (a failed assertion) is reported as it is, never replaced by a
/// watchdog's message, and `#[should_panic]` works as usual.
///
/// # How it runs
///
/// The body runs on its own thread (named like the test) with its own tokio runtime;
/// the test's thread watches it. That is what lets `timeout` fire when the body blocks
/// its thread. Harnesses created in the test (the injected one, or `Harness::new()` on
/// any thread of the test's runtime) are visible to the watchdogs.
///
/// `deadlock` counts node *state changes*: a node that legitimately runs longer than
/// the limit without finishing (or emitting a trace event) looks stalled, so set the
/// limit above your slowest node. Under `start_paused`, tokio moves its clock forward
/// whenever every task waits, including while a `spawn_blocking` task or real I/O is in
/// progress, so such waits also count as stalls there.
///
/// # Errors
///
/// Every misuse is a compile error at the offending token: a fn that is not `async`,
/// parameters other than one `Harness`, unknown or duplicate options, bad durations,
/// `workers` without `multi_thread`, `start_paused` with `multi_thread`, a `deadlock`
/// not shorter than the `timeout`, or a second test attribute such as `#[test]`.
#[doc(inline)]
pub use workflow_macros::workflow_test;

/// Everything a workflow test usually needs: `workflow_core::prelude` plus the test
/// attribute, the harness, the mocks and the counting allocator of memory tests, in one
/// import.
///
/// ```
/// use workflow_test::prelude::*;
///
/// #[node]
/// async fn double(x: u32) -> u32 {
///     x * 2
/// }
///
/// workflow! {
///     struct Double {
///         input x: u32,
///         y = double(x),
///     }
/// }
///
/// #[workflow_test]
/// async fn doubles(h: Harness) {
///     let run = h.assert_success(h.execute(Double, DoubleInput { x: 21 }).await);
///     assert_eq!(run.outputs.y, 42);
///     h.assert_executed("y", 1);
/// }
/// # fn main() {}
/// ```
///
/// A memory test installs the counting allocator from the same import:
///
/// ```
/// use workflow_test::prelude::*;
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator;
///
/// #[node]
/// async fn sum(n: usize) -> usize {
///     vec![1; n].iter().sum()
/// }
///
/// workflow! {
///     struct Sum {
///         input n: usize,
///         s = sum(n),
///     }
/// }
///
/// #[workflow_test]
/// async fn no_growth(h: Harness) {
///     h.assert_no_memory_growth(5, 16 * 1024, || h.execute(Sum, SumInput { n: 100_000 })).await;
/// }
/// # fn main() {}
/// ```
pub mod prelude {
    #[cfg(feature = "store")]
    pub use crate::assert_restored;
    /// `run.assert_executed(..)` is an error that says to call it on the harness.
    #[doc(hidden)]
    pub use crate::AssertionsGoOnTheHarness as _;
    /// The type and the constant of the same name, so that
    /// `static ALLOC: CountingAllocator = CountingAllocator;` needs no other import
    /// (rustc does not suggest one: its value is a constant).
    pub use crate::CountingAllocator;
    /// `h.memory_growth(..).total_bytes()` or `h.load(..).p99()` without `.await` is an
    /// error that says to add it.
    #[doc(hidden)]
    pub use crate::ResultNotAwaited as _;
    pub use crate::{workflow_test, CallRecorder, Harness, MockFn};
    pub use workflow_core::prelude::*;
}

/// Items named by `#[workflow_test]`'s expansion. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::harness::Harness;
    pub use crate::runner::{run, Config, Flavor, TestOutput};
}
