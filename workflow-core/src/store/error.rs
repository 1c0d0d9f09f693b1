//! Why a store operation failed.

use super::{NodePath, OwnerId, RunId, RunStatus, Timestamp};
use crate::BoxError;

/// Why a store operation failed. Every variant about one run names it, and, where one
/// node is to blame, the node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No run with this id.
    #[error("run {run} not found in the store")]
    NotFound {
        /// The run.
        run: RunId,
    },
    /// Another owner holds the run's lease and it has not expired.
    ///
    /// The message says what to do, since the first one to meet it is often a process
    /// restarted after a crash, whose runtime's default owner ([`OwnerId::for_this_process`])
    /// differs from the dead one's.
    #[error(
        "run {run} is leased to `{owner}` until {expires_at}: another runtime runs it, or ran \
         it and stopped. `Runtime::recover` takes it over once that lease expires; a restarted \
         process resumes it at once if it names its runtime's owner alike \
         (`RuntimeBuilder::owner(OwnerId::new(..))`; the default owner is new in each runtime)"
    )]
    LeaseHeld {
        /// The run.
        run: RunId,
        /// Its holder.
        owner: OwnerId,
        /// When the lease runs out.
        expires_at: Timestamp,
    },
    /// The caller's lease was taken over (it expired and another owner claimed the run), or
    /// the run finished: the write was refused so the new owner's rows stay intact.
    #[error("lease on run {run} lost by `{owner}`: {reason}")]
    LeaseLost {
        /// The run.
        run: RunId,
        /// The caller whose lease is gone.
        owner: OwnerId,
        /// What happened to it.
        reason: String,
    },
    /// The run is finished and cannot be claimed (resumed). A failed run can be run again
    /// from where it failed with [`Store::retry_run`](super::Store::retry_run)
    /// (`Runtime::retry`); a succeeded one is done.
    #[error(
        "run {run} already finished ({status}); a finished run is not resumed: a failed run \
         is run again from where it failed with `Runtime::retry` (`Store::retry_run`)"
    )]
    Finished {
        /// The run.
        run: RunId,
        /// How it ended.
        status: RunStatus,
    },
    /// [`Store::retry_run`](super::Store::retry_run) of a run that did not fail: it is
    /// still running (resume it, or wait for it) or it succeeded.
    #[error(
        "run {run} cannot be retried: only a failed run is, and it {}",
        not_failed(*status)
    )]
    NotFailed {
        /// The run.
        run: RunId,
        /// Where it stands.
        status: RunStatus,
    },
    /// The run belongs to another workflow than the one that was to resume or retry it.
    #[error("run {run} is a run of workflow `{workflow}`, not of `{expected}`")]
    WrongWorkflow {
        /// The run.
        run: RunId,
        /// The run's workflow.
        workflow: String,
        /// The workflow the caller named.
        expected: String,
    },
    /// An idempotency key was reused for a different workflow or input.
    #[error(
        "idempotency key `{key}` already names run {run} of workflow `{workflow}` with {what}"
    )]
    IdempotencyConflict {
        /// The key.
        key: String,
        /// The run it names.
        run: RunId,
        /// That run's workflow.
        workflow: String,
        /// What differs.
        what: &'static str,
    },
    /// A value could not be encoded for the store.
    #[error("cannot encode {what} of {} as `{type_name}`: {source}", run.map_or("a new run".to_owned(), |r| format!("run {r}")))]
    Encode {
        /// The run, `None` for the input of a run not created yet.
        run: Option<RunId>,
        /// The node's path, or `input`/`output`.
        what: String,
        /// The value's type.
        type_name: &'static str,
        /// The encoder's error.
        #[source]
        source: BoxError,
    },
    /// A recorded value no longer decodes as the type the code expects.
    #[error("cannot decode {what} of run {run} as `{type_name}`: {source}")]
    Decode {
        /// The run.
        run: RunId,
        /// The node's path, or `input`/`output`.
        what: String,
        /// The type the code expects.
        type_name: &'static str,
        /// The decoder's error.
        #[source]
        source: BoxError,
    },
    /// A node path is malformed.
    #[error("invalid node path `{path}`: {reason}")]
    InvalidPath {
        /// The text.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The database is not a workflow store, was written by a newer version, or is corrupt.
    #[error("`{location}` is not a usable workflow store: {reason}")]
    Schema {
        /// The file or server.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A row holds a value this version cannot read (an unknown status, a negative count).
    #[error("run {run}: corrupt row: {reason}")]
    CorruptRow {
        /// The run.
        run: RunId,
        /// What is wrong.
        reason: String,
    },
    /// The store could not be reached or its writer stopped. The operation did not take
    /// effect, or (when the connection broke during a commit) its effect is unknown; rows
    /// committed before are intact.
    #[error("store unavailable during {operation}{}: {source}", about(*run, node.as_ref()))]
    Unavailable {
        /// What was attempted.
        operation: &'static str,
        /// The run it was for, if one.
        run: Option<RunId>,
        /// The node it was for, if one.
        node: Option<NodePath>,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The database reported an error; the operation did not take effect.
    #[error("store error during {operation}{}: {source}", about(*run, node.as_ref()))]
    Backend {
        /// What was attempted.
        operation: &'static str,
        /// The run it was for, if one.
        run: Option<RunId>,
        /// The node it was for, if one.
        node: Option<NodePath>,
        /// The database's error.
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// The run the error is about, if any.
    pub fn run(&self) -> Option<RunId> {
        match self {
            StoreError::NotFound { run }
            | StoreError::LeaseHeld { run, .. }
            | StoreError::LeaseLost { run, .. }
            | StoreError::Finished { run, .. }
            | StoreError::NotFailed { run, .. }
            | StoreError::WrongWorkflow { run, .. }
            | StoreError::IdempotencyConflict { run, .. }
            | StoreError::Decode { run, .. }
            | StoreError::CorruptRow { run, .. } => Some(*run),
            StoreError::Encode { run, .. }
            | StoreError::Unavailable { run, .. }
            | StoreError::Backend { run, .. } => *run,
            StoreError::InvalidPath { .. } | StoreError::Schema { .. } => None,
        }
    }

    /// The node path an encode or decode error is about, if it is a node's.
    pub fn node(&self) -> Option<NodePath> {
        match self {
            StoreError::Encode { what, .. } | StoreError::Decode { what, .. } => what
                .parse()
                .ok()
                .filter(|p: &NodePath| !matches!(p.as_str(), "input" | "output")),
            StoreError::Unavailable { node, .. } | StoreError::Backend { node, .. } => node.clone(),
            _ => None,
        }
    }

    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub(crate) fn unavailable(operation: &'static str, cause: impl Into<BoxError>) -> StoreError {
        StoreError::Unavailable {
            operation,
            run: None,
            node: None,
            source: cause.into(),
        }
    }

    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub(crate) fn backend(operation: &'static str, cause: impl Into<BoxError>) -> StoreError {
        StoreError::Backend {
            operation,
            run: None,
            node: None,
            source: cause.into(),
        }
    }

    /// A copy to hand to each caller of a batch that failed as a whole: the source becomes
    /// text (database errors are not `Clone`).
    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub(crate) fn for_batch(&self) -> StoreError {
        match self {
            StoreError::Unavailable {
                operation, source, ..
            } => StoreError::unavailable(operation, source.to_string()),
            StoreError::Backend {
                operation, source, ..
            } => StoreError::backend(operation, source.to_string()),
            other => StoreError::backend("batched write", other.to_string()),
        }
    }

    /// Names `run` (and `node`) in a database error that does not name them yet.
    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub(crate) fn about(mut self, about_run: RunId, about_node: Option<&NodePath>) -> StoreError {
        if let StoreError::Unavailable { run, node, .. } | StoreError::Backend { run, node, .. } =
            &mut self
        {
            run.get_or_insert(about_run);
            if node.is_none() {
                *node = about_node.cloned();
            }
        }
        self
    }
}

/// Where a run that is not failed stands, for [`StoreError::NotFailed`].
fn not_failed(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => {
            "is still running (an unfinished run is resumed: `Runtime::resume`, \
             `Runtime::recover`)"
        }
        RunStatus::Succeeded | RunStatus::Failed => "succeeded",
    }
}

/// " for node `x` of run 7", " for run 7" or nothing.
fn about(run: Option<RunId>, node: Option<&NodePath>) -> String {
    match (run, node) {
        (Some(run), Some(node)) => format!(" for node `{node}` of run {run}"),
        (Some(run), None) => format!(" for run {run}"),
        (None, Some(node)) => format!(" for node `{node}`"),
        (None, None) => String::new(),
    }
}
