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
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context as TaskContext, Waker};
use std::time::Duration;

use futures::task::AtomicWaker;
use parking_lot::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::WaitForCancellationFuture;

use crate::shared::{RunShared, TaskGuard};

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

/// The outcomes of a run's spawned nodes (`Mode::Spawned`), pushed by their tasks as
/// they end and taken by the run once per wake-up.
///
/// A task wakes the run only when the run asked for it: a failure always does, a
/// success only once [`wake_at`](Self::set_wake_at) outcomes are queued (the run sets
/// that to the fewest completions that could make a node ready or end the run: the
/// successors of a fan-out's branches wait for all of them, so the branches wake the
/// run once, not once each). So outcomes may wait in the queue unseen: whatever
/// stops the run (a timeout, cancellation, a stall) takes them first, and a node that
/// ended before it counts as finished, at the time it ended.
///
/// Held by the run and by its spawned tasks only (and, while the run waits, by the
/// run's cancellation future as its waker): while any holds it, the runtime counts the
/// run's spawned tasks as live, so `Runtime::shutdown` waits for tasks that outlive an
/// aborted run. One count per run, not one per task: the runtime's counter is shared
/// by all runs.
pub(crate) struct Completions<T> {
    /// A `parking_lot` mutex: std's checks the thread's panic count as it is taken and
    /// again as it is released (poisoning), ~10 instructions each time, and a spawned
    /// node's outcome passes through it twice (its task's push, the run's take; issue
    /// 17). Nothing panics while it is held (see `complete`'s `outcome`).
    done: Mutex<Outcomes<T>>,
    /// How many outcomes `done` holds: changed only under its lock, read without it (a
    /// look that finds nothing, and the run's threshold check, take no lock).
    queued: AtomicUsize,
    /// Wake the run once this many outcomes are queued. Set by the run each time it is
    /// about to wait (never, until then: a poll of the run that is starting nodes
    /// looks at the queue before it waits).
    wake_at: AtomicUsize,
    /// Set when this, as the waker of the run's cancellation future or as the waker
    /// waiting for the run's token to be made, fired (see [`CancelWatch`]): until then
    /// the run need not look at its token (which takes a lock).
    cancel_fired: AtomicBool,
    /// Counts the run's spawned tasks as live on the runtime (set by the first one).
    tasks: OnceLock<TaskGuard>,
    /// Whether the task of node `i` (below [`ATTEMPTS_IN_PLACE`]) called its fn: what
    /// `RunShared::note_attempt` keeps for other nodes, here without the per-run
    /// allocation and its `OnceLock` (~480 instructions a W4 diamond run, issue 17).
    attempted: [AtomicBool; ATTEMPTS_IN_PLACE],
    /// The run's shared state, which a spawned node's task reaches through here (one
    /// `Arc` per task, not two): its `Context`, the attempt it notes, and the run's start,
    /// against which it notes its end time.
    shared: Arc<RunShared>,
    /// The waker of the run's poll that made the queue, kept for the queue's life: a run
    /// polled with the same waker every time (a tokio task's, a `join_all` branch's) is
    /// woken with it by reference ([`Armed::Fixed`]), where a clone registered on every
    /// poll and woken by value cost each wake-up the clone's call and two more locked
    /// writes to the run task's count (issue 17).
    fixed: Waker,
}

impl<T> Completions<T> {
    /// A queue for a run polled with `waker` (armed: the next wake-up goes to it).
    fn new(shared: Arc<RunShared>, waker: &Waker) -> Self {
        Self {
            done: Mutex::new(Outcomes {
                run: Armed::Fixed,
                ..Outcomes::new()
            }),
            queued: AtomicUsize::new(0),
            wake_at: AtomicUsize::new(usize::MAX),
            cancel_fired: AtomicBool::new(false),
            tasks: OnceLock::new(),
            attempted: [const { AtomicBool::new(false) }; ATTEMPTS_IN_PLACE],
            shared,
            fixed: waker.clone(),
        }
    }

    /// Notes that the task of spawned node `index` called its fn (its one attempt), for
    /// [`attempts_made`](Self::attempts_made).
    #[inline]
    pub(crate) fn note_attempt(&self, index: usize) {
        match self.attempted.get(index) {
            Some(flag) => flag.store(true, Ordering::Relaxed),
            None => self.shared.note_attempt(index, 1),
        }
    }

    /// 1 if the task of spawned node `index` called its fn (see
    /// [`note_attempt`](Self::note_attempt)), else 0.
    pub(crate) fn attempts_made(&self, index: usize) -> u32 {
        match self.attempted.get(index) {
            Some(flag) => u32::from(flag.load(Ordering::Relaxed)),
            None => self.shared.attempts_made(index),
        }
    }

    /// The run's shared state.
    pub(crate) fn shared(&self) -> &Arc<RunShared> {
        &self.shared
    }

    /// Time since the run started (a spawned node's end time).
    fn since_start(&self) -> Duration {
        self.shared.started.elapsed()
    }

    /// Counts the run's spawned tasks as live on the runtime while this queue lives (a
    /// spawned task holds it until it ends). Called as the queue is made for the run's
    /// first spawned node, not by each one.
    pub(crate) fn track_tasks(&self) {
        self.tasks.get_or_init(|| self.shared.runtime.track_task());
    }

    /// A spawned node ended: queue its `outcome`, and wake the run if it is `urgent` (a
    /// failure) or enough outcomes are queued.
    ///
    /// `outcome` is given the node's end time (since the run started) when the run
    /// may take it later than now: an outcome that waits below the threshold, or whose
    /// wake-up raced with the run. An outcome that wakes the run as it is queued is
    /// given `None` (unless the clock was read already, see below): the run's next poll
    /// reads the clock anyway (to start what follows), no earlier than this, and that
    /// reading serves as its end time (one clock reading per node less in a chain).
    ///
    /// Inlined into the task's poll (once per node type): a call of its own, with the
    /// outcome built by the caller's closure, was ~15 instructions a spawned node.
    #[inline(always)]
    pub(crate) fn complete(&self, urgent: bool, outcome: impl FnOnce(Option<Duration>) -> T) {
        // The count is raised under the queue's lock (so it always equals the queue's
        // length, and `take` never misses a counted outcome), then compared with the
        // threshold. `set_wake_at` does the opposite: lowers the threshold, then reads
        // the count. All four accesses are `SeqCst`, so at least one side sees the
        // other's write: this task wakes the run, or the run sees the outcome and does
        // not wait. (Flags compared on one side only raced: the run slept forever with
        // its last outcomes queued.)
        //
        // An outcome that will wait (a fan-out's branch below the threshold, or one
        // ending while the run is polled) reads the clock before the lock is taken, as
        // a look without the lock suggests: the run's poll and the other tasks do not
        // wait behind a clock reading. Any reading after the node ended is its end time;
        // the look only decides where it is read.
        let early = (urgent
            || self.queued.load(Ordering::Relaxed) + 1 < self.wake_at.load(Ordering::Relaxed))
        .then(|| self.since_start());
        let run = {
            let mut done = self.done.lock();
            let queued = done.len() + 1;
            // Read before queueing: a wake-up decided here is certain (the run is not
            // being polled: it holds wake-ups under this lock as its poll begins), so
            // the run's clock is read after this node ended.
            let wakes_now = !urgent && queued >= self.wake_at.load(Ordering::SeqCst);
            let at = match early {
                Some(at) => Some(at),
                None => (!wakes_now).then(|| self.since_start()),
            };
            done.push(outcome(at));
            self.queued.store(queued, Ordering::SeqCst);
            if wakes_now || urgent || queued >= self.wake_at.load(Ordering::SeqCst) {
                std::mem::replace(&mut done.run, Armed::No)
            } else {
                Armed::No
            }
        };
        // Woken after the lock is released (see `Outcomes::run`).
        self.wake_run(run);
    }

    /// Wakes the run with `run`, taken out of the queue under its lock (see
    /// `Outcomes::run`), now that the lock is released.
    #[inline(always)]
    fn wake_run(&self, run: Armed) {
        match run {
            Armed::No => {}
            Armed::Fixed => self.fixed.wake_by_ref(),
            Armed::Other(waker) => waker.wake(),
        }
    }

    /// Registers `waker` in `done` (the queue, locked) as the one a wake-up goes to:
    /// [`Armed::Fixed`] if it wakes the waker kept in `fixed`, else a clone of it.
    #[inline(always)]
    fn register_locked(&self, done: &mut Outcomes<T>, waker: &Waker) {
        if self.fixed.will_wake(waker) {
            done.run = Armed::Fixed;
        } else if !matches!(&done.run, Armed::Other(run) if run.will_wake(waker)) {
            done.run = Armed::Other(waker.clone());
        }
    }

    /// The run wants to be woken once `n` (at least 1) outcomes are queued; whether
    /// that many already are (then it must not wait).
    pub(super) fn set_wake_at(&self, n: usize) -> bool {
        let n = n.max(1);
        self.wake_at.store(n, Ordering::SeqCst);
        self.queued.load(Ordering::SeqCst) >= n
    }

    /// The run is being polled with `waker`, and looks at the queue before it waits:
    /// no task needs to wake it meanwhile (a wake-up of a task being polled makes tokio
    /// poll it again through the back of the run queue, waking a parked worker).
    /// Registers `waker`, so a wake-up that races with a later look at the queue in
    /// this poll reaches the run (and polls it again). Under the queue's lock, which a
    /// task ending holds while it decides to wake the run: a task that ends after this
    /// sees wake-ups held (and notes its own end time).
    ///
    /// Takes what is queued under the same lock (a chain's every wake-up finds its one
    /// outcome here: one lock round trip per node fewer than a separate take): the
    /// outcome into `next` if it is the only one and the run holds none (`next` and
    /// `taken` empty), else all of them to the back of `taken`, behind what the run
    /// holds (they ended later).
    ///
    /// Inlined into the run's one place that calls it (`Driver::queued_wakeup`, out of
    /// line, on every wake-up of a run with spawned nodes): a call of its own was ~18
    /// instructions a spawned chain node (issue 17).
    #[inline(always)]
    fn polling(
        &self,
        waker: &Waker,
        next: &mut Option<T>,
        taken: &mut VecDeque<T>,
        pending: usize,
    ) {
        make_room(taken, self.queued.load(Ordering::Relaxed), pending);
        let mut done = self.done.lock();
        self.wake_at.store(usize::MAX, Ordering::Relaxed);
        self.register_locked(&mut done, waker);
        if done.is_empty() {
            return;
        }
        if !take_all_now(done.len(), pending) && next.is_none() && taken.is_empty() {
            *next = done.pop();
        } else {
            done.take_all(taken);
        }
        // Under the lock, as in `take`.
        self.queued.store(done.len(), Ordering::Release);
    }

    /// Registers the run's `waker`.
    fn register(&self, waker: &Waker) {
        let mut done = self.done.lock();
        self.register_locked(&mut done, waker);
    }

    /// Whether outcomes may be queued (a look without the lock).
    fn any_queued(&self) -> bool {
        self.queued.load(Ordering::Acquire) != 0
    }

    /// Takes the oldest queued outcome, if any (a look without the lock first). One
    /// queued (a chain's every wake-up), or one of the outcomes of all the run's
    /// `pending` nodes: that one. More, while some of those still run: all of them
    /// under one lock, the rest into `taken` (the run's, empty), to be handed out from
    /// there first (see [`take_all_now`]).
    #[inline(always)]
    fn take(&self, taken: &mut VecDeque<T>, pending: usize) -> Option<T> {
        let queued = self.queued.load(Ordering::Acquire);
        if queued == 0 {
            return None;
        }
        make_room(taken, queued, pending);
        let mut done = self.done.lock();
        if take_all_now(done.len(), pending) {
            done.take_all(taken);
        }
        let outcome = done.pop().or_else(|| taken.pop_front());
        // Under the lock, which orders it with `complete`'s count (the threshold
        // handshake is `set_wake_at`'s, after this).
        self.queued.store(done.len(), Ordering::Release);
        outcome
    }

    /// Makes room for `n` outcomes queued at once (beyond those kept in place). The
    /// buffer is allocated before the lock is taken and swapped in under it: tasks
    /// ending meanwhile (on the other worker) wait behind the lock for a swap, not for
    /// `malloc` (a fan-out's branches spun out and slept on the lock, issue 17).
    fn reserve(&self, n: usize) {
        let mut room = VecDeque::with_capacity(n.saturating_sub(OUTCOMES_IN_PLACE));
        self.done.lock().make_room(&mut room);
        // The buffer left over (the unused one, or an empty one swapped out) is freed
        // after the lock is released.
        drop(room);
    }
}

/// Before the run takes the queue's lock to take its outcomes: room in the run's
/// `taken` for as many as its `pending` nodes (an outcome per node at most), when it
/// will take all `queued` at once (see [`take_all_now`]). Allocated outside the lock,
/// once per run: under it, a fan-out's branches still ending on the other worker
/// waited for `malloc` and the move into a growing buffer, spun out and slept on the
/// lock (issue 17). A chain or a diamond, which take their outcomes one at a time,
/// reserve nothing.
#[inline(always)]
fn make_room<T>(taken: &mut VecDeque<T>, queued: usize, pending: usize) {
    if take_all_now(queued, pending) && taken.capacity() < pending {
        grow(taken, pending);
    }
}

/// [`make_room`]'s allocation, out of line.
#[cold]
#[inline(never)]
fn grow<T>(taken: &mut VecDeque<T>, pending: usize) {
    taken.reserve(pending.saturating_sub(taken.len()));
}

/// Whether the run takes all `queued` outcomes under one lock, rather than one: when
/// more than one is queued and some of its `pending` nodes still run. Taken one lock
/// each, outcomes that tasks on the other worker keep queueing while the run takes them
/// cost a lock round trip each, the lock's cache line moving between the workers every
/// time (the fan-out of 100 and the lattice slowed down by a third on the clock, with
/// the same instruction counts). Once every pending node has ended (a diamond's
/// branches, which wake the run together), no task queues meanwhile: one lock each is
/// uncontended, and saves moving them into the run's deque (allocated for it, ~800
/// instructions a W4 diamond run).
#[inline(always)]
fn take_all_now(queued: usize, pending: usize) -> bool {
    queued > 1 && queued < pending
}

/// For how many nodes (the first, by index) a run's queue notes whether their tasks
/// called their fns, in its own allocation (one byte each).
const ATTEMPTS_IN_PLACE: usize = 128;

/// How many outcomes a run's queue keeps in place, in its own allocation: a run with no
/// more spawned nodes ending unseen at once (a chain, a diamond of eight branches)
/// allocates no buffer for them.
const OUTCOMES_IN_PLACE: usize = 8;

/// A run's queued outcomes, first in first out: the first [`OUTCOMES_IN_PLACE`] in a
/// ring in place, the rest (queued while the ring is full, or after such) in a deque.
struct Outcomes<T> {
    ring: [Option<T>; OUTCOMES_IN_PLACE],
    /// Where the ring's oldest outcome is.
    head: usize,
    /// How many outcomes the ring holds.
    in_ring: usize,
    /// Outcomes queued after all of the ring's: taken only once the ring is empty.
    more: VecDeque<T>,
    /// The run's waker, registered under the queue's lock as each poll of the run
    /// begins (so a task that ends after that sees wake-ups held, see `complete`).
    /// Taken out, under the lock, by whichever wake-up comes first, and woken after
    /// the lock is released: the woken run (perhaps on the other worker) does not wait
    /// for the lock its waker's call held, and tasks that end before the run is polled
    /// again find no waker and wake nothing (the run is scheduled; its poll registers
    /// the waker again, then takes what they queued). Not woken under the lock either:
    /// a wake-up is foreign code (tokio's scheduler, which may unpark a worker with a
    /// system call, or any executor's waker).
    run: Armed,
}

/// The waker a wake-up of the run goes to (see `Outcomes::run`).
enum Armed {
    /// None: taken by a wake-up since the run's last poll (or never registered).
    No,
    /// The waker kept in the queue (`Completions::fixed`), woken by reference.
    Fixed,
    /// Another waker (the run was polled with one unlike its first).
    Other(Waker),
}

impl<T> Outcomes<T> {
    fn new() -> Self {
        Self {
            ring: std::array::from_fn(|_| None),
            head: 0,
            in_ring: 0,
            more: VecDeque::new(),
            run: Armed::No,
        }
    }

    fn len(&self) -> usize {
        self.in_ring + self.more.len()
    }

    /// Inlined into a spawned node's task, with [`Completions::complete`].
    #[inline(always)]
    fn push(&mut self, outcome: T) {
        // Into the ring only while nothing waits in the deque: what is there ended first.
        if self.more.is_empty() && self.in_ring < OUTCOMES_IN_PLACE {
            self.ring[(self.head + self.in_ring) % OUTCOMES_IN_PLACE] = Some(outcome);
            self.in_ring += 1;
        } else {
            self.more.push_back(outcome);
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<T> {
        if self.in_ring == 0 {
            return self.more.pop_front();
        }
        let outcome = self.ring[self.head].take();
        self.head = (self.head + 1) % OUTCOMES_IN_PLACE;
        self.in_ring -= 1;
        outcome
    }

    /// Moves every outcome to the back of `taken`, in order.
    fn take_all(&mut self, taken: &mut VecDeque<T>) {
        if self.in_ring == 0 && taken.is_empty() {
            // Swap buffers: neither side allocates again once both have grown.
            std::mem::swap(&mut self.more, taken);
            return;
        }
        // At least a ring's worth (a run that takes several at once once will again).
        taken.reserve(self.len().max(OUTCOMES_IN_PLACE));
        while self.in_ring > 0 {
            taken.extend(self.pop());
        }
        taken.append(&mut self.more);
    }

    /// Room for more outcomes than `more` has, from `room` (allocated by the caller
    /// before it took the lock): swapped in while `more` is empty (always, unless more
    /// outcomes than the ring keeps ended meanwhile), else grown here. `room` is left
    /// with the buffer to free.
    fn make_room(&mut self, room: &mut VecDeque<T>) {
        if self.more.capacity() >= room.capacity() {
            return;
        }
        if self.more.is_empty() {
            std::mem::swap(&mut self.more, room);
        } else {
            self.more.reserve(room.capacity() - self.more.len());
        }
    }

    /// Whether it holds no outcome.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: Send + 'static> std::task::Wake for Completions<T> {
    /// The waker of the run's cancellation future.
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.cancel_fired.store(true, Ordering::SeqCst);
        let run = std::mem::replace(&mut self.done.lock().run, Armed::No);
        self.wake_run(run);
    }
}

impl<T> Drop for Completions<T> {
    /// Outcomes nobody took (the run stopped): a panicking `Drop` of a node's output
    /// must not unwind out of whichever task drops the queue last.
    ///
    /// Looked at in place: an empty queue (every run that took all its outcomes) is not
    /// moved out first (~90 instructions and two written cache lines a run, issue 17).
    fn drop(&mut self) {
        let done = self.done.get_mut();
        if !done.is_empty() {
            let done = std::mem::replace(done, Outcomes::new());
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(done)));
        }
    }
}

/// What starting a spawned node (`Mode::Spawned`) needs from its run: the queue its
/// task reports to, and a place to leave the task's handle, which the run keeps in its
/// node table rather than in a boxed cell future.
pub(crate) struct Spawner<T> {
    pub(crate) queue: Arc<Completions<T>>,
    /// The handle of the task just spawned, until the run takes it.
    pub(crate) started: Cell<Option<JoinHandle<()>>>,
}

/// Per node of a run: whether and how it is pending, and a spawned node's task; and,
/// in a column of the same rows, the list of nodes reporting to the outcome queue (the
/// `k`-th row holds its `k`-th entry: the list is never longer than the table). One
/// allocation for all three, made when the first node is pending.
///
/// Dropping the table (the run stopped, or was dropped) aborts the tasks still in it; a
/// task whose outcome was taken has ended, and its handle was just dropped.
#[derive(Default)]
struct NodeTable {
    rows: Vec<NodeRow>,
    /// How many rows' `listed` make the list of queued nodes (from `head`).
    listed: usize,
    /// Where the list starts: the entries before it are of nodes no longer pending
    /// (the oldest end first in a lattice's wavefront), dropped without moving the rest.
    head: usize,
}

struct NodeRow {
    waiting: Waiting,
    /// A `Waiting::Queued` node's task, until its outcome is taken.
    task: Option<JoinHandle<()>>,
    /// An entry of the list of queued nodes (see [`NodeTable`]).
    listed: u32,
}

impl NodeTable {
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

impl Drop for NodeTable {
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
fn new_spawner<'a, T>(
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
pub(super) struct PendingNodes<T> {
    /// Number of pending nodes.
    pub(super) count: usize,
    /// Whether and how each node is pending; spawned nodes' tasks; the list of nodes
    /// reporting to the outcome queue.
    table: NodeTable,
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

impl<T> Default for PendingNodes<T> {
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
        }
    }
}

impl<T> Drop for PendingNodes<T> {
    /// The run ends: the queue's waker waiting for a token to be made (if it still does)
    /// is taken out of the run's shared state, which the queue holds (a cycle).
    fn drop(&mut self) {
        if let (CancelWatch::TokenMade, Some(done)) = (self.cancel_watch, &self.done) {
            done.queue.shared.cancel.unwatch();
        }
    }
}

impl<T> PendingNodes<T> {
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
    #[inline(always)]
    pub(super) fn polling(&mut self, cx: &TaskContext<'_>) {
        if let Some(done) = &self.done {
            done.queue
                .polling(cx.waker(), &mut self.next, &mut self.taken, self.count);
        }
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
    pub(super) fn register(&self, cx: &TaskContext<'_>) {
        if let Some(done) = &self.done {
            done.queue.register(cx.waker());
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
                    return outcome;
                }
                continue;
            }
            let outcome = match self.taken.pop_front() {
                Some(outcome) => outcome,
                None => queue.take(&mut self.taken, self.count)?,
            };
            if self.table.end_queued(index(&outcome)) {
                self.count -= 1;
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
    fn test_shared() -> Arc<RunShared> {
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

    /// Wakes counted by a test waker.
    struct CountWakes(AtomicUsize);

    impl std::task::Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_wake_up_goes_to_the_waker_the_run_was_last_polled_with() {
        let first = Arc::new(CountWakes(AtomicUsize::new(0)));
        let other = Arc::new(CountWakes(AtomicUsize::new(0)));
        // Made in a poll of the run with `first`, which it keeps.
        let queue = Arc::new(Completions::<usize>::new(
            test_shared(),
            &Waker::from(Arc::clone(&first)),
        ));
        let wakes = || {
            (
                first.0.load(Ordering::SeqCst),
                other.0.load(Ordering::SeqCst),
            )
        };
        let poll = |waker: &Arc<CountWakes>| {
            queue.polling(
                &Waker::from(Arc::clone(waker)),
                &mut None,
                &mut VecDeque::new(),
                100,
            );
            assert!(!queue.set_wake_at(1), "everything queued was taken");
        };
        // The kept waker is woken (by reference) once per registration.
        poll(&first);
        queue.complete(false, |_| 0);
        queue.complete(false, |_| 1);
        assert_eq!(wakes(), (1, 0), "the second end finds the wake-up taken");
        // Polled with another waker: that one is woken, not the first.
        poll(&other);
        queue.complete(false, |_| 2);
        assert_eq!(wakes(), (1, 1));
        // And with the first again: the first.
        poll(&first);
        queue.complete(false, |_| 3);
        assert_eq!(wakes(), (2, 1));
        // The cancellation watch's wake-up goes to the same place, once.
        poll(&other);
        Waker::from(Arc::clone(&queue)).wake_by_ref();
        Waker::from(Arc::clone(&queue)).wake_by_ref();
        assert_eq!(wakes(), (2, 2));
    }

    #[test]
    fn the_wake_threshold_is_checked_against_the_queue_on_both_sides() {
        let queue = Completions::<usize>::new(test_shared(), Waker::noop());
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        queue.register(&Waker::from(Arc::clone(&wakes)));
        // A threshold of 0 (no spawned node pending) is 1: an empty queue is not "due"
        // (regression: the run woke itself forever, starving a paused clock).
        assert!(!queue.set_wake_at(0));
        // While the run is polled, ends queue silently.
        queue.polling(
            &Waker::from(Arc::clone(&wakes)),
            &mut None,
            &mut VecDeque::new(),
            1,
        );
        queue.complete(false, |_| 1);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
        // Lowering the threshold sees what is queued already: the run must not wait.
        assert!(queue.set_wake_at(1));
        assert!(!queue.set_wake_at(2));
        // The second end reaches the threshold of 2 and wakes the run once.
        queue.complete(false, |_| 2);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        // Both at once, under one lock, while a third node runs: the second waits in
        // the run's `taken`.
        let mut taken = VecDeque::new();
        assert_eq!(queue.take(&mut taken, 3), Some(1));
        assert_eq!(Vec::from(std::mem::take(&mut taken)), [2]);
        assert_eq!(queue.take(&mut taken, 1), None);
        assert!(!queue.set_wake_at(1), "taken outcomes no longer count");
        // A failure wakes at once, whatever the threshold (the run registers its
        // waker again each time it looks at the queue).
        queue.register(&Waker::from(Arc::clone(&wakes)));
        assert!(!queue.set_wake_at(5));
        queue.complete(true, |_| 3);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 2);
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
    fn outcomes_past_those_kept_in_place_come_out_in_the_order_they_were_queued() {
        let mut q = Outcomes::new();
        let mut next_in = 0;
        let mut next_out = 0;
        // Fill past the ring, take some, queue more while the deque still holds some
        // (they must follow it), empty it, and go round the ring again.
        for (push, pop) in [(11, 3), (4, 12), (5, 2), (9, 12)] {
            for _ in 0..push {
                q.push(next_in);
                next_in += 1;
            }
            for _ in 0..pop {
                assert_eq!(q.pop(), Some(next_out));
                next_out += 1;
            }
            assert_eq!(q.len(), next_in - next_out);
        }
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn room_made_outside_the_lock_keeps_the_outcomes_in_order() {
        // Room swapped in while nothing waits beyond the ring: the queue's buffer is the
        // one allocated before the lock, with its capacity.
        let queue = Completions::<usize>::new(test_shared(), Waker::noop());
        queue.reserve(40);
        assert!(queue.done.lock().more.capacity() >= 40 - OUTCOMES_IN_PLACE);
        // Room made once outcomes already wait beyond the ring: grown in place, in order.
        let queue = Completions::<usize>::new(test_shared(), Waker::noop());
        for i in 0..12 {
            queue.complete(false, |_| i);
        }
        queue.reserve(100);
        assert!(queue.done.lock().more.capacity() >= 100 - OUTCOMES_IN_PLACE);
        for i in 12..20 {
            queue.complete(false, |_| i);
        }
        // Taken all at once (20 of 30 pending), into the run's buffer, which had room
        // for all 30 before the lock was taken.
        let mut taken = VecDeque::new();
        assert_eq!(queue.take(&mut taken, 30), Some(0));
        assert!(taken.capacity() >= 30);
        assert_eq!(Vec::from(taken), (1..20).collect::<Vec<_>>());
        assert!(!queue.any_queued());
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
        assert!(queue.done.lock().more.capacity() >= 100 - OUTCOMES_IN_PLACE);
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
}
