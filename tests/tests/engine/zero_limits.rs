//! Zero durations where the macros take them: `retry(backoff = "0ms")` (a zero node
//! `timeout`, a zero `retry(total_timeout)` and a zero run `timeout` or stall limit in
//! `#[workflow]` are compile errors, pinned by UI tests; `RunOptions`' zero run timeout
//! and stall limit have tests of their own). What it gives, on tokio's paused clock: the
//! error, its node, the attempts and the time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("not yet")]
struct NotYet;

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
    struct FailZeroBackoff {
        n = fails_no_backoff(),
    }
}

workflow! {
    struct ThirdZeroBackoff {
        n = third_time_no_backoff(),
    }
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
