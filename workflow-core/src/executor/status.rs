//! The single writer of node statuses.
//!
//! Every status change of a node goes through [`Statuses`], which writes it to the run's
//! report, to the live snapshot that monitors read (when the run is monitored), and to
//! the trace and `tracing` log, so the three can never disagree.

use std::time::Duration;

use super::attempt::NodeFailure;
use crate::plan::NodeNames;
use crate::run::{NodeRecord, NodeReports, NodeStatus};
use crate::shared::RunSlot;
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
///
/// Nodes that end alike are not written one by one: the entries after `reports` are
/// `repeats` copies of `tail`, the last entry made. A node that ends in the poll that
/// started it, as every other node started then (the same clock reading, no duration),
/// adds a repeat ([`ran`](Self::ran)), and a fused chain's nodes all at once
/// ([`ran_range`](Self::ran_range)); a record that differs writes the repeats out
/// ([`spell`](Self::spell)) and starts a new run. So a run whose nodes all end in one
/// poll (a diamond, a chain of 1,000 run fused, a lattice) writes one record and
/// allocates nothing for its report ([`NodeReports`] keeps it as the record of every
/// node): a cold run of the chain of 1,000 wrote 24 KB of equal records, 375 cache
/// lines fetched from memory to be written, and each W4 run allocated and freed its
/// records (issue 17). Only nodes that succeeded are repeats, and no status of theirs
/// is written again before the entries are written out (a write of another kind, a
/// write further on, a read of the whole report).
pub(super) struct Statuses {
    /// The entries written out, in node order (allocated, with room for every node's,
    /// when the first is written).
    reports: Vec<NodeRecord>,
    /// The record of the `repeats` entries after `reports`: a success, or "not
    /// started" before the first (no success is equal to it: see
    /// [`NodeRecord::NEVER`]).
    tail: NodeRecord,
    /// How many entries after `reports` are `tail`, not written out.
    repeats: usize,
    /// The names of the entries: the plan's packed array
    /// ([`Plan::names`](crate::plan::Plan::names)), by a thin reference (kept in the
    /// report, see [`NodeReports`]).
    nodes: &'static &'static [NodeNames],
}

/// The reports of nodes that never started (`names`: the plan's,
/// [`Plan::names`](crate::plan::Plan::names)).
pub(super) fn not_started(names: &'static &'static [NodeNames]) -> NodeReports {
    if names.is_empty() {
        return NodeReports::compact(names, Vec::new());
    }
    NodeReports::all(names, NodeRecord::NOT_STARTED)
}

impl Statuses {
    /// No entry written yet, nothing allocated. `names`: the plan's
    /// ([`Plan::names`](crate::plan::Plan::names)).
    #[inline]
    pub(super) fn new(names: &'static &'static [NodeNames]) -> Self {
        Self {
            reports: Vec::new(),
            tail: NodeRecord::NOT_STARTED,
            repeats: 0,
            nodes: names,
        }
    }

    /// Appends an entry after those written out (there are no repeats).
    #[inline(always)]
    fn push(&mut self, record: NodeRecord) {
        if self.reports.capacity() == 0 {
            self.room();
        }
        // (Never grows: the room for every node is made once.)
        self.reports.push(record);
    }

    /// Room for every node's entry, made once.
    #[cold]
    #[inline(never)]
    fn room(&mut self) {
        self.reports.reserve_exact(self.nodes.len());
    }

    /// Node `i`'s entry: made now if it is the next one (nodes are mostly written in
    /// declaration order), with every entry before it if it is further.
    #[inline(always)]
    fn entry(&mut self, i: usize) -> &mut NodeRecord {
        let made = self.reports.len();
        if i >= made {
            if i == made && self.repeats == 0 {
                self.push(NodeRecord::NOT_STARTED);
            } else {
                self.make_through(i);
            }
        }
        &mut self.reports[i]
    }

    /// Makes the entries through node `i`'s: the repeats written out, then `i`'s alone
    /// if it is the next, else every entry left.
    #[inline(never)]
    fn make_through(&mut self, i: usize) {
        self.spell();
        match i.cmp(&self.reports.len()) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => self.push(NodeRecord::NOT_STARTED),
            std::cmp::Ordering::Greater => self.fill(),
        }
    }

    /// Writes `record`, a success, as node `i`'s entry: a repeat if it is the next
    /// entry and equal to the last one (see [`Statuses`]).
    #[inline(always)]
    fn write(&mut self, i: usize, record: NodeRecord) {
        let made = self.reports.len();
        if i < made {
            // (Nodes that end out of declaration order, once their entries are made: a
            // lattice's anti-diagonals.)
            self.reports[i] = record;
        } else if i == made + self.repeats {
            // (Both successes, see `Statuses`: their times tell them apart. Before the
            // first, `tail` is "not started", whose start no record has.)
            debug_assert_eq!((record.status, record.attempts), (NodeStatus::Succeeded, 1));
            if record.started == self.tail.started && record.duration == self.tail.duration {
                self.repeats += 1;
            } else {
                self.restart(record);
            }
        } else {
            self.make_through(i);
            self.reports[i] = record;
        }
    }

    /// The repeats written out, and a new run of them: `record`, once.
    #[inline(never)]
    fn restart(&mut self, record: NodeRecord) {
        self.spell();
        self.tail = record;
        self.repeats = 1;
    }

    /// Writes out the repeats (see [`Statuses`]).
    #[inline]
    fn spell(&mut self) {
        if self.repeats > 0 {
            self.spell_out();
        }
    }

    #[inline(never)]
    fn spell_out(&mut self) {
        if self.reports.capacity() == 0 {
            self.room();
        }
        let len = self.reports.len() + std::mem::take(&mut self.repeats);
        self.reports.resize(len, self.tail);
    }

    /// Makes the entries not yet written: the repeats, then those of the nodes that
    /// have not started.
    #[cold]
    #[inline(never)]
    fn fill(&mut self) {
        self.spell();
        if self.reports.len() < self.nodes.len() {
            if self.reports.capacity() == 0 {
                self.room();
            }
            self.reports
                .resize(self.nodes.len(), NodeRecord::NOT_STARTED);
        }
    }

    #[inline]
    fn set(&mut self, shared: &RunSlot, i: usize, status: NodeStatus) -> &mut NodeRecord {
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
    /// On every node's path: its record written (made with its values when it is the
    /// next, see [`started_report`](Self::started_report)), and the live status out of
    /// line. `quiet`: the run is quiet (`Driver::quiet`), so it keeps no live statuses
    /// (those are fixed as it begins), and the test is skipped (~8 instructions a
    /// spawned node, issue 17).
    #[inline(always)]
    pub(super) fn started(&mut self, shared: &RunSlot, i: usize, at: Duration, quiet: bool) {
        self.started_report(i, at);
        if !quiet && shared.is_live() {
            Self::started_live(shared, i);
        }
    }

    /// Inline node `i` starts: its live status now (when monitored), its report only
    /// once its first poll is over: [`ran`](Self::ran) if it ended there, else
    /// [`started_report`](Self::started_report). Nothing reads the report in between:
    /// only the run's own task does, between node polls.
    #[inline(always)]
    pub(super) fn starting(&self, shared: &RunSlot, i: usize) {
        if shared.is_live() {
            Self::started_live(shared, i);
        }
    }

    /// Node `i`, started at `at` (see [`starting`](Self::starting)), is running.
    #[inline(always)]
    pub(super) fn started_report(&mut self, i: usize, at: Duration) {
        if i == self.reports.len() && self.repeats == 0 {
            // Made once with its values, not made "not started" and rewritten.
            let running = NodeRecord {
                status: NodeStatus::Running,
                started: NodeRecord::nanos(at),
                ..NodeRecord::NOT_STARTED
            };
            self.push(running);
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
        shared: &RunSlot,
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
        self.write(i, ran);
        if !quiet && Self::noted(shared) {
            self.succeeded_noted(shared, i, 1);
        }
    }

    /// The record of an inline node that started at `at` and ended in the same poll of
    /// the run (see [`ran`](Self::ran)): made once for a batch of nodes that share `at`
    /// (see [`ran_quiet`](Self::ran_quiet)).
    #[inline(always)]
    pub(super) fn ran_record(at: Duration) -> NodeRecord {
        NodeRecord {
            status: NodeStatus::Succeeded,
            attempts: 1,
            started: NodeRecord::nanos(at),
            duration: 0,
        }
    }

    /// [`ran`](Self::ran) with `quiet` and `now == at`, given the record,
    /// [`ran_record`](Self::ran_record)`(at)`, made once for the batch of nodes started at
    /// `at`. On the path of every node of a plain run (`Driver::start_quiet`): the next
    /// entry, a repeat of the last, is a test and an increment, without making the
    /// record before the test (~13 instructions a node, issue 17). An entry already
    /// made (a lattice's nodes end out of declaration order) is written inline, as by
    /// `write`; anything else goes to [`write`](Self::write), out of line.
    #[inline(always)]
    pub(super) fn ran_quiet(&mut self, i: usize, record: &NodeRecord) {
        let made = self.reports.len();
        // (`i == made + repeats` implies `i >= made`: `write`'s first case is not this.)
        if i == made + self.repeats
            && record.started == self.tail.started
            && record.duration == self.tail.duration
        {
            debug_assert_eq!((record.status, record.attempts), (NodeStatus::Succeeded, 1));
            self.repeats += 1;
        } else if i < made {
            self.reports[i] = *record;
        } else {
            self.write_out_of_line(i, *record);
        }
    }

    /// [`write`](Self::write), out of line (see [`ran_quiet`](Self::ran_quiet)).
    #[inline(never)]
    fn write_out_of_line(&mut self, i: usize, record: NodeRecord) {
        self.write(i, record);
    }

    /// Nodes `nodes` (a fused segment's, see `executor/driver/fused.rs`) started at `at`
    /// and produced their outputs in the same poll, in a run that wants nothing beyond
    /// the report: [`ran`](Self::ran) of each (`quiet`), in one pass over consecutive
    /// entries, without a bounds check each (~19 instructions a node before, issue 17).
    /// `ran` is their record, [`ran_record`](Self::ran_record)`(at)` (the batch's).
    /// When they are the next entries (a chain declared in order, run fused from its
    /// start), they are repeats of one record (see [`Statuses`]): nothing written.
    #[inline]
    pub(super) fn ran_range(&mut self, nodes: std::ops::Range<usize>, ran: &NodeRecord) {
        let ran = *ran;
        if nodes.is_empty() {
            return;
        }
        if nodes.start == self.reports.len() + self.repeats {
            if self.tail != ran {
                self.spell();
                self.tail = ran;
            }
            self.repeats += nodes.len();
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
    fn noted(shared: &RunSlot) -> bool {
        let debug = tracing::Level::DEBUG <= tracing::level_filters::STATIC_MAX_LEVEL
            && tracing::Level::DEBUG <= tracing::level_filters::LevelFilter::current();
        debug || shared.is_live() || shared.is_traced()
    }

    #[cold]
    #[inline(never)]
    fn started_live(shared: &RunSlot, i: usize) {
        if shared.runtime().node_limit.is_none() {
            shared.set_live(i, NodeStatus::Running);
        }
    }

    /// Running node `i` was stopped before its fn ever ran (a spawned task tokio never
    /// polled, or a node still waiting for a node-limit permit): it counts as never
    /// started, so the run's end marks it skipped.
    pub(super) fn never_ran(&mut self, shared: &RunSlot, i: usize) {
        let report = self.set(shared, i, NodeStatus::NotStarted);
        report.started = NodeRecord::NEVER;
        report.attempts = 0;
    }

    /// Node `i` produced its output at `now`, after `attempts` attempts; `quiet`: in a
    /// poll of the run that found nothing beyond the report wanted (see
    /// `Driver::quiet`), which asked what [`noted`](Self::noted) asks already.
    ///
    /// On every node's path: the report's stores inline; the live status, the trace and
    /// the `tracing` event out of line, only when someone may want them.
    #[inline(always)]
    pub(super) fn succeeded(
        &mut self,
        shared: &RunSlot,
        i: usize,
        attempts: u32,
        now: Duration,
        quiet: bool,
    ) {
        let report = self.entry(i);
        report.status = NodeStatus::Succeeded;
        report.attempts = attempts;
        report.duration = ended(report.started, now);
        if !quiet && Self::noted(shared) {
            self.succeeded_noted(shared, i, attempts);
        }
    }

    /// The live status, trace event and `tracing` event of a node that succeeded.
    #[cold]
    #[inline(never)]
    fn succeeded_noted(&self, shared: &RunSlot, i: usize, attempts: u32) {
        shared.set_live(i, NodeStatus::Succeeded);
        tracing::debug!(target: "workflow", node = &*shared.node_name(i), attempts, "node completed");
        shared.record(Some(i), TraceKind::Completed { attempts });
    }

    /// Node `i` failed at `now`, after `attempts` attempts.
    pub(super) fn failed(
        &mut self,
        shared: &RunSlot,
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
    pub(super) fn cancelled(&mut self, shared: &RunSlot, i: usize, attempts: u32, now: Duration) {
        let report = self.set(shared, i, NodeStatus::Cancelled);
        report.attempts = attempts;
        report.duration = ended(report.started, now);
        tracing::info!(target: "workflow", node = &*shared.node_name(i), "node cancelled");
        shared.record(Some(i), TraceKind::Cancelled);
    }

    /// Node `i` did not run: its output was restored from a durable run's store.
    #[cfg(feature = "store")]
    pub(super) fn restored(&mut self, shared: &RunSlot, i: usize) {
        self.set(shared, i, NodeStatus::Restored);
        tracing::debug!(target: "workflow", node = &*shared.node_name(i), "node restored");
        shared.record(Some(i), TraceKind::Restored);
    }

    /// Node `i` is in an arm its decision did not take: it will not run.
    ///
    /// A merge's node (a binding defined in every arm) shares its name with the other
    /// arms' nodes, one of which is taken and runs: its trace event names it as the
    /// report's lines do, `r (halve)` (`r (halve #2)` for a later arm calling the same
    /// fn), so that `r: not taken` is not followed by
    /// `r: started` in [`render_text`](crate::ExecutionTrace::render_text) and
    /// `trace.kinds("r")` is the node that ran.
    fn not_taken(&mut self, shared: &RunSlot, i: usize) {
        self.set(shared, i, NodeStatus::NotTaken);
        tracing::debug!(target: "workflow", node = &*shared.node_name(i), "node not taken");
        if !self.record_arm(shared, i, TraceKind::NotTaken) {
            shared.record(Some(i), TraceKind::NotTaken);
        }
    }

    /// A decision took arm `arm`: the nodes of the other arms end not taken and are
    /// marked in `blocked`; in the arm taken, each node of this decision's merges is
    /// named [`taken`](Self::taken) (traced runs only). In the arms' order, so the trace
    /// reads `r (work): not taken`, `r (halve): not taken`, `r (work #2): taken` as the
    /// report lists them. A merge's node of this decision is in its arm once; a name
    /// there more often is a nested decision's merge, which that decision names. For
    /// both drivers: the run's (`Driver::take_arm`) and a fan-out lane's.
    pub(super) fn take_arm(
        &mut self,
        shared: &RunSlot,
        decision: &crate::plan::Decision,
        arm: usize,
        blocked: &mut [bool],
    ) {
        for (j, nodes) in decision.arms.iter().enumerate() {
            if j != arm {
                for &n in *nodes {
                    blocked[n] = true;
                    self.not_taken(shared, n);
                }
            } else if shared.is_traced() {
                let name = |n: usize| self.nodes[n].name;
                for &n in *nodes {
                    if nodes.iter().filter(|&&m| name(m) == name(n)).count() == 1 {
                        self.taken(shared, n);
                    }
                }
            }
        }
    }

    /// Node `i` is a merge's node in the arm its decision took: the trace says so under
    /// the arm's name as the report prints it, `r (work #2): taken`, since the node's
    /// own events follow under the binding's name (`r: started`), which every arm's node
    /// shares. [`ExecutionTrace::node_events`](crate::ExecutionTrace::node_events) and
    /// the lookups built on it then find them by either name.
    fn taken(&self, shared: &RunSlot, i: usize) {
        self.record_arm(shared, i, TraceKind::Taken);
    }

    /// Records `kind` under node `i`'s arm name, `r (halve)` (`r (halve #2)` for a later
    /// arm calling the same fn), if `i` is a merge's node (another node has its name);
    /// whether it is (traced or not).
    fn record_arm(&self, shared: &RunSlot, i: usize, kind: TraceKind) -> bool {
        let names = &self.nodes[i];
        let merge = self
            .nodes
            .iter()
            .enumerate()
            .any(|(j, n)| j != i && n.name == names.name);
        if !merge {
            return false;
        }
        if let Some(s) = shared.get().filter(|_| shared.is_traced()) {
            // An earlier arm calling the same fn: `r (work #2)`, as the report says.
            let same = self.nodes[..i]
                .iter()
                .filter(|n| n.name == names.name && n.node_fn == names.node_fn)
                .count();
            let name = crate::run::arm_label(&s.node_name(i), names.node_fn, same);
            s.record_named(name.into(), kind);
        }
        true
    }

    /// Every node that never started is skipped.
    pub(super) fn skip_not_started(&mut self, shared: &RunSlot) {
        self.fill();
        for i in 0..self.reports.len() {
            if self.reports[i].status == NodeStatus::NotStarted {
                self.set(shared, i, NodeStatus::Skipped);
                shared.record(Some(i), TraceKind::Skipped);
            }
        }
    }

    /// The running nodes, by index (none among the entries not made yet, nor among the
    /// repeated ones: they ended).
    pub(super) fn running(&self) -> impl Iterator<Item = (usize, &NodeRecord)> + '_ {
        self.reports
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == NodeStatus::Running)
    }

    /// Node `i`'s status now, without writing out any entry (a deadlock report asks it
    /// of a stopping run).
    pub(super) fn status(&self, i: usize) -> NodeStatus {
        let made = self.reports.len();
        if i < made {
            self.reports[i].status
        } else if i < made + self.repeats {
            self.tail.status
        } else {
            NodeStatus::NotStarted
        }
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
        if self.reports.len() + self.repeats < self.nodes.len() {
            self.fill();
        }
        if self.reports.is_empty() && self.repeats > 0 {
            // Every node's entry is the one record.
            return NodeReports::all(self.nodes, self.tail);
        }
        self.spell();
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

#[cfg(test)]
mod tests {
    use super::*;

    static NAMES: [NodeNames; 6] = [
        NodeNames {
            name: "a",
            node_fn: "f",
        },
        NodeNames {
            name: "b",
            node_fn: "f",
        },
        NodeNames {
            name: "c",
            node_fn: "f",
        },
        NodeNames {
            name: "d",
            node_fn: "f",
        },
        NodeNames {
            name: "e",
            node_fn: "f",
        },
        NodeNames {
            name: "g",
            node_fn: "f",
        },
    ];

    static NAMES_REF: &[NodeNames] = &NAMES;

    /// Everything a `Statuses` holds of its entries (what its reports are made from).
    fn held(s: &Statuses) -> (Vec<NodeRecord>, NodeRecord, usize) {
        (s.reports.clone(), s.tail, s.repeats)
    }

    /// `ran_quiet(i, &ran_record(at))` (a plain run's node that ended in the poll that
    /// started it, `Driver::start_quiet`, and a fused segment's nodes) leaves exactly
    /// what `ran(.., i, at, at, quiet)` leaves, the `write` of that record, from every
    /// state the other writes of a run reach: successes at other times (new runs of
    /// repeats), nodes left running, a fused chain's range, a failure (`failed`'s
    /// entry), and a lane's reset. Random sequences of 16 writes over 6 nodes, half of
    /// them to the next entry.
    #[test]
    fn ran_quiet_writes_what_ran_writes() {
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut repeats_seen = 0;
        for _ in 0..20_000 {
            let mut quiet = Statuses::new(&NAMES_REF);
            let mut each = Statuses::new(&NAMES_REF);
            for _ in 0..16 {
                // Half the time the next entry (where repeats are made), else any.
                let i = if next(2) == 0 {
                    (quiet.reports.len() + quiet.repeats).min(NAMES.len() - 1)
                } else {
                    next(6) as usize
                };
                let at = Duration::from_micros(next(3));
                match next(8) {
                    0..=3 => {
                        quiet.ran_quiet(i, &Statuses::ran_record(at));
                        // `ran` with `now == at`, less what a quiet run skips.
                        each.write(
                            i,
                            NodeRecord {
                                status: NodeStatus::Succeeded,
                                attempts: 1,
                                started: NodeRecord::nanos(at),
                                duration: 0,
                            },
                        );
                    }
                    4 => {
                        quiet.started_report(i, at);
                        each.started_report(i, at);
                    }
                    5 => {
                        let end = (i + next(4) as usize).min(NAMES.len());
                        let ran = Statuses::ran_record(at);
                        quiet.ran_range(i..end, &ran);
                        each.ran_range(i..end, &ran);
                    }
                    6 => {
                        for s in [&mut quiet, &mut each] {
                            let entry = s.entry(i);
                            entry.status = NodeStatus::Failed;
                            entry.attempts = 1;
                        }
                    }
                    _ => {
                        quiet.reset();
                        each.reset();
                    }
                }
                repeats_seen += usize::from(quiet.repeats > 1);
                assert_eq!(held(&quiet), held(&each));
            }
            assert_eq!(quiet.reports(), each.reports());
        }
        // The sequences reached runs of repeats, the case `ran_quiet` tests first.
        assert!(repeats_seen > 1_000, "{repeats_seen}");
    }
}
