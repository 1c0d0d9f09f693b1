//! State shared across tasks: by the nodes of one run ([`RunShared`]) and by the runs of
//! one runtime ([`RuntimeShared`]).

mod run;
mod runtime;
pub(crate) mod waits;

#[cfg(feature = "store")]
pub(crate) use run::DurableLink;
pub(crate) use run::{item_path, FinishedItems, RunShared, RunSlot};
pub use runtime::DroppedRun;
// Outside this module, only a durable run's end hook reports a panicking callback.
#[cfg(feature = "store")]
pub(crate) use runtime::callback_panicked;
pub(crate) use runtime::{DroppedHook, Monitor, RuntimeShared, TaskGuard, TrackedRuns};
