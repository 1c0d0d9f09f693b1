//! [`RunShared`]: the state the nodes of one run share with its driver.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::plan::NodeSpec;
use crate::run::{NodeStatus, RunSnapshot, SnapshotNode};
use crate::shared::RuntimeShared;
use crate::sync::lock;
use crate::trace::{TraceEvent, TraceKind, TraceRecorder};
use crate::waits::Waits;

/// State shared by the nodes of one run (one allocation per run).
pub(crate) struct RunShared {
    pub(crate) run_id: u64,
    pub(crate) workflow: &'static str,
    pub(crate) nodes: &'static [NodeSpec],
    pub(crate) started: Instant,
    pub(crate) cancel: CancellationToken,
    pub(crate) trace: Option<TraceRecorder>,
    pub(crate) runtime: Arc<RuntimeShared>,
    /// Published values and the nodes blocked in tracked waits for them.
    pub(crate) waits: Waits,
    /// The latest attempt started by each node that was retried (only written on the
    /// retry path, by the attempt's call when first polled), so a node cancelled
    /// mid-retry reports its attempts.
    retry_attempts: Mutex<HashMap<usize, u32>>,
    /// Live node statuses, kept only when someone (a test harness) monitors runs.
    /// Written by the executor's status writer only.
    live: Option<Mutex<Vec<NodeStatus>>>,
    /// A durable run's id in its store (`None`: not durable).
    pub(crate) durable_run: Option<i64>,
}

impl fmt::Debug for RunShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunShared")
            .field("workflow", &self.workflow)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

impl RunShared {
    pub(crate) fn new(
        run_id: u64,
        started: Instant,
        workflow: &'static str,
        nodes: &'static [NodeSpec],
        cancel: CancellationToken,
        trace: bool,
        runtime: Arc<RuntimeShared>,
    ) -> Self {
        let monitored = runtime.is_monitored();
        Self {
            run_id,
            workflow,
            nodes,
            started,
            cancel,
            trace: trace.then(|| TraceRecorder::new(workflow, run_id)),
            runtime,
            waits: Waits::default(),
            retry_attempts: Mutex::new(HashMap::new()),
            live: monitored.then(|| Mutex::new(vec![NodeStatus::NotStarted; nodes.len()])),
            durable_run: None,
        }
    }

    /// Records a trace event if the run is traced. Off the trace, this is one branch.
    #[inline]
    pub(crate) fn record(&self, node: Option<usize>, kind: TraceKind) {
        if let Some(trace) = &self.trace {
            self.push_event(trace, node, kind);
        }
    }

    /// Like [`record`](Self::record), for events whose data costs something to build
    /// (strings): `kind` runs only when the run is traced.
    #[inline]
    pub(crate) fn record_with(&self, node: Option<usize>, kind: impl FnOnce() -> TraceKind) {
        if let Some(trace) = &self.trace {
            self.push_event(trace, node, kind());
        }
    }

    #[cold]
    fn push_event(&self, trace: &TraceRecorder, node: Option<usize>, kind: TraceKind) {
        trace.push(TraceEvent {
            at: self.started.elapsed(),
            node: node.map(|i| self.nodes[i].name),
            kind,
        });
    }

    /// Sets node `node`'s live status (for monitors). Only the status writer calls this.
    #[inline]
    pub(crate) fn set_live(&self, node: usize, status: NodeStatus) {
        if let Some(live) = &self.live {
            lock(live)[node] = status;
        }
    }

    /// Notes that node `node` started attempt `attempt` (> 1).
    pub(crate) fn note_retry(&self, node: usize, attempt: u32) {
        lock(&self.retry_attempts).insert(node, attempt);
    }

    /// Attempts node `node` started so far, as far as the run knows: the latest retry
    /// it started, or 1.
    pub(crate) fn attempts_started(&self, node: usize) -> u32 {
        lock(&self.retry_attempts).get(&node).copied().unwrap_or(1)
    }

    /// A picture of the run for monitors: node states, waits and the trace so far.
    pub(crate) fn snapshot(&self) -> RunSnapshot {
        let waits = self.waits.waiting_on();
        let statuses = self
            .live
            .as_ref()
            .map(|l| lock(l).clone())
            .unwrap_or_default();
        RunSnapshot {
            workflow: self.workflow,
            run_id: self.run_id,
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
            trace: self.trace.as_ref().map(TraceRecorder::snapshot),
        }
    }
}
