//! Spawned nodes (`#[spawn]`) that time out or are cancelled: their task must be gone
//! before the node counts as finished, and `Runtime::shutdown` waits for it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use workflow_core::prelude::*;

/// Counts live bodies of the nodes below; a body leaves the count when it ends or its
/// future is dropped.
#[derive(Debug, Default)]
struct Live {
    now: AtomicUsize,
    max: AtomicUsize,
}

struct Enter<'a>(&'a Live);

impl<'a> Enter<'a> {
    fn new(live: &'a Live) -> Self {
        let n = live.now.fetch_add(1, Ordering::SeqCst) + 1;
        live.max.fetch_max(n, Ordering::SeqCst);
        Self(live)
    }
}

impl Drop for Enter<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[node]
async fn slow(live: Res<Live>) -> u32 {
    let _in = Enter::new(&live);
    tokio::time::sleep(Duration::from_secs(10)).await;
    1
}

#[node]
async fn after(_x: u32, live: Res<Live>) -> u32 {
    let _in = Enter::new(&live);
    2
}

#[node]
async fn quick(live: Res<Live>) -> u32 {
    let _in = Enter::new(&live);
    3
}

workflow! {
    #[workflow(sequential, failure = "continue")]
    struct TimedOutSpawn {
        #[spawn] #[timeout = "50ms"] #[retry(max = 3)]
        s = slow(),
        q = quick(),
    }
}

workflow! {
    struct CancelledSpawn {
        #[spawn]
        s = slow(),
        a = after(_x: s),
    }
}

/// A spawned attempt that timed out is dropped before the next attempt (or the next
/// node of a sequential run) starts: never two attempts of one node at once, and the
/// sequential limit holds.
#[tokio::test(start_paused = true)]
async fn timed_out_spawned_attempt_ends_before_the_next_starts() {
    let rt = Runtime::builder().resource(Live::default()).build();
    let live = rt.resource::<Live>().unwrap();
    let err = rt
        .execute(TimedOutSpawn, TimedOutSpawnInput {})
        .await
        .unwrap_err();
    // `q` runs after `s` gave up (failure = continue).
    assert!(err.is_timeout(), "{err}");
    assert_eq!(err.node(), Some("s"));
    // Every one of its 3 attempts timed out; the error says so.
    assert_eq!(err.attempts(), Some(3));
    assert_eq!(
        live.max.load(Ordering::SeqCst),
        1,
        "two node bodies were alive at once in a sequential run"
    );
    assert_eq!(live.now.load(Ordering::SeqCst), 0);
}

/// When a run is cancelled, `shutdown` waits until its aborted spawned nodes are gone
/// before running cleanup, so no node still holds a resource being cleaned up.
#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_aborted_spawned_nodes() {
    let cleaned_while_live = Arc::new(AtomicUsize::new(usize::MAX));
    let seen = Arc::clone(&cleaned_while_live);
    let rt = Runtime::builder()
        .resource_with_cleanup(Live::default(), move |live: Arc<Live>| async move {
            seen.store(live.now.load(Ordering::SeqCst), Ordering::SeqCst);
        })
        .build();
    for _ in 0..50 {
        let run = rt.execute(CancelledSpawn, CancelledSpawnInput {});
        // Drop the run while its spawned node sleeps.
        let _ = tokio::time::timeout(Duration::from_millis(1), run).await;
    }
    let report = rt.shutdown().await;
    assert_eq!(report.cleaned.len(), 1);
    assert_eq!(
        cleaned_while_live.load(Ordering::SeqCst),
        0,
        "cleanup ran while aborted spawned nodes were still alive"
    );
}

#[node]
async fn one() -> u64 {
    1
}

#[node]
async fn plus(a: u64, b: u64) -> u64 {
    a + b
}

#[node]
async fn never() -> u64 {
    std::future::pending().await
}

workflow! {
    /// A fan-out of spawned nodes: the run asks to be woken once all 4 branches ended.
    struct SpawnedFan {
        #[spawn] s = one(),
        #[spawn] a = plus(a: s, b: s),
        #[spawn] b = plus(a: s, b: s),
        #[spawn] c = plus(a: s, b: s),
        #[spawn] d = plus(a: s, b: s),
        #[spawn] ab = plus(a: a, b: b),
        #[spawn] cd = plus(a: c, b: d),
        #[spawn] sink = plus(a: ab, b: cd),
    }
}

workflow! {
    /// A 3×3 lattice of spawned nodes (thresholds of 1 and 2 alternate).
    struct SpawnedLattice {
        #[spawn] l00 = one(),
        #[spawn] l01 = plus(a: l00, b: l00),
        #[spawn] l02 = plus(a: l01, b: l01),
        #[spawn] l10 = plus(a: l00, b: l00),
        #[spawn] l11 = plus(a: l01, b: l10),
        #[spawn] l12 = plus(a: l02, b: l11),
        #[spawn] l20 = plus(a: l10, b: l10),
        #[spawn] l21 = plus(a: l11, b: l20),
        #[spawn] l22 = plus(a: l12, b: l21),
    }
}

workflow! {
    /// Spawned nodes that end one after another while one never does: the run is
    /// woken (and polled) often until it is cancelled.
    struct SpawnedNever {
        #[spawn] forever = never(),
        #[spawn] c0 = one(),
        #[spawn] c1 = plus(a: c0, b: c0),
        #[spawn] c2 = plus(a: c1, b: c0),
        #[spawn] c3 = plus(a: c2, b: c0),
        #[spawn] c4 = plus(a: c3, b: c0),
        #[spawn] c5 = plus(a: c4, b: c0),
        #[spawn] c6 = plus(a: c5, b: c0),
        #[spawn] c7 = plus(a: c6, b: c0),
        #[spawn] c8 = plus(a: c7, b: c0),
        #[spawn] c9 = plus(a: c8, b: c0),
        #[spawn] c10 = plus(a: c9, b: c0),
        #[spawn] c11 = plus(a: c10, b: c0),
        #[spawn] c12 = plus(a: c11, b: c0),
        #[spawn] c13 = plus(a: c12, b: c0),
        #[spawn] c14 = plus(a: c13, b: c0),
        #[spawn] c15 = plus(a: c14, b: c0),
        #[spawn] c16 = plus(a: c15, b: c0),
        #[spawn] c17 = plus(a: c16, b: c0),
        #[spawn] c18 = plus(a: c17, b: c0),
        #[spawn] c19 = plus(a: c18, b: c0),
        #[spawn] c20 = plus(a: c19, b: c0),
        #[spawn] c21 = plus(a: c20, b: c0),
        #[spawn] c22 = plus(a: c21, b: c0),
        #[spawn] c23 = plus(a: c22, b: c0),
        #[spawn] c24 = plus(a: c23, b: c0),
        #[spawn] c25 = plus(a: c24, b: c0),
        #[spawn] c26 = plus(a: c25, b: c0),
        #[spawn] c27 = plus(a: c26, b: c0),
        #[spawn] c28 = plus(a: c27, b: c0),
        #[spawn] c29 = plus(a: c28, b: c0),
        #[spawn] c30 = plus(a: c29, b: c0),
        #[spawn] c31 = plus(a: c30, b: c0),
        #[spawn] c32 = plus(a: c31, b: c0),
        #[spawn] c33 = plus(a: c32, b: c0),
        #[spawn] c34 = plus(a: c33, b: c0),
        #[spawn] c35 = plus(a: c34, b: c0),
        #[spawn] c36 = plus(a: c35, b: c0),
        #[spawn] c37 = plus(a: c36, b: c0),
        #[spawn] c38 = plus(a: c37, b: c0),
        #[spawn] c39 = plus(a: c38, b: c0),
    }
}

/// Lost wake-ups of spawned nodes (regression: a node's end and the run's new wake
/// threshold raced, and the run slept forever with its last outcomes queued): thousands
/// of runs on two workers, each run in a task of its own and all joined in one task. A
/// lost wake-up hangs this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_runs_on_two_workers_all_end() {
    let rt = Runtime::new();
    for round in 0..20 {
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let rt = rt.clone();
                tokio::spawn(async move {
                    let fan = rt.execute(SpawnedFan, SpawnedFanInput {}).await;
                    let lattice = rt.execute(SpawnedLattice, SpawnedLatticeInput {}).await;
                    (fan.unwrap().outputs.sink, lattice.unwrap().outputs.l22)
                })
            })
            .collect();
        let joined = futures::future::join_all((0..50).map(|_| async {
            let fan = rt.execute(SpawnedFan, SpawnedFanInput {}).await;
            let lattice = rt.execute(SpawnedLattice, SpawnedLatticeInput {}).await;
            (fan.unwrap().outputs.sink, lattice.unwrap().outputs.l22)
        }))
        .await;
        for task in tasks {
            assert_eq!(task.await.unwrap(), (8, 16), "round {round}");
        }
        assert!(joined.iter().all(|&o| o == (8, 16)), "round {round}");
    }
}

/// A run of spawned nodes without a token (none given, none asked for) waits for one to
/// be made rather than making it: `RunHandle::cancel`, which makes it, still reaches the
/// run at any point, and the runs' ends leave nothing behind (the queue's waiter in the
/// run's state was a cycle): `shutdown` does not wait for tasks of runs long gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_run_of_spawned_nodes_through_its_handle_always_ends_it() {
    let handles = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&handles);
    let rt = Runtime::builder()
        .monitor(move |handle| seen.lock().unwrap().push(handle))
        .build();
    for k in 0..500u32 {
        let run = tokio::spawn(rt.execute(SpawnedNever, SpawnedNeverInput {}));
        for _ in 0..k % 40 {
            tokio::task::yield_now().await;
        }
        let handle = loop {
            if let Some(handle) = handles.lock().unwrap().pop() {
                break handle;
            }
            tokio::task::yield_now().await;
        };
        assert!(handle.cancel(), "the run is live");
        let err = run.await.unwrap().unwrap_err();
        assert!(
            matches!(err, WorkflowError::Cancelled { .. }),
            "cancelled after {} yields: {err}",
            k % 40
        );
    }
    // Runs that ended with all their nodes done and no token made, then a shutdown
    // that must not wait for them.
    for _ in 0..50 {
        let run = rt.execute(SpawnedFan, SpawnedFanInput {}).await.unwrap();
        assert_eq!(run.outputs.sink, 8);
    }
    tokio::time::timeout(Duration::from_secs(60), rt.shutdown())
        .await
        .expect("shutdown waits for no task");
}

/// Cancellation reaches a run whose spawned nodes keep waking it (regression: a cancel
/// between the start of a poll and its registering the run's waker again woke no one,
/// and the run waited for a node that never ends). Cancelled at many points on two
/// workers; a lost cancellation hangs this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_run_of_spawned_nodes_always_ends_it() {
    let rt = Runtime::new();
    for k in 0..2000u32 {
        let token = CancellationToken::new();
        let opts = RunOptions::new().cancel_token(token.clone());
        let run = tokio::spawn(rt.execute_with(SpawnedNever, SpawnedNeverInput {}, opts));
        for _ in 0..k % 40 {
            tokio::task::yield_now().await;
        }
        token.cancel();
        let err = run.await.unwrap().unwrap_err();
        assert!(
            matches!(err, WorkflowError::Cancelled { .. }),
            "cancelled after {} yields: {err}",
            k % 40
        );
    }
}

// --- a wake-up whose pending nodes are all spawned (`Driver::step_spawned`) ----------

workflow! {
    /// Spawned nodes in a chain, an in-task node after one, a spawned fan-out (run under
    /// concurrency limits too) and a spawned sink: the compact path of a wake-up whose
    /// pending nodes are all spawned, and each of its ways back to the general loop (an
    /// in-task successor, the limit, the run's end).
    struct SpawnedMixed {
        input x: u64,
        #[spawn] a = plus(a: x, b: x),
        #[spawn] b = plus(a: a, b: a),
        c = plus(a: b, b: b),
        #[spawn] d = plus(a: c, b: c),
        #[spawn] e1 = plus(a: d, b: d),
        #[spawn] e2 = plus(a: d, b: x),
        #[spawn] e3 = plus(a: d, b: a),
        #[spawn] f = plus(a: e1, b: e2),
        #[spawn] sink = plus(a: f, b: e3),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0} is too big")]
struct TooBig(u64);

#[node]
async fn at_most_one(x: u64) -> Result<u64, TooBig> {
    if x > 1 {
        Err(TooBig(x))
    } else {
        Ok(x)
    }
}

workflow! {
    /// A spawned node fails in a spawned chain while a spawned branch goes on beside it.
    struct SpawnedFailing {
        input x: u64,
        #[spawn] a = plus(a: x, b: x),
        #[spawn] bad = at_most_one(x: a),
        #[spawn] after = plus(a: bad, b: bad),
        #[spawn] other = plus(a: a, b: a),
        #[spawn] other2 = plus(a: other, b: other),
    }
}

/// Every node's report after a run: succeeded once, started no earlier than each of its
/// predecessors ended (a spawned node's end is the time the run took its outcome, or its
/// task's own clock reading).
fn assert_ran_in_order(report: &workflow_core::RunReport, edges: &[(&str, &str)]) {
    for node in &report.nodes {
        assert_eq!(node.status, NodeStatus::Succeeded, "{}", node.name);
        assert_eq!(node.attempts, 1, "{}", node.name);
    }
    for (before, after) in edges {
        let (b, a) = (report.node(before).unwrap(), report.node(after).unwrap());
        let ended = b.started_at.unwrap() + b.duration;
        assert!(
            ended <= a.started_at.unwrap(),
            "{before} ended after {after} started"
        );
    }
}

/// Runs whose spawned nodes end while the run waits take the compact path of a wake-up;
/// an in-task successor, a concurrency limit and the run's end go back to the general
/// loop. Same outputs and reports either way, on two workers, many times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wake_ups_with_only_spawned_nodes_pending_run_every_shape() {
    let rt = Runtime::new();
    let edges = [
        ("a", "b"),
        ("b", "c"),
        ("c", "d"),
        ("d", "e1"),
        ("d", "e2"),
        ("d", "e3"),
        ("e1", "f"),
        ("e2", "f"),
        ("f", "sink"),
        ("e3", "sink"),
    ];
    for round in 0..200u64 {
        let opts = match round % 3 {
            0 => RunOptions::new(),
            1 => RunOptions::new().concurrency(1),
            _ => RunOptions::new().concurrency(2),
        };
        let run = rt
            .execute_with(SpawnedMixed, SpawnedMixedInput { x: 1 }, opts)
            .await
            .unwrap();
        // a 2, b 4, c 8, d 16, e1 32, e2 17, e3 18, f 49, sink 67.
        assert_eq!(run.outputs.sink, 67, "round {round}");
        assert_ran_in_order(&run.report, &edges);
    }
}

/// A spawned node that fails while only spawned nodes are pending: fail-fast stops the
/// run with its error; `failure = "continue"` skips what follows it and runs the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_failure_on_the_compact_path_fails_fast_or_continues() {
    let rt = Runtime::new();
    for _ in 0..50 {
        let err = rt
            .execute(SpawnedFailing, SpawnedFailingInput { x: 1 })
            .await
            .unwrap_err();
        assert_eq!(err.node(), Some("bad"), "{err}");
        assert!(err.to_string().contains("2 is too big"), "{err}");

        let opts = RunOptions::new().failure(FailurePolicy::Continue);
        let outcome = rt
            .execute_report(SpawnedFailing, SpawnedFailingInput { x: 1 }, opts)
            .await;
        let err = outcome.result.unwrap_err();
        assert_eq!(err.node(), Some("bad"), "{err}");
        let status = |n: &str| outcome.report.node(n).unwrap().status;
        assert_eq!(status("bad"), NodeStatus::Failed);
        assert_eq!(status("after"), NodeStatus::Skipped);
        assert_eq!(status("other2"), NodeStatus::Succeeded);
    }
}
