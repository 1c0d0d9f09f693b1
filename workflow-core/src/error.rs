//! Errors of a workflow run.

use std::fmt;
use std::time::Duration;

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
        /// The store's error (a `store::StoreError`).
        source: BoxError,
        /// The run's own error, when the run had already failed (a node's error, a
        /// timeout, ..) and the store then failed to record its end: the run stays
        /// unfinished in the store, so it can be resumed, and this says why it failed.
        /// [`WorkflowError::node`] and [`WorkflowError::downcast_ref`] look into it
        /// when the store's error names no node.
        run_error: Option<Box<WorkflowError>>,
    },
}

/// As `#[derive(Debug)]` prints it (`{:#?}` too), except the run's own timeout, which
/// leaves out `attempts` and `all_attempts`: they describe a node's timeout, and read
/// `attempts: 0, all_attempts: false` for the run's (a new-user trial took them for
/// facts about the run). The fields stay, so patterns and code reading them work as
/// before.
impl fmt::Debug for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One arm per variant, each listing every field (no `..`): a new field or
        // variant is a compile error here until it is printed.
        macro_rules! derived {
            ($($variant:ident { $($field:ident),* }),* $(,)?) => {
                match self {
                    Self::Timeout {
                        workflow,
                        scope: scope @ TimeoutScope::Workflow,
                        limit,
                        running,
                        attempts: _,
                        all_attempts: _,
                        retrying,
                    } => f
                        .debug_struct("Timeout")
                        .field("workflow", workflow)
                        .field("scope", scope)
                        .field("limit", limit)
                        .field("running", running)
                        .field("retrying", retrying)
                        .finish(),
                    $(Self::$variant { $($field),* } => f
                        .debug_struct(stringify!($variant))
                        $(.field(stringify!($field), $field))*
                        .finish(),)*
                }
            };
        }
        derived!(
            NodeFailed {
                workflow,
                node,
                attempts,
                source
            },
            NodePanicked {
                workflow,
                node,
                message
            },
            Timeout {
                workflow,
                scope,
                limit,
                running,
                attempts,
                all_attempts,
                retrying
            },
            MissingResource {
                workflow,
                node,
                type_name
            },
            ResourceRegisteredAsArc {
                workflow,
                node,
                type_name
            },
            ResourceRegisteredAsFuture {
                workflow,
                node,
                type_name,
                registered
            },
            ResourceRegisteredAsOtherType {
                workflow,
                node,
                type_name,
                registered
            },
            Deadlock { workflow, report },
            Cancelled {
                workflow,
                running,
                retrying
            },
            Multiple { workflow, errors },
            NeedsTokio {
                workflow,
                node,
                cause
            },
            ShutDown { workflow },
            Store {
                workflow,
                run,
                node,
                source,
                run_error
            },
        )
    }
}

/// `{}` includes the node's own message; `{:#}` adds the rest of the chain (the node
/// error's sources), as anyhow's `{:#}` does.
impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NodeFailed {
                workflow,
                node,
                attempts,
                source,
            } => write!(
                f,
                "node `{node}` of workflow `{workflow}` failed after {attempts} attempt(s): {source}"
            )?,
            Self::NodePanicked {
                workflow,
                node,
                message,
            } => write!(f, "node `{node}` of workflow `{workflow}` panicked: {message}")?,
            Self::Timeout {
                workflow,
                scope,
                limit,
                running,
                attempts,
                all_attempts,
                retrying,
            } => {
                write!(f, "{scope} of workflow `{workflow}` timed out after {limit:?}")?;
                let is_scope = |r: &str| match scope {
                    TimeoutScope::Node(node) => is_named(node, r),
                    TimeoutScope::Workflow => false,
                };
                // With retries, say how many attempts were made, and which limit ran
                // out: one attempt's (`timeout`) or all of them together's
                // (`retry(total_timeout)`, which an attempt reaches part-way, or the
                // wait before the next one).
                let own_wait = retrying.iter().find(|w| is_scope(&w.node));
                match (*all_attempts, *attempts, own_wait) {
                    (true, 0, _) => f.write_str(
                        ", its `retry(total_timeout)`, before its first attempt began",
                    )?,
                    (true, _, Some(wait)) => write!(
                        f,
                        ", its `retry(total_timeout)` for all attempts, while waiting to retry: {}",
                        wait.failed()
                    )?,
                    (true, n, None) => write!(
                        f,
                        ", its `retry(total_timeout)` for all attempts, during attempt {n}"
                    )?,
                    (false, n, _) if n > 1 => write!(f, " in the last of {n} attempt(s)")?,
                    (false, _, _) => {}
                }
                // A node's own timeout lists that node in `running`; "still running: s"
                // after "node `s` timed out" read as if it had not been stopped. Name only
                // the others, if any; those between two attempts (a retry's backoff)
                // apart: "still running" would say an attempt was cut short.
                let waiting = |r: &str| retrying.iter().any(|w| w.node == r);
                let others: Vec<&str> = running
                    .iter()
                    .map(|r| &**r)
                    .filter(|r| !is_scope(r) && !waiting(r))
                    .collect();
                let waits: Vec<&RetryWait> =
                    retrying.iter().filter(|w| !is_scope(&w.node)).collect();
                if !others.is_empty()
                    || (matches!(scope, TimeoutScope::Workflow) && waits.is_empty())
                {
                    write!(f, "; still running: {}", List(&others))?;
                }
                if !waits.is_empty() {
                    f.write_str("; waiting to retry: ")?;
                    for (i, wait) in waits.iter().enumerate() {
                        let sep = if i == 0 { "" } else { ", " };
                        write!(f, "{sep}{} ({})", wait.node, wait.failed())?;
                    }
                }
            }
            Self::MissingResource {
                workflow,
                node,
                type_name,
            } => {
                let is_dyn = is_trait_object(type_name);
                let type_name = ShortType(type_name);
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{type_name}`, which is not registered; "
                )?;
                // A trait object has no size: `resource(..)` cannot take one.
                if is_dyn {
                    write!(
                        f,
                        "add a value of a type that implements it with `Runtime::builder().resource_arc::<{type_name}>(Arc::new(..))` (`insert_resource_arc::<{type_name}>(..)` on a running runtime or a `Harness`)"
                    )?;
                } else if let Some(inner) = type_name
                    .to_string()
                    .strip_prefix("Arc<")
                    .and_then(|t| t.strip_suffix('>'))
                {
                    // `Res<Arc<Mutex<S>>>`, the shared-state habit of hand-written code,
                    // registered with `resource_arc(arc)` (which registers `Mutex<S>`).
                    write!(
                        f,
                        "register the `Arc` itself with `Runtime::builder().resource(arc)` (`insert_resource(arc)` on a running runtime or a `Harness`), or, since a `Res` is already a shared handle, take `Res<{inner}>` in the node and register it with `resource_arc(arc)`"
                    )?;
                } else {
                    // A test's runtime is often a `Harness`'s: name its call too.
                    f.write_str("add it with `Runtime::builder().resource(..)` (`insert_resource(..)` on a running runtime or a `Harness`)")?;
                }
            }
            Self::ResourceRegisteredAsArc {
                workflow,
                node,
                type_name,
            } if is_trait_object(type_name) => {
                let type_name = ShortType(type_name);
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{type_name}`, but an `Arc` was registered with `resource(..)` or `insert_resource(..)`, which registers the type `Arc<..>` itself; register it with `resource_arc::<{type_name}>(..)` (`insert_resource_arc::<{type_name}>(..)` on a running runtime or a `Harness`) so nodes receive it as `Res<{type_name}>`"
                )?;
            }
            Self::ResourceRegisteredAsArc {
                workflow,
                node,
                type_name,
            } => {
                let type_name = ShortType(type_name);
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{type_name}`, but an `Arc<{type_name}>` was registered; register it with `resource_arc(..)` so nodes receive it as `Res<{type_name}>`"
                )?;
            }
            Self::ResourceRegisteredAsFuture {
                workflow,
                node,
                type_name,
                registered,
            } => {
                let type_name = ShortType(type_name);
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{type_name}`, which is not registered; "
                )?;
                let (shown, origin) = future_origin(registered);
                write!(
                    f,
                    "what is registered in its place (`{shown}`) is a future or closure, which no `Res<..>` can name: "
                )?;
                match origin {
                    Some(origin) => write!(
                        f,
                        "if it is the future of `{origin}`, `.await` it before registering, as in `Runtime::builder().resource({origin}(..).await)` (add `?` if it returns a `Result`)"
                    )?,
                    None => f.write_str("`.await` a future before registering its value")?,
                }
            }
            Self::ResourceRegisteredAsOtherType {
                workflow,
                node,
                type_name,
                registered,
            } => {
                let (wanted, registered) = (ShortType(type_name), ShortType(registered));
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{wanted}`, which is not registered, but `{registered}` is registered: the same type with other type parameters, which inference gives a value built without them (an integer literal is an `i32`, a float an `f64`, unless told otherwise); name the type where the value is built, as in `let value: {wanted} = ..` (`EventQueue::<u32>::new()`)"
                )?;
            }
            Self::Deadlock { workflow, report } => {
                write!(f, "deadlock in workflow `{workflow}`: {report}")?;
            }
            Self::Cancelled {
                workflow,
                running,
                retrying,
            } => {
                write!(f, "run of workflow `{workflow}` was cancelled")?;
                // Those between two attempts apart, as a run's timeout names them.
                let others: Vec<&str> = running
                    .iter()
                    .map(|r| &**r)
                    .filter(|r| !retrying.iter().any(|w| w.node == *r))
                    .collect();
                if !others.is_empty() || retrying.is_empty() {
                    write!(f, "; still running: {}", List(&others))?;
                }
                if !retrying.is_empty() {
                    f.write_str("; waiting to retry: ")?;
                    for (i, wait) in retrying.iter().enumerate() {
                        let sep = if i == 0 { "" } else { ", " };
                        write!(f, "{sep}{} ({})", wait.node, wait.failed())?;
                    }
                }
            }
            // No single source: each failure is printed with its own cause.
            Self::Multiple { workflow, errors } => {
                let nodes = if errors.len() == 1 { "node" } else { "nodes" };
                write!(f, "{} {nodes} of workflow `{workflow}` failed: ", errors.len())?;
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    // `{:#}` promises the whole chain: pass it on to each failure.
                    if f.alternate() {
                        write!(f, "{e:#}")?;
                    } else {
                        write!(f, "{e}")?;
                    }
                }
            }
            Self::ShutDown { workflow } => write!(
                f,
                "the runtime is shut down; workflow `{workflow}` was not started"
            )?,
            Self::NeedsTokio {
                workflow,
                node,
                cause,
            } => {
                write!(f, "workflow `{workflow}` needs a tokio runtime because of ")?;
                let (what, drop) = cause.what_and_fix();
                match (node, cause) {
                    (None, _) => write!(f, "its {what}")?,
                    (Some(node), TokioNeed::RunTimeout | TokioNeed::StallLimit) => {
                        write!(f, "the {what} of its sub-workflow node `{node}`")?;
                    }
                    (Some(node), _) => write!(f, "the {what} of its node `{node}`")?,
                }
                write!(
                    f,
                    ", and was polled outside one (another executor's `block_on`): run it inside a tokio runtime (`#[tokio::main]`, `tokio::runtime::Runtime::block_on`), or drop {drop}"
                )?;
            }
            Self::Store {
                workflow,
                run,
                node,
                source,
                run_error,
            } => {
                // Run 0: refused before a run was created (no store, a key naming
                // another run); "durable run 0" read like a run of that id.
                if *run == 0 {
                    write!(f, "durable workflow `{workflow}`")?;
                } else {
                    write!(f, "durable run {run} of workflow `{workflow}`")?;
                }
                if let Some(node) = node {
                    write!(f, ", node `{node}`")?;
                }
                write!(f, ": {source}")?;
                if let Some(e) = run_error {
                    write!(f, " (after the run itself failed: {e})")?;
                }
            }
        }
        if f.alternate() {
            let mut source = std::error::Error::source(self);
            while let Some(cause) = source {
                write!(f, ": {cause}")?;
                source = cause.source();
            }
        }
        Ok(())
    }
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

/// Whether `name` (in `running`: the node's path, or a binding such as `b` in an error
/// made by hand) names the node at `path` (`b`, or `out[2].b` inside a fan-out item or
/// sub-workflow).
fn is_named(path: &str, name: &str) -> bool {
    path == name
        || path
            .strip_suffix(name)
            .is_some_and(|head| head.ends_with('.'))
}

/// Node names, comma-separated, or `none`.
struct List<'a>(&'a [&'a str]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&self.0.join(", "))
        }
    }
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
                Some(kept) => {
                    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(kept.error());
                    while let Some(e) = cur {
                        if let Some(found) = e.downcast_ref::<E>() {
                            return Some(found);
                        }
                        cur = e.source();
                    }
                    None
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
    fn failed(&self) -> impl fmt::Display + '_ {
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
                Some(key) => write!(f, "`{}` waits for `{key}`", w.node)?,
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

/// Whether `type_name` (from [`std::any::type_name`]) names a trait object, which is
/// registered only as an `Arc<dyn Trait>` through `resource_arc`.
pub(crate) fn is_trait_object(type_name: &str) -> bool {
    type_name.starts_with("dyn ")
}

/// What the registered future or closure type `type_name` is, as a user reads it: its
/// path without the `Pin<Box<..>>` around it and without the crate
/// (`Db::connect::{{closure}}` for `app::Db::connect::{{closure}}`), and the fn it is
/// most likely the future of (`Db::connect`; `make` for `app::make::{{closure}}`):
/// `None` when it is a block or closure nested in a fn (two `{{closure}}`s) or a boxed
/// `dyn Future`.
fn future_origin(type_name: &str) -> (&str, Option<String>) {
    let mut name = type_name;
    while let Some(inner) = name
        .strip_prefix("core::pin::Pin<")
        .or_else(|| name.strip_prefix("alloc::boxed::Box<"))
        .and_then(|inner| inner.strip_suffix('>'))
    {
        name = inner;
    }
    let shown = match name.split_once("::") {
        Some((_krate, rest)) if !name.starts_with("dyn ") => rest,
        _ => name,
    };
    let origin = name
        .strip_suffix("::{{closure}}")
        .filter(|path| !path.ends_with("}}"))
        .and_then(|path| {
            let mut segments = path.rsplit("::");
            let fn_name = segments.next().filter(|s| !s.is_empty())?;
            Some(match segments.next() {
                Some(owner) if owner.starts_with(char::is_uppercase) => {
                    format!("{owner}::{fn_name}")
                }
                _ => fn_name.to_owned(),
            })
        });
    (shown, origin)
}

/// Prints a [`std::any::type_name`] as it is written in code, without module paths:
/// `alloc::vec::Vec<alloc::string::String>` as `Vec<String>`, `dyn my_app::Rates` as
/// `dyn Rates` (what a user types in `resource_arc::<dyn Rates>`).
pub(crate) struct ShortType<'a>(pub(crate) &'a str);

impl fmt::Display for ShortType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while !rest.is_empty() {
            // The next run of identifier characters, then what follows it.
            let ident_len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let (ident, after) = rest.split_at(ident_len);
            if ident.is_empty() {
                // Punctuation (`<`, `, `, `&`, `>::` of `<T as Tr>::X`): kept as it is.
                let c = after.chars().next().expect("rest is not empty");
                f.write_str(&after[..c.len_utf8()])?;
                rest = &after[c.len_utf8()..];
            } else if let Some(tail) = after.strip_prefix("::") {
                // A module path segment: dropped.
                rest = tail;
            } else {
                f.write_str(ident)?;
                rest = after;
            }
        }
        Ok(())
    }
}

/// A node's error of a type that dereferences to the error it carries, such as
/// `anyhow::Error` or `eyre::Report` (what a `#[node]` fn returning `anyhow::Result<T>`
/// fails with). It prints, and continues its `source()` chain, as the error it carries;
/// [`WorkflowError::node_error`](crate::WorkflowError::node_error) gives that error, so
/// `err.downcast_ref::<MyError>()` finds a `MyError` converted into an `anyhow::Error`
/// (not one under a `.context(..)`: that is the context's source). It cannot be taken
/// out by value ([`WorkflowError::downcast`](crate::WorkflowError::downcast) gives the
/// error back): only the carrier knows how.
pub(crate) struct DerefError(pub(crate) Box<dyn CarriesError>);

/// An error type that dereferences to the error it carries (`anyhow::Error`,
/// `eyre::Report`): what `DerefError` keeps. Implemented for every such type; public
/// only as the bound of the probe's arm (for generated code).
#[doc(hidden)]
pub trait CarriesError: Send + Sync + 'static {
    /// The error it carries.
    fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static);
    /// Its own `Debug` (anyhow's lists the causes).
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl<E> CarriesError for E
where
    E: std::ops::Deref<Target = dyn std::error::Error + Send + Sync + 'static>
        + fmt::Debug
        + Send
        + Sync
        + 'static,
{
    fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &**self
    }
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl DerefError {
    /// The error it carries.
    pub(crate) fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.0.error()
    }
}

impl fmt::Debug for DerefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f)
    }
}

impl fmt::Display for DerefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.error(), f)
    }
}

impl std::error::Error for DerefError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error().source()
    }
}

/// A caught panic's message (in the bottom layer: the runtime's callbacks, in `shared`,
/// report theirs too).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_failed(node: &'static str, message: &str) -> WorkflowError {
        WorkflowError::NodeFailed {
            workflow: "W",
            node: node.into(),
            attempts: 2,
            source: std::io::Error::other(message.to_owned()).into(),
        }
    }

    /// What anyhow's `{:#}` prints: every error of the `source()` chain, joined by `: `.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut parts = vec![e.to_string()];
        let mut source = e.source();
        while let Some(s) = source {
            parts.push(s.to_string());
            source = s.source();
        }
        parts.join(": ")
    }

    /// `{:?}` of the run's own timeout says only what is true of it: no `attempts: 0,
    /// all_attempts: false` (a node's timeout's fields, found by a new-user trial); a
    /// node's timeout and the other variants print as `#[derive(Debug)]` did.
    #[test]
    fn debug_of_the_runs_timeout_leaves_out_the_fields_of_a_nodes_timeout() {
        let timeout = |scope, attempts| WorkflowError::Timeout {
            workflow: "W",
            scope,
            limit: Duration::from_millis(700),
            running: vec!["y".into()],
            attempts,
            all_attempts: false,
            retrying: Vec::new(),
        };
        let run = timeout(TimeoutScope::Workflow, 0);
        assert_eq!(
            format!("{run:?}"),
            r#"Timeout { workflow: "W", scope: Workflow, limit: 700ms, running: ["y"], retrying: [] }"#
        );
        assert!(!format!("{run:#?}").contains("attempts"), "{run:#?}");
        let node = timeout(TimeoutScope::Node("y".into()), 3);
        assert_eq!(
            format!("{node:?}"),
            r#"Timeout { workflow: "W", scope: Node("y"), limit: 700ms, running: ["y"], attempts: 3, all_attempts: false, retrying: [] }"#
        );
        let panicked = WorkflowError::NodePanicked {
            workflow: "W",
            node: "n".into(),
            message: "boom".into(),
        };
        assert_eq!(
            format!("{panicked:?}"),
            r#"NodePanicked { workflow: "W", node: "n", message: "boom" }"#
        );
        assert_eq!(
            format!("{:?}", WorkflowError::ShutDown { workflow: "W" }),
            r#"ShutDown { workflow: "W" }"#
        );
    }

    #[test]
    fn type_names_print_without_module_paths() {
        let short = |name: &str| ShortType(name).to_string();
        assert_eq!(short("alloc::string::String"), "String");
        assert_eq!(short("u32"), "u32");
        assert_eq!(
            short("alloc::vec::Vec<alloc::string::String>"),
            "Vec<String>"
        );
        assert_eq!(
            short(
                "std::collections::hash::map::HashMap<u8, alloc::sync::Arc<dyn my_app::db::Rates>>"
            ),
            "HashMap<u8, Arc<dyn Rates>>"
        );
        assert_eq!(short("&'static str"), "&'static str");
        assert_eq!(
            short("(u8, [core::option::Option<i64>; 3])"),
            "(u8, [Option<i64>; 3])"
        );
        assert_eq!(short("<a::T as b::Tr>::Assoc"), "<T as Tr>::Assoc");
    }

    #[test]
    fn a_missing_resource_is_named_as_it_is_written() {
        let e = WorkflowError::MissingResource {
            workflow: "W",
            node: "thumbs[0].img".into(),
            type_name: "dyn my_app::Rates",
        };
        assert_eq!(
            e.to_string(),
            "node `thumbs[0].img` of workflow `W` needs resource `dyn Rates`, which is not registered; add a value of a type that implements it with `Runtime::builder().resource_arc::<dyn Rates>(Arc::new(..))` (`insert_resource_arc::<dyn Rates>(..)` on a running runtime or a `Harness`)"
        );
        let e = WorkflowError::MissingResource {
            workflow: "Site",
            node: "per[0].one.s".into(),
            type_name: "my_app::Registry",
        };
        assert_eq!(
            e.to_string(),
            "node `per[0].one.s` of workflow `Site` needs resource `Registry`, which is not registered; add it with `Runtime::builder().resource(..)` (`insert_resource(..)` on a running runtime or a `Harness`)"
        );
        let e = WorkflowError::MissingResource {
            workflow: "B",
            node: "n".into(),
            type_name: "alloc::sync::Arc<std::sync::Mutex<my_app::Counter>>",
        };
        assert_eq!(
            e.to_string(),
            "node `n` of workflow `B` needs resource `Arc<Mutex<Counter>>`, which is not registered; register the `Arc` itself with `Runtime::builder().resource(arc)` (`insert_resource(arc)` on a running runtime or a `Harness`), or, since a `Res` is already a shared handle, take `Res<Mutex<Counter>>` in the node and register it with `resource_arc(arc)`"
        );
    }

    #[test]
    fn a_future_registered_for_a_resource_names_the_fn_to_await() {
        let e = |registered| WorkflowError::ResourceRegisteredAsFuture {
            workflow: "W",
            node: "save".into(),
            type_name: "my_app::db::Db",
            registered,
        };
        assert_eq!(
            e("my_app::db::Db::connect::{{closure}}").to_string(),
            "node `save` of workflow `W` needs resource `Db`, which is not registered; what is registered in its place (`db::Db::connect::{{closure}}`) is a future or closure, which no `Res<..>` can name: if it is the future of `Db::connect`, `.await` it before registering, as in `Runtime::builder().resource(Db::connect(..).await)` (add `?` if it returns a `Result`)"
        );
        let boxed =
            e("core::pin::Pin<alloc::boxed::Box<my_app::open_db::{{closure}}>>").to_string();
        assert!(
            boxed.contains("(`open_db::{{closure}}`)")
                && boxed.contains("the future of `open_db`, `.await` it")
                && boxed.contains("resource(open_db(..).await)"),
            "{boxed}"
        );
        // A block or closure inside a fn: no fn to name.
        let nested = e("my_app::main::{{closure}}::{{closure}}").to_string();
        assert!(
            nested.ends_with("(`main::{{closure}}::{{closure}}`) is a future or closure, which no `Res<..>` can name: `.await` a future before registering its value"),
            "{nested}"
        );
    }

    #[test]
    fn a_chain_printer_shows_the_node_error_once() {
        let e = node_failed("fetch", "connection refused");
        let expected = "node `fetch` of workflow `W` failed after 2 attempt(s): connection refused";
        assert_eq!(e.to_string(), expected);
        assert_eq!(chain(&e), expected);
        assert_eq!(format!("{e:#}"), expected);
    }

    /// A node error with a source of its own: `Display` shows the node error, `source()`
    /// continues with *its* source, so every message appears exactly once in the chain.
    #[test]
    fn the_chain_continues_below_the_node_error() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("could not load the page")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = WorkflowError::NodeFailed {
            workflow: "W",
            node: "fetch".into(),
            attempts: 1,
            source: Box::new(Outer(std::io::Error::other("connection refused"))),
        };
        assert_eq!(
            e.to_string(),
            "node `fetch` of workflow `W` failed after 1 attempt(s): could not load the page"
        );
        let expected = "node `fetch` of workflow `W` failed after 1 attempt(s): could not load the page: connection refused";
        assert_eq!(chain(&e), expected);
        assert_eq!(format!("{e:#}"), expected);
        assert!(e.downcast_ref::<Outer>().is_some());
    }

    #[test]
    fn multiple_prints_each_failure_with_its_cause() {
        let e = WorkflowError::Multiple {
            workflow: "W",
            errors: vec![node_failed("a", "boom"), node_failed("b", "bang")],
        };
        let expected = "2 nodes of workflow `W` failed: node `a` of workflow `W` failed after 2 attempt(s): boom; node `b` of workflow `W` failed after 2 attempt(s): bang";
        assert_eq!(e.to_string(), expected);
        // No single source, so nothing is repeated by a chain printer either.
        assert!(std::error::Error::source(&e).is_none());
        assert_eq!(format!("{e:#}"), expected);
    }

    /// `{:#}` of several failures shows each one's whole chain; `{}` each one's message.
    #[test]
    fn multiple_passes_the_alternate_form_to_each_failure() {
        let inner = WorkflowError::NodeFailed {
            workflow: "W",
            node: "a".into(),
            attempts: 1,
            source: Box::new(Chained("bad page", std::io::Error::other("reset"))),
        };
        let e = WorkflowError::Multiple {
            workflow: "W",
            errors: vec![inner],
        };
        assert_eq!(
            e.to_string(),
            "1 node of workflow `W` failed: node `a` of workflow `W` failed after 1 attempt(s): bad page"
        );
        assert_eq!(
            format!("{e:#}"),
            "1 node of workflow `W` failed: node `a` of workflow `W` failed after 1 attempt(s): bad page: reset"
        );
    }

    /// An error with a message and a source, for chain tests.
    #[derive(Debug)]
    struct Chained(&'static str, std::io::Error);
    impl fmt::Display for Chained {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Chained {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }

    /// A node's timeout does not call the node "still running" (its `running` holds it,
    /// by binding name, also for a fan-out item's path); a run's timeout lists every
    /// node it stopped, or `none`.
    #[test]
    fn a_timeout_names_only_the_other_nodes_as_still_running() {
        let node = |path: &'static str, running: Vec<&'static str>| WorkflowError::Timeout {
            workflow: "W",
            scope: TimeoutScope::Node(path.into()),
            limit: Duration::from_millis(25),
            running: running.into_iter().map(NodeName::from).collect(),
            attempts: 1,
            all_attempts: false,
            retrying: Vec::new(),
        };
        assert_eq!(
            node("out[2].b", vec!["b"]).to_string(),
            "node `out[2].b` of workflow `W` timed out after 25ms"
        );
        assert_eq!(
            node("out[2].b", vec!["out[2].b", "out[3].b"]).to_string(),
            "node `out[2].b` of workflow `W` timed out after 25ms; still running: out[3].b"
        );
        assert_eq!(
            node("slow", vec!["slow"]).to_string(),
            "node `slow` of workflow `W` timed out after 25ms"
        );
        // `sb` is not `b`: only a whole path segment names the node.
        assert_eq!(
            node("b", vec!["b", "sb"]).to_string(),
            "node `b` of workflow `W` timed out after 25ms; still running: sb"
        );
        let run = WorkflowError::Timeout {
            workflow: "W",
            scope: TimeoutScope::Workflow,
            limit: Duration::from_secs(1),
            running: vec![],
            attempts: 0,
            all_attempts: false,
            retrying: Vec::new(),
        };
        assert_eq!(
            run.to_string(),
            "the run of workflow `W` timed out after 1s; still running: none"
        );
    }

    /// A node between two attempts when time ran out is named as waiting to retry, with
    /// the attempt that failed and its error, not as still running; a node's own
    /// `retry(total_timeout)` that ran out there says so in place of "during attempt".
    #[test]
    fn a_timeout_names_the_nodes_waiting_to_retry_apart() {
        let wait = |node: &'static str, attempt| RetryWait {
            node: node.into(),
            attempt,
            error: "refused".into(),
            delay: Duration::from_millis(500),
        };
        let run = |running: Vec<&'static str>, retrying| WorkflowError::Timeout {
            workflow: "W",
            scope: TimeoutScope::Workflow,
            limit: Duration::from_secs(1),
            running: running.into_iter().map(NodeName::from).collect(),
            attempts: 0,
            all_attempts: false,
            retrying,
        };
        assert_eq!(
            run(vec!["f"], vec![wait("f", 2)]).to_string(),
            "the run of workflow `W` timed out after 1s; waiting to retry: f (attempt 2 failed: refused)"
        );
        assert_eq!(
            run(
                vec!["g", "f", "out[1].h"],
                vec![wait("f", 2), wait("out[1].h", 1)]
            )
            .to_string(),
            "the run of workflow `W` timed out after 1s; still running: g; \
             waiting to retry: f (attempt 2 failed: refused), out[1].h (attempt 1 failed: refused)"
        );
        let total = WorkflowError::Timeout {
            workflow: "W",
            scope: TimeoutScope::Node("s".into()),
            limit: Duration::from_secs(2),
            running: vec!["s".into(), "g".into()],
            attempts: 2,
            all_attempts: true,
            retrying: vec![wait("s", 2)],
        };
        assert_eq!(
            total.to_string(),
            "node `s` of workflow `W` timed out after 2s, its `retry(total_timeout)` for all \
             attempts, while waiting to retry: attempt 2 failed: refused; still running: g"
        );
    }

    /// With retries, the message says which limit ran out: one attempt's `timeout`
    /// (after which the last of the attempts timed out) or the node's
    /// `retry(total_timeout)`, which an attempt reaches part-way.
    #[test]
    fn a_timeout_says_whether_the_limit_was_one_attempts_or_all() {
        let timeout = |attempts, all_attempts| WorkflowError::Timeout {
            workflow: "W",
            scope: TimeoutScope::Node("s".into()),
            limit: Duration::from_millis(330),
            running: vec!["s".into()],
            attempts,
            all_attempts,
            retrying: Vec::new(),
        };
        assert_eq!(
            timeout(3, false).to_string(),
            "node `s` of workflow `W` timed out after 330ms in the last of 3 attempt(s)"
        );
        assert_eq!(
            timeout(3, true).to_string(),
            "node `s` of workflow `W` timed out after 330ms, its `retry(total_timeout)` for all attempts, during attempt 3"
        );
        assert_eq!(
            timeout(0, true).to_string(),
            "node `s` of workflow `W` timed out after 330ms, its `retry(total_timeout)`, before its first attempt began"
        );
    }

    #[test]
    fn errors_without_a_source_print_the_same_either_way() {
        let e = WorkflowError::Cancelled {
            workflow: "W",
            running: vec!["a".into(), "items[1].b".into()],
            retrying: Vec::new(),
        };
        assert_eq!(
            e.to_string(),
            "run of workflow `W` was cancelled; still running: a, items[1].b"
        );
        assert_eq!(format!("{e:#}"), e.to_string());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn a_deadlock_report_serializes_with_its_cycle() {
        let report = DeadlockReport {
            kind: DeadlockKind::Stalled(Duration::from_millis(1500)),
            waiting: vec![
                WaitingNode {
                    node: "a".into(),
                    waits_for: Some("b".into()),
                },
                WaitingNode {
                    node: "b".into(),
                    waits_for: Some("a".into()),
                },
                WaitingNode {
                    node: "c".into(),
                    waits_for: None,
                },
            ],
            cycle: Some(vec!["a".into(), "b".into(), "a".into()]),
            held_back: Vec::new(),
        };
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            serde_json::json!({
                "kind": { "stalled": { "secs": 1, "nanos": 500_000_000 } },
                "waiting": [
                    { "node": "a", "waits_for": "b" },
                    { "node": "b", "waits_for": "a" },
                    { "node": "c", "waits_for": null },
                ],
                "cycle": ["a", "b", "a"],
            })
        );
        let scopes = [TimeoutScope::Workflow, TimeoutScope::Node("fetch".into())];
        assert_eq!(
            serde_json::to_value(scopes).unwrap(),
            serde_json::json!(["workflow", { "node": "fetch" }])
        );
    }
}
