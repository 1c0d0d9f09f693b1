//! Items named by macro-generated code. Not public API: no stability guarantees.

pub use core::future::Future;
pub use core::option::Option;
pub use core::result::Result;
pub use std::boxed::Box;
pub use std::time::Duration;

pub use crate::context::Context;
/// What `#[workflow(durable)]` code names.
#[cfg(feature = "store")]
pub use crate::durable::DurableWorkflow;
/// What a run returns, under the name generated code uses.
pub use crate::executor::RunOutcome as Outcome;
pub use crate::executor::{step, Executor, Finished, NodeStarter, Op, Workflow};
pub use crate::node::{Node, NodeCallError, NodeResult};
pub use crate::plan::{NodeSpec, Plan, Slot};
pub use crate::policy::{Execution, FailurePolicy, NodePolicy, RetryPolicy, WorkflowPolicy};
pub use crate::resources::{Res, ResourceReq};
#[cfg(feature = "store")]
pub use crate::store::{decode, encode, RunId, StoreError};
pub use core::pin::{pin, Pin};
pub use core::task::Poll;
#[cfg(feature = "store")]
pub use serde::{de::DeserializeOwned, Serialize};
pub use std::vec;
pub use std::vec::Vec;

/// Joins encoded values into one encoded array (the inputs or outputs of a durable run).
#[cfg(feature = "store")]
pub fn join_encoded(parts: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(part);
    }
    out.push(b']');
    out
}

/// Splits what [`join_encoded`] made back into `count` encoded values.
///
/// # Errors
///
/// [`StoreError::Decode`] naming `what` of `run` when the bytes are not such an array.
#[cfg(feature = "store")]
pub fn split_encoded(
    bytes: &[u8],
    run: RunId,
    what: &str,
    count: usize,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let values: Vec<serde_json::Value> = decode(bytes, run, what)?;
    if values.len() != count {
        return Err(StoreError::Decode {
            run,
            what: what.to_owned(),
            type_name: "a list of values",
            source: format!("expected {count} values, found {}", values.len()).into(),
        });
    }
    values.iter().map(|v| encode(v, Some(run), what)).collect()
}

use crate::error::BoxError;

/// Turns a fn's plain return value into a node result.
#[inline]
pub fn infallible<T>(value: T) -> NodeResult<T> {
    Ok(value)
}

/// Turns a fn's `Result` into a node result, boxing the error. The only place that
/// requires the error to be boxable, so a bad error type is one compile error.
#[inline]
pub fn fallible<T, E: NodeError>(value: Result<T, E>) -> NodeResult<T> {
    value.map_err(|e| NodeCallError::Error(e.into()))
}

/// A `Result<T, E>` return type of a `#[node]` fn (also through aliases such as
/// `std::io::Result<T>`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Result`",
    label = "the node's return type",
    note = "a fallible node returns `Result<T, E>`"
)]
pub trait FallibleReturn {
    /// The output.
    type Ok;
    /// The error.
    type Err;
}

impl<T, E> FallibleReturn for Result<T, E> {
    type Ok = T;
    type Err = E;
}

/// The error type of a fallible node.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error of a `#[node]` fn",
    label = "a node's error must convert into `Box<dyn std::error::Error + Send + Sync>`",
    note = "implement `std::error::Error` for the type (e.g. with `thiserror`), and make it `Send + Sync + 'static`"
)]
pub trait NodeError: Into<BoxError> {}

impl<E: Into<BoxError>> NodeError for E {}

/// Autoref-specialised clone: `(&&CloneProbe(&x)).probe_clone()` is `Some(x.clone())`
/// when `x: Clone`, `None` otherwise. Works because generated code names concrete types.
pub struct CloneProbe<'a, T>(pub &'a T);

impl<T> core::fmt::Debug for CloneProbe<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CloneProbe")
    }
}

/// The `Clone` arm of [`CloneProbe`].
pub trait ViaClone<T> {
    /// Clones.
    fn probe_clone(&self) -> Option<T>;
}

impl<T: Clone> ViaClone<T> for &CloneProbe<'_, T> {
    #[inline]
    fn probe_clone(&self) -> Option<T> {
        Some(self.0.clone())
    }
}

/// The fallback arm of [`CloneProbe`].
pub trait ViaNoClone<T> {
    /// Cannot clone.
    fn probe_clone(&self) -> Option<T>;
}

impl<T> ViaNoClone<T> for CloneProbe<'_, T> {
    #[inline]
    fn probe_clone(&self) -> Option<T> {
        None
    }
}

/// An input of a retried node: retries call the fn again, so each input is cloned.
#[diagnostic::on_unimplemented(
    message = "input `{Self}` of a retried node must be `Clone`",
    label = "every attempt gets its own copy of this input",
    note = "derive `Clone` for the type, or remove the retry policy"
)]
pub trait RetryInput: Clone {}

impl<T: Clone> RetryInput for T {}

/// Compile-time check that a retried node's inputs are `Clone`.
pub const fn assert_retry_input<T: RetryInput>() {}

/// An output consumed by several nodes is cloned for all but the last.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is used by several nodes, so it must be `Clone`",
    label = "this output goes to more than one input",
    note = "derive `Clone` for the type, or wrap it in `Arc`"
)]
pub trait SharedOutput: Clone {}

impl<T: Clone> SharedOutput for T {}

/// Clones a value given to one of several consumers.
#[inline]
pub fn share<T: Clone>(value: &T) -> T {
    value.clone()
}

/// The output of a node declared with `#[node]`.
pub type Output<N> = <N as Node>::Output;

/// The type of a value, for the checks below. Those take no argument and get their type
/// by unification (`[type_of(&v), check_shared()]`): rustc then blames the type, and does
/// not suggest borrowing the value.
#[inline(always)]
pub fn type_of<T>(_: &T) -> core::marker::PhantomData<T> {
    core::marker::PhantomData
}

/// Requires a retried node's input to be `Clone`.
#[inline(always)]
pub fn check_retry_input<T: RetryInput>() -> core::marker::PhantomData<T> {
    core::marker::PhantomData
}

/// Requires an output used by several nodes to be `Clone`.
#[inline(always)]
pub fn check_shared<T: SharedOutput>() -> core::marker::PhantomData<T> {
    core::marker::PhantomData
}

/// Autoref-specialised `Debug`: prints the value when it is `Debug`, a placeholder
/// otherwise, so generated input/output structs are always `Debug`.
pub struct DebugProbe<'a, T>(pub &'a T);

/// The `Debug` arm of [`DebugProbe`].
pub trait ViaDebug {
    /// Formats.
    fn probe_fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result;
}

impl<T: core::fmt::Debug> ViaDebug for &DebugProbe<'_, T> {
    fn probe_fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.0, f)
    }
}

/// The fallback arm of [`DebugProbe`].
pub trait ViaNoDebug {
    /// Formats a placeholder.
    fn probe_fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result;
}

impl<T> ViaNoDebug for DebugProbe<'_, T> {
    fn probe_fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<{} (not Debug)>", core::any::type_name::<T>())
    }
}

impl<T> core::fmt::Debug for DebugProbe<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DebugProbe")
    }
}

/// Formats with a closure.
pub struct DebugWith<F>(pub F);

impl<F: Fn(&mut core::fmt::Formatter<'_>) -> core::fmt::Result> core::fmt::Debug for DebugWith<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        (self.0)(f)
    }
}

/// Reached only if a shared output were not `Clone`, which `share` rejects at compile time
/// on another edge from the same source.
#[cold]
pub fn unreachable_clone() -> ! {
    unreachable!("workflow output shared without `Clone`; this is a bug in workflow-macros")
}

/// Runs a `#[node(spawn_blocking)]` fn on tokio's blocking pool. A panic inside is
/// resumed here, so the executor reports it as the node's panic.
pub async fn spawn_blocking<T, F>(f: F) -> NodeResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> NodeResult<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(e) => Err(NodeCallError::Error(Box::new(e))),
        },
    }
}
