//! The reports of a run's child runs (fan-out items, sub-workflows): kept as they end
//! (or, for a whole child run dropped before it ended, what it stopped), merged into the
//! parent's report after the node that ran them.

use std::sync::atomic::Ordering;

use super::RunShared;
use crate::error::NodeName;
use crate::run::{NodeReport, NodeReports, NodeStatus};
use crate::sync::lock;
use crate::trace::TraceKind;

/// The item of a run that is not a fan-out's lane.
pub(super) const NO_ITEM: usize = usize::MAX;

/// The node reports of one child run, already named by their paths.
pub(super) struct ChildReport {
    /// The node of this run that ran the child, and the child's item (`usize::MAX` for a
    /// sub-workflow): the report's order.
    pub(super) key: (usize, usize),
    pub(super) nodes: Vec<NodeReport>,
}

/// The child reports in report order, one per key: a retried node ran its children
/// again, so only its last attempt's reports are kept (the sort is stable: they come last
/// among their key), each node with the attempts of the earlier runs of the same path
/// added, since every call counts (`s.f` called twice in each of three runs of `s`: 6).
pub(super) fn last_of_each(mut children: Vec<ChildReport>) -> Vec<ChildReport> {
    children.sort_by_key(|c| c.key);
    let mut kept: Vec<ChildReport> = Vec::with_capacity(children.len());
    for child in children {
        match kept.last_mut() {
            Some(last) if last.key == child.key => {
                let earlier = std::mem::replace(&mut last.nodes, child.nodes);
                let mut attempts: std::collections::HashMap<NodeName, u32> = earlier
                    .into_iter()
                    .filter(|n| n.attempts > 0)
                    .map(|n| (n.name, n.attempts))
                    .collect();
                if attempts.is_empty() {
                    continue;
                }
                for n in &mut last.nodes {
                    if let Some(a) = attempts.remove(&n.name) {
                        n.attempts += a;
                    }
                }
            }
            _ => kept.push(child),
        }
    }
    kept
}

impl RunShared {
    /// The item of its parent's node this child run is (see `child_item`).
    pub(crate) fn set_child_item(&self, item: usize) {
        self.child_item.store(item, Ordering::Relaxed);
    }

    /// A whole child run (a sub-workflow or fan-out item with policies of its own) whose
    /// future is dropped before it ended: its node's own timeout fired, or its parent
    /// was dropped. Tells the parent what it stopped, as a child run that ends does
    /// (`RunShared::add_child_report`): its nodes in flight cancelled, those not started
    /// skipped, in the report and the trace, so that the node's timeout names them
    /// (`still running: s.inner`) and the run's report lists them. Such a run keeps live
    /// node states for this (see `RunShared::new`); without them, nothing to say.
    #[cold]
    #[inline(never)]
    pub(crate) fn report_dropped_child(&self) {
        let Some(parent) = &self.parent else {
            return;
        };
        if self.live.is_none() {
            return;
        }
        let mut nodes = self.report_so_far().nodes.into_vec();
        for n in &mut nodes {
            let kind = match n.status {
                NodeStatus::Running => {
                    n.status = NodeStatus::Cancelled;
                    TraceKind::Cancelled
                }
                NodeStatus::NotStarted => {
                    n.status = NodeStatus::Skipped;
                    TraceKind::Skipped
                }
                _ => continue,
            };
            self.record_named(n.name.clone(), kind);
        }
        parent.add_child_report(
            self.parent_node,
            self.child_item.load(Ordering::Relaxed),
            nodes,
        );
    }

    /// Takes the reports of child runs started since the last call (a lane's item's
    /// sub-workflows and nested fan-outs), each with the node that ran it.
    pub(crate) fn take_child_reports(&self) -> Vec<(usize, Vec<NodeReport>)> {
        if !self.has_child_reports.load(Ordering::Acquire)
            || !self.has_child_reports.swap(false, Ordering::Acquire)
        {
            return Vec::new();
        }
        let children = std::mem::take(&mut *lock(&self.child_reports));
        if children.is_empty() {
            return Vec::new();
        }
        last_of_each(children)
            .into_iter()
            .map(|c| (c.key.0, c.nodes))
            .collect()
    }

    /// Keeps the reports of a child run started by node `node` (item `item` of a fan-out,
    /// `usize::MAX` for a sub-workflow) for this run's report.
    pub(crate) fn add_child_report(&self, node: usize, item: usize, nodes: Vec<NodeReport>) {
        lock(&self.child_reports).push(ChildReport {
            key: (node, item),
            nodes,
        });
        self.has_child_reports.store(true, Ordering::Release);
    }

    /// The nodes of node `node`'s child runs (a sub-workflow's, a fan-out's items') that
    /// were stopped while running, by path (`front.html`, `thumbs[3].img`), as their
    /// runs reported them so far: what a stopped run's error names in place of the node
    /// that ran them (a cold path).
    pub(crate) fn cancelled_children(&self, node: usize) -> Vec<NodeName> {
        if !self.has_child_reports.load(Ordering::Acquire) {
            return Vec::new();
        }
        let reports = lock(&self.child_reports);
        let of_node: Vec<&ChildReport> = reports.iter().filter(|c| c.key.0 == node).collect();
        // A retried node ran its children again: only its last attempt's count.
        let cancelled: Vec<NodeName> = of_node
            .iter()
            .enumerate()
            .filter(|(at, c)| of_node[at + 1..].iter().all(|later| later.key != c.key))
            .flat_map(|(_, c)| &c.nodes)
            .filter(|n| n.status == NodeStatus::Cancelled)
            .map(|n| n.name.clone())
            .collect();
        // A child's node that ran a child run of its own (`deep.inner` running
        // `deep.inner.f`) is named by its stopped nodes only, as this run's own are.
        let runs_children = |name: &str| {
            cancelled.iter().any(|other| {
                other
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
        };
        cancelled
            .iter()
            .filter(|n| !runs_children(n))
            .cloned()
            .collect()
    }

    /// This run's node reports (`own`, one per node of its plan, by index) with the
    /// reports of its child runs after the node that ran them, items in order. In a
    /// child run, its own nodes are renamed to their paths.
    ///
    /// Inlined for a root run without children (most runs): their reports are `own`,
    /// with no call (~25 instructions a run, issue 17).
    #[inline]
    pub(crate) fn merge_reports(&self, own: NodeReports) -> NodeReports {
        if self.path.is_none() && !self.has_child_reports.load(Ordering::Acquire) {
            return own;
        }
        NodeReports::from(self.merge_child_reports(own.into_vec()))
    }

    /// [`merge_reports`](Self::merge_reports) of a child run, or of a run with children.
    #[inline(never)]
    fn merge_child_reports(&self, mut own: Vec<NodeReport>) -> Vec<NodeReport> {
        if let Some(path) = &self.path {
            for r in &mut own {
                r.name = NodeName::Owned(format!("{path}.{}", r.name));
            }
        }
        // No lock for a run without children (every child's report sets the flag).
        if !self.has_child_reports.load(Ordering::Acquire) {
            return own;
        }
        let children = std::mem::take(&mut *lock(&self.child_reports));
        if children.is_empty() {
            return own;
        }
        let mut children = last_of_each(children);
        if let [only] = children.as_mut_slice() {
            // One child (a fan-out's items, thousands of entries): the report is built
            // in its vector, which has room for this run's own entries.
            let at = (only.key.0 + 1).min(own.len());
            let mut out = std::mem::take(&mut only.nodes);
            out.splice(0..0, own.drain(..at));
            out.append(&mut own);
            return out;
        }
        let total = own.len() + children.iter().map(|c| c.nodes.len()).sum::<usize>();
        let mut out = Vec::with_capacity(total);
        let mut children = children.into_iter().peekable();
        for (i, report) in own.into_iter().enumerate() {
            out.push(report);
            while let Some(child) = children.next_if(|c| c.key.0 == i) {
                out.extend(child.nodes);
            }
        }
        out
    }
}
