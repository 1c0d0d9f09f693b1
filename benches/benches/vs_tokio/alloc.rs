//! A counting global allocator, switched on only around the allocation measurement.
//!
//! `unsafe` is unavoidable here: `GlobalAlloc` is an unsafe trait (the workspace lint
//! is `unsafe_code = "deny"`; this module alone of the benchmarks allows it). It only
//! forwards every call to `System` unchanged and bumps relaxed atomic counters while
//! counting is on; it never touches the memory it hands out. When counting is off (all
//! timing benchmarks), the only extra work is one relaxed load of a flag that no
//! thread writes, so the timed code is not slowed by cache-line contention.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

pub(crate) struct Counting;

static ON: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// The sizes of the first [`LOGGED`] allocations while counting (0: none).
static SIZES: [AtomicUsize; LOGGED] = [const { AtomicUsize::new(0) }; LOGGED];
const LOGGED: usize = 32;

fn on_alloc(size: usize) {
    if ON.load(Relaxed) {
        let n = ALLOCS.fetch_add(1, Relaxed);
        if let Some(slot) = SIZES.get(n) {
            slot.store(size, Relaxed);
        }
        let live = LIVE.fetch_add(size, Relaxed) + size;
        PEAK.fetch_max(live, Relaxed);
    }
}

fn on_dealloc(size: usize) {
    if ON.load(Relaxed) {
        // Saturating: blocks allocated before counting started may be freed now.
        let _ = LIVE.fetch_update(Relaxed, Relaxed, |l| Some(l.saturating_sub(size)));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees carry over; the counters have no effect on the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size());
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        on_dealloc(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        on_dealloc(layout.size());
        on_alloc(new_size);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// What one counted section allocated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counts {
    /// Number of allocations (a `realloc` counts as one).
    pub(crate) allocs: usize,
    /// Peak bytes live at once, counted from the start of the section.
    pub(crate) peak_bytes: usize,
}

/// Counts allocations made while `f` runs. Call from one place at a time.
pub(crate) fn count<T>(f: impl FnOnce() -> T) -> (T, Counts) {
    ALLOCS.store(0, Relaxed);
    LIVE.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    for s in &SIZES {
        s.store(0, Relaxed);
    }
    ON.store(true, Relaxed);
    let out = f();
    ON.store(false, Relaxed);
    (
        out,
        Counts {
            allocs: ALLOCS.load(Relaxed),
            peak_bytes: PEAK.load(Relaxed),
        },
    )
}

/// The sizes of the first allocations of the last counted section, in order.
#[allow(dead_code)] // `fanout` includes this module without using it
pub(crate) fn first_sizes() -> Vec<usize> {
    SIZES
        .iter()
        .map(|s| s.load(Relaxed))
        .take_while(|&s| s != 0)
        .collect()
}

/// The process's peak resident set size (`VmHWM`), in KiB, where `/proc` has it.
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
