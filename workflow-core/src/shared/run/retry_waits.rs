//! The nodes of a run tree waiting between two attempts, noted in its root run, which a
//! timeout or cancellation that stops them names.

use std::time::Duration;

use tokio::time::Instant;

use super::RunShared;
use crate::error::{RetryWait, WorkflowError};

use crate::sync::lock;

impl RunShared {
    /// The root run of this run's tree (this run, if it has no parent).
    fn root(&self) -> &RunShared {
        let mut run = self;
        while let Some(parent) = &run.parent {
            run = parent;
        }
        run
    }

    /// Node `node`'s attempt `attempt` failed with `error`, and the node now waits
    /// `delay` before its next attempt: noted in the root run under the node's path
    /// (see [`RunShared::retry_waits`]). Cold: only a retry gets here.
    #[cold]
    pub(crate) fn note_retry_wait(
        &self,
        node: usize,
        attempt: u32,
        delay: Duration,
        error: String,
    ) {
        let name = self.node_name(node);
        let due = crate::sync::deadline_after(delay);
        let mut waits = lock(self.root().retry_waits.get_or_init(Box::default));
        waits.waits.retain(|n| n.wait.node != name);
        waits.waits.push(NotedWait {
            wait: RetryWait {
                node: name,
                attempt,
                error,
                delay,
            },
            due,
            stopped: false,
        });
    }

    /// Node `node` was stopped while it waited out a retry's backoff (its attempt's
    /// future was dropped: a failing sibling's cancel, a `total_timeout`, the run's
    /// stop): it waits no longer, so a snapshot (`RunSnapshot::retrying`) and the stall
    /// timer stop counting it as progress. The wait stays noted, marked stopped, for
    /// the error of the run's end ([`name_retry_waits`](Self::name_retry_waits)) to say
    /// the node was waiting to retry. Cold: only a retry's backoff gets here.
    #[cold]
    pub(crate) fn stop_retry_wait(&self, node: usize) {
        if let Some(waits) = self.root().retry_waits.get() {
            let name = self.node_name(node);
            let mut waits = lock(waits);
            for noted in waits.waits.iter_mut().filter(|n| n.wait.node == name) {
                noted.stopped = true;
            }
        }
    }

    /// The latest retry progress of this run's tree: when a node waiting out a retry's
    /// backoff is due to begin its next attempt, or when the last such attempt began.
    /// The stall timer counts its limit from there, as from a node that finished: a
    /// backoff is progress the runtime has scheduled, not a stall. A wait whose node
    /// was stopped during it ([`stop_retry_wait`](Self::stop_retry_wait)) schedules
    /// nothing. Cold: only a stall timer that fired asks.
    #[cold]
    pub(crate) fn last_retry_progress(&self) -> Option<Instant> {
        let waits = lock(self.root().retry_waits.get()?);
        waits
            .waits
            .iter()
            .filter(|n| !n.stopped)
            .map(|n| n.due)
            .chain(waits.last_begun)
            .max()
    }

    /// The retry waits of this run's tree, for a snapshot (`RunSnapshot::retrying`):
    /// those of nodes still waiting, not of nodes stopped in their wait. Not filtered by
    /// time: a watchdog thread takes its picture of a run on a paused clock with the
    /// real clock's `now`, which says nothing of the run's.
    pub(super) fn retry_waits_noted(&self) -> Vec<RetryWait> {
        let Some(waits) = self.root().retry_waits.get() else {
            return Vec::new();
        };
        lock(waits)
            .waits
            .iter()
            .filter(|n| !n.stopped)
            .map(|n| n.wait.clone())
            .collect()
    }

    /// Node `node` begins an attempt: it waits no longer. Also at its first attempt, in
    /// case a node of the same path (in an earlier run of a retried sub-workflow or
    /// fan-out) was stopped while it waited. Nothing to do, a load, until a node of the
    /// run tree has waited to retry.
    #[inline]
    pub(crate) fn end_retry_wait(&self, node: usize) {
        if let Some(waits) = self.root().retry_waits.get() {
            let name = self.node_name(node);
            let mut waits = lock(waits);
            let before = waits.waits.len();
            waits.waits.retain(|n| n.wait.node != name);
            if waits.waits.len() < before {
                waits.last_begun = Some(Instant::now());
            }
        }
    }

    /// Adds to the timeouts and cancellations in `error` (in a [`WorkflowError::Multiple`]
    /// too) the nodes of their `running` that were waiting to retry when they were
    /// stopped, as [`note_retry_wait`](Self::note_retry_wait) noted them (stopped in
    /// their wait, as they were: [`stop_retry_wait`](Self::stop_retry_wait)). Cold: a
    /// run's error.
    #[cold]
    pub(crate) fn name_retry_waits(&self, error: &mut WorkflowError) {
        let Some(waits) = self.root().retry_waits.get() else {
            return;
        };
        fn add(error: &mut WorkflowError, waits: &[NotedWait]) {
            match error {
                WorkflowError::Timeout {
                    running, retrying, ..
                }
                | WorkflowError::Cancelled {
                    running, retrying, ..
                } => {
                    for name in running.iter() {
                        let noted = waits.iter().map(|n| &n.wait).find(|w| w.node == *name);
                        if let Some(wait) = noted.filter(|w| !retrying.contains(w)) {
                            retrying.push(wait.clone());
                        }
                    }
                }
                WorkflowError::Multiple { errors, .. } => {
                    errors.iter_mut().for_each(|e| add(e, waits));
                }
                WorkflowError::Store {
                    run_error: Some(e), ..
                } => add(e, waits),
                _ => {}
            }
        }
        add(error, &lock(waits).waits);
    }
}

/// The retry waits of a run tree ([`RunShared::note_retry_wait`]).
#[derive(Default)]
pub(crate) struct RetryWaits {
    /// The nodes waiting out a backoff, by path, and those stopped in their wait.
    waits: Vec<NotedWait>,
    /// When the last attempt after a backoff began.
    last_begun: Option<Instant>,
}

/// A node's wait between two attempts ([`RetryWaits`]).
struct NotedWait {
    wait: RetryWait,
    /// When its next attempt is due.
    due: Instant,
    /// The node was stopped during the wait ([`RunShared::stop_retry_wait`]): kept for
    /// the run's error, no longer waiting.
    stopped: bool,
}
