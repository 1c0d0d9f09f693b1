//! The driver: the loop that runs one workflow inside the caller's task.
//!
//! It starts every node whose inputs are ready, polls it once in its cell, polls pending
//! nodes when their wakers fire, stores outputs and schedules successors, and stops the
//! run on the first event that ends it (done, failure, timeout, stall, deadlock,
//! cancellation).
//!
//! This file holds the driver's state and its loop (`run`, `poll_nodes`), how nodes
//! start and how their ends are recorded. The rest, by concept: `counts` (each node's
//! predecessors left, the ready queue), `waiting` (what a poll does before it waits,
//! and the wake-ups of spawned nodes), `stop` (errors and `abort`), `restore` (a
//! durable run's resume), `fused` (fused segments).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::time::Sleep;
use tokio_util::sync::WaitForCancellationFuture;

use super::attempt::{
    self, node_span, node_spans_possible, supervises_all, Finished, Mode, NodeFailure,
};
use super::cells::{NodeStarter, Op};
use super::status::Statuses;
use super::wake::PendingNodes;
use super::workflow::Workflow;
use crate::error::{DeadlockKind, TimeoutScope, WorkflowError};
use crate::policy::FailurePolicy;
use crate::run::{NodeRecord, RunOptions};
use crate::shared::RunSlot;
use crate::trace::TraceKind;

mod counts;
mod fused;
#[cfg(feature = "store")]
mod restore;
mod stall;
mod stop;
mod waiting;

use counts::{each_successor, Counts, Roots};
use stall::Stall;

/// What ends the run's poll loop.
///
/// A failure is boxed: the event is returned through every layer of the run's poll
/// (`step_spawned`, `poll_event`, the driver's future) on each wake-up, mostly as
/// `Pending`, and a `WorkflowError` in place made each of those results ~90 bytes,
/// copied at every layer (issue 17); boxed, it fits in two registers.
enum Event {
    Done,
    Failed(Box<WorkflowError>),
    TimedOut,
    /// No node progressed for the stall limit.
    Stalled(Duration),
    /// Every live node is blocked in a tracked wait.
    AllWaiting,
    Cancelled,
}

impl Event {
    /// The run stops on `error` (out of line: rare, and off every node's path).
    #[cold]
    #[inline(never)]
    fn failed(error: WorkflowError) -> Self {
        Self::Failed(Box::new(error))
    }
}

/// Nodes one poll of the run may finish before it yields to other tasks, so a long
/// chain of nodes that complete at once cannot starve the worker thread.
const INLINE_BUDGET: usize = 4096;

/// Time one poll of the run may take (measured from its first [`BUDGET_CHECK_EVERY`]
/// nodes on) before it yields, however few nodes that was. A yield costs a wake-up
/// (often of another worker thread), so it is worth it only for slow nodes.
const INLINE_TIME_BUDGET: Duration = Duration::from_micros(500);

/// How often (in finished nodes) one poll of the run looks at [`INLINE_TIME_BUDGET`].
const BUDGET_CHECK_EVERY: usize = 128;

/// How often (in finished nodes) one poll of the run checks for cancellation by a
/// node itself; cancellation from outside wakes the run, and is seen at once.
const CANCEL_CHECK_EVERY: usize = 16;

/// The run's limits, from its options over the workflow's policy.
pub(super) struct Limits {
    /// The whole run's time limit.
    pub(super) timeout: Option<Duration>,
    /// Longest time without a node finishing (the `deadlock = ".."` policy).
    pub(super) stall: Option<Duration>,
    /// How long a stopping run gives its nodes to notice.
    pub(super) grace: Option<Duration>,
}

impl Limits {
    /// No limits.
    pub(super) const NONE: Self = Self {
        timeout: None,
        stall: None,
        grace: None,
    };

    /// The limits of a run with `opts`, boxed (most runs have none: then `None`, and
    /// the run's future keeps 8 bytes for them rather than 48).
    pub(super) fn new<W: Workflow>(opts: &RunOptions) -> Option<Box<Self>> {
        let policy = &W::PLAN.policy;
        let limits = Self {
            timeout: opts.timeout.or(policy.timeout),
            stall: opts.deadlock.or(policy.deadlock),
            grace: opts.cancel_grace,
        };
        let none = limits.timeout.is_none() && limits.stall.is_none() && limits.grace.is_none();
        (!none).then(|| Box::new(limits))
    }
}

/// Whether every node of `plan` runs inline ([`Mode::Inline`]) in a run that does not
/// supervise them all: [`Mode::of`] asked of each node, at compile time, per workflow.
pub(super) const fn all_inline(plan: &crate::plan::Plan) -> bool {
    all_of_mode(plan, Mode::Inline)
}

/// Whether every node of `plan` runs in a task of its own reporting to the outcome
/// queue ([`Mode::Spawned`]) in a run that does not supervise them all, asked at
/// compile time: then a spawned chain's, fan-out's or lattice's successor is not looked
/// up in the plan as it starts (`Driver::step_spawned`; ~11 instructions a node, issue
/// 17).
pub(super) const fn all_spawned(plan: &crate::plan::Plan) -> bool {
    all_of_mode(plan, Mode::Spawned)
}

/// Whether [`Mode::of`] says `mode` of every node of `plan`, in a run that does not
/// supervise them all.
const fn all_of_mode(plan: &crate::plan::Plan, mode: Mode) -> bool {
    let mut k = 0;
    while k < plan.nodes.len() {
        let same = match (Mode::of(&plan.nodes[k], false), mode) {
            (Mode::Inline, Mode::Inline) | (Mode::Spawned, Mode::Spawned) => true,
            (Mode::Supervised { spawned: a }, Mode::Supervised { spawned: b }) => a == b,
            _ => false,
        };
        if !same {
            return false;
        }
        k += 1;
    }
    true
}

/// Records that node `s` is scheduled, in a run that is not quiet: out of line, so
/// that the closure [`Driver::stored`] hands to `each_successor` stays small enough to
/// be inlined (issue 17: with the run's state made lazily, its trace test is larger,
/// and the closure was left out of line, ~24 instructions a node).
#[cold]
#[inline(never)]
fn record_scheduled(shared: &RunSlot, s: usize) {
    shared.record(Some(s), TraceKind::Scheduled);
}

/// Calls the generated cell table `cells` (see [`start_node`](super::cells::start_node))
/// with `op` on node `i`, out of line: every call of the table but the plain path's
/// start ([`Driver::start_quiet`]) goes through here. The table is
/// `#[inline(always)]` (`workflow!`'s `Workflow::run`), so that it is inlined into that
/// one start, the path of every node of a plain run, where the call cost ~38
/// instructions a node (its frame, the `Op` and the outcome through memory; issue 17);
/// this keeps the other calls one copy of the table, as before.
#[inline(never)]
pub(super) fn call_cells<S, V, C>(
    cells: &mut C,
    state: &mut S,
    i: usize,
    op: Op<'_, '_>,
) -> Poll<Finished<V>>
where
    C: FnMut(&mut S, usize, Op<'_, '_>) -> Poll<Finished<V>>,
{
    cells(state, i, op)
}

/// A stall timer (see [`Stall`]), boxed: the run's future holds one word for it.
type StallTimer = Box<Stall>;

/// The state of one run while it is driven.
pub(super) struct Driver<'a, W: Workflow, C> {
    shared: &'a RunSlot,
    /// The workflow's output slots.
    pub(super) state: W::State,
    /// The generated cell table: `cells(state, i, op)` does `op` on node `i`'s cell
    /// (see [`start_node`](super::cells::start_node)).
    cells: C,
    /// Each node's predecessors still to finish, and the ready queue.
    deps: Counts<W>,
    /// Every node is supervised, whatever its policy (see [`Mode::of`]).
    supervise_all: bool,
    /// The pending nodes, with the driver's parts that a run whose nodes all end in
    /// their first poll never touches ([`Cold`]): boxed, out of the run's future (see
    /// `Executor::run` on its size), and only once a node is pending (or a durable
    /// run's state, an error kept, a cancellation watched needs a place).
    pub(super) pending: ColdBox<W::Value>,
    pub(super) statuses: Statuses,
    concurrency: usize,
    failure: FailurePolicy,
    /// Nodes that must never start (downstream of a failure, `failure = continue`).
    /// Read for every successor of a finished node: not in the box.
    /// (A boxed slice, not a `Vec`: its length never changes once made, and the run's
    /// future is one word smaller.)
    blocked: Box<[bool]>,
    /// The `tracing` spans of running inline nodes (other nodes have theirs in their
    /// futures). Empty while no subscriber wants them.
    /// (A boxed slice, as `blocked`.)
    pub(super) spans: Box<[tracing::Span]>,
    /// `shared.started.elapsed()` as last read in this poll of the run. A root run's
    /// first poll is the one that read its start (`lifecycle::begin`): zero then, no
    /// second reading.
    clock: Option<Duration>,
    /// Read the clock after every node poll (traced runs), not once per poll of the run.
    precise_timing: bool,
    /// Nothing of the run's nodes is wanted beyond its report by anything fixed when
    /// the run begins: no trace, live status or parent run (the per-run part of
    /// [`quiet`](Self::quiet), asked once rather than on every poll).
    unwatched: bool,
    /// Whether any node may run in a task of its own (`#[spawn]`); found out the first
    /// time the run waits with a node pending.
    spawn_nodes: Option<bool>,
}

/// Drops the spans of a run's inline nodes if any were made: tested inline, where the
/// list's drop glue was a call in every run, most of which make none (issue 17).
#[inline(always)]
pub(super) fn drop_spans(spans: Box<[tracing::Span]>) {
    if spans.is_empty() {
        // Never made: no element and no buffer (an empty boxed slice allocates
        // nothing), so there is nothing to drop.
        std::mem::forget(spans);
    } else {
        drop(spans);
    }
}

/// What spawned nodes report to the run's queue: `(outcome, time since the run
/// started)` (no time: the run's clock reading when it takes it serves).
type Reported<V> = (Finished<V>, Option<Duration>);

impl<V> crate::executor::wake::Outcome for Reported<V> {
    type InTask = (V, Duration);

    /// A spawned node's one attempt, which ended well at `at`.
    #[inline(always)]
    fn from_task(index: usize, (value, at): (V, Duration)) -> Self {
        let finished = Finished {
            index,
            attempts: 1,
            result: Ok(value),
        };
        (finished, Some(at))
    }

    /// A spawned node's task that tokio cancelled, or that panicked outside the node's
    /// call: the node's panic, as a supervised node's spawned attempt gives.
    #[cold]
    fn lost(index: usize, error: tokio::task::JoinError, attempts: u32) -> Self {
        let finished = Finished {
            index,
            attempts,
            result: Err(super::attempt::task_failure(error)),
        };
        (finished, None)
    }
}

/// The driver's pending nodes and its rarely used parts, in one allocation (the
/// `Driver::pending` box): kept out of the run's future, which is then small enough for
/// glibc's per-thread cache (issue 17). Derefs to the [`PendingNodes`].
struct Cold<V> {
    nodes: PendingNodes<Reported<V>>,
    /// Scratch list of the pending nodes to poll now (kept to avoid an allocation per
    /// wake-up).
    due: Vec<usize>,
    /// The waker the run's cancellation future was last polled with: polling it again
    /// with the same one only takes its locks (a cancellation is seen by the check at
    /// the top of each poll of the run).
    cancel_waker: Option<std::task::Waker>,
    errors: Vec<WorkflowError>,
    /// The waker the run last left for its nodes in tasks of their own to wake it with
    /// when they start blocking in a tracked wait (see `all_waiting`).
    wait_waker: Option<std::task::Waker>,
    /// The fused segments running (pending), see `driver/fused.rs`.
    fused: Vec<fused::Running>,
    /// A durable run's restored outputs and record queue.
    #[cfg(feature = "store")]
    durable: Option<Box<super::durable::DurableExec<V>>>,
}

impl<V> Default for Cold<V> {
    fn default() -> Self {
        Self {
            nodes: PendingNodes::default(),
            due: Vec::new(),
            cancel_waker: None,
            errors: Vec::new(),
            wait_waker: None,
            fused: Vec::new(),
            #[cfg(feature = "store")]
            durable: None,
        }
    }
}

/// The driver's [`Cold`] parts, allocated on first use: a run whose nodes all end in
/// their first poll (W4's diamond) never makes them, one allocation and its
/// initialisation and drop fewer per run (issue 17). Reads see an absent box as empty.
pub(super) struct ColdBox<V>(Option<Box<Cold<V>>>);

impl<V> ColdBox<V> {
    /// Drops the parts if they were made: a run's end tests this inline, where the
    /// box's drop glue was a call in every run, most of which never make it (issue 17).
    #[inline(always)]
    pub(super) fn drop_if_made(self) {
        if let Some(cold) = self.0 {
            drop(cold);
        }
    }

    /// The parts, if made.
    #[inline(always)]
    fn get(&self) -> Option<&Cold<V>> {
        self.0.as_deref()
    }

    /// The parts, made now if not yet.
    ///
    /// Inlined at every use (a spawned node's path uses it several times a node), the
    /// making out of line: inlined, the box's allocation and initialisation (~280 bytes
    /// of code) was repeated at every use in every workflow's driver (issue 17: ~170 KB
    /// of the `profile` bench binary's 6.2 MB of code, session 18).
    #[inline(always)]
    fn make(&mut self) -> &mut Cold<V> {
        match &mut self.0 {
            Some(cold) => cold,
            none => Self::make_new(none),
        }
    }

    /// [`make`](Self::make)'s allocation: once per run that has a pending node.
    #[cold]
    #[inline(never)]
    fn make_new(none: &mut Option<Box<Cold<V>>>) -> &mut Cold<V> {
        none.insert(Box::default())
    }

    /// The number of pending nodes.
    #[inline(always)]
    fn count(&self) -> usize {
        self.get().map_or(0, |c| c.count)
    }

    /// Whether spawned nodes report to an outcome queue in this run.
    #[inline(always)]
    fn has_queue(&self) -> bool {
        self.get().is_some_and(|c| c.has_queue())
    }
}

impl<V> std::ops::Deref for Cold<V> {
    type Target = PendingNodes<Reported<V>>;

    fn deref(&self) -> &Self::Target {
        &self.nodes
    }
}

impl<V> std::ops::DerefMut for Cold<V> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.nodes
    }
}

impl<'a, W: Workflow, C> Driver<'a, W, C>
where
    C: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
{
    /// Inlined so that the driver (with the output slots and the cell table, large for a
    /// large workflow) is built in place rather than copied there.
    #[inline(always)]
    pub(super) fn new(shared: &'a RunSlot, state: W::State, cells: C, opts: &RunOptions) -> Self {
        let plan = W::PLAN;
        // The report first: it outlives the run (the caller gets it), so it is best
        // allocated before the vectors that die with the run.
        let statuses = Statuses::new(&plan.names);
        // (Each read once: a state not made yet is neither traced, live nor a child's.)
        let (traced, live, child) = shared.get().map_or((false, false, false), |s| {
            (s.trace.is_some(), s.is_live(), s.parent().is_some())
        });
        Self {
            shared,
            state,
            cells,
            deps: Counts::new(),
            supervise_all: supervises_all(shared),
            pending: ColdBox(None),
            statuses,
            // The run's limit, which its state holds (a child run's capped by the runs'
            // above it: a sub-workflow of a `sequential` run runs its nodes one at a
            // time, see `RunShared::concurrency`); a state not made yet is a root run's,
            // whose limit is its options' or its plan's.
            concurrency: shared.get().map_or_else(
                || {
                    opts.concurrency
                        .or(plan.policy.concurrency)
                        .unwrap_or(usize::MAX)
                        .max(1)
                },
                |s| s.concurrency,
            ),
            failure: opts.failure.unwrap_or(plan.policy.failure),
            blocked: Box::default(),
            spans: Box::default(),
            // (A child run's clock is its root's; a traced run times every node.)
            clock: (!child && !traced).then_some(Duration::ZERO),
            precise_timing: traced,
            // A run with a cancel grace (`Limits::grace`, the options' alone) keeps every
            // node its own: a fused segment is dropped at once when the run stops
            // (`drop_segments`), which would cut the grace short for a chain's node in
            // flight.
            unwatched: !traced && !live && !child && opts.cancel_grace.is_none_or(|g| g.is_zero()),
            spawn_nodes: None,
        }
    }

    /// A durable run's restored outputs and record queue. (Inlined: most runs have
    /// none, and pay a test, not a call.)
    #[cfg(feature = "store")]
    #[inline]
    pub(super) fn set_durable(
        &mut self,
        durable: Option<Box<super::durable::DurableExec<W::Value>>>,
    ) {
        if durable.is_some() {
            self.pending.make().durable = durable;
        }
    }

    /// Drives the run to its end: its outputs, or why there are none.
    pub(super) async fn run(&mut self, limits: &Limits) -> Result<W::Output, WorkflowError> {
        self.shared.record(None, TraceKind::RunStarted);
        {
            #[cfg(feature = "store")]
            let restored = self.restore();
            #[cfg(not(feature = "store"))]
            let restored: Vec<bool> = Vec::new();
            // The nodes without predecessors: a constant list for most workflows (a
            // look at every node's count was ~10 instructions a node, issue 17).
            let roots = const { Roots::of(W::PLAN) };
            match roots.list() {
                Some(roots) if restored.is_empty() => {
                    for &i in roots {
                        self.deps.push_ready(i as usize);
                        self.shared.record(Some(i as usize), TraceKind::Scheduled);
                    }
                }
                _ => {
                    for i in 0..self.deps.len() {
                        if self.deps.left(i) == 0 && !restored.get(i).copied().unwrap_or(false) {
                            self.deps.push_ready(i);
                            self.shared.record(Some(i), TraceKind::Scheduled);
                        }
                    }
                }
            }
        }
        let mut deadline: Option<Pin<Box<Sleep>>> =
            limits.timeout.map(|d| Box::pin(tokio::time::sleep(d)));
        let mut stall_timer: Option<StallTimer> = limits.stall.map(|d| Stall::new(d, W::PLAN));
        // The wait on the run's token, from when it exists (see `RunCancel`). Boxed when
        // made (most runs never have a token): 72 bytes out of the run's future.
        let mut cancelled = None;

        // The run goes on inside `poll_event` until an event ends it.
        // In a block, so that the event and the error keep no place in the run's
        // future while it stops (they are moved into the stop's boxed future).
        let stop = {
            let event = std::future::poll_fn(|cx| {
                let polled = self.poll_event(cx, &mut deadline, &mut stall_timer, &mut cancelled);
                if polled.is_pending() {
                    self.clock = None;
                }
                polled
            })
            .await;
            let error = match event {
                Event::Done => None,
                Event::Failed(e) => Some(*e),
                Event::TimedOut => Some(WorkflowError::Timeout {
                    workflow: W::PLAN.name,
                    // A child run (a sub-workflow, a mapped item) is named by its path in
                    // the root run (`pages[1]`): its error reaches the root's caller.
                    scope: match &self.shared.path {
                        Some(path) => TimeoutScope::Node(path.to_string().into()),
                        None => TimeoutScope::Workflow,
                    },
                    // The configured limit, not the measured time (which includes the
                    // run's setup before the timer started).
                    limit: limits.timeout.unwrap_or_default(),
                    running: self.running_names(),
                    // The run's own limit, not a node attempt's.
                    attempts: 0,
                    all_attempts: false,
                    // Named where the run ends (`RunShared::name_retry_waits`).
                    retrying: Vec::new(),
                }),
                Event::Stalled(limit) => Some(self.deadlock_error(DeadlockKind::Stalled(limit))),
                Event::AllWaiting => Some(self.deadlock_error(DeadlockKind::AllWaiting)),
                Event::Cancelled => Some(WorkflowError::Cancelled {
                    workflow: W::PLAN.name,
                    running: self.running_names(),
                    // Named where the run ends (`RunShared::name_retry_waits`).
                    retrying: Vec::new(),
                }),
            };
            // Boxed: a stop is rare, and its future (with the grace timer) would make
            // every run's future larger by its size (issue 17).
            error.map(|e| Box::pin(self.abort(e, limits.grace)))
        };
        match stop {
            Some(stop) => return Err(stop.await),
            // (Its borrow of the driver ends here.)
            None => drop(stop),
        }
        // Every node whose predecessors all finished was started: nodes that never
        // started are only behind a node that did not run (a failure under `failure =
        // "continue"`, an arm not taken, a restored node), which marks them blocked.
        if !self.blocked.is_empty() {
            self.statuses.skip_not_started(self.shared);
        }
        match self.pending.get().map_or(0, |c| c.errors.len()) {
            0 => {}
            1 => return Err(self.pending.make().errors.remove(0)),
            _ => {
                return Err(WorkflowError::Multiple {
                    workflow: W::PLAN.name,
                    errors: std::mem::take(&mut self.pending.make().errors),
                })
            }
        }
        // Every node succeeded, so every output slot is filled.
        Ok(W::finish(&mut self.state))
    }

    /// Advances the run as far as it can without waiting: starts every ready node and
    /// polls it once in its cell (a node that completes on its first poll never gets a
    /// waker of its own), polls the pending nodes that were woken, handles finished
    /// nodes, and returns the first event that ends the run or `Poll::Pending` once
    /// everything left is waiting.
    ///
    /// Only a choice, inlined into the driver's future: a run whose spawned nodes report
    /// to the outcome queue goes to [`queued_wakeup`](Self::queued_wakeup) (which a
    /// spawned chain's every wake-up ends in), any other to
    /// [`poll_nodes`](Self::poll_nodes). Out of line as one function, it put its frame
    /// (prologue, epilogue, the event copied out) around every spawned node's wake-up
    /// (~50 instructions a spawned chain node, issue 17).
    #[inline(always)]
    fn poll_event(
        &mut self,
        cx: &mut TaskContext<'_>,
        deadline: &mut Option<Pin<Box<Sleep>>>,
        stall: &mut Option<StallTimer>,
        cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
    ) -> Poll<Event> {
        if self.pending.has_queue() {
            // Spawned nodes report to the outcome queue: its look as the poll begins,
            // and the compact path, out of line (off the in-task path's code).
            self.queued_wakeup(cx, deadline, stall, cancelled)
        } else {
            self.poll_nodes(cx, deadline, stall, cancelled, true)
        }
    }

    /// [`poll_event`](Self::poll_event)'s general loop, out of line. `head`: the run's
    /// cancellation and its deadline are still to be looked at (not by
    /// [`queued_wakeup`](Self::queued_wakeup), which did).
    #[inline(never)]
    fn poll_nodes(
        &mut self,
        cx: &mut TaskContext<'_>,
        deadline: &mut Option<Pin<Box<Sleep>>>,
        stall: &mut Option<StallTimer>,
        cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
        head: bool,
    ) -> Poll<Event> {
        // Node times are read once per poll of the run: nodes that complete within one
        // poll share its timestamp (reading the clock costs more than a trivial node).
        // The reading is forgotten as the poll ends (see `run`): a spawned node's
        // outcome taken in the next poll may end at its reading (see `take_ended`),
        // which must come after the wake-up.
        if head {
            if self.cancel_seen() {
                return Poll::Ready(self.stop_on(stall, Event::Cancelled));
            }
            if let Some(d) = deadline {
                if d.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(self.stop_on(stall, Event::TimedOut));
                }
            }
        }
        // Nodes handled in this poll; past the budget the run yields to other tasks.
        let handled = std::cell::Cell::new(0usize);
        let mut budget_check = 0usize;
        let mut poll_began: Option<std::time::Instant> = None;
        // The count again, under a name the loop's snapshot of it does not shadow.
        let handled_now = &handled;
        let quiet = self.quiet(stall);
        // Every node starts inline and nothing beyond the report is wanted of it: the
        // short path below (see `start_quiet`).
        let plain = quiet && !self.supervise_all && const { all_inline(W::PLAN) };
        // What an inline node is started with (one for every node of this poll).
        let starter = NodeStarter {
            shared: self.shared,
            mode: Mode::Inline,
            done: None,
        };
        // No concurrency limit (most runs): room for every ready node, without a look
        // at the pending nodes' count before each (~5 instructions a node, issue 17).
        let unlimited = self.concurrency == usize::MAX;
        loop {
            if !self.deps.ready_is_empty() && self.has_room(unlimited) {
                // One timestamp for the batch: these nodes all start now, and in-task
                // nodes run one after another in this task anyway.
                let at = self.elapsed();
                // The report record of each node of the batch that ends in its first
                // poll, made once (see `start_quiet`).
                let ran = Statuses::ran_record(at);
                while self.has_room(unlimited) {
                    let Some(i) = self.deps.pop_ready() else {
                        break;
                    };
                    if let Some(s) = self.fused_segment(i, quiet) {
                        match self.start_segment(s, at, &ran, cx, &handled) {
                            Poll::Ready(done) => {
                                if let Err(event) =
                                    self.on_done_in_poll(done, stall, &handled, Some(at), quiet)
                                {
                                    return Poll::Ready(event);
                                }
                            }
                            Poll::Pending => self.pending.make().add(i, self.deps.len(), false),
                        }
                        continue;
                    }
                    if plain {
                        if let Err(event) =
                            self.start_quiet(i, at, &ran, &starter, cx, stall, &handled)
                        {
                            return Poll::Ready(event);
                        }
                        continue;
                    }
                    let mode = Mode::of(&W::PLAN.nodes[i], self.supervise_all);
                    // A spawned node reports to the run's queue (never polled again).
                    let queued = mode == Mode::Spawned;
                    // A supervised node in a task of its own is pending until its task
                    // ends: it gets its own waker at once rather than a second poll to
                    // swap wakers.
                    let tracked = mode.spawns() && !queued;
                    let polled = self.start_node(i, mode, at, cx, tracked, quiet);
                    if self.precise_timing {
                        self.clock = None;
                    }
                    match polled {
                        Poll::Ready(done) => {
                            // An inline node's report is written once, now.
                            let started = (mode == Mode::Inline).then_some(at);
                            if let Err(event) =
                                self.on_done_in_poll(done, stall, &handled, started, quiet)
                            {
                                return Poll::Ready(event);
                            }
                        }
                        Poll::Pending if queued => self.queue_spawned(i),
                        Poll::Pending => self.pending.make().add(i, self.deps.len(), tracked),
                    }
                }
            }
            let handled = handled.get();
            if handled >= BUDGET_CHECK_EVERY && budget_check <= handled {
                // Wall time, not tokio's clock: a paused clock must not disable this.
                let now = std::time::Instant::now();
                let began = *poll_began.get_or_insert(now);
                if handled >= INLINE_BUDGET || now - began >= INLINE_TIME_BUDGET {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                budget_check = handled + BUDGET_CHECK_EVERY;
            }
            if self.pending.count() == 0 {
                if self.deps.ready_is_empty() {
                    return Poll::Ready(Event::Done);
                }
                continue;
            }
            match self.poll_woken(cx, |this, done| {
                this.on_done_in_poll(done, stall, handled_now, None, quiet)
            }) {
                Err(event) => return Poll::Ready(event),
                Ok(true) => {}
                Ok(false) => break,
            }
        }
        self.wait(cx, stall, cancelled)
    }

    /// Whether another node may start now: fewer pending than the concurrency limit.
    /// `unlimited`: there is none (`concurrency == usize::MAX`, which the pending count
    /// never reaches), told by the caller once per poll.
    #[inline(always)]
    fn has_room(&self, unlimited: bool) -> bool {
        unlimited || self.pending.count() < self.concurrency
    }

    /// A node finished in this poll of the run (the `handled`-th): record it, then look
    /// for a stop every few nodes (`is_cancelled` takes a lock). `started`: see
    /// [`record_finished`](Self::record_finished).
    #[inline(always)]
    fn on_done_in_poll(
        &mut self,
        done: Finished<W::Value>,
        stall: &mut Option<StallTimer>,
        handled: &std::cell::Cell<usize>,
        started: Option<Duration>,
        quiet: bool,
    ) -> Result<(), Event> {
        handled.set(handled.get() + 1);
        self.record_finished(done, stall, started, quiet)
            .map_err(Event::failed)?;
        if handled.get() % CANCEL_CHECK_EVERY == 0 && self.shared.is_cancelled() {
            return Err(Event::Cancelled);
        }
        Ok(())
    }

    /// Whether nothing beyond the report is wanted of the nodes that start and end in
    /// this poll of the run: no stall timer, parent run, durable record, live status,
    /// trace, `tracing` span or event (the levels as this poll begins). Then their path
    /// skips those tests one by one (~25 instructions a node, issue 17).
    ///
    /// What is fixed for the run (trace, live status, parent) is asked once
    /// (`unwatched`); of the levels, only INFO's: DEBUG enabled implies INFO (node
    /// spans) enabled, so no node span possible means no DEBUG event either.
    #[inline(always)]
    fn quiet(&self, stall: &Option<StallTimer>) -> bool {
        #[cfg(feature = "store")]
        let durable = self.pending.get().is_some_and(|c| c.durable.is_some());
        #[cfg(not(feature = "store"))]
        let durable = false;
        self.quiet_given(stall, durable)
    }

    /// [`quiet`](Self::quiet), told whether the run is durable (by a caller that
    /// looked at the driver's [`Cold`] parts already).
    #[inline(always)]
    fn quiet_given(&self, stall: &Option<StallTimer>, durable: bool) -> bool {
        stall.is_none()
            && self.unwatched
            && !durable
            && !node_spans_possible()
            && self.spans.is_empty()
    }

    /// Time since the run started, read at most once per poll of the run (per node poll
    /// when precise).
    fn elapsed(&mut self) -> Duration {
        match self.clock {
            Some(t) => t,
            None => {
                let t = self.shared.started().elapsed();
                self.clock = Some(t);
                t
            }
        }
    }

    /// Starts node `i` (marked running since `at`) in `mode` and polls it once, with its
    /// own waker if `own_waker`, else with the run's.
    fn start_node(
        &mut self,
        i: usize,
        mode: Mode,
        at: Duration,
        cx: &mut TaskContext<'_>,
        own_waker: bool,
        quiet: bool,
    ) -> Poll<Finished<W::Value>> {
        let inline = mode == Mode::Inline;
        if mode == Mode::Spawned {
            // Its task reports to the run's queue (it has no waker of its own).
            return self.start_spawned(i, at, cx, quiet);
        }
        if !inline {
            self.statuses.started(self.shared, i, at, quiet);
        } else if !quiet {
            // Its report is written after its first poll (`Statuses::starting`).
            self.statuses.starting(self.shared, i);
        }
        if inline && !quiet && node_spans_possible() {
            let span = node_span(self.shared, i, 1);
            if !span.is_disabled() {
                if self.spans.is_empty() {
                    self.spans = vec![tracing::Span::none(); self.deps.len()].into();
                }
                self.spans[i] = span;
            }
        }
        let _entered = self.spans.get(i).map(attempt::enter);
        if own_waker {
            let pending = self.pending.make();
            pending.init(self.deps.len());
            // Registers the run's waker, as `take_due` would, so the node's wake-up
            // reaches this run.
            if let Some(set) = &pending.set {
                set.run.register(cx.waker());
            }
            let waker = pending.waker(i);
            let mut node_cx = TaskContext::from_waker(&waker);
            let starter = NodeStarter {
                shared: self.shared,
                mode,
                done: None,
            };
            return call_cells(
                &mut self.cells,
                &mut self.state,
                i,
                Op::Start(&starter, &mut node_cx),
            );
        }
        let starter = NodeStarter {
            shared: self.shared,
            mode,
            done: None,
        };
        let polled = call_cells(&mut self.cells, &mut self.state, i, Op::Start(&starter, cx));
        // An inline node that ended is written by the caller (`Statuses::ran`).
        if inline && polled.is_pending() {
            self.statuses.started_report(i, at);
        }
        polled
    }

    /// Spawned node `i` started ([`start_spawned`](Self::start_spawned) returned
    /// `Pending`): its task's handle, left in the spawner, goes to the run's node table,
    /// and it is pending until its outcome is taken from the queue. The room the queue
    /// makes then counts the nodes still ready (a fan-out's branches after this one).
    #[inline(always)]
    fn queue_spawned(&mut self, i: usize) {
        let (nodes, deps) = (self.deps.len(), &self.deps);
        self.pending
            .make()
            .add_queued(i, nodes, || deps.ready_len());
    }

    /// Starts spawned node `i` ([`Mode::Spawned`], marked running since `at`): its task
    /// reports to the run's outcome queue. Pending: its task's handle, left in the
    /// spawner, goes to the run's node table ([`queue_spawned`](Self::queue_spawned)).
    /// `quiet`: see [`quiet`](Self::quiet).
    #[inline]
    fn start_spawned(
        &mut self,
        i: usize,
        at: Duration,
        cx: &mut TaskContext<'_>,
        quiet: bool,
    ) -> Poll<Finished<W::Value>> {
        self.start_spawned_inline(i, at, cx, quiet)
    }

    /// [`start_spawned`](Self::start_spawned), inlined into
    /// [`step_spawned`](Self::step_spawned), where every spawned node of a chain starts:
    /// out of line it was a call with the outcome returned through memory and the
    /// arguments shuffled (~20 instructions a node, issue 17).
    #[inline(always)]
    fn start_spawned_inline(
        &mut self,
        i: usize,
        at: Duration,
        cx: &mut TaskContext<'_>,
        quiet: bool,
    ) -> Poll<Finished<W::Value>> {
        self.statuses.started(self.shared, i, at, quiet);
        let starter = NodeStarter {
            shared: self.shared,
            mode: Mode::Spawned,
            // Registers the run's waker, so the node's outcome reaches this run.
            done: Some(self.pending.make().spawner(cx, self.shared) as &dyn std::any::Any),
        };
        call_cells(&mut self.cells, &mut self.state, i, Op::Start(&starter, cx))
    }

    /// Starts inline node `i` at `at` in a quiet run (see [`quiet`](Self::quiet)) that
    /// supervises no node, polls it once, and records it if it ended: the path of every
    /// node of a small static workflow run with `Runtime::execute` (W4's diamond).
    ///
    /// [`start_node`](Self::start_node) and [`record_finished`](Self::record_finished)
    /// less what a quiet, inline node never needs (its span, its own waker, a spawner,
    /// the trace, a durable record, the stall timer), and with the outcome taken apart
    /// where the cell table returns it: through the general path, it was moved three
    /// times on the stack before its value reached its slot (~150 instructions a node
    /// there, issue 17).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn start_quiet(
        &mut self,
        i: usize,
        at: Duration,
        ran: &NodeRecord,
        starter: &NodeStarter<'_>,
        cx: &mut TaskContext<'_>,
        stall: &mut Option<StallTimer>,
        handled: &std::cell::Cell<usize>,
    ) -> Result<(), Event> {
        // The one call of the cell table not through `call_cells`: the table is inlined
        // here (see `call_cells`).
        match (self.cells)(&mut self.state, i, Op::Start(starter, cx)) {
            Poll::Ready(Finished {
                index,
                result: Ok(value),
                ..
            }) => {
                // The node the table started. A small plan's successors are read from
                // its `NodeSpec`s (see `each_successor`), indexed by `i`, whose bounds
                // were checked as the table read its type: not checked again (~2
                // instructions a node, issue 17). A large plan's path keeps the outcome's
                // index (with `i`, ~1 instruction a node more, by register allocation).
                debug_assert_eq!(index, i);
                let index = if Counts::<W>::SMALL { i } else { index };
                handled.set(handled.get() + 1);
                // Started and ended at the batch's timestamp: the clock is read once
                // per poll of the run (see `elapsed`), so `now` is `at`, and its record
                // is the batch's, `ran` (`Statuses::ran_record(at)`).
                self.statuses.ran_quiet(index, ran);
                self.stored(index, value, true);
                if handled.get() % CANCEL_CHECK_EVERY == 0 && self.shared.is_cancelled() {
                    return Err(Event::Cancelled);
                }
                Ok(())
            }
            // A failure: the general path (its report entry, the error or `continue`).
            Poll::Ready(done) => self.on_done_in_poll(done, stall, handled, Some(at), true),
            Poll::Pending => {
                self.statuses.started_report(i, at);
                self.pending.make().add(i, self.deps.len(), false);
                Ok(())
            }
        }
    }

    /// Node `index` succeeded with `value` (its report written): the decision it took
    /// if it is a router, its value into its slot, and its successors whose
    /// predecessors have all finished into the ready queue.
    #[inline(always)]
    fn stored(&mut self, index: usize, value: W::Value, quiet: bool) {
        // A constant per workflow: a static graph pays nothing here.
        if !W::PLAN.decisions.is_empty() {
            if let Some(arm) = W::chosen_arm(&value) {
                self.take_arm(index, arm);
            }
        }
        W::store(&mut self.state, value);
        each_successor::<W>(index, |s| {
            if self.deps.count_down(s) == 0 && !self.blocked.get(s).copied().unwrap_or(false) {
                self.deps.push_ready(s);
                if !quiet {
                    record_scheduled(self.shared, s);
                }
            }
        });
    }

    /// Polls pending node `i` with its own waker; forgets it once it is done.
    fn poll_node(&mut self, i: usize) -> Poll<Finished<W::Value>> {
        let waker = self.pending.make().waker(i);
        let mut cx = TaskContext::from_waker(&waker);
        if let Some(r) = self.running_segment(i) {
            let polled = self.poll_segment(r, &mut cx);
            if polled.is_ready() {
                self.pending.make().remove(i);
            }
            return polled;
        }
        let _entered = self.spans.get(i).map(attempt::enter);
        let polled = call_cells(&mut self.cells, &mut self.state, i, Op::Poll(&mut cx));
        if polled.is_ready() {
            self.pending.make().remove(i);
        }
        polled
    }

    /// Records a finished node; schedules its successors or returns the failure to stop on.
    ///
    /// Inlined (into the few places a node finishes): on every node's path, and a call
    /// returning a `Result<(), WorkflowError>` through memory cost ~20 instructions a
    /// node. A failure goes out of line ([`on_failed`](Self::on_failed)).
    #[inline(always)]
    fn on_finished(
        &mut self,
        done: Finished<W::Value>,
        stall: &mut Option<StallTimer>,
    ) -> Result<(), WorkflowError> {
        self.record_finished(done, stall, None, false)
    }

    /// [`on_finished`](Self::on_finished), for a node whose report says it is running,
    /// or (`started`, its start time) an inline node that ended in its first poll, whose
    /// report is written once, here (see `Statuses::starting`). `quiet`: see
    /// [`quiet`](Self::quiet).
    #[inline(always)]
    fn record_finished(
        &mut self,
        done: Finished<W::Value>,
        stall: &mut Option<StallTimer>,
        started: Option<Duration>,
        quiet: bool,
    ) -> Result<(), WorkflowError> {
        if !quiet {
            if let Some(stall) = stall.as_deref_mut() {
                stall.progressed();
            }
            self.shared.note_progress();
        }
        let Finished {
            index,
            attempts,
            result,
        } = done;
        if !quiet {
            if let Some(span) = self.spans.get_mut(index) {
                *span = tracing::Span::none();
            }
        }
        let now = self.elapsed();
        match result {
            Ok(value) => {
                #[cfg(feature = "store")]
                if let Some(durable) = self
                    .pending
                    .get()
                    .and_then(|c| c.durable.as_ref())
                    .filter(|_| !quiet)
                {
                    if let Err(e) = durable.record(W::PLAN, index, &value) {
                        // The run stops with the node running (it counts as cancelled).
                        if let Some(at) = started {
                            self.statuses.started_report(index, at);
                        }
                        return Err(e);
                    }
                }
                match started {
                    Some(at) => self.statuses.ran(self.shared, index, at, now, quiet),
                    None => self
                        .statuses
                        .succeeded(self.shared, index, attempts, now, quiet),
                }
                self.stored(index, value, quiet);
                Ok(())
            }
            Err(failure) => {
                if let Some(at) = started {
                    self.statuses.started_report(index, at);
                }
                self.on_failed(index, attempts, now, failure)
            }
        }
    }

    /// Records node `index`'s failure at `now`: the error to stop on (fail-fast), or
    /// its downstream blocked and the error kept (`failure = "continue"`).
    #[cold]
    #[inline(never)]
    fn on_failed(
        &mut self,
        index: usize,
        attempts: u32,
        now: Duration,
        failure: NodeFailure,
    ) -> Result<(), WorkflowError> {
        self.statuses
            .failed(self.shared, index, attempts, now, &failure);
        let error = self.to_error(index, attempts, failure);
        tracing::warn!(target: "workflow", node = &*self.shared.node_name(index), attempts, error = %error, "node failed");
        match self.failure {
            FailurePolicy::FailFast => Err(error),
            FailurePolicy::Continue => {
                self.block_downstream(index);
                self.pending.make().errors.push(error);
                Ok(())
            }
        }
    }

    /// Router `router` took arm `arm`: every node of the other arms ends not taken, and
    /// counts as finished without an output for its successors, so a node after the
    /// decision (a merge, or a `name?` consumer) waits for the taken arm only. Called
    /// before the router's own successors are scheduled, so no node of an arm not taken
    /// is ever ready.
    #[cold]
    fn take_arm(&mut self, router: usize, arm: usize) {
        let Some(decision) = W::PLAN.decision_of(router) else {
            return;
        };
        if self.blocked.is_empty() {
            self.blocked = vec![false; self.deps.len()].into();
        }
        let not_taken = decision
            .arms
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != arm)
            .flat_map(|(_, nodes)| nodes.iter().copied());
        self.statuses
            .take_arm(self.shared, decision, arm, &mut self.blocked);
        for n in not_taken {
            for &s in W::PLAN.nodes[n].successors {
                if self.deps.count_down(s) == 0 && !self.blocked[s] {
                    self.deps.push_ready(s);
                    self.shared.record(Some(s), TraceKind::Scheduled);
                }
            }
        }
    }
}
