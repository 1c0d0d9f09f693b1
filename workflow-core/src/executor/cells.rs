//! Cells: the pinned places in a run where node futures live while they run.
//!
//! The generated cell table (`workflow!`'s `Workflow::run`) holds one cell per node, an
//! `Option` of the node's [`CellFuture`], pinned in the run's own future: a node costs
//! no allocation of its own. The driver reaches a cell only through the table, with an
//! [`Op`]; the table's arm for node `i` calls [`step`], which dispatches to functions
//! generic over the node's future alone, shared by all nodes of one type.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::future::Either;

use super::attempt::{self, Finished, Mode};
use super::wake::Completions;
use crate::context::Context;
use crate::node::{Node, NodeResult};
use crate::shared::RunShared;

/// The future in a node's cell: the node's own call for a [`Mode::Inline`] node, boxed
/// otherwise (their tasks, timers and bookkeeping dwarf one allocation, and boxing keeps
/// every node's cell in the run small).
pub(crate) type CellFuture<Call, V> = Either<Call, BoxedNode<V>>;

/// A boxed future of a whole node (all its attempts).
pub(crate) type BoxedNode<V> = Pin<Box<dyn Future<Output = Finished<V>> + Send + 'static>>;

/// Starts nodes for generated code (see [`step`]).
#[doc(hidden)]
pub struct NodeStarter<'a> {
    pub(super) shared: &'a Arc<RunShared>,
    /// How the node being started runs.
    pub(super) mode: Mode,
    /// The run's outcome queue for a [`Mode::Spawned`] node (an
    /// `Arc<Completions<Finished<V>>>`; typed by the workflow, which this is not).
    pub(super) done: Option<&'a (dyn std::any::Any + Send + Sync)>,
}

impl std::fmt::Debug for NodeStarter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeStarter")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl NodeStarter<'_> {
    /// The future of node `index` with its ports; `wrap` puts its output into the
    /// workflow's value enum.
    ///
    /// Not inlined: one copy per node type serves all nodes of that type, rather than one
    /// per node in the generated cell table.
    #[inline(never)]
    pub fn future<N: Node, V: Send + 'static>(
        &self,
        index: usize,
        ports: N,
        wrap: fn(N::Output) -> V,
    ) -> CellFuture<impl Future<Output = NodeResult<N::Output>> + Send + 'static, V> {
        let shared = Arc::clone(self.shared);
        match self.mode {
            Mode::Inline => Either::Left(N::call(ports, Context::new(shared, index, 1))),
            Mode::Spawned => {
                let queue = self
                    .done
                    .and_then(|d| d.downcast_ref::<Arc<Completions<(Finished<V>, Duration)>>>());
                match queue {
                    // Its task reports to the run's queue; the cell only holds the task.
                    Some(queue) => {
                        queue.track_tasks(&shared.runtime);
                        let queue = Arc::clone(queue);
                        Either::Right(Box::pin(attempt::spawn_once::<N, V>(
                            ports,
                            index,
                            shared,
                            wrap,
                            move |done, at| {
                                // A failure stops the run (or its downstream) at once.
                                let urgent = done.result.is_err();
                                queue.complete((done, at), urgent);
                            },
                        )))
                    }
                    // Without a queue: its one attempt awaited by its future.
                    None => Either::Right(Box::pin(attempt::supervised::<N, V>(
                        ports, index, shared, wrap,
                    ))),
                }
            }
            Mode::Supervised { .. } => Either::Right(Box::pin(attempt::supervised::<N, V>(
                ports, index, shared, wrap,
            ))),
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

/// Does `op` on node `index`'s cell. The future is dropped as soon as it completes. An
/// inline node's call is polled here, with its panics caught; `wrap` puts its output
/// into the workflow's value enum.
///
/// Inlined into each arm of the cell table, where it is only a dispatch: the work is in
/// functions generic over the node's future alone, shared by all nodes of one type.
#[doc(hidden)]
#[inline(always)]
pub fn step<F, T, V>(
    cell: Pin<&mut Option<CellFuture<F, V>>>,
    index: usize,
    op: Op<'_, '_>,
    make: impl FnOnce(&NodeStarter<'_>) -> CellFuture<F, V>,
    wrap: fn(T) -> V,
) -> Poll<Finished<V>>
where
    F: Future<Output = NodeResult<T>>,
{
    match op {
        Op::Start(starter, cx) => start_cell(cell, make(starter), index, cx, wrap),
        Op::Poll(cx) => poll_cell(cell, index, cx, wrap),
        Op::Drop => {
            drop_cell(cell);
            Poll::Pending
        }
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

/// Puts a node's new future in its cell and polls it. Not inlined, like [`poll_cell`].
#[inline(never)]
fn start_cell<F, T, V>(
    mut cell: Pin<&mut Option<CellFuture<F, V>>>,
    future: CellFuture<F, V>,
    index: usize,
    cx: &mut TaskContext<'_>,
    wrap: fn(T) -> V,
) -> Poll<Finished<V>>
where
    F: Future<Output = NodeResult<T>>,
{
    cell.set(Some(future));
    poll_cell(cell, index, cx, wrap)
}

/// Drops a node's future. Not inlined, like [`poll_cell`].
#[inline(never)]
fn drop_cell<F, V>(mut cell: Pin<&mut Option<CellFuture<F, V>>>) {
    cell.set(None);
}

/// Polls a node's future in its cell; empties the cell once it is done.
///
/// Not inlined, and generic over the node's future only (not over `step`'s closure): the
/// generated cell table has one arm per node, and a copy of this in every arm would make
/// one huge function for LLVM and thrash the instruction cache of a large workflow.
#[inline(never)]
fn poll_cell<F, T, V>(
    mut cell: Pin<&mut Option<CellFuture<F, V>>>,
    index: usize,
    cx: &mut TaskContext<'_>,
    wrap: fn(T) -> V,
) -> Poll<Finished<V>>
where
    F: Future<Output = NodeResult<T>>,
{
    let Some(future) = cell.as_mut().as_pin_mut() else {
        return Poll::Pending;
    };
    let done = match future.as_pin_mut() {
        Either::Left(call) => {
            let polled = std::panic::catch_unwind(AssertUnwindSafe(|| call.poll(cx)));
            let result = match polled {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(r)) => attempt::settle(Ok(r)),
                Err(payload) => attempt::settle(Err(payload)),
            };
            Finished {
                index,
                attempts: 1,
                result: result.map(wrap),
            }
        }
        Either::Right(boxed) => match boxed.poll(cx) {
            Poll::Ready(done) => done,
            Poll::Pending => return Poll::Pending,
        },
    };
    cell.set(None);
    Poll::Ready(done)
}
