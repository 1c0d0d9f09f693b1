//! The report of a deadlock ([`WorkflowError::Deadlock`]): which nodes waited, on what,
//! and the cycle when keys name nodes.

use std::fmt;
use std::time::Duration;

use super::*;

/// Which nodes of a run wait, and on what, when a deadlock is declared
/// ([`WorkflowError::Deadlock`]).
///
/// A node blocked in a tracked wait ([`Context::wait`](crate::Context::wait)) is listed
/// with its key; a node stuck elsewhere, found by the stall limit, as running, by its
/// path inside a fan-out item or sub-workflow (`thumbs[2].img`).
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
///
/// #[node]
/// async fn relay(from: &'static str, ctx: &Context) -> Result<u32, WaitError> {
///     let v: u32 = ctx.wait(from).await?;
///     ctx.publish(ctx.node(), v + 1);
///     Ok(v)
/// }
///
/// workflow! {
///     struct Ring {
///         input x: &'static str,
///         input y: &'static str,
///         a = relay(from: y), // waits for `b`
///         b = relay(from: x), // waits for `a`
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = Runtime::new().execute(Ring, RingInput { x: "a", y: "b" }).await.unwrap_err();
/// let WorkflowError::Deadlock { report, .. } = &err else { panic!("{err}") };
/// assert_eq!(report.kind, DeadlockKind::AllWaiting);
/// assert_eq!(report.waiting.len(), 2);
/// let cycle: Vec<&str> = report.cycle.iter().flatten().map(|s| s.as_str()).collect();
/// assert_eq!(cycle, ["a", "b", "a"]);
/// assert_eq!(
///     report.to_string(),
///     "every live node is blocked in a tracked wait: `a` waits for `b`, `b` waits for `a` (cycle: a -> b -> a)"
/// );
/// # }
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadlockReport {
    /// How the deadlock was found.
    pub kind: DeadlockKind,
    /// Every node that was live, with what it waited for (if it was in a tracked wait).
    pub waiting: Vec<WaitingNode>,
    /// A wait-for cycle, when keys name nodes: `["task1", "task2", "task1"]`. A key names
    /// a binding as the waiter's own workflow sees it, so in a sub-workflow or fan-out
    /// item the cycle is of paths: `["inner.ping", "inner.pong", "inner.ping"]`.
    pub cycle: Option<Vec<String>>,
    /// Nodes whose inputs were ready but which had not started, held back by the run's
    /// concurrency limit (`#[workflow(sequential)]`, `concurrency = N`,
    /// [`RunOptions::concurrency`](crate::RunOptions::concurrency)): the limit is part of
    /// the deadlock, as when the running node waits for a value one of these would
    /// publish. Empty without a limit.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub held_back: Vec<NodeName>,
}

/// How a deadlock was detected.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadlockKind {
    /// Every live node was blocked in a tracked wait (found at once).
    AllWaiting,
    /// No node made progress for the stall limit (`#[workflow(deadlock = ..)]`,
    /// [`RunOptions::deadlock`](crate::RunOptions::deadlock)). A node that is merely
    /// slower than the limit is reported this way too, so the limit must be above the
    /// slowest node's time.
    Stalled(Duration),
}

/// A live node at the time a deadlock was declared.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitingNode {
    /// The node binding; in a sub-workflow or fan-out item, its path in the root run
    /// (`report.layout`, `thumbs[3].img`).
    pub node: NodeName,
    /// The key of the tracked wait it was blocked in, if any.
    pub waits_for: Option<String>,
    /// When the key is the name of a node of the run that had already ended without
    /// publishing it, how that node ended, as
    /// [`NodeStatus::as_str`](crate::NodeStatus::as_str) says it (`"failed"`,
    /// `"succeeded"`, `"skipped"`, `"not taken"`, `"restored"`, `"cancelled"`): nothing
    /// will publish the key, which is most often the deadlock's cause (the node failed
    /// under `failure = "continue"`, published under another key, or was restored by a
    /// resumed durable run, which does not run it). `{}` of the report says so: ``
    /// `w` waits for `p` (nothing will publish it: node `p` failed)``. `None` otherwise.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub publisher_ended: Option<&'static str>,
}

/// How the deadlock was found, as [`DeadlockReport`]'s `{}` starts.
///
/// ```
/// use std::time::Duration;
/// use workflow_core::DeadlockKind;
///
/// assert_eq!(
///     DeadlockKind::AllWaiting.to_string(),
///     "every live node is blocked in a tracked wait"
/// );
/// assert_eq!(
///     DeadlockKind::Stalled(Duration::from_millis(300)).to_string(),
///     "no node made progress for 300ms"
/// );
/// ```
impl fmt::Display for DeadlockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AllWaiting => f.write_str("every live node is blocked in a tracked wait"),
            Self::Stalled(d) => write!(f, "no node made progress for {d:?}"),
        }
    }
}

impl fmt::Display for DeadlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)?;
        for (i, w) in self.waiting.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { ", " })?;
            match &w.waits_for {
                Some(key) => {
                    write!(f, "`{}` waits for `{key}`", w.node)?;
                    if let Some(status) = w.publisher_ended {
                        let how = match status {
                            "succeeded" => "succeeded without publishing it",
                            "skipped" => "was skipped (a node it depends on failed)",
                            "not taken" => "is in an arm the run did not take",
                            "restored" => {
                                "was restored from the store, and a restored node does not run"
                            }
                            "cancelled" => "was cancelled",
                            other => other,
                        };
                        write!(f, " (nothing will publish it: node `{key}` {how})")?;
                    }
                }
                None => write!(f, "`{}` is running", w.node)?,
            }
        }
        if let Some(cycle) = &self.cycle {
            write!(f, " (cycle: {})", cycle.join(" -> "))?;
        }
        for (i, node) in self.held_back.iter().enumerate() {
            f.write_str(if i == 0 {
                "; held back by the concurrency limit, not started: "
            } else {
                ", "
            })?;
            write!(f, "`{node}`")?;
        }
        Ok(())
    }
}
