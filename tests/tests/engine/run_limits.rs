//! A run's `concurrency` (`RunOptions::concurrency`, `#[workflow(concurrency = N)]`,
//! `sequential`) bounds the nodes of the child runs its nodes start too: a fan-out's
//! items and a sub-workflow's nodes. A `sequential` run with a fan-out ran all its items
//! at once before (the fan-out counted as one node and its items as nothing).
//!
//! Each node notes how many of its kind are in flight in a `Gauge` resource (one per
//! runtime, so tests do not share it) and sleeps 100 ms on tokio's paused clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;

/// Nodes in flight now, and the most at once.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl Gauge {
    fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }
}

#[node]
async fn work(x: u32, gauge: Res<Gauge>) -> u32 {
    let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
    gauge.most.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    gauge.now.fetch_sub(1, Ordering::SeqCst);
    x * 2
}

workflow! {
    #[workflow(sequential)]
    struct SequentialFanOut {
        input xs: Vec<u32>,
        ys = for x in xs {
            y = work(x),
        } => y,
    }
}

workflow! {
    struct FreeFanOut {
        input xs: Vec<u32>,
        ys = for x in xs {
            y = work(x),
        } => y,
    }
}

workflow! {
    struct BoundedFanOut {
        input xs: Vec<u32>,
        #[concurrency = 1]
        ys = for x in xs {
            y = work(x),
        } => y,
    }
}

fn gauged() -> (Runtime, Arc<Gauge>) {
    let gauge = Arc::new(Gauge::default());
    let runtime = Runtime::builder().resource_arc(Arc::clone(&gauge)).build();
    (runtime, gauge)
}

#[tokio::test(start_paused = true)]
async fn a_sequential_runs_fan_out_runs_its_items_one_at_a_time() {
    let (runtime, gauge) = gauged();
    let start = Instant::now();
    let run = runtime
        .execute(
            SequentialFanOut,
            SequentialFanOutInput {
                xs: vec![1, 2, 3, 4],
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.ys, [2, 4, 6, 8]);
    assert_eq!(gauge.most(), 1);
    assert_eq!(start.elapsed(), Duration::from_millis(400));
}

#[tokio::test(start_paused = true)]
async fn a_runs_concurrency_option_bounds_its_fan_outs_items() {
    let (runtime, gauge) = gauged();
    let start = Instant::now();
    let run = runtime
        .execute_with(
            FreeFanOut,
            FreeFanOutInput {
                xs: (1..=6).collect(),
            },
            RunOptions::new().concurrency(2),
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.ys, [2, 4, 6, 8, 10, 12]);
    assert_eq!(gauge.most(), 2);
    assert_eq!(start.elapsed(), Duration::from_millis(300));
}

#[tokio::test(start_paused = true)]
async fn without_a_limit_every_item_runs_at_once() {
    let (runtime, gauge) = gauged();
    let start = Instant::now();
    runtime
        .execute(
            FreeFanOut,
            FreeFanOutInput {
                xs: vec![1, 2, 3, 4, 5],
            },
        )
        .await
        .unwrap();
    assert_eq!(gauge.most(), 5);
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}

/// The smaller of the two limits wins, whichever it is.
#[tokio::test(start_paused = true)]
async fn the_fan_outs_own_limit_and_the_runs_the_smaller_wins() {
    let (runtime, gauge) = gauged();
    runtime
        .execute_with(
            BoundedFanOut,
            BoundedFanOutInput { xs: vec![1, 2, 3] },
            RunOptions::new().concurrency(3),
        )
        .await
        .unwrap();
    assert_eq!(gauge.most(), 1, "the fan-out's `#[concurrency = 1]`");

    let (runtime, gauge) = gauged();
    runtime
        .execute_with(
            FreeFanOut,
            FreeFanOutInput {
                xs: vec![1, 2, 3, 4],
            },
            RunOptions::new().concurrency(3),
        )
        .await
        .unwrap();
    assert_eq!(gauge.most(), 3, "the run's `concurrency(3)`");
}

workflow! {
    /// Two independent nodes: they run at once unless a limit says otherwise.
    pub(crate) struct Pair {
        input x: u32,
        #[output]
        a = work(x),
        #[output]
        b = work(x),
    }
}

workflow! {
    #[workflow(sequential)]
    struct SequentialWithSub {
        input x: u32,
        p = Pair(x),
    }
}

#[tokio::test(start_paused = true)]
async fn a_sequential_runs_sub_workflow_runs_its_nodes_one_at_a_time() {
    let (runtime, gauge) = gauged();
    let start = Instant::now();
    let run = runtime
        .execute(SequentialWithSub, SequentialWithSubInput { x: 5 })
        .await
        .unwrap();
    assert_eq!((run.outputs.p.a, run.outputs.p.b), (10, 10));
    assert_eq!(gauge.most(), 1);
    assert_eq!(start.elapsed(), Duration::from_millis(200));
}

workflow! {
    struct FanOutOfFanOuts {
        input xss: Vec<Vec<u32>>,
        outer = for xs in xss {
            inner = for x in xs {
                y = work(x),
            } => y,
        } => inner,
    }
}

/// The limit reaches every level, each fan-out on its own: at most two outer items at
/// once, each running at most two of its own items at once (so four `work`s); under
/// `sequential`, one node at a time in the whole run.
#[tokio::test(start_paused = true)]
async fn a_runs_limit_reaches_fan_outs_inside_fan_out_items() {
    let xss = || vec![vec![1, 2, 3], vec![4, 5, 6], vec![7]];
    let (runtime, gauge) = gauged();
    let start = Instant::now();
    let run = runtime
        .execute_with(
            FanOutOfFanOuts,
            FanOutOfFanOutsInput { xss: xss() },
            RunOptions::new().concurrency(2),
        )
        .await
        .unwrap();
    assert_eq!(
        run.outputs.outer,
        [vec![2, 4, 6], vec![8, 10, 12], vec![14]]
    );
    assert_eq!(gauge.most(), 4);
    // Items 0 and 1 side by side (each 3 `work`s, two at a time: 200 ms), then item 2.
    assert_eq!(start.elapsed(), Duration::from_millis(300));

    let (runtime, gauge) = gauged();
    let start = Instant::now();
    runtime
        .execute_with(
            FanOutOfFanOuts,
            FanOutOfFanOutsInput { xss: xss() },
            RunOptions::new().sequential(),
        )
        .await
        .unwrap();
    assert_eq!(gauge.most(), 1);
    assert_eq!(start.elapsed(), Duration::from_millis(700));
}

workflow! {
    /// A run timeout of its own: mapped, each item is a whole child run, not a lane.
    #[workflow(timeout = "10s")]
    pub(crate) struct Timed {
        input x: u32,
        #[output]
        y = work(x),
    }
}

workflow! {
    #[workflow(concurrency = 2)]
    struct MappedTimed {
        input xs: Vec<u32>,
        ys = map(Timed, xs),
    }
}

/// Items run as whole child runs (a body with policies of its own) are bounded alike.
#[tokio::test(start_paused = true)]
async fn items_run_as_child_runs_are_bounded_by_the_runs_limit_too() {
    let (runtime, gauge) = gauged();
    let start = Instant::now();
    let run = runtime
        .execute(
            MappedTimed,
            MappedTimedInput {
                xs: vec![1, 2, 3, 4],
            },
        )
        .await
        .unwrap();
    let ys: Vec<u32> = run.outputs.ys.iter().map(|o| o.y).collect();
    assert_eq!(ys, [2, 4, 6, 8]);
    assert_eq!(gauge.most(), 2);
    assert_eq!(start.elapsed(), Duration::from_millis(200));
}
