//! Resources: what a runtime holds for its nodes ([`Res`]), what a node needs
//! ([`ResourceReq`], recorded by `#[node]`), and the registry that maps one to the other.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

/// A resource a node needs, as recorded by `#[node]` (for generated code).
#[doc(hidden)]
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
    /// (`Send + Sync` is checked where the node fetches it, as one error.)
    pub const fn of<T: ?Sized + 'static>() -> Self {
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
/// resource fails the run before any node starts
/// ([`WorkflowError::MissingResource`](crate::WorkflowError::MissingResource), or
/// [`ResourceRegisteredAsArc`](crate::WorkflowError::ResourceRegisteredAsArc) when an
/// `Arc<T>` was registered with `resource` instead of `resource_arc`), the nodes of
/// sub-workflows at any depth included, named by their path (`front.html`). One needed
/// only by a node of a fan-out's item fails the run when an item gets there
/// (`thumbs[0].img`).
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

/// Prints the resource itself, as `Arc<T>` does, so `format!("{name}")` works on a
/// `name: Res<String>` parameter.
///
/// ```
/// use std::sync::Arc;
/// use workflow_core::Res;
///
/// let region: Res<String> = Res::from_arc(Arc::new("eu-west".to_string()));
/// assert_eq!(format!("region {region}"), "region eu-west");
/// ```
impl<T: ?Sized + fmt::Display> fmt::Display for Res<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Res<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Res").field(&&*self.0).finish()
    }
}

/// A registered resource: an `Arc<T>` (for any `T: ?Sized`, so `dyn Trait` works) behind
/// `dyn Any`.
pub(crate) type AnyArc = Arc<dyn Any + Send + Sync>;

/// A resource's cleanup hook, its type erased.
pub(crate) type Cleanup = Box<dyn FnOnce(AnyArc) -> CleanupFuture + Send + Sync>;

/// What a cleanup hook returns.
pub(crate) type CleanupFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Whether `type_name` is that of a value no `Res<T>` can name: the future of an
/// `async fn` or block, or a closure (`app::Db::connect::{{closure}}`, also behind
/// `Pin<Box<..>>`), or a boxed `dyn Future`.
pub(crate) fn is_future_or_closure(type_name: &str) -> bool {
    type_name.contains("{{closure}}") || type_name.contains("dyn core::future::future::Future")
}

/// The resources registered on one runtime, by type.
#[derive(Default)]
pub(crate) struct Resources {
    map: HashMap<TypeId, AnyArc>,
    /// Registration order, for cleanup in reverse.
    order: Vec<Registered>,
}

struct Registered {
    type_id: TypeId,
    type_name: &'static str,
    cleanup: Option<Cleanup>,
}

/// A node whose `Res<T>` parameter has no registered resource.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MissingResource {
    /// The node binding.
    pub(crate) node: &'static str,
    /// The resource type.
    pub(crate) type_name: &'static str,
    /// Whether an `Arc<T>` was registered instead.
    pub(crate) arc_registered: bool,
    /// A registered type no `Res<T>` can name, a future or closure, most likely the value
    /// meant for this one before its `.await` (see `Resources::unnameable_in_place_of`).
    pub(crate) future_registered: Option<&'static str>,
    /// A registered type of the same name with other type parameters (`EventQueue<i32>`
    /// for `EventQueue<u32>`; see `Resources::other_parameters_in_place_of`).
    pub(crate) other_type_registered: Option<&'static str>,
}

impl Resources {
    /// Registers `value` (replacing one of the same type), with an optional cleanup hook.
    pub(crate) fn insert<T: ?Sized + Send + Sync + 'static>(
        &mut self,
        value: Arc<T>,
        cleanup: Option<Cleanup>,
    ) {
        let type_id = TypeId::of::<T>();
        self.map.insert(type_id, Arc::new(value));
        let registered = Registered {
            type_id,
            type_name: std::any::type_name::<T>(),
            cleanup,
        };
        match self.order.iter_mut().find(|r| r.type_id == type_id) {
            Some(existing) => *existing = registered,
            None => self.order.push(registered),
        }
    }

    /// The resource of type `T`, if registered.
    pub(crate) fn get<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Res<T>> {
        let arc = self.map.get(&TypeId::of::<T>())?.downcast_ref::<Arc<T>>()?;
        Some(Res::from_arc(Arc::clone(arc)))
    }

    /// The first node (and resource type) whose `Res<T>` is not registered, of `nodes`
    /// given by name and requirements.
    pub(crate) fn missing(
        &self,
        nodes: impl IntoIterator<Item = (&'static str, &'static [ResourceReq])>,
    ) -> Option<MissingResource> {
        nodes.into_iter().find_map(|(node, needs)| {
            needs
                .iter()
                .find(|r| !self.map.contains_key(&(r.type_id)()))
                .map(|r| {
                    let type_name = (r.type_name)();
                    MissingResource {
                        node,
                        type_name,
                        arc_registered: self.map.contains_key(&(r.arc_type_id)())
                            || self.arc_in_place_of(type_name),
                        future_registered: self.unnameable_in_place_of(type_name),
                        other_type_registered: self.other_parameters_in_place_of(type_name),
                    }
                })
        })
    }

    /// For a missing resource named `type_name`: whether it is a `dyn Trait` and a
    /// registered resource is itself an `Arc` (`resource(Arc::new(x))`), almost surely
    /// the value meant for it, which only
    /// `resource_arc::<dyn Trait>` registers as such (the type of `x` behind the `Arc`,
    /// and whether it implements the trait, are not known here).
    pub(crate) fn arc_in_place_of(&self, type_name: &str) -> bool {
        crate::error::is_trait_object(type_name)
            && self
                .order
                .iter()
                .any(|r| r.type_name.starts_with("alloc::sync::Arc<"))
    }

    /// For a missing resource named `type_name`: a registered type that no `Res<T>` can
    /// ever name, an `async fn`'s future or a closure (`resource(Db::connect(url))`
    /// without `.await`), which is almost surely the value meant for it. One whose path
    /// names the missing type (`app::Db::connect::{{closure}}` for `app::Db`) first.
    pub(crate) fn unnameable_in_place_of(&self, type_name: &str) -> Option<&'static str> {
        let unnameable = || {
            self.order
                .iter()
                .map(|r| r.type_name)
                .filter(|name| is_future_or_closure(name))
        };
        let owner = format!("{type_name}::");
        unnameable()
            .find(|name| name.contains(&owner))
            .or_else(|| unnameable().next())
    }

    /// For a missing resource named `type_name` with type parameters (`EventQueue<u32>`):
    /// a registered type of the same path with other parameters (`EventQueue<i32>`),
    /// most likely the value meant for it, its parameters inferred otherwise (an integer
    /// literal sent into `EventQueue::new()` makes it an `EventQueue<i32>`).
    pub(crate) fn other_parameters_in_place_of(&self, type_name: &str) -> Option<&'static str> {
        let (base, _) = type_name.split_once('<')?;
        self.order
            .iter()
            .map(|r| r.type_name)
            .find(|name| *name != type_name && name.split_once('<').is_some_and(|(b, _)| b == base))
    }

    /// The registered types' names, in registration order.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.order.iter().map(|r| r.type_name).collect()
    }

    /// Takes every cleanup hook not yet run, in reverse registration order, with its
    /// resource.
    pub(crate) fn take_cleanups(&mut self) -> Vec<(AnyArc, &'static str, Cleanup)> {
        let Self { map, order } = self;
        order
            .iter_mut()
            .rev()
            .filter_map(|r| {
                let cleanup = r.cleanup.take()?;
                let value = map.get(&r.type_id)?.clone();
                Some((value, r.type_name, cleanup))
            })
            .collect()
    }
}

/// What a cleanup hook's closure returns (`resource_with_cleanup(db, |db| async move {
/// .. })`): a future of `()`. Its own trait so that a closure returning `()` (the
/// `async move` forgotten) or another value is one error saying so, where rustc said
/// only "`()` is not a future". Implemented for every `Future<Output = ()> + Send +
/// 'static`. Not API.
#[diagnostic::on_unimplemented(
    message = "a cleanup hook's closure returns a future of `()`, awaited at shutdown; this one returns `{Self}`: write `|db: Arc<Db>| async move {{ .. }}` (its last line a statement)",
    label = "its closure returns `{Self}`",
    note = "the runtime awaits the hook once, in `shutdown()`, after the runs in flight; a resource without cleanup is registered with `.resource(value)`"
)]
#[doc(hidden)]
pub trait CleanupHookFuture: Future<Output = ()> + Send + 'static {}

#[diagnostic::do_not_recommend]
impl<F: Future<Output = ()> + Send + 'static> CleanupHookFuture for F {}

/// Erases the type of a cleanup hook for `T`.
pub(crate) fn erase_cleanup<T, F, Fut>(cleanup: F) -> Cleanup
where
    T: Send + Sync + 'static,
    F: FnOnce(Arc<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Box::new(move |any: AnyArc| -> CleanupFuture {
        match any.downcast_ref::<Arc<T>>() {
            Some(value) => Box::pin(cleanup(Arc::clone(value))),
            None => Box::pin(async {}),
        }
    })
}
