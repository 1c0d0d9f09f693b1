//! `rt.run(..)` and `rt.execute_workflow(..)` (the testing guide's name) for
//! `rt.execute(..)`: hidden methods of those names require [`RunsWithExecute`], which
//! nothing implements, so the mistake is one error saying to write `execute`, rather than
//! rustc's "no method named `run`" with a help pointing at the generated
//! `Workflow::run` ("use associated function syntax instead: `Runtime::run(..)`", which
//! does not exist either).

use crate::launch::{RunFuture, Runnable};
use crate::Runtime;

/// `rt.run(..)` or `rt.execute_workflow(..)` written for [`Runtime::execute`].
/// Implemented for nothing, and sealed: the runtime's hidden methods of those names
/// require it, so that the other name is one error saying to write `execute`. Not API.
#[diagnostic::on_unimplemented(
    message = "a `Runtime` runs a workflow with `execute`: write `rt.execute(Workflow, WorkflowInput {{ .. }}).await`",
    label = "not a method of `Runtime`",
    note = "`rt.execute_with(Workflow, input, RunOptions::new()..)` takes per-run options (trace, timeout, cancellation); both return the run (`run.outputs`, `run.report`) or the `WorkflowError`"
)]
#[doc(hidden)]
pub trait RunsWithExecute<T>: sealed::NotImplemented<T> {}

/// The other names: see [`RunsWithExecute`].
impl Runtime {
    #[doc(hidden)]
    pub fn run<W, I, O>(&self, workflow: W, input: I) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
        Self: RunsWithExecute<W>,
    {
        let _ = (workflow, input);
        unreachable!("`Runtime: RunsWithExecute` has no impl")
    }

    #[doc(hidden)]
    pub fn execute_workflow<W, I, O>(&self, workflow: W, input: I) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
        Self: RunsWithExecute<W>,
    {
        let _ = (workflow, input);
        unreachable!("`Runtime: RunsWithExecute` has no impl")
    }
}

mod sealed {
    /// Implemented for nothing, and private: nobody can implement
    /// [`RunsWithExecute`](super::RunsWithExecute), so the hidden methods can never be
    /// called.
    pub trait NotImplemented<T> {}
}
