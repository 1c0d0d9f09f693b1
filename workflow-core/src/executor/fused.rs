//! Fused segments: a linear run of plain in-task nodes that `workflow!` compiled into
//! one future awaiting them in sequence (a [`FusedSegment`](crate::plan::FusedSegment)).
//!
//! The generated code keeps one pinned cell per segment (an `Option` of its future, in
//! the run's own future) and a [`Progress`] shared by the run's segments; the driver
//! reaches a segment through the cell table with [`Op::Fused`](super::Op::Fused), by the
//! segment's first node, and [`fused_op`] starts, polls or drops it. The segment's
//! future calls each node exactly as an inline node's cell does (`Node::call` with its
//! ports, a detached `Context`: fused nodes read none), hands each output straight to
//! the next node's ports (no slot, no report step, no driver round trip), and writes the
//! position of the node it is about to run into the [`Progress`] as it goes: after a
//! poll, the driver reads there which nodes ended in it and which one is in flight, so
//! a failure or panic is the node's own and the report has one entry per node.
//!
//! Whether a segment runs fused is decided by the driver when its first node would start
//! (`executor/driver/fused.rs`); otherwise its nodes run one by one in their type's
//! cells, like any node.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context as TaskContext, Poll};

use super::attempt::{self, Finished};
use crate::context::Context;
use crate::node::NodeResult;

thread_local! {
    /// Segments started fused on this thread (see [`fused_segments_started`]).
    static STARTED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many segments this thread has started fused: lets tests tell a fused run from
/// one whose nodes ran one by one (the outputs and reports are the same by design).
#[doc(hidden)]
pub fn fused_segments_started() -> u64 {
    STARTED.with(std::cell::Cell::get)
}

/// What the driver asks of a fused segment (see [`fused_op`]).
#[doc(hidden)]
pub enum FusedOp<'a, 'b> {
    /// Poll the segment (with `start`, create it first: its first node's inputs are
    /// ready). `at`: the position in the segment of the node in flight before the poll;
    /// after it, of the node in flight, or of the node whose outcome the poll returns.
    Poll {
        cx: &'a mut TaskContext<'b>,
        at: &'a mut u32,
        start: bool,
    },
    /// Drop the segment's future (the run stopped).
    Drop,
}

impl std::fmt::Debug for FusedOp<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FusedOp::Poll { at, start, .. } => f
                .debug_struct("Poll")
                .field("at", at)
                .field("start", start)
                .finish_non_exhaustive(),
            FusedOp::Drop => f.write_str("Drop"),
        }
    }
}

/// Where the segment being polled is: the position of the node it runs. One per run
/// (only one segment is polled at a time): [`fused_op`] sets it before each poll.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Progress(AtomicU32);

impl Progress {
    /// A progress at the start of a segment.
    pub const fn new() -> Self {
        Self(AtomicU32::new(0))
    }

    /// The segment starts the node at position `k`: one store (the run's task alone
    /// reads and writes it, between and during the segment's polls).
    #[inline(always)]
    pub fn at(&self, k: u32) {
        self.0.store(k, Ordering::Relaxed);
    }
}

/// The context of the node at position `k` of a fused segment of `nodes`: detached (a
/// fused node's call reads none, see `Node::CONTEXT`). Without a bounds check: the
/// index is then never read.
#[doc(hidden)]
#[inline(always)]
pub fn fused_context(nodes: &[u32], k: usize) -> Context {
    Context::detached(nodes.get(k).map_or(usize::MAX, |&n| n as usize), 1)
}

pin_project_lite::pin_project! {
    /// The future of a fused segment whose nodes are all calls of one node fn, each fed
    /// by the one before (a chain of `inc`s): polls the first node's future `node`,
    /// then, while each ends at once, makes the next one with `next` (the previous
    /// output, the next one's position) in its place and polls it, writing the
    /// position into the run's [`Progress`] before each node after the first.
    ///
    /// What the generated `async fn` with a `while` loop did, with one difference that
    /// matters on the clock: the position `k` is a local of `poll`, in a register, and
    /// reaches memory only when a node is pending. In the `async fn`, `k` lived in the
    /// future across each node's `await`, so every node stored it and loaded it back
    /// (a store-to-load round trip on the loop's critical path, through the same heap
    /// block the node's future is written to; issue 17, the chain's hot loop).
    #[doc(hidden)]
    pub struct Looped<'p, F, M> {
        #[pin]
        node: F,
        next: M,
        progress: &'p Progress,
        nodes: &'static [u32],
        // The position of the node in `node`.
        k: u32,
    }
}

impl<'p, F, M, O> Looped<'p, F, M>
where
    F: Future<Output = NodeResult<O>>,
    M: FnMut(O, usize) -> F,
{
    /// A segment of `nodes` (their indices, by position) whose first node's future is
    /// `first`; `next` makes the node at a position from the previous node's output.
    #[inline(always)]
    pub fn new(first: F, next: M, progress: &'p Progress, nodes: &'static [u32]) -> Self {
        Self {
            node: first,
            next,
            progress,
            nodes,
            k: 0,
        }
    }
}

impl<F, M, O> Future for Looped<'_, F, M>
where
    F: Future<Output = NodeResult<O>>,
    M: FnMut(O, usize) -> F,
{
    type Output = NodeResult<O>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<NodeResult<O>> {
        let mut this = self.project();
        let mut k = *this.k;
        let len = this.nodes.len();
        loop {
            match this.node.as_mut().poll(cx) {
                Poll::Ready(Ok(value)) => {
                    k += 1;
                    if k as usize >= len {
                        return Poll::Ready(Ok(value));
                    }
                    this.progress.at(k);
                    let next = (this.next)(value, k as usize);
                    this.node.set(next);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    *this.k = k;
                    return Poll::Pending;
                }
            }
        }
    }
}

/// Does `op` on a fused segment in its `cell`: on a start, `start` creates the
/// segment's future (it builds the first node's ports from the run's state); a poll
/// runs it, with panics caught, as far as it goes. `nodes`: the segment's nodes, by
/// position. The outcome is that of the last node (its output, made the workflow's
/// value by `wrap`) or of the node that failed or panicked, whose position `op`'s `at`
/// then holds.
///
/// Not inlined, and generic over the segment's future and its output only: one copy per
/// shape of segment, shared by the segments of that shape (`start` and `wrap` are
/// called through pointers, once per segment).
#[doc(hidden)]
#[inline(never)]
pub fn fused_op<F, O, V>(
    mut cell: Pin<&mut Option<F>>,
    op: FusedOp<'_, '_>,
    progress: &Progress,
    nodes: &'static [u32],
    start: &mut dyn FnMut() -> F,
    wrap: fn(O) -> V,
) -> Poll<Finished<V>>
where
    F: Future<Output = NodeResult<O>>,
{
    let FusedOp::Poll {
        cx,
        at,
        start: starting,
    } = op
    else {
        cell.set(None);
        return Poll::Pending;
    };
    if starting {
        STARTED.with(|n| n.set(n.get() + 1));
        // Its first node's ports may clone a value another node reads too: a `Clone`
        // that panics is that node's panic (see `start_node_sharing`).
        match std::panic::catch_unwind(AssertUnwindSafe(&mut *start)) {
            Ok(segment) => cell.set(Some(segment)),
            Err(payload) => {
                return Poll::Ready(Finished {
                    index: nodes[0] as usize,
                    attempts: 1,
                    result: Err(attempt::sharing_panicked(payload)),
                })
            }
        }
    }
    let Some(segment) = cell.as_mut().as_pin_mut() else {
        return Poll::Pending;
    };
    progress.at(*at);
    let polled = std::panic::catch_unwind(AssertUnwindSafe(|| segment.poll(cx)));
    *at = progress.0.load(Ordering::Relaxed);
    let result = match polled {
        Ok(Poll::Pending) => return Poll::Pending,
        Ok(Poll::Ready(Ok(value))) => Ok(wrap(value)),
        Ok(Poll::Ready(r)) => attempt::settle(Ok(r)).map(wrap),
        Err(payload) => attempt::settle(Err(payload)),
    };
    cell.set(None);
    Poll::Ready(Finished {
        index: nodes[*at as usize] as usize,
        attempts: 1,
        result,
    })
}
