//! How long a durable call waits for its store to answer
//! ([`RuntimeBuilder::store_timeout`](crate::RuntimeBuilder::store_timeout)): each
//! answer the call waits for (creating, reading, claiming, loading the run before it;
//! its recorder's records and lease renewals, and its end, after it) ends, at the latest,
//! when the limit is up after the wait began, as a [`StoreError::NoAnswer`] naming the
//! operation and the run.
//!
//! The limit is real time, kept by one thread for the whole process ([`watch`]), not by
//! tokio's timer. A tokio timer would move a paused clock (the way this crate's tests
//! are written): a store answering from a thread of its own (SQLite's writer) or a socket
//! (Postgres) leaves no task ready while it works, so tokio jumps its paused clock to
//! the next timer, which would have been the limit, on every call (robust44's limit did
//! that, and was taken back). With the limit kept off tokio's clock, a paused test's
//! time does not move while the store works, and a store that never answers still ends
//! the call, after the limit in real time.
//!
//! A store's answer ready when first asked for (the memory store's) never starts the
//! limit: a wait costs nothing until the store makes it wait.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use crate::runtime::DurableConfig;
use crate::store::{NodePath, RunId, StoreError};

/// How long each of a durable call's waits on its store may take (`None`: for ever).
#[derive(Debug, Clone, Copy)]
pub(super) struct AnswerLimit(Option<Duration>);

/// What a call waiting for its store waited for: the operation, the run, the node.
pub(super) type Waited = (&'static str, Option<RunId>, Option<NodePath>);

impl AnswerLimit {
    /// The limit of a runtime's durable calls.
    pub(super) fn of(cfg: &DurableConfig) -> Self {
        Self(cfg.store_timeout)
    }

    /// The store's `answer` to `operation` (about `run`), or its silence once the limit
    /// passed.
    pub(super) async fn answer<T>(
        &self,
        operation: &'static str,
        run: Option<RunId>,
        answer: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.wait(answer, || (operation, run, None)).await?
    }

    /// `done`, or, once the limit passed since it was first polled and found pending,
    /// the store's silence about what `waited` says. `done` is polled first, each time:
    /// an answer that is ready is never cut.
    pub(super) async fn wait<T>(
        &self,
        done: impl Future<Output = T>,
        waited: impl FnOnce() -> Waited,
    ) -> Result<T, StoreError> {
        let Some(limit) = self.0 else {
            return Ok(done.await);
        };
        let mut done = pin!(done);
        // Started when the answer is first found pending; `Some(None)`: no limit after
        // all (past what an `Instant` holds).
        let mut timer: Option<Option<watch::Timer>> = None;
        let mut waited = Some(waited);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(value) = done.as_mut().poll(cx) {
                return Poll::Ready(Ok(value));
            }
            let started = timer.get_or_insert_with(|| watch::Timer::start(limit));
            if !started.as_ref().is_some_and(|t| t.fired(cx.waker())) {
                return Poll::Pending;
            }
            let (operation, run, node) = waited.take().map_or(("", None, None), |w| w());
            Poll::Ready(Err(StoreError::NoAnswer {
                operation,
                run,
                node,
                limit,
            }))
        })
        .await
    }
}

/// The one thread that keeps the limits of every durable call of the process, in real
/// time: it sleeps until the earliest, marks it fired and wakes its call. Started with
/// the first wait that needs it; a limit that ends (its call got its answer) is removed
/// at once, so it holds only the waits under way.
mod watch {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Condvar, Mutex, OnceLock};
    use std::task::Waker;
    use std::time::{Duration, Instant};

    use futures::task::AtomicWaker;

    use crate::sync::lock;

    /// One limit: fired once it is up; its call's waker.
    #[derive(Default)]
    struct Entry {
        fired: AtomicBool,
        waker: AtomicWaker,
    }

    /// The limits under way, by when they are up (and a number, to tell equal times
    /// apart).
    #[derive(Default)]
    struct Limits {
        by_time: BTreeMap<(Instant, u64), Arc<Entry>>,
        next: u64,
        /// When the thread looks at the limits next by itself (`None`: only when told).
        /// A limit due before that tells it; others do not, so calls whose limits are
        /// added and removed one after another (each answered in time) wake the thread
        /// about once per limit's length, not once each.
        looks_at: Option<Instant>,
    }

    struct Watch {
        limits: Mutex<Limits>,
        /// Told when a limit earlier than all others is added.
        earlier: Condvar,
    }

    /// The process's watch, its thread started on first use; `None` if the thread could
    /// not be started (then the limit is not kept: the call waits as before).
    fn watch() -> Option<&'static Watch> {
        static WATCH: OnceLock<Option<&'static Watch>> = OnceLock::new();
        *WATCH.get_or_init(|| {
            let watch: &'static Watch = Box::leak(Box::new(Watch {
                limits: Mutex::default(),
                earlier: Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("workflow-store-limits".into())
                .spawn(move || watch.run())
                .ok()
                .map(|_| watch)
        })
    }

    impl Watch {
        fn run(&self) {
            let mut due = Vec::new();
            loop {
                let mut limits = lock(&self.limits);
                loop {
                    let now = Instant::now();
                    while let Some(entry) = limits.by_time.first_entry() {
                        if entry.key().0 > now {
                            break;
                        }
                        let entry = entry.remove();
                        entry.fired.store(true, Ordering::SeqCst);
                        due.push(entry);
                    }
                    if !due.is_empty() {
                        break;
                    }
                    let next = limits.by_time.first_key_value().map(|(&(at, _), _)| at);
                    limits.looks_at = next;
                    limits = match next {
                        None => self
                            .earlier
                            .wait(limits)
                            .unwrap_or_else(std::sync::PoisonError::into_inner),
                        Some(at) => {
                            self.earlier
                                .wait_timeout(limits, at.saturating_duration_since(now))
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .0
                        }
                    };
                }
                // Woken without the lock: a waker may run code that removes a limit.
                drop(limits);
                for entry in due.drain(..) {
                    entry.waker.wake();
                }
            }
        }
    }

    /// A call's limit, removed from the watch when dropped.
    pub(super) struct Timer {
        key: (Instant, u64),
        entry: Arc<Entry>,
        watch: &'static Watch,
    }

    impl Timer {
        /// A limit `limit` from now; `None` when that is past what an `Instant` holds
        /// (`Duration::MAX`: no limit), or the watch could not start.
        pub(super) fn start(limit: Duration) -> Option<Self> {
            let at = Instant::now().checked_add(limit)?;
            let watch = watch()?;
            let entry = Arc::new(Entry::default());
            let mut limits = lock(&watch.limits);
            let key = (at, limits.next);
            limits.next += 1;
            limits.by_time.insert(key, Arc::clone(&entry));
            let tell = limits.looks_at.is_none_or(|looks| at < looks);
            if tell {
                limits.looks_at = Some(at);
            }
            drop(limits);
            if tell {
                watch.earlier.notify_one();
            }
            Some(Self { key, entry, watch })
        }

        /// Whether the limit is up; if not, `waker` is woken when it is.
        pub(super) fn fired(&self, waker: &Waker) -> bool {
            if self.entry.fired.load(Ordering::SeqCst) {
                return true;
            }
            self.entry.waker.register(waker);
            self.entry.fired.load(Ordering::SeqCst)
        }
    }

    impl Drop for Timer {
        fn drop(&mut self) {
            if !self.entry.fired.load(Ordering::SeqCst) {
                lock(&self.watch.limits).by_time.remove(&self.key);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// A limit is kept in real time by the watch's thread, and one dropped before it
        /// is up is removed.
        #[test]
        fn a_limit_fires_after_its_time_and_a_dropped_one_is_forgotten() {
            struct Flag(std::sync::atomic::AtomicBool);
            impl std::task::Wake for Flag {
                fn wake(self: Arc<Self>) {
                    self.0.store(true, Ordering::SeqCst);
                }
            }
            let flag = Arc::new(Flag(AtomicBool::new(false)));
            let waker = Waker::from(Arc::clone(&flag));
            let dropped = Timer::start(Duration::from_secs(3600)).unwrap();
            let key = dropped.key;
            drop(dropped);
            assert!(!lock(&watch().unwrap().limits).by_time.contains_key(&key));
            let began = Instant::now();
            let timer = Timer::start(Duration::from_millis(50)).unwrap();
            assert!(!timer.fired(&waker));
            while !flag.0.load(Ordering::SeqCst) {
                assert!(began.elapsed() < Duration::from_secs(30), "never fired");
                std::thread::sleep(Duration::from_millis(5));
            }
            assert!(timer.fired(&waker));
            assert!(began.elapsed() >= Duration::from_millis(50));
            assert!(Timer::start(Duration::MAX).is_none());
        }
    }
}
