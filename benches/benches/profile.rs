//! A small, quick-to-compile driver for profilers (callgrind, perf): runs one workload
//! many times, workflow or hand-written, and prints the time per run.
//!
//! `cargo bench -p workflow-benches --bench profile -- <workload> <side> [runs]`, where
//! `<workload>` is `chain100`, `chain1000`, `fan100`, `diamond` or `diamond-spawn` and `<side>` is
//! `workflow` or `tokio`. Without arguments (as under `cargo test --benches`) it runs
//! each workload once.

use std::hint::black_box;
use std::time::Instant;

use workflow_benches::{in_task, inc, spawned};
use workflow_core::prelude::*;

include!(concat!(env!("OUT_DIR"), "/small.rs"));

async fn one(rt: &workflow_core::Runtime, workload: &str, workflow: bool) -> u64 {
    macro_rules! wf {
        ($wf:ident, $input:expr, $out:ident) => {
            rt.execute($wf, $input)
                .await
                .expect("workflow failed")
                .outputs
                .$out
        };
    }
    match (workload, workflow) {
        ("chain100", true) => wf!(Chain100, Chain100Input { x: 1 }, n99),
        ("chain100", false) => in_task::chain(100, 1).await,
        ("chain1000", true) => wf!(Chain1000, Chain1000Input { x: 1 }, n999),
        ("chain1000", false) => in_task::chain(1000, 1).await,
        ("fan100", true) => wf!(Fan100, Fan100Input { x: 1 }, sink),
        ("fan100", false) => in_task::fan(100, 1).await,
        ("diamond", true) => wf!(Diamond, DiamondInput { x: 1 }, sink),
        ("diamond", false) => in_task::fan(8, 1).await,
        ("diamond-spawn", true) => wf!(DiamondSpawn, DiamondSpawnInput { x: 1 }, sink),
        ("diamond-spawn", false) => spawned::fan(8, 1).await,
        _ => panic!("unknown workload `{workload}`"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let rt = workflow_core::Runtime::new();
    if args.is_empty() {
        tokio.block_on(async {
            for w in [
                "chain100",
                "chain1000",
                "fan100",
                "diamond",
                "diamond-spawn",
            ] {
                assert_eq!(one(&rt, w, true).await, one(&rt, w, false).await, "{w}");
            }
        });
        return;
    }
    let workload = args[0].clone();
    let workflow = args.get(1).is_none_or(|s| s == "workflow");
    let runs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let elapsed = tokio
        .block_on(tokio.spawn(async move {
            let start = Instant::now();
            for _ in 0..runs {
                black_box(one(&rt, &workload, workflow).await);
            }
            start.elapsed()
        }))
        .expect("profile task panicked");
    println!("{} ns per run", elapsed.as_nanos() as f64 / runs as f64);
}
