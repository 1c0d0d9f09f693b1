//! Durable runs against the same workflows run without a store: W2 (fan-out/fan-in,
//! N = 100 and 1,000, one run at a time) and W4 (1,000 concurrent runs of the diamond
//! `src -> 8 -> sink`), with the in-memory store, SQLite in each durability mode, and
//! Postgres when `WORKFLOW_TEST_POSTGRES_URL` names a server (`.ci/run` starts one).
//!
//! `cargo bench -p workflow-benches --bench durable` prints a Markdown table: the median
//! time per run (W2) or per batch of runs (W4), its ratio to the same workflow run
//! without a store (`Runtime::execute`), the cost per recorded node, and the store's
//! commits per run (with SQLite in `SurvivesPowerLoss` or Postgres, each is one sync to
//! disk). Rows are deleted when a run succeeds (the default). Without arguments beyond
//! cargo's (as under `cargo test --benches`) it runs each workload once and checks the
//! outputs.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use workflow_benches::inc;
use workflow_core::prelude::*;
use workflow_core::store::{Durability, MemoryStore, PostgresStore, SqliteStore, Store};

include!(concat!(env!("OUT_DIR"), "/durable.rs"));

/// Concurrent runs per W4 sample.
const W4_RUNS: usize = 1000;

/// The store behind a row of the table; `None`: no store, `Runtime::execute`.
struct Config {
    name: &'static str,
    store: Option<Arc<dyn Store>>,
}

/// One workload: runs it once on `rt` (durably when `durable`) and returns the value
/// its sink computed.
type Workload = for<'a> fn(&'a Runtime, bool) -> futures::future::BoxFuture<'a, u64>;

fn fan100(rt: &Runtime, durable: bool) -> futures::future::BoxFuture<'_, u64> {
    Box::pin(async move {
        let input = Fan100Input { x: 1 };
        if durable {
            rt.start_durable(Fan100, input, None)
                .await
                .unwrap()
                .outputs
                .sink
        } else {
            rt.execute(Fan100, input).await.unwrap().outputs.sink
        }
    })
}

fn fan1000(rt: &Runtime, durable: bool) -> futures::future::BoxFuture<'_, u64> {
    Box::pin(async move {
        let input = Fan1000Input { x: 1 };
        if durable {
            rt.start_durable(Fan1000, input, None)
                .await
                .unwrap()
                .outputs
                .sink
        } else {
            rt.execute(Fan1000, input).await.unwrap().outputs.sink
        }
    })
}

fn diamonds(rt: &Runtime, durable: bool) -> futures::future::BoxFuture<'_, u64> {
    Box::pin(async move {
        let runs = (0..W4_RUNS).map(|_| async move {
            let input = DiamondInput { x: 1 };
            if durable {
                rt.start_durable(Diamond, input, None)
                    .await
                    .unwrap()
                    .outputs
                    .sink
            } else {
                rt.execute(Diamond, input).await.unwrap().outputs.sink
            }
        });
        let sinks = join_all(runs).await;
        assert!(sinks.iter().all(|&s| s == sinks[0]));
        sinks[0]
    })
}

/// `(name, workload, nodes recorded per sample, runs per sample, samples)`.
const WORKLOADS: [(&str, Workload, u64, u64, usize); 3] = [
    ("W2 fan 100", fan100, 102, 1, 41),
    ("W2 fan 1000", fan1000, 1002, 1, 21),
    (
        "W4 1000 runs",
        diamonds,
        10 * W4_RUNS as u64,
        W4_RUNS as u64,
        7,
    ),
];

async fn configs(dir: &std::path::Path) -> Vec<Config> {
    let sqlite = |name: &str, durability| {
        let store = SqliteStore::builder(dir.join(name))
            .durability(durability)
            .open()
            .unwrap();
        Some(Arc::new(store) as Arc<dyn Store>)
    };
    let mut configs = vec![
        Config {
            name: "no store (`execute`)",
            store: None,
        },
        Config {
            name: "memory",
            store: Some(Arc::new(MemoryStore::new())),
        },
        Config {
            name: "SQLite, survives a killed process",
            store: sqlite("killed.db", Durability::SurvivesKilledProcess),
        },
        Config {
            name: "SQLite, survives power loss",
            store: sqlite("power.db", Durability::SurvivesPowerLoss),
        },
    ];
    match std::env::var("WORKFLOW_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            PostgresStore::drop_schema(&url, "bench_durable")
                .await
                .unwrap();
            let store = PostgresStore::builder(&url)
                .schema("bench_durable")
                .connect()
                .await
                .unwrap();
            configs.push(Config {
                name: "Postgres (fsync on)",
                store: Some(Arc::new(store)),
            });
        }
        _ => eprintln!("Postgres skipped: set WORKFLOW_TEST_POSTGRES_URL to include it"),
    }
    configs
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fmt(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} µs", ns / 1e3)
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: run once, check.
    let measure = std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("workflow-bench-durable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    rt.block_on(async {
        let configs = configs(&dir).await;
        println!("| workload | store | median | ratio to no store | per recorded node | commits per run |");
        println!("|---|---|---:|---:|---:|---:|");
        for (name, workload, nodes, runs, samples) in WORKLOADS {
            let samples = if measure { samples } else { 1 };
            let mut baseline = None;
            let mut expected = None;
            for config in &configs {
                let runtime = match &config.store {
                    Some(store) => Runtime::builder().store_arc(Arc::clone(store)).build(),
                    None => Runtime::new(),
                };
                let durable = config.store.is_some();
                // One unmeasured run: connections, statements, allocator.
                let value = workload(&runtime, durable).await;
                assert_eq!(*expected.get_or_insert(value), value, "{name}: {}", config.name);
                let commits_before = config.store.as_ref().map_or(0, |s| s.stats().commits);
                let mut times = Vec::with_capacity(samples);
                for _ in 0..samples {
                    let start = Instant::now();
                    black_box(workload(&runtime, durable).await);
                    times.push(start.elapsed());
                }
                let commits = config.store.as_ref().map_or(0, |s| s.stats().commits) - commits_before;
                let m = median(times);
                let base = *baseline.get_or_insert(m);
                let extra = m.saturating_sub(base);
                let per_node = if durable {
                    fmt(extra / u32::try_from(nodes).unwrap())
                } else {
                    "–".into()
                };
                let commits = if durable {
                    format!("{:.2}", commits as f64 / (samples as u64 * runs) as f64)
                } else {
                    "–".into()
                };
                println!(
                    "| {name} | {} | {} | {:.2}× | {per_node} | {commits} |",
                    config.name,
                    fmt(m),
                    m.as_secs_f64() / base.as_secs_f64(),
                );
            }
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    // The stores' writer threads end with the runtime.
    drop(rt);
}
