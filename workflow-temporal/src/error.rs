//! Errors of runs on Temporal: the run's own failure as the in-process runtime reports it
//! ([`WorkflowError`]), or a failure of Temporal itself.

use std::collections::HashSet;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use workflow_core::remote::NodeByNode;
use workflow_core::{BoxError, NodeName, TimeoutScope, WorkflowError};

use crate::wire::{FailureInfo, FailureKind};

/// Why a run on Temporal produced no outputs.
///
/// As [`WorkflowError`]'s, its `{}` includes its cause's message, so
/// [`source()`](std::error::Error::source) goes on below that cause: printing the chain
/// (anyhow's `{:#}`) names each cause once.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The run failed the way it would have in-process: the same [`WorkflowError`] kinds,
    /// nodes, attempts and messages. A node's error crossed the wire as text: its
    /// `source` is a [`RemoteError`], not the node's own error type.
    Workflow(WorkflowError),
    /// A value (an input, a node's input or output) could not be encoded or decoded.
    Payload(String),
    /// A value is over the payload limit
    /// ([`TemporalSettings::max_payload_bytes`](crate::TemporalSettings::max_payload_bytes),
    /// Temporal's 2 MB by default): found before it reaches Temporal, which would
    /// reject it with an error that names no node, or fail the run's workflow task.
    PayloadTooLarge {
        /// The workflow.
        workflow: &'static str,
        /// The node whose input or output it is; `None` for the workflow's.
        node: Option<NodeName>,
        /// An output (`true`) or an input (`false`).
        output: bool,
        /// Its size, encoded.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The workflow uses what does not run on Temporal yet: an `#[ephemeral]` binding
    /// (its output is never encoded, so it cannot reach the activity of a node that
    /// reads it). Found when starting a run or a worker, before any node runs.
    Unsupported {
        /// The workflow.
        workflow: &'static str,
        /// The binding.
        node: &'static str,
        /// Why, and what to do instead.
        why: &'static str,
    },
    /// The run was terminated from outside (`temporal workflow terminate`).
    Terminated(String),
    /// The Temporal server or the connection to it failed, or the worker could not start.
    Temporal {
        /// What was being done.
        context: &'static str,
        /// The SDK's error.
        source: BoxError,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Workflow(e) => fmt::Display::fmt(e, f),
            Self::Payload(why) => write!(f, "payload: {why}"),
            Self::PayloadTooLarge {
                workflow,
                node,
                output,
                bytes,
                limit,
            } => {
                let what = if *output { "output" } else { "input" };
                f.write_fmt(format_args!("the {what} of "))?;
                match node {
                    Some(node) => write!(f, "node `{node}` of workflow `{workflow}`")?,
                    None => write!(f, "workflow `{workflow}`")?,
                }
                write!(
                    f,
                    " is {bytes} bytes, over the {limit} byte limit of a Temporal payload"
                )
            }
            Self::Unsupported {
                workflow,
                node,
                why,
            } => write!(
                f,
                "workflow `{workflow}` cannot run on Temporal: node `{node}` {why}"
            ),
            Self::Terminated(why) => {
                write!(f, "the run was terminated on the Temporal server: {why}")
            }
            Self::Temporal { context, source } => write!(f, "temporal: {context}: {source}"),
        }
    }
}

/// `{}` already includes the cause's message, so `source()` continues below it (see
/// [`Error`]); a run's [`WorkflowError`] is its own chain.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Workflow(e) => std::error::Error::source(e),
            Self::Temporal { source, .. } => source.source(),
            _ => None,
        }
    }
}

impl Error {
    /// The run's [`WorkflowError`], when it failed as it would have in-process.
    pub fn workflow_error(&self) -> Option<&WorkflowError> {
        match self {
            Self::Workflow(e) => Some(e),
            _ => None,
        }
    }

    /// [`Error::Unsupported`] for the first node of `W` that cannot run on Temporal.
    pub(crate) fn check_supported<W: NodeByNode>() -> Result<(), Self> {
        let ephemeral = W::PLAN
            .nodes
            .iter()
            .zip(W::EPHEMERAL)
            .find(|(_, &ephemeral)| ephemeral);
        match ephemeral {
            Some((node, _)) => Err(Self::Unsupported {
                workflow: W::NAME,
                node: node.name,
                why: "is `#[ephemeral]`: its output is never encoded, so it cannot reach the activities of the nodes that read it; compute it inside the node that reads it (a resource, `Res<T>`, for a connection)",
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn temporal(context: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Temporal {
            context,
            source: source.into(),
        }
    }
}

/// A node's error that crossed the wire: its message and the messages of its sources.
///
/// The node's error type does not cross (only its `Display`), so
/// `WorkflowError::downcast_ref::<YourError>()` finds nothing on a run from Temporal;
/// match on the message, or on [`RemoteError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    message: String,
    source: Option<Box<RemoteError>>,
}

impl RemoteError {
    fn from_chain(message: String, chain: &[String]) -> Self {
        let source = chain
            .split_first()
            .map(|(first, rest)| Box::new(Self::from_chain(first.clone(), rest)));
        Self { message, source }
    }

    /// The error's message, as its `Display` printed it on the worker.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RemoteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Node `name` of `W`'s plan, as the plan spells it (`&'static`), if it is one.
fn plan_name<W: NodeByNode>(name: &str) -> Option<&'static str> {
    W::PLAN
        .nodes
        .iter()
        .find(|n| n.name == name)
        .map(|n| n.name)
}

/// `text` as a `&'static str`, for a resource's type name (a field of `WorkflowError`
/// that is one): interned once.
fn intern(text: &str) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let names = names.get_or_insert_with(HashSet::new);
    if let Some(&known) = names.get(text) {
        return known;
    }
    // Bounded: one leak per distinct resource type name or unknown node name.
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// The error of a run of `W` that failed with `failures`.
pub(crate) fn from_failures<W: NodeByNode>(mut failures: Vec<FailureInfo>) -> Error {
    if failures.len() == 1 {
        return from_failure::<W>(failures.remove(0));
    }
    let mut errors = Vec::new();
    for f in failures {
        match from_failure::<W>(f) {
            Error::Workflow(e) => errors.push(e),
            other => return other,
        }
    }
    Error::Workflow(WorkflowError::Multiple {
        workflow: W::NAME,
        errors,
    })
}

fn from_failure<W: NodeByNode>(f: FailureInfo) -> Error {
    let workflow = W::NAME;
    let path = f.node.as_deref().unwrap_or("");
    // A node of the plan is borrowed, a path inside a fan-out or sub-workflow
    // (`thumbs[3].img`) owned: as in-process.
    let name =
        plan_name::<W>(path).map_or_else(|| NodeName::Owned(path.to_owned()), NodeName::Borrowed);
    Error::Workflow(match f.kind {
        FailureKind::NodeFailed => WorkflowError::NodeFailed {
            workflow,
            node: name,
            attempts: f.attempts.max(1),
            source: Box::new(RemoteError::from_chain(f.message, &f.chain)),
        },
        FailureKind::NodePanicked => WorkflowError::NodePanicked {
            workflow,
            node: name,
            message: f.message,
        },
        FailureKind::NodeTimeout | FailureKind::NodeTotalTimeout => WorkflowError::Timeout {
            workflow,
            scope: TimeoutScope::Node(name.clone()),
            limit: Duration::from_millis(f.message.parse().unwrap_or(0)),
            running: vec![name],
            attempts: f.attempts.max(1),
            // An attempt's own limit, which the activity enforces and reports, or the
            // node's `total_timeout`, Temporal's `schedule_to_close` (see `policy.rs`).
            all_attempts: f.kind == FailureKind::NodeTotalTimeout,
            // Temporal schedules the retries: no wait between them is reported here.
            retrying: Vec::new(),
        },
        FailureKind::MissingResource => WorkflowError::MissingResource {
            workflow,
            node: name,
            type_name: intern(&f.message),
        },
        FailureKind::ResourceRegisteredAsArc => WorkflowError::ResourceRegisteredAsArc {
            workflow,
            node: name,
            type_name: intern(&f.message),
        },
        FailureKind::Cancelled => WorkflowError::Cancelled {
            workflow,
            running: Vec::new(),
            retrying: Vec::new(),
        },
        FailureKind::Payload => return Error::Payload(f.message),
        FailureKind::PayloadTooLarge => {
            let size = f.size.unwrap_or(crate::wire::PayloadSize {
                output: false,
                bytes: 0,
                limit: 0,
            });
            return Error::PayloadTooLarge {
                workflow,
                node: f.node.is_some().then_some(name),
                output: size.output,
                bytes: size.bytes,
                limit: size.limit,
            };
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Cause(&'static str, Option<Box<Cause>>);

    impl fmt::Display for Cause {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Cause {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|c| c as _)
        }
    }

    /// The error and its sources joined by ": ", as anyhow's `{:#}` prints them.
    fn chain(error: &dyn std::error::Error) -> String {
        let mut text = error.to_string();
        let mut next = error.source();
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }

    #[test]
    fn each_error_says_what_happened_and_its_chain_names_each_cause_once() {
        let transport = Cause(
            "transport error",
            Some(Box::new(Cause("connection refused", None))),
        );
        let cases = [
            (
                Error::temporal("connecting", transport),
                "temporal: connecting: transport error: connection refused",
            ),
            (Error::Payload("not JSON".into()), "payload: not JSON"),
            (
                Error::PayloadTooLarge {
                    workflow: "Grow",
                    node: Some("big".into()),
                    output: true,
                    bytes: 3_000_000,
                    limit: 2_097_152,
                },
                "the output of node `big` of workflow `Grow` is 3000000 bytes, over the 2097152 byte limit of a Temporal payload",
            ),
            (
                Error::PayloadTooLarge {
                    workflow: "Grow",
                    node: None,
                    output: false,
                    bytes: 5,
                    limit: 4,
                },
                "the input of workflow `Grow` is 5 bytes, over the 4 byte limit of a Temporal payload",
            ),
            (
                Error::Unsupported {
                    workflow: "W",
                    node: "n",
                    why: "is `#[ephemeral]`",
                },
                "workflow `W` cannot run on Temporal: node `n` is `#[ephemeral]`",
            ),
            (
                Error::Terminated("by an operator".into()),
                "the run was terminated on the Temporal server: by an operator",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(chain(&error), expected);
        }
    }
}
