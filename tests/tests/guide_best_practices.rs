//! Guide, "Testing Best Practices": isolated runtimes, mocked external services, and
//! cleanup that runs even when the test fails.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt as _;
use workflow_core::prelude::*;

// --- 1. isolate async tests ------------------------------------------------------------------

struct Greeting(String);

#[node]
async fn greet(name: String, greeting: Res<Greeting>) -> String {
    tokio::time::sleep(Duration::from_millis(10)).await;
    format!("{}, {name}", greeting.0)
}

workflow! {
    struct Greet {
        input name: String,
        message = greet(name),
    }
}

/// The guide's `isolated_runtime` fixture: a fresh runtime per test, shut down after it.
/// Nothing is global: runtimes built in parallel tests share no resources and no state.
fn isolated_runtime(greeting: &str) -> Runtime {
    Runtime::builder()
        .resource(Greeting(greeting.to_owned()))
        .build()
}

#[tokio::test(start_paused = true)]
async fn test_with_isolation() {
    let rt = isolated_runtime("hello");
    let run = rt
        .execute(Greet, GreetInput { name: "ada".into() })
        .await
        .unwrap();
    assert_eq!(run.outputs.message, "hello, ada");

    // `await runtime.shutdown()`: nothing was left running.
    let report = rt.shutdown().await;
    assert_eq!(report.runs_still_active, 0);
    assert!(rt.is_shut_down());
    assert_eq!(rt.active_runs(), 0);
}

#[tokio::test(start_paused = true)]
async fn runtimes_do_not_share_resources_or_runs() {
    let english = isolated_runtime("hello");
    let french = isolated_runtime("bonjour");
    let input = |name: &str| GreetInput { name: name.into() };
    // Concurrent runs on both runtimes, each with its own resource of the same type.
    let (a, b, c) = tokio::join!(
        english.execute(Greet, input("ada")),
        french.execute(Greet, input("blaise")),
        english.execute(Greet, input("grace")),
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert_eq!(a.outputs.message, "hello, ada");
    assert_eq!(b.outputs.message, "bonjour, blaise");
    assert_eq!(c.outputs.message, "hello, grace");
    // Run ids are unique across runtimes.
    let mut ids = vec![a.run_id(), b.run_id(), c.run_id()];
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3);

    // Shutting one runtime down does not touch the other.
    english.shutdown().await;
    let err = english.execute(Greet, input("alan")).await.unwrap_err();
    assert!(matches!(err, WorkflowError::ShutDown { .. }), "{err}");
    let run = french.execute(Greet, input("alan")).await.unwrap();
    assert_eq!(run.outputs.message, "bonjour, alan");
    french.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_a_run_still_in_flight() {
    let rt = isolated_runtime("hi");
    let run = tokio::spawn(rt.execute(
        Greet,
        GreetInput {
            name: "edsger".into(),
        },
    ));
    tokio::task::yield_now().await;
    assert_eq!(rt.active_runs(), 1);
    let report = rt.shutdown().await;
    assert_eq!(report.runs_still_active, 0);
    assert_eq!(run.await.unwrap().unwrap().outputs.message, "hi, edsger");
}

// --- 2. mock external services ------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Response {
    status: u16,
    data: String,
}

#[derive(Debug, thiserror::Error)]
#[error("http error")]
struct HttpError;

/// What nodes need from an HTTP client. Production code registers the real client; a
/// test registers a mock. Nodes take `Res<dyn HttpClient>` and never know which.
trait HttpClient: Send + Sync {
    fn get<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Response, HttpError>>;
}

/// The guide's `AsyncMock`: answers `{"status": 200, "data": "test"}`, records calls.
#[derive(Default)]
struct MockHttp {
    calls: Mutex<Vec<String>>,
}

impl HttpClient for MockHttp {
    fn get<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Response, HttpError>> {
        self.calls.lock().unwrap().push(path.to_owned());
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(15)).await;
            Ok(Response {
                status: 200,
                data: "test".into(),
            })
        })
    }
}

#[node]
async fn fetch_api(http: Res<dyn HttpClient>) -> Result<String, HttpError> {
    let response = http.get("/api/data").await?;
    Ok(response.data)
}

workflow! {
    struct ApiTest {
        fetch_api = fetch_api(),
    }
}

#[tokio::test(start_paused = true)]
async fn test_with_mocked_services() {
    let mock_http = Arc::new(MockHttp::default());
    let http: Arc<dyn HttpClient> = mock_http.clone();
    let rt = Runtime::builder().resource_arc(http).build();

    let run = rt.execute(ApiTest, ApiTestInput {}).await.unwrap();
    assert_eq!(run.outputs.fetch_api, "test");
    // `mock_http.get.assert_called_once()`
    assert_eq!(*mock_http.calls.lock().unwrap(), ["/api/data"]);
}

#[tokio::test]
async fn a_missing_or_misregistered_mock_is_reported_before_any_node_runs() {
    let err = Runtime::new()
        .execute(ApiTest, ApiTestInput {})
        .await
        .unwrap_err();
    match &err {
        WorkflowError::MissingResource { type_name, .. } => {
            assert!(type_name.contains("HttpClient"), "{type_name}");
        }
        other => panic!("{other:?}"),
    }
    // `resource(arc)` registers an `Arc<dyn HttpClient>` value; the error says what to use.
    let http: Arc<dyn HttpClient> = Arc::new(MockHttp::default());
    let err = Runtime::builder()
        .resource(http)
        .build()
        .execute(ApiTest, ApiTestInput {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("resource_arc"), "{err}");
}

// --- 3. test cleanup ---------------------------------------------------------------------------

/// Rust's `finally`: a guard whose `Drop` runs the cleanup on every exit path, a failing
/// assertion (panic) included.
struct CleanupGuard(Arc<AtomicBool>);

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn test_with_cleanup() {
    // A passing test body: the cleanup runs when the guard goes out of scope.
    let cleanup_called = Arc::new(AtomicBool::new(false));
    {
        let _cleanup = CleanupGuard(cleanup_called.clone());
        let run = isolated_runtime("hey")
            .execute(
                Greet,
                GreetInput {
                    name: "barbara".into(),
                },
            )
            .await;
        assert!(run.is_ok());
    }
    assert!(cleanup_called.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn cleanup_runs_even_when_the_test_body_fails() {
    let cleanup_called = Arc::new(AtomicBool::new(false));
    let flag = cleanup_called.clone();
    // The failing "test" runs as its own task, so this test can watch it fail.
    let failing_test = tokio::spawn(async move {
        let _cleanup = CleanupGuard(flag);
        let run = isolated_runtime("hey")
            .execute(
                Greet,
                GreetInput {
                    name: "barbara".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            run.outputs.message, "something else",
            "intentionally failing assertion (expected in the output)"
        );
    });
    let failure = failing_test.await.unwrap_err();
    assert!(failure.is_panic(), "the test body failed");
    assert!(
        cleanup_called.load(Ordering::SeqCst),
        "cleanup ran even though the body failed"
    );
}

/// A resource with synchronous cleanup in `Drop` and an async cleanup hook.
struct Connection {
    dropped: Arc<AtomicUsize>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

#[node]
async fn use_connection(conn: Res<Connection>) -> usize {
    let _ = &conn;
    tokio::time::sleep(Duration::from_millis(5)).await;
    1
}

workflow! {
    struct UsesConnection {
        used = use_connection(),
    }
}

#[tokio::test(start_paused = true)]
async fn async_cleanup_runs_after_a_failed_body_like_try_finally() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let closed: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let log = closed.clone();
    let rt = Runtime::builder()
        .resource_with_cleanup(
            Connection {
                dropped: dropped.clone(),
            },
            move |_conn| async move {
                tokio::time::sleep(Duration::from_millis(30)).await; // polite async close
                log.lock().unwrap().push("connection closed");
            },
        )
        .build();

    // try: a test body whose assertion fails ...
    let body = {
        let rt = rt.clone();
        async move {
            let run = rt
                .execute(UsesConnection, UsesConnectionInput {})
                .await
                .unwrap();
            assert_eq!(
                run.outputs.used, 2,
                "intentionally failing assertion (expected in the output)"
            );
        }
    };
    let outcome = AssertUnwindSafe(body).catch_unwind().await;
    // ... finally: async cleanup, awaited.
    let report = rt.shutdown().await;

    assert!(outcome.is_err(), "the body failed");
    assert_eq!(*closed.lock().unwrap(), ["connection closed"]);
    assert_eq!(report.cleaned.len(), 1);
    // The value itself is dropped once the runtime (its last owner) is gone.
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    drop(rt);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn resources_are_dropped_when_a_failing_test_unwinds() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    let failing_test = tokio::spawn(async move {
        let rt = Runtime::builder()
            .resource(Connection { dropped: d })
            .build();
        let run = rt
            .execute(UsesConnection, UsesConnectionInput {})
            .await
            .unwrap();
        assert_eq!(
            run.outputs.used, 0,
            "intentionally failing assertion (expected in the output)"
        );
    });
    assert!(failing_test.await.unwrap_err().is_panic());
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "dropped exactly once");
}
