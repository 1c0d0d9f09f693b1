//! A node's error as the run keeps it: an error type that carries another
//! (`anyhow::Error`) seen through to the error it carries, and a caught panic's message.

use std::fmt;

/// A node's error of a type that dereferences to the error it carries, such as
/// `anyhow::Error` or `eyre::Report` (what a `#[node]` fn returning `anyhow::Result<T>`
/// fails with). It prints, and continues its `source()` chain, as the error it carries;
/// [`WorkflowError::node_error`](crate::WorkflowError::node_error) gives that error, so
/// `err.downcast_ref::<MyError>()` finds a `MyError` converted into an `anyhow::Error`
/// (not one under a `.context(..)`: that is the context's source). It cannot be taken
/// out by value ([`WorkflowError::downcast`](crate::WorkflowError::downcast) gives the
/// error back): only the carrier knows how.
pub(crate) struct DerefError(pub(crate) Box<dyn CarriesError>);

/// An error type that dereferences to the error it carries (`anyhow::Error`,
/// `eyre::Report`): what `DerefError` keeps. Implemented for every such type; public
/// only as the bound of the probe's arm (for generated code).
#[doc(hidden)]
pub trait CarriesError: Send + Sync + 'static {
    /// The error it carries.
    fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static);
    /// Its own `Debug` (anyhow's lists the causes).
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl<E> CarriesError for E
where
    E: std::ops::Deref<Target = dyn std::error::Error + Send + Sync + 'static>
        + fmt::Debug
        + Send
        + Sync
        + 'static,
{
    fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &**self
    }
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl DerefError {
    /// The error it carries.
    pub(crate) fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.0.error()
    }
}

impl fmt::Debug for DerefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f)
    }
}

impl fmt::Display for DerefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.error(), f)
    }
}

impl std::error::Error for DerefError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error().source()
    }
}

/// A caught panic's message (in the bottom layer: the runtime's callbacks, in `shared`,
/// report theirs too).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}
