//! Stress: thousands of concurrent runs of the generated corpus on one `Runtime`, with
//! faults injected (nodes failing, failing then recovering on retry, panicking, hanging
//! into a node or workflow timeout, runs dropped mid-flight), then `shutdown()`.
//!
//! Checked afterwards: every run is accounted for (its outputs, or the error its script
//! calls for, or dropped by the test), no node attempt is still alive, no tokio task is
//! left, every run released its input and its `Res<Probe>`, the resource's cleanup ran
//! exactly once (and not again on a second `shutdown`), and later runs are refused.

use crate::support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;
use workflow_core::prelude::*;
use workflow_core::{Res, TimeoutScope};

/// How a test run was driven.
#[derive(Debug, Clone, Copy)]
enum Drive {
    /// Awaited to the end.
    Whole,
    /// Dropped after this long (paused clock: exact; real clock: roughly).
    DropAfter(Duration),
    /// Its task aborted after the test task yielded this many times.
    AbortAfterYields(u32),
}

struct Case {
    shape: usize,
    script: Arc<Script>,
    refs: Vec<RefNode>,
    expect: Expect,
    drive: Drive,
    timeout: Option<Duration>,
}

/// Counts cleanups of the `Probe` resource.
fn runtime_with_probe(cleanups: &Arc<AtomicUsize>) -> Runtime {
    let c = Arc::clone(cleanups);
    Runtime::builder()
        .resource_with_cleanup(Probe, move |_probe: Arc<Probe>| async move {
            c.fetch_add(1, Ordering::SeqCst);
        })
        .build()
}

/// Runs every case concurrently, each in its own task, and checks the outcome of each.
/// Returns the tally of outcomes.
///
/// `in_flight` bounds how many runs are past their start at once (all tasks are spawned
/// up front either way).
async fn run_all(
    rt: &Runtime,
    cases: &[Case],
    paused: bool,
    in_flight: usize,
) -> BTreeMap<&'static str, usize> {
    let gate = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let mut handles = Vec::with_capacity(cases.len());
    for c in cases {
        let mut opts = RunOptions::new();
        if let Some(t) = c.timeout {
            opts = opts.timeout(t);
        }
        let fut = run(c.shape, rt, &c.script, opts);
        let gate = Arc::clone(&gate);
        let drive = c.drive;
        let handle = tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            match drive {
                Drive::Whole | Drive::AbortAfterYields(_) => Some(fut.await),
                Drive::DropAfter(d) => tokio::time::timeout(d, fut).await.ok(),
            }
        });
        handles.push(handle);
    }
    // Abort some runs at a random point: after the test task yielded k times.
    for (c, h) in cases.iter().zip(&handles) {
        if let Drive::AbortAfterYields(k) = c.drive {
            for _ in 0..k {
                tokio::task::yield_now().await;
            }
            h.abort();
        }
    }
    let mut tally = BTreeMap::new();
    for (n, (c, h)) in cases.iter().zip(handles).enumerate() {
        let ctx = format!(
            "run {n} ({:?}, paused clock {paused}): {}",
            c.drive,
            describe(&SHAPES[c.shape], &c.script.behaviour)
        );
        let kind = match h.await {
            // With the real clock, a node's time limit also counts time spent waiting
            // for a worker (for a spawned node, the wait for its task's first poll), so
            // a busy machine can time out a node that would have finished: accepted
            // only for nodes that have a time limit, and tallied apart. The exact
            // timeout behaviour is checked under the paused clock.
            Ok(Some((
                Err(WorkflowError::Timeout {
                    scope: TimeoutScope::Node(node),
                    ..
                }),
                _,
            ))) if !paused && {
                let i: usize = node[1..].parse().unwrap();
                SHAPES[c.shape].nodes[i].timeout_ms.is_some()
                    && !matches!(c.refs[i].outcome, RefOutcome::Timeout { .. })
            } =>
            {
                "node timeout under load"
            }
            Ok(Some((result, _report))) => check_expected(&result, &c.expect, &c.refs, &ctx),
            Ok(None) => "dropped",
            Err(e) if e.is_cancelled() => "aborted",
            Err(e) => panic!("{ctx}: the run's task panicked: {e}"),
        };
        *tally.entry(kind).or_insert(0) += 1;
    }
    tally
}

/// After every run ended: nothing alive, everything released, cleanup exactly once.
async fn check_clean_shutdown(
    rt: &Runtime,
    cases: &[Case],
    live: &AtomicUsize,
    cleanups: &AtomicUsize,
) {
    let probe = rt.resource::<Probe>().unwrap();
    let report = rt.shutdown().await;
    assert_eq!(report.runs_still_active, 0);
    assert_eq!(report.cleaned.len(), 1, "{report:?}");
    assert!(report.cleanup_panics.is_empty());
    assert_eq!(cleanups.load(Ordering::SeqCst), 1);
    // shutdown waited for aborted spawned nodes too: nothing is alive now.
    assert_eq!(live.load(Ordering::SeqCst), 0, "node attempts still alive");
    // A finished task leaves tokio's count just after its JoinHandle is told, possibly
    // on another worker: give it a moment.
    let metrics = tokio::runtime::Handle::current().metrics();
    for _ in 0..100 {
        if metrics.num_alive_tasks() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(metrics.num_alive_tasks(), 0, "tokio tasks left behind");
    assert_eq!(rt.active_runs(), 0);
    for (n, c) in cases.iter().enumerate() {
        assert_eq!(
            Arc::strong_count(&c.script),
            1,
            "run {n} kept its input alive"
        );
    }
    // The runtime's map and `probe`: no run holds a handle.
    assert_eq!(Arc::strong_count(Res::arc(&probe)), 2);
    // Cleanup runs once, however often shutdown is called; new runs are refused.
    let again = rt.shutdown().await;
    assert!(again.cleaned.is_empty());
    assert_eq!(cleanups.load(Ordering::SeqCst), 1);
    let script = Script::new(Vec::new());
    let (r, _) = run(0, rt, &script, RunOptions::new()).await;
    assert!(matches!(r, Err(WorkflowError::ShutDown { .. })), "{r:?}");
}

/// 4000 concurrent runs under the paused clock, where the reference predicts each one
/// exactly: several faults per run, ties included.
#[tokio::test(start_paused = true)]
async fn thousands_of_faulty_runs_paused_clock() {
    quiet_injected_panics();
    let cleanups = Arc::new(AtomicUsize::new(0));
    let rt = runtime_with_probe(&cleanups);
    let live = Arc::new(AtomicUsize::new(0));
    let mut rng = Rng(0xD1CE);
    let cases: Vec<Case> = (0..4000)
        .map(|n| {
            let shape = rng.below(SHAPE_COUNT as u64) as usize;
            let nodes = SHAPES[shape].nodes.len();
            let fault_pct = [0, 2, 5, 15][n % 4];
            let behaviour: Vec<Behaviour> = (0..nodes)
                .map(|_| Behaviour {
                    sleep_ms: rng.below(11) * 10,
                    fault: if rng.chance(fault_pct) {
                        match rng.below(4) {
                            0 => Fault::Fail {
                                first: 1 + rng.below(3) as u32,
                            },
                            1 => Fault::Fail { first: u32::MAX },
                            2 => Fault::Panic,
                            _ => Fault::Hang,
                        }
                    } else {
                        Fault::None
                    },
                })
                .collect();
            let w = 5 * (20 + rng.below(400)) + 3;
            let refs = reference(&SHAPES[shape], &behaviour);
            let expect = expect_paused(&SHAPES[shape], &refs, w);
            let drive = match n % 10 {
                0 => Drive::DropAfter(Duration::from_millis(rng.below(300))),
                1 => Drive::AbortAfterYields(rng.below(3) as u32),
                _ => Drive::Whole,
            };
            Case {
                shape,
                script: Script::with_live(behaviour, Arc::clone(&live)),
                refs,
                expect,
                drive,
                timeout: Some(Duration::from_millis(w)),
            }
        })
        .collect();
    let tally = run_all(&rt, &cases, true, cases.len()).await;
    eprintln!("paused-clock stress, 4000 runs: {tally:?}");
    for kind in [
        "ok",
        "failed",
        "panicked",
        "node timeout",
        "workflow timeout",
        "dropped",
    ] {
        assert!(
            tally.get(kind).copied().unwrap_or(0) > 0,
            "no run ended {kind}: {tally:?}"
        );
    }
    check_clean_shutdown(&rt, &cases, &live, &cleanups).await;
}

/// 2000 concurrent runs on a two-worker runtime with the real clock: real races between
/// nodes, spawned tasks and aborts. At most one faulty node per run, so the outcome does
/// not depend on timing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_faulty_runs_multi_thread() {
    quiet_injected_panics();
    let cleanups = Arc::new(AtomicUsize::new(0));
    let rt = runtime_with_probe(&cleanups);
    let live = Arc::new(AtomicUsize::new(0));
    let mut rng = Rng(0xBEEF);
    let cases: Vec<Case> = (0..2000)
        .map(|n| {
            let shape = rng.below(SHAPE_COUNT as u64) as usize;
            let nodes = SHAPES[shape].nodes.len();
            // Sleeps of at most 3 ms never reach a timeout (35 ms or more).
            let behaviour = one_fault_script(&mut rng, nodes, 40, 3);
            let refs = reference(&SHAPES[shape], &behaviour);
            let expect = expect_any_timing(&SHAPES[shape], &refs);
            // Only runs that hang without a node timeout get a workflow timeout.
            let timeout = (expect == Expect::WorkflowTimeout).then(|| Duration::from_millis(30));
            let drive = match n % 10 {
                0 => Drive::DropAfter(Duration::from_millis(rng.below(8))),
                1 => Drive::AbortAfterYields(rng.below(3) as u32),
                _ => Drive::Whole,
            };
            Case {
                shape,
                script: Script::with_live(behaviour, Arc::clone(&live)),
                refs,
                expect,
                drive,
                timeout,
            }
        })
        .collect();
    // Real time: a spawned node's timeout also counts the time its task waits for a
    // worker, so too many runs at once on two workers would time out healthy nodes.
    let tally = run_all(&rt, &cases, false, 128).await;
    eprintln!("multi-thread stress, 2000 runs: {tally:?}");
    for kind in ["ok", "failed", "panicked", "workflow timeout"] {
        assert!(
            tally.get(kind).copied().unwrap_or(0) > 0,
            "no run ended {kind}: {tally:?}"
        );
    }
    check_clean_shutdown(&rt, &cases, &live, &cleanups).await;
}

/// A runtime-wide node limit holds across 2000 concurrent runs, some failing and some
/// dropped mid-flight (two workers, real clock), and every permit comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_node_limit_holds_under_faults_and_drops() {
    quiet_injected_panics();
    const LIMIT: usize = 8;
    let rt = Runtime::builder()
        .resource(Probe)
        .max_concurrent_nodes(LIMIT)
        .build();
    let live = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut rng = Rng(0x11A1);
    let mut handles = Vec::new();
    for n in 0..2000 {
        let shape = rng.below(SHAPE_COUNT as u64) as usize;
        let mut behaviour = one_fault_script(&mut rng, SHAPES[shape].nodes.len(), 30, 1);
        for b in &mut behaviour {
            if b.fault == Fault::Hang {
                b.fault = Fault::Panic; // no timeouts here: waiting for a permit counts
            }
        }
        let script = Script::with_counters(behaviour, Arc::clone(&live), Arc::clone(&peak));
        let fut = run(shape, &rt, &script, RunOptions::new());
        let drop_after = (n % 5 == 0).then(|| Duration::from_millis(rng.below(20)));
        handles.push(tokio::spawn(async move {
            match drop_after {
                Some(d) => drop(tokio::time::timeout(d, fut).await),
                None => drop(fut.await),
            }
            script
        }));
    }
    for h in handles {
        let script = h.await.unwrap();
        drop(script);
    }
    let report = rt.shutdown_timeout(Duration::from_secs(10)).await;
    assert_eq!(report.runs_still_active, 0);
    assert_eq!(live.load(Ordering::SeqCst), 0);
    let peak = peak.load(Ordering::SeqCst);
    eprintln!("node limit {LIMIT}: at most {peak} node attempts alive at once");
    assert!(
        peak <= LIMIT,
        "{peak} node attempts alive at once; the limit is {LIMIT}"
    );
}
