//! The outcome queue of a run's spawned nodes (`Mode::Spawned`): each one's task pushes
//! its outcome here as it ends, and wakes the run only when the run asked for it (a
//! failure, or as many outcomes as could give the run something to do); the run takes
//! every outcome queued since its last look once per wake-up. The first few outcomes
//! are kept in place (no allocation for a chain or a small diamond).

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Waker;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::task::{JoinError, JoinHandle};

use crate::shared::{RunShared, TaskGuard};

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
    /// Set by the run while it waits for all its pending spawned nodes to end (see
    /// [`PendingNodes::wait_in_tasks`](super::PendingNodes::wait_in_tasks)): a task
    /// that ends well then leaves its outcome in its own task, for the run to take
    /// through its `JoinHandle`, and touches nothing shared (a failure still comes
    /// here and wakes the run). Written by the run only, twice a run at most.
    pub(super) in_tasks: AtomicBool,
    /// Set when this, as the waker of the run's cancellation future or as the waker
    /// waiting for the run's token to be made, fired (see [`CancelWatch`](super::CancelWatch)): until then
    /// the run need not look at its token (which takes a lock).
    pub(super) cancel_fired: AtomicBool,
    /// Counts the run's spawned tasks as live on the runtime (set by the first one).
    tasks: OnceLock<TaskGuard>,
    /// Whether the task of node `i` (below [`ATTEMPTS_IN_PLACE`]) called its fn: what
    /// `RunShared::note_attempt` keeps for other nodes, here without the per-run
    /// allocation and its `OnceLock` (~480 instructions a W4 diamond run, issue 17).
    attempted: [AtomicBool; ATTEMPTS_IN_PLACE],
    /// The run's shared state, which a spawned node's task reaches through here (one
    /// `Arc` per task, not two): its `Context`, the attempt it notes, and the run's start,
    /// against which it notes its end time.
    pub(super) shared: Arc<RunShared>,
    /// The waker of the run's poll that made the queue, kept for the queue's life: a run
    /// polled with the same waker every time (a tokio task's, a `join_all` branch's) is
    /// woken with it by reference ([`Armed::Fixed`]), where a clone registered on every
    /// poll and woken by value cost each wake-up the clone's call and two more locked
    /// writes to the run task's count (issue 17).
    fixed: Waker,
}

impl<T> Completions<T> {
    /// Room for outcomes beyond those kept in place (a test's look).
    #[cfg(test)]
    pub(super) fn room(&self) -> usize {
        self.done.lock().more.capacity()
    }

    /// A queue for a run polled with `waker` (armed: the next wake-up goes to it).
    pub(super) fn new(shared: Arc<RunShared>, waker: &Waker) -> Self {
        Self {
            done: Mutex::new(Outcomes {
                run: Armed::Fixed,
                ..Outcomes::new()
            }),
            queued: AtomicUsize::new(0),
            wake_at: AtomicUsize::new(usize::MAX),
            in_tasks: AtomicBool::new(false),
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
    pub(crate) fn since_start(&self) -> Duration {
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

    /// Whether a spawned node that ended well leaves its outcome in its own task (as
    /// the task's output, [`Outcome::InTask`], with its end time), for the run to take
    /// through the task's `JoinHandle`, rather than [`complete`](Self::complete) it
    /// here: while the run waits for all its pending nodes (see
    /// [`PendingNodes::wait_in_tasks`](super::PendingNodes::wait_in_tasks)). A spawned
    /// fan-out's branches then write no line they share (issue 17: the queue's line
    /// moving between the workers at every branch's end cost a fan-out of 100 ~330 ns
    /// a branch, session 36); hand-written code's branches end the same way.
    ///
    /// `SeqCst`, against the run's store of `in_tasks` and then load of `queued`: the
    /// run sees the outcome queued, or the task sees the flag.
    #[inline(always)]
    pub(crate) fn keeps_in_tasks(&self) -> bool {
        self.in_tasks.load(Ordering::SeqCst)
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

    /// The run waits for all its pending nodes: successes stay in their tasks from now
    /// on, failures wake it. Whether outcomes are queued (then it must not wait): a task
    /// that looked at `in_tasks` before this queues its outcome (see
    /// [`keeps_in_tasks`](Self::keeps_in_tasks)).
    pub(super) fn keep_in_tasks(&self) -> bool {
        self.wake_at.store(usize::MAX, Ordering::SeqCst);
        self.in_tasks.store(true, Ordering::SeqCst);
        self.queued.load(Ordering::SeqCst) > 0
    }

    /// The run has no pending node left: later tasks report here again.
    pub(super) fn report_here(&self) {
        self.in_tasks.store(false, Ordering::Relaxed);
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
    pub(super) fn polling(
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
    pub(super) fn register(&self, waker: &Waker) {
        let mut done = self.done.lock();
        self.register_locked(&mut done, waker);
    }

    /// Whether outcomes may be queued (a look without the lock).
    pub(super) fn any_queued(&self) -> bool {
        self.queued.load(Ordering::Acquire) != 0
    }

    /// Takes the oldest queued outcome, if any (a look without the lock first). One
    /// queued (a chain's every wake-up), or one of the outcomes of all the run's
    /// `pending` nodes: that one. More, while some of those still run: all of them
    /// under one lock, the rest into `taken` (the run's, empty), to be handed out from
    /// there first (see [`take_all_now`]).
    #[inline(always)]
    pub(super) fn take(&self, taken: &mut VecDeque<T>, pending: usize) -> Option<T> {
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
    pub(super) fn reserve(&self, n: usize) {
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
pub(super) const OUTCOMES_IN_PLACE: usize = 8;

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
    pub(super) fn new() -> Self {
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
    /// must not unwind out of whichever task drops the queue last; it is logged, as one
    /// of a value left in its slot is (`lifecycle::unconsumed_panicked`).
    ///
    /// Looked at in place: an empty queue (every run that took all its outcomes) is not
    /// moved out first (~90 instructions and two written cache lines a run, issue 17).
    fn drop(&mut self) {
        let done = self.done.get_mut();
        if !done.is_empty() {
            let done = std::mem::replace(done, Outcomes::new());
            if let Err(payload) =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(done)))
            {
                crate::executor::lifecycle::unconsumed_panicked(
                    self.shared.workflow,
                    self.shared.run_id,
                    payload.as_ref(),
                );
            }
        }
    }
}

/// What starting a spawned node (`Mode::Spawned`) needs from its run: the queue its
/// task reports to, and a place to leave the task's handle, which the run keeps in its
/// node table rather than in a boxed cell future.
pub(crate) struct Spawner<T: Outcome> {
    pub(crate) queue: Arc<Completions<T>>,
    /// The handle of the task just spawned, until the run takes it: its output is the
    /// node's outcome if it ended well while the run waited for all its nodes (see
    /// [`Completions::keeps_in_tasks`]).
    pub(crate) started: Cell<Option<JoinHandle<Option<T::InTask>>>>,
}

/// An outcome that a spawned node's task reports, and the smaller form it leaves in
/// the task when it ended well (see [`Completions::keeps_in_tasks`]): a success of a
/// node's one attempt needs no more than its value and end time, and the task's
/// memory holds its output beside its future (a larger output makes every spawned
/// node's task larger).
pub(crate) trait Outcome {
    /// What the task leaves: the value and its end time.
    type InTask;
    /// The outcome of node `index` from what its task left.
    fn from_task(index: usize, left: Self::InTask) -> Self;
    /// The outcome of node `index` whose task ended with neither an outcome left nor
    /// one queued: tokio cancelled it (its runtime shut down) or it panicked outside
    /// the node's call. Without it, the node would stay pending for ever. `attempts`:
    /// whether the task called the node's fn ([`Completions::attempts_made`]), as the
    /// failure the task's drop queued says (the run takes whichever it sees first).
    fn lost(index: usize, error: JoinError, attempts: u32) -> Self;
}

/// What a test's [`Outcome::lost`] adds to a node's index when its call was made.
#[cfg(test)]
pub(super) const LOST_ATTEMPT: usize = 1000;

#[cfg(test)]
impl Outcome for usize {
    type InTask = usize;
    fn from_task(_: usize, left: usize) -> usize {
        left
    }
    /// `index`, plus [`LOST_ATTEMPT`] if its call was made.
    fn lost(index: usize, _: JoinError, attempts: u32) -> usize {
        index + LOST_ATTEMPT * attempts as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::wake::tests::test_shared;

    /// Wakes counted by a test waker.
    struct CountWakes(AtomicUsize);

    impl std::task::Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A spawned node's output whose `Drop` panics.
    struct Grenade;

    impl Drop for Grenade {
        fn drop(&mut self) {
            panic!("boom drop output");
        }
    }

    impl Outcome for Grenade {
        type InTask = ();
        fn from_task(_: usize, (): ()) -> Self {
            Grenade
        }
        fn lost(_: usize, _: JoinError, _: u32) -> Self {
            Grenade
        }
    }

    /// The messages of the `tracing` error events of one thread, with their `panic`
    /// field: `message: panic`.
    #[derive(Default)]
    struct Errors(std::sync::Mutex<Vec<String>>);

    impl tracing::Subscriber for Errors {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            #[derive(Default)]
            struct Fields(String, String);
            impl tracing::field::Visit for Fields {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    match field.name() {
                        "message" => self.0 = format!("{value:?}"),
                        "panic" => self.1 = format!("{value:?}"),
                        _ => {}
                    }
                }
            }
            if *event.metadata().level() == tracing::Level::ERROR {
                let mut fields = Fields::default();
                event.record(&mut fields);
                self.0
                    .lock()
                    .unwrap()
                    .push(format!("{}: {}", fields.0, fields.1));
            }
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    /// The run stopped with a spawned node's output still queued: its panicking `Drop`
    /// stays in the queue's drop, which logs it as a value left in a slot is logged.
    #[test]
    fn an_output_left_queued_whose_drop_panics_is_contained_and_logged() {
        let errors = Arc::new(Errors::default());
        tracing::subscriber::with_default(Arc::clone(&errors), || {
            let queue = Completions::<Grenade>::new(test_shared(), Waker::noop());
            queue.complete(false, |_| Grenade);
            let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(queue)));
            assert!(
                dropped.is_ok(),
                "the drop's panic unwound out of the queue's drop"
            );
        });
        assert_eq!(
            errors.0.lock().unwrap().as_slice(),
            ["an unconsumed value panicked while being dropped: boom drop output"]
        );
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
}
