//! [`Runtime`]: runs workflows on the caller's tokio runtime, holds resources, shuts down.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::{Notify, Semaphore};

use crate::context::{BoxFuture, RunShared};
use crate::error::WorkflowError;
use crate::executor::{panic_message, Executor, Outcome};
use crate::node::Res;
use crate::plan::{NodeSpec, Workflow};
use crate::run::{Run, RunOptions, RunReport, RunSnapshot};
use crate::trace::ExecutionTrace;

static NEXT_RUN_ID: AtomicU64 = AtomicU64::new(1);

/// Run ids handed to a thread at a time, so concurrent runs on different worker threads
/// do not contend on one counter.
const RUN_ID_BLOCK: u64 = 1024;

thread_local! {
    /// The next id of this thread's block and the end of the block.
    static RUN_IDS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// A process-unique run id.
pub(crate) fn next_run_id() -> u64 {
    RUN_IDS.with(|ids| {
        let (mut next, mut end) = ids.get();
        if next == end {
            next = NEXT_RUN_ID.fetch_add(RUN_ID_BLOCK, Ordering::Relaxed);
            end = next + RUN_ID_BLOCK;
        }
        ids.set((next + 1, end));
        next
    })
}

/// A registered resource: an `Arc<T>` (for any `T: ?Sized`, so `dyn Trait` works) behind
/// `dyn Any`.
type AnyArc = Arc<dyn Any + Send + Sync>;
type Cleanup = Box<dyn FnOnce(AnyArc) -> BoxFuture<()> + Send + Sync>;
type Monitor = Arc<dyn Fn(RunHandle) + Send + Sync>;

/// Runs workflows on the caller's tokio runtime (it never creates or nests one).
///
/// A `Runtime` is cheap to clone and can be shared by many concurrent runs; each run is
/// isolated (its own slots, cancellation, trace and tracked waits). It holds the typed
/// resources nodes receive as `Res<T>`.
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
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
/// let rt = Runtime::new();
/// let run = rt.execute(Double, DoubleInput { x: 21 }).await?;
/// assert_eq!(run.outputs.y, 42);
/// rt.shutdown().await;
/// # Ok::<(), WorkflowError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("active_runs", &self.active_runs())
            .field("resources", &self.inner.resource_names())
            .finish_non_exhaustive()
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) struct RuntimeInner {
    resources: RwLock<Resources>,
    pub(crate) node_limit: Option<Arc<Semaphore>>,
    pub(crate) trace: bool,
    active: AtomicUsize,
    /// Live tasks of spawned nodes (they may outlive an aborted run briefly).
    tasks: AtomicUsize,
    idle: Notify,
    closed: AtomicBool,
    monitors: RwLock<Vec<Monitor>>,
    monitored: AtomicBool,
}

#[derive(Default)]
struct Resources {
    map: HashMap<TypeId, AnyArc>,
    /// Registration order, for cleanup in reverse.
    order: Vec<Registered>,
}

struct Registered {
    type_id: TypeId,
    type_name: &'static str,
    cleanup: Option<Cleanup>,
}

impl RuntimeInner {
    pub(crate) fn resource<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Res<T>> {
        let resources = self.resources.read().unwrap_or_else(|e| e.into_inner());
        let arc = resources
            .map
            .get(&TypeId::of::<T>())?
            .downcast_ref::<Arc<T>>()?;
        Some(Res::from_arc(Arc::clone(arc)))
    }

    /// The first node (and resource type) whose `Res<T>` is not registered, and whether
    /// an `Arc<T>` was registered instead.
    pub(crate) fn missing_resource(
        &self,
        nodes: &'static [NodeSpec],
    ) -> Option<(&'static str, &'static str, bool)> {
        if nodes.iter().all(|n| n.resources.is_empty()) {
            return None;
        }
        let resources = self.resources.read().unwrap_or_else(|e| e.into_inner());
        nodes.iter().find_map(|n| {
            n.resources
                .iter()
                .find(|r| !resources.map.contains_key(&(r.type_id)()))
                .map(|r| {
                    let arc_instead = resources.map.contains_key(&(r.arc_type_id)());
                    (n.name, (r.type_name)(), arc_instead)
                })
        })
    }

    fn resource_names(&self) -> Vec<&'static str> {
        let resources = self.resources.read().unwrap_or_else(|e| e.into_inner());
        resources.order.iter().map(|r| r.type_name).collect()
    }

    /// Counts a spawned node task until the returned guard is dropped with its future.
    pub(crate) fn track_task(self: &Arc<Self>) -> TaskGuard {
        self.tasks.fetch_add(1, Ordering::SeqCst);
        TaskGuard(Arc::clone(self))
    }

    pub(crate) fn is_monitored(&self) -> bool {
        self.monitored.load(Ordering::Relaxed)
    }

    pub(crate) fn notify_monitors(&self, shared: &Arc<RunShared>) {
        if !self.is_monitored() {
            return;
        }
        let monitors = self
            .monitors
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for m in monitors {
            m(RunHandle {
                run_id: shared.run_id,
                workflow: shared.workflow,
                shared: Arc::downgrade(shared),
            });
        }
    }
}

/// Builds a [`Runtime`]: resources, limits, tracing.
///
/// # Examples
///
/// ```
/// use workflow_core::Runtime;
///
/// struct Db;
/// let rt = Runtime::builder()
///     .resource(Db)
///     .resource_with_cleanup(String::from("cache"), |cache| async move {
///         println!("closing {cache}");
///     })
///     .max_concurrent_nodes(64)
///     .build();
/// # drop(rt);
/// ```
#[derive(Default)]
pub struct RuntimeBuilder {
    resources: Resources,
    node_limit: Option<usize>,
    trace: bool,
    monitors: Vec<Monitor>,
}

impl fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("node_limit", &self.node_limit)
            .field("trace", &self.trace)
            .finish_non_exhaustive()
    }
}

impl RuntimeBuilder {
    /// Registers a resource; nodes receive it as `Res<T>`. A second resource of the same
    /// type replaces the first.
    pub fn resource<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.resources.insert(Arc::new(value), None);
        self
    }

    /// Registers a resource that is already shared: nodes receive it as `Res<T>` (not
    /// `Res<Arc<T>>`), and the caller keeps its own handle to inspect it.
    ///
    /// `T` may be a trait object: register an `Arc<dyn HttpClient>` and nodes take
    /// `Res<dyn HttpClient>`, so a test can swap in a mock implementation.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::AtomicUsize;
    /// use workflow_core::Runtime;
    ///
    /// let calls = Arc::new(AtomicUsize::new(0));
    /// let rt = Runtime::builder().resource_arc(calls.clone()).build();
    /// assert!(rt.resource::<AtomicUsize>().is_some());
    ///
    /// // A trait object: nodes take `Res<dyn Clock>`.
    /// trait Clock: Send + Sync {
    ///     fn now(&self) -> u64;
    /// }
    /// struct Fixed;
    /// impl Clock for Fixed {
    ///     fn now(&self) -> u64 {
    ///         42
    ///     }
    /// }
    /// let clock: Arc<dyn Clock> = Arc::new(Fixed);
    /// let rt = Runtime::builder().resource_arc(clock).build();
    /// assert_eq!(rt.resource::<dyn Clock>().unwrap().now(), 42);
    /// ```
    pub fn resource_arc<T: ?Sized + Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.resources.insert(value, None);
        self
    }

    /// Registers a resource with an async cleanup hook, run once by
    /// [`Runtime::shutdown`] (in reverse registration order).
    pub fn resource_with_cleanup<T, F, Fut>(mut self, value: T, cleanup: F) -> Self
    where
        T: Send + Sync + 'static,
        F: FnOnce(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.resources
            .insert(Arc::new(value), Some(erase_cleanup(cleanup)));
        self
    }

    /// Limits nodes in flight across all runs of this runtime.
    pub fn max_concurrent_nodes(mut self, n: usize) -> Self {
        self.node_limit = Some(n.max(1));
        self
    }

    /// Records an [`ExecutionTrace`] for every run (per-run [`RunOptions::trace`] wins).
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }

    /// Calls `f` with a handle to every run as it starts (used by test harnesses to
    /// report live runs).
    pub fn monitor(mut self, f: impl Fn(RunHandle) + Send + Sync + 'static) -> Self {
        self.monitors.push(Arc::new(f));
        self
    }

    /// Builds the runtime.
    pub fn build(self) -> Runtime {
        let monitored = !self.monitors.is_empty();
        Runtime {
            inner: Arc::new(RuntimeInner {
                resources: RwLock::new(self.resources),
                node_limit: self.node_limit.map(|n| Arc::new(Semaphore::new(n))),
                trace: self.trace,
                active: AtomicUsize::new(0),
                tasks: AtomicUsize::new(0),
                idle: Notify::new(),
                closed: AtomicBool::new(false),
                monitors: RwLock::new(self.monitors),
                monitored: AtomicBool::new(monitored),
            }),
        }
    }
}

fn erase_cleanup<T, F, Fut>(cleanup: F) -> Cleanup
where
    T: Send + Sync + 'static,
    F: FnOnce(Arc<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Box::new(move |any: AnyArc| -> BoxFuture<()> {
        match any.downcast_ref::<Arc<T>>() {
            Some(value) => Box::pin(cleanup(Arc::clone(value))),
            None => Box::pin(async {}),
        }
    })
}

impl Resources {
    fn insert<T: ?Sized + Send + Sync + 'static>(
        &mut self,
        value: Arc<T>,
        cleanup: Option<Cleanup>,
    ) {
        let type_id = TypeId::of::<T>();
        self.map.insert(type_id, Arc::new(value));
        let registered = Registered {
            type_id,
            type_name: std::any::type_name::<T>(),
            cleanup,
        };
        match self.order.iter_mut().find(|r| r.type_id == type_id) {
            Some(slot) => *slot = registered,
            None => self.order.push(registered),
        }
    }
}

/// What [`Runtime::shutdown`] did.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Runs still in flight when the deadline passed (0 when all finished).
    pub runs_still_active: usize,
    /// Resources whose cleanup ran, in the order it ran.
    pub cleaned: Vec<&'static str>,
    /// Cleanup hooks that panicked: `(resource, message)`.
    pub cleanup_panics: Vec<(&'static str, String)>,
}

/// A handle on a live run, given to [`RuntimeBuilder::monitor`] callbacks.
#[derive(Debug, Clone)]
pub struct RunHandle {
    run_id: u64,
    workflow: &'static str,
    shared: Weak<RunShared>,
}

impl RunHandle {
    /// The run's id (as in its [`RunReport`]).
    pub fn run_id(&self) -> u64 {
        self.run_id
    }

    /// The workflow's name.
    pub fn workflow(&self) -> &'static str {
        self.workflow
    }

    /// A picture of the run now, or `None` once the run's future is gone.
    pub fn snapshot(&self) -> Option<RunSnapshot> {
        self.shared.upgrade().map(|s| s.snapshot())
    }

    /// Whether the run has ended (its future completed or was dropped) and nothing holds
    /// its state any more: no node future, `Context` or spawned node task is alive.
    pub fn is_finished(&self) -> bool {
        self.shared.strong_count() == 0
    }
}

impl Runtime {
    /// A runtime without resources or limits.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts building a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// Runs `workflow` with `input` and the workflow's own policies.
    ///
    /// The returned future drives the run; dropping it cancels every node it started.
    ///
    /// # Errors
    ///
    /// [`WorkflowError`] naming the node and cause when a node fails, panics or times
    /// out, the run times out or deadlocks, a resource is missing, or the runtime is
    /// shut down.
    pub fn execute<W: Workflow>(
        &self,
        workflow: W,
        input: W::Input,
    ) -> impl Future<Output = Result<Run<W::Output>, WorkflowError>> + Send + 'static {
        self.execute_with(workflow, input, RunOptions::new())
    }

    /// Runs `workflow` with per-run options (trace, timeout, concurrency, cancellation).
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute`].
    pub fn execute_with<W: Workflow>(
        &self,
        workflow: W,
        input: W::Input,
        options: RunOptions,
    ) -> impl Future<Output = Result<Run<W::Output>, WorkflowError>> + Send + 'static {
        let run = self.execute_report(workflow, input, options);
        async move {
            let (result, report, trace) = run.await;
            result.map(|outputs| Run {
                outputs,
                report,
                trace,
            })
        }
    }

    /// Runs `workflow` and returns the report (and trace) whether it succeeded or not.
    ///
    /// This is what test harnesses use to count executions of failed runs.
    pub fn execute_report<W: Workflow>(
        &self,
        _workflow: W,
        input: W::Input,
        options: RunOptions,
    ) -> impl Future<
        Output = (
            Result<W::Output, WorkflowError>,
            RunReport,
            Option<ExecutionTrace>,
        ),
    > + Send
           + 'static {
        let inner = Arc::clone(&self.inner);
        async move {
            // Counted before the check: `shutdown` sets `closed` and then waits for
            // active runs, so a run either sees `closed` or is waited for.
            let _active = ActiveRun::enter(&inner);
            if inner.closed.load(Ordering::SeqCst) {
                let report = RunReport {
                    workflow: W::NAME,
                    run_id: 0,
                    duration: Duration::ZERO,
                    nodes: Vec::new(),
                };
                return (
                    Err(WorkflowError::ShutDown { workflow: W::NAME }),
                    report,
                    None,
                );
            }
            // The run's future holds a slot for every node's future; `run` boxes it, so
            // that a large workflow does not make the caller's future (and stack) large.
            let Outcome {
                result,
                report,
                trace,
            } = W::run(Executor::new(Arc::clone(&inner), input, options)).await;
            (result, report, trace)
        }
    }

    /// Registers (or replaces) a resource on a running runtime; later runs see it.
    pub fn insert_resource<T: Send + Sync + 'static>(&self, value: T) {
        self.inner
            .resources
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(Arc::new(value), None);
    }

    /// Registers (or replaces) an already shared resource; see
    /// [`RuntimeBuilder::resource_arc`].
    pub fn insert_resource_arc<T: ?Sized + Send + Sync + 'static>(&self, value: Arc<T>) {
        self.inner
            .resources
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(value, None);
    }

    /// The resource of type `T`, if registered.
    pub fn resource<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Res<T>> {
        self.inner.resource::<T>()
    }

    /// Adds a monitor after the runtime was built (see [`RuntimeBuilder::monitor`]).
    pub fn add_monitor(&self, f: impl Fn(RunHandle) + Send + Sync + 'static) {
        self.inner
            .monitors
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(f));
        self.inner.monitored.store(true, Ordering::Relaxed);
    }

    /// Runs currently in flight.
    pub fn active_runs(&self) -> usize {
        self.inner.active.load(Ordering::SeqCst)
    }

    /// Whether [`Runtime::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    /// Stops accepting runs, waits for in-flight runs (and for the tasks of `spawn` nodes
    /// that ended runs aborted, which tokio drops a moment later), then runs resource cleanup hooks
    /// in reverse registration order. Cleanup runs exactly once, however often this is
    /// called.
    pub async fn shutdown(&self) -> ShutdownReport {
        self.shutdown_inner(None).await
    }

    /// As [`Runtime::shutdown`], but waits at most `deadline` for in-flight runs before
    /// cleaning up (those runs keep their `Res` handles alive until they end).
    pub async fn shutdown_timeout(&self, deadline: Duration) -> ShutdownReport {
        self.shutdown_inner(Some(deadline)).await
    }

    async fn shutdown_inner(&self, deadline: Option<Duration>) -> ShutdownReport {
        self.inner.closed.store(true, Ordering::SeqCst);
        let wait_idle = async {
            loop {
                let mut notified = std::pin::pin!(self.inner.idle.notified());
                // Register before checking, so a run ending in between is not missed.
                notified.as_mut().enable();
                if self.inner.active.load(Ordering::SeqCst) == 0
                    && self.inner.tasks.load(Ordering::SeqCst) == 0
                {
                    break;
                }
                notified.await;
            }
        };
        match deadline {
            None => wait_idle.await,
            Some(d) => {
                let _ = tokio::time::timeout(d, wait_idle).await;
            }
        }
        let to_clean: Vec<(AnyArc, &'static str, Cleanup)> = {
            let mut resources = self
                .inner
                .resources
                .write()
                .unwrap_or_else(|e| e.into_inner());
            let Resources { map, order } = &mut *resources;
            order
                .iter_mut()
                .rev()
                .filter_map(|r| {
                    let cleanup = r.cleanup.take()?;
                    let value = map.get(&r.type_id)?.clone();
                    Some((value, r.type_name, cleanup))
                })
                .collect()
        };
        let mut report = ShutdownReport {
            runs_still_active: self.inner.active.load(Ordering::SeqCst),
            ..ShutdownReport::default()
        };
        for (value, name, cleanup) in to_clean {
            match AssertUnwindSafe(cleanup(value)).catch_unwind().await {
                Ok(()) => report.cleaned.push(name),
                Err(p) => report
                    .cleanup_panics
                    .push((name, panic_message(p.as_ref()))),
            }
        }
        report
    }
}

struct ActiveRun<'a>(&'a RuntimeInner);

impl<'a> ActiveRun<'a> {
    fn enter(inner: &'a RuntimeInner) -> Self {
        inner.active.fetch_add(1, Ordering::SeqCst);
        Self(inner)
    }
}

impl Drop for ActiveRun<'_> {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Held by a spawned node's task; see [`RuntimeInner::track_task`].
pub(crate) struct TaskGuard(Arc<RuntimeInner>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.tasks.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}
