//! [`RunShared`]: the state the nodes of one run share with its driver.
//!
//! - `mod.rs`: [`RunShared`] itself, where a child run sits in its tree, node names, trace
//!   records, live statuses and attempts.
//! - `slot`: [`RunSlot`], a run future's hold on its state, made only when first shared.
//! - `cancel`: [`RunCancel`], the run's cancellation token, made only when asked for.
//! - `durable_link`: `DurableLink`, a durable run's record queue and restorable item rows.
//! - `children`: the reports of child runs (fan-out items, sub-workflows) and how they
//!   merge into the parent's.
//! - `retry_waits`: the nodes of a run tree waiting between two attempts.
//! - `live`: a live run's snapshot, its report so far and its running children.

mod cancel;
mod children;
#[cfg(feature = "store")]
mod durable_link;
mod live;
mod retry_waits;
mod slot;

pub(crate) use cancel::RunCancel;
#[cfg(feature = "store")]
pub(crate) use durable_link::DurableLink;
pub(crate) use slot::RunSlot;

use children::{ChildReport, NO_ITEM};
use retry_waits::RetryWaits;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::waits::Waits;
use crate::error::NodeName;
use crate::plan::NodeSpec;
use crate::run::NodeStatus;
use crate::shared::RuntimeShared;
use crate::sync::lock;
use crate::trace::{TraceEvent, TraceKind, TraceRecorder};

/// State shared by the nodes of one run (one allocation per run).
pub(crate) struct RunShared {
    pub(crate) run_id: u64,
    /// What its retries' jitter is drawn from with the runtime's seed
    /// (`RuntimeShared::jitter_key`); a child run has its root's.
    pub(crate) jitter_key: u64,
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
    /// The fan-outs of a run that keeps live states, whose finished items only they know
    /// of until they end (a lane's run shows only the item it runs now): read by
    /// [`RunShared::report_so_far`]; empty (no allocation) otherwise.
    live_feeds: Mutex<Vec<Weak<dyn FinishedItems>>>,
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
        let jitter_key = match of_parent {
            Some(parent) => parent.jitter_key,
            None => runtime.jitter_key(run_id),
        };
        Self {
            run_id,
            jitter_key,
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
            live_feeds: Mutex::new(Vec::new()),
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

    /// Shows the finished items of `feed` (a fan-out run by one of this run's nodes) in
    /// this run's [`report_so_far`](Self::report_so_far) until the fan-out ends. Nothing
    /// when the run keeps no live states.
    pub(crate) fn watch_feed(&self, feed: Weak<dyn FinishedItems>) {
        if self.live.is_none() {
            return;
        }
        let mut feeds = lock(&self.live_feeds);
        if feeds.len() == feeds.capacity() {
            feeds.retain(|f| f.strong_count() > 0);
        }
        feeds.push(feed);
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

/// A fan-out's items that finished, as its run's report so far lists them (see
/// [`RunShared::watch_feed`]): implemented by the executor's feed of items.
pub(crate) trait FinishedItems: Send + Sync {
    /// The node of the parent run that runs the fan-out, and each item that finished
    /// (its index, as a lane running it names it) with the reports of its nodes, by
    /// path (`thumbs[3].img`), items in order; none once the fan-out handed its reports
    /// to the run (they are in its child reports).
    #[allow(clippy::type_complexity)]
    fn finished_so_far(&self) -> (usize, Vec<(usize, Vec<crate::run::NodeReport>)>);
}
