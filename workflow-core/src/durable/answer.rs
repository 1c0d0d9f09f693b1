//! The run's timeout over a durable call's waits on its store. A durable call takes no
//! `RunOptions`: its run's timeout is the workflow's `#[workflow(timeout = ..)]`, and it
//! bounds the whole call, not only the run. Every answer the call waits for (creating,
//! reading, claiming, loading the run before it; its recorder's records and lease
//! renewals, and its end, after it) ends, at the latest, when that limit is up after the
//! call began, as a [`StoreError::NoAnswer`] naming the operation. A workflow without a
//! timeout waits as long as the store takes.
//!
//! The limit is up when both tokio's clock and the store's ([`Store::clock`], which its
//! leases are judged by) say so. In production they are the same time. On tokio's paused
//! clock they are not: tokio moves its clock to the next timer whenever no task can go
//! on, also while a store answers from a thread of its own (SQLite's writer) or a socket
//! (Postgres), so a timer alone would cut every such call of a paused-clock test at once.
//! When tokio's clock says the limit is up and the store's has not gone half of it, the
//! clocks disagree, and the call waits for the store's answer; a smaller difference
//! (clock adjustments) is waited out on tokio's clock.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::executor::Workflow;
use crate::store::{NodePath, RunId, Store, StoreError, Timestamp};

/// When a durable call stops waiting for its store: its run's timeout after the call
/// began, or never (a workflow without a timeout, or one past tokio's instants).
#[derive(Debug, Clone)]
pub(super) struct Deadline(Option<Limit>);

#[derive(Debug, Clone)]
struct Limit {
    /// The run's timeout.
    limit: Duration,
    /// When it is up on tokio's clock.
    at: Instant,
    /// When the call began on the store's clock.
    began: Timestamp,
    /// The store, for its clock.
    store: Arc<dyn Store>,
}

/// What a call waiting for its store waited for: the operation, the run, the node.
pub(super) type Waited = (&'static str, Option<RunId>, Option<NodePath>);

impl Deadline {
    /// The deadline of a durable call of `W` on `store` beginning now.
    pub(super) fn of<W: Workflow>(store: &Arc<dyn Store>) -> Self {
        Self(W::PLAN.policy.timeout.and_then(|limit| {
            Some(Limit {
                limit,
                at: Instant::now().checked_add(limit)?,
                began: store.clock().now(),
                store: Arc::clone(store),
            })
        }))
    }

    /// The store's `answer` to `operation` (about `run`), or its silence once the
    /// deadline passed.
    pub(super) async fn answer<T>(
        &self,
        operation: &'static str,
        run: Option<RunId>,
        answer: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.wait(answer, || (operation, run, None)).await?
    }

    /// `done`, or, once the deadline passed, the store's silence about what `waited`
    /// says. `done` is polled first, so a future that is ready is never cut.
    pub(super) async fn wait<T>(
        &self,
        done: impl Future<Output = T>,
        waited: impl FnOnce() -> Waited,
    ) -> Result<T, StoreError> {
        let Some(limit) = &self.0 else {
            return Ok(done.await);
        };
        let mut done = std::pin::pin!(done);
        let mut at = limit.at;
        loop {
            if let Ok(value) = tokio::time::timeout_at(at, done.as_mut()).await {
                return Ok(value);
            }
            // Up on tokio's clock: and on the store's?
            let gone = limit.store.clock().now().0.saturating_sub(limit.began.0);
            let gone = Duration::from_millis(u64::try_from(gone).unwrap_or(0));
            if gone >= limit.limit {
                let (operation, run, node) = waited();
                return Err(StoreError::NoAnswer {
                    operation,
                    run,
                    node,
                    limit: limit.limit,
                });
            }
            if gone < limit.limit / 2 {
                // The clocks disagree (tokio's is paused): the store's answer ends it.
                return Ok(done.await);
            }
            // A little behind (the store's clock was set back): the rest, on tokio's.
            at = Instant::now() + (limit.limit - gone) + Duration::from_millis(1);
        }
    }
}
