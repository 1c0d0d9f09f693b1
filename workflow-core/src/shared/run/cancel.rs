//! [`RunCancel`]: a run's cancellation token, made only when asked for.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::Waker;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::sync::lock;

/// A run's cancellation: its token, made the first time someone asks for it (a node's
/// `Context::cancellation`/`cancelled`, a child run), or given (an external token, a
/// child run's). Most runs never need one: a token is an allocation, and its creation,
/// the run's wait on it and its cancellation at the end take its locks (~350
/// instructions and one of a small run's seven allocations, issue 17).
///
/// A run stopped (failed, timed out, cancelled, ended, dropped) before its token
/// exists is marked `stopped`: a token made later is made cancelled. The driver watches
/// the token once it exists; a token made outside the run's poll (by a node in a task
/// of its own) wakes the run through `waker`, so it starts watching.
pub(crate) struct RunCancel {
    token: OnceLock<CancellationToken>,
    /// Cancelled: the token, if any, is cancelled (and one made later will be).
    stopped: AtomicBool,
    /// The run's waker while it has no token, woken when the token is made.
    waker: Mutex<Option<Waker>>,
    /// When the grace this run gives its nodes as it stops ends
    /// (`RunOptions::cancel_grace`): set by the driver's abort, before it cancels, so
    /// that the nodes of child runs (sub-workflows, fan-out items) get the same grace.
    /// Unset for runs that stop without a grace (and for runs that never stop early).
    pub(super) grace_end: OnceLock<Instant>,
    /// Set when a child run's nodes could not be given this run's grace (outside tokio,
    /// no timer): this run then says so once (`TokioNeed::CancelGrace`).
    pub(super) grace_unkept: AtomicBool,
}

impl RunCancel {
    /// The cancellation of a run with `token`, or of one whose token is made when asked for.
    #[inline]
    pub(crate) fn new(token: Option<CancellationToken>) -> Self {
        Self {
            token: token.map_or_else(OnceLock::new, OnceLock::from),
            stopped: AtomicBool::new(false),
            waker: Mutex::new(None),
            grace_end: OnceLock::new(),
            grace_unkept: AtomicBool::new(false),
        }
    }

    /// Whether a child run's nodes could not be given this run's grace (see
    /// [`RunShared::note_grace_unkept`](super::RunShared::note_grace_unkept)).
    #[cold]
    pub(crate) fn grace_unkept(&self) -> bool {
        self.grace_unkept.load(Ordering::Relaxed)
    }

    /// Notes that the run stops with a grace ending at `end` (before it cancels).
    #[cold]
    pub(crate) fn set_grace_end(&self, end: Instant) {
        let _ = self.grace_end.set(end);
    }

    /// The run's token, made now if nobody asked for it before.
    pub(crate) fn token(&self) -> &CancellationToken {
        if let Some(token) = self.token.get() {
            return token;
        }
        self.make_token()
    }

    #[cold]
    fn make_token(&self) -> &CancellationToken {
        let token = self.token.get_or_init(CancellationToken::new);
        // Pairs with the fence in `cancel`: either it sees the token, or this sees
        // `stopped`.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.stopped.load(Ordering::Relaxed) {
            token.cancel();
        }
        // The run may be waiting without a token to watch: it watches this one now.
        if let Some(waker) = lock(&self.waker).take() {
            waker.wake();
        }
        token
    }

    /// The token, if any; if none, `waker` is woken when one is made.
    pub(crate) fn watch(&self, waker: &Waker) -> Option<&CancellationToken> {
        if let Some(token) = self.token.get() {
            return Some(token);
        }
        let mut slot = lock(&self.waker);
        // Looked at again under the slot's lock, which the token's maker takes after
        // making it: either the maker finds this waker, or this finds its token and
        // leaves no waker behind. (Stored, then looked at, a token made in between
        // left the waker in the slot for the run's life: a spawned nodes' outcome
        // queue, the waker a run leaves here, holds the run's shared state, and the
        // cycle kept the run's tasks counted live, so `Runtime::shutdown` waited for
        // them forever.)
        if let Some(token) = self.token.get() {
            return Some(token);
        }
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
        None
    }

    /// Takes out the waker [`watch`](Self::watch) left, if any: the run ended, and a
    /// waker may hold what holds this (a spawned nodes' outcome queue does).
    pub(crate) fn unwatch(&self) {
        let waker = lock(&self.waker).take();
        drop(waker);
    }

    /// Whether the run was cancelled. Without a token, no lock.
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.stopped.load(Ordering::Relaxed) || self.token.get().is_some_and(|t| t.is_cancelled())
    }

    /// Cancels the run: its token, and any token made later.
    #[inline]
    pub(crate) fn cancel(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::SeqCst);
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }

    /// [`cancel`](Self::cancel), for a run whose shared state nobody else holds (nor can
    /// reach any more): no token can be made concurrently, so there is nothing for
    /// `cancel`'s fence to order.
    #[inline]
    pub(crate) fn cancel_unshared(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }

    /// A token cancelled with the run's (which is made now if it does not exist yet).
    pub(crate) fn child_token(&self) -> CancellationToken {
        self.token().child_token()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A waker that wakes no one: what counts is how many hold it.
    struct Nothing;

    impl std::task::Wake for Nothing {
        fn wake(self: Arc<Self>) {}
    }

    /// A token made while the run registers its waker to wait for one: whichever way
    /// the two interleave, no waker is left in the slot (it would be kept for the
    /// run's life, and a spawned nodes' outcome queue, the waker a run registers there,
    /// holds the run's shared state: a cycle that kept the run's tasks counted live on
    /// the runtime, and `Runtime::shutdown` waited for them forever).
    #[test]
    fn a_token_made_while_the_run_starts_watching_leaves_no_waker_behind() {
        for round in 0..5_000 {
            let cancel = RunCancel::new(None);
            let counted = Arc::new(Nothing);
            let waker = Waker::from(Arc::clone(&counted));
            let start = std::sync::Barrier::new(2);
            let watched = std::thread::scope(|s| {
                let maker = s.spawn(|| {
                    start.wait();
                    cancel.token();
                });
                start.wait();
                let watched = cancel.watch(&waker).is_some();
                maker.join().unwrap();
                watched
            });
            if watched {
                assert!(
                    lock(&cancel.waker).is_none(),
                    "round {round}: the token was there, and the run's waker stayed"
                );
            }
            drop(waker);
            drop(cancel);
            assert_eq!(Arc::strong_count(&counted), 1, "round {round}");
        }
    }
}
