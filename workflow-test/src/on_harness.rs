//! `run.assert_executed(..)` (and the harness's other assertions about nodes) called on
//! a [`Run`]: they are the [`Harness`](crate::Harness)'s, which saw every run. The
//! prelude brings [`AssertionsGoOnTheHarness`] into scope (as `_`), whose methods of
//! those names each require a trait that nothing implements, so the mistake is one error
//! saying to call it on the harness rather than rustc's "no method named
//! `assert_executed` found for struct `Run`".

use workflow_core::Run;

/// One of the traits below, with its message.
macro_rules! on_the_harness {
    ($(#[$doc:meta])* $name:ident, $message:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(
            message = $message,
            label = "an assertion of the `Harness`, not of the `Run`",
            note = "the harness records every run it executed: `let run = h.assert_success(h.execute(Etl, input).await);`, then `h.assert_executed(\"page\", 1)` (node names are the workflow's bindings)"
        )]
        #[doc(hidden)]
        pub trait $name<N>: sealed::NotImplemented<N> {}
    };
}

on_the_harness!(
    /// `run.assert_executed(..)`. Implemented for nothing, and sealed. Not API.
    AssertExecutedOnTheHarness,
    "`assert_executed` is a method of the `Harness`, not of the `Run`: write `h.assert_executed(..)`"
);
on_the_harness!(
    /// `run.assert_not_executed(..)`. Implemented for nothing, and sealed. Not API.
    AssertNotExecutedOnTheHarness,
    "`assert_not_executed` is a method of the `Harness`, not of the `Run`: write `h.assert_not_executed(..)`"
);
on_the_harness!(
    /// `run.assert_not_taken(..)`. Implemented for nothing, and sealed. Not API.
    AssertNotTakenOnTheHarness,
    "`assert_not_taken` is a method of the `Harness`, not of the `Run`: write `h.assert_not_taken(..)`"
);
on_the_harness!(
    /// `run.assert_before(..)`. Implemented for nothing, and sealed. Not API.
    AssertBeforeOnTheHarness,
    "`assert_before` is a method of the `Harness`, not of the `Run`: write `h.assert_before(..)`"
);
on_the_harness!(
    /// `run.assert_overlapped(..)`. Implemented for nothing, and sealed. Not API.
    AssertOverlappedOnTheHarness,
    "`assert_overlapped` is a method of the `Harness`, not of the `Run`: write `h.assert_overlapped(..)`"
);
on_the_harness!(
    /// `run.execution_count(..)`. Implemented for nothing, and sealed. Not API.
    ExecutionCountOnTheHarness,
    "`execution_count` is a method of the `Harness`, not of the `Run`: write `h.execution_count(..)`"
);

/// The harness's assertions about nodes, called on a [`Run`]: each is an error saying
/// to call it on the harness (see the module). In the prelude as `_`. Not API.
#[doc(hidden)]
pub trait AssertionsGoOnTheHarness {
    #[doc(hidden)]
    fn assert_executed<N>(&self, node: N, times: u64)
    where
        Self: AssertExecutedOnTheHarness<N>,
    {
        let _ = (node, times);
        unreachable!("`AssertExecutedOnTheHarness` has no impl")
    }

    #[doc(hidden)]
    fn assert_not_executed<N>(&self, node: N)
    where
        Self: AssertNotExecutedOnTheHarness<N>,
    {
        let _ = node;
        unreachable!("`AssertNotExecutedOnTheHarness` has no impl")
    }

    #[doc(hidden)]
    fn assert_not_taken<N>(&self, node: N)
    where
        Self: AssertNotTakenOnTheHarness<N>,
    {
        let _ = node;
        unreachable!("`AssertNotTakenOnTheHarness` has no impl")
    }

    #[doc(hidden)]
    fn assert_before<N>(&self, a: N, b: &str)
    where
        Self: AssertBeforeOnTheHarness<N>,
    {
        let _ = (a, b);
        unreachable!("`AssertBeforeOnTheHarness` has no impl")
    }

    #[doc(hidden)]
    fn assert_overlapped<N>(&self, a: N, b: &str)
    where
        Self: AssertOverlappedOnTheHarness<N>,
    {
        let _ = (a, b);
        unreachable!("`AssertOverlappedOnTheHarness` has no impl")
    }

    #[doc(hidden)]
    fn execution_count<N>(&self, node: N) -> u64
    where
        Self: ExecutionCountOnTheHarness<N>,
    {
        let _ = node;
        unreachable!("`ExecutionCountOnTheHarness` has no impl")
    }
}

impl<O> AssertionsGoOnTheHarness for Run<O> {}

mod sealed {
    /// Implemented for nothing, and private: nobody can implement the traits above.
    pub trait NotImplemented<N> {}
}
