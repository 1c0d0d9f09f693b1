//! How a run stops: the error of a failed or stopped node, what a failure blocks
//! downstream (`failure = "continue"`), and the abort (the grace given to running nodes,
//! what is dropped, the statuses and error of what it stopped). What does not depend on
//! the workflow's types is in plain fns, compiled once in this crate.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio_util::sync::WaitForCancellationFuture;

use super::counts::Counts;
use super::{call_cells, Driver, Workflow};
use crate::error::{DeadlockKind, NodeName, TimeoutScope, WaitingNode, WorkflowError};
use crate::executor::attempt::{panic_message, Finished, Mode, NodeFailure};
use crate::executor::cells::Op;
use crate::executor::status::Statuses;
use crate::plan::Plan;
use crate::run::NodeStatus;
use crate::shared::waits::waiting_nodes;
use crate::shared::{RunShared, RunSlot};
use crate::waits::deadlock_report;

impl<'a, W: Workflow, C> Driver<'a, W, C>
where
    C: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
{
    /// Blocks everything downstream of failed node `index` (`failure = "continue"`).
    ///
    /// Not through a node inside an arm: whether what follows it runs depends on the
    /// arm its decision takes (not taken, it counts as finished for its successors), so
    /// the outcome does not depend on whether the failure came before the decision.
    /// Nothing is lost: a node whose predecessor failed never has all its inputs.
    pub(super) fn block_downstream(&mut self, index: usize) {
        block_downstream(W::PLAN, &mut self.blocked, index);
    }

    pub(super) fn to_error(
        &self,
        index: usize,
        attempts: u32,
        failure: NodeFailure,
    ) -> WorkflowError {
        node_error(self.shared, index, attempts, failure)
    }

    /// The running nodes, by path in a child run (a cold path: a stopped run's error).
    pub(super) fn running_names(&self) -> Vec<NodeName> {
        running_names(self.shared, &self.statuses)
    }

    pub(super) fn deadlock_error(&self, kind: DeadlockKind) -> WorkflowError {
        let held_back = self.deps.buf.ready_nodes(Counts::<W>::SMALL);
        deadlock_error(W::PLAN, self.shared, &self.statuses, kind, held_back)
    }

    /// The error of node `i` whose future panicked while the stopping run dropped it
    /// (logged, and kept beside the run's own error).
    pub(super) fn panicked_in_drop(
        &self,
        i: usize,
        payload: &(dyn std::any::Any + Send),
    ) -> WorkflowError {
        panicked_in_drop(W::PLAN, self.shared, i, payload)
    }

    /// Stops the run: cancels the run's token, gives running nodes a chance to notice
    /// (one poll round, plus up to `grace`), then drops what is still running and marks
    /// the rest. Outputs produced after the stop are discarded.
    ///
    /// What does not depend on the workflow's types (the grace, the statuses of the
    /// nodes it stopped, the error) is in plain fns, `abort_begin` and `abort_end`,
    /// compiled once in this crate (issue 17: compile time).
    pub(super) async fn abort(
        &mut self,
        error: WorkflowError,
        grace: Option<Duration>,
    ) -> WorkflowError {
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
    pub(super) fn on_stopped(&mut self, done: Finished<W::Value>) {
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
pub(super) fn block_downstream(plan: &Plan, blocked: &mut Box<[bool]>, index: usize) {
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
pub(super) fn node_error(
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
pub(super) fn running_names(shared: &RunShared, statuses: &Statuses) -> Vec<NodeName> {
    statuses
        .running()
        .map(|(i, _)| shared.node_name(i))
        .collect()
}

pub(super) fn deadlock_error(
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
    mark_ended_publishers(plan, statuses, &mut report.waiting);
    WorkflowError::Deadlock {
        workflow: plan.name,
        report,
    }
}

/// Marks the waits of this run's own nodes (not a child run's, whose keys name their
/// own workflow's bindings first) whose key names a node of this run that already ended,
/// with how it ended: nothing will publish such a key.
fn mark_ended_publishers(plan: &Plan, statuses: &Statuses, waiting: &mut [WaitingNode]) {
    for w in waiting {
        let Some(key) = &w.waits_for else { continue };
        if w.node.contains(['.', '[']) {
            continue;
        }
        let Some(i) = plan.nodes.iter().position(|n| n.name == key.as_str()) else {
            continue;
        };
        let status = statuses.status(i);
        if !matches!(status, NodeStatus::NotStarted | NodeStatus::Running) {
            w.publisher_ended = Some(status.as_str());
        }
    }
}

/// The error of node `i` whose future panicked while the stopping run dropped it
/// (logged, and kept beside the run's own error).
pub(super) fn panicked_in_drop(
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
pub(super) fn name_stopped_children(
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
pub(super) fn abort_begin(
    shared: &RunShared,
    statuses: &Statuses,
    grace: Option<Duration>,
) -> (Vec<usize>, Option<tokio::time::Instant>) {
    let was_running: Vec<usize> = statuses.running().map(|(i, _)| i).collect();
    let grace_end = match grace.filter(|g| !g.is_zero()) {
        Some(grace) => {
            let end = crate::executor::deadline_after(grace);
            shared.cancel.set_grace_end(end);
            Some(end)
        }
        None => shared.inherited_grace_end(),
    };
    shared.cancel.cancel();
    (was_running, grace_end)
}

/// A stopping run's grace outside tokio ([`TokioNeed::CancelGrace`](crate::error::TokioNeed::CancelGrace)).
#[cold]
pub(super) fn grace_needs_tokio(workflow: &'static str) -> WorkflowError {
    WorkflowError::NeedsTokio {
        workflow,
        node: None,
        cause: crate::error::TokioNeed::CancelGrace,
    }
}

/// The errors of a stopped run (see [`abort_end`]).
pub(super) struct AbortErrors {
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
pub(super) fn abort_end(
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
pub(super) fn poll_cancelled(
    cancelled: &mut Option<Pin<Box<WaitForCancellationFuture<'_>>>>,
    cx: &mut TaskContext<'_>,
) -> Poll<()> {
    match cancelled {
        Some(wait) => wait.as_mut().poll(cx),
        None => Poll::Pending,
    }
}
