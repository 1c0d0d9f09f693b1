//! Wake-ups: which pending nodes to poll again, and which spawned nodes finished.
//!
//! A node that does not complete on its first poll becomes pending. It is then polled
//! only when its own waker fired: each pending node gets a [`NodeWaker`] that sets the
//! node's bit in the run's [`WakeSet`] and wakes the run's task. Nothing here is
//! allocated until a node is pending.
//!
//! A node in a tokio task of its own with nothing to supervise (`Mode::Spawned`) is
//! never polled again after it started: its task pushes the node's outcome into the
//! run's [`Completions`] queue and wakes the run, which takes every outcome queued
//! since its last look (one wake-up of the run for all the tasks that ended meanwhile,
//! no waker per node). The queue keeps its first few outcomes in place, and the run's
//! [`NodeTable`] holds its pending flags, spawned tasks and list of queued nodes in one
//! allocation: a run allocates two things for its spawned nodes (the queue and the
//! table) as long as no more than [`OUTCOMES_IN_PLACE`] of them end unseen at once.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};

use futures::task::AtomicWaker;
use tokio::task::JoinHandle;
use tokio_util::sync::WaitForCancellationFuture;

use crate::shared::RunShared;

mod outcomes;

use outcomes::OUTCOMES_IN_PLACE;
pub(crate) use outcomes::{Completions, Outcome, Spawner};

/// Wake-ups of pending nodes: one bit per node, and the run's own waker.
pub(super) struct WakeSet {
    bits: Box<[AtomicU64]>,
    pub(super) run: AtomicWaker,
}

impl WakeSet {
    fn new(nodes: usize) -> Self {
        Self {
            bits: (0..nodes.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            run: AtomicWaker::new(),
        }
    }

    /// Takes the woken nodes (ascending) into `out`.
    fn drain(&self, out: &mut Vec<usize>) {
        for (w, word) in self.bits.iter().enumerate() {
            let mut bits = word.swap(0, Ordering::Acquire);
            while bits != 0 {
                out.push(w * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
    }
}

/// The waker a pending node is polled with: marks the node woken, wakes the run.
struct NodeWaker {
    set: Arc<WakeSet>,
    index: usize,
}

impl std::task::Wake for NodeWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.set.bits[self.index / 64].fetch_or(1 << (self.index % 64), Ordering::Release);
        self.set.run.wake();
    }
}

/// Per node of a run: whether and how it is pending, and a spawned node's task; and,
/// in a column of the same rows, the list of nodes reporting to the outcome queue (the
/// `k`-th row holds its `k`-th entry: the list is never longer than the table). One
/// allocation for all three, made when the first node is pending.
///
/// Dropping the table (the run stopped, or was dropped) aborts the tasks still in it; a
/// task whose outcome was taken has ended, and its handle was just dropped.
struct NodeTable<T: Outcome> {
    rows: Vec<NodeRow<T>>,
    /// How many rows' `listed` make the list of queued nodes (from `head`).
    listed: usize,
    /// Where the list starts: the entries before it are of nodes no longer pending
    /// (the oldest end first in a lattice's wavefront), dropped without moving the rest.
    head: usize,
}

impl<T: Outcome> Default for NodeTable<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            listed: 0,
            head: 0,
        }
    }
}

struct NodeRow<T: Outcome> {
    waiting: Waiting,
    /// A `Waiting::Queued` node's task, until its outcome is taken (from the queue, or
    /// from the task's output: see [`PendingNodes::wait_in_tasks`]).
    task: Option<JoinHandle<Option<T::InTask>>>,
    /// An entry of the list of queued nodes (see [`NodeTable`]).
    listed: u32,
}

impl<T: Outcome> NodeTable<T> {
    /// Allocates the table for a run of `nodes` nodes (once).
    #[inline]
    fn init(&mut self, nodes: usize) {
        if self.rows.is_empty() {
            self.make(nodes);
        }
    }

    /// Out of line: once per run, off the path of every spawned node.
    #[cold]
    #[inline(never)]
    fn make(&mut self, nodes: usize) {
        self.rows = (0..nodes)
            .map(|_| NodeRow {
                waiting: Waiting::No,
                task: None,
                listed: 0,
            })
            .collect();
    }

    #[inline]
    fn waiting(&self, i: usize) -> Waiting {
        self.rows.get(i).map_or(Waiting::No, |r| r.waiting)
    }

    /// Adds node `i` to the list of queued nodes (inlined into every spawned node's
    /// start; the compaction, needed only if ended nodes filled the list, out of line).
    #[inline(always)]
    fn list(&mut self, i: usize) {
        if self.listed == self.rows.len() {
            self.compact();
        }
        self.rows[self.listed].listed = i as u32;
        self.listed += 1;
    }

    /// Node `i`'s outcome was taken from the queue: whether it was pending (else the
    /// run dropped it, and the outcome is done with). Its task ended: its handle is
    /// dropped, not aborted.
    #[inline(always)]
    fn end_queued(&mut self, i: usize) -> bool {
        match self
            .rows
            .get_mut(i)
            .filter(|row| row.waiting != Waiting::No)
        {
            Some(row) => {
                row.task = None;
                row.waiting = Waiting::No;
                true
            }
            None => false,
        }
    }

    /// Whether the list's `k`-th row names a node still queued.
    #[inline]
    fn live(&self, k: usize) -> bool {
        self.rows[self.rows[k].listed as usize].waiting == Waiting::Queued
    }

    /// Visits the nodes of the list still queued, oldest first, while `go_on` says so.
    /// How many there are if it visited them all; `None` if `go_on` stopped it.
    ///
    /// The wake threshold's scan usually stops at its first node or two (a successor
    /// one end away from ready): the list is not compacted on every scan, which made
    /// each wake-up of the spawned lattice walk its whole wavefront (~250 instructions
    /// a node, issue 17). Ended nodes at its front are skipped once for good; the rest
    /// is compacted only by a full scan that found more ended than queued.
    fn scan(&mut self, mut go_on: impl FnMut(usize) -> bool) -> Option<usize> {
        while self.head < self.listed && !self.live(self.head) {
            self.head += 1;
        }
        let mut live = 0;
        for k in self.head..self.listed {
            if self.live(k) {
                live += 1;
                if !go_on(self.rows[k].listed as usize) {
                    return None;
                }
            }
        }
        if self.listed - self.head > 2 * live + OUTCOMES_IN_PLACE {
            self.compact();
        }
        Some(live)
    }

    /// The oldest outcome left in the task of a pending node that ended (see
    /// [`PendingNodes::wait_in_tasks`]), if any, looking from list position
    /// `*from` on (and moving it past the tasks looked at); a task whose outcome went
    /// to the queue instead (it ended as the run began to wait) sets `queued`. Out of
    /// line: the path of a spawned chain does not grow with it.
    #[inline(never)]
    fn take_from_task(
        &mut self,
        from: &mut usize,
        queued: &mut bool,
        queue: &Completions<T>,
    ) -> Option<T> {
        *from = (*from).max(self.head);
        while *from < self.listed {
            let i = self.rows[*from].listed as usize;
            let row = &mut self.rows[i];
            *from += 1;
            let Some(task) = row
                .task
                .as_mut()
                .filter(|t| row.waiting == Waiting::Queued && t.is_finished())
            else {
                continue;
            };
            // Ended: ready at once, outside the run's cooperative budget (a budget spent
            // would make it look pending, and wake nobody: the waker is a no-op).
            let mut unbudgeted = tokio::task::unconstrained(task);
            let Poll::Ready(ended) =
                Pin::new(&mut unbudgeted).poll(&mut TaskContext::from_waker(Waker::noop()))
            else {
                continue;
            };
            row.task = None;
            match ended {
                Ok(Some(left)) => return Some(T::from_task(i, left)),
                Ok(None) => *queued = true,
                // Cancelled (its runtime shut down), or a panic outside the node's
                // call: no outcome will come, the node fails.
                Err(error) => return Some(T::lost(i, error, queue.attempts_made(i))),
            }
        }
        None
    }

    /// Drops the list's entries of nodes no longer queued; the rest move to its start.
    #[cold]
    #[inline(never)]
    fn compact(&mut self) {
        let mut kept = 0;
        for k in self.head..self.listed {
            if self.live(k) {
                self.rows[kept].listed = self.rows[k].listed;
                kept += 1;
            }
        }
        self.head = 0;
        self.listed = kept;
    }
}

impl<T: Outcome> Drop for NodeTable<T> {
    fn drop(&mut self) {
        for task in self.rows.iter().filter_map(|r| r.task.as_ref()) {
            task.abort();
        }
    }
}

/// [`PendingNodes::spawner`]'s making of the run's outcome queue, once per run: out
/// of line, off the code of every spawned node's start (issue 17).
#[cold]
#[inline(never)]
fn new_spawner<'a, T: Outcome>(
    none: &'a mut Option<Spawner<T>>,
    cx: &TaskContext<'_>,
    shared: &Arc<RunShared>,
) -> &'a Spawner<T> {
    // Armed with the run's waker.
    let queue = Arc::new(Completions::new(Arc::clone(shared), cx.waker()));
    // Its first spawned node starts now.
    queue.track_tasks();
    none.insert(Spawner {
        queue,
        started: Cell::new(None),
    })
}

/// The most spawned nodes a run's queue makes room for at once when its first spawned
/// node starts (it grows past that if needed).
const QUEUE_CAPACITY: usize = 64;

/// Whether, and how, a node is pending.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Waiting {
    No,
    /// Polled again when its waker fires.
    Polled,
    /// Never polled again: its task reports to the outcome queue.
    Queued,
}

/// Nodes that did not complete on their first poll. Nothing here is allocated until a
/// node is pending: a run whose nodes all complete at once never allocates a waker.
pub(super) struct PendingNodes<T: Outcome> {
    /// Number of pending nodes.
    pub(super) count: usize,
    /// Whether and how each node is pending; spawned nodes' tasks; the list of nodes
    /// reporting to the outcome queue.
    table: NodeTable<T>,
    /// Pending nodes first polled with the run's waker rather than their own: they are
    /// polled with their own at the run's next wake-up.
    untracked: Vec<usize>,
    wakers: Vec<Option<Waker>>,
    pub(super) set: Option<Arc<WakeSet>>,
    /// Scratch for [`WakeSet::drain`].
    woken: Vec<usize>,
    /// The outcome queue of spawned nodes (made when the first one starts).
    done: Option<Spawner<T>>,
    /// The one outcome taken from `done` as the run's poll began (see
    /// [`polling`](Self::polling)), handed out first.
    next: Option<T>,
    /// Outcomes taken from `done` all at once (more than one was queued), handed out
    /// from here first (after `next`). Allocated the first time (a chain never does).
    taken: VecDeque<T>,
    /// The queue has room for more outcomes than it keeps in place.
    done_reserved: bool,
    /// How the outcome queue's waker watches the run's cancellation.
    cancel_watch: CancelWatch,
    /// Whether spawned nodes that end well leave their outcomes in their tasks (the
    /// run's copy of the queue's `in_tasks`, see [`wait_in_tasks`](Self::wait_in_tasks)).
    in_tasks: bool,
    /// Whether tasks may hold outcomes to take (see [`take_done`](Self::take_done)).
    tasks_due: bool,
    /// The list position from which [`take_done`](Self::take_done) goes on looking
    /// into tasks (those before it were looked at since `tasks_due` was set).
    tasks_from: usize,
}

/// How a run with an outcome queue learns that it was cancelled without looking at its
/// token (a lock) on every poll: the queue is the waker of what would tell, and sets
/// its `cancel_fired` flag when woken.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CancelWatch {
    /// Nothing watches yet: the run looks at its token on every poll.
    No,
    /// The run has no token, and the queue waits for one to be made (every stop from
    /// outside makes it: `RunHandle::cancel`, a node's `Context::cancelled`), in the
    /// run's cancellation's waker slot (`RunCancel::watch`). No token is made for the
    /// run's own sake: a token, its wait and its cancellation as the run ends cost a W4
    /// diamond run two allocations and ~1,000 instructions (issue 17). The slot's waker
    /// is taken out as the run ends (see `Drop`): it holds the queue, which holds the
    /// run's shared state, which holds the slot.
    TokenMade,
    /// The run's cancellation future was polled with the queue as its waker.
    Cancelled,
}

impl<T: Outcome> Default for PendingNodes<T> {
    fn default() -> Self {
        Self {
            count: 0,
            table: NodeTable::default(),
            untracked: Vec::new(),
            wakers: Vec::new(),
            set: None,
            woken: Vec::new(),
            done: None,
            next: None,
            taken: VecDeque::new(),
            done_reserved: false,
            cancel_watch: CancelWatch::No,
            in_tasks: false,
            tasks_due: false,
            tasks_from: 0,
        }
    }
}

impl<T: Outcome> Drop for PendingNodes<T> {
    /// The run ends: the queue's waker waiting for a token to be made (if it still does)
    /// is taken out of the run's shared state, which the queue holds (a cycle).
    fn drop(&mut self) {
        if let (CancelWatch::TokenMade, Some(done)) = (self.cancel_watch, &self.done) {
            done.queue.shared.cancel.unwatch();
        }
    }
}

impl<T: Outcome> PendingNodes<T> {
    /// Allocates the wake set and waker table for a run of `nodes` nodes (once).
    ///
    /// Keyed on the wake set, not on the node table: a spawned node reporting to the
    /// outcome queue may have made the table already ([`add_queued`](Self::add_queued))
    /// without a wake set, and a node pending after it still needs one.
    pub(super) fn init(&mut self, nodes: usize) {
        if self.set.is_none() {
            self.table.init(nodes);
            self.wakers = vec![None; nodes];
            self.set = Some(Arc::new(WakeSet::new(nodes)));
        }
    }

    /// Node `i` returned `Pending` from its first poll, `tracked` if polled with its
    /// own waker (else with the run's).
    pub(super) fn add(&mut self, i: usize, nodes: usize, tracked: bool) {
        self.init(nodes);
        self.table.rows[i].waiting = Waiting::Polled;
        self.count += 1;
        if !tracked {
            self.untracked.push(i);
        }
    }

    /// Node `i` runs in a task of its own that reports to [`Completions`]: pending until
    /// its outcome is taken, never polled meanwhile. Its task's handle, which its start
    /// left in the spawner, is kept in the node table.
    ///
    /// `ready`: how many more nodes are ready to start in this poll (a fan-out's
    /// branches after this one), asked only as the queue's room is made; `nodes`: how
    /// many the run has.
    ///
    /// Inlined (into the two places a spawned node starts): a call of its own was ~15
    /// instructions a spawned node (issue 17); its rare part is out of line.
    #[inline(always)]
    pub(super) fn add_queued(&mut self, i: usize, nodes: usize, ready: impl FnOnce() -> usize) {
        self.table.init(nodes);
        let row = &mut self.table.rows[i];
        row.waiting = Waiting::Queued;
        row.task = self.done.as_ref().and_then(|d| d.started.take());
        self.table.list(i);
        self.count += 1;
        if self.count > OUTCOMES_IN_PLACE && !self.done_reserved {
            self.reserve_queue(nodes, ready());
        }
    }

    /// More may end unseen at once than the queue keeps in place: room for as many as
    /// are likely (those pending, and those about to start: a fan-out's every branch;
    /// at least [`QUEUE_CAPACITY`]), once per run, rather than grown a few times, each
    /// time under the queue's lock by a task ending. Out of line, off the path of every
    /// spawned node.
    #[cold]
    #[inline(never)]
    fn reserve_queue(&mut self, nodes: usize, ready: usize) {
        self.done_reserved = true;
        if let Some(done) = &self.done {
            done.queue
                .reserve((self.count + ready).max(QUEUE_CAPACITY).min(nodes));
        }
    }

    /// The run's outcome queue for spawned nodes, with the slot for a started task's
    /// handle. Made on first use, with the run's waker registered, so the node about to
    /// start reaches this run when it ends; later, [`polling`](Self::polling)
    /// registers it once per poll of the run.
    ///
    /// Inlined into every spawned node's start, the making out of line (see
    /// [`new_spawner`]).
    #[inline(always)]
    pub(super) fn spawner(&mut self, cx: &TaskContext<'_>, shared: &Arc<RunShared>) -> &Spawner<T> {
        match &mut self.done {
            Some(done) => done,
            none => new_spawner(none, cx, shared),
        }
    }

    /// Visits the nodes reporting to the outcome queue that are still pending, while
    /// `go_on` says so: how many there are, or `None` if it stopped (see
    /// [`NodeTable::scan`]).
    pub(super) fn scan_queued(&mut self, go_on: impl FnMut(usize) -> bool) -> Option<usize> {
        self.table.scan(go_on)
    }

    /// The run is being polled: spawned nodes ending meanwhile need not wake it (it
    /// looks at the queue, and sets when to be woken, before it waits). Registers the
    /// run's waker with the queue, once per poll: a wake-up that races with a later
    /// look at the queue in this poll then reaches the run (and polls it again).
    ///
    /// Takes the outcomes queued meanwhile under the same lock, to be handed out by
    /// [`take_done`](Self::take_done) in this poll (after any taken earlier and not
    /// yet handed out: a poll that yielded).
    ///
    /// While spawned nodes leave their outcomes in their tasks, those that ended are
    /// looked for too, by [`take_done`](Self::take_done) once the queue is empty.
    #[inline(always)]
    pub(super) fn polling(&mut self, cx: &TaskContext<'_>) {
        if let Some(done) = &self.done {
            done.queue
                .polling(cx.waker(), &mut self.next, &mut self.taken, self.count);
            self.tasks_due = self.in_tasks;
            self.tasks_from = 0;
        }
    }

    /// Whether spawned nodes that end well leave their outcomes in their tasks (see
    /// [`wait_in_tasks`](Self::wait_in_tasks)).
    #[inline]
    pub(super) fn in_tasks(&self) -> bool {
        self.in_tasks
    }

    /// Whether the run, about to wait for `all` its pending nodes or not, waits on
    /// their tasks ([`wait_in_tasks`](Self::wait_in_tasks)): for all of more than the
    /// queue keeps in place, all spawned (a fan-out's branches), and from then on until
    /// none is pending. Not for fewer: with a few branches (a W4 diamond's eight) the
    /// queue's line moves little, and 10,000 such runs at once, each a task, lost 8% of
    /// their throughput to the handles' polls and wakers (issue 17, session 38).
    #[inline]
    pub(super) fn waits_in_tasks(&self, all: bool) -> bool {
        self.in_tasks || (all && self.count > OUTCOMES_IN_PLACE && self.set.is_none())
    }

    /// The run stops: outcomes left in the tasks of nodes that ended are handed out by
    /// [`take_done`](Self::take_done) too, whatever the run last waited for.
    pub(super) fn look_in_tasks(&mut self) {
        self.tasks_due = self.in_tasks;
        self.tasks_from = 0;
    }

    /// The run waits for its pending spawned nodes, all reporting to the outcome
    /// queue: for `all` of them to end (nothing else can give it something to do: a
    /// fan-out's branches), else for any one. Whether it must not wait (an outcome is
    /// there to take).
    ///
    /// From the first such wait until no node is pending, a node that ends well leaves
    /// its outcome in its own task (see [`Completions::keeps_in_tasks`]), and the run
    /// waits on the tasks' `JoinHandle`s, as hand-written code awaits its handles: for
    /// all, on the last pending task that has not ended (the run is woken again if
    /// others still run then, and waits on the next); for any one, on every pending
    /// task. A failure still goes through the queue and wakes the run at once. Out of
    /// line: a few times a run that waits for many spawned nodes (see
    /// [`waits_in_tasks`](Self::waits_in_tasks)).
    #[inline(never)]
    pub(super) fn wait_in_tasks(&mut self, cx: &TaskContext<'_>, all: bool) -> bool {
        let Some(done) = &self.done else {
            return false;
        };
        // The handshake with the tasks once, as the run begins to wait this way; later
        // waits only look: each poll of the run sets the queue's threshold to none
        // already, a stop's `wake_when_done(1)` stays, and an outcome a task queued
        // unseen is found through its handle anyway.
        let queued = if self.in_tasks {
            done.queue.any_queued()
        } else {
            self.in_tasks = true;
            done.queue.keep_in_tasks()
        };
        if queued || self.next.is_some() || !self.taken.is_empty() {
            return true;
        }
        let table = &mut self.table;
        let mut ended = false;
        for k in (table.head..table.listed).rev() {
            let i = table.rows[k].listed as usize;
            let row = &mut table.rows[i];
            let Some(task) = row.task.as_mut().filter(|_| row.waiting == Waiting::Queued) else {
                continue;
            };
            if task.is_finished() {
                // Taken when the run is woken (for all: by a task still running).
                ended = true;
                continue;
            }
            match Pin::new(task).poll(&mut TaskContext::from_waker(cx.waker())) {
                // Woken when it ends.
                Poll::Pending if all => return false,
                Poll::Pending => {}
                // It ended since the look above.
                Poll::Ready(left) => {
                    row.task = None;
                    self.taken.extend(match left {
                        Ok(left) => left.map(|left| T::from_task(i, left)),
                        // Cancelled, or a panic outside the node's call: it fails.
                        Err(error) => Some(T::lost(i, error, done.queue.attempts_made(i))),
                    });
                    ended = true;
                }
            }
        }
        ended
    }

    /// Whether every pending node reports to the outcome queue (none is polled with a
    /// waker of its own) and some may have ended (see `Driver::step_spawned`).
    #[inline]
    pub(super) fn only_queued_ended(&self) -> bool {
        self.set.is_none() && self.any_done()
    }

    /// Registers the run's waker with the outcome queue (see
    /// [`polling`](Self::polling)), for a run that waits for its nodes without being in
    /// [`Driver::poll_event`](super::driver::Driver).
    ///
    /// While spawned nodes leave their outcomes in their tasks, the run's waker is left
    /// with every pending one too, and those that ended are taken.
    pub(super) fn register(&mut self, cx: &TaskContext<'_>) {
        if let Some(done) = &self.done {
            done.queue.register(cx.waker());
            if self.in_tasks && self.wait_in_tasks(cx, false) {
                self.tasks_due = true;
                self.tasks_from = 0;
                cx.waker().wake_by_ref();
            }
        }
    }

    /// Whether it holds the one outcome taken as the run's poll began (see
    /// [`polling`](Self::polling)), to be handed out first.
    #[inline]
    pub(super) fn holds_next(&self) -> bool {
        self.next.is_some()
    }

    /// Whether spawned nodes report to an outcome queue in this run.
    pub(super) fn has_queue(&self) -> bool {
        self.done.is_some()
    }

    /// Whether the outcome queue may hold outcomes to take (a look without its lock):
    /// when not, the run skips the take.
    #[inline]
    pub(super) fn any_done(&self) -> bool {
        self.done
            .as_ref()
            .is_some_and(|d| d.queue.any_queued() || self.next.is_some() || !self.taken.is_empty())
            || self.tasks_due
    }

    /// Asks the outcome queue (if any) to wake the run once `n` outcomes are queued;
    /// whether that many already are.
    pub(super) fn wake_when_done(&self, n: usize) -> bool {
        self.done.as_ref().is_some_and(|d| d.queue.set_wake_at(n))
    }

    /// In a run with an outcome queue: watches the run's cancellation with the queue as
    /// the waker, so that later polls of the run can tell whether it may have been
    /// cancelled without taking the token's lock
    /// ([`may_be_cancelled`](Self::may_be_cancelled)). Once the run's token exists,
    /// polls the run's wait on it (`cancelled`, made here if need be) once with that
    /// waker: whether it fired. Before, waits for the token to be made (see
    /// [`CancelWatch::TokenMade`]): `Some(false)`. `None` when nothing changed since the
    /// last call (or no queue): the caller looks at the token if
    /// [`may_be_cancelled`](Self::may_be_cancelled) says so.
    #[inline]
    pub(super) fn watch_cancel<'a>(
        &mut self,
        shared: &'a RunShared,
        cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
    ) -> Option<bool>
    where
        T: Send + 'static,
    {
        let done = self.done.as_ref()?;
        match self.cancel_watch {
            CancelWatch::Cancelled => None,
            // No token made since (its maker wakes the queue).
            CancelWatch::TokenMade if !done.queue.cancel_fired.load(Ordering::SeqCst) => None,
            _ => Some(self.start_watching(shared, cancelled)),
        }
    }

    /// [`watch_cancel`](Self::watch_cancel) when something changed: out of line, off
    /// the path of every wake-up (once or twice a run).
    #[cold]
    #[inline(never)]
    fn start_watching<'a>(
        &mut self,
        shared: &'a RunShared,
        cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
    ) -> bool
    where
        T: Send + 'static,
    {
        let Some(done) = &self.done else {
            return false;
        };
        let waker = Waker::from(Arc::clone(&done.queue));
        let wait = match cancelled {
            Some(wait) => wait,
            None => match shared.cancel.watch(&waker) {
                Some(token) => cancelled.insert(Box::pin(token.cancelled())),
                None => {
                    self.cancel_watch = CancelWatch::TokenMade;
                    return false;
                }
            },
        };
        // From now on the queue's waker fires only for the token's cancellation (the
        // wait polled below sees one that came before).
        done.queue.cancel_fired.store(false, Ordering::SeqCst);
        self.cancel_watch = CancelWatch::Cancelled;
        wait.as_mut()
            .poll(&mut TaskContext::from_waker(&waker))
            .is_ready()
    }

    /// Whether the outcome queue's waker watches the run's cancellation (or waits for
    /// its token to be made) and has not fired since: then the run was not cancelled
    /// since its last look, and a wait needs no new watch
    /// ([`watch_cancel`](Self::watch_cancel) would return `None`, and
    /// [`may_be_cancelled`](Self::may_be_cancelled) `false`).
    #[inline]
    pub(super) fn cancel_watched_unfired(&self) -> bool {
        self.cancel_watch != CancelWatch::No && !self.may_be_cancelled()
    }

    /// Whether the run's token may have been cancelled since the last look: always,
    /// unless the outcome queue's waker watches it (or waits for it to be made) and has
    /// not fired.
    #[inline]
    pub(super) fn may_be_cancelled(&self) -> bool {
        match &self.done {
            Some(done) if self.cancel_watch != CancelWatch::No => {
                done.queue.cancel_fired.load(Ordering::SeqCst)
            }
            _ => true,
        }
    }

    /// How many attempts spawned node `i`, reporting to the outcome queue, made: 1 if
    /// its task called its fn (see [`Completions::note_attempt`]).
    pub(super) fn attempts_made(&self, i: usize) -> u32 {
        self.done
            .as_ref()
            .map_or(0, |done| done.queue.attempts_made(i))
    }

    /// Node `i` is no longer pending: it finished, or the run drops it (then its task,
    /// if it reports to the outcome queue, is aborted).
    pub(super) fn remove(&mut self, i: usize) {
        if self.contains(i) {
            let row = &mut self.table.rows[i];
            if let Some(task) = row.task.take() {
                // A no-op for a task that ended.
                task.abort();
            }
            row.waiting = Waiting::No;
            self.count -= 1;
            if self.count == 0 {
                self.report_here();
            }
        }
    }

    /// No node is pending: spawned nodes started from now on report to the queue
    /// again, until the run waits for all of several (see
    /// [`wait_in_tasks`](Self::wait_in_tasks)).
    #[inline]
    fn report_here(&mut self) {
        if self.in_tasks {
            self.in_tasks = false;
            self.tasks_due = false;
            if let Some(done) = &self.done {
                done.queue.report_here();
            }
        }
    }

    #[inline]
    pub(super) fn contains(&self, i: usize) -> bool {
        self.table.waiting(i) != Waiting::No
    }

    /// Node `i`'s own waker (made on first use).
    pub(super) fn waker(&mut self, i: usize) -> Waker {
        let set = self.set.as_ref().expect("a pending node has a wake set");
        self.wakers[i]
            .get_or_insert_with(|| {
                Waker::from(Arc::new(NodeWaker {
                    set: Arc::clone(set),
                    index: i,
                }))
            })
            .clone()
    }

    /// [`take_done`](Self::take_done) until nothing is queued, then
    /// [`take_woken`](Self::take_woken).
    #[cfg(test)]
    fn take_due(
        &mut self,
        cx: &TaskContext<'_>,
        due: &mut Vec<usize>,
        done: &mut Vec<T>,
        index: impl Fn(&T) -> usize + Copy,
    ) {
        self.register(cx);
        while let Some(outcome) = self.take_done(index) {
            done.push(outcome);
        }
        self.take_woken(cx, due);
    }

    /// The oldest outcome of a spawned node queued since the last look, if any (its
    /// node is no longer pending); outcomes of nodes no longer pending (dropped as the
    /// run stopped) are done with, and skipped. One lock for all those queued at
    /// once (see [`Completions::take`]); a chain takes one per wake-up, without a
    /// buffer.
    ///
    /// The run's waker must be registered first (once per poll:
    /// [`polling`](Self::polling), [`register`](Self::register)), so a wake-up that
    /// races with this look is not lost.
    ///
    /// Inlined into the run's loop: the outcome is moved once less on its way.
    #[inline(always)]
    pub(super) fn take_done(&mut self, index: impl Fn(&T) -> usize) -> Option<T> {
        let queue = &self.done.as_ref()?.queue;
        loop {
            // `next` (a chain's every outcome) looked at in place, its node's row done
            // with, and only then moved out, straight to the caller: taken first, it was
            // copied three times on the stack on its way, now once (issue 17). (Looked
            // at before it is taken, too: `Option::take` copies the whole outcome out and
            // writes `None` back even when there is none.)
            if let Some(outcome) = &self.next {
                let ended = self.table.end_queued(index(outcome));
                if ended {
                    self.count -= 1;
                }
                let outcome = self.next.take();
                if ended {
                    if self.count == 0 {
                        self.report_here();
                    }
                    return outcome;
                }
                continue;
            }
            let outcome = match self.taken.pop_front() {
                Some(outcome) => outcome,
                None => match queue.take(&mut self.taken, self.count) {
                    Some(outcome) => outcome,
                    None if self.tasks_due => {
                        let mut queued = false;
                        match self
                            .table
                            .take_from_task(&mut self.tasks_from, &mut queued, queue)
                        {
                            Some(outcome) => outcome,
                            // Looked at every task: the queue once more if one queued.
                            None if queued => continue,
                            None => {
                                self.tasks_due = false;
                                return None;
                            }
                        }
                    }
                    None => return None,
                },
            };
            if self.table.end_queued(index(&outcome)) {
                self.count -= 1;
                if self.count == 0 {
                    self.report_here();
                }
                return Some(outcome);
            }
        }
    }

    /// Puts the pending nodes to poll now into `due`: those not yet polled with their
    /// own waker, then those woken since the last look. Registers the run's waker
    /// first, so a wake-up that races with this look is not lost.
    pub(super) fn take_woken(&mut self, cx: &TaskContext<'_>, due: &mut Vec<usize>) {
        due.clear();
        let Some(set) = &self.set else { return };
        set.run.register(cx.waker());
        due.append(&mut self.untracked);
        set.drain(&mut self.woken);
        for i in self.woken.drain(..) {
            if self.table.waiting(i) == Waiting::Polled {
                due.push(i);
            }
        }
    }

    /// Puts every pending node into `out` (ascending).
    pub(super) fn all(&self, out: &mut Vec<usize>) {
        out.clear();
        out.extend((0..self.table.rows.len()).filter(|&i| self.contains(i)));
    }

    /// Puts every pending node that is polled (not one reporting to the outcome queue)
    /// into `out` (ascending).
    pub(super) fn polled(&self, out: &mut Vec<usize>) {
        out.clear();
        out.extend(
            (0..self.table.rows.len()).filter(|&i| self.table.waiting(i) == Waiting::Polled),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop_cx() -> TaskContext<'static> {
        TaskContext::from_waker(Waker::noop())
    }

    /// A run's shared state, for a queue (which only reads its start).
    pub(super) fn test_shared() -> Arc<RunShared> {
        let runtime =
            crate::shared::RuntimeShared::new(Default::default(), None, false, Vec::new());
        Arc::new(RunShared::new(
            0,
            tokio::time::Instant::now(),
            "test",
            &[],
            Some(tokio_util::sync::CancellationToken::new()),
            false,
            false,
            Arc::new(runtime),
            None,
            None,
            #[cfg(feature = "store")]
            None,
        ))
    }

    /// A run's pending nodes with an outcome queue, and its nodes `queued` (of
    /// `nodes`) reporting to it.
    fn queued_nodes(
        queued: std::ops::Range<usize>,
        nodes: usize,
    ) -> (PendingNodes<usize>, Arc<Completions<usize>>) {
        let mut p = PendingNodes::<usize>::default();
        let queue = Arc::clone(&p.spawner(&noop_cx(), &test_shared()).queue);
        for i in queued {
            p.add_queued(i, nodes, || 0);
        }
        (p, queue)
    }

    #[test]
    fn wake_set_drains_woken_nodes_across_words_once() {
        let set = WakeSet::new(130);
        assert_eq!(set.bits.len(), 3);
        for i in [129, 0, 64, 63, 64] {
            set.bits[i / 64].fetch_or(1 << (i % 64), Ordering::Release);
        }
        let mut out = Vec::new();
        set.drain(&mut out);
        assert_eq!(out, [0, 63, 64, 129]);
        out.clear();
        set.drain(&mut out);
        assert!(out.is_empty(), "drained bits are cleared");
    }

    #[test]
    fn pending_nodes_are_due_once_untracked_then_when_woken() {
        let mut p = PendingNodes::<usize>::default();
        assert!(p.set.is_none(), "nothing allocated before a node waits");
        p.add(5, 130, false);
        p.add(100, 130, false);
        p.add(7, 130, true);
        assert_eq!(p.count, 3);
        let cx = noop_cx();
        let mut due = Vec::new();
        let mut done = Vec::new();
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert_eq!(due, [5, 100], "polled once with their own waker");
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert!(due.is_empty(), "nothing woken since");

        // A node's own waker makes it (and only it) due again; so does a clone of it.
        p.waker(100).wake_by_ref();
        p.waker(7).wake();
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert_eq!(due, [7, 100]);

        // A finished node is no longer due, even if its waker fires late.
        p.remove(100);
        assert!(!p.contains(100));
        p.waker(100).wake();
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert!(due.is_empty());
        assert_eq!(p.count, 2);
        p.all(&mut due);
        assert_eq!(due, [5, 7]);
    }

    #[test]
    fn a_poll_of_the_run_takes_what_is_queued_as_it_registers_its_waker() {
        let cx = noop_cx();
        let (mut p, queue) = queued_nodes(0..6, 8);
        // One queued (a chain): taken as the poll begins, no lock left to take it.
        queue.complete(false, |_| 4);
        p.polling(&cx);
        assert_eq!(p.next, Some(4));
        assert!(!queue.any_queued() && p.any_done());
        // More while one is held (a poll that yielded): behind it, in order.
        queue.complete(false, |_| 1);
        queue.complete(false, |_| 5);
        p.polling(&cx);
        queue.complete(false, |_| 0);
        let index = |&i: &usize| i;
        let done: Vec<usize> = std::iter::from_fn(|| p.take_done(index)).collect();
        assert_eq!(done, [4, 1, 5, 0]);
        // Several at once while others run: all moved out under the one lock.
        p.add_queued(6, 8, || 0);
        p.add_queued(7, 8, || 0);
        queue.complete(false, |_| 3);
        queue.complete(false, |_| 2);
        p.polling(&cx);
        assert_eq!((p.next, Vec::from(p.taken.clone())), (None, vec![3, 2]));
        assert!(!queue.set_wake_at(1), "taken outcomes no longer count");
        let done: Vec<usize> = std::iter::from_fn(|| p.take_done(index)).collect();
        assert_eq!(done, [3, 2]);
        // Those of every pending node (nothing queues meanwhile): one at a time.
        queue.complete(false, |_| 7);
        queue.complete(false, |_| 6);
        p.polling(&cx);
        assert_eq!(p.next, Some(7));
        assert!(
            p.taken.is_empty() && queue.set_wake_at(1),
            "one still queued"
        );
        let done: Vec<usize> = std::iter::from_fn(|| p.take_done(index)).collect();
        assert_eq!(done, [7, 6]);
        assert_eq!(p.count, 0);
        assert!(!p.any_done());
    }

    #[test]
    fn the_threshold_scan_visits_queued_nodes_only_and_stops_when_asked() {
        let (mut p, queue) = queued_nodes(0..30, 30);
        let index = |&i: &usize| i;
        for i in [0, 1, 2, 5] {
            queue.complete(false, move |_| i);
        }
        while p.take_done(index).is_some() {}
        let mut seen = Vec::new();
        let all = p.scan_queued(|i| {
            seen.push(i);
            true
        });
        assert_eq!(all, Some(26));
        assert_eq!(seen[..4], [3, 4, 6, 7]);
        assert_eq!(seen.len(), 26);
        // Stopped early: `None`, and nothing after the stop visited.
        seen.clear();
        let stopped = p.scan_queued(|i| {
            seen.push(i);
            i < 6
        });
        assert_eq!((stopped, seen.as_slice()), (None, &[3, 4, 6][..]));
        // Most end, out of order: a full scan compacts the list, which then holds each
        // queued node once, in the order they were queued.
        for i in (4..28).rev().filter(|&i| i != 5) {
            queue.complete(false, move |_| i);
        }
        while p.take_done(index).is_some() {}
        seen.clear();
        let all = p.scan_queued(|i| {
            seen.push(i);
            true
        });
        assert_eq!((all, seen.as_slice()), (Some(3), &[3, 28, 29][..]));
        assert_eq!(p.table.listed - p.table.head, 3, "compacted");
        // Queued after the compaction: listed behind the others.
        p.add_queued(5, 30, || 0);
        seen.clear();
        assert_eq!(
            p.scan_queued(|i| {
                seen.push(i);
                true
            }),
            Some(4)
        );
        assert_eq!(seen, [3, 28, 29, 5]);
    }

    #[test]
    fn a_fan_out_reserves_room_for_every_branch_once() {
        // A fan-out of 100 past the ring: room for the 100 branches (those pending and
        // those ready to start), not the 64 of a default.
        let mut p = PendingNodes::<usize>::default();
        let queue = Arc::clone(&p.spawner(&noop_cx(), &test_shared()).queue);
        for i in 1..=100 {
            p.add_queued(i, 102, || 100 - i);
        }
        assert!(queue.room() >= 100 - OUTCOMES_IN_PLACE);
        assert_eq!(p.count, 100);
    }

    #[test]
    fn many_outcomes_are_taken_in_the_order_they_ended() {
        let cx = noop_cx();
        let (mut p, queue) = queued_nodes(0..20, 20);
        // More than are kept in place: taken all at once, handed out in order, with
        // outcomes queued meanwhile after them.
        let order = [7, 3, 19, 0, 11, 12, 5, 6, 1, 2, 18, 4];
        for &i in &order {
            queue.complete(false, |_| i);
        }
        let index = |&i: &usize| i;
        let mut done: Vec<usize> = (0..3).map_while(|_| p.take_done(index)).collect();
        queue.complete(false, |_| 13);
        queue.complete(false, |_| 9);
        let (mut due, mut rest) = (Vec::new(), Vec::new());
        p.take_due(&cx, &mut due, &mut rest, index);
        done.append(&mut rest);
        assert_eq!(done, [7, 3, 19, 0, 11, 12, 5, 6, 1, 2, 18, 4, 13, 9]);
        assert_eq!(p.count, 6);
        assert!(!p.any_done());
    }

    #[test]
    fn spawned_outcomes_are_taken_once_and_only_for_pending_nodes() {
        let mut p = PendingNodes::<usize>::default();
        let cx = noop_cx();
        let queue = Arc::clone(&p.spawner(&cx, &test_shared()).queue);
        p.add_queued(3, 10, || 0);
        p.add_queued(8, 10, || 0);
        assert_eq!(p.count, 2);
        assert!(p.set.is_none(), "a queued node needs no wake set or waker");
        queue.complete(false, |_| 8);
        queue.complete(false, |_| 3);
        let (mut due, mut done) = (Vec::new(), Vec::new());
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert!(due.is_empty());
        assert_eq!(done, [8, 3], "in the order they ended");
        assert_eq!(p.count, 0);
        done.clear();
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert!(done.is_empty(), "taken once");

        // A node pending with a waker after a queued node gets a wake set of its own
        // (regression: the queued node's pending flags stood in for it, and the node's
        // waker panicked, or an untracked node was never due).
        p.add_queued(1, 10, || 0);
        p.add(2, 10, false);
        p.init(10);
        let waker = p.waker(4);
        p.add(4, 10, true);
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert_eq!(due, [2], "polled once with its own waker");
        waker.wake();
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert_eq!(due, [4]);
        // A stopping run polls the polled ones once, and drops them all.
        p.polled(&mut due);
        assert_eq!(due, [2, 4], "not the queued node");
        p.all(&mut due);
        assert_eq!(due, [1, 2, 4]);
        p.remove(2);
        p.remove(4);
        queue.complete(false, |_| 1);
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert_eq!(done, [1]);
        assert_eq!(p.count, 0);
        done.clear();

        // An outcome for a node no longer pending (dropped as the run stopped) is not
        // handed out.
        p.add_queued(5, 10, || 0);
        p.remove(5);
        queue.complete(false, |_| 5);
        p.take_due(&cx, &mut due, &mut done, |&i| i);
        assert!(done.is_empty());
    }

    /// Tasks of a wide spawned fan-out that tokio cancelled (their runtime dropped) while
    /// the run waits on their handles: each is its node's failure, with the attempt its
    /// task noted (1 for a task that called its fn, 0 for one never polled), as the
    /// failure the task's own drop queues says.
    #[test]
    fn a_cancelled_task_seen_through_its_handle_counts_the_attempt_it_made() {
        use super::outcomes::LOST_ATTEMPT;
        let tokio_rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let cx = noop_cx();
        let mut p = PendingNodes::<usize>::default();
        let shared = test_shared();
        let nodes = OUTCOMES_IN_PLACE + 2;
        for i in 0..nodes {
            let task = tokio_rt.spawn(std::future::pending::<Option<usize>>());
            p.spawner(&cx, &shared).started.set(Some(task));
            p.add_queued(i, nodes, || 0);
        }
        let queue = Arc::clone(&p.spawner(&cx, &shared).queue);
        queue.note_attempt(1);
        queue.note_attempt(nodes - 1);
        // Never polled (the runtime never ran), now cancelled.
        drop(tokio_rt);
        assert!(p.wait_in_tasks(&cx, true), "ended tasks to take");
        p.register(&cx);
        let mut lost: Vec<usize> =
            std::iter::from_fn(|| p.take_done(|&i| i % LOST_ATTEMPT)).collect();
        lost.sort_unstable();
        let mut expected: Vec<usize> = (0..nodes).collect();
        expected[1] += LOST_ATTEMPT;
        expected[nodes - 1] += LOST_ATTEMPT;
        expected.sort_unstable();
        assert_eq!(lost, expected);
        assert_eq!(p.count, 0);
    }
}
