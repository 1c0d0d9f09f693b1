//! Attempts: the only reader of node policies. Decides how each node runs ([`Mode`]),
//! and runs a node's attempts: retries with their delays, attempt and total timeouts,
//! spawning, the runtime-wide node limit, and turning panics into failures.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::OwnedSemaphorePermit;

use crate::context::Context;
pub(crate) use crate::error::panic_message;
use crate::error::{
    BoxError, ChildFailed, NodeName, Shown, TimeoutScope, TokioNeed, WorkflowError,
};
use crate::node::{Node, NodeCallError, NodeResult};
use crate::plan::NodeSpec;
use crate::policy::{Execution, NodePolicy};
use crate::run::NodeStatus;
use crate::shared::{RunShared, RunSlot, RuntimeShared};
use crate::trace::TraceKind;

/// How a node runs, from its policy and the run's settings; computed once per node and
/// run, when the node starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One attempt in the run's task, with no timeout, trace or node limit: the node's
    /// call itself sits in its cell (no allocation), and the driver does the rest (span,
    /// panics, the outcome).
    Inline,
    /// One attempt in a tokio task of its own (`spawn`), with no timeout, trace or node
    /// limit.
    Spawned,
    /// Attempts under the node's policies (retries, timeouts, trace, the node limit), in
    /// the run's task or, when `spawned`, each in a task of its own.
    Supervised {
        /// Each attempt runs in a tokio task of its own.
        spawned: bool,
    },
}

impl Mode {
    /// How `node` runs, in a run where `supervised` says whether every node must be
    /// supervised (see [`supervises_all`]). A `const fn`: the driver also asks it of a
    /// whole plan at compile time (whether every node of a workflow runs inline).
    #[inline]
    pub(crate) const fn of(node: &NodeSpec, supervised: bool) -> Self {
        let policy = &node.policy;
        let spawned = matches!(policy.execution, Execution::Spawn);
        if supervised || policy.retry.is_some() || policy.timeout.is_some() {
            Self::Supervised { spawned }
        } else if spawned {
            Self::Spawned
        } else {
            Self::Inline
        }
    }

    /// Whether the node's future stays pending until a task of its own ends.
    pub(crate) fn spawns(self) -> bool {
        matches!(self, Self::Spawned | Self::Supervised { spawned: true })
    }
}

/// Whether every node of the run must be supervised, whatever its policy: the run is
/// traced (attempts are recorded) or the runtime limits nodes in flight.
#[inline]
pub(crate) fn supervises_all(shared: &RunSlot) -> bool {
    shared.is_traced() || shared.runtime().node_limit.is_some()
}

/// How a node ended, after all its attempts; `V` is its output as the workflow's value.
#[doc(hidden)]
#[derive(Debug)]
pub struct Finished<V> {
    pub(crate) index: usize,
    pub(crate) attempts: u32,
    pub(crate) result: Result<V, NodeFailure>,
}

/// How one attempt of a node ended badly (becomes a [`WorkflowError`](crate::WorkflowError)).
#[derive(Debug)]
pub(crate) enum NodeFailure {
    Error(BoxError),
    Panic(String),
    Timeout(Duration),
    /// The node's `retry(total_timeout)` passed: the limit on all its attempts.
    TotalTimeout(Duration),
    /// A `Res<T>` not registered: its type name, and whether an `Arc<T>` was instead.
    MissingResource(&'static str, bool),
    /// The node needs tokio for this, and runs outside a tokio runtime.
    NeedsTokio(TokioNeed),
}

impl NodeFailure {
    /// One line for logs and the trace.
    pub(crate) fn describe(&self) -> String {
        match self {
            // A `Display` that panics is a note here, not a panic in the run's task.
            Self::Error(e) => Shown(&**e).to_string(),
            Self::Panic(m) => format!("panicked: {m}"),
            Self::Timeout(d) => format!("timed out after {d:?}"),
            Self::TotalTimeout(d) => format!("timed out after {d:?} (all attempts)"),
            Self::MissingResource(t, false) => format!("missing resource `{t}`"),
            Self::MissingResource(t, true) => {
                format!("missing resource `{t}` (an `Arc<{t}>` was registered instead)")
            }
            Self::NeedsTokio(cause) => {
                format!("needs a tokio runtime for its {}", cause.what_and_fix().0)
            }
        }
    }

    /// The run's error for node `node` of `workflow` (its binding, or its path in a
    /// child run) that ended this way after `attempts` attempts. A sub-workflow or
    /// fan-out node passes on its child run's own error, which names the child's node
    /// by its path.
    pub(crate) fn into_error(
        self,
        workflow: &'static str,
        node: NodeName,
        attempts: u32,
    ) -> WorkflowError {
        match self {
            Self::Error(source) if source.is::<ChildFailed>() => match source.downcast() {
                Ok(child) => {
                    let ChildFailed(error) = *child;
                    error
                }
                Err(source) => WorkflowError::NodeFailed {
                    workflow,
                    node,
                    attempts,
                    source,
                },
            },
            Self::Error(source) => WorkflowError::NodeFailed {
                workflow,
                node,
                attempts,
                source,
            },
            Self::Panic(message) => WorkflowError::NodePanicked {
                workflow,
                node,
                message,
            },
            Self::Timeout(limit) | Self::TotalTimeout(limit) => WorkflowError::Timeout {
                workflow,
                scope: TimeoutScope::Node(node.clone()),
                limit,
                running: vec![node],
                attempts,
                all_attempts: matches!(self, Self::TotalTimeout(_)),
                // Named where the run ends (`RunShared::name_retry_waits`).
                retrying: Vec::new(),
            },
            Self::MissingResource(type_name, false) => WorkflowError::MissingResource {
                workflow,
                node,
                type_name,
            },
            Self::NeedsTokio(cause) => WorkflowError::NeedsTokio {
                workflow,
                node: Some(node),
                cause,
            },
            Self::MissingResource(type_name, true) => WorkflowError::ResourceRegisteredAsArc {
                workflow,
                node,
                type_name,
            },
        }
    }
}

impl From<NodeCallError> for NodeFailure {
    fn from(e: NodeCallError) -> Self {
        match e {
            NodeCallError::Error(e) => Self::Error(e),
            NodeCallError::MissingResource(t, arc) => Self::MissingResource(t, arc),
        }
    }
}

/// A node call's outcome, with a panic turned into a failure.
#[inline]
pub(crate) fn settle<T>(
    r: std::thread::Result<Result<T, NodeCallError>>,
) -> Result<T, NodeFailure> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.into()),
        Err(payload) => Err(NodeFailure::Panic(panic_message(payload.as_ref()))),
    }
}

/// The failure of a node whose ports panicked as they were built: a user's `Clone` of
/// a value it shares with another node (see `cells::start_node_sharing` and
/// `fused::fused_op`).
#[cold]
pub(crate) fn sharing_panicked(payload: Box<dyn std::any::Any + Send>) -> NodeFailure {
    NodeFailure::Panic(format!(
        "{} (while cloning an input it shares with another node, before it ran)",
        panic_message(payload.as_ref())
    ))
}

/// Making the input of a fan-out's item `item` panicked (a user's `Clone` of a value the
/// items share): the panic goes on, unwinding to the fan-out node's `catch_unwind`,
/// with a message that says where, as [`sharing_panicked`]'s does for a node's ports.
/// (`resume_unwind`: the panic hook has printed the first panic, and is not called again.)
#[cold]
#[inline(never)]
pub(crate) fn item_input_panicked(payload: Box<dyn std::any::Any + Send>, item: usize) -> ! {
    std::panic::resume_unwind(Box::new(format!(
        "{} (while cloning an input of item {item} that the fan-out's items share, before \
         that item ran)",
        panic_message(payload.as_ref())
    )))
}

/// Whether a node's `tracing` span may be wanted: the level test `info_span!` starts
/// with, inline, so a run without a subscriber at that level skips building spans.
#[inline(always)]
pub(crate) fn node_spans_possible() -> bool {
    tracing::Level::INFO <= tracing::level_filters::STATIC_MAX_LEVEL
        && tracing::Level::INFO <= tracing::level_filters::LevelFilter::current()
}

/// The `tracing` span of one attempt of node `index`. Its `node` field is the node's
/// path (`thumbs[3].img`, `front.html`), as in reports and errors, so that a subscriber
/// tells a fan-out's items apart; the path is built only for a span that is enabled.
/// What a retry's jitter is drawn from, with the attempt (see `RetryPolicy::delay`). The
/// runtime's seed (random unless fixed) keeps runs of two processes with the same id from
/// retrying in step; the run's jitter key is its id, or with a fixed seed its number among
/// the runtime's runs (`RuntimeShared::jitter_key`). A child run's node (a fan-out's item,
/// a sub-workflow's node) mixes in its path too: the items of a fan-out share their root
/// run's id and their body's node indexes, so without it every item failing together drew
/// the same delays and retried in step, what jitter is for avoiding (trial43: six items,
/// one timeline). Computed only when a node waits to retry.
fn jitter_seed(shared: &RunShared, index: usize) -> u64 {
    let seed = shared.jitter_key ^ (index as u64) << 32 ^ shared.runtime.jitter_seed;
    if shared.path.is_none() {
        return seed;
    }
    use std::hash::{Hash as _, Hasher as _};
    // `DefaultHasher::new()` has fixed keys: the same path draws the same delays in
    // every process of one build, as a fixed seed promises.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    shared.node_name(index).hash(&mut hasher);
    seed ^ hasher.finish()
}

pub(crate) fn node_span(shared: &RunShared, index: usize, attempt: u32) -> tracing::Span {
    tracing::info_span!(
        target: "workflow",
        "node",
        node = &*shared.node_name(index),
        node_fn = shared.nodes[index].node_fn,
        attempt
    )
}

/// A [`Mode::Supervised`] node: its attempts under its policies, within the total
/// timeout of its retry policy, boxed as the driver keeps it.
///
/// Generic over the node type and the workflow's value only for the box and the output's
/// way back ([`Supervised`]): the attempts themselves (the retry loop, timeouts, the
/// node limit, spawning, their tasks and timers and their drop glue) are compiled once,
/// in this crate, on the node seen through [`ErasedNode`]. Compiled per node type and
/// workflow, they were the largest part of the code that executing a workflow adds to
/// its crate (issue 17: compile time); they cost a supervised node a few allocations
/// (its ports, each attempt's call and its output boxed), beside its timers and tasks.
pub(crate) fn supervised<N: Node, V: Send + 'static>(
    ports: N,
    index: usize,
    shared: Arc<RunShared>,
    wrap: fn(N::Output) -> V,
) -> Pin<Box<dyn Future<Output = Finished<V>> + Send + 'static>> {
    Box::pin(Supervised {
        attempts: supervised_erased(Box::new(ports), index, shared),
        index,
        output: unbox::<N::Output>,
        wrap,
    })
}

/// Polls a node's call (`F` is the future `Node::call` returns), out of line: every
/// path but a fused segment's (a node in its type's cell, boxed, spawned, supervised)
/// polls it through this one function, so a node type's call, its fn's body inlined
/// into it, is compiled once per workflow crate.
///
/// A future of a node fn is a coroutine, which rustc copies into every codegen unit
/// that polls it; polled directly by each path, a node with a large body (a sink of
/// 1,000 inputs: 22 KB of machine code) was optimised and compiled five times over
/// (issue 17's compile time). Out of line it costs a call a poll.
#[inline(never)]
pub(crate) fn poll_call<F: Future>(call: Pin<&mut F>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
    call.poll(cx)
}

pin_project_lite::pin_project! {
    /// A node's call polled through [`poll_call`] (for the supervised path, which boxes
    /// it).
    pub(crate) struct OutOfLine<F> {
        #[pin]
        call: F,
    }
}

impl<F> OutOfLine<F> {
    pub(crate) fn new(call: F) -> Self {
        Self { call }
    }
}

impl<F: Future> Future for OutOfLine<F> {
    type Output = F::Output;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        poll_call(self.project().call, cx)
    }
}

/// A node's ports with the node's type erased: what the supervised path
/// ([`supervised_erased`]) calls, compiled once for all node types.
pub(crate) trait ErasedNode: Send + 'static {
    /// A copy of the ports for another attempt, when every port is `Clone`.
    fn try_clone_erased(&self) -> Option<Box<dyn ErasedNode>>;
    /// Whether the node only runs child runs ([`Node::CONTAINER`]).
    fn container(&self) -> bool;
    /// Calls the node (attempt `attempt` of node `index`), its output boxed.
    fn call_erased(
        self: Box<Self>,
        shared: &Arc<RunShared>,
        index: usize,
        attempt: u32,
    ) -> ErasedCall;
}

/// A node's call with its output boxed (see [`ErasedNode`]).
pub(crate) type ErasedCall = Pin<Box<dyn Future<Output = NodeResult<ErasedOutput>> + Send>>;

/// A node's output, boxed (see [`ErasedNode`]).
pub(crate) type ErasedOutput = Box<dyn std::any::Any + Send>;

impl<N: Node> ErasedNode for N {
    fn try_clone_erased(&self) -> Option<Box<dyn ErasedNode>> {
        N::try_clone(self).map(|copy| Box::new(copy) as Box<dyn ErasedNode>)
    }

    fn container(&self) -> bool {
        N::CONTAINER
    }

    fn call_erased(
        self: Box<Self>,
        shared: &Arc<RunShared>,
        index: usize,
        attempt: u32,
    ) -> ErasedCall {
        let ctx = Context::for_node::<N>(shared, index, attempt);
        let call = OutOfLine::new(N::call(*self, ctx));
        Box::pin(call.map(|r| r.map(|v| Box::new(v) as ErasedOutput)))
    }
}

/// A boxed output back as the node's own (its type is the one it was boxed with).
fn unbox<O: 'static>(output: ErasedOutput) -> O {
    match output.downcast::<O>() {
        Ok(output) => *output,
        Err(_) => unreachable!("a node's boxed output has the node's output type"),
    }
}

/// The supervised attempts' future (see [`supervised_erased`]).
type Attempts = Pin<Box<dyn Future<Output = (u32, Result<ErasedOutput, NodeFailure>)> + Send>>;

/// A supervised node's future: its attempts (type-erased) and the way its output goes
/// back into the workflow's value.
struct Supervised<O, V> {
    attempts: Attempts,
    index: usize,
    output: fn(ErasedOutput) -> O,
    wrap: fn(O) -> V,
}

impl<O, V> Future for Supervised<O, V> {
    type Output = Finished<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Finished<V>> {
        let this = self.get_mut();
        let (attempts, result) = std::task::ready!(this.attempts.as_mut().poll(cx));
        let (output, wrap) = (this.output, this.wrap);
        Poll::Ready(Finished {
            index: this.index,
            attempts,
            result: result.map(|o| wrap(output(o))),
        })
    }
}

/// [`supervised`]'s attempts, compiled once: the attempts made and the last one's
/// outcome.
fn supervised_erased(ports: Box<dyn ErasedNode>, index: usize, shared: Arc<RunShared>) -> Attempts {
    Box::pin(async move {
        let policy = *shared.nodes[index].policy;
        let total = policy.retry.and_then(|r| r.total_timeout);
        let attempts = attempt_loop(ports, index, &shared, policy);
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
                        node = &*shared.node_name(index),
                        attempts = made,
                        ?limit,
                        "node timed out (all attempts)"
                    );
                    (made, Err(NodeFailure::TotalTimeout(limit)))
                }
            },
        }
    })
}

/// Attempts until one succeeds or the retry policy gives up: the attempts made, and the
/// last attempt's outcome.
async fn attempt_loop(
    ports: Box<dyn ErasedNode>,
    index: usize,
    shared: &Arc<RunShared>,
    policy: NodePolicy,
) -> (u32, Result<ErasedOutput, NodeFailure>) {
    // Runtime-wide limit on nodes in flight across runs.
    // Shared with the task of a spawned attempt, which may outlive this future briefly
    // when the run stops (tokio drops an aborted task later).
    let permit = match &shared.runtime.node_limit {
        // A sub-workflow or fan-out node takes none: its child runs' nodes take theirs.
        Some(_) if ports.container() => {
            shared.set_live(index, NodeStatus::Running);
            None
        }
        Some(sem) => {
            let permit = sem.clone().acquire_owned().await.ok().map(Arc::new);
            // Behind the node limit, a node is running once it holds its permit (see
            // `Statuses::started`).
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
            return (
                attempt - 1,
                Err(NodeFailure::Panic("node ports were consumed".into())),
            );
        };
        // No longer between attempts (see `note_retry_wait` below).
        shared.end_retry_wait(index);
        shared.record(Some(index), TraceKind::Started { attempt });
        let failure = match attempt_once(this, index, attempt, shared, policy, &permit).await {
            Ok(v) => return (attempt, Ok(v)),
            Err(f) => f,
        };
        if let NodeFailure::Timeout(limit) = failure {
            tracing::warn!(
                target: "workflow",
                node = &*shared.node_name(index),
                attempt,
                ?limit,
                "node attempt timed out"
            );
        }
        // The user's `retry_if` runs here, in the run's task: its panic is this node's,
        // not the run's poll's.
        let mut predicate_panicked = None;
        let retry = policy.retry.filter(|r| {
            attempt < max
                && ports.is_some()
                && match &failure {
                    NodeFailure::Error(e) => {
                        std::panic::catch_unwind(AssertUnwindSafe(|| r.should_retry(e)))
                            .unwrap_or_else(|payload| {
                                predicate_panicked = Some(panic_message(payload.as_ref()));
                                false
                            })
                    }
                    NodeFailure::Timeout(_) => r.retry_timeouts,
                    NodeFailure::TotalTimeout(_)
                    | NodeFailure::Panic(_)
                    | NodeFailure::MissingResource(..)
                    | NodeFailure::NeedsTokio(_) => false,
                }
        });
        if let Some(message) = predicate_panicked {
            let message = format!(
                "in its `retry_if` predicate, deciding on attempt {attempt}'s error ({}): {message}",
                failure.describe()
            );
            return (attempt, Err(NodeFailure::Panic(message)));
        }
        let Some(retry) = retry else {
            return (attempt, Err(failure));
        };
        let delay = retry.delay(attempt, jitter_seed(shared, index));
        // Outside tokio (another executor's `block_on`) the backoff's timer would panic
        // with tokio's message: the node ends with a typed error instead, its failed
        // attempt logged.
        if !delay.is_zero() && tokio::runtime::Handle::try_current().is_err() {
            return (
                attempt,
                Err(backoff_needs_tokio(shared, index, attempt, &failure)),
            );
        }
        let error = failure.describe();
        tracing::warn!(
            target: "workflow",
            node = &*shared.node_name(index),
            attempt,
            ?delay,
            error = %error,
            "node attempt failed; retrying"
        );
        // A timeout that stops the node during its backoff says it waited to retry,
        // after which attempt and why (`WorkflowError::Timeout::retrying`), as the trace
        // does here.
        shared.note_retry_wait(index, attempt, delay, error.clone());
        shared.record(
            Some(index),
            TraceKind::Retrying {
                attempt,
                delay,
                error,
            },
        );
        if !delay.is_zero() {
            // Dropped with this future if the node is stopped during the wait.
            let waiting = StopsRetryWait {
                shared,
                index,
                ended: false,
            };
            tokio::time::sleep(delay).await;
            waiting.end();
        } else {
            // A retry without a delay yields first: a node failing without awaiting
            // would otherwise retry back to back within one poll (up to `u32::MAX`
            // times), and neither its total timeout, its run's stop nor the thread's
            // other tasks would get a turn. (Works outside tokio too: it wakes at once.)
            tokio::task::yield_now().await;
        }
    }
}

/// A retry backoff outside tokio: the failed attempt `attempt`'s `failure` is logged,
/// and the node fails with [`TokioNeed::RetryBackoff`]. Cold: only a failure outside tokio.
#[cold]
fn backoff_needs_tokio(
    shared: &RunShared,
    index: usize,
    attempt: u32,
    failure: &NodeFailure,
) -> NodeFailure {
    tracing::warn!(
        target: "workflow",
        node = &*shared.node_name(index),
        attempt,
        error = %failure.describe(),
        "node attempt failed; its retry's backoff needs a tokio runtime"
    );
    NodeFailure::NeedsTokio(TokioNeed::RetryBackoff)
}

/// Marks node `index`'s retry wait stopped ([`RunShared::stop_retry_wait`]) unless the
/// wait ran its course ([`end`](Self::end)): the node was stopped during its backoff.
struct StopsRetryWait<'a> {
    shared: &'a RunShared,
    index: usize,
    ended: bool,
}

impl StopsRetryWait<'_> {
    /// The wait ran its course: the next attempt ends it (`RunShared::end_retry_wait`).
    fn end(mut self) {
        self.ended = true;
    }
}

impl Drop for StopsRetryWait<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.shared.stop_retry_wait(self.index);
        }
    }
}

/// The ports for the next attempt: a clone while more attempts may follow, the
/// originals for the last one.
fn next_ports(
    ports: &mut Option<Box<dyn ErasedNode>>,
    more_may_follow: bool,
) -> Option<Box<dyn ErasedNode>> {
    if more_may_follow {
        if let Some(copy) = ports.as_ref().and_then(|p| p.try_clone_erased()) {
            return Some(copy);
        }
    }
    ports.take()
}

/// One attempt, with its time limit, in the run's task or its own.
async fn attempt_once(
    ports: Box<dyn ErasedNode>,
    index: usize,
    attempt: u32,
    shared: &Arc<RunShared>,
    policy: NodePolicy,
    permit: &Option<Arc<OwnedSemaphorePermit>>,
) -> Result<ErasedOutput, NodeFailure> {
    let call = ports.call_erased(shared, index, attempt);
    let span = node_span(shared, index, attempt);
    let call = call.map(|r| r.map_err(NodeFailure::from));
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
                .in_span(span)
                .await
        }
        Execution::Spawn => {
            let call = AssertUnwindSafe(call)
                .catch_unwind()
                .map(caught)
                .in_span(span);
            spawned(call, policy.timeout, &shared.runtime, permit.clone()).await
        }
    }
}

/// A span entered with [`enter`]: left as `tracing`'s `Entered` guard leaves it, except
/// while a panic unwinds through it. A subscriber that panics in `on_exit` then raised a
/// second panic in a drop during the unwinding, which aborts the process ("panic in a
/// destructor during cleanup"); that panic is caught here and dropped (the panic hook
/// has printed it), and the first one goes on. Outside an unwinding, a panic in
/// `on_exit` unwinds from here, as one in `on_enter` does from [`enter`].
pub(crate) struct Entered<'a>(Option<tracing::span::Entered<'a>>);

/// Enters `span` until the returned guard is dropped (see [`Entered`]).
pub(crate) fn enter(span: &tracing::Span) -> Entered<'_> {
    Entered(Some(span.enter()))
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let entered = self.0.take();
            let _second = std::panic::catch_unwind(AssertUnwindSafe(move || drop(entered)));
        }
    }
}

pin_project_lite::pin_project! {
    /// A future polled in a `tracing` span, and dropped in it, as `tracing`'s
    /// `Instrumented` is, except while a panic unwinds: then it is dropped outside the
    /// span. A subscriber that panics as the span is entered (`on_enter`) panicked in
    /// the poll, and `Instrumented`'s drop, entering the span again as the unwinding
    /// dropped it, panicked a second time, which aborted the process.
    pub(crate) struct InSpan<F> {
        #[pin]
        inner: Option<F>,
        span: tracing::Span,
    }

    impl<F> PinnedDrop for InSpan<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let _entered = (!std::thread::panicking()).then(|| enter(this.span));
            this.inner.set(None);
        }
    }
}

impl<F> InSpan<F> {
    /// The span it runs in.
    pub(crate) fn span(&self) -> &tracing::Span {
        &self.span
    }
}

impl<F: Future> Future for InSpan<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = enter(this.span);
        match this.inner.as_pin_mut() {
            Some(inner) => inner.poll(cx),
            // Only its drop takes the future.
            None => Poll::Pending,
        }
    }
}

/// [`InSpan`] as a method, as `tracing::Instrument::instrument` is.
pub(crate) trait InSpanExt: Future + Sized {
    /// This future, polled and dropped in `span` (see [`InSpan`]).
    fn in_span(self, span: tracing::Span) -> InSpan<Self> {
        InSpan {
            inner: Some(self),
            span,
        }
    }
}

impl<F: Future> InSpanExt for F {}

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
    runtime: &Arc<RuntimeShared>,
    permit: Option<Arc<OwnedSemaphorePermit>>,
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
    joined.unwrap_or_else(|e| Err(task_failure(e)))
}

/// A node's task that ended without its outcome: it panicked (outside the node's call,
/// which has its own `catch_unwind`), or tokio cancelled it (its runtime shut down). The
/// node's panic either way, with tokio's word for the second.
#[cold]
pub(crate) fn task_failure(error: tokio::task::JoinError) -> NodeFailure {
    if error.is_panic() {
        NodeFailure::Panic(panic_message(error.into_panic().as_ref()))
    } else {
        cancelled_task()
    }
}

/// A spawned node's task that tokio cancelled (its runtime shut down): the node's
/// panic, in tokio's word.
#[cold]
pub(crate) fn cancelled_task() -> NodeFailure {
    NodeFailure::Panic("spawned node task was cancelled".into())
}
