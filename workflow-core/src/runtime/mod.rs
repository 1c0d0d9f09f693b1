//! [`Runtime`]: runs workflows on the caller's tokio runtime, holds resources, shuts down.
//!
//! This module has the runtime and its run entry points (`execute` and its kin, the
//! resources and monitors added to a built runtime). Beside it: `builder` (what a
//! runtime is built with), `handle` (a live run as a monitor sees it), `shutdown`
//! (waiting for runs, cleanup hooks, the report), `durable` (what a runtime keeps for
//! durable runs: store settings, the drives under way, the end hook's view).

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::FutureExt as _;

use crate::executor::{panic_message, RunOutcome, Workflow};
use crate::launch::{launch, AsOutcome, IntoRun, RunFuture, Runnable};
use crate::resources::{erase_cleanup, CleanupHookFuture, Res, Resources};
use crate::run::{RunOptions, RunSnapshot};
pub use crate::shared::DroppedRun;
use crate::shared::{DroppedHook, Monitor, RunShared, RuntimeShared, TrackedRuns};

mod builder;
#[cfg(feature = "store")]
mod durable;
mod handle;
mod shutdown;

pub use builder::RuntimeBuilder;
#[cfg(feature = "store")]
pub use durable::DurableRunEnd;
#[cfg(feature = "store")]
pub(crate) use durable::{
    Driving, DurableConfig, DurableSettings, OnDurableEnd, PlanOf, Recording,
};
use handle::erase_monitor;
pub use handle::RunHandle;
pub use shutdown::{CancelledRun, ShutdownReport};

/// Runs workflows on the caller's tokio runtime (it never creates or nests one).
///
/// A `Runtime` is cheap to clone and can be shared by many concurrent runs; each run is
/// isolated (its own cells and output slots, cancellation, trace and tracked waits). It holds the typed
/// resources nodes receive as `Res<T>`.
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
///
/// #[node]
/// async fn double(x: u32) -> u32 {
///     x * 2
/// }
///
/// workflow! {
///     struct Double {
///         input x: u32,
///         y = double(x),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let rt = Runtime::new();
/// let run = rt.execute(Double, DoubleInput { x: 21 }).await?;
/// assert_eq!(run.outputs.y, 42);
/// rt.shutdown().await;
/// # Ok::<(), WorkflowError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeShared>,
    /// The store of durable runs (see `crate::durable`).
    #[cfg(feature = "store")]
    pub(crate) durable: Option<Arc<DurableConfig>>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("active_runs", &self.active_runs())
            .field("resources", &self.inner.resources().names())
            .finish_non_exhaustive()
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtime {
    /// A runtime without resources or limits.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts building a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The state shared by this runtime's runs.
    #[cfg(feature = "store")]
    pub(crate) fn shared(&self) -> &Arc<RuntimeShared> {
        &self.inner
    }

    /// Runs `workflow` with `input` and the workflow's own policies: a workflow declared
    /// by `workflow!` and its input struct, `rt.execute(Etl, EtlInput { .. })` (that is
    /// what `W: Runnable<I>` says).
    ///
    /// The returned future drives the run; dropping it cancels every node it started.
    ///
    /// # Errors
    ///
    /// [`WorkflowError`](crate::WorkflowError) naming the node and cause when a node fails, panics or times
    /// out, the run times out or deadlocks, a resource is missing, or the runtime is
    /// shut down.
    ///
    /// Runs are driven by tokio. Polled outside a tokio runtime (by another executor's
    /// `block_on`), a run of plain in-task nodes works; one that needs tokio's timer or
    /// spawner fails before any node runs with
    /// [`WorkflowError::NeedsTokio`](crate::WorkflowError::NeedsTokio) naming what
    /// needs it: a run timeout or stall limit ([`RunOptions`], the workflow's or a
    /// sub-workflow's), a `#[node(spawn)]` node or a node's timeout (at any depth). Two
    /// needs show only as the run goes, and runs that never meet them work: a retry's
    /// backoff ends that node with `NeedsTokio` naming it, after its failed attempt; a
    /// non-zero [`RunOptions::cancel_grace`] of a run that stops (fails, is cancelled)
    /// with nodes in flight drops them at once, and the run's error holds `NeedsTokio`
    /// beside its own (a [`WorkflowError::Multiple`](crate::WorkflowError::Multiple)).
    /// A node body that uses tokio itself panicking there is that node's
    /// [`WorkflowError::NodePanicked`](crate::WorkflowError::NodePanicked), with
    /// tokio's message. Inside a tokio runtime, any flavor, and on its blocking threads
    /// through `Handle::block_on`, none of this applies.
    ///
    /// # Panics
    ///
    /// Not from the run itself: a node's panic is that node's
    /// [`WorkflowError::NodePanicked`](crate::WorkflowError::NodePanicked), and what
    /// needs tokio outside it is `NeedsTokio` (above).
    pub fn execute<W, I, O>(&self, workflow: W, input: I) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
    {
        let (_, input) = workflow.into_parts(input);
        // No options: the box `RunFuture` makes here holds the runtime and the input alone.
        RunFuture::new(launch::<W::Workflow, IntoRun>(
            Arc::clone(&self.inner),
            input,
            || None,
        ))
    }

    /// Runs `workflow` with per-run options (trace, timeout, concurrency, cancellation).
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute`].
    pub fn execute_with<W, I, O>(&self, workflow: W, input: I, options: RunOptions) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
    {
        let (_, input) = workflow.into_parts(input);
        RunFuture::new(launch::<W::Workflow, IntoRun>(
            Arc::clone(&self.inner),
            input,
            move || Some(options),
        ))
    }

    /// Runs `workflow` and returns its [`RunOutcome`]: the outputs or the error, with the
    /// report (and trace) whether it succeeded or not.
    ///
    /// This is what test harnesses use to count executions of failed runs.
    pub fn execute_report<W: Workflow>(
        &self,
        _workflow: W,
        input: W::Input,
        options: RunOptions,
    ) -> impl Future<Output = RunOutcome<W::Output>> + Send + 'static {
        launch::<W, AsOutcome>(Arc::clone(&self.inner), input, move || Some(options))
    }

    /// Registers (or replaces) a resource on a running runtime; later runs see it.
    ///
    /// `value` is registered as its own type: an `Arc<FakeHttp>` passed here is the
    /// resource `Arc<FakeHttp>`, not a `dyn Http` (the run then fails with
    /// [`WorkflowError::ResourceRegisteredAsArc`](crate::WorkflowError::ResourceRegisteredAsArc));
    /// register shared or trait-object values with
    /// [`insert_resource_arc`](Self::insert_resource_arc).
    pub fn insert_resource<T: Send + Sync + 'static>(&self, value: T) {
        self.inner.resources_mut().insert(Arc::new(value), None);
    }

    /// Registers (or replaces) an already shared resource; see
    /// [`RuntimeBuilder::resource_arc`].
    pub fn insert_resource_arc<T: ?Sized + Send + Sync + 'static>(&self, value: Arc<T>) {
        self.inner.resources_mut().insert(value, None);
    }

    /// The resource of type `T`, if registered.
    pub fn resource<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Res<T>> {
        self.inner.resource::<T>()
    }

    /// Adds a monitor after the runtime was built (see [`RuntimeBuilder::monitor`]).
    pub fn add_monitor(&self, f: impl Fn(RunHandle) + Send + Sync + 'static) {
        self.inner.add_monitor(erase_monitor(f));
    }

    /// Runs currently in flight.
    pub fn active_runs(&self) -> usize {
        self.inner.active_runs()
    }

    /// Whether [`Runtime::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.inner.is_closed()
    }
}
