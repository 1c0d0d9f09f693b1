//! Typed async workflows: `#[node]` turns an `async fn` into a graph node, `workflow!`
//! wires nodes with every edge checked by rustc, and [`Runtime`] runs the graph on the
//! caller's tokio runtime — concurrently where dependencies allow, with timeouts,
//! retries, cancellation, resources and an execution trace.
//!
//! # Example
//!
//! ```
//! use workflow_core::prelude::*;
//!
//! #[derive(Debug, Clone)]
//! struct Page {
//!     items: Vec<u32>,
//! }
//!
//! #[derive(Debug, thiserror::Error)]
//! #[error("fetch failed")]
//! struct FetchError;
//!
//! /// Parameters are typed input ports; the output is the `Ok` type.
//! #[node]
//! async fn fetch(url: String) -> Result<Page, FetchError> {
//!     if url.is_empty() {
//!         return Err(FetchError);
//!     }
//!     Ok(Page { items: vec![1, 2, 3] })
//! }
//!
//! #[node]
//! async fn total(items: Vec<u32>) -> u32 {
//!     items.iter().sum()
//! }
//!
//! #[node]
//! async fn count(items: Vec<u32>) -> usize {
//!     items.len()
//! }
//!
//! workflow! {
//!     /// Fetches a page, then sums and counts its items concurrently.
//!     pub struct Etl {
//!         input url: String,
//!         page = fetch(url),
//!         sum = total(items: page.items),
//!         n = count(items: page.items),
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let rt = Runtime::new();
//! let run = rt.execute(Etl, EtlInput { url: "https://example.com".into() }).await?;
//! assert_eq!(run.outputs.sum, 6);
//! assert_eq!(run.outputs.n, 3);
//! # Ok::<(), WorkflowError>(())
//! # }).unwrap();
//! ```
//!
//! The fns stay ordinary async fns: `fetch("u".into()).await` still works in unit tests
//! (a `Res<T>` parameter takes [`Res::from_arc`]; a [`Context`] exists only inside a
//! run, so a node taking `ctx: &Context` is tested through a one-node workflow).
//!
//! # Outputs
//!
//! A node's output goes to its consumers: moved into the last one, cloned for the others
//! (so an output with several consumers must be `Clone`). The output struct
//! (`EtlOutput`) has one field per *sink* node (a node nobody consumes) and one per
//! binding marked `#[output]`, whose value is then also kept (cloned) for the caller.
//!
//! # Crate layout
//!
//! - [`node`](macro@node), [`workflow!`]: the macros (from `workflow-macros`).
//! - [`Runtime`], [`RunOptions`], [`Run`], [`RunOutcome`]: running workflows.
//! - [`Context`], [`Res`], [`EventQueue`]: what nodes can use besides their ports.
//! - [`policy`]: timeouts, retries, concurrency, failure handling.
//! - [`WorkflowError`]: why a run failed, with the node and cause.
//! - [`trace`]: the execution trace.
//!
//! # Features
//!
//! - `serde` (default): [`serde::Serialize`](https://docs.rs/serde) for the data a run
//!   leaves behind, to store or send it: [`ExecutionTrace`] and its events,
//!   [`RunReport`], [`NodeReport`], [`NodeStatus`], [`RunSnapshot`], [`ShutdownReport`],
//!   [`DeadlockReport`] and [`TimeoutScope`]. Field names are the Rust ones, enums are
//!   in `snake_case` (a [`TraceKind`](trace::TraceKind) is tagged as `"type"`:
//!   `{"type":"retrying","attempt":1,..}`), and durations have serde's usual form,
//!   `{"secs":1,"nanos":500000000}`. [`ExecutionTrace::to_chrome_json`] works without it.

#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

// Modules by layer, from the bottom up (see ARCHITECTURE.md): a module uses only
// modules of lower layers. One layer per group; `src/layers.rs` checks this.
mod error;
mod sync;

pub mod policy;
#[cfg(feature = "store")]
pub mod store;
pub mod trace;

mod events;
mod resources;
mod run;

mod plan;
mod waits;

mod shared;

mod context;

mod node;

mod executor;

mod launch;

mod runtime;

mod build_first;
mod other_names;

#[cfg(feature = "store")]
mod durable;

#[cfg(feature = "store")]
pub mod remote;

#[doc(hidden)]
pub mod __private;

/// The verdict of `#[workflow(durable)]`'s check on a value that is not
/// `Serialize + DeserializeOwned`, named in that compile error.
#[cfg(feature = "store")]
pub use __private::NotRecordable;
// The compile-time requirements `#[node]` and `workflow!` check, named in their errors.
// (A plain comment: a doc comment on a `pub use` is prepended to each item's own docs,
// which made it the summary line of every one of these traits in the crate's index.)
pub use __private::{
    FanOutItems, IfCondition, MapInput, MatchOn, NodeError, NotSendSync, ResourceValue,
    RetriedInput, RetryAnswer, RetryInput, SharedOutput, SharedResource,
};
#[doc(hidden)]
pub use build_first::BuildTheRuntimeFirst;
pub use context::{Context, SignalFuture, WaitFuture};
#[cfg(feature = "store")]
pub use durable::{DurableFuture, DurableRun, DurableWorkflow};
pub use error::{
    BoxError, Causes, DeadlockKind, DeadlockReport, NodeName, RetryWait, TimeoutScope, TokioNeed,
    WaitingNode, WorkflowError, MAX_CAUSES,
};
pub use events::{EventQueue, EventSender, RecvTimeout};
#[doc(hidden)]
pub use executor::{
    PicturesAreConstants, WorkflowIsAValue, WorkflowOtherNames, WorkflowsAreValues,
    WorkflowsRunOnARuntime,
};
pub use executor::{RunOutcome, Workflow};
pub use launch::{RunFuture, Runnable, WorkflowGoesFirst};
pub use node::Node;
pub use node::NodeErrorType;
/// The two arms of the node-error conversion, public so that a compile error names
/// them by a short path. Not API.
#[doc(hidden)]
pub use node::{ConvertNodeError, UnsupportedNodeError};
#[cfg(feature = "store")]
#[doc(hidden)]
pub use other_names::RunIdIsItsNumber;
#[doc(hidden)]
pub use other_names::{
    ARunSucceeded, AttemptIsTheName, AwaitTheRun, CancelByDropping, CancelTokenIsTheName,
    ContextComesFromARun, ErrorNodeIsNode, EventsAreAField, EventsAreSent, GuideBuilderMethods,
    LimitsAreWorkflowsAndRuns, NodeIsTheName, NodesLogWithEmit, NodesSendNoHeartbeat,
    NodesSleepWithTokio, PoliciesAreAttributes, RetriesAreANodePolicy, RunIdIsTheRunsId,
    RunOptionsAreSetDirectly, RunsAreFutures, RunsWithExecute, RuntimeLimitIsMaxConcurrentNodes,
    SetOnTheBuilder, SpawnTheRunsFuture, TraceIsTheRunsOption, TraceIsTheRuntimesSetting,
};
#[cfg(feature = "store")]
#[doc(hidden)]
pub use other_names::{DurableRunsStartWithStartDurable, StoreIsTheBuildersName};
/// What a cleanup hook's closure returns; public so that a compile error names it by
/// a short path. Not API.
#[doc(hidden)]
pub use resources::CleanupHookFuture;
pub use resources::Res;
pub use run::{
    NodeReport, NodeReports, NodeStatus, Run, RunDuration, RunOptions, RunReport, RunSnapshot,
    SnapshotChildNode, SnapshotNode,
};
#[cfg(feature = "store")]
pub use runtime::DurableRunEnd;
pub use runtime::{CancelledRun, DroppedRun, RunHandle, Runtime, RuntimeBuilder, ShutdownReport};
pub use trace::ExecutionTrace;
pub use waits::WaitError;

/// Re-exported so that users name one crate: [`RunOptions::cancel_token`] takes one and
/// [`Context::cancellation`] hands one out. (The one re-export of a dependency's type:
/// each is a promise to follow that crate's major versions.)
pub use tokio_util::sync::CancellationToken;

/// A boxed, `Send` future: handy for async function resources and mocks behind traits
/// (`Res<dyn Fn(Req) -> BoxFuture<'static, Resp> + Send + Sync>`), and what the
/// [`store`] traits return.
pub use futures::future::BoxFuture;

#[doc(inline)]
pub use workflow_macros::{node, workflow};

/// Everything a workflow module usually needs, and the types a test names when it
/// matches on an outcome.
///
/// ```
/// use std::time::Duration;
/// use workflow_core::prelude::*;
///
/// let options = RunOptions::new().failure(FailurePolicy::Continue);
/// # let _ = options;
/// fn describe(err: &WorkflowError) -> String {
///     match err {
///         WorkflowError::Timeout { scope: TimeoutScope::Node(node), .. } => format!("{node} timed out"),
///         WorkflowError::Deadlock { report, .. } if matches!(report.kind, DeadlockKind::Stalled(_)) => {
///             "stalled".into()
///         }
///         other => other.to_string(),
///     }
/// }
/// # let _ = (describe, Duration::ZERO);
/// ```
///
/// With the `store` feature (on by default), the stores and the run id of durable runs:
///
/// ```
/// use workflow_core::prelude::*;
///
/// let rt = Runtime::builder().store(MemoryStore::new()).build();
/// let id: RunId = RunId(7);
/// # let _ = (rt, id);
/// ```
pub mod prelude {
    // `DeadlockKind` and `FailurePolicy` are here for the same reason as `TimeoutScope`:
    // a test matching `assert_deadlock(..).kind` or calling `RunOptions::failure` names them.
    pub use crate::policy::FailurePolicy;
    // `WaitError` is what `Context::wait` returns: a node that passes it on with `?`
    // (`-> Result<T, WaitError>`) names it.
    pub use crate::{
        node, workflow, CancellationToken, Context, DeadlockKind, EventQueue, NodeStatus, Res, Run,
        RunOptions, Runtime, TimeoutScope, WaitError, Workflow, WorkflowError,
    };
    // A service mocked behind a trait (`Res<dyn Http>`) has `BoxFuture` methods (an
    // `async fn` in a trait is not dyn-compatible); the same item as
    // `futures::future::BoxFuture`, so importing both does not clash.
    pub use crate::BoxFuture;
    // `RunHandle` is what a `monitor` receives: a test keeping handles to cancel a run
    // names it (`Vec<RunHandle>`).
    pub use crate::RunHandle;
    // `DurableRun` is `Run`'s durable counterpart: a helper returning the result of
    // `start_durable`/`resume` names it.
    #[cfg(feature = "store")]
    pub use crate::DurableRun;
    // The stores a durable test or service opens first (`Runtime::builder().store(..)`)
    // and the id `resume`/`retry` take: not here, `MemoryStore::new()` unimported was
    // rustc's E0433 with no import suggested (a new user's mistake). The rest of the
    // store's types stay in `store`.
    #[cfg(feature = "sqlite")]
    pub use crate::store::SqliteStore;
    #[cfg(feature = "store")]
    pub use crate::store::{MemoryStore, RunId};
    // A test asserting how an attempt ended (`trace.attempt_spans("a")[0].outcome`)
    // names it, and one picking events out of a trace
    // (`matches!(e.kind, TraceKind::Started { .. })`) names `TraceKind`.
    pub use crate::trace::{SpanOutcome, TraceKind};
    // Only for its compile error: `rt.execute(..).unwrap()` without `.await`.
    #[doc(hidden)]
    pub use crate::__private::RunNotAwaited as _;
    // `Etl.mermaid()`: one error saying to write `Etl::MERMAID`.
    #[doc(hidden)]
    pub use crate::WorkflowOtherNames as _;
    // `Etl::new()` and `Etl::mermaid()`: one error each saying what to write (`workflow!`
    // also imports it beside the workflow).
    #[doc(hidden)]
    pub use crate::WorkflowsAreValues as _;
    // Only for its compile error: `rt.start_durable(..).unwrap()` without `.await`.
    #[cfg(feature = "store")]
    #[doc(hidden)]
    pub use crate::__private::DurableRunNotAwaited as _;
    // Only for its compile error: the guide's `Etl.with_timeout(1.0)` on a workflow.
    #[doc(hidden)]
    pub use crate::GuideBuilderMethods as _;
}

#[cfg(test)]
mod layers;
