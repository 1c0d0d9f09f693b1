//! How a poll of the run ends and the next begins: the checks before it waits (deadlock,
//! stall, cancellation), the wake threshold of spawned nodes reporting to the outcome
//! queue, the path of a wake-up that only took their outcomes (`step_spawned`), and the
//! take of ended spawned nodes and woken pending ones.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tokio::time::Sleep;
use tokio_util::sync::WaitForCancellationFuture;

use super::stall::Look;
use super::stop::poll_cancelled;
use super::{all_spawned, Driver, Event, StallTimer, Workflow, BUDGET_CHECK_EVERY};
use crate::error::WorkflowError;
use crate::executor::attempt::{Finished, Mode};
use crate::executor::cells::Op;
use crate::shared::waits::all_blocked;

impl<'a, W: Workflow, C> Driver<'a, W, C>
where
    C: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
{
    /// What a poll of the run does once nothing is left to start or poll, before it
    /// waits: the deadlock and stall checks, a last look at the run's cancellation, and
    /// (with spawned nodes reporting to the outcome queue) how many of their outcomes
    /// should wake it. `Poll::Pending` unless one of those ends the run.
    pub(super) fn wait(
        &mut self,
        cx: &mut TaskContext<'_>,
        stall: &mut Option<StallTimer>,
        cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
    ) -> Poll<Event> {
        if self.all_waiting(cx) {
            return Poll::Ready(Event::AllWaiting);
        }
        let stall_fired = stall
            .as_deref_mut()
            .is_some_and(|stall| stall.poll_fired(cx));
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
        if let Some(stall) = stall.as_deref_mut().filter(|_| stall_fired) {
            // A node of a child run (a sub-workflow, a fan-out item) finished since the
            // timer last looked, or a node waits out a retry's backoff (its next attempt
            // is progress the runtime has scheduled, not a stall), or began an attempt
            // after one: the run progresses (see `Stall`).
            let child_progress = self.shared.take_child_progress();
            let retry = || self.shared.last_retry_progress();
            if let Look::Stalled = stall.fired(child_progress, retry, cx) {
                return Poll::Ready(Event::Stalled(stall.limit));
            }
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
    pub(super) fn wait_settled(&mut self, cx: &TaskContext<'_>) -> Option<Poll<Event>> {
        let cold = self.pending.get()?;
        if cold.in_tasks() {
            // Waits on the tasks' handles (see `set_wake_threshold`).
            return None;
        }
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
    ///
    /// When the run can do nothing before all its pending nodes end (more than a few,
    /// all spawned: a fan-out's branches), it waits on their tasks instead
    /// (see [`PendingNodes::wait_in_tasks`](crate::executor::wake::PendingNodes::wait_in_tasks)),
    /// and goes on doing so until no node is pending.
    #[inline(always)]
    pub(super) fn set_wake_threshold(&mut self, cx: &TaskContext<'_>) {
        let threshold = self.wake_threshold();
        let cold = self.pending.make();
        let all = threshold >= cold.count;
        let due = if cold.waits_in_tasks(all) {
            cold.wait_in_tasks(cx, all)
        } else {
            cold.wake_when_done(threshold)
        };
        if due {
            // Enough spawned nodes ended while the threshold was higher.
            cx.waker().wake_by_ref();
        }
    }

    /// A poll of a run whose spawned nodes report to the outcome queue (see
    /// [`PendingNodes::polling`](crate::executor::wake::PendingNodes::polling)): the look at the run's cancellation, the queue's look
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
    pub(super) fn queued_wakeup(
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
    pub(super) fn step_spawned(
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

    /// Whether every live node is blocked in a tracked wait (or runs child runs that all
    /// are) and nothing above this run can release one: this run is the root (a child
    /// run tells the node that runs it instead, see `shared/waits.rs`).
    ///
    /// A node in a task of its own starts blocking without this run being polled: while
    /// there are such nodes, the run leaves its waker for them to wake it with.
    #[inline]
    pub(super) fn all_waiting(&mut self, cx: &TaskContext<'_>) -> bool {
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
    pub(super) fn cancel_seen(&self) -> bool {
        self.pending.get().is_none_or(|c| c.may_be_cancelled()) && self.shared.is_cancelled()
    }

    /// The fewest spawned nodes that must end before the run has something to do: a
    /// node to start, or its end. Each ending node counts down its successors'
    /// predecessors by one, so none becomes ready before that many ended.
    ///
    /// Its quick answers inline (a spawned chain's every wait), the scan out of line.
    #[inline(always)]
    pub(super) fn wake_threshold(&mut self) -> usize {
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
    pub(super) fn scan_wake_threshold(&mut self) -> usize {
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
    pub(super) fn poll_woken<E>(
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
    pub(super) fn take_ended<E>(
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
    /// [`PendingNodes::polling`](crate::executor::wake::PendingNodes::polling)) is handled, and did not fail, stop: `step_spawned`
    /// starts what it made ready and looks at the queue again before it waits. A
    /// spawned chain's every wake-up has that one outcome: a second look here found
    /// nothing (~10 instructions a node, issue 17). Its caller looked at the queue
    /// just before (`only_queued_ended`, `any_done`): no look here before the take.
    #[inline(always)]
    pub(super) fn take_ended_inline<E>(
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
    pub(super) fn stop_on(&mut self, stall: &mut Option<StallTimer>, event: Event) -> Event {
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
    pub(super) fn take_ended_finished(
        &mut self,
        stall: &mut Option<StallTimer>,
    ) -> Result<bool, WorkflowError> {
        if let Some(cold) = self.pending.0.as_deref_mut() {
            // Those that ended leaving their outcomes in their tasks, too.
            cold.look_in_tasks();
        }
        self.take_ended(|this, done| this.on_finished(done, stall))
    }

    /// Polls each node of `nodes` that is still pending, with its own waker, and hands
    /// each that finishes to `on_done`, stopping at its first `Err`. Whether any node
    /// finished.
    pub(super) fn poll_each<E>(
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
}
