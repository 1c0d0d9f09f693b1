//! A tour of the testing guide (`testing-async-workflows-guide.md`) in Rust: each section
//! of the guide, run for real and printed. The tests in `tests/tests/guide_*.rs` assert
//! the same behaviours on tokio's paused clock.
//!
//! Run with `cargo run --example guide`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_core::RunOutcome;

fn section(title: &str) {
    println!("\n== {title}");
}

// --- basic + concurrent ---------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Fetched {
    data: Vec<u32>,
}

#[node]
async fn fetch_data() -> Fetched {
    tokio::time::sleep(Duration::from_millis(100)).await;
    Fetched {
        data: vec![1, 2, 3],
    }
}

workflow! {
    struct Simple {
        fetch_data = fetch_data(),
    }
}

#[node]
async fn task(ms: u64, ctx: &Context) -> (&'static str, Duration) {
    let start = Instant::now();
    tokio::time::sleep(Duration::from_millis(ms)).await;
    (ctx.node(), start.elapsed())
}

workflow! {
    struct Concurrent {
        input ms: u64,
        task1 = task(ms),
        task2 = task(ms),
    }
}

// --- resources --------------------------------------------------------------------------------

struct Database {
    url: &'static str,
}

#[node]
async fn use_db(db: Res<Database>) -> String {
    format!("connected to {}", db.url)
}

workflow! {
    struct UsesDb {
        status = use_db(),
    }
}

// --- errors, timeouts, retries -----------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ValueError(String);

#[node]
async fn failing_task() -> Result<u32, ValueError> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    Err(ValueError("Simulated async error".into()))
}

#[node]
async fn recovery_task(input: u32) -> u32 {
    input
}

workflow! {
    struct ErrorTest {
        failing_task = failing_task(),
        recovery_task = recovery_task(input: failing_task),
    }
}

#[node]
async fn slow_task() -> bool {
    tokio::time::sleep(Duration::from_secs(10)).await;
    true
}

workflow! {
    #[workflow(timeout = "300ms")]
    struct TimeoutTest {
        slow_task = slow_task(),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("temporary failure")]
struct ConnectionError;

#[node(retry(max = 3, backoff = "50ms"))]
async fn flaky_operation(calls: Res<AtomicU32>, ctx: &Context) -> Result<u32, ConnectionError> {
    if calls.fetch_add(1, Ordering::SeqCst) < 2 {
        return Err(ConnectionError);
    }
    Ok(ctx.attempt())
}

workflow! {
    struct RetryTest {
        attempts = flaky_operation(),
    }
}

// --- events -------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Data(i32),
    Stop,
}

#[node]
async fn event_listener(events: Res<EventQueue<Event>>) -> Vec<Event> {
    let mut received = Vec::new();
    while let Ok(Some(event)) = events.recv_timeout(Duration::from_secs(1)).await {
        let stop = event == Event::Stop;
        received.push(event);
        if stop {
            break;
        }
    }
    received
}

workflow! {
    struct EventWorkflow {
        events = event_listener(),
    }
}

// --- load ---------------------------------------------------------------------------------------

#[node]
async fn process_item(item_id: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    item_id
}

workflow! {
    struct LoadTest {
        input item_id: u32,
        processed = process_item(item_id),
    }
}

// --- mocked external service ---------------------------------------------------------------------

/// What the node needs from an HTTP client; production and mock implement it.
trait Http: Send + Sync {
    fn get(&self, path: &str) -> (u16, String);
}

/// A mock that answers `200 "test"` and records its calls.
#[derive(Default)]
struct MockHttp {
    calls: Mutex<Vec<String>>,
}

impl Http for MockHttp {
    fn get(&self, path: &str) -> (u16, String) {
        self.calls.lock().unwrap().push(path.to_owned());
        (200, "test".into())
    }
}

#[node]
async fn fetch_api(http: Res<dyn Http>) -> String {
    http.get("/api/data").1
}

workflow! {
    struct ApiTest {
        api_data = fetch_api(),
    }
}

// --- deadlock -----------------------------------------------------------------------------------

#[node]
async fn wait_for_result(
    other: &'static str,
    ctx: &Context,
) -> Result<u32, workflow_core::WaitError> {
    let v: u32 = ctx.wait(other).await?;
    ctx.publish(ctx.node(), v);
    Ok(v)
}

workflow! {
    #[workflow(deadlock = "5s")]
    struct DeadlockTest {
        input first: &'static str,
        input second: &'static str,
        task1 = wait_for_result(other: second),
        task2 = wait_for_result(other: first),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), WorkflowError> {
    section("simple async workflow");
    let rt = Runtime::new();
    let run = rt.execute(Simple, SimpleInput {}).await?;
    println!(
        "outputs.fetch_data.data = {:?}",
        run.outputs.fetch_data.data
    );

    section("concurrent nodes");
    let start = Instant::now();
    let run = rt.execute(Concurrent, ConcurrentInput { ms: 200 }).await?;
    println!(
        "two 200 ms tasks took {:?} in all; task1 {:?}, task2 {:?}",
        start.elapsed(),
        run.outputs.task1.1,
        run.outputs.task2.1
    );

    section("resource management");
    let db_rt = Runtime::builder()
        .resource_with_cleanup(
            Database {
                url: "postgres://test",
            },
            |db| async move {
                println!("cleanup: closing {}", db.url);
            },
        )
        .build();
    println!(
        "{}",
        db_rt.execute(UsesDb, UsesDbInput {}).await?.outputs.status
    );
    let report = db_rt.shutdown().await;
    println!("shutdown cleaned {:?}", report.cleaned);

    section("async error propagation");
    let RunOutcome { result, report, .. } = rt
        .execute_report(ErrorTest, ErrorTestInput {}, RunOptions::new())
        .await;
    let err = result.unwrap_err();
    println!("error: {err:#}"); // `{:#}`: with the node's own error
    println!("as ValueError: {:?}", err.downcast_ref::<ValueError>());
    print!("{report}");

    section("workflow timeout");
    let start = Instant::now();
    let err = rt
        .execute(TimeoutTest, TimeoutTestInput {})
        .await
        .unwrap_err();
    println!("after {:?}: {err}", start.elapsed());

    section("retry");
    let retry_rt = Runtime::builder().resource(AtomicU32::new(0)).build();
    let run = retry_rt
        .execute_with(RetryTest, RetryTestInput {}, RunOptions::new().trace(true))
        .await?;
    println!("succeeded on attempt {}", run.outputs.attempts);
    if let Some(trace) = &run.trace {
        print!("{trace}");
    }

    section("event-driven");
    let queue = EventQueue::new();
    let ev_rt = Runtime::builder().resource(queue.clone()).build();
    let sender = queue.sender();
    let feed = async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        for event in [Event::Data(1), Event::Data(2), Event::Stop] {
            let _ = sender.send(event);
        }
    };
    let (run, ()) = tokio::join!(ev_rt.execute(EventWorkflow, EventWorkflowInput {}), feed);
    println!("received {:?}", run?.outputs.events);

    section("load: 100 concurrent runs of a 10 ms node");
    let start = Instant::now();
    let runs =
        futures_join_all((0..100).map(|item_id| rt.execute(LoadTest, LoadTestInput { item_id })))
            .await;
    let elapsed = start.elapsed();
    let ok = runs.iter().filter(|r| r.is_ok()).count();
    println!(
        "{ok}/100 succeeded in {elapsed:?}: {:.0} runs/s",
        100.0 / elapsed.as_secs_f64()
    );

    section("mocked external service");
    let mock = Arc::new(MockHttp::default());
    let http: Arc<dyn Http> = mock.clone();
    let api_rt = Runtime::builder().resource_arc(http).build();
    let run = api_rt.execute(ApiTest, ApiTestInput {}).await?;
    println!(
        "api_data = {:?}; mock called {:?}",
        run.outputs.api_data,
        mock.calls.lock().unwrap()
    );

    section("debugging: the execution trace, step by step");
    let run = rt
        .execute_with(
            Concurrent,
            ConcurrentInput { ms: 20 },
            RunOptions::new().trace(true),
        )
        .await?;
    let trace = run.trace.expect("tracing on");
    println!("Execution steps: {}", trace.len());
    for step in &trace {
        println!(
            "  {:?}: {}: {}",
            step.at,
            step.node.as_deref().unwrap_or("run"),
            step.kind
        );
    }

    section("deadlock detection");
    let start = Instant::now();
    let err = rt
        .execute(
            DeadlockTest,
            DeadlockTestInput {
                first: "task1",
                second: "task2",
            },
        )
        .await
        .unwrap_err();
    println!("after {:?}: {err}", start.elapsed());

    rt.shutdown().await;
    Ok(())
}

/// `futures::future::join_all` without the dependency: spawn and await in order.
async fn futures_join_all<F>(futs: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("run task panicked"));
    }
    out
}
