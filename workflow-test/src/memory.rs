//! Memory probes: a counting global allocator and measurements of what a block (or each
//! of many repeated runs) allocated and kept.
//!
//! # Why this module has `unsafe`
//!
//! Counting allocations needs a [`GlobalAlloc`], and implementing that trait is `unsafe`
//! by definition (the allocator promises to return valid memory). Ours does no memory
//! management of its own: each method forwards its arguments unchanged to the wrapped
//! allocator (the system allocator by default) and only then bumps atomic counters, so
//! the wrapped allocator's guarantees carry over. The counters are plain atomics and a
//! `const`-initialized thread-local `Cell<usize>` without destructor, so counting never
//! allocates and never re-enters the allocator. This is the only module of
//! `workflow-test` allowed to use `unsafe` (the benchmarks have a counting allocator of
//! their own, `benches/benches/vs_tokio/alloc.rs`).
//!
//! # Attribution
//!
//! Tests of one binary run in parallel, so process-wide counters would mix their
//! allocations. Each thread can carry a *slot* (one of 64 sets of counters): a
//! `#[workflow_test]` claims one for its body thread and every thread of its runtime, so
//! a probe in that test sees exactly that test's allocations. Outside a
//! `#[workflow_test]`, a [`MemoryProbe`] claims a slot for the current thread only.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering::Relaxed};

const SLOTS: usize = 64;
const NO_SLOT: usize = usize::MAX;

struct Counters {
    allocations: AtomicU64,
    deallocations: AtomicU64,
    allocated: AtomicU64,
    freed: AtomicU64,
    live: AtomicI64,
    peak: AtomicI64,
    /// The largest single allocation since the last reset.
    largest: AtomicU64,
}

impl Counters {
    const fn new() -> Self {
        Self {
            allocations: AtomicU64::new(0),
            deallocations: AtomicU64::new(0),
            allocated: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            live: AtomicI64::new(0),
            peak: AtomicI64::new(0),
            largest: AtomicU64::new(0),
        }
    }

    #[inline]
    fn on_alloc(&self, size: usize) {
        self.allocations.fetch_add(1, Relaxed);
        self.allocated.fetch_add(size as u64, Relaxed);
        let live = self.live.fetch_add(size as i64, Relaxed) + size as i64;
        self.peak.fetch_max(live, Relaxed);
        self.largest.fetch_max(size as u64, Relaxed);
    }

    #[inline]
    fn on_free(&self, size: usize) {
        self.deallocations.fetch_add(1, Relaxed);
        self.freed.fetch_add(size as u64, Relaxed);
        self.live.fetch_sub(size as i64, Relaxed);
    }

    fn read(&self) -> Reading {
        Reading {
            allocations: self.allocations.load(Relaxed),
            deallocations: self.deallocations.load(Relaxed),
            allocated: self.allocated.load(Relaxed),
            freed: self.freed.load(Relaxed),
            live: self.live.load(Relaxed),
        }
    }
}

static INSTALLED: AtomicBool = AtomicBool::new(false);
static PROCESS: Counters = Counters::new();
static SLOT_COUNTERS: [Counters; SLOTS] = [const { Counters::new() }; SLOTS];
static SLOT_TAKEN: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
/// Bumped each time a slot is released, so threads that still carry it (a finished
/// test's runtime shutting down in the background, its body thread exiting) stop
/// counting toward it, and never toward the next test that claims it.
static SLOT_EPOCH: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];

thread_local! {
    /// The slot this thread's allocations count toward, with the slot's epoch then.
    static SLOT: Cell<(usize, usize)> = const { Cell::new((NO_SLOT, 0)) };
}

#[inline]
fn mark_installed() {
    if !INSTALLED.load(Relaxed) {
        INSTALLED.store(true, Relaxed);
    }
}

#[inline]
fn current_slot() -> usize {
    match SLOT.try_with(Cell::get) {
        Ok((slot, epoch)) if slot < SLOTS && SLOT_EPOCH[slot].load(Relaxed) == epoch => slot,
        _ => NO_SLOT,
    }
}

#[inline]
fn count_alloc(size: usize) {
    PROCESS.on_alloc(size);
    if let Some(c) = SLOT_COUNTERS.get(current_slot()) {
        c.on_alloc(size);
    }
}

#[inline]
fn count_free(size: usize) {
    PROCESS.on_free(size);
    if let Some(c) = SLOT_COUNTERS.get(current_slot()) {
        c.on_free(size);
    }
}

/// A global allocator that counts allocations and live bytes, for [`MemoryProbe`] and
/// [`Harness::memory_growth`](crate::Harness::memory_growth). Install it in the test
/// binary that measures memory, written as `std::alloc::System` is:
///
/// ```
/// use workflow_test::CountingAllocator;
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator;
/// # fn main() { assert!(CountingAllocator::is_installed()); }
/// ```
///
/// The value `CountingAllocator` is [a constant](const@CountingAllocator) of the same
/// name, the same as [`CountingAllocator::system()`]. The allocator forwards every call
/// to the wrapped allocator (the system allocator, or another one with
/// [`CountingAllocator::new`]) and adds a few relaxed atomic increments.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAllocator<A = System> {
    inner: A,
}

/// The counting allocator on top of the system allocator, so that it is installed as
/// `std::alloc::System` is, `static ALLOC: CountingAllocator = CountingAllocator;` (the
/// struct has a field, the wrapped allocator, so its name alone is no value; this
/// constant, in the value namespace, is). The same as [`CountingAllocator::system()`].
///
/// ```
/// use workflow_test::CountingAllocator;
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator;
/// # fn main() { assert!(CountingAllocator::is_installed()); }
/// ```
#[allow(non_upper_case_globals)] // named as the type, as a unit struct's value is
pub const CountingAllocator: CountingAllocator = CountingAllocator::system();

impl CountingAllocator<System> {
    /// Counts on top of the system allocator: the value of the constant
    /// [`CountingAllocator`](const@CountingAllocator), spelled as a call (either
    /// spelling installs the same allocator).
    ///
    /// ```
    /// #[global_allocator]
    /// static ALLOC: workflow_test::CountingAllocator = workflow_test::CountingAllocator::system();
    /// # fn main() { assert!(workflow_test::CountingAllocator::is_installed()); }
    /// ```
    pub const fn system() -> Self {
        Self { inner: System }
    }
}

impl<A> CountingAllocator<A> {
    /// Counts on top of `inner`.
    pub const fn new(inner: A) -> Self {
        Self { inner }
    }
}

impl CountingAllocator {
    /// Whether a `CountingAllocator` is this process's global allocator.
    pub fn is_installed() -> bool {
        INSTALLED.load(Relaxed)
    }
}

// SAFETY: every method forwards its arguments unchanged to `self.inner`, a `GlobalAlloc`
// whose contract the caller upholds for us, and returns its result unchanged; the
// counting around it only touches atomics and a destructor-free thread-local, which
// neither allocate nor unwind.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAllocator<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller guarantees `layout` has a non-zero size.
        let ptr = unsafe { self.inner.alloc(layout) };
        if !ptr.is_null() {
            mark_installed();
            count_alloc(layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        if !ptr.is_null() {
            mark_installed();
            count_alloc(layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; the caller guarantees `ptr` came from this allocator
        // (hence from `inner`) with this `layout`.
        unsafe { self.inner.dealloc(ptr, layout) };
        count_free(layout.size());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `realloc`'s contract for `inner`.
        let new = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count_free(layout.size());
            count_alloc(new_size);
        }
        new
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Reading {
    allocations: u64,
    deallocations: u64,
    allocated: u64,
    freed: u64,
    live: i64,
}

/// A claimed slot, released on drop.
#[derive(Debug)]
pub(crate) struct SlotGuard {
    slot: usize,
    epoch: usize,
}

impl SlotGuard {
    /// Claims a free slot, or `None` when all are taken.
    pub(crate) fn claim() -> Option<Self> {
        (0..SLOTS).find_map(|i| {
            SLOT_TAKEN[i]
                .compare_exchange(false, true, Relaxed, Relaxed)
                .ok()
                .map(|_| {
                    let c = &SLOT_COUNTERS[i];
                    for a in [&c.allocations, &c.deallocations, &c.allocated, &c.freed] {
                        a.store(0, Relaxed);
                    }
                    c.live.store(0, Relaxed);
                    c.peak.store(0, Relaxed);
                    c.largest.store(0, Relaxed);
                    Self {
                        slot: i,
                        epoch: SLOT_EPOCH[i].load(Relaxed),
                    }
                })
        })
    }

    /// The slot and its epoch, for [`enter_slot`].
    pub(crate) fn id(&self) -> (usize, usize) {
        (self.slot, self.epoch)
    }

    /// Keeps the slot claimed forever (for a test thread that may still run).
    pub(crate) fn leak(self) {
        std::mem::forget(self);
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        // Threads still carrying this slot stop counting before anyone can reuse it.
        SLOT_EPOCH[self.slot].fetch_add(1, Relaxed);
        SLOT_TAKEN[self.slot].store(false, Relaxed);
    }
}

/// Makes this thread's allocations count toward `slot` (an id from [`SlotGuard::id`])
/// while that claim lasts.
pub(crate) fn enter_slot(slot: (usize, usize)) {
    let _ = SLOT.try_with(|s| s.set(slot));
}

/// What was allocated and freed between two points, as seen by a [`MemoryProbe`].
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryStats {
    /// Allocations made (a `realloc` counts as one allocation and one deallocation).
    pub allocations: u64,
    /// Deallocations made.
    pub deallocations: u64,
    /// Bytes allocated.
    pub allocated_bytes: u64,
    /// Bytes freed.
    pub freed_bytes: u64,
    /// Bytes still allocated at the end that were not at the start (negative when more
    /// was freed than allocated).
    pub net_bytes: i64,
    /// The most bytes live at once above the start.
    pub peak_bytes: i64,
    /// The size of the largest single allocation (a `realloc`'s new size counts), in
    /// bytes: whether a value stays within an allocator's size class, such as the 1,032
    /// bytes glibc's per-thread cache serves.
    pub largest_allocation: u64,
}

impl fmt::Display for MemoryStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} allocations ({} bytes, the largest {}), {} deallocations ({} bytes), net {:+} bytes, peak {} bytes",
            self.allocations,
            self.allocated_bytes,
            self.largest_allocation,
            self.deallocations,
            self.freed_bytes,
            self.net_bytes,
            self.peak_bytes
        )
    }
}

/// Measures allocations from now on: on the threads of the running `#[workflow_test]`,
/// or on the current thread elsewhere.
///
/// Needs [`CountingAllocator`](struct@CountingAllocator) as the global allocator;
/// without it every count is zero (check [`CountingAllocator::is_installed`]).
///
/// # Examples
///
/// ```
/// use workflow_test::{CountingAllocator, MemoryProbe};
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator;
///
/// # fn main() {
/// let probe = MemoryProbe::start();
/// let kept = vec![0u8; 4096];
/// let dropped = vec![0u8; 1024];
/// drop(dropped);
/// let stats = probe.stats();
/// assert_eq!(stats.allocations, 2);
/// assert_eq!(stats.net_bytes, 4096);
/// assert_eq!(stats.peak_bytes, 5120);
/// assert_eq!(stats.largest_allocation, 4096);
/// # drop(kept);
/// # }
/// ```
#[derive(Debug)]
pub struct MemoryProbe {
    slot: usize,
    start: Reading,
    peak_base: i64,
    /// A slot claimed for this thread only, released (and the thread reset) on drop.
    own: Option<SlotGuard>,
}

impl MemoryProbe {
    /// Starts measuring.
    pub fn start() -> Self {
        let mut own = None;
        let mut slot = current_slot();
        if slot == NO_SLOT {
            if let Some(guard) = SlotGuard::claim() {
                slot = guard.id().0;
                enter_slot(guard.id());
                own = Some(guard);
            }
        }
        let counters = SLOT_COUNTERS.get(slot).unwrap_or(&PROCESS);
        let start = counters.read();
        // Peak and largest are tracked per slot; restart them from now.
        counters.peak.store(start.live, Relaxed);
        counters.largest.store(0, Relaxed);
        Self {
            slot,
            start,
            peak_base: start.live,
            own,
        }
    }

    /// What happened since [`MemoryProbe::start`].
    pub fn stats(&self) -> MemoryStats {
        let counters = SLOT_COUNTERS.get(self.slot).unwrap_or(&PROCESS);
        let now = counters.read();
        MemoryStats {
            allocations: now.allocations - self.start.allocations,
            deallocations: now.deallocations - self.start.deallocations,
            allocated_bytes: now.allocated - self.start.allocated,
            freed_bytes: now.freed - self.start.freed,
            net_bytes: now.live - self.start.live,
            peak_bytes: counters.peak.load(Relaxed) - self.peak_base,
            largest_allocation: counters.largest.load(Relaxed),
        }
    }

    /// Whether this probe counts only this test's threads (not the whole process, as
    /// happens when all 64 slots are taken).
    pub fn is_isolated(&self) -> bool {
        self.slot != NO_SLOT
    }
}

impl Drop for MemoryProbe {
    fn drop(&mut self) {
        if self.own.is_some() {
            enter_slot((NO_SLOT, 0));
        }
    }
}

/// Runs `fut` and returns its output with what it allocated.
///
/// # Examples
///
/// ```
/// use workflow_test::{measure, CountingAllocator};
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator;
///
/// # fn main() {
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (len, stats) = measure(async { vec![1u64; 1000].len() }).await;
/// assert_eq!(len, 1000);
/// assert_eq!(stats.allocated_bytes, 8000);
/// assert_eq!(stats.net_bytes, 0);
/// # });
/// # }
/// ```
pub async fn measure<F: Future>(fut: F) -> (F::Output, MemoryStats) {
    let probe = MemoryProbe::start();
    let out = fut.await;
    let stats = probe.stats();
    (out, stats)
}

#[track_caller]
fn require_installed() {
    if !CountingAllocator::is_installed() {
        panic!(
            "memory is not being counted: install the counting allocator in this test binary with\n    \
             #[global_allocator]\n    \
             static ALLOC: workflow_test::CountingAllocator = workflow_test::CountingAllocator;"
        );
    }
}

impl crate::Harness {
    /// Runs `f` a few times to warm up, then `iterations` times, and reports how many
    /// live bytes the measured iterations kept (see [`MemoryGrowth`]). While measuring,
    /// the harness counts runs but does not keep their records, so its own bookkeeping
    /// does not look like growth.
    ///
    /// `iterations` of 0 runs the warm-up only and reports an empty growth (nothing kept);
    /// a huge count (`usize::MAX`) runs until the check is dropped, as under a
    /// `tokio::time::timeout`.
    ///
    /// # Panics
    ///
    /// When [`CountingAllocator`](struct@CountingAllocator) is not the global allocator.
    ///
    /// # Examples
    ///
    /// The guide's memory test: repeated runs of a workflow that builds a large value do
    /// not grow memory.
    ///
    /// ```
    /// use workflow_core::prelude::*;
    /// use workflow_test::{CountingAllocator, Harness};
    ///
    /// #[global_allocator]
    /// static ALLOC: CountingAllocator = CountingAllocator;
    ///
    /// #[node]
    /// async fn generate_data() -> (usize, f64) {
    ///     let data = vec![0.5f64; 1_000_000]; // ~8MB, dropped at the end
    ///     (data.len(), data.iter().sum::<f64>() / data.len() as f64)
    /// }
    ///
    /// workflow! {
    ///     struct MemoryTest {
    ///         stats = generate_data(),
    ///     }
    /// }
    ///
    /// # fn main() {
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// let growth = h.memory_growth(10, || h.execute(MemoryTest, MemoryTestInput {})).await;
    /// assert!(growth.total_bytes() < 10 * 1024 * 1024, "{growth}");
    /// assert!(growth.allocated_bytes >= 10 * 8_000_000, "{growth}");
    /// h.assert_no_memory_growth(10, 1024, || h.execute(MemoryTest, MemoryTestInput {})).await;
    /// # });
    /// # }
    /// ```
    ///
    /// `memory_growth` is a plain fn returning a [`MemoryCheck`] rather than an `async fn`,
    /// so that an `f` that is not a closure (`h.execute(..)` or `async { .. }` itself,
    /// which can run only once) is one error, at that argument, saying to write
    /// `|| h.execute(..)` (an `async fn` repeats its bounds at the call and its `.await`).
    /// The check is `Send` when `f` and its futures are, so it can be spawned.
    #[track_caller]
    pub fn memory_growth<'a, F, Fut>(&'a self, iterations: usize, f: F) -> MemoryCheck<'a, F, Fut>
    where
        F: RepeatFn<Future = Fut> + 'a,
    {
        require_installed();
        MemoryCheck::new(self, iterations, f, None)
    }

    /// Asserts that `iterations` runs of `f` (after a warm-up) kept at most `max_bytes`
    /// live bytes together (see [`Harness::memory_growth`](crate::Harness::memory_growth)).
    ///
    /// # Panics
    ///
    /// When they kept more, with the live bytes after each iteration; or when
    /// [`CountingAllocator`](struct@CountingAllocator) is not the global allocator.
    #[track_caller]
    pub fn assert_no_memory_growth<'a, F, Fut>(
        &'a self,
        iterations: usize,
        max_bytes: u64,
        f: F,
    ) -> MemoryCheck<'a, F, Fut>
    where
        F: RepeatFn<Future = Fut> + 'a,
    {
        require_installed();
        let caller = std::panic::Location::caller();
        MemoryCheck::new(self, iterations, f, Some((max_bytes, caller)))
    }
}

/// The future of [`Harness::memory_growth`](crate::Harness::memory_growth) and
/// [`Harness::assert_no_memory_growth`](crate::Harness::assert_no_memory_growth): runs
/// the check when awaited, giving its [`MemoryGrowth`].
///
/// It is `Send` when the closure and the futures it returns are (as `|| h.execute(..)`
/// is), so a check can run in a task of its own. (A hand-written future rather than an
/// `async` block in a box: a boxed `dyn Future` is `Send` only if every check's
/// closure is required to be, and an `async fn` would repeat a wrong argument's error
/// at the `.await`.) Its counts are those of the threads of the running
/// `#[workflow_test]`, or of the thread that polls it after the warm-up elsewhere (see
/// [`MemoryProbe`]).
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
/// use workflow_test::{CountingAllocator, Harness};
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator;
///
/// #[node]
/// async fn double(x: u32) -> u32 { x * 2 }
///
/// workflow! { struct Twice { input x: u32, y = double(x), } }
///
/// # fn main() {
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let h = Harness::new();
/// let check = tokio::spawn(async move {
///     h.memory_growth(10, || h.execute(Twice, TwiceInput { x: 1 })).await
/// });
/// let growth = check.await.unwrap();
/// assert_eq!(growth.after_each.len(), 10);
/// # });
/// # }
/// ```
#[must_use = "a memory check does nothing unless `.await`ed"]
pub struct MemoryCheck<'a, F, Fut> {
    harness: &'a crate::Harness,
    /// Boxed (once, before anything is measured) so that the check is `Unpin` whatever
    /// the closure captures: polled through `&mut self`, without `unsafe` projections.
    f: Box<F>,
    /// The iteration in flight, in a box made once: no iteration allocates for it.
    current: Pin<Box<Option<Fut>>>,
    iterations: usize,
    /// Iterations finished, the warm-up ones included.
    finished: usize,
    /// Whether the harness kept run records before the check (restored at its end), once
    /// it started.
    keep: Option<bool>,
    after_each: Vec<i64>,
    probe: Option<MemoryProbe>,
    /// `assert_no_memory_growth`'s limit and caller.
    limit: Option<(u64, &'static std::panic::Location<'static>)>,
    /// Whether it was ever polled: an assertion dropped unpolled panics (see `Drop`).
    polled: bool,
}

/// Iterations run before measuring.
const WARMUP: usize = 2;

impl<'a, F, Fut> MemoryCheck<'a, F, Fut> {
    fn new(
        harness: &'a crate::Harness,
        iterations: usize,
        f: F,
        limit: Option<(u64, &'static std::panic::Location<'static>)>,
    ) -> Self {
        Self {
            harness,
            f: Box::new(f),
            current: Box::pin(None),
            iterations,
            finished: 0,
            keep: None,
            after_each: Vec::new(),
            probe: None,
            limit,
            polled: false,
        }
    }
}

// (`Fut` its own parameter, not `F::Future`: a wrong `f` is then one error, at it, and
// none at the `.await`.)
impl<F: RepeatFn<Future = Fut>, Fut: Future> Future for MemoryCheck<'_, F, Fut> {
    type Output = MemoryGrowth;

    fn poll(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<MemoryGrowth> {
        let this = self.get_mut();
        this.polled = true;
        let inner = &this.harness.inner;
        if this.keep.is_none() {
            // While measuring, the harness counts runs but does not keep their records,
            // so its own bookkeeping does not look like growth.
            this.keep = Some(inner.keep_records.swap(false, Relaxed));
            // Reserved before measuring, so pushing allocates nothing. A count too large
            // to reserve (`usize::MAX` would panic `with_capacity`) gets a first part;
            // its later pushes, if it ever gets there, are counted like a run's.
            if this.after_each.try_reserve_exact(this.iterations).is_err() {
                this.after_each.reserve_exact(1 << 16);
            }
        }
        loop {
            if let Some(iteration) = this.current.as_mut().as_pin_mut() {
                let out = std::task::ready!(iteration.poll(cx));
                drop(out);
                this.current.set(None);
                this.finished += 1;
                if let Some(probe) = &this.probe {
                    // No allocation: the capacity is reserved.
                    this.after_each.push(probe.stats().net_bytes);
                }
            }
            if this.finished == WARMUP && this.probe.is_none() {
                this.probe = Some(MemoryProbe::start());
            }
            if this.finished == WARMUP.saturating_add(this.iterations) {
                break;
            }
            this.current.set(Some(this.f.call_again()));
        }
        let stats = this.probe.take().map(|p| p.stats()).unwrap_or_default();
        inner
            .keep_records
            .store(this.keep.take().unwrap_or(true), Relaxed);
        let growth = MemoryGrowth {
            warmup: WARMUP,
            after_each: std::mem::take(&mut this.after_each),
            allocations: stats.allocations,
            allocated_bytes: stats.allocated_bytes,
        };
        if let Some((max_bytes, caller)) = this.limit {
            if growth.total_bytes() > i64::try_from(max_bytes).unwrap_or(i64::MAX) {
                this.harness.fail(format!(
                    "memory grew by {} bytes over {} runs (allowed: {max_bytes}; checked at {caller}):\n{growth}",
                    growth.total_bytes(),
                    this.iterations
                ));
            }
        }
        std::task::Poll::Ready(growth)
    }
}

impl<F, Fut> Drop for MemoryCheck<'_, F, Fut> {
    /// A check dropped before its end gives the harness back its run records.
    ///
    /// An `assert_no_memory_growth` dropped without ever being polled (its `.await`
    /// forgotten in a plain `#[tokio::test]`) panics: the test would otherwise pass
    /// without checking, with only rustc's `unused_must_use` warning. A `memory_growth`
    /// does not: its only effect is the [`MemoryGrowth`] it gives, so dropping it loses
    /// no assertion, and using that result without `.await` is already a compile error
    /// (`ResultNotAwaited`). A check polled once and then dropped (a timeout, a
    /// `select!`) was cancelled on purpose and does not panic either.
    fn drop(&mut self) {
        if let Some(keep) = self.keep.take() {
            self.harness.inner.keep_records.store(keep, Relaxed);
        }
        // Not while unwinding: a second panic would abort the test binary.
        if let (false, Some((_, caller))) = (self.polled, self.limit) {
            if !std::thread::panicking() {
                panic!(
                    "`assert_no_memory_growth(..)` at {caller} was never awaited, so nothing was checked: add `.await` (`h.assert_no_memory_growth(..).await;`)"
                );
            }
        }
    }
}

impl<F, Fut> fmt::Debug for MemoryCheck<'_, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCheck")
            .field("iterations", &self.iterations)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// What [`Harness::memory_growth`](crate::Harness::memory_growth) and
/// [`Harness::assert_no_memory_growth`](crate::Harness::assert_no_memory_growth) repeat:
/// a closure with no arguments that starts one run (or any future) each time it is
/// called, `|| h.execute(Etl, EtlInput { .. })`. Implemented for every
/// `FnMut() -> impl Future`; a future itself (`h.execute(..)`, `async { .. }`) can be
/// awaited only once, so it is not one, and passing it is a compile error that says to
/// wrap it in `|| ..`.
///
/// # Examples
///
/// ```
/// use workflow_test::RepeatFn;
///
/// fn twice<F: RepeatFn>(mut f: F) -> (F::Future, F::Future) {
///     (f.call_again(), f.call_again())
/// }
/// let (a, b) = twice(|| async { 1 });
/// # let _ = (a, b);
/// ```
#[diagnostic::on_unimplemented(
    message = "a memory check repeats a closure, not `{Self}`: write `|| ..` before it",
    label = "expected a closure that starts a run, like `|| h.execute(..)`",
    note = "the check calls the closure for each iteration (after 2 warm-up ones) and awaits the future it returns; a future itself can be awaited only once"
)]
pub trait RepeatFn {
    /// What one call returns.
    type Future: Future;
    /// Starts one more iteration.
    fn call_again(&mut self) -> Self::Future;
}

#[diagnostic::do_not_recommend]
impl<F: FnMut() -> Fut, Fut: Future> RepeatFn for F {
    type Future = Fut;
    fn call_again(&mut self) -> Fut {
        self()
    }
}

/// Live-memory growth over repeated runs (see [`Harness::memory_growth`](crate::Harness::memory_growth)).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryGrowth {
    /// Iterations run before measuring (to fill caches and pools).
    pub warmup: usize,
    /// Live bytes after each measured iteration, relative to before the first one.
    pub after_each: Vec<i64>,
    /// Allocations during the measured iterations.
    pub allocations: u64,
    /// Bytes allocated during the measured iterations.
    pub allocated_bytes: u64,
}

impl MemoryGrowth {
    /// Live bytes kept by all measured iterations together.
    pub fn total_bytes(&self) -> i64 {
        self.after_each.last().copied().unwrap_or(0)
    }

    /// Average bytes kept per iteration.
    pub fn per_iteration(&self) -> f64 {
        if self.after_each.is_empty() {
            0.0
        } else {
            self.total_bytes() as f64 / self.after_each.len() as f64
        }
    }
}

impl fmt::Display for MemoryGrowth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} iterations (after {} warm-up) kept {:+} bytes ({:+.1} per iteration; {} allocations, {} bytes allocated); live bytes after each: {:?}",
            self.after_each.len(),
            self.warmup,
            self.total_bytes(),
            self.per_iteration(),
            self.allocations,
            self.allocated_bytes,
            self.after_each
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_slot_no_longer_counts_for_threads_that_still_carry_it() {
        let guard = SlotGuard::claim().expect("a free slot");
        let id = guard.id();
        // A thread of the test that outlives the claim (like its runtime's workers
        // shutting down in the background after the test finished).
        let (entered_tx, entered_rx) = std::sync::mpsc::channel::<usize>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            enter_slot(id);
            entered_tx.send(current_slot()).unwrap();
            release_rx.recv().unwrap();
            current_slot()
        });
        assert_eq!(entered_rx.recv().unwrap(), id.0);
        drop(guard);
        release_tx.send(()).unwrap();
        let after = t.join().unwrap();
        assert_eq!(
            after, NO_SLOT,
            "a released slot must not count for old threads"
        );
    }
}
