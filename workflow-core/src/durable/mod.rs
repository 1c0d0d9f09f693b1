//! Durable runs in the runtime: [`Runtime::start_durable`], [`Runtime::resume`],
//! [`Runtime::recover`], [`Runtime::retry`] over the [`Store`] given to
//! [`RuntimeBuilder::store`].
//!
//! # The shape, and why
//!
//! - **Durability is a property of the workflow** (`#[workflow(durable)]`), not a per-run
//!   option: it needs every node output to be serializable, which is checked when the
//!   workflow compiles (one error naming the node and its output type), and a workflow
//!   whose runs are sometimes durable would carry that requirement anyway. The same
//!   workflow still runs without a store through [`Runtime::execute`]: nothing is recorded
//!   and nothing costs anything.
//! - **The store belongs to the runtime** (`Runtime::builder().store(..)`), with the
//!   lease owner and length: every durable run of a process shares one writer, which is
//!   what makes group commit work across runs.
//! - **A run is named by its store's [`RunId`]**, and optionally by an idempotency key
//!   chosen by the caller: starting again with the same key returns the first run's
//!   outputs (or resumes it when it is unfinished and its owner died). A start with the
//!   key of a run this runtime is still driving (a client retrying a request still being
//!   served), or a `resume` of such a run, waits for that drive to end instead of
//!   claiming the run again (its lease is this runtime's own, which the store would
//!   allow) and running its nodes twice; see `runtime::durable::Drives`.
//!
//! # What happens in a durable run
//!
//! The run row (workflow, graph fingerprint, encoded input, key) is created before any
//! node starts. Each node's output is recorded when it finishes; its successors start
//! at once, while the record is in flight (see the executor's `durable.rs` for the rule).
//! A recorder task per run commits the records in order, in batches, and renews the
//! run's lease every third of its length. The run is reported succeeded only after every
//! record committed and the run row says `succeeded` (with its outputs encoded, so a
//! repeated start with the same key gets them); then its node rows are deleted unless
//! [`RuntimeBuilder::keep_records`] was set.
//!
//! On resume, recorded outputs are decoded into their slots and those nodes end as
//! [`NodeStatus::Restored`](crate::NodeStatus::Restored); the others run. A node is not
//! restored when the graph changed at it (its binding, node, inputs or output type differ
//! from the run's fingerprint and row) or its `#[node(version = N)]` differs from its
//! row's, and neither is anything downstream of a node that runs again, so no restored
//! value was computed from inputs the current run would not give it. Nothing refuses the
//! resume but changed workflow inputs (the error names them): a changed node is safe to
//! run again, since everything computed from it runs again too. (Why the version is on
//! the fn, not the binding: the fn's code is what changed, and every workflow using it
//! must see the bump.)
//!
//! A fan-out is checkpointed per item: a durable workflow's `for` body is durable too
//! (and so is `map(W, xs)`'s workflow when it is durable), so each item's nodes are
//! recorded under their paths (`thumbs[3].img`) as they finish, and the fan-out's value,
//! assembled in input order, as one row when it ends. A resumed fan-out without that row
//! restores the recorded nodes of each item and runs the rest (within an item, by the
//! rules above), but only when it runs from the inputs its items were computed from: it
//! did not change and nothing upstream of it runs again; otherwise every item runs. A
//! failed node is not recorded, so an item whose error a `failure = "collect"` fan-out
//! kept runs again on resume (an error is not a checkpoint, and a transient one gets
//! another try). A body with policies of its own runs as whole child runs and is recorded
//! with the fan-out's value only. Details in the executor's `item_records.rs`.
//!
//! A sub-workflow (`report = Render(page)`) is checkpointed the same way, as a fan-out's
//! one item: when its workflow is durable, its nodes are recorded under their paths
//! (`report.layout`; a nested one's `report.head.title`; in an item, `ys[2].r.layout`)
//! as they finish, and its value as one row when it ends. A run that dies inside it
//! resumes with its finished nodes restored, by the same rules (its rows are used only
//! when it runs again from the inputs they were computed from), and runs the rest. A
//! sub-workflow that is not durable (an `#[ephemeral]` binding) or has policies of its
//! own runs again as a whole, and so does one whose graph changed since the run started:
//! its fingerprint entry carries a hash of the sub-workflow's shape (`plan_shape_hash`).
//! So does a fan-out's, of what its items run (the `for` body and the sub-workflows it
//! calls, or `map`'s workflow, nested ones included): when that changed, every item runs
//! again. (A run recorded before fan-out entries had this hash resumes with its fan-outs,
//! and the sub-workflows holding one, changed: they run again once, the safe direction.)
//!
//! An `#[ephemeral]` node (a connection, a handle) is never recorded. On resume it runs
//! only when a node that runs needs it, and is skipped otherwise; running it again does
//! not make its restored consumers run again (the handle it opens is as good as the
//! first), unless the node itself changed (its entry, or its version, which the run's
//! fingerprint carries since no row does) or something upstream of it runs again.
//!
//! # A failed run, run again
//!
//! A failed run keeps its node rows, so [`Runtime::retry`] can run it again from where it
//! failed: [`Store::retry_run`] moves its failure into its attempts and makes the same row
//! unfinished again, leased to this runtime, in one atomic step (one winner among
//! concurrent retries); then it resumes like any claimed run, by the rules above. It keeps
//! its id, because everything that names the run names that id: its rows, its
//! idempotency key (a later start with the key gets the retry's outcome), and
//! `ctx.idempotency_key()`, which services use to recognise a call they already served.
//! A new run would have needed the rows copied, the key moved, and would have shown the
//! restored nodes' calls to the outside world as new ones; the attempts table is what a
//! new run would have added, the history.
//!
//! # Errors
//!
//! A store failure mid-run stops the run (its token is cancelled) and is reported as
//! [`WorkflowError::Store`] naming the run and, when one is to blame, the node; rows
//! committed before stay, so the run can be resumed. A recorded output that no longer
//! decodes is the same error, before any node runs.
//!
//! A store that does not answer: each answer a durable call waits for from its store
//! (creating, reading, claiming, loading the run before it; the records and lease
//! renewals its recorder still waits for after the run; the run's end) is bounded by
//! [`RuntimeBuilder::store_timeout`] (60 s by default), in real time, kept by one thread
//! of the process rather than tokio's timer, so that a paused test clock does not move
//! while a store works (`answer.rs`). Past it, the call's error is a
//! [`StoreError::NoAnswer`] naming the run, the operation and (for a record) the node;
//! the run stays unfinished, as a crash would leave it. A recorder still waiting for its
//! store goes on without the call (it holds the run against a new drive by this runtime
//! until the store answered, that wait bounded the same way), and [`Runtime::shutdown`]
//! waits for it (`shutdown_timeout` bounds that). The deadlock watchdog
//! (`#[workflow(deadlock = ..)]`) and a cancellation through the run's
//! [`RunHandle`](crate::RunHandle) act on the run's nodes, not on the store: a cancelled
//! run still waits for its records.
//!
//! # Where things are
//!
//! This module has the public surface: [`DurableWorkflow`], [`DurableRun`], the
//! builder's store settings and the runtime's `start_durable`, `resume`, `retry` and
//! `recover`. Beside it: `runs` (how those calls start, claim and load runs), `drive`
//! (one drive: the run, its recorder task, the run row finished), `restore` (what a
//! resumed run restores, runs again or leaves not taken), `fingerprint` (the graph as
//! text and what a changed one means).

use std::sync::Arc;
use std::time::Duration;

use crate::error::{NodeName, WorkflowError};
use crate::executor::Workflow;
use crate::run::{NodeReport, NodeStatus, RunReport};
use crate::runtime::{DurableRunEnd, OnDurableEnd, Runtime, RuntimeBuilder};
use crate::store::{OwnerId, Retention, RunId, Store, StoreError};
use crate::trace::ExecutionTrace;

mod answer;
mod drive;
mod fingerprint;
mod restore;
mod runs;

use answer::AnswerLimit;
pub use fingerprint::fingerprint;
use fingerprint::{changed_nodes, refuse_changed_inputs};
use restore::{restorable, Restore};

/// The future of [`Runtime::start_durable`], [`Runtime::resume`], [`Runtime::retry`],
/// [`Runtime::recover`] and [`Runtime::outputs`]: boxed, so that its type names only the
/// output.
pub type DurableFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, WorkflowError>> + Send + 'a>>;

/// What [`Runtime::recover`] gives: each resumed run and its result.
type RecoveredRuns<O> = Vec<(RunId, Result<DurableRun<O>, WorkflowError>)>;

/// A workflow declared `#[workflow(durable)]`: its values can be recorded in a [`Store`].
///
/// Generated by `workflow!`; do not implement it by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a durable workflow",
    label = "declared without `#[workflow(durable)]`",
    note = "add `#[workflow(durable)]` to the workflow: every node output must then be `Serialize + DeserializeOwned`",
    note = "the workflow goes first, its input second: `rt.start_durable(Wf, WfInput {{ .. }}, None)`, `rt.resume(Wf, run_id)`"
)]
pub trait DurableWorkflow: Workflow {
    /// The graph's canonical text: one `binding=node(port<-source,..)` entry per node and
    /// one `input name: Type` per input, `;`-separated. Compared entry by entry on resume.
    const FINGERPRINT: &'static str;
    /// Whether each node (by index) is `#[ephemeral]`: never recorded, recomputed on
    /// resume when a node that runs needs it.
    #[doc(hidden)]
    const EPHEMERAL: &'static [bool];
    /// Each node's `#[node(version = N)]` (1 when not given), by index: a recorded output
    /// of another version is not restored.
    #[doc(hidden)]
    const NODE_VERSIONS: &'static [u32];
    /// `std::any::type_name` of node `node`'s output.
    #[doc(hidden)]
    fn output_type(node: usize) -> &'static str;
    #[doc(hidden)]
    fn encode_input(input: &Self::Input) -> Result<Vec<u8>, StoreError>;
    #[doc(hidden)]
    fn decode_input(bytes: &[u8], run: RunId) -> Result<Self::Input, StoreError>;
    #[doc(hidden)]
    fn encode_value(value: &Self::Value, run: RunId) -> Result<Vec<u8>, StoreError>;
    #[doc(hidden)]
    fn decode_value(node: usize, bytes: &[u8], run: RunId) -> Result<Self::Value, StoreError>;
    #[doc(hidden)]
    fn encode_output(output: &Self::Output, run: RunId) -> Result<Vec<u8>, StoreError>;
    #[doc(hidden)]
    fn decode_output(bytes: &[u8], run: RunId) -> Result<Self::Output, StoreError>;
}

/// The outputs of a durable run.
#[derive(Debug)]
#[non_exhaustive]
pub struct DurableRun<O> {
    /// The run's id in the store.
    pub run_id: RunId,
    /// The workflow's outputs.
    pub outputs: O,
    /// What happened to each node in this execution; `None` when the run had already
    /// succeeded (a start with the same idempotency key) and its outputs were read from
    /// the store.
    pub report: Option<RunReport>,
    /// The execution trace, when tracing was on (`RuntimeBuilder::trace`): restored nodes
    /// show as [`TraceKind::Restored`](crate::trace::TraceKind::Restored) events.
    pub trace: Option<ExecutionTrace>,
}

impl<O> DurableRun<O> {
    /// A node of this execution's report by name or path (`"fetch"`, `"thumbs[3].img"`),
    /// as [`Run::node`](crate::Run::node); `None` when the run had already succeeded and
    /// its outputs were read from the store (no report), or for an unknown name.
    ///
    /// ```
    /// use workflow_core::prelude::*;
    /// use workflow_core::store::MemoryStore;
    ///
    /// #[node]
    /// async fn double(x: u32) -> u32 { x * 2 }
    ///
    /// workflow! {
    ///     #[workflow(durable)]
    ///     struct Job {
    ///         input x: u32,
    ///         y = double(x),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let rt = Runtime::builder().store(MemoryStore::new()).build();
    /// let run = rt.start_durable(Job, JobInput { x: 2 }, Some("job-2")).await.unwrap();
    /// assert_eq!(run.node("y").unwrap().status, NodeStatus::Succeeded);
    /// // The same key again: read from the store, nothing ran.
    /// let again = rt.start_durable(Job, JobInput { x: 2 }, Some("job-2")).await.unwrap();
    /// assert_eq!((again.outputs.y, again.node("y")), (4, None));
    /// # });
    /// ```
    pub fn node(&self, name: &str) -> Option<&NodeReport> {
        self.report.as_ref()?.node(name)
    }

    /// The nodes whose outputs were restored from the store instead of run.
    pub fn restored(&self) -> Vec<&str> {
        self.report.as_ref().map_or_else(Vec::new, |r| {
            r.with_status(NodeStatus::Restored)
                .map(|n| &*n.name)
                .collect()
        })
    }
}

fn store_error<W: Workflow>(run: RunId, source: StoreError) -> WorkflowError {
    // A node of the plan by its (static) binding; a fan-out item's node or a
    // sub-workflow's by its path (`thumbs[3].img`).
    let node = source.node().map(|path| {
        W::PLAN
            .nodes
            .iter()
            .find(|n| n.name == path.as_str())
            .map_or_else(
                || NodeName::Owned(path.as_str().to_owned()),
                |n| n.name.into(),
            )
    });
    // Named once: by this error, which the store's inside it then leaves out as it
    // prints (see `StoreError`'s `Display`).
    WorkflowError::Store {
        workflow: W::NAME,
        run: run.0,
        node,
        source: source.into(),
        run_error: None,
    }
}

/// `error` (a store error) carrying the run's own error, if the run had failed.
fn with_run_error(mut error: WorkflowError, own: Option<WorkflowError>) -> WorkflowError {
    if let WorkflowError::Store { run_error, .. } = &mut error {
        *run_error = own.map(Box::new);
    }
    error
}

fn other_error<W: Workflow>(run: RunId, message: String) -> WorkflowError {
    WorkflowError::Store {
        workflow: W::NAME,
        run: run.0,
        node: None,
        source: message.into(),
        run_error: None,
    }
}

impl RuntimeBuilder {
    /// Records durable runs ([`Runtime::start_durable`]) in `store`.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), workflow_core::store::StoreError> {
    /// use workflow_core::Runtime;
    /// use workflow_core::store::SqliteStore;
    ///
    /// let rt = Runtime::builder().store(SqliteStore::open("runs.db")?).build();
    /// # drop(rt);
    /// # Ok(())
    /// # }
    /// ```
    pub fn store(self, store: impl Store + 'static) -> Self {
        self.store_arc(Arc::new(store))
    }

    /// Records durable runs in a store shared with other code.
    pub fn store_arc(mut self, store: Arc<dyn Store>) -> Self {
        self.durable.store = Some(store);
        self
    }

    /// Who holds this runtime's leases (default: [`OwnerId::for_this_process`]).
    pub fn owner(mut self, owner: OwnerId) -> Self {
        self.durable.owner = Some(owner);
        self
    }

    /// How long a lease lasts unless renewed (default 30 s): a run whose process died is
    /// recovered by [`Runtime::recover`] this long after its last renewal. Running runs
    /// renew every third of it.
    ///
    /// Stores keep lease times in whole milliseconds, so a lease under 1 ms (zero
    /// included) has expired when it is written: another owner's `recover` may claim a
    /// run while it still runs here, and this runtime renews it about once a millisecond
    /// (one store write each). `Duration::MAX` (saturated to the store's largest time)
    /// never expires: `recover` never picks up a run whose process died, only
    /// [`Runtime::resume`] by a runtime of the same [`OwnerId`] does.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.durable.lease = Some(lease);
        self
    }

    /// Calls `f` when a durable run executed by this runtime ends ([`Runtime::start_durable`],
    /// [`Runtime::resume`], [`Runtime::recover`]), succeeded or failed, with its report,
    /// trace and error (a start that only read an earlier run's outputs executed
    /// nothing, and calls nothing). Test harnesses use it to record durable runs as they
    /// record [`Runtime::execute`]'s: `workflow_test::Harness` with a store counts their
    /// nodes in `execution_count`, keeps them in `runs()` and `last_trace()`. A panic in
    /// `f` is contained: the run's caller gets the run's result, and the panic is a
    /// `tracing` error event (target `workflow`) naming the run and the callback.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use workflow_core::prelude::*;
    /// use workflow_core::store::MemoryStore;
    ///
    /// #[node]
    /// async fn double(x: u32) -> u32 {
    ///     x * 2
    /// }
    ///
    /// workflow! {
    ///     #[workflow(durable)]
    ///     struct Double {
    ///         input x: u32,
    ///         y = double(x),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let ended = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&ended);
    /// let rt = Runtime::builder()
    ///     .store(MemoryStore::new())
    ///     .on_durable_run_end(move |end| {
    ///         let node = &end.report.nodes[0];
    ///         seen.lock().unwrap().push((end.run_id, node.name.to_string(), end.error.is_none()));
    ///     })
    ///     .build();
    /// let run = rt.start_durable(Double, DoubleInput { x: 2 }, Some("d")).await.unwrap();
    /// // Again with the key: the outputs are read back, nothing runs.
    /// rt.start_durable(Double, DoubleInput { x: 2 }, Some("d")).await.unwrap();
    /// assert_eq!(*ended.lock().unwrap(), [(run.run_id, "y".to_string(), true)]);
    /// # });
    /// ```
    pub fn on_durable_run_end(
        mut self,
        f: impl Fn(&DurableRunEnd<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.durable.on_end = Some(OnDurableEnd(Arc::new(f)));
        self
    }

    /// How long a durable call ([`Runtime::start_durable`], [`Runtime::resume`],
    /// [`Runtime::retry`], [`Runtime::recover`]) waits for each answer of its store
    /// (default 60 s): past it, the call fails with
    /// [`StoreError::NoAnswer`](crate::store::StoreError::NoAnswer) naming the operation
    /// and the run, which stays unfinished in the store as a crash would leave it
    /// (resumable once the store answers). A store that is slow but answers is cut too:
    /// keep the limit well above its slowest answer. `Duration::MAX` waits for ever; a
    /// limit under 1 ms is 1 ms.
    ///
    /// The limit is real time, kept by one thread of the process, not tokio's timer: a
    /// test on tokio's paused clock sees no time pass while its store works (a tokio
    /// timer would make the paused clock jump to it on every store call), and a store
    /// that never answers still ends the call once the limit passed in real time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::Runtime;
    /// use workflow_core::store::MemoryStore;
    ///
    /// let rt = Runtime::builder()
    ///     .store(MemoryStore::new())
    ///     .store_timeout(Duration::from_secs(10))
    ///     .build();
    /// # drop(rt);
    /// ```
    pub fn store_timeout(mut self, limit: Duration) -> Self {
        self.durable.store_timeout = Some(limit);
        self
    }

    /// Keeps a succeeded run's node rows (default: deleted, so tables hold work in
    /// flight, not history; run rows stay until [`Store::purge`]).
    pub fn keep_records(mut self, keep: bool) -> Self {
        self.durable.retention = if keep {
            Retention::Keep
        } else {
            Retention::DeleteOnSuccess
        };
        self
    }
}

impl Runtime {
    /// The store durable runs are recorded in, if one was configured.
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        self.durable.as_ref().map(|d| &d.store)
    }

    /// Starts a durable run of `workflow` and drives it to its end.
    ///
    /// With an `idempotency_key`, a second start with the same key does not run again: it
    /// returns the first run's outputs if that run succeeded, resumes it if it is
    /// unfinished and its lease expired or is this runtime's own (its owner's: a run whose
    /// future was dropped, such as one cut by `tokio::time::timeout`, resumes at once), and
    /// fails if it failed (the error names the run: [`Runtime::retry`] runs it again).
    /// While this runtime still drives that run (the first start has not returned), a
    /// second start waits for it and then answers as above: the nodes run once. A start
    /// from another runtime on the same store (another owner) does not wait: while the
    /// run's lease is held, it fails with [`StoreError::LeaseHeld`](crate::store::StoreError::LeaseHeld)
    /// naming that owner.
    ///
    /// Without a key, a run cut short is found again by its id
    /// ([`Store::list_runs`](crate::store::Store::list_runs) on [`Runtime::store`]) for
    /// [`Runtime::resume`], or by [`Runtime::recover`] once its lease expired. A run that
    /// failed is retried by its id ([`Runtime::retry`]): the error is a
    /// [`WorkflowError`] as for [`Runtime::execute`], and the id comes with it to
    /// [`RuntimeBuilder::on_durable_run_end`](crate::RuntimeBuilder::on_durable_run_end)
    /// (`end.run_id`, `end.error`), or from `list_runs`.
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute`], plus [`WorkflowError::Store`]: no store configured, the
    /// store failed, the key names a run of another workflow or input or one still
    /// leased to another owner, or the store did not answer one of the call's
    /// operations within [`RuntimeBuilder::store_timeout`]
    /// ([`StoreError::NoAnswer`](crate::store::StoreError::NoAnswer), naming the
    /// operation; the run stays unfinished, for `resume`; the same for `resume`, `retry`
    /// and `recover`). Outside a tokio runtime (another executor's `block_on`),
    /// [`WorkflowError::NeedsTokio`] ([`TokioNeed::DurableRecording`]) before the store
    /// is touched, as for `resume`, `retry` and `recover`: the run is recorded by a tokio
    /// task.
    ///
    /// [`TokioNeed::DurableRecording`]: crate::TokioNeed::DurableRecording
    //
    //
    // `W` is bound once, with its input and output as parameters of their own, and the
    // future's type does not name `W`: a workflow that is not durable is then one error,
    // at `workflow` (an `async fn`, or `impl Future`, said it three times: at the
    // argument, the call and the `.await`).
    pub fn start_durable<'a, W, I, O>(
        &'a self,
        workflow: W,
        input: I,
        idempotency_key: Option<&'a str>,
    ) -> DurableFuture<'a, DurableRun<O>>
    where
        W: DurableWorkflow + Workflow<Input = I, Output = O> + 'a,
        I: Send + 'a,
        O: Send + 'a,
    {
        Box::pin(self.start_durable_run(workflow, input, idempotency_key))
    }

    /// Resumes the unfinished durable run `run`: restores its recorded outputs and runs
    /// the nodes without one.
    ///
    /// # Errors
    ///
    /// As [`Runtime::start_durable`]; also [`WorkflowError::Store`] whose `source` field
    /// (`err.downcast_ref::<StoreError>()`; `std::error::Error::source` continues below
    /// it, as for a node's error) is a [`StoreError::NotFound`] when the store has no such run, a
    /// [`StoreError::WrongWorkflow`] when the run is another workflow's (refused before it
    /// is claimed: the run is left as it was), a [`StoreError::Finished`] when it finished
    /// (a failed run is run again with [`Runtime::retry`], a succeeded one's outputs are
    /// read with [`Runtime::outputs`]), or a [`StoreError::LeaseHeld`]
    /// when another owner's lease on it has not expired.
    // One bound, as in `start_durable`.
    pub fn resume<'a, W, O>(&'a self, workflow: W, run: RunId) -> DurableFuture<'a, DurableRun<O>>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        O: Send + 'a,
    {
        Box::pin(self.resume_run(workflow, run))
    }

    /// Runs the failed durable run `run` again from where it failed, under the same run
    /// id: the nodes that finished are restored from their recorded outputs (they end as
    /// [`NodeStatus::Restored`](crate::NodeStatus::Restored) and do not execute), the
    /// node that failed and everything after it run, with the run's recorded input.
    ///
    /// Meant for a failure that is gone: a dependency that was down, or a bug fixed and
    /// deployed since (a node whose code changed runs again when its
    /// `#[node(version = N)]` is bumped, and so does everything downstream of it: the rules
    /// of [`Runtime::resume`]). The run's earlier failure is kept in its attempts
    /// ([`RunState::attempts`](crate::store::RunState::attempts)); its idempotency key keeps naming it, so a later
    /// [`start_durable`](Runtime::start_durable) with the key gets this attempt's outputs.
    ///
    /// Why the same id and not a new run: the recorded outputs, the key, and the ids
    /// nodes derive for the outside world ([`Context::idempotency_key`](crate::Context::idempotency_key))
    /// all belong to the run; a new id would make every restored node's side effects look
    /// new to the services they called, and leave the key naming a failure.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use workflow_core::prelude::*;
    /// use workflow_core::store::MemoryStore;
    ///
    /// static DOWN: AtomicBool = AtomicBool::new(true);
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("the mail server is down")]
    /// struct Down;
    ///
    /// #[node]
    /// async fn render(order: u32) -> String {
    ///     format!("order {order}")
    /// }
    ///
    /// #[node]
    /// async fn send(text: String) -> Result<usize, Down> {
    ///     if DOWN.load(Ordering::SeqCst) { Err(Down) } else { Ok(text.len()) }
    /// }
    ///
    /// workflow! {
    ///     #[workflow(durable)]
    ///     struct Mail {
    ///         input order: u32,
    ///         text = render(order),
    ///         sent = send(text),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let rt = Runtime::builder().store(MemoryStore::new()).build();
    /// let failed = rt.start_durable(Mail, MailInput { order: 7 }, None).await.unwrap_err();
    /// assert!(matches!(failed, WorkflowError::NodeFailed { .. }), "{failed}");
    /// let run = rt.store().unwrap().list_runs(Default::default()).await.unwrap()[0].id;
    ///
    /// DOWN.store(false, Ordering::SeqCst); // the server is back
    /// let retried = rt.retry(Mail, run).await.unwrap();
    /// assert_eq!((retried.run_id, retried.outputs.sent), (run, 7));
    /// assert_eq!(retried.restored(), ["text"]); // `render` did not run again
    /// let state = rt.store().unwrap().load_run(run).await.unwrap();
    /// assert_eq!(state.attempts.len(), 1); // the first attempt's failure
    /// assert!(state.attempts[0].error.contains("mail server is down"));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Runtime::resume`]; [`WorkflowError::Store`] whose `source` field
    /// (`err.downcast_ref::<StoreError>()`) is a [`StoreError::NotFailed`] when the run is running (resume it) or succeeded,
    /// [`StoreError::WrongWorkflow`] when it is another workflow's,
    /// [`StoreError::NotFound`] when the store has no such run; in each case nothing was
    /// changed. If the run fails again it is failed again, with both failures kept; so it
    /// is when the retry cannot start (the workflow's inputs changed since the run
    /// started, a recorded output no longer decodes): the error is returned and recorded
    /// as the run's, and it stays retryable.
    // One bound, as in `start_durable`.
    pub fn retry<'a, W, O>(&'a self, workflow: W, run: RunId) -> DurableFuture<'a, DurableRun<O>>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        O: Send + 'a,
    {
        Box::pin(self.retry_run(workflow, run))
    }

    /// The outputs of the succeeded durable run `run`, read from the store: nothing runs.
    ///
    /// For a run found by its id (from [`Store::list_runs`](crate::store::Store::list_runs),
    /// [`RuntimeBuilder::on_durable_run_end`](crate::RuntimeBuilder::on_durable_run_end), or
    /// kept by the caller) rather than by its idempotency key: a start with the key
    /// ([`Runtime::start_durable`]) reads a succeeded run's outputs too, and
    /// [`Runtime::resume`] refuses a finished run.
    ///
    /// ```
    /// use workflow_core::prelude::*;
    /// use workflow_core::store::{MemoryStore, StoreError};
    ///
    /// #[node]
    /// async fn double(x: u32) -> u32 { x * 2 }
    ///
    /// workflow! {
    ///     #[workflow(durable)]
    ///     struct Job {
    ///         input x: u32,
    ///         y = double(x),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let rt = Runtime::builder().store(MemoryStore::new()).build();
    /// let id = rt.start_durable(Job, JobInput { x: 21 }, None).await.unwrap().run_id;
    /// let outputs = rt.outputs(Job, id).await.unwrap();
    /// assert_eq!(outputs.y, 42);
    /// // An unknown run: a `WorkflowError::Store` naming it, with the store's error inside.
    /// let err = rt.outputs(Job, RunId(99)).await.unwrap_err();
    /// assert!(matches!(err.downcast_ref::<StoreError>(), Some(StoreError::NotFound { .. })));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// [`WorkflowError::Store`] whose `source` field (`err.downcast_ref::<StoreError>()`)
    /// is a [`StoreError::NotFound`] when the store has no such run, a
    /// [`StoreError::WrongWorkflow`] when it is another workflow's, a
    /// [`StoreError::NotSucceeded`] when it is still running or failed, a
    /// [`StoreError::Decode`] when its recorded outputs no longer decode as `W`'s
    /// (the output type changed since); also when no store is configured or the store
    /// failed.
    // One bound, as in `start_durable`.
    pub fn outputs<'a, W, O>(&'a self, workflow: W, run: RunId) -> DurableFuture<'a, O>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        O: Send + 'a,
    {
        Box::pin(self.read_outputs(workflow, run))
    }

    /// Resumes every unfinished run of `workflow` whose lease expired (its process died),
    /// concurrently, and returns each run's result. Safe from several processes at once:
    /// each run is claimed by exactly one of them.
    ///
    /// # Errors
    ///
    /// [`WorkflowError::Store`] when the runs cannot be listed; each run's own error is in
    /// its entry.
    // One bound, as in `start_durable`.
    pub fn recover<'a, W, O>(&'a self, workflow: W) -> DurableFuture<'a, RecoveredRuns<O>>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        O: Send + 'a,
    {
        Box::pin(self.recover_runs(workflow))
    }
}
