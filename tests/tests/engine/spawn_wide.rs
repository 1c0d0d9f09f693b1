//! Spawned fan-outs wider than the outcome queue keeps in place: the run waits on the
//! branches' tasks (`PendingNodes::wait_in_tasks`), and a branch that ends well leaves
//! its outcome in its task. The outputs, the reports' times, failures, stops and
//! cancellation must be those of the queue's way.

use std::time::Duration;

use workflow_core::prelude::*;

#[node]
async fn one() -> u64 {
    1
}

#[node]
async fn plus(a: u64, b: u64) -> u64 {
    a + b
}

/// Sleeps as many milliseconds as the number in its binding's name (`b7`: 7 ms), then
/// adds it to `x`.
#[node]
async fn nap(x: u64, ctx: &Context) -> u64 {
    let k: u64 = ctx.node()[1..].parse().unwrap();
    tokio::time::sleep(Duration::from_millis(k)).await;
    x + k
}

#[node]
async fn never(_x: u64) -> u64 {
    std::future::pending().await
}

#[derive(Debug, thiserror::Error)]
#[error("{0} is too big")]
struct TooBig(u64);

#[node]
async fn at_most_zero(x: u64) -> Result<u64, TooBig> {
    if x > 0 {
        Err(TooBig(x))
    } else {
        Ok(x)
    }
}

#[allow(clippy::too_many_arguments)]
#[node]
async fn sum12(
    a: u64,
    b: u64,
    c: u64,
    d: u64,
    e: u64,
    f: u64,
    g: u64,
    h: u64,
    i: u64,
    j: u64,
    k: u64,
    l: u64,
) -> u64 {
    a + b + c + d + e + f + g + h + i + j + k + l
}

workflow! {
    /// Twelve spawned branches that end at once, and a spawned sink.
    struct WideQuick {
        #[spawn] s = one(),
        #[spawn] b1 = plus(a: s, b: s),
        #[spawn] b2 = plus(a: s, b: s),
        #[spawn] b3 = plus(a: s, b: s),
        #[spawn] b4 = plus(a: s, b: s),
        #[spawn] b5 = plus(a: s, b: s),
        #[spawn] b6 = plus(a: s, b: s),
        #[spawn] b7 = plus(a: s, b: s),
        #[spawn] b8 = plus(a: s, b: s),
        #[spawn] b9 = plus(a: s, b: s),
        #[spawn] b10 = plus(a: s, b: s),
        #[spawn] b11 = plus(a: s, b: s),
        #[spawn] b12 = plus(a: s, b: s),
        #[spawn] sink = sum12(a: b1, b: b2, c: b3, d: b4, e: b5, f: b6, g: b7, h: b8, i: b9, j: b10, k: b11, l: b12),
    }
}

workflow! {
    /// Twelve spawned branches, `bK` ending after K ms.
    struct WideNap {
        #[spawn] s = one(),
        #[spawn] b1 = nap(x: s),
        #[spawn] b2 = nap(x: s),
        #[spawn] b3 = nap(x: s),
        #[spawn] b4 = nap(x: s),
        #[spawn] b5 = nap(x: s),
        #[spawn] b6 = nap(x: s),
        #[spawn] b7 = nap(x: s),
        #[spawn] b8 = nap(x: s),
        #[spawn] b9 = nap(x: s),
        #[spawn] b10 = nap(x: s),
        #[spawn] b11 = nap(x: s),
        #[spawn] b12 = nap(x: s),
        #[spawn] sink = sum12(a: b1, b: b2, c: b3, d: b4, e: b5, f: b6, g: b7, h: b8, i: b9, j: b10, k: b11, l: b12),
    }
}

workflow! {
    /// Eleven spawned branches that end at once and one that fails (`b7`).
    struct WideFailing {
        #[spawn] s = one(),
        #[spawn] b1 = plus(a: s, b: s),
        #[spawn] b2 = plus(a: s, b: s),
        #[spawn] b3 = plus(a: s, b: s),
        #[spawn] b4 = plus(a: s, b: s),
        #[spawn] b5 = plus(a: s, b: s),
        #[spawn] b6 = plus(a: s, b: s),
        #[spawn] b7 = at_most_zero(x: s),
        #[spawn] b8 = plus(a: s, b: s),
        #[spawn] b9 = plus(a: s, b: s),
        #[spawn] b10 = plus(a: s, b: s),
        #[spawn] b11 = plus(a: s, b: s),
        #[spawn] b12 = plus(a: s, b: s),
        #[spawn] sink = sum12(a: b1, b: b2, c: b3, d: b4, e: b5, f: b6, g: b7, h: b8, i: b9, j: b10, k: b11, l: b12),
    }
}

workflow! {
    /// Eleven spawned branches that never end and one that fails (`b12`).
    struct WideFailingAmongHung {
        #[spawn] s = one(),
        #[spawn] b1 = never(_x: s),
        #[spawn] b2 = never(_x: s),
        #[spawn] b3 = never(_x: s),
        #[spawn] b4 = never(_x: s),
        #[spawn] b5 = never(_x: s),
        #[spawn] b6 = never(_x: s),
        #[spawn] b7 = never(_x: s),
        #[spawn] b8 = never(_x: s),
        #[spawn] b9 = never(_x: s),
        #[spawn] b10 = never(_x: s),
        #[spawn] b11 = never(_x: s),
        #[spawn] b12 = at_most_zero(x: s),
        #[spawn] sink = sum12(a: b1, b: b2, c: b3, d: b4, e: b5, f: b6, g: b7, h: b8, i: b9, j: b10, k: b11, l: b12),
    }
}

workflow! {
    /// Twelve spawned branches that never end.
    struct WideHung {
        #[spawn] s = one(),
        #[spawn] b1 = never(_x: s),
        #[spawn] b2 = never(_x: s),
        #[spawn] b3 = never(_x: s),
        #[spawn] b4 = never(_x: s),
        #[spawn] b5 = never(_x: s),
        #[spawn] b6 = never(_x: s),
        #[spawn] b7 = never(_x: s),
        #[spawn] b8 = never(_x: s),
        #[spawn] b9 = never(_x: s),
        #[spawn] b10 = never(_x: s),
        #[spawn] b11 = never(_x: s),
        #[spawn] b12 = never(_x: s),
        #[spawn] sink = sum12(a: b1, b: b2, c: b3, d: b4, e: b5, f: b6, g: b7, h: b8, i: b9, j: b10, k: b11, l: b12),
    }
}

/// Every node succeeded once and started no earlier than its predecessors ended.
fn assert_ran_in_order(report: &workflow_core::RunReport) {
    for node in &report.nodes {
        assert_eq!(node.status, NodeStatus::Succeeded, "{}", node.name);
        assert_eq!(node.attempts, 1, "{}", node.name);
    }
    let ended = |n: &str| {
        let r = report.node(n).unwrap();
        r.started_at.unwrap() + r.duration
    };
    let sink = report.node("sink").unwrap().started_at.unwrap();
    for k in 1..=12 {
        let b = format!("b{k}");
        assert!(
            ended("s") <= report.node(&b).unwrap().started_at.unwrap(),
            "{b}"
        );
        assert!(ended(&b) <= sink, "{b} ended after the sink started");
    }
}

/// Lost wake-ups (a branch's outcome left in its task while the run waits on another's
/// handle, or queued as the run switched to waiting on the tasks): thousands of runs on
/// two workers, each in a task of its own and all joined in one task. A lost wake-up
/// hangs this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_spawned_fan_outs_on_two_workers_all_end() {
    let rt = Runtime::new();
    for round in 0..20 {
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let rt = rt.clone();
                tokio::spawn(async move { rt.execute(WideQuick, WideQuickInput {}).await })
            })
            .collect();
        let joined =
            futures::future::join_all((0..50).map(|_| rt.execute(WideQuick, WideQuickInput {})))
                .await;
        for run in joined {
            let run = run.unwrap();
            assert_eq!(run.outputs.sink, 24, "round {round}");
            assert_ran_in_order(&run.report);
        }
        for task in tasks {
            let run = task.await.unwrap().unwrap();
            assert_eq!(run.outputs.sink, 24, "round {round}");
            assert_ran_in_order(&run.report);
        }
    }
}

/// Each branch is reported at the time it ended (its task's clock reading, taken with
/// its outcome from the task), and the sink starts after the last.
#[tokio::test(start_paused = true)]
async fn each_branch_of_a_wide_spawned_fan_out_is_reported_at_its_own_end() {
    let run = Runtime::new()
        .execute(WideNap, WideNapInput {})
        .await
        .unwrap();
    // 12 × 1 + (1 + … + 12).
    assert_eq!(run.outputs.sink, 90);
    assert_ran_in_order(&run.report);
    for k in 1..=12u64 {
        let b = run.report.node(&format!("b{k}")).unwrap();
        assert_eq!(b.duration, Duration::from_millis(k), "b{k}");
    }
    let sink = run.report.node("sink").unwrap();
    assert_eq!(sink.started_at, Some(Duration::from_millis(12)));
}

/// A run timeout while some branches ended and others run: those that ended count as
/// succeeded at their times, the others as stopped.
#[tokio::test(start_paused = true)]
async fn a_timeout_counts_the_branches_of_a_wide_fan_out_that_ended_before_it() {
    let opts = RunOptions::new().timeout(Duration::from_micros(6_500));
    let outcome = Runtime::new()
        .execute_report(WideNap, WideNapInput {}, opts)
        .await;
    let err = outcome.result.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    for k in 1..=12u64 {
        let b = outcome.report.node(&format!("b{k}")).unwrap();
        if k <= 6 {
            assert_eq!(b.status, NodeStatus::Succeeded, "b{k}");
            assert_eq!(b.duration, Duration::from_millis(k), "b{k}");
        } else {
            assert_eq!(b.status, NodeStatus::Cancelled, "b{k}");
        }
    }
    assert_eq!(
        outcome.report.node("sink").unwrap().status,
        NodeStatus::Skipped
    );
}

/// A stall limit shorter than the fan-out but longer than the gaps between its
/// branches' ends: each end is progress, though the run is not woken for it.
#[tokio::test(start_paused = true)]
async fn branches_ending_in_their_tasks_are_progress_for_the_stall_limit() {
    let opts = RunOptions::new().deadlock(Duration::from_micros(1_500));
    let run = Runtime::new()
        .execute_with(WideNap, WideNapInput {}, opts)
        .await
        .unwrap();
    assert_eq!(run.outputs.sink, 90);
}

/// A failing branch wakes the run at once, whichever way the others end: fail-fast
/// stops the run with its error while eleven branches never end; with
/// `failure = "continue"` the sink is skipped and the other branches succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_branch_of_a_wide_spawned_fan_out_fails_fast_or_continues() {
    let rt = Runtime::new();
    for _ in 0..100 {
        let err = rt
            .execute(WideFailingAmongHung, WideFailingAmongHungInput {})
            .await
            .unwrap_err();
        assert_eq!(err.node(), Some("b12"), "{err}");
        assert!(err.to_string().contains("1 is too big"), "{err}");

        let err = rt
            .execute(WideFailing, WideFailingInput {})
            .await
            .unwrap_err();
        assert_eq!(err.node(), Some("b7"), "{err}");

        let opts = RunOptions::new().failure(FailurePolicy::Continue);
        let outcome = rt
            .execute_report(WideFailing, WideFailingInput {}, opts)
            .await;
        assert_eq!(outcome.result.unwrap_err().node(), Some("b7"));
        let status = |n: &str| outcome.report.node(n).unwrap().status;
        assert_eq!(status("b7"), NodeStatus::Failed);
        assert_eq!(status("sink"), NodeStatus::Skipped);
        for k in (1..=12).filter(|&k| k != 7) {
            assert_eq!(status(&format!("b{k}")), NodeStatus::Succeeded, "b{k}");
        }
    }
}

/// Cancellation reaches a run waiting on its branches' tasks at any point.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_run_waiting_on_a_wide_fan_out_ends_it() {
    let rt = Runtime::new();
    for k in 0..500u32 {
        let token = CancellationToken::new();
        let opts = RunOptions::new().cancel_token(token.clone());
        let run = tokio::spawn(rt.execute_with(WideHung, WideHungInput {}, opts));
        for _ in 0..k % 40 {
            tokio::task::yield_now().await;
        }
        token.cancel();
        let err = run.await.unwrap().unwrap_err();
        assert!(
            matches!(err, WorkflowError::Cancelled { .. }),
            "cancelled after {} yields: {err}",
            k % 40
        );
    }
    tokio::time::timeout(Duration::from_secs(60), rt.shutdown())
        .await
        .expect("shutdown waits for the aborted branches only");
}

/// Counts its start in the run's `AtomicUsize`, then never ends.
#[node]
async fn never_noted(_x: u64, started: Res<std::sync::atomic::AtomicUsize>) -> u64 {
    started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::future::pending().await
}

workflow! {
    /// Twelve spawned branches that count their start and never end.
    struct WideHungNoted {
        #[spawn] s = one(),
        #[spawn] b1 = never_noted(_x: s),
        #[spawn] b2 = never_noted(_x: s),
        #[spawn] b3 = never_noted(_x: s),
        #[spawn] b4 = never_noted(_x: s),
        #[spawn] b5 = never_noted(_x: s),
        #[spawn] b6 = never_noted(_x: s),
        #[spawn] b7 = never_noted(_x: s),
        #[spawn] b8 = never_noted(_x: s),
        #[spawn] b9 = never_noted(_x: s),
        #[spawn] b10 = never_noted(_x: s),
        #[spawn] b11 = never_noted(_x: s),
        #[spawn] b12 = never_noted(_x: s),
        #[spawn] sink = sum12(a: b1, b: b2, c: b3, d: b4, e: b5, f: b6, g: b7, h: b8, i: b9, j: b10, k: b11, l: b12),
    }
}

workflow! {
    /// Three spawned branches that count their start and never end (fewer than the
    /// outcome queue keeps in place: the run waits on the queue, not on the tasks).
    struct FewHungNoted {
        #[spawn] s = one(),
        #[spawn] b1 = never_noted(_x: s),
        #[spawn] b2 = never_noted(_x: s),
        #[spawn] b3 = never_noted(_x: s),
        #[spawn] sink = plus(a: b1, b: b2),
        #[spawn] last = plus(a: sink, b: b3),
    }
}

/// Runs the run `start` makes (by `futures`' `block_on`) on a thread of its own, its
/// spawned nodes on a tokio runtime of one worker, which is shut down once
/// `branches` nodes started: their tasks are cancelled (`JoinError` cancelled) while the
/// run waits on them. Asserts that the run fails with the nodes' failure
/// (`NodePanicked`, "task was cancelled"); a failure to end within a minute fails the
/// test (a guard against a hang, not a measure).
fn fails_once_its_tokio_runtime_shuts_down<O: 'static>(
    start: impl FnOnce(Runtime) -> workflow_core::RunFuture<O> + Send + 'static,
    branches: usize,
) {
    let started = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let nodes = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let handle = nodes.handle().clone();
    let rt = Runtime::builder().resource_arc(started.clone()).build();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _in = handle.enter();
        let result = crate::block_on::block_on(start(rt));
        let _ = tx.send(result.err().map(|e| format!("{e:?}")));
    });
    while started.load(std::sync::atomic::Ordering::SeqCst) < branches {
        std::thread::yield_now();
    }
    nodes.shutdown_background();
    let error = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the run ends once its nodes' tasks are cancelled")
        .expect("the run fails");
    assert!(error.contains("NodePanicked"), "{error}");
    assert!(error.contains("task was cancelled"), "{error}");
}

/// A spawned fan-out wider than the queue keeps in place waits on its branches'
/// `JoinHandle`s; tokio's shutdown cancels the tasks. A handle that gave the error was
/// dropped and the node stayed pending for ever: the run never ended. Each branch now
/// fails, as a spawned attempt of a supervised node does (`NodePanicked`, "task was
/// cancelled"), and the run ends with that error.
#[test]
fn a_wide_spawned_fan_out_whose_tasks_the_runtime_cancels_fails() {
    fails_once_its_tokio_runtime_shuts_down(
        |rt| rt.execute(WideHungNoted, WideHungNotedInput {}),
        12,
    );
}

/// The same with three branches, which report to the run's outcome queue: nothing
/// looks at their handles while the run waits on the queue, and a cancelled task
/// queued nothing, so the run waited for ever. The spawned node's task future now
/// queues the node's failure when it is dropped before it ended.
#[test]
fn a_few_spawned_branches_whose_tasks_the_runtime_cancels_fail() {
    fails_once_its_tokio_runtime_shuts_down(|rt| rt.execute(FewHungNoted, FewHungNotedInput {}), 3);
}

/// Panics (`x > 0`), else returns `x`.
#[node]
async fn panics_above_zero(x: u64) -> u64 {
    assert!(x == 0, "boom branch {x}");
    x
}

workflow! {
    /// Eleven spawned branches that never end and one that panics (`b7`).
    struct WidePanicking {
        #[spawn] s = one(),
        #[spawn] b1 = never(_x: s),
        #[spawn] b2 = never(_x: s),
        #[spawn] b3 = never(_x: s),
        #[spawn] b4 = never(_x: s),
        #[spawn] b5 = never(_x: s),
        #[spawn] b6 = never(_x: s),
        #[spawn] b7 = panics_above_zero(x: s),
        #[spawn] b8 = never(_x: s),
        #[spawn] b9 = never(_x: s),
        #[spawn] b10 = never(_x: s),
        #[spawn] b11 = never(_x: s),
        #[spawn] b12 = never(_x: s),
        #[spawn] sink = sum12(a: b1, b: b2, c: b3, d: b4, e: b5, f: b6, g: b7, h: b8, i: b9, j: b10, k: b11, l: b12),
    }
}

/// A branch of a wide spawned fan-out that panics is that node's `NodePanicked`, with
/// its message, and stops the run while the others never end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_branch_of_a_wide_spawned_fan_out_is_its_node_panicked() {
    let rt = Runtime::new();
    for _ in 0..20 {
        let err = rt
            .execute(WidePanicking, WidePanickingInput {})
            .await
            .unwrap_err();
        match &err {
            WorkflowError::NodePanicked { node, message, .. } => {
                assert_eq!(*node, "b7", "{err}");
                assert_eq!(message, "boom branch 1", "{err}");
            }
            other => panic!("not b7's panic: {other:?}"),
        }
    }
    assert_eq!(rt.active_runs(), 0);
}
