//! Guide, "Testing Async Workflows": basic setup, concurrent operations and resource
//! management, in Rust. Every timing assertion runs on tokio's paused clock, so the
//! times below are exact, not approximate.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_core::{NodeStatus, TimeoutScope};
use workflow_test::{workflow_test, Harness};

// --- basic async test setup ----------------------------------------------------------------

/// The guide's `{"data": [1, 2, 3]}`: a typed output instead of a dict.
#[derive(Debug, Clone, PartialEq)]
struct Fetched {
    data: Vec<u32>,
}

#[node]
async fn fetch_data(n: u32) -> Fetched {
    tokio::time::sleep(Duration::from_millis(100)).await; // simulate async I/O
    Fetched {
        data: (1..=n).collect(),
    }
}

workflow! {
    struct FetchOnly {
        input n: u32,
        fetch_data = fetch_data(n),
    }
}

/// The guide's `AsyncWorkflowTestCase`: `#[workflow_test]` builds the tokio runtime
/// (here with a paused clock) and injects a fresh [`Harness`], which runs workflows like
/// a `Runtime` and records every run for assertions.
#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_simple_async_workflow(h: Harness) {
    let run = h.assert_success(h.execute(FetchOnly, FetchOnlyInput { n: 3 }).await);

    // `result.outputs["fetch_data"]["data"]`: a field of a field, checked by rustc.
    assert_eq!(run.outputs.fetch_data.data, [1, 2, 3]);
    let node = run.node("fetch_data").unwrap();
    assert_eq!(node.status, NodeStatus::Succeeded);
    assert_eq!(node.attempts, 1);
    assert_eq!(node.duration, Duration::from_millis(100));
    assert_eq!(run.duration(), Duration::from_millis(100));
    h.assert_executed("fetch_data", 1);
}

#[tokio::test(start_paused = true)]
async fn a_simple_workflow_on_the_runtime_alone() {
    let rt = Runtime::new();
    let run = rt
        .execute(FetchOnly, FetchOnlyInput { n: 7 })
        .await
        .expect("workflow succeeds");
    assert_eq!(run.outputs.fetch_data.data, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(
        run.node("fetch_data").unwrap().status,
        NodeStatus::Succeeded
    );
    rt.shutdown().await;
}

#[node]
async fn summarize(data: Vec<u32>) -> (u32, usize) {
    (data.iter().sum(), data.len())
}

workflow! {
    /// The output of `fetch` is read by two nodes and kept for the caller with `#[output]`.
    struct FetchAndSummarize {
        input n: u32,
        #[output]
        fetch = fetch_data(n),
        stats = summarize(data: fetch.data),
        again = summarize(data: fetch.data),
    }
}

#[tokio::test(start_paused = true)]
async fn outputs_of_inner_nodes_are_read_back_by_node_and_field() {
    let run = Runtime::new()
        .execute(FetchAndSummarize, FetchAndSummarizeInput { n: 5 })
        .await
        .unwrap();
    assert_eq!(run.outputs.fetch.data, [1, 2, 3, 4, 5]);
    assert_eq!(run.outputs.stats, (15, 5));
    assert_eq!(run.outputs.again, run.outputs.stats);
    // The summaries started when `fetch` finished, both at once.
    for name in ["stats", "again"] {
        assert_eq!(
            run.node(name).unwrap().started_at,
            Some(Duration::from_millis(100))
        );
    }
}

// --- concurrent operations -------------------------------------------------------------------

/// The guide's `{"task": .., "duration": ..}`: each task measures its own duration.
#[derive(Debug, Clone, PartialEq)]
struct TaskResult {
    task: &'static str,
    duration: Duration,
}

#[node]
async fn timed_task(ms: u64, ctx: &Context) -> TaskResult {
    let start = Instant::now();
    tokio::time::sleep(Duration::from_millis(ms)).await;
    TaskResult {
        task: ctx.node(),
        duration: start.elapsed(),
    }
}

workflow! {
    struct TwoTasks {
        input ms: u64,
        task1 = timed_task(ms),
        task2 = timed_task(ms),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_concurrent_node_execution(h: Harness) {
    let start = Instant::now();
    let run = h.assert_success(h.execute(TwoTasks, TwoTasksInput { ms: 1000 }).await);
    let total = start.elapsed();
    h.assert_overlapped("task1", "task2");

    // Both tasks complete in 1 s (concurrent), not 2 s (sequential).
    assert_eq!(total, Duration::from_secs(1));
    assert_eq!(run.outputs.task1.task, "task1");
    assert_eq!(run.outputs.task2.task, "task2");
    assert!(run.outputs.task1.duration >= Duration::from_secs(1));
    assert!(run.outputs.task2.duration >= Duration::from_secs(1));
    // The runtime's own report agrees: both started at 0 and ran for 1 s.
    for name in ["task1", "task2"] {
        let node = run.node(name).unwrap();
        assert_eq!(node.started_at, Some(Duration::ZERO), "{name}");
        assert_eq!(node.duration, Duration::from_secs(1), "{name}");
    }
}

workflow! {
    /// Three independent tasks of different lengths, then one that needs all three.
    struct ThreeTasks {
        input short: u64,
        input medium: u64,
        input long: u64,
        a = timed_task(ms: short),
        b = timed_task(ms: medium),
        c = timed_task(ms: long),
        joined = join3(a, b, c),
    }
}

#[node]
async fn join3(a: TaskResult, b: TaskResult, c: TaskResult) -> Vec<&'static str> {
    vec![a.task, b.task, c.task]
}

#[tokio::test(start_paused = true)]
async fn three_concurrent_nodes_take_as_long_as_the_longest() {
    let input = || ThreeTasksInput {
        short: 300,
        medium: 700,
        long: 1_250,
    };
    let start = Instant::now();
    let run = Runtime::new().execute(ThreeTasks, input()).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(1_250));
    assert_eq!(run.outputs.joined, ["a", "b", "c"]);
    let joined = run.node("joined").unwrap();
    assert_eq!(joined.started_at, Some(Duration::from_millis(1_250)));

    // Opting out of concurrency (the guide's default) adds the durations up.
    let start = Instant::now();
    Runtime::new()
        .execute_with(ThreeTasks, input(), RunOptions::new().sequential())
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(300 + 700 + 1_250));
}

workflow! {
    #[workflow(sequential)]
    struct SequentialTasks {
        input ms: u64,
        task1 = timed_task(ms),
        task2 = timed_task(ms),
    }
}

#[tokio::test(start_paused = true)]
async fn a_sequential_workflow_runs_one_node_at_a_time() {
    let start = Instant::now();
    let run = Runtime::new()
        .execute(SequentialTasks, SequentialTasksInput { ms: 400 })
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(800));
    let starts: BTreeSet<_> = ["task1", "task2"]
        .iter()
        .map(|n| run.node(n).unwrap().started_at.unwrap())
        .collect();
    assert_eq!(
        starts,
        BTreeSet::from([Duration::ZERO, Duration::from_millis(400)])
    );
}

workflow! {
    /// Five independent tasks, at most two at a time.
    #[workflow(concurrency = 2)]
    struct FiveTasksTwoAtATime {
        input ms: u64,
        t1 = timed_task(ms),
        t2 = timed_task(ms),
        t3 = timed_task(ms),
        t4 = timed_task(ms),
        t5 = timed_task(ms),
    }
}

#[tokio::test(start_paused = true)]
async fn a_concurrency_limit_runs_nodes_in_waves() {
    let start = Instant::now();
    let run = Runtime::new()
        .execute(FiveTasksTwoAtATime, FiveTasksTwoAtATimeInput { ms: 300 })
        .await
        .unwrap();
    // ceil(5 / 2) = 3 waves of 300 ms.
    assert_eq!(start.elapsed(), Duration::from_millis(900));
    let mut starts: Vec<_> = run
        .report
        .nodes
        .iter()
        .map(|n| n.started_at.unwrap())
        .collect();
    starts.sort_unstable();
    assert_eq!(starts, [0, 0, 300, 300, 600].map(Duration::from_millis));
    // Each task still took its full 300 ms.
    assert_eq!(run.outputs.t5.duration, Duration::from_millis(300));
}

// --- resource management --------------------------------------------------------------------

/// The guide's `create_resource` / `cleanup_resource` pair, registered on the runtime.
///
/// `acquire` hands out a guard whose `Drop` is the cleanup: Rust's `finally`, which also
/// runs when the node returns an error, panics, or is cancelled mid-await.
#[derive(Default)]
struct Resources {
    created: Mutex<Vec<String>>,
    cleaned: Mutex<Vec<String>>,
}

impl Resources {
    async fn acquire(self: &Arc<Self>, name: &str) -> Handle {
        tokio::task::yield_now().await; // an async constructor
        self.created.lock().unwrap().push(name.to_owned());
        Handle {
            name: name.to_owned(),
            owner: Arc::clone(self),
        }
    }

    fn created(&self) -> Vec<String> {
        self.created.lock().unwrap().clone()
    }

    fn cleaned(&self) -> Vec<String> {
        self.cleaned.lock().unwrap().clone()
    }

    fn assert_balanced(&self, expected: &[&str]) {
        let created: BTreeSet<_> = self.created().into_iter().collect();
        let cleaned: BTreeSet<_> = self.cleaned().into_iter().collect();
        let expected: BTreeSet<_> = expected.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(self.created().len(), expected.len(), "created");
        assert_eq!(self.cleaned().len(), expected.len(), "cleaned");
        assert_eq!(created, expected);
        assert_eq!(cleaned, created);
    }
}

struct Handle {
    name: String,
    owner: Arc<Resources>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.owner.cleaned.lock().unwrap().push(self.name.clone());
    }
}

/// What the node does after acquiring its resources.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Then {
    Succeed,
    Fail,
    Panic,
    Hang,
}

#[derive(Debug, thiserror::Error)]
#[error("query failed")]
struct QueryError;

#[node]
async fn use_resources(
    then: Then,
    resources: Res<Arc<Resources>>,
) -> Result<(String, String), QueryError> {
    let db = resources.acquire("database").await;
    let cache = resources.acquire("cache").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    match then {
        Then::Succeed => Ok((
            format!("resource_{}", db.name),
            format!("resource_{}", cache.name),
        )),
        Then::Fail => Err(QueryError),
        Then::Panic => panic!("bug while holding resources"),
        Then::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
    }
}

workflow! {
    struct UseResources {
        input then: Then,
        use_resources = use_resources(then),
    }
}

fn resource_runtime() -> (Runtime, Arc<Resources>) {
    let resources = Arc::new(Resources::default());
    // `Res<Arc<Resources>>`: the node gets a clone of the Arc, so guards can own it.
    let rt = Runtime::builder().resource(Arc::clone(&resources)).build();
    (rt, resources)
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_resource_cleanup(h: Harness) {
    // `self.runtime.register_function(create_resource)`
    let resources = Arc::new(Resources::default());
    h.insert_resource(Arc::clone(&resources));
    let run = h.assert_success(
        h.execute(
            UseResources,
            UseResourcesInput {
                then: Then::Succeed,
            },
        )
        .await,
    );
    assert_eq!(
        run.outputs.use_resources,
        ("resource_database".to_owned(), "resource_cache".to_owned())
    );
    resources.assert_balanced(&["database", "cache"]);
    // Dropped in reverse order of creation, like nested `finally` blocks.
    assert_eq!(resources.cleaned(), ["cache", "database"]);
    // And the run itself let go of the registered resource.
    h.assert_no_leaks().await;
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn resources_are_cleaned_up_when_the_node_fails_or_panics(h: Harness) {
    for then in [Then::Fail, Then::Panic] {
        let resources = Arc::new(Resources::default());
        h.insert_resource(Arc::clone(&resources));
        let result = h.execute(UseResources, UseResourcesInput { then }).await;
        match then {
            Then::Fail => {
                let _: QueryError = h.assert_error(result);
            }
            _ => assert!(h.assert_failure(result).is_panic()),
        }
        resources.assert_balanced(&["database", "cache"]);
        h.assert_no_leaks().await;
    }
    h.assert_executed("use_resources", 2);
}

#[tokio::test(start_paused = true)]
async fn resources_are_cleaned_up_when_the_node_is_cancelled() {
    // By a workflow timeout ...
    let (rt, resources) = resource_runtime();
    let start = Instant::now();
    let err = rt
        .execute_with(
            UseResources,
            UseResourcesInput { then: Then::Hang },
            RunOptions::new().timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        WorkflowError::Timeout {
            scope: TimeoutScope::Workflow,
            ..
        }
    ));
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    resources.assert_balanced(&["database", "cache"]);

    // ... by a cancellation token ...
    let (rt, resources) = resource_runtime();
    let token = CancellationToken::new();
    let run = tokio::spawn(rt.execute_with(
        UseResources,
        UseResourcesInput { then: Then::Hang },
        RunOptions::new().cancel_token(token.clone()),
    ));
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(resources.created().len(), 2);
    assert!(resources.cleaned().is_empty(), "still in use");
    token.cancel();
    let err = run.await.unwrap().unwrap_err();
    assert!(matches!(err, WorkflowError::Cancelled { .. }), "{err}");
    resources.assert_balanced(&["database", "cache"]);

    // ... and by dropping the run's future.
    let (rt, resources) = resource_runtime();
    let run = tokio::spawn(rt.execute(UseResources, UseResourcesInput { then: Then::Hang }));
    tokio::time::sleep(Duration::from_millis(120)).await;
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    resources.assert_balanced(&["database", "cache"]);
    assert_eq!(rt.active_runs(), 0);
}

/// Cleanup that must `.await` (close a connection politely) gets its chance through the
/// run's cancellation token and a grace period.
#[node]
async fn async_cleanup(resources: Res<Arc<Resources>>, ctx: &Context) -> u32 {
    let conn = resources.acquire("connection").await;
    tokio::select! {
        () = std::future::pending::<()>() => unreachable!(),
        () = ctx.cancelled() => {
            tokio::time::sleep(Duration::from_millis(20)).await; // say goodbye
            drop(conn);
            0
        }
    }
}

workflow! {
    struct AsyncCleanup {
        conn = async_cleanup(),
    }
}

#[tokio::test(start_paused = true)]
async fn async_cleanup_runs_within_the_cancel_grace() {
    let (rt, resources) = resource_runtime();
    let start = Instant::now();
    let err = rt
        .execute_with(
            AsyncCleanup,
            AsyncCleanupInput {},
            RunOptions::new()
                .timeout(Duration::from_millis(500))
                .cancel_grace(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    resources.assert_balanced(&["connection"]);
    // The node finished its 20 ms goodbye inside the 100 ms grace.
    assert_eq!(start.elapsed(), Duration::from_millis(520));
}

/// The guide's `register_function(create_resource)` taken literally: async functions
/// registered as resources (unsized `dyn Fn` types, shared with `resource_arc`).
type CreateResource = dyn Fn(&'static str) -> BoxFuture<'static, String> + Send + Sync;
type CleanupResource = dyn Fn(&'static str) -> BoxFuture<'static, ()> + Send + Sync;

#[node]
async fn use_registered_functions(
    fail: bool,
    create_resource: Res<CreateResource>,
    cleanup_resource: Res<CleanupResource>,
) -> Result<(String, String), QueryError> {
    let db = create_resource("database").await;
    let cache = create_resource("cache").await;
    // try ... finally, written out: cleanup runs on both paths.
    let result = if fail {
        Err(QueryError)
    } else {
        Ok((db, cache))
    };
    cleanup_resource("database").await;
    cleanup_resource("cache").await;
    result
}

workflow! {
    #[workflow(timeout = "1.5s")]
    struct RegisteredFunctions {
        input fail: bool,
        use_resources = use_registered_functions(fail),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn registered_async_functions_create_and_clean_up(h: Harness) {
    let created: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let cleaned: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let (c, k) = (created.clone(), cleaned.clone());
    let create: Arc<CreateResource> = Arc::new(move |name| {
        c.lock().unwrap().push(name);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            format!("resource_{name}")
        })
    });
    let cleanup: Arc<CleanupResource> = Arc::new(move |name| {
        k.lock().unwrap().push(name);
        Box::pin(async {})
    });
    h.insert_resource_arc(create);
    h.insert_resource_arc(cleanup);

    let run = h.assert_success(
        h.execute(
            RegisteredFunctions,
            RegisteredFunctionsInput { fail: false },
        )
        .await,
    );
    assert_eq!(
        run.outputs.use_resources,
        ("resource_database".to_owned(), "resource_cache".to_owned())
    );
    let _: QueryError = h.assert_error(
        h.execute(RegisteredFunctions, RegisteredFunctionsInput { fail: true })
            .await,
    );
    assert_eq!(created.lock().unwrap().len(), 4);
    assert_eq!(cleaned.lock().unwrap().len(), 4);
    let as_set =
        |v: &Mutex<Vec<&'static str>>| v.lock().unwrap().iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(as_set(&created), as_set(&cleaned));
}

/// Runtime-level resources: created once when registered, cleaned once at shutdown, in
/// reverse order, whether the runs succeeded or failed.
#[tokio::test(start_paused = true)]
async fn runtime_resources_are_cleaned_once_at_shutdown_even_after_failures() {
    let log: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let resources = Arc::new(Resources::default());
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let rt = Runtime::builder()
        .resource_with_cleanup(Arc::clone(&resources), move |_| async move {
            l1.lock().unwrap().push("resources");
        })
        .resource_with_cleanup(String::from("config"), move |_| async move {
            l2.lock().unwrap().push("config");
        })
        .resource_with_cleanup(7_u64, move |_| async move {
            l3.lock().unwrap().push("pool size");
        })
        .build();
    for then in [Then::Succeed, Then::Fail, Then::Panic, Then::Succeed] {
        let _ = rt.execute(UseResources, UseResourcesInput { then }).await;
    }
    assert!(
        log.lock().unwrap().is_empty(),
        "nothing cleaned before shutdown"
    );
    let report = rt.shutdown().await;
    assert_eq!(*log.lock().unwrap(), ["pool size", "config", "resources"]);
    assert_eq!(report.cleaned.len(), 3);
    assert!(report.cleanup_panics.is_empty());
    // Per-node handles: 4 runs x 2 handles, all released.
    assert_eq!(resources.created().len(), 8);
    assert_eq!(resources.cleaned().len(), 8);
}
