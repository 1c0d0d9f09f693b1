//! A small, quick-to-compile driver for profilers (callgrind, perf): runs one workload
//! many times, workflow or hand-written, and prints the time per run.
//!
//! `cargo bench -p workflow-benches --bench profile -- <workload> <side> [runs] [cold]`,
//! where `<workload>` is `chain100`, `chain1000`, `fan100`, `fan1000`, `lattice32`,
//! `diamond`, `diamond-spawn`, `items100`, `items100-deadlock`, `sub-diamond`,
//! `sub-policy`, `chain100-spawn`, `chain1000-spawn`, `fan100-spawn`, `lattice32-spawn`, or
//! a W4 batch of 10,000 runs (`w4`, `w4-joined`, `w4-spawn`, `w4-spawn-joined`, and `w4-vs`
//! and `w4-joined-vs`, shaped exactly as `vs_tokio`'s W4 and W4 joined; see
//! [`spawn_and_throughput`]; and `w4-joined-out`, `w4-joined-boxed`, `w4-joined-boxed-out`,
//! `w4-joined-shaped`, whose `tokio` side is W4 joined's hand-written side given what a
//! workflow run keeps or does beyond its nodes, see [`shaped`]; their `workflow` side is
//! `w4-joined-vs`'s) and `<side>` is `workflow`, `tokio` or (lattice only) `wavefront`.
//! With `cold`, every run starts with cold caches: before it, the driver writes a buffer
//! twice the size of the largest cache (`workflow_benches::evict_bytes`, from sysfs), and
//! only the run itself is timed. With `fresh`, every run is a task of its own spawned from
//! outside the runtime (as `vs_tokio` times a sample), and the median is printed; with
//! `allocs`, the allocations of one run are counted (after three warm-up runs), with their
//! sizes. Without arguments (as under `cargo test --benches`) it runs each workload once.

use std::hint::black_box;
use std::time::Instant;

use workflow_benches::{add, in_task, inc, spawned};
use workflow_core::prelude::*;

include!(concat!(env!("OUT_DIR"), "/small.rs"));

workflow! {
    /// A fan-out of 100 items, one `inc` each (`items100`; `items100-deadlock` runs it
    /// with a stall limit, which a run without fan-outs or sub-workflows steps through
    /// once a limit, and one with them in quarters).
    struct Items100 {
        input xs: Vec<u64>,
        ys = for x in xs {
            y = inc(x),
        } => y,
    }
}

workflow! {
    /// Two `inc`s under a policy (`failure = "continue"`): as a sub-workflow, a whole
    /// run of its own rather than a lane's item (`sub-policy`).
    #[workflow(failure = "continue")]
    struct IncTwice {
        input x: u64,
        a = inc(x),
        b = inc(x: a),
    }
}

workflow! {
    /// `IncTwice` as a sub-workflow (`sub-policy`).
    struct SubPolicy {
        input x: u64,
        d = IncTwice(x),
    }
}

workflow! {
    /// W4's diamond as a sub-workflow: one node of the run is a whole child run
    /// (`sub-diamond`).
    struct SubDiamond {
        input x: u64,
        d = Diamond(x),
    }
}

// The counting allocator of `vs_tokio` (the one module of the benchmarks with `unsafe`):
// `<workload> <side> allocs` counts one run's allocations; off, it only forwards.
#[path = "vs_tokio/alloc.rs"]
#[allow(dead_code)]
mod alloc;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Evicts the caches: writes (and reads back) a buffer larger than the L3 cache.
fn evict(buffer: &mut [u8], round: u64) {
    // A different byte each round, so the writes cannot be skipped.
    buffer.fill(round as u8);
    black_box(&buffer[buffer.len() / 2]);
}

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
        ("fan1000", true) => wf!(Fan1000, Fan1000Input { x: 1 }, sink),
        ("fan1000", false) => in_task::fan(1000, 1).await,
        ("items100" | "items100-deadlock", true) => {
            let xs: Vec<u64> = (0..100).collect();
            let opts = if workload == "items100-deadlock" {
                RunOptions::new().deadlock(std::time::Duration::from_secs(1))
            } else {
                RunOptions::new()
            };
            let run = rt.execute_with(Items100, Items100Input { xs }, opts).await;
            let ys = run.expect("workflow failed").outputs.ys;
            ys.into_iter().fold(0u64, u64::wrapping_add)
        }
        ("items100" | "items100-deadlock", false) => (1..=100).sum(),
        ("sub-diamond", true) => {
            let run = rt.execute(SubDiamond, SubDiamondInput { x: 1 }).await;
            run.expect("workflow failed").outputs.d.sink
        }
        ("sub-diamond", false) => in_task::fan(8, 1).await,
        ("sub-policy", true) => {
            let run = rt.execute(SubPolicy, SubPolicyInput { x: 1 }).await;
            run.expect("workflow failed").outputs.d.b
        }
        ("sub-policy", false) => in_task::chain(2, 1).await,
        ("lattice32", true) => wf!(Lattice32, Lattice32Input { x: 1 }, l_31_31),
        ("lattice32", false) => in_task::lattice(32, 1).await,
        ("diamond", true) => wf!(Diamond, DiamondInput { x: 1 }, sink),
        ("diamond", false) => in_task::fan(8, 1).await,
        ("diamond-spawn", true) => wf!(DiamondSpawn, DiamondSpawnInput { x: 1 }, sink),
        ("diamond-spawn", false) => spawned::fan(8, 1).await,
        _ => spawn_and_throughput(rt, workload, workflow).await,
    }
}

/// Spawn mode and W4 (issue 17): `chain100-spawn`, `chain1000-spawn`, `fan100-spawn`,
/// `lattice32-spawn`, and one W4 batch of 10,000 concurrent diamond runs, each run in a
/// task of its own (`w4`, `w4-spawn`) or all joined in one task (`w4-joined`,
/// `w4-spawn-joined`).
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
        "chain1000-spawn" if workflow => {
            let run = rt
                .execute(Chain1000Spawn, Chain1000SpawnInput { x: 1 })
                .await;
            run.expect("workflow failed").outputs.n999
        }
        "chain1000-spawn" => spawned::chain(1000, 1).await,
        "fan100-spawn" if workflow => {
            let run = rt.execute(Fan100Spawn, Fan100SpawnInput { x: 1 }).await;
            run.expect("workflow failed").outputs.sink
        }
        "fan100-spawn" => spawned::fan(100, 1).await,
        "lattice32-spawn" if workflow => {
            let run = rt
                .execute(Lattice32Spawn, Lattice32SpawnInput { x: 1 })
                .await;
            run.expect("workflow failed").outputs.l_31_31
        }
        "lattice32-spawn" => spawned::lattice(32, 1).await,
        "w4" | "w4-spawn" => {
            let mut outs = Vec::with_capacity(RUNS as usize);
            for h in per_task(workload == "w4-spawn") {
                outs.push(h.await.expect("run task panicked"));
            }
            sum(outs)
        }
        // `vs_tokio`'s W4 exactly: the run's future itself is the task (its output, with
        // the report, stays in the task until joined), the baseline's future too.
        "w4-vs" if workflow => {
            let handles: Vec<_> = (0..RUNS)
                .map(|x| tokio::spawn(rt.execute(Diamond, DiamondInput { x })))
                .collect();
            let mut total = 0u64;
            for h in handles {
                let run = h.await.expect("run task panicked");
                total = total.wrapping_add(run.expect("workflow failed").outputs.sink);
            }
            total
        }
        "w4-vs" => {
            let handles: Vec<_> = (0..RUNS)
                .map(|x| tokio::spawn(in_task::fan(8, x)))
                .collect();
            let mut total = 0u64;
            for h in handles {
                total = total.wrapping_add(h.await.expect("run task panicked"));
            }
            total
        }
        "w4-joined" => joined(false).await,
        // `vs_tokio`'s W4 joined exactly: `join_all` of the runs' own futures, whose
        // outputs (each `Run` with its report) all stay alive until the last run ends.
        "w4-joined-vs" if workflow => {
            let runs = join_all((0..RUNS).map(|x| rt.execute(Diamond, DiamondInput { x }))).await;
            runs.into_iter()
                .map(|run| run.expect("workflow failed").outputs.sink)
                .fold(0u64, u64::wrapping_add)
        }
        "w4-joined-vs" => sum(join_all((0..RUNS).map(|x| in_task::fan(8, x))).await),
        "w4-spawn-joined" => joined(true).await,
        // The same runs for the workflow; the hand-written side shaped like a run.
        "w4-joined-out" | "w4-joined-boxed" | "w4-joined-boxed-out" | "w4-joined-shaped" => {
            if workflow {
                Box::pin(spawn_and_throughput(rt, "w4-joined-vs", true)).await
            } else {
                shaped(workload).await
            }
        }
        _ => panic!("unknown workload `{workload}`"),
    }
}

/// The words of a W4 run's output as `join_all` keeps it: `rt.execute`'s
/// `Result<Run<DiamondOutput>, WorkflowError>` (128 bytes, public types).
const RUN_OUTPUT_WORDS: usize =
    std::mem::size_of::<Result<workflow_core::Run<DiamondOutput>, WorkflowError>>() / 8;

/// W4 joined's hand-written side (10,000 `in_task::fan(8, x)` runs in one `join_all`)
/// given, one at a time, what a workflow run keeps or does beyond running its nodes,
/// none of which its engine can drop without changing its API or behaviour (issue 17,
/// session 23): `w4-joined-out`, each run's output as large as a run's `Result<Run<_>,
/// _>`; `w4-joined-boxed`, each run's future boxed, as `rt.execute`'s `RunFuture` boxes
/// the run's start (here the whole future, 128 bytes or more, where a run's start box
/// holds 40: an upper bound of what that box costs); `w4-joined-boxed-out`, both; `w4-joined-shaped`, both and the two
/// clock readings of a run's report (its start, and its end for `duration`).
async fn shaped(workload: &str) -> u64 {
    use futures::future::join_all;
    use std::future::Future;
    use std::pin::Pin;
    type Out = [u64; RUN_OUTPUT_WORDS];
    type Boxed = Pin<Box<dyn Future<Output = Out> + Send>>;
    const RUNS: u64 = 10_000;
    let first = |outs: Vec<Out>| outs.into_iter().map(|o| o[0]).fold(0u64, u64::wrapping_add);
    let out = |v: u64| {
        let mut o = [0u64; RUN_OUTPUT_WORDS];
        o[0] = v;
        black_box(o)
    };
    match workload {
        "w4-joined-out" => {
            first(join_all((0..RUNS).map(|x| async move { out(in_task::fan(8, x).await) })).await)
        }
        "w4-joined-boxed" => {
            let runs = (0..RUNS).map(|x| -> Pin<Box<dyn Future<Output = u64> + Send>> {
                Box::pin(in_task::fan(8, x))
            });
            join_all(runs)
                .await
                .into_iter()
                .fold(0u64, u64::wrapping_add)
        }
        "w4-joined-boxed-out" => {
            let runs = (0..RUNS)
                .map(|x| -> Boxed { Box::pin(async move { out(in_task::fan(8, x).await) }) });
            first(join_all(runs).await)
        }
        _ => {
            let runs = (0..RUNS).map(|x| -> Boxed {
                Box::pin(async move {
                    let start = tokio::time::Instant::now();
                    let mut o = out(in_task::fan(8, x).await);
                    o[1] = start.elapsed().as_nanos() as u64;
                    black_box(o)
                })
            });
            first(join_all(runs).await)
        }
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
                "fan1000",
                "lattice32",
                "items100",
                "items100-deadlock",
                "sub-diamond",
                "sub-policy",
                "diamond",
                "diamond-spawn",
                "chain100-spawn",
                "chain1000-spawn",
                "fan100-spawn",
                "lattice32-spawn",
                "w4",
                "w4-joined",
                "w4-joined-vs",
                "w4-joined-out",
                "w4-joined-boxed",
                "w4-joined-boxed-out",
                "w4-joined-shaped",
                "w4-spawn",
                "w4-spawn-joined",
                "w4-vs",
            ] {
                assert_eq!(one(&rt, w, true).await, one(&rt, w, false).await, "{w}");
            }
            assert_eq!(
                in_task::lattice_wavefront(32, 1).await,
                one(&rt, "lattice32", true).await
            );
        });
        return;
    }
    let workload = args[0].clone();
    let side = args.get(1).cloned().unwrap_or_else(|| "workflow".into());
    let runs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mode = args.get(3).map_or("hot", String::as_str);
    if mode == "allocs" || mode == "fresh" {
        return separate(&tokio, &rt, &workload, &side, runs, mode == "allocs");
    }
    let cold = mode == "cold";
    let elapsed = tokio
        .block_on(tokio.spawn(async move {
            let mut buffer = if cold {
                vec![0u8; workflow_benches::evict_bytes()]
            } else {
                Vec::new()
            };
            let mut total = std::time::Duration::ZERO;
            let mut start = Instant::now();
            for round in 0..runs {
                if cold {
                    evict(&mut buffer, round);
                    start = Instant::now();
                }
                black_box(match side.as_str() {
                    "wavefront" => in_task::lattice_wavefront(32, 1).await,
                    s => one(&rt, &workload, s == "workflow").await,
                });
                if cold {
                    total += start.elapsed();
                }
            }
            if cold {
                total
            } else {
                start.elapsed()
            }
        }))
        .expect("profile task panicked");
    println!(
        "{} ns per run ({mode})",
        elapsed.as_nanos() as f64 / runs as f64
    );
}

/// `runs` runs, each in a task of its own spawned from outside the runtime, as
/// `vs_tokio` times its samples (`fresh`: prints the median time per run); or (`allocs`)
/// the allocations and peak heap of one such run after three warm-up runs.
fn separate(
    tokio: &tokio::runtime::Runtime,
    rt: &workflow_core::Runtime,
    workload: &str,
    side: &str,
    runs: u64,
    allocs: bool,
) {
    let once = || {
        let (rt, workload, workflow) = (rt.clone(), workload.to_owned(), side == "workflow");
        let task = tokio.spawn(async move {
            let start = Instant::now();
            black_box(one(&rt, &workload, workflow).await);
            start.elapsed()
        });
        tokio.block_on(task).expect("profile task panicked")
    };
    if allocs {
        for _ in 0..3 {
            once();
        }
        let (_, counts) = alloc::count(once);
        println!(
            "{} allocations, peak {} bytes live (one run of `{workload}`, {side})",
            counts.allocs, counts.peak_bytes
        );
        println!("sizes, in order: {:?}", alloc::first_sizes());
        return;
    }
    let mut times: Vec<f64> = (0..runs).map(|_| once().as_nanos() as f64).collect();
    times.sort_by(f64::total_cmp);
    println!(
        "{} ns per run (median of {runs}, fresh task each)",
        times[times.len() / 2]
    );
}
