//! [`RunShared`]: the state the nodes of one run share with its driver.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

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
    /// Per node, the latest attempt whose call was polled (0: none). Written only by
    /// nodes whose fn may not run when they are started (spawned, behind the runtime's
    /// node limit, with policies), so that a node stopped before its fn ran is not
    /// reported as having run. Allocated on first use: a run of inline nodes pays nothing.
    attempts_made: OnceLock<Box<[AtomicU32]>>,
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
            attempts_made: OnceLock::new(),
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

    /// Notes that node `node`'s attempt `attempt` has called its fn (its call was polled).
    pub(crate) fn note_attempt(&self, node: usize, attempt: u32) {
        let made = self
            .attempts_made
            .get_or_init(|| self.nodes.iter().map(|_| AtomicU32::new(0)).collect());
        made[node].store(attempt, Ordering::Relaxed);
    }

    /// The latest attempt of `node` whose fn was called, as noted by
    /// [`note_attempt`](Self::note_attempt); 0 when none was.
    pub(crate) fn attempts_made(&self, node: usize) -> u32 {
        self.attempts_made
            .get()
            .map_or(0, |made| made[node].load(Ordering::Relaxed))
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
