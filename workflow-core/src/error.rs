//! Errors of a workflow run.

use std::fmt;
use std::time::Duration;

/// A boxed error as returned by a failing node: `Send + Sync + 'static`, so it can be
/// downcast back to the node's own error type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a run of a workflow did not produce its outputs.
///
/// Every variant names the workflow and, where one is to blame, the node. The error a
/// node returned is kept as the [`source`](std::error::Error::source) and can be
/// downcast to the node's own type with [`WorkflowError::downcast_ref`].
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("upstream said no")]
/// struct Refused;
///
/// #[node]
/// async fn ask() -> Result<u32, Refused> {
///     Err(Refused)
/// }
///
/// workflow! {
///     struct Ask {
///         answer = ask(),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let err = Runtime::new().execute(Ask, AskInput {}).await.unwrap_err();
/// assert_eq!(err.node(), Some("answer"));
/// assert!(err.downcast_ref::<Refused>().is_some());
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// A node returned an error (after its last attempt).
    #[error("node `{node}` of workflow `{workflow}` failed after {attempts} attempt(s): {source}")]
    NodeFailed {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that failed.
        node: &'static str,
        /// How many attempts were made.
        attempts: u32,
        /// The node's own error; downcast it with [`WorkflowError::downcast_ref`].
        #[source]
        source: BoxError,
    },
    /// A node panicked. The panic is contained; the runtime keeps working.
    #[error("node `{node}` of workflow `{workflow}` panicked: {message}")]
    NodePanicked {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that panicked.
        node: &'static str,
        /// The panic message (or a placeholder when the payload was not a string).
        message: String,
    },
    /// The workflow or one of its nodes ran out of time.
    #[error(
        "{scope} of workflow `{workflow}` timed out after {limit:?}; still running: {}",
        list(running)
    )]
    Timeout {
        /// The workflow.
        workflow: &'static str,
        /// What timed out: the whole run or one node.
        scope: TimeoutScope,
        /// The limit that was exceeded.
        limit: Duration,
        /// The nodes that were still running when time ran out (they were cancelled).
        running: Vec<&'static str>,
    },
    /// A node needs a resource that is not registered on the runtime. Reported before any
    /// node runs.
    #[error("node `{node}` of workflow `{workflow}` needs resource `{type_name}`, which is not registered; add it with `Runtime::builder().resource(..)`")]
    MissingResource {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that asked for the resource.
        node: &'static str,
        /// The resource type.
        type_name: &'static str,
    },
    /// A node needs `Res<T>`, but an `Arc<T>` was registered with `resource(..)`.
    #[error("node `{node}` of workflow `{workflow}` needs resource `{type_name}`, but an `Arc<{type_name}>` was registered; register it with `resource_arc(..)` so nodes receive it as `Res<{type_name}>`")]
    ResourceRegisteredAsArc {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that asked for the resource.
        node: &'static str,
        /// The resource type.
        type_name: &'static str,
    },
    /// The run cannot make progress: every running node waits on something no live node
    /// will provide, or nothing progressed for the stall limit.
    #[error("deadlock in workflow `{workflow}`: {report}")]
    Deadlock {
        /// The workflow.
        workflow: &'static str,
        /// Which nodes wait and on what.
        report: DeadlockReport,
    },
    /// The run was cancelled from outside (through its cancellation token).
    #[error(
        "run of workflow `{workflow}` was cancelled; still running: {}",
        list(running)
    )]
    Cancelled {
        /// The workflow.
        workflow: &'static str,
        /// The nodes that were running when the run was cancelled.
        running: Vec<&'static str>,
    },
    /// Several independent branches failed (only with `failure = "continue"`).
    #[error("{} nodes of workflow `{workflow}` failed: {}", errors.len(), join_errors(errors))]
    Multiple {
        /// The workflow.
        workflow: &'static str,
        /// Each failure, in the order it happened.
        errors: Vec<WorkflowError>,
    },
    /// The runtime was shut down before the run started.
    #[error("the runtime is shut down; workflow `{workflow}` was not started")]
    ShutDown {
        /// The workflow.
        workflow: &'static str,
    },
    /// A durable run's store failed, or a recorded value no longer decodes. Rows committed
    /// before the failure are intact: the run can be resumed once the cause is fixed.
    #[error("durable run {run} of workflow `{workflow}`{}: {source}", node.map_or(String::new(), |n| format!(", node `{n}`")))]
    Store {
        /// The workflow.
        workflow: &'static str,
        /// The durable run's id in its store (`0`: before the run was created).
        run: i64,
        /// The node whose record failed or does not decode, if one.
        node: Option<&'static str>,
        /// The store's error (a `store::StoreError`).
        #[source]
        source: BoxError,
    },
}

fn list(names: &[&'static str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn join_errors(errors: &[WorkflowError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl WorkflowError {
    /// The workflow this error comes from.
    pub fn workflow(&self) -> &'static str {
        match self {
            Self::NodeFailed { workflow, .. }
            | Self::NodePanicked { workflow, .. }
            | Self::Timeout { workflow, .. }
            | Self::MissingResource { workflow, .. }
            | Self::ResourceRegisteredAsArc { workflow, .. }
            | Self::Deadlock { workflow, .. }
            | Self::Cancelled { workflow, .. }
            | Self::Multiple { workflow, .. }
            | Self::ShutDown { workflow }
            | Self::Store { workflow, .. } => workflow,
        }
    }

    /// The node to blame, if one is: the node that failed, panicked, timed out or
    /// lacked a resource. For [`WorkflowError::Multiple`], the first failure's node.
    pub fn node(&self) -> Option<&'static str> {
        match self {
            Self::NodeFailed { node, .. }
            | Self::NodePanicked { node, .. }
            | Self::MissingResource { node, .. }
            | Self::ResourceRegisteredAsArc { node, .. } => Some(node),
            Self::Store { node, .. } => *node,
            Self::Timeout {
                scope: TimeoutScope::Node(node),
                ..
            } => Some(node),
            Self::Multiple { errors, .. } => errors.first().and_then(Self::node),
            _ => None,
        }
    }

    /// How many attempts the failed node made (1 without retries).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Self::NodeFailed { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    /// The node's own error, if a node returned one.
    pub fn node_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Self::NodeFailed { source, .. } => Some(source.as_ref()),
            Self::Multiple { errors, .. } => errors.iter().find_map(Self::node_error),
            _ => None,
        }
    }

    /// Downcasts the node's own error to `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.node_error().and_then(|e| e.downcast_ref::<E>())
    }

    /// Takes the node's own error out, downcast to `E`; gives `self` back otherwise.
    pub fn downcast<E: std::error::Error + 'static>(self) -> Result<E, Self> {
        match self {
            Self::NodeFailed {
                workflow,
                node,
                attempts,
                source,
            } => match source.downcast::<E>() {
                Ok(e) => Ok(*e),
                Err(source) => Err(Self::NodeFailed {
                    workflow,
                    node,
                    attempts,
                    source,
                }),
            },
            other => Err(other),
        }
    }

    /// Whether this is a [`WorkflowError::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// Whether this is a [`WorkflowError::Deadlock`].
    pub fn is_deadlock(&self) -> bool {
        matches!(self, Self::Deadlock { .. })
    }

    /// Whether this is a [`WorkflowError::NodePanicked`].
    pub fn is_panic(&self) -> bool {
        matches!(self, Self::NodePanicked { .. })
    }
}

/// What a [`WorkflowError::Timeout`] applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutScope {
    /// The whole run (`#[workflow(timeout = ..)]`).
    Workflow,
    /// One node (`#[node(timeout = ..)]` or a binding's `#[timeout = ..]`).
    Node(&'static str),
}

impl fmt::Display for TimeoutScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Workflow => f.write_str("the run"),
            Self::Node(node) => write!(f, "node `{node}`"),
        }
    }
}

/// Which nodes of a run wait, and on what, when a deadlock is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlockReport {
    /// How the deadlock was found.
    pub kind: DeadlockKind,
    /// Every node that was live, with what it waited for (if it was in a tracked wait).
    pub waiting: Vec<WaitingNode>,
    /// A wait-for cycle, when keys name nodes: `["task1", "task2", "task1"]`.
    pub cycle: Option<Vec<String>>,
}

/// How a deadlock was detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadlockKind {
    /// Every live node was blocked in a tracked wait (found at once).
    AllWaiting,
    /// No node made progress for the stall limit.
    Stalled(Duration),
}

/// A live node at the time a deadlock was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingNode {
    /// The node binding.
    pub node: &'static str,
    /// The key of the tracked wait it was blocked in, if any.
    pub waits_for: Option<String>,
}

impl fmt::Display for DeadlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DeadlockKind::AllWaiting => {
                f.write_str("every live node is blocked in a tracked wait")?
            }
            DeadlockKind::Stalled(d) => write!(f, "no node made progress for {d:?}")?,
        }
        for (i, w) in self.waiting.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { ", " })?;
            match &w.waits_for {
                Some(key) => write!(f, "`{}` waits for `{key}`", w.node)?,
                None => write!(f, "`{}` is running", w.node)?,
            }
        }
        if let Some(cycle) = &self.cycle {
            write!(f, " (cycle: {})", cycle.join(" -> "))?;
        }
        Ok(())
    }
}
