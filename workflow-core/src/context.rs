//! What a node can see of its run: [`Context`], cancellation, custom trace events and
//! tracked waits.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Poll, Waker};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::node::{NodeCallError, Res};
use crate::plan::NodeSpec;
use crate::run::{NodeStatus, RunSnapshot, SnapshotNode};
use crate::runtime::RuntimeInner;
use crate::trace::{TraceEvent, TraceKind, TraceRecorder};

/// State shared by the nodes of one run (one allocation per run).
pub(crate) struct RunShared {
    pub(crate) run_id: u64,
    pub(crate) workflow: &'static str,
    pub(crate) nodes: &'static [NodeSpec],
    pub(crate) started: Instant,
    pub(crate) cancel: CancellationToken,
    pub(crate) trace: Option<TraceRecorder>,
    pub(crate) runtime: Arc<RuntimeInner>,
    board: Mutex<Board>,
    /// Nodes currently blocked in a tracked wait.
    pub(crate) waiting: AtomicUsize,
    /// Live node states, kept only when someone (a test harness) monitors runs.
    pub(crate) live: Option<Mutex<Vec<NodeStatus>>>,
    /// Per node, the latest attempt whose call was polled (0: none). Written only by
    /// nodes whose fn may not run when they are started (spawned, behind the runtime's
    /// node limit, with policies), so that a node stopped before its fn ran is not
    /// reported as having run. Allocated on first use: a run of lean nodes pays nothing.
    attempts_made: OnceLock<Box<[AtomicU32]>>,
}

impl RunShared {
    pub(crate) fn new(
        run_id: u64,
        started: Instant,
        workflow: &'static str,
        nodes: &'static [NodeSpec],
        cancel: CancellationToken,
        trace: bool,
        runtime: Arc<RuntimeInner>,
    ) -> Self {
        let monitored = runtime.is_monitored();
        Self {
            run_id,
            workflow,
            nodes,
            started,
            cancel,
            trace: trace.then(|| TraceRecorder::new(workflow, run_id)),
            runtime,
            board: Mutex::new(Board::default()),
            waiting: AtomicUsize::new(0),
            live: monitored.then(|| Mutex::new(vec![NodeStatus::NotStarted; nodes.len()])),
            attempts_made: OnceLock::new(),
        }
    }

    /// Notes that `node`'s attempt `attempt` has called its fn (its call was polled).
    pub(crate) fn note_attempt(&self, node: usize, attempt: u32) {
        let made = self
            .attempts_made
            .get_or_init(|| self.nodes.iter().map(|_| AtomicU32::new(0)).collect());
        made[node].store(attempt, Ordering::Relaxed);
    }

    /// The latest attempt of `node` whose fn was called, as noted by
    /// [`note_attempt`](Self::note_attempt); 0 when none was.
    pub(crate) fn attempts_made(&self, node: usize) -> u32 {
        self.attempts_made
            .get()
            .map_or(0, |made| made[node].load(Ordering::Relaxed))
    }

    /// Records a trace event if the run is traced. Off the trace, this is one branch.
    #[inline]
    pub(crate) fn record(&self, node: Option<usize>, kind: TraceKind) {
        if let Some(trace) = &self.trace {
            self.push_event(trace, node, kind);
        }
    }

    /// Like [`record`](Self::record), for events whose data costs something to build
    /// (strings): `kind` runs only when the run is traced.
    #[inline]
    pub(crate) fn record_with(&self, node: Option<usize>, kind: impl FnOnce() -> TraceKind) {
        if let Some(trace) = &self.trace {
            self.push_event(trace, node, kind());
        }
    }

    #[cold]
    fn push_event(&self, trace: &TraceRecorder, node: Option<usize>, kind: TraceKind) {
        trace.push(TraceEvent {
            at: self.started.elapsed(),
            node: node.map(|i| self.nodes[i].name),
            kind,
        });
    }

    #[inline]
    pub(crate) fn set_live(&self, node: usize, status: NodeStatus) {
        if let Some(live) = &self.live {
            lock(live)[node] = status;
        }
    }

    pub(crate) fn board(&self) -> MutexGuard<'_, Board> {
        lock(&self.board)
    }

    /// What each live node waits for (by node index).
    pub(crate) fn waits(&self) -> HashMap<usize, String> {
        self.board().waiting_on.clone()
    }

    /// A picture of the run for monitors: node states, waits and the trace so far.
    pub(crate) fn snapshot(&self) -> RunSnapshot {
        let waits = self.waits();
        let statuses = self
            .live
            .as_ref()
            .map(|l| lock(l).clone())
            .unwrap_or_default();
        RunSnapshot {
            workflow: self.workflow,
            run_id: self.run_id,
            elapsed: self.started.elapsed(),
            nodes: self
                .nodes
                .iter()
                .enumerate()
                .map(|(i, spec)| SnapshotNode {
                    name: spec.name,
                    status: statuses.get(i).copied().unwrap_or(NodeStatus::NotStarted),
                    waits_for: waits.get(&i).cloned(),
                })
                .collect(),
            trace: self.trace.as_ref().map(TraceRecorder::snapshot),
        }
    }
}

/// Locks a mutex, ignoring poisoning: every critical section here leaves the data
/// consistent, and a panic in user code never happens while one of these is held.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

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

    #[doc(hidden)]
    pub fn __resource<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Res<T>, NodeCallError> {
        self.resource::<T>()
            .ok_or_else(|| NodeCallError::MissingResource(std::any::type_name::<T>()))
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
        let mut board = self.shared.board();
        let entry = board.entries.entry(key).or_default();
        entry.value = Some(Arc::new(value));
        let waiters = std::mem::take(&mut entry.waiters);
        for w in waiters {
            board.waiting_on.remove(&w.node);
            self.shared.waiting.fetch_sub(1, Ordering::SeqCst);
            w.waker.wake();
        }
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
        let key = key.into();
        let mut wait = TrackedWait {
            shared: &self.shared,
            node: self.node,
            key,
            registered: false,
        };
        std::future::poll_fn(move |cx| wait.poll_value(cx.waker()))
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

/// A tracked wait had a value of another type than asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value published under `{key}` is not a `{expected}`")]
pub struct WaitError {
    /// The key.
    pub key: String,
    /// The type the waiter asked for.
    pub expected: &'static str,
}

#[derive(Default)]
pub(crate) struct Board {
    entries: HashMap<String, BoardEntry>,
    pub(crate) waiting_on: HashMap<usize, String>,
}

#[derive(Default)]
struct BoardEntry {
    value: Option<Arc<dyn Any + Send + Sync>>,
    waiters: Vec<Waiter>,
}

struct Waiter {
    node: usize,
    waker: Waker,
}

struct TrackedWait<'a> {
    shared: &'a Arc<RunShared>,
    node: usize,
    key: String,
    registered: bool,
}

impl TrackedWait<'_> {
    fn poll_value<T: Clone + 'static>(&mut self, waker: &Waker) -> Poll<Result<T, WaitError>> {
        let mut board = self.shared.board();
        let entry = board.entries.entry(self.key.clone()).or_default();
        if let Some(value) = &entry.value {
            let value = Arc::clone(value);
            if self.registered {
                // Not yet released by a publisher (a spurious poll): release ourselves.
                self.unregister_locked(&mut board);
            }
            drop(board);
            return Poll::Ready(value.downcast_ref::<T>().cloned().ok_or_else(|| WaitError {
                key: self.key.clone(),
                expected: std::any::type_name::<T>(),
            }));
        }
        match entry.waiters.iter_mut().find(|w| w.node == self.node) {
            Some(w) => w.waker.clone_from(waker),
            None => {
                entry.waiters.push(Waiter {
                    node: self.node,
                    waker: waker.clone(),
                });
                board.waiting_on.insert(self.node, self.key.clone());
                if !self.registered {
                    self.shared.waiting.fetch_add(1, Ordering::SeqCst);
                    self.registered = true;
                }
                drop(board);
                self.shared
                    .record_with(Some(self.node), || TraceKind::Waiting {
                        key: self.key.clone(),
                    });
                return Poll::Pending;
            }
        }
        Poll::Pending
    }

    /// Removes this waiter if a publisher has not already done so.
    fn unregister_locked(&mut self, board: &mut Board) {
        if !self.registered {
            return;
        }
        self.registered = false;
        if let Some(entry) = board.entries.get_mut(&self.key) {
            let before = entry.waiters.len();
            entry.waiters.retain(|w| w.node != self.node);
            if entry.waiters.len() != before {
                board.waiting_on.remove(&self.node);
                self.shared.waiting.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

impl Drop for TrackedWait<'_> {
    fn drop(&mut self) {
        if self.registered {
            let shared = self.shared;
            let mut board = shared.board();
            self.unregister_locked(&mut board);
        }
    }
}

/// A `Future` object type used by the executor.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
