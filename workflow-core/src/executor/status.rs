//! The single writer of node statuses.
//!
//! Every status change of a node goes through [`Statuses`], which writes it to the run's
//! report, to the live snapshot that monitors read (when the run is monitored), and to
//! the trace and `tracing` log, so the three can never disagree.

use std::time::Duration;

use super::attempt::NodeFailure;
use crate::error::NodeName;
use crate::plan::NodeSpec;
use crate::run::{NodeReport, NodeStatus};
use crate::shared::RunShared;
use crate::trace::TraceKind;

/// Every node's report in one run, in declaration order.
pub(super) struct Statuses {
    reports: Vec<NodeReport>,
}

/// The reports of nodes that never started.
pub(super) fn not_started(nodes: &'static [NodeSpec]) -> Vec<NodeReport> {
    nodes
        .iter()
        .map(|n| NodeReport {
            name: NodeName::Borrowed(n.name),
            node_fn: n.node_fn,
            status: NodeStatus::NotStarted,
            attempts: 0,
            duration: Duration::ZERO,
            started_at: None,
        })
        .collect()
}

impl Statuses {
    pub(super) fn new(nodes: &'static [NodeSpec]) -> Self {
        Self {
            reports: not_started(nodes),
        }
    }

    #[inline]
    fn set(&mut self, shared: &RunShared, i: usize, status: NodeStatus) -> &mut NodeReport {
        shared.set_live(i, status);
        let report = &mut self.reports[i];
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
        let report = &mut self.reports[i];
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
        let report = &mut self.reports[i];
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
        let report = &mut self.reports[i];
        report.status = NodeStatus::Succeeded;
        report.attempts = 1;
        report.started_at = Some(at);
        // Nodes that end in the poll of the run that starts them share its timestamp
        // (see `Driver::elapsed`): no subtraction then.
        report.duration = if now == at {
            Duration::ZERO
        } else {
            now.saturating_sub(at)
        };
        if !quiet && Self::noted(shared) {
            self.succeeded_noted(shared, i, 1);
        }
    }

    /// Nodes `nodes` (a fused segment's, see `executor/driver/fused.rs`) started at `at`
    /// and produced their outputs in the same poll, in a run that wants nothing beyond
    /// the report: [`ran`](Self::ran) of each (`quiet`), in one pass over consecutive
    /// entries, without a bounds check each (~19 instructions a node before, issue 17).
    #[inline]
    pub(super) fn ran_range(&mut self, nodes: std::ops::Range<usize>, at: Duration) {
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
        let report = &mut self.reports[i];
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
        for i in 0..self.reports.len() {
            if self.reports[i].status == NodeStatus::NotStarted {
                self.set(shared, i, NodeStatus::Skipped);
                shared.record(Some(i), TraceKind::Skipped);
            }
        }
    }

    /// The running nodes, by index.
    pub(super) fn running(&self) -> impl Iterator<Item = (usize, &NodeReport)> + '_ {
        self.reports
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == NodeStatus::Running)
    }

    /// The reports so far, by node.
    pub(super) fn reports(&self) -> &[NodeReport] {
        &self.reports
    }

    /// Every node back to not started (a fan-out lane's next item, `items.rs`).
    pub(super) fn reset(&mut self) {
        for r in &mut self.reports {
            r.status = NodeStatus::NotStarted;
            r.attempts = 0;
            r.duration = Duration::ZERO;
            r.started_at = None;
        }
    }

    pub(super) fn into_reports(self) -> Vec<NodeReport> {
        self.reports
    }
}
