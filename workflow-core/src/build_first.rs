//! `Runtime::builder()...` used without `.build()`: the builder's hidden `execute` and
//! `execute_with` require [`BuildTheRuntimeFirst`], which nothing implements, so the
//! mistake is one error saying to add `.build()` rather than rustc's "no method named
//! `execute` found for struct `RuntimeBuilder`" (as `workflow-test`'s `HarnessBuilder`).

use crate::launch::{RunFuture, Runnable};
use crate::{RunOptions, RuntimeBuilder};

/// A [`RuntimeBuilder`] used where its [`Runtime`](crate::Runtime) was meant: `.build()`
/// was left out (`let rt = Runtime::builder().resource(db);` then `rt.execute(..)`).
/// Implemented for nothing, and sealed: the builder's hidden `execute` and
/// `execute_with` require it, so that leaving out `.build()` is an error saying to add
/// it. Not API.
#[diagnostic::on_unimplemented(
    message = "a `RuntimeBuilder` is not a `Runtime`: finish it with `.build()`",
    label = "a method of `Runtime` called on its `RuntimeBuilder`",
    note = "write `let rt = Runtime::builder().resource(..).build();`, then `rt.execute(..)`"
)]
#[doc(hidden)]
pub trait BuildTheRuntimeFirst<T>: sealed::NotImplemented<T> {}

/// Leaving out `.build()`: see [`BuildTheRuntimeFirst`].
impl RuntimeBuilder {
    #[doc(hidden)]
    pub fn execute<W, I, O>(&self, workflow: W, input: I) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
        Self: BuildTheRuntimeFirst<W>,
    {
        let _ = (workflow, input);
        unreachable!("`RuntimeBuilder: BuildTheRuntimeFirst` has no impl")
    }

    #[doc(hidden)]
    pub fn execute_with<W, I, O>(&self, workflow: W, input: I, options: RunOptions) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
        Self: BuildTheRuntimeFirst<W>,
    {
        let _ = (workflow, input, options);
        unreachable!("`RuntimeBuilder: BuildTheRuntimeFirst` has no impl")
    }
}

mod sealed {
    /// Implemented for nothing, and private: nobody can implement
    /// [`BuildTheRuntimeFirst`](super::BuildTheRuntimeFirst), so the builder's hidden
    /// methods can never be called.
    pub trait NotImplemented<T> {}
}
