//! The executor: drives one run of a [`Workflow`] inside the caller's task.
//!
//! Nodes are polled in the run's own task; a node starts as soon as its own inputs are
//! ready, whatever else is still running. Each node's future lives in its own pinned
//! slot of the generated node table (no allocation per node); a pending node is polled
//! again only when its own waker fired. Only nodes marked `spawn` get a tokio task of
//! their own.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::FutureExt as _;
use tokio::time::{Instant, Sleep};
use tracing::Instrument as _;

use crate::context::{BoxFuture, Context, RunShared};
use crate::error::{
    DeadlockKind, DeadlockReport, NodeFailure, TimeoutScope, WaitingNode, WorkflowError,
};
use crate::node::{Node, NodeCallError, NodeResult};
use crate::plan::Workflow;
use crate::policy::{Execution, FailurePolicy, NodePolicy};
use crate::run::{NodeReport, NodeStatus, RunOptions, RunReport};
use crate::runtime::RuntimeInner;
use crate::trace::{ExecutionTrace, TraceKind};

/// Starts nodes for generated code (see [`step`]).
#[doc(hidden)]
pub struct NodeStarter<'a> {
    shared: &'a Arc<RunShared>,
}

impl std::fmt::Debug for NodeStarter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeStarter").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RunShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunShared")
            .field("workflow", &self.workflow)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

/// The future of one started node: the node's own call, inline, for the common case (an
/// in-task node without retries, timeouts, trace or node limit: see [`is_lean`]); boxed
/// otherwise (their tasks, timers and bookkeeping dwarf one allocation, and boxing keeps
/// every node's slot in the run small).
pub(crate) type NodeFuture<Call, V> = futures::future::Either<Call, BoxFuture<Finished<V>>>;

/// Whether node `index` runs lean: in the run's task, one attempt, no timeout, no
/// trace, no runtime-wide node limit. Its slot then holds the node's call itself, and
/// the executor does the rest (span, panics, the outcome).
#[inline]
fn is_lean(shared: &RunShared, index: usize) -> bool {
    is_plain(shared, index) && shared.nodes[index].policy.execution == Execution::InTask
}

/// Whether node `index` makes one attempt, with no timeout, no trace and no
/// runtime-wide node limit (wherever it runs).
#[inline]
fn is_plain(shared: &RunShared, index: usize) -> bool {
    let policy = &shared.nodes[index].policy;
    policy.retry.is_none()
        && policy.timeout.is_none()
        && shared.trace.is_none()
        && shared.runtime.node_limit.is_none()
}

impl NodeStarter<'_> {
    /// The future of node `index` with its ports; `wrap` puts its output into the
    /// workflow's value enum.
    ///
    /// Not inlined: one copy per node type serves all nodes of that type, rather than one
    /// per node in the generated node table.
    #[inline(never)]
    pub fn future<N: Node, V: Send + 'static>(
        &self,
        index: usize,
        ports: N,
        wrap: fn(N::Output) -> V,
    ) -> NodeFuture<impl Future<Output = NodeResult<N::Output>> + Send + 'static, V> {
        let shared = self.shared;
        if is_lean(shared, index) {
            let ctx = Context::new(Arc::clone(shared), index, 1);
            return futures::future::Either::Left(N::call(ports, ctx));
        }
        let shared = Arc::clone(shared);
        if is_plain(&shared, index) {
            // Not lean, so spawned.
            return futures::future::Either::Right(Box::pin(spawned_node::<N, V>(
                ports, index, shared, wrap,
            )));
        }
        futures::future::Either::Right(Box::pin(async move {
            let done = run_node::<N>(ports, index, shared).await;
            Finished {
                index,
                attempts: done.attempts,
                result: done.result.map(wrap),
            }
        }))
    }
}

/// What the executor asks of one node's slot in the generated node table.
#[doc(hidden)]
pub enum Op<'a, 'b> {
    /// Create the node's future (its inputs are ready) and poll it once.
    Start(&'a NodeStarter<'a>, &'a mut TaskContext<'b>),
    /// Poll the node's future again.
    Poll(&'a mut TaskContext<'b>),
    /// Drop the node's future (the run stopped).
    Drop,
}

impl std::fmt::Debug for Op<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Start(..) => "Start",
            Op::Poll(_) => "Poll",
            Op::Drop => "Drop",
        })
    }
}

/// Does `op` on node `index`'s slot: the pinned place in the run where the node's
/// future lives while it runs, so a node costs no allocation of its own. The future is
/// dropped as soon as it completes. A lean node's call is polled here, with its panics
/// caught; `wrap` puts its output into the workflow's value enum.
///
/// Inlined into each arm of the node table, where it is only a dispatch: the work is in
/// functions generic over the node's future alone, shared by all nodes of one type.
#[doc(hidden)]
#[inline(always)]
pub fn step<F, T, V>(
    slot: Pin<&mut Option<NodeFuture<F, V>>>,
    index: usize,
    op: Op<'_, '_>,
    make: impl FnOnce(&NodeStarter<'_>) -> NodeFuture<F, V>,
    wrap: fn(T) -> V,
) -> Poll<Finished<V>>
where
    F: Future<Output = NodeResult<T>>,
{
    match op {
        Op::Start(starter, cx) => start_slot(slot, make(starter), index, cx, wrap),
        Op::Poll(cx) => poll_slot(slot, index, cx, wrap),
        Op::Drop => {
            drop_slot(slot);
            Poll::Pending
        }
    }
}

/// Puts a node's new future in its slot and polls it. Not inlined, like [`poll_slot`].
#[inline(never)]
fn start_slot<F, T, V>(
    mut slot: Pin<&mut Option<NodeFuture<F, V>>>,
    future: NodeFuture<F, V>,
    index: usize,
    cx: &mut TaskContext<'_>,
    wrap: fn(T) -> V,
) -> Poll<Finished<V>>
where
    F: Future<Output = NodeResult<T>>,
{
    slot.set(Some(future));
    poll_slot(slot, index, cx, wrap)
}

/// Drops a node's future. Not inlined, like [`poll_slot`].
#[inline(never)]
fn drop_slot<F, V>(mut slot: Pin<&mut Option<NodeFuture<F, V>>>) {
    slot.set(None);
}

/// Polls a node's future in its slot; empties the slot once it is done.
///
/// Not inlined, and generic over the node's future only (not over `step`'s closure): the
/// generated node table has one arm per node, and a copy of this in every arm would make
/// one huge function for LLVM and thrash the instruction cache of a large workflow.
#[inline(never)]
fn poll_slot<F, T, V>(
    mut slot: Pin<&mut Option<NodeFuture<F, V>>>,
    index: usize,
    cx: &mut TaskContext<'_>,
    wrap: fn(T) -> V,
) -> Poll<Finished<V>>
where
    F: Future<Output = NodeResult<T>>,
{
    let Some(future) = slot.as_mut().as_pin_mut() else {
        return Poll::Pending;
    };
    let done = match future.as_pin_mut() {
        futures::future::Either::Left(call) => {
            let polled = std::panic::catch_unwind(AssertUnwindSafe(|| call.poll(cx)));
            let result = match polled {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(r)) => settle(Ok(r)),
                Err(payload) => settle(Err(payload)),
            };
            Finished {
                index,
                attempts: 1,
                result: result.map(wrap),
            }
        }
        futures::future::Either::Right(boxed) => match boxed.poll(cx) {
            Poll::Ready(done) => done,
            Poll::Pending => return Poll::Pending,
        },
    };
    slot.set(None);
    Poll::Ready(done)
}

fn node_span(shared: &RunShared, index: usize, attempt: u32) -> tracing::Span {
    tracing::info_span!(
        target: "workflow",
        "node",
        node = shared.nodes[index].name,
        node_fn = shared.nodes[index].node_fn,
        attempt
    )
}

/// A spawned node with one attempt, no timeout, no trace.
async fn spawned_node<N: Node, V: Send + 'static>(
    ports: N,
    index: usize,
    shared: Arc<RunShared>,
    wrap: fn(N::Output) -> V,
) -> Finished<V> {
    let span = node_span(&shared, index, 1);
    let runtime = Arc::clone(&shared.runtime);
    let noted = Arc::clone(&shared);
    let ctx = Context::new(shared, index, 1);
    let call = AssertUnwindSafe(N::call(ports, ctx))
        .catch_unwind()
        .map(settle)
        .instrument(span);
    // Its fn ran only if tokio polled the task (see `attempt_once`).
    let call = async move {
        noted.note_attempt(index, 1);
        call.await
    };
    let result = spawned(call, None, &runtime, None).await;
    Finished {
        index,
        attempts: 1,
        result: result.map(wrap),
    }
}

/// A node call's outcome, with a panic turned into a failure.
#[inline]
fn settle<T>(r: std::thread::Result<Result<T, NodeCallError>>) -> Result<T, NodeFailure> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(NodeCallError::Error(e))) => Err(NodeFailure::Error(e)),
        Ok(Err(NodeCallError::MissingResource(t))) => Err(NodeFailure::MissingResource(t)),
        Err(payload) => Err(NodeFailure::Panic(panic_message(payload.as_ref()))),
    }
}

/// How a node ended, after all its attempts.
#[doc(hidden)]
#[derive(Debug)]
pub struct Finished<V> {
    index: usize,
    attempts: u32,
    result: Result<V, NodeFailure>,
}

struct NodeDone<T> {
    attempts: u32,
    result: Result<T, NodeFailure>,
}

async fn run_node<N: Node>(ports: N, index: usize, shared: Arc<RunShared>) -> NodeDone<N::Output> {
    let policy = shared.nodes[index].policy;
    let total = policy.retry.and_then(|r| r.total_timeout);
    let attempts = attempt_loop::<N>(ports, index, &shared, policy);
    match total {
        None => attempts.await,
        Some(limit) => match tokio::time::timeout(limit, attempts).await {
            Ok(done) => done,
            Err(_) => {
                // Each attempt notes its number once its call runs; none ran if the
                // limit passed while the node waited for a node-limit permit.
                let made = shared.attempts_made(index);
                tracing::warn!(
                    target: "workflow",
                    node = shared.nodes[index].name,
                    attempts = made,
                    ?limit,
                    "node timed out (all attempts)"
                );
                NodeDone {
                    attempts: made,
                    result: Err(NodeFailure::Timeout(limit)),
                }
            }
        },
    }
}

async fn attempt_loop<N: Node>(
    ports: N,
    index: usize,
    shared: &Arc<RunShared>,
    policy: NodePolicy,
) -> NodeDone<N::Output> {
    // Runtime-wide limit on nodes in flight across runs.
    // Shared with the task of a spawned attempt, which may outlive this future briefly
    // when the run stops (tokio drops an aborted task later).
    let permit = match &shared.runtime.node_limit {
        Some(sem) => {
            let permit = sem.clone().acquire_owned().await.ok().map(Arc::new);
            // Not running while it waited for the permit (see `Driver::start_node`).
            shared.set_live(index, NodeStatus::Running);
            permit
        }
        None => None,
    };
    let max = policy.max_attempts();
    let mut ports = Some(ports);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let Some(this) = next_ports(&mut ports, attempt < max) else {
            // Unreachable in practice: ports are only given away on the last attempt.
            return NodeDone {
                attempts: attempt - 1,
                result: Err(NodeFailure::Panic("node ports were consumed".into())),
            };
        };
        shared.record(Some(index), TraceKind::Started { attempt });
        let result = attempt_once::<N>(this, index, attempt, shared, policy, &permit).await;
        let failure = match result {
            Ok(v) => {
                return NodeDone {
                    attempts: attempt,
                    result: Ok(v),
                }
            }
            Err(f) => f,
        };
        if let NodeFailure::Timeout(limit) = failure {
            tracing::warn!(
                target: "workflow",
                node = shared.nodes[index].name,
                attempt,
                ?limit,
                "node attempt timed out"
            );
        }
        let retry = policy.retry.filter(|r| {
            attempt < max
                && ports.is_some()
                && match &failure {
                    NodeFailure::Error(e) => r.should_retry(e),
                    NodeFailure::Timeout(_) => r.retry_timeouts,
                    NodeFailure::Panic(_) | NodeFailure::MissingResource(_) => false,
                }
        });
        let Some(retry) = retry else {
            return NodeDone {
                attempts: attempt,
                result: Err(failure),
            };
        };
        let delay = retry.delay(attempt, shared.run_id ^ (index as u64) << 32);
        let error = describe(&failure);
        tracing::warn!(
            target: "workflow",
            node = shared.nodes[index].name,
            attempt,
            ?delay,
            error = %error,
            "node attempt failed; retrying"
        );
        shared.record(
            Some(index),
            TraceKind::Retrying {
                attempt,
                delay,
                error,
            },
        );
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

/// The ports for the next attempt: a clone while more attempts may follow, the
/// originals for the last one.
fn next_ports<N: Node>(ports: &mut Option<N>, more_may_follow: bool) -> Option<N> {
    if more_may_follow {
        if let Some(copy) = ports.as_ref().and_then(N::try_clone) {
            return Some(copy);
        }
    }
    ports.take()
}

async fn attempt_once<N: Node>(
    ports: N,
    index: usize,
    attempt: u32,
    shared: &Arc<RunShared>,
    policy: NodePolicy,
    permit: &Option<Arc<tokio::sync::OwnedSemaphorePermit>>,
) -> Result<N::Output, NodeFailure> {
    let ctx = Context::new(Arc::clone(shared), index, attempt);
    let span = tracing::info_span!(
        target: "workflow",
        "node",
        node = shared.nodes[index].name,
        node_fn = shared.nodes[index].node_fn,
        attempt
    );
    let call = N::call(ports, ctx).map(|r| match r {
        Ok(v) => Ok(v),
        Err(NodeCallError::Error(e)) => Err(NodeFailure::Error(e)),
        Err(NodeCallError::MissingResource(t)) => Err(NodeFailure::MissingResource(t)),
    });
    // An attempt counts once its call is first polled, not when it is launched: a
    // spawned attempt whose task is aborted before it ever ran (the run stopped in the
    // same instant) made no attempt, and a cancelled node must not report it.
    let noted = Arc::clone(shared);
    let call = async move {
        noted.note_attempt(index, attempt);
        call.await
    };
    match policy.execution {
        // The timeout is inside `catch_unwind`: a timed-out attempt's future is dropped
        // there, so a panicking `Drop` of its locals is this node's panic.
        Execution::InTask => {
            AssertUnwindSafe(with_timeout(call, policy.timeout))
                .catch_unwind()
                .map(caught)
                .instrument(span)
                .await
        }
        Execution::Spawn => {
            let call = AssertUnwindSafe(call)
                .catch_unwind()
                .map(caught)
                .instrument(span);
            spawned(call, policy.timeout, &shared.runtime, permit.clone()).await
        }
    }
}

fn caught<T>(
    r: Result<Result<T, NodeFailure>, Box<dyn std::any::Any + Send>>,
) -> Result<T, NodeFailure> {
    r.unwrap_or_else(|payload| Err(NodeFailure::Panic(panic_message(payload.as_ref()))))
}

async fn with_timeout<T>(
    fut: impl Future<Output = Result<T, NodeFailure>>,
    limit: Option<Duration>,
) -> Result<T, NodeFailure> {
    match limit {
        None => fut.await,
        Some(limit) => tokio::time::timeout(limit, fut)
            .await
            .unwrap_or(Err(NodeFailure::Timeout(limit))),
    }
}

/// Runs `fut` as its own tokio task, with the attempt's time limit; dropping the
/// returned future aborts the task.
///
/// A timed-out task is aborted *and awaited*, so its body is gone before the attempt
/// counts as finished (no overlap with a retry or with the next node of a limited run).
/// The runtime counts live node tasks, so `Runtime::shutdown` also waits for tasks
/// aborted when their run was dropped or failed.
async fn spawned<T: Send + 'static>(
    fut: impl Future<Output = Result<T, NodeFailure>> + Send + 'static,
    limit: Option<Duration>,
    runtime: &Arc<RuntimeInner>,
    permit: Option<Arc<tokio::sync::OwnedSemaphorePermit>>,
) -> Result<T, NodeFailure> {
    struct AbortOnDrop(tokio::task::AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let task = runtime.track_task();
    let mut handle = tokio::spawn(async move {
        let _task = (task, permit);
        fut.await
    });
    let _guard = AbortOnDrop(handle.abort_handle());
    let joined = match limit {
        None => (&mut handle).await,
        Some(limit) => match tokio::time::timeout(limit, &mut handle).await {
            Ok(joined) => joined,
            Err(_) => {
                handle.abort();
                let _ = handle.await;
                return Err(NodeFailure::Timeout(limit));
            }
        },
    };
    match joined {
        Ok(r) => r,
        Err(e) if e.is_panic() => Err(NodeFailure::Panic(panic_message(e.into_panic().as_ref()))),
        Err(_) => Err(NodeFailure::Panic("spawned node task was cancelled".into())),
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

fn describe(f: &NodeFailure) -> String {
    match f {
        NodeFailure::Error(e) => e.to_string(),
        NodeFailure::Panic(m) => format!("panicked: {m}"),
        NodeFailure::Timeout(d) => format!("timed out after {d:?}"),
        NodeFailure::MissingResource(t) => format!("missing resource `{t}`"),
    }
}

/// Everything a finished run hands back.
#[doc(hidden)]
#[derive(Debug)]
pub struct Outcome<O> {
    pub(crate) result: Result<O, WorkflowError>,
    pub(crate) report: RunReport,
    pub(crate) trace: Option<ExecutionTrace>,
}

/// Cancels the run's token when the run ends or its future is dropped, so spawned
/// nodes and `Context::cancelled` waiters notice.
struct CancelOnDrop(tokio_util::sync::CancellationToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

enum Event {
    Done,
    Failed(WorkflowError),
    TimedOut(Duration),
    Stalled(Duration),
    Deadlock,
    Cancelled,
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

/// One run about to start: what generated [`Workflow::run`] code hands its node table to.
#[doc(hidden)]
pub struct Executor<W: Workflow> {
    runtime: Arc<RuntimeInner>,
    input: W::Input,
    opts: RunOptions,
}

impl<W: Workflow> std::fmt::Debug for Executor<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("workflow", &W::NAME)
            .finish_non_exhaustive()
    }
}

impl<W: Workflow> Executor<W> {
    pub(crate) fn new(runtime: Arc<RuntimeInner>, input: W::Input, opts: RunOptions) -> Self {
        Self {
            runtime,
            input,
            opts,
        }
    }

    /// Runs the workflow with `table`, the generated node table: `table(state, i, op)`
    /// does `op` on node `i`'s slot (see [`step`]).
    pub async fn run<T>(self, table: T) -> Outcome<W::Output>
    where
        T: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
    {
        execute::<W, T>(self.runtime, self.input, self.opts, table).await
    }
}

/// Runs one workflow to its end.
async fn execute<W: Workflow, T>(
    runtime: Arc<RuntimeInner>,
    input: W::Input,
    opts: RunOptions,
    table: T,
) -> Outcome<W::Output>
where
    T: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
{
    let plan = W::PLAN;
    let run_id = crate::runtime::next_run_id();
    let start = Instant::now();

    // Resources are checked before any node runs.
    if let Some((node, type_name, arc_registered)) = runtime.missing_resource(plan.nodes) {
        let error = if arc_registered {
            WorkflowError::ResourceRegisteredAsArc {
                workflow: plan.name,
                node,
                type_name,
            }
        } else {
            WorkflowError::MissingResource {
                workflow: plan.name,
                node,
                type_name,
            }
        };
        return Outcome {
            result: Err(error),
            report: initial_report(plan.name, run_id, plan.nodes, Duration::ZERO),
            trace: None,
        };
    }

    let cancel = match &opts.cancel {
        Some(outer) => outer.child_token(),
        None => tokio_util::sync::CancellationToken::new(),
    };
    let trace = opts.trace.unwrap_or(runtime.trace);
    let shared = Arc::new(RunShared::new(
        run_id,
        start,
        plan.name,
        plan.nodes,
        cancel.clone(),
        trace,
        Arc::clone(&runtime),
    ));
    runtime.notify_monitors(&shared);
    let _cancel_guard = CancelOnDrop(cancel.clone());

    let span = tracing::info_span!(target: "workflow", "workflow", workflow = plan.name, run_id);
    let mut driver = Driver::<W, T> {
        shared: &shared,
        state: W::init(input),
        table,
        deps: plan.nodes.iter().map(|n| n.deps).collect(),
        ready: VecDeque::with_capacity(plan.nodes.len()),
        pending: Pending::default(),
        reports: initial_report(plan.name, run_id, plan.nodes, Duration::ZERO).nodes,
        blocked: Vec::new(),
        errors: Vec::new(),
        concurrency: opts
            .concurrency
            .or(plan.policy.concurrency)
            .unwrap_or(usize::MAX)
            .max(1),
        failure: opts.failure.unwrap_or(plan.policy.failure),
        start,
        spans: Vec::new(),
        clock: None,
        precise_timing: shared.trace.is_some(),
    };
    let timeout = opts.timeout.or(plan.policy.timeout);
    let stall = opts.deadlock.or(plan.policy.deadlock);
    let result = driver
        .run(timeout, stall, opts.cancel_grace, &cancel)
        .instrument(span.clone())
        .await;
    let duration = start.elapsed();
    let Driver { reports, state, .. } = driver;
    let _entered = span.enter(); // no await below: the end-of-run events go in the run's span

    // Values left in their slots (the run failed before they were consumed) are dropped
    // here; a panicking `Drop` among them must not unwind out of the run.
    if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| drop(state))) {
        tracing::error!(
            target: "workflow",
            workflow = plan.name,
            run_id,
            panic = %panic_message(payload.as_ref()),
            "an unconsumed value panicked while being dropped"
        );
    }
    match &result {
        Ok(_) => {
            tracing::debug!(target: "workflow", workflow = plan.name, run_id, ?duration, "run completed");
            shared.record(None, TraceKind::RunCompleted);
        }
        Err(e) => {
            match e {
                WorkflowError::Cancelled { .. } => {
                    tracing::info!(target: "workflow", workflow = plan.name, run_id, error = %e, "run cancelled");
                }
                WorkflowError::Timeout {
                    scope: TimeoutScope::Workflow,
                    ..
                } => {
                    tracing::warn!(target: "workflow", workflow = plan.name, run_id, error = %e, "run timed out");
                }
                _ => {
                    tracing::warn!(target: "workflow", workflow = plan.name, run_id, error = %e, "run failed");
                }
            }
            shared.record_with(None, || TraceKind::RunFailed {
                error: e.to_string(),
            });
        }
    }
    Outcome {
        result,
        report: RunReport {
            workflow: plan.name,
            run_id,
            duration,
            nodes: reports,
        },
        trace: shared.trace.as_ref().map(|t| t.snapshot()),
    }
}

fn initial_report(
    workflow: &'static str,
    run_id: u64,
    nodes: &'static [crate::plan::NodeSpec],
    duration: Duration,
) -> RunReport {
    RunReport {
        workflow,
        run_id,
        duration,
        nodes: nodes
            .iter()
            .map(|n| NodeReport {
                name: n.name,
                node_fn: n.node_fn,
                status: NodeStatus::NotStarted,
                attempts: 0,
                duration: Duration::ZERO,
                started_at: None,
            })
            .collect(),
    }
}

/// Wake-ups of pending nodes: one bit per node, and the run's own waker.
struct WakeSet {
    bits: Box<[AtomicU64]>,
    run: futures::task::AtomicWaker,
}

impl WakeSet {
    fn new(nodes: usize) -> Self {
        Self {
            bits: (0..nodes.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            run: futures::task::AtomicWaker::new(),
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

/// Nodes that did not complete on their first poll. Nothing here is allocated until a
/// node is pending: a run whose nodes all complete at once never allocates a waker.
#[derive(Default)]
struct Pending {
    /// Number of pending nodes.
    count: usize,
    /// `is[i]`: node `i` is pending.
    is: Vec<bool>,
    /// Pending nodes first polled with the run's waker rather than their own: they are
    /// polled with their own at the run's next wake-up.
    untracked: Vec<usize>,
    wakers: Vec<Option<std::task::Waker>>,
    set: Option<Arc<WakeSet>>,
    /// Scratch for [`WakeSet::drain`].
    woken: Vec<usize>,
}

impl Pending {
    fn init(&mut self, nodes: usize) {
        if self.is.is_empty() {
            self.is = vec![false; nodes];
            self.wakers = vec![None; nodes];
            self.set = Some(Arc::new(WakeSet::new(nodes)));
        }
    }

    /// Node `i` returned `Pending` from its first poll, `tracked` if polled with its
    /// own waker (else with the run's).
    fn add(&mut self, i: usize, nodes: usize, tracked: bool) {
        self.init(nodes);
        self.is[i] = true;
        self.count += 1;
        if !tracked {
            self.untracked.push(i);
        }
    }

    fn remove(&mut self, i: usize) {
        if self.is.get(i).copied().unwrap_or(false) {
            self.is[i] = false;
            self.count -= 1;
        }
    }

    fn contains(&self, i: usize) -> bool {
        self.is.get(i).copied().unwrap_or(false)
    }

    fn waker(&mut self, i: usize) -> std::task::Waker {
        let set = self.set.as_ref().expect("a pending node has a wake set");
        self.wakers[i]
            .get_or_insert_with(|| {
                std::task::Waker::from(Arc::new(NodeWaker {
                    set: Arc::clone(set),
                    index: i,
                }))
            })
            .clone()
    }

    /// The pending nodes to poll now: those not yet polled with their own waker, then
    /// those woken since the last look. Registers the run's waker first, so a wake-up
    /// that races with this look is not lost.
    fn take_due(&mut self, cx: &TaskContext<'_>, due: &mut Vec<usize>) {
        due.clear();
        let Some(set) = &self.set else { return };
        set.run.register(cx.waker());
        due.append(&mut self.untracked);
        set.drain(&mut self.woken);
        for i in self.woken.drain(..) {
            if self.is[i] {
                due.push(i);
            }
        }
    }

    /// Every pending node.
    fn all(&self) -> Vec<usize> {
        (0..self.is.len()).filter(|&i| self.is[i]).collect()
    }
}

struct Driver<'a, W: Workflow, T> {
    shared: &'a Arc<RunShared>,
    state: W::State,
    /// The generated node table (see [`step`]).
    table: T,
    deps: Vec<u32>,
    ready: VecDeque<usize>,
    pending: Pending,
    reports: Vec<NodeReport>,
    /// Nodes that must never start (downstream of a failure, `failure = continue`).
    blocked: Vec<bool>,
    errors: Vec<WorkflowError>,
    concurrency: usize,
    failure: FailurePolicy,
    start: Instant,
    /// The `tracing` spans of running lean nodes (see [`is_lean`]; other nodes have
    /// theirs in their futures). Empty while no subscriber wants them.
    spans: Vec<tracing::Span>,
    /// `start.elapsed()` as last read in this poll of the run.
    clock: Option<Duration>,
    /// Read the clock after every node poll (traced runs), not once per poll of the run.
    precise_timing: bool,
}

impl<W: Workflow, T> Driver<'_, W, T>
where
    T: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
{
    async fn run(
        &mut self,
        timeout: Option<Duration>,
        stall: Option<Duration>,
        grace: Option<Duration>,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<W::Output, WorkflowError> {
        self.shared.record(None, TraceKind::RunStarted);
        for (i, &d) in self.deps.iter().enumerate() {
            if d == 0 {
                self.ready.push_back(i);
                self.shared.record(Some(i), TraceKind::Scheduled);
            }
        }
        let mut deadline: Option<Pin<Box<Sleep>>> =
            timeout.map(|d| Box::pin(tokio::time::sleep(d)));
        let mut stall_timer: Option<(Duration, Pin<Box<Sleep>>)> =
            stall.map(|d| (d, Box::pin(tokio::time::sleep(d))));
        let mut cancelled = std::pin::pin!(cancel.cancelled());

        // The run goes on inside `poll_event` until an event ends it.
        let event = std::future::poll_fn(|cx| {
            self.poll_event(cx, &mut deadline, &mut stall_timer, cancelled.as_mut())
        })
        .await;
        match event {
            Event::Done => {}
            Event::Failed(e) => return Err(self.abort(e, grace).await),
            Event::TimedOut(elapsed) => {
                let running = self.running_names();
                let e = WorkflowError::Timeout {
                    workflow: W::PLAN.name,
                    scope: TimeoutScope::Workflow,
                    // The configured limit, not the measured time (which includes
                    // the run's setup before the timer started).
                    limit: timeout.unwrap_or(elapsed),
                    running,
                };
                return Err(self.abort(e, grace).await);
            }
            Event::Stalled(limit) => {
                let e = self.deadlock(DeadlockKind::Stalled(limit));
                return Err(self.abort(e, grace).await);
            }
            Event::Deadlock => {
                let e = self.deadlock(DeadlockKind::AllWaiting);
                return Err(self.abort(e, grace).await);
            }
            Event::Cancelled => {
                let e = WorkflowError::Cancelled {
                    workflow: W::PLAN.name,
                    running: self.running_names(),
                };
                return Err(self.abort(e, grace).await);
            }
        }
        self.mark_rest(NodeStatus::Skipped);
        match self.errors.len() {
            0 => {}
            1 => return Err(self.errors.remove(0)),
            _ => {
                return Err(WorkflowError::Multiple {
                    workflow: W::PLAN.name,
                    errors: std::mem::take(&mut self.errors),
                })
            }
        }
        // Every node succeeded, so every output slot is filled.
        Ok(W::finish(&mut self.state))
    }

    /// Advances the run as far as it can without waiting: starts every ready node and
    /// polls it once in its slot (a node that completes on its first poll never gets a
    /// waker of its own), polls the pending nodes that were woken, handles finished
    /// nodes, and returns the first event that ends the run or `Poll::Pending` once
    /// everything left is waiting.
    fn poll_event(
        &mut self,
        cx: &mut TaskContext<'_>,
        deadline: &mut Option<Pin<Box<Sleep>>>,
        stall: &mut Option<(Duration, Pin<Box<Sleep>>)>,
        cancelled: Pin<&mut tokio_util::sync::WaitForCancellationFuture<'_>>,
    ) -> Poll<Event> {
        if self.shared.cancel.is_cancelled() {
            return Poll::Ready(Event::Cancelled);
        }
        if let Some(d) = deadline {
            if d.as_mut().poll(cx).is_ready() {
                let limit = d.deadline() - self.start;
                return Poll::Ready(Event::TimedOut(limit));
            }
        }
        // Node times are read once per poll of the run: nodes that complete within one
        // poll share its timestamp (reading the clock costs more than a trivial node).
        self.clock = None;
        // Nodes handled in this poll; past the budget the run yields to other tasks.
        let mut handled = 0usize;
        let mut budget_check = 0usize;
        let mut poll_began: Option<std::time::Instant> = None;
        let mut due = Vec::new();
        loop {
            if !self.ready.is_empty() && self.pending.count < self.concurrency {
                // One timestamp for the batch: these nodes all start now, and in-task
                // nodes run one after another in this task anyway.
                let at = self.elapsed();
                while self.pending.count < self.concurrency {
                    let Some(i) = self.ready.pop_front() else {
                        break;
                    };
                    // A spawned node is pending until its task ends: it gets its own
                    // waker at once rather than a second poll to swap wakers.
                    let tracked = W::PLAN.nodes[i].policy.execution == Execution::Spawn;
                    let polled = self.start_node(i, at, cx, tracked);
                    if self.precise_timing {
                        self.clock = None;
                    }
                    match polled {
                        Poll::Ready(done) => {
                            handled += 1;
                            if let Err(e) = self.on_finished(done, stall) {
                                return Poll::Ready(Event::Failed(e));
                            }
                            // `is_cancelled` takes a lock: look every few nodes only.
                            if handled % CANCEL_CHECK_EVERY == 0
                                && self.shared.cancel.is_cancelled()
                            {
                                return Poll::Ready(Event::Cancelled);
                            }
                        }
                        Poll::Pending => self.pending.add(i, self.deps.len(), tracked),
                    }
                }
            }
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
            if self.pending.count == 0 {
                if self.ready.is_empty() {
                    return Poll::Ready(Event::Done);
                }
                continue;
            }
            self.pending.take_due(cx, &mut due);
            let mut progressed = false;
            for &i in &due {
                if !self.pending.contains(i) {
                    continue;
                }
                let Poll::Ready(done) = self.poll_node(i) else {
                    continue;
                };
                if self.precise_timing {
                    self.clock = None;
                }
                progressed = true;
                handled += 1;
                if let Err(e) = self.on_finished(done, stall) {
                    return Poll::Ready(Event::Failed(e));
                }
                if handled % CANCEL_CHECK_EVERY == 0 && self.shared.cancel.is_cancelled() {
                    return Poll::Ready(Event::Cancelled);
                }
            }
            if !progressed {
                break;
            }
        }
        let live = self.pending.count;
        if live > 0 && self.shared.waiting.load(Ordering::SeqCst) >= live {
            return Poll::Ready(Event::Deadlock);
        }
        if let Some((limit, timer)) = stall {
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Event::Stalled(*limit));
            }
        }
        if cancelled.poll(cx).is_ready() {
            return Poll::Ready(Event::Cancelled);
        }
        Poll::Pending
    }

    /// Time since the run started, read at most once per poll of the run (per node poll
    /// when precise).
    fn elapsed(&mut self) -> Duration {
        match self.clock {
            Some(t) => t,
            None => {
                let t = self.start.elapsed();
                self.clock = Some(t);
                t
            }
        }
    }

    /// Starts node `i` (marked running since `at`) and polls it once with the run's waker.
    fn start_node(
        &mut self,
        i: usize,
        at: Duration,
        cx: &mut TaskContext<'_>,
        own_waker: bool,
    ) -> Poll<Finished<W::Value>> {
        let report = &mut self.reports[i];
        report.status = NodeStatus::Running;
        report.started_at = Some(at);
        // Behind the runtime's node limit, a node runs once it has a permit, and says
        // so then (`attempt_loop`).
        if self.shared.runtime.node_limit.is_none() {
            self.shared.set_live(i, NodeStatus::Running);
        }
        if is_lean(self.shared, i) {
            let span = node_span(self.shared, i, 1);
            if !span.is_disabled() {
                if self.spans.is_empty() {
                    self.spans = vec![tracing::Span::none(); self.deps.len()];
                }
                self.spans[i] = span;
            }
        }
        let _entered = self.spans.get(i).map(tracing::Span::enter);
        let starter = NodeStarter {
            shared: self.shared,
        };
        if own_waker {
            self.pending.init(self.deps.len());
            // Registers the run's waker, as `take_due` would, so the node's wake-up
            // reaches this run.
            if let Some(set) = &self.pending.set {
                set.run.register(cx.waker());
            }
            let waker = self.pending.waker(i);
            let mut node_cx = TaskContext::from_waker(&waker);
            return (self.table)(&mut self.state, i, Op::Start(&starter, &mut node_cx));
        }
        (self.table)(&mut self.state, i, Op::Start(&starter, cx))
    }

    /// Polls pending node `i` with its own waker; forgets it once it is done.
    fn poll_node(&mut self, i: usize) -> Poll<Finished<W::Value>> {
        let waker = self.pending.waker(i);
        let mut cx = TaskContext::from_waker(&waker);
        let _entered = self.spans.get(i).map(tracing::Span::enter);
        let polled = (self.table)(&mut self.state, i, Op::Poll(&mut cx));
        if polled.is_ready() {
            self.pending.remove(i);
        }
        polled
    }

    /// Records a finished node; schedules its successors or returns the failure to stop on.
    fn on_finished(
        &mut self,
        done: Finished<W::Value>,
        stall: &mut Option<(Duration, Pin<Box<Sleep>>)>,
    ) -> Result<(), WorkflowError> {
        if let Some((d, timer)) = stall {
            timer.as_mut().reset(Instant::now() + *d);
        }
        let Finished {
            index,
            attempts,
            result,
        } = done;
        if let Some(span) = self.spans.get_mut(index) {
            *span = tracing::Span::none();
        }
        let spec = &W::PLAN.nodes[index];
        let now = self.elapsed();
        let report = &mut self.reports[index];
        report.attempts = attempts;
        report.duration = now - report.started_at.unwrap_or_default();
        match result {
            Ok(value) => {
                report.status = NodeStatus::Succeeded;
                self.shared.set_live(index, NodeStatus::Succeeded);
                tracing::debug!(target: "workflow", node = spec.name, attempts, "node completed");
                self.shared
                    .record(Some(index), TraceKind::Completed { attempts });
                W::store(&mut self.state, value);
                for &s in spec.successors {
                    self.deps[s] -= 1;
                    if self.deps[s] == 0 && !self.blocked.get(s).copied().unwrap_or(false) {
                        self.ready.push_back(s);
                        self.shared.record(Some(s), TraceKind::Scheduled);
                    }
                }
                Ok(())
            }
            Err(failure) => {
                report.status = NodeStatus::Failed;
                self.shared.set_live(index, NodeStatus::Failed);
                self.shared.record_with(Some(index), || TraceKind::Failed {
                    attempts,
                    error: describe(&failure),
                });
                let error = self.to_error(index, attempts, failure);
                tracing::warn!(target: "workflow", node = spec.name, attempts, error = %error, "node failed");
                match self.failure {
                    FailurePolicy::FailFast => Err(error),
                    FailurePolicy::Continue => {
                        self.block_downstream(index);
                        self.errors.push(error);
                        Ok(())
                    }
                }
            }
        }
    }

    fn block_downstream(&mut self, index: usize) {
        if self.blocked.is_empty() {
            self.blocked = vec![false; self.deps.len()];
        }
        let mut stack = vec![index];
        while let Some(n) = stack.pop() {
            for &s in W::PLAN.nodes[n].successors {
                if !self.blocked[s] {
                    self.blocked[s] = true;
                    stack.push(s);
                }
            }
        }
    }

    fn to_error(&self, index: usize, attempts: u32, failure: NodeFailure) -> WorkflowError {
        let workflow = W::PLAN.name;
        let node = W::PLAN.nodes[index].name;
        match failure {
            NodeFailure::Error(source) => WorkflowError::NodeFailed {
                workflow,
                node,
                attempts,
                source,
            },
            NodeFailure::Panic(message) => WorkflowError::NodePanicked {
                workflow,
                node,
                message,
            },
            NodeFailure::Timeout(limit) => WorkflowError::Timeout {
                workflow,
                scope: TimeoutScope::Node(node),
                limit,
                running: vec![node],
            },
            NodeFailure::MissingResource(type_name) => WorkflowError::MissingResource {
                workflow,
                node,
                type_name,
            },
        }
    }

    fn running_names(&self) -> Vec<&'static str> {
        self.reports
            .iter()
            .filter(|r| r.status == NodeStatus::Running)
            .map(|r| r.name)
            .collect()
    }

    fn deadlock(&self, kind: DeadlockKind) -> WorkflowError {
        let waits = self.shared.waits();
        let waiting = self
            .reports
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == NodeStatus::Running)
            .map(|(i, r)| WaitingNode {
                node: r.name,
                waits_for: waits.get(&i).cloned(),
            })
            .collect();
        WorkflowError::Deadlock {
            workflow: W::PLAN.name,
            report: DeadlockReport::new(kind, waiting),
        }
    }

    /// Stops the run: cancels the run's token, gives running nodes a chance to notice
    /// (one poll round, plus up to `grace`), then drops what is still running and marks
    /// the rest. Outputs produced after the stop are discarded.
    async fn abort(&mut self, error: WorkflowError, grace: Option<Duration>) -> WorkflowError {
        self.shared.cancel.cancel();
        if self.pending.count > 0 {
            // Nodes waiting on `Context::cancelled` were just woken: poll them once.
            for i in self.pending.all() {
                if let Poll::Ready(done) = self.poll_node(i) {
                    self.on_stopped(done);
                }
            }
        }
        if let Some(grace) = grace.filter(|g| !g.is_zero()) {
            let drain = std::future::poll_fn(|cx| {
                let mut due = Vec::new();
                loop {
                    if self.pending.count == 0 {
                        return Poll::Ready(());
                    }
                    self.pending.take_due(cx, &mut due);
                    let mut progressed = false;
                    for &i in &due {
                        if self.pending.contains(i) {
                            if let Poll::Ready(done) = self.poll_node(i) {
                                self.on_stopped(done);
                                progressed = true;
                            }
                        }
                    }
                    if !progressed {
                        return Poll::Pending;
                    }
                }
            });
            let _ = tokio::time::timeout(grace, drain).await;
        }
        // Drop what still runs one node at a time, so that a panicking `Drop` in one
        // node's future is contained, reported, and does not skip the others.
        let mut drop_errors = Vec::new();
        for i in self.pending.all() {
            self.pending.remove(i);
            let (table, state) = (&mut self.table, &mut self.state);
            let dropped = std::panic::catch_unwind(AssertUnwindSafe(|| table(state, i, Op::Drop)));
            if let Err(payload) = dropped {
                let message = format!(
                    "panicked while being dropped: {}",
                    panic_message(payload.as_ref())
                );
                let node = W::PLAN.nodes[i].name;
                tracing::error!(target: "workflow", workflow = W::PLAN.name, node, %message);
                drop_errors.push(WorkflowError::NodePanicked {
                    workflow: W::PLAN.name,
                    node,
                    message,
                });
            }
        }
        let now = self.start.elapsed();
        for (i, r) in self.reports.iter_mut().enumerate() {
            if r.status == NodeStatus::Running {
                // Its future was dropped before it could say how many attempts it made.
                // A lean node's fn runs when it starts; the others note each attempt
                // whose fn ran. None ran when the node still waited for a node-limit
                // permit, or was spawned and tokio never polled its task: it counts as
                // never started.
                r.attempts = if is_lean(self.shared, i) {
                    1
                } else {
                    self.shared.attempts_made(i)
                };
                if r.attempts == 0 {
                    r.status = NodeStatus::NotStarted;
                    r.started_at = None;
                    continue;
                }
                r.status = NodeStatus::Cancelled;
                r.duration = now - r.started_at.unwrap_or_default();
                self.shared.set_live(i, NodeStatus::Cancelled);
                tracing::info!(target: "workflow", node = r.name, "node cancelled");
                self.shared.record(Some(i), TraceKind::Cancelled);
            }
        }
        self.mark_rest(NodeStatus::Skipped);
        if self.errors.is_empty() && drop_errors.is_empty() {
            error
        } else {
            let mut errors = std::mem::take(&mut self.errors);
            errors.push(error);
            errors.append(&mut drop_errors);
            WorkflowError::Multiple {
                workflow: W::PLAN.name,
                errors,
            }
        }
    }

    /// A node that ended after the run was stopped: it counts as cancelled.
    fn on_stopped(&mut self, done: Finished<W::Value>) {
        let report = &mut self.reports[done.index];
        report.attempts = done.attempts;
        report.status = NodeStatus::Cancelled;
        report.duration = self.start.elapsed() - report.started_at.unwrap_or_default();
        self.shared.set_live(done.index, NodeStatus::Cancelled);
        tracing::info!(target: "workflow", node = report.name, "node cancelled");
        self.shared.record(Some(done.index), TraceKind::Cancelled);
    }

    fn mark_rest(&mut self, status: NodeStatus) {
        for (i, r) in self.reports.iter_mut().enumerate() {
            if r.status == NodeStatus::NotStarted {
                r.status = status;
                self.shared.set_live(i, status);
                self.shared.record(Some(i), TraceKind::Skipped);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop_cx() -> TaskContext<'static> {
        TaskContext::from_waker(std::task::Waker::noop())
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
        let mut p = Pending::default();
        assert!(p.set.is_none(), "nothing allocated before a node waits");
        p.add(5, 130, false);
        p.add(100, 130, false);
        p.add(7, 130, true);
        assert_eq!(p.count, 3);
        let cx = noop_cx();
        let mut due = Vec::new();
        p.take_due(&cx, &mut due);
        assert_eq!(due, [5, 100], "polled once with their own waker");
        p.take_due(&cx, &mut due);
        assert!(due.is_empty(), "nothing woken since");

        // A node's own waker makes it (and only it) due again; so does a clone of it.
        p.waker(100).wake_by_ref();
        p.waker(7).wake();
        p.take_due(&cx, &mut due);
        assert_eq!(due, [7, 100]);

        // A finished node is no longer due, even if its waker fires late.
        p.remove(100);
        assert!(!p.contains(100));
        p.waker(100).wake();
        p.take_due(&cx, &mut due);
        assert!(due.is_empty());
        assert_eq!(p.count, 2);
        assert_eq!(p.all(), [5, 7]);
    }
}
