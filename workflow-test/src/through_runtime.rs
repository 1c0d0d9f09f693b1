//! `h.start_durable(..)` (`resume`, `recover`) on a [`Harness`]: durable runs go
//! through the harness's runtime, `h.runtime().start_durable(..)`. The harness's hidden
//! methods of those names each require a trait that nothing implements, so the mistake
//! is one error saying so rather than rustc's "no method named `start_durable` found for
//! struct `Harness`".

use workflow_core::store::RunId;
use workflow_core::{DurableFuture, DurableRun, DurableWorkflow, Workflow, WorkflowError};

use crate::Harness;

/// One of the three traits below, with its message.
macro_rules! durable_through_runtime {
    ($(#[$doc:meta])* $name:ident, $message:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(
            message = $message,
            label = "a method of `Runtime`, not of `Harness`",
            note = "give the harness a store (`Harness::builder().store(MemoryStore::new()).build()`), then `h.runtime().start_durable(Etl, input, None).await`: the run is still recorded by the harness (`h.runs()`, `h.assert_executed`) and watched by the test's watchdogs"
        )]
        #[doc(hidden)]
        pub trait $name<W>: sealed::NotImplemented<W> {}
    };
}

durable_through_runtime!(
    /// `h.start_durable(..)` for `h.runtime().start_durable(..)`. Implemented for
    /// nothing, and sealed. Not API.
    StartDurableThroughTheRuntime,
    "a `Harness` runs durable workflows through its runtime: write `h.runtime().start_durable(..)`"
);
durable_through_runtime!(
    /// `h.resume(..)` for `h.runtime().resume(..)`. Implemented for nothing, and sealed.
    /// Not API.
    ResumeThroughTheRuntime,
    "a `Harness` runs durable workflows through its runtime: write `h.runtime().resume(..)`"
);
durable_through_runtime!(
    /// `h.recover(..)` for `h.runtime().recover(..)`. Implemented for nothing, and
    /// sealed. Not API.
    RecoverThroughTheRuntime,
    "a `Harness` runs durable workflows through its runtime: write `h.runtime().recover(..)`"
);

/// Leaving out `.runtime()`: see [`StartDurableThroughTheRuntime`].
impl Harness {
    #[doc(hidden)]
    pub fn start_durable<'a, W, I, O>(
        &'a self,
        workflow: W,
        input: I,
        idempotency_key: Option<&'a str>,
    ) -> DurableFuture<'a, DurableRun<O>>
    where
        W: DurableWorkflow + Workflow<Input = I, Output = O> + 'a,
        Self: StartDurableThroughTheRuntime<W>,
    {
        let _ = (workflow, input, idempotency_key);
        unreachable!("`Harness: StartDurableThroughTheRuntime` has no impl")
    }

    #[doc(hidden)]
    pub fn resume<'a, W, O>(&'a self, workflow: W, run: RunId) -> DurableFuture<'a, DurableRun<O>>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        Self: ResumeThroughTheRuntime<W>,
    {
        let _ = (workflow, run);
        unreachable!("`Harness: ResumeThroughTheRuntime` has no impl")
    }

    #[doc(hidden)]
    #[allow(clippy::type_complexity)]
    pub fn recover<'a, W, O>(
        &'a self,
        workflow: W,
    ) -> DurableFuture<'a, Vec<(RunId, Result<DurableRun<O>, WorkflowError>)>>
    where
        W: DurableWorkflow + Workflow<Output = O> + 'a,
        Self: RecoverThroughTheRuntime<W>,
    {
        let _ = workflow;
        unreachable!("`Harness: RecoverThroughTheRuntime` has no impl")
    }
}

mod sealed {
    /// Implemented for nothing, and private: nobody can implement the traits above.
    pub trait NotImplemented<W> {}
}
