//! Timeouts, retries, concurrency limits and failure policies, on the paused clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::policy::FailurePolicy;
use workflow_core::prelude::*;
use workflow_core::RunOutcome;
use workflow_core::{NodeStatus, TimeoutScope};

async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

// --- node timeout --------------------------------------------------------------------

#[node(timeout = "1s")]
async fn slow_task(ms: u64) -> bool {
    sleep_ms(ms).await;
    true
}

workflow! {
    struct NodeTimeout {
        input ms: u64,
        slow = slow_task(ms),
    }
}

#[tokio::test(start_paused = true)]
async fn a_ten_second_node_under_a_one_second_timeout_fails_at_one_second() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute(NodeTimeout, NodeTimeoutInput { ms: 10_000 })
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert!(err.is_timeout());
    assert_eq!(err.node(), Some("slow"));
    match err {
        WorkflowError::Timeout { scope, limit, .. } => {
            assert_eq!(scope, TimeoutScope::Node("slow".into()));
            assert_eq!(limit, Duration::from_secs(1));
        }
        other => panic!("{other:?}"),
    }
    // Within the limit it succeeds.
    let run = Runtime::new()
        .execute(NodeTimeout, NodeTimeoutInput { ms: 999 })
        .await
        .unwrap();
    assert!(run.outputs.slow);
}

#[node]
async fn nap(ms: u64) -> u64 {
    sleep_ms(ms).await;
    ms
}

workflow! {
    struct NapInside {
        input ms: u64,
        inner = nap(ms),
    }
}

workflow! {
    struct TimeoutStopsSiblings {
        input ms: u64,
        input long: u64,
        input longs: Vec<u64>,
        #[timeout = "50ms"]
        slow = nap(ms),
        other = nap(ms: long),
        sub = NapInside(ms: long),
        items = for l in longs {
            n = nap(ms: l),
        } => n,
    }
}

/// A node's own timeout stops the run (fail-fast): `running` names that node, then
/// every node it stopped, in sub-workflows and items by path, as a run's timeout does
/// (it used to name the node alone, though `{}` was written to print the others).
/// Under `failure = "continue"` nothing else is stopped, and only the node is named.
#[tokio::test(start_paused = true)]
async fn a_node_timeout_names_every_node_it_stopped() {
    let input = || TimeoutStopsSiblingsInput {
        ms: 1_000,
        long: 500,
        longs: vec![10, 400, 300],
    };
    let start = Instant::now();
    let RunOutcome { result, report, .. } = Runtime::new()
        .execute_report(TimeoutStopsSiblings, input(), RunOptions::new())
        .await;
    let err = result.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(50));
    let WorkflowError::Timeout { scope, running, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*scope, TimeoutScope::Node("slow".into()));
    assert_eq!(
        running,
        &["slow", "other", "sub.inner", "items[1].n", "items[2].n"]
    );
    assert_eq!(
        err.to_string(),
        "node `slow` of workflow `TimeoutStopsSiblings` timed out after 50ms; \
         still running: other, sub.inner, items[1].n, items[2].n"
    );
    // The report agrees: those were cancelled, the first item had finished.
    for name in &running[1..] {
        assert_eq!(
            report.node(name).unwrap().status,
            NodeStatus::Cancelled,
            "{name}"
        );
    }
    assert_eq!(
        report.node("items[0].n").unwrap().status,
        NodeStatus::Succeeded
    );

    let start = Instant::now();
    let err = Runtime::new()
        .execute_with(
            TimeoutStopsSiblings,
            input(),
            RunOptions::new().failure(FailurePolicy::Continue),
        )
        .await
        .unwrap_err();
    // The others ran to their end.
    assert_eq!(start.elapsed(), Duration::from_millis(500));
    let timeout = match &err {
        WorkflowError::Multiple { errors, .. } if errors.len() == 1 => &errors[0],
        other => other,
    };
    let WorkflowError::Timeout { running, .. } = timeout else {
        panic!("{err:?}")
    };
    assert_eq!(running, &["slow"]);
}

workflow! {
    struct BindingTimeout {
        input ms: u64,
        #[timeout = "250ms"]
        slow = slow_task(ms),
    }
}

static TIMED_OUT_CALLS: AtomicU32 = AtomicU32::new(0);

#[node]
async fn never_in_time() -> u32 {
    TIMED_OUT_CALLS.fetch_add(1, Ordering::SeqCst);
    sleep_ms(10_000).await;
    1
}

workflow! {
    struct RetriedTimeout {
        #[retry(max = 4, backoff = "5ms")]
        #[timeout = "40ms"]
        s = never_in_time(),
    }
}

/// A node that times out on every attempt: the error says how many attempts were made,
/// as a node that fails with an error does (the limit is per attempt).
#[tokio::test(start_paused = true)]
async fn a_node_timing_out_on_every_retry_reports_its_attempts() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute(RetriedTimeout, RetriedTimeoutInput {})
        .await
        .unwrap_err();
    // Four attempts of 40 ms, with backoffs of 5, 10 and 20 ms between them.
    assert_eq!(start.elapsed(), Duration::from_millis(4 * 40 + 5 + 10 + 20));
    assert_eq!(TIMED_OUT_CALLS.load(Ordering::SeqCst), 4);
    assert_eq!(err.attempts(), Some(4), "{err}");
    match &err {
        WorkflowError::Timeout {
            scope,
            attempts,
            all_attempts,
            ..
        } => {
            assert_eq!(*scope, TimeoutScope::Node("s".into()));
            assert_eq!(*attempts, 4);
            // Each attempt's own limit, not `retry(total_timeout)`.
            assert!(!all_attempts);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "node `s` of workflow `RetriedTimeout` timed out after 40ms in the last of 4 attempt(s)"
    );
    // One attempt: the count is 1, and the message does not mention attempts.
    let err = Runtime::new()
        .execute(NodeTimeout, NodeTimeoutInput { ms: 10_000 })
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), Some(1));
    assert_eq!(
        err.to_string(),
        "node `slow` of workflow `NodeTimeout` timed out after 1s"
    );
}

#[tokio::test(start_paused = true)]
async fn a_binding_overrides_the_node_timeout() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute(BindingTimeout, BindingTimeoutInput { ms: 500 })
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(start.elapsed(), Duration::from_millis(250));
}

// --- retries -------------------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
enum NetError {
    #[error("connection refused (attempt {0})")]
    Connection(u32),
    #[error("bad request")]
    BadRequest,
}

/// Fails with a connection error until `fail_times` attempts were made; records when
/// each attempt started.
#[derive(Default)]
struct Flaky {
    attempts: AtomicU32,
    started: Mutex<Vec<Duration>>,
}

impl Flaky {
    fn call(&self, fail_times: u32, origin: Instant) -> Result<u32, NetError> {
        self.started.lock().unwrap().push(origin.elapsed());
        let n = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= fail_times {
            Err(NetError::Connection(n))
        } else {
            Ok(n)
        }
    }
}

struct Origin(Instant);

#[node(retry(max = 3, backoff = "100ms"))]
async fn flaky_operation(
    fail_times: u32,
    flaky: Res<Flaky>,
    origin: Res<Origin>,
) -> Result<u32, NetError> {
    flaky.call(fail_times, origin.0)
}

workflow! {
    struct Retry {
        input fail_times: u32,
        op = flaky_operation(fail_times),
    }
}

fn retry_runtime() -> (Runtime, Arc<Flaky>) {
    let flaky = Arc::new(Flaky::default());
    let rt = Runtime::builder()
        .resource_arc(flaky.clone())
        .resource(Origin(Instant::now()))
        .build();
    (rt, flaky)
}

#[tokio::test(start_paused = true)]
async fn fails_twice_then_succeeds_on_the_third_attempt_with_backoff() {
    let (rt, flaky) = retry_runtime();
    let run = rt
        .execute_with(
            Retry,
            RetryInput { fail_times: 2 },
            RunOptions::new().trace(true),
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.op, 3);
    assert_eq!(run.node("op").unwrap().attempts, 3);
    // Backoff 100 ms, then 200 ms.
    assert_eq!(
        *flaky.started.lock().unwrap(),
        [
            Duration::ZERO,
            Duration::from_millis(100),
            Duration::from_millis(300)
        ]
    );
    let retries: Vec<_> = run
        .trace
        .unwrap()
        .iter()
        .filter(|e| matches!(e.kind, workflow_core::trace::TraceKind::Retrying { .. }))
        .map(|e| e.at)
        .collect();
    assert_eq!(retries, [Duration::ZERO, Duration::from_millis(100)]);
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_max_attempts_with_the_last_error() {
    let (rt, flaky) = retry_runtime();
    let err = rt
        .execute(Retry, RetryInput { fail_times: 10 })
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), Some(3));
    assert!(matches!(
        err.downcast_ref::<NetError>(),
        Some(NetError::Connection(3))
    ));
    assert_eq!(flaky.attempts.load(Ordering::SeqCst), 3);
}

workflow! {
    struct RetryMore {
        input fail_times: u32,
        #[retry(max = 4, backoff = "100ms", max_backoff = "300ms")]
        op = flaky_operation(fail_times),
    }
}

#[tokio::test(start_paused = true)]
async fn a_binding_retry_overrides_the_node_default_and_caps_the_backoff() {
    let (rt, flaky) = retry_runtime();
    let run = rt
        .execute(RetryMore, RetryMoreInput { fail_times: 3 })
        .await
        .unwrap();
    assert_eq!(run.outputs.op, 4);
    assert_eq!(
        *flaky.started.lock().unwrap(),
        [0, 100, 300, 600].map(Duration::from_millis)
    );
}

fn is_transient(e: &NetError) -> bool {
    matches!(e, NetError::Connection(_))
}

#[node(retry(max = 5, backoff = "10ms", retry_if = is_transient))]
async fn picky(bad: bool, flaky: Res<Flaky>) -> Result<u32, NetError> {
    flaky.attempts.fetch_add(1, Ordering::SeqCst);
    if bad {
        Err(NetError::BadRequest)
    } else {
        Err(NetError::Connection(0))
    }
}

workflow! {
    struct Picky {
        input bad: bool,
        p = picky(bad),
    }
}

#[tokio::test(start_paused = true)]
async fn only_errors_the_predicate_accepts_are_retried() {
    let (rt, flaky) = retry_runtime();
    let err = rt
        .execute(Picky, PickyInput { bad: true })
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), Some(1), "bad request is not retried");
    assert_eq!(flaky.attempts.swap(0, Ordering::SeqCst), 1);

    let err = rt
        .execute(Picky, PickyInput { bad: false })
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), Some(5), "connection errors are retried");
    assert_eq!(flaky.attempts.load(Ordering::SeqCst), 5);
}

#[node(timeout = "1s", retry(max = 3, backoff = "500ms"))]
async fn hangs_then_answers(flaky: Res<Flaky>) -> u32 {
    let n = flaky.attempts.fetch_add(1, Ordering::SeqCst) + 1;
    if n < 3 {
        sleep_ms(60_000).await;
    }
    n
}

workflow! {
    struct HangThenAnswer {
        h = hangs_then_answers(),
    }
}

#[tokio::test(start_paused = true)]
async fn the_timeout_applies_per_attempt_and_timeouts_are_retried() {
    let (rt, _) = retry_runtime();
    let start = Instant::now();
    let run = rt
        .execute(HangThenAnswer, HangThenAnswerInput {})
        .await
        .unwrap();
    assert_eq!(run.outputs.h, 3);
    // 1 s timeout + 500 ms + 1 s timeout + 1 s backoff, then an instant answer.
    assert_eq!(start.elapsed(), Duration::from_millis(3500));
}

#[node(
    timeout = "1s",
    retry(max = 10, backoff = "500ms", total_timeout = "2s")
)]
async fn always_hangs() -> u32 {
    sleep_ms(60_000).await;
    0
}

workflow! {
    struct TotalLimit {
        h = always_hangs(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_total_timeout_bounds_all_attempts() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute(TotalLimit, TotalLimitInput {})
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    // The error names the total limit as such: the second attempt ran 500 ms, not 2 s.
    let WorkflowError::Timeout {
        scope: TimeoutScope::Node(node),
        limit,
        attempts,
        all_attempts,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (&**node, *limit, *attempts, *all_attempts),
        ("h", Duration::from_secs(2), 2, true)
    );
    assert_eq!(
        err.to_string(),
        "node `h` of workflow `TotalLimit` timed out after 2s, its `retry(total_timeout)` for all attempts, during attempt 2"
    );
}

// --- a timeout between two attempts ------------------------------------------------------

/// Refused every time, naming the attempt.
#[node(retry(max = 3, backoff = "500ms"))]
async fn refused_again(ctx: &Context) -> Result<u32, NetError> {
    Err(NetError::Connection(ctx.attempt()))
}

workflow! {
    #[workflow(timeout = "800ms")]
    struct StopsABackoff {
        input ms: u64,
        input naps: Vec<u64>,
        f = refused_again(),
        g = nap(ms),
        items = for m in naps {
            #[retry(max = 2, backoff = "2s")]
            r = refused_again(),
            n = nap(ms: m),
        } => n,
    }
}

/// A run's timeout that stops a node waiting out its backoff (attempt 2 failed at 500
/// ms, the next one is due at 1.5 s) names it as waiting to retry, after which attempt
/// and why, where it used to say "still running: f" as if an attempt were cut short; a
/// node doing the same in a fan-out's item too, by path. `running` still holds them
/// (they were stopped), and the report and the trace say the same: cancelled after 2
/// attempts, the last event before that "attempt 2 failed: ..; retrying in 1s".
#[tokio::test(start_paused = true)]
async fn a_run_timeout_during_a_backoff_says_the_node_was_waiting_to_retry() {
    let start = Instant::now();
    let RunOutcome {
        result,
        report,
        trace,
        ..
    } = Runtime::new()
        .execute_report(
            StopsABackoff,
            StopsABackoffInput {
                ms: 10_000,
                naps: vec![10_000],
            },
            RunOptions::new().trace(true),
        )
        .await;
    let err = result.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(800));
    let WorkflowError::Timeout {
        scope,
        running,
        retrying,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*scope, TimeoutScope::Workflow);
    assert_eq!(running, &["f", "g", "items[0].r", "items[0].n"]);
    let waits: Vec<_> = retrying
        .iter()
        .map(|w| (&*w.node, w.attempt, &*w.error, w.delay))
        .collect();
    assert_eq!(
        waits,
        [
            (
                "f",
                2,
                "connection refused (attempt 2)",
                Duration::from_secs(1)
            ),
            (
                "items[0].r",
                1,
                "connection refused (attempt 1)",
                Duration::from_secs(2)
            ),
        ]
    );
    assert_eq!(
        err.to_string(),
        "the run of workflow `StopsABackoff` timed out after 800ms; still running: g, items[0].n; \
         waiting to retry: f (attempt 2 failed: connection refused (attempt 2)), \
         items[0].r (attempt 1 failed: connection refused (attempt 1))"
    );
    for (name, attempts) in [("f", 2), ("items[0].r", 1)] {
        let node = report.node(name).unwrap();
        assert_eq!(
            (node.status, node.attempts),
            (NodeStatus::Cancelled, attempts),
            "{name}"
        );
        let events: Vec<String> = trace
            .as_ref()
            .unwrap()
            .iter()
            .filter(|e| e.node.as_deref() == Some(name))
            .map(|e| e.kind.to_string())
            .collect();
        let wait = &retrying.iter().find(|w| w.node == name).unwrap();
        assert_eq!(
            events[events.len() - 2..],
            [
                format!(
                    "attempt {} failed: {}; retrying in {:?}",
                    wait.attempt, wait.error, wait.delay
                ),
                "cancelled".to_string()
            ],
            "{name}: {events:?}"
        );
    }
}

/// Refused at the first call; every later call hangs.
#[node(retry(max = 3, backoff = "500ms"))]
async fn refuses_then_hangs(calls: Res<AtomicU32>) -> Result<u32, NetError> {
    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
    if n > 1 {
        sleep_ms(60_000).await;
    }
    Err(NetError::Connection(n))
}

workflow! {
    struct RefusesOnce {
        f = refuses_then_hangs(),
    }
}

workflow! {
    #[workflow(timeout = "1s")]
    struct RetriesRefusesOnce {
        #[timeout = "300ms"]
        #[retry(max = 3, backoff = "100ms")]
        sub = RefusesOnce(),
    }
}

/// A node stopped while it waited to retry, in a sub-workflow's run that timed out and
/// was run again, is not "waiting to retry" in the later run, where its first attempt
/// was running when the run's time ran out (`sub.f` refused at 0 ms and waited; the
/// sub-workflow timed out at 300 ms, ran again at 400 ms and 800 ms, where `sub.f`
/// hangs).
#[tokio::test(start_paused = true)]
async fn a_node_that_waited_to_retry_in_an_earlier_run_of_its_sub_workflow_is_running_now() {
    let calls = Arc::new(AtomicU32::new(0));
    let rt = Runtime::builder().resource_arc(calls.clone()).build();
    let err = rt
        .execute(RetriesRefusesOnce, RetriesRefusesOnceInput {})
        .await
        .unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let WorkflowError::Timeout {
        scope,
        running,
        retrying,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*scope, TimeoutScope::Workflow);
    assert_eq!(running, &["sub.f"]);
    assert!(retrying.is_empty(), "{retrying:?}");
    assert_eq!(
        err.to_string(),
        "the run of workflow `RetriesRefusesOnce` timed out after 1s; still running: sub.f"
    );
}

/// A run cancelled while nodes wait out their backoff (at 700 ms: `f`'s attempt 2
/// failed at 500 ms, `items[0].r`'s attempt 1 at 0) names them as waiting to retry,
/// after which attempt and why, as a run's timeout does, where it said "still running:
/// f" as if an attempt were cut short. `running` still holds them (they were stopped).
#[tokio::test(start_paused = true)]
async fn a_cancel_during_a_backoff_says_the_node_was_waiting_to_retry() {
    let start = Instant::now();
    let token = CancellationToken::new();
    let run = tokio::spawn(Runtime::new().execute_with(
        StopsABackoff,
        StopsABackoffInput {
            ms: 10_000,
            naps: vec![10_000],
        },
        RunOptions::new().cancel_token(token.clone()),
    ));
    tokio::time::sleep(Duration::from_millis(700)).await;
    token.cancel();
    let err = run.await.unwrap().unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(700));
    let WorkflowError::Cancelled {
        running, retrying, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(running, &["f", "g", "items[0].r", "items[0].n"]);
    let waits: Vec<_> = retrying
        .iter()
        .map(|w| (&*w.node, w.attempt, w.delay))
        .collect();
    assert_eq!(
        waits,
        [
            ("f", 2, Duration::from_secs(1)),
            ("items[0].r", 1, Duration::from_secs(2))
        ]
    );
    assert_eq!(
        err.to_string(),
        "run of workflow `StopsABackoff` was cancelled; still running: g, items[0].n; \
         waiting to retry: f (attempt 2 failed: connection refused (attempt 2)), \
         items[0].r (attempt 1 failed: connection refused (attempt 1))"
    );
}

#[node(retry(max = 10, backoff = "500ms", total_timeout = "1200ms"))]
async fn refuses_within(ctx: &Context) -> Result<u32, NetError> {
    Err(NetError::Connection(ctx.attempt()))
}

workflow! {
    struct TotalInBackoff {
        h = refuses_within(),
    }
}

/// A node's `retry(total_timeout)` that runs out while it waits between attempts (at
/// 1.2 s; attempt 2 failed at 500 ms, the third is due at 1.5 s) says so, where it
/// said "during attempt 2", an attempt that had ended 700 ms before.
#[tokio::test(start_paused = true)]
async fn a_total_timeout_during_a_backoff_says_the_node_was_waiting_to_retry() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute(TotalInBackoff, TotalInBackoffInput {})
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(1200));
    let WorkflowError::Timeout {
        attempts,
        all_attempts,
        retrying,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*attempts, *all_attempts), (2, true));
    assert_eq!(retrying.len(), 1, "{retrying:?}");
    assert_eq!((&*retrying[0].node, retrying[0].attempt), ("h", 2));
    assert_eq!(
        err.to_string(),
        "node `h` of workflow `TotalInBackoff` timed out after 1.2s, its `retry(total_timeout)` \
         for all attempts, while waiting to retry: attempt 2 failed: connection refused (attempt 2)"
    );
}

#[node(retry(max = 3, backoff = "1s", total_timeout = "1500ms"))]
async fn refuses_long(ctx: &Context) -> Result<u32, NetError> {
    Err(NetError::Connection(ctx.attempt()))
}

#[node]
async fn hangs() -> u32 {
    sleep_ms(3_600_000).await;
    0
}

workflow! {
    #[workflow(failure = "continue")]
    struct StoppedInBackoffBesideAHang {
        h = refuses_long(),
        s = hangs(),
    }
}

/// A node stopped during its backoff (here its `total_timeout` runs out at 1.5 s, in
/// the 2 s wait after attempt 2) waits no longer: a live snapshot's `retrying` drops
/// it, and under `failure = "continue"` the stall limit (2 s) reports the other
/// branch's hang 2 s after that node ended, at 3.5 s, where the stale wait counted as
/// progress until its attempt's due time (3 s) and the stall was reported at 5 s. The
/// timeout's error still says the node was waiting to retry.
#[tokio::test(start_paused = true)]
async fn a_node_stopped_in_its_backoff_waits_no_longer() {
    let handles = Arc::new(Mutex::new(Vec::<RunHandle>::new()));
    let seen = Arc::clone(&handles);
    let rt = Runtime::builder()
        .monitor(move |run| seen.lock().unwrap().push(run))
        .build();
    let start = Instant::now();
    let run = tokio::spawn(rt.execute_with(
        StoppedInBackoffBesideAHang,
        StoppedInBackoffBesideAHangInput {},
        RunOptions::new().deadlock(Duration::from_secs(2)),
    ));
    let retrying = || {
        let snapshot = handles.lock().unwrap()[0].snapshot().unwrap();
        snapshot
            .retrying
            .iter()
            .map(|w| (w.node.to_string(), w.attempt))
            .collect::<Vec<_>>()
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(retrying(), [("h".to_string(), 1)]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(retrying(), []);
    let err = run.await.unwrap().unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(3500), "{err}");
    assert!(err.is_deadlock(), "{err}");
    let WorkflowError::Multiple { errors, .. } = &err else {
        panic!("{err:?}")
    };
    let Some(WorkflowError::Timeout { retrying, .. }) =
        errors.iter().find(|e| e.node() == Some("h"))
    else {
        panic!("{err:?}")
    };
    assert_eq!(retrying.len(), 1, "{retrying:?}");
    assert_eq!((&*retrying[0].node, retrying[0].attempt), ("h", 2));
}

#[node]
async fn naps_or_hangs(ms: u64) -> u64 {
    if ms == 0 {
        std::future::pending::<()>().await;
    }
    sleep_ms(ms).await;
    ms
}

workflow! {
    struct ItemsThenAHang {
        input mss: Vec<u64>,
        items = for ms in mss {
            n = naps_or_hangs(ms),
        } => n,
    }
}

workflow! {
    struct NapBesideItemsThenAHang {
        input mss: Vec<u64>,
        input nap_ms: u64,
        nap = naps_or_hangs(ms: nap_ms),
        items = for ms in mss {
            n = naps_or_hangs(ms),
        } => n,
    }
}

/// The documented bound of the stall limit after progress inside a child run (here a
/// fan-out item's node finishing, the other item hanging, a 1 s limit): the timer of a
/// run with fan-outs or sub-workflows looks every quarter limit (250 ms) whether a
/// node of a child run finished, so the hang is reported between 1x and 1.25x the
/// limit after the last progress, as `RunOptions::deadlock` says. An item finishing
/// just after the timer looked (1 ms, 251 ms) gives the 1.25x end, one finishing as it
/// looks (1 s) the 1x end. A node of the run itself finishing (`nap`, at 100 ms)
/// restarts the quarter steps from its end, rather than leaving a whole limit before
/// the timer looks again (which reported the hang 1.8 s after the item at 300 ms).
#[tokio::test(start_paused = true)]
async fn a_stall_after_progress_inside_items_is_reported_within_a_quarter_limit_more() {
    let limit = RunOptions::new().deadlock(Duration::from_secs(1));
    for (nap, first, reported) in [
        (false, 300, 1500),
        (false, 1, 1250),
        (false, 251, 1500),
        (false, 1000, 2000),
        (true, 300, 1350),
    ] {
        let start = Instant::now();
        let mss = vec![first, 0];
        let err = if nap {
            let input = NapBesideItemsThenAHangInput { mss, nap_ms: 100 };
            let run = Runtime::new().execute_with(NapBesideItemsThenAHang, input, limit.clone());
            run.await.unwrap_err()
        } else {
            let input = ItemsThenAHangInput { mss };
            let run = Runtime::new().execute_with(ItemsThenAHang, input, limit.clone());
            run.await.unwrap_err()
        };
        assert!(err.is_deadlock(), "{err}");
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(reported),
            "{first}: {err}"
        );
        let since = Duration::from_millis(reported - first);
        assert!(
            since >= Duration::from_secs(1) && since <= Duration::from_millis(1250),
            "{first}: {since:?}"
        );
    }
}

#[node]
async fn plus_one_at_once(x: u64) -> u64 {
    x + 1
}

workflow! {
    struct HangBesideInstantItems {
        input xs: Vec<u64>,
        input never: u64,
        h = naps_or_hangs(ms: never),
        ys = for x in xs {
            y = plus_one_at_once(x),
        } => y,
    }
}

/// A zero stall limit, a fan-out whose items all end in their first poll, and a node
/// that never ends: the stall is reported at once. (The timer, seeing the items'
/// progress, was re-armed a zero limit later, at an instant already past; the poll
/// that said so was dropped, no wake-up was left, and the run waited forever.)
#[tokio::test(start_paused = true)]
async fn a_zero_stall_limit_after_child_progress_reports_the_stall_at_once() {
    let start = Instant::now();
    let input = HangBesideInstantItemsInput {
        xs: vec![1, 2],
        never: 0,
    };
    let run = Runtime::new().execute_with(
        HangBesideInstantItems,
        input,
        RunOptions::new().deadlock(Duration::ZERO),
    );
    let err = tokio::time::timeout(Duration::from_secs(3600), run)
        .await
        .expect("the stall is reported")
        .unwrap_err();
    assert!(err.is_deadlock(), "{err}");
    assert_eq!(start.elapsed(), Duration::ZERO, "{err}");
}

// --- concurrency -----------------------------------------------------------------------

#[node]
async fn second(tag: u32) -> u32 {
    sleep_ms(1000).await;
    tag
}

workflow! {
    #[workflow(concurrency = 2)]
    struct FourWide {
        input t: u32,
        a = second(tag: t),
        b = second(tag: t),
        c = second(tag: t),
        d = second(tag: t),
    }
}

#[tokio::test(start_paused = true)]
async fn a_concurrency_limit_bounds_nodes_in_flight() {
    let rt = Runtime::new();
    let start = Instant::now();
    rt.execute(FourWide, FourWideInput { t: 1 }).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));

    let start = Instant::now();
    rt.execute_with(
        FourWide,
        FourWideInput { t: 1 },
        RunOptions::new().concurrency(4),
    )
    .await
    .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_runtime_limit_bounds_nodes_across_runs() {
    let rt = Runtime::builder().max_concurrent_nodes(4).build();
    let start = Instant::now();
    let runs = (0..2).map(|_| {
        rt.execute_with(
            FourWide,
            FourWideInput { t: 1 },
            RunOptions::new().concurrency(4),
        )
    });
    for r in futures::future::join_all(runs).await {
        r.unwrap();
    }
    // 8 one-second nodes, 4 at a time.
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

workflow! {
    struct OneSecond {
        input t: u32,
        s = second(tag: t),
    }
}

workflow! {
    /// Nodes that only run child runs: a sub-workflow, a `for` fan-out, a `map`, and a
    /// sub-workflow inside the fan-out's body.
    struct Nested {
        input t: u32,
        input ts: Vec<u32>,
        sub = OneSecond(t),
        #[concurrency = 2]
        each = for x in ts {
            inner = OneSecond(t: x),
        } => inner,
        mapped = map(OneSecond, ts),
    }
}

/// A sub-workflow or fan-out node takes no slot of the runtime's node limit: its child
/// runs' nodes take theirs. (It held one while its children waited for theirs, so a
/// limit of 1 hung every such workflow, and a limit of N one nested N deep.)
#[tokio::test(start_paused = true)]
async fn a_runtime_limit_counts_the_nodes_of_child_runs_not_the_nodes_running_them() {
    let rt = Runtime::builder().max_concurrent_nodes(1).build();
    let start = Instant::now();
    let input = NestedInput {
        t: 1,
        ts: vec![2, 3],
    };
    let run = tokio::time::timeout(Duration::from_secs(60), rt.execute(Nested, input))
        .await
        .expect("hung: the nodes running child runs held the only slot")
        .unwrap();
    assert_eq!(run.outputs.each.len(), 2);
    // Five one-second nodes, one at a time.
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    // Traced runs and a limit of 2 (a trace supervises every node, as a limit does).
    let rt = Runtime::builder()
        .max_concurrent_nodes(2)
        .trace(true)
        .build();
    let start = Instant::now();
    let input = NestedInput {
        t: 1,
        ts: vec![2, 3, 4],
    };
    let run = tokio::time::timeout(Duration::from_secs(60), rt.execute(Nested, input))
        .await
        .expect("hung")
        .unwrap();
    assert_eq!(run.node("each").unwrap().status, NodeStatus::Succeeded);
    // Seven one-second nodes, two at a time.
    assert_eq!(start.elapsed(), Duration::from_secs(4));
}

// --- failure policies --------------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
#[error("branch {0} failed")]
struct BranchError(u32);

#[node]
async fn branch(id: u32, fail: bool, ms: u64) -> Result<u32, BranchError> {
    sleep_ms(ms).await;
    if fail {
        Err(BranchError(id))
    } else {
        Ok(id)
    }
}

#[node]
async fn after_branch(x: u32) -> u32 {
    x + 100
}

workflow! {
    #[workflow(failure = "continue")]
    struct Branches {
        input one: u32,
        input two: u32,
        input three: u32,
        input yes: bool,
        input no: bool,
        input short: u64,
        input long: u64,
        a = branch(id: one, fail: yes, ms: short),
        a2 = after_branch(x: a),
        b = branch(id: two, fail: no, ms: long),
        b2 = after_branch(x: b),
        c = branch(id: three, fail: yes, ms: long),
    }
}

#[tokio::test(start_paused = true)]
async fn continue_lets_independent_branches_finish_and_reports_every_failure() {
    let input = || BranchesInput {
        one: 1,
        two: 2,
        three: 3,
        yes: true,
        no: false,
        short: 100,
        long: 500,
    };
    let start = Instant::now();
    let RunOutcome { result, report, .. } = Runtime::new()
        .execute_report(Branches, input(), RunOptions::new())
        .await;
    assert_eq!(start.elapsed(), Duration::from_millis(500));
    match result.unwrap_err() {
        WorkflowError::Multiple { errors, .. } => {
            let nodes: Vec<_> = errors.iter().map(|e| e.node().unwrap()).collect();
            assert_eq!(nodes, ["a", "c"]);
        }
        other => panic!("{other:?}"),
    }
    let status = |n: &str| report.node(n).unwrap().status;
    assert_eq!(status("b"), NodeStatus::Succeeded);
    assert_eq!(status("b2"), NodeStatus::Succeeded);
    assert_eq!(status("a2"), NodeStatus::Skipped);

    // The same graph fail-fast: stops at the first failure (100 ms).
    let start = Instant::now();
    let err = Runtime::new()
        .execute_with(
            Branches,
            input(),
            RunOptions::new().failure(FailurePolicy::FailFast),
        )
        .await
        .unwrap_err();
    assert_eq!(err.node(), Some("a"));
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

#[node(timeout = "50ms")]
async fn times_out() -> u32 {
    sleep_ms(1_000).await;
    1
}

#[node]
async fn refuses() -> Result<u32, Refused> {
    Err(Refused)
}

#[node]
async fn panics_at_once() -> u32 {
    panic!("at once")
}

workflow! {
    #[workflow(failure = "continue")]
    struct TimeoutAmongFailures {
        t = times_out(),
        r = refuses(),
        p = panics_at_once(),
    }
}

/// Under `failure = "continue"`, a run whose failures include a node's timeout (or
/// panic) answers `is_timeout()` (`is_panic()`), as its `node()` and `downcast_ref`
/// answer for its failures: `Harness::assert_timeout` said "expected the run to time
/// out, but it failed with: .. node `t` .. timed out after 50ms".
#[tokio::test(start_paused = true)]
async fn a_multiple_holding_a_timeout_or_panic_says_so() {
    let err = Runtime::new()
        .execute(TimeoutAmongFailures, TimeoutAmongFailuresInput {})
        .await
        .unwrap_err();
    let WorkflowError::Multiple { errors, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.len(), 3, "{err}");
    assert!(err.is_timeout(), "{err}");
    assert!(err.is_panic(), "{err}");
    assert!(!err.is_deadlock(), "{err}");
    assert!(err.downcast_ref::<Refused>().is_some());
    // A single failure is not a `Multiple`, and says what it is alone.
    let one = errors.iter().find(|e| e.node() == Some("r")).unwrap();
    assert!(!one.is_timeout() && !one.is_panic(), "{one}");
}

// --- spawn -------------------------------------------------------------------------------

#[node(spawn)]
async fn on_its_own_task(x: u64) -> u64 {
    sleep_ms(10).await;
    x * 3
}

#[node(spawn)]
async fn spawned_panic(x: u64) -> u64 {
    if x == 0 {
        panic!("spawned node panicked");
    }
    x
}

workflow! {
    struct Spawned {
        input x: u64,
        a = on_its_own_task(x),
        b = spawned_panic(x: a),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_nodes_run_and_their_panics_are_contained() {
    let rt = Runtime::new();
    let run = rt.execute(Spawned, SpawnedInput { x: 2 }).await.unwrap();
    assert_eq!(run.outputs.b, 6);
    let err = rt
        .execute(Spawned, SpawnedInput { x: 0 })
        .await
        .unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("spawned node panicked"), "{err}");
}

workflow! {
    struct RetryDoubling {
        input fail_times: u32,
        #[retry(max = 4, backoff = "100ms")]
        op = flaky_operation(fail_times),
    }
}

#[tokio::test(start_paused = true)]
async fn exponential_backoff_waits_100_200_then_400_ms() {
    let (rt, flaky) = retry_runtime();
    let run = rt
        .execute(RetryDoubling, RetryDoublingInput { fail_times: 3 })
        .await
        .unwrap();
    assert_eq!(run.outputs.op, 4);
    let started = flaky.started.lock().unwrap().clone();
    let gaps: Vec<_> = started.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, [100, 200, 400].map(Duration::from_millis));
}

// --- spawn_blocking ----------------------------------------------------------------------

/// A plain fn that blocks its thread: it runs on tokio's blocking pool.
#[node(spawn_blocking)]
fn checksum(data: Vec<u8>, ctx: &Context) -> u64 {
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(ctx.node(), "sum");
    data.iter().map(|&b| u64::from(b)).sum()
}

#[node(spawn_blocking, retry(max = 2))]
fn blocking_fails(fail: bool) -> Result<u8, std::io::Error> {
    if fail {
        Err(std::io::Error::other("blocking failure"))
    } else {
        Ok(1)
    }
}

#[node(spawn_blocking)]
fn blocking_panics(x: u8) -> u8 {
    if x == 0 {
        panic!("blocking node panicked");
    }
    x
}

workflow! {
    struct Blocking {
        input data: Vec<u8>,
        input fail: bool,
        input x: u8,
        sum = checksum(data),
        f = blocking_fails(fail),
        p = blocking_panics(x),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_blocking_runs_plain_fns_with_errors_and_panics_reported() {
    let rt = Runtime::new();
    let run = rt
        .execute(
            Blocking,
            BlockingInput {
                data: vec![1, 2, 3],
                fail: false,
                x: 9,
            },
        )
        .await
        .unwrap();
    assert_eq!((run.outputs.sum, run.outputs.f, run.outputs.p), (6, 1, 9));

    let err = rt
        .execute(
            Blocking,
            BlockingInput {
                data: vec![],
                fail: true,
                x: 9,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.node(), Some("f"));
    assert_eq!(err.attempts(), Some(2));
    assert_eq!(
        err.downcast_ref::<std::io::Error>().unwrap().to_string(),
        "blocking failure"
    );

    let err = rt
        .execute(
            Blocking,
            BlockingInput {
                data: vec![],
                fail: false,
                x: 0,
            },
        )
        .await
        .unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("blocking node panicked"), "{err}");
    // Still a plain fn.
    assert_eq!(blocking_panics(4), 4);
}

#[tokio::test(start_paused = true)]
async fn a_total_timeout_reports_the_attempts_made() {
    let RunOutcome { result, report, .. } = Runtime::new()
        .execute_report(TotalLimit, TotalLimitInput {}, RunOptions::new())
        .await;
    assert!(result.unwrap_err().is_timeout());
    // 1 s attempt, 500 ms backoff: the second attempt is running when 2 s are up.
    assert_eq!(report.node("h").unwrap().attempts, 2);
}

#[node]
async fn sleeps_exactly(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    struct EndsAtItsLimit {
        input ms: u64,
        #[timeout = "100ms"]
        n = sleeps_exactly(ms),
    }
}

workflow! {
    struct RunEndsAtItsLimit {
        input ms: u64,
        n = sleeps_exactly(ms),
    }
}

/// Ties on the paused clock, as `RunOptions::timeout` documents them: a node that ends
/// exactly at its own `#[timeout]` succeeds (its future is polled first, as
/// `tokio::time::timeout` does), a run whose nodes end exactly at the run's limit times
/// out (the limit is looked at first). One millisecond either side is not a tie.
#[tokio::test(start_paused = true)]
async fn a_tie_with_a_limit_goes_to_the_node_for_its_own_timeout_and_to_the_limit_for_the_run() {
    let rt = Runtime::new();
    let run = rt
        .execute(EndsAtItsLimit, EndsAtItsLimitInput { ms: 100 })
        .await;
    assert_eq!(run.expect("ends at its own limit").outputs.n, 100);
    let err = rt
        .execute(EndsAtItsLimit, EndsAtItsLimitInput { ms: 101 })
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");

    let limit = |ms| RunOptions::new().timeout(Duration::from_millis(ms));
    let err = rt
        .execute_with(
            RunEndsAtItsLimit,
            RunEndsAtItsLimitInput { ms: 100 },
            limit(100),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let run = rt
        .execute_with(
            RunEndsAtItsLimit,
            RunEndsAtItsLimitInput { ms: 100 },
            limit(101),
        )
        .await;
    assert_eq!(run.expect("ends before the run's limit").outputs.n, 100);
}

// --- each attempt's own copy of the ports ---------------------------------------------

/// A port value that counts its clones.
#[derive(Debug)]
struct Counted {
    value: u32,
    clones: Arc<AtomicU32>,
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        self.clones.fetch_add(1, Ordering::SeqCst);
        Self {
            value: self.value,
            clones: Arc::clone(&self.clones),
        }
    }
}

/// Fails until its third attempt; each attempt sees the inputs as the run gave them.
#[node(retry(max = 3, backoff = "10ms"))]
async fn third_time_lucky(
    a: Counted,
    b: Counted,
    n: u32,
    seen: Res<Mutex<Vec<(u32, u32, u32)>>>,
) -> Result<u32, std::io::Error> {
    let mut seen = seen.lock().unwrap();
    seen.push((a.value, b.value, n));
    if seen.len() < 3 {
        return Err(std::io::Error::other("not yet"));
    }
    Ok(a.value + b.value + n)
}

workflow! {
    struct CopiesPerAttempt {
        input a: Counted,
        input b: Counted,
        input n: u32,
        sum = third_time_lucky(a, b, n),
    }
}

/// A retried node's ports are cloned as a whole for every attempt but the last, which
/// takes the originals: two clones of each port for three attempts, each attempt with
/// the values the run was given.
#[tokio::test(start_paused = true)]
async fn every_attempt_but_the_last_gets_a_clone_of_every_port() {
    let clones = Arc::new(AtomicU32::new(0));
    let port = |value| Counted {
        value,
        clones: Arc::clone(&clones),
    };
    let rt = Runtime::builder()
        .resource(Mutex::new(Vec::<(u32, u32, u32)>::new()))
        .build();
    let run = rt
        .execute(
            CopiesPerAttempt,
            CopiesPerAttemptInput {
                a: port(10),
                b: port(200),
                n: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.sum, 213);
    assert_eq!(run.node("sum").unwrap().attempts, 3);
    // Attempts 1 and 2 got copies of `a` and `b`: four clones; attempt 3 the originals.
    assert_eq!(clones.load(Ordering::SeqCst), 4);
    let seen = rt.resource::<Mutex<Vec<(u32, u32, u32)>>>().unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![(10, 200, 3); 3]);
}
