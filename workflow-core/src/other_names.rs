//! `rt.run(..)` and `rt.execute_workflow(..)` (the testing guide's name) for
//! `rt.execute(..)`: hidden methods of those names require [`RunsWithExecute`], which
//! nothing implements, so the mistake is one error saying to write `execute`, rather than
//! rustc's "no method named `run`" with a help pointing at the generated
//! `Workflow::run` ("use associated function syntax instead: `Runtime::run(..)`", which
//! does not exist either). `rt.block_on(..)`, from sync code, and `.wait()`, `.get()` or
//! `.result()` on the run's future say how to run it, and `.cancel()` or `.abort()` on it
//! how to cancel it.

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

/// `rt.block_on(Workflow, input)` (tokio's and futures' name for running a future to its
/// end from sync code) for awaiting [`Runtime::execute`]. Implemented for nothing, and
/// sealed: the hidden method of that name requires it, so the mistake is one error
/// saying what to write, not rustc's "no method named `block_on`". Not API.
#[diagnostic::on_unimplemented(
    message = "a `Runtime` has no `block_on`: a run is a future; write `rt.execute(Workflow, WorkflowInput {{ .. }}).await` in an async fn",
    label = "not a method of `Runtime`",
    note = "in sync code, run that future on a tokio runtime: `tokio::runtime::Runtime::new()?.block_on(rt.execute(..))` (or make the caller `#[tokio::main] async fn main()`)"
)]
#[doc(hidden)]
pub trait RunsAreFutures<T>: sealed::NotImplemented<T> {}

/// The other name: see [`RunsAreFutures`].
impl Runtime {
    #[doc(hidden)]
    pub fn block_on<W, I, O>(
        &self,
        workflow: W,
        input: I,
    ) -> Result<crate::Run<O>, crate::WorkflowError>
    where
        W: Runnable<I, Output = O>,
        Self: RunsAreFutures<W>,
    {
        let _ = (workflow, input);
        unreachable!("`Runtime: RunsAreFutures` has no impl")
    }
}

/// `rt.execute(..).wait()` (or `.get()`, `.result()`: the names of a future's blocking
/// read in Java, C++ and Python) for `.await`. Implemented for nothing, and sealed: the
/// hidden methods of those names require it, so the mistake is one error saying to
/// await the run, not rustc's "no method named `wait` found for `RunFuture`". Not API.
#[diagnostic::on_unimplemented(
    message = "a run's future is awaited: write `rt.execute(..).await`, which gives the run (`run.outputs`) or the `WorkflowError`",
    label = "not a method of a run's future",
    note = "in sync code, run it on a tokio runtime: `tokio::runtime::Runtime::new()?.block_on(rt.execute(..))` (or make the caller `#[tokio::main] async fn main()`)"
)]
#[doc(hidden)]
pub trait AwaitTheRun<T>: sealed::NotImplemented<T> {}

/// The other names: see [`AwaitTheRun`].
impl<O> RunFuture<O> {
    #[doc(hidden)]
    pub fn wait(self) -> Result<crate::Run<O>, crate::WorkflowError>
    where
        Self: AwaitTheRun<O>,
    {
        unreachable!("`RunFuture: AwaitTheRun` has no impl")
    }

    #[doc(hidden)]
    pub fn get(self) -> Result<crate::Run<O>, crate::WorkflowError>
    where
        Self: AwaitTheRun<O>,
    {
        unreachable!("`RunFuture: AwaitTheRun` has no impl")
    }

    #[doc(hidden)]
    pub fn result(self) -> Result<crate::Run<O>, crate::WorkflowError>
    where
        Self: AwaitTheRun<O>,
    {
        unreachable!("`RunFuture: AwaitTheRun` has no impl")
    }
}

/// `rt.execute(..).cancel()` (Temporal's handle, a `CancellationToken`) or `.abort()`
/// (tokio's `JoinHandle`) on a run's future. Implemented for nothing, and sealed: the
/// hidden methods of those names require it, so the mistake is one error saying how a
/// run is cancelled, not rustc's "no method named `cancel` found for `RunFuture`". Not
/// API.
#[diagnostic::on_unimplemented(
    message = "a run's future is cancelled by dropping it: stop awaiting it (`tokio::time::timeout(limit, run)`, a `tokio::select!` branch) or drop it, and the run is cancelled",
    label = "not a method of a run's future",
    note = "to cancel from elsewhere, pass a token, `RunOptions::new().cancel_token(token.clone())`, and call `token.cancel()`; a `RunHandle` (from `Runtime::builder().monitor(..)`) has `cancel()` too"
)]
#[doc(hidden)]
pub trait CancelByDropping<T>: sealed::NotImplemented<T> {}

/// The other names: see [`CancelByDropping`].
impl<O> RunFuture<O> {
    #[doc(hidden)]
    pub fn cancel(&self)
    where
        Self: CancelByDropping<O>,
    {
        unreachable!("`RunFuture: CancelByDropping` has no impl")
    }

    #[doc(hidden)]
    pub fn abort(&self)
    where
        Self: CancelByDropping<O>,
    {
        unreachable!("`RunFuture: CancelByDropping` has no impl")
    }

    /// `rt.execute(..).handle()`, a handle to cancel the run with (Temporal's
    /// `WorkflowHandle`, tokio's `JoinHandle`): the same answer as `cancel`.
    #[doc(hidden)]
    pub fn handle(&self)
    where
        Self: CancelByDropping<O>,
    {
        unreachable!("`RunFuture: CancelByDropping` has no impl")
    }
}

/// `RunOptions::new().retries(3)` (or `.retry(..)`): a run has no retry policy, its nodes
/// do. Implemented for nothing, and sealed: the hidden methods of those names require it,
/// so the mistake is one error saying where retries go. Not API.
#[diagnostic::on_unimplemented(
    message = "retries are a node's policy, not a run's: write `#[node(retry(max = 3, backoff = \"100ms\"))]` on the node fn, or `#[retry(max = 3)]` on its binding in `workflow!`",
    label = "not an option of a run",
    note = "a run's options are `trace`, `timeout`, `deadlock`, `concurrency`/`sequential`, `failure`, `cancel_token` and `cancel_grace`; a failed durable run is run again from where it failed with `Runtime::retry`"
)]
#[doc(hidden)]
pub trait RetriesAreANodePolicy<T>: sealed::NotImplemented<T> {}

/// The other names: see [`RetriesAreANodePolicy`].
impl crate::RunOptions {
    #[doc(hidden)]
    pub fn retries<N>(self, n: N) -> Self
    where
        Self: RetriesAreANodePolicy<N>,
    {
        let _ = n;
        unreachable!("`RunOptions: RetriesAreANodePolicy` has no impl")
    }

    #[doc(hidden)]
    pub fn retry<N>(self, n: N) -> Self
    where
        Self: RetriesAreANodePolicy<N>,
    {
        let _ = n;
        unreachable!("`RunOptions: RetriesAreANodePolicy` has no impl")
    }
}

/// `ctx.sleep(d).await` (Temporal's `workflow.sleep`, a durable timer) in a node. A node
/// is plain async Rust: it sleeps with tokio. Implemented for nothing, and sealed: the
/// hidden `Context::sleep` requires it, so the mistake is one error saying what to
/// write, not rustc's "no method named `sleep` found for reference `&Context`". Not API.
#[diagnostic::on_unimplemented(
    message = "a node sleeps with tokio: write `tokio::time::sleep(duration).await` in its body",
    label = "not a method of `Context`",
    note = "a node is plain async Rust (no replay, no determinism rule); under a paused clock (`start_paused = true`) the sleep takes no real time. A pause between two nodes goes at the start of the second's fn, and a limit on a node is `#[node(timeout = \"5s\")]`"
)]
#[doc(hidden)]
pub trait NodesSleepWithTokio<T>: sealed::NotImplemented<T> {}

/// The other name: see [`NodesSleepWithTokio`].
impl crate::Context {
    // The bound names the lifetime of `&self` so that it is checked at each call, not
    // rejected here as a bound that can never hold.
    #[doc(hidden)]
    pub fn sleep<'a, D>(&'a self, duration: D) -> std::future::Ready<()>
    where
        &'a Self: NodesSleepWithTokio<D>,
    {
        let _ = duration;
        unreachable!("`Context: NodesSleepWithTokio` has no impl")
    }
}

/// `Context::new()` in a unit test of a node that takes `ctx: &Context` (calling the
/// node's fn directly, as a plain fn's test would). A context belongs to a run.
/// Implemented for nothing, and sealed: the hidden `Context::new` requires it, so the
/// mistake is one error saying how to test such a node, not rustc's "associated function
/// `new` is private" and "takes 3 arguments but 0 were supplied". Not API.
#[diagnostic::on_unimplemented(
    message = "a node's `Context` comes from its run: test a node that takes `ctx: &Context` through a workflow of that one node, not by calling its fn",
    label = "no `Context` outside a run",
    note = "`workflow! {{ struct CheckOnly {{ input url: String, c = check(url), }} }}` then `h.assert_success(h.execute(CheckOnly, CheckOnlyInput {{ url }}).await).outputs.c` in a `#[workflow_test]`; a node without a `Context` parameter is a plain fn to call and `.await`"
)]
#[doc(hidden)]
pub trait ContextComesFromARun<T>: sealed::NotImplemented<T> {}

/// The other name: see [`ContextComesFromARun`].
impl crate::Context {
    // The bound names a lifetime so that it is checked at each call, not rejected here
    // as a bound that can never hold.
    #[doc(hidden)]
    pub fn new<'a>() -> Self
    where
        &'a Self: ContextComesFromARun<()>,
    {
        unreachable!("`Context: ContextComesFromARun` has no impl")
    }
}

/// `ctx.name()` / `ctx.node_name()` (other SDKs' names for the running task's name) in a
/// node. Implemented for nothing, and sealed: the hidden methods require it, so the
/// mistake is one error naming [`Context::node`](crate::Context::node), not rustc's "no
/// method named `name` found for reference `&Context`". Not API.
#[diagnostic::on_unimplemented(
    message = "a node's name is `ctx.node()`: the name of its binding in `workflow!`",
    label = "not a method of `Context`",
    note = "`ctx.path()` is the node's path inside sub-workflows and fan-out items (`thumbs[2].img`), `ctx.node_fn()` the name of its `#[node]` fn and `ctx.workflow()` its workflow's"
)]
#[doc(hidden)]
pub trait NodeIsTheName<T>: sealed::NotImplemented<T> {}

/// The other names: see [`NodeIsTheName`].
impl crate::Context {
    #[doc(hidden)]
    pub fn name<'a>(&'a self) -> &'static str
    where
        &'a Self: NodeIsTheName<()>,
    {
        unreachable!("`Context: NodeIsTheName` has no impl")
    }

    #[doc(hidden)]
    pub fn node_name<'a>(&'a self) -> &'static str
    where
        &'a Self: NodeIsTheName<()>,
    {
        unreachable!("`Context: NodeIsTheName` has no impl")
    }
}

/// `ctx.log("..")` / `ctx.info("..")` (a Python SDK's run logger) in a node. Implemented
/// for nothing, and sealed: the hidden methods require it, so the mistake is one error
/// naming [`Context::emit`](crate::Context::emit) and `tracing`, not rustc's "no method
/// named `log`". Not API.
#[diagnostic::on_unimplemented(
    message = "a node logs with `ctx.emit(message)` (an event in the run's trace) or with `tracing` (`tracing::info!(..)`, inside the node's span)",
    label = "not a method of `Context`",
    note = "`ctx.emit(format!(\"fetched {{n}} rows\"))` is an event of the run's trace (`trace.messages(\"node\")`) and an INFO event in `tracing`"
)]
#[doc(hidden)]
pub trait NodesLogWithEmit<T>: sealed::NotImplemented<T> {}

/// The other names: see [`NodesLogWithEmit`].
impl crate::Context {
    #[doc(hidden)]
    pub fn log<'a, M>(&'a self, message: M)
    where
        &'a Self: NodesLogWithEmit<M>,
    {
        let _ = message;
        unreachable!("`Context: NodesLogWithEmit` has no impl")
    }

    #[doc(hidden)]
    pub fn info<'a, M>(&'a self, message: M)
    where
        &'a Self: NodesLogWithEmit<M>,
    {
        let _ = message;
        unreachable!("`Context: NodesLogWithEmit` has no impl")
    }
}

/// `Etl.with_timeout(1.0)`, `.with_parallel_execution()` or
/// `.with_deadlock_detection(5.0)`: the testing guide's workflow-builder methods, written
/// on a workflow. Implemented for nothing, and sealed: the hidden methods of
/// [`GuideBuilderMethods`] require it, so the mistake is one error saying where the
/// policy goes, not rustc's "no method named `with_timeout` found for struct `Etl`". Not API.
#[diagnostic::on_unimplemented(
    message = "a workflow's policies are attributes, not builder methods: write `#[workflow(timeout = \"1s\")]` (or `deadlock = \"5s\"`) above its struct in `workflow!`, and pass the workflow itself",
    label = "not a method of a workflow",
    note = "per run: `execute_with(W, input, RunOptions::new().timeout(Duration::from_secs(1)))` (also `.deadlock(..)`, `.concurrency(n)`); nodes that do not depend on each other already run concurrently, so `with_parallel_execution` has nothing to replace"
)]
#[doc(hidden)]
pub trait PoliciesAreAttributes<T>: sealed::NotImplemented<T> {}

/// The guide's builder methods on every workflow, in the prelude as `_`: see
/// [`PoliciesAreAttributes`]. Not API.
#[doc(hidden)]
pub trait GuideBuilderMethods: Sized {
    #[doc(hidden)]
    fn with_timeout<D>(self, limit: D) -> Self
    where
        Self: PoliciesAreAttributes<D>;
    #[doc(hidden)]
    fn with_deadlock_detection<D>(self, limit: D) -> Self
    where
        Self: PoliciesAreAttributes<D>;
    #[doc(hidden)]
    fn with_parallel_execution(self) -> Self
    where
        Self: PoliciesAreAttributes<()>;
}

impl<W: crate::Workflow> GuideBuilderMethods for W {
    fn with_timeout<D>(self, limit: D) -> Self
    where
        Self: PoliciesAreAttributes<D>,
    {
        let _ = limit;
        unreachable!("`PoliciesAreAttributes` has no impl")
    }
    fn with_deadlock_detection<D>(self, limit: D) -> Self
    where
        Self: PoliciesAreAttributes<D>,
    {
        let _ = limit;
        unreachable!("`PoliciesAreAttributes` has no impl")
    }
    fn with_parallel_execution(self) -> Self
    where
        Self: PoliciesAreAttributes<()>,
    {
        unreachable!("`PoliciesAreAttributes` has no impl")
    }
}

/// `RunOptions::new().cancellation_token(token)` (tokio-util's type name) or `.cancel(token)` for
/// [`RunOptions::cancel_token`](crate::RunOptions::cancel_token). Implemented for nothing,
/// and sealed, like the others. Not API.
#[diagnostic::on_unimplemented(
    message = "a run's cancellation token is set with `cancel_token`: write `RunOptions::new().cancel_token(token)`",
    label = "not an option of a run",
    note = "`token.cancel()` then fails the run with `WorkflowError::Cancelled`; dropping the run's future, or `RunHandle::cancel`, cancels it too"
)]
#[doc(hidden)]
pub trait CancelTokenIsTheName<T>: sealed::NotImplemented<T> {}

/// The other names: see [`CancelTokenIsTheName`].
impl crate::RunOptions {
    #[doc(hidden)]
    pub fn cancellation_token<T>(self, token: T) -> Self
    where
        Self: CancelTokenIsTheName<T>,
    {
        let _ = token;
        unreachable!("`RunOptions: CancelTokenIsTheName` has no impl")
    }

    #[doc(hidden)]
    pub fn cancellation<T>(self, token: T) -> Self
    where
        Self: CancelTokenIsTheName<T>,
    {
        let _ = token;
        unreachable!("`RunOptions: CancelTokenIsTheName` has no impl")
    }

    // `RunOptions::new().cancel(token)`: rustc offered `cancel_grace`, which takes a
    // `Duration`.
    #[doc(hidden)]
    pub fn cancel<T>(self, token: T) -> Self
    where
        Self: CancelTokenIsTheName<T>,
    {
        let _ = token;
        unreachable!("`RunOptions: CancelTokenIsTheName` has no impl")
    }
}

/// `RunOptions::new().with_timeout(d)`, `.with_deadlock_detection(d)` or
/// `.with_parallel_execution()` (the testing guide's builder names, which
/// [`GuideBuilderMethods`] gives every workflow), or `.build()` at the end of the chain:
/// rustc said "`RunOptions` is not a workflow" (from `GuideBuilderMethods`), or only "no
/// method named `build`". Implemented for nothing, and sealed, like the others. Not API.
#[diagnostic::on_unimplemented(
    message = "`RunOptions` is set by its own methods and used as it is: write `RunOptions::new().timeout(Duration::from_secs(1))` (no `with_` prefix, no `.build()`)",
    label = "not a method of `RunOptions`",
    note = "its settings: `.timeout(d)`, `.deadlock(d)`, `.concurrency(n)`, `.trace(true)`, `.failure(FailurePolicy::Continue)`, `.cancel_token(token)`; pass it to `rt.execute_with(W, input, options)`; nodes that do not depend on each other already run concurrently"
)]
#[doc(hidden)]
pub trait RunOptionsAreSetDirectly<T>: sealed::NotImplemented<T> {}

/// The guide's names and `build`: see [`RunOptionsAreSetDirectly`]. Inherent, so that
/// they come before [`GuideBuilderMethods`]'s; each returns `RunOptions`, so that the
/// options passed on add no error of their own.
impl crate::RunOptions {
    #[doc(hidden)]
    pub fn with_timeout<D>(self, limit: D) -> Self
    where
        Self: RunOptionsAreSetDirectly<D>,
    {
        let _ = limit;
        unreachable!("`RunOptions: RunOptionsAreSetDirectly` has no impl")
    }

    #[doc(hidden)]
    pub fn with_deadlock_detection<D>(self, limit: D) -> Self
    where
        Self: RunOptionsAreSetDirectly<D>,
    {
        let _ = limit;
        unreachable!("`RunOptions: RunOptionsAreSetDirectly` has no impl")
    }

    #[doc(hidden)]
    pub fn with_parallel_execution<'a>(self) -> Self
    where
        &'a Self: RunOptionsAreSetDirectly<()>,
    {
        unreachable!("`RunOptions: RunOptionsAreSetDirectly` has no impl")
    }

    #[doc(hidden)]
    pub fn build<'a>(self) -> Self
    where
        &'a Self: RunOptionsAreSetDirectly<()>,
    {
        unreachable!("`RunOptions: RunOptionsAreSetDirectly` has no impl")
    }
}

/// `trace.get_events()` (the testing guide's accessor) on an
/// [`ExecutionTrace`](crate::trace::ExecutionTrace), whose events are a public field.
/// Implemented for nothing, and sealed. Not API.
#[diagnostic::on_unimplemented(
    message = "a trace's events are its field: read `trace.events` (a `Vec<TraceEvent>`, each with `at`, `node` and `kind`)",
    label = "not a method of `ExecutionTrace`",
    note = "the usual questions have methods: `trace.messages(\"node\")`, `start_order()`, `attempts(\"node\")`, `started_at`/`finished_at(\"node\")`, `overlapped(\"a\", \"b\")`, and `render_text()` for a snapshot"
)]
#[doc(hidden)]
pub trait EventsAreAField<T>: sealed::NotImplemented<T> {}

/// The guide's name: see [`EventsAreAField`].
impl crate::trace::ExecutionTrace {
    #[doc(hidden)]
    pub fn get_events<'a>(&'a self) -> &'a [crate::trace::TraceEvent]
    where
        &'a Self: EventsAreAField<()>,
    {
        unreachable!("`ExecutionTrace: EventsAreAField` has no impl")
    }
}

/// A setting of [`RuntimeBuilder`](crate::RuntimeBuilder) called on a built [`Runtime`]
/// (`Runtime::new().max_concurrent_nodes(4)`, `.trace(true)`, `.monitor(f)`,
/// `.resource_arc(v)`, `.resource_with_cleanup(v, f)`): rustc said only "no method named
/// `max_concurrent_nodes` found for struct `Runtime`". Implemented for nothing, and
/// sealed, like the others. Not API.
#[diagnostic::on_unimplemented(
    message = "this is a setting of the runtime's builder, and this `Runtime` is built: set it before `.build()`, like `Runtime::builder().max_concurrent_nodes(4).build()`",
    label = "a method of `Runtime::builder()`",
    note = "a built runtime still takes resources (`rt.insert_resource(value)`, `rt.insert_resource_arc(Arc::new(..))`) and monitors (`rt.add_monitor(f)`); per-run settings (trace, timeout, concurrency) go in `rt.execute_with(W, input, RunOptions::new()..)`"
)]
#[doc(hidden)]
pub trait SetOnTheBuilder<T>: sealed::NotImplemented<T> {}

/// The builder's settings on a built runtime: see [`SetOnTheBuilder`]. Each returns a
/// `Runtime`, so that `let rt = Runtime::new().trace(true);` adds no error where `rt`
/// is used next.
impl Runtime {
    #[doc(hidden)]
    pub fn max_concurrent_nodes<N>(&self, n: N) -> Runtime
    where
        Self: SetOnTheBuilder<N>,
    {
        let _ = n;
        unreachable!("`Runtime: SetOnTheBuilder` has no impl")
    }

    #[doc(hidden)]
    pub fn trace<B>(&self, on: B) -> Runtime
    where
        Self: SetOnTheBuilder<B>,
    {
        let _ = on;
        unreachable!("`Runtime: SetOnTheBuilder` has no impl")
    }

    #[doc(hidden)]
    pub fn monitor<F>(&self, f: F) -> Runtime
    where
        Self: SetOnTheBuilder<F>,
    {
        let _ = f;
        unreachable!("`Runtime: SetOnTheBuilder` has no impl")
    }

    #[doc(hidden)]
    pub fn resource_arc<T>(&self, value: T) -> Runtime
    where
        Self: SetOnTheBuilder<T>,
    {
        let _ = value;
        unreachable!("`Runtime: SetOnTheBuilder` has no impl")
    }

    #[doc(hidden)]
    pub fn resource_with_cleanup<T, F>(&self, value: T, cleanup: F) -> Runtime
    where
        Self: SetOnTheBuilder<T>,
    {
        let _ = (value, cleanup);
        unreachable!("`Runtime: SetOnTheBuilder` has no impl")
    }
}

/// `queue.put(event)` / `queue.push(event)` (the testing guide's `asyncio.Queue.put`, a
/// `Vec`'s word) on an [`EventQueue`](crate::EventQueue) or its
/// [`EventSender`](crate::EventSender), with or without `.await`. Implemented for
/// nothing, and sealed: the hidden methods require it, so the mistake is one error
/// naming `send`, not rustc's "no method named `put` found". Not API.
#[diagnostic::on_unimplemented(
    message = "an event queue is fed with `send`: write `queue.send(event)` (no `.await`: it never blocks)",
    label = "not a method of the event queue",
    note = "from another task, take a sender first: `let tx = queue.sender();` then `tx.send(event)` (a `Result`, `Err(event)` once every receiver is gone); nodes take events with `queue.recv_timeout(limit).await`"
)]
#[doc(hidden)]
pub trait EventsAreSent<T>: sealed::NotImplemented<T> {}

/// The other names: see [`EventsAreSent`].
impl<T: Send + 'static> crate::EventQueue<T> {
    // The bound names the lifetime of `&self` so that it is checked at each call, not
    // rejected here as a bound that can never hold. `Ready` so that `.await` after it
    // adds no second error.
    #[doc(hidden)]
    pub fn put<'a>(&'a self, event: T) -> std::future::Ready<()>
    where
        &'a Self: EventsAreSent<T>,
    {
        let _ = event;
        unreachable!("`EventQueue: EventsAreSent` has no impl")
    }

    #[doc(hidden)]
    pub fn push<'a>(&'a self, event: T) -> std::future::Ready<()>
    where
        &'a Self: EventsAreSent<T>,
    {
        let _ = event;
        unreachable!("`EventQueue: EventsAreSent` has no impl")
    }
}

/// The other names on a sender: see [`EventsAreSent`].
impl<T> crate::EventSender<T> {
    #[doc(hidden)]
    pub fn put<'a>(&'a self, event: T) -> std::future::Ready<()>
    where
        &'a Self: EventsAreSent<T>,
    {
        let _ = event;
        unreachable!("`EventSender: EventsAreSent` has no impl")
    }

    #[doc(hidden)]
    pub fn push<'a>(&'a self, event: T) -> std::future::Ready<()>
    where
        &'a Self: EventsAreSent<T>,
    {
        let _ = event;
        unreachable!("`EventSender: EventsAreSent` has no impl")
    }
}

/// `err.node_name()` (as `ctx.node_name()` is guessed in a node) for
/// [`WorkflowError::node`](crate::WorkflowError::node). Implemented for nothing, and
/// sealed: the hidden method requires it, so the mistake is one error naming `node()`,
/// not rustc's "no method named `node_name` found for enum `WorkflowError`". Not API.
#[diagnostic::on_unimplemented(
    message = "a `WorkflowError` names its node with `err.node()`: an `Option<&str>`, the binding's name or its path (`thumbs[2].img`, `report.layout`)",
    label = "not a method of `WorkflowError`",
    note = "`err.attempts()` gives the attempts made, `err.downcast_ref::<E>()` the node's own error, and `{{err}}` prints the node, its workflow and the cause"
)]
#[doc(hidden)]
pub trait ErrorNodeIsNode<T>: sealed::NotImplemented<T> {}

/// The other name: see [`ErrorNodeIsNode`].
impl crate::WorkflowError {
    #[doc(hidden)]
    pub fn node_name<'a>(&'a self) -> Option<&'a str>
    where
        &'a Self: ErrorNodeIsNode<()>,
    {
        unreachable!("`WorkflowError: ErrorNodeIsNode` has no impl")
    }
}

/// `Runtime::builder().timeout(d)`: a runtime has no run time limit, a workflow or a run
/// has. Implemented for nothing, and sealed: the hidden method requires it, so the
/// mistake is one error saying where a limit goes, not rustc's "no method named
/// `timeout` found for struct `RuntimeBuilder`". Not API.
#[diagnostic::on_unimplemented(
    message = "a runtime has no time limit of its own: limit a workflow's runs with `#[workflow(timeout = \"30s\")]`, or one run with `rt.execute_with(W, input, RunOptions::new().timeout(d))`",
    label = "not a setting of `Runtime::builder()`",
    note = "a node's limit is `#[node(timeout = \"1s\")]` (or `#[timeout = \"1s\"]` on its binding); `Runtime::shutdown_timeout(d)` bounds a shutdown"
)]
#[doc(hidden)]
pub trait LimitsAreWorkflowsAndRuns<T>: sealed::NotImplemented<T> {}

/// The other name: see [`LimitsAreWorkflowsAndRuns`]. Returns the builder, so that
/// `.build()` after it adds no second error.
impl crate::RuntimeBuilder {
    #[doc(hidden)]
    pub fn timeout<D>(self, limit: D) -> Self
    where
        Self: LimitsAreWorkflowsAndRuns<D>,
    {
        let _ = limit;
        unreachable!("`RuntimeBuilder: LimitsAreWorkflowsAndRuns` has no impl")
    }
}

/// `Runtime::builder().enable_tracing()` (or `.disable_tracing()`, the built
/// `Harness`'s names, which the testing guide uses) on a
/// [`RuntimeBuilder`](crate::RuntimeBuilder), whose setting is
/// [`trace`](crate::RuntimeBuilder::trace), or on a built [`Runtime`]. rustc said only
/// "no method named `enable_tracing` found". Implemented for nothing, and sealed, like
/// the others. Not API.
#[diagnostic::on_unimplemented(
    message = "a runtime's tracing is the builder's `trace` setting: write `Runtime::builder().trace(true).build()`",
    label = "not a method of the runtime",
    note = "one run's tracing is `rt.execute_with(W, input, RunOptions::new().trace(true))`; `h.enable_tracing()` is a method of the test `Harness`"
)]
#[doc(hidden)]
pub trait TraceIsTheRuntimesSetting<T>: sealed::NotImplemented<T> {}

/// The harness's names on the runtime's builder: see [`TraceIsTheRuntimesSetting`].
/// Each returns the builder, so that the chain's `.build()` adds no error of its own.
impl crate::RuntimeBuilder {
    #[doc(hidden)]
    pub fn enable_tracing<'a>(self) -> Self
    where
        &'a Self: TraceIsTheRuntimesSetting<()>,
    {
        unreachable!("`RuntimeBuilder: TraceIsTheRuntimesSetting` has no impl")
    }

    #[doc(hidden)]
    pub fn disable_tracing<'a>(self) -> Self
    where
        &'a Self: TraceIsTheRuntimesSetting<()>,
    {
        unreachable!("`RuntimeBuilder: TraceIsTheRuntimesSetting` has no impl")
    }
}

/// The harness's names on a built runtime: see [`TraceIsTheRuntimesSetting`].
impl Runtime {
    #[doc(hidden)]
    pub fn enable_tracing<'a>(&'a self)
    where
        &'a Self: TraceIsTheRuntimesSetting<()>,
    {
        unreachable!("`Runtime: TraceIsTheRuntimesSetting` has no impl")
    }

    #[doc(hidden)]
    pub fn disable_tracing<'a>(&'a self)
    where
        &'a Self: TraceIsTheRuntimesSetting<()>,
    {
        unreachable!("`Runtime: TraceIsTheRuntimesSetting` has no impl")
    }
}

/// `RunOptions::new().enable_tracing()` (or `.disable_tracing()`, the `Harness`'s names)
/// for [`RunOptions::trace`](crate::RunOptions::trace). rustc said only "no method named
/// `enable_tracing` found for struct `RunOptions`". Implemented for nothing, and sealed,
/// like the others. Not API.
#[diagnostic::on_unimplemented(
    message = "a run's tracing is its `trace` option: write `RunOptions::new().trace(true)`",
    label = "not a method of `RunOptions`",
    note = "pass the options to `rt.execute_with(W, input, options)`; `Runtime::builder().trace(true)` traces every run of a runtime"
)]
#[doc(hidden)]
pub trait TraceIsTheRunsOption<T>: sealed::NotImplemented<T> {}

/// The harness's names on `RunOptions`: see [`TraceIsTheRunsOption`]. Each returns
/// `RunOptions`, so that the options passed on add no error of their own.
impl crate::RunOptions {
    #[doc(hidden)]
    pub fn enable_tracing<'a>(self) -> Self
    where
        &'a Self: TraceIsTheRunsOption<()>,
    {
        unreachable!("`RunOptions: TraceIsTheRunsOption` has no impl")
    }

    #[doc(hidden)]
    pub fn disable_tracing<'a>(self) -> Self
    where
        &'a Self: TraceIsTheRunsOption<()>,
    {
        unreachable!("`RunOptions: TraceIsTheRunsOption` has no impl")
    }
}

/// `RunId::new(42)` (or `RunId::from(42u64)`) for `RunId(42)`: rustc said "no function or
/// associated item named `new`" and offered `RunId::ne`. Implemented for nothing, and sealed, like the others.
/// Not API.
#[cfg(feature = "store")]
#[diagnostic::on_unimplemented(
    message = "a `RunId` is its number: write `RunId(42)` (an `i64`)",
    label = "not a function of `RunId`",
    note = "a run's id comes with it (`run.run_id` of `rt.start_durable(..)`); one read as text, from a command line, is parsed: `\"42\".parse::<RunId>()`"
)]
#[doc(hidden)]
pub trait RunIdIsItsNumber<T>: sealed::NotImplemented<T> {}

/// The constructors' usual names: see [`RunIdIsItsNumber`].
#[cfg(feature = "store")]
impl crate::store::RunId {
    #[doc(hidden)]
    pub fn new<N>(id: N) -> Self
    where
        Self: RunIdIsItsNumber<N>,
    {
        let _ = id;
        unreachable!("`RunId: RunIdIsItsNumber` has no impl")
    }

    /// `RunId::from(42u64)`: rustc said "expected `RunId`, found `u64`" at the number,
    /// pointing into `core`'s `From`. `RunId` has no `From` impl but the reflexive one,
    /// which this hides for a call by path only (`RunId::from(id)` of a `RunId` is then
    /// this error too, and `.into()` is unchanged).
    #[doc(hidden)]
    pub fn from<N>(id: N) -> Self
    where
        Self: RunIdIsItsNumber<N>,
    {
        let _ = id;
        unreachable!("`RunId: RunIdIsItsNumber` has no impl")
    }
}

/// `Runtime::builder().concurrency(4)` (a workflow's and a run's name for a limit) on the
/// [`RuntimeBuilder`](crate::RuntimeBuilder), whose limit is
/// [`max_concurrent_nodes`](crate::RuntimeBuilder::max_concurrent_nodes). rustc said only
/// "no method named `concurrency` found for struct `RuntimeBuilder`". Implemented for
/// nothing, and sealed, like the others. Not API.
#[diagnostic::on_unimplemented(
    message = "a runtime's limit is `max_concurrent_nodes`: write `Runtime::builder().max_concurrent_nodes(4)`",
    label = "not a setting of `Runtime::builder()`",
    note = "it bounds the nodes running at once over all of the runtime's runs; one workflow's limit is `#[workflow(concurrency = 4)]`, one run's `RunOptions::new().concurrency(4)`"
)]
#[doc(hidden)]
pub trait RuntimeLimitIsMaxConcurrentNodes<T>: sealed::NotImplemented<T> {}

/// The other name: see [`RuntimeLimitIsMaxConcurrentNodes`]. Returns the builder, so
/// that `.build()` after it adds no second error.
impl crate::RuntimeBuilder {
    #[doc(hidden)]
    pub fn concurrency<N>(self, n: N) -> Self
    where
        Self: RuntimeLimitIsMaxConcurrentNodes<N>,
    {
        let _ = n;
        unreachable!("`RuntimeBuilder: RuntimeLimitIsMaxConcurrentNodes` has no impl")
    }
}

/// `rt.spawn(Workflow, input)` (a run started in the background, like `tokio::spawn`)
/// for [`Runtime::execute`], whose future is `'static` and is spawned as it is. rustc said
/// only "no method named `spawn` found for struct `Runtime`". Implemented for nothing,
/// and sealed, like the others. Not API.
#[diagnostic::on_unimplemented(
    message = "a run is a future: run it in the background with `tokio::spawn(rt.execute(Workflow, WorkflowInput {{ .. }}))`",
    label = "not a method of `Runtime`",
    note = "awaiting the `JoinHandle` gives the run's result (`handle.await??`); to cancel the run from elsewhere, pass `RunOptions::new().cancel_token(token.clone())` to `execute_with`, or take its `RunHandle` from `Runtime::builder().monitor(..)`"
)]
#[doc(hidden)]
pub trait SpawnTheRunsFuture<T>: sealed::NotImplemented<T> {}

/// The other name: see [`SpawnTheRunsFuture`].
impl Runtime {
    #[doc(hidden)]
    pub fn spawn<W, I, O>(
        &self,
        workflow: W,
        input: I,
    ) -> tokio::task::JoinHandle<Result<crate::Run<O>, crate::WorkflowError>>
    where
        W: Runnable<I, Output = O>,
        Self: SpawnTheRunsFuture<W>,
    {
        let _ = (workflow, input);
        unreachable!("`Runtime: SpawnTheRunsFuture` has no impl")
    }
}

/// `rt.execute_durable(Workflow, input)` for
/// [`Runtime::start_durable`](crate::Runtime::start_durable), and
/// `Runtime::builder().with_store(store)` for
/// [`RuntimeBuilder::store`](crate::RuntimeBuilder::store). rustc said only "no method
/// named ..". Implemented for nothing, and sealed, like the others. Not API.
#[cfg(feature = "store")]
#[diagnostic::on_unimplemented(
    message = "a durable run is started with `start_durable`: write `rt.start_durable(Workflow, WorkflowInput {{ .. }}, None)` (or `Some(\"key\")`: a second start with the key gets the same run)",
    label = "not a method of `Runtime`",
    note = "the runtime needs a store, `Runtime::builder().store(MemoryStore::new()).build()`; `rt.resume(Workflow, run_id)` goes on with a run whose process died"
)]
#[doc(hidden)]
pub trait DurableRunsStartWithStartDurable<T>: sealed::NotImplemented<T> {}

/// The other name: see [`DurableRunsStartWithStartDurable`].
#[cfg(feature = "store")]
impl Runtime {
    #[doc(hidden)]
    pub fn execute_durable<'a, W, I, O>(
        &'a self,
        workflow: W,
        input: I,
    ) -> crate::DurableFuture<'a, crate::DurableRun<O>>
    where
        W: Runnable<I, Output = O>,
        Self: DurableRunsStartWithStartDurable<W>,
    {
        let _ = (workflow, input);
        unreachable!("`Runtime: DurableRunsStartWithStartDurable` has no impl")
    }
}

/// See [`DurableRunsStartWithStartDurable`].
#[cfg(feature = "store")]
#[diagnostic::on_unimplemented(
    message = "a runtime's store is set with `store`: write `Runtime::builder().store(MemoryStore::new())` (or `SqliteStore::open(path)?`)",
    label = "not a setting of `Runtime::builder()`",
    note = "`store_arc(Arc<dyn Store>)` takes a store shared with other code"
)]
#[doc(hidden)]
pub trait StoreIsTheBuildersName<T>: sealed::NotImplemented<T> {}

/// The other name: see [`StoreIsTheBuildersName`]. Returns the builder, so that
/// `.build()` after it adds no second error.
#[cfg(feature = "store")]
impl crate::RuntimeBuilder {
    #[doc(hidden)]
    pub fn with_store<S>(self, store: S) -> Self
    where
        Self: StoreIsTheBuildersName<S>,
    {
        let _ = store;
        unreachable!("`RuntimeBuilder: StoreIsTheBuildersName` has no impl")
    }
}

/// `ctx.retry_count()` / `ctx.attempt_number()` (other SDKs' names) for
/// [`Context::attempt`](crate::Context::attempt). Implemented for nothing, and sealed,
/// like the others. Not API.
#[diagnostic::on_unimplemented(
    message = "a node's attempt is `ctx.attempt()`: 1 on the first try, 2 on the first retry, ..",
    label = "not a method of `Context`",
    note = "retries are the node's policy, `#[node(retry(max = 3, backoff = \"100ms\"))]`; `ctx.attempt()` lets the body act on which try this is"
)]
#[doc(hidden)]
pub trait AttemptIsTheName<T>: sealed::NotImplemented<T> {}

/// The other names: see [`AttemptIsTheName`].
impl crate::Context {
    #[doc(hidden)]
    pub fn retry_count<'a>(&'a self) -> u32
    where
        &'a Self: AttemptIsTheName<()>,
    {
        unreachable!("`Context: AttemptIsTheName` has no impl")
    }

    #[doc(hidden)]
    pub fn attempt_number<'a>(&'a self) -> u32
    where
        &'a Self: AttemptIsTheName<()>,
    {
        unreachable!("`Context: AttemptIsTheName` has no impl")
    }
}

/// `ctx.heartbeat()` (Temporal's `activity.heartbeat`) in a node. Implemented for
/// nothing, and sealed, like the others. Returns a ready future, so `.await` after it
/// adds no second error. Not API.
#[diagnostic::on_unimplemented(
    message = "a node sends no heartbeat: the runtime watches it (its `timeout`, the `deadlock` watchdog); report progress with `ctx.emit(message)`",
    label = "not a method of `Context`",
    note = "on Temporal, `ctx.emit(..)` is sent as the running activity's heartbeat details, and the worker heartbeats running nodes by itself"
)]
#[doc(hidden)]
pub trait NodesSendNoHeartbeat<T>: sealed::NotImplemented<T> {}

/// The other name: see [`NodesSendNoHeartbeat`].
impl crate::Context {
    #[doc(hidden)]
    pub fn heartbeat<'a>(&'a self) -> std::future::Ready<()>
    where
        &'a Self: NodesSendNoHeartbeat<()>,
    {
        unreachable!("`Context: NodesSendNoHeartbeat` has no impl")
    }
}

/// `ctx.workflow_id()` (Temporal's and Prefect's name for the run's id) for
/// [`Context::run_id`](crate::Context::run_id). Implemented for nothing, and sealed,
/// like the others. Not API.
#[diagnostic::on_unimplemented(
    message = "a run's id is `ctx.run_id()`; `ctx.workflow()` is the workflow's name",
    label = "not a method of `Context`",
    note = "`ctx.idempotency_key()` names the node's call within its run, the same across retries and resumes: pass it to services that deduplicate"
)]
#[doc(hidden)]
pub trait RunIdIsTheRunsId<T>: sealed::NotImplemented<T> {}

/// The other name: see [`RunIdIsTheRunsId`].
impl crate::Context {
    #[doc(hidden)]
    pub fn workflow_id<'a>(&'a self) -> u64
    where
        &'a Self: RunIdIsTheRunsId<()>,
    {
        unreachable!("`Context: RunIdIsTheRunsId` has no impl")
    }
}

/// `run.is_success()` / `run.is_ok()` on a [`Run`](crate::Run), which is a run that
/// succeeded. Implemented for nothing, and sealed, like the others. Not API.
#[diagnostic::on_unimplemented(
    message = "a `Run` is a run that succeeded: `execute` gives `Result<Run<_>, WorkflowError>`, so ask the result (`result.is_ok()`, or match `Err(e)`) before taking the run",
    label = "not a method of `Run`",
    note = "in a test, `h.assert_success(result)` gives the run or fails with what ran; `run.report` has each node's status"
)]
#[doc(hidden)]
pub trait ARunSucceeded<T>: sealed::NotImplemented<T> {}

/// The other names: see [`ARunSucceeded`].
impl<O> crate::Run<O> {
    #[doc(hidden)]
    pub fn is_success<'a>(&'a self) -> bool
    where
        &'a Self: ARunSucceeded<()>,
    {
        unreachable!("`Run: ARunSucceeded` has no impl")
    }

    #[doc(hidden)]
    pub fn is_ok<'a>(&'a self) -> bool
    where
        &'a Self: ARunSucceeded<()>,
    {
        unreachable!("`Run: ARunSucceeded` has no impl")
    }
}

mod sealed {
    /// Implemented for nothing, and private: nobody can implement
    /// [`RunsWithExecute`](super::RunsWithExecute), so the hidden methods can never be
    /// called.
    pub trait NotImplemented<T> {}
}
