//! [`RunShared`]: the state the nodes of one run share with its driver.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::Waker;

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::waits::Waits;
use crate::error::{NodeName, RetryWait, WorkflowError};
use crate::plan::NodeSpec;
use crate::run::{
    NodeReport, NodeReports, NodeStatus, RunReport, RunSnapshot, SnapshotChildNode, SnapshotNode,
};
use crate::shared::RuntimeShared;
use crate::sync::lock;
use crate::trace::{ExecutionTrace, TraceEvent, TraceKind, TraceRecorder};

/// State shared by the nodes of one run (one allocation per run).
pub(crate) struct RunShared {
    pub(crate) run_id: u64,
    pub(crate) workflow: &'static str,
    pub(crate) nodes: &'static [NodeSpec],
    pub(crate) started: Instant,
    /// The run's cancellation, its token made only when someone asks for it.
    pub(crate) cancel: RunCancel,
    /// The run's trace; a child run shares its root run's recorder.
    pub(crate) trace: Option<Arc<TraceRecorder>>,
    pub(crate) runtime: Arc<RuntimeShared>,
    /// A child run's place in its root run (`thumbs[3]`, `report`, `thumbs[3].inner[0]`):
    /// its nodes are named `<path>.<binding>` in the root's report, trace and errors.
    /// `None` for a root run, whose nodes keep their static names.
    pub(crate) path: Option<Arc<str>>,
    /// In a lane of a fan-out (`executor/items.rs`), the item it runs now: its nodes are
    /// named `<path>[<item>].<binding>`. [`NO_ITEM`] otherwise.
    item: AtomicUsize,
    /// The root run's workflow, which child runs' errors name.
    pub(crate) root_workflow: &'static str,
    /// A child run's parent run, told of its progress (`None` for a root run).
    parent: Option<Arc<RunShared>>,
    /// The node of `parent` that runs this child run (0 for a root run).
    parent_node: usize,
    /// The item of `parent_node` this child run is (a fan-out's item run as a whole
    /// child run), or `NO_ITEM`: the key of its report in the parent's.
    child_item: AtomicUsize,
    /// Nodes of child runs (at any depth) finished since the stall timer last looked:
    /// a long fan-out whose items progress is not a stalled run.
    child_progress: AtomicU64,
    /// The reports of child runs started by this run's nodes (sub-workflows, fan-out
    /// items), each tagged with its node and item; merged into this run's report when it
    /// ends. Empty (no allocation) for a run without children.
    child_reports: Mutex<Vec<ChildReport>>,
    /// Whether `child_reports` may hold reports (read without its lock by a fan-out
    /// lane after each item).
    has_child_reports: std::sync::atomic::AtomicBool,
    /// This run's nodes blocked in tracked waits; in a root run, also the published
    /// values and blocked nodes of its whole run tree (see `waits.rs`).
    pub(crate) waits: Waits,
    /// Per node, the latest attempt whose call was polled (0: none). Written only by
    /// nodes whose fn may not run when they are started (spawned, behind the runtime's
    /// node limit, with policies), so that a node stopped before its fn ran is not
    /// reported as having run. Allocated on first use: a run of inline nodes pays nothing.
    attempts_made: OnceLock<Box<[AtomicU32]>>,
    /// In a root run, the nodes of its run tree waiting between two attempts (a retry's
    /// backoff), by path, each noted as its wait began and removed as its next attempt
    /// begins: what a timeout's or cancellation's error says of a node it stopped there
    /// (`WorkflowError::Timeout::retrying`, `Cancelled::retrying`), each with the
    /// instant its next attempt is due (the stall timer waits for it: a backoff is not a
    /// stall). Allocated on the first retry.
    retry_waits: OnceLock<Box<Mutex<RetryWaits>>>,
    /// The run's future got to its end (it was not dropped before): set for a root run
    /// whose state was made, read when its future is dropped.
    ended: AtomicBool,
    /// Live node statuses, kept only when someone (a test harness) monitors runs, or
    /// the run has a stall limit (for its stall report). Written by the executor's status
    /// writer only.
    live: Option<Mutex<Vec<NodeStatus>>>,
    /// The child runs of a run that keeps live states (fan-out lanes, sub-workflows),
    /// for its live snapshot and stall report; empty (no allocation) otherwise.
    live_children: Mutex<Vec<Weak<RunShared>>>,
    /// A durable run's id in its store (`None`: not durable). A child run has its root's
    /// (so `Context::idempotency_key` is stable across resumes in fan-out items too).
    pub(crate) durable_run: Option<i64>,
    /// The run's name in the engine that called one of its nodes by itself
    /// (`Runtime::call_node`: a Temporal workflow id), which idempotency keys use; a
    /// child run has its root's.
    pub(crate) run_key: Option<Arc<str>>,
    /// The index of the first item of the list a fan-out node gets, when an engine calls
    /// the node by itself with a slice of its list (`NodeCall::with_first_item`): its
    /// items are numbered from here. Never inherited by a child run.
    pub(crate) first_item: usize,
    /// Set when a node is called by itself (`Runtime::call_node`): the `concurrency` of
    /// the fan-out the node ran, for the engine that schedules its items (0: none ran).
    pub(crate) called_fan_out: Option<std::sync::atomic::AtomicUsize>,
    /// The most nodes of this run, and of each child run it starts (a fan-out's items,
    /// a sub-workflow's nodes), in flight at once: its own `concurrency`
    /// (`RunOptions::concurrency`, else the workflow's `#[workflow(concurrency)]` /
    /// `sequential`), at most its parent's (`usize::MAX`: no limit). So a `sequential`
    /// run's fan-out runs its items one at a time, as a user of `sequential` expects.
    pub(crate) concurrency: usize,
    /// Where a durable run's fan-out items record their nodes, and the item rows a
    /// resumed run restores (`None`: not durable, or a child whose nodes are not
    /// recorded one by one, like a sub-workflow's).
    #[cfg(feature = "store")]
    pub(crate) durable: Option<Arc<DurableLink>>,
}

/// A run's shared state as its own future holds it (the driver, its statuses and node
/// starter, the run's set-up and end borrow this): made when the run begins if it needs
/// one from its start (a child run; a traced, monitored, stall-watched, durable or
/// externally cancellable run; a runtime that limits nodes in flight; a workflow with a
/// node that does not run inline or needs resources or runs a child run), else only the
/// first time something shares it: a node's `Context`, a node in a task of its own
/// (issue 17: a W4 run's `RunShared` was one allocation of 480 bytes, its building and
/// drop and three locked instructions, for nothing any of its nodes read).
///
/// Until it is made, the run is what a state made then would say: no trace, no live
/// statuses, no parent, no children, no tracked waits, not cancelled (no token can
/// exist: only a holder of the state can make one). Its inherent methods answer that
/// without making it; [`Deref`](std::ops::Deref) makes it, so every other use is exactly
/// the use of a state made at the start.
pub(crate) struct RunSlot {
    made: OnceLock<Arc<RunShared>>,
    /// While the state is not made: what it is made from (`None` once made at once).
    lazy: Option<LazySeed>,
    run_id: u64,
    started: Instant,
}

/// What a [`RunSlot`]'s state is made from: the run's runtime and workflow's plan (its
/// id and start are the slot's).
struct LazySeed {
    runtime: Arc<RuntimeShared>,
    plan: &'static crate::plan::Plan,
    /// The run's `concurrency` (see [`RunShared::concurrency`]), `usize::MAX` for none
    /// (which `RunShared::new` makes of `None`): a word less in every run's future than
    /// an `Option` (see `Executor::run` on its size).
    concurrency: usize,
}

impl RunSlot {
    /// The slot of a run whose state is made already.
    #[inline]
    pub(crate) fn made(shared: Arc<RunShared>) -> Self {
        let (run_id, started) = (shared.run_id, shared.started);
        Self {
            made: OnceLock::from(shared),
            lazy: None,
            run_id,
            started,
        }
    }

    /// The slot of a root run of `plan` on `runtime`, untraced, unwatched (no monitor
    /// nor stall limit), without a token or durable link, whose state is made only
    /// when first shared.
    #[inline]
    pub(crate) fn lazy(
        run_id: u64,
        started: Instant,
        runtime: Arc<RuntimeShared>,
        plan: &'static crate::plan::Plan,
        concurrency: Option<usize>,
    ) -> Self {
        Self {
            made: OnceLock::new(),
            lazy: Some(LazySeed {
                runtime,
                plan,
                concurrency: concurrency.unwrap_or(usize::MAX),
            }),
            run_id,
            started,
        }
    }

    /// The state, made now if it was not.
    #[inline]
    pub(crate) fn arc(&self) -> &Arc<RunShared> {
        match self.made.get() {
            Some(shared) => shared,
            None => self.make(),
        }
    }

    /// [`arc`](Self::arc)'s making: what `lifecycle::begin` would have made for the
    /// run (a root run with no token, trace, live statuses or durable link). Its own
    /// clone of the runtime: the slot's may be borrowed (the run's count of active
    /// runs is).
    #[cold]
    #[inline(never)]
    fn make(&self) -> &Arc<RunShared> {
        self.made.get_or_init(|| {
            let seed = self
                .lazy
                .as_ref()
                .expect("a run's shared state is made at once or has its seed");
            Arc::new_cyclic(|_| {
                let mut shared = RunShared::new(
                    self.run_id,
                    self.started,
                    seed.plan.name,
                    seed.plan.nodes,
                    None,
                    false,
                    false,
                    Arc::clone(&seed.runtime),
                    None,
                    Some(seed.concurrency),
                    #[cfg(feature = "store")]
                    None,
                );
                // Not monitored when it began (a monitor added since is not told of
                // runs already going, nor does it see their statuses).
                shared.live = None;
                shared
            })
        })
    }

    /// The state, if made.
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<&Arc<RunShared>> {
        self.made.get()
    }

    /// The run's id.
    #[inline(always)]
    pub(crate) fn run_id(&self) -> u64 {
        self.run_id
    }

    /// When the run started (a child run: its root run).
    #[inline(always)]
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// The runtime the run runs on.
    #[inline]
    pub(crate) fn runtime(&self) -> &Arc<RuntimeShared> {
        match &self.lazy {
            Some(seed) => &seed.runtime,
            None => &self.arc().runtime,
        }
    }

    /// Whether the run is traced.
    #[inline]
    pub(crate) fn is_traced(&self) -> bool {
        self.get().is_some_and(|s| s.trace.is_some())
    }

    /// A child run's parent run (`None` for a root run).
    #[inline]
    pub(crate) fn parent(&self) -> Option<&Arc<RunShared>> {
        self.get().and_then(|s| s.parent())
    }

    /// Whether the run was cancelled (see [`RunCancel::is_cancelled`]).
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.get().is_some_and(|s| s.cancel.is_cancelled())
    }

    /// [`RunCancel::watch`]: with no state made, there is no token (nor can one be made
    /// before the state is, in a poll of the run, which looks again as it waits).
    #[inline]
    pub(crate) fn watch_cancel(&self, waker: &Waker) -> Option<&CancellationToken> {
        self.get().and_then(|s| s.cancel.watch(waker))
    }

    /// [`RunShared::is_live`].
    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        self.get().is_some_and(|s| s.is_live())
    }

    /// [`RunShared::set_live`].
    #[inline]
    pub(crate) fn set_live(&self, node: usize, status: NodeStatus) {
        if let Some(s) = self.get() {
            s.set_live(node, status);
        }
    }

    /// [`RunShared::record`].
    #[inline]
    pub(crate) fn record(&self, node: Option<usize>, kind: TraceKind) {
        if let Some(s) = self.get() {
            s.record(node, kind);
        }
    }

    /// [`RunShared::record_with`].
    #[inline]
    pub(crate) fn record_with(&self, node: Option<usize>, kind: impl FnOnce() -> TraceKind) {
        if let Some(s) = self.get() {
            s.record_with(node, kind);
        }
    }

    /// [`RunShared::note_progress`].
    #[inline]
    pub(crate) fn note_progress(&self) {
        if let Some(s) = self.get() {
            s.note_progress();
        }
    }
}

impl std::ops::Deref for RunSlot {
    type Target = Arc<RunShared>;

    /// The state, made now if it was not ([`arc`](RunSlot::arc)).
    #[inline]
    fn deref(&self) -> &Arc<RunShared> {
        self.arc()
    }
}

/// A run's cancellation: its token, made the first time someone asks for it (a node's
/// `Context::cancellation`/`cancelled`, a child run), or given (an external token, a
/// child run's). Most runs never need one: a token is an allocation, and its creation,
/// the run's wait on it and its cancellation at the end take its locks (~350
/// instructions and one of a small run's seven allocations, issue 17).
///
/// A run stopped (failed, timed out, cancelled, ended, dropped) before its token
/// exists is marked `stopped`: a token made later is made cancelled. The driver watches
/// the token once it exists; a token made outside the run's poll (by a node in a task
/// of its own) wakes the run through `waker`, so it starts watching.
pub(crate) struct RunCancel {
    token: OnceLock<CancellationToken>,
    /// Cancelled: the token, if any, is cancelled (and one made later will be).
    stopped: AtomicBool,
    /// The run's waker while it has no token, woken when the token is made.
    waker: Mutex<Option<Waker>>,
    /// When the grace this run gives its nodes as it stops ends
    /// (`RunOptions::cancel_grace`): set by the driver's abort, before it cancels, so
    /// that the nodes of child runs (sub-workflows, fan-out items) get the same grace.
    /// Unset for runs that stop without a grace (and for runs that never stop early).
    grace_end: OnceLock<Instant>,
    /// Set when a child run's nodes could not be given this run's grace (outside tokio,
    /// no timer): this run then says so once (`TokioNeed::CancelGrace`).
    grace_unkept: AtomicBool,
}

impl RunCancel {
    /// The cancellation of a run with `token`, or of one whose token is made when asked for.
    #[inline]
    pub(crate) fn new(token: Option<CancellationToken>) -> Self {
        Self {
            token: token.map_or_else(OnceLock::new, OnceLock::from),
            stopped: AtomicBool::new(false),
            waker: Mutex::new(None),
            grace_end: OnceLock::new(),
            grace_unkept: AtomicBool::new(false),
        }
    }

    /// Whether a child run's nodes could not be given this run's grace (see
    /// [`RunShared::note_grace_unkept`]).
    #[cold]
    pub(crate) fn grace_unkept(&self) -> bool {
        self.grace_unkept.load(Ordering::Relaxed)
    }

    /// Notes that the run stops with a grace ending at `end` (before it cancels).
    #[cold]
    pub(crate) fn set_grace_end(&self, end: Instant) {
        let _ = self.grace_end.set(end);
    }

    /// The run's token, made now if nobody asked for it before.
    pub(crate) fn token(&self) -> &CancellationToken {
        if let Some(token) = self.token.get() {
            return token;
        }
        self.make_token()
    }

    #[cold]
    fn make_token(&self) -> &CancellationToken {
        let token = self.token.get_or_init(CancellationToken::new);
        // Pairs with the fence in `cancel`: either it sees the token, or this sees
        // `stopped`.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.stopped.load(Ordering::Relaxed) {
            token.cancel();
        }
        // The run may be waiting without a token to watch: it watches this one now.
        if let Some(waker) = lock(&self.waker).take() {
            waker.wake();
        }
        token
    }

    /// The token, if any; if none, `waker` is woken when one is made.
    pub(crate) fn watch(&self, waker: &Waker) -> Option<&CancellationToken> {
        if let Some(token) = self.token.get() {
            return Some(token);
        }
        let mut slot = lock(&self.waker);
        // Looked at again under the slot's lock, which the token's maker takes after
        // making it: either the maker finds this waker, or this finds its token and
        // leaves no waker behind. (Stored, then looked at, a token made in between
        // left the waker in the slot for the run's life: a spawned nodes' outcome
        // queue, the waker a run leaves here, holds the run's shared state, and the
        // cycle kept the run's tasks counted live, so `Runtime::shutdown` waited for
        // them forever.)
        if let Some(token) = self.token.get() {
            return Some(token);
        }
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
        None
    }

    /// Takes out the waker [`watch`](Self::watch) left, if any: the run ended, and a
    /// waker may hold what holds this (a spawned nodes' outcome queue does).
    pub(crate) fn unwatch(&self) {
        let waker = lock(&self.waker).take();
        drop(waker);
    }

    /// Whether the run was cancelled. Without a token, no lock.
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.stopped.load(Ordering::Relaxed) || self.token.get().is_some_and(|t| t.is_cancelled())
    }

    /// Cancels the run: its token, and any token made later.
    #[inline]
    pub(crate) fn cancel(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::SeqCst);
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }

    /// [`cancel`](Self::cancel), for a run whose shared state nobody else holds (nor can
    /// reach any more): no token can be made concurrently, so there is nothing for
    /// `cancel`'s fence to order.
    #[inline]
    pub(crate) fn cancel_unshared(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }

    /// A token cancelled with the run's (which is made now if it does not exist yet).
    pub(crate) fn child_token(&self) -> CancellationToken {
        self.token().child_token()
    }
}

/// A durable run's record queue and restorable item rows, shared by the lanes of its
/// fan-outs (see `executor/items.rs`): each item's nodes are recorded under their paths
/// (`thumbs[3].img`), and a resumed item takes its rows from here.
#[cfg(feature = "store")]
pub(crate) struct DurableLink {
    pub(crate) run: crate::store::RunId,
    /// The run's recorder queue; `None` once the run ended (so the recorder sees the
    /// queue close even if something still holds the run's shared state).
    records: Mutex<Option<tokio::sync::mpsc::UnboundedSender<crate::store::Record>>>,
    /// Recorded rows of fan-out items and sub-workflow nodes not restored yet, by path
    /// (`ys[3].y1`, `report.layout`).
    items: Mutex<std::collections::HashMap<String, crate::store::RecordedOutput>>,
}

#[cfg(feature = "store")]
impl DurableLink {
    pub(crate) fn new(
        run: crate::store::RunId,
        records: tokio::sync::mpsc::UnboundedSender<crate::store::Record>,
        items: std::collections::HashMap<String, crate::store::RecordedOutput>,
    ) -> Self {
        Self {
            run,
            records: Mutex::new(Some(records)),
            items: Mutex::new(items),
        }
    }

    /// Queues `record` for the recorder; `false` when the queue is closed (the run
    /// ended, or its recorder stopped on a store error, which it reports itself).
    pub(crate) fn send(&self, record: crate::store::Record) -> bool {
        lock(&self.records)
            .as_ref()
            .is_some_and(|q| q.send(record).is_ok())
    }

    /// The run ended: no more records.
    pub(crate) fn close(&self) {
        lock(&self.records).take();
    }

    /// Whether any item row is left to restore (a fresh run has none).
    pub(crate) fn has_items(&self) -> bool {
        !lock(&self.items).is_empty()
    }

    /// Takes the recorded row at `path`, if any.
    pub(crate) fn take_item(&self, path: &str) -> Option<crate::store::RecordedOutput> {
        let mut items = lock(&self.items);
        if items.is_empty() {
            return None;
        }
        items.remove(path)
    }

    /// Drops the rows under the fan-out or sub-workflow at `path` (`ys`: every `ys[..]`
    /// row; `report`: every `report.*` row): it runs again from inputs those rows were
    /// not computed from.
    pub(crate) fn forget_items(&self, path: &str) {
        let mut items = lock(&self.items);
        if items.is_empty() {
            return;
        }
        items.retain(|p, _| {
            !p.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with(['[', '.']))
        });
    }
}

/// The item of a run that is not a fan-out's lane.
const NO_ITEM: usize = usize::MAX;

/// The node reports of one child run, already named by their paths.
struct ChildReport {
    /// The node of this run that ran the child, and the child's item (`usize::MAX` for a
    /// sub-workflow): the report's order.
    key: (usize, usize),
    nodes: Vec<NodeReport>,
}

/// The child reports in report order, one per key: a retried node ran its children
/// again, so only its last attempt's reports are kept (the sort is stable: they come last
/// among their key), each node with the attempts of the earlier runs of the same path
/// added, since every call counts (`s.f` called twice in each of three runs of `s`: 6).
fn last_of_each(mut children: Vec<ChildReport>) -> Vec<ChildReport> {
    children.sort_by_key(|c| c.key);
    let mut kept: Vec<ChildReport> = Vec::with_capacity(children.len());
    for child in children {
        match kept.last_mut() {
            Some(last) if last.key == child.key => {
                let earlier = std::mem::replace(&mut last.nodes, child.nodes);
                let mut attempts: std::collections::HashMap<NodeName, u32> = earlier
                    .into_iter()
                    .filter(|n| n.attempts > 0)
                    .map(|n| (n.name, n.attempts))
                    .collect();
                if attempts.is_empty() {
                    continue;
                }
                for n in &mut last.nodes {
                    if let Some(a) = attempts.remove(&n.name) {
                        n.attempts += a;
                    }
                }
            }
            _ => kept.push(child),
        }
    }
    kept
}

impl fmt::Debug for RunShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunShared")
            .field("workflow", &self.workflow)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

/// Where a child run sits (see [`RunShared::new`]): the run whose node runs it, that
/// node, and the child's path in the root run.
pub(crate) type ChildPlace = (Arc<RunShared>, usize, Arc<str>);

impl RunShared {
    /// A run's shared state; of a child run when `child` says where it sits (it records
    /// into its parent's trace, names the parent's workflow in its errors, waits and
    /// publishes in the root run's tracked waits, and is not watched by monitors: its
    /// nodes show in the root run's report, and in its live snapshot once
    /// [`watch_as_child`](Self::watch_as_child) is called); with `durable`, the link a
    /// durable run's fan-out items record through. `stall_watched`: a root run with a
    /// stall limit (`deadlock = ".."`), which keeps live node states like a monitored run
    /// so that its stall report can name the stuck node inside a fan-out item or
    /// sub-workflow (`thumbs[2].img`, not `thumbs`); a child run keeps them when its
    /// parent does, or when `stall_watched` is set for it: a whole child run (not a
    /// fan-out's lane) keeps them to say what it stopped if its future is dropped
    /// ([`report_dropped_child`](Self::report_dropped_child)).
    ///
    /// Every field written once, in one expression, and inlined: `lifecycle::begin`
    /// builds a run's shared state in its `Arc`'s allocation, which a field written
    /// twice (its old value dropped through a call given its place) or a call would
    /// keep from happening.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        run_id: u64,
        started: Instant,
        workflow: &'static str,
        nodes: &'static [NodeSpec],
        cancel: Option<CancellationToken>,
        trace: bool,
        stall_watched: bool,
        runtime: Arc<RuntimeShared>,
        child: Option<ChildPlace>,
        concurrency: Option<usize>,
        #[cfg(feature = "store")] durable: Option<Arc<DurableLink>>,
    ) -> Self {
        let watched = stall_watched || runtime.is_monitored();
        let (parent, parent_node, path) = match child {
            Some((parent, node, path)) => (Some(parent), node, Some(path)),
            None => (None, 0, None),
        };
        let of_parent = parent.as_deref();
        Self {
            run_id,
            workflow,
            nodes,
            started,
            cancel: RunCancel::new(cancel),
            // A child run records into its parent's trace.
            trace: match of_parent {
                Some(parent) => parent.trace.clone(),
                None => trace.then(|| Arc::new(TraceRecorder::new(workflow, run_id))),
            },
            runtime,
            path,
            item: AtomicUsize::new(NO_ITEM),
            root_workflow: of_parent.map_or(workflow, |p| p.root_workflow),
            parent_node,
            child_item: AtomicUsize::new(NO_ITEM),
            child_progress: AtomicU64::new(0),
            child_reports: Mutex::new(Vec::new()),
            has_child_reports: std::sync::atomic::AtomicBool::new(false),
            waits: Waits::default(),
            attempts_made: OnceLock::new(),
            retry_waits: OnceLock::new(),
            ended: AtomicBool::new(false),
            live: match of_parent {
                Some(parent) => parent.live.is_some() || stall_watched,
                None => watched,
            }
            .then(|| Mutex::new(vec![NodeStatus::NotStarted; nodes.len()])),
            live_children: Mutex::new(Vec::new()),
            #[cfg(feature = "store")]
            durable_run: match of_parent {
                Some(parent) => parent.durable_run,
                None => durable.as_ref().map(|d| d.run.0),
            },
            #[cfg(not(feature = "store"))]
            durable_run: of_parent.and_then(|p| p.durable_run),
            run_key: of_parent.and_then(|p| p.run_key.clone()),
            first_item: 0,
            called_fan_out: None,
            concurrency: concurrency
                .unwrap_or(usize::MAX)
                .max(1)
                .min(of_parent.map_or(usize::MAX, |p| p.concurrency)),
            #[cfg(feature = "store")]
            durable,
            parent,
        }
    }

    /// A child run's parent run (`None` for a root run).
    pub(crate) fn parent(&self) -> Option<&Arc<RunShared>> {
        self.parent.as_ref()
    }

    /// The node of the parent run that runs this child run.
    pub(crate) fn parent_node(&self) -> usize {
        self.parent_node
    }

    /// When the grace of the nearest run above this child run that stops with one ends
    /// (`RunOptions::cancel_grace` reaches the nodes of sub-workflows and fan-out
    /// items): `None` for a root run, or when no run above gave a grace.
    #[cold]
    pub(crate) fn inherited_grace_end(&self) -> Option<Instant> {
        let mut up = self.parent.as_deref();
        while let Some(run) = up {
            if let Some(end) = run.cancel.grace_end.get() {
                return Some(*end);
            }
            up = run.parent.as_deref();
        }
        None
    }

    /// Notes, on the nearest run above that stops with a grace, that this child run's
    /// nodes could not be given it (outside tokio: no timer): that run says so once in
    /// its error (`TokioNeed::CancelGrace`), rather than each child run on the way.
    #[cold]
    pub(crate) fn note_grace_unkept(&self) {
        let mut up = self.parent.as_deref();
        while let Some(run) = up {
            if run.cancel.grace_end.get().is_some() {
                run.cancel.grace_unkept.store(true, Ordering::Relaxed);
                return;
            }
            up = run.parent.as_deref();
        }
    }

    /// The root of this run's tree, whose registry holds its tracked waits.
    pub(crate) fn wait_root(&self) -> &RunShared {
        let mut run = self;
        while let Some(parent) = &run.parent {
            run = parent;
        }
        run
    }

    /// The item of its parent's node this child run is (see `child_item`).
    pub(crate) fn set_child_item(&self, item: usize) {
        self.child_item.store(item, Ordering::Relaxed);
    }

    /// A whole child run (a sub-workflow or fan-out item with policies of its own) whose
    /// future is dropped before it ended: its node's own timeout fired, or its parent
    /// was dropped. Tells the parent what it stopped, as a child run that ends does
    /// (`RunShared::add_child_report`): its nodes in flight cancelled, those not started
    /// skipped, in the report and the trace, so that the node's timeout names them
    /// (`still running: s.inner`) and the run's report lists them. Such a run keeps live
    /// node states for this (see `RunShared::new`); without them, nothing to say.
    #[cold]
    #[inline(never)]
    pub(crate) fn report_dropped_child(&self) {
        let Some(parent) = &self.parent else {
            return;
        };
        if self.live.is_none() {
            return;
        }
        let mut nodes = self.report_so_far().nodes.into_vec();
        for n in &mut nodes {
            let kind = match n.status {
                NodeStatus::Running => {
                    n.status = NodeStatus::Cancelled;
                    TraceKind::Cancelled
                }
                NodeStatus::NotStarted => {
                    n.status = NodeStatus::Skipped;
                    TraceKind::Skipped
                }
                _ => continue,
            };
            self.record_named(n.name.clone(), kind);
        }
        parent.add_child_report(
            self.parent_node,
            self.child_item.load(Ordering::Relaxed),
            nodes,
        );
    }

    /// Shows this child run's nodes in its parent's live snapshot while it is alive.
    /// Nothing when the run keeps no live states.
    pub(crate) fn watch_as_child(self: &Arc<Self>) {
        let (Some(_), Some(parent)) = (&self.live, &self.parent) else {
            return;
        };
        let mut children = lock(&parent.live_children);
        if children.len() == children.capacity() {
            // Ended children go when the list would grow: amortised O(1) per child.
            children.retain(|c| c.strong_count() > 0);
        }
        children.push(Arc::downgrade(self));
    }

    /// Every live status back to not started (a fan-out lane starts its next item).
    pub(crate) fn reset_live(&self) {
        if let Some(live) = &self.live {
            lock(live).fill(NodeStatus::NotStarted);
        }
    }

    /// A node of this run finished: in a child run, its ancestors count it as progress
    /// (see [`take_child_progress`](Self::take_child_progress)). Nothing in a root run.
    #[inline]
    pub(crate) fn note_progress(&self) {
        let mut up = self.parent.as_deref();
        while let Some(run) = up {
            run.child_progress.fetch_add(1, Ordering::Relaxed);
            up = run.parent.as_deref();
        }
    }

    /// Whether a node of a child run finished since the last call (the stall timer asks
    /// before it declares the run stalled).
    pub(crate) fn take_child_progress(&self) -> bool {
        self.child_progress.swap(0, Ordering::Relaxed) != 0
    }

    /// Node `i`'s name in reports, traces and errors: its binding, or in a child run its
    /// path. Borrowed (no allocation) in a root run.
    pub(crate) fn node_name(&self, i: usize) -> NodeName {
        let name = self.nodes[i].name;
        match &self.path {
            None => NodeName::Borrowed(name),
            Some(path) => match self.item.load(Ordering::Relaxed) {
                NO_ITEM => NodeName::Owned(format!("{path}.{name}")),
                item => NodeName::Owned(item_path(path, item, name)),
            },
        }
    }

    /// A fan-out lane starts item `item` (see `executor/items.rs`): its nodes' names and
    /// attempts are that item's.
    pub(crate) fn set_item(&self, item: usize) {
        self.item.store(item, Ordering::Relaxed);
        if let Some(made) = self.attempts_made.get() {
            for a in made.iter() {
                a.store(0, Ordering::Relaxed);
            }
        }
    }

    /// Takes the reports of child runs started since the last call (a lane's item's
    /// sub-workflows and nested fan-outs), each with the node that ran it.
    pub(crate) fn take_child_reports(&self) -> Vec<(usize, Vec<NodeReport>)> {
        if !self.has_child_reports.load(Ordering::Acquire)
            || !self.has_child_reports.swap(false, Ordering::Acquire)
        {
            return Vec::new();
        }
        let children = std::mem::take(&mut *lock(&self.child_reports));
        if children.is_empty() {
            return Vec::new();
        }
        last_of_each(children)
            .into_iter()
            .map(|c| (c.key.0, c.nodes))
            .collect()
    }

    /// Keeps the reports of a child run started by node `node` (item `item` of a fan-out,
    /// `usize::MAX` for a sub-workflow) for this run's report.
    pub(crate) fn add_child_report(&self, node: usize, item: usize, nodes: Vec<NodeReport>) {
        lock(&self.child_reports).push(ChildReport {
            key: (node, item),
            nodes,
        });
        self.has_child_reports.store(true, Ordering::Release);
    }

    /// The nodes of node `node`'s child runs (a sub-workflow's, a fan-out's items') that
    /// were stopped while running, by path (`front.html`, `thumbs[3].img`), as their
    /// runs reported them so far: what a stopped run's error names in place of the node
    /// that ran them (a cold path).
    pub(crate) fn cancelled_children(&self, node: usize) -> Vec<NodeName> {
        if !self.has_child_reports.load(Ordering::Acquire) {
            return Vec::new();
        }
        let reports = lock(&self.child_reports);
        let of_node: Vec<&ChildReport> = reports.iter().filter(|c| c.key.0 == node).collect();
        // A retried node ran its children again: only its last attempt's count.
        let cancelled: Vec<NodeName> = of_node
            .iter()
            .enumerate()
            .filter(|(at, c)| of_node[at + 1..].iter().all(|later| later.key != c.key))
            .flat_map(|(_, c)| &c.nodes)
            .filter(|n| n.status == NodeStatus::Cancelled)
            .map(|n| n.name.clone())
            .collect();
        // A child's node that ran a child run of its own (`deep.inner` running
        // `deep.inner.f`) is named by its stopped nodes only, as this run's own are.
        let runs_children = |name: &str| {
            cancelled.iter().any(|other| {
                other
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
        };
        cancelled
            .iter()
            .filter(|n| !runs_children(n))
            .cloned()
            .collect()
    }

    /// This run's node reports (`own`, one per node of its plan, by index) with the
    /// reports of its child runs after the node that ran them, items in order. In a
    /// child run, its own nodes are renamed to their paths.
    ///
    /// Inlined for a root run without children (most runs): their reports are `own`,
    /// with no call (~25 instructions a run, issue 17).
    #[inline]
    pub(crate) fn merge_reports(&self, own: NodeReports) -> NodeReports {
        if self.path.is_none() && !self.has_child_reports.load(Ordering::Acquire) {
            return own;
        }
        NodeReports::from(self.merge_child_reports(own.into_vec()))
    }

    /// [`merge_reports`](Self::merge_reports) of a child run, or of a run with children.
    #[inline(never)]
    fn merge_child_reports(&self, mut own: Vec<NodeReport>) -> Vec<NodeReport> {
        if let Some(path) = &self.path {
            for r in &mut own {
                r.name = NodeName::Owned(format!("{path}.{}", r.name));
            }
        }
        // No lock for a run without children (every child's report sets the flag).
        if !self.has_child_reports.load(Ordering::Acquire) {
            return own;
        }
        let children = std::mem::take(&mut *lock(&self.child_reports));
        if children.is_empty() {
            return own;
        }
        let mut children = last_of_each(children);
        if let [only] = children.as_mut_slice() {
            // One child (a fan-out's items, thousands of entries): the report is built
            // in its vector, which has room for this run's own entries.
            let at = (only.key.0 + 1).min(own.len());
            let mut out = std::mem::take(&mut only.nodes);
            out.splice(0..0, own.drain(..at));
            out.append(&mut own);
            return out;
        }
        let total = own.len() + children.iter().map(|c| c.nodes.len()).sum::<usize>();
        let mut out = Vec::with_capacity(total);
        let mut children = children.into_iter().peekable();
        for (i, report) in own.into_iter().enumerate() {
            out.push(report);
            while let Some(child) = children.next_if(|c| c.key.0 == i) {
                out.extend(child.nodes);
            }
        }
        out
    }

    /// Records a trace event for a node named `name` of a child run (one that has no
    /// run of its own: a fan-out item never started).
    #[cold]
    pub(crate) fn record_named(&self, name: NodeName, kind: TraceKind) {
        if let Some(trace) = &self.trace {
            trace.push(TraceEvent {
                at: self.started.elapsed(),
                node: Some(name),
                kind,
            });
        }
    }

    /// Records a trace event if the run is traced. Off the trace, this is one branch.
    #[inline]
    pub(crate) fn record(&self, node: Option<usize>, kind: TraceKind) {
        if let Some(trace) = &self.trace {
            self.push_event(trace, node, kind);
        }
    }

    /// Like [`record`](Self::record), for events whose data costs something to build
    /// (strings): `kind` runs only when the run is traced.
    #[inline]
    pub(crate) fn record_with(&self, node: Option<usize>, kind: impl FnOnce() -> TraceKind) {
        if let Some(trace) = &self.trace {
            self.push_event(trace, node, kind());
        }
    }

    #[cold]
    fn push_event(&self, trace: &TraceRecorder, node: Option<usize>, kind: TraceKind) {
        // A child run's start and end are its parent node's start and end.
        if node.is_none() && self.path.is_some() {
            return;
        }
        trace.push(TraceEvent {
            at: self.started.elapsed(),
            node: node.map(|i| self.node_name(i)),
            kind,
        });
    }

    /// Whether live statuses are kept (someone monitors runs): the status writer's
    /// inline test before its out-of-line writes.
    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// Sets node `node`'s live status (for monitors). Only the status writer calls this.
    #[inline]
    pub(crate) fn set_live(&self, node: usize, status: NodeStatus) {
        if let Some(live) = &self.live {
            lock(live)[node] = status;
        }
    }

    /// The run's future got to its end: a drop from now on is not a run cut short.
    #[inline]
    pub(crate) fn mark_ended(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }

    /// Whether [`mark_ended`](Self::mark_ended) was called.
    #[inline]
    pub(crate) fn has_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// Notes that node `node`'s attempt `attempt` has called its fn (its call was polled).
    pub(crate) fn note_attempt(&self, node: usize, attempt: u32) {
        let made = self
            .attempts_made
            .get_or_init(|| self.nodes.iter().map(|_| AtomicU32::new(0)).collect());
        made[node].store(attempt, Ordering::Relaxed);
    }

    /// The latest attempt of `node` whose fn was called, as noted by
    /// [`note_attempt`](Self::note_attempt); 0 when none was.
    pub(crate) fn attempts_made(&self, node: usize) -> u32 {
        self.attempts_made
            .get()
            .map_or(0, |made| made[node].load(Ordering::Relaxed))
    }

    /// The root run of this run's tree (this run, if it has no parent).
    fn root(&self) -> &RunShared {
        let mut run = self;
        while let Some(parent) = &run.parent {
            run = parent;
        }
        run
    }

    /// Node `node`'s attempt `attempt` failed with `error`, and the node now waits
    /// `delay` before its next attempt: noted in the root run under the node's path
    /// (see [`RunShared::retry_waits`]). Cold: only a retry gets here.
    #[cold]
    pub(crate) fn note_retry_wait(
        &self,
        node: usize,
        attempt: u32,
        delay: Duration,
        error: String,
    ) {
        let name = self.node_name(node);
        let due = crate::sync::deadline_after(delay);
        let mut waits = lock(self.root().retry_waits.get_or_init(Box::default));
        waits.waits.retain(|n| n.wait.node != name);
        waits.waits.push(NotedWait {
            wait: RetryWait {
                node: name,
                attempt,
                error,
                delay,
            },
            due,
            stopped: false,
        });
    }

    /// Node `node` was stopped while it waited out a retry's backoff (its attempt's
    /// future was dropped: a failing sibling's cancel, a `total_timeout`, the run's
    /// stop): it waits no longer, so a snapshot (`RunSnapshot::retrying`) and the stall
    /// timer stop counting it as progress. The wait stays noted, marked stopped, for
    /// the error of the run's end ([`name_retry_waits`](Self::name_retry_waits)) to say
    /// the node was waiting to retry. Cold: only a retry's backoff gets here.
    #[cold]
    pub(crate) fn stop_retry_wait(&self, node: usize) {
        if let Some(waits) = self.root().retry_waits.get() {
            let name = self.node_name(node);
            let mut waits = lock(waits);
            for noted in waits.waits.iter_mut().filter(|n| n.wait.node == name) {
                noted.stopped = true;
            }
        }
    }

    /// The latest retry progress of this run's tree: when a node waiting out a retry's
    /// backoff is due to begin its next attempt, or when the last such attempt began.
    /// The stall timer counts its limit from there, as from a node that finished: a
    /// backoff is progress the runtime has scheduled, not a stall. A wait whose node
    /// was stopped during it ([`stop_retry_wait`](Self::stop_retry_wait)) schedules
    /// nothing. Cold: only a stall timer that fired asks.
    #[cold]
    pub(crate) fn last_retry_progress(&self) -> Option<Instant> {
        let waits = lock(self.root().retry_waits.get()?);
        waits
            .waits
            .iter()
            .filter(|n| !n.stopped)
            .map(|n| n.due)
            .chain(waits.last_begun)
            .max()
    }

    /// The retry waits of this run's tree, for a snapshot (`RunSnapshot::retrying`):
    /// those of nodes still waiting, not of nodes stopped in their wait. Not filtered by
    /// time: a watchdog thread takes its picture of a run on a paused clock with the
    /// real clock's `now`, which says nothing of the run's.
    fn retry_waits_noted(&self) -> Vec<RetryWait> {
        let Some(waits) = self.root().retry_waits.get() else {
            return Vec::new();
        };
        lock(waits)
            .waits
            .iter()
            .filter(|n| !n.stopped)
            .map(|n| n.wait.clone())
            .collect()
    }

    /// Node `node` begins an attempt: it waits no longer. Also at its first attempt, in
    /// case a node of the same path (in an earlier run of a retried sub-workflow or
    /// fan-out) was stopped while it waited. Nothing to do, a load, until a node of the
    /// run tree has waited to retry.
    #[inline]
    pub(crate) fn end_retry_wait(&self, node: usize) {
        if let Some(waits) = self.root().retry_waits.get() {
            let name = self.node_name(node);
            let mut waits = lock(waits);
            let before = waits.waits.len();
            waits.waits.retain(|n| n.wait.node != name);
            if waits.waits.len() < before {
                waits.last_begun = Some(Instant::now());
            }
        }
    }

    /// Adds to the timeouts and cancellations in `error` (in a [`WorkflowError::Multiple`]
    /// too) the nodes of their `running` that were waiting to retry when they were
    /// stopped, as [`note_retry_wait`](Self::note_retry_wait) noted them (stopped in
    /// their wait, as they were: [`stop_retry_wait`](Self::stop_retry_wait)). Cold: a
    /// run's error.
    #[cold]
    pub(crate) fn name_retry_waits(&self, error: &mut WorkflowError) {
        let Some(waits) = self.root().retry_waits.get() else {
            return;
        };
        fn add(error: &mut WorkflowError, waits: &[NotedWait]) {
            match error {
                WorkflowError::Timeout {
                    running, retrying, ..
                }
                | WorkflowError::Cancelled {
                    running, retrying, ..
                } => {
                    for name in running.iter() {
                        let noted = waits.iter().map(|n| &n.wait).find(|w| w.node == *name);
                        if let Some(wait) = noted.filter(|w| !retrying.contains(w)) {
                            retrying.push(wait.clone());
                        }
                    }
                }
                WorkflowError::Multiple { errors, .. } => {
                    errors.iter_mut().for_each(|e| add(e, waits));
                }
                WorkflowError::Store {
                    run_error: Some(e), ..
                } => add(e, waits),
                _ => {}
            }
        }
        add(error, &lock(waits).waits);
    }

    /// A picture of the run for monitors: node states, waits and the trace so far.
    pub(crate) fn snapshot(&self) -> RunSnapshot {
        let waits = super::waits::waiting_on(self);
        let statuses = self
            .live
            .as_ref()
            .map(|l| lock(l).clone())
            .unwrap_or_default();
        RunSnapshot {
            workflow: self.workflow,
            run_id: self.run_id,
            harness_number: None,
            elapsed: self.started.elapsed(),
            nodes: self
                .nodes
                .iter()
                .enumerate()
                .map(|(i, spec)| SnapshotNode {
                    name: spec.name,
                    status: statuses.get(i).copied().unwrap_or(NodeStatus::NotStarted),
                    waits_for: waits.get(&i).cloned(),
                })
                .collect(),
            children: self.child_snapshots(),
            trace: self.trace.as_deref().map(TraceRecorder::snapshot),
            retrying: self.retry_waits_noted(),
        }
    }

    /// The run's report so far (a cold path, for [`RunHandle::report_so_far`]): each
    /// node as it stands now (`Running` for one in flight), the reports of its finished
    /// child runs and the nodes of those still going, in report order. Attempts, start
    /// times and durations come from the trace when the run is traced; otherwise a
    /// started node counts one attempt (or those noted) and has no times.
    ///
    /// [`RunHandle::report_so_far`]: crate::RunHandle::report_so_far
    #[cold]
    pub(crate) fn report_so_far(&self) -> RunReport {
        let trace = self.trace.as_deref().map(TraceRecorder::snapshot);
        let now = self.started.elapsed();
        let traced = trace.as_ref().map(TracedNodes::of).unwrap_or_default();
        let nodes = self.nodes_so_far(&traced, now);
        let nodes = self.with_traced_children(nodes, &traced, now);
        RunReport {
            workflow: self.workflow,
            run_id: self.run_id,
            durable_run: self.durable_run,
            duration: now,
            nodes: NodeReports::from(nodes),
        }
    }

    /// `nodes` with the nodes of child runs that only the trace knows of yet (a
    /// fan-out keeps its finished items' reports until it ends), each after the nodes
    /// of the binding that ran it, items in order.
    fn with_traced_children(
        &self,
        nodes: Vec<NodeReport>,
        traced: &TracedNodes<'_>,
        now: Duration,
    ) -> Vec<NodeReport> {
        let known: std::collections::HashSet<&str> = nodes.iter().map(|n| &*n.name).collect();
        let order: Vec<&str> = traced
            .order
            .iter()
            .copied()
            .filter(|name| name.contains(['.', '[']) && !known.contains(name))
            .collect();
        let seen = &traced.nodes;
        if order.is_empty() {
            return nodes;
        }
        // The binding of this run a path starts with (`naps` in `naps[3].n`).
        let root = |name: &str| name.split(['.', '[']).next().unwrap_or(name).to_owned();
        // A fan-out's body has no plan in its node's spec: its items' fns are those of
        // the items the report has (`naps[3].n` is a `naps[_].n`).
        let without_items = |name: &str| {
            let mut out = String::with_capacity(name.len());
            let mut in_index = false;
            for c in name.chars() {
                match c {
                    '[' => in_index = true,
                    ']' => in_index = false,
                    c if !in_index => out.push(c),
                    _ => {}
                }
            }
            out
        };
        let fns: std::collections::HashMap<String, &'static str> = nodes
            .iter()
            .filter(|n| n.name.contains('['))
            .map(|n| (without_items(&n.name), n.node_fn))
            .collect();
        let node_fn = |name: &str| match self.node_fn_at(name) {
            "" => fns.get(&without_items(name)).copied().unwrap_or(""),
            found => found,
        };
        let mut extra: Vec<NodeReport> = order
            .into_iter()
            .map(|name| {
                let s = &seen[name];
                NodeReport {
                    name: NodeName::Owned(name.to_owned()),
                    node_fn: node_fn(name),
                    status: s.status,
                    attempts: s.attempts,
                    duration: s.duration(now),
                    started_at: s.started_at,
                }
            })
            .collect();
        let mut out = Vec::with_capacity(nodes.len() + extra.len());
        let mut group: Vec<NodeReport> = Vec::new();
        let flush = |group: &mut Vec<NodeReport>,
                     extra: &mut Vec<NodeReport>,
                     out: &mut Vec<NodeReport>| {
            let Some(first) = group.first() else { return };
            let binding = root(&first.name);
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(extra)
                .into_iter()
                .partition(|n| root(&n.name) == binding);
            *extra = rest;
            let head = group.remove(0);
            group.extend(mine);
            group.sort_by_key(|n| item_of(&n.name));
            out.push(head);
            out.append(group);
        };
        for node in nodes {
            if !node.name.contains(['.', '[']) {
                flush(&mut group, &mut extra, &mut out);
            }
            group.push(node);
        }
        flush(&mut group, &mut extra, &mut out);
        out.append(&mut extra);
        out
    }

    /// The `#[node]` fn of the node at `path` (`naps[3].n`, `report.layout`), found
    /// through the plans of the bindings along it; `""` if the path names none.
    fn node_fn_at(&self, path: &str) -> &'static str {
        let mut nodes = self.nodes;
        let mut found = "";
        for part in path.split('.') {
            let binding = part.split('[').next().unwrap_or(part);
            let Some(spec) = nodes.iter().find(|n| n.name == binding) else {
                return "";
            };
            found = spec.node_fn;
            nodes = spec.child.map_or(&[], |plan| plan.nodes);
        }
        found
    }

    /// [`report_so_far`](Self::report_so_far)'s nodes of this run and of its children.
    /// `now`: the time since the root run started, the trace's clock.
    fn nodes_so_far(&self, traced: &TracedNodes<'_>, now: Duration) -> Vec<NodeReport> {
        let statuses = self
            .live
            .as_ref()
            .map(|l| lock(l).clone())
            .unwrap_or_default();
        let own = self.nodes.iter().enumerate().map(|(i, spec)| {
            let name = self.node_name(i);
            let status = statuses.get(i).copied().unwrap_or(NodeStatus::NotStarted);
            let started = matches!(
                status,
                NodeStatus::Running
                    | NodeStatus::Succeeded
                    | NodeStatus::Failed
                    | NodeStatus::Cancelled
            );
            let seen = traced.nodes.get(&*name);
            let attempts = match (seen.map_or(0, |s| s.attempts), started) {
                (0, true) => self.attempts_made(i).max(1),
                (traced, _) => traced,
            };
            NodeReport {
                duration: seen.map_or(Duration::ZERO, |s| s.duration(now)),
                started_at: seen.and_then(|s| s.started_at),
                name,
                node_fn: spec.node_fn,
                status,
                attempts,
            }
        });
        let mut children: Vec<(usize, Vec<NodeReport>)> = Vec::new();
        if self.has_child_reports.load(Ordering::Acquire) {
            let finished: Vec<ChildReport> = lock(&self.child_reports)
                .iter()
                .map(|c| ChildReport {
                    key: c.key,
                    nodes: c.nodes.clone(),
                })
                .collect();
            children.extend(
                last_of_each(finished)
                    .into_iter()
                    .map(|c| (c.key.0, c.nodes)),
            );
        }
        for (child, _) in self.live_child_runs() {
            children.push((child.parent_node, child.nodes_so_far(traced, now)));
        }
        // Stable: finished items before the one running now, in their order.
        children.sort_by_key(|(node, _)| *node);
        let mut children = children.into_iter().peekable();
        let mut out = Vec::with_capacity(self.nodes.len());
        for (i, report) in own.enumerate() {
            out.push(report);
            while let Some((_, nodes)) = children.next_if(|(node, _)| *node == i) {
                out.extend(nodes);
            }
        }
        out
    }

    /// The running nodes of the live child runs below this run's node `node` (a fan-out
    /// or sub-workflow node), innermost and by path (`items[2].x`, not `items`): what a
    /// stall report names for a node that is not in a tracked wait. Empty when the run
    /// keeps no live states (it is neither monitored nor stall-watched).
    #[cold]
    pub(crate) fn running_children_under(&self, node: usize) -> Vec<NodeName> {
        let mut out = Vec::new();
        for (child, statuses) in self.live_child_runs() {
            if child.parent_node != node {
                continue;
            }
            for (i, status) in statuses.into_iter().enumerate() {
                if status != NodeStatus::Running {
                    continue;
                }
                let below = child.running_children_under(i);
                if below.is_empty() {
                    out.push(child.node_name(i));
                } else {
                    out.extend(below);
                }
            }
        }
        out
    }

    /// The child runs alive now that keep live states, with their node states.
    fn live_child_runs(&self) -> Vec<(Arc<RunShared>, Vec<NodeStatus>)> {
        let children: Vec<Arc<RunShared>> = lock(&self.live_children)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        children
            .into_iter()
            .filter_map(|child| {
                let statuses = lock(child.live.as_ref()?).clone();
                Some((child, statuses))
            })
            .collect()
    }

    /// The nodes of the child runs alive now (and of theirs), named by their paths.
    fn child_snapshots(&self) -> Vec<SnapshotChildNode> {
        let mut out = Vec::new();
        for (child, statuses) in self.live_child_runs() {
            let waits = super::waits::waiting_on(&child);
            out.extend(
                statuses
                    .iter()
                    .enumerate()
                    .map(|(i, &status)| SnapshotChildNode {
                        name: child.node_name(i),
                        status,
                        waits_for: waits.get(&i).cloned(),
                    }),
            );
            out.extend(child.child_snapshots());
        }
        out
    }
}

/// What a run's trace says of each node, read in one pass (for a report so far).
#[derive(Default)]
struct TracedNodes<'a> {
    /// The nodes in the order the trace first names them.
    order: Vec<&'a str>,
    nodes: std::collections::HashMap<&'a str, TracedNode>,
}

/// One node as the trace tells it: attempts started, first start, end, last state.
struct TracedNode {
    started_at: Option<Duration>,
    ended_at: Option<Duration>,
    attempts: u32,
    status: NodeStatus,
}

impl TracedNode {
    /// From its first start to its end, or to `now` if it has not ended.
    fn duration(&self, now: Duration) -> Duration {
        self.started_at.map_or(Duration::ZERO, |at| {
            self.ended_at.unwrap_or(now).saturating_sub(at)
        })
    }
}

impl<'a> TracedNodes<'a> {
    fn of(trace: &'a ExecutionTrace) -> Self {
        let mut out = TracedNodes::default();
        for event in &trace.events {
            let Some(name) = event.node.as_deref() else {
                continue;
            };
            let entry = out.nodes.entry(name).or_insert_with(|| {
                out.order.push(name);
                TracedNode {
                    started_at: None,
                    ended_at: None,
                    attempts: 0,
                    status: NodeStatus::NotStarted,
                }
            });
            entry.status = match &event.kind {
                TraceKind::Started { .. } => {
                    entry.attempts += 1;
                    entry.started_at.get_or_insert(event.at);
                    NodeStatus::Running
                }
                TraceKind::Completed { .. } => NodeStatus::Succeeded,
                TraceKind::Failed { .. } => NodeStatus::Failed,
                TraceKind::Cancelled => NodeStatus::Cancelled,
                TraceKind::Skipped => NodeStatus::Skipped,
                TraceKind::Restored => NodeStatus::Restored,
                TraceKind::NotTaken => NodeStatus::NotTaken,
                _ => continue,
            };
            if matches!(
                entry.status,
                NodeStatus::Succeeded | NodeStatus::Failed | NodeStatus::Cancelled
            ) {
                entry.ended_at.get_or_insert(event.at);
            }
        }
        out
    }
}

/// The item index a node's path starts with (`3` in `naps[3].n`), for ordering a
/// fan-out's items; `None` (first) for a path without one.
fn item_of(path: &str) -> Option<usize> {
    let (_, rest) = path.split_once('[')?;
    rest.split_once(']')?.0.parse().ok()
}

/// `<path>[<item>].<name>`, the name of a fan-out item's node, in one allocation.
pub(crate) fn item_path(path: &str, item: usize, name: &str) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = item;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = &digits[at..];
    let mut out = String::with_capacity(path.len() + digits.len() + name.len() + 3);
    out.push_str(path);
    out.push('[');
    for &d in digits {
        out.push(char::from(d));
    }
    out.push_str("].");
    out.push_str(name);
    out
}

/// The retry waits of a run tree ([`RunShared::note_retry_wait`]).
#[derive(Default)]
pub(crate) struct RetryWaits {
    /// The nodes waiting out a backoff, by path, and those stopped in their wait.
    waits: Vec<NotedWait>,
    /// When the last attempt after a backoff began.
    last_begun: Option<Instant>,
}

/// A node's wait between two attempts ([`RetryWaits`]).
struct NotedWait {
    wait: RetryWait,
    /// When its next attempt is due.
    due: Instant,
    /// The node was stopped during the wait ([`RunShared::stop_retry_wait`]): kept for
    /// the run's error, no longer waiting.
    stopped: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A waker that wakes no one: what counts is how many hold it.
    struct Nothing;

    impl std::task::Wake for Nothing {
        fn wake(self: Arc<Self>) {}
    }

    /// A token made while the run registers its waker to wait for one: whichever way
    /// the two interleave, no waker is left in the slot (it would be kept for the
    /// run's life, and a spawned nodes' outcome queue, the waker a run registers there,
    /// holds the run's shared state: a cycle that kept the run's tasks counted live on
    /// the runtime, and `Runtime::shutdown` waited for them forever).
    #[test]
    fn a_token_made_while_the_run_starts_watching_leaves_no_waker_behind() {
        for round in 0..5_000 {
            let cancel = RunCancel::new(None);
            let counted = Arc::new(Nothing);
            let waker = Waker::from(Arc::clone(&counted));
            let start = std::sync::Barrier::new(2);
            let watched = std::thread::scope(|s| {
                let maker = s.spawn(|| {
                    start.wait();
                    cancel.token();
                });
                start.wait();
                let watched = cancel.watch(&waker).is_some();
                maker.join().unwrap();
                watched
            });
            if watched {
                assert!(
                    lock(&cancel.waker).is_none(),
                    "round {round}: the token was there, and the run's waker stayed"
                );
            }
            drop(waker);
            drop(cancel);
            assert_eq!(Arc::strong_count(&counted), 1, "round {round}");
        }
    }
}
