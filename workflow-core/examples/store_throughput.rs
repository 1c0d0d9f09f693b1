//! Measures the durable-run stores: microseconds per recorded node when nodes finish one at
//! a time, and commits and time for a fan-out whose nodes finish together.
//!
//! ```text
//! cargo run --release -p workflow-core --features postgres --example store_throughput
//! ```
//!
//! Postgres is measured when `WORKFLOW_TEST_POSTGRES_URL` is set. The SQLite file goes to
//! `$TMPDIR` (use a real disk: on tmpfs a sync costs nothing).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use workflow_core::store::{
    CreatedRun, Durability, GraphFingerprint, MemoryStore, NewRun, NodePath, OwnerId, Record,
    RecordedOutput, SqliteStore, Store, StoreError,
};

/// Nodes recorded one after another.
const SEQUENTIAL: usize = 2_000;
/// Nodes of the fan-out, recorded at once.
const FAN_OUT: usize = 1_000;

#[derive(serde::Serialize)]
struct Thumb {
    url: String,
    width: u32,
    height: u32,
}

async fn measure(name: &str, store: Arc<dyn Store>) -> Result<(), StoreError> {
    let created = store
        .create_run(NewRun {
            workflow: "bench".into(),
            fingerprint: GraphFingerprint("fp".into()),
            input: Vec::new(),
            idempotency_key: None,
            owner: OwnerId::for_this_process(),
            lease: Duration::from_secs(60),
        })
        .await?;
    let CreatedRun::New(claimed) = created else {
        unreachable!("no idempotency key")
    };
    let (lease, run) = (claimed.lease, claimed.run.id);
    let record = |i: usize, prefix: &str| -> Result<Record, StoreError> {
        let path = NodePath::new(prefix)?.at(i).field("img")?;
        let value = Thumb {
            url: format!("https://example.com/{i}.png"),
            width: 640,
            height: 480,
        };
        Ok(Record::Output(RecordedOutput::encode(
            run, path, 1, &value,
        )?))
    };

    let before = store.stats();
    let started = Instant::now();
    for i in 0..SEQUENTIAL {
        store.record(&lease, record(i, "seq")?).await?;
    }
    let sequential = started.elapsed();
    let mid = store.stats();

    let records = (0..FAN_OUT)
        .map(|i| record(i, "fan"))
        .collect::<Result<Vec<_>, _>>()?;
    let started = Instant::now();
    for result in join_all(records.into_iter().map(|r| store.record(&lease, r))).await {
        result?;
    }
    let fan_out = started.elapsed();
    let after = store.stats();

    println!(
        "{name:<40} sequential: {:>7.1} µs/node ({} commits) | fan-out of {FAN_OUT}: {:>7.1} µs/node, {} commits",
        sequential.as_secs_f64() * 1e6 / SEQUENTIAL as f64,
        mid.commits - before.commits,
        fan_out.as_secs_f64() * 1e6 / FAN_OUT as f64,
        after.commits - mid.commits,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), StoreError> {
    measure("memory", Arc::new(MemoryStore::new())).await?;
    let dir = std::env::temp_dir().join(format!("wf-store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    for (name, durability) in [
        (
            "sqlite, survives a killed process",
            Durability::SurvivesKilledProcess,
        ),
        ("sqlite, survives power loss", Durability::SurvivesPowerLoss),
    ] {
        let path = dir.join(format!("{durability:?}.db"));
        let store = SqliteStore::builder(&path).durability(durability).open()?;
        measure(name, Arc::new(store)).await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    #[cfg(feature = "postgres")]
    match std::env::var("WORKFLOW_TEST_POSTGRES_URL") {
        Ok(url) => {
            let schema = "wf_bench";
            workflow_core::store::PostgresStore::drop_schema(&url, schema).await?;
            let store = workflow_core::store::PostgresStore::builder(&url)
                .schema(schema)
                .connect()
                .await?;
            measure("postgres", Arc::new(store)).await?;
            workflow_core::store::PostgresStore::drop_schema(&url, schema).await?;
        }
        Err(_) => println!("postgres: skipped (WORKFLOW_TEST_POSTGRES_URL not set)"),
    }
    Ok(())
}
