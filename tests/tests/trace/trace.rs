//! The execution trace: events, exact times under a paused clock, text snapshots.

use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::trace::{AttemptSpan, SpanOutcome, TraceKind};
use workflow_core::RunOutcome;

#[derive(Debug, thiserror::Error)]
#[error("boom on attempt {0}")]
struct Boom(u32);

#[node]
async fn load(seed: u32, ctx: &Context) -> u32 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    ctx.emit("loaded");
    seed + 1
}

/// Fails twice, then succeeds (30 ms per attempt; backoff 20 ms, then 40 ms).
#[node(retry(max = 3, backoff = "20ms"))]
async fn flaky(x: u32, ctx: &Context) -> Result<u32, Boom> {
    tokio::time::sleep(Duration::from_millis(30)).await;
    if ctx.attempt() < 3 {
        Err(Boom(ctx.attempt()))
    } else {
        Ok(x + 1)
    }
}

#[node]
async fn side(x: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(45)).await;
    x * 2
}

#[node]
async fn join(a: u32, b: u32) -> u32 {
    a + b
}

workflow! {
    struct Diamond {
        input seed: u32,
        first = load(seed),
        left = flaky(x: first),
        right = side(x: first),
        both = join(a: left, b: right),
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn traced_diamond() -> workflow_core::ExecutionTrace {
    let run = Runtime::new()
        .execute_with(
            Diamond,
            DiamondInput { seed: 0 },
            RunOptions::new().trace(true),
        )
        .await
        .expect("run succeeds");
    assert_eq!(run.outputs.both, 4);
    let trace = run.trace.expect("tracing was requested");
    assert_eq!(trace.workflow, "Diamond");
    assert_eq!(trace.run_id, run.report.run_id);
    trace
}

#[tokio::test(start_paused = true)]
async fn text_rendering_is_a_stable_snapshot() {
    let trace = traced_diamond().await;
    let expected = &"
         0ns run started
         0ns first: scheduled
         0ns first: started (attempt 1)
        10ms first: event: loaded
        10ms first: completed after 1 attempt(s)
        10ms left: scheduled
        10ms right: scheduled
        10ms left: started (attempt 1)
        10ms right: started (attempt 1)
        40ms left: attempt 1 failed: boom on attempt 1; retrying in 20ms
        55ms right: completed after 1 attempt(s)
        60ms left: started (attempt 2)
        90ms left: attempt 2 failed: boom on attempt 2; retrying in 40ms
       130ms left: started (attempt 3)
       160ms left: completed after 3 attempt(s)
       160ms both: scheduled
       160ms both: started (attempt 1)
       160ms both: completed after 1 attempt(s)
       160ms run completed
"[1..];
    assert_eq!(trace.render_text(), expected);
    // Display is the same text.
    assert_eq!(trace.to_string(), expected);
}

#[tokio::test(start_paused = true)]
async fn times_under_a_paused_clock_are_exact() {
    let trace = traced_diamond().await;
    assert_eq!(trace.started_at("first"), Some(ms(0)));
    assert_eq!(trace.finished_at("first"), Some(ms(10)));
    assert_eq!(trace.started_at("left"), Some(ms(10)));
    assert_eq!(trace.finished_at("left"), Some(ms(160)));
    assert_eq!(trace.started_at("right"), Some(ms(10)));
    assert_eq!(trace.finished_at("right"), Some(ms(55)));
    assert_eq!(trace.started_at("both"), Some(ms(160)));
    assert_eq!(trace.duration(), ms(160));

    // `AttemptSpan` is `#[non_exhaustive]`: compare its fields.
    let span = |node: &str, attempt, start, end, outcome| {
        (node.to_owned(), attempt, ms(start), ms(end), outcome)
    };
    let spans: Vec<_> = trace
        .all_attempt_spans()
        .into_iter()
        .map(|s: AttemptSpan| (s.node.into_owned(), s.attempt, s.start, s.end, s.outcome))
        .collect();
    assert_eq!(
        spans,
        vec![
            span("first", 1, 0, 10, SpanOutcome::Completed),
            span("left", 1, 10, 40, SpanOutcome::Failed),
            span("right", 1, 10, 55, SpanOutcome::Completed),
            span("left", 2, 60, 90, SpanOutcome::Failed),
            span("left", 3, 130, 160, SpanOutcome::Completed),
            span("both", 1, 160, 160, SpanOutcome::Completed),
        ]
    );
    // One node's spans by its name, as `attempts("left")` counts them.
    let left: Vec<_> = trace
        .attempt_spans("left")
        .into_iter()
        .map(|s| (s.attempt, s.start, s.end, s.outcome))
        .collect();
    assert_eq!(
        left,
        [
            (1, ms(10), ms(40), SpanOutcome::Failed),
            (2, ms(60), ms(90), SpanOutcome::Failed),
            (3, ms(130), ms(160), SpanOutcome::Completed),
        ]
    );
    assert_eq!(trace.attempts("left"), 3);
    assert!(trace.attempt_spans("nobody").is_empty());
    // Every event time is a whole number of milliseconds: nothing drifted.
    for e in &trace {
        assert_eq!(e.at.subsec_nanos() % 1_000_000, 0, "{e}");
    }
}

#[tokio::test(start_paused = true)]
async fn queries_answer_common_assertions() {
    let trace = traced_diamond().await;
    assert_eq!(trace.attempts("left"), 3);
    assert_eq!(trace.attempts("right"), 1);
    assert_eq!(trace.attempts("nonexistent"), 0);
    assert_eq!(trace.messages("first"), ["loaded"]);
    assert!(trace.messages("left").is_empty());
    assert_eq!(trace.start_order(), ["first", "left", "right", "both"]);
    assert!(trace.overlapped("left", "right"));
    assert!(!trace.overlapped("first", "right"));
    assert!(
        !trace.overlapped("left", "both"),
        "touching is not overlapping"
    );
    assert_eq!(
        trace.kinds("left")[1..3],
        [
            &TraceKind::Started { attempt: 1 },
            &TraceKind::Retrying {
                attempt: 1,
                delay: ms(20),
                error: "boom on attempt 1".into()
            },
        ]
    );
    assert_eq!(trace.node_events("both").count(), 3);
}

#[tokio::test(start_paused = true)]
async fn no_trace_unless_asked() {
    let rt = Runtime::new();
    let run = rt.execute(Diamond, DiamondInput { seed: 0 }).await.unwrap();
    assert!(run.trace.is_none());
    let run = rt
        .execute_with(
            Diamond,
            DiamondInput { seed: 0 },
            RunOptions::new().trace(false),
        )
        .await
        .unwrap();
    assert!(run.trace.is_none());
}

#[tokio::test(start_paused = true)]
async fn runtime_wide_tracing_and_per_run_override() {
    let rt = Runtime::builder().trace(true).build();
    let run = rt.execute(Diamond, DiamondInput { seed: 0 }).await.unwrap();
    assert_eq!(run.trace.as_ref().map(|t| t.attempts("left")), Some(3));
    let run = rt
        .execute_with(
            Diamond,
            DiamondInput { seed: 0 },
            RunOptions::new().trace(false),
        )
        .await
        .unwrap();
    assert!(run.trace.is_none());
}

// ---- failure, cancellation, timeouts ----

#[node]
async fn fail_after(ms_: u64) -> Result<u32, Boom> {
    tokio::time::sleep(Duration::from_millis(ms_)).await;
    Err(Boom(1))
}

#[node]
async fn sleep_for(ms_: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms_)).await;
    ms_
}

#[node]
async fn after(x: u32) -> u32 {
    x
}

workflow! {
    struct FailFast {
        input fail_ms: u64,
        input slow_ms: u64,
        bad = fail_after(ms_: fail_ms),
        slow = sleep_for(ms_: slow_ms),
        next = after(x: bad),
    }
}

#[tokio::test(start_paused = true)]
async fn failure_cancels_siblings_and_skips_downstream_in_the_trace() {
    let RunOutcome { result, trace, .. } = Runtime::new()
        .execute_report(
            FailFast,
            FailFastInput {
                fail_ms: 30,
                slow_ms: 100,
            },
            RunOptions::new().trace(true),
        )
        .await;
    assert!(result.is_err());
    let trace = trace.expect("a failed run still has its trace");
    let expected = &"
         0ns run started
         0ns bad: scheduled
         0ns slow: scheduled
         0ns bad: started (attempt 1)
         0ns slow: started (attempt 1)
        30ms bad: failed after 1 attempt(s): boom on attempt 1
        30ms slow: cancelled
        30ms next: skipped
        30ms run failed: node `bad` of workflow `FailFast` failed after 1 attempt(s): boom on attempt 1
"[1..];
    assert_eq!(trace.render_text(), expected);
    assert_eq!(trace.finished_at("slow"), Some(ms(30)));
    assert_eq!(trace.started_at("next"), None);
    let spans = trace.all_attempt_spans();
    let outcomes: Vec<_> = spans.iter().map(|s| (&*s.node, s.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            ("bad", SpanOutcome::Failed),
            ("slow", SpanOutcome::Cancelled)
        ]
    );
}

#[node(timeout = "25ms")]
async fn too_slow() -> u32 {
    tokio::time::sleep(Duration::from_millis(100)).await;
    1
}

workflow! {
    struct Slow {
        only = too_slow(),
    }
}

#[tokio::test(start_paused = true)]
async fn node_timeout_is_a_failure_at_the_limit() {
    let RunOutcome { result, trace, .. } = Runtime::new()
        .execute_report(Slow, SlowInput {}, RunOptions::new().trace(true))
        .await;
    assert!(matches!(result, Err(WorkflowError::Timeout { .. })));
    let trace = trace.unwrap();
    assert_eq!(trace.finished_at("only"), Some(ms(25)));
    let failed = trace
        .node_events("only")
        .find_map(|e| match &e.kind {
            TraceKind::Failed { attempts, error } => Some((*attempts, error.clone())),
            _ => None,
        })
        .expect("a failed event");
    assert_eq!(failed.0, 1);
    assert!(failed.1.contains("25ms"), "{}", failed.1);
}

#[tokio::test(start_paused = true)]
async fn cancelling_a_run_records_cancelled_nodes() {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(15)).await;
        cancel.cancel();
    });
    let RunOutcome { result, trace, .. } = Runtime::new()
        .execute_report(
            FailFast,
            FailFastInput {
                fail_ms: 50,
                slow_ms: 50,
            },
            RunOptions::new().trace(true).cancel_token(token),
        )
        .await;
    assert!(matches!(result, Err(WorkflowError::Cancelled { .. })));
    let trace = trace.unwrap();
    for node in ["bad", "slow"] {
        assert_eq!(trace.kinds(node).last(), Some(&&TraceKind::Cancelled));
        assert_eq!(trace.finished_at(node), Some(ms(15)));
    }
    assert_eq!(trace.kinds("next"), [&TraceKind::Skipped]);
}

// ---- custom events and tracked waits ----

#[node]
async fn producer(ctx: &Context) -> u32 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    ctx.emit("producing \"42\"");
    ctx.publish("answer", 42_u32);
    0
}

#[node]
async fn consumer(ctx: &Context) -> u32 {
    ctx.wait::<u32>("answer").await.unwrap_or_default()
}

workflow! {
    struct Board {
        p = producer(),
        c = consumer(),
    }
}

#[tokio::test(start_paused = true)]
async fn custom_events_and_waits_are_recorded() {
    let run = Runtime::new()
        .execute_with(Board, BoardInput {}, RunOptions::new().trace(true))
        .await
        .unwrap();
    assert_eq!(run.outputs.c, 42);
    let trace = run.trace.unwrap();
    assert_eq!(
        trace.messages("p"),
        ["producing \"42\"", "published `answer`"]
    );
    assert!(trace.kinds("c").contains(&&TraceKind::Waiting {
        key: "answer".into()
    }));
    assert_eq!(trace.finished_at("c"), Some(ms(5)));
}

#[tokio::test(start_paused = true)]
async fn emit_without_trace_is_harmless() {
    let run = Runtime::new().execute(Board, BoardInput {}).await.unwrap();
    assert_eq!(run.outputs.c, 42);
    assert!(run.trace.is_none());
}
