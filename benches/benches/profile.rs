//! A small, quick-to-compile driver for profilers (callgrind, perf): runs one workload
//! many times, workflow or hand-written, and prints the time per run.
//!
//! `cargo bench -p workflow-benches --bench profile -- <workload> <side> [runs]`, where
//! `<workload>` is `chain100`, `chain1000`, `fan100`, `diamond`, `diamond-spawn`,
//! `chain100-spawn`, `fan100-spawn`, or a W4 batch of 10,000 runs (`w4`, `w4-joined`,
//! `w4-spawn`, `w4-spawn-joined`; see [`spawn_and_throughput`]) and `<side>` is
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
        _ => spawn_and_throughput(rt, workload, workflow).await,
    }
}

/// Spawn mode and W4 (issue 17): `chain100-spawn`, `fan100-spawn`, and one W4 batch of
/// 10,000 concurrent diamond runs, each run in a task of its own (`w4`, `w4-spawn`) or
/// all joined in one task (`w4-joined`, `w4-spawn-joined`).
async fn spawn_and_throughput(rt: &workflow_core::Runtime, workload: &str, workflow: bool) -> u64 {
    use futures::future::join_all;
    const RUNS: u64 = 10_000;
    let sum = |outs: Vec<u64>| outs.into_iter().fold(0u64, u64::wrapping_add);
    let run = |x: u64, spawn: bool| {
        let rt = rt.clone();
        async move {
            if spawn {
                let run = rt.execute(DiamondSpawn, DiamondSpawnInput { x }).await;
                run.expect("workflow failed").outputs.sink
            } else {
                let run = rt.execute(Diamond, DiamondInput { x }).await;
                run.expect("workflow failed").outputs.sink
            }
        }
    };
    let hand = |x: u64, spawn: bool| async move {
        if spawn {
            spawned::fan(8, x).await
        } else {
            in_task::fan(8, x).await
        }
    };
    let per_task = |spawn: bool| {
        (0..RUNS)
            .map(|x| {
                if workflow {
                    tokio::spawn(run(x, spawn))
                } else {
                    tokio::spawn(hand(x, spawn))
                }
            })
            .collect::<Vec<_>>()
    };
    let joined = |spawn: bool| async move {
        if workflow {
            sum(join_all((0..RUNS).map(|x| run(x, spawn))).await)
        } else {
            sum(join_all((0..RUNS).map(|x| hand(x, spawn))).await)
        }
    };
    match workload {
        "chain100-spawn" if workflow => {
            let run = rt.execute(Chain100Spawn, Chain100SpawnInput { x: 1 }).await;
            run.expect("workflow failed").outputs.n99
        }
        "chain100-spawn" => spawned::chain(100, 1).await,
        "fan100-spawn" if workflow => {
            let run = rt.execute(Fan100Spawn, Fan100SpawnInput { x: 1 }).await;
            run.expect("workflow failed").outputs.sink
        }
        "fan100-spawn" => spawned::fan(100, 1).await,
        "w4" | "w4-spawn" => {
            let mut outs = Vec::with_capacity(RUNS as usize);
            for h in per_task(workload == "w4-spawn") {
                outs.push(h.await.expect("run task panicked"));
            }
            sum(outs)
        }
        "w4-joined" => joined(false).await,
        "w4-spawn-joined" => joined(true).await,
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
                "chain100-spawn",
                "fan100-spawn",
                "w4",
                "w4-joined",
                "w4-spawn",
                "w4-spawn-joined",
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
