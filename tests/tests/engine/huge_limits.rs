//! `RunOptions` limits of `Duration::MAX` (a user's "no limit, really") must not panic:
//! a deadline past what `Instant` can hold is as good as never. The stall watchdog
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
