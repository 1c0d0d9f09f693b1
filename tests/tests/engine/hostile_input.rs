//! Where and how a run is driven, as an outside crate may do it: inside `spawn_blocking`
//! on a current-thread runtime, with the tokio runtime dropped under it, or outside tokio
//! altogether. Each either works, or fails as `Runtime::execute` documents: outside
//! tokio, a run that needs tokio's timer or spawner is `WorkflowError::NeedsTokio`.

use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::{NodeName, TokioNeed};

use crate::block_on::block_on;

#[node]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[node]
async fn plain(x: u64) -> u64 {
    x + 1
}

#[node(spawn)]
async fn spawned(x: u64) -> u64 {
    x + 1
}

#[node(timeout = "1s")]
async fn limited(x: u64) -> u64 {
    x + 1
}

workflow! {
    struct Plain {
        input x: u64,
        a = plain(x),
        b = plain(x: a),
    }
}

workflow! {
    struct WithSpawn {
        input x: u64,
        a = spawned(x),
    }
}

workflow! {
    struct WithTimeout {
        input x: u64,
        a = limited(x),
    }
}

workflow! {
    struct Naps {
        input mss: Vec<u64>,
        naps = for ms in mss {
            n = nap(ms),
        } => n,
    }
}

/// A run of in-task nodes needs nothing of tokio: it runs on any executor, traced too,
/// and `shutdown` with no run in flight returns at once.
#[test]
fn outside_tokio_a_run_of_plain_nodes_works() {
    let rt = Runtime::new();
    let run = block_on(rt.execute(Plain, PlainInput { x: 1 })).unwrap();
    assert_eq!(run.outputs.b, 3);
    let opts = RunOptions::new().trace(true);
    let run = block_on(rt.execute_with(Plain, PlainInput { x: 1 }, opts)).unwrap();
    assert!(run.trace.is_some());
    assert_eq!(block_on(rt.shutdown()).runs_still_active, 0);
}

workflow! {
    struct WithSub {
        input x: u64,
        p = plain(x),
        inner = WithSpawn(x: p),
    }
}

workflow! {
    struct TimedItems {
        input xs: Vec<u64>,
        each = for x in xs {
            t = limited(x),
        } => t,
    }
}

workflow! {
    #[workflow(deadlock = "1s")]
    struct StallWatched {
        input x: u64,
        a = plain(x),
    }
}

/// The run's error outside tokio, with what `NeedsTokio` says: the node named and what
/// needs tokio. No run stays active.
fn needs_tokio<O: std::fmt::Debug>(
    rt: &Runtime,
    run: workflow_core::RunFuture<O>,
) -> (Option<NodeName>, TokioNeed, String) {
    let err = block_on(run).unwrap_err();
    assert_eq!(rt.active_runs(), 0);
    match &err {
        WorkflowError::NeedsTokio { node, cause, .. } => (node.clone(), *cause, err.to_string()),
        other => panic!("expected NeedsTokio, got {other:?}"),
    }
}

/// A run timeout outside tokio was tokio's panic ("must be called from the context of a
/// Tokio 1.x runtime") out of the caller's `block_on`; it is a typed error before any
/// node runs, saying what needs tokio and what to do.
#[test]
fn outside_tokio_a_run_timeout_is_a_needs_tokio_error() {
    let rt = Runtime::new();
    let opts = RunOptions::new().timeout(Duration::from_secs(1));
    let (node, cause, message) =
        needs_tokio(&rt, rt.execute_with(Plain, PlainInput { x: 1 }, opts));
    assert_eq!((node, cause), (None, TokioNeed::RunTimeout));
    assert_eq!(
        message,
        "workflow `Plain` needs a tokio runtime because of its run timeout (tokio's timer), \
         and was polled outside one (another executor's `block_on`): run it inside a tokio \
         runtime (`#[tokio::main]`, `tokio::runtime::Runtime::block_on`), or drop the timeout"
    );
}

/// A stall limit, from the options or the workflow's `deadlock`, is the same error.
#[test]
fn outside_tokio_a_stall_limit_is_a_needs_tokio_error() {
    let rt = Runtime::new();
    let opts = RunOptions::new().deadlock(Duration::from_secs(1));
    let (node, cause, _) = needs_tokio(&rt, rt.execute_with(Plain, PlainInput { x: 1 }, opts));
    assert_eq!((node, cause), (None, TokioNeed::StallLimit));
    let (node, cause, message) =
        needs_tokio(&rt, rt.execute(StallWatched, StallWatchedInput { x: 1 }));
    assert_eq!((node, cause), (None, TokioNeed::StallLimit));
    assert!(
        message.ends_with("or drop the `deadlock` limit"),
        "{message}"
    );
}

/// A `#[node(spawn)]` node outside tokio was tokio's panic out of the caller; it is the
/// error naming the node, in a sub-workflow by its path.
#[test]
fn outside_tokio_a_spawned_node_is_a_needs_tokio_error_naming_it() {
    let rt = Runtime::new();
    let (node, cause, message) = needs_tokio(&rt, rt.execute(WithSpawn, WithSpawnInput { x: 1 }));
    assert_eq!((node.as_deref(), cause), (Some("a"), TokioNeed::Spawn));
    assert_eq!(
        message,
        "workflow `WithSpawn` needs a tokio runtime because of the `spawn` (tokio's task \
         spawner) of its node `a`, and was polled outside one (another executor's \
         `block_on`): run it inside a tokio runtime (`#[tokio::main]`, \
         `tokio::runtime::Runtime::block_on`), or drop `spawn` from the node"
    );
    let (node, cause, _) = needs_tokio(&rt, rt.execute(WithSub, WithSubInput { x: 1 }));
    assert_eq!(
        (node.as_deref(), cause),
        (Some("inner.a"), TokioNeed::Spawn)
    );
}

/// A node's timeout outside tokio was that node's `NodePanicked` with tokio's message,
/// after the nodes before it ran; it is the error naming the node before any runs, in
/// a fan-out's items as `each[].t`.
#[test]
fn outside_tokio_a_node_timeout_is_a_needs_tokio_error_naming_it() {
    let rt = Runtime::new();
    let (node, cause, _) = needs_tokio(&rt, rt.execute(WithTimeout, WithTimeoutInput { x: 1 }));
    assert_eq!(
        (node.as_deref(), cause),
        (Some("a"), TokioNeed::NodeTimeout)
    );
    let input = TimedItemsInput { xs: vec![1, 2] };
    let (node, cause, message) = needs_tokio(&rt, rt.execute(TimedItems, input));
    assert_eq!(
        (node.as_deref(), cause),
        (Some("each[].t"), TokioNeed::NodeTimeout)
    );
    assert!(
        message.contains("the timeout (tokio's timer) of its node `each[].t`"),
        "{message}"
    );
}

/// Inside a tokio runtime the same runs work: the check looks for the runtime, it does
/// not refuse the options.
#[tokio::test(start_paused = true)]
async fn inside_tokio_the_same_runs_work() {
    let rt = Runtime::new();
    let opts = RunOptions::new()
        .timeout(Duration::from_secs(1))
        .deadlock(Duration::from_secs(1));
    assert_eq!(
        rt.execute_with(Plain, PlainInput { x: 1 }, opts)
            .await
            .unwrap()
            .outputs
            .b,
        3
    );
    assert_eq!(
        rt.execute(WithSub, WithSubInput { x: 1 })
            .await
            .unwrap()
            .outputs
            .inner
            .a,
        3
    );
    let input = TimedItemsInput { xs: vec![1, 2] };
    assert_eq!(
        rt.execute(TimedItems, input).await.unwrap().outputs.each,
        [2, 3]
    );
    let run = rt.execute(StallWatched, StallWatchedInput { x: 1 }).await;
    assert_eq!(run.unwrap().outputs.a, 2);
}

/// On a blocking thread of a current-thread runtime, a run driven by
/// `Handle::block_on` spawns its `#[node(spawn)]` node on that runtime and ends.
#[test]
fn a_run_driven_inside_spawn_blocking_of_a_current_thread_runtime() {
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = tokio_rt.block_on(async {
        let rt = Runtime::new();
        tokio::task::spawn_blocking(move || {
            let handle = tokio::runtime::Handle::current();
            handle.block_on(rt.execute(WithSpawn, WithSpawnInput { x: 1 }))
        })
        .await
        .unwrap()
    });
    assert_eq!(out.unwrap().outputs.a, 2);
}

/// The tokio runtime dropped under runs in flight (a sleeping fan-out, a spawned node):
/// the runs are dropped with their tasks, the workflow runtime counts none active, and
/// its `shutdown` on another tokio runtime returns at once instead of waiting for them.
#[test]
fn a_tokio_runtime_dropped_mid_run_leaves_no_run_active() {
    let rt = Runtime::new();
    {
        let tokio_rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (one, two) = (rt.clone(), rt.clone());
        tokio_rt.spawn(async move {
            let input = NapsInput {
                mss: vec![3_600_000, 3_600_000],
            };
            one.execute(Naps, input).await
        });
        tokio_rt.spawn(async move { two.execute(WithSpawn, WithSpawnInput { x: 1 }).await });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while rt.active_runs() == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the runs never started"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    assert_eq!(rt.active_runs(), 0);
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let report = tokio_rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), rt.shutdown()).await })
        .expect("shutdown returns");
    assert_eq!(report.runs_still_active, 0);
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

#[node]
async fn refuses() -> Result<u64, Refused> {
    Err(Refused)
}

#[node]
async fn forever() -> u64 {
    std::future::pending::<()>().await;
    0
}

#[node(retry(max = 3, backoff = "10ms"))]
async fn refuses_and_retries(x: u64) -> Result<u64, Refused> {
    Err(Refused).map(|()| x)
}

workflow! {
    struct FailsBesideForever {
        f = forever(),
        r = refuses(),
    }
}

workflow! {
    struct FailsAlone {
        r = refuses(),
    }
}

workflow! {
    struct Retries {
        input x: u64,
        input xs: Vec<u64>,
        p = plain(x),
        each = for x in xs {
            r = refuses_and_retries(x),
        } => r,
    }
}

/// Outside tokio, a run with a `cancel_grace` that stopped with nodes in flight (a node
/// failed beside one that never ends) panicked in tokio's timer; the run now ends with
/// its own error and `NeedsTokio` (`CancelGrace`) beside it, the nodes dropped at once.
/// With no node in flight there is nothing to wait for, and the run fails as it would
/// without the grace.
#[test]
fn outside_tokio_a_grace_with_nodes_in_flight_is_a_needs_tokio_error_beside_the_run_s() {
    let rt = Runtime::new();
    let opts = || RunOptions::new().cancel_grace(Duration::from_secs(1));
    let run = rt.execute_with(FailsBesideForever, FailsBesideForeverInput {}, opts());
    let err = block_on(run).unwrap_err();
    assert_eq!(rt.active_runs(), 0);
    let WorkflowError::Multiple { errors, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.len(), 2, "{err}");
    assert_eq!(errors[0].node(), Some("r"), "{err}");
    assert!(errors[0].downcast_ref::<Refused>().is_some(), "{err}");
    assert!(
        matches!(
            errors[1],
            WorkflowError::NeedsTokio {
                node: None,
                cause: TokioNeed::CancelGrace,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        errors[1].to_string(),
        "workflow `FailsBesideForever` needs a tokio runtime because of its `cancel_grace` \
         (tokio's timer; it stopped with nodes in flight), and was polled outside one \
         (another executor's `block_on`): run it inside a tokio runtime (`#[tokio::main]`, \
         `tokio::runtime::Runtime::block_on`), or drop the grace"
    );
    let err = block_on(rt.execute_with(FailsAlone, FailsAloneInput {}, opts())).unwrap_err();
    assert!(err.downcast_ref::<Refused>().is_some(), "{err:?}");
}

/// Outside tokio, a retry's backoff was tokio's panic in the node (`NodePanicked` with
/// tokio's message); it is now `NeedsTokio` (`RetryBackoff`) naming the node by its path,
/// after its first attempt. The nodes that need no retry ran.
#[test]
fn outside_tokio_a_retry_backoff_is_a_needs_tokio_error_naming_the_node() {
    let rt = Runtime::new();
    let err = block_on(rt.execute(Retries, RetriesInput { x: 1, xs: vec![1] })).unwrap_err();
    assert_eq!(rt.active_runs(), 0);
    let WorkflowError::NeedsTokio { node, cause, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (node.as_deref(), *cause),
        (Some("each[0].r"), TokioNeed::RetryBackoff)
    );
    assert!(
        err.to_string()
            .contains("because of the retry backoff (tokio's timer) of its node `each[0].r`"),
        "{err}"
    );
}

#[node]
async fn hangs(x: u64) -> u64 {
    std::future::pending::<()>().await;
    x
}

workflow! {
    struct FailsBesideHungItems {
        input xs: Vec<u64>,
        each = for x in xs {
            h = hangs(x),
        } => h,
        r = refuses(),
    }
}

workflow! {
    struct HangsInside {
        input x: u64,
        h = hangs(x),
    }
}

workflow! {
    struct FailsBesideHungSub {
        input x: u64,
        inner = HangsInside(x),
        r = refuses(),
    }
}

/// Outside tokio, a run with a `cancel_grace` stopping with a sub-workflow or fan-out
/// items in flight: the sub-workflow's run inherited the grace and said `NeedsTokio`
/// (`CancelGrace`) of its own beside the root's, so the error listed it twice; a
/// fan-out item's lane waited out the grace in tokio's timer, which panicked, and the
/// panic was lost (the run's error was the failed node's alone). Only the
/// run whose grace it is says it now: the node's error, then one `CancelGrace`, naming
/// the root's workflow; the nodes inside are dropped at once.
#[test]
fn outside_tokio_a_grace_inherited_by_child_runs_is_said_once() {
    let rt = Runtime::new();
    let opts = || RunOptions::new().cancel_grace(Duration::from_secs(1));
    let input = FailsBesideHungItemsInput { xs: vec![1, 2] };
    let items = block_on(rt.execute_with(FailsBesideHungItems, input, opts())).unwrap_err();
    let sub = FailsBesideHungSubInput { x: 1 };
    let sub = block_on(rt.execute_with(FailsBesideHungSub, sub, opts())).unwrap_err();
    assert_eq!(rt.active_runs(), 0);
    for (err, workflow) in [(items, "FailsBesideHungItems"), (sub, "FailsBesideHungSub")] {
        check_one_grace(&err, workflow);
    }
}

fn check_one_grace(err: &WorkflowError, workflow: &str) {
    // Wherever it is nested, each `CancelGrace` shows in the error's `Debug`.
    let debug = format!("{err:?}");
    assert_eq!(debug.matches("CancelGrace").count(), 1, "{debug}");
    let WorkflowError::Multiple { errors, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.len(), 2, "{err}");
    assert!(errors[0].downcast_ref::<Refused>().is_some(), "{err}");
    assert!(
        matches!(
            errors[1],
            WorkflowError::NeedsTokio {
                workflow: w,
                node: None,
                cause: TokioNeed::CancelGrace,
            } if w == workflow
        ),
        "{err:?}"
    );
}
