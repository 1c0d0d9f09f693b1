//! Zero durations where the macros take them: `retry(total_timeout = "0s")` and
//! `retry(backoff = "0ms")` (a zero node `timeout` and a zero run `timeout` or stall
//! limit in `#[workflow]` are compile errors, pinned by UI tests; `RunOptions`' zero run
//! timeout and stall limit have tests of their own). What each gives, on tokio's paused
//! clock: the error, its node, the attempts and the time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("not yet")]
struct NotYet;

/// Ends in its first poll.
#[node(retry(max = 3, total_timeout = "0s"))]
async fn quick_in_no_time() -> Result<u64, NotYet> {
    Ok(7)
}

/// Awaits a millisecond, then ends well.
#[node(retry(max = 3, total_timeout = "0s"))]
async fn naps_in_no_time() -> Result<u64, NotYet> {
    tokio::time::sleep(Duration::from_millis(1)).await;
    Ok(7)
}

static FAILS_AT_ONCE: AtomicU32 = AtomicU32::new(0);

/// Fails in its first poll, every time.
#[node(retry(max = 3, total_timeout = "0s"))]
async fn fails_in_no_time() -> Result<u64, NotYet> {
    FAILS_AT_ONCE.fetch_add(1, Ordering::SeqCst);
    Err(NotYet)
}

static FAILS_NO_BACKOFF: AtomicU32 = AtomicU32::new(0);

/// Fails in its first poll, every time, and is retried without a delay.
#[node(retry(max = 3, backoff = "0ms"))]
async fn fails_no_backoff() -> Result<u64, NotYet> {
    FAILS_NO_BACKOFF.fetch_add(1, Ordering::SeqCst);
    Err(NotYet)
}

/// Fails twice without awaiting, then ends well; retried without a delay.
#[node(retry(max = 3, backoff = "0ms"))]
async fn third_time_no_backoff(ctx: &Context) -> Result<u64, NotYet> {
    if ctx.attempt() < 3 {
        Err(NotYet)
    } else {
        Ok(ctx.attempt().into())
    }
}

workflow! {
    struct QuickZeroTotal {
        n = quick_in_no_time(),
    }
}

workflow! {
    struct NapZeroTotal {
        n = naps_in_no_time(),
    }
}

workflow! {
    struct FailZeroTotal {
        n = fails_in_no_time(),
    }
}

workflow! {
    struct FailZeroBackoff {
        n = fails_no_backoff(),
    }
}

workflow! {
    struct ThirdZeroBackoff {
        n = third_time_no_backoff(),
    }
}

/// A zero `total_timeout` lets the first attempt's first poll run (tokio's timeout
/// polls its future before its deadline): a node that ends there succeeds; one that
/// awaits anything, or fails and would retry, times out at once, after one attempt,
/// as `Timeout` naming the node with `all_attempts`.
#[tokio::test(start_paused = true)]
async fn a_zero_total_timeout_allows_one_poll_of_the_first_attempt() {
    let rt = Runtime::new();
    let start = Instant::now();
    let run = rt
        .execute(QuickZeroTotal, QuickZeroTotalInput {})
        .await
        .unwrap();
    assert_eq!(run.outputs.n, 7);

    for (kind, err) in [
        (
            "awaits",
            rt.execute(NapZeroTotal, NapZeroTotalInput {})
                .await
                .unwrap_err(),
        ),
        (
            "fails",
            rt.execute(FailZeroTotal, FailZeroTotalInput {})
                .await
                .unwrap_err(),
        ),
    ] {
        match &err {
            WorkflowError::Timeout {
                scope: TimeoutScope::Node(node),
                limit,
                running,
                attempts,
                all_attempts,
                ..
            } => {
                assert_eq!(*node, "n", "{kind}: {err}");
                assert_eq!(*limit, Duration::ZERO, "{kind}: {err}");
                assert_eq!(running, &["n"], "{kind}: {err}");
                assert_eq!(*attempts, 1, "{kind}: {err}");
                assert!(*all_attempts, "{kind}: {err}");
            }
            other => panic!("{kind}: not a node timeout: {other:?}"),
        }
        assert!(err.is_timeout());
        assert_eq!(start.elapsed(), Duration::ZERO, "{kind}");
    }
    assert_eq!(FAILS_AT_ONCE.load(Ordering::SeqCst), 1, "one attempt");
}

/// A zero `backoff` retries at once (after a yield): every attempt is made, in no
/// time, and the last failure is the node's, with the attempts counted.
#[tokio::test(start_paused = true)]
async fn a_zero_backoff_makes_every_attempt_in_no_time() {
    let rt = Runtime::new();
    let start = Instant::now();
    let err = rt
        .execute(FailZeroBackoff, FailZeroBackoffInput {})
        .await
        .unwrap_err();
    match &err {
        WorkflowError::NodeFailed { node, attempts, .. } => {
            assert_eq!(*node, "n", "{err}");
            assert_eq!(*attempts, 3, "{err}");
        }
        other => panic!("not the node's failure: {other:?}"),
    }
    assert!(err.downcast_ref::<NotYet>().is_some(), "{err}");
    assert_eq!(FAILS_NO_BACKOFF.load(Ordering::SeqCst), 3);

    let run = rt
        .execute_report(
            ThirdZeroBackoff,
            ThirdZeroBackoffInput {},
            RunOptions::new(),
        )
        .await;
    assert_eq!(run.result.unwrap().n, 3);
    assert_eq!(run.report.node("n").unwrap().attempts, 3);
    assert_eq!(start.elapsed(), Duration::ZERO);
}
