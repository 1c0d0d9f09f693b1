//! A live run: its snapshot for monitors, its report so far, its running children.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use std::time::Duration;

use super::RunShared;
use crate::error::NodeName;
use crate::run::{
    NodeReport, NodeReports, NodeStatus, RunReport, RunSnapshot, SnapshotChildNode, SnapshotNode,
};

use super::children::{last_of_each, ChildReport};
use crate::sync::lock;
use crate::trace::{ExecutionTrace, TraceKind, TraceRecorder};

impl RunShared {
    /// A picture of the run for monitors: node states, waits and the trace so far.
    pub(crate) fn snapshot(&self) -> RunSnapshot {
        let waits = crate::shared::waits::waiting_on(self);
        let statuses = self
            .live
            .as_ref()
            .map(|l| lock(l).clone())
            .unwrap_or_default();
        RunSnapshot {
            workflow: self.workflow,
            run_id: self.run_id,
            harness_number: None,
            elapsed: self.started.elapsed(),
            nodes: self
                .nodes
                .iter()
                .enumerate()
                .map(|(i, spec)| SnapshotNode {
                    name: spec.name,
                    status: statuses.get(i).copied().unwrap_or(NodeStatus::NotStarted),
                    waits_for: waits.get(&i).cloned(),
                })
                .collect(),
            children: self.child_snapshots(),
            trace: self.trace.as_deref().map(TraceRecorder::snapshot),
            retrying: self.retry_waits_noted(),
        }
    }

    /// The run's report so far (a cold path, for [`RunHandle::report_so_far`]): each
    /// node as it stands now (`Running` for one in flight), the reports of its finished
    /// child runs and the nodes of those still going, in report order. Attempts, start
    /// times and durations come from the trace when the run is traced; otherwise a
    /// started node counts one attempt (or those noted) and has no times.
    ///
    /// [`RunHandle::report_so_far`]: crate::RunHandle::report_so_far
    #[cold]
    pub(crate) fn report_so_far(&self) -> RunReport {
        let trace = self.trace.as_deref().map(TraceRecorder::snapshot);
        let now = self.started.elapsed();
        let traced = trace.as_ref().map(TracedNodes::of).unwrap_or_default();
        let nodes = self.nodes_so_far(&traced, now);
        let nodes = self.with_traced_children(nodes, &traced, now);
        RunReport {
            workflow: self.workflow,
            run_id: self.run_id,
            durable_run: self.durable_run,
            duration: now,
            nodes: NodeReports::from(nodes),
        }
    }

    /// `nodes` with the nodes of child runs that only the trace knows of yet (a
    /// fan-out keeps its finished items' reports until it ends), each after the nodes
    /// of the binding that ran it, items in order.
    fn with_traced_children(
        &self,
        nodes: Vec<NodeReport>,
        traced: &TracedNodes<'_>,
        now: Duration,
    ) -> Vec<NodeReport> {
        let known: std::collections::HashSet<&str> = nodes.iter().map(|n| &*n.name).collect();
        let order: Vec<&str> = traced
            .order
            .iter()
            .copied()
            .filter(|name| name.contains(['.', '[']) && !known.contains(name))
            .collect();
        let seen = &traced.nodes;
        if order.is_empty() {
            return nodes;
        }
        // The binding of this run a path starts with (`naps` in `naps[3].n`).
        let root = |name: &str| name.split(['.', '[']).next().unwrap_or(name).to_owned();
        // A fan-out's body has no plan in its node's spec: its items' fns are those of
        // the items the report has (`naps[3].n` is a `naps[_].n`).
        let without_items = |name: &str| {
            let mut out = String::with_capacity(name.len());
            let mut in_index = false;
            for c in name.chars() {
                match c {
                    '[' => in_index = true,
                    ']' => in_index = false,
                    c if !in_index => out.push(c),
                    _ => {}
                }
            }
            out
        };
        let fns: std::collections::HashMap<String, &'static str> = nodes
            .iter()
            .filter(|n| n.name.contains('['))
            .map(|n| (without_items(&n.name), n.node_fn))
            .collect();
        let node_fn = |name: &str| match self.node_fn_at(name) {
            "" => fns.get(&without_items(name)).copied().unwrap_or(""),
            found => found,
        };
        let mut extra: Vec<NodeReport> = order
            .into_iter()
            .map(|name| {
                let s = &seen[name];
                NodeReport {
                    name: NodeName::Owned(name.to_owned()),
                    node_fn: node_fn(name),
                    status: s.status,
                    attempts: s.attempts,
                    duration: s.duration(now),
                    started_at: s.started_at,
                }
            })
            .collect();
        let mut out = Vec::with_capacity(nodes.len() + extra.len());
        let mut group: Vec<NodeReport> = Vec::new();
        let flush = |group: &mut Vec<NodeReport>,
                     extra: &mut Vec<NodeReport>,
                     out: &mut Vec<NodeReport>| {
            let Some(first) = group.first() else { return };
            let binding = root(&first.name);
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(extra)
                .into_iter()
                .partition(|n| root(&n.name) == binding);
            *extra = rest;
            let head = group.remove(0);
            group.extend(mine);
            group.sort_by_key(|n| item_of(&n.name));
            out.push(head);
            out.append(group);
        };
        for node in nodes {
            if !node.name.contains(['.', '[']) {
                flush(&mut group, &mut extra, &mut out);
            }
            group.push(node);
        }
        flush(&mut group, &mut extra, &mut out);
        out.append(&mut extra);
        out
    }

    /// The `#[node]` fn of the node at `path` (`naps[3].n`, `report.layout`), found
    /// through the plans of the bindings along it; `""` if the path names none.
    fn node_fn_at(&self, path: &str) -> &'static str {
        let mut nodes = self.nodes;
        let mut found = "";
        for part in path.split('.') {
            let binding = part.split('[').next().unwrap_or(part);
            let Some(spec) = nodes.iter().find(|n| n.name == binding) else {
                return "";
            };
            found = spec.node_fn;
            nodes = spec.child.map_or(&[], |plan| plan.nodes);
        }
        found
    }

    /// [`report_so_far`](Self::report_so_far)'s nodes of this run and of its children.
    /// `now`: the time since the root run started, the trace's clock.
    fn nodes_so_far(&self, traced: &TracedNodes<'_>, now: Duration) -> Vec<NodeReport> {
        let statuses = self
            .live
            .as_ref()
            .map(|l| lock(l).clone())
            .unwrap_or_default();
        let own = self.nodes.iter().enumerate().map(|(i, spec)| {
            let name = self.node_name(i);
            let status = statuses.get(i).copied().unwrap_or(NodeStatus::NotStarted);
            let started = matches!(
                status,
                NodeStatus::Running
                    | NodeStatus::Succeeded
                    | NodeStatus::Failed
                    | NodeStatus::Cancelled
            );
            let seen = traced.nodes.get(&*name);
            let attempts = match (seen.map_or(0, |s| s.attempts), started) {
                (0, true) => self.attempts_made(i).max(1),
                (traced, _) => traced,
            };
            NodeReport {
                duration: seen.map_or(Duration::ZERO, |s| s.duration(now)),
                started_at: seen.and_then(|s| s.started_at),
                name,
                node_fn: spec.node_fn,
                status,
                attempts,
            }
        });
        // Keyed by node and item: a fan-out's items in order, whether finished or live.
        let mut children: Vec<((usize, usize), Vec<NodeReport>)> = Vec::new();
        if self.has_child_reports.load(Ordering::Acquire) {
            let finished: Vec<ChildReport> = lock(&self.child_reports)
                .iter()
                .map(|c| ChildReport {
                    key: c.key,
                    nodes: c.nodes.clone(),
                })
                .collect();
            children.extend(last_of_each(finished).into_iter().map(|c| (c.key, c.nodes)));
        }
        // A fan-out's finished items (its lanes show only the items they run now),
        // then the live child runs' nodes that are not among them (a lane whose item
        // just finished still shows it until it starts the next).
        let mut finished_items = std::collections::HashSet::new();
        for (node, items) in self.feeds_so_far() {
            for (item, nodes) in items {
                finished_items.extend(nodes.iter().map(|n| n.name.clone()));
                children.push(((node, item), nodes));
            }
        }
        for (child, _) in self.live_child_runs() {
            let mut nodes = child.nodes_so_far(traced, now);
            nodes.retain(|n| !finished_items.contains(&n.name));
            let item = match child.item.load(Ordering::Relaxed) {
                super::NO_ITEM => child.child_item.load(Ordering::Relaxed),
                item => item,
            };
            children.push(((child.parent_node, item), nodes));
        }
        // Stable: each node's child runs by item (a sub-workflow's, `NO_ITEM`, last).
        children.sort_by_key(|(key, _)| *key);
        let mut children = children.into_iter().peekable();
        let mut out = Vec::with_capacity(self.nodes.len());
        for (i, report) in own.enumerate() {
            out.push(report);
            while let Some((_, nodes)) = children.next_if(|((node, _), _)| *node == i) {
                out.extend(nodes);
            }
        }
        out
    }

    /// The running nodes of the live child runs below this run's node `node` (a fan-out
    /// or sub-workflow node), innermost and by path (`items[2].x`, not `items`): what a
    /// stall report names for a node that is not in a tracked wait. Empty when the run
    /// keeps no live states (it is neither monitored nor stall-watched).
    #[cold]
    pub(crate) fn running_children_under(&self, node: usize) -> Vec<NodeName> {
        let mut out = Vec::new();
        for (child, statuses) in self.live_child_runs() {
            if child.parent_node != node {
                continue;
            }
            for (i, status) in statuses.into_iter().enumerate() {
                if status != NodeStatus::Running {
                    continue;
                }
                let below = child.running_children_under(i);
                if below.is_empty() {
                    out.push(child.node_name(i));
                } else {
                    out.extend(below);
                }
            }
        }
        out
    }

    /// The finished items of this run's fan-outs in flight, each with its node.
    #[allow(clippy::type_complexity)]
    fn feeds_so_far(&self) -> Vec<(usize, Vec<(usize, Vec<NodeReport>)>)> {
        let feeds: Vec<Arc<dyn super::FinishedItems>> = lock(&self.live_feeds)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        feeds
            .into_iter()
            .map(|feed| feed.finished_so_far())
            .filter(|(_, items)| !items.is_empty())
            .collect()
    }

    /// The child runs alive now that keep live states, with their node states.
    fn live_child_runs(&self) -> Vec<(Arc<RunShared>, Vec<NodeStatus>)> {
        let children: Vec<Arc<RunShared>> = lock(&self.live_children)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        children
            .into_iter()
            .filter_map(|child| {
                let statuses = lock(child.live.as_ref()?).clone();
                Some((child, statuses))
            })
            .collect()
    }

    /// The nodes of the child runs alive now (and of theirs), named by their paths.
    fn child_snapshots(&self) -> Vec<SnapshotChildNode> {
        let mut out = Vec::new();
        for (child, statuses) in self.live_child_runs() {
            let waits = crate::shared::waits::waiting_on(&child);
            out.extend(
                statuses
                    .iter()
                    .enumerate()
                    .map(|(i, &status)| SnapshotChildNode {
                        name: child.node_name(i),
                        status,
                        waits_for: waits.get(&i).cloned(),
                    }),
            );
            out.extend(child.child_snapshots());
        }
        out
    }
}

/// What a run's trace says of each node, read in one pass (for a report so far).
#[derive(Default)]
struct TracedNodes<'a> {
    /// The nodes in the order the trace first names them.
    order: Vec<&'a str>,
    nodes: std::collections::HashMap<&'a str, TracedNode>,
}

/// One node as the trace tells it: attempts started, first start, end, last state.
struct TracedNode {
    started_at: Option<Duration>,
    ended_at: Option<Duration>,
    attempts: u32,
    status: NodeStatus,
}

impl TracedNode {
    /// From its first start to its end, or to `now` if it has not ended.
    fn duration(&self, now: Duration) -> Duration {
        self.started_at.map_or(Duration::ZERO, |at| {
            self.ended_at.unwrap_or(now).saturating_sub(at)
        })
    }
}

impl<'a> TracedNodes<'a> {
    fn of(trace: &'a ExecutionTrace) -> Self {
        let mut out = TracedNodes::default();
        for event in &trace.events {
            let Some(name) = event.node.as_deref() else {
                continue;
            };
            let entry = out.nodes.entry(name).or_insert_with(|| {
                out.order.push(name);
                TracedNode {
                    started_at: None,
                    ended_at: None,
                    attempts: 0,
                    status: NodeStatus::NotStarted,
                }
            });
            entry.status = match &event.kind {
                TraceKind::Started { .. } => {
                    entry.attempts += 1;
                    entry.started_at.get_or_insert(event.at);
                    NodeStatus::Running
                }
                TraceKind::Completed { .. } => NodeStatus::Succeeded,
                TraceKind::Failed { .. } => NodeStatus::Failed,
                TraceKind::Cancelled => NodeStatus::Cancelled,
                TraceKind::Skipped => NodeStatus::Skipped,
                TraceKind::Restored => NodeStatus::Restored,
                TraceKind::NotTaken => NodeStatus::NotTaken,
                _ => continue,
            };
            if matches!(
                entry.status,
                NodeStatus::Succeeded | NodeStatus::Failed | NodeStatus::Cancelled
            ) {
                entry.ended_at.get_or_insert(event.at);
            }
        }
        out
    }
}

/// The item index a node's path starts with (`3` in `naps[3].n`), for ordering a
/// fan-out's items; `None` (first) for a path without one.
fn item_of(path: &str) -> Option<usize> {
    let (_, rest) = path.split_once('[')?;
    rest.split_once(']')?.0.parse().ok()
}
