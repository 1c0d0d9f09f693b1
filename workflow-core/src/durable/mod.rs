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

use crate::error::{NodeName, WorkflowError};
use crate::executor::Workflow;
use crate::run::{NodeReport, NodeStatus, RunReport};
use crate::store::{RunId, StoreError};
use crate::trace::ExecutionTrace;
#[cfg(doc)]
use crate::{runtime::Runtime, store::Store};

mod builder;
mod drive;
mod fingerprint;
mod restore;
mod runs;

pub use fingerprint::fingerprint;
use fingerprint::{changed_nodes, refuse_changed_inputs};
use restore::{restorable, Restore};

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
