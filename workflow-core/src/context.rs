//! What a node can see of its run: [`Context`], cancellation, custom trace events and
//! tracked waits.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::resources::Res;
use crate::shared::RunShared;
use crate::trace::TraceKind;
use crate::waits::{TrackedWait, WaitError};

/// The run-time view of a node: its name, run, attempt, cancellation, custom trace
/// events and tracked waits.
///
/// Take it as a `&Context` parameter of a `#[node]` fn; it is not a port.
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
///
/// #[node]
/// async fn who(ctx: &Context) -> String {
///     ctx.emit("about to answer");
///     format!("{} (attempt {})", ctx.node(), ctx.attempt())
/// }
///
/// workflow! {
///     struct Who {
///         me = who(),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let run = Runtime::new().execute(Who, WhoInput {}).await.unwrap();
/// assert_eq!(run.outputs.me, "me (attempt 1)");
/// # });
/// ```
#[derive(Clone)]
pub struct Context {
    shared: Arc<RunShared>,
    node: usize,
    attempt: u32,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("workflow", &self.shared.workflow)
            .field("run_id", &self.shared.run_id)
            .field("node", &self.node())
            .field("attempt", &self.attempt)
            .finish()
    }
}

impl Context {
    pub(crate) fn new(shared: Arc<RunShared>, node: usize, attempt: u32) -> Self {
        Self {
            shared,
            node,
            attempt,
        }
    }

    /// The run's shared state and this node's index in its plan (for child runs).
    pub(crate) fn parts(&self) -> (&Arc<RunShared>, usize) {
        (&self.shared, self.node)
    }

    /// The node's path in the root run: its binding (`fetch`), or inside a sub-workflow
    /// or fan-out item, the binding after its path (`report.layout`, `thumbs[3].img`).
    pub fn path(&self) -> crate::error::NodeName {
        self.shared.node_name(self.node)
    }

    /// The node binding's name in the workflow (`fetch` in `fetch = fetch_data(url)`).
    pub fn node(&self) -> &'static str {
        self.shared.nodes[self.node].name
    }

    /// The name of the `#[node]` fn (`fetch_data` in `fetch = fetch_data(url)`).
    pub fn node_fn(&self) -> &'static str {
        self.shared.nodes[self.node].node_fn
    }

    /// The workflow's name.
    pub fn workflow(&self) -> &'static str {
        self.shared.workflow
    }

    /// The run's id, unique in this process.
    pub fn run_id(&self) -> u64 {
        self.shared.run_id
    }

    /// A key for calls to the outside world (payments, emails, APIs that deduplicate):
    /// `<workflow>/<run>/<node>`, the same for every attempt of this node in this run, and
    /// different for every other node and run.
    ///
    /// In a durable run (`Runtime::start_durable`), `<run>` is the run's id in its store,
    /// so the key also stays the same when the run is resumed after a crash, and a call
    /// repeated by the resumed node is recognised by the service. A node called by an
    /// engine with the run's name (`Runtime::call_node` with `NodeCall::with_run_key`:
    /// `workflow-temporal` passes the Temporal workflow id) uses that name, the same on
    /// every worker and attempt. Otherwise it is `local-<pid>-<run id>`, stable across
    /// retries only.
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn charge(ctx: &Context) -> String {
    ///     ctx.idempotency_key()
    /// }
    ///
    /// workflow! {
    ///     struct Pay {
    ///         key = charge(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let run = Runtime::new().execute(Pay, PayInput {}).await.unwrap();
    /// assert!(run.outputs.key.starts_with("Pay/local-"));
    /// assert!(run.outputs.key.ends_with("/key"));
    /// # });
    /// ```
    pub fn idempotency_key(&self) -> String {
        let (workflow, node) = (self.shared.root_workflow, self.path());
        if let Some(key) = &self.shared.run_key {
            return format!("{workflow}/{key}/{node}");
        }
        match self.durable_run() {
            Some(run) => format!("{workflow}/{run}/{node}"),
            None => format!(
                "{workflow}/local-{}-{}/{node}",
                std::process::id(),
                self.shared.run_id
            ),
        }
    }

    fn durable_run(&self) -> Option<i64> {
        self.shared.durable_run
    }

    /// The attempt number, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Time since the run started, on tokio's clock.
    pub fn elapsed(&self) -> std::time::Duration {
        self.shared.started.elapsed()
    }

    /// The run's cancellation token: cancelled when the run is cancelled, fails or times out.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.shared.cancel
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancel.is_cancelled()
    }

    /// Completes when the run is cancelled.
    pub async fn cancelled(&self) {
        self.shared.cancel.cancelled().await;
    }

    /// Records a custom event in the run's trace (when the run is traced) and as an
    /// INFO `tracing` event whose message is `message` (target `workflow`, inside the
    /// node's span). Costs nothing when neither is listening.
    pub fn emit(&self, message: impl Into<String>) {
        let traced = self.shared.trace.is_some();
        if !traced && !tracing::enabled!(target: "workflow", tracing::Level::INFO) {
            return;
        }
        let message = message.into();
        tracing::info!(target: "workflow", node = self.node(), "{message}");
        if traced {
            self.shared
                .record(Some(self.node), TraceKind::Custom { message });
        }
    }

    /// A resource registered on the runtime, if there is one of type `T`.
    pub fn resource<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Res<T>> {
        self.shared.runtime.resource::<T>()
    }

    /// Publishes `value` under `key` for [`Context::wait`]ers in this run; wakes them.
    ///
    /// A later publish under the same key replaces the value.
    pub fn publish<T: Clone + Send + Sync + 'static>(&self, key: impl Into<String>, value: T) {
        let key = key.into();
        self.shared
            .record_with(Some(self.node), || TraceKind::Custom {
                message: format!("published `{key}`"),
            });
        self.shared.waits.publish(key, Arc::new(value));
    }

    /// Waits until some node of this run publishes a value under `key`, and returns a
    /// clone of it.
    ///
    /// The wait is *tracked*: when every live node of the run is blocked in a tracked
    /// wait, nobody can publish, and the run fails at once with
    /// [`WorkflowError::Deadlock`](crate::WorkflowError::Deadlock) naming each node and
    /// its key. Use a node's name as the key (`ctx.wait::<T>("task2")`) and the report
    /// also prints the wait-for cycle.
    ///
    /// # Errors
    ///
    /// [`WaitError`] when the published value is not a `T`.
    pub fn wait<T: Clone + Send + Sync + 'static>(
        &self,
        key: impl Into<String>,
    ) -> impl Future<Output = Result<T, WaitError>> + Send + '_ {
        let shared = &self.shared;
        let node = self.node;
        let mut wait = TrackedWait::new(&shared.waits, node, key.into());
        std::future::poll_fn(move |cx| {
            wait.poll_value(cx.waker(), |key| {
                shared.record_with(Some(node), || TraceKind::Waiting {
                    key: key.to_owned(),
                });
            })
        })
    }

    /// Waits for a signal: `wait::<()>`.
    pub async fn wait_signal(&self, key: impl Into<String>) {
        // `()` always downcasts, and any published value counts as the signal.
        let _ = self.wait::<()>(key).await;
    }

    /// Publishes a signal: `publish(key, ())`.
    pub fn signal(&self, key: impl Into<String>) {
        self.publish(key, ());
    }
}
