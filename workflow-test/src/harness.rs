//! [`Harness`]: runs workflows like a [`Runtime`] does and records everything, so a test
//! can assert on outcomes, node counts, ordering, traces, mocks, load, memory and leaks.

use std::any::TypeId;
use std::collections::{HashMap, VecDeque};
use std::fmt::{self, Write as _};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use workflow_core::{
    DeadlockReport, ExecutionTrace, NodeName, NodeReport, NodeStatus, Res, Run, RunFuture,
    RunHandle, RunOptions, RunSnapshot, Runnable, Runtime, RuntimeBuilder, Workflow, WorkflowError,
};

use workflow_core::__private::Plan;

use crate::record::RunRecord;

mod names;

use names::{did_you_mean, qualified, without_item_indices};

/// Records kept in full; older ones are dropped (their node counts stay).
const MAX_RECORDS: usize = 1_000;

/// Runs workflows and records what happened, for assertions with helpful failure output.
///
/// A `Harness` wraps a [`Runtime`] whose runs it watches: every run executed through
/// [`Harness::execute`] is recorded (report, trace, error), node executions are counted
/// across runs, and live runs are visible to the `#[workflow_test]` watchdogs, which
/// print them when a test times out or deadlocks. Tracing is on by default.
///
/// `Harness` is cheap to clone; clones share the runtime and the records.
///
/// # Examples
///
/// The guide's error-propagation test: the failing node ran once, its dependant never.
///
/// ```
/// use std::time::Duration;
/// use workflow_core::prelude::*;
/// use workflow_test::{workflow_test, Harness};
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("Simulated async error")]
/// struct Simulated;
///
/// #[node]
/// async fn failing_task() -> Result<u32, Simulated> {
///     tokio::time::sleep(Duration::from_millis(100)).await;
///     Err(Simulated)
/// }
///
/// #[node]
/// async fn recovery_task(input: u32) -> u32 {
///     input
/// }
///
/// workflow! {
///     struct ErrorTest {
///         failing = failing_task(),
///         recovery = recovery_task(input: failing),
///     }
/// }
///
/// #[workflow_test(timeout = "5s", start_paused = true)]
/// async fn async_error_propagates(h: Harness) {
///     let result = h.execute(ErrorTest, ErrorTestInput {}).await;
///     let err: Simulated = h.assert_error(result);
///     assert_eq!(err.to_string(), "Simulated async error");
///     assert_eq!(h.execution_count("failing"), 1);
///     assert_eq!(h.execution_count("recovery"), 0);
/// }
/// # fn main() { async_error_propagates(); }
/// ```
#[derive(Clone)]
pub struct Harness {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) runtime: Runtime,
    trace: AtomicBool,
    /// Whether runs are kept in full (off while measuring memory, so that the harness's
    /// own records do not count as growth).
    pub(crate) keep_records: AtomicBool,
    pub(crate) state: Mutex<State>,
    /// Runs seen starting (filled by the runtime monitor), with their numbers.
    pub(crate) live: Arc<Mutex<Vec<LiveRun>>>,
    /// The number of the next run started on the harness's runtime (from 1).
    next_number: Arc<AtomicU64>,
    pub(crate) resources: Mutex<HashMap<TypeId, TrackedResource>>,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) records: VecDeque<RunRecord>,
    pub(crate) last: Option<RunRecord>,
    pub(crate) dropped_records: u64,
    /// Calls of each node (attempts) by binding name or path; every binding seen has an
    /// entry. A node of a fan-out's item (`thumbs[3].img`) also counts under its path
    /// without item indices (`thumbs.img`), which so counts every item.
    pub(crate) counts: HashMap<NodeName, u64>,
    /// Calls by `#[node]` fn name.
    pub(crate) fn_counts: HashMap<&'static str, u64>,
    /// Calls by workflow and binding name or path, `Etl::rows` (the run's workflow, not
    /// a sub-workflow's), with item indices and without, as in `counts`.
    pub(crate) qualified: HashMap<String, u64>,
    /// Runs that called each node at least once, under the keys of `counts`,
    /// `fn_counts` and `qualified` (one map: their keys do not meet, a `::` in the
    /// qualified ones; a fn name is looked up only when no binding has it).
    pub(crate) runs_calling: HashMap<String, u64>,
    pub(crate) runs: u64,
    pub(crate) failures: u64,
    /// The plans of the workflows run through the harness, each once: a binding or fn
    /// declared in one is no misspelling, though it never ran (a fan-out body's node over
    /// an empty list, a skipped sub-workflow's node).
    pub(crate) plans: Vec<&'static Plan>,
}

/// A run started on the harness's runtime: its number in the harness and its handle.
#[derive(Clone)]
pub(crate) struct LiveRun {
    pub(crate) number: u64,
    pub(crate) handle: RunHandle,
}

tokio::task_local! {
    /// Where the monitor puts the number of the run that [`Harness::execute`] is
    /// starting (the runtime calls the monitor from the run's own first poll), so its
    /// record carries the same number as its live snapshot.
    static STARTING: Arc<AtomicU64>;
}

/// A registered resource, watched for handles that outlive runs.
pub(crate) struct TrackedResource {
    pub(crate) type_name: &'static str,
    /// Handles held by the runtime and by the test (the one `mock` returned).
    pub(crate) expected: usize,
    /// Handles alive now, not counting the one taken to count.
    pub(crate) count: CountFn,
}

impl Inner {
    /// Pictures of the runs in flight now, each with its number in the harness (also in
    /// the snapshot, whose `{}` then says it as the harness does).
    pub(crate) fn numbered_snapshots(&self) -> Vec<(u64, RunSnapshot)> {
        let live = lock(&self.live).clone();
        live.iter()
            .filter_map(|r| {
                let mut snapshot = r.handle.snapshot()?;
                snapshot.harness_number = Some(r.number);
                Some((r.number, snapshot))
            })
            .collect()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl fmt::Debug for Harness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.inner.state);
        f.debug_struct("Harness")
            .field("runs", &state.runs)
            .field("failures", &state.failures)
            .field("trace", &self.trace_enabled())
            .finish_non_exhaustive()
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds a [`Harness`] around a configured runtime.
///
/// # Examples
///
/// ```
/// use workflow_test::Harness;
///
/// struct Db(&'static str);
/// let h = Harness::builder()
///     .resource(Db("test"))
///     .max_concurrent_nodes(8)
///     .trace(true)
///     .build();
/// assert_eq!(h.resource::<Db>().unwrap().0, "test");
/// ```
///
/// A durable workflow run by [`Harness::execute`] runs like any other, without a store.
/// To test resuming, give the harness a store ([`HarnessBuilder::store`], feature
/// `store`) and start the run on [`Harness::runtime`] (`start_durable`, `resume`,
/// `recover`); check the resumed run with `workflow_test::assert_restored`.
#[derive(Default)]
pub struct HarnessBuilder {
    runtime: RuntimeBuilder,
    trace: Option<bool>,
    resources: Vec<(TypeId, &'static str, CountFn)>,
}

impl fmt::Debug for HarnessBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.resources.iter().map(|r| r.1).collect();
        f.debug_struct("HarnessBuilder")
            .field("runtime", &self.runtime)
            .field("trace", &self.trace)
            .field("resources", &names)
            .finish()
    }
}

type CountFn = Box<dyn Fn(&Runtime) -> Option<usize> + Send + Sync>;

fn counter<T: ?Sized + Send + Sync + 'static>() -> CountFn {
    Box::new(|rt: &Runtime| {
        rt.resource::<T>()
            .map(|r| Arc::strong_count(Res::arc(&r)) - 1)
    })
}

/// A [`HarnessBuilder`] used where its [`Harness`] was meant: `.build()` was left out
/// (`let h = Harness::builder().resource(db);` then `h.execute(..)`). Implemented for
/// nothing, and sealed: the builder's hidden `execute`, `execute_with`, `assert_success`
/// and `runtime` require it, so that leaving out `.build()` is an error saying to add it,
/// rather than rustc's "no method named `execute` found for struct `HarnessBuilder`".
#[diagnostic::on_unimplemented(
    message = "a `HarnessBuilder` is not a `Harness`: finish it with `.build()`",
    label = "a method of `Harness` called on its `HarnessBuilder`",
    note = "write `let h = Harness::builder().resource(..).build();`, then `h.execute(..)`"
)]
pub trait BuildTheHarnessFirst<T>: sealed::NotImplemented<T> {}

/// Leaving out `.build()`: see [`BuildTheHarnessFirst`].
impl HarnessBuilder {
    #[doc(hidden)]
    pub fn execute<W, I, O>(&self, workflow: W, input: I) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
        Self: BuildTheHarnessFirst<W>,
    {
        let _ = (workflow, input);
        unreachable!("`HarnessBuilder: BuildTheHarnessFirst` has no impl")
    }

    #[doc(hidden)]
    pub fn execute_with<W, I, O>(&self, workflow: W, input: I, options: RunOptions) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
        Self: BuildTheHarnessFirst<W>,
    {
        let _ = (workflow, input, options);
        unreachable!("`HarnessBuilder: BuildTheHarnessFirst` has no impl")
    }

    #[doc(hidden)]
    pub fn assert_success<R: RunResult>(&self, result: R) -> Run<R::Outputs>
    where
        Self: BuildTheHarnessFirst<R>,
    {
        let _ = result;
        unreachable!("`HarnessBuilder: BuildTheHarnessFirst` has no impl")
    }

    /// `h.runtime()` (for `start_durable`, `resume`, ..) on the builder. Generic only so
    /// that the bound is checked where it is called.
    #[doc(hidden)]
    pub fn runtime<T>(&self) -> &Runtime
    where
        Self: BuildTheHarnessFirst<T>,
    {
        unreachable!("`HarnessBuilder: BuildTheHarnessFirst` has no impl")
    }
}

impl HarnessBuilder {
    /// Registers a resource (see [`RuntimeBuilder::resource`]).
    pub fn resource<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.runtime = self.runtime.resource(value);
        self.track::<T>();
        self
    }

    /// Registers a shared, possibly unsized resource such as an `Arc<dyn Trait>` (see
    /// [`RuntimeBuilder::resource_arc`]); nodes take it as `Res<dyn Trait>`.
    pub fn resource_arc<T: ?Sized + Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.runtime = self.runtime.resource_arc(value);
        self.track::<T>();
        self
    }

    /// Registers a resource with an async cleanup hook, run once by
    /// [`Harness::shutdown`] (in reverse registration order, after the runs in flight).
    ///
    /// The hook receives the resource as an `Arc<T>` (the handle the runtime kept), not
    /// a `T`.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use workflow_test::Harness;
    ///
    /// struct Db(&'static str);
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let closed = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&closed);
    /// let h = Harness::builder()
    ///     .resource_with_cleanup(Db("orders"), move |db: Arc<Db>| async move {
    ///         log.lock().unwrap().push(db.0);
    ///     })
    ///     .build();
    /// h.shutdown().await;
    /// assert_eq!(*closed.lock().unwrap(), ["orders"]);
    /// # });
    /// ```
    pub fn resource_with_cleanup<T, F, Fut>(mut self, value: T, cleanup: F) -> Self
    where
        T: Send + Sync + 'static,
        F: FnOnce(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: workflow_core::CleanupHookFuture,
    {
        self.runtime = self.runtime.resource_with_cleanup(value, cleanup);
        self.track::<T>();
        self
    }

    fn track<T: ?Sized + Send + Sync + 'static>(&mut self) {
        let id = TypeId::of::<T>();
        self.resources.retain(|r| r.0 != id);
        self.resources
            .push((id, std::any::type_name::<T>(), counter::<T>()));
    }

    /// Limits nodes in flight across all runs (see
    /// [`RuntimeBuilder::max_concurrent_nodes`]).
    pub fn max_concurrent_nodes(mut self, n: usize) -> Self {
        self.runtime = self.runtime.max_concurrent_nodes(n);
        self
    }

    /// Fixes the seed of the runtime's retry jitter (see
    /// [`RuntimeBuilder::jitter_seed`]; random per harness otherwise).
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::Harness;
    ///
    /// let h = Harness::builder().jitter_seed(7).build();
    /// # drop(h);
    /// ```
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.runtime = self.runtime.jitter_seed(seed);
        self
    }

    /// Records an execution trace of every run (on by default).
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = Some(on);
        self
    }

    /// Records durable runs in `store` (see
    /// [`RuntimeBuilder::store`](workflow_core::RuntimeBuilder::store)), so that
    /// `h.runtime().start_durable(..)`, `resume` and `recover` work with the harness's
    /// resources, are traced like its other runs and are watched by the test's
    /// watchdogs. Under a paused clock, use
    /// [`MemoryStore`](workflow_core::store::MemoryStore) (a SQLite write waits on the
    /// store's own thread, which a paused clock does not wait for).
    ///
    /// The harness records the durable runs that end (succeeded or failed) as it records
    /// [`Harness::execute`]'s: [`Harness::runs`], [`Harness::last_trace`],
    /// [`Harness::execution_count`] (a restored node counts no call) and the
    /// assertions on them. A run whose future was dropped (cut, as below) is recorded
    /// as for `execute`: as a failure, with what it ran and what it was running; a start
    /// that only read an earlier run's outputs ran nothing. Check what a resumed run
    /// restored with
    /// [`assert_restored`](crate::assert_restored).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tokio::sync::Semaphore;
    /// use workflow_core::store::MemoryStore;
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn fetch(id: u32) -> String { format!("row {id}") }
    ///
    /// #[node]
    /// async fn save(row: String, gate: Res<Semaphore>) -> usize {
    ///     let _open = gate.acquire().await.unwrap();
    ///     row.len()
    /// }
    ///
    /// workflow! {
    ///     #[workflow(durable)]
    ///     struct Mirror {
    ///         input id: u32,
    ///         row = fetch(id),
    ///         saved = save(row),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s", start_paused = true)]
    /// async fn resumes_after_a_crash() {
    ///     let h = Harness::builder()
    ///         .store(MemoryStore::new())
    ///         .resource(Semaphore::new(0)) // closed: `saved` waits
    ///         .build();
    ///     let rt = h.runtime();
    ///     let cut = tokio::time::timeout(
    ///         Duration::from_millis(50),
    ///         rt.start_durable(Mirror, MirrorInput { id: 7 }, Some("sync-7")),
    ///     );
    ///     assert!(cut.await.is_err()); // dropped mid-run, as if the process died
    ///
    ///     h.resource::<Semaphore>().unwrap().add_permits(1);
    ///     let run = rt.start_durable(Mirror, MirrorInput { id: 7 }, Some("sync-7")).await.unwrap();
    ///     assert_eq!(run.outputs.saved, 5);
    ///     assert_restored(&run, &["row"]);
    ///     assert_eq!(run.trace.unwrap().attempts("saved"), 1);
    ///     // Recorded: the cut run (it ran `row` and was running `saved`) and the
    ///     // resumed one, which restored `row` and ran `saved` again.
    ///     assert_eq!(h.run_count(), 2);
    ///     assert_eq!(h.failure_count(), 1);
    ///     h.assert_executed("row", 1);
    ///     h.assert_executed("saved", 2);
    /// }
    /// # fn main() { resumes_after_a_crash(); }
    /// ```
    #[cfg(feature = "store")]
    pub fn store(mut self, store: impl workflow_core::store::Store + 'static) -> Self {
        self.runtime = self.runtime.store(store);
        self
    }

    /// Records durable runs in a store shared with other code (see
    /// [`HarnessBuilder::store`]).
    #[cfg(feature = "store")]
    pub fn store_arc(mut self, store: Arc<dyn workflow_core::store::Store>) -> Self {
        self.runtime = self.runtime.store_arc(store);
        self
    }

    /// Who holds the leases of the harness's durable runs (see
    /// [`RuntimeBuilder::owner`](workflow_core::RuntimeBuilder::owner)): two harnesses
    /// with different owners on one store act as two processes.
    #[cfg(feature = "store")]
    pub fn owner(mut self, owner: workflow_core::store::OwnerId) -> Self {
        self.runtime = self.runtime.owner(owner);
        self
    }

    /// How long a durable run's lease lasts unless renewed (see
    /// [`RuntimeBuilder::lease`](workflow_core::RuntimeBuilder::lease)).
    #[cfg(feature = "store")]
    pub fn lease(mut self, lease: std::time::Duration) -> Self {
        self.runtime = self.runtime.lease(lease);
        self
    }

    /// Builds the harness. Inside a `#[workflow_test]`, it is watched by the test's
    /// watchdogs.
    pub fn build(self) -> Harness {
        let live: Arc<Mutex<Vec<LiveRun>>> = Arc::default();
        let next_number = Arc::new(AtomicU64::new(1));
        let (seen, numbers) = (Arc::clone(&live), Arc::clone(&next_number));
        let trace = self.trace.unwrap_or(true);
        // The harness, once built: durable runs are recorded when they end, and runs
        // dropped before they ended (cut by a `timeout`, durable or not) then.
        let built: Arc<std::sync::OnceLock<std::sync::Weak<Inner>>> = Arc::default();
        let harness_of = {
            let built = Arc::clone(&built);
            move || {
                built
                    .get()
                    .and_then(std::sync::Weak::upgrade)
                    .map(|inner| Harness { inner })
            }
        };
        #[cfg(feature = "store")]
        let runtime = {
            let harness_of = harness_of.clone();
            self.runtime.on_durable_run_end(move |end| {
                if let Some(h) = harness_of() {
                    h.record_durable(end);
                }
            })
        };
        #[cfg(not(feature = "store"))]
        let runtime = self.runtime;
        let runtime = runtime
            .on_run_dropped(move |dropped| {
                if let Some(h) = harness_of() {
                    h.record_dropped(dropped);
                }
            })
            // Runs started on the runtime itself (durable ones) are traced as the
            // harness's are; `Harness::execute` sets it per run, following `set_trace`.
            .trace(trace)
            .monitor(move |handle| {
                let number = numbers.fetch_add(1, Ordering::Relaxed);
                // Only the outermost run of the task: a run started from inside a node
                // keeps its own number apart.
                let _ = STARTING.try_with(|slot| {
                    slot.compare_exchange(0, number, Ordering::Relaxed, Ordering::Relaxed)
                });
                let mut live = lock(&seen);
                // Forget runs that are over and whose state is gone.
                live.retain(|r| !r.handle.is_finished());
                live.push(LiveRun { number, handle });
            })
            .build();
        let resources = self
            .resources
            .into_iter()
            .map(|(id, type_name, count)| {
                let expected = count(&runtime).unwrap_or(1);
                (
                    id,
                    TrackedResource {
                        type_name,
                        expected,
                        count,
                    },
                )
            })
            .collect();
        let harness = Harness {
            inner: Arc::new(Inner {
                runtime,
                trace: AtomicBool::new(trace),
                keep_records: AtomicBool::new(true),
                state: Mutex::default(),
                live,
                next_number,
                resources: Mutex::new(resources),
            }),
        };
        let _ = built.set(Arc::downgrade(&harness.inner));
        crate::runner::register(&harness);
        harness
    }
}

impl Harness {
    /// A harness with a fresh runtime, no resources and tracing on.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts building a harness (resources, limits, tracing).
    pub fn builder() -> HarnessBuilder {
        HarnessBuilder::default()
    }

    /// The runtime the harness runs workflows on.
    ///
    /// Runs that `h.runtime().execute(..)` completes are not recorded (no counts,
    /// reports or traces for the assertions; durable runs started on it are, see the
    /// crate docs). To run from spawned tasks, spawn [`Harness::execute`]'s future
    /// itself: it is `Send + 'static` (`set.spawn(h.execute(W, input))`).
    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    // ---- running -------------------------------------------------------------------

    /// Runs `workflow` with `input`, exactly as [`Runtime::execute`] does, and records
    /// the run (report, trace, error) whether it succeeds or fails.
    ///
    /// The future owns what it needs (`Send + 'static`), so it can be spawned, joined
    /// with other work (`tokio::join!(h.execute(..), send_events())`) or dropped to
    /// cancel the run. Counts and records are updated when it completes; a run whose
    /// future is dropped before it ends (cut by `tokio::time::timeout`, a `select!`) is
    /// recorded then, with what it did until that moment: its nodes in flight are
    /// `Cancelled` in the record, they count as executed, and the run counts as failed
    /// (its record's [`error`](RunRecord::error) says it was dropped).
    ///
    /// # Errors
    ///
    /// The run's [`WorkflowError`], as the runtime returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    /// use workflow_test::Harness;
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
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// let background = tokio::spawn(h.execute(Double, DoubleInput { x: 1 }));
    /// let run = h.execute(Double, DoubleInput { x: 21 }).await.unwrap();
    /// assert_eq!(run.outputs.y, 42);
    /// assert_eq!(background.await.unwrap().unwrap().outputs.y, 2);
    /// assert_eq!(h.execution_count("y"), 2);
    /// # });
    /// ```
    #[doc(alias = "execute_workflow")]
    pub fn execute<W, I, O>(&self, workflow: W, input: I) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
    {
        self.execute_with(workflow, input, RunOptions::new())
    }

    /// Runs `workflow` with per-run options (timeout, concurrency, cancellation, ..) and
    /// records the run, like [`Harness::execute`]. Whether the run is traced follows
    /// the harness ([`Harness::set_trace`]).
    ///
    /// # Errors
    ///
    /// The run's [`WorkflowError`], as the runtime returns it.
    pub fn execute_with<W, I, O>(&self, workflow: W, input: I, options: RunOptions) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
    {
        let keep = self.inner.keep_records.load(Ordering::Relaxed);
        let (workflow, input) = workflow.into_parts(input);
        RunFuture::new(self.run_recorded(workflow, input, options, keep))
    }

    /// Pictures of the runs in flight now: each node's state (succeeded, running,
    /// waiting for a key, not started, ...) and the trace so far. Each carries the run's
    /// number in the harness ([`RunSnapshot::harness_number`]), and its `{}` names the run
    /// as the harness's messages do, beside the runtime's id: ``run 1 (id 1025) of `Etl`
    /// after 10ms:``.
    pub fn live_runs(&self) -> Vec<RunSnapshot> {
        self.inner
            .numbered_snapshots()
            .into_iter()
            .map(|(_, s)| s)
            .collect()
    }

    pub(crate) fn run_recorded<W: Workflow>(
        &self,
        workflow: W,
        input: W::Input,
        options: RunOptions,
        keep: bool,
    ) -> impl Future<Output = Result<Run<W::Output>, WorkflowError>> + Send + 'static {
        let options = options.trace(self.trace_enabled());
        self.note_plan(W::PLAN);
        let run = self.inner.runtime.execute_report(workflow, input, options);
        let this = self.clone();
        async move {
            let number = Arc::new(AtomicU64::new(0));
            let outcome = STARTING.scope(Arc::clone(&number), run).await;
            // 0: the run never started (a missing resource, a shut-down runtime), so
            // the monitor did not number it.
            let number = match number.load(Ordering::Relaxed) {
                0 => this.inner.next_number.fetch_add(1, Ordering::Relaxed),
                n => n,
            };
            // Its report names it as the harness's messages do (`run 1 (id 1025)`).
            let mut outcome = outcome;
            outcome.report.set_harness_number(number);
            let record = RunRecord {
                number,
                report: outcome.report.clone(),
                trace: outcome.trace.clone(),
                // `{:#}`: with the node's own error, which `{}` leaves to `source()`.
                error: outcome.result.as_ref().err().map(|e| format!("{e:#}")),
            };
            this.record(record, keep);
            outcome.into_run()
        }
    }

    /// Records a run of the harness's runtime whose future was dropped before it ended,
    /// from its report so far: nodes in flight become `Cancelled`, and the run counts as
    /// failed.
    fn record_dropped(&self, dropped: &workflow_core::DroppedRun<'_>) {
        let mut report = dropped.report.clone();
        let number = self.live_number(report.run_id);
        let mut nodes: Vec<NodeReport> = std::mem::take(&mut report.nodes).into();
        let mut running = Vec::new();
        for n in &mut nodes {
            if n.status == NodeStatus::Running {
                n.status = NodeStatus::Cancelled;
                running.push(format!("`{}`", n.name));
            }
        }
        report.nodes = nodes.into();
        report.set_harness_number(number);
        let error = if running.is_empty() {
            format!(
                "the run's future was dropped after {:?}, before it ended (no node was running)",
                report.duration
            )
        } else {
            format!(
                "the run's future was dropped after {:?}, before it ended, with {} running",
                report.duration,
                running.join(", ")
            )
        };
        self.record(
            RunRecord {
                number,
                report,
                trace: dropped.trace.cloned(),
                error: Some(error),
            },
            self.inner.keep_records.load(Ordering::Relaxed),
        );
    }

    /// The harness's number of run `run_id` (as its live snapshot was numbered), or a
    /// new one.
    fn live_number(&self, run_id: u64) -> u64 {
        lock(&self.inner.live)
            .iter()
            .find(|r| r.handle.run_id() == run_id)
            .map(|r| r.number)
            .unwrap_or_else(|| self.inner.next_number.fetch_add(1, Ordering::Relaxed))
    }

    /// Records a durable run of the harness's runtime that ended (started with
    /// `h.runtime().start_durable(..)`, `resume` or `recover`), as `execute` records its
    /// runs: numbered as its live snapshot was.
    #[cfg(feature = "store")]
    fn record_durable(&self, end: &workflow_core::DurableRunEnd<'_>) {
        let number = self.live_number(end.report.run_id);
        // Its workflow's node names are known, as for `execute` (`run_recorded`).
        self.note_plan(end.plan());
        let mut report = end.report.clone();
        report.set_harness_number(number);
        let record = RunRecord {
            number,
            report,
            trace: end.trace.cloned(),
            error: end.error.map(|e| format!("{e:#}")),
        };
        self.record(record, self.inner.keep_records.load(Ordering::Relaxed));
    }

    /// Keeps `plan`, once, among the plans of the workflows run through the harness.
    fn note_plan(&self, plan: &'static Plan) {
        let mut state = lock(&self.inner.state);
        if !state.plans.iter().any(|p| std::ptr::eq(*p, plan)) {
            state.plans.push(plan);
        }
    }

    fn record(&self, record: RunRecord, keep: bool) {
        let mut state = lock(&self.inner.state);
        state.runs += 1;
        if record.error.is_some() {
            state.failures += 1;
        }
        let workflow = record.report.workflow;
        // The keys this run called, each counted once (items of a fan-out, and bindings
        // of one fn, share one).
        let mut called: std::collections::HashSet<String> = std::collections::HashSet::new();
        // A merge's node (one per arm, one name) also counts under its arm's name as the
        // report prints it, `r (work #2)`: the name a test reads there finds the arm.
        let labels = if record.report.merges().is_empty() {
            Vec::new()
        } else {
            record.report.labels()
        };
        for (i, n) in record.report.nodes.iter().enumerate() {
            let attempts = u64::from(n.attempts);
            if attempts > 0 {
                called.insert(format!("fn {}", n.node_fn));
            }
            *state.fn_counts.entry(n.node_fn).or_default() += attempts;
            let label = labels.get(i).filter(|l| **l != *n.name);
            for name in std::iter::once(&*n.name).chain(label.map(String::as_str)) {
                let all_items = without_item_indices(name);
                for name in std::iter::once(name).chain(all_items.as_deref()) {
                    if attempts > 0 {
                        called.insert(name.to_owned());
                        called.insert(format!("{workflow}::{name}"));
                    }
                    match state.counts.get_mut(name) {
                        Some(count) => *count += attempts,
                        None => {
                            state.counts.insert(name.to_owned().into(), attempts);
                        }
                    }
                    *state
                        .qualified
                        .entry(format!("{workflow}::{name}"))
                        .or_default() += attempts;
                }
            }
        }
        for key in called {
            *state.runs_calling.entry(key).or_default() += 1;
        }
        if keep {
            // Its trace's Gantt title and Chrome process name say the number too.
            workflow_core::__private::note_harness_number(record.run_id(), record.number);
            if state.records.len() >= MAX_RECORDS {
                state.records.pop_front();
                state.dropped_records += 1;
            }
            state.records.push_back(record.clone());
        }
        state.last = Some(record);
    }

    /// Shuts the runtime down: waits for runs in flight, then runs resource cleanups
    /// (see [`Runtime::shutdown`]).
    pub async fn shutdown(&self) -> workflow_core::ShutdownReport {
        self.inner.runtime.shutdown().await
    }

    // ---- traces --------------------------------------------------------------------

    /// Whether the following runs record an [`ExecutionTrace`]: on by default (see
    /// [`HarnessBuilder::trace`]); off makes load tests faster. Named like
    /// [`RunOptions::trace`] and [`RuntimeBuilder::trace`]; the `tracing` crate's spans
    /// are emitted either way.
    #[doc(alias = "enable_tracing", alias = "trace")]
    pub fn set_trace(&self, on: bool) {
        self.inner.trace.store(on, Ordering::Relaxed);
    }

    /// Whether the following runs record an [`ExecutionTrace`].
    pub fn trace_enabled(&self) -> bool {
        self.inner.trace.load(Ordering::Relaxed)
    }

    /// Records an [`ExecutionTrace`] for the following runs: `set_trace(true)`, under the
    /// name the testing guide uses (`self.enable_tracing()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    /// use workflow_test::Harness;
    ///
    /// #[node]
    /// async fn step() -> u8 {
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct One {
    ///         s = step(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let h = Harness::builder().trace(false).build();
    /// h.enable_tracing();
    /// h.execute(One, OneInput {}).await.unwrap();
    /// let trace = h.last_trace().expect("traced");
    /// assert!(trace.started_at("s").is_some());
    /// # });
    /// ```
    pub fn enable_tracing(&self) {
        self.set_trace(true);
    }

    /// Stops recording traces for the following runs: `set_trace(false)`, under the
    /// guide's name.
    pub fn disable_tracing(&self) {
        self.set_trace(false);
    }

    /// Whether runs are traced.
    #[deprecated(note = "use `trace_enabled()`")]
    pub fn tracing(&self) -> bool {
        self.trace_enabled()
    }

    /// The trace of the last finished run (`None` if no run finished or it was not
    /// traced).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    /// use workflow_test::Harness;
    ///
    /// #[node]
    /// async fn step() -> u8 {
    ///     tokio::time::sleep(Duration::from_millis(30)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Steps {
    ///         a = step(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let h = Harness::new(); // traces every run unless `h.set_trace(false)`
    /// h.execute(Steps, StepsInput {}).await.unwrap();
    /// let trace = h.last_trace().unwrap();
    /// assert_eq!(trace.len(), 5); // run started, scheduled, started, completed, run completed
    /// for event in &trace {
    ///     println!("{:?}: {}", event.at, event);
    /// }
    /// # });
    /// ```
    #[doc(alias = "get_execution_trace")]
    pub fn last_trace(&self) -> Option<ExecutionTrace> {
        lock(&self.inner.state).last.as_ref()?.trace.clone()
    }

    // ---- what happened -------------------------------------------------------------

    /// The last finished run.
    pub fn last_run(&self) -> Option<RunRecord> {
        lock(&self.inner.state).last.clone()
    }

    /// The recorded runs, oldest first (the last 1000 are kept; counts cover all).
    pub fn runs(&self) -> Vec<RunRecord> {
        lock(&self.inner.state).records.iter().cloned().collect()
    }

    /// Number of finished runs.
    pub fn run_count(&self) -> u64 {
        lock(&self.inner.state).runs
    }

    /// Number of finished runs that failed.
    pub fn failure_count(&self) -> u64 {
        lock(&self.inner.state).failures
    }

    /// Forgets every recorded run, so that one harness can serve several scenarios in
    /// a test: execution counts, run and failure counts, records and the last trace
    /// start again from nothing. The runtime, its resources and mocks, the trace
    /// setting and the leak checks' baselines stay as they are, and so does the runs'
    /// numbering: after two runs and a reset, the next run is `run 3` (so a number names
    /// one run for the harness's whole life, in its messages, reports and traces),
    /// though `run_count()` says 1. A mock keeps its own
    /// calls: clear them with `mock.recorder().reset()` ([`CallRecorder::reset`]).
    ///
    /// [`CallRecorder::reset`]: crate::CallRecorder::reset
    ///
    /// A run still in flight when `reset` is called is recorded when it finishes, as a
    /// run after the reset.
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn inc(x: u32) -> u32 { x + 1 }
    ///
    /// workflow! { struct One { input x: u32, y = inc(x), } }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// for x in [1, 2, 3] {
    ///     h.reset();
    ///     h.execute(One, OneInput { x }).await.unwrap();
    ///     h.assert_executed("y", 1); // this scenario's run only
    ///     assert_eq!(h.run_count(), 1);
    /// }
    /// # });
    /// ```
    #[doc(alias = "clear")]
    pub fn reset(&self) {
        *lock(&self.inner.state) = State::default();
    }

    /// How often a node's fn was called across all runs of this harness: every attempt
    /// counts, so a node that succeeded on its third try counts 3. `node` is one of:
    ///
    /// - a binding name or path (`fetch` in `fetch = fetch_data(url)`; `front.html` in a
    ///   sub-workflow; `thumbs[3].img` for one item, `thumbs.img` for every item),
    ///   counted in **every** workflow the harness ran: two workflows that each bind
    ///   `y` add up under `y`;
    /// - the same qualified by the workflow that was run, `Etl::fetch`, `Gallery::thumbs.img`,
    ///   to count one workflow's binding only (a sub-workflow's nodes are counted under
    ///   the outer workflow's name and their path: `Gallery::front.html`);
    /// - a `#[node]` fn name (`fetch_data`, which counts every binding of that fn), when
    ///   no binding has that name;
    /// - one arm's node of a merge (a binding defined in every arm of a `match`), named
    ///   as the report prints it, `r (work)`, `r (work #2)` (the binding's name, `r`,
    ///   counts every arm's): an arm never taken counts 0.
    ///
    /// [`Harness::assert_executed`] with a bare name that several workflows bind says
    /// so when the count differs, with each workflow's count.
    ///
    /// A binding inside a fan-out's body or a sub-workflow is counted under its path
    /// only: `img` in `thumbs = for url in urls { img = download(url), .. }` counts 0
    /// (unless a workflow binds `img` at its top level); ask for `thumbs.img`. So that a
    /// test does not pass by mistake, [`Harness::assert_executed`] (and
    /// `assert_not_executed`) with such a bare name fails, naming the paths to use.
    ///
    /// The guide's `get_node_execution_count`.
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn inc(x: u32) -> u32 { x + 1 }
    ///
    /// workflow! { struct One { input x: u32, y = inc(x), } }
    /// workflow! { struct Two { input x: u32, y = inc(x), z = inc(x: y), } }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// h.execute(One, OneInput { x: 1 }).await.unwrap();
    /// h.execute(Two, TwoInput { x: 1 }).await.unwrap();
    /// assert_eq!(h.execution_count("y"), 2);      // One's and Two's
    /// assert_eq!(h.execution_count("One::y"), 1);
    /// assert_eq!(h.execution_count("inc"), 3);    // the fn, every binding
    /// # });
    /// ```
    ///
    /// To count runs rather than calls (a node retried twice in one run counts 1), use
    /// [`Harness::runs_that_called`].
    ///
    /// # Panics
    ///
    /// As the harness's assertions fail: when the harness has run something and `node`
    /// is none of the above in any of its runs (a misspelling: `"pgae"`), naming the
    /// closest known node ("did you mean `page`?") and the known ones. A node of a run
    /// that never ran (skipped, not taken, mocked out of the way) counts 0, as does a
    /// binding or fn declared in a workflow the harness ran but never reached (a fan-out
    /// body's node over an empty list), any name before the first run, and a bare name
    /// that only ran inside fan-out items or sub-workflows (see above).
    ///
    /// ```should_panic
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn load() -> u32 { 1 }
    ///
    /// workflow! { struct Page { page = load(), } }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// h.execute(Page, PageInput {}).await.unwrap();
    /// h.execution_count("pgae"); // panics: "... did you mean `page`? ..."
    /// # });
    /// ```
    #[doc(alias = "get_node_execution_count")]
    pub fn execution_count(&self, node: &str) -> u64 {
        let count = self.count_of(node);
        if count == 0
            && self.is_unknown_name(node)
            && self.nested_paths_of(node).is_empty()
            && self.sub_workflow_hint(node).is_none()
        {
            let known = self.known_nodes();
            self.fail(format!(
                "execution_count(\"{node}\"): no run of this harness has a node called `{node}`, so a count of 0 would say nothing; {}known nodes: {}\nexecution counts: {}",
                self.guess(node),
                known.join(", "),
                self.counts_line()
            ));
        }
        count
    }

    /// [`Harness::execution_count`]'s count, 0 for a name it does not know.
    fn count_of(&self, node: &str) -> u64 {
        let state = lock(&self.inner.state);
        if node.contains("::") {
            return state.qualified.get(node).copied().unwrap_or(0);
        }
        state
            .counts
            .get(node)
            .or_else(|| state.fn_counts.get(node))
            .copied()
            .unwrap_or(0)
    }

    /// How many of this harness's runs called a node's fn at least once: a node that
    /// succeeded on its third try in one run counts 1 here and 3 in
    /// [`Harness::execution_count`]; a fan-out's items (`thumbs.img`) count 1 a run.
    /// `node` is named as for [`Harness::execution_count`].
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("busy")]
    /// struct Busy;
    ///
    /// #[node(retry(max = 3))]
    /// async fn flaky(ctx: &Context) -> Result<u32, Busy> {
    ///     // Fails its first two attempts.
    ///     if ctx.attempt() < 3 { Err(Busy) } else { Ok(7) }
    /// }
    ///
    /// workflow! { struct Flaky { x = flaky(), } }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// h.execute(Flaky, FlakyInput {}).await.unwrap();
    /// h.execute(Flaky, FlakyInput {}).await.unwrap();
    /// assert_eq!(h.execution_count("x"), 6); // every attempt
    /// assert_eq!(h.runs_that_called("x"), 2);
    /// assert_eq!(h.runs_that_called("flaky"), 2); // the fn
    /// # });
    /// ```
    pub fn runs_that_called(&self, node: &str) -> u64 {
        let state = lock(&self.inner.state);
        // A bare name is a binding's if any run has one (as `execution_count` decides).
        let key = if node.contains("::") || state.counts.contains_key(node) {
            node.to_owned()
        } else {
            format!("fn {node}")
        };
        state.runs_calling.get(&key).copied().unwrap_or(0)
    }

    /// The workflows that bind `node` (a bare binding name or path), with its count in
    /// each, `One::y=2`, when there are several.
    fn qualified_counts_of(&self, node: &str) -> Vec<String> {
        let state = lock(&self.inner.state);
        let mut found: Vec<String> = state
            .qualified
            .iter()
            .filter(|(k, _)| k.split_once("::").is_some_and(|(_, path)| path == node))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        found.sort();
        if found.len() < 2 {
            found.clear();
        }
        found
    }

    /// Everything recorded, for failure messages: each run's nodes and the last run's
    /// trace.
    pub fn report(&self) -> String {
        let state = lock(&self.inner.state);
        let mut out = String::new();
        write_runs(&mut out, &state);
        out
    }

    // ---- resources and mocks -------------------------------------------------------

    /// Registers (or replaces) a resource for the following runs.
    ///
    /// `value` is registered as its own type: `h.insert_resource(Arc::new(FakeHttp))`
    /// registers `Arc<FakeHttp>`, which a `Res<dyn Http>` node does not receive (its run
    /// fails with `WorkflowError::ResourceRegisteredAsArc`, saying so); use
    /// [`insert_resource_arc::<dyn Http>`](Self::insert_resource_arc) for a trait object.
    pub fn insert_resource<T: Send + Sync + 'static>(&self, value: T) {
        self.inner.runtime.insert_resource(value);
        self.track::<T>(0);
    }

    /// Registers (or replaces) a shared, possibly unsized resource for the following
    /// runs, such as an `Arc<dyn Trait>` that nodes take as `Res<dyn Trait>`. Handles to
    /// it that exist now (yours) are not counted as leaks by [`Harness::leaks`].
    ///
    /// # Examples
    ///
    /// A mock behind a trait; the test keeps its own `Arc` to read the recorded calls.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use workflow_core::prelude::*;
    /// use workflow_test::{CallRecorder, Harness};
    ///
    /// trait Http: Send + Sync {
    ///     fn get(&self, path: &str) -> String;
    /// }
    ///
    /// #[derive(Default)]
    /// struct MockHttp {
    ///     calls: CallRecorder<String>,
    /// }
    ///
    /// impl Http for MockHttp {
    ///     fn get(&self, path: &str) -> String {
    ///         self.calls.record(path.to_owned());
    ///         "test".into()
    ///     }
    /// }
    ///
    /// #[node]
    /// async fn fetch_api(http: Res<dyn Http>) -> String {
    ///     http.get("/api/data")
    /// }
    ///
    /// workflow! {
    ///     struct Api {
    ///         data = fetch_api(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// let mock = Arc::new(MockHttp::default());
    /// h.insert_resource_arc::<dyn Http>(mock.clone());
    /// let run = h.assert_success(h.execute(Api, ApiInput {}).await);
    /// assert_eq!(run.outputs.data, "test");
    /// mock.calls.assert_called_once();
    /// h.assert_no_leaks().await;
    /// # });
    /// ```
    pub fn insert_resource_arc<T: ?Sized + Send + Sync + 'static>(&self, value: Arc<T>) {
        self.inner.runtime.insert_resource_arc(value);
        self.track::<T>(0);
    }

    /// Replaces the resource of type `T` with `mock` for the following runs, and returns
    /// a handle to it so the test can read what the mock recorded.
    ///
    /// # Examples
    ///
    /// The guide's mocked HTTP client, which must be called exactly once. The node takes
    /// the client as a resource; the test swaps in a client whose `get` is a
    /// [`MockFn`](crate::MockFn).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use workflow_core::prelude::*;
    /// use workflow_test::{Harness, MockFn};
    ///
    /// #[derive(Debug, Clone, PartialEq)]
    /// struct Response {
    ///     status: u16,
    ///     data: String,
    /// }
    ///
    /// /// The HTTP client nodes use: real in production, mocked in tests.
    /// #[derive(Clone)]
    /// struct Http {
    ///     get: Arc<dyn Fn(&str) -> Response + Send + Sync>,
    /// }
    ///
    /// #[node]
    /// async fn fetch_api(http: Res<Http>) -> String {
    ///     (http.get)("/api/data").data
    /// }
    ///
    /// workflow! {
    ///     struct ApiTest {
    ///         api_data = fetch_api(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// let get = MockFn::new(|_path: String| Response { status: 200, data: "test".into() });
    /// let recorder = get.clone();
    /// h.mock(Http { get: Arc::new(move |path: &str| get.call(path.to_owned())) });
    ///
    /// let run = h.assert_success(h.execute(ApiTest, ApiTestInput {}).await);
    /// assert_eq!(run.outputs.api_data, "test");
    /// recorder.assert_called_once();
    /// recorder.assert_called_with("/api/data");
    /// # });
    /// ```
    ///
    /// A mock of a trait object (a node's `Res<dyn Http>`) is shared: give it to
    /// [`mock_arc::<dyn Http>`](Self::mock_arc). (`mock` takes `impl MockValue<T>`, which
    /// only `T` itself is, rather than `T`, so that `h.mock::<dyn Http>(Arc::new(..))`
    /// is one error saying so rather than two about sizes and types.)
    #[doc(alias = "create_test_resource")]
    pub fn mock<T: ?Sized + Send + Sync + 'static>(&self, mock: impl MockValue<T>) -> Res<T> {
        // The same as `insert_resource`, which puts the value in an `Arc` too.
        self.mock_arc(mock.into_shared())
    }

    /// Replaces the resource of type `T` with a shared, possibly unsized `mock` (an
    /// `Arc<dyn Trait>`, for nodes taking `Res<dyn Trait>`) for the following runs, and
    /// returns a handle to it: [`Harness::mock`] for a trait object. Handles to it that
    /// exist now (yours) are not counted as leaks by [`Harness::leaks`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use workflow_core::prelude::*;
    /// use workflow_test::{CallRecorder, Harness};
    ///
    /// trait Http: Send + Sync {
    ///     fn get(&self, path: &str) -> String;
    /// }
    ///
    /// #[derive(Default)]
    /// struct MockHttp {
    ///     calls: CallRecorder<String>,
    /// }
    ///
    /// impl Http for MockHttp {
    ///     fn get(&self, path: &str) -> String {
    ///         self.calls.record(path.to_owned());
    ///         "test".into()
    ///     }
    /// }
    ///
    /// #[node]
    /// async fn fetch_api(http: Res<dyn Http>) -> String {
    ///     http.get("/api/data")
    /// }
    ///
    /// workflow! {
    ///     struct Api {
    ///         data = fetch_api(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// let mock = Arc::new(MockHttp::default());
    /// let http = h.mock_arc::<dyn Http>(mock.clone());
    /// let run = h.assert_success(h.execute(Api, ApiInput {}).await);
    /// assert_eq!(run.outputs.data, "test");
    /// assert_eq!(http.get("/direct"), "test");
    /// assert_eq!(mock.calls.calls(), ["/api/data", "/direct"]);
    /// drop(http);
    /// h.assert_no_leaks().await;
    /// # });
    /// ```
    pub fn mock_arc<T: ?Sized + Send + Sync + 'static>(&self, mock: Arc<T>) -> Res<T> {
        self.inner.runtime.insert_resource_arc(mock);
        // The handle returned is the test's: one more than the runtime's.
        self.track::<T>(1);
        match self.inner.runtime.resource::<T>() {
            Some(handle) => handle,
            // `insert_resource_arc` just stored it.
            None => unreachable!("resource inserted a moment ago is missing"),
        }
    }

    /// The resource of type `T`, if registered.
    pub fn resource<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Res<T>> {
        self.inner.runtime.resource::<T>()
    }

    /// Watches resource `T` for leaked handles: the handles alive now, plus `extra` that
    /// the caller is about to hand to the test, are expected.
    fn track<T: ?Sized + Send + Sync + 'static>(&self, extra: usize) {
        let count = counter::<T>();
        let expected = count(&self.inner.runtime).unwrap_or(1) + extra;
        lock(&self.inner.resources).insert(
            TypeId::of::<T>(),
            TrackedResource {
                type_name: std::any::type_name::<T>(),
                expected,
                count,
            },
        );
    }

    // ---- assertions ----------------------------------------------------------------
    // Each takes a `RunResult` (only `Result<Run<O>, WorkflowError>` is one), so that a
    // run's future passed without `.await` is one error saying to add it.

    /// Asserts that a run succeeded and returns it.
    ///
    /// # Panics
    ///
    /// When `result` is an error, with the error, what ran, what failed and the trace.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn double(x: u32) -> u32 { x * 2 }
    ///
    /// workflow! {
    ///     struct Double {
    ///         input x: u32,
    ///         d = double(x),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s")]
    /// async fn doubles(h: Harness) {
    ///     let run = h.assert_success(h.execute(Double, DoubleInput { x: 21 }).await);
    ///     assert_eq!(run.outputs.d, 42);
    ///     h.assert_executed("d", 1);
    /// }
    /// # fn main() { doubles(); }
    /// ```
    #[track_caller]
    #[doc(alias = "assert_workflow_success")]
    pub fn assert_success<R: RunResult>(&self, result: R) -> Run<R::Outputs> {
        match result.into_result() {
            Ok(run) => run,
            Err(e) => self.fail(format!("expected the run to succeed, but it failed: {e:#}")),
        }
    }

    /// Asserts that a run failed and returns its error.
    ///
    /// # Panics
    ///
    /// When the run succeeded, with what ran and the trace.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn parse(text: String) -> Result<u32, std::num::ParseIntError> {
    ///     text.parse()
    /// }
    ///
    /// workflow! {
    ///     struct Parse {
    ///         input text: String,
    ///         n = parse(text),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s")]
    /// async fn bad_number_fails(h: Harness) {
    ///     let err = h.assert_failure(h.execute(Parse, ParseInput { text: "x".into() }).await);
    ///     assert_eq!(err.node(), Some("n"));
    ///     assert_eq!(h.failure_count(), 1);
    /// }
    /// # fn main() { bad_number_fails(); }
    /// ```
    #[track_caller]
    pub fn assert_failure<R: RunResult>(&self, result: R) -> WorkflowError {
        self.expect_failure(result, None)
    }

    /// The run's error, or a failed assertion saying the run was expected to fail but
    /// succeeded; `how`: the failure the assertion expected (`time out`, `deadlock`, ..),
    /// said after `assert_failure`'s sentence, which stays as it is (tests match it).
    #[track_caller]
    fn expect_failure<R: RunResult>(&self, result: R, how: Option<&str>) -> WorkflowError {
        match result.into_result() {
            Err(e) => e,
            Ok(run) => self.fail(format!(
                "expected the run to fail, but run {} of `{}` succeeded{}",
                self.number_of(run.report.run_id),
                run.report.workflow,
                how.map(|how| format!(" (expected it to {how})"))
                    .unwrap_or_default()
            )),
        }
    }

    /// Asserts that a run failed because a node returned an error of type `E`, and
    /// returns that error.
    ///
    /// # Panics
    ///
    /// When the run succeeded or failed otherwise, with the actual outcome and the trace.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[derive(Debug, PartialEq, thiserror::Error)]
    /// #[error("card {0} declined")]
    /// struct Declined(u32);
    ///
    /// #[node]
    /// async fn charge(card: u32) -> Result<u32, Declined> {
    ///     Err(Declined(card))
    /// }
    ///
    /// workflow! {
    ///     struct Pay {
    ///         input card: u32,
    ///         paid = charge(card),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s")]
    /// async fn declined_card(h: Harness) {
    ///     let result = h.execute(Pay, PayInput { card: 7 }).await;
    ///     // The node's own error, taken out of the run's error by type.
    ///     let err: Declined = h.assert_error(result);
    ///     assert_eq!(err, Declined(7));
    ///     // Or name the type at the call.
    ///     let again = h.assert_error::<Declined>(h.execute(Pay, PayInput { card: 8 }).await);
    ///     assert_eq!(again, Declined(8));
    /// }
    /// # fn main() { declined_card(); }
    /// ```
    #[track_caller]
    // `result` is `impl RunResult` rather than a second type parameter so that the error
    // type is the only one to name: `h.assert_error::<Declined>(result)`, as a user
    // writes it (with `<E, R>`, rustc asked for `::<Declined, R>`).
    pub fn assert_error<E>(&self, result: impl RunResult) -> E
    where
        E: AssertedError,
    {
        let e = self.assert_failure(result);
        let message = format!("{e:#}");
        // Found by reference but not by value: an `E` carried by an `anyhow::Error` (or
        // `eyre::Report`), which only anyhow can take out.
        let carried = E::found_in(&e);
        match E::take_from(e) {
            Some(err) => err,
            None if carried => self.fail(format!(
                "the run failed with a `{0}`, but the node returned it inside an `anyhow::Error` (or `eyre::Report`), which only anyhow can take out by value; read it by reference instead: `h.assert_failure(result).downcast_ref::<{1}>()`. The run failed with: {message}",
                std::any::type_name::<E>(),
                short_type_name(std::any::type_name::<E>()),
            )),
            None => self.fail(format!(
                "expected a node to fail with an error of type `{}`, but the run failed with: {message}",
                std::any::type_name::<E>()
            )),
        }
    }

    /// Asserts that a run failed with an error whose message (or the message of an
    /// error in its source chain) contains `needle`, and returns the error.
    ///
    /// # Panics
    ///
    /// When the run succeeded or the messages do not contain `needle`.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("connection refused by {0}")]
    /// struct Refused(&'static str);
    ///
    /// #[node]
    /// async fn fetch() -> Result<u32, Refused> {
    ///     Err(Refused("db-1"))
    /// }
    ///
    /// workflow! {
    ///     struct Fetch {
    ///         f = fetch(),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s")]
    /// async fn names_the_host(h: Harness) {
    ///     let result = h.execute(Fetch, FetchInput {}).await;
    ///     // Matches the node's message inside the run's error chain.
    ///     h.assert_error_contains(result, "refused by db-1");
    /// }
    /// # fn main() { names_the_host(); }
    /// ```
    #[track_caller]
    pub fn assert_error_contains<R: RunResult>(&self, result: R, needle: &str) -> WorkflowError {
        let e = self.assert_failure(result);
        let mut messages = vec![e.to_string()];
        // Each cause once: a chain that loops ends (`Causes`).
        messages.extend(e.causes().map(|s| s.to_string()));
        if messages.iter().any(|m| m.contains(needle)) {
            e
        } else {
            self.fail(format!(
                "expected the run to fail with a message containing {needle:?}, but it failed with: {e:#}"
            ))
        }
    }

    /// Asserts that a run failed and that node `node` is the one to blame.
    ///
    /// # Panics
    ///
    /// When the run succeeded or another node (or none) is to blame.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("no stock for {0}")]
    /// struct NoStock(String);
    ///
    /// #[node]
    /// async fn reserve(sku: String) -> Result<u32, NoStock> {
    ///     Err(NoStock(sku))
    /// }
    /// #[node]
    /// async fn ship(qty: u32) -> u32 { qty }
    ///
    /// workflow! {
    ///     struct Order {
    ///         input sku: String,
    ///         held = reserve(sku),
    ///         sent = ship(qty: held),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s")]
    /// async fn no_stock_stops_at_reserve(h: Harness) {
    ///     let result = h.execute(Order, OrderInput { sku: "A-1".into() }).await;
    ///     let err = h.assert_failed_at(result, "held");
    ///     assert_eq!(err.downcast_ref::<NoStock>().unwrap().0, "A-1");
    ///     h.assert_not_executed("sent");
    /// }
    /// # fn main() { no_stock_stops_at_reserve(); }
    /// ```
    #[track_caller]
    pub fn assert_failed_at<R: RunResult>(&self, result: R, node: &str) -> WorkflowError {
        let e = self.expect_failure(result, Some(&format!("fail at `{node}`")));
        if e.node() == Some(node) {
            e
        } else {
            self.fail(format!(
                "expected node `{node}` to fail, but the run failed with: {e:#}"
            ))
        }
    }

    /// Asserts that a run (or one of its nodes) timed out, and returns the error.
    ///
    /// # Panics
    ///
    /// When the run succeeded or failed otherwise.
    ///
    /// # Examples
    ///
    /// On tokio's paused clock, a 30 s node against a 2 s timeout fails at once:
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_test::prelude::*;
    ///
    /// #[node(timeout = "2s")]
    /// async fn slow_api() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(30)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Api {
    ///         reply = slow_api(),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s", start_paused = true)]
    /// async fn slow_api_times_out(h: Harness) {
    ///     let err = h.assert_timeout(h.execute(Api, ApiInput {}).await);
    ///     assert_eq!(err.node(), Some("reply"));
    /// }
    /// # fn main() { slow_api_times_out(); }
    /// ```
    #[track_caller]
    pub fn assert_timeout<R: RunResult>(&self, result: R) -> WorkflowError {
        let e = self.expect_failure(result, Some("time out"));
        if e.is_timeout() {
            e
        } else {
            self.fail(format!(
                "expected the run to time out, but it failed with: {e:#}"
            ))
        }
    }

    /// Asserts that a run deadlocked, and returns which nodes waited on what.
    ///
    /// # Panics
    ///
    /// When the run succeeded or failed otherwise.
    ///
    /// # Examples
    ///
    /// Two nodes each waiting for the other's signal:
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn first(ctx: &Context) -> u32 {
    ///     ctx.wait_signal("second").await;
    ///     ctx.signal("first");
    ///     1
    /// }
    /// #[node]
    /// async fn second(ctx: &Context) -> u32 {
    ///     ctx.wait_signal("first").await;
    ///     ctx.signal("second");
    ///     2
    /// }
    ///
    /// workflow! {
    ///     struct Cycle {
    ///         first = first(),
    ///         second = second(),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s")]
    /// async fn waits_form_a_cycle(h: Harness) {
    ///     let report = h.assert_deadlock(h.execute(Cycle, CycleInput {}).await);
    ///     assert_eq!(report.waiting.len(), 2);
    ///     assert!(report.cycle.is_some(), "{report}");
    /// }
    /// # fn main() { waits_form_a_cycle(); }
    /// ```
    #[track_caller]
    pub fn assert_deadlock<R: RunResult>(&self, result: R) -> DeadlockReport {
        match self.expect_failure(result, Some("deadlock")) {
            WorkflowError::Deadlock { report, .. } => report,
            e => self.fail(format!(
                "expected the run to deadlock, but it failed with: {e:#}"
            )),
        }
    }

    /// Asserts how often a node's fn was called across all runs (see
    /// [`Harness::execution_count`]).
    ///
    /// # Panics
    ///
    /// When the count differs, with the counts of every node and the runs.
    ///
    /// # Examples
    ///
    /// Counts add up over the harness's runs; a fan-out's nodes are named by their path
    /// (`squares.sq` counts every item):
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn square(x: u64) -> u64 { x * x }
    /// #[node]
    /// async fn total(xs: Vec<u64>) -> u64 { xs.iter().sum() }
    ///
    /// workflow! {
    ///     struct SumSquares {
    ///         input xs: Vec<u64>,
    ///         squares = for x in xs { sq = square(x), } => sq,
    ///         sum = total(xs: squares),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s")]
    /// async fn counts_every_item(h: Harness) {
    ///     let run = h.assert_success(h.execute(SumSquares, SumSquaresInput { xs: vec![1, 2, 3] }).await);
    ///     assert_eq!(run.outputs.sum, 14);
    ///     h.execute(SumSquares, SumSquaresInput { xs: vec![4] }).await.unwrap();
    ///     h.assert_executed("sum", 2);
    ///     h.assert_executed("squares.sq", 4);
    /// }
    /// # fn main() { counts_every_item(); }
    /// ```
    #[track_caller]
    pub fn assert_executed(&self, node: &str, times: u64) {
        let actual = self.count_of(node);
        // A bare binding that only ran inside fan-out items or sub-workflows is counted
        // under its path (`cubes.c`), never under `c`: without this, `assert_not_executed("c")`
        // would pass although `c` ran in every item.
        let nested = self.nested_paths_of(node);
        if actual == times && !nested.is_empty() {
            self.fail(format!(
                "no node called `{node}` ran at the top level, but `{node}` ran inside a fan-out or sub-workflow: name it by its path, {} (for every item), to count it\nexecution counts: {}",
                nested.join(", "),
                self.counts_line()
            ));
        }
        // The same for `Sub::node` when `Sub` ran only inside other workflows (as a
        // sub-workflow or `map`): counted as `Outer::path.node`, never as `Sub::node`.
        let sub_hint = if actual == 0 {
            self.sub_workflow_hint(node)
        } else {
            None
        };
        if let (true, Some(hint)) = (actual == times, &sub_hint) {
            self.fail(format!(
                "`{node}` counts 0 time(s), but that says nothing{hint}\nexecution counts: {}",
                self.counts_line()
            ));
        }
        // A name that no recorded run has (every node of a run's report has an entry,
        // skipped and not-taken ones too) is a misspelling: `assert_not_executed("chrage")`
        // must not pass. Without any run, there is nothing to check names against.
        if actual == times && times == 0 && self.is_unknown_name(node) {
            self.fail(format!(
                "expected node `{node}` not to be executed, but no run of this harness has a node called `{node}`, so that says nothing; {}known nodes: {}\nexecution counts: {}",
                self.guess(node),
                self.known_nodes().join(", "),
                self.counts_line()
            ));
        }
        if actual != times {
            let known = self.known_nodes();
            let several = self.qualified_counts_of(node);
            let hint = if !several.is_empty() {
                format!(
                    " (summed over every workflow that binds `{node}`: {}; name one as `Workflow::{node}`)",
                    several.join(", ")
                )
            } else if known.iter().any(|k| k == node)
                || self.is_known_fn(node)
                || lock(&self.inner.state).qualified.contains_key(node)
            {
                String::new()
            } else if !nested.is_empty() {
                format!(
                    " (no node called `{node}` ran at the top level; inside a fan-out or sub-workflow it is counted by its path: {})",
                    nested.join(", ")
                )
            } else if let Some(hint) = sub_hint {
                hint
            } else {
                format!(
                    " (no node called `{node}` ran; {}known nodes: {})",
                    did_you_mean(node, &known),
                    known.join(", ")
                )
            };
            // Retries: the count is of calls, which a test counting runs may not expect.
            let runs = self.runs_that_called(node);
            let attempts = if actual > 0 && runs != actual {
                format!(
                    " (every attempt counts: called {actual} time(s) in {runs} run(s); `h.runs_that_called(\"{node}\")` counts runs)"
                )
            } else {
                String::new()
            };
            self.fail(format!(
                "expected node `{node}` to be executed {times} time(s), but it was executed {actual} time(s){attempts}{hint}\nexecution counts: {}",
                self.counts_line()
            ));
        }
    }

    /// Asserts that a node never ran in any run of this harness.
    ///
    /// # Panics
    ///
    /// When it ran; or when runs were recorded and none of them has a node of that name
    /// (a misspelt name never runs, so it would pass), listing the nodes that exist.
    #[track_caller]
    pub fn assert_not_executed(&self, node: &str) {
        self.assert_executed(node, 0);
    }

    /// Asserts that `node` ended *not taken* in the last run: it is in an arm of a
    /// `match` (or `if`) in `workflow!` that the run did not take (not the same as
    /// skipped, which says something upstream failed).
    ///
    /// Inside a fan-out, each item takes its own arm: name the item's node by its path.
    /// A binding defined in several arms (a merge) has a node per arm: name one as the
    /// report prints it, `name (node_fn)` (`h.assert_not_taken("r (halve)")`; a later
    /// arm calling the same fn as an earlier one with its rank, `"r (halve #2)"`).
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn is_big(n: u32) -> bool { n > 10 }
    /// #[node]
    /// async fn split(n: u32) -> u32 { n / 10 }
    /// #[node]
    /// async fn keep(n: u32) -> u32 { n }
    /// #[node]
    /// async fn pick(a: Option<u32>, b: Option<u32>) -> u32 { a.or(b).unwrap_or(0) }
    ///
    /// workflow! {
    ///     struct Sizes {
    ///         input ns: Vec<u32>,
    ///         out = for n in ns {
    ///             big = is_big(n),
    ///             if big { parts = split(n), } else { whole = keep(n), }
    ///             v = pick(a: parts?, b: whole?),
    ///         } => v,
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// let run = h.assert_success(h.execute(Sizes, SizesInput { ns: vec![50, 7] }).await);
    /// assert_eq!(run.outputs.out, [5, 7]);
    /// h.assert_not_taken("out[0].whole"); // 50 is big
    /// h.assert_not_taken("out[1].parts"); // 7 is not
    /// h.assert_executed("out.big", 2);    // every item decides
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// When no run was recorded, the last run has no such node, or it ended otherwise
    /// (for a merge, defined in several arms: when the arm that defines it ran).
    #[track_caller]
    pub fn assert_not_taken(&self, node: &str) {
        let Some(run) = self.last_run() else {
            self.fail(format!(
                "expected node `{node}` to be not taken, but no run was recorded"
            ));
        };
        // The harness's report (appended by `fail`) shows every run by its number here;
        // the run's own `RunReport` would show it by its process-wide id instead.
        let which = format!("run {} of `{}`", run.number(), run.workflow());
        match run.node(node) {
            Some(r) if r.status == NodeStatus::NotTaken => {}
            Some(r) => {
                // A merge has one node per arm: say which one was found.
                let report = run.report();
                let arms: Vec<_> = report
                    .nodes
                    .iter()
                    .zip(report.labels())
                    .filter(|(n, _)| n.name == node)
                    .collect();
                let merge = if arms.len() > 1 {
                    let others: Vec<String> = arms
                        .iter()
                        .filter(|(n, _)| n.status == NodeStatus::NotTaken)
                        .map(|(_, label)| format!("`{label}`"))
                        .collect();
                    format!(
                        " (`{node}` is defined in {} arms; the arm that ran defines it: name one arm's node as the report prints it, {})",
                        arms.len(),
                        others.join(", ")
                    )
                } else {
                    String::new()
                };
                self.fail(format!(
                    "expected node `{node}` to be not taken in the last run ({which}), but its status is {}{merge}",
                    r.status
                ))
            }
            None => {
                // As the report prints them: a merge's arms as `s (loud)`, `s (quiet)`.
                let names = run.report().labels();
                self.fail(format!(
                    "expected node `{node}` to be not taken, but the last run ({which}) has no node `{node}` ({}its nodes: {})",
                    did_you_mean(node, &names),
                    names.join(", ")
                ))
            }
        }
    }

    /// Asserts that node `a` finished before node `b` started, in the last run where
    /// both ran.
    ///
    /// Nodes are named by binding, or by path inside a sub-workflow or a fan-out's item
    /// (`items[1].x`). Times are the nodes' start and end on tokio's clock. Qualified by
    /// their workflow as in [`execution_count`](Harness::execution_count)
    /// (`"Steps::prepare"`), they are looked for in that workflow's last run (also in
    /// [`assert_overlapped`](Harness::assert_overlapped) and
    /// [`assert_not_overlapped`](Harness::assert_not_overlapped)).
    ///
    /// # Examples
    ///
    /// A `prepare` step, then two branches side by side, then a fan-out whose items
    /// run one at a time:
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn wait_ms(ms: u64) -> u64 {
    ///     tokio::time::sleep(Duration::from_millis(ms)).await;
    ///     ms
    /// }
    ///
    /// workflow! {
    ///     struct Steps {
    ///         input ms: u64,
    ///         input list: Vec<u64>,
    ///         prepare = wait_ms(ms),
    ///         left = wait_ms(ms: prepare),
    ///         right = wait_ms(ms: prepare),
    ///         #[concurrency = 1]
    ///         items = for ms in list { x = wait_ms(ms), } => x,
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s", start_paused = true)]
    /// async fn order(h: Harness) {
    ///     h.assert_success(h.execute(Steps, StepsInput { ms: 10, list: vec![5, 5] }).await);
    ///     h.assert_before("prepare", "left");   // `prepare` ended before `left` started
    ///     h.assert_overlapped("left", "right"); // each started before the other ended
    ///     h.assert_before("items[0].x", "items[1].x"); // one item at a time
    ///     h.assert_not_overlapped("items[0].x", "items[1].x");
    ///     h.assert_overlapped("prepare", "items"); // the fan-out needs only `list`
    /// }
    /// # fn main() { order(); }
    /// ```
    ///
    /// # Panics
    ///
    /// When they overlapped, ran the other way round, or never ran in the same run.
    #[track_caller]
    pub fn assert_before(&self, a: &str, b: &str) {
        let (record, a, b) = self.last_with_both(a, b);
        if record.before(a, b) != Some(true) {
            self.fail(format!(
                "expected `{a}` to finish before `{b}` started in run {}, but it did not ({}; {})",
                record.number(),
                timing(&record, a),
                timing(&record, b)
            ));
        }
    }

    /// Asserts that nodes `a` and `b` ran concurrently (each started before the other
    /// finished), in the last run where both ran.
    ///
    /// # Panics
    ///
    /// When one finished before the other started, or they never ran in the same run.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_test::prelude::*;
    ///
    /// #[node]
    /// async fn load(ms: u64) -> u64 {
    ///     tokio::time::sleep(Duration::from_millis(ms)).await;
    ///     ms
    /// }
    /// #[node]
    /// async fn merge(a: u64, b: u64) -> u64 { a + b }
    ///
    /// workflow! {
    ///     struct Both {
    ///         input ms: u64,
    ///         left = load(ms),
    ///         right = load(ms),
    ///         joined = merge(a: left, b: right),
    ///     }
    /// }
    ///
    /// #[workflow_test(timeout = "5s", start_paused = true)]
    /// async fn branches_run_together(h: Harness) {
    ///     h.assert_success(h.execute(Both, BothInput { ms: 50 }).await);
    ///     h.assert_overlapped("left", "right");
    ///     h.assert_not_overlapped("left", "joined");
    /// }
    /// # fn main() { branches_run_together(); }
    /// ```
    #[track_caller]
    pub fn assert_overlapped(&self, a: &str, b: &str) {
        let (record, a, b) = self.last_with_both(a, b);
        if record.overlapped(a, b) != Some(true) {
            // Two nodes that never wait each run start to finish when polled: at the same
            // instant, one after the other. Say so, or the timings read as a contradiction.
            let instant = |n: &str| {
                record
                    .node(n)
                    .is_some_and(|r| r.started_at.is_some() && r.duration.is_zero())
            };
            let hint = if instant(a) || instant(b) {
                "\nhint: a node that took no time on tokio's clock never waited: it ran start to finish when it was polled, one after the other with its siblings in the run's task, so it overlaps nothing. Overlap shows for nodes that wait (a timer, I/O, a channel)."
            } else {
                ""
            };
            self.fail(format!(
                "expected `{a}` and `{b}` to run concurrently in run {}, but one finished before the other started ({}; {}){hint}",
                record.number(),
                timing(&record, a),
                timing(&record, b)
            ));
        }
    }

    /// Asserts that nodes `a` and `b` did not run concurrently, in the last run where
    /// both ran.
    ///
    /// # Panics
    ///
    /// When they overlapped, or never ran in the same run.
    #[track_caller]
    pub fn assert_not_overlapped(&self, a: &str, b: &str) {
        let (record, a, b) = self.last_with_both(a, b);
        if record.overlapped(a, b) != Some(false) {
            self.fail(format!(
                "expected `{a}` and `{b}` not to run concurrently in run {}, but they did ({}; {})",
                record.number(),
                timing(&record, a),
                timing(&record, b)
            ));
        }
    }

    /// The last run where both `a` and `b` ran, and their names in it. A name qualified
    /// by its workflow, as `execution_count` takes it (`Etl::page`), looks at that
    /// workflow's runs only, by the node's name or path (`page`).
    #[track_caller]
    fn last_with_both<'n>(&self, a: &'n str, b: &'n str) -> (RunRecord, &'n str, &'n str) {
        let ((wa, na), (wb, nb)) = (qualified(a), qualified(b));
        let found = {
            let state = lock(&self.inner.state);
            let ran = |r: &RunRecord, n: &str| r.node(n).is_some_and(|n| n.status.ran());
            let of = |r: &RunRecord, w: Option<&str>| w.is_none_or(|w| r.workflow() == w);
            state
                .last
                .iter()
                .chain(state.records.iter().rev())
                .find(|r| of(r, wa) && of(r, wb) && ran(r, na) && ran(r, nb))
                .cloned()
        };
        match found {
            Some(r) => (r, na, nb),
            None => {
                // A misspelt name is the likelier mistake: say which nodes exist.
                let known = self.known_nodes();
                let unknown: Vec<&str> = [a, b]
                    .into_iter()
                    .filter(|n| !known.iter().any(|k| k == qualified(n).1))
                    .collect();
                if unknown.is_empty() {
                    self.fail(format!(
                        "nodes `{a}` and `{b}` never both ran in one run of this harness"
                    ))
                } else {
                    let guesses: String = unknown.iter().map(|n| did_you_mean(n, &known)).collect();
                    self.fail(format!(
                        "no run of this harness has a node `{}` ({guesses}nodes seen: {})",
                        unknown.join("` or `"),
                        known.join(", ")
                    ))
                }
            }
        }
    }

    /// Panics with `message` followed by the harness's report.
    #[track_caller]
    pub(crate) fn fail(&self, message: String) -> ! {
        let report = self.report();
        panic!("{message}\n\n{report}")
    }
}

/// `a ran 0ns..100ms` for failure messages.
fn timing(record: &RunRecord, node: &str) -> String {
    match record.node(node) {
        Some(n) => match n.started_at {
            Some(start) => format!("`{node}` ran {start:?}..{:?}", start + n.duration),
            None => format!("`{node}` did not run"),
        },
        None => format!("`{node}` is not a node of `{}`", record.workflow()),
    }
}

/// `a::b::Declined` -> `Declined` (generics kept): how a test names the type.
fn short_type_name(full: &str) -> &str {
    let end = full.find('<').unwrap_or(full.len());
    full[..end].rfind("::").map_or(full, |i| &full[i + 2..])
}

/// Takes the node error of type `E` out of `e` (also from inside `Multiple`).
fn take_node_error<E: std::error::Error + 'static>(e: WorkflowError) -> Option<E> {
    match e {
        WorkflowError::Multiple { errors, .. } => errors.into_iter().find_map(take_node_error),
        other => other.downcast::<E>().ok(),
    }
}

/// Writes every kept run (nodes) and the last run's trace.
pub(crate) fn write_runs(out: &mut String, state: &State) {
    const SHOWN: usize = 10;
    let _ = writeln!(
        out,
        "finished runs: {} ({} failed)",
        state.runs, state.failures
    );
    let Some(last) = &state.last else {
        return;
    };
    let earlier: Vec<&RunRecord> = state
        .records
        .iter()
        .filter(|r| r.number() != last.number())
        .collect();
    let skipped = earlier.len().saturating_sub(SHOWN) as u64 + state.dropped_records;
    if skipped > 0 {
        let _ = writeln!(out, "... {skipped} earlier run(s) not shown");
    }
    for r in earlier.iter().skip(earlier.len().saturating_sub(SHOWN)) {
        let mut text = r.to_string();
        // Only the last run's trace is printed in full.
        if let Some(cut) = text.find("  trace:\n").or_else(|| text.find("  (no trace")) {
            text.truncate(cut);
        }
        out.push_str(&text);
    }
    let _ = write!(out, "{last}");
}

/// The error type [`Harness::assert_error`] takes out of a failed run: `E` of a node's
/// `Result<T, E>`, any `std::error::Error + 'static` type. Named in the compile error when
/// `E` is not one (`h.assert_error::<String>(..)` for a node returning
/// `Result<T, String>`, whose error a run keeps as its message only), instead of the bare
/// bound, to say what to write instead.
///
/// ```
/// use workflow_test::prelude::*;
///
/// #[node]
/// async fn parse(text: String) -> Result<u32, String> {
///     text.parse().map_err(|_| format!("not a number: {text}"))
/// }
///
/// workflow! { struct Parse { input text: String, n = parse(text), } }
///
/// #[workflow_test]
/// async fn a_string_error_is_asserted_by_its_message(h: Harness) {
///     let result = h.execute(Parse, ParseInput { text: "x".into() }).await;
///     h.assert_error_contains(result, "not a number: x");
/// }
/// # fn main() { a_string_error_is_asserted_by_its_message(); }
/// ```
#[diagnostic::on_unimplemented(
    message = "`assert_error::<{Self}>` takes a node's error type, and `{Self}` is not a `std::error::Error`",
    label = "not a `std::error::Error`",
    note = "a node's `String` error (or `&str`, `Box<dyn Error>`, `anyhow::Error`) is kept as its message: assert it with `h.assert_error_contains(result, \"..\")`; to take the error out by type, return an error type of your own (`#[derive(Debug, thiserror::Error)]`)"
)]
pub trait AssertedError: Sized + 'static {
    /// The node's error as `Self`, taken out of the run's error (by value).
    #[doc(hidden)]
    fn take_from(e: WorkflowError) -> Option<Self>;
    /// Whether the run's error holds a `Self`, by reference (also inside an
    /// `anyhow::Error`).
    #[doc(hidden)]
    fn found_in(e: &WorkflowError) -> bool;
}

#[diagnostic::do_not_recommend]
impl<E: std::error::Error + 'static> AssertedError for E {
    fn take_from(e: WorkflowError) -> Option<Self> {
        take_node_error::<E>(e)
    }
    fn found_in(e: &WorkflowError) -> bool {
        e.downcast_ref::<E>().is_some()
    }
}

/// What the `assert_*` methods of [`Harness`] take: the result of an awaited run,
/// `Result<Run<O>, WorkflowError>` (what `h.execute(..).await` gives), and nothing else.
/// Passing the run's future itself (`h.assert_success(h.execute(..))`) is then one error
/// that says to add `.await`, rather than a type mismatch.
///
/// ```
/// use workflow_test::prelude::*;
///
/// #[node]
/// async fn double(x: u32) -> u32 { x * 2 }
///
/// workflow! { struct Twice { input x: u32, y = double(x), } }
///
/// #[workflow_test]
/// async fn doubles(h: Harness) {
///     let result = h.execute(Twice, TwiceInput { x: 2 }).await; // a `RunResult`
///     assert_eq!(h.assert_success(result).outputs.y, 4);
/// }
/// # fn main() {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the result of a run: assertions take what awaiting the run gives",
    label = "expected `Result<Run<_>, WorkflowError>`; for `h.execute(..)`, add `.await`",
    note = "pass the result of `.await`, before any `.unwrap()` or `?`, like `h.assert_success(h.execute(workflow, input).await)`"
)]
pub trait RunResult: sealed::Sealed {
    /// The workflow's outputs, `O` of `Run<O>`.
    type Outputs;
    /// The result itself.
    fn into_result(self) -> Result<Run<Self::Outputs>, WorkflowError>;
}

impl<O> RunResult for Result<Run<O>, WorkflowError> {
    type Outputs = O;
    fn into_result(self) -> Self {
        self
    }
}

mod sealed {
    pub trait Sealed {}
    impl<O> Sealed for Result<workflow_core::Run<O>, workflow_core::WorkflowError> {}

    /// Implemented for nothing, and private: nobody can implement
    /// [`BuildTheHarnessFirst`](super::BuildTheHarnessFirst), so the builder's hidden
    /// methods can never be called.
    pub trait NotImplemented<T> {}
}

/// What [`Harness::mock`] takes for a resource of type `T`: `T` itself, and nothing else.
/// A trait object's mock is an `Arc`, for [`Harness::mock_arc`]; passing one to `mock`
/// is this trait's error, naming `mock_arc`. Sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "`h.mock::<{T}>(..)` takes the mock itself, not `{Self}`: a shared mock (`Arc<..>`, as a `Res<dyn Trait>` needs) goes to `h.mock_arc::<{T}>(Arc::new(..))`",
    label = "not a `{T}`",
    note = "`h.mock(value)` registers `value` as its own type; `h.mock_arc::<dyn Trait>(arc)` registers a trait object for nodes taking `Res<dyn Trait>` (`h.insert_resource_arc::<dyn Trait>(arc)` without the returned handle)"
)]
#[doc(hidden)]
pub trait MockValue<T: ?Sized>: mock_value::Sealed<T> {
    /// The mock, shared as the runtime keeps it.
    #[doc(hidden)]
    fn into_shared(self) -> Arc<T>;
}

// One impl only: `h.mock(x)` infers `T` from it.
impl<T: Send + Sync + 'static> MockValue<T> for T {
    fn into_shared(self) -> Arc<T> {
        Arc::new(self)
    }
}

mod mock_value {
    /// Private: no other crate can add a `MockValue` impl (which would also make `T`
    /// ambiguous in `h.mock(x)`).
    pub trait Sealed<T: ?Sized> {}
    impl<T: Send + Sync + 'static> Sealed<T> for T {}
}
