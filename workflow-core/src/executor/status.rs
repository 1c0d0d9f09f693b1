//! The single writer of node statuses.
//!
//! Every status change of a node goes through [`Statuses`], which writes it to the run's
//! report, to the live snapshot that monitors read (when the run is monitored), and to
//! the trace and `tracing` log, so the three can never disagree.

use std::time::Duration;

use super::attempt::NodeFailure;
use crate::plan::NodeNames;
use crate::run::{NodeRecord, NodeReports, NodeStatus};
use crate::shared::RunShared;
use crate::trace::TraceKind;

/// Every node's report in one run, in declaration order, as compact records
/// ([`NodeRecord`], 24 bytes: the public [`NodeReport`](crate::NodeReport)s, 80 bytes
/// with their names, are made from them only when the report is read, see
/// [`NodeReports`]).
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
    reports: Vec<NodeRecord>,
    /// The names of the entries: the plan's packed array
    /// ([`Plan::names`](crate::plan::Plan::names)), by a thin reference (kept in the
    /// report, see [`NodeReports`]).
    nodes: &'static &'static [NodeNames],
}

/// The reports of nodes that never started (`names`: the plan's,
/// [`Plan::names`](crate::plan::Plan::names)).
pub(super) fn not_started(names: &'static &'static [NodeNames]) -> NodeReports {
    NodeReports::compact(names, vec![NodeRecord::NOT_STARTED; names.len()])
}

impl Statuses {
    /// No entry written yet: room for every node's (one allocation, nothing written).
    /// `names`: the plan's ([`Plan::names`](crate::plan::Plan::names)).
    #[inline]
    pub(super) fn new(names: &'static &'static [NodeNames]) -> Self {
        Self {
            reports: Vec::with_capacity(names.len()),
            nodes: names,
        }
    }

    /// Node `i`'s entry: made now if it is the next one (nodes are mostly written in
    /// declaration order), with every entry before it if it is further.
    #[inline(always)]
    fn entry(&mut self, i: usize) -> &mut NodeRecord {
        let made = self.reports.len();
        if i >= made {
            if i == made {
                // (Never grows: the room for every node is made by `new`.)
                self.reports.push(NodeRecord::NOT_STARTED);
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
        self.reports
            .resize(self.nodes.len(), NodeRecord::NOT_STARTED);
    }

    #[inline]
    fn set(&mut self, shared: &RunShared, i: usize, status: NodeStatus) -> &mut NodeRecord {
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
        report.started = NodeRecord::nanos(at);
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
            let running = NodeRecord {
                status: NodeStatus::Running,
                started: NodeRecord::nanos(at),
                ..NodeRecord::NOT_STARTED
            };
            self.reports.push(running);
            return;
        }
        let report = self.entry(i);
        report.status = NodeStatus::Running;
        report.started = NodeRecord::nanos(at);
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
        let started = NodeRecord::nanos(at);
        let duration = if now == at {
            0
        } else {
            NodeRecord::nanos(now).saturating_sub(started)
        };
        let ran = NodeRecord {
            status: NodeStatus::Succeeded,
            attempts: 1,
            started,
            duration,
        };
        if i == self.reports.len() {
            // Made once with its values: made "not started" and then rewritten, the
            // same entry was written twice (issue 17).
            self.reports.push(ran);
        } else {
            *self.entry(i) = ran;
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
        let ran = NodeRecord {
            status: NodeStatus::Succeeded,
            attempts: 1,
            started: NodeRecord::nanos(at),
            duration: 0,
        };
        if nodes.start == self.reports.len() {
            self.reports.resize(nodes.end, ran);
            return;
        }
        if nodes.end > self.reports.len() {
            self.fill();
        }
        self.reports[nodes].fill(ran);
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
        report.started = NodeRecord::NEVER;
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
        report.duration = ended(report.started, now);
        if Self::noted(shared) {
            self.succeeded_noted(shared, i, attempts);
        }
    }

    /// The live status, trace event and `tracing` event of a node that succeeded.
    #[cold]
    #[inline(never)]
    fn succeeded_noted(&self, shared: &RunShared, i: usize, attempts: u32) {
        shared.set_live(i, NodeStatus::Succeeded);
        let name = self.nodes[i].name;
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
        report.duration = ended(report.started, now);
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
        report.duration = ended(report.started, now);
        tracing::info!(target: "workflow", node = self.nodes[i].name, "node cancelled");
        shared.record(Some(i), TraceKind::Cancelled);
    }

    /// Node `i` did not run: its output was restored from a durable run's store.
    #[cfg(feature = "store")]
    pub(super) fn restored(&mut self, shared: &RunShared, i: usize) {
        self.set(shared, i, NodeStatus::Restored);
        tracing::debug!(target: "workflow", node = self.nodes[i].name, "node restored");
        shared.record(Some(i), TraceKind::Restored);
    }

    /// Node `i` is in an arm its decision did not take: it will not run.
    pub(super) fn not_taken(&mut self, shared: &RunShared, i: usize) {
        self.set(shared, i, NodeStatus::NotTaken);
        tracing::debug!(target: "workflow", node = self.nodes[i].name, "node not taken");
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
    pub(super) fn running(&self) -> impl Iterator<Item = (usize, &NodeRecord)> + '_ {
        self.reports
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == NodeStatus::Running)
    }

    /// The records so far, by node (named by the plan's
    /// [`names`](crate::plan::Plan::names)).
    pub(super) fn reports(&mut self) -> &[NodeRecord] {
        self.fill();
        &self.reports
    }

    /// Every node back to not started (a fan-out lane's next item, `items.rs`).
    pub(super) fn reset(&mut self) {
        self.fill();
        self.reports.fill(NodeRecord::NOT_STARTED);
    }

    #[inline]
    pub(super) fn into_reports(mut self) -> NodeReports {
        // (Tested here: most runs wrote every entry, and pay no call.)
        if self.reports.len() < self.nodes.len() {
            self.fill();
        }
        NodeReports::compact(self.nodes, self.reports)
    }
}

/// The duration of a node that started at `started` (nanoseconds from the start of the
/// run, [`NodeRecord::NEVER`] if it did not: counted from the start of the run then)
/// and ended at `now`.
#[inline(always)]
fn ended(started: u64, now: Duration) -> u64 {
    let started = if started == NodeRecord::NEVER {
        0
    } else {
        started
    };
    NodeRecord::nanos(now).saturating_sub(started)
}
