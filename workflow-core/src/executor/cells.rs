//! Cells: the pinned places in a run where node futures live while they run.
//!
//! The generated cell table (`workflow!`'s `Workflow::run`) holds one cell per node
//! *type* (per distinct `#[node]` fn of the workflow), an `Option` of that type's inline
//! future, pinned in the run's own future, and one [`BoxedNodes`] table for the rest:
//! a node costs no allocation of its own as long as no other node of its type is pending
//! when it starts (a chain, a fan-out of nodes that complete at once). The driver reaches
//! a cell only through the table, with an [`Op`]: the table's start arm for node `i`'s
//! type calls the node's ports fn (from its record in the type's static table) and
//! [`start_node`]; polling and dropping go to the node's boxed future or its type's cell
//! ([`cell_op`]), found from data (the node's type index), not from code per node. Every function here is generic over the node
//! type or its future alone, so one copy serves all nodes of one type.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::future::FutureExt as _;

use super::attempt::{self, poll_call, Finished, Mode};
use super::fused::FusedOp;
use super::wake::{Completions, Spawner};
use crate::context::Context;
use crate::node::{Node, NodeResult};
use crate::shared::{RunShared, RunSlot};

/// A boxed future of a whole node (all its attempts).
pub(crate) type BoxedNode<V> = Pin<Box<dyn Future<Output = Finished<V>> + Send + 'static>>;

/// Starts nodes for generated code (see [`start_node`]).
#[doc(hidden)]
pub struct NodeStarter<'a> {
    pub(super) shared: &'a RunSlot,
    /// How the node being started runs.
    pub(super) mode: Mode,
    /// For a [`Mode::Spawned`] node, the run's outcome queue and the slot its task's
    /// handle is left in (a [`Spawner`]; typed by the workflow, which this is not).
    pub(super) done: Option<&'a dyn std::any::Any>,
}

impl std::fmt::Debug for NodeStarter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeStarter")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// An inline node's future: its call, its output put into the workflow's value enum.
/// Passed (as a function item) to [`start_node`], which infers the type of the cell
/// from it.
#[doc(hidden)]
pub fn inline_call<N: Node, V: Send + 'static>(
    ports: N,
    ctx: Context,
    wrap: fn(N::Output) -> V,
) -> InlineCall<impl Future<Output = NodeResult<N::Output>> + Send + 'static, N::Output, V> {
    InlineCall {
        call: N::call(ports, ctx),
        wrap,
    }
}

pin_project_lite::pin_project! {
    /// An inline node's call and the fn that puts its output into the workflow's value
    /// enum (see [`inline_call`]). Not `futures`' `MapOk`: that one moves its state out
    /// when the call completes and is polled out of line, ~20 instructions a node
    /// (issue 17); this poll is inlined into the cell's.
    #[doc(hidden)]
    pub struct InlineCall<F, O, V> {
        #[pin]
        call: F,
        wrap: fn(O) -> V,
    }
}

impl<F, O, V> std::fmt::Debug for InlineCall<F, O, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineCall").finish_non_exhaustive()
    }
}

impl<F, O, V> Future for InlineCall<F, O, V>
where
    F: Future<Output = NodeResult<O>>,
{
    type Output = NodeResult<V>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<NodeResult<V>> {
        let this = self.project();
        match poll_call(this.call, cx) {
            Poll::Ready(Ok(output)) => Poll::Ready(Ok((this.wrap)(output))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A node that does not run inline and does not report to a queue
/// ([`Mode::Supervised`], or [`Mode::Spawned`] without the run's queue: its one attempt
/// awaited by its future), boxed: their tasks, timers and bookkeeping dwarf one
/// allocation.
fn boxed_node<N: Node, V: Send + 'static>(
    ports: N,
    index: usize,
    shared: Arc<RunShared>,
    wrap: fn(N::Output) -> V,
) -> BoxedNode<V> {
    attempt::supervised::<N, V>(ports, index, shared, wrap)
}

/// Starts a [`Mode::Spawned`] node whose task reports to the run's queue: nothing is
/// boxed, the task's handle is left in the run's `spawner`.
fn spawn_reporting<N: Node, V: Send + 'static>(
    spawner: &Spawner<(Finished<V>, Option<Duration>)>,
    ports: N,
    index: usize,
    wrap: fn(N::Output) -> V,
) {
    let queue = Arc::clone(&spawner.queue);
    let task = spawn_once::<N, V>(ports, index, queue, wrap);
    spawner.started.set(Some(task));
}

/// The queue a [`Mode::Spawned`] node's task reports to: its outcome as the workflow's
/// value `V`, with the time it ended (since the run started) unless the run's next
/// clock reading serves (see [`Completions::complete`]).
pub(crate) type OutcomeQueue<V> = Completions<(Finished<V>, Option<Duration>)>;

/// A [`Mode::Spawned`] node: its one attempt in a tokio task of its own, which pushes
/// the node's outcome, with its end time, into the run's `queue` as it ends (or leaves
/// its value as the task's output, see [`Completions::keeps_in_tasks`]). The run never
/// polls the node: it keeps the returned handle in its node table, which aborts the
/// task if the run stops first.
pub(crate) fn spawn_once<N: Node, V: Send + 'static>(
    ports: N,
    index: usize,
    queue: Arc<OutcomeQueue<V>>,
    wrap: fn(N::Output) -> V,
) -> tokio::task::JoinHandle<Option<(V, Duration)>> {
    // (Its queue counts the run's tasks as live on the runtime: see `track_tasks`.)
    // Boxed, and only when a subscriber wants it: the task's future stays small (tokio
    // moves it several times as it spawns it, with a `memcpy` call past ~128 bytes).
    let span = TaskSpan(ManuallyDrop::new(if attempt::node_spans_possible() {
        spawned_span(queue.shared(), index)
    } else {
        None
    }));
    tokio::spawn(SpawnedNode {
        stage: Stage::Start { ports: Some(ports) },
        call: N::call,
        queue,
        index,
        wrap,
        span,
    })
}

/// A spawned node's `tracing` span, boxed, unless disabled: out of line, made only
/// with a subscriber that may want it, off the code of every spawned node's start
/// (issue 17).
#[cold]
#[inline(never)]
fn spawned_span(shared: &RunShared, index: usize) -> Option<Box<tracing::Span>> {
    let span = attempt::node_span(shared, index, 1);
    (!span.is_disabled()).then(|| Box::new(span))
}

/// A spawned node's `tracing` span in its task (see [`spawn_once`]), if any. Its drop
/// tests for none inline, the span's drop out of line: the drop glue of an
/// `Option<Box<Span>>` was a call on every spawned node's path, which nearly always
/// found none (~9 instructions a node, issue 17).
struct TaskSpan(ManuallyDrop<Option<Box<tracing::Span>>>);

impl Drop for TaskSpan {
    #[inline]
    fn drop(&mut self) {
        if self.0.is_some() {
            drop_span(&mut self.0);
        }
    }
}

/// [`TaskSpan`]'s drop of a span: out of line, made only with a subscriber.
#[cold]
#[inline(never)]
fn drop_span(span: &mut Option<Box<tracing::Span>>) {
    drop(span.take());
}

pin_project_lite::pin_project! {
    /// A [`Mode::Spawned`] node's task (see [`spawn_once`]): the node's call, made on
    /// the task's first poll, in one future rather than a stack of combinators and an
    /// async block (which keeps what it captured beside the future it awaits: the
    /// ports twice).
    ///
    /// The whole call, its drop included, runs inside `catch_unwind`: a panic is the
    /// node's failure, so every task that runs to its end delivers an outcome. A task
    /// dropped before it ended delivers the node's failure from its drop: tokio
    /// cancelled it (its runtime shut down), and a run waiting on the outcome queue
    /// would otherwise wait for it for ever. (A task the run aborted delivers it too,
    /// for a node the run no longer counts as pending: ignored.)
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    struct SpawnedNode<N, C, F, W, V> {
        #[pin]
        stage: Stage<N, F>,
        // `N::call` (a function item, no bytes), which makes `F` from the ports.
        call: C,
        queue: Arc<OutcomeQueue<V>>,
        index: usize,
        // `wrap`: the output into the workflow's value.
        wrap: W,
        span: TaskSpan,
    }

    impl<N, C, F, W, V> PinnedDrop for SpawnedNode<N, C, F, W, V> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // Inline, the test alone: a task that ended left its stage `Done`.
            let started = match this.stage.as_ref().get_ref() {
                Stage::Done => return,
                Stage::Running { .. } => true,
                Stage::Start { .. } => false,
            };
            dropped_unended(this.queue, *this.index, started);
        }
    }
}

/// A spawned node's task dropped before it ended (see [`SpawnedNode`]): the node fails
/// as when its `JoinHandle` says tokio cancelled it ([`attempt::task_failure`]), its
/// attempt counted if its call was made.
#[cold]
#[inline(never)]
fn dropped_unended<V>(queue: &OutcomeQueue<V>, index: usize, started: bool) {
    let finished = Finished {
        index,
        attempts: u32::from(started),
        result: Err(attempt::cancelled_task()),
    };
    queue.complete(true, |at| (finished, at));
}

pin_project_lite::pin_project! {
    /// Where a spawned node's call is.
    #[project = StageProj]
    enum Stage<N, F> {
        /// Not polled yet: the ports (taken as the call is made).
        Start { ports: Option<N> },
        /// The call, running.
        Running { #[pin] call: F },
        /// The call ended, and was dropped.
        Done,
    }
}

impl<N, C, F, W, V> Future for SpawnedNode<N, C, F, W, V>
where
    N: Node,
    C: FnOnce(N, Context) -> F + Copy,
    W: FnOnce(N::Output) -> V + Copy,
    F: Future<Output = crate::node::NodeResult<N::Output>>,
    V: Send + 'static,
{
    /// The node's value and end time, if the run takes them from here (see
    /// [`Completions::keeps_in_tasks`]).
    type Output = Option<(V, Duration)>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let index = *this.index;
        let mut stage = this.stage;
        let (call, queue, span) = (*this.call, &*this.queue, &*this.span);
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
            // Entered (and left) inside `catch_unwind`: a subscriber that panics there
            // fails the node with its message, rather than the task.
            let _entered = span.0.as_deref().map(attempt::enter);
            if let StageProj::Start { ports } = stage.as_mut().project() {
                let Some(ports) = ports.take() else {
                    return Poll::Pending;
                };
                // Its fn runs only if tokio polls the task (see `attempt::attempt_once`).
                queue.note_attempt(index);
                let ctx = Context::for_node::<N>(queue.shared(), index, 1);
                stage.set(Stage::Running {
                    call: call(ports, ctx),
                });
            }
            let StageProj::Running { call } = stage.as_mut().project() else {
                return Poll::Pending;
            };
            let result = std::task::ready!(poll_call(call, cx));
            // Dropped here, inside `catch_unwind`: a panicking `Drop` fails the node.
            stage.set(Stage::Done);
            Poll::Ready(result)
        }));
        let (result, attempts) = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(result)) => (attempt::settle(Ok(result)), 1),
            Err(payload) => {
                // A panic before the call was made (entering the span): no attempt.
                let made = !matches!(stage.as_ref().get_ref(), Stage::Start { ports: Some(_) });
                // What the panic left of the call is dropped, its panics contained.
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| stage.set(Stage::Done)));
                (attempt::settle(Err(payload)), u32::from(made))
            }
        };
        let result = match result {
            // Left in the task while the run waits for all its nodes.
            Ok(output) if queue.keeps_in_tasks() => {
                return Poll::Ready(Some(((this.wrap)(output), queue.since_start())));
            }
            result => result,
        };
        // A failure stops the run (or its downstream) at once.
        let urgent = result.is_err();
        let finished = Finished {
            index,
            attempts,
            result: result.map(*this.wrap),
        };
        queue.complete(urgent, |at| (finished, at));
        Poll::Ready(None)
    }
}

/// The futures of a run's boxed nodes, by node index: nodes that do not run inline, and
/// inline nodes started while their type's cell held another pending node. Allocated on
/// first use, so a run whose nodes all fit in their cells allocates nothing here.
#[doc(hidden)]
pub struct BoxedNodes<V> {
    /// Dropped by hand ([`Drop`] below), and only if allocated: a `Vec`'s own drop glue
    /// calls its elements' out of line even when it has none, in every run (issue 17).
    futures: ManuallyDrop<Vec<Option<BoxedNode<V>>>>,
    /// The run's node count (the table's length once allocated).
    nodes: usize,
}

impl<V> Drop for BoxedNodes<V> {
    #[inline]
    fn drop(&mut self) {
        // Never allocated (most runs): nothing in it, nothing to free.
        if self.futures.capacity() != 0 {
            drop(std::mem::take(&mut *self.futures));
        }
    }
}

impl<V> std::fmt::Debug for BoxedNodes<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoxedNodes")
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

impl<V> BoxedNodes<V> {
    /// An empty table for a run of `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        Self {
            futures: ManuallyDrop::new(Vec::new()),
            nodes,
        }
    }

    /// Whether node `index`'s future is here (else it is in its type's cell).
    #[inline]
    pub fn holds(&self, index: usize) -> bool {
        matches!(self.futures.get(index), Some(Some(_)))
    }

    /// Keeps node `index`'s new future and polls it once.
    #[inline(never)]
    fn start(
        &mut self,
        index: usize,
        future: BoxedNode<V>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Finished<V>> {
        if self.futures.is_empty() {
            self.futures.resize_with(self.nodes.max(index + 1), || None);
        }
        self.futures[index] = Some(future);
        self.poll(index, cx)
    }

    /// Polls node `index`'s future; forgets it once it is done.
    fn poll(&mut self, index: usize, cx: &mut TaskContext<'_>) -> Poll<Finished<V>> {
        let Some(Some(future)) = self.futures.get_mut(index) else {
            return Poll::Pending;
        };
        let done = std::task::ready!(future.as_mut().poll(cx));
        self.futures[index] = None;
        Poll::Ready(done)
    }

    /// Does a poll or drop `op` on node `index`'s boxed future (a start is
    /// [`start_node`]'s).
    #[inline(never)]
    pub fn step(&mut self, index: usize, op: Op<'_, '_>) -> Poll<Finished<V>> {
        match op {
            Op::Poll(cx) => self.poll(index, cx),
            Op::Drop => {
                if let Some(slot) = self.futures.get_mut(index) {
                    *slot = None;
                }
                Poll::Pending
            }
            Op::Start(..) | Op::Fused(_) => Poll::Pending,
        }
    }
}

/// What the driver asks of one node's cell in the generated cell table.
#[doc(hidden)]
pub enum Op<'a, 'b> {
    /// Create the node's future (its inputs are ready) and poll it once.
    Start(&'a NodeStarter<'a>, &'a mut TaskContext<'b>),
    /// Poll the node's future again.
    Poll(&'a mut TaskContext<'b>),
    /// Drop the node's future (the run stopped).
    Drop,
    /// Start, poll or drop the fused segment that this node heads (see `fused.rs`).
    Fused(FusedOp<'a, 'b>),
}

impl std::fmt::Debug for Op<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Start(..) => "Start",
            Op::Poll(_) => "Poll",
            Op::Drop => "Drop",
            Op::Fused(_) => "Fused",
        })
    }
}

/// Starts node `index` (for `op`, an [`Op::Start`]) with its `ports`: an inline node
/// in its type's `cell` when that is free (`inline` is [`inline_call`], which gives the
/// cell its type), any other node boxed in `boxed`; then polls it once. `wrap` puts its
/// output into the workflow's value enum.
///
/// Generic over the node type only: the generated start arm of a node type builds the
/// node's ports (through its record) and calls this, one copy per type. Its common path
/// (an inline node into its free cell, polled once) is inlined into that arm, which
/// saves a call that took ~30 instructions a node with the outcome returned through
/// memory (issue 17); every other start is `start_boxed`'s, out of line.
#[doc(hidden)]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn start_node<N, V, F>(
    mut cell: Pin<&mut Option<F>>,
    boxed: &mut BoxedNodes<V>,
    index: usize,
    op: Op<'_, '_>,
    ports: N,
    wrap: fn(N::Output) -> V,
    inline: impl FnOnce(N, Context, fn(N::Output) -> V) -> F,
) -> Poll<Finished<V>>
where
    N: Node,
    V: Send + 'static,
    F: Future<Output = NodeResult<V>> + Send + 'static,
{
    let Op::Start(starter, cx) = op else {
        return Poll::Pending;
    };
    if starter.mode != Mode::Inline || cell.is_some() {
        return start_boxed(boxed, index, starter, cx, ports, wrap, inline);
    }
    cell.set(Some(inline(
        ports,
        Context::for_node_in::<N>(starter.shared, index, 1),
        wrap,
    )));
    poll_cell(cell, index, cx)
}

/// [`start_node`] of a node type some of whose nodes read a value another node (or the
/// workflow's output) reads too: building such a node's `ports` clones that value, and
/// a user's `Clone` runs there, in the run's task, before the node's own
/// `catch_unwind`. A panic while building them is this node's panic (its text says
/// where), not one out of the run's poll. Types that share nothing build their ports
/// in the start arm, as before, and pay nothing for this.
#[doc(hidden)]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn start_node_sharing<N, V, F>(
    cell: Pin<&mut Option<F>>,
    boxed: &mut BoxedNodes<V>,
    index: usize,
    op: Op<'_, '_>,
    ports: impl FnOnce() -> N,
    wrap: fn(N::Output) -> V,
    inline: impl FnOnce(N, Context, fn(N::Output) -> V) -> F,
) -> Poll<Finished<V>>
where
    N: Node,
    V: Send + 'static,
    F: Future<Output = NodeResult<V>> + Send + 'static,
{
    let Op::Start(..) = op else {
        return Poll::Pending;
    };
    match std::panic::catch_unwind(AssertUnwindSafe(ports)) {
        Ok(ports) => start_node(cell, boxed, index, op, ports, wrap, inline),
        Err(payload) => Poll::Ready(Finished {
            index,
            attempts: 1,
            result: Err(attempt::sharing_panicked(payload)),
        }),
    }
}

/// [`start_node`] of a node that does not go into its type's cell: one that does not
/// run inline (spawned, or with policies), or an inline node whose type's cell holds
/// another pending node.
#[inline(never)]
fn start_boxed<N: Node, V: Send + 'static, F: Future<Output = NodeResult<V>> + Send + 'static>(
    boxed: &mut BoxedNodes<V>,
    index: usize,
    starter: &NodeStarter<'_>,
    cx: &mut TaskContext<'_>,
    ports: N,
    wrap: fn(N::Output) -> V,
    inline: impl FnOnce(N, Context, fn(N::Output) -> V) -> F,
) -> Poll<Finished<V>> {
    if starter.mode != Mode::Inline {
        let spawner = starter
            .done
            .filter(|_| starter.mode == Mode::Spawned)
            .and_then(|d| d.downcast_ref::<Spawner<(Finished<V>, Option<Duration>)>>());
        if let Some(spawner) = spawner {
            // Never polled: its outcome reaches the run through the queue.
            spawn_reporting(spawner, ports, index, wrap);
            return Poll::Pending;
        }
        let shared = Arc::clone(starter.shared.arc());
        return boxed.start(index, boxed_node(ports, index, shared, wrap), cx);
    }
    // Another node of this type is pending in the cell.
    let call = inline(
        ports,
        Context::for_node_in::<N>(starter.shared, index, 1),
        wrap,
    );
    boxed.start(index, Box::pin(inline_boxed(call, index)), cx)
}

/// An inline node's call, boxed (its type's cell was taken): polled like in a cell.
async fn inline_boxed<F, V>(call: F, index: usize) -> Finished<V>
where
    F: Future<Output = NodeResult<V>>,
{
    let result = AssertUnwindSafe(call).catch_unwind().await;
    Finished {
        index,
        attempts: 1,
        result: attempt::settle(result),
    }
}

/// Does a poll or drop `op` on node `index`, which is in its type's `cell` (a start is
/// [`start_node`]'s).
#[doc(hidden)]
#[inline(never)]
pub fn cell_op<F, V>(cell: Pin<&mut Option<F>>, index: usize, op: Op<'_, '_>) -> Poll<Finished<V>>
where
    F: Future<Output = NodeResult<V>>,
{
    match op {
        Op::Poll(cx) => poll_cell(cell, index, cx),
        Op::Drop => {
            drop_cell(cell);
            Poll::Pending
        }
        Op::Start(..) | Op::Fused(_) => Poll::Pending,
    }
}

/// Does `op` on a decision's router (see [`Decision`](crate::plan::Decision)): on
/// start, `choose` evaluates the `match` at once (it reads the matched value from the
/// state, puts the taken arm's pattern bindings into their slots and returns the
/// router's value, the arm); a router is never pending. A panic in a guard, or `Err`
/// (a recorded arm that no longer matches), fails the router like a node.
#[doc(hidden)]
#[inline(never)]
pub fn route<V>(
    index: usize,
    op: Op<'_, '_>,
    choose: impl FnOnce() -> Result<V, String>,
) -> Poll<Finished<V>> {
    let Op::Start(..) = op else {
        return Poll::Pending;
    };
    let result = match std::panic::catch_unwind(AssertUnwindSafe(choose)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(message)) => Err(attempt::NodeFailure::Error(message.into())),
        Err(payload) => Err(attempt::NodeFailure::Panic(attempt::panic_message(
            payload.as_ref(),
        ))),
    };
    Poll::Ready(Finished {
        index,
        attempts: 1,
        result,
    })
}

/// Drops a node's future.
fn drop_cell<F>(mut cell: Pin<&mut Option<F>>) {
    cell.set(None);
}

/// Polls a node's future in its type's cell; empties the cell once it is done.
///
/// Inlined into [`start_node`] and [`cell_op`] (each one copy per node type): a frame
/// of its own, with the outcome returned through memory, cost ~20 instructions a node.
#[inline(always)]
fn poll_cell<F, V>(
    mut cell: Pin<&mut Option<F>>,
    index: usize,
    cx: &mut TaskContext<'_>,
) -> Poll<Finished<V>>
where
    F: Future<Output = NodeResult<V>>,
{
    let Some(call) = cell.as_mut().as_pin_mut() else {
        return Poll::Pending;
    };
    let polled = std::panic::catch_unwind(AssertUnwindSafe(|| call.poll(cx)));
    let result = match polled {
        Ok(Poll::Pending) => return Poll::Pending,
        // The output as it is: `settle` is not inlined, and moved it once more. Returned
        // from here, so that it is written where the caller wants it, not into a local
        // first (~10 instructions a node, issue 17).
        Ok(Poll::Ready(Ok(value))) => {
            cell.set(None);
            return Poll::Ready(Finished {
                index,
                attempts: 1,
                result: Ok(value),
            });
        }
        Ok(Poll::Ready(r)) => attempt::settle(Ok(r)),
        Err(payload) => attempt::settle(Err(payload)),
    };
    cell.set(None);
    Poll::Ready(Finished {
        index,
        attempts: 1,
        result,
    })
}
