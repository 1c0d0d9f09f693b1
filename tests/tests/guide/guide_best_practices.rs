//! Guide, "Testing Best Practices": isolated runtimes, mocked external services, and
//! cleanup that runs even when the test fails.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt as _;
use workflow_core::prelude::*;
use workflow_test::{workflow_test, CallRecorder, Harness, MockFn};

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

/// With `#[workflow_test]`, isolation is the default: every test gets its own tokio
/// runtime and its own `Harness` (and so its own workflow runtime).
#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_with_isolation(h: Harness) {
    h.insert_resource(Greeting("hello".into()));
    let run = h.assert_success(h.execute(Greet, GreetInput { name: "ada".into() }).await);
    assert_eq!(run.outputs.message, "hello, ada");
    assert_eq!(h.run_count(), 1, "only this test's runs are seen");
    // Nothing outlives the test: no node task, no extra resource handle.
    h.assert_no_leaks().await;
    let report = h.shutdown().await;
    assert_eq!(report.runs_still_active, 0);
}

#[tokio::test(start_paused = true)]
async fn an_isolated_runtime_fixture_shuts_down_cleanly() {
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

/// The guide's `AsyncMock`: `get` is a [`MockFn`], so the test sets its answer and
/// asserts on its calls.
#[derive(Clone)]
struct MockHttp {
    get: MockFn<String, Result<Response, HttpError>>,
}

impl HttpClient for MockHttp {
    fn get<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Response, HttpError>> {
        let answer = self.get.call(path.to_owned());
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(15)).await; // network latency
            answer
        })
    }
}

/// A hand-written mock with a [`CallRecorder`].
#[derive(Clone, Default)]
struct RecordingHttp {
    calls: CallRecorder<String>,
}

impl HttpClient for RecordingHttp {
    fn get<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Response, HttpError>> {
        self.calls.record(path.to_owned());
        Box::pin(async move {
            Ok(Response {
                status: 200,
                data: format!("echo {path}"),
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

#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_with_mocked_services(h: Harness) {
    // `mock_http.get.return_value = {"status": 200, "data": "test"}`
    let mock_http = MockHttp {
        get: MockFn::new(|_path| {
            Ok(Response {
                status: 200,
                data: "test".into(),
            })
        }),
    };
    // `create_test_resource("http", lambda: mock_http, mock=True)`
    let http: Arc<dyn HttpClient> = Arc::new(mock_http.clone());
    h.insert_resource_arc(http);

    let run = h.assert_success(h.execute(ApiTest, ApiTestInput {}).await);
    assert_eq!(run.outputs.fetch_api, "test");
    mock_http.get.assert_called_once();
    mock_http.get.assert_called_with(&"/api/data".to_owned());
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_mock_can_fail_and_the_failure_reaches_the_test(h: Harness) {
    let mock_http = MockHttp {
        get: MockFn::new(|_| {
            Ok(Response {
                status: 200,
                data: "fine".into(),
            })
        }),
    };
    mock_http.get.answer_once(Err(HttpError));
    let http: Arc<dyn HttpClient> = Arc::new(mock_http.clone());
    h.insert_resource_arc(http);

    let _: HttpError = h.assert_error(h.execute(ApiTest, ApiTestInput {}).await);
    let run = h.assert_success(h.execute(ApiTest, ApiTestInput {}).await);
    assert_eq!(run.outputs.fetch_api, "fine");
    mock_http.get.assert_called_times(2);
    h.assert_executed("fetch_api", 2);
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_hand_written_mock_records_its_calls(h: Harness) {
    let mock = RecordingHttp::default();
    let calls = mock.calls.clone();
    // A concrete mock type can be swapped in with `Harness::mock`.
    h.mock(mock);

    let run = h.assert_success(h.execute(EchoApi, EchoApiInput {}).await);
    assert_eq!(run.outputs.echo, "echo /api/data");
    calls.assert_called_once();
    calls.assert_called_with(&"/api/data".to_owned());
}

#[node]
async fn fetch_echo(http: Res<RecordingHttp>) -> Result<String, HttpError> {
    Ok(http.get("/api/data").await?.data)
}

workflow! {
    struct EchoApi {
        echo = fetch_echo(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_trait_object_mock_on_the_runtime_alone() {
    let mock = RecordingHttp::default();
    let http: Arc<dyn HttpClient> = Arc::new(mock.clone());
    let rt = Runtime::builder().resource_arc(http).build();
    let run = rt.execute(ApiTest, ApiTestInput {}).await.unwrap();
    assert_eq!(run.outputs.fetch_api, "echo /api/data");
    mock.calls.assert_called_once();
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
    let http: Arc<dyn HttpClient> = Arc::new(RecordingHttp::default());
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

#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_with_cleanup(h: Harness) {
    h.insert_resource(Greeting("hey".into()));
    // A passing test body: the cleanup runs when the guard goes out of scope.
    let cleanup_called = Arc::new(AtomicBool::new(false));
    {
        let _cleanup = CleanupGuard(cleanup_called.clone());
        let run = h
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
