//! The executor: concurrency, dependency scheduling, data flow, failure, panics,
//! cancellation and many concurrent runs. Timing uses tokio's paused clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_core::RunOutcome;
use workflow_core::{NodeStatus, TimeoutScope};

async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

// --- concurrency -------------------------------------------------------------------

#[node]
async fn one_second(tag: u32) -> u32 {
    sleep_ms(1000).await;
    tag
}

workflow! {
    struct TwoSlow {
        input a: u32,
        input b: u32,
        first = one_second(tag: a),
        second = one_second(tag: b),
    }
}

#[tokio::test(start_paused = true)]
async fn independent_nodes_run_concurrently() {
    let start = Instant::now();
    let run = Runtime::new()
        .execute(TwoSlow, TwoSlowInput { a: 1, b: 2 })
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!((run.outputs.first, run.outputs.second), (1, 2));
    for name in ["first", "second"] {
        let node = run.node(name).unwrap();
        assert_eq!(node.status, NodeStatus::Succeeded);
        assert_eq!(node.attempts, 1);
        assert!(node.duration >= Duration::from_secs(1), "{node:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn sequential_option_runs_one_node_at_a_time() {
    let start = Instant::now();
    Runtime::new()
        .execute_with(
            TwoSlow,
            TwoSlowInput { a: 1, b: 2 },
            RunOptions::new().sequential(),
        )
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

workflow! {
    #[workflow(sequential)]
    struct TwoSlowSequential {
        input a: u32,
        input b: u32,
        first = one_second(tag: a),
        second = one_second(tag: b),
    }
}

#[tokio::test(start_paused = true)]
async fn sequential_attribute_runs_one_node_at_a_time() {
    let start = Instant::now();
    Runtime::new()
        .execute(TwoSlowSequential, TwoSlowSequentialInput { a: 1, b: 2 })
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_on_a_multi_thread_runtime() {
    // Real time here, but nothing is asserted about it.
    #[node]
    async fn inc(x: u64) -> u64 {
        x + 1
    }
    workflow! {
        struct Chain3 {
            input x: u64,
            a = inc(x),
            b = inc(x: a),
            c = inc(x: b),
        }
    }
    let run = Runtime::new()
        .execute(Chain3, Chain3Input { x: 0 })
        .await
        .unwrap();
    assert_eq!(run.outputs.c, 3);
}

// --- scheduling by dependency, not by level ----------------------------------------

#[node]
async fn delayed(ms: u64) -> u64 {
    sleep_ms(ms).await;
    ms
}

#[node]
async fn after(prev: u64, ms: u64) -> u64 {
    sleep_ms(ms).await;
    prev + ms
}

workflow! {
    struct Uneven {
        input a_ms: u64,
        input b_ms: u64,
        input c_ms: u64,
        a = delayed(ms: a_ms),
        b = delayed(ms: b_ms),
        c = after(prev: a, ms: c_ms),
    }
}

#[tokio::test(start_paused = true)]
async fn a_node_starts_when_its_own_inputs_are_ready() {
    let run = Runtime::new()
        .execute(
            Uneven,
            UnevenInput {
                a_ms: 100,
                b_ms: 300,
                c_ms: 100,
            },
        )
        .await
        .unwrap();
    let c = run.node("c").unwrap();
    // `c` starts when `a` is done (100 ms), not when the whole first level is (300 ms).
    assert_eq!(c.started_at, Some(Duration::from_millis(100)));
    assert_eq!(
        c.started_at.unwrap() + c.duration,
        Duration::from_millis(200)
    );
    assert_eq!(run.duration(), Duration::from_millis(300));
    assert_eq!(run.outputs.c, 200);
    assert_eq!(run.outputs.b, 300);
}

// --- ordering and data flow --------------------------------------------------------

type Log = Arc<Mutex<Vec<&'static str>>>;

#[node]
async fn log_step(name: &'static str, log: Res<Log>, ms: u64) -> &'static str {
    sleep_ms(ms).await;
    log.lock().unwrap().push(name);
    name
}

#[node]
async fn log_after(prev: &'static str, name: &'static str, log: Res<Log>) -> String {
    log.lock().unwrap().push(name);
    format!("{prev}->{name}")
}

workflow! {
    struct Ordered {
        input first: &'static str,
        input second: &'static str,
        input ms: u64,
        a = log_step(name: first, ms),
        b = log_after(prev: a, name: second),
    }
}

#[tokio::test(start_paused = true)]
async fn a_consumer_runs_after_its_producer() {
    let log: Log = Arc::default();
    let rt = Runtime::builder().resource(log.clone()).build();
    let run = rt
        .execute(
            Ordered,
            OrderedInput {
                first: "a",
                second: "b",
                ms: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.b, "a->b");
    assert_eq!(*log.lock().unwrap(), ["a", "b"]);
}

#[derive(Debug, PartialEq)]
struct NotClone(u32);

#[node]
async fn make_not_clone(x: u32) -> NotClone {
    NotClone(x)
}

#[node]
async fn unwrap_not_clone(v: NotClone) -> u32 {
    v.0 * 10
}

workflow! {
    struct MovesValues {
        input x: u32,
        made = make_not_clone(x),
        out = unwrap_not_clone(v: made),
    }
}

#[tokio::test]
async fn a_value_with_one_consumer_is_moved_so_it_need_not_be_clone() {
    let run = Runtime::new()
        .execute(MovesValues, MovesValuesInput { x: 4 })
        .await
        .unwrap();
    assert_eq!(run.outputs.out, 40);
}

static CLONES: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
struct Counted(u64);

impl Clone for Counted {
    fn clone(&self) -> Self {
        CLONES.fetch_add(1, Ordering::SeqCst);
        Self(self.0)
    }
}

#[node]
async fn make_counted(x: u64) -> Counted {
    Counted(x)
}

#[node]
async fn read_counted(c: Counted) -> u64 {
    c.0
}

#[node]
async fn add(a: u64, b: u64) -> u64 {
    a + b
}

workflow! {
    struct SingleUse {
        input x: u64,
        made = make_counted(x),
        out = read_counted(c: made),
    }
}

workflow! {
    struct FanOutFanIn {
        input x: u64,
        made = make_counted(x),
        left = read_counted(c: made),
        right = read_counted(c: made),
        sum = add(a: left, b: right),
    }
}

#[tokio::test]
async fn fan_out_clones_for_all_but_the_last_consumer() {
    // Both checks in one test: the clone counter is global to this binary.
    CLONES.store(0, Ordering::SeqCst);
    let rt = Runtime::new();
    let run = rt
        .execute(SingleUse, SingleUseInput { x: 7 })
        .await
        .unwrap();
    assert_eq!(run.outputs.out, 7);
    assert_eq!(CLONES.load(Ordering::SeqCst), 0, "single consumer: moved");

    let run = rt
        .execute(FanOutFanIn, FanOutFanInInput { x: 21 })
        .await
        .unwrap();
    assert_eq!(run.outputs.sum, 42);
    assert_eq!(
        CLONES.load(Ordering::SeqCst),
        1,
        "two consumers: one clone, one move"
    );
}

#[derive(Debug, Clone)]
struct Page {
    items: Vec<u32>,
    title: String,
}

#[node]
async fn page_of(n: u32) -> Page {
    Page {
        items: (1..=n).collect(),
        title: format!("{n} items"),
    }
}

#[node]
async fn sum_items(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

#[node]
async fn shout(title: String) -> String {
    title.to_uppercase()
}

workflow! {
    struct Fields {
        input n: u32,
        #[output]
        page = page_of(n),
        total = sum_items(items: page.items),
        loud = shout(page.title),
    }
}

#[tokio::test]
async fn field_projection_shorthand_and_kept_outputs() {
    let run = Runtime::new()
        .execute(Fields, FieldsInput { n: 4 })
        .await
        .unwrap();
    assert_eq!(run.outputs.total, 10);
    assert_eq!(run.outputs.loud, "4 ITEMS");
    // `#[output]` keeps an intermediate value for the caller.
    assert_eq!(run.outputs.page.items, [1, 2, 3, 4]);
}

// --- failure -----------------------------------------------------------------------

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("simulated async error: {0}")]
struct Simulated(&'static str);

#[node]
async fn failing_task(msg: &'static str) -> Result<u32, Simulated> {
    sleep_ms(100).await;
    Err(Simulated(msg))
}

#[node]
async fn recovery_task(input: u32) -> u32 {
    input
}

#[node]
async fn slow_sibling(ms: u64, dropped: Res<DropCounter>) -> u64 {
    let _guard = dropped.guard();
    sleep_ms(ms).await;
    ms
}

/// Counts futures that started and futures that were dropped (finished or not).
#[derive(Default, Debug)]
struct DropCounter {
    started: AtomicUsize,
    dropped: AtomicUsize,
}

struct Guard<'a>(&'a DropCounter);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

impl DropCounter {
    fn guard(&self) -> Guard<'_> {
        self.started.fetch_add(1, Ordering::SeqCst);
        Guard(self)
    }
}

workflow! {
    struct FailFast {
        input msg: &'static str,
        input ms: u64,
        failing = failing_task(msg),
        recovery = recovery_task(input: failing),
        sibling = slow_sibling(ms),
    }
}

#[tokio::test(start_paused = true)]
async fn the_first_error_stops_the_run_and_keeps_its_type() {
    let counter = Arc::new(DropCounter::default());
    let rt = Runtime::builder().resource_arc(counter.clone()).build();
    let start = Instant::now();
    let RunOutcome { result, report, .. } = rt
        .execute_report(
            FailFast,
            FailFastInput {
                msg: "boom",
                ms: 10_000,
            },
            RunOptions::new(),
        )
        .await;
    let err = result.unwrap_err();
    // Fails at 100 ms: the 10 s sibling is cancelled, not awaited.
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    assert_eq!(err.node(), Some("failing"));
    assert_eq!(err.attempts(), Some(1));
    assert_eq!(err.downcast_ref::<Simulated>(), Some(&Simulated("boom")));
    assert!(
        err.to_string().contains("simulated async error: boom"),
        "{err}"
    );
    // The message is in `{err}`, so `source()` continues below the node's error (which
    // has no source of its own): a chain printer shows "boom" once.
    assert!(std::error::Error::source(&err).is_none());

    assert_eq!(report.node("failing").unwrap().status, NodeStatus::Failed);
    assert_eq!(report.node("recovery").unwrap().status, NodeStatus::Skipped);
    assert_eq!(report.node("recovery").unwrap().attempts, 0);
    assert_eq!(
        report.node("sibling").unwrap().status,
        NodeStatus::Cancelled
    );
    assert_eq!(counter.started.load(Ordering::SeqCst), 1);
    assert_eq!(counter.dropped.load(Ordering::SeqCst), 1, "sibling dropped");

    // The typed error can be taken out, too.
    let RunOutcome { result, .. } = rt
        .execute_report(
            FailFast,
            FailFastInput { msg: "x", ms: 1 },
            RunOptions::new(),
        )
        .await;
    assert_eq!(
        result.unwrap_err().downcast::<Simulated>().unwrap(),
        Simulated("x")
    );
}

#[node]
async fn panicking(x: u32) -> u32 {
    if x > 0 {
        panic!("node exploded with {x}");
    }
    x
}

workflow! {
    struct Panics {
        input x: u32,
        p = panicking(x),
    }
}

#[tokio::test]
async fn a_panicking_node_becomes_an_error_and_the_runtime_survives() {
    let rt = Runtime::new();
    let err = rt.execute(Panics, PanicsInput { x: 3 }).await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.node(), Some("p"));
    assert!(err.to_string().contains("node exploded with 3"), "{err}");
    // The same runtime keeps working.
    let run = rt.execute(Panics, PanicsInput { x: 0 }).await.unwrap();
    assert_eq!(run.outputs.p, 0);
}

// --- cancellation --------------------------------------------------------------------

workflow! {
    struct TwoSleepers {
        input a: u64,
        input b: u64,
        x = slow_sibling(ms: a),
        y = slow_sibling(ms: b),
    }
}

#[tokio::test(start_paused = true)]
async fn dropping_the_run_future_cancels_every_node() {
    let counter = Arc::new(DropCounter::default());
    let rt = Runtime::builder().resource_arc(counter.clone()).build();
    let run = rt.execute(TwoSleepers, TwoSleepersInput { a: 5_000, b: 9_000 });
    let outcome = tokio::time::timeout(Duration::from_millis(10), run).await;
    assert!(outcome.is_err(), "the run must still be going");
    // The timeout dropped the run future: both node futures are gone.
    assert_eq!(counter.started.load(Ordering::SeqCst), 2);
    assert_eq!(counter.dropped.load(Ordering::SeqCst), 2);
    assert_eq!(rt.active_runs(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_cancel_token_stops_the_run_with_a_typed_error() {
    let counter = Arc::new(DropCounter::default());
    let rt = Runtime::builder().resource_arc(counter.clone()).build();
    let token = CancellationToken::new();
    let run = tokio::spawn(rt.execute_with(
        TwoSleepers,
        TwoSleepersInput { a: 5_000, b: 100 },
        RunOptions::new().cancel_token(token.clone()),
    ));
    sleep_ms(1_000).await;
    token.cancel();
    let err = run.await.unwrap().unwrap_err();
    match &err {
        WorkflowError::Cancelled { running, .. } => assert_eq!(running, &["x"]),
        other => panic!("expected Cancelled, got {other:?}"),
    }
    assert_eq!(counter.dropped.load(Ordering::SeqCst), 2);
}

/// Hands its context to a task of its own, which takes the run's token after `take_ms`
/// and cancels it `cancel_ms` later; the node itself returns at once.
#[node]
async fn cancels_later(take_ms: u64, cancel_ms: u64, ctx: &Context) -> u64 {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        sleep_ms(take_ms).await;
        let token = ctx.cancellation().clone();
        sleep_ms(cancel_ms).await;
        token.cancel();
    });
    take_ms
}

/// Takes the run's token in its own task (`#[spawn]`) and cancels it after `ms`.
#[node]
async fn cancels_in_task(ms: u64, ctx: &Context) -> u64 {
    let token = ctx.cancellation().clone();
    sleep_ms(ms).await;
    token.cancel();
    sleep_ms(60_000).await;
    ms
}

workflow! {
    struct CancelledByANode {
        input take: u64,
        input cancel: u64,
        input long: u64,
        canceller = cancels_later(take_ms: take, cancel_ms: cancel),
        slow = wait_ms(ms: long),
    }
}

workflow! {
    struct CancelledByASpawnedNode {
        input cancel: u64,
        input long: u64,
        #[spawn] #[timeout = "100s"]
        canceller = cancels_in_task(ms: cancel),
        slow = wait_ms(ms: long),
    }
}

workflow! {
    struct CancelledByAQueuedNode {
        input cancel: u64,
        input long: u64,
        #[spawn]
        canceller = cancels_in_task(ms: cancel),
        slow = wait_ms(ms: long),
    }
}

/// A run's token is made only when someone asks for it (issue 17): one made outside
/// the run's poll, by a task a node started, long after the run began waiting, still
/// stops the run when cancelled, at once.
#[tokio::test(start_paused = true)]
async fn a_token_taken_late_by_a_nodes_task_still_cancels_the_run() {
    let rt = Runtime::new();
    let start = Instant::now();
    let err = rt
        .execute(
            CancelledByANode,
            CancelledByANodeInput {
                take: 100,
                cancel: 200,
                long: 10_000,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WorkflowError::Cancelled { running, .. } if running == &["slow"]),
        "{err:?}"
    );
    assert_eq!(start.elapsed(), Duration::from_millis(300));
}

/// The same for nodes in tasks of their own: supervised (their own waker) and
/// reporting to the run's outcome queue.
#[tokio::test(start_paused = true)]
async fn a_spawned_node_that_cancels_the_run_stops_it() {
    let rt = Runtime::new();
    let start = Instant::now();
    let err = rt
        .execute(
            CancelledByASpawnedNode,
            CancelledByASpawnedNodeInput {
                cancel: 200,
                long: 10_000,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::Cancelled { .. }), "{err:?}");
    assert_eq!(start.elapsed(), Duration::from_millis(200));
    let start = Instant::now();
    let err = rt
        .execute(
            CancelledByAQueuedNode,
            CancelledByAQueuedNodeInput {
                cancel: 200,
                long: 10_000,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::Cancelled { .. }), "{err:?}");
    assert_eq!(start.elapsed(), Duration::from_millis(200));
}

/// What a task that outlived its run saw: `(ctx.is_cancelled(), its token's)`.
#[derive(Default)]
struct LateLook(Mutex<Option<(bool, bool)>>);

/// Hands its context to a task that looks at the run's token after `ms`.
#[node]
async fn looks_late(ms: u64, ctx: &Context, seen: Res<LateLook>) -> u64 {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        sleep_ms(ms).await;
        let flag = ctx.is_cancelled();
        let token = ctx.cancellation().is_cancelled();
        *seen.0.lock().unwrap() = Some((flag, token));
    });
    ms
}

workflow! {
    struct LooksLate {
        input ms: u64,
        late = looks_late(ms: ms),
    }
}

/// A token first asked for after the run ended is made cancelled.
#[tokio::test(start_paused = true)]
async fn a_token_taken_after_the_run_ended_is_cancelled() {
    let seen = Arc::new(LateLook::default());
    let rt = Runtime::builder().resource_arc(seen.clone()).build();
    rt.execute(LooksLate, LooksLateInput { ms: 500 })
        .await
        .unwrap();
    sleep_ms(1_000).await;
    assert_eq!(*seen.0.lock().unwrap(), Some((true, true)));
}

// --- spawned nodes beside in-task ones ---------------------------------------------------

#[node]
async fn wait_ms(ms: u64) -> u64 {
    sleep_ms(ms).await;
    ms
}

workflow! {
    /// A spawned node (reporting to the run's outcome queue) is pending first; then a
    /// supervised spawned node (its own waker) and an in-task node wait beside it.
    struct QueuedThenWoken {
        input long: u64,
        input mid: u64,
        input short: u64,
        #[spawn]
        queued = wait_ms(ms: long),
        #[spawn] #[timeout = "10s"]
        supervised = wait_ms(ms: mid),
        in_task = wait_ms(ms: short),
        joined = add(a: queued, b: supervised),
        last = add(a: joined, b: in_task),
    }
}

workflow! {
    /// A spawned node reporting to the outcome queue, then an in-task node pending.
    struct QueuedThenInTask {
        input long: u64,
        input short: u64,
        #[spawn]
        queued = wait_ms(ms: long),
        in_task = wait_ms(ms: short),
        last = add(a: queued, b: in_task),
    }
}

/// Regression: a node pending after a spawned node that reports to the outcome queue
/// still gets a wake set (the queue made the pending flags without one, and the wake
/// set was keyed on those: the supervised node's start panicked with "a pending node
/// has a wake set" and an in-task node was never polled again).
#[tokio::test(start_paused = true)]
async fn nodes_pending_after_a_queued_spawned_node_are_woken() {
    let start = Instant::now();
    let run = tokio::time::timeout(
        Duration::from_secs(60),
        Runtime::new().execute(
            QueuedThenWoken,
            QueuedThenWokenInput {
                long: 300,
                mid: 200,
                short: 100,
            },
        ),
    )
    .await
    .expect("the run ends")
    .unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    assert_eq!(run.outputs.last, 600);
    for name in ["queued", "supervised", "in_task", "joined", "last"] {
        assert_eq!(
            run.node(name).unwrap().status,
            NodeStatus::Succeeded,
            "{name}"
        );
    }

    let start = Instant::now();
    let run = tokio::time::timeout(
        Duration::from_secs(60),
        Runtime::new().execute(
            QueuedThenInTask,
            QueuedThenInTaskInput {
                long: 300,
                short: 100,
            },
        ),
    )
    .await
    .expect("the in-task node is polled again when woken")
    .unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    assert_eq!(run.outputs.last, 400);
}

#[node]
async fn fails_at_once(msg: &'static str) -> Result<u64, Simulated> {
    Err(Simulated(msg))
}

workflow! {
    /// A spawned node reporting to the outcome queue is the only pending node when a
    /// node fails on its first poll.
    struct QueuedThenFails {
        input long: u64,
        input msg: &'static str,
        #[spawn]
        queued = wait_ms(ms: long),
        failing = fails_at_once(msg),
    }
}

/// Regression: stopping a run polls its pending nodes once (for `Context::cancelled`),
/// but not a spawned node reporting to the outcome queue: it has no waker of its own
/// (its poll panicked with "a pending node has a wake set" when no node had one).
#[tokio::test(start_paused = true)]
async fn a_run_stopping_with_only_queued_spawned_nodes_pending_drops_them() {
    let start = Instant::now();
    let RunOutcome { result, report, .. } = Runtime::new()
        .execute_report(
            QueuedThenFails,
            QueuedThenFailsInput {
                long: 10_000,
                msg: "first poll",
            },
            RunOptions::new(),
        )
        .await;
    let err = result.unwrap_err();
    assert_eq!(err.node(), Some("failing"));
    assert_eq!(
        err.downcast_ref::<Simulated>(),
        Some(&Simulated("first poll"))
    );
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "the spawned node is not awaited"
    );
    let queued = report.node("queued").unwrap();
    assert_ne!(queued.status, NodeStatus::Succeeded, "{queued:?}");
}

workflow! {
    /// Two spawned nodes without successors: the first to end need not wake the run.
    struct QueuedAtTimeout {
        input short: u64,
        input long: u64,
        #[spawn]
        quick = wait_ms(ms: short),
        #[spawn]
        slow = wait_ms(ms: long),
    }
}

/// Regression: a spawned node that ended before the workflow timeout succeeded, though
/// the run was not woken for it (nothing waited for it): the timeout takes the outcome
/// queue before it names the running nodes.
#[tokio::test(start_paused = true)]
async fn a_timeout_counts_spawned_nodes_that_ended_before_it_as_succeeded() {
    let RunOutcome { result, report, .. } = Runtime::new()
        .execute_report(
            QueuedAtTimeout,
            QueuedAtTimeoutInput {
                short: 100,
                long: 10_000,
            },
            RunOptions::new().timeout(Duration::from_secs(1)),
        )
        .await;
    match result.unwrap_err() {
        WorkflowError::Timeout { running, .. } => assert_eq!(running, ["slow"]),
        other => panic!("expected a timeout, got {other:?}"),
    }
    let quick = report.node("quick").unwrap();
    assert_eq!(quick.status, NodeStatus::Succeeded, "{quick:?}");
    assert_eq!(quick.duration, Duration::from_millis(100), "{quick:?}");
    assert_eq!(report.node("slow").unwrap().status, NodeStatus::Cancelled);
}

// --- many runs -------------------------------------------------------------------------

#[node]
async fn square(x: u64) -> u64 {
    tokio::task::yield_now().await;
    x * x
}

#[node]
async fn plus(a: u64, b: u64) -> u64 {
    a + b
}

workflow! {
    struct Diamond {
        input x: u64,
        s = square(x),
        l = plus(a: s, b: x),
        r = square(x: s),
        out = plus(a: l, b: r),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_runs_on_one_runtime_stay_isolated() {
    let rt = Runtime::new();
    let handles: Vec<_> = (0..1000u64)
        .map(|x| tokio::spawn(rt.execute(Diamond, DiamondInput { x })))
        .collect();
    let mut ids = std::collections::HashSet::new();
    for (x, h) in handles.into_iter().enumerate() {
        let x = x as u64;
        let run = h.await.unwrap().unwrap();
        assert_eq!(run.outputs.out, x * x + x + x * x * x * x);
        assert!(ids.insert(run.run_id()), "run ids are unique");
    }
    assert_eq!(rt.active_runs(), 0);
}

// --- timeouts at the workflow level ----------------------------------------------------

workflow! {
    #[workflow(timeout = "1s")]
    struct Bounded {
        input ms: u64,
        slow = delayed(ms),
    }
}

#[tokio::test(start_paused = true)]
async fn a_workflow_timeout_names_the_running_nodes() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute(Bounded, BoundedInput { ms: 10_000 })
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    match err {
        WorkflowError::Timeout {
            scope,
            limit,
            running,
            ..
        } => {
            assert_eq!(scope, TimeoutScope::Workflow);
            assert_eq!(limit, Duration::from_secs(1));
            assert_eq!(running, ["slow"]);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn nodes_stay_callable_as_plain_async_fns() {
    assert_eq!(square(3).await, 9);
    assert_eq!(failing_task("plain").await.unwrap_err(), Simulated("plain"));
}

#[node]
async fn instant(x: u64) -> u64 {
    x + 1
}

workflow! {
    struct Instant2 {
        input x: u64,
        a = instant(x),
        b = instant(x: a),
    }
}

/// A zero run timeout is not "no timeout": the run times out at its first poll, before
/// any node starts, even when every node would finish without waiting (documented on
/// `RunOptions::timeout`).
#[tokio::test(start_paused = true)]
async fn a_zero_run_timeout_fails_before_any_node_starts() {
    let err = Runtime::new()
        .execute_with(
            Instant2,
            Instant2Input { x: 1 },
            RunOptions::new().timeout(Duration::ZERO),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the run of workflow `Instant2` timed out after 0ns; still running: none"
    );
    let outcome = Runtime::new()
        .execute_report(
            Instant2,
            Instant2Input { x: 1 },
            RunOptions::new().timeout(Duration::ZERO),
        )
        .await;
    assert!(outcome.result.unwrap_err().is_timeout());
    for node in &outcome.report.nodes {
        assert_eq!(node.status, NodeStatus::Skipped, "{node:?}");
        assert_eq!(node.attempts, 0, "{node:?}");
    }
}
