//! Hostile inputs, round 4: fan-outs of no items and of 100,000, sub-workflows nested
//! 50 deep, a zero-backoff retry of a node that fails at once (it never yielded), runs
//! with spawned nodes dropped mid-flight in a loop, cleanup hooks that hang or panic
//! before their future exists.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;

#[node]
async fn inc(x: u64) -> u64 {
    x + 1
}

workflow! {
    struct Wide {
        input xs: Vec<u64>,
        ys = for x in xs {
            y = inc(x),
        } => y,
    }
}

/// A fan-out over no items and over 100,000: one output per item, in order, and
/// nothing left running.
#[tokio::test]
async fn fan_outs_of_no_items_and_of_a_hundred_thousand_run() {
    let rt = Runtime::new();
    let run = rt.execute(Wide, WideInput { xs: vec![] }).await.unwrap();
    assert!(run.outputs.ys.is_empty());
    let xs: Vec<u64> = (0..100_000).collect();
    let run = rt.execute(Wide, WideInput { xs }).await.unwrap();
    assert_eq!(run.outputs.ys.len(), 100_000);
    assert!(run.outputs.ys.iter().zip(1..).all(|(y, want)| *y == want));
    assert_eq!(rt.active_runs(), 0);
}

workflow! {
    struct Deep1 {
        input x: u64,
        y = Deep2(x),
    }
}

workflow! {
    struct Deep2 {
        input x: u64,
        y = Deep3(x),
    }
}

workflow! {
    struct Deep3 {
        input x: u64,
        y = Deep4(x),
    }
}

workflow! {
    struct Deep4 {
        input x: u64,
        y = Deep5(x),
    }
}

workflow! {
    struct Deep5 {
        input x: u64,
        y = Deep6(x),
    }
}

workflow! {
    struct Deep6 {
        input x: u64,
        y = Deep7(x),
    }
}

workflow! {
    struct Deep7 {
        input x: u64,
        y = Deep8(x),
    }
}

workflow! {
    struct Deep8 {
        input x: u64,
        y = Deep9(x),
    }
}

workflow! {
    struct Deep9 {
        input x: u64,
        y = Deep10(x),
    }
}

workflow! {
    struct Deep10 {
        input x: u64,
        y = Deep11(x),
    }
}

workflow! {
    struct Deep11 {
        input x: u64,
        y = Deep12(x),
    }
}

workflow! {
    struct Deep12 {
        input x: u64,
        y = Deep13(x),
    }
}

workflow! {
    struct Deep13 {
        input x: u64,
        y = Deep14(x),
    }
}

workflow! {
    struct Deep14 {
        input x: u64,
        y = Deep15(x),
    }
}

workflow! {
    struct Deep15 {
        input x: u64,
        y = Deep16(x),
    }
}

workflow! {
    struct Deep16 {
        input x: u64,
        y = Deep17(x),
    }
}

workflow! {
    struct Deep17 {
        input x: u64,
        y = Deep18(x),
    }
}

workflow! {
    struct Deep18 {
        input x: u64,
        y = Deep19(x),
    }
}

workflow! {
    struct Deep19 {
        input x: u64,
        y = Deep20(x),
    }
}

workflow! {
    struct Deep20 {
        input x: u64,
        y = Deep21(x),
    }
}

workflow! {
    struct Deep21 {
        input x: u64,
        y = Deep22(x),
    }
}

workflow! {
    struct Deep22 {
        input x: u64,
        y = Deep23(x),
    }
}

workflow! {
    struct Deep23 {
        input x: u64,
        y = Deep24(x),
    }
}

workflow! {
    struct Deep24 {
        input x: u64,
        y = Deep25(x),
    }
}

workflow! {
    struct Deep25 {
        input x: u64,
        y = Deep26(x),
    }
}

workflow! {
    struct Deep26 {
        input x: u64,
        y = Deep27(x),
    }
}

workflow! {
    struct Deep27 {
        input x: u64,
        y = Deep28(x),
    }
}

workflow! {
    struct Deep28 {
        input x: u64,
        y = Deep29(x),
    }
}

workflow! {
    struct Deep29 {
        input x: u64,
        y = Deep30(x),
    }
}

workflow! {
    struct Deep30 {
        input x: u64,
        y = Deep31(x),
    }
}

workflow! {
    struct Deep31 {
        input x: u64,
        y = Deep32(x),
    }
}

workflow! {
    struct Deep32 {
        input x: u64,
        y = Deep33(x),
    }
}

workflow! {
    struct Deep33 {
        input x: u64,
        y = Deep34(x),
    }
}

workflow! {
    struct Deep34 {
        input x: u64,
        y = Deep35(x),
    }
}

workflow! {
    struct Deep35 {
        input x: u64,
        y = Deep36(x),
    }
}

workflow! {
    struct Deep36 {
        input x: u64,
        y = Deep37(x),
    }
}

workflow! {
    struct Deep37 {
        input x: u64,
        y = Deep38(x),
    }
}

workflow! {
    struct Deep38 {
        input x: u64,
        y = Deep39(x),
    }
}

workflow! {
    struct Deep39 {
        input x: u64,
        y = Deep40(x),
    }
}

workflow! {
    struct Deep40 {
        input x: u64,
        y = Deep41(x),
    }
}

workflow! {
    struct Deep41 {
        input x: u64,
        y = Deep42(x),
    }
}

workflow! {
    struct Deep42 {
        input x: u64,
        y = Deep43(x),
    }
}

workflow! {
    struct Deep43 {
        input x: u64,
        y = Deep44(x),
    }
}

workflow! {
    struct Deep44 {
        input x: u64,
        y = Deep45(x),
    }
}

workflow! {
    struct Deep45 {
        input x: u64,
        y = Deep46(x),
    }
}

workflow! {
    struct Deep46 {
        input x: u64,
        y = Deep47(x),
    }
}

workflow! {
    struct Deep47 {
        input x: u64,
        y = Deep48(x),
    }
}

workflow! {
    struct Deep48 {
        input x: u64,
        y = Deep49(x),
    }
}

workflow! {
    struct Deep49 {
        input x: u64,
        y = Deep50(x),
    }
}

workflow! {
    struct Deep50 {
        input x: u64,
        y = inc(x),
    }
}

/// Sub-workflows nested 50 deep (each level's node runs the next level's workflow):
/// the run succeeds on a test thread's stack, and its report names the innermost node
/// by its whole path. (Compiling them needs `#![recursion_limit = "256"]` in the crate,
/// as rustc's error says: the outermost plan constant nests every level's.)
#[tokio::test]
async fn sub_workflows_nested_fifty_deep_run() {
    let rt = Runtime::new();
    let run = rt.execute(Deep1, Deep1Input { x: 1 }).await.unwrap();
    let innermost = format!("{}y", "y.".repeat(49));
    assert!(
        run.report.nodes.iter().any(|n| *n.name == innermost),
        "{:?}",
        run.report.nodes.iter().map(|n| &n.name).collect::<Vec<_>>()
    );
}

#[derive(Debug, thiserror::Error)]
#[error("never works")]
struct Never;

static SPIN_ATTEMPTS: AtomicU32 = AtomicU32::new(0);

/// Fails at once, without awaiting anything, as often as it is retried.
#[node(retry(max = 4294967295, total_timeout = "1s"))]
async fn never_works() -> Result<u64, Never> {
    SPIN_ATTEMPTS.fetch_add(1, Ordering::Relaxed);
    Err(Never)
}

workflow! {
    struct Spins {
        n = never_works(),
    }
}

/// `retry(max = u32::MAX)` with no backoff, of a node that fails without awaiting: the
/// retries ran back to back in one poll of the run, which never returned, so neither
/// the `total_timeout` nor anything else on the thread got a turn (billions of
/// attempts). Each retry without a delay now yields first: a task beside it runs, and
/// dropping the run stops it. (On tokio's paused clock time never moves while the
/// run is busy, so this stops it from beside rather than by its total timeout.)
#[test]
fn a_zero_backoff_retry_loop_lets_the_thread_run_other_tasks() {
    let (done, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let engine = Runtime::new();
            let beside = async {
                for _ in 0..100 {
                    tokio::task::yield_now().await;
                }
            };
            tokio::select! {
                _ = engine.execute(Spins, SpinsInput {}) => panic!("the run ended"),
                () = beside => {}
            }
            assert_eq!(engine.active_runs(), 0);
        });
        let _ = done.send(SPIN_ATTEMPTS.load(Ordering::Relaxed));
    });
    // Only a guard against the hang this was (on the wall clock): the test itself asserts
    // no time.
    let attempts = seen
        .recv_timeout(Duration::from_secs(120))
        .expect("the retry loop never let the task beside it run");
    assert!((1..=1_000).contains(&attempts), "{attempts} attempts");
}

#[node(spawn)]
async fn sleeps_spawned(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    x
}

workflow! {
    struct SpawnedSleeps {
        input first: u64,
        input xs: Vec<u64>,
        a = sleeps_spawned(x: first),
        each = for x in xs {
            s = sleeps_spawned(x),
        } => s,
    }
}

/// Runs with spawned nodes (one in the run, two in fan-out items) dropped mid-flight a
/// thousand times: no run stays active, and once `shutdown` returned no task of them is
/// alive on the tokio runtime.
#[tokio::test(start_paused = true)]
async fn runs_dropped_mid_flight_in_a_loop_leave_no_task_behind() {
    let rt = Runtime::new();
    for _ in 0..1_000 {
        let run = rt.execute(
            SpawnedSleeps,
            SpawnedSleepsInput {
                first: 0,
                xs: vec![1, 2],
            },
        );
        assert!(tokio::time::timeout(Duration::from_millis(1), run)
            .await
            .is_err());
    }
    assert_eq!(rt.active_runs(), 0);
    let report = rt.shutdown().await;
    assert_eq!(report.runs_still_active, 0);
    let metrics = tokio::runtime::Handle::current().metrics();
    assert_eq!(metrics.num_alive_tasks(), 0);
}

struct Quick;
struct Hung;
struct Broken;

/// `shutdown_timeout`'s deadline bounded only the wait for runs: a cleanup hook that
/// never ends hung it for good, and a hook whose closure panicked before returning its
/// future panicked out of it. A hook running past the deadline (counted again from the
/// start of cleanup) is dropped and listed in `cleanup_timed_out`; a closure's panic is
/// the hook's, in `cleanup_panics`; the hooks after them still run.
#[tokio::test(start_paused = true)]
async fn a_hung_cleanup_hook_is_cut_at_the_deadline_and_a_panicking_one_is_reported() {
    use std::any::type_name;
    let quick = Arc::new(AtomicBool::new(false));
    let cleaned = Arc::clone(&quick);
    // Cleanup runs in reverse registration order: `Broken`, `Hung`, then `Quick`.
    let rt = Runtime::builder()
        .resource_with_cleanup(Quick, move |_| async move {
            cleaned.store(true, Ordering::SeqCst);
        })
        .resource_with_cleanup(Hung, |_| std::future::pending::<()>())
        .resource_with_cleanup(Broken, |_| -> std::future::Ready<()> {
            panic!("no future for you")
        })
        .build();
    let start = Instant::now();
    let report = rt.shutdown_timeout(Duration::from_secs(1)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert!(quick.load(Ordering::SeqCst));
    assert_eq!(report.cleaned, [type_name::<Quick>()]);
    assert_eq!(report.cleanup_timed_out, [type_name::<Hung>()]);
    assert_eq!(
        report.cleanup_panics,
        [(type_name::<Broken>(), "no future for you".to_string())]
    );
    assert_eq!(
        report.to_string(),
        format!(
            "shut down with no run in flight; cleaned up: {}; cleanup of {} panicked: no \
             future for you; cleanup of {} did not finish in time",
            type_name::<Quick>(),
            type_name::<Broken>(),
            type_name::<Hung>()
        )
    );
}
