//! State shared across tasks: by the nodes of one run ([`RunShared`]) and by the runs of
//! one runtime ([`RuntimeShared`]).

mod run;
mod runtime;
pub(crate) mod waits;

#[cfg(feature = "store")]
pub(crate) use run::DurableLink;
pub(crate) use run::{item_path, RunShared, RunSlot};
pub use runtime::DroppedRun;
pub(crate) use runtime::{callback_panicked, DroppedHook, Monitor, RuntimeShared, TaskGuard};
