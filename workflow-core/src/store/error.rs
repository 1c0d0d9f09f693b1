//! Why a store operation failed.

use std::fmt;

use super::{NodePath, OwnerId, RunId, RunStatus, Timestamp};
use crate::error::{Named, Shown};
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
    /// (`Runtime::retry`); a succeeded one is done, and `Runtime::outputs` reads its
    /// outputs.
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
    /// `Runtime::outputs` of a run that did not succeed: it has no outputs to read, since
    /// it is still running (resume it, or wait for it) or it failed (retry it).
    NotSucceeded {
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
    /// The store did not answer an operation of a durable call within the runtime's
    /// limit (`RuntimeBuilder::store_timeout`, 60 s by default, in real time): an answer
    /// the call waited for before the run (creating, reading, claiming, loading it), a
    /// record or lease renewal its recorder still waited for after the run, or the
    /// run's end. What the store did with the operation is unknown; the store's rows are
    /// as a crash would leave them, so the run is resumed, by this runtime or (once its
    /// lease expired) by another's `recover`, when the store answers again.
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::store::{RunId, StoreError};
    ///
    /// let err = StoreError::NoAnswer {
    ///     operation: "finishing a run",
    ///     run: Some(RunId(7)),
    ///     node: None,
    ///     limit: Duration::from_secs(5),
    /// };
    /// assert!(err.to_string().starts_with(
    ///     "the store did not answer finishing a run for run 7 within 5s; ",
    /// ));
    /// ```
    NoAnswer {
        /// What was attempted.
        operation: &'static str,
        /// The run it was for, if one.
        run: Option<RunId>,
        /// The node whose record it was, if one.
        node: Option<NodePath>,
        /// The limit it did not answer within.
        limit: std::time::Duration,
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
            | StoreError::NotSucceeded { run, .. }
            | StoreError::WrongWorkflow { run, .. }
            | StoreError::IdempotencyConflict { run, .. }
            | StoreError::Decode { run, .. }
            | StoreError::CorruptRow { run, .. } => Some(*run),
            StoreError::Encode { run, .. }
            | StoreError::Unavailable { run, .. }
            | StoreError::NoAnswer { run, .. }
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
            StoreError::Unavailable { node, .. }
            | StoreError::NoAnswer { node, .. }
            | StoreError::Backend { node, .. } => node.clone(),
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

/// Inside a durable run's error (`durable run 7 of workflow `Etl`, node `b`: ..`), the
/// run and the node that error names are left out: `not found in the store`, `cannot
/// decode its output as `u64`: ..`, `store unavailable during renewing a lease: ..`.
/// Printed by itself, the error names them.
impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named = crate::error::named();
        // An error printed inside this one (a cause) is printed whole.
        crate::error::naming(None, || self.write(f, named.as_ref()))
    }
}

impl StoreError {
    /// `{}`, leaving out what `named` (the error this one is printed inside) names.
    fn write(&self, f: &mut fmt::Formatter<'_>, named: Option<&Named>) -> fmt::Result {
        // Whether the enclosing error names this run, or this node (its path).
        let this_run = |run: RunId| named.is_some_and(|n| n.run == Some(run.0));
        let this_node = |path: &str| named.is_some_and(|n| n.node.as_deref() == Some(path));
        match self {
            StoreError::NotFound { run } if this_run(*run) => f.write_str("not found in the store"),
            StoreError::NotFound { run } => write!(f, "run {run} not found in the store"),
            StoreError::LeaseHeld {
                run,
                owner,
                expires_at,
            } => {
                if !this_run(*run) {
                    write!(f, "run {run} is ")?;
                }
                write!(
                    f,
                    "leased to `{owner}` until {expires_at}: another runtime runs it, or ran it \
                     and stopped. `Runtime::recover` takes it over once that lease expires; a \
                     restarted process resumes it at once if it names its runtime's owner \
                     alike (`RuntimeBuilder::owner(OwnerId::new(..))`; the default owner is \
                     new in each runtime)"
                )
            }
            StoreError::LeaseLost { run, owner, reason } if this_run(*run) => {
                write!(f, "lease lost by `{owner}`: {reason}")
            }
            StoreError::LeaseLost { run, owner, reason } => {
                write!(f, "lease on run {run} lost by `{owner}`: {reason}")
            }
            StoreError::Finished { run, status } => {
                if !this_run(*run) {
                    write!(f, "run {run} ")?;
                }
                match status {
                    RunStatus::Succeeded => f.write_str(
                        "already finished (succeeded); a finished run is not resumed: read \
                         its outputs with `Runtime::outputs`",
                    ),
                    _ => write!(
                        f,
                        "already finished ({status}); a finished run is not resumed: a failed \
                         run is run again from where it failed with `Runtime::retry` \
                         (`Store::retry_run`)"
                    ),
                }
            }
            StoreError::NotFailed { run, status } => {
                if !this_run(*run) {
                    write!(f, "run {run} ")?;
                }
                write!(
                    f,
                    "cannot be retried: only a failed run is, and it {}",
                    not_failed(*status)
                )
            }
            StoreError::NotSucceeded { run, status } => {
                if !this_run(*run) {
                    write!(f, "run {run} ")?;
                }
                write!(f, "has no outputs to read: {}", not_succeeded(*status))
            }
            StoreError::WrongWorkflow {
                run,
                workflow,
                expected,
            } => {
                if this_run(*run) {
                    f.write_str("it")?;
                } else {
                    write!(f, "run {run}")?;
                }
                write!(f, " is a run of workflow `{workflow}`, not of `{expected}`")
            }
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
                f.write_str("cannot encode ")?;
                match run {
                    Some(run) if this_run(*run) => write_what(f, what, this_node(what))?,
                    Some(run) => write!(f, "{what} of run {run}")?,
                    None => write!(f, "{what} of a new run")?,
                }
                write!(f, " as `{type_name}`: {}", Shown(&**source))
            }
            StoreError::Decode {
                run,
                what,
                type_name,
                source,
            } => {
                f.write_str("cannot decode ")?;
                if this_run(*run) {
                    write_what(f, what, this_node(what))?;
                } else {
                    write!(f, "{what} of run {run}")?;
                }
                write!(f, " as `{type_name}`: {}", Shown(&**source))
            }
            StoreError::InvalidPath { path, reason } => {
                write!(f, "invalid node path `{path}`: {reason}")
            }
            StoreError::Schema { location, reason } => {
                write!(f, "`{location}` is not a usable workflow store: {reason}")
            }
            StoreError::CorruptRow { run, reason } if this_run(*run) => {
                write!(f, "corrupt row: {reason}")
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
                "store unavailable during {operation}{}: {}",
                about(*run, node.as_ref(), named),
                Shown(&**source)
            ),
            StoreError::NoAnswer {
                operation,
                run,
                node,
                limit,
            } => write!(
                f,
                "the store did not answer {operation}{} within {limit:?}; \
                 what the store did with it is unknown: a run it made or claimed stays \
                 unfinished, and `Runtime::resume` (or, once its lease expired, \
                 `Runtime::recover`) takes it up again",
                about(*run, node.as_ref(), named),
            ),
            StoreError::Backend {
                operation,
                run,
                node,
                source,
            } => write!(
                f,
                "store error during {operation}{}: {}",
                about(*run, node.as_ref(), named),
                Shown(&**source)
            ),
        }
    }
}

/// The value an encode or decode error is about, in a run the enclosing error names:
/// `its output` for the node it names too, else the path (another node, `input`,
/// `output`).
fn write_what(f: &mut fmt::Formatter<'_>, what: &str, named_node: bool) -> fmt::Result {
    if named_node {
        f.write_str("its output")
    } else {
        f.write_str(what)
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
        RunStatus::Succeeded | RunStatus::Failed => {
            "succeeded (read its outputs with `Runtime::outputs`)"
        }
    }
}

/// Where a run that did not succeed stands, for [`StoreError::NotSucceeded`].
fn not_succeeded(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Failed => "it failed (run it again from where it failed with `Runtime::retry`)",
        RunStatus::Running | RunStatus::Succeeded => {
            "it is still running (an unfinished run is resumed: `Runtime::resume`, \
             `Runtime::recover`)"
        }
    }
}

/// " for node `x` of run 7", " for run 7" or nothing, leaving out what the enclosing
/// error names (`named`): the run, and the node when it names that run too (or none).
fn about(run: Option<RunId>, node: Option<&NodePath>, named: Option<&Named>) -> String {
    let (run, node) = match named {
        Some(named) if run.is_none_or(|r| named.run == Some(r.0)) => {
            let node = node.filter(|n| named.node.as_deref() != Some(n.as_str()));
            (None, node)
        }
        _ => (run, node),
    };
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
            source: Box::new(unavailable(Some(7), None)),
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

    /// The error of run 7 (of workflow `Etl`, naming `node` if given) whose store failed
    /// with `e`, as `{}` prints it.
    fn in_run(e: StoreError, node: Option<&str>) -> String {
        WorkflowError::Store {
            workflow: "Etl",
            run: 7,
            node: node.map(|n| n.to_owned().into()),
            source: Box::new(e),
            run_error: None,
        }
        .to_string()
    }

    /// A database error as the cause of a run's error names the run (and the node) once:
    /// "durable run 7 of workflow `Etl`: store unavailable during renewing a lease: ..",
    /// where it said ".. renewing a lease for run 7: ..". What the run's error does not
    /// name (another run, a node it does not name) is kept.
    #[test]
    fn a_database_error_in_a_runs_error_names_the_run_once() {
        let run_7 = "durable run 7 of workflow `Etl`";
        assert_eq!(
            in_run(unavailable(Some(7), None), None),
            format!("{run_7}: store unavailable during renewing a lease: connection reset")
        );
        assert_eq!(
            in_run(unavailable(Some(7), Some("b")), Some("b")),
            format!(
                "{run_7}, node `b`: store unavailable during renewing a lease: connection reset"
            )
        );
        assert_eq!(
            in_run(unavailable(None, Some("b")), Some("b")),
            format!(
                "{run_7}, node `b`: store unavailable during renewing a lease: connection reset"
            )
        );
        assert_eq!(
            in_run(unavailable(Some(7), Some("b")), None),
            format!(
                "{run_7}: store unavailable during renewing a lease for node `b`: connection reset"
            )
        );
        assert_eq!(
            in_run(unavailable(Some(7), Some("b")), Some("c")),
            format!(
                "{run_7}, node `c`: store unavailable during renewing a lease for node `b`: \
                 connection reset"
            )
        );
        assert_eq!(
            in_run(unavailable(Some(8), Some("b")), Some("b")),
            format!(
                "{run_7}, node `b`: store unavailable during renewing a lease for node `b` of \
                 run 8: connection reset"
            )
        );
        // Its own `{}`, outside a run's error, names both; so does the error taken out
        // of the run's (it is kept whole).
        let text =
            "store unavailable during renewing a lease for node `b` of run 7: connection reset";
        assert_eq!(unavailable(Some(7), Some("b")).to_string(), text);
        let err = WorkflowError::Store {
            workflow: "Etl",
            run: 7,
            node: Some("b".into()),
            source: Box::new(unavailable(Some(7), Some("b"))),
            run_error: None,
        };
        let inner = err.downcast_ref::<StoreError>().unwrap();
        assert_eq!(inner.run(), Some(RunId(7)));
        assert_eq!(inner.to_string(), text);
    }

    /// An error about its run (not found, leased, finished, ..) inside that run's error
    /// says so without naming the run again, and a node's value without naming the node
    /// again: "durable run 7 of workflow `Etl`: not found in the store", where it said
    /// ".. `Etl`: run 7 not found in the store", and ".. node `b`: cannot decode its
    /// output as `u64`: ..", where it said ".. node `b`: cannot decode b of run 7 as ..".
    /// Another run, or another node, is named.
    #[test]
    fn an_error_about_its_run_in_that_runs_error_names_the_run_once() {
        let run_7 = "durable run 7 of workflow `Etl`";
        let owner = OwnerId::new("worker-2");
        let cases: Vec<(StoreError, Option<&str>, String)> = vec![
            (
                StoreError::NotFound { run: RunId(7) },
                None,
                format!("{run_7}: not found in the store"),
            ),
            (
                StoreError::NotFound { run: RunId(8) },
                None,
                format!("{run_7}: run 8 not found in the store"),
            ),
            (
                StoreError::LeaseHeld {
                    run: RunId(7),
                    owner: owner.clone(),
                    expires_at: Timestamp(5_000),
                },
                None,
                format!(
                    "{run_7}: leased to `worker-2` until {}: another runtime runs it, or ran it \
                     and stopped. `Runtime::recover` takes it over once that lease expires; a \
                     restarted process resumes it at once if it names its runtime's owner \
                     alike (`RuntimeBuilder::owner(OwnerId::new(..))`; the default owner is \
                     new in each runtime)",
                    Timestamp(5_000)
                ),
            ),
            (
                StoreError::LeaseLost {
                    run: RunId(7),
                    owner: owner.clone(),
                    reason: "the lease expired".into(),
                },
                Some("b"),
                format!("{run_7}, node `b`: lease lost by `worker-2`: the lease expired"),
            ),
            (
                StoreError::Finished {
                    run: RunId(7),
                    status: RunStatus::Succeeded,
                },
                None,
                format!(
                    "{run_7}: already finished (succeeded); a finished run is not resumed: \
                     read its outputs with `Runtime::outputs`"
                ),
            ),
            (
                StoreError::Finished {
                    run: RunId(7),
                    status: RunStatus::Failed,
                },
                None,
                format!(
                    "{run_7}: already finished (failed); a finished run is not resumed: a \
                     failed run is run again from where it failed with `Runtime::retry` \
                     (`Store::retry_run`)"
                ),
            ),
            (
                StoreError::NotSucceeded {
                    run: RunId(7),
                    status: RunStatus::Failed,
                },
                None,
                format!(
                    "{run_7}: has no outputs to read: it failed (run it again from where it \
                     failed with `Runtime::retry`)"
                ),
            ),
            (
                StoreError::NotSucceeded {
                    run: RunId(7),
                    status: RunStatus::Running,
                },
                None,
                format!(
                    "{run_7}: has no outputs to read: it is still running (an unfinished run \
                     is resumed: `Runtime::resume`, `Runtime::recover`)"
                ),
            ),
            (
                StoreError::NotFailed {
                    run: RunId(7),
                    status: RunStatus::Succeeded,
                },
                None,
                format!(
                    "{run_7}: cannot be retried: only a failed run is, and it succeeded (read \
                     its outputs with `Runtime::outputs`)"
                ),
            ),
            (
                StoreError::WrongWorkflow {
                    run: RunId(7),
                    workflow: "Other".into(),
                    expected: "Etl".into(),
                },
                None,
                format!("{run_7}: it is a run of workflow `Other`, not of `Etl`"),
            ),
            (
                StoreError::CorruptRow {
                    run: RunId(7),
                    reason: "unknown status `zombie`".into(),
                },
                None,
                format!("{run_7}: corrupt row: unknown status `zombie`"),
            ),
            (
                StoreError::Decode {
                    run: RunId(7),
                    what: "b".into(),
                    type_name: "u64",
                    source: "invalid type: string".into(),
                },
                Some("b"),
                format!(
                    "{run_7}, node `b`: cannot decode its output as `u64`: invalid type: string"
                ),
            ),
            (
                StoreError::Decode {
                    run: RunId(7),
                    what: "input".into(),
                    type_name: "EtlInput",
                    source: "invalid type: string".into(),
                },
                None,
                format!("{run_7}: cannot decode input as `EtlInput`: invalid type: string"),
            ),
            (
                StoreError::Encode {
                    run: Some(RunId(7)),
                    what: "ps[2].p".into(),
                    type_name: "Even",
                    source: "7 is odd".into(),
                },
                Some("ps[2].p"),
                format!("{run_7}, node `ps[2].p`: cannot encode its output as `Even`: 7 is odd"),
            ),
            (
                StoreError::Encode {
                    run: Some(RunId(7)),
                    what: "c".into(),
                    type_name: "Even",
                    source: "7 is odd".into(),
                },
                Some("b"),
                format!("{run_7}, node `b`: cannot encode c as `Even`: 7 is odd"),
            ),
        ];
        for (error, node, expected) in cases {
            let standalone = error.to_string();
            assert_eq!(in_run(error, node), expected);
            // By itself, it names its run.
            assert!(
                standalone.contains("run 7") || standalone.contains("run 8"),
                "{standalone}"
            );
        }
        // A run's error with no run yet (refused before one was created) names none, so
        // the store's error names its run.
        let no_run = WorkflowError::Store {
            workflow: "Etl",
            run: 0,
            node: None,
            source: Box::new(StoreError::NotFound { run: RunId(7) }),
            run_error: None,
        };
        assert_eq!(
            no_run.to_string(),
            "durable workflow `Etl`: run 7 not found in the store"
        );
    }
}
