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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::{NodeName, WorkflowError};
use crate::executor::{DurableExec, Executor, Resume, Workflow};
use crate::run::{NodeReport, NodeStatus, RunOptions, RunReport};
use crate::runtime::{
    Driving, DurableConfig, DurableRunEnd, OnDurableEnd, Recording, Runtime, RuntimeBuilder,
};
use crate::shared::TaskGuard;
use crate::store::{
    CreatedRun, GraphFingerprint, Lease, NewRun, NodePath, NodeSignature, OwnerId, Record,
    RecordedOutput, Retention, RunFilter, RunId, RunOutcome, RunState, RunStatus, Store,
    StoreError,
};
use crate::trace::ExecutionTrace;

/// The future of [`Runtime::start_durable`], [`Runtime::resume`] and
/// [`Runtime::recover`]: boxed, so that its type names only the output.
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

impl Runtime {
    /// The store durable runs are recorded in, if one was configured.
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        self.durable.as_ref().map(|d| &d.store)
    }

    /// The store's configuration, for a drive of a durable run (a start, resume, retry
    /// or recovery), which records on a tokio task: refused outside tokio (another
    /// executor's `block_on`) before the store is touched, where `tokio::spawn` panicked
    /// once the run was claimed.
    fn durable_config<W: Workflow>(&self) -> Result<Arc<DurableConfig>, WorkflowError> {
        let cfg = self.durable.clone().ok_or_else(|| {
            other_error::<W>(
                RunId(0),
                "no store configured: build the runtime with `Runtime::builder().store(..)`".into(),
            )
        })?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(WorkflowError::NeedsTokio {
                workflow: W::NAME,
                node: None,
                cause: crate::error::TokioNeed::DurableRecording,
            });
        }
        Ok(cfg)
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
    /// leased to another owner. Outside a tokio runtime (another executor's `block_on`),
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

    async fn start_durable_run<W: DurableWorkflow>(
        &self,
        _workflow: W,
        input: W::Input,
        idempotency_key: Option<&str>,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        let no_run = RunId(0);
        let encoded = W::encode_input(&input).map_err(|e| store_error::<W>(no_run, e))?;
        let created = cfg
            .store
            .create_run(NewRun {
                workflow: W::NAME.to_owned(),
                fingerprint: GraphFingerprint(fingerprint::<W>()),
                input: encoded,
                idempotency_key: idempotency_key.map(str::to_owned),
                owner: cfg.owner.clone(),
                lease: cfg.lease,
            })
            .await
            .map_err(|e| store_error::<W>(no_run, e))?;
        match created {
            CreatedRun::New(claimed) => {
                let run = claimed.lease.run;
                let (driving, waited) = cfg.drives.take(run).await;
                if !waited {
                    return self
                        .drive::<W>(&cfg, claimed.lease, input, Restore::default())
                        .await;
                }
                // A resume of this new run (found by listing the store) drove it meanwhile:
                // what it left is the run's state now.
                self.start_existing::<W>(&cfg, run, None, driving).await
            }
            CreatedRun::Existing(row) => {
                // Driven by this runtime now (a start with the same key still running, or a
                // resume)? Then wait for that drive to end and read what it left, rather
                // than claim the run again, which the store allows its own owner, and run
                // its nodes a second time.
                let run = row.id;
                let (driving, waited) = cfg.drives.take(run).await;
                let row = (!waited).then_some(row);
                self.start_existing::<W>(&cfg, run, row, driving).await
            }
        }
    }

    /// A start with the idempotency key of the existing run `run`: `row`, or the row read
    /// again when a drive of the run by this runtime ended meanwhile. `_driving` keeps
    /// other drives of it in this runtime waiting until this one ends.
    async fn start_existing<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        run: RunId,
        row: Option<crate::store::RunRecord>,
        _driving: Driving<'_>,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let row = match row {
            Some(row) => row,
            None => cfg
                .store
                .get_run(run)
                .await
                .map_err(|e| store_error::<W>(run, e))?,
        };
        match row.status {
            RunStatus::Succeeded => {
                let bytes = row.output.as_deref().ok_or_else(|| {
                    other_error::<W>(row.id, "succeeded, but its outputs were not kept".into())
                })?;
                let outputs =
                    W::decode_output(bytes, row.id).map_err(|e| store_error::<W>(row.id, e))?;
                Ok(DurableRun {
                    run_id: row.id,
                    outputs,
                    report: None,
                    trace: None,
                })
            }
            RunStatus::Failed => Err(other_error::<W>(
                row.id,
                format!(
                    "an earlier run with this idempotency key failed: {}; run it again \
                     from where it failed with `Runtime::retry(.., RunId({}))`",
                    row.error.as_deref().unwrap_or("(no error recorded)"),
                    row.id.0
                ),
            )),
            RunStatus::Running => self.resume_taken::<W>(cfg, run).await,
        }
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
    /// (a failed run is run again with [`Runtime::retry`]), or a [`StoreError::LeaseHeld`]
    /// when another owner's lease on it has not expired.
    // One bound, as in `start_durable`.
    pub fn resume<'a, W, O>(&'a self, workflow: W, run: RunId) -> DurableFuture<'a, DurableRun<O>>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        O: Send + 'a,
    {
        Box::pin(self.resume_run(workflow, run))
    }

    async fn resume_run<W: DurableWorkflow>(
        &self,
        _workflow: W,
        run: RunId,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        // While this runtime drives the run (a start, another resume), wait for that drive
        // to end: claiming it now would succeed (the lease is this runtime's own) and run
        // its nodes a second time. After it, a finished run is refused as usual.
        let _driving = cfg.drives.take(run).await;
        self.resume_taken::<W>(&cfg, run).await
    }

    /// [`Runtime::resume`] of a run this runtime does not drive otherwise.
    async fn resume_taken<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        run: RunId,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        // Another workflow's run is refused before it is claimed: claiming it first would
        // lease it to this owner until the lease expired, keeping its own workflow's
        // `recover` away from it. (The workflow of a run never changes, so there is no
        // race between this read and the claim.)
        let row = cfg
            .store
            .get_run(run)
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        if row.workflow != W::NAME {
            return Err(store_error::<W>(
                run,
                StoreError::WrongWorkflow {
                    run,
                    workflow: row.workflow,
                    expected: W::NAME.to_owned(),
                },
            ));
        }
        let claimed = cfg
            .store
            .claim_run(run, &cfg.owner, cfg.lease)
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        self.resume_claimed::<W>(cfg, claimed.lease).await
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
    /// ([`RunState::attempts`]); its idempotency key keeps naming it, so a later
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

    async fn retry_run<W: DurableWorkflow>(
        &self,
        _workflow: W,
        run: RunId,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        // Held while the retry drives the run, so that a start with its key waits for it.
        let _driving = cfg.drives.take(run).await;
        let claimed = cfg
            .store
            .retry_run(run, W::NAME, &cfg.owner, cfg.lease)
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        match self.load_claimed::<W>(&cfg, run).await {
            Ok((input, restore)) => self.drive::<W>(&cfg, claimed.lease, input, restore).await,
            // The retry cannot start (the workflow's inputs changed, a record no longer
            // decodes): the run is failed again, with this error, rather than left
            // running for nobody (a resume would meet the same error).
            Err(e) => {
                let outcome = RunOutcome::Failed {
                    error: e.to_string(),
                };
                match cfg
                    .store
                    .finish_run(&claimed.lease, outcome, cfg.retention)
                    .await
                {
                    Ok(_) => Err(e),
                    Err(finish) => Err(with_run_error(store_error::<W>(run, finish), Some(e))),
                }
            }
        }
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

    async fn recover_runs<W: DurableWorkflow>(
        &self,
        _workflow: W,
    ) -> Result<Vec<(RunId, Result<DurableRun<W::Output>, WorkflowError>)>, WorkflowError> {
        let cfg = self.durable_config::<W>()?;
        let runs = cfg
            .store
            .list_runs(RunFilter {
                status: Some(RunStatus::Running),
                workflow: Some(W::NAME.to_owned()),
                ..RunFilter::default()
            })
            .await
            .map_err(|e| store_error::<W>(RunId(0), e))?;
        let now = cfg.store.clock().now();
        let mut claimed = Vec::new();
        for row in runs {
            if row.lease_expires_at.is_some_and(|t| t > now) {
                continue;
            }
            // A run this runtime drives now is not dead, whatever its lease says.
            let Some(driving) = cfg.drives.try_take(row.id) else {
                continue;
            };
            // Another recoverer may claim it first: then it is theirs, not an error.
            match cfg.store.claim_run(row.id, &cfg.owner, cfg.lease).await {
                Ok(c) => claimed.push((c, driving)),
                Err(StoreError::LeaseHeld { .. } | StoreError::Finished { .. }) => {}
                Err(e) => return Err(store_error::<W>(row.id, e)),
            }
        }
        let resumed = claimed.into_iter().map(|(c, driving)| {
            let cfg = &cfg;
            async move {
                let id = c.lease.run;
                let result = self.resume_claimed::<W>(cfg, c.lease).await;
                drop(driving);
                (id, result)
            }
        });
        Ok(futures::future::join_all(resumed).await)
    }

    /// Loads a claimed run, decides what to restore, and drives it.
    async fn resume_claimed<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        lease: Lease,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let (input, restore) = self.load_claimed::<W>(cfg, lease.run).await?;
        self.drive::<W>(cfg, lease, input, restore).await
    }

    /// A claimed run's input, and what to restore.
    async fn load_claimed<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        run: RunId,
    ) -> Result<(W::Input, Restore<W::Value>), WorkflowError> {
        let state = cfg
            .store
            .load_run(run)
            .await
            .map_err(|e| store_error::<W>(run, e))?;
        if state.run.workflow != W::NAME {
            return Err(other_error::<W>(
                run,
                format!("the run is of workflow `{}`", state.run.workflow),
            ));
        }
        // Before the input is decoded: an input added or removed since the run started
        // makes it fail to decode, which would not say which input changed.
        refuse_changed_inputs::<W>(&state.run.fingerprint.0, run)?;
        let input = W::decode_input(&state.run.input, run).map_err(|e| store_error::<W>(run, e))?;
        Ok((input, restorable::<W>(state)?))
    }

    /// Runs the workflow under `lease`, doing with each node what `resume` says (empty:
    /// run them all), recording as it goes, and finishes the run row.
    async fn drive<W: DurableWorkflow>(
        &self,
        cfg: &Arc<DurableConfig>,
        lease: Lease,
        input: W::Input,
        restore: Restore<W::Value>,
    ) -> Result<DurableRun<W::Output>, WorkflowError> {
        let run = lease.run;
        let inner = self.shared();
        let _active = inner.enter_run();
        if inner.is_closed() {
            return Err(WorkflowError::ShutDown { workflow: W::NAME });
        }
        if let Some((fingerprint, forget)) = restore.rebase {
            cfg.store
                .rebase_run(&lease, fingerprint, forget)
                .await
                .map_err(|e| store_error::<W>(run, e))?;
        }
        let stop = CancellationToken::new();
        let (records, queue) = mpsc::unbounded_channel();
        // The recorder outlives this future when it is dropped (the run cut by a timeout):
        // it commits what the run queued, and meanwhile holds the run against a new drive
        // (a resume at once restores those nodes rather than running them again) and
        // counts as a task `Runtime::shutdown` waits for.
        let holds = (cfg.drives.recording(run), inner.track_task());
        let recorder = tokio::spawn(record(
            Arc::clone(&cfg.store),
            lease,
            cfg.lease,
            queue,
            stop.clone(),
            holds,
        ));
        let exec = Executor::durable(
            Arc::clone(inner),
            input,
            RunOptions::new().cancel_token(stop.clone()),
            DurableExec {
                run,
                records,
                encode: W::encode_value,
                output_type: W::output_type,
                ephemeral: W::EPHEMERAL,
                versions: W::NODE_VERSIONS,
                resume: restore.nodes,
                items: restore.items,
            },
        );
        let outcome = W::run(exec).await;
        // The run's record queue closed with the run: the recorder commits what is left.
        let recorded = recorder
            .await
            .unwrap_or_else(|e| Err(StoreError::unavailable("recording", e.to_string())));
        let (mut report, trace) = (outcome.report, outcome.trace);
        // Named as the store names it (its errors, `resume`), not by its id in this process.
        report.durable_run = Some(run.0);
        let ended = |error: Option<&WorkflowError>| {
            if let Some(OnDurableEnd(on_end)) = &cfg.on_end {
                let end = DurableRunEnd {
                    run_id: run,
                    report: &report,
                    trace: trace.as_ref(),
                    error,
                    plan: crate::runtime::PlanOf(W::PLAN),
                };
                // Contained: the hook's bug does not take the run's result from its
                // caller.
                let called =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| on_end(&end)));
                if let Err(payload) = called {
                    crate::shared::callback_panicked(
                        "on_durable_run_end",
                        W::NAME,
                        run,
                        payload.as_ref(),
                    );
                }
            }
        };
        let lease = match recorded {
            Ok(lease) => lease,
            // The run stays unfinished (what was recorded is kept): it can be resumed, by
            // this owner at once or by `recover` once its lease expires. A run that had
            // failed by itself keeps its own error beside the store's; one cancelled by
            // the recorder (`stop`) failed because of the store.
            Err(e) => {
                let own = match outcome.result {
                    Err(WorkflowError::Cancelled { .. }) if stop.is_cancelled() => None,
                    Err(own) => Some(own),
                    Ok(_) => None,
                };
                let e = with_run_error(store_error::<W>(run, e), own);
                ended(Some(&e));
                return Err(e);
            }
        };
        let (outcome, result) = match outcome.result {
            Ok(outputs) => match W::encode_output(&outputs, run) {
                Ok(bytes) => (
                    RunOutcome::Succeeded {
                        output: Some(bytes),
                    },
                    Ok(outputs),
                ),
                Err(e) => {
                    let e = store_error::<W>(run, e);
                    (
                        RunOutcome::Failed {
                            error: e.to_string(),
                        },
                        Err(e),
                    )
                }
            },
            Err(e) => (
                RunOutcome::Failed {
                    error: e.to_string(),
                },
                Err(e),
            ),
        };
        let finished = cfg.store.finish_run(&lease, outcome, cfg.retention).await;
        let result = match (finished, result) {
            (Ok(_), result) => result,
            // The failed run's own error is kept beside the store's.
            (Err(e), result) => Err(with_run_error(store_error::<W>(run, e), result.err())),
        };
        ended(result.as_ref().err());
        result.map(|outputs| DurableRun {
            run_id: run,
            outputs,
            report: Some(report),
            trace,
        })
    }
}

/// The recorder of one run: commits its records in order, in batches of whatever has
/// queued while the previous batch committed, and renews the lease every third of its
/// length. Ends when the queue closes (the run ended, or its future was dropped) with the
/// current lease. On a store error it cancels the run (`stop`) and returns the error.
/// `_holds` (see `drive`) end with it.
async fn record(
    store: Arc<dyn Store>,
    mut lease: Lease,
    length: Duration,
    mut queue: mpsc::UnboundedReceiver<Record>,
    stop: CancellationToken,
    _holds: (Recording, TaskGuard),
) -> Result<Lease, StoreError> {
    let renew_every = length / 3;
    let mut renewed = tokio::time::Instant::now();
    let mut batch = Vec::new();
    loop {
        let wait = renew_every.saturating_sub(renewed.elapsed());
        match tokio::time::timeout(wait, queue.recv_many(&mut batch, 4096)).await {
            Ok(0) => return Ok(lease),
            Ok(_) => {
                if let Err(e) = store.record_all(&lease, std::mem::take(&mut batch)).await {
                    stop.cancel();
                    return Err(e);
                }
            }
            Err(_elapsed) => {}
        }
        if renewed.elapsed() >= renew_every {
            match store.renew_lease(&lease, length).await {
                Ok(new) => {
                    lease = new;
                    renewed = tokio::time::Instant::now();
                }
                Err(e) => {
                    stop.cancel();
                    return Err(e);
                }
            }
        }
    }
}

/// What a resumed run restores: what each node does, by index (empty: every node
/// runs), and the rows of fan-out items that may be restored, by path. When the graph
/// changed since the run recorded, `rebase` is the current fingerprint and the rows
/// neither restored nor kept for items ([`Store::rebase_run`], before the run drives).
struct Restore<V> {
    nodes: Vec<Resume<V>>,
    items: HashMap<String, RecordedOutput>,
    rebase: Option<(GraphFingerprint, Vec<NodePath>)>,
}

impl<V> Default for Restore<V> {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            items: HashMap::new(),
            rebase: None,
        }
    }
}

/// Node `template`'s index in `W`'s plan.
fn node_index<W: Workflow>(name: &str) -> Option<usize> {
    W::PLAN.nodes.iter().position(|n| n.name == name)
}

/// The name in a fingerprint entry: `b` of `b=f(..)`, `conn` of `~conn@2=connect(..)`
/// (an ephemeral binding at version 2), `input n` of `input n: u64`.
fn entry_name(entry: &str) -> &str {
    let name = entry.split(['=', ':', '@']).next().unwrap_or(entry);
    name.trim_start_matches('~')
}

/// The fingerprint entries by name (`binding=..` or `input name: Type`).
fn entries(fingerprint: &str) -> HashMap<&str, &str> {
    fingerprint
        .split(';')
        .filter(|e| !e.is_empty())
        .map(|e| (entry_name(e), e))
        .collect()
}

/// The fingerprint a run of `W` records: `W::FINGERPRINT`, with the version of each
/// `#[ephemeral]` node whose version is not 1 (`~conn@2=connect(..)`), and after the
/// entry of each sub-workflow binding and fan-out the hash of what it runs
/// (`#1f..`, see `plan_shape_hash`). An ephemeral node has no row to carry its
/// version, so this is where a bump shows: as a changed entry, after which the nodes it
/// feeds run again.
pub fn fingerprint<W: DurableWorkflow>() -> String {
    let bumped = |name: &str| {
        node_index::<W>(name)
            .filter(|&i| W::EPHEMERAL.get(i).copied().unwrap_or(false))
            .and_then(|i| W::NODE_VERSIONS.get(i).copied())
            .filter(|&v| v != 1)
    };
    let child = |name: &str| node_index::<W>(name).and_then(|i| shaped(W::PLAN, i));
    let mut out = String::with_capacity(W::FINGERPRINT.len());
    for entry in W::FINGERPRINT.split_terminator(';') {
        match (bumped(entry_name(entry)), entry.split_once('=')) {
            (Some(version), Some((name, rest))) => {
                out.push_str(&format!("{name}@{version}={rest}"));
            }
            _ => out.push_str(entry),
        }
        if let Some(plan) = child(entry_name(entry)) {
            out.push_str(&format!("#{:016x}", plan_shape_hash(plan)));
        }
        out.push(';');
    }
    out
}

/// The plan node `i` of `plan` runs inside it: a sub-workflow's, or what each item of a
/// fan-out runs (its `for` body, `map`'s workflow).
fn shaped(plan: &crate::plan::Plan, i: usize) -> Option<&'static crate::plan::Plan> {
    plan.nodes.get(i)?.child.or_else(|| {
        plan.fan_outs
            .iter()
            .find(|&&(node, _)| node == i)
            .map(|&(_, items)| items)
    })
}

/// A hash of the shape of what a sub-workflow binding or a fan-out runs: the nodes of
/// that plan (binding and `#[node]` fn), their successors, its decisions' arms, and the
/// plans its own sub-workflows and fan-outs run, recursively. It goes in the binding's
/// fingerprint entry (`report=Render(page<-page)#1f..`, `ys=.. for x {r=Render(..)}=>r#..`,
/// `ys=.. map Render#..`), whose text names the sub-workflow but not what is in it: a
/// resumed run whose sub-workflow's code changed (another node fn, another arm, a node
/// more), even one that an item calls, then sees the binding as changed, and runs it
/// again as a whole (every item) rather than restoring rows of its nodes
/// (`report.layout`, `ys[2].r.layout`) that the earlier code recorded. What a node's fn
/// does is `#[node(version = N)]`'s to say, per row, as for any node.
///
/// Fan-outs' entries got their hash after sub-workflows' did, and so did the hash of a
/// sub-workflow holding a fan-out change: a run recorded by the earlier code resumes
/// with those bindings changed, and runs them again once (the safe direction).
fn plan_shape_hash(plan: &crate::plan::Plan) -> u64 {
    fn shape(plan: &crate::plan::Plan, out: &mut String) {
        use std::fmt::Write as _;
        out.push_str(plan.name);
        out.push('{');
        for (i, node) in plan.nodes.iter().enumerate() {
            let _ = write!(out, "{}={}>{:?}", node.name, node.node_fn, node.successors);
            if let Some(child) = node.child {
                shape(child, out);
            } else if let Some(items) = shaped(plan, i) {
                // Marked apart from a sub-workflow's, and absent from a plan without
                // fan-outs: the hashes recorded before fan-outs had theirs stay the same.
                out.push('*');
                shape(items, out);
            }
            out.push(';');
        }
        for decision in plan.decisions {
            let _ = write!(out, "?{}:{:?}", decision.router, decision.arms);
        }
        out.push('}');
    }
    let mut text = String::new();
    shape(plan, &mut text);
    // 64-bit FNV-1a: stable across builds and toolchains, as a stored fingerprint must be
    // (std's `DefaultHasher` may change between Rust releases).
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash: u64, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A `WorkflowError::Store` naming the inputs that differ between the run's recorded
/// fingerprint and the current one: changed or added (`input m`), or removed
/// (`input k (removed)`).
fn refuse_changed_inputs<W: DurableWorkflow>(
    recorded: &str,
    run: RunId,
) -> Result<(), WorkflowError> {
    let current = fingerprint::<W>();
    let mut inputs: Vec<String> = changed_nodes(recorded, &current)
        .into_iter()
        .filter(|c| c.starts_with("input "))
        .map(str::to_owned)
        .collect();
    inputs.sort_unstable();
    let now = entries(&current);
    let mut removed: Vec<&str> = entries(recorded)
        .into_keys()
        .filter(|name| name.starts_with("input ") && !now.contains_key(name))
        .collect();
    removed.sort_unstable();
    inputs.extend(removed.into_iter().map(|name| format!("{name} (removed)")));
    if inputs.is_empty() {
        return Ok(());
    }
    Err(other_error::<W>(
        run,
        format!(
            "the workflow's inputs changed since the run started ({}); it cannot be resumed",
            inputs.join(", ")
        ),
    ))
}

/// The entries of `current` (nodes and inputs, by name) that differ from or are missing
/// in `recorded`.
fn changed_nodes<'a>(recorded: &str, current: &'a str) -> Vec<&'a str> {
    let old = entries(recorded);
    entries(current)
        .into_iter()
        .filter(|(_, entry)| !old.values().any(|o| o == entry))
        .map(|(name, _)| name)
        .collect()
}

/// The nodes a resumed run will leave not taken, by index: those in the other arms of
/// every decision whose router recorded the arm it took and is restored (the resumed
/// router is held to it). Decisions not recorded yet, or whose router runs again, are
/// decided again, so their arms count as unrecorded.
///
/// `redecided[d]`: decision `d` is decided again although its arm was recorded (its
/// router runs again, so it may take another arm).
fn not_taken<W: DurableWorkflow>(
    state: &RunState,
    redecided: &[bool],
) -> Result<Vec<bool>, WorkflowError> {
    let run = state.run.id;
    let mut not_taken = vec![false; W::PLAN.nodes.len()];
    for (d, decision) in W::PLAN.decisions.iter().enumerate() {
        if redecided[d] {
            continue;
        }
        let router = decision.router;
        let Some(row) = state
            .outputs
            .iter()
            .find(|r| r.path.as_str() == W::PLAN.nodes[router].name)
        else {
            continue;
        };
        let value =
            W::decode_value(router, &row.value, run).map_err(|e| store_error::<W>(run, e))?;
        let Some(arm) = W::chosen_arm(&value) else {
            continue;
        };
        for (j, nodes) in decision.arms.iter().enumerate() {
            if j != arm {
                nodes.iter().for_each(|&n| not_taken[n] = true);
            }
        }
    }
    Ok(not_taken)
}

/// What the resumed run does with each node: restore its recorded output, run it, or
/// (an `#[ephemeral]` node nothing that runs needs) skip it.
///
/// - A recorded node is restored unless its row is stale (another output type or
///   `#[node(version = N)]`), its fingerprint entry changed, or a node upstream of it is
///   *dirty*: one that runs because it changed, or has no row, or is itself downstream of
///   a dirty node. So no restored output was computed from a value the current code
///   would compute differently.
/// - A node in an arm the run will not take (its decision's arm is recorded) is never
///   dirty: it has no row because it never ran, and its merge successors wait for the
///   taken arm only.
/// - An `#[ephemeral]` node has no row. Recomputing it does not make its consumers dirty
///   (the handle it opens again is as good as the first); it is dirty only when it
///   changed or something upstream of it is dirty. It runs when a node that runs needs
///   it, and is skipped otherwise.
///
/// Rows of fan-out items (`ys[3].y1`) and of a sub-workflow's nodes (`report.layout`)
/// are kept for the items to restore (see the executor's `item_records.rs`) when their
/// fan-out or sub-workflow runs again from the same inputs: it did not change and
/// nothing upstream of it runs again (ephemeral nodes recomputed aside). Otherwise its
/// items (its nodes) run again too, and a rebase drops their rows.
fn restorable<W: DurableWorkflow>(state: RunState) -> Result<Restore<W::Value>, WorkflowError> {
    let run = state.run.id;
    let nodes = W::PLAN.nodes;
    let current = fingerprint::<W>();
    let changed = changed_nodes(&state.run.fingerprint.0, &current);
    // The run's input was recorded for other inputs: no node can be trusted to match.
    refuse_changed_inputs::<W>(&state.run.fingerprint.0, run)?;
    let ephemeral = |i: usize| W::EPHEMERAL.get(i).copied().unwrap_or(false);
    let version = |i: usize| W::NODE_VERSIONS.get(i).copied().unwrap_or(1);
    // A decision whose router runs again (it changed, or something upstream of it did)
    // may take another arm than the recorded one: its arms are then not left behind, and
    // their nodes run if the router takes them. (Holding such a router to the recorded
    // arm left the new arm's nodes "not taken" while the router took it: the run then
    // read a value nobody wrote.) A fixpoint: a decision decided again only makes more
    // nodes dirty, a nested decision's router among them.
    let mut redecided = vec![false; W::PLAN.decisions.len()];
    // Each row's fate is logged once, in the first pass (a later pass only adds dirt).
    let mut first_pass = true;
    let (not_taken, rows, dirty, upstream_dirty) = loop {
        let not_taken = not_taken::<W>(&state, &redecided)?;
        // A row's node: the one of that name in no arm the run left behind (a merge's
        // binding is defined in every arm, and its row belongs to the arm taken).
        let node_of =
            |name: &str| (0..nodes.len()).find(|&i| nodes[i].name == name && !not_taken[i]);
        let stale = state.stale_outputs(|template| {
            node_of(template).map(|i| NodeSignature {
                version: version(i),
                output_type: W::output_type(i),
            })
        });
        // `dirty[i]`: node i's value may differ from what its consumers' rows were computed
        // from. `rows[i]`: the row to restore.
        let mut dirty = vec![false; nodes.len()];
        let mut upstream_dirty = vec![false; nodes.len()];
        let mut rows: Vec<Option<&[u8]>> = vec![None; nodes.len()];
        for row in &state.outputs {
            let Some(i) = node_of(row.path.as_str()) else {
                continue;
            };
            if ephemeral(i) {
                continue;
            }
            if let Some((_, why)) = stale.iter().find(|(p, _)| p == &row.path) {
                if first_pass {
                    tracing::info!(target: "workflow", run = run.0, node = nodes[i].name, reason = ?why, "recorded output not restored: the node runs again");
                }
                continue;
            }
            rows[i] = Some(&row.value);
        }
        for (i, node) in nodes.iter().enumerate() {
            if not_taken[i] {
                // It never ran and will not: no work was lost, nothing downstream is stale.
                continue;
            }
            if changed.contains(&node.name) {
                if first_pass && rows[i].is_some() {
                    tracing::info!(target: "workflow", run = run.0, node = node.name, "recorded output not restored: the graph changed at this node");
                }
                dirty[i] = true;
            } else if !ephemeral(i) && rows[i].is_none() {
                dirty[i] = true;
            }
        }
        // Dirtiness flows downstream; repeat until nothing changes (the plan has no
        // predecessor lists, and this runs once per resume).
        loop {
            let mut again = false;
            for i in 0..nodes.len() {
                if dirty[i] {
                    for &s in nodes[i].successors.iter().filter(|&&s| !not_taken[s]) {
                        upstream_dirty[s] = true;
                        again |= !std::mem::replace(&mut dirty[s], true);
                    }
                }
            }
            if !again {
                break;
            }
        }
        let mut again = false;
        for (d, decision) in W::PLAN.decisions.iter().enumerate() {
            if !redecided[d] && dirty[decision.router] {
                redecided[d] = true;
                again = true;
            }
        }
        if !again {
            break (not_taken, rows, dirty, upstream_dirty);
        }
        first_pass = false;
    };
    // A dirty recorded node runs; an ephemeral node runs when a node that runs needs it
    // (needs flow upstream, through ephemeral nodes only: others are restored or run).
    let mut runs: Vec<bool> = (0..nodes.len())
        .map(|i| !ephemeral(i) && dirty[i])
        .collect();
    loop {
        let mut again = false;
        for i in 0..nodes.len() {
            if ephemeral(i) && !runs[i] && nodes[i].successors.iter().any(|&s| runs[s]) {
                runs[i] = true;
                again = true;
            }
        }
        if !again {
            break;
        }
    }
    let resume = (0..nodes.len())
        .map(|i| {
            Ok(match (runs[i], rows[i]) {
                (true, _) => Resume::Run,
                (false, Some(bytes)) => Resume::Restore(
                    W::decode_value(i, bytes, run).map_err(|e| store_error::<W>(run, e))?,
                ),
                // Not needed: an ephemeral node all of whose consumers were restored.
                (false, None) => Resume::Skip,
            })
        })
        .collect::<Result<Vec<_>, WorkflowError>>()?;
    // The fan-outs (and sub-workflows) whose items' rows hold: they run, from the inputs
    // they ran with.
    let fresh = |name: &str| {
        (0..nodes.len()).any(|i| {
            nodes[i].name == name
                && runs[i]
                && !not_taken[i]
                && !upstream_dirty[i]
                && !changed.contains(&name)
        })
    };
    // A row of an item (`ys[3].y`) or of a sub-workflow's node (`report.layout`) is
    // under its top-level node's name.
    let (items, forget): (Vec<RecordedOutput>, Vec<RecordedOutput>) =
        state.outputs.into_iter().partition(|row| {
            let path = row.path.as_str();
            path.split_once(['[', '.'])
                .is_some_and(|(top, _)| fresh(top))
        });
    // The graph changed: from now on the run records under the current one, and the rows
    // of the nodes that run again (recorded by the earlier code) go, so that a resume
    // after a crash of this one neither runs again a changed node this one recorded nor
    // restores an earlier code's row (`Store::rebase_run`).
    let rebase = (!changed.is_empty()).then(|| {
        // A restored node's rows stay, its items' (`ys[3].y1`) too.
        let restored = |path: &str| {
            let top = path.split(['[', '.']).next().unwrap_or(path);
            (0..nodes.len())
                .any(|i| nodes[i].name == top && matches!(resume[i], Resume::Restore(_)))
        };
        let forget = forget
            .into_iter()
            .map(|row| row.path)
            .filter(|path| !restored(path.as_str()))
            .collect();
        (GraphFingerprint(current.clone()), forget)
    });
    Ok(Restore {
        nodes: resume,
        items: items
            .into_iter()
            .map(|row| (row.path.as_str().to_owned(), row))
            .collect(),
        rebase,
    })
}

#[cfg(test)]
mod tests {
    use super::changed_nodes;

    const V1: &str = "input n: u64;a=first(n<-n);b=double(x<-a);c=pair(x<-a);";

    #[test]
    fn only_entries_that_differ_are_changed() {
        assert!(changed_nodes(V1, V1).is_empty());
        // `b` reads from another node; `c` calls another fn; `d` is new; `a` is as it was.
        let v2 = "input n: u64;a=first(n<-n);b=double(x<-c);c=triple(x<-a);d=join(y<-b);";
        let mut changed = changed_nodes(V1, v2);
        changed.sort_unstable();
        assert_eq!(changed, ["b", "c", "d"]);
        // A removed node is not in the current graph: nothing of it runs.
        assert!(changed_nodes(V1, "input n: u64;a=first(n<-n);").is_empty());
        // An ephemeral binding whose version was bumped (see `fingerprint`).
        let v2 = V1.replace("c=pair", "~c@2=pair");
        let v3 = V1.replace("c=pair", "~c@3=pair");
        assert_eq!(changed_nodes(&v2, &v3), ["c"]);
        assert!(changed_nodes(&v2, &v2).is_empty());
        // A changed input type shows as the input entry.
        assert_eq!(
            changed_nodes(
                V1,
                "input n: u32;a=first(n<-n);b=double(x<-a);c=pair(x<-a);"
            ),
            ["input n"]
        );
    }
}
