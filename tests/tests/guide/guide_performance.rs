//! Guide, "Performance Testing": load tests and memory use.
//!
//! The `guide` test binary installs `workflow_test::CountingAllocator` as its global
//! allocator (the guide's `tracemalloc`); memory probes attribute counts per test.
//!
//! Load tests run on the paused clock: the times they assert are exact virtual times,
//! which prove that runs overlap (100 runs of a 10 ms node take 10 ms, not 1 s). The real
//! throughput of the executor is measured by the benchmarks, not asserted in tests.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_test::{workflow_test, CountingAllocator, Harness, MemoryProbe};

// --- load testing ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Processed {
    processed: u32,
    /// When the node finished, from the start of its run.
    timestamp: Duration,
    run_id: u64,
}

/// Counts nodes in flight and remembers the peak.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

#[node]
async fn process_item(item_id: u32, ms: u64, gauge: Res<InFlight>, ctx: &Context) -> Processed {
    let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
    gauge.peak.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(ms)).await; // simulate processing
    gauge.now.fetch_sub(1, Ordering::SeqCst);
    Processed {
        processed: item_id,
        timestamp: ctx.elapsed(),
        run_id: ctx.run_id(),
    }
}

workflow! {
    struct LoadTest {
        input item_id: u32,
        input ms: u64,
        process_item = process_item(item_id, ms),
    }
}

#[workflow_test(timeout = "30s", start_paused = true)]
async fn test_workflow_under_load(h: Harness) {
    let gauge = Arc::new(InFlight::default());
    h.insert_resource_arc(gauge.clone());

    // 100 runs, all at once, each with its own item.
    let report = h
        .load(LoadTest, 100, 100, |i| LoadTestInput {
            item_id: u32::try_from(i).unwrap(),
            ms: 10,
        })
        .await;
    println!("{report}");
    assert!(report.all_succeeded(), "{report}");
    assert_eq!(report.succeeded, 100);
    // Paused clock: exact virtual times. All runs overlapped.
    assert_eq!(report.elapsed, Duration::from_millis(10));
    assert_eq!(report.p50(), Duration::from_millis(10));
    assert_eq!(report.max(), Duration::from_millis(10));
    assert_eq!(gauge.peak.load(Ordering::SeqCst), 100);
    assert!(report.throughput() > 50.0, "the guide's bound");
    assert!(report.throughput() >= 5_000.0, "{report}");
    h.assert_executed("process_item", 100);

    // Another shape: 300 runs at most 25 at a time, 40 ms each: 12 waves.
    let gauge = Arc::new(InFlight::default());
    h.insert_resource_arc(gauge.clone());
    let report = h
        .load(LoadTest, 300, 25, |i| LoadTestInput {
            item_id: u32::try_from(i).unwrap(),
            ms: 40,
        })
        .await;
    assert!(report.all_succeeded(), "{report}");
    assert_eq!(report.elapsed, Duration::from_millis(12 * 40));
    assert_eq!(
        report.p99(),
        Duration::from_millis(40),
        "no run waited inside"
    );
    assert_eq!(gauge.peak.load(Ordering::SeqCst), 25);
    h.assert_executed("process_item", 400);
    h.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn many_runs_on_one_shared_runtime() {
    let gauge = Arc::new(InFlight::default());
    let rt = Runtime::builder().resource_arc(gauge.clone()).build();

    // Execute many workflows concurrently on one shared runtime.
    let start = Instant::now();
    let results =
        join_all((0..100).map(|item_id| rt.execute(LoadTest, LoadTestInput { item_id, ms: 10 })))
            .await;
    let total_time = start.elapsed();

    // Every run succeeded with its own item.
    let outputs: Vec<Processed> = results
        .into_iter()
        .map(|r| r.expect("run succeeds").outputs.process_item)
        .collect();
    assert!(outputs
        .iter()
        .enumerate()
        .all(|(i, p)| p.processed == i as u32));
    assert!(outputs
        .iter()
        .all(|p| p.timestamp == Duration::from_millis(10)));
    let run_ids: BTreeSet<u64> = outputs.iter().map(|p| p.run_id).collect();
    assert_eq!(
        run_ids.len(),
        100,
        "run ids never collide under concurrency"
    );

    // All 100 overlapped: 10 ms in all, not 100 x 10 ms.
    assert_eq!(total_time, Duration::from_millis(10));
    assert_eq!(gauge.peak.load(Ordering::SeqCst), 100);
    let throughput = outputs.len() as f64 / total_time.as_secs_f64();
    println!("throughput: {throughput:.0} runs/s (virtual time)");
    assert!(throughput > 50.0, "the guide's bound");
    assert!(throughput >= 5_000.0, "our bound: {throughput}");
}

#[tokio::test(start_paused = true)]
async fn a_node_limit_turns_load_into_waves() {
    let gauge = Arc::new(InFlight::default());
    let rt = Runtime::builder()
        .resource_arc(gauge.clone())
        .max_concurrent_nodes(40)
        .build();
    let start = Instant::now();
    let results =
        join_all((0..250).map(|item_id| rt.execute(LoadTest, LoadTestInput { item_id, ms: 25 })))
            .await;
    assert!(results.iter().all(Result::is_ok));
    // 250 runs, 40 at a time: 7 waves of 25 ms.
    assert_eq!(start.elapsed(), Duration::from_millis(7 * 25));
    assert_eq!(gauge.peak.load(Ordering::SeqCst), 40);
    assert_eq!(gauge.now.load(Ordering::SeqCst), 0);
    assert_eq!(rt.active_runs(), 0);
}

#[tokio::test(start_paused = true)]
async fn runs_spawned_as_tasks_also_overlap() {
    let gauge = Arc::new(InFlight::default());
    let rt = Runtime::builder().resource_arc(gauge.clone()).build();
    let start = Instant::now();
    let handles: Vec<_> = (0..64)
        .map(|item_id| tokio::spawn(rt.execute(LoadTest, LoadTestInput { item_id, ms: 40 })))
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        let run = handle.await.unwrap().unwrap();
        assert_eq!(run.outputs.process_item.processed, i as u32);
    }
    assert_eq!(start.elapsed(), Duration::from_millis(40));
    assert_eq!(gauge.peak.load(Ordering::SeqCst), 64);
}

// --- memory usage ----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct DataSummary {
    shape: (usize, usize),
    mean: f64,
}

/// The guide's `np.random.rand(1000, 1000)`: ~8 MB, dropped when the node returns.
#[node]
async fn generate_data(rows: usize, cols: usize) -> DataSummary {
    let data: Vec<f64> = (0..rows * cols)
        .map(|i| (i % 1000) as f64 / 1000.0)
        .collect();
    DataSummary {
        shape: (rows, cols),
        mean: data.iter().sum::<f64>() / data.len() as f64,
    }
}

workflow! {
    struct MemoryTest {
        input rows: usize,
        input cols: usize,
        generate_data = generate_data(rows, cols),
    }
}

const MIB: i64 = 1024 * 1024;

#[workflow_test(timeout = "60s")]
async fn test_memory_efficiency(h: Harness) {
    assert!(CountingAllocator::is_installed());
    let input = || MemoryTestInput {
        rows: 1000,
        cols: 1000,
    };

    // As the guide does it: live bytes before and after ten runs.
    let probe = MemoryProbe::start();
    for _ in 0..10 {
        let run = h.assert_success(h.execute(MemoryTest, input()).await);
        assert_eq!(run.outputs.generate_data.shape, (1000, 1000));
    }
    let stats = probe.stats();
    println!("ten runs: {stats}");
    assert!(
        stats.allocated_bytes >= 10 * 8_000_000,
        "each run really allocated its ~8 MB: {stats}"
    );
    assert!(stats.net_bytes < 10 * MIB, "the guide's bound: {stats}");
    // The harness keeps a record (report and trace) of each run; that is all that stays.
    assert!(stats.net_bytes < 64 * 1024, "{stats}");
    // One run's data at a time: each ~8 MB was freed before the next run allocated.
    assert!(stats.peak_bytes < 12 * 1024 * 1024, "{stats}");

    // After a warm-up, repeated runs keep nothing at all.
    let growth = h.memory_growth(10, || h.execute(MemoryTest, input())).await;
    println!("{growth}");
    assert!(growth.allocated_bytes >= 10 * 8_000_000, "{growth}");
    assert!(growth.total_bytes() <= 4 * 1024, "{growth}");
}

#[workflow_test(timeout = "60s")]
async fn no_growth_with_other_sizes_and_shapes(h: Harness) {
    // 250 x 4000 doubles (~8 MB) and a small 3 x 7, 25 runs each.
    for (rows, cols) in [(250, 4000), (3, 7)] {
        h.assert_no_memory_growth(25, 4 * 1024, || {
            h.execute(MemoryTest, MemoryTestInput { rows, cols })
        })
        .await;
    }
}

/// A node that keeps what it allocates: the probe catches it.
static KEPT: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

#[node]
async fn leak(bytes: usize) -> usize {
    KEPT.lock().unwrap().push(vec![1; bytes]);
    bytes
}

workflow! {
    struct Leaky {
        input bytes: usize,
        kept = leak(bytes),
    }
}

#[workflow_test(timeout = "60s")]
async fn growth_is_caught_when_a_node_keeps_its_data(h: Harness) {
    let growth = h
        .memory_growth(10, || {
            h.execute(
                Leaky,
                LeakyInput {
                    bytes: MIB as usize,
                },
            )
        })
        .await;
    assert!(growth.total_bytes() >= 10 * MIB, "{growth}");
    KEPT.lock().unwrap().clear();
}
