//! A durable run you can interrupt: `cargo run --example durable`, press Ctrl-C while it
//! works, run it again: it resumes, and says which steps were restored from
//! `durable-example.db` instead of run again. A third run finds the run finished and
//! prints its stored result (delete the file to start over).
//!
//! `cargo run --release --example durable -- --measure` compares a durable run (SQLite)
//! with the same workflow run without a store, per recorded node.

use std::time::{Duration, Instant};

use workflow_core::prelude::*;
use workflow_core::store::{OwnerId, SqliteStore};

/// A slow step, so there is time to press Ctrl-C.
async fn work(step: &str) {
    println!("  running {step} ...");
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[node]
async fn fetch(city: String) -> Vec<u32> {
    work("fetch").await;
    city.bytes().map(u32::from).collect()
}

#[node]
async fn clean(raw: Vec<u32>) -> Vec<u32> {
    work("clean").await;
    raw.into_iter().filter(|v| v % 2 == 0).collect()
}

#[node]
async fn stats(values: Vec<u32>) -> (u32, u32) {
    work("stats").await;
    (
        values.iter().copied().min().unwrap_or(0),
        values.iter().copied().max().unwrap_or(0),
    )
}

#[node]
async fn total(values: Vec<u32>) -> u64 {
    work("total").await;
    values.iter().map(|&v| u64::from(v)).sum()
}

#[node]
async fn report(range: (u32, u32), sum: u64) -> String {
    work("report").await;
    format!("range {}..={}, sum {sum}", range.0, range.1)
}

workflow! {
    /// fetch → clean → (stats, total) → report; every step's output is recorded.
    #[workflow(durable)]
    struct Weather {
        input city: String,
        raw = fetch(city: city),
        cleaned = clean(raw: raw),
        range = stats(values: cleaned),
        sum = total(values: cleaned),
        summary = report(range: range, sum: sum),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--measure") {
        return measure().await;
    }
    // One owner name across reruns: a rerun may take over its own unfinished run at once
    // (another process would wait for the lease to expire, or call `recover`).
    let rt = Runtime::builder()
        .store(SqliteStore::open("durable-example.db")?)
        .owner(OwnerId::new("durable-example"))
        .build();
    println!("starting (or resuming) the run keyed `weather-paris`");
    let run = rt
        .start_durable(
            Weather,
            WeatherInput {
                city: "Paris".into(),
            },
            Some("weather-paris"),
        )
        .await?;
    match &run.report {
        None => println!(
            "run {} had already finished; its stored result (delete durable-example.db to start over):",
            run.run_id
        ),
        Some(_) if run.restored().is_empty() => println!("run {} ran from the start", run.run_id),
        Some(_) => println!("run {} resumed; restored: {}", run.run_id, run.restored().join(", ")),
    }
    println!("{}", run.outputs.summary);
    Ok(())
}

#[node]
async fn step(x: u64) -> u64 {
    x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1)
}

workflow! {
    /// Ten trivial nodes in a chain: what recording costs, not what the nodes do.
    #[workflow(durable)]
    struct Chain {
        input x: u64,
        n1 = step(x: x), n2 = step(x: n1), n3 = step(x: n2), n4 = step(x: n3), n5 = step(x: n4),
        n6 = step(x: n5), n7 = step(x: n6), n8 = step(x: n7), n9 = step(x: n8), n10 = step(x: n9),
    }
}

/// Runs `Chain` `RUNS` times one after another, and `RUNS` times `CONCURRENT` at a time,
/// with and without a store, and prints the difference per recorded node.
async fn measure() -> Result<(), Box<dyn std::error::Error>> {
    const RUNS: u64 = 400;
    const CONCURRENT: usize = 32;
    const NODES: u64 = 10;
    let path = std::env::temp_dir().join(format!("durable-measure-{}.db", std::process::id()));
    let plain = Runtime::new();
    let durable = Runtime::builder().store(SqliteStore::open(&path)?).build();

    let started = Instant::now();
    for x in 0..RUNS {
        plain.execute(Chain, ChainInput { x }).await?;
    }
    let plain_seq = started.elapsed();
    let started = Instant::now();
    for x in 0..RUNS {
        durable.start_durable(Chain, ChainInput { x }, None).await?;
    }
    let durable_seq = started.elapsed();

    let started = Instant::now();
    for batch in 0..RUNS / CONCURRENT as u64 {
        let runs =
            (0..CONCURRENT as u64).map(|i| plain.execute(Chain, ChainInput { x: batch * 64 + i }));
        for r in futures_join(runs).await {
            r?;
        }
    }
    let plain_par = started.elapsed();
    let started = Instant::now();
    for batch in 0..RUNS / CONCURRENT as u64 {
        let runs = (0..CONCURRENT as u64)
            .map(|i| durable.start_durable(Chain, ChainInput { x: batch * 64 + i }, None));
        for r in futures_join(runs).await {
            r?;
        }
    }
    let durable_par = started.elapsed();
    let stats = durable.store().map(|s| s.stats()).unwrap_or_default();
    drop(durable);
    let _ = std::fs::remove_file(&path);

    let per_node = |d: Duration, p: Duration, runs: u64| {
        (d.as_secs_f64() - p.as_secs_f64()) * 1e6 / (runs * NODES) as f64
    };
    let par_runs = RUNS / CONCURRENT as u64 * CONCURRENT as u64;
    println!("{RUNS} runs of {NODES} nodes, one at a time: plain {plain_seq:?}, durable (SQLite) {durable_seq:?}: {:.1} µs more per recorded node",
        per_node(durable_seq, plain_seq, RUNS));
    println!("{par_runs} runs, {CONCURRENT} at a time: plain {plain_par:?}, durable {durable_par:?}: {:.1} µs more per recorded node",
        per_node(durable_par, plain_par, par_runs));
    println!(
        "store: {} records in {} commits",
        stats.records, stats.commits
    );
    Ok(())
}

/// Runs the futures concurrently on this task.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::with_capacity(handles.len());
    // tokio has no join_all; a JoinSet would need 'static futures.
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut left = false;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => left = true,
                }
            }
        }
        if left {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.extend(results.into_iter().flatten());
    out
}
