//! The driver: the loop that runs one workflow inside the caller's task.
//!
//! It starts every node whose inputs are ready, polls it once in its cell, polls pending
//! nodes when their wakers fire, stores outputs and schedules successors, and stops the
//! run on the first event that ends it (done, failure, timeout, stall, deadlock,
//! cancellation).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::time::Sleep;
use tokio_util::sync::WaitForCancellationFuture;

use super::attempt::{
    node_span, node_spans_possible, panic_message, supervises_all, Finished, Mode, NodeFailure,
};
use super::cells::{NodeStarter, Op};
use super::status::Statuses;
use super::wake::PendingNodes;
use super::workflow::Workflow;
use crate::error::{DeadlockKind, NodeName, TimeoutScope, WorkflowError};
use crate::plan::Plan;
use crate::policy::FailurePolicy;
use crate::run::{NodeRecord, RunOptions};
use crate::shared::waits::{all_blocked, waiting_nodes};
use crate::shared::{RunShared, RunSlot};
use crate::trace::TraceKind;
use crate::waits::deadlock_report;

mod fused;

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

/// A stall timer: its limit, and when it fires next. Boxed: the run's future holds one
/// word for it rather than three (a run's future of a small workflow must stay within
/// the 1,032 bytes glibc's per-thread cache serves, see `Executor::run`), and few runs
/// watch for stalls.
type StallTimer = Box<(Duration, Pin<Box<Sleep>>)>;

/// Calls `f` with each successor of node `i` of `W`'s plan, as node `i` ends: what
/// every node's path reads of the plan besides its counts.
///
/// A large plan's are read from its packed table ([`Plan::next_of`]: 4 bytes a node and
/// an edge, where the node's 80-byte `NodeSpec` cost a cold run a cache line or two a
/// node, issue 17). A small plan ([`CountBuf::SMALL`] nodes or fewer, a constant per
/// workflow) keeps reading its `NodeSpec`s: fewer bounds checks on the path of every
/// node of a W4 run, whose plan is in the cache anyway.
#[inline(always)]
fn each_successor<W: Workflow>(i: usize, mut f: impl FnMut(usize)) {
    if W::PLAN.deps.len() <= CountBuf::SMALL {
        for &s in W::PLAN.nodes[i].successors {
            f(s);
        }
    } else {
        for &s in W::PLAN.next_of(i) {
            f(s as usize);
        }
    }
}

/// Each node's predecessors still to finish, and after them the nodes ready to start,
/// first in first out (a [`CountBuf`]), for a run of `W`.
///
/// Whether `W`'s plan is small ([`CountBuf::SMALL`] nodes or fewer) is a constant per
/// workflow, and each method compiles to the code of that one form: a larger plan's
/// path stays what it was before small plans had a form of their own.
struct Counts<W> {
    buf: CountBuf,
    workflow: std::marker::PhantomData<fn() -> W>,
}

impl<W: Workflow> Counts<W> {
    /// Whether `W`'s plan keeps its counts in the driver itself.
    const SMALL: bool = W::PLAN.deps.len() <= CountBuf::SMALL;

    #[inline(always)]
    fn new() -> Self {
        Self {
            buf: CountBuf::new(W::PLAN.deps, const { CountBuf::small(W::PLAN.deps) }),
            workflow: std::marker::PhantomData,
        }
    }

    /// The number of nodes (a constant).
    #[inline(always)]
    fn len(&self) -> usize {
        W::PLAN.deps.len()
    }

    /// Node `i`'s predecessors still to finish (`i` is a node of the plan).
    #[inline(always)]
    fn left(&self, i: usize) -> u32 {
        self.buf.left(Self::SMALL, i)
    }

    /// One predecessor of node `i` finished: how many it has left.
    #[inline(always)]
    fn count_down(&mut self, i: usize) -> u32 {
        self.buf.count_down(Self::SMALL, i)
    }

    #[inline(always)]
    fn push_ready(&mut self, i: usize) {
        self.buf.push_ready(Self::SMALL, i);
    }

    #[inline(always)]
    fn pop_ready(&mut self) -> Option<usize> {
        self.buf.pop_ready(Self::SMALL)
    }

    #[inline(always)]
    fn ready_is_empty(&self) -> bool {
        self.buf.ready_is_empty(Self::SMALL)
    }

    /// How many nodes are ready (a spawned fan-out's queue makes room for them all).
    #[inline(always)]
    fn ready_len(&self) -> usize {
        self.buf.ready_len(Self::SMALL)
    }

    /// The next node ready, left in the queue.
    #[inline(always)]
    fn peek_ready(&self) -> Option<usize> {
        self.buf.peek_ready(Self::SMALL)
    }
}

/// Each node's predecessors still to finish, and after them the nodes ready to start,
/// first in first out. A node becomes ready at most once per run, so the queue never
/// wraps and never outgrows the room made for it (one place per node): the buffer and
/// the index of the queue's head, cheaper on every node's path than a ring buffer.
///
/// A plan of at most [`CountBuf::SMALL`] nodes keeps them in `small`, a byte each,
/// made at compile time per workflow ([`CountBuf::small`]): no allocation, no copy
/// loop, nothing to free (W4's diamond: ~130 instructions a run, issue 17). A larger
/// plan keeps them in `large`, one allocation per run.
///
/// Both forms have their fields, not an enum's variants: every method is told which
/// form the plan has (`small`, a constant per workflow: see [`Counts`]), so each
/// compiles to its form's code alone, without a test of the variant (one on every
/// queue operation cost the fan-out of 100 ~9 instructions a node).
struct CountBuf {
    /// A large plan's counts (`[..nodes]`) and ready queue (`[nodes..]`); empty (no
    /// allocation) for a small plan.
    large: Vec<u32>,
    /// The ready queue's head: an index into `large` or `small`.
    head: u32,
    /// A small plan's counts (`[..nodes]`) and ready queue (`[nodes..small_len]`).
    small: [u8; 2 * CountBuf::SMALL],
    small_len: u8,
}

impl CountBuf {
    /// The most nodes kept in `small`: a count (fewer predecessors than nodes) and a
    /// node index fit in a byte.
    const SMALL: usize = 16;

    /// The counts and queue of a plan of `deps.len()` nodes, with `small` (see
    /// [`small`](Self::small)) when it has at most [`SMALL`](Self::SMALL).
    #[inline(always)]
    fn new(deps: &'static [u32], small: Option<[u8; 2 * CountBuf::SMALL]>) -> Self {
        let nodes = deps.len();
        match small {
            Some(small) => Self {
                large: Vec::new(),
                head: nodes as u32,
                small,
                small_len: nodes as u8,
            },
            None => {
                let mut large = Vec::with_capacity(2 * nodes);
                // One copy from the plan's own array (gathered from the node specs, 88
                // bytes each, it was ~3 instructions a node, issue 17).
                large.extend_from_slice(deps);
                Self {
                    large,
                    head: nodes as u32,
                    small: [0; 2 * CountBuf::SMALL],
                    small_len: 0,
                }
            }
        }
    }

    /// A small plan's counts as bytes, for [`new`](Self::new): evaluated at compile
    /// time per workflow (`const { CountBuf::small(W::PLAN.deps) }`). `None` for a plan
    /// of more than [`SMALL`](Self::SMALL) nodes.
    const fn small(deps: &[u32]) -> Option<[u8; 2 * CountBuf::SMALL]> {
        if deps.len() > Self::SMALL {
            return None;
        }
        let mut buf = [0u8; 2 * CountBuf::SMALL];
        let mut i = 0;
        while i < deps.len() {
            // Fewer predecessors than nodes: below `SMALL`.
            buf[i] = deps[i] as u8;
            i += 1;
        }
        Some(buf)
    }

    #[inline(always)]
    fn left(&self, small: bool, i: usize) -> u32 {
        if small {
            u32::from(self.small[i])
        } else {
            self.large[i]
        }
    }

    #[inline(always)]
    fn count_down(&mut self, small: bool, i: usize) -> u32 {
        if small {
            self.small[i] -= 1;
            u32::from(self.small[i])
        } else {
            self.large[i] -= 1;
            self.large[i]
        }
    }

    #[inline(always)]
    fn push_ready(&mut self, small: bool, i: usize) {
        if small {
            self.small[self.small_len as usize] = i as u8;
            self.small_len += 1;
        } else {
            self.large.push(i as u32);
        }
    }

    #[inline(always)]
    fn pop_ready(&mut self, small: bool) -> Option<usize> {
        let head = self.head as usize;
        let i = if small {
            if head == self.small_len as usize {
                return None;
            }
            usize::from(self.small[head])
        } else {
            *self.large.get(head)? as usize
        };
        self.head += 1;
        Some(i)
    }

    #[inline(always)]
    fn ready_is_empty(&self, small: bool) -> bool {
        self.head as usize == self.ready_end(small)
    }

    #[inline(always)]
    fn ready_len(&self, small: bool) -> usize {
        self.ready_end(small) - self.head as usize
    }

    /// Where the ready queue ends (its head is `head`).
    #[inline(always)]
    fn ready_end(&self, small: bool) -> usize {
        if small {
            self.small_len as usize
        } else {
            self.large.len()
        }
    }

    /// The nodes ready but not started, in queue order: what a concurrency limit holds
    /// back when the run stops (for its deadlock report; not on any hot path).
    #[cold]
    fn ready_nodes(&self, small: bool) -> Vec<usize> {
        (self.head as usize..self.ready_end(small))
            .map(|k| {
                if small {
                    usize::from(self.small[k])
                } else {
                    self.large[k] as usize
                }
            })
            .collect()
    }

    /// The next node ready, left in the queue.
    #[inline(always)]
    fn peek_ready(&self, small: bool) -> Option<usize> {
        let head = self.head as usize;
        if small {
            (head < self.small_len as usize).then(|| usize::from(self.small[head]))
        } else {
            self.large.get(head).map(|&i| i as usize)
        }
    }
}

/// The nodes of a plan without predecessors, when there are at most [`Roots::MAX`]:
/// computed at compile time per workflow (`const { Roots::of(W::PLAN) }`).
struct Roots {
    nodes: [u32; Roots::MAX],
    /// How many; `usize::MAX` for more than `MAX`.
    len: usize,
}

impl Roots {
    const MAX: usize = 16;

    const fn of(plan: &crate::plan::Plan) -> Self {
        let mut roots = Self {
            nodes: [0; Self::MAX],
            len: 0,
        };
        let mut i = 0;
        while i < plan.deps.len() {
            if plan.deps[i] == 0 {
                if roots.len == Self::MAX {
                    roots.len = usize::MAX;
                    return roots;
                }
                roots.nodes[roots.len] = i as u32;
                roots.len += 1;
            }
            i += 1;
        }
        roots
    }

    /// The roots, if there are at most `MAX`.
    fn list(&self) -> Option<&[u32]> {
        self.nodes.get(..self.len)
    }
}

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
        let mut stall_timer: Option<StallTimer> = limits
            .stall
            .map(|d| Box::new((d, Box::pin(tokio::time::sleep(d)))));
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

    /// What a poll of the run does once nothing is left to start or poll, before it
    /// waits: the deadlock and stall checks, a last look at the run's cancellation, and
    /// (with spawned nodes reporting to the outcome queue) how many of their outcomes
    /// should wake it. `Poll::Pending` unless one of those ends the run.
    fn wait(
        &mut self,
        cx: &mut TaskContext<'_>,
        stall: &mut Option<StallTimer>,
        cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
    ) -> Poll<Event> {
        if self.all_waiting(cx) {
            return Poll::Ready(Event::AllWaiting);
        }
        let stall_fired = stall
            .as_mut()
            .is_some_and(|stall| stall.1.as_mut().poll(cx).is_ready());
        if stall_fired {
            // Spawned nodes that ended meanwhile are progress (their end resets the
            // timer); handled now, as the run may not have been woken for them.
            match self.take_ended_finished(stall) {
                Err(e) => return Poll::Ready(Event::failed(e)),
                Ok(true) => {
                    // Successors may be ready: the next poll starts them.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Ok(false) => {}
            }
        }
        if let Some((limit, timer)) = stall.as_deref_mut().filter(|_| stall_fired) {
            let next = if self.shared.take_child_progress() {
                // A node of a child run (a sub-workflow, a fan-out item) finished: the
                // run progresses. Look again a whole limit later.
                super::deadline_after(*limit)
            } else if let Some(next) = self
                .shared
                .last_retry_progress()
                .and_then(|at| at.checked_add(*limit))
                .filter(|&next| next > tokio::time::Instant::now())
            {
                // A node waits out a retry's backoff (its next attempt is progress the
                // runtime has scheduled, not a stall), or began an attempt after one:
                // look again a whole limit after that.
                next
            } else {
                return Poll::Ready(Event::Stalled(*limit));
            };
            timer.as_mut().reset(next);
            let _ = timer.as_mut().poll(cx);
        }
        let cancel_fired = if self.pending.has_queue() {
            // The outcome queue's waker watches the token (or waits for one to be made).
            match self.pending.make().watch_cancel(self.shared, cancelled) {
                Some(fired) => fired,
                // It fired since this poll's first look, perhaps before the run's waker
                // was registered again (its wake-up then reached no one): look again,
                // now that a later one would wake the run.
                None => self.cancel_seen(),
            }
        } else if cancelled.is_some()
            && self
                .pending
                .get()
                .and_then(|c| c.cancel_waker.as_ref())
                .is_some_and(|w| w.will_wake(cx.waker()))
        {
            false
        } else if cancelled.is_some() {
            self.pending.make().cancel_waker = Some(cx.waker().clone());
            poll_cancelled(cancelled, cx).is_ready()
        } else if let Some(token) = self.shared.watch_cancel(cx.waker()) {
            // Made since the run last looked (it is woken then): watched from now on.
            *cancelled = Some(Box::pin(token.cancelled()));
            self.pending.make().cancel_waker = Some(cx.waker().clone());
            poll_cancelled(cancelled, cx).is_ready()
        } else {
            // No token (nobody asked for one): nothing to watch; a token made later
            // wakes the run.
            false
        };
        if cancel_fired {
            return Poll::Ready(self.stop_on(stall, Event::Cancelled));
        }
        if self.pending.has_queue() {
            self.set_wake_threshold(cx);
        }
        Poll::Pending
    }

    /// [`wait`](Self::wait) in [`step_spawned`](Self::step_spawned)'s quiet run, when
    /// none of its checks can end the run: no node waits for a published value (no
    /// deadlock, and every end counts, see `wake_threshold`), the run left this waker
    /// for its tasks already, and the outcome queue's waker watches the run's
    /// cancellation and has not fired (no stall timer: the run is quiet). Then only the
    /// threshold is set. `None` when any check may matter: `wait` does them all.
    ///
    /// A spawned chain's every wake-up ends here: `wait`'s checks are spread over its
    /// code between its rare paths, ~108 instructions on a dozen 64-byte lines a node
    /// (issue 17: the chain's clock ratio is instruction-cache bound).
    ///
    /// With one node pending, or a node held back by the concurrency limit (a chain's
    /// every wait), the threshold is 1 (see [`wake_threshold`](Self::wake_threshold),
    /// whose test of blocked nodes `settled` made): set from the parts looked at here,
    /// without looking at the box again.
    #[inline(always)]
    fn wait_settled(&mut self, cx: &TaskContext<'_>) -> Option<Poll<Event>> {
        let cold = self.pending.get()?;
        let settled = cold
            .wait_waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
            && cold.cancel_watched_unfired()
            && self.shared.waits.blocked() == 0;
        if !settled {
            return None;
        }
        if cold.count <= 1 || !self.deps.ready_is_empty() {
            if cold.wake_when_done(1) {
                // It ended already (see `set_wake_threshold`).
                cx.waker().wake_by_ref();
            }
            return Some(Poll::Pending);
        }
        self.set_wake_threshold(cx);
        Some(Poll::Pending)
    }

    /// Asks the outcome queue to wake the run once as many spawned nodes ended as could
    /// give it something to do (see [`wake_threshold`](Self::wake_threshold)), and
    /// wakes the run now if that many already have.
    ///
    /// (Taking those outcomes in the same poll instead of waking, tried in session 17,
    /// gained nothing measurable on a spawned chain and raised the spawned lattice's
    /// sleeps on the queue's lock from 11–15 to 16–19 a run.)
    #[inline(always)]
    fn set_wake_threshold(&mut self, cx: &TaskContext<'_>) {
        let threshold = self.wake_threshold();
        if self.pending.make().wake_when_done(threshold) {
            // Enough spawned nodes ended while the threshold was higher.
            cx.waker().wake_by_ref();
        }
    }

    /// A poll of a run whose spawned nodes report to the outcome queue (see
    /// [`PendingNodes::polling`]): the look at the run's cancellation, the queue's look
    /// as the poll begins, the deadline, and, when spawned nodes ended and only such
    /// nodes are pending (a spawned chain's, fan-out's or lattice's every wake-up after
    /// its first), [`step_spawned`](Self::step_spawned); when that leaves anything to
    /// do, [`poll_nodes`](Self::poll_nodes)' general loop.
    ///
    /// Out of line, with the queue's look and `step_spawned` inlined into it: a spawned
    /// node's wake-up makes one call here from the driver's future, and the in-task
    /// path's code (`poll_nodes`, every in-task node's path, W4's) does not grow with
    /// them (issue 17: the queue's look inlined into `poll_event` cost a W4 joined run 26
    /// instructions, session 19).
    #[inline(never)]
    fn queued_wakeup(
        &mut self,
        cx: &mut TaskContext<'_>,
        deadline: &mut Option<Pin<Box<Sleep>>>,
        stall: &mut Option<StallTimer>,
        cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
    ) -> Poll<Event> {
        // The parts exist (the queue is theirs): one look at the box for this poll's
        // head, rather than one in each of its steps (`cancel_seen`, the queue's look,
        // `only_queued_ended`, `quiet`'s durable test: ~4 instructions each, issue 17).
        let cold = self.pending.make();
        if cold.may_be_cancelled() && self.shared.is_cancelled() {
            return Poll::Ready(self.stop_on(stall, Event::Cancelled));
        }
        cold.polling(cx);
        if let Some(d) = deadline {
            if d.as_mut().poll(cx).is_ready() {
                return Poll::Ready(self.stop_on(stall, Event::TimedOut));
            }
        }
        #[cfg(feature = "store")]
        let durable = cold.durable.is_some();
        #[cfg(not(feature = "store"))]
        let durable = false;
        if stall.is_none() && self.deps.ready_is_empty() && cold.only_queued_ended() {
            if let Some(polled) = self.step_spawned(cx, stall, cancelled, durable) {
                return polled;
            }
        }
        self.poll_nodes(cx, deadline, stall, cancelled, false)
    }

    /// A wake-up of a run whose pending nodes are all spawned (`Mode::Spawned`, each
    /// reporting to the outcome queue), some of which ended, in a quiet run without a
    /// stall timer: every wake-up of a spawned chain, fan-out or lattice after its
    /// first. Records the outcomes, starts the nodes they made ready while those are
    /// spawned too, and waits ([`wait`](Self::wait)). `None` when anything else is to
    /// be done (a ready node that is inline, supervised or heads a fused segment, the
    /// run's end, a run that is not quiet, a poll past [`BUDGET_CHECK_EVERY`] nodes):
    /// the general loop (`poll_nodes`) goes on from there, with what was handled here
    /// recorded.
    ///
    /// The general loop does the same, but through every test its other cases need
    /// (the start of any mode, nodes polled with their own wakers, the yield budget),
    /// with the outcome's handling inlined into it several times: out of line, this
    /// path touches a fraction of that code per node (issue 17: a spawned chain's clock
    /// ratio is instruction-cache bound). Inlined into its one caller,
    /// [`queued_wakeup`](Self::queued_wakeup), which is out of line.
    #[inline(always)]
    fn step_spawned(
        &mut self,
        cx: &mut TaskContext<'_>,
        stall: &mut Option<StallTimer>,
        cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
        durable: bool,
    ) -> Option<Poll<Event>> {
        if !self.quiet_given(stall, durable) {
            return None;
        }
        let handled = std::cell::Cell::new(0usize);
        // A run without a concurrency limit (most) has room for every node: no look at
        // the pending count before each start.
        let unlimited = self.concurrency == usize::MAX;
        loop {
            // Some outcome may be queued (`only_queued_ended` before the loop, `any_done`
            // at its end): the take does not look again first.
            let ended = self.take_ended_inline(true, |this, done| {
                this.on_done_in_poll(done, stall, &handled, None, true)
            });
            if let Err(event) = ended {
                return Some(Poll::Ready(event));
            }
            while let Some(i) = self.deps.peek_ready() {
                if !unlimited && self.pending.count() >= self.concurrency {
                    // Held back by the concurrency limit: any end frees a place.
                    break;
                }
                // A plan of spawned nodes only (a constant): the run's setting alone says
                // how they run.
                let spawned = if const { all_spawned(W::PLAN) } {
                    !self.supervise_all
                } else {
                    Mode::of(&W::PLAN.nodes[i], self.supervise_all) == Mode::Spawned
                };
                if !spawned || self.fused_segment(i, true).is_some() {
                    return None;
                }
                self.deps.pop_ready();
                let at = self.elapsed();
                match self.start_spawned_inline(i, at, cx, true) {
                    // Never polled: its outcome reaches the run through the queue.
                    Poll::Pending => self.queue_spawned(i),
                    Poll::Ready(done) => {
                        if let Err(event) = self.on_done_in_poll(done, stall, &handled, None, true)
                        {
                            return Some(Poll::Ready(event));
                        }
                    }
                }
            }
            if self.pending.count() == 0 || handled.get() >= BUDGET_CHECK_EVERY {
                // The run's end, or a long poll: the general loop's.
                return None;
            }
            if !self.pending.get().is_some_and(|c| c.any_done()) {
                break;
            }
        }
        Some(
            self.wait_settled(cx)
                .unwrap_or_else(|| self.wait(cx, stall, cancelled)),
        )
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

    /// Whether every live node is blocked in a tracked wait (or runs child runs that all
    /// are) and nothing above this run can release one: this run is the root (a child
    /// run tells the node that runs it instead, see `shared/waits.rs`).
    ///
    /// A node in a task of its own starts blocking without this run being polled: while
    /// there are such nodes, the run leaves its waker for them to wake it with.
    #[inline]
    fn all_waiting(&mut self, cx: &TaskContext<'_>) -> bool {
        let live = self.pending.count();
        if live == 0 {
            return false;
        }
        let spawn_nodes = *self.spawn_nodes.get_or_insert_with(|| {
            W::PLAN
                .nodes
                .iter()
                .any(|n| n.policy.execution == crate::policy::Execution::Spawn)
        });
        // (The same waker as last time, in a chain every time: no call.)
        if spawn_nodes
            && !self
                .pending
                .get()
                .and_then(|c| c.wait_waker.as_ref())
                .is_some_and(|w| w.will_wake(cx.waker()))
        {
            self.shared
                .waits
                .register_waker(cx.waker(), &mut self.pending.make().wait_waker);
        }
        // No shared state made yet (see `RunSlot`): no node has a context to wait with.
        let Some(shared) = self.shared.get() else {
            return false;
        };
        shared.waits.blocked() >= live && all_blocked(shared, live)
    }

    /// Whether the run's token is cancelled, skipping the token's lock while the outcome
    /// queue's waker says its cancellation future has not fired.
    fn cancel_seen(&self) -> bool {
        self.pending.get().is_none_or(|c| c.may_be_cancelled()) && self.shared.is_cancelled()
    }

    /// The fewest spawned nodes that must end before the run has something to do: a
    /// node to start, or its end. Each ending node counts down its successors'
    /// predecessors by one, so none becomes ready before that many ended.
    ///
    /// Its quick answers inline (a spawned chain's every wait), the scan out of line.
    #[inline(always)]
    fn wake_threshold(&mut self) -> usize {
        if !self.deps.ready_is_empty() || self.pending.count() <= 1 {
            // Held back by the concurrency limit: any end frees a place. (Or one node
            // pending: its end is the next thing to do, no need to scan for it.)
            return 1;
        }
        if self.shared.waits.blocked() > 0 {
            // A node waits for a published value: whether all live nodes do (a
            // deadlock) is decided when the run is polled, so every end must poll it.
            return 1;
        }
        self.scan_wake_threshold()
    }

    /// [`wake_threshold`](Self::wake_threshold) with several spawned nodes pending:
    /// the fewest predecessors left among their successors.
    #[inline(never)]
    fn scan_wake_threshold(&mut self) -> usize {
        let deps = &self.deps;
        let mut n = usize::MAX;
        let scanned = self.pending.make().scan_queued(|i| {
            for &s in W::PLAN.nodes[i].successors {
                n = n.min(deps.left(s) as usize);
            }
            n > 1
        });
        // No more than the queued nodes: their ends are all that is awaited.
        scanned.map_or(1, |queued| n.min(queued))
    }

    /// Hands the spawned nodes that ended since the last look to `on_done`, then polls
    /// the pending nodes that are due (woken, or not yet polled with their own waker)
    /// and hands each that finishes to `on_done`, stopping at its first `Err`. Whether
    /// any node finished.
    fn poll_woken<E>(
        &mut self,
        cx: &TaskContext<'_>,
        mut on_done: impl FnMut(&mut Self, Finished<W::Value>) -> Result<(), E>,
    ) -> Result<bool, E> {
        let finished = self.take_ended(&mut on_done);
        if self.pending.get().is_none_or(|c| c.set.is_none()) {
            // No node is polled with a waker of its own (only spawned ones are pending).
            return finished;
        }
        let mut due = std::mem::take(&mut self.pending.make().due);
        self.pending.make().take_woken(cx, &mut due);
        let finished = match finished {
            Ok(any) => self.poll_each(&due, on_done).map(|more| any || more),
            Err(e) => Err(e),
        };
        self.pending.make().due = due;
        finished
    }

    /// Hands the spawned nodes that ended since the last look (their outcomes queued)
    /// to `on_done`, each at the time it ended; after its first `Err`, the rest count
    /// as stopped. Whether any ended.
    fn take_ended<E>(
        &mut self,
        on_done: impl FnMut(&mut Self, Finished<W::Value>) -> Result<(), E>,
    ) -> Result<bool, E> {
        self.take_ended_inline(false, on_done)
    }

    /// [`take_ended`](Self::take_ended), inlined into
    /// [`step_spawned`](Self::step_spawned), where a spawned chain takes every outcome
    /// (out of line there, it was a call with the outcome's handling behind a closure,
    /// once `step_spawned` itself was inlined into its caller).
    ///
    /// `next_alone`: once the outcome taken as the poll began (see
    /// [`PendingNodes::polling`]) is handled, and did not fail, stop: `step_spawned`
    /// starts what it made ready and looks at the queue again before it waits. A
    /// spawned chain's every wake-up has that one outcome: a second look here found
    /// nothing (~10 instructions a node, issue 17). Its caller looked at the queue
    /// just before (`only_queued_ended`, `any_done`): no look here before the take.
    #[inline(always)]
    fn take_ended_inline<E>(
        &mut self,
        next_alone: bool,
        mut on_done: impl FnMut(&mut Self, Finished<W::Value>) -> Result<(), E>,
    ) -> Result<bool, E> {
        // (`step_spawned`, `next_alone`, looked already: something may be queued.)
        if !next_alone && !self.pending.get().is_some_and(|c| c.any_done()) {
            // Nothing queued (a look without the queue's lock, nor moving the buffers).
            return Ok(false);
        }
        let mut finished = Ok(false);
        loop {
            let cold = self.pending.make();
            let alone = next_alone && cold.holds_next();
            let Some((done, at)) = cold.take_done(|(f, _)| f.index) else {
                break;
            };
            // Its cell holds nothing (its task's handle was in the run's node table).
            if finished.is_ok() {
                finished = Ok(true);
                // It ended at `at` (its task read the clock), whenever the run looks; or,
                // as it woke the run, before this poll read the clock.
                let at = at.unwrap_or_else(|| self.elapsed());
                let clock = self.clock.replace(at);
                let handled = on_done(self, done);
                // A node that ended after this poll read the clock (during the poll):
                // that reading must not time the start of its successors.
                self.clock = clock.filter(|&read| read >= at);
                match handled {
                    Err(e) => finished = Err(e),
                    Ok(()) if alone => break,
                    Ok(()) => {}
                }
            } else {
                // The run stops: these count as stopped, like nodes polled after it.
                self.on_stopped(done);
            }
        }
        finished
    }

    /// The run stops on `event` (a timeout or cancellation): first the spawned nodes
    /// that ended before it are handled as finished, at the times they ended (the run
    /// is not woken for every one: see `wake_threshold`). A failure among them came
    /// first, and is the event instead.
    fn stop_on(&mut self, stall: &mut Option<StallTimer>, event: Event) -> Event {
        match self.take_ended_finished(stall) {
            Ok(_) => event,
            Err(e) => Event::failed(e),
        }
    }

    /// [`take_ended`](Self::take_ended), each outcome handled as finished: for a stop
    /// ([`stop_on`](Self::stop_on)) and a stall timer that fired ([`wait`](Self::wait)),
    /// rare both. One copy for the two, out of line: each was an instance of
    /// `take_ended` and of the queue's `take_done` (~750 lines of unoptimised IR) in every
    /// executed workflow's crate (issue 17: compile time).
    #[inline(never)]
    fn take_ended_finished(
        &mut self,
        stall: &mut Option<StallTimer>,
    ) -> Result<bool, WorkflowError> {
        self.take_ended(|this, done| this.on_finished(done, stall))
    }

    /// Polls each node of `nodes` that is still pending, with its own waker, and hands
    /// each that finishes to `on_done`, stopping at its first `Err`. Whether any node
    /// finished.
    fn poll_each<E>(
        &mut self,
        nodes: &[usize],
        mut on_done: impl FnMut(&mut Self, Finished<W::Value>) -> Result<(), E>,
    ) -> Result<bool, E> {
        let mut finished = false;
        for &i in nodes {
            if !self.pending.get().is_some_and(|c| c.contains(i)) {
                continue;
            }
            let Poll::Ready(done) = self.poll_node(i) else {
                continue;
            };
            if self.precise_timing {
                self.clock = None;
            }
            finished = true;
            on_done(self, done)?;
        }
        Ok(finished)
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
        let _entered = self.spans.get(i).map(tracing::Span::enter);
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
        let _entered = self.spans.get(i).map(tracing::Span::enter);
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
            if let Some((d, timer)) = stall.as_deref_mut() {
                timer.as_mut().reset(super::deadline_after(*d));
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

    /// Puts a durable run's restored outputs into their slots and marks those nodes
    /// restored; their successors' predecessor counts drop as if they had finished.
    /// Which nodes do not run (restored, or `#[ephemeral]` and not needed), by index
    /// (empty for a run that restores nothing).
    ///
    /// A node that does not run can still have a predecessor that runs: an
    /// `#[ephemeral]` one, recomputed for another consumer. So those nodes are also
    /// marked blocked, and no finishing node ever schedules one.
    #[cfg(feature = "store")]
    #[inline]
    fn restore(&mut self) -> Vec<bool> {
        // (Most runs are not durable: a test, not a call.)
        if self.pending.get().is_none_or(|c| c.durable.is_none()) {
            return Vec::new();
        }
        self.restore_durable()
    }

    /// [`restore`](Self::restore) in a durable run.
    #[cfg(feature = "store")]
    #[cold]
    fn restore_durable(&mut self) -> Vec<bool> {
        use super::durable::Resume;
        let Some(durable) = self.pending.0.as_mut().and_then(|c| c.durable.as_mut()) else {
            return Vec::new();
        };
        let mut resume = std::mem::take(&mut durable.resume);
        if resume.is_empty() {
            return Vec::new();
        }
        if !W::PLAN.decisions.is_empty() {
            self.restore_routes(&mut resume);
        }
        let mut held = vec![false; self.deps.len()];
        for (i, what) in resume.into_iter().enumerate() {
            match what {
                Resume::Run => continue,
                Resume::Skip => {}
                Resume::Restore(value) => {
                    self.statuses.restored(self.shared, i);
                    W::store(&mut self.state, value);
                    for &s in W::PLAN.nodes[i].successors {
                        self.deps.count_down(s);
                    }
                }
            }
            held[i] = true;
        }
        self.blocked = held.as_slice().into();
        held
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
        for n in not_taken.clone() {
            self.blocked[n] = true;
            self.statuses.not_taken(self.shared, n);
        }
        for n in not_taken {
            for &s in W::PLAN.nodes[n].successors {
                if self.deps.count_down(s) == 0 && !self.blocked[s] {
                    self.deps.push_ready(s);
                    self.shared.record(Some(s), TraceKind::Scheduled);
                }
            }
        }
    }

    /// A resumed run's decisions: each router with a recorded arm runs again, held to
    /// that arm by its stored value (so a changed guard cannot change a resumed run's
    /// route), and puts the arm's pattern bindings back into their slots as it does.
    /// Restored outputs of nodes in the arms it will not take are dropped (a merge's
    /// row is found under its name, which every arm's binding shares). `restore` then
    /// blocks the nodes that stay restored, so a router finishing again never schedules
    /// them.
    #[cfg(feature = "store")]
    #[cold]
    fn restore_routes(&mut self, resume: &mut [super::durable::Resume<W::Value>]) {
        use super::durable::Resume;
        let mut not_taken = vec![false; resume.len()];
        for (i, what) in resume.iter_mut().enumerate() {
            let Resume::Restore(value) = what else {
                continue;
            };
            let Some(arm) = W::chosen_arm(value) else {
                continue;
            };
            // The router runs again, from its stored choice.
            if let Resume::Restore(value) = std::mem::replace(what, Resume::Run) {
                W::store(&mut self.state, value);
            }
            if let Some(decision) = W::PLAN.decision_of(i) {
                for (j, nodes) in decision.arms.iter().enumerate() {
                    if j != arm {
                        nodes.iter().for_each(|&n| not_taken[n] = true);
                    }
                }
            }
        }
        for (i, what) in resume.iter_mut().enumerate() {
            if not_taken[i] {
                *what = Resume::Run;
            }
        }
    }

    /// Blocks everything downstream of failed node `index` (`failure = "continue"`).
    ///
    /// Not through a node inside an arm: whether what follows it runs depends on the
    /// arm its decision takes (not taken, it counts as finished for its successors), so
    /// the outcome does not depend on whether the failure came before the decision.
    /// Nothing is lost: a node whose predecessor failed never has all its inputs.
    fn block_downstream(&mut self, index: usize) {
        block_downstream(W::PLAN, &mut self.blocked, index);
    }

    fn to_error(&self, index: usize, attempts: u32, failure: NodeFailure) -> WorkflowError {
        node_error(self.shared, index, attempts, failure)
    }

    /// The running nodes, by path in a child run (a cold path: a stopped run's error).
    fn running_names(&self) -> Vec<NodeName> {
        running_names(self.shared, &self.statuses)
    }

    fn deadlock_error(&self, kind: DeadlockKind) -> WorkflowError {
        let held_back = self.deps.buf.ready_nodes(Counts::<W>::SMALL);
        deadlock_error(W::PLAN, self.shared, &self.statuses, kind, held_back)
    }

    /// The error of node `i` whose future panicked while the stopping run dropped it
    /// (logged, and kept beside the run's own error).
    fn panicked_in_drop(&self, i: usize, payload: &(dyn std::any::Any + Send)) -> WorkflowError {
        panicked_in_drop(W::PLAN, self.shared, i, payload)
    }

    /// Stops the run: cancels the run's token, gives running nodes a chance to notice
    /// (one poll round, plus up to `grace`), then drops what is still running and marks
    /// the rest. Outputs produced after the stop are discarded.
    ///
    /// What does not depend on the workflow's types (the grace, the statuses of the
    /// nodes it stopped, the error) is in plain fns, `abort_begin` and `abort_end`,
    /// compiled once in this crate (issue 17: compile time).
    async fn abort(&mut self, error: WorkflowError, grace: Option<Duration>) -> WorkflowError {
        let (was_running, grace_end) = abort_begin(self.shared, &self.statuses, grace);
        // Spawned nodes that end from now on wake the run at once.
        let _ = self.pending.make().wake_when_done(1);
        // A fused segment runs on to its next node when polled: dropped now.
        let mut drop_errors = self.drop_segments();
        let stopped = |this: &mut Self, done: Finished<W::Value>| {
            this.on_stopped(done);
            Ok::<(), std::convert::Infallible>(())
        };
        if self.pending.count() > 0 {
            // Nodes waiting on `Context::cancelled` were just woken: poll them once.
            // (Not the spawned nodes reporting to the outcome queue: never polled, and
            // without a waker of their own.)
            let mut all = std::mem::take(&mut self.pending.make().due);
            self.pending.make().polled(&mut all);
            let _ = self.poll_each(&all, stopped);
            self.pending.make().due = all;
        }
        // No timer without nodes to wait for; outside tokio (another executor's
        // `block_on`) none can be set: what runs is dropped at once, and the run whose
        // grace it is says so beside its error, once: a child run that inherited it
        // (or a child's node that could not wait, `grace_unkept`) tells that run.
        let grace_end = grace_end.filter(|_| self.pending.count() > 0);
        let own = grace.is_some_and(|g| !g.is_zero());
        let unkept = grace_end.is_some() || (own && self.shared.cancel.grace_unkept());
        if unkept && tokio::runtime::Handle::try_current().is_err() {
            if own {
                drop_errors.push(grace_needs_tokio(W::PLAN.name));
            } else {
                self.shared.note_grace_unkept();
            }
        } else if let Some(end) = grace_end {
            let drain = std::future::poll_fn(|cx| loop {
                if self.pending.count() == 0 {
                    return Poll::Ready(());
                }
                self.pending.make().register(cx);
                if let Ok(false) = self.poll_woken(cx, stopped) {
                    return Poll::Pending;
                }
            });
            let _ = tokio::time::timeout_at(end, drain).await;
        }
        // Drop what still runs one node at a time, so that a panicking `Drop` in one
        // node's future is contained, reported, and does not skip the others.
        let mut still_pending = std::mem::take(&mut self.pending.make().due);
        self.pending.make().all(&mut still_pending);
        for &i in &still_pending {
            self.pending.make().remove(i);
            let (cells, state) = (&mut self.cells, &mut self.state);
            let dropped = std::panic::catch_unwind(AssertUnwindSafe(|| {
                call_cells(cells, state, i, Op::Drop)
            }));
            if let Err(payload) = dropped {
                drop_errors.push(self.panicked_in_drop(i, payload.as_ref()));
            }
        }
        let errors = match self.pending.0.as_deref_mut() {
            Some(cold) => std::mem::take(&mut cold.errors),
            None => Vec::new(),
        };
        // Spawned nodes reporting to the queue: their attempts are noted there.
        let queued_attempts = |i: usize| self.pending.get().map_or(0, |c| c.attempts_made(i));
        abort_end(
            W::PLAN,
            self.shared,
            &mut self.statuses,
            self.supervise_all,
            &queued_attempts,
            AbortErrors {
                error,
                was_running,
                errors,
                dropped: drop_errors,
            },
        )
    }

    /// A node that ended after the run was stopped: it counts as cancelled.
    fn on_stopped(&mut self, done: Finished<W::Value>) {
        let now = self.shared.started.elapsed();
        self.statuses
            .cancelled(self.shared, done.index, done.attempts, now);
    }
}

// The driver's cold paths whose work does not depend on the workflow's types: plain fns
// taking the plan, compiled once in this crate rather than into every crate that
// executes a workflow (issue 17: the compile time an executed workflow adds). The
// driver's methods of the same names call them.

/// Blocks everything downstream of failed node `index` in `blocked` (made on first
/// use, one flag a node of `plan`); see [`Driver::block_downstream`].
fn block_downstream(plan: &Plan, blocked: &mut Box<[bool]>, index: usize) {
    let len = plan.nodes.len();
    if blocked.is_empty() {
        *blocked = vec![false; len].into();
    }
    let mut in_arm = Vec::new();
    if !plan.decisions.is_empty() {
        in_arm = vec![false; len];
        for n in plan
            .decisions
            .iter()
            .flat_map(|d| d.arms.iter().copied().flatten())
        {
            in_arm[*n] = true;
        }
    }
    let mut stack = vec![index];
    while let Some(n) = stack.pop() {
        for &s in plan.nodes[n].successors {
            if !blocked[s] {
                blocked[s] = true;
                if !in_arm.get(s).copied().unwrap_or(false) {
                    stack.push(s);
                }
            }
        }
    }
}

/// The error of node `index` that failed after `attempts` attempts, named as the caller
/// sees it: by the node's path (in a child run: a sub-workflow, a fan-out item) and the
/// root run's workflow (a child run's own plan is the sub-workflow's, or a fan-out
/// body's generated one), also in the `node failed` event logged before the error
/// reaches the root.
fn node_error(
    shared: &RunShared,
    index: usize,
    attempts: u32,
    failure: NodeFailure,
) -> WorkflowError {
    let node = shared.node_name(index);
    let mut error = failure.into_error(shared.root_workflow, node, attempts);
    // A sub-workflow or fan-out node that timed out stopped its child runs' nodes,
    // and so did a node of one of its child runs that timed out (the fail-fast
    // stops the other items): name them too (`still running: front.html`), once.
    if let WorkflowError::Timeout {
        scope: TimeoutScope::Node(_),
        running,
        ..
    } = &mut error
    {
        for name in shared.cancelled_children(index) {
            if !running.contains(&name) {
                running.push(name);
            }
        }
    }
    error
}

/// The running nodes, by path in a child run.
fn running_names(shared: &RunShared, statuses: &Statuses) -> Vec<NodeName> {
    statuses
        .running()
        .map(|(i, _)| shared.node_name(i))
        .collect()
}

fn deadlock_error(
    plan: &Plan,
    shared: &RunShared,
    statuses: &Statuses,
    kind: DeadlockKind,
    held_back: Vec<usize>,
) -> WorkflowError {
    // By path, with the nodes blocked in child runs in place of the nodes running them.
    let waiting = waiting_nodes(shared, statuses.running().map(|(i, _)| i));
    let mut report = deadlock_report(kind, waiting);
    // Ready nodes a concurrency limit kept from starting: part of the deadlock (a
    // `sequential` run whose running node waits for a value the next node publishes).
    report.held_back = held_back.into_iter().map(|i| shared.node_name(i)).collect();
    WorkflowError::Deadlock {
        workflow: plan.name,
        report,
    }
}

/// The error of node `i` whose future panicked while the stopping run dropped it
/// (logged, and kept beside the run's own error).
fn panicked_in_drop(
    plan: &Plan,
    shared: &RunShared,
    i: usize,
    payload: &(dyn std::any::Any + Send),
) -> WorkflowError {
    let message = format!("panicked while being dropped: {}", panic_message(payload));
    let node = plan.nodes[i].name;
    tracing::error!(target: "workflow", workflow = plan.name, node, %message);
    WorkflowError::NodePanicked {
        workflow: plan.name,
        node: shared.node_name(i),
        message,
    }
}

/// A run's timeout or cancellation, or a node's timeout, names the nodes it stopped;
/// a node running a sub-workflow or fan-out (`was_running`) is named by the nodes of
/// its child runs it stopped (`front.html`, `thumbs[2].img`), as their reports say
/// once dropped (see [`abort_end`]).
#[cold]
fn name_stopped_children(
    shared: &RunShared,
    mut error: WorkflowError,
    was_running: &[usize],
) -> WorkflowError {
    if let WorkflowError::Cancelled { running, .. }
    | WorkflowError::Timeout {
        scope: TimeoutScope::Workflow,
        running,
        ..
    } = &mut error
    {
        let mut named = Vec::with_capacity(running.len());
        for &i in was_running {
            let children = shared.cancelled_children(i);
            if children.is_empty() {
                named.push(shared.node_name(i));
            } else {
                named.extend(children);
            }
        }
        *running = named;
    } else if let WorkflowError::Timeout {
        scope: TimeoutScope::Node(_),
        running,
        ..
    } = &mut error
    {
        // A node's own timeout stops its siblings too (fail-fast): `running` names
        // them after the node, as a run's timeout does.
        for &i in was_running {
            let children = shared.cancelled_children(i);
            let names = if children.is_empty() {
                vec![shared.node_name(i)]
            } else {
                children
            };
            for name in names {
                if !running.contains(&name) {
                    running.push(name);
                }
            }
        }
    }
    error
}

/// [`Driver::abort`]'s start: the nodes running when the run stopped, and the end of
/// its grace period if it has one (the run's own, noted for its child runs' nodes before
/// they see the cancellation; a child run without one gets its parent's, if that stops
/// with one). Cancels the run's token.
#[inline(never)]
fn abort_begin(
    shared: &RunShared,
    statuses: &Statuses,
    grace: Option<Duration>,
) -> (Vec<usize>, Option<tokio::time::Instant>) {
    let was_running: Vec<usize> = statuses.running().map(|(i, _)| i).collect();
    let grace_end = match grace.filter(|g| !g.is_zero()) {
        Some(grace) => {
            let end = super::deadline_after(grace);
            shared.cancel.set_grace_end(end);
            Some(end)
        }
        None => shared.inherited_grace_end(),
    };
    shared.cancel.cancel();
    (was_running, grace_end)
}

/// A stopping run's grace outside tokio ([`TokioNeed::CancelGrace`]).
#[cold]
fn grace_needs_tokio(workflow: &'static str) -> WorkflowError {
    WorkflowError::NeedsTokio {
        workflow,
        node: None,
        cause: crate::error::TokioNeed::CancelGrace,
    }
}

/// The errors of a stopped run (see [`abort_end`]).
struct AbortErrors {
    /// Why it stopped.
    error: WorkflowError,
    /// The nodes running when it stopped.
    was_running: Vec<usize>,
    /// Errors kept before (`failure = "continue"`).
    errors: Vec<WorkflowError>,
    /// Panics of node futures dropped by the stop.
    dropped: Vec<WorkflowError>,
}

/// [`Driver::abort`]'s end, once nothing runs: the nodes still running are marked
/// cancelled (or never run), the unstarted ones skipped; the run's error. `queued` says
/// how many attempts a spawned node reporting to the run's queue made.
#[inline(never)]
fn abort_end(
    plan: &Plan,
    shared: &RunSlot,
    statuses: &mut Statuses,
    supervise_all: bool,
    queued: &dyn Fn(usize) -> u32,
    errors: AbortErrors,
) -> WorkflowError {
    let AbortErrors {
        error,
        was_running,
        errors: mut kept,
        dropped: mut drop_errors,
    } = errors;
    let now = shared.started.elapsed();
    let running: Vec<usize> = statuses.running().map(|(i, _)| i).collect();
    for i in running {
        // Its future was dropped before it could say how many attempts it made. An
        // inline node's fn runs when it starts; the others note each attempt whose
        // fn ran. None ran when the node still waited for a node-limit permit, or
        // was spawned and tokio never polled its task: it counts as never started.
        let attempts = match Mode::of(&plan.nodes[i], supervise_all) {
            Mode::Inline => 1,
            // Noted by its queue, if it reported to one.
            Mode::Spawned => shared.attempts_made(i).max(queued(i)),
            _ => shared.attempts_made(i),
        };
        if attempts == 0 {
            statuses.never_ran(shared, i);
        } else {
            statuses.cancelled(shared, i, attempts, now);
        }
    }
    statuses.skip_not_started(shared);
    let error = name_stopped_children(shared, error, &was_running);
    if kept.is_empty() && drop_errors.is_empty() {
        error
    } else {
        kept.push(error);
        kept.append(&mut drop_errors);
        WorkflowError::Multiple {
            workflow: plan.name,
            errors: kept,
        }
    }
}

/// Polls the wait on the run's token, once it exists.
fn poll_cancelled(
    cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'_>>>>,
    cx: &mut TaskContext<'_>,
) -> Poll<()> {
    match cancelled {
        Some(wait) => wait.as_mut().poll(cx),
        None => Poll::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::CountBuf;

    /// The same counts and queue, kept in the driver (`true`) or allocated.
    fn both(deps: &'static [u32]) -> [(CountBuf, bool); 2] {
        [
            (CountBuf::new(deps, CountBuf::small(deps)), true),
            (CountBuf::new(deps, None), false),
        ]
    }

    #[test]
    fn small_counts_take_little_room() {
        // The run's future holds them (W4's diamond's is 944 bytes, glibc's per-thread
        // cache takes up to 1,024): 24 bytes more than the allocated form alone.
        assert!(std::mem::size_of::<CountBuf>() <= 64);
        assert!(CountBuf::small(&[0; CountBuf::SMALL]).is_some());
        assert!(CountBuf::small(&[0; CountBuf::SMALL + 1]).is_none());
    }

    #[test]
    fn counts_down_and_queues_first_in_first_out() {
        // A diamond: 0 -> (1, 2) -> 3.
        for (mut counts, small) in both(&[0, 1, 1, 2]) {
            assert!(counts.ready_is_empty(small));
            counts.push_ready(small, 0);
            assert_eq!(counts.pop_ready(small), Some(0));
            assert_eq!(counts.pop_ready(small), None);
            for s in [1, 2] {
                assert_eq!(counts.count_down(small, s), 0);
                counts.push_ready(small, s);
            }
            assert_eq!(counts.count_down(small, 3), 1);
            assert_eq!(counts.left(small, 3), 1);
            assert_eq!(counts.pop_ready(small), Some(1));
            assert_eq!(counts.count_down(small, 3), 0);
            counts.push_ready(small, 3);
            assert_eq!(counts.pop_ready(small), Some(2));
            assert_eq!(counts.pop_ready(small), Some(3));
            assert!(counts.ready_is_empty(small));
        }
    }

    #[test]
    fn a_full_small_plan_queues_every_node() {
        static DEPS: [u32; CountBuf::SMALL] = [0; CountBuf::SMALL];
        for (mut counts, small) in both(&DEPS) {
            (0..CountBuf::SMALL).for_each(|i| counts.push_ready(small, i));
            let order: Vec<_> = std::iter::from_fn(|| counts.pop_ready(small)).collect();
            assert_eq!(order, (0..CountBuf::SMALL).collect::<Vec<_>>());
        }
    }
}
