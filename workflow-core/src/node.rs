//! The node contract that `#[node]` implements: the [`Node`] trait and what one call of
//! a node returns.

use std::future::Future;

use crate::context::Context;
use crate::error::{BoxError, CarriesError, DerefError};
use crate::policy::NodePolicy;
use crate::resources::{Res, ResourceReq};

/// A graph node: the input ports of one `#[node]` fn, gathered in a struct.
///
/// `#[node]` on `async fn parse(raw: Page, limit: usize) -> Items` keeps the fn as it is
/// and adds a braced struct `parse { raw: Page, limit: usize }` (types and values live in
/// different namespaces, so both are called `parse`) that implements this trait.
/// `workflow!` fills that struct from upstream outputs, so rustc checks every edge.
///
/// You do not implement this trait by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a workflow node",
    label = "not a `#[node]` fn",
    note = "add `#[node]` to the `async fn` to use it in `workflow!`"
)]
pub trait Node: Sized + Send + 'static {
    /// The fn's name.
    const NAME: &'static str;
    /// The input ports, in parameter order.
    const PORTS: &'static [&'static str];
    /// The policy from `#[node(..)]`.
    #[doc(hidden)]
    const POLICY: NodePolicy;
    /// The resources (`Res<T>` parameters) the node needs.
    #[doc(hidden)]
    const RESOURCES: &'static [ResourceReq];
    /// The plan of the workflow this node runs, when it is a sub-workflow: a run checks
    /// the resources of its sub-workflows' nodes when it starts, as it does its own.
    #[doc(hidden)]
    const CHILD: Option<&'static crate::plan::Plan> = None;
    /// Whether the node only runs child runs (a sub-workflow, a fan-out's items): it
    /// takes no `max_concurrent_nodes` permit, since its child runs' nodes take theirs
    /// (holding one while they wait for theirs would deadlock a limit as small as the
    /// nesting is deep).
    #[doc(hidden)]
    const CONTAINER: bool = false;
    /// The version from `#[node(version = N)]`, 1 when not given. Bump it when the fn's
    /// code changes what it computes: a durable run resumed after the bump runs this node
    /// again (and every node downstream of it) instead of restoring its recorded output.
    const VERSION: u32 = 1;
    /// Whether the fn can fail (returns a `Result`): a `#[retry(..)]` on a binding of a
    /// node that cannot fail and has no timeout never runs, which `workflow!` rejects.
    #[doc(hidden)]
    const FALLIBLE: bool = true;
    /// Whether `call` reads the [`Context`] it is given (the fn takes a `&Context` or a
    /// `Res<T>`). A node that does not is given a detached one, which saves cloning the
    /// run's shared state for every node that starts; `#[node]` says `false` for those.
    #[doc(hidden)]
    const CONTEXT: bool = true;
    /// The output: `T` for a fn returning `T` or `Result<T, E>`.
    type Output: Send + 'static;
    /// The error: `E` for a fn returning `Result<T, E>`, `Infallible` otherwise.
    type Error: 'static;

    /// Calls the fn with these ports.
    #[doc(hidden)]
    fn call(self, ctx: Context) -> impl Future<Output = NodeResult<Self::Output>> + Send + 'static;

    /// A copy of the ports for another attempt, when every port is `Clone`.
    #[doc(hidden)]
    fn try_clone(&self) -> Option<Self>;
}

/// What one call of a node produced.
#[doc(hidden)]
pub type NodeResult<T> = Result<T, NodeCallError>;

/// Why one call of a node produced no output.
#[doc(hidden)]
#[derive(Debug)]
pub enum NodeCallError {
    /// The fn returned `Err`.
    Error(BoxError),
    /// A `Res<T>` parameter had no registered resource: its type name, and whether an
    /// `Arc<T>` was registered instead (`resource(Arc::new(..))` for `resource_arc`).
    MissingResource(&'static str, bool),
}

/// The resource lookup of a generated node call (`Res<T>` parameters), and the context
/// a node is given: here rather than in `context`, which sits below the node contract.
impl Context {
    /// The context of attempt `attempt` of node `node`, a node of type `N`: detached
    /// when `N`'s call reads no context (`N::CONTEXT`), else sharing the run's state.
    #[inline]
    pub(crate) fn for_node<N: Node>(
        shared: &std::sync::Arc<crate::shared::RunShared>,
        node: usize,
        attempt: u32,
    ) -> Self {
        if N::CONTEXT {
            Self::with_shared(std::sync::Arc::clone(shared), node, attempt)
        } else {
            Self::detached(node, attempt)
        }
    }

    /// [`for_node`](Self::for_node) in a run whose shared state may not be made yet
    /// (see `RunSlot`): made now only for a node whose fn reads its context.
    #[inline(always)]
    pub(crate) fn for_node_in<N: Node>(
        slot: &crate::shared::RunSlot,
        node: usize,
        attempt: u32,
    ) -> Self {
        if N::CONTEXT {
            Self::with_shared(std::sync::Arc::clone(slot.arc()), node, attempt)
        } else {
            Self::detached(node, attempt)
        }
    }

    #[doc(hidden)]
    pub fn __resource<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Res<T>, NodeCallError> {
        // The lookup of `Arc<T>` runs only on the error path, for the hint.
        self.resource::<T>().ok_or_else(|| {
            let arc_registered = self.resource::<std::sync::Arc<T>>().is_some()
                || self.arc_in_place_of(std::any::type_name::<T>());
            NodeCallError::MissingResource(std::any::type_name::<T>(), arc_registered)
        })
    }
}

// The error conversion of a generated node call; here rather than in `__private` so
// that its compile error points into this file.

/// Autoref-specialised error boxing: `(&&ErrorProbe::new(e)).convert_node_error()` is
/// `e` itself for a [`BoxError`], a `DerefError` keeping `e` for a type that
/// dereferences to the error it carries (`anyhow::Error`), `e.into()` when
/// `E: Into<BoxError>` ([`NodeError`](crate::NodeError)), and otherwise fails to compile
/// with one error, [`NodeErrorType`]'s, at `E`. (Through `NodeError` alone rustc reports
/// each unmet bound of the conversion apart: `Box<dyn Error>` gave three errors.) The
/// arms are tried in the order of their receivers, as method lookup does from `&&P`:
/// `&&P` (by value), `&&&P` (autoref), `&P` (one deref), then `P` (two derefs, by
/// value).
pub struct ErrorProbe<E>(core::cell::Cell<Option<E>>);

impl<E> ErrorProbe<E> {
    /// A probe holding `error`, converted once.
    #[inline]
    pub fn new(error: E) -> Self {
        Self(core::cell::Cell::new(Some(error)))
    }
}

impl<E> core::fmt::Debug for ErrorProbe<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ErrorProbe")
    }
}

/// The [`NodeError`](crate::NodeError) arm of [`ErrorProbe`].
pub trait ConvertNodeError {
    /// The boxed error.
    fn convert_node_error(&self) -> BoxError;
}

impl<E: crate::NodeError> ConvertNodeError for ErrorProbe<E> {
    #[inline]
    fn convert_node_error(&self) -> BoxError {
        match self.0.take() {
            Some(e) => e.__into_box_error(),
            // Each probe is made for one error and converted once.
            None => "a node's error was converted twice".into(),
        }
    }
}

/// The arm of [`ErrorProbe`] for an error type that dereferences to the error it
/// carries (`anyhow::Error`, `eyre::Report`): kept whole in a `DerefError`, so that
/// [`WorkflowError::downcast_ref`](crate::WorkflowError::downcast_ref) finds the typed
/// error inside. (Their own conversion into a [`BoxError`] boxes a private wrapper that
/// no downcast sees through.) Its receiver `&&&ErrorProbe` is tried (autoref) before
/// the [`NodeError`](crate::NodeError) arm's `&ErrorProbe` (deref).
impl<E: CarriesError> ConvertNodeError for &&ErrorProbe<E> {
    #[inline]
    fn convert_node_error(&self) -> BoxError {
        match self.0.take() {
            Some(e) => Box::new(DerefError(Box::new(e))),
            None => "a node's error was converted twice".into(),
        }
    }
}

/// A node returning [`BoxError`] itself keeps it as it is (a `Box<dyn Error>`
/// dereferences to its error too, but needs no wrapper: it is one already). Probed
/// first (its receiver is the call's `&&ErrorProbe`, by value).
impl ConvertNodeError for &ErrorProbe<BoxError> {
    #[inline]
    fn convert_node_error(&self) -> BoxError {
        match self.0.take() {
            Some(e) => e,
            None => "a node's error was converted twice".into(),
        }
    }
}

/// The fallback arm of [`ErrorProbe`]: reached only by a type that is not a node
/// error, where its bound is the one compile error.
pub trait UnsupportedNodeError<E> {
    /// Never compiles: `E` is not a [`NodeErrorType`]. (By value, so that its receiver
    /// `ErrorProbe` comes after every other arm's.)
    fn convert_node_error(self) -> BoxError
    where
        E: NodeErrorType;
}

impl<E> UnsupportedNodeError<E> for ErrorProbe<E> {
    fn convert_node_error(self) -> BoxError
    where
        E: NodeErrorType,
    {
        "not a node error".into()
    }
}

/// Not implemented for any type: named in the compile error of a `#[node]` fn whose
/// error type `E` does not convert into a [`BoxError`] (see
/// [`NodeError`](crate::NodeError)).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error of a `#[node]` fn",
    label = "a node's error must convert into `Box<dyn std::error::Error + Send + Sync>`",
    note = "implement `std::error::Error` for the type (e.g. with `thiserror`), and make it `Send + Sync + 'static`; for `Box<dyn Error>`, write `Box<dyn Error + Send + Sync>` or `workflow_core::BoxError`"
)]
pub trait NodeErrorType {}
