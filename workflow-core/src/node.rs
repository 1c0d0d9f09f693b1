//! The node contract that `#[node]` implements, and injected resources.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use crate::context::Context;
use crate::error::BoxError;
use crate::policy::NodePolicy;

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

/// A resource a node needs, as recorded by `#[node]`.
#[derive(Clone, Copy)]
pub struct ResourceReq {
    /// The resource's type id.
    pub type_id: fn() -> TypeId,
    /// The resource's type name.
    pub type_name: fn() -> &'static str,
    /// The type id of `Arc<T>`, to spot `resource(Arc<T>)` where `resource_arc` was meant.
    pub arc_type_id: fn() -> TypeId,
}

impl ResourceReq {
    /// The requirement for a `Res<T>` parameter.
    pub const fn of<T: ?Sized + Send + Sync + 'static>() -> Self {
        Self {
            type_id: TypeId::of::<T>,
            type_name: std::any::type_name::<T>,
            arc_type_id: TypeId::of::<Arc<T>>,
        }
    }
}

impl fmt::Debug for ResourceReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResourceReq")
            .field(&(self.type_name)())
            .finish()
    }
}

/// A shared resource injected into a node: write `http: Res<HttpClient>` as a parameter.
///
/// `Res<T>` parameters are not ports; the runtime provides them from what was registered
/// with [`RuntimeBuilder::resource`](crate::RuntimeBuilder::resource). A missing
/// resource fails the run before any node starts.
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
///
/// struct Greeting(&'static str);
///
/// #[node]
/// async fn greet(name: String, greeting: Res<Greeting>) -> String {
///     format!("{}, {name}", greeting.0)
/// }
///
/// workflow! {
///     struct Hello {
///         input name: String,
///         out = greet(name),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let rt = Runtime::builder().resource(Greeting("hello")).build();
/// let run = rt.execute(Hello, HelloInput { name: "ada".into() }).await.unwrap();
/// assert_eq!(run.outputs.out, "hello, ada");
/// # });
/// ```
pub struct Res<T: ?Sized>(Arc<T>);

impl<T: ?Sized> Res<T> {
    /// Wraps a shared value.
    pub fn from_arc(value: Arc<T>) -> Self {
        Self(value)
    }

    /// The shared value.
    pub fn arc(this: &Self) -> &Arc<T> {
        &this.0
    }
}

impl<T: ?Sized> Clone for Res<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: ?Sized> Deref for Res<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Res<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Res").field(&&*self.0).finish()
    }
}
