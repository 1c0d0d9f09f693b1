//! The testing guide's names for the harness's methods: `h.execute_workflow(..)` and
//! `h.run(..)` for [`Harness::execute`], `h.get_execution_trace()` (and `h.trace()`) for
//! [`Harness::last_trace`]. Hidden methods of those names require traits that nothing
//! implements, so each is one error naming the method to write, rather than rustc's "no
//! method named `execute_workflow`" with a help pointing at `execute_with` (other
//! arguments), or at the generated `Workflow::run` for `run`.

use workflow_core::{ExecutionTrace, Res, RunFuture, Runnable};

use crate::{Harness, MockFn};

/// `h.run(..)` or `h.execute_workflow(..)` written for [`Harness::execute`].
/// Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a `Harness` runs a workflow with `execute`: write `h.execute(Workflow, WorkflowInput {{ .. }}).await`",
    label = "not a method of `Harness`",
    note = "then assert on it: `let run = h.assert_success(h.execute(..).await);` (or `assert_error::<E>`, `assert_timeout`, ..); `h.execute_with(.., RunOptions::new()..)` takes per-run options"
)]
#[doc(hidden)]
pub trait ExecuteRunsTheWorkflow<T>: sealed::NotImplemented<T> {}

/// `h.get_execution_trace()` or `h.trace()` written for [`Harness::last_trace`]. Implemented for
/// nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "the harness keeps the last run's trace: write `h.last_trace()`",
    label = "not a method of `Harness`",
    note = "turn traces on first (`h.enable_tracing()` or `h.set_trace(true)`); `h.last_trace()` is an `Option<ExecutionTrace>` (`None` for a run without tracing), and `h.last_run()` has the rest of the run"
)]
#[doc(hidden)]
pub trait TraceIsLastTrace<T>: sealed::NotImplemented<T> {}

/// The guide's names: see [`ExecuteRunsTheWorkflow`] and [`TraceIsLastTrace`].
impl Harness {
    #[doc(hidden)]
    pub fn run<W, I, O>(&self, workflow: W, input: I) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
        Self: ExecuteRunsTheWorkflow<W>,
    {
        let _ = (workflow, input);
        unreachable!("`Harness: ExecuteRunsTheWorkflow` has no impl")
    }

    #[doc(hidden)]
    pub fn execute_workflow<W, I, O>(&self, workflow: W, input: I) -> RunFuture<O>
    where
        W: Runnable<I, Output = O>,
        Self: ExecuteRunsTheWorkflow<W>,
    {
        let _ = (workflow, input);
        unreachable!("`Harness: ExecuteRunsTheWorkflow` has no impl")
    }

    // The bound names the lifetime of `&self` so that it is checked at each call, not
    // rejected here as a bound that can never hold.
    #[doc(hidden)]
    pub fn get_execution_trace<'a>(&'a self) -> Option<ExecutionTrace>
    where
        &'a Self: TraceIsLastTrace<&'a Self>,
    {
        unreachable!("`Harness: TraceIsLastTrace` has no impl")
    }

    /// `h.trace()`, by the builder's `trace(bool)` and `RunRecord::trace()`: rustc's own
    /// hint pointed at `set_trace`, which takes a `bool` and returns nothing.
    #[doc(hidden)]
    pub fn trace<'a>(&'a self) -> Option<ExecutionTrace>
    where
        &'a Self: TraceIsLastTrace<&'a Self>,
    {
        unreachable!("`Harness: TraceIsLastTrace` has no impl")
    }
}

/// `h.resource_arc(..)` (the builder's method) on a built [`Harness`], for
/// [`Harness::insert_resource_arc`]. Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a built `Harness` takes a resource with `insert_resource_arc`: write `h.insert_resource_arc(value)` (`h.insert_resource_arc::<dyn Trait>(..)` for a trait object)",
    label = "`resource_arc` is a method of `Harness::builder()`",
    note = "or register it when building the harness: `Harness::builder().resource_arc(value).build()`; `h.resource::<T>()` reads a registered resource"
)]
#[doc(hidden)]
pub trait InsertIntoABuiltHarness<T>: sealed::NotImplemented<T> {}

/// The builder's name on a built harness: see [`InsertIntoABuiltHarness`].
impl Harness {
    // Returns a `Harness`, so that `let h = h.resource_arc(..);` adds no error where `h`
    // is used next.
    #[doc(hidden)]
    pub fn resource_arc<T>(&self, value: T) -> Harness
    where
        Self: InsertIntoABuiltHarness<T>,
    {
        let _ = value;
        unreachable!("`Harness: InsertIntoABuiltHarness` has no impl")
    }
}

/// `h.signal("approve", true)` (Temporal's signal to a running workflow) on a
/// [`Harness`]. Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a test sends values into a running workflow through an `EventQueue<T>` resource: `let approvals = EventQueue::new(); h.insert_resource(approvals.clone());`, then `approvals.send(true)` while the run goes",
    label = "not a method of `Harness`",
    note = "the node takes `events: Res<EventQueue<T>>` and awaits `events.recv().await` (or `recv_timeout`); nodes of one run signal each other with `ctx.publish(key, v)` / `ctx.wait::<T>(key)`"
)]
#[doc(hidden)]
pub trait SignalsAreEvents<T>: sealed::NotImplemented<T> {}

/// Temporal's name: see [`SignalsAreEvents`].
impl Harness {
    #[doc(hidden)]
    pub fn signal<K, V>(&self, key: K, value: V)
    where
        Self: SignalsAreEvents<K>,
    {
        let _ = (key, value);
        unreachable!("`Harness: SignalsAreEvents` has no impl")
    }
}

/// `h.register_resource(db)` or `h.add_resource(db)` (the names of other test kits) for
/// [`Harness::insert_resource`]. Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a `Harness` takes a resource with `insert_resource`: write `h.insert_resource(value)` (`h.insert_resource_arc::<dyn Trait>(Arc::new(..))` for a trait object)",
    label = "not a method of `Harness`",
    note = "or register it when building the harness: `Harness::builder().resource(value).build()`; a node takes it as `db: Res<Db>`, and `h.mock(value)` swaps one in a test"
)]
#[doc(hidden)]
pub trait InsertResourceIsTheName<T>: sealed::NotImplemented<T> {}

/// Other kits' names: see [`InsertResourceIsTheName`].
impl Harness {
    #[doc(hidden)]
    pub fn register_resource<T>(&self, value: T)
    where
        Self: InsertResourceIsTheName<T>,
    {
        let _ = value;
        unreachable!("`Harness: InsertResourceIsTheName` has no impl")
    }

    #[doc(hidden)]
    pub fn add_resource<T>(&self, value: T)
    where
        Self: InsertResourceIsTheName<T>,
    {
        let _ = value;
        unreachable!("`Harness: InsertResourceIsTheName` has no impl")
    }
}

/// `Harness::builder().enable_tracing()` (or `.disable_tracing()`): the built harness's
/// names (the testing guide's), on its builder, whose setting is
/// [`HarnessBuilder::trace`](crate::HarnessBuilder::trace). rustc said only "no method
/// named `enable_tracing` found for struct `HarnessBuilder`". Implemented for nothing,
/// and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "the builder's setting is `trace`: write `Harness::builder().trace(true)` (or `.trace(false)`)",
    label = "not a method of `HarnessBuilder`",
    note = "`h.enable_tracing()` and `h.disable_tracing()` are methods of the built `Harness`, for the runs after the call"
)]
#[doc(hidden)]
pub trait TraceIsTheBuildersSetting<T>: sealed::NotImplemented<T> {}

/// The built harness's names on its builder: see [`TraceIsTheBuildersSetting`]. Each
/// returns the builder, so that the chain's `.build()` adds no error of its own.
impl crate::HarnessBuilder {
    #[doc(hidden)]
    pub fn enable_tracing<'a>(self) -> Self
    where
        &'a Self: TraceIsTheBuildersSetting<()>,
    {
        unreachable!("`HarnessBuilder: TraceIsTheBuildersSetting` has no impl")
    }

    #[doc(hidden)]
    pub fn disable_tracing<'a>(self) -> Self
    where
        &'a Self: TraceIsTheBuildersSetting<()>,
    {
        unreachable!("`HarnessBuilder: TraceIsTheBuildersSetting` has no impl")
    }
}

/// `h.patch::<dyn Http>(FakeHttp)` (Python's `mock.patch`) for [`Harness::mock`].
/// Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a `Harness` swaps a resource for a mock with `mock`: write `h.mock(FakeDb)` (a node's `Res<FakeDb>`), or `h.mock_arc::<dyn Trait>(Arc::new(FakeHttp))` for a node's `Res<dyn Trait>`",
    label = "not a method of `Harness`",
    note = "the mock serves the runs after the call, and the handle it returns reads what the mock recorded; `MockFn` records calls and answers them (`assert_called_once`, `assert_called_with`)"
)]
#[doc(hidden)]
pub trait MockIsTheName<T>: sealed::NotImplemented<T> {}

/// `h.assert_raises::<E>(result)` (pytest's `pytest.raises`, unittest's `assertRaises`)
/// for [`Harness::assert_error`]. Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a `Harness` checks a run's error with `assert_error`: write `let e = h.assert_error::<E>(h.execute(..).await);`, which returns the node's `E`",
    label = "not a method of `Harness`",
    note = "`h.assert_failure(result)` returns the `WorkflowError` whatever its cause, `h.assert_failed_at(result, \"node\")` checks which node failed, `h.assert_timeout(result)` a timeout"
)]
#[doc(hidden)]
pub trait AssertErrorIsTheName<T>: sealed::NotImplemented<T> {}

/// Python's names: see [`MockIsTheName`] and [`AssertErrorIsTheName`]. The bounds name
/// the lifetime of `&self` so that they are checked at each call, and do not depend on
/// the type parameters, so that a call without a turbofish is this one error too (not
/// "type annotations needed").
impl Harness {
    #[doc(hidden)]
    pub fn patch<'a, T: ?Sized + Send + Sync + 'static>(&'a self, mock: impl Sized) -> Res<T>
    where
        &'a Self: MockIsTheName<&'a Self>,
    {
        let _ = mock;
        unreachable!("`Harness: MockIsTheName` has no impl")
    }

    #[doc(hidden)]
    pub fn assert_raises<'a, E>(&'a self, result: impl Sized) -> E
    where
        &'a Self: AssertErrorIsTheName<&'a Self>,
    {
        let _ = result;
        unreachable!("`Harness: AssertErrorIsTheName` has no impl")
    }
}

/// `h.assert_called("page")` or `h.assert_ran("page")` (a mock's names, other kits') for
/// [`Harness::assert_executed`]. Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a `Harness` checks that a node ran with `assert_executed`: write `h.assert_executed(\"page\", 1)`, the binding's name and how many calls",
    label = "not a method of `Harness`",
    note = "calls are counted across the harness's runs (each attempt counts); `h.execution_count(\"page\")` reads the count, `h.assert_not_executed(\"page\")` checks it never ran"
)]
#[doc(hidden)]
pub trait AssertExecutedIsTheName<T>: sealed::NotImplemented<T> {}

/// `h.assert_skipped("sum")` or `h.assert_not_run("sum")` for
/// [`Harness::assert_not_executed`]. Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a `Harness` checks that a node never ran with `assert_not_executed`: write `h.assert_not_executed(\"sum\")` (a node skipped after an upstream failure never ran)",
    label = "not a method of `Harness`",
    note = "`h.assert_not_taken(\"sum\")` checks a node of an arm not taken; a run's own report has each node's status: `run.node(\"sum\").unwrap().status == NodeStatus::Skipped`"
)]
#[doc(hidden)]
pub trait AssertNotExecutedIsTheName<T>: sealed::NotImplemented<T> {}

/// Other kits' names: see [`AssertExecutedIsTheName`] and [`AssertNotExecutedIsTheName`].
/// The bounds name the lifetime of `&self` so that they are checked at each call.
impl Harness {
    #[doc(hidden)]
    pub fn assert_called<'a>(&'a self, node: &str)
    where
        &'a Self: AssertExecutedIsTheName<&'a Self>,
    {
        let _ = node;
        unreachable!("`Harness: AssertExecutedIsTheName` has no impl")
    }

    #[doc(hidden)]
    pub fn assert_ran<'a>(&'a self, node: &str)
    where
        &'a Self: AssertExecutedIsTheName<&'a Self>,
    {
        let _ = node;
        unreachable!("`Harness: AssertExecutedIsTheName` has no impl")
    }

    #[doc(hidden)]
    pub fn assert_skipped<'a>(&'a self, node: &str)
    where
        &'a Self: AssertNotExecutedIsTheName<&'a Self>,
    {
        let _ = node;
        unreachable!("`Harness: AssertNotExecutedIsTheName` has no impl")
    }

    #[doc(hidden)]
    pub fn assert_not_run<'a>(&'a self, node: &str)
    where
        &'a Self: AssertNotExecutedIsTheName<&'a Self>,
    {
        let _ = node;
        unreachable!("`Harness: AssertNotExecutedIsTheName` has no impl")
    }
}

/// `h.assert_order(&["page", "sum"])` or `h.assert_called_in_order(..)` (a list of nodes
/// in the order they ran) for [`Harness::assert_before`], which checks one pair. rustc's
/// own help offered `assert_error`, a name one letter away. Implemented for nothing, and
/// sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a `Harness` checks an order one pair at a time: write `h.assert_before(\"page\", \"sum\")` (`page` ended before `sum` started) for each pair",
    label = "not a method of `Harness`",
    note = "`h.assert_overlapped(\"a\", \"b\")` checks two nodes ran at once and `h.assert_not_overlapped(..)` that they did not; the times are the last run's trace (`h.last_trace()`)"
)]
#[doc(hidden)]
pub trait OrderIsAssertBefore<T>: sealed::NotImplemented<T> {}

/// Other kits' names: see [`OrderIsAssertBefore`]. Any argument, so that its type adds
/// no error of its own; the bound names the lifetime of `&self` so that it is checked at
/// each call.
impl Harness {
    #[doc(hidden)]
    pub fn assert_order<'a, T>(&'a self, nodes: T)
    where
        &'a Self: OrderIsAssertBefore<&'a Self>,
    {
        let _ = nodes;
        unreachable!("`Harness: OrderIsAssertBefore` has no impl")
    }

    #[doc(hidden)]
    pub fn assert_called_in_order<'a, T>(&'a self, nodes: T)
    where
        &'a Self: OrderIsAssertBefore<&'a Self>,
    {
        let _ = nodes;
        unreachable!("`Harness: OrderIsAssertBefore` has no impl")
    }

    #[doc(hidden)]
    pub fn assert_executed_in_order<'a, T>(&'a self, nodes: T)
    where
        &'a Self: OrderIsAssertBefore<&'a Self>,
    {
        let _ = nodes;
        unreachable!("`Harness: OrderIsAssertBefore` has no impl")
    }
}

/// `m.assert_called_once_with(&args)` (Python's `Mock` name) on a [`MockFn`]: two checks
/// here. Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a `MockFn` checks this in two steps: write `m.assert_called_once(); m.assert_called_with(&args);`",
    label = "not a method of `MockFn`",
    note = "`assert_called_with` checks the last call's arguments (a tuple for several: `&(url, 3)`), `assert_any_call` any call's, `assert_called_times(n)` the count"
)]
#[doc(hidden)]
pub trait CalledOnceThenWith<T>: sealed::NotImplemented<T> {}

/// Python's name: see [`CalledOnceThenWith`].
impl<A, R> MockFn<A, R> {
    #[doc(hidden)]
    pub fn assert_called_once_with<'a, Q: ?Sized>(&'a self, args: &Q)
    where
        &'a Self: CalledOnceThenWith<&'a Self>,
    {
        let _ = args;
        unreachable!("`MockFn: CalledOnceThenWith` has no impl")
    }
}

/// A mock answering with one value, by other mocking libraries' names:
/// `MockFn::return_value(x)` (Python's `Mock(return_value=x)`), `m.returns(x)` and
/// `m.return_const(x)` (mockall's). rustc said only "no function or associated item
/// named `return_value`" or "no method named `returns`". The methods return a `MockFn`
/// (`let m = MockFn::new(..).returns(x)` adds no mismatch). Implemented for nothing, and
/// sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a `MockFn` answering every call with one value is made so: write `MockFn::returning(value)`",
    label = "not a function of `MockFn`",
    note = "`m.answer_once(value)` queues an answer for the next call only; `MockFn::new(|args| ..)` answers from the arguments"
)]
#[doc(hidden)]
pub trait AnswerIsReturning<T>: sealed::NotImplemented<T> {}

/// Other libraries' names: see [`AnswerIsReturning`].
impl<A, R> MockFn<A, R> {
    #[doc(hidden)]
    pub fn return_value(value: R) -> Self
    where
        Self: AnswerIsReturning<R>,
    {
        let _ = value;
        unreachable!("`MockFn: AnswerIsReturning` has no impl")
    }

    #[doc(hidden)]
    pub fn returns<'a>(&'a self, value: R) -> Self
    where
        &'a Self: AnswerIsReturning<R>,
    {
        let _ = value;
        unreachable!("`MockFn: AnswerIsReturning` has no impl")
    }

    #[doc(hidden)]
    pub fn return_const<'a>(&'a self, value: R) -> Self
    where
        &'a Self: AnswerIsReturning<R>,
    {
        let _ = value;
        unreachable!("`MockFn: AnswerIsReturning` has no impl")
    }
}

mod sealed {
    /// Implemented for nothing, and private: nobody can implement the traits above.
    pub trait NotImplemented<T> {}
}
