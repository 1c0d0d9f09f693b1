//! `Runtime::shutdown_timeout` on a runtime built with `cancel_on_shutdown`: the runs
//! still in flight at the deadline are cancelled (what a service stopping on `SIGTERM`
//! wants), listed in the report, and waited for at most the deadline again; without
//! it they are left running, as before.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_core::{CancelledRun, RunOutcome};

#[node]
async fn quick() -> u32 {
    tokio::time::sleep(Duration::from_secs(1)).await;
    1
}

#[node]
async fn forever() -> u32 {
    std::future::pending().await
}

workflow! {
    struct Quick {
        q = quick(),
    }
}

workflow! {
    struct Forever {
        f = forever(),
    }
}

/// A flag set by the cleanup hook.
struct Db(Arc<AtomicBool>);

fn runtime(cancel: bool) -> (Runtime, Arc<AtomicBool>) {
    let cleaned = Arc::new(AtomicBool::new(false));
    let rt = Runtime::builder()
        .resource_with_cleanup(Db(Arc::clone(&cleaned)), |db: Arc<Db>| async move {
            db.0.store(true, Ordering::SeqCst);
        })
        .cancel_on_shutdown(cancel)
        .build();
    (rt, cleaned)
}

fn spawn_run<W>(
    rt: &Runtime,
    wf: W,
    input: W::Input,
    opts: RunOptions,
) -> tokio::task::JoinHandle<RunOutcome<W::Output>>
where
    W: Workflow + Send + 'static,
    W::Input: Send + 'static,
    W::Output: Send + 'static,
{
    let rt = rt.clone();
    tokio::spawn(async move { rt.execute_report(wf, input, opts).await })
}

/// Past the deadline the runs left are cancelled, at once; a run whose node takes its
/// `cancel_grace` is waited for a deadline more, then counted as still in flight; the
/// cleanup runs after; the report lists the cancelled runs by id.
#[tokio::test(start_paused = true)]
async fn shutdown_timeout_cancels_the_runs_that_outlive_it() {
    let (rt, cleaned) = runtime(true);
    let quick = spawn_run(&rt, Quick, QuickInput {}, RunOptions::new());
    let a = spawn_run(&rt, Forever, ForeverInput {}, RunOptions::new());
    let b = spawn_run(&rt, Forever, ForeverInput {}, RunOptions::new());
    let slow_to_stop = spawn_run(
        &rt,
        Forever,
        ForeverInput {},
        RunOptions::new().cancel_grace(Duration::from_secs(20)),
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    let began = Instant::now();
    let report = rt.shutdown_timeout(Duration::from_secs(5)).await;
    // 5 s for the runs, 5 s more for the one that takes its grace.
    assert_eq!(began.elapsed(), Duration::from_secs(10));
    assert_eq!(report.runs_still_active, 1, "{report}");
    assert!(cleaned.load(Ordering::SeqCst));

    let quick = quick.await.unwrap();
    assert!(quick.result.is_ok(), "{:?}", quick.result.err());
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    for run in [&a, &b] {
        let Err(e) = &run.result else {
            panic!("not cancelled")
        };
        assert_eq!(
            e.to_string(),
            "run of workflow `Forever` was cancelled; still running: f"
        );
        assert_eq!(format!("{e:#}"), e.to_string());
    }
    let slow = slow_to_stop.await.unwrap();
    assert_eq!(
        began.elapsed(),
        Duration::from_secs(25),
        "it ended as its grace did"
    );
    assert!(
        matches!(slow.result, Err(WorkflowError::Cancelled { .. })),
        "{:?}",
        slow.result.err()
    );
    let mut ids = [a.report.run_id, b.report.run_id, slow.report.run_id];
    ids.sort();
    let expected: Vec<CancelledRun> = report.cancelled.clone();
    assert_eq!(
        expected
            .iter()
            .map(|c| (c.workflow, c.run_id, c.durable_run))
            .collect::<Vec<_>>(),
        ids.iter()
            .map(|&id| ("Forever", id, None))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        report.to_string(),
        format!(
            "shut down with 1 run still in flight; cancelled: run {} of `Forever`, \
             run {} of `Forever`, run {} of `Forever`; cleaned up: {}",
            ids[0],
            ids[1],
            ids[2],
            std::any::type_name::<Db>()
        )
    );
    assert!(!report.is_clean());
    // Again: nothing left to cancel, nothing cleaned twice.
    let again = rt.shutdown_timeout(Duration::from_secs(5)).await;
    assert!(
        again.cancelled.is_empty() && again.cleaned.is_empty(),
        "{again}"
    );
    assert_eq!(rt.active_runs(), 0);
}

/// Runs that all end by the deadline: nothing cancelled, no second wait.
#[tokio::test(start_paused = true)]
async fn a_shutdown_whose_runs_end_in_time_cancels_nothing() {
    let (rt, _) = runtime(true);
    let quick = spawn_run(&rt, Quick, QuickInput {}, RunOptions::new());
    tokio::time::sleep(Duration::from_millis(10)).await;
    let began = Instant::now();
    let report = rt.shutdown_timeout(Duration::from_secs(5)).await;
    assert_eq!(began.elapsed(), Duration::from_millis(990));
    assert!(report.cancelled.is_empty() && report.is_clean(), "{report}");
    assert!(quick.await.unwrap().result.is_ok());
}

/// Without `cancel_on_shutdown`, the runs left are left running, as documented.
#[tokio::test(start_paused = true)]
async fn without_cancel_on_shutdown_the_runs_left_keep_running() {
    let (rt, cleaned) = runtime(false);
    let a = spawn_run(&rt, Forever, ForeverInput {}, RunOptions::new());
    tokio::time::sleep(Duration::from_millis(10)).await;
    let began = Instant::now();
    let report = rt.shutdown_timeout(Duration::from_secs(5)).await;
    assert_eq!(began.elapsed(), Duration::from_secs(5));
    assert_eq!(report.runs_still_active, 1, "{report}");
    assert!(report.cancelled.is_empty());
    assert!(cleaned.load(Ordering::SeqCst));
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(!a.is_finished(), "nothing cancelled it");
    a.abort();
}
