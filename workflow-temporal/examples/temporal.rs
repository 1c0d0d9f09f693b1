//! The quick-start workflow on Temporal.
//!
//! ```sh
//! temporal server start-dev --headless --ip 127.0.0.1          # a dev server on :7233
//! cargo run -p workflow-temporal --example temporal -- worker   # a worker (Ctrl-C stops it)
//! cargo run -p workflow-temporal --example temporal -- start    # a run; prints its output
//! cargo run -p workflow-temporal --example temporal             # both, in one process
//! cargo run --release -p workflow-temporal --example temporal -- measure   # per-node cost
//! ```
//!
//! `TEMPORAL_ADDRESS` overrides the server (`http://127.0.0.1:7233`).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;
use workflow_temporal::{TemporalClient, TemporalSettings, TemporalWorker};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Product {
    name: String,
    price_cents: u64,
    stock: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("catalogue service unavailable: {0}")]
struct CatalogueError(String);

/// Fetches the catalogue (simulated network latency: 50 ms).
#[node(timeout = "5s", retry(max = 3, backoff = "100ms"))]
async fn fetch_catalogue(region: String) -> Result<Vec<Product>, CatalogueError> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    if region.is_empty() {
        return Err(CatalogueError("no region".into()));
    }
    let product = |name: &str, price_cents, stock| Product {
        name: name.into(),
        price_cents,
        stock,
    };
    Ok(vec![
        product("kettle", 2_999, 12),
        product("teapot", 4_550, 0),
        product("mug", 899, 140),
        product("infuser", 1_250, 33),
    ])
}

/// Total stock value, in cents.
#[node]
async fn stock_value(products: Vec<Product>) -> u64 {
    products
        .iter()
        .map(|p| p.price_cents * u64::from(p.stock))
        .sum()
}

/// Products that are sold out.
#[node]
async fn sold_out(products: Vec<Product>) -> Vec<String> {
    products
        .into_iter()
        .filter(|p| p.stock == 0)
        .map(|p| p.name)
        .collect()
}

/// The most expensive product.
#[node]
async fn priciest(products: Vec<Product>) -> Option<String> {
    products
        .into_iter()
        .max_by_key(|p| p.price_cents)
        .map(|p| p.name)
}

/// Puts the three analyses into one report.
#[node]
async fn report(value: u64, sold_out: Vec<String>, top: Option<String>) -> String {
    format!(
        "stock value ${}.{:02}; sold out: [{}]; priciest: {}",
        value / 100,
        value % 100,
        sold_out.join(", "),
        top.unwrap_or_else(|| "-".into())
    )
}

workflow! {
    /// Fetch → fan out to three analyses → aggregate.
    #[workflow(durable, timeout = "30s")]
    pub struct CatalogueReport {
        input region: String,
        catalogue = fetch_catalogue(region),
        value = stock_value(products: catalogue),
        empty = sold_out(products: catalogue),
        top = priciest(products: catalogue),
        summary = report(value, sold_out: empty, top),
    }
}

#[node]
async fn step(x: u64) -> u64 {
    x + 1
}

workflow! {
    /// Ten trivial nodes in a row: what a node costs on Temporal.
    #[workflow(durable)]
    pub struct Chain10 {
        input x: u64,
        n1 = step(x), n2 = step(x: n1), n3 = step(x: n2), n4 = step(x: n3), n5 = step(x: n4),
        n6 = step(x: n5), n7 = step(x: n6), n8 = step(x: n7), n9 = step(x: n8), n10 = step(x: n9),
    }
}

/// Ten ports: one per branch of the fan-out.
#[allow(clippy::too_many_arguments)]
#[node]
async fn sum10(
    a: u64,
    b: u64,
    c: u64,
    d: u64,
    e: u64,
    f: u64,
    g: u64,
    h: u64,
    i: u64,
    j: u64,
) -> u64 {
    a + b + c + d + e + f + g + h + i + j
}

workflow! {
    /// Ten trivial nodes side by side, then one that sums them: what concurrency saves.
    #[workflow(durable)]
    pub struct Fan10 {
        input x: u64,
        n1 = step(x), n2 = step(x), n3 = step(x), n4 = step(x), n5 = step(x),
        n6 = step(x), n7 = step(x), n8 = step(x), n9 = step(x), n10 = step(x),
        total = sum10(a: n1, b: n2, c: n3, d: n4, e: n5, f: n6, g: n7, h: n8, i: n9, j: n10),
    }
}

#[node]
async fn sum_all(ys: Vec<u64>) -> u64 {
    ys.iter().sum()
}

workflow! {
    /// A fan-out of trivial items, then their sum: one activity per item.
    #[workflow(durable)]
    struct ForEach {
        input xs: Vec<u64>,
        ys = for x in xs { y = step(x), } => y,
        total = sum_all(ys),
    }
}

workflow! {
    /// One trivial node: the fixed cost of a run on Temporal.
    #[workflow(durable)]
    pub struct Chain1 {
        input x: u64,
        n1 = step(x),
    }
}

fn run_id(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{name}-{nanos}")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address =
        std::env::var("TEMPORAL_ADDRESS").unwrap_or_else(|_| "http://127.0.0.1:7233".into());
    let mode = std::env::args().nth(1).unwrap_or_default();
    let client = TemporalClient::connect(&address, TemporalSettings::default()).await?;
    let input = || CatalogueReportInput {
        region: "eu".into(),
    };
    match mode.as_str() {
        "worker" => {
            let worker = TemporalWorker::new::<CatalogueReport>(&client, Runtime::new())?;
            println!("worker polling task queue {}", worker.task_queue());
            let stop = worker.shutdown_handle();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                stop();
            });
            worker.run().await?;
        }
        "start" => {
            let run = client
                .execute::<CatalogueReport>(&input(), &run_id("catalogue"))
                .await?;
            println!("{} ({})", run.outputs.summary, run.workflow_id);
        }
        "measure" => measure(&client).await?,
        _ => {
            let _worker = TemporalWorker::spawn::<CatalogueReport>(&client, Runtime::new())?;
            let run = client
                .execute::<CatalogueReport>(&input(), &run_id("catalogue"))
                .await?;
            println!("{} ({})", run.outputs.summary, run.workflow_id);
        }
    }
    Ok(())
}

/// Runs of a 1-node and a 10-node chain, one at a time: the difference per extra node is
/// what a node costs on Temporal (an activity scheduled, polled, run, completed, and a
/// workflow task to schedule the next).
async fn measure(client: &TemporalClient) -> Result<(), Box<dyn std::error::Error>> {
    const FAN_OUT_ITEMS: u64 = 100;
    const RUNS: u32 = 20;
    let _w1 = TemporalWorker::spawn::<Chain1>(client, Runtime::new())?;
    let _w10 = TemporalWorker::spawn::<Chain10>(client, Runtime::new())?;
    let _wf = TemporalWorker::spawn::<Fan10>(client, Runtime::new())?;
    let _we = TemporalWorker::spawn::<ForEach>(client, Runtime::new())?;
    let items = || ForEachInput {
        xs: (0..FAN_OUT_ITEMS).collect(),
    };
    // Warm up: connections, sticky caches.
    client
        .execute::<Chain1>(&Chain1Input { x: 0 }, &run_id("warm1"))
        .await?;
    client
        .execute::<Chain10>(&Chain10Input { x: 0 }, &run_id("warm10"))
        .await?;
    client
        .execute::<Fan10>(&Fan10Input { x: 0 }, &run_id("warmfan"))
        .await?;
    client
        .execute::<ForEach>(&items(), &run_id("warmfor"))
        .await?;
    let mut one = Vec::new();
    let mut ten = Vec::new();
    let mut fan = Vec::new();
    let mut each = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let run = client
            .execute::<Chain1>(&Chain1Input { x: 0 }, &run_id("chain1"))
            .await?;
        assert_eq!(run.outputs.n1, 1);
        one.push(t.elapsed());
        let t = Instant::now();
        let run = client
            .execute::<Chain10>(&Chain10Input { x: 0 }, &run_id("chain10"))
            .await?;
        assert_eq!(run.outputs.n10, 10);
        ten.push(t.elapsed());
        let t = Instant::now();
        let run = client
            .execute::<Fan10>(&Fan10Input { x: 0 }, &run_id("fan10"))
            .await?;
        assert_eq!(run.outputs.total, 10);
        fan.push(t.elapsed());
        let t = Instant::now();
        let run = client.execute::<ForEach>(&items(), &run_id("for")).await?;
        assert_eq!(run.outputs.total, (1..=FAN_OUT_ITEMS).sum::<u64>());
        each.push(t.elapsed());
    }
    one.sort();
    ten.sort();
    fan.sort();
    each.sort();
    let median = |v: &[Duration]| v[v.len() / 2];
    let (m1, m10) = (median(&one), median(&ten));
    println!("runs of each: {RUNS}, one at a time");
    println!("1-node chain:  median {m1:?} per run");
    println!("10-node chain: median {m10:?} per run");
    println!("per extra node: {:?}", m10.saturating_sub(m1) / 9);
    let mf = median(&fan);
    println!("fan-out of 10 + join (11 nodes, 2 levels): median {mf:?} per run");
    let me = median(&each);
    // A 2-node chain, from the two chains: what the fan-out run costs without its items.
    let two = m1 + m10.saturating_sub(m1) / 9;
    println!(
        "`for` fan-out of {FAN_OUT_ITEMS} items + sum ({} activities): median {me:?} per run, \
         {:?} per item over a 2-node chain ({two:?})",
        FAN_OUT_ITEMS + 1,
        me.saturating_sub(two) / u32::try_from(FAN_OUT_ITEMS).unwrap_or(1)
    );
    Ok(())
}
