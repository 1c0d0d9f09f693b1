//! The driver's side of fused segments (see `executor/fused.rs`): when a segment runs
//! fused, and how its nodes' reports are written.
//!
//! A segment runs fused when its first node would start in a poll of the run that wants
//! nothing per node beyond the report ([`Driver::quiet`]: no trace, span, live status,
//! stall timer, durable record, parent run) and no node is supervised (no node limit),
//! and the segment is plain ([`FusedSegment::plain`](crate::plan::FusedSegment)).
//! Otherwise its nodes run one by one, like any node. Fused, the segment is one pending
//! unit, keyed by its first node in the pending set; its nodes keep their report entries:
//! each node that ended in a poll of the segment is written as started and ended at that
//! poll's clock reading (the one its successors start at), the node in flight as running
//! since the reading of the poll that started it; the outcome the segment returns (its
//! last node's output, or the node that failed or panicked) is recorded like an inline
//! node's. Nodes after a failed one never start: the run's end marks them skipped.

use std::cell::Cell;

use super::super::fused::FusedOp;
use super::*;

/// A segment running fused whose node in flight is pending.
#[derive(Clone, Copy)]
pub(super) struct Running {
    /// The segment's first node: its key in the pending set and the cell table.
    head: u32,
    /// Its index in `Workflow::FUSED`.
    segment: u32,
    /// The position of its node in flight.
    at: u32,
}

impl<'a, W: Workflow, C> Driver<'a, W, C>
where
    C: FnMut(&mut W::State, usize, Op<'_, '_>) -> Poll<Finished<W::Value>> + Send,
{
    /// The segment node `i` heads, if it runs fused now (`quiet`: see
    /// [`quiet`](Self::quiet)). A constant `None` for a workflow without segments.
    #[inline]
    pub(super) fn fused_segment(&self, i: usize, quiet: bool) -> Option<usize> {
        if W::FUSED.is_empty() || !quiet || self.supervise_all {
            return None;
        }
        let s = W::FUSED
            .binary_search_by_key(&(i as u32), |seg| seg.nodes[0])
            .ok()?;
        W::FUSED[s].plain.then_some(s)
    }

    /// Starts segment `s` at `at` and polls it once (with the run's waker): the nodes
    /// that ended are written (started and ended at `at`: their record is `ran`,
    /// `Statuses::ran_record(at)`, the batch's) and counted in `handled`; the
    /// outcome returned is that of its last node or of the one that failed, for the
    /// caller to record as an inline node that ended in its first poll; a pending
    /// segment's node in flight is running since `at`.
    pub(super) fn start_segment(
        &mut self,
        s: usize,
        at: Duration,
        ran: &NodeRecord,
        cx: &mut TaskContext<'_>,
        handled: &Cell<usize>,
    ) -> Poll<Finished<W::Value>> {
        let nodes = W::FUSED[s].nodes;
        let head = nodes[0] as usize;
        let mut k = 0u32;
        let op = Op::Fused(FusedOp::Poll {
            cx,
            at: &mut k,
            start: true,
        });
        let polled = call_cells(&mut self.cells, &mut self.state, head, op);
        let ended = k as usize;
        if const { consecutive(W::FUSED) } {
            // (A chain declared in order: its entries in one pass.)
            self.statuses.ran_range(head..head + ended, ran);
        } else {
            for &n in &nodes[..ended] {
                self.statuses.ran_quiet(n as usize, ran);
            }
        }
        handled.set(handled.get() + ended);
        if polled.is_pending() {
            self.statuses.started_report(nodes[ended] as usize, at);
            self.pending.make().fused.push(Running {
                head: head as u32,
                segment: s as u32,
                at: k,
            });
        }
        polled
    }

    /// The running segment whose first node is `i` (its place in `fused`), if any.
    #[inline]
    pub(super) fn running_segment(&self, i: usize) -> Option<usize> {
        if W::FUSED.is_empty() {
            return None;
        }
        let fused = &self.pending.get()?.fused;
        fused.iter().position(|r| r.head as usize == i)
    }

    /// Polls running segment `r` with `cx` (its own waker): the node that was in flight
    /// and those after it that ended are written (ended at this poll's clock reading),
    /// the new node in flight is running since then; the outcome as in
    /// [`start_segment`](Self::start_segment), for a node whose report says running.
    pub(super) fn poll_segment(
        &mut self,
        r: usize,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Finished<W::Value>> {
        let Running { head, segment, at } = self.pending.make().fused[r];
        let nodes = W::FUSED[segment as usize].nodes;
        let mut k = at;
        let op = Op::Fused(FusedOp::Poll {
            cx,
            at: &mut k,
            start: false,
        });
        let polled = call_cells(&mut self.cells, &mut self.state, head as usize, op);
        if k > at {
            let now = self.elapsed();
            self.statuses
                .succeeded(self.shared, nodes[at as usize] as usize, 1, now, false);
            for &n in &nodes[at as usize + 1..k as usize] {
                self.statuses.ran(self.shared, n as usize, now, now, false);
            }
            self.statuses
                .started_report(nodes[k as usize] as usize, now);
        }
        if polled.is_ready() {
            self.pending.make().fused.swap_remove(r);
        } else {
            self.pending.make().fused[r].at = k;
        }
        polled
    }

    /// Drops every running segment (the run stops) without polling it again (it would
    /// run on to its next node): its node in flight stays running (the stop marks it
    /// cancelled), the later ones never started (skipped). A panic while dropping is
    /// the error of the node in flight.
    pub(super) fn drop_segments(&mut self) -> Vec<WorkflowError> {
        let mut errors = Vec::new();
        for Running { head, segment, at } in std::mem::take(&mut self.pending.make().fused) {
            self.pending.make().remove(head as usize);
            let (cells, state) = (&mut self.cells, &mut self.state);
            let dropped = std::panic::catch_unwind(AssertUnwindSafe(|| {
                call_cells(cells, state, head as usize, Op::Fused(FusedOp::Drop))
            }));
            if let Err(payload) = dropped {
                let i = W::FUSED[segment as usize].nodes[at as usize] as usize;
                errors.push(self.panicked_in_drop(i, payload.as_ref()));
            }
        }
        errors
    }
}

/// Whether each of `segments` is a run of consecutive node indices (a chain declared
/// in order): a constant per workflow, evaluated at compile time.
const fn consecutive(segments: &[crate::plan::FusedSegment]) -> bool {
    let mut s = 0;
    while s < segments.len() {
        let nodes = segments[s].nodes;
        let mut k = 1;
        while k < nodes.len() {
            if nodes[k] != nodes[k - 1] + 1 {
                return false;
            }
            k += 1;
        }
        s += 1;
    }
    true
}
