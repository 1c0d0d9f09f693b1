//! A run's life around the driver: setup (run id, resource check, the run's shared
//! state, monitors) and teardown (unconsumed values, end-of-run events, the outcome).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

use super::attempt::{node_spans_possible, panic_message, Finished, InSpanExt as _};
use super::cells::Op;
use super::driver::{Driver, Limits};
use super::status;
use super::workflow::{Executor, RunOutcome, Setup, Workflow};
use crate::error::{NodeName, TimeoutScope, TokioNeed, WorkflowError};
use crate::run::RunOptions;
use crate::run::{NodeReports, RunReport};
use crate::shared::{RunShared, RunSlot, RuntimeShared};
use crate::trace::TraceKind;

/// The options of a run started without any.
static NO_OPTIONS: RunOptions = RunOptions::NONE;

static NEXT_RUN_ID: AtomicU64 = AtomicU64::new(1);

/// Run ids handed to a thread at a time, so concurrent runs on different worker threads
/// do not contend on one counter.
const RUN_ID_BLOCK: u64 = 1024;

thread_local! {
    /// The next id of this thread's block and the end of the block.
    static RUN_IDS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// A process-unique run id. (Inlined into the generic run code, compiled in the
/// user's crate: a call there was ~10 instructions a run, issue 17.)
#[inline]
pub(crate) fn next_run_id() -> u64 {
    RUN_IDS.with(|ids| {
        let (mut next, mut end) = ids.get();
        if next == end {
            next = NEXT_RUN_ID.fetch_add(RUN_ID_BLOCK, Ordering::Relaxed);
            end = next + RUN_ID_BLOCK;
        }
        ids.set((next + 1, end));
        next
    })
}

/// Cancels a root run's token when the run ends or its future is dropped, so spawned
/// nodes and `Context::cancelled` waiters notice; reports a child run dropped before it
/// ended to its parent. Borrows the run's shared state (a
/// local of the run's future, like the guard) rather than holding a clone of the token
/// (cloning and dropping a token each take its lock) or of the `Arc` (two atomic
/// read-modify-writes per run).
struct CancelOnDrop<'a>(&'a RunSlot);

impl Drop for CancelOnDrop<'_> {
    #[inline]
    fn drop(&mut self) {
        // Never made (see `RunSlot`): nobody could make a token, nor hold the state.
        let Some(shared) = self.0.get() else {
            return;
        };
        // A child run's token outlives it (its siblings may share it): the node that
        // ran it cancels it when needed. Dropped before it ended, it tells its parent
        // what it stopped (see `RunShared::report_dropped_child`).
        if shared.parent().is_some() {
            if !shared.has_ended() {
                shared.report_dropped_child();
            }
            return;
        }
        // Dropped before the run ended (a `timeout` or `select!` around it): hooks that
        // asked see where it was, while its nodes and child runs are still there.
        if !shared.has_ended() {
            shared.runtime.notify_dropped(shared);
        }
        // Nobody else holds the run's state, not even weakly (no node's context or task,
        // no child run, no monitor's handle), and only this `Arc` could make a new
        // holder: nobody can make the run's token from now on. Then the token needs
        // cancelling only if it was made before, and `cancel`'s fence (a locked
        // instruction every run, issue 17) has nothing to order. `Arc::get_mut`'s test:
        // the acquire fence makes what the last other holder did before it let go (a
        // token made, a downgrade) visible here before the weak count is read.
        if Arc::strong_count(shared) == 1 {
            std::sync::atomic::fence(Ordering::Acquire);
            if Arc::weak_count(shared) == 0 {
                shared.cancel.cancel_unshared();
                return;
            }
        }
        shared.cancel.cancel();
    }
}

impl<W: Workflow> Executor<W> {
    /// Runs the workflow with `cells`, the generated cell table: `cells(state, i, op)`
    /// does `op` on node `i`'s cell (see [`start_node`](super::cells::start_node)).
    ///
    /// What this future keeps while the run goes on is only what the run needs: the set
    /// up happens in `begin`, a plain fn, so that its locals (the setup, the runtime,
    /// the plan, borrowed once) keep no place in it. Its size decides whether
    /// the run's allocation comes from glibc's per-thread cache (up to 1,032 bytes; a
    /// larger one goes through the arena's bins, ~700 instructions a run, issue 17).
    pub async fn run<C>(self, cells: C) -> RunOutcome<W::Output>
    where
        C: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
    {
        let Self {
            runtime,
            input,
            setup,
            counted,
        } = self;
        let Begun {
            shared,
            setup,
            #[cfg(feature = "store")]
            durable,
        } = match begin::<W>(runtime, setup, counted) {
            // Found in the feed, not named here: only a workflow that is a fan-out's
            // body compiles the lane driver (issue 17). It boxes its future, as large
            // as a run's (there is one lane per fan-out slot, not per item).
            Begin::Lane(runtime, feed, item) => {
                let Some(drive) = super::items::lane_driver::<W>(&*feed) else {
                    return super::items::lane_ended::<W>();
                };
                let mut cells = cells;
                return drive(runtime, feed, item, input, &mut cells).await;
            }
            Begin::Ended(outcome) => return *outcome,
            Begin::Run(begun) => begun,
        };
        // A run `launch` counted among the runtime's active runs stops counting as this
        // future ends or is dropped (it borrows the runtime from the shared state, which
        // outlives it: see `Executor::new`).
        let _counted = counted.then(|| shared.runtime().counted_run());
        let opts = setup.as_deref().map_or(&NO_OPTIONS, |s| &s.opts);
        // Boxed when the run has any (most have none): not kept in the run's future.
        let limits = Limits::new::<W>(opts);
        // Not in a block (nor assigned to a local declared before one): built in place,
        // the output slots (24 KB for 1,000 nodes) are not copied (issue 17).
        let mut driver = Driver::<W, C>::new(&shared, W::init(input), cells, opts);
        #[cfg(feature = "store")]
        driver.set_durable(durable);
        // Dropped only if there is one: `drop(setup)` called its drop glue out of line
        // in every run, most of which have none (issue 17).
        if let Some(setup) = setup {
            drop(setup);
        }
        let is_child = shared.parent().is_some();
        if is_child {
            shared.watch_as_child();
        } else if shared.runtime().is_monitored() {
            // (Tested here: most runtimes have no monitor, and their runs pay no call.)
            shared.runtime().notify_monitors(shared.arc());
        }
        // A root run's token is cancelled as the run ends; a child run's outlives it (its
        // siblings may share it: the node that ran it cancels it when needed), and a
        // child run dropped mid-way (its node's timeout) tells its parent what it
        // stopped instead, dropped before the driver, while its nodes' states are
        // there. One guard for both: a second local made every run's future 8 bytes
        // larger, past glibc's per-thread cache (harness_memory's test).
        let _cancel_guard = CancelOnDrop(&shared);

        let limits = limits.as_deref().unwrap_or(&Limits::NONE);
        let (mut result, span) = if node_spans_possible() {
            let span = run_span(W::PLAN.name, shared.run_id());
            // The span is kept by the driver's future alone (and taken back from it):
            // a second copy would stay in the run's future for the whole run. Boxed:
            // in place, this future and the span's locals made every run's future 80
            // bytes larger than the path below, and a run's future is allocated from
            // glibc's per-thread cache only up to 1,032 bytes (issue 17).
            let mut running = Box::pin(driver.run(limits).in_span(span));
            let result = running.as_mut().await;
            (result, running.span().clone())
        } else {
            // No subscriber wants the run's span at its level (INFO, the nodes' spans'
            // too; the test `info_span!` starts with): no span to make, clone and drop,
            // and no `Instrumented` layer around the driver's future (issue 17).
            (driver.run(limits).await, tracing::Span::none())
        };
        // The run's shared state if it was made: nothing that could make it runs any
        // more (see `RunSlot`), so it is read once.
        let made = shared.get();
        if let Some(s) = made {
            s.mark_ended();
        }
        // Every item has ended: the recorder may see its queue close with the run.
        #[cfg(feature = "store")]
        if let Some(link) = made.and_then(|s| s.durable.as_ref()) {
            link.close();
        }
        let duration = shared.started().elapsed();
        // Not kept in the run's future: read again after it.
        let (plan, run_id) = (W::PLAN, shared.run_id());
        let Driver {
            statuses,
            state,
            pending,
            spans,
            ..
        } = driver;
        // Dropped here only if made (most runs make neither).
        pending.drop_if_made();
        super::driver::drop_spans(spans);
        let _entered = super::attempt::enter(&span); // no await below: the end-of-run events go in the run's span

        // Values left in their slots (the run failed before they were consumed) are
        // dropped here; a panicking `Drop` among them must not unwind out of the run.
        if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| drop(state))) {
            unconsumed_panicked(plan.name, run_id, payload.as_ref());
        }
        let nodes = match made {
            Some(s) => s.merge_reports(statuses.into_reports()),
            None => statuses.into_reports(),
        };
        match &mut result {
            Ok(_) => {
                tracing::debug!(target: "workflow", workflow = plan.name, run_id, ?duration, "run completed");
                if let Some(s) = made {
                    s.record(None, TraceKind::RunCompleted);
                }
            }
            Err(e) => run_failed(&shared, plan.name, e, &nodes),
        }
        RunOutcome {
            result,
            report: RunReport {
                workflow: plan.name,
                run_id,
                durable_run: None,
                duration,
                nodes,
            },
            // A child run's events are in its root run's trace.
            trace: (!is_child)
                .then(|| made.and_then(|s| s.trace.as_ref().map(|t| t.snapshot())))
                .flatten(),
        }
    }
}

// A run's rare end-of-run paths, whose work does not depend on the workflow's types:
// plain fns compiled once in this crate rather than in every crate that executes a
// workflow (issue 17: the compile time an executed workflow adds). The common path (the
// run completed) stays in `Executor::run`: a call there cost 28 instructions a run.

/// A value nobody consumed panicked while it was dropped: left in its slot when the run
/// ended, or a spawned node's output left in the outcome queue when the run stopped
/// (`Completions`' drop).
#[cold]
#[inline(never)]
pub(super) fn unconsumed_panicked(
    workflow: &'static str,
    run_id: u64,
    payload: &(dyn std::any::Any + Send),
) {
    tracing::error!(
        target: "workflow",
        workflow,
        run_id,
        panic = %panic_message(payload),
        "an unconsumed value panicked while being dropped"
    );
}

/// The run ended with `e`: logged (cancelled, timed out or failed) and traced, its
/// attempt counts made those of the run's report (`nodes`).
#[cold]
#[inline(never)]
fn run_failed(
    shared: &RunSlot,
    workflow: &'static str,
    e: &mut WorkflowError,
    nodes: &NodeReports,
) {
    count_every_attempt(e, nodes);
    // A node a timeout stopped between two attempts is said to wait to retry, not to run.
    if let Some(s) = shared.get() {
        s.name_retry_waits(e);
    }
    let run_id = shared.run_id();
    match e {
        WorkflowError::Cancelled { .. } => {
            tracing::info!(target: "workflow", workflow, run_id, error = %e, "run cancelled");
        }
        WorkflowError::Timeout {
            scope: TimeoutScope::Workflow,
            ..
        } => {
            tracing::warn!(target: "workflow", workflow, run_id, error = %e, "run timed out");
        }
        _ => {
            tracing::warn!(target: "workflow", workflow, run_id, error = %e, "run failed");
        }
    }
    shared.record_with(None, || TraceKind::RunFailed {
        error: e.to_string(),
    });
}

/// A retried sub-workflow or fan-out ran its child runs again, and the report counts
/// every call of their nodes (`out[1].f` failing in each of three attempts of `out`: 3
/// attempts, see `RunShared::merge_reports`); the error of a node of those child runs,
/// made in the last of them, counted that one's only. Make it say what the report says.
fn count_every_attempt(e: &mut WorkflowError, nodes: &NodeReports) {
    let (node, attempts) = match e {
        WorkflowError::NodeFailed { node, attempts, .. } => (&*node, attempts),
        WorkflowError::Timeout {
            scope: TimeoutScope::Node(node),
            attempts,
            ..
        } if *attempts > 0 => (&*node, attempts),
        WorkflowError::Multiple { errors, .. } => {
            for e in errors {
                count_every_attempt(e, nodes);
            }
            return;
        }
        _ => return,
    };
    if let Some(report) = nodes.iter().find(|r| r.name == *node) {
        *attempts = (*attempts).max(report.attempts);
    }
}

/// The `tracing` span of a run (when a subscriber may want it): out of line, off
/// the run's future (its locals kept a place there for the whole run).
#[cold]
#[inline(never)]
fn run_span(workflow: &'static str, run_id: u64) -> tracing::Span {
    tracing::info_span!(target: "workflow", "workflow", workflow, run_id)
}

/// How a run begins (see [`begin`]).
enum Begin<W: Workflow> {
    /// A lane of a fan-out: the lane driver runs it (`executor/items.rs`).
    Lane(
        Arc<RuntimeShared>,
        Arc<dyn std::any::Any + Send + Sync>,
        usize,
    ),
    /// It ended before any node ran (a resource is missing). Boxed: a large value
    /// that would keep its place in the run's future.
    Ended(Box<RunOutcome<W::Output>>),
    /// It runs.
    Run(Begun<W>),
}

/// A run set up: its shared state, and what is left of its setup for the driver.
struct Begun<W: Workflow> {
    shared: RunSlot,
    /// Its options (read while the driver is built), if any.
    setup: Option<Box<Setup<W>>>,
    #[cfg(feature = "store")]
    durable: Option<Box<super::durable::DurableExec<W::Value>>>,
}

/// Sets a run up: its id and clock, the resource check, its cancellation and its shared
/// state. Not `async`: its locals keep no place in the run's future. `counted`: the run
/// is counted among the runtime's active runs (see `Executor::new`); one that ends here
/// stops counting here.
fn begin<W: Workflow>(
    runtime: Arc<RuntimeShared>,
    mut setup: Option<Box<Setup<W>>>,
    counted: bool,
) -> Begin<W> {
    if let Some((feed, item)) = setup.as_mut().and_then(|s| s.lane.take()) {
        debug_assert!(!counted, "a fan-out's lane is not counted as a run");
        return Begin::Lane(runtime, feed, item);
    }
    let plan = W::PLAN;
    // A child run has its root run's id and clock, so its times in the root's report
    // and trace count from the root's start.
    let child = setup.as_ref().and_then(|s| s.child.as_ref());
    let (run_id, start) = match child {
        Some(c) => (c.parent.run_id, c.parent.started),
        None => (next_run_id(), Instant::now()),
    };

    // Resources are checked before any node runs, and so is a root run polled outside
    // tokio (another executor's `block_on`) that needs tokio's timer or spawner: a
    // typed error here, not tokio's panic where the timer or task is made. (A child
    // run's needs were its root run's: the plan's part covers its sub-workflows.)
    let error = missing_resource::<W>(&runtime, child.map(|c| &*c.path)).or_else(|| {
        child
            .is_none()
            .then(|| tokio_missing::<W>(setup.as_deref()))
            .flatten()
    });
    if let Some(error) = error {
        if counted {
            drop(runtime.counted_run());
        }
        return Begin::Ended(Box::new(RunOutcome {
            result: Err(error),
            report: RunReport {
                workflow: plan.name,
                run_id,
                durable_run: None,
                duration: Duration::ZERO,
                nodes: status::not_started(&plan.names),
            },
            trace: None,
        }));
    }

    // A child run is handed the token it stops with (see `executor/child.rs`): the
    // items of a fail-fast fan-out share one, so one item's failure stops them all.
    // Taken, not cloned: a token's clone takes a lock, and nothing else reads it.
    // Without one, the run's token is made only if someone asks for it.
    let is_child = child.is_some();
    let cancel = match (setup.as_mut().and_then(|s| s.opts.cancel.take()), is_child) {
        (Some(token), true) => Some(token),
        (Some(outer), false) => Some(outer.child_token()),
        (None, _) => None,
    };
    let trace = setup
        .as_ref()
        .and_then(|s| s.opts.trace)
        .unwrap_or(runtime.trace);
    // A root run with a stall limit keeps live node states, so that its stall report
    // names the stuck node inside an item (`thumbs[2].img`) without a monitor. The
    // plan's limit is a constant: runs without one test `setup` alone.
    // A whole child run keeps them too, to tell its parent what it stopped if its future
    // is dropped mid-way (its node's timeout): see `RunShared::report_dropped_child`.
    let stall_watched = is_child
        || plan.policy.deadlock.is_some()
        || setup.as_ref().is_some_and(|s| s.opts.deadlock.is_some());
    #[cfg(feature = "store")]
    let mut durable = setup.as_mut().and_then(|s| s.durable.take());
    // Fan-out lanes record their items' nodes and restore them through this.
    #[cfg(feature = "store")]
    let link = durable.as_mut().map(|d| {
        Arc::new(crate::shared::DurableLink::new(
            d.run,
            d.records.clone(),
            std::mem::take(&mut d.items),
        ))
    });
    // Nothing asks for the run's shared state from its start: made when first shared
    // (see `RunSlot`). The plan's part is a constant per workflow: every node runs
    // inline, and none needs a resource or runs a child run.
    let lazy = const { super::driver::all_inline(W::PLAN) && !needs_resources(W::PLAN) }
        && !is_child
        && cancel.is_none()
        && !trace
        && !stall_watched
        && runtime.node_limit.is_none()
        && !runtime.is_monitored();
    #[cfg(feature = "store")]
    let lazy = lazy && link.is_none();
    // What the run's nodes, and those of the child runs they start, are bounded by.
    let concurrency = setup
        .as_ref()
        .and_then(|s| s.opts.concurrency)
        .or(plan.policy.concurrency);
    if lazy {
        return Begin::Run(Begun {
            shared: RunSlot::lazy(run_id, start, runtime, plan, concurrency),
            setup,
            #[cfg(feature = "store")]
            durable,
        });
    }
    let child = setup.as_mut().and_then(|s| s.child.take());
    let child_item = child.as_ref().map(|c| c.item);
    let child = child.map(|c| (c.parent, c.node, c.path));
    // Allocated first, then built in its allocation: `Arc::new(value)` builds its value
    // (440 bytes) before it allocates, and copies it there; it was moved once more on
    // its way (152 instructions a run, issue 17).
    let shared = Arc::new_cyclic(|_| {
        RunShared::new(
            run_id,
            start,
            plan.name,
            plan.nodes,
            cancel,
            trace,
            stall_watched,
            // Moved, not cloned: every clone of the runtime's `Arc` is a write to one
            // counter that the runs on all worker threads share.
            runtime,
            child,
            concurrency,
            #[cfg(feature = "store")]
            link,
        )
    });
    if let Some(item) = child_item {
        shared.set_child_item(item);
    }
    Begin::Run(Begun {
        shared: RunSlot::made(shared),
        setup,
        #[cfg(feature = "store")]
        durable,
    })
}

/// The error for the first node whose `Res<T>` is not registered, if any, sub-workflows'
/// nodes included (named `front.html`); in a child run at `path` (`report`, `thumbs[3]`),
/// the node is named by its path in the root run.
fn missing_resource<W: Workflow>(
    runtime: &RuntimeShared,
    path: Option<&str>,
) -> Option<WorkflowError> {
    // A constant per workflow: a run of one whose nodes need nothing pays nothing here
    // (the walk over its nodes was ~5 instructions a node, issue 17).
    if !const { needs_resources(W::PLAN) } {
        return None;
    }
    let plan = W::PLAN;
    let (node, missing) = missing_in(&runtime.resources(), plan)?;
    let (workflow, type_name) = (plan.name, missing.type_name);
    let node: crate::error::NodeName = match path {
        Some(path) => format!("{path}.{node}").into(),
        None => node,
    };
    Some(if let Some(registered) = missing.future_registered {
        WorkflowError::ResourceRegisteredAsFuture {
            workflow,
            node,
            type_name,
            registered,
        }
    } else if missing.arc_registered {
        WorkflowError::ResourceRegisteredAsArc {
            workflow,
            node,
            type_name,
        }
    } else if let Some(registered) = missing.other_type_registered {
        WorkflowError::ResourceRegisteredAsOtherType {
            workflow,
            node,
            type_name,
            registered,
        }
    } else {
        WorkflowError::MissingResource {
            workflow,
            node,
            type_name,
        }
    })
}

/// The error for a root run that needs tokio (see [`needs_tokio`]) polled outside a
/// tokio runtime, if it is one. Only a run with a run timeout or stall limit in its
/// options, or of a workflow whose plan needs tokio (a constant), looks for the runtime.
#[inline]
fn tokio_missing<W: Workflow>(setup: Option<&Setup<W>>) -> Option<WorkflowError> {
    let opts = setup.map(|s| &s.opts);
    let (timeout, stall) = opts.map_or((false, false), |o| {
        (o.timeout.is_some(), o.deadlock.is_some())
    });
    if !timeout && !stall && !const { needs_tokio(W::PLAN) } {
        return None;
    }
    no_tokio_runtime(W::PLAN, timeout, stall)
}

/// [`WorkflowError::NeedsTokio`] if there is no tokio runtime here, naming the first
/// thing of the run that needs one: its own timeout (`timeout`: from its options) or
/// stall limit (`stall`), else the first node that needs one (see [`tokio_need_in`]).
#[cold]
#[inline(never)]
fn no_tokio_runtime(
    plan: &'static crate::plan::Plan,
    timeout: bool,
    stall: bool,
) -> Option<WorkflowError> {
    tokio::runtime::Handle::try_current().err()?;
    let (node, cause) = if timeout || plan.policy.timeout.is_some() {
        (None, TokioNeed::RunTimeout)
    } else if stall || plan.policy.deadlock.is_some() {
        (None, TokioNeed::StallLimit)
    } else {
        let (node, cause) = tokio_need_in(plan)?;
        (Some(node), cause)
    };
    Some(WorkflowError::NeedsTokio {
        workflow: plan.name,
        node,
        cause,
    })
}

/// Whether a run of `plan` needs tokio whatever its options: the plan has a run timeout
/// or stall limit, or a node of it, of a sub-workflow or of a fan-out's items
/// (recursively) spawns, has a timeout, or is a sub-workflow with a run timeout or stall
/// limit. Evaluated at compile time, per workflow.
const fn needs_tokio(plan: &crate::plan::Plan) -> bool {
    if plan.policy.timeout.is_some() || plan.policy.deadlock.is_some() {
        return true;
    }
    let mut k = 0;
    while k < plan.nodes.len() {
        let node = &plan.nodes[k];
        if node_needs_tokio(node.policy).is_some() {
            return true;
        }
        if let Some(child) = node.child {
            if needs_tokio(child) {
                return true;
            }
        }
        k += 1;
    }
    let mut k = 0;
    while k < plan.fan_outs.len() {
        if needs_tokio(plan.fan_outs[k].1) {
            return true;
        }
        k += 1;
    }
    false
}

/// What of a node's own policy needs tokio: `spawn`, or a timeout (an attempt's, or
/// `retry(total_timeout)`).
const fn node_needs_tokio(policy: &crate::policy::NodePolicy) -> Option<TokioNeed> {
    if matches!(policy.execution, crate::policy::Execution::Spawn) {
        return Some(TokioNeed::Spawn);
    }
    if policy.timeout.is_some() {
        return Some(TokioNeed::NodeTimeout);
    }
    match &policy.retry {
        Some(retry) if retry.total_timeout.is_some() => Some(TokioNeed::NodeTimeout),
        _ => None,
    }
}

/// The first node of `plan` that needs tokio (see [`needs_tokio`]), by its path from
/// `plan`: `send`, `report.send` in a sub-workflow, `thumbs[].img` in a fan-out's items
/// (any item); a sub-workflow or fan-out node itself for its own run timeout or stall
/// limit.
fn tokio_need_in(plan: &'static crate::plan::Plan) -> Option<(NodeName, TokioNeed)> {
    (0..plan.nodes.len()).find_map(|k| node_tokio_need(plan, k, true))
}

/// What of node `k` of `plan` needs tokio (see [`tokio_need_in`]), by its path from
/// `plan`. `own`: whether the node's own policy counts; `Runtime::call_node` checks the
/// node's timeout itself, and does not spawn the node it calls, but runs its fan-out's
/// items or sub-workflow as a run would.
pub(crate) fn node_tokio_need(
    plan: &'static crate::plan::Plan,
    k: usize,
    own: bool,
) -> Option<(NodeName, TokioNeed)> {
    let node = plan.nodes.get(k)?;
    if let Some(cause) = node_needs_tokio(node.policy).filter(|_| own) {
        return Some((node.name.into(), cause));
    }
    let (inner, sep) = match node.child {
        Some(child) => (child, "."),
        None => (plan.fan_outs.iter().find(|(i, _)| *i == k)?.1, "[]."),
    };
    if inner.policy.timeout.is_some() {
        return Some((node.name.into(), TokioNeed::RunTimeout));
    }
    if inner.policy.deadlock.is_some() {
        return Some((node.name.into(), TokioNeed::StallLimit));
    }
    let (path, cause) = tokio_need_in(inner)?;
    Some((format!("{}{sep}{path}", node.name).into(), cause))
}

/// Whether a node of `plan` needs a resource or runs a sub-workflow (whose nodes'
/// resources are checked with the run's): evaluated at compile time, per workflow.
const fn needs_resources(plan: &crate::plan::Plan) -> bool {
    let mut k = 0;
    while k < plan.nodes.len() {
        let node = &plan.nodes[k];
        if !node.resources.is_empty() || node.child.is_some() {
            return true;
        }
        k += 1;
    }
    false
}

/// The first node of `plan` or of its sub-workflows (recursively) whose `Res<T>` is not
/// registered in `resources`, named by its path from `plan` (`front.html`). Here rather
/// than in `resources`, which sits below the plan in the crate's layers.
fn missing_in(
    resources: &crate::resources::Resources,
    plan: &'static crate::plan::Plan,
) -> Option<(
    std::borrow::Cow<'static, str>,
    crate::resources::MissingResource,
)> {
    if let Some(missing) = resources.missing(plan.nodes.iter().map(|n| (n.name, n.resources))) {
        return Some((missing.node.into(), missing));
    }
    plan.nodes.iter().find_map(|n| {
        let (inner, missing) = missing_in(resources, n.child?)?;
        Some((format!("{}.{inner}", n.name).into(), missing))
    })
}
