//! [`RuntimeShared`]: the state a runtime shares with its runs and their nodes.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use tokio::sync::{Notify, Semaphore};

use crate::resources::{Res, Resources};
use crate::shared::RunShared;

/// A monitor: called with every run as it starts.
pub(crate) type Monitor = Arc<dyn Fn(&Arc<RunShared>) + Send + Sync>;

/// Called with a run whose future is dropped before the run ended
/// ([`RuntimeBuilder::on_run_dropped`](crate::RuntimeBuilder::on_run_dropped)).
pub(crate) type DroppedHook = Arc<dyn Fn(&DroppedRun<'_>) + Send + Sync>;

/// A run whose future was dropped before the run ended, as
/// [`RuntimeBuilder::on_run_dropped`](crate::RuntimeBuilder::on_run_dropped) sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct DroppedRun<'a> {
    /// What each node had done when the run was dropped ([`RunHandle::report_so_far`](crate::RunHandle::report_so_far)):
    /// the nodes in flight are `Running`. A durable run's report has its
    /// [`durable_run`](crate::RunReport::durable_run) id.
    pub report: &'a crate::run::RunReport,
    /// The trace so far, when the run was traced.
    pub trace: Option<&'a crate::trace::ExecutionTrace>,
}

/// A random seed for a runtime's retry jitter: std's `RandomState` keys come from the
/// OS's randomness once per thread and differ for every `RandomState` made, so two
/// runtimes, in one process or in two, draw different delays for runs with the same id.
fn random_jitter_seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0x6a69_7474_6572_u64)
}

/// What the runs of one runtime share: resources, the node limit, the trace default,
/// monitors, and the counts of live runs and node tasks that shutdown waits for.
///
/// It refers to [`RunShared`] (monitors are called with it) as `RunShared` refers to it:
/// the two are one layer.
pub(crate) struct RuntimeShared {
    resources: RwLock<Resources>,
    /// Limit on nodes in flight across runs (`max_concurrent_nodes`).
    pub(crate) node_limit: Option<Arc<Semaphore>>,
    /// Whether runs are traced unless their options say otherwise.
    pub(crate) trace: bool,
    /// Mixed into every retry's jitter with the run's id (see `RuntimeBuilder::jitter_seed`):
    /// random per runtime unless the builder fixes it.
    pub(crate) jitter_seed: u64,
    /// With a seed fixed by the builder, how many runs drew a jitter key (see
    /// [`jitter_key`](Self::jitter_key)); `None` with a random seed.
    pub(crate) jitter_runs: Option<AtomicU64>,
    /// Called with every run as it starts.
    monitors: RwLock<Vec<Monitor>>,
    /// Called with runs dropped before they ended.
    dropped_hooks: RwLock<Vec<DroppedHook>>,
    /// Whether `monitors` or `dropped_hooks` is not empty (runs then keep live node
    /// statuses).
    monitored: AtomicBool,
    /// Set by shutdown: no new runs.
    closed: AtomicBool,
    /// Runs in flight.
    active: AtomicUsize,
    /// Live tasks of spawned nodes (they may outlive an aborted run briefly).
    tasks: AtomicUsize,
    /// Notified when the last run or node task ends.
    idle: Notify,
    /// The root runs, kept when shutdown cancels the runs that outlive its deadline
    /// (`RuntimeBuilder::cancel_on_shutdown`); `None` otherwise.
    pub(crate) tracked: Option<Arc<TrackedRuns>>,
}

/// The root runs of a runtime whose shutdown cancels what outlives its deadline
/// ([`RuntimeBuilder::cancel_on_shutdown`](crate::RuntimeBuilder::cancel_on_shutdown)),
/// each noted as it starts (by a monitor: the runs of such a runtime keep live states,
/// as monitored ones do) and forgotten once gone: the list is pruned each time it
/// doubles, so a note costs amortized O(1) and the list holds about twice the runs live.
#[derive(Default)]
pub(crate) struct TrackedRuns(Mutex<Tracked>);

#[derive(Default)]
struct Tracked {
    runs: Vec<Weak<RunShared>>,
    /// The length at which the list is pruned next.
    prune_at: usize,
}

/// A run [`TrackedRuns::cancel_live`] cancelled: its workflow, id, and durable run id.
pub(crate) type Cancelled = (&'static str, u64, Option<i64>);

impl TrackedRuns {
    /// Notes `run`, which is starting.
    pub(crate) fn note(&self, run: &Arc<RunShared>) {
        let mut tracked = crate::sync::lock(&self.0);
        if tracked.runs.len() >= tracked.prune_at {
            tracked.runs.retain(|r| r.strong_count() > 0);
            tracked.prune_at = (tracked.runs.len() * 2).max(64);
        }
        tracked.runs.push(Arc::downgrade(run));
    }

    /// Cancels every noted run still going, as [`RunHandle::cancel`](crate::RunHandle::cancel)
    /// does, and forgets them all; the runs it cancelled, by id.
    pub(crate) fn cancel_live(&self) -> Vec<Cancelled> {
        let runs = std::mem::take(&mut crate::sync::lock(&self.0).runs);
        let mut cancelled: Vec<Cancelled> = runs
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|run| !run.has_ended())
            .map(|run| {
                run.cancel.token().cancel();
                (run.workflow, run.run_id, run.durable_run)
            })
            .collect();
        cancelled.sort_by_key(|c| c.1);
        cancelled
    }
}

impl RuntimeShared {
    pub(crate) fn new(
        resources: Resources,
        node_limit: Option<usize>,
        trace: bool,
        monitors: Vec<Monitor>,
    ) -> Self {
        let monitored = !monitors.is_empty();
        Self {
            resources: RwLock::new(resources),
            node_limit: node_limit.map(|n| Arc::new(Semaphore::new(n))),
            trace,
            jitter_seed: random_jitter_seed(),
            jitter_runs: None,
            monitors: RwLock::new(monitors),
            dropped_hooks: RwLock::new(Vec::new()),
            monitored: AtomicBool::new(monitored),
            closed: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            tasks: AtomicUsize::new(0),
            idle: Notify::new(),
            tracked: None,
        }
    }

    /// What a root run's retries mix into their jitter with the seed (child runs take
    /// their root's): its process-wide id with a random seed, so the first runs of two
    /// processes (ids start at 1 in each) and of two runtimes differ; with a fixed seed,
    /// its number among this runtime's runs (1, 2, ..), so that the same seed draws the
    /// same delays in every process and every test, whatever else ran before (trial43:
    /// two runtimes with `jitter_seed(42)` in one test binary drew different delays).
    /// Taken when the run's shared state is made: at its start, or at its first retry
    /// for a run of plain nodes.
    pub(crate) fn jitter_key(&self, run_id: u64) -> u64 {
        match &self.jitter_runs {
            Some(runs) => runs.fetch_add(1, Ordering::Relaxed) + 1,
            None => run_id,
        }
    }

    pub(crate) fn resources(&self) -> RwLockReadGuard<'_, Resources> {
        self.resources.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn resources_mut(&self) -> RwLockWriteGuard<'_, Resources> {
        self.resources.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn resource<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Res<T>> {
        self.resources().get::<T>()
    }

    /// (The run's small helpers are `#[inline]`: a run's code is generic, compiled in
    /// the user's crate, which calls a non-inline fn of this crate out of line, ~10
    /// instructions each, issue 17.)
    #[inline]
    pub(crate) fn is_monitored(&self) -> bool {
        self.monitored.load(Ordering::Relaxed)
    }

    pub(crate) fn add_monitor(&self, monitor: Monitor) {
        self.monitors
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(monitor);
        self.monitored.store(true, Ordering::Relaxed);
    }

    /// Adds a hook called with runs dropped before they ended: such runs keep live node
    /// statuses, as monitored ones do, to say where they were.
    pub(crate) fn add_dropped_hook(&self, hook: DroppedHook) {
        self.dropped_hooks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(hook);
        self.monitored.store(true, Ordering::Relaxed);
    }

    /// Calls every hook of [`add_dropped_hook`](Self::add_dropped_hook) with root run
    /// `run`, whose future is being dropped before the run ended, while its state (and
    /// its child runs') is still there.
    #[cold]
    #[inline(never)]
    pub(crate) fn notify_dropped(&self, run: &RunShared) {
        let hooks = self
            .dropped_hooks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if hooks.is_empty() {
            return;
        }
        let report = run.report_so_far();
        let trace = run
            .trace
            .as_deref()
            .map(crate::trace::TraceRecorder::snapshot);
        let dropped = DroppedRun {
            report: &report,
            trace: trace.as_ref(),
        };
        for hook in hooks {
            // Called from a `Drop`: a panic must not leave it (during an unwind, it
            // would abort the process), nor skip the other hooks.
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&dropped)));
            if let Err(payload) = called {
                callback_panicked("on_run_dropped", run.workflow, run.run_id, payload.as_ref());
            }
        }
    }

    /// Calls every monitor with `run`, which is starting.
    pub(crate) fn notify_monitors(&self, run: &Arc<RunShared>) {
        if !self.is_monitored() {
            return;
        }
        let monitors = self
            .monitors
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for m in monitors {
            // Contained: a monitor's bug is not the run's, nor its caller's.
            if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m(run)))
            {
                callback_panicked("monitor", run.workflow, run.run_id, payload.as_ref());
            }
        }
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    pub(crate) fn active_runs(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Counts a run until the returned guard is dropped (or, handed over with
    /// [`RunGuard::hand_over`], until the guard of [`counted_run`](Self::counted_run) is).
    #[inline]
    pub(crate) fn enter_run(&self) -> RunGuard<'_> {
        self.active.fetch_add(1, Ordering::SeqCst);
        RunGuard(self)
    }

    /// The guard of a run counted already, whose [`enter_run`](Self::enter_run) guard was
    /// handed over: ends the count when dropped.
    #[inline]
    pub(crate) fn counted_run(&self) -> RunGuard<'_> {
        RunGuard(self)
    }

    /// Counts a spawned node task until the returned guard is dropped with its future.
    pub(crate) fn track_task(self: &Arc<Self>) -> TaskGuard {
        self.tasks.fetch_add(1, Ordering::SeqCst);
        TaskGuard(Arc::clone(self))
    }

    /// The last live run or node task ended: wakes `wait_idle`. Only a shut-down
    /// runtime has anyone waiting there, and `notify_waiters` takes a lock that the runs
    /// on every worker thread would share (runs of a task each often bring the count to
    /// zero, once per run). Sound without the lock: `close` is stored before
    /// `wait_idle` reads the counts, and the counts are decremented before `closed` is
    /// read here (all `SeqCst`), so either this sees the runtime closed or `wait_idle`
    /// sees the count at zero.
    #[cold]
    fn last_ended(&self) {
        if self.is_closed() {
            self.idle.notify_waiters();
        }
    }

    /// Completes once no run and no spawned node task is live.
    pub(crate) async fn wait_idle(&self) {
        loop {
            let mut notified = std::pin::pin!(self.idle.notified());
            // Register before checking, so a run ending in between is not missed.
            notified.as_mut().enable();
            if self.active.load(Ordering::SeqCst) == 0 && self.tasks.load(Ordering::SeqCst) == 0 {
                break;
            }
            notified.await;
        }
    }
}

/// Held by a run in flight; see [`RuntimeShared::enter_run`].
pub(crate) struct RunGuard<'a>(&'a RuntimeShared);

impl RunGuard<'_> {
    /// Leaves the count to the run's own future: `launch` hands its runtime over to the
    /// run, whose future ends the count with [`RuntimeShared::counted_run`] (done or
    /// dropped), so that `launch` keeps no `Arc` of its own for this guard.
    #[inline]
    pub(crate) fn hand_over(self) {
        std::mem::forget(self);
    }
}

impl Drop for RunGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.last_ended();
        }
    }
}

/// Held by a spawned node's task; see [`RuntimeShared::track_task`].
pub(crate) struct TaskGuard(Arc<RuntimeShared>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.tasks.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.last_ended();
        }
    }
}

/// A user callback of the runtime (`callback`: `monitor`, `on_run_dropped`,
/// `on_durable_run_end`) panicked for run `run_id` of `workflow`: contained, and
/// reported as a `tracing` error event with the panic's message.
#[cold]
#[inline(never)]
pub(crate) fn callback_panicked(
    callback: &'static str,
    workflow: &'static str,
    run_id: impl std::fmt::Display,
    payload: &(dyn std::any::Any + Send),
) {
    tracing::error!(
        target: "workflow",
        workflow,
        run_id = %run_id,
        callback,
        panic = %crate::error::panic_message(payload),
        "the `{callback}` callback panicked; the panic was contained"
    );
}
