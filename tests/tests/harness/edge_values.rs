//! Edge values through the harness's public API, as an outside crate would pass them:
//! each works as documented or fails with a message, never with an arithmetic panic.

use std::time::Duration;

use workflow_core::prelude::*;
use workflow_test::Harness;

#[node]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    struct Nap {
        input ms: u64,
        a = nap(ms),
    }
}

/// A load of no runs is an empty report, and a concurrency of 0 runs one at a time.
#[tokio::test(start_paused = true)]
async fn a_load_of_no_runs_or_no_concurrency_reports_as_documented() {
    let h = Harness::new();
    let none = h.load(Nap, 0, 0, |_| NapInput { ms: 1 }).await;
    assert_eq!((none.runs, none.succeeded, none.failed), (0, 0, 0));
    assert_eq!(none.throughput(), 0.0);
    assert_eq!(
        (none.mean(), none.p99(), none.max()),
        (Duration::ZERO, Duration::ZERO, Duration::ZERO)
    );
    let start = tokio::time::Instant::now();
    let serial = h.load(Nap, 3, 0, |_| NapInput { ms: 10 }).await;
    assert!(serial.all_succeeded(), "{serial}");
    assert_eq!(start.elapsed(), Duration::from_millis(30));
}

/// `LoadReport::mean` summed the latencies as a `Duration`, which panics on overflow
/// ("overflow in iter::sum over durations") for latencies near `Duration::MAX`, such as
/// a report an outside crate fills in for its own display.
#[tokio::test(start_paused = true)]
async fn the_mean_of_huge_latencies_does_not_overflow() {
    let h = Harness::new();
    let mut report = h.load(Nap, 1, 1, |_| NapInput { ms: 1 }).await;
    report.latencies = vec![Duration::MAX, Duration::MAX, Duration::MAX];
    assert_eq!(report.mean(), Duration::MAX);
    report.latencies = vec![Duration::ZERO, Duration::MAX];
    assert_eq!(report.mean(), Duration::MAX / 2);
    // Display reads the mean too.
    assert!(report.to_string().contains("mean"), "{report}");
}

/// A memory check of no iterations runs the warm-up only; one of `usize::MAX` runs until
/// dropped. It reserved a slot per iteration with `Vec::with_capacity(iterations)`, which
/// panics ("capacity overflow") for `usize::MAX`, and its end `WARMUP + iterations`
/// overflowed.
#[tokio::test(start_paused = true)]
async fn memory_checks_of_zero_or_usize_max_iterations_do_not_panic() {
    let h = Harness::new();
    let growth = h
        .memory_growth(0, || h.execute(Nap, NapInput { ms: 1 }))
        .await;
    assert!(growth.after_each.is_empty(), "{growth}");
    assert_eq!((growth.total_bytes(), growth.per_iteration()), (0, 0.0));
    assert_eq!(h.execution_count("a"), 2, "the warm-up runs");
    let endless = h.memory_growth(usize::MAX, || h.execute(Nap, NapInput { ms: 1 }));
    let stopped = tokio::time::timeout(Duration::from_millis(100), endless).await;
    assert!(stopped.is_err(), "still running at the timeout");
    assert!(h.execution_count("a") > 50, "{}", h.execution_count("a"));
}
