//! Why a store operation failed.

use std::fmt;

use super::{NodePath, OwnerId, RunId, RunStatus, Timestamp};
use crate::BoxError;

/// Why a store operation failed. Every variant about one run names it, and, where one
/// node is to blame, the node.
///
/// `{}` includes the cause's message (the database's or the codec's error), so, as for
/// [`WorkflowError`](crate::WorkflowError), [`source`](std::error::Error::source)
/// continues below it, with the cause's own source: a reporter that walks the chain
/// (anyhow's `{:#}`, eyre) prints each message once. The cause itself is the variant's
/// `source` field.
///
/// ```
/// use workflow_core::store::StoreError;
///
/// let err = StoreError::Unavailable {
///     operation: "claiming a run",
///     run: None,
///     node: None,
///     source: "connection refused".into(),
/// };
/// assert_eq!(err.to_string(), "store unavailable during claiming a run: connection refused");
/// // The cause has no source of its own: the chain ends at `{}`, nothing is repeated.
/// assert!(std::error::Error::source(&err).is_none());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// No run with this id.
    NotFound {
        /// The run.
        run: RunId,
    },
    /// Another owner holds the run's lease and it has not expired.
    ///
    /// The message says what to do, since the first one to meet it is often a process
    /// restarted after a crash, whose runtime's default owner ([`OwnerId::for_this_process`])
    /// differs from the dead one's.
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
    Finished {
        /// The run.
        run: RunId,
        /// How it ended.
        status: RunStatus,
    },
    /// [`Store::retry_run`](super::Store::retry_run) of a run that did not fail: it is
    /// still running (resume it, or wait for it) or it succeeded.
    NotFailed {
        /// The run.
        run: RunId,
        /// Where it stands.
        status: RunStatus,
    },
    /// The run belongs to another workflow than the one that was to resume or retry it.
    WrongWorkflow {
        /// The run.
        run: RunId,
        /// The run's workflow.
        workflow: String,
        /// The workflow the caller named.
        expected: String,
    },
    /// An idempotency key was reused for a different workflow or input.
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
    Encode {
        /// The run, `None` for the input of a run not created yet.
        run: Option<RunId>,
        /// The node's path, or `input`/`output`.
        what: String,
        /// The value's type.
        type_name: &'static str,
        /// The encoder's error.
        source: BoxError,
    },
    /// A recorded value no longer decodes as the type the code expects.
    Decode {
        /// The run.
        run: RunId,
        /// The node's path, or `input`/`output`.
        what: String,
        /// The type the code expects.
        type_name: &'static str,
        /// The decoder's error.
        source: BoxError,
    },
    /// A node path is malformed.
    InvalidPath {
        /// The text.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The database is not a workflow store, was written by a newer version, or is corrupt.
    Schema {
        /// The file or server.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A row holds a value this version cannot read (an unknown status, a negative count).
    CorruptRow {
        /// The run.
        run: RunId,
        /// What is wrong.
        reason: String,
    },
    /// The store could not be reached or its writer stopped. The operation did not take
    /// effect, or (when the connection broke during a commit) its effect is unknown; rows
    /// committed before are intact.
    Unavailable {
        /// What was attempted.
        operation: &'static str,
        /// The run it was for, if one.
        run: Option<RunId>,
        /// The node it was for, if one.
        node: Option<NodePath>,
        /// Why.
        source: BoxError,
    },
    /// The database reported an error; the operation did not take effect.
    Backend {
        /// What was attempted.
        operation: &'static str,
        /// The run it was for, if one.
        run: Option<RunId>,
        /// The node it was for, if one.
        node: Option<NodePath>,
        /// The database's error.
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

    /// This error as the cause of one that names `run` (and `node`, if given) already (a
    /// durable run's `WorkflowError::Store`, whose `{}` begins `durable run 7 of
    /// workflow `Etl`, node `b``): a database error (`Unavailable`, `Backend`) leaves out
    /// the " for node `b` of run 7" that would name them a second time; another run or
    /// node than those stays. The other variants are unchanged: what they say is about
    /// their run ("run 7 is leased to ..").
    pub(crate) fn in_run(mut self, in_run: RunId, in_node: Option<&str>) -> StoreError {
        if let StoreError::Unavailable { run, node, .. } | StoreError::Backend { run, node, .. } =
            &mut self
        {
            if run.is_none_or(|r| r == in_run) {
                *run = None;
                if in_node.is_some() && node.as_ref().map(NodePath::as_str) == in_node {
                    *node = None;
                }
            }
        }
        self
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

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound { run } => write!(f, "run {run} not found in the store"),
            StoreError::LeaseHeld {
                run,
                owner,
                expires_at,
            } => write!(
                f,
                "run {run} is leased to `{owner}` until {expires_at}: another runtime runs it, or \
                 ran it and stopped. `Runtime::recover` takes it over once that lease expires; a \
                 restarted process resumes it at once if it names its runtime's owner alike \
                 (`RuntimeBuilder::owner(OwnerId::new(..))`; the default owner is new in each \
                 runtime)"
            ),
            StoreError::LeaseLost { run, owner, reason } => {
                write!(f, "lease on run {run} lost by `{owner}`: {reason}")
            }
            StoreError::Finished { run, status } => write!(
                f,
                "run {run} already finished ({status}); a finished run is not resumed: a failed \
                 run is run again from where it failed with `Runtime::retry` (`Store::retry_run`)"
            ),
            StoreError::NotFailed { run, status } => write!(
                f,
                "run {run} cannot be retried: only a failed run is, and it {}",
                not_failed(*status)
            ),
            StoreError::WrongWorkflow {
                run,
                workflow,
                expected,
            } => write!(
                f,
                "run {run} is a run of workflow `{workflow}`, not of `{expected}`"
            ),
            StoreError::IdempotencyConflict {
                key,
                run,
                workflow,
                what,
            } => write!(
                f,
                "idempotency key `{key}` already names run {run} of workflow `{workflow}` with {what}"
            ),
            StoreError::Encode {
                run,
                what,
                type_name,
                source,
            } => {
                write!(f, "cannot encode {what} of ")?;
                match run {
                    Some(run) => write!(f, "run {run}")?,
                    None => f.write_str("a new run")?,
                }
                write!(f, " as `{type_name}`: {source}")
            }
            StoreError::Decode {
                run,
                what,
                type_name,
                source,
            } => write!(
                f,
                "cannot decode {what} of run {run} as `{type_name}`: {source}"
            ),
            StoreError::InvalidPath { path, reason } => {
                write!(f, "invalid node path `{path}`: {reason}")
            }
            StoreError::Schema { location, reason } => {
                write!(f, "`{location}` is not a usable workflow store: {reason}")
            }
            StoreError::CorruptRow { run, reason } => {
                write!(f, "run {run}: corrupt row: {reason}")
            }
            StoreError::Unavailable {
                operation,
                run,
                node,
                source,
            } => write!(
                f,
                "store unavailable during {operation}{}: {source}",
                about(*run, node.as_ref())
            ),
            StoreError::Backend {
                operation,
                run,
                node,
                source,
            } => write!(
                f,
                "store error during {operation}{}: {source}",
                about(*run, node.as_ref())
            ),
        }
    }
}

/// `{}` already includes the cause's message, so `source()` continues below it (see
/// [`StoreError`]).
impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Encode { source, .. }
            | StoreError::Decode { source, .. }
            | StoreError::Unavailable { source, .. }
            | StoreError::Backend { source, .. } => source.source(),
            _ => None,
        }
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

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::WorkflowError;

    /// A database's error with a cause of its own: "connection reset", then "broken pipe".
    #[derive(Debug)]
    struct Reset(Pipe);

    #[derive(Debug)]
    struct Pipe;

    impl fmt::Display for Reset {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection reset")
        }
    }

    impl std::error::Error for Reset {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    impl fmt::Display for Pipe {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("broken pipe")
        }
    }

    impl std::error::Error for Pipe {}

    /// `{}` and every `source()` below it joined with ": ", as anyhow's `{:#}` prints
    /// an error.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut text = e.to_string();
        let mut next = e.source();
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }

    fn unavailable(run: Option<i64>, node: Option<&str>) -> StoreError {
        StoreError::Unavailable {
            operation: "renewing a lease",
            run: run.map(RunId),
            node: node.map(|n| n.parse().unwrap()),
            source: Box::new(Reset(Pipe)),
        }
    }

    /// Each variant with a cause prints the cause's message in `{}`, and `source()`
    /// goes on below it, so a chain names each cause once. It named the cause twice
    /// (`source()` returned the cause `{}` had printed): "store unavailable during
    /// renewing a lease: connection reset: connection reset: broken pipe".
    #[test]
    fn a_store_errors_chain_names_each_cause_once() {
        let cause = || -> BoxError { Box::new(Reset(Pipe)) };
        let errors = [
            unavailable(None, None),
            StoreError::Backend {
                operation: "recording",
                run: Some(RunId(3)),
                node: None,
                source: cause(),
            },
            StoreError::Encode {
                run: None,
                what: "input".into(),
                type_name: "u64",
                source: cause(),
            },
            StoreError::Decode {
                run: RunId(3),
                what: "b".into(),
                type_name: "u64",
                source: cause(),
            },
        ];
        let expected = [
            "store unavailable during renewing a lease: connection reset: broken pipe",
            "store error during recording for run 3: connection reset: broken pipe",
            "cannot encode input of a new run as `u64`: connection reset: broken pipe",
            "cannot decode b of run 3 as `u64`: connection reset: broken pipe",
        ];
        for (error, expected) in errors.iter().zip(expected) {
            assert_eq!(chain(error), expected);
            assert_eq!(error.source().unwrap().to_string(), "broken pipe");
        }
        // Inside a run's error too: `{:#}` (the chain on one line) says each once.
        let in_run = WorkflowError::Store {
            workflow: "Etl",
            run: 7,
            node: None,
            source: Box::new(unavailable(Some(7), None).in_run(RunId(7), None)),
            run_error: None,
        };
        let text = "durable run 7 of workflow `Etl`: store unavailable during renewing a lease: \
                    connection reset: broken pipe";
        assert_eq!(format!("{in_run:#}"), text);
        assert_eq!(chain(&in_run), text);
        // Without a cause below it, `{}` is the whole chain.
        let plain = StoreError::NotFound { run: RunId(3) };
        assert!(plain.source().is_none());
    }

    /// A database error as the cause of a run's error names the run (and the node) once:
    /// "durable run 7 of workflow `Etl`: store unavailable during renewing a lease: ..",
    /// where it said ".. renewing a lease for run 7: ..". What the run's error does not
    /// name (another run, a node it does not name) is kept; errors about their run are
    /// unchanged.
    #[test]
    fn a_database_error_in_a_runs_error_names_the_run_once() {
        let named = |e: StoreError, node: Option<&str>| e.in_run(RunId(7), node).to_string();
        assert_eq!(
            named(unavailable(Some(7), None), None),
            "store unavailable during renewing a lease: connection reset"
        );
        assert_eq!(
            named(unavailable(Some(7), Some("b")), Some("b")),
            "store unavailable during renewing a lease: connection reset"
        );
        assert_eq!(
            named(unavailable(None, Some("b")), Some("b")),
            "store unavailable during renewing a lease: connection reset"
        );
        assert_eq!(
            named(unavailable(Some(7), Some("b")), None),
            "store unavailable during renewing a lease for node `b`: connection reset"
        );
        assert_eq!(
            named(unavailable(Some(7), Some("b")), Some("c")),
            "store unavailable during renewing a lease for node `b`: connection reset"
        );
        assert_eq!(
            named(unavailable(Some(8), Some("b")), Some("b")),
            "store unavailable during renewing a lease for node `b` of run 8: connection reset"
        );
        assert_eq!(
            named(StoreError::NotFound { run: RunId(7) }, None),
            "run 7 not found in the store"
        );
        // Its own `{}`, outside a run's error, names both.
        assert_eq!(
            unavailable(Some(7), Some("b")).to_string(),
            "store unavailable during renewing a lease for node `b` of run 7: connection reset"
        );
    }
}
