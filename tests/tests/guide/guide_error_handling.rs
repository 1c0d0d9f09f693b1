//! Guide, "Testing Error Handling": async error propagation and workflow timeouts.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_core::{BoxError, RunOutcome};
use workflow_core::{NodeStatus, TimeoutScope};
use workflow_test::{workflow_test, Harness};

// --- async error propagation -----------------------------------------------------------------

/// The guide's `ValueError("Simulated async error")`: the node's own error type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
struct ValueError(String);

/// Counts how often each node fn was called, independently of the runtime's report.
#[derive(Default)]
struct Calls {
    failing: AtomicU32,
    recovery: AtomicU32,
    sibling: AtomicU32,
}

#[node]
async fn failing_task(message: String, calls: Res<Calls>) -> Result<u32, ValueError> {
    calls.failing.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    Err(ValueError(message))
}

#[node]
async fn recovery_task(input: u32, calls: Res<Calls>) -> bool {
    // This should not execute.
    calls.recovery.fetch_add(1, Ordering::SeqCst);
    input > 0
}

workflow! {
    struct ErrorTest {
        input message: String,
        failing_task = failing_task(message),
        recovery_task = recovery_task(input: failing_task),
    }
}

fn counting_runtime() -> (Runtime, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    (
        Runtime::builder().resource_arc(calls.clone()).build(),
        calls,
    )
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_async_error_handling(h: Harness) {
    h.insert_resource(Calls::default());
    let input = || ErrorTestInput {
        message: "Simulated async error".into(),
    };

    // `pytest.raises(ValueError, match="Simulated async error")`
    let error: ValueError = h.assert_error(h.execute(ErrorTest, input()).await);
    assert_eq!(error.0, "Simulated async error");
    // `self.get_node_execution_count(..)`: partial execution.
    h.assert_executed("failing_task", 1);
    h.assert_not_executed("recovery_task");

    // Counts add up across runs of the same harness.
    h.assert_error_contains(h.execute(ErrorTest, input()).await, "Simulated async");
    h.assert_failed_at(h.execute(ErrorTest, input()).await, "failing_task");
    h.assert_executed("failing_task", 3);
    h.assert_executed("recovery_task", 0);
    assert_eq!(h.failure_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn the_original_error_reaches_the_caller_of_the_runtime() {
    let (rt, calls) = counting_runtime();
    let err = rt
        .execute(
            ErrorTest,
            ErrorTestInput {
                message: "Simulated async error".into(),
            },
        )
        .await
        .unwrap_err();

    // `pytest.raises(ValueError, match="Simulated async error")`: the node's own error,
    // with its type and message, reaches the test.
    let value_error = err.downcast_ref::<ValueError>().expect("a ValueError");
    assert_eq!(value_error.0, "Simulated async error");
    assert_eq!(err.node(), Some("failing_task"));
    assert_eq!(err.attempts(), Some(1));
    assert!(
        err.to_string().contains("Simulated async error"),
        "the message is in the display too: {err}"
    );
    // The message is in the display, so the standard `source()` continues below the node
    // error (it has no source of its own): anyhow or eyre print the message once.
    assert!(std::error::Error::source(&err).is_none());
    // And it can be taken out by value.
    assert_eq!(
        err.downcast::<ValueError>().unwrap(),
        ValueError("Simulated async error".into())
    );

    // Partial execution: the failing node ran once, the downstream node never.
    assert_eq!(calls.failing.load(Ordering::SeqCst), 1);
    assert_eq!(calls.recovery.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn the_report_of_a_failed_run_shows_what_ran() {
    let (rt, _calls) = counting_runtime();
    let RunOutcome {
        result,
        report,
        trace,
        ..
    } = rt
        .execute_report(
            ErrorTest,
            ErrorTestInput {
                message: "boom".into(),
            },
            RunOptions::new().trace(true),
        )
        .await;
    assert!(result.is_err());
    let failing = report.node("failing_task").unwrap();
    assert_eq!(failing.status, NodeStatus::Failed);
    assert_eq!(failing.attempts, 1);
    assert_eq!(failing.duration, Duration::from_millis(100));
    let recovery = report.node("recovery_task").unwrap();
    assert_eq!(recovery.status, NodeStatus::Skipped);
    assert_eq!(recovery.attempts, 0);
    assert!(!recovery.status.ran());
    // The trace never shows the downstream node starting.
    let trace = trace.expect("tracing was on");
    assert_eq!(trace.node_events("recovery_task").count(), 1, "{trace}");
    assert!(trace
        .node_events("failing_task")
        .any(|e| e.to_string().contains("failed after 1 attempt(s): boom")));
}

#[node]
async fn slow_sibling(ms: u64, calls: Res<Calls>) -> u64 {
    calls.sibling.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    /// A failing node in the middle of a chain, with an independent slow branch.
    struct FailsMidway {
        input message: String,
        input sibling_ms: u64,
        first = slow_sibling(ms: sibling_ms),
        failing = failing_task(message),
        recovery = recovery_task(input: failing),
        sibling = slow_sibling(ms: sibling_ms),
        after_sibling = slow_sibling(ms: sibling),
    }
}

#[tokio::test(start_paused = true)]
async fn a_failure_cancels_running_siblings_and_skips_everything_downstream() {
    let (rt, calls) = counting_runtime();
    let start = Instant::now();
    let RunOutcome { result, report, .. } = rt
        .execute_report(
            FailsMidway,
            FailsMidwayInput {
                message: "bad row 17".into(),
                sibling_ms: 5_000,
            },
            RunOptions::new(),
        )
        .await;
    let err = result.unwrap_err();
    assert_eq!(err.downcast_ref::<ValueError>().unwrap().0, "bad row 17");
    // Fail-fast: the run ends when `failing` fails, not when the 5 s siblings would.
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    let status = |n: &str| report.node(n).unwrap().status;
    assert_eq!(status("failing"), NodeStatus::Failed);
    assert_eq!(status("first"), NodeStatus::Cancelled);
    assert_eq!(status("sibling"), NodeStatus::Cancelled);
    assert_eq!(status("recovery"), NodeStatus::Skipped);
    assert_eq!(status("after_sibling"), NodeStatus::Skipped);
    // Cancelled nodes did run: one attempt each. Skipped ones never did.
    let attempts = |n: &str| report.node(n).unwrap().attempts;
    assert_eq!(
        ["failing", "first", "sibling", "recovery", "after_sibling"].map(attempts),
        [1, 1, 1, 0, 0]
    );
    assert_eq!(calls.failing.load(Ordering::SeqCst), 1);
    assert_eq!(calls.recovery.load(Ordering::SeqCst), 0);
    assert_eq!(calls.sibling.load(Ordering::SeqCst), 2, "first and sibling");
}

// --- timeout testing -------------------------------------------------------------------------

#[node]
async fn slow_task(ms: u64) -> bool {
    tokio::time::sleep(Duration::from_millis(ms)).await; // longer than the timeout
    true
}

workflow! {
    #[workflow(timeout = "1s")]
    struct TimeoutTest {
        input ms: u64,
        slow_task = slow_task(ms),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_workflow_timeout(h: Harness) {
    let start = Instant::now();
    // `pytest.raises(asyncio.TimeoutError)`
    let err = h.assert_timeout(
        h.execute(TimeoutTest, TimeoutTestInput { ms: 10_000 })
            .await,
    );
    // It times out at 1 s, not after the node's 10 s.
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert!(err.is_timeout(), "{err}");
    match &err {
        WorkflowError::Timeout {
            scope,
            limit,
            running,
            ..
        } => {
            assert_eq!(*scope, TimeoutScope::Workflow);
            assert_eq!(*limit, Duration::from_secs(1));
            assert_eq!(running, &["slow_task"]);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("timed out after 1s"), "{err}");

    // The timed-out node was cancelled: nothing of the run is left alive.
    assert_eq!(
        h.last_run().unwrap().node("slow_task").unwrap().status,
        NodeStatus::Cancelled
    );
    h.assert_no_leaks().await;

    // Under the limit the same workflow succeeds.
    let run = h.assert_success(h.execute(TimeoutTest, TimeoutTestInput { ms: 999 }).await);
    assert!(run.outputs.slow_task);
}

workflow! {
    /// Three branches of different lengths, and a node after the quickest one.
    struct Branches {
        input quick_ms: u64,
        input medium_ms: u64,
        input slow_ms: u64,
        quick = slow_task(ms: quick_ms),
        medium = slow_task(ms: medium_ms),
        slow = slow_task(ms: slow_ms),
        after_quick = recovery_task(input: quick_count),
        quick_count = to_count(flag: quick),
    }
}

#[node]
async fn to_count(flag: bool) -> u32 {
    u32::from(flag)
}

#[tokio::test(start_paused = true)]
async fn a_per_run_timeout_reports_which_nodes_were_still_running() {
    let (rt, _) = counting_runtime();
    let start = Instant::now();
    let RunOutcome { result, report, .. } = rt
        .execute_report(
            Branches,
            BranchesInput {
                quick_ms: 100,
                medium_ms: 400,
                slow_ms: 3_000,
            },
            RunOptions::new().timeout(Duration::from_millis(250)),
        )
        .await;
    assert_eq!(start.elapsed(), Duration::from_millis(250));
    match result.unwrap_err() {
        WorkflowError::Timeout {
            scope: TimeoutScope::Workflow,
            limit,
            mut running,
            ..
        } => {
            assert_eq!(limit, Duration::from_millis(250));
            running.sort_unstable();
            assert_eq!(running, ["medium", "slow"]);
        }
        other => panic!("{other:?}"),
    }
    let status = |n: &str| report.node(n).unwrap().status;
    assert_eq!(status("quick"), NodeStatus::Succeeded);
    assert_eq!(status("quick_count"), NodeStatus::Succeeded);
    assert_eq!(status("after_quick"), NodeStatus::Succeeded);
    assert_eq!(status("medium"), NodeStatus::Cancelled);
    assert_eq!(status("slow"), NodeStatus::Cancelled);
}

#[tokio::test(start_paused = true)]
async fn a_per_run_timeout_replaces_the_workflow_timeout() {
    // The workflow says 1 s; this run allows 5 s, so the 3 s node completes.
    let start = Instant::now();
    let run = Runtime::new()
        .execute_with(
            TimeoutTest,
            TimeoutTestInput { ms: 3_000 },
            RunOptions::new().timeout(Duration::from_secs(5)),
        )
        .await
        .unwrap();
    assert!(run.outputs.slow_task);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

/// On a real clock too, the error reports the configured limit, not the measured time.
#[tokio::test]
async fn the_timeout_error_reports_the_configured_limit() {
    let err = Runtime::new()
        .execute_with(
            TimeoutTest,
            TimeoutTestInput { ms: 10_000 },
            RunOptions::new().timeout(Duration::from_millis(30)),
        )
        .await
        .unwrap_err();
    match err {
        WorkflowError::Timeout { limit, .. } => assert_eq!(limit, Duration::from_millis(30)),
        other => panic!("{other:?}"),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("flaky")]
struct Flaky;

#[node(retry(max = 3, backoff = "10ms"))]
async fn fails_then_hangs(ctx: &Context) -> Result<u32, Flaky> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    if ctx.attempt() == 1 {
        return Err(Flaky);
    }
    std::future::pending().await
}

workflow! {
    #[workflow(timeout = "500ms")]
    struct CancelledMidRetry {
        node = fails_then_hangs(),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_node_cancelled_during_its_second_attempt_counts_two_executions(h: Harness) {
    h.assert_timeout(
        h.execute(CancelledMidRetry, CancelledMidRetryInput {})
            .await,
    );
    let record = h.last_run().unwrap();
    let node = record.node("node").unwrap();
    assert_eq!(node.status, NodeStatus::Cancelled);
    assert_eq!(node.attempts, 2);
    h.assert_executed("node", 2);
}

// --- the node's error through anyhow, a `BoxError`, or several failures ----------------------

/// A node written the anyhow way: typed errors converted with `?`/`.into()`, context added.
#[node]
async fn parse_limit(text: String) -> anyhow::Result<u32> {
    use anyhow::Context as _;
    let limit: u32 = text
        .parse()
        .with_context(|| format!("limit {text:?} is not a number"))?;
    if limit > 100 {
        return Err(ValueError(format!("limit {limit} is over 100")).into());
    }
    Ok(limit)
}

#[node]
async fn boxed_limit(text: String) -> Result<u32, BoxError> {
    Err(Box::new(ValueError(format!("no limit in {text:?}"))))
}

workflow! {
    struct AnyhowLimit {
        input text: String,
        limit = parse_limit(text),
    }
}

workflow! {
    struct BoxedLimit {
        input text: String,
        limit = boxed_limit(text),
    }
}

#[tokio::test(start_paused = true)]
async fn an_error_carried_by_anyhow_is_found_by_its_own_type() {
    let rt = Runtime::new();
    let run = |text: &str| {
        rt.execute(
            AnyhowLimit,
            AnyhowLimitInput {
                text: text.to_owned(),
            },
        )
    };

    // `ValueError(..).into()`: anyhow's own conversion into a `Box<dyn Error>` hides the
    // type, the runtime keeps the `anyhow::Error` whole and looks inside.
    let err = run("250").await.unwrap_err();
    assert_eq!(
        err.downcast_ref::<ValueError>(),
        Some(&ValueError("limit 250 is over 100".into()))
    );
    assert_eq!(
        err.to_string(),
        "node `limit` of workflow `AnyhowLimit` failed after 1 attempt(s): limit 250 is over 100"
    );
    assert!(std::error::Error::source(&err).is_none());
    // Only anyhow can take its error out by value: `downcast` gives the error back whole.
    let err = err.downcast::<ValueError>().unwrap_err();
    assert!(err.downcast_ref::<ValueError>().is_some());

    // Under a `.context(..)`: the context is the node's error, its cause the source.
    let err = run("x").await.unwrap_err();
    assert!(err.downcast_ref::<ValueError>().is_none());
    assert_eq!(
        format!("{err:#}"),
        "node `limit` of workflow `AnyhowLimit` failed after 1 attempt(s): limit \"x\" is not a number: invalid digit found in string"
    );
    let cause = std::error::Error::source(&err).expect("the parse error");
    assert!(cause.is::<std::num::ParseIntError>());
    // ... and found by its type under the context, as anyhow's `downcast_ref` finds it.
    assert_eq!(
        err.downcast_ref::<std::num::ParseIntError>(),
        "x".parse::<u32>().err().as_ref()
    );

    assert_eq!(run("42").await.unwrap().outputs.limit, 42);
}

#[tokio::test(start_paused = true)]
async fn a_boxed_error_is_kept_as_it_is() {
    let err = Runtime::new()
        .execute(BoxedLimit, BoxedLimitInput { text: "t".into() })
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<ValueError>().is_some());
    assert_eq!(
        err.downcast::<ValueError>().unwrap(),
        ValueError("no limit in \"t\"".into())
    );
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("{0} is closed")]
struct Closed(&'static str);

#[node(retry(max = 2, backoff = "10ms"))]
async fn open_region(ms: u64, ctx: &Context) -> Result<u64, Closed> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    match ctx.node() {
        "east" => Err(Closed("east")),
        "west" => Err(Closed("west")),
        _ => Ok(ms),
    }
}

#[node]
async fn late_failure(ms: u64) -> Result<u64, ValueError> {
    tokio::time::sleep(Duration::from_millis(ms * 10)).await;
    Err(ValueError("late".into()))
}

workflow! {
    #[workflow(failure = "continue")]
    struct Regions {
        input ms: u64,
        east = open_region(ms),
        north = open_region(ms),
        west = late_failure(ms),
    }
}

#[tokio::test(start_paused = true)]
async fn several_failures_answer_like_their_first() {
    let err = Runtime::new()
        .execute(Regions, RegionsInput { ms: 5 })
        .await
        .unwrap_err();
    let WorkflowError::Multiple { errors, .. } = &err else {
        panic!("expected several failures: {err}");
    };
    assert_eq!(errors.len(), 2);
    // `east` failed first (5 + 10 + 5 ms), after 2 attempts; `west` at 50 ms.
    assert_eq!(err.node(), Some("east"));
    assert_eq!(err.attempts(), Some(2));
    // `downcast` finds what `downcast_ref` finds, in any of the failures.
    assert_eq!(
        err.downcast_ref::<ValueError>(),
        Some(&ValueError("late".into()))
    );
    let err = err.downcast::<std::io::Error>().unwrap_err();
    assert!(matches!(&err, WorkflowError::Multiple { errors, .. } if errors.len() == 2));
    assert_eq!(
        err.downcast::<ValueError>().unwrap(),
        ValueError("late".into())
    );
}
