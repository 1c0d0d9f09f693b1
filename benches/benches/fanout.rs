//! A fan-out of 10,000 items (`ys = for x in xs { y = inc(x), } => y`) against the
//! same work hand-written with `FuturesUnordered` (results put back in input order), in
//! one run, plus the allocations of each; and the same with a node that waits once
//! (`yield_now`) before it answers, so that every item is pending at the same time.
//!
//! `cargo bench -p workflow-benches --bench fanout` prints a Markdown table (medians of
//! interleaved samples, the throughput ratio, allocations per item);
//! `cargo test -p workflow-benches --bench fanout` runs each side once and checks both
//! compute the same list (no timing).
//!
//! Tokio: multi-thread runtime, 2 workers; each sample runs the workload `iters` times
//! inside one spawned task, as in `vs_tokio`.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt as _};
use workflow_benches::inc;
use workflow_core::prelude::*;

#[path = "vs_tokio/alloc.rs"]
mod alloc;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

type Tokio = tokio::runtime::Runtime;

/// Items per fan-out.
const ITEMS: u64 = 10_000;

workflow! {
    /// One `inc` per item.
    struct Fan {
        input xs: Vec<u64>,
        ys = for x in xs {
            y = inc(x),
        } => y,
    }
}

/// `x + 1` after one `yield_now`: the item is pending once.
#[node]
async fn inc_later(x: u64) -> u64 {
    tokio::task::yield_now().await;
    black_box(x).wrapping_add(1)
}

workflow! {
    /// One `inc_later` per item: every item waits once.
    struct FanLater {
        input xs: Vec<u64>,
        ys = for x in xs {
            y = inc_later(x),
        } => y,
    }
}

/// The hand-written baseline of `FanLater`.
async fn hand_later(xs: Vec<u64>) -> Vec<u64> {
    let mut out = vec![0u64; xs.len()];
    let mut running: FuturesUnordered<_> = xs
        .into_iter()
        .enumerate()
        .map(|(i, x)| async move { (i, inc_later(x).await) })
        .collect();
    while let Some((i, y)) = running.next().await {
        out[i] = y;
    }
    out
}

/// The hand-written baseline: every item's `inc` in one `FuturesUnordered`, each
/// result stored at its item's index.
async fn hand(xs: Vec<u64>) -> Vec<u64> {
    let mut out = vec![0u64; xs.len()];
    let mut running: FuturesUnordered<_> = xs
        .into_iter()
        .enumerate()
        .map(|(i, x)| async move { (i, inc(x).await) })
        .collect();
    while let Some((i, y)) = running.next().await {
        out[i] = y;
    }
    out
}

fn items() -> Vec<u64> {
    (0..ITEMS).collect()
}

/// Times `iters` sequential calls of `f` inside one task on the runtime.
fn time_in_task<F, Fut>(tokio: &Tokio, iters: u64, f: &F) -> Duration
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future + Send,
    Fut::Output: Send,
{
    let f = f.clone();
    let task = tokio.spawn(async move {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f().await);
        }
        start.elapsed()
    });
    tokio.block_on(task).expect("bench task panicked")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 0 {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    }
}

/// Samples `ours` and `theirs` alternately and prints their table rows and ratio.
fn compare<A, B, FA, FB>(tokio: &Tokio, label: &str, body: &str, ours: &A, theirs: &B)
where
    A: Fn() -> FA + Clone + Send + 'static,
    FA: Future<Output = Vec<u64>> + Send,
    B: Fn() -> FB + Clone + Send + 'static,
    FB: Future<Output = Vec<u64>> + Send,
{
    // Warm up, then alternate samples so load from other processes hits both alike.
    for _ in 0..3 {
        time_in_task(tokio, 1, ours);
        time_in_task(tokio, 1, theirs);
    }
    let (mut w, mut h) = (Vec::new(), Vec::new());
    for _ in 0..31 {
        w.push(time_in_task(tokio, 1, ours).as_nanos() as f64);
        h.push(time_in_task(tokio, 1, theirs).as_nanos() as f64);
    }
    let (w, h) = (median(w), median(h));
    let ((), ours_allocs) = alloc::count(|| {
        time_in_task(tokio, 1, ours);
    });
    let ((), hand_allocs) = alloc::count(|| {
        time_in_task(tokio, 1, theirs);
    });
    let per_item = |n: usize| n as f64 / ITEMS as f64;
    println!("| fan-out, {ITEMS} items of `{label}` | median | items/s | allocations | per item | peak heap |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, t, a) in [
        (
            format!("workflow (`for x in xs {{ y = {body}(x), }} => y`)"),
            w,
            ours_allocs,
        ),
        (
            "hand-written (`FuturesUnordered`)".to_owned(),
            h,
            hand_allocs,
        ),
    ] {
        println!(
            "| {name} | {:.2} ms | {:.0} | {} | {:.2} | {:.1} KiB |",
            t / 1e6,
            ITEMS as f64 / (t / 1e9),
            a.allocs,
            per_item(a.allocs),
            a.peak_bytes as f64 / 1024.0
        );
    }
    println!(
        "\nworkflow throughput / hand-written throughput: {:.2}x (target >= 0.5x)\n",
        h / w
    );
}

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let rt = Runtime::new();
    let ours = {
        let rt = rt.clone();
        move || {
            let rt = rt.clone();
            async move {
                rt.execute(Fan, FanInput { xs: items() })
                    .await
                    .expect("benchmark workflow failed")
                    .outputs
                    .ys
            }
        }
    };
    let theirs = || hand(items());
    let ours_later = {
        let rt = rt.clone();
        move || {
            let rt = rt.clone();
            async move {
                rt.execute(FanLater, FanLaterInput { xs: items() })
                    .await
                    .expect("benchmark workflow failed")
                    .outputs
                    .ys
            }
        }
    };
    let theirs_later = || hand_later(items());

    // Both sides compute the same list.
    let a = tokio.block_on(tokio.spawn(ours())).expect("task");
    let b = tokio.block_on(tokio.spawn(theirs())).expect("task");
    assert_eq!(a, b);
    assert_eq!(a.len() as u64, ITEMS);
    let c = tokio.block_on(tokio.spawn(ours_later())).expect("task");
    assert_eq!(a, c);
    let d = tokio.block_on(tokio.spawn(theirs_later())).expect("task");
    assert_eq!(a, d);
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("fanout: results agree ({ITEMS} items)");
        return;
    }
    compare(&tokio, "inc", "inc", &ours, &theirs);
    compare(&tokio, "inc_later", "inc_later", &ours_later, &theirs_later);
    if let Some(kib) = alloc::peak_rss_kib() {
        println!("peak resident set of the benchmark process: {kib} KiB");
    }
}
