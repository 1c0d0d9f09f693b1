//! Runs on a real Temporal server.
//!
//! Set `WORKFLOW_TEST_TEMPORAL_URL` (e.g. `http://127.0.0.1:7233`, a dev server from
//! `temporal server start-dev --headless --ip 127.0.0.1`). Without it each test prints
//! that it was skipped and why, and passes, unless `WORKFLOW_REQUIRE_TEMPORAL=1` (set by
//! `.ci/run`, which starts a dev server), where a missing server fails it.
//!
//! Each test uses its own task queue base name, so tests run in parallel without
//! stealing each other's tasks.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;
use workflow_core::remote::NodeByNode;
use workflow_temporal::{Error, TemporalClient, TemporalSettings, TemporalWorker, WorkerThread};

/// The server's URL, or `None` (after saying so) when the test is to be skipped.
fn server(test: &str) -> Option<String> {
    match std::env::var("WORKFLOW_TEST_TEMPORAL_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let required = std::env::var("WORKFLOW_REQUIRE_TEMPORAL").as_deref() == Ok("1");
            assert!(
                !required,
                "WORKFLOW_REQUIRE_TEMPORAL=1 but WORKFLOW_TEST_TEMPORAL_URL is not set: \
                 the Temporal tests must run here"
            );
            eprintln!(
                "SKIPPED: {test}: set WORKFLOW_TEST_TEMPORAL_URL to a Temporal server to run it \
                 (.ci/run starts a dev server)"
            );
            None
        }
    }
}

/// Settings for one test: its own queue, quick heartbeats.
fn settings(queue: &str) -> TemporalSettings {
    TemporalSettings::new(format!("test-{queue}-{}", std::process::id()))
        .heartbeat(Duration::from_millis(300))
}

/// A unique workflow id.
fn run_id(name: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{name}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

async fn connect(url: &str, settings: TemporalSettings, identity: &str) -> TemporalClient {
    TemporalClient::connect_as(url, settings, Some(identity.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("Temporal at `{url}` unusable: {e}"))
}

/// A worker for `W` in this process (on its own thread), stopped when dropped.
fn start_worker<W: NodeByNode>(client: &TemporalClient, runtime: Runtime) -> WorkerThread {
    TemporalWorker::spawn::<W>(client, runtime).expect("worker")
}

// == The quick-start workflow (examples/quickstart.rs), durable ==============================
// The same nodes and graph; the types derive serde, the workflow is `durable`, and its
// timeout is 10 s instead of 2 s (a dev server on a loaded CI machine).

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Product {
    name: String,
    price_cents: u64,
    stock: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("catalogue service unavailable: {0}")]
struct CatalogueError(String);

#[node]
async fn fetch_catalogue(region: String) -> Result<Vec<Product>, CatalogueError> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    if region.is_empty() {
        return Err(CatalogueError("no region".into()));
    }
    let product = |name: &str, price_cents, stock| Product {
        name: name.into(),
        price_cents,
        stock,
    };
    Ok(vec![
        product("kettle", 2_999, 12),
        product("teapot", 4_550, 0),
        product("mug", 899, 140),
        product("infuser", 1_250, 33),
    ])
}

#[node]
async fn stock_value(products: Vec<Product>) -> u64 {
    products
        .iter()
        .map(|p| p.price_cents * u64::from(p.stock))
        .sum()
}

#[node]
async fn sold_out(products: Vec<Product>) -> Vec<String> {
    products
        .into_iter()
        .filter(|p| p.stock == 0)
        .map(|p| p.name)
        .collect()
}

#[node]
async fn priciest(products: Vec<Product>) -> Option<String> {
    products
        .into_iter()
        .max_by_key(|p| p.price_cents)
        .map(|p| p.name)
}

#[node]
async fn report(value: u64, sold_out: Vec<String>, top: Option<String>) -> String {
    format!(
        "stock value ${}.{:02}; sold out: [{}]; priciest: {}",
        value / 100,
        value % 100,
        sold_out.join(", "),
        top.unwrap_or_else(|| "-".into())
    )
}

workflow! {
    #[workflow(durable, timeout = "10s")]
    pub struct CatalogueReport {
        input region: String,
        catalogue = fetch_catalogue(region),
        value = stock_value(products: catalogue),
        empty = sold_out(products: catalogue),
        top = priciest(products: catalogue),
        summary = report(value, sold_out: empty, top),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quick_start_gives_the_same_outputs_in_process_and_on_temporal() {
    let Some(url) = server("quick start") else {
        return;
    };
    let input = || CatalogueReportInput {
        region: "eu".into(),
    };
    let local = Runtime::new()
        .execute(CatalogueReport, input())
        .await
        .unwrap();

    let client = connect(&url, settings("quickstart"), "quickstart").await;
    let _worker = start_worker::<CatalogueReport>(&client, Runtime::new());
    let remote = client
        .execute::<CatalogueReport>(&input(), &run_id("quickstart"))
        .await
        .unwrap();

    assert_eq!(remote.outputs.summary, local.outputs.summary);
    assert_eq!(
        remote.outputs.summary,
        "stock value $2030.98; sold out: [teapot]; priciest: teapot"
    );
    // Every node ran once, each on its first attempt.
    let attempts: Vec<_> = remote.attempts.iter().map(|(n, a)| (*n, *a)).collect();
    assert_eq!(
        attempts,
        [
            ("catalogue", 1),
            ("value", 1),
            ("empty", 1),
            ("top", 1),
            ("summary", 1)
        ]
    );
}

// == Retries ====================================================================================

#[derive(Debug, thiserror::Error)]
#[error("busy (attempt {0})")]
struct Busy(u32);

#[node(retry(max = 3, backoff = "10ms"))]
async fn flaky(x: u32, ctx: &Context) -> Result<u32, Busy> {
    if ctx.attempt() < 3 {
        return Err(Busy(ctx.attempt()));
    }
    Ok(x + 1)
}

workflow! {
    #[workflow(durable)]
    struct Flaky {
        input x: u32,
        y = flaky(x),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_fails_twice_then_succeeds_shows_three_attempts() {
    let Some(url) = server("retries") else {
        return;
    };
    let client = connect(&url, settings("flaky"), "flaky").await;
    let _worker = start_worker::<Flaky>(&client, Runtime::new());
    let handle = client
        .start::<Flaky>(&FlakyInput { x: 41 }, &run_id("flaky"))
        .await
        .unwrap();
    let run = handle.result().await.unwrap();
    assert_eq!(run.outputs.y, 42);
    assert_eq!(run.attempts, [("y", 3)]);
    // Temporal records the started event of the attempt that finished.
    let history = handle.attempts().await.unwrap();
    let attempts: Vec<_> = history
        .iter()
        .map(|a| (a.node.as_str(), a.attempt))
        .collect();
    assert_eq!(attempts, [("y", 3)]);
}

#[derive(Debug, thiserror::Error)]
#[error("refused: {0}")]
struct Refused(&'static str);

#[node(retry(max = 2, backoff = "10ms"))]
async fn always_fails(x: u32) -> Result<u32, Refused> {
    let _ = x;
    Err(Refused("no"))
}

fn only_busy(e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    e.to_string().starts_with("busy")
}

#[node(retry(max = 5, backoff = "10ms", retry_if = only_busy))]
async fn refuses(x: u32) -> Result<u32, Refused> {
    let _ = x;
    Err(Refused("permanent"))
}

workflow! {
    #[workflow(durable)]
    struct Fails {
        input x: u32,
        y = always_fails(x),
    }
}

workflow! {
    #[workflow(durable)]
    struct NotRetried {
        input x: u32,
        y = refuses(x),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_node_is_the_same_workflow_error_as_in_process() {
    let Some(url) = server("errors") else {
        return;
    };
    let local = Runtime::new()
        .execute(Fails, FailsInput { x: 1 })
        .await
        .unwrap_err();
    let client = connect(&url, settings("fails"), "fails").await;
    let _worker = start_worker::<Fails>(&client, Runtime::new());
    let remote = client
        .execute::<Fails>(&FailsInput { x: 1 }, &run_id("fails"))
        .await
        .unwrap_err();
    let Error::Workflow(remote) = remote else {
        panic!("expected the run's own error, got {remote}");
    };
    assert_eq!(remote.to_string(), local.to_string());
    assert_eq!(
        remote.to_string(),
        "node `y` of workflow `Fails` failed after 2 attempt(s): refused: no"
    );
    assert_eq!((remote.node(), remote.attempts()), (Some("y"), Some(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_if_is_decided_on_the_worker_and_stops_temporals_retries() {
    let Some(url) = server("retry_if") else {
        return;
    };
    let client = connect(&url, settings("retry-if"), "retry-if").await;
    let _worker = start_worker::<NotRetried>(&client, Runtime::new());
    let err = client
        .execute::<NotRetried>(&NotRetriedInput { x: 1 }, &run_id("retry-if"))
        .await
        .unwrap_err();
    let err = err.workflow_error().expect("the run's own error");
    // `retry_if` said no: one attempt of the five allowed.
    assert_eq!(err.attempts(), Some(1), "{err}");
}

// == Time limits =================================================================================

#[node]
async fn sleeps(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    #[workflow(durable, timeout = "1s")]
    struct TooSlow {
        input ms: u64,
        done = sleeps(ms),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflow_timeout_is_the_execution_timeout() {
    let Some(url) = server("workflow timeout") else {
        return;
    };
    let client = connect(&url, settings("timeout"), "timeout").await;
    let _worker = start_worker::<TooSlow>(&client, Runtime::new());
    let err = client
        .execute::<TooSlow>(&TooSlowInput { ms: 5_000 }, &run_id("timeout"))
        .await
        .unwrap_err();
    match err.workflow_error() {
        Some(WorkflowError::Timeout { scope, limit, .. }) => {
            assert_eq!(*scope, workflow_core::TimeoutScope::Workflow);
            assert_eq!(*limit, Duration::from_secs(1));
        }
        other => panic!("expected the workflow's timeout, got {other:?}"),
    }
}

// == A worker killed mid-run ====================================================================

/// Appends `line` to `dir/log`.
fn log(dir: &Path, line: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("log"))
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

fn logged(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[node]
async fn first(dir: String) -> u32 {
    log(Path::new(&dir), "first");
    1
}

/// Blocks until the test has killed the first worker (`dir/killed` exists).
#[node]
async fn slow(x: u32, dir: String) -> u32 {
    let dir = PathBuf::from(dir);
    log(&dir, "slow");
    while !dir.join("killed").exists() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    x + 1
}

#[node]
async fn last(y: u32, dir: String) -> u32 {
    log(Path::new(&dir), "last");
    y * 10
}

workflow! {
    #[workflow(durable)]
    struct Relay {
        input dir: String,
        a = first(dir),
        b = slow(x: a, dir),
        c = last(y: b, dir),
    }
}

/// Not a test of its own: the worker process that
/// `a_worker_killed_mid_run_is_replaced_and_no_completed_node_runs_again` (a `Relay`
/// worker, `child-worker`), `a_worker_killed_mid_fan_out_reruns_only_its_unfinished_item`
/// (a `Sweep` worker, `child-worker`) and `two_worker_processes_share_the_nodes_of_one_run` (a
/// `Pair` worker, `worker-2`, one node at a time) start and kill. Without
/// `WORKFLOW_TEMPORAL_CHILD_QUEUE` it does nothing.
#[test]
fn child_worker_process() {
    let (Ok(url), Ok(queue)) = (
        std::env::var("WORKFLOW_TEST_TEMPORAL_URL"),
        std::env::var("WORKFLOW_TEMPORAL_CHILD_QUEUE"),
    ) else {
        return;
    };
    let workflow = std::env::var("WORKFLOW_TEMPORAL_CHILD_WORKFLOW").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let settings = TemporalSettings::new(queue).heartbeat(Duration::from_millis(300));
        let worker = if workflow == "pair" {
            let client = connect(&url, settings.max_concurrent_nodes(1), "worker-2").await;
            TemporalWorker::new::<Pair>(&client, Runtime::new()).unwrap()
        } else if workflow == "sweep" {
            let client = connect(&url, settings, "child-worker").await;
            TemporalWorker::new::<Sweep>(&client, Runtime::new()).unwrap()
        } else {
            let client = connect(&url, settings, "child-worker").await;
            TemporalWorker::new::<Relay>(&client, Runtime::new()).unwrap()
        };
        worker.run().await.unwrap();
    });
}

/// A worker process, killed (SIGKILL) by [`kill`](Self::kill) or when dropped, so that a
/// failing test leaves none behind.
struct WorkerProcess(std::process::Child);

impl WorkerProcess {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts [`child_worker_process`] for `workflow` (`relay`, `pair` or `sweep`) on `queue`.
fn spawn_worker_process(url: &str, queue: &str, workflow: &str) -> WorkerProcess {
    WorkerProcess(
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_worker_process", "--nocapture"])
            .env("WORKFLOW_TEMPORAL_CHILD_QUEUE", queue)
            .env("WORKFLOW_TEMPORAL_CHILD_WORKFLOW", workflow)
            .env("WORKFLOW_TEST_TEMPORAL_URL", url)
            .spawn()
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_run_is_replaced_and_no_completed_node_runs_again() {
    let Some(url) = server("worker killed") else {
        return;
    };
    let dir = std::env::temp_dir().join(run_id("relay"));
    std::fs::create_dir_all(&dir).unwrap();
    let settings = settings("relay");
    let queue = settings.task_queue.clone();

    let mut child = spawn_worker_process(&url, &queue, "relay");
    let client = connect(&url, settings, "parent-worker").await;
    let handle = client
        .start::<Relay>(
            &RelayInput {
                dir: dir.display().to_string(),
            },
            &run_id("relay"),
        )
        .await
        .unwrap();

    // The child runs `a`, then blocks in `b`: kill it there (SIGKILL, no goodbye).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while logged(&dir) != ["first", "slow"] {
        assert!(
            std::time::Instant::now() < deadline,
            "the child worker did not reach `b`: {:?}",
            logged(&dir)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill();
    std::fs::write(dir.join("killed"), b"").unwrap();

    // A new worker takes over: `b` runs again (its worker died before it finished),
    // `a` does not.
    let _worker = start_worker::<Relay>(&client, Runtime::new());
    let run = handle.result().await.unwrap();
    assert_eq!(run.outputs.c, 20);
    assert_eq!(logged(&dir), ["first", "slow", "slow", "last"]);

    let history = handle.attempts().await.unwrap();
    let ran: Vec<_> = history
        .iter()
        .map(|a| (a.node.as_str(), a.worker.as_str()))
        .collect();
    assert_eq!(
        ran,
        [
            ("a", "child-worker"),
            ("b", "child-worker"),
            ("b", "parent-worker"),
            ("c", "parent-worker"),
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// == A changed graph ============================================================================

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

/// The workflow `Shop` as first deployed.
mod v1 {
    use super::*;
    workflow! {
        #[workflow(durable)]
        pub(crate) struct Shop {
            input x: u32,
            a = inc(x),
        }
    }
}

/// `Shop` after a change: a node added.
mod v2 {
    use super::*;
    workflow! {
        #[workflow(durable)]
        pub(crate) struct Shop {
            input x: u32,
            a = inc(x),
            b = inc(x: a),
        }
    }
}

#[test]
fn a_changed_graph_has_its_own_task_queue_and_build_id() {
    let s = TemporalSettings::new("shop");
    assert_eq!(
        workflow_temporal::activity_type("Shop", "a"),
        "Shop.a",
        "both versions keep the workflow's and the nodes' names"
    );
    assert_ne!(
        workflow_temporal::task_queue::<v1::Shop>(&s),
        workflow_temporal::task_queue::<v2::Shop>(&s)
    );
    assert_ne!(
        workflow_temporal::build_id::<v1::Shop>(),
        workflow_temporal::build_id::<v2::Shop>()
    );
    assert!(workflow_temporal::task_queue::<v1::Shop>(&s).starts_with("shop.Shop."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_graph_leaves_old_runs_to_workers_of_the_old_graph() {
    let Some(url) = server("changed graph") else {
        return;
    };
    let client = connect(&url, settings("shop"), "shop").await;
    // Only the new graph's worker is up when a run of the old graph starts.
    let _new = start_worker::<v2::Shop>(&client, Runtime::new());
    let old_run = client
        .start::<v1::Shop>(&v1::ShopInput { x: 1 }, &run_id("shop-v1"))
        .await
        .unwrap();
    let new_run = client
        .execute::<v2::Shop>(&v2::ShopInput { x: 1 }, &run_id("shop-v2"))
        .await
        .unwrap();
    assert_eq!(new_run.outputs.b, 3);
    // The new worker finished a run of its own, and did not touch the old one.
    assert_eq!(old_run.attempts().await.unwrap(), []);

    // A worker of the old graph finishes the old run, as the old graph says.
    let _old = start_worker::<v1::Shop>(&client, Runtime::new());
    let run = old_run.result().await.unwrap();
    assert_eq!(run.outputs.a, 2);
}

// == Two workers share one run ==================================================================

/// Marks `name` as started in `dir`, then waits until `other` started too: the two nodes
/// must run at the same time, so with one node per worker they run on different workers.
async fn meet(dir: &str, name: &str, other: &str) -> String {
    let dir = Path::new(dir);
    std::fs::write(dir.join(name), b"").unwrap();
    for _ in 0..600 {
        if dir.join(other).exists() {
            return name.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("`{other}` never started next to `{name}`");
}

#[node]
async fn meet_left(dir: String) -> String {
    meet(&dir, "left", "right").await
}

#[node]
async fn meet_right(dir: String) -> String {
    meet(&dir, "right", "left").await
}

#[node]
async fn both(l: String, r: String) -> String {
    format!("{l}+{r}")
}

workflow! {
    #[workflow(durable)]
    struct Pair {
        input dir: String,
        l = meet_left(dir),
        r = meet_right(dir),
        out = both(l, r),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_share_the_nodes_of_one_run() {
    let Some(url) = server("two workers") else {
        return;
    };
    let dir = std::env::temp_dir().join(run_id("pair"));
    std::fs::create_dir_all(&dir).unwrap();
    // One node at a time per worker: `worker-1` here, `worker-2` in another process.
    let settings = settings("pair").max_concurrent_nodes(1);
    let mut other_process = spawn_worker_process(&url, &settings.task_queue, "pair");
    let one = connect(&url, settings.clone(), "worker-1").await;
    let _w1 = start_worker::<Pair>(&one, Runtime::new());
    let starter = connect(&url, settings, "starter").await;
    let handle = starter
        .start::<Pair>(
            &PairInput {
                dir: dir.display().to_string(),
            },
            &run_id("pair"),
        )
        .await
        .unwrap();
    let run = handle.result().await.unwrap();
    assert_eq!(run.outputs.out, "left+right");

    let history = handle.attempts().await.unwrap();
    let worker = |node: &str| {
        history
            .iter()
            .find(|a| a.node == node)
            .map(|a| a.worker.clone())
            .unwrap_or_default()
    };
    let (l, r) = (worker("l"), worker("r"));
    let mut workers = [l.clone(), r.clone()];
    workers.sort();
    other_process.kill();
    assert_eq!(workers, ["worker-1", "worker-2"], "l on {l}, r on {r}");
    let _ = std::fs::remove_dir_all(&dir);
}

// == The policy table, per node ================================================================

#[node(timeout = "300ms")]
async fn hangs(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    #[workflow(durable)]
    struct Hangs {
        input ms: u64,
        slow = hangs(ms),
    }
}

#[test]
fn each_node_maps_to_its_activity_options() {
    use workflow_temporal::NodeMapping;
    let s = TemporalSettings::new("map").heartbeat(Duration::from_millis(500));
    // `flaky`: retry(max = 3, backoff = "10ms"), no timeout.
    let m = NodeMapping::of::<Flaky>(0, &s);
    assert_eq!(m.activity_type, "Flaky.y");
    assert_eq!(m.start_to_close, s.default_node_timeout);
    assert_eq!(m.schedule_to_close, None);
    assert_eq!(m.heartbeat_timeout, Duration::from_millis(1500));
    assert_eq!(m.retry.maximum_attempts, 3);
    assert_eq!(m.retry.initial_interval, Duration::from_millis(10));
    assert_eq!(m.retry.maximum_interval, Duration::from_millis(20));
    // `hangs`: timeout = "300ms", no retry.
    let m = NodeMapping::of::<Hangs>(0, &s);
    assert_eq!(m.start_to_close, Duration::from_millis(300));
    assert_eq!(m.retry.maximum_attempts, 1);
}

/// A heartbeat of `Duration::MAX` ("as seldom as possible") maps to the longest heartbeat
/// timeout, not a panic: three times it overflowed `Duration` ("overflow when multiplying
/// duration by scalar"). A zero heartbeat is none, and so is its timeout.
#[test]
fn a_heartbeat_of_zero_or_duration_max_maps_without_overflow() {
    use workflow_temporal::NodeMapping;
    let m = NodeMapping::of::<Hangs>(0, &TemporalSettings::new("map").heartbeat(Duration::MAX));
    assert_eq!(m.heartbeat_timeout, Duration::MAX);
    let m = NodeMapping::of::<Hangs>(0, &TemporalSettings::new("map").heartbeat(Duration::ZERO));
    assert_eq!(m.heartbeat_timeout, Duration::ZERO);
}

workflow! {
    #[workflow(durable)]
    struct Sleepy {
        input ms: u64,
        done = sleeps(ms),
    }
}

/// A zero `default_node_timeout` maps to Temporal's shortest limit, 1 ms: Temporal
/// refuses a zero start-to-close timeout. (`#[node]` refuses a zero `timeout` itself.)
#[test]
fn a_zero_default_node_timeout_maps_to_temporals_shortest() {
    use workflow_temporal::NodeMapping;
    let s = TemporalSettings::new("map").default_node_timeout(Duration::ZERO);
    let m = NodeMapping::of::<Sleepy>(0, &s);
    assert_eq!(m.start_to_close, Duration::from_millis(1));
}

/// `default_node_timeout(Duration::ZERO)`: the node times out at once. Temporal refused
/// the activity's zero start-to-close timeout, failing the workflow task that scheduled
/// it again and again, so the run never ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_default_node_timeout_times_the_node_out() {
    let Some(url) = server("zero default node timeout") else {
        return;
    };
    let settings = settings("zero-limit").default_node_timeout(Duration::ZERO);
    let client = connect(&url, settings, "zero-limit").await;
    let _worker = start_worker::<Sleepy>(&client, Runtime::new());
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        client.execute::<Sleepy>(&SleepyInput { ms: 5_000 }, &run_id("zero-limit")),
    )
    .await
    .expect("the run ends")
    .unwrap_err();
    match err.workflow_error() {
        Some(WorkflowError::Timeout { scope, limit, .. }) => {
            assert_eq!(*scope, workflow_core::TimeoutScope::Node("done".into()));
            assert_eq!(*limit, Duration::from_millis(1));
        }
        other => panic!("expected the node's timeout, got {other:?} ({err})"),
    }
}

/// `TemporalSettings::heartbeat(Duration::ZERO)` sends no heartbeats: the worker built
/// `tokio::time::interval(ZERO)`, which panics ("`period` must be non-zero"), so every
/// attempt of every node failed as "Activity function panicked", naming no node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_heartbeat_runs_the_nodes_without_heartbeats() {
    let Some(url) = server("zero heartbeat") else {
        return;
    };
    let client = connect(
        &url,
        settings("zero-heartbeat").heartbeat(Duration::ZERO),
        "zhb",
    )
    .await;
    let _worker = start_worker::<Hangs>(&client, Runtime::new());
    let run = client
        .execute::<Hangs>(&HangsInput { ms: 20 }, &run_id("zero-heartbeat"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.outputs.slow, 20);
    assert_eq!(run.attempts, [("slow", 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_timeout_is_the_same_timeout_error_as_in_process() {
    let Some(url) = server("node timeout") else {
        return;
    };
    let local = Runtime::new()
        .execute(Hangs, HangsInput { ms: 5_000 })
        .await
        .unwrap_err();
    let client = connect(&url, settings("hangs"), "hangs").await;
    let _worker = start_worker::<Hangs>(&client, Runtime::new());
    let err = client
        .execute::<Hangs>(&HangsInput { ms: 5_000 }, &run_id("hangs"))
        .await
        .unwrap_err();
    let Some(remote) = err.workflow_error() else {
        panic!("expected the run's own error, got {err}");
    };
    assert_eq!(remote.to_string(), local.to_string());
    match remote {
        WorkflowError::Timeout { scope, limit, .. } => {
            assert_eq!(*scope, workflow_core::TimeoutScope::Node("slow".into()));
            assert_eq!(*limit, Duration::from_millis(300));
        }
        other => panic!("expected the node's timeout, got {other:?}"),
    }
}

#[node(retry(max = 5, backoff = "100ms", total_timeout = "1500ms"))]
async fn stalls(ms: u64) -> Result<u64, Busy> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(ms)
}

workflow! {
    #[workflow(durable)]
    struct Stalls {
        input ms: u64,
        stuck = stalls(ms),
    }
}

/// A `retry(total_timeout)` is Temporal's `schedule_to_close`: its timeout is reported
/// as the limit on all attempts (not as one attempt's), in the attempt it ran out in,
/// as in-process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_timeout_is_the_same_all_attempts_timeout_as_in_process() {
    let Some(url) = server("total timeout") else {
        return;
    };
    let local = Runtime::new()
        .execute(Stalls, StallsInput { ms: 60_000 })
        .await
        .unwrap_err();
    let client = connect(&url, settings("stalls"), "stalls").await;
    let _worker = start_worker::<Stalls>(&client, Runtime::new());
    let err = client
        .execute::<Stalls>(&StallsInput { ms: 60_000 }, &run_id("stalls"))
        .await
        .unwrap_err();
    let Some(remote) = err.workflow_error() else {
        panic!("expected the run's own error, got {err}");
    };
    assert_eq!(remote.to_string(), local.to_string());
    match remote {
        WorkflowError::Timeout {
            scope,
            limit,
            attempts,
            all_attempts,
            ..
        } => {
            assert_eq!(*scope, workflow_core::TimeoutScope::Node("stuck".into()));
            assert_eq!(*limit, Duration::from_millis(1500));
            assert!(*all_attempts, "{remote}");
            assert_eq!(*attempts, 1, "{remote}");
        }
        other => panic!("expected the node's total timeout, got {other:?}"),
    }
}

// == Branches =====================================================================================
// examples/routing.rs's `Checkout` (a guard, a merge, a partial binding), durable, and the
// engine tests' `Nested` (a decision inside an arm, whose nodes read the outer arm's
// pattern binding).

const LIMIT: u32 = 1_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Order {
    total: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Triage {
    Small(Order),
    Large(Order),
    Rejected(String),
}

#[node]
async fn triage(order: Order) -> Triage {
    match order.total {
        0 => Triage::Rejected("empty order".into()),
        1..=99 => Triage::Small(order),
        _ => Triage::Large(order),
    }
}

#[node]
async fn pay_now(order: Order) -> String {
    format!("paid {} €", order.total)
}

#[node]
async fn ask_manager(order: Order) -> u32 {
    order.total
}

#[node]
async fn pay_after(approval: u32) -> String {
    format!("paid {approval} € after approval")
}

#[node]
async fn refuse_large(order: Order) -> String {
    format!("refused {} €: over the limit", order.total)
}

#[node]
async fn refuse(reason: String) -> String {
    format!("refused: {reason}")
}

#[node]
async fn email(receipt: String) -> String {
    format!("emailed \"{receipt}\"")
}

#[node]
async fn log_approval(approval: Option<u32>) -> String {
    approval.map_or_else(|| "no approval".into(), |a| format!("approved {a} €"))
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct Checkout {
        input order: Order,
        t = triage(order),
        match t {
            Triage::Small(o) => { receipt = pay_now(order: o), }
            Triage::Large(o) if o.total < LIMIT => {
                approval = ask_manager(order: o),
                receipt = pay_after(approval),
            }
            Triage::Large(o) => { receipt = refuse_large(order: o), }
            Triage::Rejected(reason) => { receipt = refuse(reason), }
        }
        sent = email(receipt),
        audit = log_approval(approval?),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Shape {
    Point,
    Line(u32),
}

#[node]
async fn shape(n: u32) -> Shape {
    if n == 0 {
        Shape::Point
    } else {
        Shape::Line(n)
    }
}

#[node]
async fn point_label() -> String {
    "point".into()
}

#[node]
async fn is_short(len: u32) -> bool {
    len < 10
}

#[node]
async fn short_label(len: u32) -> String {
    format!("short {len}")
}

#[node]
async fn long_label(len: u32) -> String {
    format!("long {len}")
}

#[node]
async fn label(text: String) -> String {
    format!("[{text}]")
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct Nested {
        input n: u32,
        s = shape(n),
        match s {
            Shape::Point => { text = point_label(), }
            Shape::Line(len) => {
                short = is_short(len),
                if short {
                    text = short_label(len),
                } else {
                    text = long_label(len),
                }
            }
        }
        out = label(text),
    }
}

/// The nodes whose activities ran, in the order the history records their attempts.
async fn ran<W: NodeByNode>(handle: &workflow_temporal::TemporalRunHandle<W>) -> Vec<String> {
    handle
        .attempts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.node)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branches_take_the_same_arms_and_give_the_same_outputs_in_process_and_on_temporal() {
    let Some(url) = server("branches") else {
        return;
    };
    let client = connect(&url, settings("branches"), "branches").await;
    let _checkout = start_worker::<Checkout>(&client, Runtime::new());
    let _nested = start_worker::<Nested>(&client, Runtime::new());

    for total in [40, 400, 4_000, 0] {
        let input = || CheckoutInput {
            order: Order { total },
        };
        let local = Runtime::new().execute(Checkout, input()).await.unwrap();
        let handle = client
            .start::<Checkout>(&input(), &run_id("checkout"))
            .await
            .unwrap();
        let remote = handle.result().await.unwrap();
        assert_eq!(
            (&remote.outputs.sent, &remote.outputs.audit),
            (&local.outputs.sent, &local.outputs.audit),
            "total {total}"
        );
        // Only the taken arm's nodes ran; the others are not in the history.
        let mut nodes = ran(&handle).await;
        nodes.sort();
        let expected: &[&str] = match total {
            400 => &["approval", "audit", "match_t", "receipt", "sent", "t"],
            _ => &["audit", "match_t", "receipt", "sent", "t"],
        };
        assert_eq!(nodes, expected, "total {total}");
        // Node by node (plan order: a merge's definitions share a name), not taken
        // in-process exactly where no attempt ran on Temporal.
        let not_taken: Vec<bool> = local
            .report
            .nodes
            .iter()
            .map(|n| n.status == NodeStatus::NotTaken)
            .collect();
        let no_attempt: Vec<bool> = remote.attempts.iter().map(|(_, a)| *a == 0).collect();
        assert_eq!(
            no_attempt, not_taken,
            "total {total}: {:?}",
            remote.attempts
        );
    }
    assert_eq!(
        client
            .execute::<Checkout>(
                &CheckoutInput {
                    order: Order { total: 400 }
                },
                &run_id("checkout")
            )
            .await
            .unwrap()
            .outputs
            .audit,
        "approved 400 €"
    );

    for n in [0, 3, 30] {
        let local = Runtime::new()
            .execute(Nested, NestedInput { n })
            .await
            .unwrap();
        let remote = client
            .execute::<Nested>(&NestedInput { n }, &run_id("nested"))
            .await
            .unwrap();
        assert_eq!(remote.outputs.out, local.outputs.out, "n {n}");
    }
}

// == Fan-out ======================================================================================

#[derive(Debug, thiserror::Error)]
#[error("cannot download {0}")]
struct DownloadError(String);

#[node]
async fn download(url: String) -> Result<Vec<u8>, DownloadError> {
    if url.contains("broken") {
        return Err(DownloadError(url));
    }
    assert!(!url.contains("panic"), "no image at {url}");
    Ok(url.into_bytes())
}

#[node]
async fn resize(img: Vec<u8>, scale: u32) -> usize {
    img.len() * scale as usize
}

#[node]
async fn scale() -> u32 {
    3
}

#[node]
async fn total(sizes: Vec<usize>) -> usize {
    sizes.iter().sum()
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct Gallery {
        input urls: Vec<String>,
        scale = scale(),
        #[output]
        thumbs = for url in urls {
            img = download(url),
            t = resize(img, scale),
        } => t,
        sum = total(sizes: thumbs),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_gives_the_same_outputs_and_errors_in_process_and_on_temporal() {
    let Some(url) = server("fan-out") else {
        return;
    };
    let client = connect(&url, settings("gallery"), "gallery").await;
    let _worker = start_worker::<Gallery>(&client, Runtime::new());

    let urls: Vec<String> = (0..25).map(|i| format!("https://img/{i}")).collect();
    for urls in [urls, Vec::new()] {
        let input = || GalleryInput { urls: urls.clone() };
        let local = Runtime::new().execute(Gallery, input()).await.unwrap();
        let handle = client
            .start::<Gallery>(&input(), &run_id("gallery-items"))
            .await
            .unwrap();
        let remote = handle.result().await.unwrap();
        assert_eq!(remote.outputs.thumbs, local.outputs.thumbs);
        assert_eq!(remote.outputs.sum, local.outputs.sum);
        // Every item is an activity of its own, run once; the fan-out node is none.
        let mut items: Vec<String> = handle
            .attempts()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.node)
            .filter(|node| node.starts_with("thumbs"))
            .collect();
        items.sort_by_key(|node| node[7..node.len() - 1].parse::<usize>().unwrap());
        let expected: Vec<String> = (0..urls.len()).map(|i| format!("thumbs[{i}]")).collect();
        assert_eq!(items, expected);
    }

    // An item's failure is the item's node, by its path, as in-process (the item's
    // activity was sent that item only, numbered as in the whole list).
    let input = || GalleryInput {
        urls: (0..6)
            .map(|i| match i {
                3 => "https://img/broken".to_owned(),
                i => format!("https://img/{i}"),
            })
            .collect(),
    };
    let local = Runtime::new().execute(Gallery, input()).await.unwrap_err();
    let err = client
        .execute::<Gallery>(&input(), &run_id("gallery-broken"))
        .await
        .unwrap_err();
    let Some(remote) = err.workflow_error() else {
        panic!("expected the run's own error, got {err}");
    };
    assert_eq!(remote.to_string(), local.to_string());
    assert_eq!(remote.node(), Some("thumbs[3].img"));
    assert!(
        matches!(remote, WorkflowError::NodeFailed { .. }),
        "{remote:?}"
    );

    // A panicking item: the same kind (not the fan-out node's failure).
    let input = || GalleryInput {
        urls: vec!["https://img/panic".into()],
    };
    let local = Runtime::new().execute(Gallery, input()).await.unwrap_err();
    let err = client
        .execute::<Gallery>(&input(), &run_id("gallery-panic"))
        .await
        .unwrap_err();
    let remote = err.workflow_error().expect("the run's own error");
    assert_eq!(remote.to_string(), local.to_string());
    assert!(
        matches!(remote, WorkflowError::NodePanicked { node, .. } if node == "thumbs[0].img"),
        "{remote:?}"
    );
}

// == Fan-out items: the window, the fan-out's concurrency, a lost worker ==========================

#[node]
async fn nap(x: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(300)).await;
    x * 2
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct Naps {
        input xs: Vec<u32>,
        ys = for x in xs {
            y = nap(x),
        } => y,
    }
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct CappedNaps {
        input xs: Vec<u32>,
        #[concurrency = 2]
        ys = for x in xs {
            y = nap(x),
        } => y,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_items_stay_within_the_pending_window_and_the_fan_outs_concurrency() {
    let Some(url) = server("fan-out window") else {
        return;
    };
    let xs: Vec<u32> = (0..8).collect();
    let doubled: Vec<u32> = xs.iter().map(|x| x * 2).collect();

    // A window of 3 pending activities: 8 items never have more than 3 scheduled at once
    // (and do have 3: the window is used).
    let client = connect(&url, settings("naps").max_pending_nodes(3), "naps").await;
    let _worker = start_worker::<Naps>(&client, Runtime::new());
    let local = Runtime::new()
        .execute(Naps, NapsInput { xs: xs.clone() })
        .await
        .unwrap();
    assert_eq!(local.outputs.ys, doubled);
    let handle = client
        .start::<Naps>(&NapsInput { xs: xs.clone() }, &run_id("naps"))
        .await
        .unwrap();
    assert_eq!(handle.result().await.unwrap().outputs.ys, doubled);
    assert_eq!(handle.most_pending().await.unwrap(), 3);
    assert_eq!(handle.attempts().await.unwrap().len(), 8);

    // `#[concurrency = 2]` on the fan-out, under the default window of 1,000.
    let client = connect(&url, settings("capped-naps"), "capped-naps").await;
    let _worker = start_worker::<CappedNaps>(&client, Runtime::new());
    let handle = client
        .start::<CappedNaps>(&CappedNapsInput { xs }, &run_id("capped-naps"))
        .await
        .unwrap();
    assert_eq!(handle.result().await.unwrap().outputs.ys, doubled);
    assert_eq!(handle.most_pending().await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_continued_as_new_mid_way_carries_its_finished_items() {
    let Some(url) = server("fan-out continue-as-new") else {
        return;
    };
    // Two items at a time, about six history events each: the run continues as new
    // every few items, carrying the fan-out's outputs so far.
    let settings = settings("capped-long").continue_as_new_after_events(20);
    let client = connect(&url, settings, "capped-long").await;
    let _worker = start_worker::<CappedNaps>(&client, Runtime::new());
    let xs: Vec<u32> = (0..8).collect();
    let handle = client
        .start::<CappedNaps>(&CappedNapsInput { xs: xs.clone() }, &run_id("capped-long"))
        .await
        .unwrap();
    let run = handle.result().await.unwrap();
    assert_eq!(run.outputs.ys, xs.iter().map(|x| x * 2).collect::<Vec<_>>());
    // Every item once over the whole chain of runs.
    let mut items = ran(&handle).await;
    items.sort();
    let expected: Vec<String> = (0..8).map(|i| format!("ys[{i}]")).collect();
    assert_eq!(items, expected);
}

/// Logs `item<x>`; item 3 then blocks until the test has killed the first worker.
#[node]
async fn sweep_item(x: u32, dir: String) -> u32 {
    let dir = PathBuf::from(dir);
    log(&dir, &format!("item{x}"));
    if x == 3 {
        while !dir.join("killed").exists() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    x + 100
}

workflow! {
    #[workflow(durable)]
    struct Sweep {
        input dir: String,
        input xs: Vec<u32>,
        #[concurrency = 1]
        swept = for x in xs {
            y = sweep_item(x, dir),
        } => y,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_fan_out_reruns_only_its_unfinished_item() {
    let Some(url) = server("worker killed mid fan-out") else {
        return;
    };
    let dir = std::env::temp_dir().join(run_id("sweep"));
    std::fs::create_dir_all(&dir).unwrap();
    let settings = settings("sweep");
    let queue = settings.task_queue.clone();

    let mut child = spawn_worker_process(&url, &queue, "sweep");
    let client = connect(&url, settings, "sweep-parent").await;
    let input = SweepInput {
        dir: dir.display().to_string(),
        xs: (0..6).collect(),
    };
    let handle = client
        .start::<Sweep>(&input, &run_id("sweep"))
        .await
        .unwrap();

    // The child runs items 0, 1 and 2 (one at a time), then blocks in item 3: kill it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while logged(&dir) != ["item0", "item1", "item2", "item3"] {
        assert!(
            std::time::Instant::now() < deadline,
            "the child worker did not reach item 3: {:?}",
            logged(&dir)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill();
    std::fs::write(dir.join("killed"), b"").unwrap();

    // A new worker takes over: item 3 runs again, the finished items do not.
    let _worker = start_worker::<Sweep>(&client, Runtime::new());
    let run = handle.result().await.unwrap();
    assert_eq!(run.outputs.swept, [100, 101, 102, 103, 104, 105]);
    assert_eq!(
        logged(&dir),
        ["item0", "item1", "item2", "item3", "item3", "item4", "item5"]
    );
    let local = Runtime::new().execute(Sweep, input).await.unwrap();
    assert_eq!(local.outputs.swept, run.outputs.swept);

    let history = handle.attempts().await.unwrap();
    let ran: Vec<_> = history
        .iter()
        .map(|a| (a.node.as_str(), a.worker.as_str()))
        .collect();
    assert_eq!(
        ran,
        [
            ("swept[0]", "child-worker"),
            ("swept[1]", "child-worker"),
            ("swept[2]", "child-worker"),
            ("swept[3]", "child-worker"),
            ("swept[3]", "sweep-parent"),
            ("swept[4]", "sweep-parent"),
            ("swept[5]", "sweep-parent"),
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// == Limits =======================================================================================

#[node]
async fn repeat(text: String, times: usize) -> String {
    text.repeat(times)
}

#[node]
async fn length(text: String) -> usize {
    text.len()
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct Grow {
        input text: String,
        input times: usize,
        big = repeat(text, times),
        len = length(text: big),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_over_the_payload_limit_fails_early_naming_the_node() {
    let Some(url) = server("payload limit") else {
        return;
    };
    let client = connect(&url, settings("grow"), "grow").await;
    let _worker = start_worker::<Grow>(&client, Runtime::new());

    // Temporal's own limit (2 MB): a node's 3 MB output.
    let err = client
        .execute::<Grow>(
            &GrowInput {
                text: "x".repeat(1024),
                times: 3 * 1024,
            },
            &run_id("grow-big"),
        )
        .await
        .unwrap_err();
    match &err {
        Error::PayloadTooLarge {
            node: Some(node),
            output: true,
            bytes,
            limit,
            ..
        } => {
            assert_eq!(node, "big");
            assert_eq!(*limit, 2 * 1024 * 1024);
            assert!(*bytes > 3 * 1024 * 1024, "{bytes}");
        }
        other => panic!("expected the output of `big` too large, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("the output of node `big` of workflow `Grow` is "),
        "{err}"
    );

    // The workflow's own input, before anything starts.
    let small = connect(
        &url,
        settings("grow").max_payload_bytes(1_000),
        "grow-small",
    )
    .await;
    let err = small
        .execute::<Grow>(
            &GrowInput {
                text: "x".repeat(2_000),
                times: 1,
            },
            &run_id("grow-input"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::PayloadTooLarge {
                node: None,
                output: false,
                ..
            }
        ),
        "{err:?}"
    );
}

/// Nodes running now in this process, and the most at once.
static RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[node]
async fn counted(x: u32) -> u32 {
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    x
}

#[node]
async fn sum4(a: u32, b: u32, c: u32, d: u32) -> u32 {
    a + b + c + d
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct Wide {
        input x: u32,
        a = counted(x),
        b = counted(x),
        c = counted(x),
        d = counted(x),
        s = sum4(a, b, c, d),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_wider_than_the_pending_window_runs_in_windows() {
    let Some(url) = server("pending window") else {
        return;
    };
    let client = connect(&url, settings("wide").max_pending_nodes(2), "wide").await;
    let _worker = start_worker::<Wide>(&client, Runtime::new());
    let run = client
        .execute::<Wide>(&WideInput { x: 5 }, &run_id("wide"))
        .await
        .unwrap();
    assert_eq!(run.outputs.s, 20);
    // Four nodes side by side, two at a time (the worker alone could run 100).
    assert_eq!(PEAK.load(Ordering::SeqCst), 2);
}

// == ctx.emit =====================================================================================

#[node]
async fn reports_progress(dir: String, ctx: &Context) -> u32 {
    let dir = PathBuf::from(dir);
    ctx.emit("downloaded 1/2");
    ctx.emit("downloaded 2/2");
    while !dir.join("go").exists() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    2
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct Progress {
        input dir: String,
        fetched = reports_progress(dir),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctx_emit_reaches_temporal_as_heartbeat_details() {
    let Some(url) = server("emit") else {
        return;
    };
    let dir = std::env::temp_dir().join(run_id("progress"));
    std::fs::create_dir_all(&dir).unwrap();
    let client = connect(&url, settings("progress"), "progress").await;
    let _worker = start_worker::<Progress>(&client, Runtime::new());
    let handle = client
        .start::<Progress>(
            &ProgressInput {
                dir: dir.display().to_string(),
            },
            &run_id("progress"),
        )
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let progress = loop {
        let progress = handle.progress().await.unwrap();
        if progress.iter().any(|p| p.emitted > 0) {
            break progress;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no heartbeat details: {progress:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(progress.len(), 1, "{progress:?}");
    assert_eq!(progress[0].node, "fetched");
    assert_eq!(progress[0].emitted, 2);
    assert_eq!(
        progress[0].last,
        [
            ("fetched".to_owned(), "downloaded 1/2".to_owned()),
            ("fetched".to_owned(), "downloaded 2/2".to_owned())
        ]
    );
    std::fs::write(dir.join("go"), b"").unwrap();
    assert_eq!(handle.result().await.unwrap().outputs.fetched, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

// == Continue-as-new ==============================================================================

workflow! {
    #[workflow(durable)]
    pub(crate) struct Long {
        input x: u32,
        a = inc(x), b = inc(x: a), c = inc(x: b), d = inc(x: c),
        e = inc(x: d), f = inc(x: e), g = inc(x: f), h = inc(x: g),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_run_continues_as_new_and_carries_its_values() {
    let Some(url) = server("continue-as-new") else {
        return;
    };
    // About three nodes per run of the chain (a node is about six history events).
    let settings = settings("long").continue_as_new_after_events(20);
    let client = connect(&url, settings, "long").await;
    let _worker = start_worker::<Long>(&client, Runtime::new());
    let handle = client
        .start::<Long>(&LongInput { x: 0 }, &run_id("long"))
        .await
        .unwrap();
    let run = handle.result().await.unwrap();
    assert_eq!(run.outputs.h, 8);
    // Every node ran once, over the whole chain of runs.
    assert!(
        run.attempts.iter().all(|(_, a)| *a == 1),
        "{:?}",
        run.attempts
    );
    // The history, read across every run of the chain (each run's history holds only
    // a few nodes): every node once, in order.
    assert_eq!(ran(&handle).await, ["a", "b", "c", "d", "e", "f", "g", "h"]);
}

/// A threshold at or below a new run's own first events (0, 1, ..) still makes progress:
/// each run of the chain schedules what is ready before it continues. Every run of the
/// chain began over the threshold, so none scheduled a node and each continued as new at
/// once, forever (the run never ended).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continue_as_new_threshold_of_zero_still_runs_every_node() {
    let Some(url) = server("continue-as-new at 0 events") else {
        return;
    };
    let settings = settings("long0").continue_as_new_after_events(0);
    let client = connect(&url, settings, "long0").await;
    let _worker = start_worker::<Long>(&client, Runtime::new());
    let handle = client
        .start::<Long>(&LongInput { x: 0 }, &run_id("long0"))
        .await
        .unwrap();
    let run = tokio::time::timeout(Duration::from_secs(60), handle.result())
        .await
        .expect("the run ends")
        .unwrap();
    assert_eq!(run.outputs.h, 8);
    assert_eq!(ran(&handle).await, ["a", "b", "c", "d", "e", "f", "g", "h"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_too_large_to_carry_into_a_continued_run_fail_with_our_error() {
    let Some(url) = server("continue-as-new payload") else {
        return;
    };
    // `big` (2,000 bytes) fits, but continuing after it carries the input (1,000
    // bytes) and `big` together: over 3,000.
    let settings = settings("carry")
        .max_payload_bytes(3_000)
        .continue_as_new_after_events(5);
    let client = connect(&url, settings, "carry").await;
    let _worker = start_worker::<Grow>(&client, Runtime::new());
    let err = client
        .execute::<Grow>(
            &GrowInput {
                text: "x".repeat(1_000),
                times: 2,
            },
            &run_id("carry"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::PayloadTooLarge {
                node: None,
                output: false,
                limit: 3_000,
                ..
            }
        ),
        "{err:?}"
    );
}

// == Sub-workflows and `map` ======================================================================

#[node]
async fn layout(page: String) -> Result<String, DownloadError> {
    if page.contains("broken") {
        return Err(DownloadError(page));
    }
    Ok(format!("<p>{page}</p>"))
}

#[node]
async fn page_len(html: String) -> usize {
    html.len()
}

workflow! {
    /// A workflow used as a node below: durable, so its `RenderOutput` is serde.
    #[workflow(durable)]
    pub(crate) struct Render {
        input page: String,
        #[output]
        html = layout(page),
        size = page_len(html),
    }
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct Book {
        input cover: String,
        input titles: Vec<String>,
        front = Render(page: cover),
        pages = map(Render, titles),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_workflow_and_map_give_the_same_outputs_and_errors_in_process_and_on_temporal() {
    let Some(url) = server("sub-workflow") else {
        return;
    };
    let client = connect(&url, settings("book"), "book").await;
    let _worker = start_worker::<Book>(&client, Runtime::new());

    let titles: Vec<String> = (0..12).map(|i| format!("chapter {i}")).collect();
    for titles in [titles, Vec::new()] {
        let input = || BookInput {
            cover: "cover".into(),
            titles: titles.clone(),
        };
        let local = Runtime::new().execute(Book, input()).await.unwrap();
        let remote = client
            .execute::<Book>(&input(), &run_id("book"))
            .await
            .unwrap();
        assert_eq!(remote.outputs.front.html, "<p>cover</p>");
        assert_eq!(remote.outputs.pages.len(), titles.len());
        // The whole output, field by field (through the generated serde impls).
        let json = |o: &BookOutput| serde_json::to_value(o).unwrap();
        assert_eq!(json(&remote.outputs), json(&local.outputs));
    }

    // A failing item of `map` is its node, by its path, as in-process.
    let input = || BookInput {
        cover: "cover".into(),
        titles: vec!["one".into(), "broken".into()],
    };
    let local = Runtime::new().execute(Book, input()).await.unwrap_err();
    let err = client
        .execute::<Book>(&input(), &run_id("book-broken"))
        .await
        .unwrap_err();
    let remote = err.workflow_error().expect("the run's own error");
    assert_eq!(remote.to_string(), local.to_string());
    assert_eq!(remote.node(), Some("pages[1].html"));
    assert!(
        matches!(remote, WorkflowError::NodeFailed { .. }),
        "{remote:?}"
    );
}

/// Not on Temporal: `Book` is an ordinary durable workflow too. A second start with the
/// same idempotency key reads the first run's outputs back from the store (the
/// sub-workflow's `RenderOutput`, decoded).
#[tokio::test]
async fn a_workflow_with_a_sub_workflow_and_map_is_durable_in_process() {
    let runtime = Runtime::builder()
        .store(workflow_core::store::MemoryStore::new())
        .build();
    let input = || BookInput {
        cover: "cover".into(),
        titles: vec!["one".into(), "two".into()],
    };
    let first = runtime
        .start_durable(Book, input(), Some("book-1"))
        .await
        .unwrap();
    let again = runtime
        .start_durable(Book, input(), Some("book-1"))
        .await
        .unwrap();
    assert_eq!(again.run_id, first.run_id);
    assert_eq!(again.outputs.front.html, "<p>cover</p>");
    assert_eq!(
        serde_json::to_value(&again.outputs.pages).unwrap(),
        serde_json::json!([
            { "html": "<p>one</p>", "size": 10 },
            { "html": "<p>two</p>", "size": 10 },
        ])
    );
}

#[test]
fn a_durable_workflows_output_struct_round_trips_through_serde() {
    let output = RenderOutput {
        html: "<p>x</p>".into(),
        size: 8,
    };
    let json = serde_json::to_value(&output).unwrap();
    assert_eq!(json, serde_json::json!({ "html": "<p>x</p>", "size": 8 }));
    let back: RenderOutput = serde_json::from_value(json).unwrap();
    assert_eq!((back.html, back.size), (output.html, output.size));
    // A field that does not decode is serde's error, naming the field.
    let err = serde_json::from_value::<RenderOutput>(serde_json::json!({ "html": 1, "size": 8 }))
        .unwrap_err();
    assert!(err.to_string().contains("html"), "{err}");
}

// == Idempotency keys =============================================================================

/// The key each first attempt of `charge` saw, by workflow id.
static FIRST_KEYS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

#[node(retry(max = 2, backoff = "10ms"))]
async fn charge(ctx: &Context) -> Result<String, Busy> {
    let key = ctx.idempotency_key();
    if ctx.attempt() == 1 {
        FIRST_KEYS.lock().unwrap().push(key);
        return Err(Busy(1));
    }
    Ok(key)
}

#[node]
async fn item_key(x: u32, ctx: &Context) -> String {
    format!("{x}:{}", ctx.idempotency_key())
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct Keys {
        input xs: Vec<u32>,
        paid = charge(),
        items = for x in xs {
            k = item_key(x),
        } => k,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_name_the_workflow_id_and_the_node_path_and_survive_retries() {
    let Some(url) = server("idempotency keys") else {
        return;
    };
    let client = connect(&url, settings("keys"), "keys").await;
    let _worker = start_worker::<Keys>(&client, Runtime::new());
    let id = run_id("keys");
    let run = client
        .execute::<Keys>(&KeysInput { xs: vec![7, 8] }, &id)
        .await
        .unwrap();
    assert_eq!(run.outputs.paid, format!("Keys/{id}/paid"));
    assert_eq!(run.attempts[0], ("paid", 2));
    // The failed first attempt (on the same or another worker) saw the same key.
    assert!(
        FIRST_KEYS.lock().unwrap().contains(&run.outputs.paid),
        "{:?}",
        FIRST_KEYS.lock().unwrap()
    );
    assert_eq!(
        run.outputs.items,
        [
            format!("7:Keys/{id}/items[0].k"),
            format!("8:Keys/{id}/items[1].k")
        ]
    );
}

// == `#[ephemeral]` ==============================================================================

/// Not serializable: a connection a node opens.
struct Conn(u32);

#[node]
async fn open_conn(n: u32) -> Conn {
    Conn(n)
}

#[node]
async fn query(conn: Conn) -> u32 {
    conn.0 + 1
}

workflow! {
    #[workflow(durable)]
    pub(crate) struct WithConn {
        input n: u32,
        #[ephemeral]
        conn = open_conn(n),
        out = query(conn),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ephemeral_binding_is_refused_before_any_node_runs() {
    let Some(url) = server("ephemeral") else {
        return;
    };
    let client = connect(&url, settings("conn"), "conn").await;
    let unsupported = |err: Error| match err {
        Error::Unsupported {
            workflow: "WithConn",
            node: "conn",
            ..
        } => {}
        other => panic!("expected Unsupported for `conn`, got {other:?}"),
    };
    unsupported(TemporalWorker::new::<WithConn>(&client, Runtime::new()).unwrap_err());
    unsupported(
        client
            .start::<WithConn>(&WithConnInput { n: 1 }, &run_id("conn"))
            .await
            .unwrap_err(),
    );
    // In-process, the same workflow runs.
    let local = Runtime::new()
        .execute(WithConn, WithConnInput { n: 1 })
        .await
        .unwrap();
    assert_eq!(local.outputs.out, 2);
}
