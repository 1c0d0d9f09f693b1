//! Errors of a workflow run.
//!
//! [`WorkflowError`] is the error of a run; this module has the enum, its accessors and
//! its `source()` chain. Its parts live beside it:
//!
//! - `display`: how it prints (`{}`, `{:#}`, and a `Debug` that leaves out the fields a
//!   run's own timeout does not have);
//! - `detail`: the types its variants carry ([`TimeoutScope`], [`RetryWait`],
//!   [`TokioNeed`]);
//! - `deadlock`: the report of a deadlock ([`DeadlockReport`], [`DeadlockKind`],
//!   [`WaitingNode`]);
//! - `node_error`: a node's error as the run keeps it (an `anyhow::Error` seen through,
//!   a caught panic's message);
//! - `type_name`: Rust type names as a user writes them, for the resource and future
//!   errors;
//! - `shown`: a user type's `Display` printed so that one that panics is a note, not a
//!   panic;
//! - `enclosing`: what an error being printed names already, which an error printed
//!   inside it leaves out (a store's error inside a durable run's);
//! - `causes`: a `source()` chain walked so that one that loops ends ([`Causes`]).

use std::fmt;
use std::time::Duration;

mod causes;
mod deadlock;
mod detail;
mod display;
mod enclosing;
mod node_error;
mod shown;
mod type_name;

pub use causes::{Causes, MAX_CAUSES};
pub use deadlock::{DeadlockKind, DeadlockReport, WaitingNode};
pub use detail::{RetryWait, TimeoutScope, TokioNeed};
#[cfg(feature = "store")]
pub(crate) use enclosing::named;
pub(crate) use enclosing::{naming, Named};
#[doc(hidden)]
pub use node_error::CarriesError;
pub(crate) use node_error::{panic_message, DerefError};
pub(crate) use shown::Shown;
use type_name::future_origin;
pub(crate) use type_name::{is_trait_object, ShortType};

/// A boxed error as returned by a failing node: `Send + Sync + 'static`, so it can be
/// downcast back to the node's own error type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A node's name in reports, traces and errors: its binding (`fetch`), borrowed from the
/// static plan, or, for a node of a sub-workflow or of a fan-out's item, its path
/// (`report.layout`, `thumbs[3].img`), built when the child run records it.
pub type NodeName = std::borrow::Cow<'static, str>;

/// A child run's error (a sub-workflow's or a fan-out item's) on its way out of the
/// node that ran the child: the parent's driver passes it on as the run's error.
#[derive(Debug)]
pub(crate) struct ChildFailed(pub(crate) WorkflowError);

impl fmt::Display for ChildFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for ChildFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

/// Why a run of a workflow did not produce its outputs.
///
/// Every variant names the workflow and, where one is to blame, the node. The error a
/// node returned is kept as the [`source`](std::error::Error::source) and can be
/// downcast to the node's own type with [`WorkflowError::downcast_ref`].
///
/// `{}` includes the node's own message (`node `fetch` of workflow `Etl` failed after 3
/// attempt(s): connection refused`), so a log line or an `err.to_string()` says what
/// went wrong. As the std convention wants, that message is then not also returned by
/// [`source`](std::error::Error::source): `source()` continues with the node error's own
/// source, so reporters that walk the chain (anyhow, eyre) print each message once. The
/// node's error itself is reached with [`WorkflowError::downcast_ref`]. `{:#}` prints the
/// whole chain on one line, as anyhow's `{:#}` does.
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
/// assert_eq!(
///     err.to_string(),
///     "node `answer` of workflow `Ask` failed after 1 attempt(s): upstream said no"
/// );
/// // `Refused` has no source of its own, so the chain ends here: nothing is repeated.
/// assert!(std::error::Error::source(&err).is_none());
/// # });
/// ```
#[non_exhaustive]
pub enum WorkflowError {
    /// A node returned an error (after its last attempt).
    NodeFailed {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that failed (a path such as `thumbs[3].img` inside a
        /// fan-out or sub-workflow).
        node: NodeName,
        /// How many attempts were made.
        attempts: u32,
        /// The node's own error; downcast it with [`WorkflowError::downcast_ref`].
        source: BoxError,
    },
    /// A node panicked. The panic is contained; the runtime keeps working.
    NodePanicked {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that panicked (a path inside a fan-out or sub-workflow).
        node: NodeName,
        /// The panic message (or a placeholder when the payload was not a string).
        message: String,
    },
    /// The workflow or one of its nodes ran out of time.
    Timeout {
        /// The workflow.
        workflow: &'static str,
        /// What timed out: the whole run or one node.
        scope: TimeoutScope,
        /// The limit that was exceeded.
        limit: Duration,
        /// The nodes that were still running when time ran out (they were cancelled), by
        /// binding or, in a sub-workflow or fan-out item, by path (`thumbs[3].img`). For
        /// a node's timeout, that node first (which `{}` does not repeat), then the
        /// nodes the run stopped because of it (fail-fast), at every depth; under
        /// `failure = "continue"` the others run on, and only that node is listed.
        running: Vec<NodeName>,
        /// For a node's timeout, how many attempts the node made, the last of which
        /// timed out (more than 1 with `retry`); 0 for the run's own timeout.
        attempts: u32,
        /// Whether `limit` is the node's `retry(total_timeout)`, the limit on all its
        /// attempts and the delays between them, rather than one attempt's `timeout`
        /// (or the run's). `attempts` then counts the attempts begun; 0 when the limit
        /// passed before the first began (waiting for a concurrency permit).
        all_attempts: bool,
        /// The nodes of `running` that were waiting between two attempts (a retry's
        /// backoff) when time ran out, each with the attempt that failed and its error,
        /// as the trace's [`Retrying`](crate::trace::TraceKind::Retrying) event says; `{}`
        /// names them apart ("waiting to retry: f (attempt 2 failed: ..)"), not as
        /// still running. A node whose own `retry(total_timeout)` ran out between two
        /// attempts is listed too. Empty when none was.
        retrying: Vec<RetryWait>,
    },
    /// A node needs a resource that is not registered on the runtime. Reported before any
    /// node runs.
    MissingResource {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that asked for the resource (a path such as `thumbs[3].img`
        /// inside a fan-out or sub-workflow).
        node: NodeName,
        /// The resource type.
        type_name: &'static str,
    },
    /// A node needs `Res<T>`, but an `Arc<T>` was registered with `resource(..)` (or
    /// `insert_resource(..)`), which registers the type `Arc<T>`, where `resource_arc`
    /// was meant. For a `Res<dyn Trait>`, reported when any `Arc` was registered that
    /// way (`insert_resource(Arc::new(FakeHttp))`): only
    /// `resource_arc::<dyn Trait>(..)` registers a value as the trait object.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use workflow_core::prelude::*;
    ///
    /// trait Http: Send + Sync {
    ///     fn get(&self, url: &str) -> String;
    /// }
    /// struct FakeHttp;
    /// impl Http for FakeHttp {
    ///     fn get(&self, url: &str) -> String {
    ///         format!("fake {url}")
    ///     }
    /// }
    ///
    /// #[node]
    /// async fn call(url: String, http: Res<dyn Http>) -> String {
    ///     http.get(&url)
    /// }
    ///
    /// workflow! {
    ///     struct Calls {
    ///         input url: String,
    ///         body = call(url),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let rt = Runtime::new();
    /// rt.insert_resource(Arc::new(FakeHttp)); // registers `Arc<FakeHttp>`
    /// let err = rt.execute(Calls, CallsInput { url: "u".into() }).await.unwrap_err();
    /// assert!(matches!(err, WorkflowError::ResourceRegisteredAsArc { .. }));
    /// assert!(err.to_string().contains("register it with `resource_arc::<dyn "));
    ///
    /// rt.insert_resource_arc::<dyn Http>(Arc::new(FakeHttp));
    /// let run = rt.execute(Calls, CallsInput { url: "u".into() }).await.unwrap();
    /// assert_eq!(run.outputs.body, "fake u");
    /// # });
    /// ```
    ResourceRegisteredAsArc {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that asked for the resource (a path inside a fan-out or
        /// sub-workflow).
        node: NodeName,
        /// The resource type.
        type_name: &'static str,
    },
    /// A node needs `Res<T>`, no `T` is registered, but a value no `Res<..>` can name
    /// is: the future of an `async fn` (or a closure), almost always a constructor called
    /// without `.await`, as in `resource(Db::connect(url))`. Reported before any node
    /// runs, as [`MissingResource`](WorkflowError::MissingResource) is.
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// struct Db;
    /// impl Db {
    ///     async fn connect(_url: &str) -> Db {
    ///         Db
    ///     }
    /// }
    ///
    /// #[node]
    /// async fn load(id: u32, _db: Res<Db>) -> u32 {
    ///     id
    /// }
    ///
    /// workflow! {
    ///     struct Load {
    ///         input id: u32,
    ///         row = load(id),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let rt = Runtime::builder().resource(Db::connect("db://")).build(); // no `.await`
    /// let err = rt.execute(Load, LoadInput { id: 1 }).await.unwrap_err();
    /// assert!(matches!(err, WorkflowError::ResourceRegisteredAsFuture { .. }));
    /// assert!(err.to_string().contains("if it is the future of `Db::connect`, `.await` it"));
    ///
    /// let rt = Runtime::builder().resource(Db::connect("db://").await).build();
    /// assert_eq!(rt.execute(Load, LoadInput { id: 1 }).await.unwrap().outputs.row, 1);
    /// # });
    /// ```
    ResourceRegisteredAsFuture {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that asked for the resource (a path inside a fan-out or
        /// sub-workflow).
        node: NodeName,
        /// The resource type.
        type_name: &'static str,
        /// The registered type no `Res<..>` can name (`app::Db::connect::{{closure}}`).
        registered: &'static str,
    },
    /// A node needs `Res<T>`, no `T` is registered, but a value of the same type with
    /// other type parameters is: `EventQueue<i32>` where the node takes
    /// `Res<EventQueue<u32>>`, as `EventQueue::new()` becomes when only integer literals
    /// are sent into it (a literal is an `i32` unless its type is given). Reported before
    /// any node runs, as [`MissingResource`](WorkflowError::MissingResource) is.
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn total(events: Res<EventQueue<u32>>) -> u32 {
    ///     let mut sum = 0;
    ///     while let Some(v) = events.try_recv() {
    ///         sum += v;
    ///     }
    ///     sum
    /// }
    ///
    /// workflow! {
    ///     struct Total {
    ///         sum = total(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let queue = EventQueue::new(); // an `EventQueue<i32>`: the literals below decide
    /// queue.send(1);
    /// queue.send(2);
    /// let err = Runtime::builder().resource(queue).build().execute(Total, TotalInput {}).await.unwrap_err();
    /// assert!(matches!(err, WorkflowError::ResourceRegisteredAsOtherType { .. }));
    /// assert!(err.to_string().contains("but `EventQueue<i32>` is registered"), "{err}");
    ///
    /// let queue = EventQueue::<u32>::new(); // the type the node takes
    /// queue.send(1);
    /// queue.send(2);
    /// let run = Runtime::builder().resource(queue).build().execute(Total, TotalInput {}).await.unwrap();
    /// assert_eq!(run.outputs.sum, 3);
    /// # });
    /// ```
    ResourceRegisteredAsOtherType {
        /// The workflow.
        workflow: &'static str,
        /// The node binding that asked for the resource (a path inside a fan-out or
        /// sub-workflow).
        node: NodeName,
        /// The resource type.
        type_name: &'static str,
        /// The registered type of the same name with other type parameters
        /// (`workflow_core::events::EventQueue<i32>`).
        registered: &'static str,
    },
    /// The run cannot make progress: every running node waits on something no live node
    /// will provide, or nothing progressed for the stall limit.
    Deadlock {
        /// The workflow.
        workflow: &'static str,
        /// Which nodes wait and on what.
        report: DeadlockReport,
    },
    /// The run was cancelled from outside (through its cancellation token).
    Cancelled {
        /// The workflow.
        workflow: &'static str,
        /// The nodes that were running when the run was cancelled (by binding, or by path
        /// in a sub-workflow or fan-out item).
        running: Vec<NodeName>,
        /// The nodes of `running` that were waiting between two attempts (a retry's
        /// backoff) when the run was cancelled, each with the attempt that failed and its
        /// error, as for [`Timeout`](WorkflowError::Timeout)'s `retrying`; `{}` names them
        /// apart ("waiting to retry: f (attempt 2 failed: ..)"), not as still running.
        /// Empty when none was.
        retrying: Vec<RetryWait>,
    },
    /// Several independent branches failed (only with `failure = "continue"`).
    Multiple {
        /// The workflow.
        workflow: &'static str,
        /// Each failure, in the order it happened.
        errors: Vec<WorkflowError>,
    },
    /// The run was polled outside a tokio runtime (by another executor's `block_on`),
    /// but something in it needs tokio: a run timeout or stall limit (tokio's timer), a
    /// `#[node(spawn)]` node (tokio's task spawner), or a node's timeout. Reported before
    /// any node runs; a run of plain in-task nodes needs no tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    /// use workflow_core::TokioNeed;
    ///
    /// #[node]
    /// async fn one() -> u32 { 1 }
    ///
    /// workflow! {
    ///     struct One {
    ///         x = one(),
    ///     }
    /// }
    ///
    /// let opts = RunOptions::new().timeout(Duration::from_secs(1));
    /// // Polled by hand, with no tokio runtime: the run ends at its first poll.
    /// let mut run = std::pin::pin!(Runtime::new().execute_with(One, OneInput {}, opts));
    /// let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// let std::task::Poll::Ready(Err(err)) = std::future::Future::poll(run.as_mut(), &mut cx) else {
    ///     panic!("the run should have failed at once");
    /// };
    /// assert!(matches!(err, WorkflowError::NeedsTokio { cause: TokioNeed::RunTimeout, .. }));
    /// assert!(err.to_string().starts_with(
    ///     "workflow `One` needs a tokio runtime because of its run timeout (tokio's timer), \
    ///      and was polled outside one"
    /// ));
    /// ```
    NeedsTokio {
        /// The workflow.
        workflow: &'static str,
        /// The node whose policy needs tokio (a path such as `thumbs[].img` inside a
        /// fan-out's items or `report.send` in a sub-workflow), or, for a sub-workflow's
        /// own run timeout or stall limit, that sub-workflow's node; `None` for the
        /// run's own limits.
        node: Option<NodeName>,
        /// What needs tokio.
        cause: TokioNeed,
    },
    /// The runtime was shut down before the run started.
    ShutDown {
        /// The workflow.
        workflow: &'static str,
    },
    /// A durable run's store failed, or a recorded value no longer decodes. Rows committed
    /// before the failure are intact: the run can be resumed once the cause is fixed.
    Store {
        /// The workflow.
        workflow: &'static str,
        /// The durable run's id in its store (`0`: before the run was created).
        run: i64,
        /// The node whose record failed or does not decode, if one: its binding, or its
        /// path inside a fan-out item or sub-workflow (`thumbs[3].img`).
        node: Option<NodeName>,
        /// The store's error (a `store::StoreError`), kept whole. `{}` prints it
        /// leaving out the run, and the node, this error names already:
        /// `durable run 7 of workflow `Etl`: not found in the store`, `durable run 7 of
        /// workflow `Etl`: store unavailable during renewing a lease: connection refused`
        /// (printed by itself, it names them: `run 7 not found in the store`).
        source: BoxError,
        /// The run's own error, when the run had already failed (a node's error, a
        /// timeout, ..) and the store then failed to record its end: the run stays
        /// unfinished in the store, so it can be resumed, and this says why it failed.
        /// [`WorkflowError::node`] and [`WorkflowError::downcast_ref`] look into it
        /// when the store's error names no node.
        run_error: Option<Box<WorkflowError>>,
    },
}

/// The node's own error is printed by `Display`, so `source()` continues below it: with
/// the node error's own source, if it has one.
impl std::error::Error for WorkflowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NodeFailed { source, .. } | Self::Store { source, .. } => source.source(),
            _ => None,
        }
    }
}

impl WorkflowError {
    /// The errors below this one ([`source`](std::error::Error::source) and on), each
    /// once: a chain that loops (a node error whose `source()` returns itself) ends
    /// where it would come back, and [`Causes::cut`] says so. What `{:#}` prints after
    /// the error's own text.
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("refused")]
    /// struct Refused(#[source] std::io::Error);
    ///
    /// #[node]
    /// async fn call() -> Result<u32, Refused> {
    ///     Err(Refused(std::io::Error::other("connection reset")))
    /// }
    ///
    /// workflow! {
    ///     struct Call {
    ///         c = call(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let err = Runtime::new().execute(Call, CallInput {}).await.unwrap_err();
    /// let causes: Vec<String> = err.causes().map(|c| c.to_string()).collect();
    /// assert_eq!(causes, ["connection reset"]);
    /// # });
    /// ```
    pub fn causes(&self) -> Causes<'_> {
        match self {
            Self::NodeFailed { source, .. } | Self::Store { source, .. } => Causes::of(&**source),
            _ => Causes::from(std::error::Error::source(self)),
        }
    }

    /// The workflow this error comes from.
    pub fn workflow(&self) -> &'static str {
        match self {
            Self::NodeFailed { workflow, .. }
            | Self::NodePanicked { workflow, .. }
            | Self::Timeout { workflow, .. }
            | Self::MissingResource { workflow, .. }
            | Self::ResourceRegisteredAsArc { workflow, .. }
            | Self::ResourceRegisteredAsFuture { workflow, .. }
            | Self::ResourceRegisteredAsOtherType { workflow, .. }
            | Self::Deadlock { workflow, .. }
            | Self::Cancelled { workflow, .. }
            | Self::Multiple { workflow, .. }
            | Self::NeedsTokio { workflow, .. }
            | Self::ShutDown { workflow }
            | Self::Store { workflow, .. } => workflow,
        }
    }

    /// The same error as an error of the root run's workflow `root` (a child run's error
    /// names its node by its path, and the workflow the caller ran).
    pub(crate) fn in_workflow(mut self, root: &'static str) -> Self {
        match &mut self {
            Self::NodeFailed { workflow, .. }
            | Self::NodePanicked { workflow, .. }
            | Self::Timeout { workflow, .. }
            | Self::MissingResource { workflow, .. }
            | Self::ResourceRegisteredAsArc { workflow, .. }
            | Self::ResourceRegisteredAsFuture { workflow, .. }
            | Self::ResourceRegisteredAsOtherType { workflow, .. }
            | Self::Deadlock { workflow, .. }
            | Self::Cancelled { workflow, .. }
            | Self::NeedsTokio { workflow, .. }
            | Self::ShutDown { workflow }
            | Self::Store { workflow, .. } => *workflow = root,
            Self::Multiple { workflow, errors } => {
                *workflow = root;
                for e in std::mem::take(errors) {
                    errors.push(e.in_workflow(root));
                }
            }
        }
        self
    }

    /// The node to blame, if one is: the node that failed, panicked, timed out or
    /// lacked a resource. For [`WorkflowError::Multiple`], the first failure's node.
    #[doc(alias = "node_name")]
    pub fn node(&self) -> Option<&str> {
        match self {
            Self::NodeFailed { node, .. } | Self::NodePanicked { node, .. } => Some(node),
            Self::MissingResource { node, .. }
            | Self::ResourceRegisteredAsArc { node, .. }
            | Self::ResourceRegisteredAsFuture { node, .. }
            | Self::ResourceRegisteredAsOtherType { node, .. } => Some(node),
            Self::Store {
                node, run_error, ..
            } => node
                .as_deref()
                .or_else(|| run_error.as_deref().and_then(Self::node)),
            Self::Timeout {
                scope: TimeoutScope::Node(node),
                ..
            } => Some(node),
            Self::Multiple { errors, .. } => errors.first().and_then(Self::node),
            Self::NeedsTokio { node, .. } => node.as_deref(),
            _ => None,
        }
    }

    /// How many attempts the failed node made (1 without retries): for a node that
    /// failed, or a node that timed out (the last of its attempts ran out of time).
    /// For [`WorkflowError::Multiple`], the first failure's, as [`WorkflowError::node`];
    /// for [`WorkflowError::Store`] without a node of its own, the run's own error's.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("down")]
    /// struct Down;
    ///
    /// #[node(retry(max = 4, backoff = "50ms"))]
    /// async fn call() -> Result<u32, Down> {
    ///     Err(Down)
    /// }
    ///
    /// workflow! {
    ///     struct Call {
    ///         c = call(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let err = Runtime::new().execute(Call, CallInput {}).await.unwrap_err();
    /// assert_eq!(err.node(), Some("c"));
    /// assert_eq!(err.attempts(), Some(4));
    /// assert_eq!(err.to_string(), "node `c` of workflow `Call` failed after 4 attempt(s): down");
    /// # });
    /// ```
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Self::NodeFailed { attempts, .. } => Some(*attempts),
            Self::Timeout { attempts, .. } if *attempts > 0 => Some(*attempts),
            Self::Multiple { errors, .. } => errors.first().and_then(Self::attempts),
            Self::Store {
                node: None,
                run_error: Some(e),
                ..
            } => e.attempts(),
            _ => None,
        }
    }

    /// The node's own error, if a node returned one. For a node returning
    /// `anyhow::Result<T>` (or another error type that dereferences to the error it
    /// carries, such as `eyre::Report`), the error the `anyhow::Error` carries, so
    /// [`downcast_ref`](WorkflowError::downcast_ref) finds a typed error converted into
    /// it.
    pub fn node_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Self::NodeFailed { source, .. } => Some(match source.downcast_ref::<DerefError>() {
                Some(kept) => kept.error(),
                None => source.as_ref(),
            }),
            Self::Multiple { errors, .. } => errors.iter().find_map(Self::node_error),
            Self::Store {
                run_error: Some(e), ..
            } => e.node_error(),
            _ => None,
        }
    }

    /// Downcasts the node's own error to `E`. For a node returning `anyhow::Result` (or
    /// `eyre::Result`), the error the `anyhow::Error` carries or one below it in its
    /// chain, as anyhow's own `downcast_ref` finds an error under `.context(..)`. For
    /// [`WorkflowError::Multiple`], the first failure whose node error is an `E` (as
    /// `Harness::assert_error` finds it). For [`WorkflowError::Store`], the run's own
    /// error if it is an `E`, else the store's error: `err.downcast_ref::<StoreError>()`
    /// finds the `store::StoreError` (`NotFailed`, `NotFound`, ..) of a refused `resume`
    /// or `retry`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            Self::Multiple { errors, .. } => errors.iter().find_map(Self::downcast_ref::<E>),
            Self::Store {
                source, run_error, ..
            } => run_error
                .as_deref()
                .and_then(Self::downcast_ref::<E>)
                .or_else(|| source.downcast_ref::<E>()),
            Self::NodeFailed { source, .. } => match source.downcast_ref::<DerefError>() {
                // An `anyhow::Error` (or `eyre::Report`) dereferences to its outermost
                // layer: with `.context(..)`, the context, whose source is the error
                // it wraps. anyhow's own `downcast_ref` finds that error through its
                // contexts; so does this, through the carried error's source chain.
                // (A chain that loops ends: see `Causes`.)
                Some(kept) => {
                    let error: &(dyn std::error::Error + 'static) = kept.error();
                    std::iter::once(error)
                        .chain(Causes::of(error))
                        .find_map(|e| e.downcast_ref::<E>())
                }
                None => source.downcast_ref::<E>(),
            },
            _ => self.node_error().and_then(|e| e.downcast_ref::<E>()),
        }
    }

    /// Takes the node's own error out, downcast to `E`; gives `self` back otherwise.
    /// Finds what [`downcast_ref`](WorkflowError::downcast_ref) finds (for
    /// [`WorkflowError::Multiple`], the first failure of type `E`, dropping the others),
    /// except an error carried by an `anyhow::Error`, which only anyhow can take out:
    /// read it with `downcast_ref`.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("HTTP {status}")]
    /// struct Http { status: u16 }
    ///
    /// #[node]
    /// async fn fetch() -> Result<String, Http> {
    ///     Err(Http { status: 503 })
    /// }
    ///
    /// workflow! {
    ///     struct Fetch {
    ///         page = fetch(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let err = Runtime::new().execute(Fetch, FetchInput {}).await.unwrap_err();
    /// // Not an `std::io::Error`: the error comes back whole.
    /// let err = err.downcast::<std::io::Error>().unwrap_err();
    /// let http: Http = err.downcast().unwrap();
    /// assert_eq!(http.status, 503);
    /// # });
    /// ```
    pub fn downcast<E: std::error::Error + 'static>(self) -> Result<E, Self> {
        match self {
            Self::Multiple { workflow, errors } => {
                let mut kept = Vec::with_capacity(errors.len());
                for e in errors {
                    match e.downcast::<E>() {
                        Ok(found) => return Ok(found),
                        Err(e) => kept.push(e),
                    }
                }
                Err(Self::Multiple {
                    workflow,
                    errors: kept,
                })
            }
            Self::Store {
                workflow,
                run,
                node,
                source,
                run_error,
            } => {
                let run_error = match run_error.map(|e| e.downcast::<E>()) {
                    Some(Ok(found)) => return Ok(found),
                    Some(Err(e)) => Some(Box::new(e)),
                    None => None,
                };
                match source.downcast::<E>() {
                    Ok(e) => Ok(*e),
                    Err(source) => Err(Self::Store {
                        workflow,
                        run,
                        node,
                        source,
                        run_error,
                    }),
                }
            }
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

    /// Whether this is a [`WorkflowError::Timeout`]: of a node
    /// (`#[node(timeout = ..)]`) or of the whole run ([`RunOptions::timeout`](crate::RunOptions::timeout)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node(timeout = "100ms")]
    /// async fn slow() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(1)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Slow {
    ///         s = slow(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let err = Runtime::new().execute(Slow, SlowInput {}).await.unwrap_err();
    /// assert!(err.is_timeout());
    /// assert!(matches!(
    ///     &err,
    ///     WorkflowError::Timeout { scope: TimeoutScope::Node(node), .. } if node == "s"
    /// ));
    /// # });
    /// ```
    ///
    /// A [`WorkflowError::Multiple`] (`failure = "continue"`) is one when one of its
    /// failures is, as its [`node`](WorkflowError::node) and
    /// [`downcast_ref`](WorkflowError::downcast_ref) answer for its failures; so is a
    /// [`WorkflowError::Store`] whose run had timed out (`run_error`).
    pub fn is_timeout(&self) -> bool {
        self.any(|e| matches!(e, Self::Timeout { .. }))
    }

    /// Whether this is a [`WorkflowError::Deadlock`] (or a `Multiple` or `Store` error
    /// holding one, as for [`is_timeout`](WorkflowError::is_timeout)).
    pub fn is_deadlock(&self) -> bool {
        self.any(|e| matches!(e, Self::Deadlock { .. }))
    }

    /// Whether this is a [`WorkflowError::Cancelled`]: the run was cancelled from outside,
    /// through its [`RunHandle`](crate::RunHandle) or its
    /// [`RunOptions::cancel_token`](crate::RunOptions::cancel_token) (or a `Multiple` or
    /// `Store` error holding one, as for [`is_timeout`](WorkflowError::is_timeout)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn long() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Long {
    ///         l = long(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let token = CancellationToken::new();
    /// let stop = token.clone();
    /// tokio::spawn(async move {
    ///     tokio::time::sleep(Duration::from_secs(1)).await;
    ///     stop.cancel();
    /// });
    /// let opts = RunOptions::new().cancel_token(token);
    /// let err = Runtime::new().execute_with(Long, LongInput {}, opts).await.unwrap_err();
    /// assert!(err.is_cancelled(), "{err}");
    /// assert!(!err.is_timeout());
    /// # });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.any(|e| matches!(e, Self::Cancelled { .. }))
    }

    /// Whether `is` holds for this error, for one of a `Multiple`'s failures, or for a
    /// `Store` error's run error.
    fn any(&self, is: fn(&Self) -> bool) -> bool {
        match self {
            Self::Multiple { errors, .. } => errors.iter().any(|e| e.any(is)),
            Self::Store {
                run_error: Some(e), ..
            } => e.any(is),
            other => is(other),
        }
    }

    /// Whether this is a [`WorkflowError::NodePanicked`]: a node's panic is caught and
    /// reported with the node's name and the panic message; the caller's task goes on.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn parse(text: String) -> u32 {
    ///     text.parse().expect("not a number")
    /// }
    ///
    /// workflow! {
    ///     struct Parse {
    ///         input text: String,
    ///         n = parse(text),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let input = ParseInput { text: "x".into() };
    /// let err = Runtime::new().execute(Parse, input).await.unwrap_err();
    /// assert!(err.is_panic());
    /// assert_eq!(err.node(), Some("n"));
    /// assert!(err.to_string().contains("not a number"), "{err}");
    /// # });
    /// ```
    ///
    /// As for [`is_timeout`](WorkflowError::is_timeout), a `Multiple` one of whose
    /// failures is a panic is one too.
    pub fn is_panic(&self) -> bool {
        self.any(|e| matches!(e, Self::NodePanicked { .. }))
    }
}

#[cfg(test)]
mod tests;
