//! [`Runtime`]: runs workflows on the caller's tokio runtime, holds resources, shuts down.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::FutureExt as _;

use crate::executor::{panic_message, RunOutcome, Workflow};
use crate::launch::{launch, AsOutcome, IntoRun, RunFuture, Runnable};
use crate::resources::{erase_cleanup, CleanupHookFuture, Res, Resources};
use crate::run::{RunOptions, RunSnapshot};
pub use crate::shared::DroppedRun;
use crate::shared::{DroppedHook, Monitor, RunShared, RuntimeShared};

/// Runs workflows on the caller's tokio runtime (it never creates or nests one).
///
/// A `Runtime` is cheap to clone and can be shared by many concurrent runs; each run is
/// isolated (its own cells and output slots, cancellation, trace and tracked waits). It holds the typed
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
    inner: Arc<RuntimeShared>,
    /// The store of durable runs (see `crate::durable`).
    #[cfg(feature = "store")]
    pub(crate) durable: Option<Arc<DurableConfig>>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("active_runs", &self.active_runs())
            .field("resources", &self.inner.resources().names())
            .finish_non_exhaustive()
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
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
    jitter_seed: Option<u64>,
    monitors: Vec<Monitor>,
    dropped_hooks: Vec<DroppedHook>,
    /// The store of durable runs and its lease settings (see `crate::durable`).
    #[cfg(feature = "store")]
    pub(crate) durable: DurableSettings,
}

impl fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("node_limit", &self.node_limit)
            .field("trace", &self.trace)
            .field("jitter_seed", &self.jitter_seed)
            .finish_non_exhaustive()
    }
}

impl RuntimeBuilder {
    /// Registers a resource; nodes receive it as `Res<T>`. A second resource of the same
    /// type replaces the first.
    ///
    /// Register the value, not the future that makes it: `resource(Db::connect(url).await?)`.
    /// Without the `.await` the future itself is registered, which no `Res<..>` can name;
    /// runs then fail before any node with
    /// [`WorkflowError::ResourceRegisteredAsFuture`](crate::WorkflowError::ResourceRegisteredAsFuture),
    /// naming the fn to await.
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
    /// [`Runtime::shutdown`] (in reverse registration order). The hook receives the
    /// resource as an `Arc<T>`: `|db: Arc<Db>| async move { .. }`.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// use workflow_core::prelude::*;
    ///
    /// struct Pool { open: AtomicBool, queries: AtomicU32 }
    ///
    /// #[node]
    /// async fn query(id: u32, pool: Res<Pool>) -> u32 {
    ///     pool.queries.fetch_add(1, Ordering::SeqCst);
    ///     id
    /// }
    ///
    /// workflow! { struct Q { input id: u32, row = query(id), } }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let closed = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&closed);
    /// let pool = Pool { open: AtomicBool::new(true), queries: AtomicU32::new(0) };
    /// let rt = Runtime::builder()
    ///     .resource_with_cleanup(pool, move |pool: Arc<Pool>| async move {
    ///         pool.open.store(false, Ordering::SeqCst); // close connections, flush, ..
    ///         flag.store(true, Ordering::SeqCst);
    ///     })
    ///     .build();
    /// assert_eq!(rt.execute(Q, QInput { id: 7 }).await.unwrap().outputs.row, 7);
    /// rt.shutdown().await; // waits for runs in flight, then runs the hook once
    /// assert!(closed.load(Ordering::SeqCst));
    /// # });
    /// ```
    pub fn resource_with_cleanup<T, F, Fut>(mut self, value: T, cleanup: F) -> Self
    where
        T: Send + Sync + 'static,
        F: FnOnce(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: CleanupHookFuture,
    {
        self.resources
            .insert(Arc::new(value), Some(erase_cleanup(cleanup)));
        self
    }

    /// Limits nodes in flight across all runs of this runtime (`0` counts as `1`). A node
    /// that runs a sub-workflow or a fan-out takes no slot: the nodes of its child runs
    /// take theirs.
    ///
    /// `usize::MAX` (or any `n` of at least [`tokio::sync::Semaphore::MAX_PERMITS`], about
    /// 2.3 × 10¹⁸, more than a limit could ever hold back) means no limit, as if the
    /// option were not set.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn double(x: u32) -> u32 { x * 2 }
    ///
    /// workflow! { struct Twice { input x: u32, y = double(x), } }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// for n in [0, 4, usize::MAX] {
    ///     let rt = Runtime::builder().max_concurrent_nodes(n).build();
    ///     let run = rt.execute(Twice, TwiceInput { x: 2 }).await.unwrap();
    ///     assert_eq!(run.outputs.y, 4);
    /// }
    /// # });
    /// ```
    pub fn max_concurrent_nodes(mut self, n: usize) -> Self {
        // A semaphore holds at most `MAX_PERMITS` (it panics on more), and no runtime
        // has that many nodes in flight: such a limit is no limit.
        self.node_limit = (n < tokio::sync::Semaphore::MAX_PERMITS).then_some(n.max(1));
        self
    }

    /// Records an [`ExecutionTrace`](crate::ExecutionTrace) for every run (per-run [`RunOptions::trace`] wins).
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }

    /// Fixes the seed of this runtime's retry jitter (`retry(jitter)`).
    ///
    /// A jittered delay is drawn from the runtime's seed, the run's id, the node and the
    /// attempt. Run ids start at 1 in every process, so without a seed of its own each
    /// runtime takes a random one: the first runs of a fleet of processes restarted
    /// together do not retry in step. With a fixed seed, a run with the same id draws the
    /// same delays in every process: a test that asserts exact jittered times fixes it
    /// and runs in a process of its own (ids depend on what ran before in the process).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node(retry(max = 2, backoff = "100ms", jitter))]
    /// async fn flaky(ctx: &Context) -> Result<u32, std::io::Error> {
    ///     if ctx.attempt() == 1 {
    ///         return Err(std::io::Error::other("first attempt fails"));
    ///     }
    ///     Ok(1)
    /// }
    ///
    /// workflow! {
    ///     struct Flaky {
    ///         x = flaky(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let rt = Runtime::builder().jitter_seed(7).build();
    /// let start = tokio::time::Instant::now();
    /// let run = rt.execute(Flaky, FlakyInput {}).await.unwrap();
    /// assert_eq!(run.outputs.x, 1);
    /// // The delay is drawn from [50ms, 100ms]: the same one for this run id and seed.
    /// let waited = start.elapsed();
    /// assert!(waited >= Duration::from_millis(50) && waited <= Duration::from_millis(100));
    /// # });
    /// ```
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// Calls `f` with a handle to every run as it starts (used by test harnesses to
    /// report live runs). A panic in `f` is contained: the run goes on, and the panic is
    /// a `tracing` error event (target `workflow`) naming the run and the callback.
    ///
    /// # Examples
    ///
    /// A watchdog that keeps every run's handle, to look at (or cancel) what is live:
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use workflow_core::prelude::*;
    /// use workflow_core::RunHandle;
    ///
    /// #[node]
    /// async fn one() -> u32 { 1 }
    ///
    /// workflow! {
    ///     struct One {
    ///         x = one(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let seen: Arc<Mutex<Vec<RunHandle>>> = Arc::default();
    /// let keep = Arc::clone(&seen);
    /// let rt = Runtime::builder()
    ///     .monitor(move |run| keep.lock().unwrap().push(run))
    ///     .build();
    /// let run = rt.execute(One, OneInput {}).await.unwrap();
    /// let handles = seen.lock().unwrap();
    /// assert_eq!(handles[0].workflow(), "One");
    /// assert_eq!(handles[0].run_id(), run.run_id());
    /// assert!(handles[0].is_finished());
    /// # });
    /// ```
    pub fn monitor(mut self, f: impl Fn(RunHandle) + Send + Sync + 'static) -> Self {
        self.monitors.push(erase_monitor(f));
        self
    }

    /// Calls `f` with the report so far of every run whose future is dropped before
    /// the run ended: cut by `tokio::time::timeout` or a `select!`, or dropped with its
    /// task. The report lists each node as the run's final report would
    /// ([`RunHandle::report_so_far`]): the nodes in flight as
    /// [`NodeStatus::Running`](crate::NodeStatus::Running), the ones that ran with their
    /// attempts. A test harness records such runs with it.
    ///
    /// `f` is called from the drop of the run's future: keep it short. A panic in `f`
    /// is contained (it never leaves the `Drop`, nor skips the other hooks) and is a
    /// `tracing` error event (target `workflow`) naming the run and the callback.
    /// Runs of a runtime with such a hook keep live node states, as monitored ones do.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    /// use workflow_core::NodeStatus;
    ///
    /// #[node]
    /// async fn slow() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Slow {
    ///         s = slow(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let cut: Arc<Mutex<Vec<(String, NodeStatus)>>> = Arc::default();
    /// let seen = Arc::clone(&cut);
    /// let rt = Runtime::builder()
    ///     .on_run_dropped(move |dropped| {
    ///         for n in &dropped.report.nodes {
    ///             seen.lock().unwrap().push((n.name.to_string(), n.status));
    ///         }
    ///     })
    ///     .build();
    /// let run = rt.execute(Slow, SlowInput {});
    /// assert!(tokio::time::timeout(Duration::from_secs(1), run).await.is_err());
    /// assert_eq!(*cut.lock().unwrap(), [("s".to_string(), NodeStatus::Running)]);
    /// # });
    /// ```
    pub fn on_run_dropped(mut self, f: impl Fn(&DroppedRun<'_>) + Send + Sync + 'static) -> Self {
        self.dropped_hooks.push(Arc::new(f));
        self
    }

    /// Builds the runtime.
    pub fn build(self) -> Runtime {
        keep_tracing_interest_shared();
        let mut inner =
            RuntimeShared::new(self.resources, self.node_limit, self.trace, self.monitors);
        if let Some(seed) = self.jitter_seed {
            inner.jitter_seed = seed;
        }
        for hook in self.dropped_hooks {
            inner.add_dropped_hook(hook);
        }
        Runtime {
            inner: Arc::new(inner),
            #[cfg(feature = "store")]
            durable: self.durable.build(),
        }
    }
}

/// Keeps an idle `tracing` dispatcher alive (an [`Idle`] subscriber, no thread's default,
/// which never receives anything), once per process.
///
/// Why: `tracing` caches per callsite, process-wide, whether any subscriber wants it.
/// While at most one dispatcher exists it asks only the default of the thread that
/// reaches the callsite (or registers the dispatcher); with two or more it asks every
/// live one. So in a test binary, a test that captures this crate's spans with
/// `tracing::subscriber::set_default` while another test's thread (no subscriber) runs a
/// workflow would find the `workflow` and `node` spans cached as unwanted, and miss
/// them, now and then (an outside trial's test failed one run in three). With this idle
/// dispatcher there are always two once a subscriber exists, so the capturing one is
/// asked. What is recorded does not change: the idle one wants nothing and installs
/// nothing as a default. The cost: a callsite one subscriber always wants is cached as
/// "sometimes", so each span or event asks the current subscriber's `enabled`.
fn keep_tracing_interest_shared() {
    static IDLE: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    IDLE.get_or_init(|| tracing::Dispatch::new(Idle));
}

/// The idle dispatcher's subscriber: wants nothing, and says so in its level hint (which
/// `tracing` takes as "every level" when absent, as `NoSubscriber`'s is): the global
/// level filter, which the engine's plain paths test before building spans, stays
/// `OFF` without a subscriber.
struct Idle;

impl tracing::Subscriber for Idle {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::never()
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::OFF)
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        // Never called (nothing is enabled); `NoSubscriber` answers the same.
        tracing::span::Id::from_u64(0xDEAD)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// A monitor callback over the run's shared state.
fn erase_monitor(f: impl Fn(RunHandle) + Send + Sync + 'static) -> Monitor {
    Arc::new(move |run: &Arc<RunShared>| {
        f(RunHandle {
            run_id: run.run_id,
            workflow: run.workflow,
            shared: Arc::downgrade(run),
        })
    })
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
    /// Cleanup hooks still running when [`Runtime::shutdown_timeout`]'s deadline for
    /// them passed, dropped unfinished (always empty after [`Runtime::shutdown`]).
    pub cleanup_timed_out: Vec<&'static str>,
}

/// One line: the runs left, then each cleanup that ran or panicked, in order.
///
/// ```
/// use std::sync::Arc;
/// use workflow_core::Runtime;
///
/// struct Db;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let rt = Runtime::builder()
///     .resource_with_cleanup(Db, |_db: Arc<Db>| async {})
///     .build();
/// let report = rt.shutdown().await;
/// assert_eq!(
///     report.to_string(),
///     format!("shut down with no run in flight; cleaned up: {}", std::any::type_name::<Db>())
/// );
/// # });
/// ```
impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.runs_still_active {
            0 => f.write_str("shut down with no run in flight")?,
            1 => f.write_str("shut down with 1 run still in flight")?,
            n => write!(f, "shut down with {n} runs still in flight")?,
        }
        if self.cleaned.is_empty()
            && self.cleanup_panics.is_empty()
            && self.cleanup_timed_out.is_empty()
        {
            return f.write_str("; no cleanup hooks");
        }
        if !self.cleaned.is_empty() {
            write!(f, "; cleaned up: {}", self.cleaned.join(", "))?;
        }
        for (resource, message) in &self.cleanup_panics {
            write!(f, "; cleanup of {resource} panicked: {message}")?;
        }
        for resource in &self.cleanup_timed_out {
            write!(f, "; cleanup of {resource} did not finish in time")?;
        }
        Ok(())
    }
}

impl ShutdownReport {
    /// Whether the shutdown left nothing behind: no run still in flight, no cleanup hook
    /// that panicked or did not finish in time (as `workflow-test`'s
    /// `LeakReport::is_clean` says of leaks).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use workflow_core::Runtime;
    ///
    /// struct Db;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let rt = Runtime::builder()
    ///     .resource_with_cleanup(Db, |_db: Arc<Db>| async { panic!("closing failed") })
    ///     .build();
    /// let report = rt.shutdown().await;
    /// assert!(!report.is_clean(), "{report}");
    /// assert_eq!(report.cleanup_panics.len(), 1);
    /// assert!(Runtime::new().shutdown().await.is_clean());
    /// # });
    /// ```
    pub fn is_clean(&self) -> bool {
        self.runs_still_active == 0
            && self.cleanup_panics.is_empty()
            && self.cleanup_timed_out.is_empty()
    }
}

/// A handle on a live run, given to [`RuntimeBuilder::monitor`] callbacks.
#[derive(Debug, Clone)]
pub struct RunHandle {
    run_id: u64,
    workflow: &'static str,
    shared: Weak<RunShared>,
}

impl RunHandle {
    /// The run's id (as in its [`RunReport`](crate::RunReport)).
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

    /// The run's report so far, or `None` once the run's future is gone: each node as it
    /// stands now ([`NodeStatus::Running`](crate::NodeStatus::Running) for one in flight,
    /// `NotStarted` for one not yet started), with the nodes of its fan-out items and
    /// sub-workflows by path, as the run's final [`RunReport`](crate::RunReport) would
    /// list them. Attempts, start times and durations come from the run's trace when it
    /// is traced; otherwise a started node counts one attempt and has no times.
    ///
    /// What a test harness records for a run whose future was dropped before it
    /// ended (cut by `tokio::time::timeout`, a `select!`, a crash).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    /// use workflow_core::{NodeStatus, RunHandle};
    ///
    /// #[node]
    /// async fn quick() -> u32 { 1 }
    ///
    /// #[node]
    /// async fn slow(x: u32) -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     x
    /// }
    ///
    /// workflow! {
    ///     struct Two {
    ///         a = quick(),
    ///         b = slow(x: a),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let handles: Arc<Mutex<Vec<RunHandle>>> = Arc::default();
    /// let seen = Arc::clone(&handles);
    /// let rt = Runtime::builder()
    ///     .trace(true)
    ///     .monitor(move |h| seen.lock().unwrap().push(h))
    ///     .build();
    /// let run = rt.execute(Two, TwoInput {});
    /// let peek = async {
    ///     tokio::time::sleep(Duration::from_secs(1)).await;
    ///     handles.lock().unwrap()[0].report_so_far().unwrap()
    /// };
    /// let report = tokio::select! {
    ///     _ = run => unreachable!("`b` sleeps a minute"),
    ///     report = peek => report,
    /// };
    /// assert_eq!(report.node("a").unwrap().status, NodeStatus::Succeeded);
    /// assert_eq!(report.node("b").unwrap().status, NodeStatus::Running);
    /// assert_eq!(report.node("b").unwrap().duration, Duration::from_secs(1));
    /// assert!(handles.lock().unwrap()[0].report_so_far().is_none()); // the run was dropped
    /// # });
    /// ```
    pub fn report_so_far(&self) -> Option<crate::RunReport> {
        self.shared.upgrade().map(|s| s.report_so_far())
    }

    /// Whether the run has ended (its future completed or was dropped) and nothing holds
    /// its state any more: no node future, `Context` or spawned node task is alive.
    pub fn is_finished(&self) -> bool {
        self.shared.strong_count() == 0
    }

    /// Cancels the run, as cancelling the token given to
    /// [`RunOptions::cancel_token`](crate::RunOptions::cancel_token) would: its running
    /// nodes are cancelled (they see [`Context::cancelled`](crate::Context::cancelled)
    /// and get the run's `cancel_grace`), nothing more starts, and the run ends with
    /// [`WorkflowError::Cancelled`](crate::WorkflowError::Cancelled) naming the nodes that
    /// were running. Returns `false` when there was nothing to cancel: the run ended and
    /// its state is gone ([`is_finished`](Self::is_finished)). Cancelling a run that is
    /// ending anyway changes nothing.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    /// use workflow_core::RunHandle;
    ///
    /// #[node]
    /// async fn slow() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Slow {
    ///         s = slow(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let handles: Arc<Mutex<Vec<RunHandle>>> = Arc::default();
    /// let seen = Arc::clone(&handles);
    /// let rt = Runtime::builder()
    ///     .monitor(move |handle| seen.lock().unwrap().push(handle))
    ///     .build();
    /// let run = tokio::spawn(rt.execute(Slow, SlowInput {}));
    /// tokio::time::sleep(Duration::from_millis(10)).await;
    /// let handle = handles.lock().unwrap()[0].clone();
    /// assert!(handle.cancel());
    /// let err = run.await.unwrap().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "run of workflow `Slow` was cancelled; still running: s"
    /// );
    /// assert!(!handle.cancel()); // over
    /// # });
    /// ```
    pub fn cancel(&self) -> bool {
        match self.shared.upgrade() {
            Some(run) => {
                // The run's token (made now if nobody asked for one, which wakes the run
                // so that it watches it), not `RunCancel::cancel`, which marks the run
                // stopped without waking it.
                run.cancel.token().cancel();
                true
            }
            None => false,
        }
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

    /// The state shared by this runtime's runs.
    #[cfg(feature = "store")]
    pub(crate) fn shared(&self) -> &Arc<RuntimeShared> {
        &self.inner
    }

    /// Runs `workflow` with `input` and the workflow's own policies: a workflow declared
    /// by `workflow!` and its input struct, `rt.execute(Etl, EtlInput { .. })` (that is
    /// what `W: Runnable<I>` says).
    ///
    /// The returned future drives the run; dropping it cancels every node it started.
    ///
    /// # Errors
    ///
    /// [`WorkflowError`](crate::WorkflowError) naming the node and cause when a node fails, panics or times
    /// out, the run times out or deadlocks, a resource is missing, or the runtime is
    /// shut down.
    ///
    /// Runs are driven by tokio. Polled outside a tokio runtime (by another executor's
    /// `block_on`), a run of plain in-task nodes works; one that needs tokio's timer or
    /// spawner fails before any node runs with
    /// [`WorkflowError::NeedsTokio`](crate::WorkflowError::NeedsTokio) naming what
    /// needs it: a run timeout or stall limit ([`RunOptions`], the workflow's or a
    /// sub-workflow's), a `#[node(spawn)]` node or a node's timeout (at any depth). Two
    /// needs show only as the run goes, and runs that never meet them work: a retry's
    /// backoff ends that node with `NeedsTokio` naming it, after its failed attempt; a
    /// non-zero [`RunOptions::cancel_grace`] of a run that stops (fails, is cancelled)
    /// with nodes in flight drops them at once, and the run's error holds `NeedsTokio`
    /// beside its own (a [`WorkflowError::Multiple`](crate::WorkflowError::Multiple)).
    /// A node body that uses tokio itself panicking there is that node's
    /// [`WorkflowError::NodePanicked`](crate::WorkflowError::NodePanicked), with
    /// tokio's message. Inside a tokio runtime, any flavor, and on its blocking threads
    /// through `Handle::block_on`, none of this applies.
    ///
    /// # Panics
    ///
    /// Not from the run itself: a node's panic is that node's
    /// [`WorkflowError::NodePanicked`](crate::WorkflowError::NodePanicked), and what
    /// needs tokio outside it is `NeedsTokio` (above).
    pub fn execute<W, I, O>(&self, workflow: W, input: I) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
    {
        let (_, input) = workflow.into_parts(input);
        // No options: the box `RunFuture` makes here holds the runtime and the input alone.
        RunFuture::new(launch::<W::Workflow, IntoRun>(
            Arc::clone(&self.inner),
            input,
            || None,
        ))
    }

    /// Runs `workflow` with per-run options (trace, timeout, concurrency, cancellation).
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute`].
    pub fn execute_with<W, I, O>(&self, workflow: W, input: I, options: RunOptions) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
    {
        let (_, input) = workflow.into_parts(input);
        RunFuture::new(launch::<W::Workflow, IntoRun>(
            Arc::clone(&self.inner),
            input,
            move || Some(options),
        ))
    }

    /// Runs `workflow` and returns its [`RunOutcome`]: the outputs or the error, with the
    /// report (and trace) whether it succeeded or not.
    ///
    /// This is what test harnesses use to count executions of failed runs.
    pub fn execute_report<W: Workflow>(
        &self,
        _workflow: W,
        input: W::Input,
        options: RunOptions,
    ) -> impl Future<Output = RunOutcome<W::Output>> + Send + 'static {
        launch::<W, AsOutcome>(Arc::clone(&self.inner), input, move || Some(options))
    }

    /// Registers (or replaces) a resource on a running runtime; later runs see it.
    ///
    /// `value` is registered as its own type: an `Arc<FakeHttp>` passed here is the
    /// resource `Arc<FakeHttp>`, not a `dyn Http` (the run then fails with
    /// [`WorkflowError::ResourceRegisteredAsArc`](crate::WorkflowError::ResourceRegisteredAsArc));
    /// register shared or trait-object values with
    /// [`insert_resource_arc`](Self::insert_resource_arc).
    pub fn insert_resource<T: Send + Sync + 'static>(&self, value: T) {
        self.inner.resources_mut().insert(Arc::new(value), None);
    }

    /// Registers (or replaces) an already shared resource; see
    /// [`RuntimeBuilder::resource_arc`].
    pub fn insert_resource_arc<T: ?Sized + Send + Sync + 'static>(&self, value: Arc<T>) {
        self.inner.resources_mut().insert(value, None);
    }

    /// The resource of type `T`, if registered.
    pub fn resource<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Res<T>> {
        self.inner.resource::<T>()
    }

    /// Adds a monitor after the runtime was built (see [`RuntimeBuilder::monitor`]).
    pub fn add_monitor(&self, f: impl Fn(RunHandle) + Send + Sync + 'static) {
        self.inner.add_monitor(erase_monitor(f));
    }

    /// Runs currently in flight.
    pub fn active_runs(&self) -> usize {
        self.inner.active_runs()
    }

    /// Whether [`Runtime::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.inner.is_closed()
    }

    /// Stops accepting runs, waits for in-flight runs (and for the tasks of `spawn` nodes
    /// that ended runs aborted, which tokio drops a moment later, and for the records a
    /// durable run whose future was dropped had queued), then runs resource cleanup hooks
    /// in reverse registration order. Cleanup runs exactly once, however often this is
    /// called.
    pub async fn shutdown(&self) -> ShutdownReport {
        self.shutdown_inner(None).await
    }

    /// As [`Runtime::shutdown`], but waits at most `deadline` for in-flight runs before
    /// cleaning up (those runs keep their `Res` handles alive until they end), and at
    /// most `deadline` again for the cleanup hooks: a hook still running then is dropped
    /// and listed in [`ShutdownReport::cleanup_timed_out`]; the hooks after it are still
    /// polled once (one that does not wait completes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn forever() -> u32 {
    ///     std::future::pending().await
    /// }
    ///
    /// workflow! {
    ///     struct Forever {
    ///         f = forever(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let rt = Runtime::new();
    /// let run = tokio::spawn(rt.execute(Forever, ForeverInput {}));
    /// tokio::task::yield_now().await;
    /// let report = rt.shutdown_timeout(Duration::from_secs(1)).await;
    /// assert_eq!(report.runs_still_active, 1);
    /// assert!(report.cleanup_timed_out.is_empty());
    /// assert!(rt.is_shut_down());
    /// // A run started after shutdown fails at once.
    /// let err = rt.execute(Forever, ForeverInput {}).await.unwrap_err();
    /// assert!(matches!(err, WorkflowError::ShutDown { .. }), "{err}");
    /// run.abort();
    /// # });
    /// ```
    pub async fn shutdown_timeout(&self, deadline: Duration) -> ShutdownReport {
        self.shutdown_inner(Some(deadline)).await
    }

    async fn shutdown_inner(&self, deadline: Option<Duration>) -> ShutdownReport {
        let shared = &self.inner;
        shared.close();
        match deadline {
            None => shared.wait_idle().await,
            Some(d) => {
                let _ = tokio::time::timeout(d, shared.wait_idle()).await;
            }
        }
        let to_clean = shared.resources_mut().take_cleanups();
        let mut report = ShutdownReport {
            runs_still_active: shared.active_runs(),
            ..ShutdownReport::default()
        };
        let end = deadline.map(crate::sync::deadline_after);
        for (value, name, cleanup) in to_clean {
            // Calling the hook may panic too (a closure that panics before it returns
            // its future), not only its future.
            let hook = std::panic::catch_unwind(AssertUnwindSafe(|| cleanup(value)));
            let outcome = match hook {
                Err(p) => Some(Err(p)),
                Ok(hook) => {
                    let hook = AssertUnwindSafe(hook).catch_unwind();
                    match end {
                        None => Some(hook.await),
                        Some(end) => tokio::time::timeout_at(end, hook).await.ok(),
                    }
                }
            };
            match outcome {
                Some(Ok(())) => report.cleaned.push(name),
                Some(Err(p)) => report
                    .cleanup_panics
                    .push((name, panic_message(p.as_ref()))),
                None => report.cleanup_timed_out.push(name),
            }
        }
        report
    }
}

/// A durable run that ended, as [`RuntimeBuilder::on_durable_run_end`] sees it.
#[cfg(feature = "store")]
#[derive(Debug)]
#[non_exhaustive]
pub struct DurableRunEnd<'a> {
    /// The run's id in the store.
    pub run_id: crate::store::RunId,
    /// What happened to each node in this execution (restored ones included).
    pub report: &'a crate::run::RunReport,
    /// The execution trace, when tracing was on.
    pub trace: Option<&'a crate::trace::ExecutionTrace>,
    /// Why the run failed, if it did.
    pub error: Option<&'a crate::error::WorkflowError>,
    /// The workflow's static plan, for `workflow-test`'s harness
    /// ([`DurableRunEnd::plan`]).
    pub(crate) plan: PlanOf,
}

#[cfg(feature = "store")]
impl DurableRunEnd<'_> {
    /// The workflow's static plan (its nodes, and those of its fan-out bodies and
    /// sub-workflows): `workflow-test`'s harness knows a durable run's node names from
    /// it, as it does an `execute`d run's. Not a stable API.
    #[doc(hidden)]
    pub fn plan(&self) -> &'static crate::plan::Plan {
        self.plan.0
    }
}

/// A workflow's plan in a [`DurableRunEnd`], debugged as its name.
#[cfg(feature = "store")]
#[derive(Clone, Copy)]
pub(crate) struct PlanOf(pub(crate) &'static crate::plan::Plan);

#[cfg(feature = "store")]
impl std::fmt::Debug for PlanOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}

/// The hook of [`RuntimeBuilder::on_durable_run_end`].
#[cfg(feature = "store")]
#[derive(Clone)]
pub(crate) struct OnDurableEnd(pub(crate) Arc<dyn Fn(&DurableRunEnd<'_>) + Send + Sync>);

#[cfg(feature = "store")]
impl fmt::Debug for OnDurableEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnDurableEnd(..)")
    }
}

/// The store and lease settings of a runtime.
#[cfg(feature = "store")]
#[derive(Debug, Clone)]
pub(crate) struct DurableConfig {
    pub(crate) store: Arc<dyn crate::store::Store>,
    pub(crate) owner: crate::store::OwnerId,
    pub(crate) lease: Duration,
    pub(crate) retention: crate::store::Retention,
    pub(crate) on_end: Option<OnDurableEnd>,
    /// The durable runs this runtime drives now (see `Drives`).
    pub(crate) drives: Arc<Drives>,
}

/// The durable runs one runtime drives now, each behind an async lock of its own.
///
/// The store lets a runtime claim a run whose lease it holds itself (a run whose future
/// was dropped resumes at once), so it cannot tell that run from one this runtime is
/// still driving: a second start with the same idempotency key, or a resume, while the
/// first drive goes on would run its nodes twice. Every drive holds its run here; a second
/// one waits for it to end, then reads what it left (outputs, a failure, or a run still
/// unfinished that it may resume).
///
/// A drive's recorder (the task committing its node records) may outlive the drive: when
/// the run's future is dropped (cut by `tokio::time::timeout`), the recorder still commits
/// what the run had queued. It holds the run's *recording* lock until then, and a new drive
/// waits for it after taking the drive lock, so a resume at once loads those records
/// rather than running their nodes again.
#[cfg(feature = "store")]
#[derive(Debug, Default)]
pub(crate) struct Drives {
    drives: RunLocks,
    recording: RunLocks,
}

/// An async lock per run, forgotten when nobody holds or waits for it.
#[cfg(feature = "store")]
#[derive(Debug, Default)]
struct RunLocks(
    std::sync::Mutex<std::collections::HashMap<crate::store::RunId, Arc<tokio::sync::Mutex<()>>>>,
);

#[cfg(feature = "store")]
impl RunLocks {
    fn map(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<crate::store::RunId, Arc<tokio::sync::Mutex<()>>>,
    > {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `run`'s lock (a waiter holds a clone of the `Arc`, taken under the map's lock).
    fn lock_of(&self, run: crate::store::RunId) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(self.map().entry(run).or_default())
    }

    /// Releases `guard` (if any) and forgets `run`'s lock when nobody else holds or waits
    /// for it.
    fn release(
        &self,
        run: crate::store::RunId,
        guard: Option<tokio::sync::OwnedMutexGuard<()>>,
        lock: Option<Arc<tokio::sync::Mutex<()>>>,
    ) {
        let mut map = self.map();
        drop(guard);
        drop(lock);
        if map
            .get(&run)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            map.remove(&run);
        }
    }
}

/// A recorder's hold on its run (see [`Drives`]): a new drive of the run waits until it is
/// dropped, when the recorder has committed what the run queued.
#[cfg(feature = "store")]
#[derive(Debug)]
pub(crate) struct Recording {
    drives: Arc<Drives>,
    run: crate::store::RunId,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// This runtime's drive of one run (see [`Drives`]); others wait until it is dropped.
#[cfg(feature = "store")]
#[derive(Debug)]
pub(crate) struct Driving<'a> {
    drives: &'a Drives,
    run: crate::store::RunId,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

#[cfg(feature = "store")]
impl Drives {
    /// Takes `run` for a drive, after any drive of it by this runtime ended and that
    /// drive's recorder committed; and whether it had to wait for a drive.
    pub(crate) async fn take(&self, run: crate::store::RunId) -> (Driving<'_>, bool) {
        let lock = self.drives.lock_of(run);
        let mut driving = Driving {
            drives: self,
            run,
            guard: None,
        };
        let waited = match Arc::clone(&lock).try_lock_owned() {
            Ok(guard) => {
                driving.guard = Some(guard);
                false
            }
            Err(_) => {
                driving.guard = Some(lock.lock_owned().await);
                true
            }
        };
        // A recorder of an earlier drive (whose future was dropped) may still be
        // committing: what it commits is what this drive restores.
        let recording = self.recording.lock_of(run);
        let done = Arc::clone(&recording).lock_owned().await;
        self.recording.release(run, Some(done), Some(recording));
        (driving, waited)
    }

    /// Takes `run` unless this runtime drives it now (or a recorder of it still commits).
    pub(crate) fn try_take(&self, run: crate::store::RunId) -> Option<Driving<'_>> {
        let guard = self.drives.lock_of(run).try_lock_owned().ok();
        // Also when it is taken: the drop forgets an unused entry.
        let driving = Driving {
            drives: self,
            run,
            guard,
        };
        driving.guard.as_ref()?;
        let recording = self.recording.lock_of(run);
        let idle = Arc::clone(&recording).try_lock_owned().ok();
        let idle_now = idle.is_some();
        self.recording.release(run, idle, Some(recording));
        idle_now.then_some(driving)
    }

    /// The recording hold of a drive's recorder on `run`, taken while the drive holds
    /// the run (so no other recorder of it runs: [`take`](Self::take) waited for them).
    pub(crate) fn recording(self: &Arc<Self>, run: crate::store::RunId) -> Recording {
        let guard = self.recording.lock_of(run).try_lock_owned().ok();
        Recording {
            drives: Arc::clone(self),
            run,
            guard,
        }
    }
}

#[cfg(feature = "store")]
impl Drop for Driving<'_> {
    fn drop(&mut self) {
        self.drives
            .drives
            .release(self.run, self.guard.take(), None);
    }
}

#[cfg(feature = "store")]
impl Drop for Recording {
    fn drop(&mut self) {
        self.drives
            .recording
            .release(self.run, self.guard.take(), None);
    }
}

/// The durable settings collected by a [`RuntimeBuilder`].
#[cfg(feature = "store")]
#[derive(Debug, Default)]
pub(crate) struct DurableSettings {
    pub(crate) store: Option<Arc<dyn crate::store::Store>>,
    pub(crate) owner: Option<crate::store::OwnerId>,
    pub(crate) lease: Option<Duration>,
    pub(crate) retention: crate::store::Retention,
    pub(crate) on_end: Option<OnDurableEnd>,
}

/// The default lease: long against clock skew between processes, short enough that a
/// crashed process's runs are recovered within a minute.
#[cfg(feature = "store")]
const DEFAULT_LEASE: Duration = Duration::from_secs(30);

#[cfg(feature = "store")]
impl DurableSettings {
    pub(crate) fn build(self) -> Option<Arc<DurableConfig>> {
        let store = self.store?;
        Some(Arc::new(DurableConfig {
            store,
            owner: self
                .owner
                .unwrap_or_else(crate::store::OwnerId::for_this_process),
            lease: self
                .lease
                .unwrap_or(DEFAULT_LEASE)
                .max(Duration::from_millis(3)),
            retention: self.retention,
            on_end: self.on_end,
            drives: Arc::default(),
        }))
    }
}
