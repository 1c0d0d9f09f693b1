//! The types [`WorkflowError`]'s variants carry: what a timeout applied to, a node
//! waiting out a retry's backoff, what needed tokio.

use std::fmt;
use std::time::Duration;

use super::*;

/// A node that was waiting between two attempts (a retry's backoff) when a timeout
/// stopped it: [`WorkflowError::Timeout`]'s `retrying`. What the trace's
/// [`Retrying`](crate::trace::TraceKind::Retrying) event of that wait says, and the
/// report's entry agrees: the node is cancelled after `attempt` attempts.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use workflow_core::prelude::*;
///
/// #[node(retry(max = 3, backoff = "10s"))]
/// async fn fetch() -> Result<u32, std::io::Error> {
///     Err(std::io::Error::other("connection refused"))
/// }
///
/// workflow! {
///     #[workflow(timeout = "1s")]
///     struct Fetch {
///         f = fetch(),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let err = Runtime::new().execute(Fetch, FetchInput {}).await.unwrap_err();
/// let WorkflowError::Timeout { retrying, .. } = &err else { panic!("{err}") };
/// assert_eq!(retrying[0].node, "f");
/// assert_eq!(retrying[0].attempt, 1);
/// assert_eq!(retrying[0].error, "connection refused");
/// assert_eq!(retrying[0].delay, Duration::from_secs(10));
/// assert_eq!(
///     err.to_string(),
///     "the run of workflow `Fetch` timed out after 1s; \
///      waiting to retry: f (attempt 1 failed: connection refused)"
/// );
/// # });
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryWait {
    /// The node, by binding or, in a sub-workflow or fan-out item, by path.
    pub node: NodeName,
    /// The attempt that failed, from 1: the node had made this many.
    pub attempt: u32,
    /// Why that attempt failed (its error's `{}`, as the trace has it).
    pub error: String,
    /// The backoff it was waiting out before the next attempt.
    pub delay: Duration,
}

impl RetryWait {
    /// `attempt 2 failed: <error>`, the trace's words.
    pub(super) fn failed(&self) -> impl fmt::Display + '_ {
        struct Failed<'a>(&'a RetryWait);
        impl fmt::Display for Failed<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "attempt {} failed: {}", self.0.attempt, self.0.error)
            }
        }
        Failed(self)
    }
}

/// What needs tokio in a run polled outside a tokio runtime
/// ([`WorkflowError::NeedsTokio`]).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokioNeed {
    /// A run timeout (`RunOptions::timeout`, `#[workflow(timeout = ..)]`): tokio's timer.
    RunTimeout,
    /// A stall limit (`RunOptions::deadlock`, `#[workflow(deadlock = ..)]`): tokio's
    /// timer.
    StallLimit,
    /// A `#[node(spawn)]` node: tokio's task spawner.
    Spawn,
    /// A node's timeout (`#[node(timeout = ..)]`, `retry(total_timeout = ..)`): tokio's
    /// timer.
    NodeTimeout,
    /// A non-zero `RunOptions::cancel_grace` of a run that stopped with nodes in flight:
    /// tokio's timer. Reported beside the error that stopped the run (in a
    /// [`WorkflowError::Multiple`]), and the nodes are dropped at once.
    CancelGrace,
    /// A node's retry with a backoff (`retry(backoff = ..)`), after a failed attempt:
    /// tokio's timer. The node ends with this error instead of waiting.
    RetryBackoff,
    /// A durable run (`start_durable`, `resume`, `recover`): the run is recorded by a
    /// tokio task. Refused before the store is touched.
    DurableRecording,
}

impl TokioNeed {
    /// What needs tokio, as a run's or a node's error says it ("run timeout (tokio's
    /// timer)"), and what to drop instead of running inside tokio ("the timeout").
    pub(crate) fn what_and_fix(self) -> (&'static str, &'static str) {
        match self {
            Self::RunTimeout => ("run timeout (tokio's timer)", "the timeout"),
            Self::StallLimit => ("stall limit (tokio's timer)", "the `deadlock` limit"),
            Self::Spawn => ("`spawn` (tokio's task spawner)", "`spawn` from the node"),
            Self::NodeTimeout => ("timeout (tokio's timer)", "the node's timeout"),
            Self::CancelGrace => (
                "`cancel_grace` (tokio's timer; it stopped with nodes in flight)",
                "the grace",
            ),
            Self::RetryBackoff => (
                "retry backoff (tokio's timer)",
                "the node's `backoff` (or its retries)",
            ),
            Self::DurableRecording => (
                "store (a durable run is recorded by a tokio task)",
                "the store (run it with `execute`)",
            ),
        }
    }
}

/// What a [`WorkflowError::Timeout`] applies to.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutScope {
    /// The whole run (`#[workflow(timeout = ..)]`).
    Workflow,
    /// One node (`#[node(timeout = ..)]` or a binding's `#[timeout = ..]`), by name or
    /// path.
    Node(NodeName),
}

impl fmt::Display for TimeoutScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Workflow => f.write_str("the run"),
            Self::Node(node) => write!(f, "node `{node}`"),
        }
    }
}
