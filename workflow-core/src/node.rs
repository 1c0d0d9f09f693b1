//! The node contract that `#[node]` implements: the [`Node`] trait and what one call of
//! a node returns.

use std::future::Future;

use crate::context::Context;
use crate::error::BoxError;
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
    /// The version from `#[node(version = N)]`, 1 when not given. Bump it when the fn's
    /// code changes what it computes: a durable run resumed after the bump runs this node
    /// again (and every node downstream of it) instead of restoring its recorded output.
    const VERSION: u32 = 1;
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
    /// A `Res<T>` parameter had no registered resource.
    MissingResource(&'static str),
}

/// The resource lookup of a generated node call (`Res<T>` parameters): here rather than
/// in `context`, which sits below the node contract.
impl Context {
    #[doc(hidden)]
    pub fn __resource<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Res<T>, NodeCallError> {
        self.resource::<T>()
            .ok_or_else(|| NodeCallError::MissingResource(std::any::type_name::<T>()))
    }
}
