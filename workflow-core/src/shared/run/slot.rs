//! [`RunSlot`]: a run future's hold on its shared state.

use std::sync::{Arc, OnceLock};
use std::task::Waker;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::RunShared;
use crate::run::NodeStatus;
use crate::shared::RuntimeShared;

use crate::trace::TraceKind;

/// A run's shared state as its own future holds it (the driver, its statuses and node
/// starter, the run's set-up and end borrow this): made when the run begins if it needs
/// one from its start (a child run; a traced, monitored, stall-watched, durable or
/// externally cancellable run; a runtime that limits nodes in flight; a workflow with a
/// node that does not run inline or needs resources or runs a child run), else only the
/// first time something shares it: a node's `Context`, a node in a task of its own
/// (issue 17: a W4 run's `RunShared` was one allocation of 480 bytes, its building and
/// drop and three locked instructions, for nothing any of its nodes read).
///
/// Until it is made, the run is what a state made then would say: no trace, no live
/// statuses, no parent, no children, no tracked waits, not cancelled (no token can
/// exist: only a holder of the state can make one). Its inherent methods answer that
/// without making it; [`Deref`](std::ops::Deref) makes it, so every other use is exactly
/// the use of a state made at the start.
pub(crate) struct RunSlot {
    made: OnceLock<Arc<RunShared>>,
    /// While the state is not made: what it is made from (`None` once made at once).
    lazy: Option<LazySeed>,
    run_id: u64,
    started: Instant,
}

/// What a [`RunSlot`]'s state is made from: the run's runtime and workflow's plan (its
/// id and start are the slot's).
struct LazySeed {
    runtime: Arc<RuntimeShared>,
    plan: &'static crate::plan::Plan,
    /// The run's `concurrency` (see [`RunShared::concurrency`]), `usize::MAX` for none
    /// (which `RunShared::new` makes of `None`): a word less in every run's future than
    /// an `Option` (see `Executor::run` on its size).
    concurrency: usize,
}

impl RunSlot {
    /// The slot of a run whose state is made already.
    #[inline]
    pub(crate) fn made(shared: Arc<RunShared>) -> Self {
        let (run_id, started) = (shared.run_id, shared.started);
        Self {
            made: OnceLock::from(shared),
            lazy: None,
            run_id,
            started,
        }
    }

    /// The slot of a root run of `plan` on `runtime`, untraced, unwatched (no monitor
    /// nor stall limit), without a token or durable link, whose state is made only
    /// when first shared.
    #[inline]
    pub(crate) fn lazy(
        run_id: u64,
        started: Instant,
        runtime: Arc<RuntimeShared>,
        plan: &'static crate::plan::Plan,
        concurrency: Option<usize>,
    ) -> Self {
        Self {
            made: OnceLock::new(),
            lazy: Some(LazySeed {
                runtime,
                plan,
                concurrency: concurrency.unwrap_or(usize::MAX),
            }),
            run_id,
            started,
        }
    }

    /// The state, made now if it was not.
    #[inline]
    pub(crate) fn arc(&self) -> &Arc<RunShared> {
        match self.made.get() {
            Some(shared) => shared,
            None => self.make(),
        }
    }

    /// [`arc`](Self::arc)'s making: what `lifecycle::begin` would have made for the
    /// run (a root run with no token, trace, live statuses or durable link). Its own
    /// clone of the runtime: the slot's may be borrowed (the run's count of active
    /// runs is).
    #[cold]
    #[inline(never)]
    fn make(&self) -> &Arc<RunShared> {
        self.made.get_or_init(|| {
            let seed = self
                .lazy
                .as_ref()
                .expect("a run's shared state is made at once or has its seed");
            Arc::new_cyclic(|_| {
                let mut shared = RunShared::new(
                    self.run_id,
                    self.started,
                    seed.plan.name,
                    seed.plan.nodes,
                    None,
                    false,
                    false,
                    Arc::clone(&seed.runtime),
                    None,
                    Some(seed.concurrency),
                    #[cfg(feature = "store")]
                    None,
                );
                // Not monitored when it began (a monitor added since is not told of
                // runs already going, nor does it see their statuses).
                shared.live = None;
                shared
            })
        })
    }

    /// The state, if made.
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<&Arc<RunShared>> {
        self.made.get()
    }

    /// The run's id.
    #[inline(always)]
    pub(crate) fn run_id(&self) -> u64 {
        self.run_id
    }

    /// When the run started (a child run: its root run).
    #[inline(always)]
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// The runtime the run runs on.
    #[inline]
    pub(crate) fn runtime(&self) -> &Arc<RuntimeShared> {
        match &self.lazy {
            Some(seed) => &seed.runtime,
            None => &self.arc().runtime,
        }
    }

    /// Whether the run is traced.
    #[inline]
    pub(crate) fn is_traced(&self) -> bool {
        self.get().is_some_and(|s| s.trace.is_some())
    }

    /// A child run's parent run (`None` for a root run).
    #[inline]
    pub(crate) fn parent(&self) -> Option<&Arc<RunShared>> {
        self.get().and_then(|s| s.parent())
    }

    /// Whether the run was cancelled (see [`RunCancel::is_cancelled`](super::RunCancel::is_cancelled)).
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.get().is_some_and(|s| s.cancel.is_cancelled())
    }

    /// [`RunCancel::watch`](super::RunCancel::watch): with no state made, there is no token (nor can one be made
    /// before the state is, in a poll of the run, which looks again as it waits).
    #[inline]
    pub(crate) fn watch_cancel(&self, waker: &Waker) -> Option<&CancellationToken> {
        self.get().and_then(|s| s.cancel.watch(waker))
    }

    /// [`RunShared::is_live`].
    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        self.get().is_some_and(|s| s.is_live())
    }

    /// [`RunShared::set_live`].
    #[inline]
    pub(crate) fn set_live(&self, node: usize, status: NodeStatus) {
        if let Some(s) = self.get() {
            s.set_live(node, status);
        }
    }

    /// [`RunShared::record`].
    #[inline]
    pub(crate) fn record(&self, node: Option<usize>, kind: TraceKind) {
        if let Some(s) = self.get() {
            s.record(node, kind);
        }
    }

    /// [`RunShared::record_with`].
    #[inline]
    pub(crate) fn record_with(&self, node: Option<usize>, kind: impl FnOnce() -> TraceKind) {
        if let Some(s) = self.get() {
            s.record_with(node, kind);
        }
    }

    /// [`RunShared::note_progress`].
    #[inline]
    pub(crate) fn note_progress(&self) {
        if let Some(s) = self.get() {
            s.note_progress();
        }
    }
}

impl std::ops::Deref for RunSlot {
    type Target = Arc<RunShared>;

    /// The state, made now if it was not ([`arc`](RunSlot::arc)).
    #[inline]
    fn deref(&self) -> &Arc<RunShared> {
        self.arc()
    }
}
