//! Guide, "Testing Complex Patterns": retry logic and event-driven workflows.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_core::trace::TraceKind;
use workflow_test::{workflow_test, Harness};

// --- retry logic -----------------------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
enum ApiError {
    /// The guide's `ConnectionError("Temporary failure")`.
    #[error("temporary failure (attempt {0})")]
    Connection(u32),
    #[error("invalid request")]
    Invalid,
}

/// The guide's `flaky_operation`: fails with a connection error until it was called
/// `fail_times` times. Registered on the runtime as a resource, like
/// `runtime.register_function(flaky_operation)`. Records when each call happened.
struct Flaky {
    fail_times: u32,
    calls: AtomicU32,
    origin: Instant,
    called_at: Mutex<Vec<Duration>>,
}

impl Flaky {
    fn new(fail_times: u32) -> Arc<Self> {
        Arc::new(Self {
            fail_times,
            calls: AtomicU32::new(0),
            origin: Instant::now(),
            called_at: Mutex::default(),
        })
    }

    async fn call(&self) -> Result<u32, ApiError> {
        self.called_at.lock().unwrap().push(self.origin.elapsed());
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= self.fail_times {
            Err(ApiError::Connection(n))
        } else {
            Ok(n)
        }
    }

    fn called_at(&self) -> Vec<Duration> {
        self.called_at.lock().unwrap().clone()
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    success: bool,
    attempts: u32,
}

/// The guide writes the retry loop by hand inside the node; here it is a policy:
/// 3 attempts, 100 ms backoff doubling after each failure.
#[node(retry(max = 3, backoff = "100ms"))]
async fn retry_operation(flaky: Res<Flaky>, ctx: &Context) -> Result<Outcome, ApiError> {
    flaky.call().await?;
    Ok(Outcome {
        success: true,
        attempts: ctx.attempt(),
    })
}

workflow! {
    struct RetryTest {
        retry_operation = retry_operation(),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_async_retry_pattern(h: Harness) {
    // `self.runtime.register_function(flaky_operation)`
    let flaky = Flaky::new(2);
    h.insert_resource_arc(flaky.clone());
    let run = h.assert_success(h.execute(RetryTest, RetryTestInput {}).await);

    assert_eq!(
        run.outputs.retry_operation,
        Outcome {
            success: true,
            attempts: 3
        }
    );
    assert_eq!(run.node("retry_operation").unwrap().attempts, 3);
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 3);
    // The harness counts every attempt as an execution.
    h.assert_executed("retry_operation", 3);
    // The backoff delays, observed: 100 ms after the first failure, 200 ms after the second.
    assert_eq!(flaky.called_at(), [0, 100, 300].map(Duration::from_millis));
    // The trace says the same, with the error of each failed attempt.
    let retries: Vec<(Duration, u32, Duration, String)> = h
        .last_trace()
        .expect("the harness traces runs")
        .node_events("retry_operation")
        .filter_map(|e| match &e.kind {
            TraceKind::Retrying {
                attempt,
                delay,
                error,
            } => Some((e.at, *attempt, *delay, error.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries,
        [
            (
                Duration::ZERO,
                1,
                Duration::from_millis(100),
                "temporary failure (attempt 1)".to_owned()
            ),
            (
                Duration::from_millis(100),
                2,
                Duration::from_millis(200),
                "temporary failure (attempt 2)".to_owned()
            ),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn when_every_attempt_fails_the_last_error_is_returned() {
    let flaky = Flaky::new(u32::MAX);
    let rt = Runtime::builder().resource_arc(flaky.clone()).build();
    let start = Instant::now();
    let err = rt.execute(RetryTest, RetryTestInput {}).await.unwrap_err();
    assert_eq!(err.attempts(), Some(3));
    assert!(matches!(
        err.downcast_ref::<ApiError>(),
        Some(ApiError::Connection(3))
    ));
    // No delay after the last attempt.
    assert_eq!(start.elapsed(), Duration::from_millis(300));
}

fn is_connection_error(e: &ApiError) -> bool {
    matches!(e, ApiError::Connection(_))
}

#[node]
async fn call_api(invalid: bool, flaky: Res<Flaky>, ctx: &Context) -> Result<Outcome, ApiError> {
    if invalid {
        return Err(ApiError::Invalid);
    }
    flaky.call().await?;
    Ok(Outcome {
        success: true,
        attempts: ctx.attempt(),
    })
}

workflow! {
    /// A binding-level policy with other numbers: 5 attempts, 50 ms x3 backoff capped at
    /// 1 s, only for connection errors.
    struct PickyRetry {
        input invalid: bool,
        #[retry(max = 5, backoff = "50ms", multiplier = 3, max_backoff = "1s", retry_if = is_connection_error)]
        api = call_api(invalid),
    }
}

#[tokio::test(start_paused = true)]
async fn backoff_grows_by_the_multiplier_and_only_chosen_errors_are_retried() {
    let flaky = Flaky::new(4);
    let rt = Runtime::builder().resource_arc(flaky.clone()).build();
    let run = rt
        .execute(PickyRetry, PickyRetryInput { invalid: false })
        .await
        .unwrap();
    assert_eq!(run.outputs.api.attempts, 5);
    // Delays 50, 150, 450, then 1350 capped at 1000.
    assert_eq!(
        flaky.called_at(),
        [0, 50, 200, 650, 1650].map(Duration::from_millis)
    );

    // An invalid request is not a connection error: one attempt, no retry.
    let err = rt
        .execute(PickyRetry, PickyRetryInput { invalid: true })
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), Some(1));
    assert!(matches!(
        err.downcast_ref::<ApiError>(),
        Some(ApiError::Invalid)
    ));
}

/// The guide's node body, written out by hand: a retry loop inside an ordinary async fn
/// (a `#[node]` fn is plain Rust), with `retry_delay * 2^attempt` sleeps.
#[node]
async fn hand_written_retry(
    max_retries: u32,
    retry_delay_ms: u64,
    flaky: Res<Flaky>,
) -> Result<Outcome, ApiError> {
    let mut attempt = 0;
    loop {
        match flaky.call().await {
            Ok(n) => {
                return Ok(Outcome {
                    success: true,
                    attempts: n,
                })
            }
            Err(e) if attempt + 1 == max_retries => return Err(e),
            Err(_) => {
                let delay = retry_delay_ms * 2_u64.pow(attempt);
                tokio::time::sleep(Duration::from_millis(delay)).await;
                attempt += 1;
            }
        }
    }
}

workflow! {
    struct HandWrittenRetry {
        input max_retries: u32,
        input retry_delay_ms: u64,
        retry_operation = hand_written_retry(max_retries, retry_delay_ms),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_retry_loop_written_inside_the_node_works_too(h: Harness) {
    let flaky = Flaky::new(3);
    h.insert_resource_arc(flaky.clone());
    let run = h.assert_success(
        h.execute(
            HandWrittenRetry,
            HandWrittenRetryInput {
                max_retries: 4,
                retry_delay_ms: 25,
            },
        )
        .await,
    );
    assert_eq!(run.outputs.retry_operation.attempts, 4);
    assert_eq!(
        flaky.called_at(),
        [0, 25, 75, 175].map(Duration::from_millis)
    );
    // One execution of the node: the retries happened inside it.
    h.assert_executed("retry_operation", 1);

    // With fewer retries than failures, the last connection error comes out.
    let flaky = Flaky::new(3);
    h.insert_resource_arc(flaky.clone());
    let error: ApiError = h.assert_error(
        h.execute(
            HandWrittenRetry,
            HandWrittenRetryInput {
                max_retries: 2,
                retry_delay_ms: 25,
            },
        )
        .await,
    );
    assert!(matches!(error, ApiError::Connection(2)), "{error}");
}

// --- event-driven patterns -------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Data { value: i64 },
    Stop,
}

/// The guide's `event_listener`: collects events until a stop event, or until no event
/// came for `idle_ms`.
#[node]
async fn event_listener(idle_ms: u64, events: Res<EventQueue<Event>>) -> Vec<Event> {
    let idle = Duration::from_millis(idle_ms);
    let mut received = Vec::new();
    while let Ok(Some(event)) = events.recv_timeout(idle).await {
        let stop = event == Event::Stop;
        received.push(event);
        if stop {
            break;
        }
    }
    received
}

#[node]
async fn total(events: Vec<Event>) -> i64 {
    events
        .iter()
        .map(|e| match e {
            Event::Data { value } => *value,
            Event::Stop => 0,
        })
        .sum()
}

workflow! {
    struct EventWorkflow {
        input idle_ms: u64,
        #[output]
        event_listener = event_listener(idle_ms),
        total = total(events: event_listener),
    }
}

fn event_runtime() -> (Runtime, EventQueue<Event>) {
    let queue = EventQueue::new();
    (Runtime::builder().resource(queue.clone()).build(), queue)
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_event_driven_workflow(h: Harness) {
    let queue = EventQueue::new();
    h.insert_resource(queue.clone());
    let events = queue.sender();
    let start = Instant::now();
    // `asyncio.gather(execute_workflow(..), send_events())`
    let send_events = async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        events.send(Event::Data { value: 1 }).unwrap();
        events.send(Event::Data { value: 2 }).unwrap();
        events.send(Event::Stop).unwrap();
    };
    let (run, ()) = tokio::join!(
        h.execute(EventWorkflow, EventWorkflowInput { idle_ms: 1_000 }),
        send_events
    );
    let run = h.assert_success(run);
    assert_eq!(
        run.outputs.event_listener,
        [
            Event::Data { value: 1 },
            Event::Data { value: 2 },
            Event::Stop
        ]
    );
    assert_eq!(run.outputs.total, 3);
    // The stop event ended the run when it arrived, not at the idle timeout.
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn events_arrive_while_the_node_runs_and_later_ones_stay_queued() {
    let (rt, queue) = event_runtime();
    let run = tokio::spawn(rt.execute(EventWorkflow, EventWorkflowInput { idle_ms: 500 }));
    let start = Instant::now();
    // Feed events spaced by less than the idle timeout: the listener keeps going.
    for (i, value) in [10, -4, 7, 30].into_iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(400)).await;
        queue.send(Event::Data { value });
        tokio::task::yield_now().await;
        assert!(!run.is_finished(), "still listening after event {i}");
    }
    queue.send(Event::Stop);
    queue.send(Event::Data { value: 1_000 }); // after the stop: not consumed
    let run = run.await.unwrap().unwrap();
    assert_eq!(run.outputs.total, 43);
    assert_eq!(run.outputs.event_listener.len(), 5);
    assert_eq!(start.elapsed(), Duration::from_millis(1_600));
    assert_eq!(queue.try_recv(), Some(Event::Data { value: 1_000 }));
}

#[tokio::test(start_paused = true)]
async fn an_idle_timeout_ends_the_listener_too() {
    let (rt, queue) = event_runtime();
    let start = Instant::now();
    let feed = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        queue.send(Event::Data { value: 5 });
        // ... and then nothing more: no stop event.
    };
    let (run, ()) = tokio::join!(
        rt.execute(EventWorkflow, EventWorkflowInput { idle_ms: 750 }),
        feed
    );
    let run = run.unwrap();
    assert_eq!(run.outputs.event_listener, [Event::Data { value: 5 }]);
    assert_eq!(run.outputs.total, 5);
    // 200 ms until the event, then 750 ms of silence.
    assert_eq!(start.elapsed(), Duration::from_millis(950));

    // With no event at all, the listener gives up after one idle period.
    let start = Instant::now();
    let run = rt
        .execute(EventWorkflow, EventWorkflowInput { idle_ms: 300 })
        .await
        .unwrap();
    assert!(run.outputs.event_listener.is_empty());
    assert_eq!(start.elapsed(), Duration::from_millis(300));
}
