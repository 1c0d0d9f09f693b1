//! `workflow-core` against hand-written tokio code of the same graphs, in one run.
//!
//! `cargo bench -p workflow-benches` measures every workload (criterion), then prints a
//! Markdown table of medians and ratios (the one in `BENCHMARKS.md`) and the allocation
//! figures. `cargo test -p workflow-benches --benches` runs each workload once and checks
//! that the workflow and the hand-written code compute the same value (no timing).
//!
//! Tokio: multi-thread runtime, 2 workers. Each sample runs the workload `iters` times
//! inside one spawned task and times the whole loop, so a run's cost includes
//! everything `Runtime::execute` does (setup, nodes, report) and nothing else.

use std::collections::BTreeMap;
use std::future::Future;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use workflow_benches::{add, in_task, inc, sleep_100ms, sleep_10ms, spawned};
use workflow_core::prelude::*;

mod alloc;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

include!(concat!(env!("OUT_DIR"), "/graphs.rs"));

type Tokio = tokio::runtime::Runtime;

/// Per-iteration times (ns) of every sample, by benchmark id.
static SAMPLES: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

fn record(id: &str, per_iter_ns: f64) {
    SAMPLES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(id.to_owned())
        .or_default()
        .push(per_iter_ns);
}

fn median(id: &str) -> Option<f64> {
    let samples = SAMPLES.lock().unwrap_or_else(|e| e.into_inner());
    let mut v = samples.get(id)?.clone();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 0 {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
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

/// Benchmarks `ours` (the workflow) and `hand` (hand-written tokio) side by side.
fn pair<F1, Fut1, F2, Fut2>(
    c: &mut Criterion,
    tokio: &Tokio,
    group: &str,
    param: &str,
    flat: bool,
    ours: F1,
    hand: F2,
) where
    F1: Fn() -> Fut1 + Clone + Send + 'static,
    Fut1: Future + Send,
    Fut1::Output: Send,
    F2: Fn() -> Fut2 + Clone + Send + 'static,
    Fut2: Future + Send,
    Fut2::Output: Send,
{
    if !selected(group) {
        return;
    }
    let mut g = c.benchmark_group(group);
    if flat {
        g.sampling_mode(SamplingMode::Flat).sample_size(10);
    }
    g.bench_function(BenchmarkId::new("workflow", param), |b| {
        b.iter_custom(|iters| time_in_task(tokio, iters, &ours))
    });
    g.bench_function(BenchmarkId::new("tokio", param), |b| {
        b.iter_custom(|iters| time_in_task(tokio, iters, &hand))
    });
    g.finish();
    if std::env::args().any(|a| a == "--bench") {
        interleaved(tokio, group, param, flat, &ours, &hand);
    }
}

/// Whether `group` runs: with `VS_TOKIO_ONLY=<prefix>` (`VS_TOKIO_ONLY="W4 throughput"`),
/// only the groups it starts; the cold-run table is skipped then.
fn selected(group: &str) -> bool {
    std::env::var("VS_TOKIO_ONLY").map_or(true, |only| group.starts_with(&only))
}

/// The samples behind the ratio table: workflow and hand-written samples alternate, so
/// load from other processes hits both sides alike (criterion measures one side, then
/// the other). Each sample lasts about 20 ms (or one iteration, for slow workloads).
fn interleaved<F1, Fut1, F2, Fut2>(
    tokio: &Tokio,
    group: &str,
    param: &str,
    flat: bool,
    ours: &F1,
    hand: &F2,
) where
    F1: Fn() -> Fut1 + Clone + Send + 'static,
    Fut1: Future + Send,
    Fut1::Output: Send,
    F2: Fn() -> Fut2 + Clone + Send + 'static,
    Fut2: Future + Send,
    Fut2::Output: Send,
{
    let calibrate = |once: Duration| -> u64 {
        (Duration::from_millis(20).as_nanos() / once.as_nanos().max(1)).clamp(1, 1_000_000) as u64
    };
    let (n1, n2) = if flat {
        (1, 1)
    } else {
        (
            calibrate(time_in_task(tokio, 10, ours) / 10),
            calibrate(time_in_task(tokio, 10, hand) / 10),
        )
    };
    let samples = if flat { 10 } else { 31 };
    for _ in 0..samples {
        let d = time_in_task(tokio, n1, ours);
        record(
            &format!("{group}/workflow/{param}"),
            d.as_nanos() as f64 / n1 as f64,
        );
        let d = time_in_task(tokio, n2, hand);
        record(
            &format!("{group}/tokio/{param}"),
            d.as_nanos() as f64 / n2 as f64,
        );
    }
}

/// `n` concurrent copies of `f`, each in its own task; completes when all are done.
async fn concurrently<F, Fut>(n: usize, f: F)
where
    F: Fn(u64) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let handles: Vec<_> = (0..n as u64).map(|i| tokio::spawn(f(i))).collect();
    for h in handles {
        black_box(h.await.expect("run task panicked"));
    }
}

/// `n` concurrent copies of `f`, all joined in the calling task (`join_all`).
async fn joined<F, Fut>(n: usize, f: F)
where
    F: Fn(u64) -> Fut,
    Fut: Future,
{
    black_box(futures::future::join_all((0..n as u64).map(f)).await);
}

/// W4 with the 10,000 runs joined in one task (`join_all`) rather than a task each
/// (issue 17): the run's own cost, without a tokio task around each run.
fn w4_joined(c: &mut Criterion, tokio: &Tokio, rt: &workflow_core::Runtime) {
    let (r1, r2) = (rt.clone(), rt.clone());
    pair(
        c,
        tokio,
        "W4 throughput joined",
        "10000 runs",
        true,
        move || {
            let rt = r1.clone();
            async move { joined(10_000, |x| rt.execute(Diamond, DiamondInput { x })).await }
        },
        || joined(10_000, |x| in_task::fan(8, x)),
    );
    pair(
        c,
        tokio,
        "W4 throughput spawn joined",
        "10000 runs",
        true,
        move || {
            let rt = r2.clone();
            async move {
                joined(10_000, |x| {
                    rt.execute(DiamondSpawn, DiamondSpawnInput { x })
                })
                .await
            }
        },
        || joined(10_000, |x| spawned::fan(8, x)),
    );
}

macro_rules! run {
    ($rt:expr, $wf:ident, $input:expr, $out:ident) => {{
        let rt = $rt.clone();
        move || {
            let rt = rt.clone();
            async move {
                rt.execute($wf, $input)
                    .await
                    .expect("benchmark workflow failed")
                    .outputs
                    .$out
            }
        }
    }};
}

fn benches(c: &mut Criterion, tokio: &Tokio) {
    let rt = workflow_core::Runtime::new();

    // W1: chains.
    pair(
        c,
        tokio,
        "W1 chain",
        "100",
        false,
        run!(rt, Chain100, Chain100Input { x: 1 }, n99),
        || in_task::chain(100, 1),
    );
    pair(
        c,
        tokio,
        "W1 chain",
        "1000",
        false,
        run!(rt, Chain1000, Chain1000Input { x: 1 }, n999),
        || in_task::chain(1000, 1),
    );
    pair(
        c,
        tokio,
        "W1 chain spawn",
        "100",
        false,
        run!(rt, Chain100Spawn, Chain100SpawnInput { x: 1 }, n99),
        || spawned::chain(100, 1),
    );
    pair(
        c,
        tokio,
        "W1 chain spawn",
        "1000",
        false,
        run!(rt, Chain1000Spawn, Chain1000SpawnInput { x: 1 }, n999),
        || spawned::chain(1000, 1),
    );

    // W2: fan-out/fan-in.
    pair(
        c,
        tokio,
        "W2 fan",
        "100",
        false,
        run!(rt, Fan100, Fan100Input { x: 1 }, sink),
        || in_task::fan(100, 1),
    );
    pair(
        c,
        tokio,
        "W2 fan",
        "1000",
        false,
        run!(rt, Fan1000, Fan1000Input { x: 1 }, sink),
        || in_task::fan(1000, 1),
    );
    pair(
        c,
        tokio,
        "W2 fan spawn",
        "100",
        false,
        run!(rt, Fan100Spawn, Fan100SpawnInput { x: 1 }, sink),
        || spawned::fan(100, 1),
    );
    pair(
        c,
        tokio,
        "W2 fan spawn",
        "1000",
        false,
        run!(rt, Fan1000Spawn, Fan1000SpawnInput { x: 1 }, sink),
        || spawned::fan(1000, 1),
    );

    // W3: lattice.
    pair(
        c,
        tokio,
        "W3 lattice",
        "32x32",
        false,
        run!(rt, Lattice32, Lattice32Input { x: 1 }, l_31_31),
        || in_task::lattice(32, 1),
    );
    pair(
        c,
        tokio,
        "W3 lattice spawn",
        "32x32",
        false,
        run!(rt, Lattice32Spawn, Lattice32SpawnInput { x: 1 }, l_31_31),
        || spawned::lattice(32, 1),
    );

    // W4: 10,000 concurrent runs of a diamond, each run in its own task.
    let (r1, r2) = (rt.clone(), rt.clone());
    pair(
        c,
        tokio,
        "W4 throughput",
        "10000 runs",
        true,
        move || {
            let rt = r1.clone();
            concurrently(10_000, move |x| rt.execute(Diamond, DiamondInput { x }))
        },
        || concurrently(10_000, |x| in_task::fan(8, x)),
    );
    pair(
        c,
        tokio,
        "W4 throughput spawn",
        "10000 runs",
        true,
        move || {
            let rt = r2.clone();
            concurrently(10_000, move |x| {
                rt.execute(DiamondSpawn, DiamondSpawnInput { x })
            })
        },
        || concurrently(10_000, |x| spawned::fan(8, x)),
    );
    w4_joined(c, tokio, &rt);

    // W5: sleeps (wall time).
    let (r1, r2) = (rt.clone(), rt.clone());
    pair(
        c,
        tokio,
        "W5 sleep",
        "100 runs x 10ms",
        true,
        move || {
            let rt = r1.clone();
            concurrently(100, move |_| rt.execute(Sleep1x10ms, Sleep1x10msInput {}))
        },
        || concurrently(100, |_| in_task::sleeps(1, 10)),
    );
    pair(
        c,
        tokio,
        "W5 sleep",
        "1 run x 10 nodes x 100ms",
        true,
        run!(rt, Sleep10x100ms, Sleep10x100msInput {}, s9),
        || in_task::sleeps(10, 100),
    );
    pair(
        c,
        tokio,
        "W5 sleep spawn",
        "100 runs x 10ms",
        true,
        move || {
            let rt = r2.clone();
            concurrently(100, move |_| {
                rt.execute(Sleep1x10msSpawn, Sleep1x10msSpawnInput {})
            })
        },
        || concurrently(100, |_| spawned::sleeps(1, 10)),
    );
    pair(
        c,
        tokio,
        "W5 sleep spawn",
        "1 run x 10 nodes x 100ms",
        true,
        run!(rt, Sleep10x100msSpawn, Sleep10x100msSpawnInput {}, s9),
        || spawned::sleeps(10, 100),
    );
}

/// Every workflow computes what its hand-written twin computes.
fn check_results(tokio: &Tokio) {
    let rt = workflow_core::Runtime::new();
    tokio.block_on(async {
        macro_rules! same {
            ($wf:ident, $input:expr, $out:ident, $hand:expr) => {
                let got = rt
                    .execute($wf, $input)
                    .await
                    .expect("workflow failed")
                    .outputs
                    .$out;
                assert_eq!(
                    got,
                    $hand.await,
                    "{} disagrees with its baseline",
                    stringify!($wf)
                );
            };
        }
        same!(
            Chain100,
            Chain100Input { x: 1 },
            n99,
            in_task::chain(100, 1)
        );
        same!(
            Chain1000,
            Chain1000Input { x: 1 },
            n999,
            in_task::chain(1000, 1)
        );
        same!(
            Chain1000Spawn,
            Chain1000SpawnInput { x: 1 },
            n999,
            spawned::chain(1000, 1)
        );
        same!(Fan100, Fan100Input { x: 1 }, sink, in_task::fan(100, 1));
        same!(Fan1000, Fan1000Input { x: 1 }, sink, in_task::fan(1000, 1));
        same!(
            Fan1000Spawn,
            Fan1000SpawnInput { x: 1 },
            sink,
            spawned::fan(1000, 1)
        );
        same!(
            Lattice32,
            Lattice32Input { x: 1 },
            l_31_31,
            in_task::lattice(32, 1)
        );
        same!(
            Lattice32Spawn,
            Lattice32SpawnInput { x: 1 },
            l_31_31,
            spawned::lattice(32, 1)
        );
        same!(Diamond, DiamondInput { x: 1 }, sink, in_task::fan(8, 1));
    });
}

/// Allocations and peak heap of one W2 run with N = 1,000, workflow and hand-written.
fn allocations(tokio: &Tokio) -> String {
    let rt = workflow_core::Runtime::new();
    let ours = run!(rt, Fan1000, Fan1000Input { x: 1 }, sink);
    let hand = || in_task::fan(1000, 1);
    // Warm up: lazily initialised statics, tracing callsites, tokio's timer wheel.
    time_in_task(tokio, 3, &ours);
    time_in_task(tokio, 3, &hand);
    let rss_before = alloc::peak_rss_kib();
    let (_, a) = alloc::count(|| time_in_task(tokio, 1, &ours));
    let rss_after = alloc::peak_rss_kib();
    let (_, b) = alloc::count(|| time_in_task(tokio, 1, &hand));
    let nodes = 1002.0;
    let mut s = String::new();
    s.push_str("| W2, N = 1,000 (1,002 nodes), one run | allocations | per node | peak heap during the run |\n|---|---:|---:|---:|\n");
    s.push_str(&format!(
        "| workflow | {} | {:.2} | {:.1} KiB |\n",
        a.allocs,
        a.allocs as f64 / nodes,
        a.peak_bytes as f64 / 1024.0
    ));
    s.push_str(&format!(
        "| hand-written (join_all) | {} | {:.2} | {:.1} KiB |\n",
        b.allocs,
        b.allocs as f64 / nodes,
        b.peak_bytes as f64 / 1024.0
    ));
    // W4's run: one diamond, in the task that awaits it (the task itself not counted).
    let ours = run!(rt, Diamond, DiamondInput { x: 1 }, sink);
    let hand = || in_task::fan(8, 1);
    time_in_task(tokio, 3, &ours);
    time_in_task(tokio, 3, &hand);
    let (_, task) = alloc::count(|| time_in_task(tokio, 1, &|| async { 0u64 }));
    let (_, a) = alloc::count(|| time_in_task(tokio, 1, &ours));
    let sizes = alloc::first_sizes();
    let (_, b) = alloc::count(|| time_in_task(tokio, 1, &hand));
    let task_sizes = task.allocs.min(sizes.len());
    s.push_str(&format!(
        "\n| W4 diamond (10 nodes), one run | allocations | bytes allocated, in order |\n|---|---:|---|\n| workflow | {} | {:?} |\n| hand-written (join_all) | {} | |\n",
        a.allocs - task.allocs,
        &sizes[task_sizes..],
        b.allocs - task.allocs,
    ));
    // glibc serves a block of up to 1,032 bytes from its per-thread cache; the run's
    // future above that goes through the arena's bins, ~800 instructions a run more
    // (issue 17, session 27: a Diamond's run box had grown to 1,064 bytes).
    if let Some(&largest) = sizes[task_sizes..].iter().max() {
        let fits = if largest <= 1032 {
            "within"
        } else {
            "ABOVE (the run's allocation misses glibc's per-thread cache)"
        };
        s.push_str(&format!(
            "\nLargest allocation of the run: {largest} bytes, {fits} the 1,032 bytes glibc's per-thread cache serves.\n"
        ));
    }
    if let (Some(x), Some(y)) = (rss_before, rss_after) {
        s.push_str(&format!(
            "\nProcess peak RSS (VmHWM): {x} KiB before the counted workflow run, {y} KiB after (includes the bench binary and tokio).\n"
        ));
    }
    s
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The Markdown table of medians and ratios.
fn table() -> String {
    // (group, param, nodes per run, runs per iteration, kind)
    enum Kind {
        Ratio(f64),
        /// A ratio with no target of its own (the lattice against its topological awaits:
        /// issue 17's ≤ 3× is against the wavefront, printed below the table).
        Reference,
        Throughput(f64),
        WallDiffMs(f64),
    }
    let rows: &[(&str, &str, f64, f64, Kind)] = &[
        ("W1 chain", "100", 100.0, 1.0, Kind::Ratio(5.0)),
        ("W1 chain", "1000", 1000.0, 1.0, Kind::Ratio(5.0)),
        ("W2 fan", "100", 102.0, 1.0, Kind::Ratio(2.0)),
        ("W2 fan", "1000", 1002.0, 1.0, Kind::Ratio(2.0)),
        ("W3 lattice", "32x32", 1024.0, 1.0, Kind::Reference),
        (
            "W4 throughput",
            "10000 runs",
            10.0,
            10_000.0,
            Kind::Throughput(1.0 / 3.0),
        ),
        (
            "W4 throughput joined",
            "10000 runs",
            10.0,
            10_000.0,
            Kind::Throughput(1.0 / 3.0),
        ),
        (
            "W5 sleep",
            "100 runs x 10ms",
            1.0,
            100.0,
            Kind::WallDiffMs(1.0),
        ),
        (
            "W5 sleep",
            "1 run x 10 nodes x 100ms",
            10.0,
            1.0,
            Kind::WallDiffMs(1.0),
        ),
        ("W1 chain spawn", "100", 100.0, 1.0, Kind::Ratio(1.5)),
        ("W1 chain spawn", "1000", 1000.0, 1.0, Kind::Ratio(1.5)),
        ("W2 fan spawn", "100", 102.0, 1.0, Kind::Ratio(1.5)),
        ("W2 fan spawn", "1000", 1002.0, 1.0, Kind::Ratio(1.5)),
        ("W3 lattice spawn", "32x32", 1024.0, 1.0, Kind::Ratio(1.5)),
        (
            "W4 throughput spawn",
            "10000 runs",
            10.0,
            10_000.0,
            Kind::Throughput(1.0 / 1.5),
        ),
        (
            "W4 throughput spawn joined",
            "10000 runs",
            10.0,
            10_000.0,
            Kind::Throughput(1.0 / 1.5),
        ),
        (
            "W5 sleep spawn",
            "100 runs x 10ms",
            1.0,
            100.0,
            Kind::WallDiffMs(1.0),
        ),
        (
            "W5 sleep spawn",
            "1 run x 10 nodes x 100ms",
            10.0,
            1.0,
            Kind::WallDiffMs(1.0),
        ),
    ];
    let mut s = String::from(
        "| workload | workflow (median) | hand-written tokio (median) | ratio | workflow per node | hand-written per node | target | met |\n|---|---:|---:|---:|---:|---:|---|---|\n",
    );
    for (group, param, nodes, runs, kind) in rows {
        let (Some(ours), Some(hand)) = (
            median(&format!("{group}/workflow/{param}")),
            median(&format!("{group}/tokio/{param}")),
        ) else {
            continue;
        };
        let per_node = |t: f64| fmt_ns(t / (nodes * runs));
        let (ratio, target, met) = match kind {
            Kind::Ratio(max) => (
                format!("{:.2}×", ours / hand),
                format!("≤ {max}×"),
                Some(ours / hand <= *max),
            ),
            Kind::Reference => (
                format!("{:.2}×", ours / hand),
                "none (≤ 3× is against the wavefront, below)".to_string(),
                None,
            ),
            Kind::Throughput(min) => {
                let (a, b) = (runs / (ours / 1e9), runs / (hand / 1e9));
                (
                    format!("{:.2} ({:.0} vs {:.0} runs/s)", a / b, a, b),
                    format!("≥ {min:.2} of the throughput"),
                    Some(a / b >= *min),
                )
            }
            Kind::WallDiffMs(max) => {
                let diff = (ours - hand) / 1e6;
                (
                    format!("{diff:+.3} ms"),
                    format!("within {max} ms"),
                    Some(diff.abs() <= *max),
                )
            }
        };
        s.push_str(&format!(
            "| {group} {param} | {} | {} | {ratio} | {} | {} | {target} | {} |\n",
            fmt_ns(ours),
            fmt_ns(hand),
            per_node(ours),
            per_node(hand),
            match met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "–",
            }
        ));
    }
    s
}

/// Cold runs (issue 17): one execution at a time with cold caches, as a service that
/// runs a workflow now and then meets it. Before each timed run, a buffer twice the size
/// of the L3 cache ([`workflow_benches::evict_bytes`]) is written, evicting the workflow's code
/// and data; workflow and hand-written runs alternate. Also W3 against a wavefront of
/// `join_all`s, hot (the W3 target's baseline). A Markdown table.
/// One run of a workload, boxed (so the cold-run table holds workflows and baselines alike).
type BoxedRun = std::pin::Pin<Box<dyn Future<Output = u64> + Send>>;

fn cold_runs(tokio: &Tokio) -> String {
    let evict_bytes = workflow_benches::evict_bytes();
    const SAMPLES: usize = 31;
    let rt = workflow_core::Runtime::new();
    let mut buffer = vec![0u8; evict_bytes];
    let mut round = 0u8;
    let mut cold = |f: &dyn Fn() -> BoxedRun| {
        round = round.wrapping_add(1);
        buffer.fill(round);
        black_box(&buffer[evict_bytes / 2]);
        let fut = f();
        tokio.block_on(async move {
            let start = Instant::now();
            black_box(fut.await);
            start.elapsed().as_nanos() as f64
        })
    };
    type Run<'a> = &'a dyn Fn() -> BoxedRun;
    macro_rules! wf {
        ($wf:ident, $input:expr, $out:ident) => {{
            let rt = rt.clone();
            move || -> BoxedRun {
                let rt = rt.clone();
                Box::pin(async move {
                    rt.execute($wf, $input)
                        .await
                        .expect("cold run")
                        .outputs
                        .$out
                })
            }
        }};
    }
    let c100 = wf!(Chain100, Chain100Input { x: 1 }, n99);
    let c1000 = wf!(Chain1000, Chain1000Input { x: 1 }, n999);
    let f100 = wf!(Fan100, Fan100Input { x: 1 }, sink);
    let f1000 = wf!(Fan1000, Fan1000Input { x: 1 }, sink);
    let l32 = wf!(Lattice32, Lattice32Input { x: 1 }, l_31_31);
    let hand = |f: fn(usize, u64) -> BoxedRun, n| move || f(n, 1);
    let h_chain = |n, x| -> BoxedRun { Box::pin(in_task::chain(n, x)) };
    let h_fan = |n, x| -> BoxedRun { Box::pin(in_task::fan(n, x)) };
    let h_lattice = |n, x| -> BoxedRun { Box::pin(in_task::lattice(n, x)) };
    let h_wave = |n, x| -> BoxedRun { Box::pin(in_task::lattice_wavefront(n, x)) };
    let (hc100, hc1000) = (hand(h_chain, 100), hand(h_chain, 1000));
    let (hf100, hf1000) = (hand(h_fan, 100), hand(h_fan, 1000));
    let (hl, hw) = (hand(h_lattice, 32), hand(h_wave, 32));
    // (workload, nodes, workflow, hand-written, target ratio)
    let rows: [(&str, f64, Run<'_>, Run<'_>, f64); 6] = [
        ("W1 chain 100", 100.0, &c100, &hc100, 10.0),
        ("W1 chain 1000", 1000.0, &c1000, &hc1000, 10.0),
        ("W2 fan 100", 102.0, &f100, &hf100, 2.0),
        ("W2 fan 1000", 1002.0, &f1000, &hf1000, 2.0),
        ("W3 lattice 32x32", 1024.0, &l32, &hl, f64::NAN),
        ("W3 lattice 32x32 vs wavefront", 1024.0, &l32, &hw, f64::NAN),
    ];
    let med = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut s = String::from(
        "| workload, cold | workflow (median) | hand-written (median) | ratio | workflow per node | hand-written per node | target | met |\n|---|---:|---:|---:|---:|---:|---|---|\n",
    );
    for (name, nodes, ours, theirs, target) in rows {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..SAMPLES {
            a.push(cold(ours));
            b.push(cold(theirs));
        }
        let (a, b) = (med(a), med(b));
        let (target, met) = if target.is_nan() {
            ("–".to_owned(), "–")
        } else {
            (
                format!("≤ {target}×"),
                if a / b <= target { "yes" } else { "**no**" },
            )
        };
        s.push_str(&format!(
            "| {name} | {} | {} | {:.2}× | {} | {} | {target} | {met} |\n",
            fmt_ns(a),
            fmt_ns(b),
            a / b,
            fmt_ns(a / nodes),
            fmt_ns(b / nodes),
        ));
    }
    // W3's target baseline, hot: the same lattice as a wavefront of `join_all`s.
    interleaved(tokio, "W3 lattice vs wavefront", "32x32", false, &l32, &hw);
    if let (Some(a), Some(b)) = (
        median("W3 lattice vs wavefront/workflow/32x32"),
        median("W3 lattice vs wavefront/tokio/32x32"),
    ) {
        s.push_str(&format!(
            "\nHot, W3 lattice 32x32 against the wavefront: {} vs {}, {:.2}× (target ≤ 3×: {}).\n",
            fmt_ns(a),
            fmt_ns(b),
            a / b,
            if a / b <= 3.0 { "met" } else { "**not met**" }
        ));
    }
    s
}

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    check_results(&tokio);
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let allocs = bench_mode.then(|| allocations(&tokio));

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    benches(&mut c, &tokio);
    c.final_summary();

    if bench_mode {
        println!("\n## Medians and ratios (same run)\n\n{}", table());
        if std::env::var_os("VS_TOKIO_ONLY").is_none() {
            println!(
                "## Cold runs (caches evicted before each run: {} MiB written)\n\n{}",
                workflow_benches::evict_bytes() >> 20,
                cold_runs(&tokio)
            );
        }
        println!("## Allocations\n\n{}", allocs.unwrap_or_default());
    }
}
