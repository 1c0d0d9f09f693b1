//! Memory probes with the counting allocator: exact counts per test (tests run in
//! parallel), growth of repeated runs, and a leaking workflow caught.

use std::sync::Mutex;
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_test::{measure, workflow_test, CountingAllocator, Harness, MemoryProbe};

#[node]
async fn generate_data(size: usize) -> (usize, f64) {
    let data = vec![0.5f64; size];
    (data.len(), data.iter().sum::<f64>() / data.len() as f64)
}

workflow! {
    struct MemoryTest {
        input size: usize,
        stats = generate_data(size),
    }
}

#[node]
async fn nap() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

workflow! {
    struct Naps {
        napped = nap(),
    }
}

static KEPT: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

#[node]
async fn leaky(size: usize) -> usize {
    KEPT.lock().unwrap().push(vec![7u8; size]);
    size
}

workflow! {
    struct Leaky {
        input size: usize,
        kept = leaky(size),
    }
}

#[workflow_test(timeout = "30s")]
async fn counts_are_exact_and_per_test() {
    assert!(CountingAllocator::is_installed());
    // Other tests of this binary allocate concurrently; this test sees only its own.
    for _ in 0..20 {
        let probe = MemoryProbe::start();
        let kept = vec![1u8; 3000];
        let dropped = vec![2u8; 5000];
        drop(dropped);
        let stats = probe.stats();
        assert!(probe.is_isolated());
        assert_eq!(stats.allocations, 2, "{stats}");
        assert_eq!(stats.deallocations, 1, "{stats}");
        assert_eq!(stats.allocated_bytes, 8000, "{stats}");
        assert_eq!(stats.net_bytes, 3000, "{stats}");
        assert_eq!(stats.peak_bytes, 8000, "{stats}");
        drop(kept);
        tokio::task::yield_now().await;
    }
}

#[workflow_test(timeout = "30s", flavor = "multi_thread", workers = 2)]
async fn allocations_on_worker_threads_count_for_the_test() {
    let (kept, stats) =
        measure(async { tokio::spawn(async { vec![0u8; 100_000] }).await.unwrap() }).await;
    // Made on a worker thread, counted for this test. (Net bytes also see frees of
    // memory the runtime allocated before the probe started, so only the allocation
    // side is exact here.)
    assert!(stats.allocated_bytes >= 100_000, "{stats}");
    assert!(stats.allocations >= 1, "{stats}");
    drop(kept);
}

#[test]
fn a_probe_outside_a_workflow_test_counts_this_thread() {
    let probe = MemoryProbe::start();
    let v = vec![0u32; 250];
    let stats = probe.stats();
    assert_eq!(stats.allocated_bytes, 1000, "{stats}");
    assert_eq!(stats.allocations, 1, "{stats}");
    drop(v);
}

#[workflow_test(timeout = "60s", start_paused = true)]
async fn repeated_runs_do_not_grow_memory(h: Harness) {
    // The guide: ten runs of a workflow building ~8MB each grow memory by < 10MB.
    let growth = h
        .memory_growth(10, || {
            h.execute(MemoryTest, MemoryTestInput { size: 1_000_000 })
        })
        .await;
    assert!(growth.total_bytes() < 10 * 1024 * 1024, "{growth}");
    assert!(growth.allocated_bytes >= 10 * 8_000_000, "{growth}");
    // Much tighter, in fact: nothing is kept at all.
    let growth = h
        .assert_no_memory_growth(50, 0, || {
            h.execute(MemoryTest, MemoryTestInput { size: 1000 })
        })
        .await;
    assert_eq!(growth.after_each.len(), 50);
    assert_eq!(h.execution_count("stats"), 10 + 2 + 50 + 2);
}

#[workflow_test(timeout = "60s", start_paused = true)]
async fn a_leaking_workflow_is_caught(h: Harness) {
    let growth = h
        .memory_growth(20, || h.execute(Leaky, LeakyInput { size: 4096 }))
        .await;
    // 20 × 4096 bytes, plus the growth of the vector that holds them.
    assert!(growth.total_bytes() >= 20 * 4096, "{growth}");
    assert!(growth.per_iteration() >= 4096.0, "{growth}");
    let text = growth.to_string();
    assert!(
        text.starts_with("20 iterations (after 2 warm-up) kept +"),
        "{text}"
    );
}

#[workflow_test(timeout = "60s", start_paused = true)]
#[should_panic(expected = "memory grew by")]
async fn assert_no_memory_growth_fails_on_a_leak(h: Harness) {
    h.assert_no_memory_growth(10, 1024, || h.execute(Leaky, LeakyInput { size: 1000 }))
        .await;
}

#[node]
async fn inc_later(x: u64) -> u64 {
    tokio::task::yield_now().await;
    x + 1
}

workflow! {
    /// Every item waits once (`yield_now`), so all of them are pending together.
    struct FanLater {
        input xs: Vec<u64>,
        ys = for x in xs {
            y = inc_later(x),
        } => y,
    }
}

/// Items that wait briefly reuse the fan-out's lanes instead of each taking a lane (a
/// run future, its run state and tables): about one allocation per item (its report
/// name) and a heap of the order of the items' outputs and reports.
#[workflow_test(timeout = "60s")]
async fn items_that_wait_once_reuse_lanes() {
    const ITEMS: u64 = 10_000;
    let rt = Runtime::new();
    let (ys, stats) = measure(async {
        rt.execute(
            FanLater,
            FanLaterInput {
                xs: (0..ITEMS).collect(),
            },
        )
        .await
        .unwrap()
        .outputs
        .ys
    })
    .await;
    assert_eq!(ys, (1..=ITEMS).collect::<Vec<u64>>());
    // Before lanes were reused: 6.4 allocations and 1.9 KiB of peak heap per item.
    let per_item = stats.allocations as f64 / ITEMS as f64;
    assert!(
        per_item < 1.5,
        "{per_item:.2} allocations per item: {stats}"
    );
    let peak_per_item = stats.peak_bytes as f64 / ITEMS as f64;
    assert!(
        peak_per_item < 300.0,
        "{peak_per_item:.0} peak bytes per item: {stats}"
    );
}

/// A memory check is `Send` when its closure and the closure's futures are: it runs in
/// a task of its own (`tokio::spawn`), and a leak is still caught there. (Before, both
/// checks returned a boxed `dyn Future` without `Send`: "future cannot be sent between
/// threads safely".)
/// (`tokio::spawn` needs `Send` on any runtime; this one has one thread, so that only the
/// checks' runs allocate while they measure.)
#[workflow_test(timeout = "60s", start_paused = true)]
async fn memory_checks_run_in_a_task_of_their_own(h: Harness) {
    fn is_send<T: Send>(t: T) -> T {
        t
    }
    // One after the other: the test's counts are those of all its threads, so two
    // checks at once would count each other's allocations.
    let clean = tokio::spawn({
        let h = h.clone();
        async move {
            is_send(h.assert_no_memory_growth(10, 0, || {
                h.execute(MemoryTest, MemoryTestInput { size: 1000 })
            }))
            .await
        }
    });
    let clean = clean.await.unwrap();
    assert_eq!(clean.after_each.len(), 10, "{clean}");
    let leaky = tokio::spawn({
        let h = h.clone();
        async move { is_send(h.memory_growth(5, || h.execute(Leaky, LeakyInput { size: 4096 }))).await }
    });
    let leaky = leaky.await.unwrap();
    assert!(leaky.total_bytes() >= 5 * 4096, "{leaky}");
    // (Each ran its 2 warm-up runs too.)
    assert_eq!(h.execution_count("stats"), 12);
    assert_eq!(h.execution_count("kept"), 7);
}

/// A check dropped before its end (cut by a timeout) gives the harness back its run
/// records: runs after it are recorded again.
#[workflow_test(timeout = "60s", start_paused = true)]
async fn a_memory_check_dropped_midway_restores_the_run_records(h: Harness) {
    let cut = tokio::time::timeout(
        Duration::from_millis(15),
        h.memory_growth(10, || h.execute(Naps, NapsInput {})),
    )
    .await;
    assert!(cut.is_err());
    let before = h.runs().len();
    h.execute(Naps, NapsInput {}).await.unwrap();
    assert_eq!(h.runs().len(), before + 1);
}

/// `h.assert_no_memory_growth(..);` with its `.await` forgotten, in a plain
/// `#[tokio::test]` (where `#[workflow_test]`'s compile error does not reach): the
/// check panics when dropped unpolled rather than letting the test pass unchecked.
#[tokio::test]
#[should_panic(expected = "was never awaited, so nothing was checked: add `.await`")]
#[allow(unused_must_use)]
async fn a_memory_assertion_never_awaited_panics() {
    let h = Harness::new();
    h.assert_no_memory_growth(3, 0, || h.execute(Leaky, LeakyInput { size: 64 }));
}

/// `memory_growth` (no assertion) dropped unpolled does not panic: it had nothing to
/// assert, and only its result, which was not taken, could have been checked.
#[tokio::test]
#[allow(unused_must_use)]
async fn a_memory_measurement_never_awaited_does_not_panic() {
    let h = Harness::new();
    h.memory_growth(3, || h.execute(Leaky, LeakyInput { size: 64 }));
    assert!(h.runs().is_empty());
}

// --- the run's future within glibc's per-thread cache ------------------------------------

#[node]
async fn inc(x: u64) -> u64 {
    x.wrapping_add(1)
}

// (Eight ports, as the benchmark's `sum8`.)
#[allow(clippy::too_many_arguments)]
#[node]
async fn sum8(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64, a6: u64, a7: u64) -> u64 {
    a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
}

// The benchmarks' W4 diamond (`benches/build.rs`, `fan("Diamond", 8, ..)`).
workflow! {
    struct Diamond {
        input x: u64,
        src = inc(x),
        m0 = inc(x: src),
        m1 = inc(x: src),
        m2 = inc(x: src),
        m3 = inc(x: src),
        m4 = inc(x: src),
        m5 = inc(x: src),
        m6 = inc(x: src),
        m7 = inc(x: src),
        sink = sum8(a0: m0, a1: m1, a2: m2, a3: m3, a4: m4, a5: m5, a6: m6, a7: m7),
    }
}

/// The largest allocation of a small workflow's plain run is its run's future (the box
/// `Workflow::run` builds it in), and it must stay within the 1,032 bytes glibc serves
/// from its per-thread cache (tcache): above it, every run's future goes through the
/// arena's bins, ~800 instructions a run more, and W4's throughput dropped ~25%
/// (BENCHMARKS.md, "W4 joined, session 27": a new field had taken it to 1,064 bytes).
/// Not a timing test: sizes are fixed at compile time. (Debug and release builds make the
/// same two allocations today, 40 bytes for the run's start and 1,032 for its future,
/// as `vs_tokio`'s allocation table says for the release build.)
#[tokio::test]
async fn a_small_workflows_run_future_stays_within_glibcs_per_thread_cache() {
    const TCACHE_MAX: u64 = 1032;
    let rt = Runtime::new();
    // (A first run, so that nothing made once per process counts below.)
    rt.execute(Diamond, DiamondInput { x: 1 }).await.unwrap();
    let (run, stats) = measure(async { rt.execute(Diamond, DiamondInput { x: 1 }).await }).await;
    assert_eq!(run.unwrap().outputs.sink, 24);
    assert!(
        stats.largest_allocation <= TCACHE_MAX,
        "the largest allocation of a plain run of a 10-node workflow is {} bytes, above the \
         {TCACHE_MAX} bytes glibc serves from its per-thread cache: a run's future (boxed by \
         `Workflow::run`) that large makes every run's allocation and free take the arena's \
         bins, which cost W4 ~25% of its throughput (BENCHMARKS.md, session 27); keep new \
         fields of the driver or the run's setup out of the future (box what few runs use, \
         as the stall timer and limits are) ({stats})",
        stats.largest_allocation
    );
}
