//! What the report says about nodes the run had started but whose fn had not run yet when
//! it stopped: a node waiting for a `max_concurrent_nodes` permit, and a spawned node
//! whose task tokio had not polled when a fail-fast stop came in the same instant. Their
//! fn never ran, so they are skipped with no attempt (not cancelled, not counted as
//! executed), and a node waiting for a permit is not shown running meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::NodeStatus;
use workflow_test::Harness;

static HOLD_CALLS: AtomicUsize = AtomicUsize::new(0);
static QUEUED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[node]
async fn hold() -> u32 {
    HOLD_CALLS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    1
}

#[node]
async fn queued() -> u32 {
    QUEUED_CALLS.fetch_add(1, Ordering::SeqCst);
    2
}

workflow! {
    struct Queue {
        hold = hold(),
        queued = queued(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_node_waiting_for_a_node_limit_permit_is_not_running_and_never_ran() {
    let h = Harness::builder().max_concurrent_nodes(1).build();
    let run = tokio::spawn(h.execute_with(
        Queue,
        QueueInput {},
        RunOptions::new().timeout(Duration::from_millis(100)),
    ));
    tokio::time::sleep(Duration::from_millis(10)).await;

    // `hold` has the only permit; `queued` waits for it and has not started.
    let live = h.live_runs();
    let status = |n: &str| live[0].nodes.iter().find(|x| x.name == n).unwrap().status;
    assert_eq!(status("hold"), NodeStatus::Running, "{}", live[0]);
    assert_eq!(status("queued"), NodeStatus::NotStarted, "{}", live[0]);

    // The workflow timeout stops the run while `queued` still waits.
    h.assert_timeout(run.await.unwrap());
    let report = h.last_run().unwrap().report().clone();
    let hold = report.node("hold").unwrap();
    assert_eq!((hold.status, hold.attempts), (NodeStatus::Cancelled, 1));
    let queued = report.node("queued").unwrap();
    assert_eq!(queued.status, NodeStatus::Skipped, "{report}");
    assert_eq!(queued.attempts, 0);
    assert_eq!(queued.started_at, None);
    assert!(!queued.status.ran());
    assert_eq!(h.execution_count("queued"), 0);
    assert_eq!(QUEUED_CALLS.load(Ordering::SeqCst), 0);
    assert_eq!(HOLD_CALLS.load(Ordering::SeqCst), 1);
}

static SPY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[node]
async fn source() -> u32 {
    1
}

#[node]
async fn spy(x: u32) -> u32 {
    SPY_CALLS.fetch_add(1, Ordering::SeqCst);
    x
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

#[node]
async fn refuse(x: u32) -> Result<u32, Refused> {
    let _ = x;
    Err(Refused)
}

workflow! {
    struct SameInstant {
        src = source(),
        // Started first (declared first), as a task tokio polls later, then `fail` fails
        // at once in the same poll of the run: the run stops before the task ran.
        #[spawn]
        spy = spy(x: src),
        fail = refuse(x: src),
    }
}

#[tokio::test(start_paused = true)]
async fn a_spawned_node_stopped_before_its_task_ran_never_ran() {
    let h = Harness::new();
    let err = h.assert_failure(h.execute(SameInstant, SameInstantInput {}).await);
    assert_eq!(err.node(), Some("fail"));
    // Whatever tokio does with the aborted task, its body never runs.
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(SPY_CALLS.load(Ordering::SeqCst), 0);

    let report = h.last_run().unwrap().report().clone();
    let spy = report.node("spy").unwrap();
    assert_eq!(spy.status, NodeStatus::Skipped, "{report}");
    assert_eq!(spy.attempts, 0);
    assert_eq!(spy.started_at, None);
    assert_eq!(h.execution_count("spy"), 0);
    assert_eq!(report.node("fail").unwrap().status, NodeStatus::Failed);
}
