//! `RunOptions` limits of `Duration::MAX` and a node limit of `usize::MAX` (a user's "no
//! limit, really") must not panic: a deadline past what `Instant` can hold is as good as
//! never, and a limit above what a semaphore can hold is none. The stall watchdog
//! (`deadlock`) re-armed itself with `Instant::now() + limit` after each node, and a
//! cancellation's grace ended at `now + grace`: both overflowed and panicked the run.
//!
//! And a grace applies to a chain's node as to any other: a linear run's nodes ran as
//! one fused future, which a stopping run dropped at once, so a chain's node in flight
//! got no grace (a diamond's did).

use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;

#[node]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    struct TwoNaps {
        input ms: u64,
        a = nap(ms),
        b = nap(ms: a),
    }
}

workflow! {
    struct Diamond {
        input ms: u64,
        a = nap(ms),
        b = nap(ms: a),
        c = nap(ms),
    }
}

workflow! {
    struct FanNaps {
        input mss: Vec<u64>,
        naps = for ms in mss {
            n = nap(ms),
        } => n,
    }
}

#[tokio::test(start_paused = true)]
async fn a_deadlock_limit_of_duration_max_is_no_limit() {
    let rt = Runtime::new();
    let opts = RunOptions::new()
        .deadlock(Duration::MAX)
        .timeout(Duration::MAX);
    let run = rt
        .execute_with(TwoNaps, TwoNapsInput { ms: 5 }, opts.clone())
        .await
        .unwrap();
    assert_eq!(run.outputs.b, 5);
    // a fan-out's items finishing re-arm the watchdog too
    let run = rt
        .execute_with(FanNaps, FanNapsInput { mss: vec![1, 2, 3] }, opts)
        .await
        .unwrap();
    assert_eq!(run.outputs.naps, [1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn a_cancel_grace_of_duration_max_waits_for_the_nodes_to_finish() {
    let rt = Runtime::new();
    let token = CancellationToken::new();
    let opts = RunOptions::new()
        .cancel_grace(Duration::MAX)
        .cancel_token(token.clone());
    let start = Instant::now();
    let run = rt.execute_with(TwoNaps, TwoNapsInput { ms: 100 }, opts);
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        token.cancel();
    };
    let (result, ()) = tokio::join!(run, cancel);
    let err = result.unwrap_err();
    assert!(matches!(err, WorkflowError::Cancelled { .. }), "{err:?}");
    // a runs to its end within the (unbounded) grace; b never starts
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn a_chain_and_a_diamond_get_the_same_grace() {
    let rt = Runtime::new();
    for chain in [true, false] {
        let token = CancellationToken::new();
        let opts = RunOptions::new()
            .cancel_grace(Duration::from_secs(1))
            .cancel_token(token.clone());
        let start = Instant::now();
        let cancel = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            token.cancel();
        };
        let err = if chain {
            tokio::join!(
                rt.execute_with(TwoNaps, TwoNapsInput { ms: 100 }, opts),
                cancel
            )
            .0
            .unwrap_err()
        } else {
            tokio::join!(
                rt.execute_with(Diamond, DiamondInput { ms: 100 }, opts),
                cancel
            )
            .0
            .unwrap_err()
        };
        assert!(matches!(err, WorkflowError::Cancelled { .. }), "{err:?}");
        // `a` (100 ms) finishes within the grace; `b` never starts.
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(100),
            "chain: {chain}"
        );
    }
}

/// A run timeout with a grace: the chain's node in flight (`a`, 100 ms) ends within the
/// grace and its report entry, the run's error and its duration are those of the same
/// chain run traced (a traced run never fuses its nodes, so each is its own unit: the
/// reference) and of the same node in a diamond. Before the grace was honoured for a
/// chain, the untraced chain (fused) dropped `a` at the timeout (30 ms).
#[tokio::test(start_paused = true)]
async fn a_run_timeout_gives_a_chains_node_in_flight_the_grace_as_an_unfused_node() {
    let rt = Runtime::new();
    let opts = |trace: bool| {
        RunOptions::new()
            .timeout(Duration::from_millis(30))
            .cancel_grace(Duration::from_secs(1))
            .trace(trace)
    };
    // (name, status, attempts, duration, started_at) of each node, and the error.
    let summary = |out: workflow_core::RunOutcome<TwoNapsOutput>| {
        let err = out.result.map(|_| ()).unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        let nodes: Vec<_> = out
            .report
            .nodes
            .iter()
            .map(|n| {
                (
                    n.name.to_string(),
                    n.status,
                    n.attempts,
                    n.duration,
                    n.started_at,
                )
            })
            .collect();
        (err.to_string(), out.report.duration, nodes, out.trace)
    };
    let start = Instant::now();
    let (fused_err, fused_took, fused, trace) = summary(
        rt.execute_report(TwoNaps, TwoNapsInput { ms: 100 }, opts(false))
            .await,
    );
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(100),
        "untraced chain"
    );
    assert!(trace.is_none());
    let start = Instant::now();
    let (err, took, unfused, trace) = summary(
        rt.execute_report(TwoNaps, TwoNapsInput { ms: 100 }, opts(true))
            .await,
    );
    assert_eq!(start.elapsed(), Duration::from_millis(100), "traced chain");
    assert_eq!(fused_err, err);
    assert_eq!(fused_took, took);
    assert_eq!(fused, unfused);
    // `a` ran its 100 ms and ended after the stop (cancelled: its output is discarded);
    // `b` never started.
    let ms = Duration::from_millis;
    assert_eq!(
        fused,
        [
            ("a".into(), NodeStatus::Cancelled, 1, ms(100), Some(ms(0))),
            ("b".into(), NodeStatus::Skipped, 0, ms(0), None),
        ]
    );
    // The trace of the reference run says `a` ended when its nap did.
    let trace = trace.expect("traced");
    assert_eq!(trace.started_at("a"), Some(ms(0)));
    assert_eq!(trace.finished_at("a"), Some(ms(100)));
    assert_eq!(trace.started_at("b"), None);
    // And a diamond's `a` the same.
    let out = rt
        .execute_report(Diamond, DiamondInput { ms: 100 }, opts(false))
        .await;
    let a = out.report.node("a").expect("a");
    assert_eq!(
        (a.status, a.attempts, a.duration),
        (NodeStatus::Cancelled, 1, ms(100))
    );
}

/// `max_concurrent_nodes(usize::MAX)` ("no limit, really") built a tokio semaphore of
/// that many permits, which panics above `Semaphore::MAX_PERMITS`.
#[tokio::test(start_paused = true)]
async fn a_node_limit_of_usize_max_is_no_limit() {
    let start = Instant::now();
    let rt = Runtime::builder().max_concurrent_nodes(usize::MAX).build();
    let run = rt
        .execute(
            FanNaps,
            FanNapsInput {
                mss: vec![10, 10, 10],
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.naps, [10, 10, 10]);
    // No limit: the three items ran side by side.
    assert_eq!(start.elapsed(), Duration::from_millis(10));
    // And the harness's builder, which passes it on.
    let h = workflow_test::Harness::builder()
        .max_concurrent_nodes(usize::MAX)
        .build();
    let run = h
        .execute(FanNaps, FanNapsInput { mss: vec![1, 2] })
        .await
        .unwrap();
    assert_eq!(run.outputs.naps, [1, 2]);
}
