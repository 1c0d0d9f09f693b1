//! The single writer of node statuses.
//!
//! Every status change of a node goes through [`Statuses`], which writes it to the run's
//! report, to the live snapshot that monitors read (when the run is monitored), and to
//! the trace and `tracing` log, so the three can never disagree.

use std::time::Duration;

use super::attempt::NodeFailure;
use crate::error::NodeName;
use crate::plan::NodeNames;
use crate::run::{NodeReport, NodeStatus};
use crate::shared::RunShared;
use crate::trace::TraceKind;

/// Every node's report in one run, in declaration order.
///
/// Written as the run goes, in one pass where it can: the entries are made as the nodes
/// are written, not all up front. `reports` holds the first entries (its room is made for
/// every node); the nodes after them have not been written yet and are not started.
/// A fused chain declared in order ([`ran_range`](Self::ran_range)) appends its nodes'
/// entries as they end, each written once with its final values (made "not started",
/// then rewritten, it cost ~23 instructions a node, issue 17); a node written right after
/// the entries made has its entry made then; a write further on, or a read of the whole
/// report, makes every entry left ([`fill`](Self::fill)).
pub(super) struct Statuses {
    reports: Vec<NodeReport>,
    /// The names of the entries: the plan's packed array
    /// ([`Plan::names`](crate::plan::Plan::names)).
    nodes: &'static [NodeNames],
}

/// The reports of nodes that never started (`names`: the plan's,
/// [`Plan::names`](crate::plan::Plan::names)).
pub(super) fn not_started(names: &'static [NodeNames]) -> Vec<NodeReport> {
    names.iter().map(not_started_entry).collect()
}

/// The report of node `n` while it has not started.
#[inline(always)]
fn not_started_entry(n: &'static NodeNames) -> NodeReport {
    NodeReport {
        name: NodeName::Borrowed(n.name),
        node_fn: n.node_fn,
        status: NodeStatus::NotStarted,
        attempts: 0,
        duration: Duration::ZERO,
        started_at: None,
    }
}

impl Statuses {
    /// No entry written yet: room for every node's (one allocation, nothing written).
    /// `names`: the plan's ([`Plan::names`](crate::plan::Plan::names)).
    #[inline]
    pub(super) fn new(names: &'static [NodeNames]) -> Self {
        Self {
            reports: Vec::with_capacity(names.len()),
            nodes: names,
        }
    }

    /// Node `i`'s entry: made now if it is the next one (nodes are mostly written in
    /// declaration order), with every entry before it if it is further.
    #[inline(always)]
    fn entry(&mut self, i: usize) -> &mut NodeReport {
        let made = self.reports.len();
        if i >= made {
            if i == made {
                // (Never grows: the room for every node is made by `new`.)
                self.reports.push(not_started_entry(&self.nodes[i]));
            } else {
                self.fill();
            }
        }
        &mut self.reports[i]
    }

    /// Makes the entries not yet written: their nodes have not started.
    #[cold]
    #[inline(never)]
    fn fill(&mut self) {
        let made = self.reports.len();
        self.reports
            .extend(self.nodes[made..].iter().map(not_started_entry));
    }

    #[inline]
    fn set(&mut self, shared: &RunShared, i: usize, status: NodeStatus) -> &mut NodeReport {
        shared.set_live(i, status);
        let report = self.entry(i);
        report.status = status;
        report
    }

    /// Node `i` started at `at` (from the start of the run).
    ///
    /// Behind the runtime's node limit, the live status stays "not started" until the
    /// node holds its permit: the attempt loop then writes it (the one write to live
    /// statuses outside this module).
    ///
    /// On every node's path: two stores, and the live status out of line.
    #[inline(always)]
    pub(super) fn started(&mut self, shared: &RunShared, i: usize, at: Duration) {
        let report = self.entry(i);
        report.status = NodeStatus::Running;
        report.started_at = Some(at);
        if shared.is_live() {
            Self::started_live(shared, i);
        }
    }

    /// Inline node `i` starts: its live status now (when monitored), its report only
    /// once its first poll is over: [`ran`](Self::ran) if it ended there, else
    /// [`started_report`](Self::started_report). Nothing reads the report in between:
    /// only the run's own task does, between node polls.
    #[inline(always)]
    pub(super) fn starting(&self, shared: &RunShared, i: usize) {
        if shared.is_live() {
            Self::started_live(shared, i);
        }
    }

    /// Node `i`, started at `at` (see [`starting`](Self::starting)), is running.
    #[inline(always)]
    pub(super) fn started_report(&mut self, i: usize, at: Duration) {
        if i == self.reports.len() {
            // Made once with its values, not made "not started" and rewritten.
            let running = NodeReport {
                status: NodeStatus::Running,
                started_at: Some(at),
                ..not_started_entry(&self.nodes[i])
            };
            self.reports.push(running);
            return;
        }
        let report = self.entry(i);
        report.status = NodeStatus::Running;
        report.started_at = Some(at);
    }

    /// Inline node `i`, started at `at` (see [`starting`](Self::starting)), produced
    /// its output at `now` in its first poll: its report written once, `started` and
    /// `succeeded` in one. `quiet`: the run wants nothing beyond the report (see
    /// `Driver::quiet`).
    #[inline(always)]
    pub(super) fn ran(
        &mut self,
        shared: &RunShared,
        i: usize,
        at: Duration,
        now: Duration,
        quiet: bool,
    ) {
        // Nodes that end in the poll of the run that starts them share its timestamp
        // (see `Driver::elapsed`): no subtraction then.
        let duration = if now == at {
            Duration::ZERO
        } else {
            now.saturating_sub(at)
        };
        if i == self.reports.len() {
            // Made once with its values: made "not started" and then rewritten, the
            // same 80 bytes were written twice (issue 17).
            let ran = NodeReport {
                status: NodeStatus::Succeeded,
                attempts: 1,
                started_at: Some(at),
                duration,
                ..not_started_entry(&self.nodes[i])
            };
            self.reports.push(ran);
        } else {
            let report = self.entry(i);
            report.status = NodeStatus::Succeeded;
            report.attempts = 1;
            report.started_at = Some(at);
            report.duration = duration;
        }
        if !quiet && Self::noted(shared) {
            self.succeeded_noted(shared, i, 1);
        }
    }

    /// Nodes `nodes` (a fused segment's, see `executor/driver/fused.rs`) started at `at`
    /// and produced their outputs in the same poll, in a run that wants nothing beyond
    /// the report: [`ran`](Self::ran) of each (`quiet`), in one pass over consecutive
    /// entries, without a bounds check each (~19 instructions a node before, issue 17).
    /// When they are the next entries to make (a chain declared in order, run fused
    /// from its start), each is made once, as it ends.
    #[inline]
    pub(super) fn ran_range(&mut self, nodes: std::ops::Range<usize>, at: Duration) {
        if nodes.start == self.reports.len() {
            self.reports
                .extend(self.nodes[nodes].iter().map(|n| NodeReport {
                    status: NodeStatus::Succeeded,
                    attempts: 1,
                    started_at: Some(at),
                    ..not_started_entry(n)
                }));
            return;
        }
        if nodes.end > self.reports.len() {
            self.fill();
        }
        for report in &mut self.reports[nodes] {
            report.status = NodeStatus::Succeeded;
            report.attempts = 1;
            report.started_at = Some(at);
            report.duration = Duration::ZERO;
        }
    }

    /// Whether a success is noted beyond the report: the level test `tracing::debug!`
    /// starts with (inline), the live status, the trace.
    #[inline(always)]
    fn noted(shared: &RunShared) -> bool {
        let debug = tracing::Level::DEBUG <= tracing::level_filters::STATIC_MAX_LEVEL
            && tracing::Level::DEBUG <= tracing::level_filters::LevelFilter::current();
        debug || shared.is_live() || shared.trace.is_some()
    }

    #[cold]
    #[inline(never)]
    fn started_live(shared: &RunShared, i: usize) {
        if shared.runtime.node_limit.is_none() {
            shared.set_live(i, NodeStatus::Running);
        }
    }

    /// Running node `i` was stopped before its fn ever ran (a spawned task tokio never
    /// polled, or a node still waiting for a node-limit permit): it counts as never
    /// started, so the run's end marks it skipped.
    pub(super) fn never_ran(&mut self, shared: &RunShared, i: usize) {
        let report = self.set(shared, i, NodeStatus::NotStarted);
        report.started_at = None;
        report.attempts = 0;
    }

    /// Node `i` produced its output at `now`, after `attempts` attempts.
    ///
    /// On every node's path: the report's stores inline; the live status, the trace and
    /// the `tracing` event out of line, only when someone may want them.
    #[inline(always)]
    pub(super) fn succeeded(&mut self, shared: &RunShared, i: usize, attempts: u32, now: Duration) {
        let report = self.entry(i);
        report.status = NodeStatus::Succeeded;
        report.attempts = attempts;
        report.duration = now.saturating_sub(report.started_at.unwrap_or_default());
        if Self::noted(shared) {
            self.succeeded_noted(shared, i, attempts);
        }
    }

    /// The live status, trace event and `tracing` event of a node that succeeded.
    #[cold]
    #[inline(never)]
    fn succeeded_noted(&self, shared: &RunShared, i: usize, attempts: u32) {
        shared.set_live(i, NodeStatus::Succeeded);
        let name = &*self.reports[i].name;
        tracing::debug!(target: "workflow", node = name, attempts, "node completed");
        shared.record(Some(i), TraceKind::Completed { attempts });
    }

    /// Node `i` failed at `now`, after `attempts` attempts.
    pub(super) fn failed(
        &mut self,
        shared: &RunShared,
        i: usize,
        attempts: u32,
        now: Duration,
        failure: &NodeFailure,
    ) {
        let report = self.set(shared, i, NodeStatus::Failed);
        report.attempts = attempts;
        report.duration = now - report.started_at.unwrap_or_default();
        shared.record_with(Some(i), || TraceKind::Failed {
            attempts,
            error: failure.describe(),
        });
    }

    /// Running node `i` was stopped at `now` with the run (whether its future ended
    /// after the stop or was dropped), after `attempts` attempts.
    pub(super) fn cancelled(&mut self, shared: &RunShared, i: usize, attempts: u32, now: Duration) {
        let report = self.set(shared, i, NodeStatus::Cancelled);
        report.attempts = attempts;
        report.duration = now - report.started_at.unwrap_or_default();
        tracing::info!(target: "workflow", node = &*report.name, "node cancelled");
        shared.record(Some(i), TraceKind::Cancelled);
    }

    /// Node `i` did not run: its output was restored from a durable run's store.
    #[cfg(feature = "store")]
    pub(super) fn restored(&mut self, shared: &RunShared, i: usize) {
        let report = self.set(shared, i, NodeStatus::Restored);
        tracing::debug!(target: "workflow", node = &*report.name, "node restored");
        shared.record(Some(i), TraceKind::Restored);
    }

    /// Node `i` is in an arm its decision did not take: it will not run.
    pub(super) fn not_taken(&mut self, shared: &RunShared, i: usize) {
        let report = self.set(shared, i, NodeStatus::NotTaken);
        tracing::debug!(target: "workflow", node = &*report.name, "node not taken");
        shared.record(Some(i), TraceKind::NotTaken);
    }

    /// Every node that never started is skipped.
    pub(super) fn skip_not_started(&mut self, shared: &RunShared) {
        self.fill();
        for i in 0..self.reports.len() {
            if self.reports[i].status == NodeStatus::NotStarted {
                self.set(shared, i, NodeStatus::Skipped);
                shared.record(Some(i), TraceKind::Skipped);
            }
        }
    }

    /// The running nodes, by index (none among the entries not made yet).
    pub(super) fn running(&self) -> impl Iterator<Item = (usize, &NodeReport)> + '_ {
        self.reports
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == NodeStatus::Running)
    }

    /// The reports so far, by node.
    pub(super) fn reports(&mut self) -> &[NodeReport] {
        self.fill();
        &self.reports
    }

    /// Every node back to not started (a fan-out lane's next item, `items.rs`).
    pub(super) fn reset(&mut self) {
        self.fill();
        for r in &mut self.reports {
            r.status = NodeStatus::NotStarted;
            r.attempts = 0;
            r.duration = Duration::ZERO;
            r.started_at = None;
        }
    }

    #[inline]
    pub(super) fn into_reports(mut self) -> Vec<NodeReport> {
        // (Tested here: most runs wrote every entry, and pay no call.)
        if self.reports.len() < self.nodes.len() {
            self.fill();
        }
        self.reports
    }
}
