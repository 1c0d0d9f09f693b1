//! Retry jitter across processes: each runtime mixes a seed of its own (random unless
//! `RuntimeBuilder::jitter_seed` fixes it) into its runs' delays, as run ids start at 1
//! in every process. Each process here is this test binary running one `#[ignore]`d
//! test, so its first run has the same id every time.

use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::trace::TraceKind;

#[derive(Debug, thiserror::Error)]
#[error("down")]
struct Down;

/// Fails three times (backoffs of 1 s, 2 s and 4 s before jitter), then answers.
#[node(retry(max = 4, backoff = "1s", jitter))]
async fn down_thrice(ctx: &Context) -> Result<u32, Down> {
    if ctx.attempt() < 4 {
        Err(Down)
    } else {
        Ok(ctx.attempt())
    }
}

workflow! {
    struct Jittered {
        x = down_thrice(),
    }
}

/// The environment variable the inner test reads a fixed seed from.
const SEED: &str = "WORKFLOW_TEST_JITTER_SEED";

/// Runs `Jittered` once (the process's first run) and prints its run id and delays.
#[ignore = "run in a process of its own by the tests below"]
#[tokio::test(start_paused = true)]
async fn inner_print_first_run_delays() {
    let mut builder = Runtime::builder();
    if let Ok(seed) = std::env::var(SEED) {
        builder = builder.jitter_seed(seed.parse().unwrap());
    }
    let rt = builder.build();
    let run = rt
        .execute_with(Jittered, JitteredInput {}, RunOptions::new().trace(true))
        .await
        .unwrap();
    assert_eq!(run.outputs.x, 4);
    let id = run.run_id();
    let delays: Vec<u128> = run
        .trace
        .unwrap()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Retrying { delay, .. } => Some(delay.as_nanos()),
            _ => None,
        })
        .collect();
    println!("run={id} delays={delays:?}");
}

/// The run id and delays (in nanoseconds) the inner test printed in a fresh process,
/// with `seed` fixed or not.
fn first_run_in_a_new_process(seed: Option<u64>) -> (u64, Vec<Duration>) {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child.args([
        "jitter::inner_print_first_run_delays",
        "--exact",
        "--ignored",
        "--test-threads=1",
        "--nocapture",
    ]);
    match seed {
        Some(seed) => child.env(SEED, seed.to_string()),
        None => child.env_remove(SEED),
    };
    let out = child.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find_map(|l| l.split_once("run=").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no delays printed:\n{text}"));
    let (run, delays) = line.split_once(" delays=").unwrap();
    let delays: Vec<Duration> = delays
        .trim_matches(['[', ']'])
        .split(", ")
        .map(|d| Duration::from_nanos(d.parse().unwrap()))
        .collect();
    // Each delay is in [delay / 2, delay] of its unjittered 1 s, 2 s, 4 s.
    assert_eq!(delays.len(), 3, "{line}");
    for (d, full) in delays.iter().zip([1u64, 2, 4]) {
        let full = Duration::from_secs(full);
        assert!(
            *d >= full / 2 && *d <= full,
            "{d:?} out of range of {full:?}"
        );
    }
    (run.parse().unwrap(), delays)
}

/// A fleet restarted together: the first runs of two fresh processes have the same run
/// id, and drew the same delays (both retried in step) until each runtime took a random
/// seed; now they differ.
#[test]
fn the_first_runs_of_two_processes_draw_different_delays() {
    let (run_a, a) = first_run_in_a_new_process(None);
    let (run_b, b) = first_run_in_a_new_process(None);
    assert_eq!(run_a, run_b, "the processes' first runs should share an id");
    assert_ne!(a, b, "two processes retried in step");
}

/// `RuntimeBuilder::jitter_seed` fixes the seed: the same run id then draws the same
/// delays in every process, and another seed other ones.
#[test]
fn a_fixed_seed_draws_the_same_delays_in_every_process() {
    let (run_a, a) = first_run_in_a_new_process(Some(7));
    let (run_b, b) = first_run_in_a_new_process(Some(7));
    assert_eq!(run_a, run_b);
    assert_eq!(a, b);
    let (_, other) = first_run_in_a_new_process(Some(8));
    assert_ne!(a, other);
}

#[node]
async fn keep_answer(item: u32, answer: u32) -> u32 {
    let _ = item;
    answer
}

workflow! {
    struct JitteredItems {
        input xs: Vec<u32>,
        ys = for x in xs {
            y = down_thrice(),
            z = keep_answer(item: x, answer: y),
        } => z,
    }
}

/// The delays of each item of a fan-out, by item.
async fn item_delays(seed: u64, items: u32) -> Vec<Vec<Duration>> {
    let rt = Runtime::builder().jitter_seed(seed).build();
    let run = rt
        .execute_with(
            JitteredItems,
            JitteredItemsInput {
                xs: (0..items).collect(),
            },
            RunOptions::new().trace(true),
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.ys, vec![4; items as usize]);
    let trace = run.trace.unwrap();
    (0..items)
        .map(|i| {
            let path = format!("ys[{i}].y");
            trace
                .iter()
                .filter(|e| e.node.as_deref() == Some(path.as_str()))
                .filter_map(|e| match &e.kind {
                    TraceKind::Retrying { delay, .. } => Some(*delay),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// The items of a fan-out failing together spread their retries: each draws its own
/// delays (trial43: the items share their root run's id and their body's node, so all
/// six drew the same delays and retried in step, which jitter is there to prevent).
#[tokio::test(start_paused = true)]
async fn the_items_of_a_fan_out_draw_their_own_delays() {
    let delays = item_delays(11, 6).await;
    for d in &delays {
        assert_eq!(d.len(), 3, "{delays:?}");
        // Within [delay / 2, delay] of 1 s, 2 s, 4 s.
        for (got, full) in d.iter().zip([1u64, 2, 4]) {
            let full = Duration::from_secs(full);
            assert!(*got >= full / 2 && *got <= full, "{delays:?}");
        }
    }
    let mut distinct = delays.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 6, "items retried in step: {delays:?}");
}

/// The delays of `Jittered`'s runs on a runtime with `seed`, run after run.
async fn runs_delays(seed: u64, runs: usize) -> Vec<Vec<Duration>> {
    let rt = Runtime::builder().jitter_seed(seed).build();
    let mut all = Vec::new();
    for _ in 0..runs {
        let run = rt
            .execute_with(Jittered, JitteredInput {}, RunOptions::new().trace(true))
            .await
            .unwrap();
        all.push(
            run.trace
                .unwrap()
                .iter()
                .filter_map(|e| match &e.kind {
                    TraceKind::Retrying { delay, .. } => Some(*delay),
                    _ => None,
                })
                .collect(),
        );
    }
    all
}

/// A fixed seed draws the same delays in one process too: a runtime's runs are known by
/// their number among its runs, not by their process-wide id (trial43: two runtimes
/// with `jitter_seed(42)` in one test binary drew different delays, so a paused-clock
/// test could not assert jittered times unless it ran in a process of its own).
#[tokio::test(start_paused = true)]
async fn two_runtimes_with_one_seed_draw_the_same_delays_in_one_process() {
    let first = runs_delays(42, 3).await;
    // Runs on other runtimes in between take other run ids.
    let _ = runs_delays(5, 2).await;
    let second = runs_delays(42, 3).await;
    assert_eq!(first, second);
    assert_eq!(first[0].len(), 3);
    // The runs of one runtime still draw delays of their own.
    assert_ne!(first[0], first[1]);
    assert_ne!(first[1], first[2]);
    assert_ne!(runs_delays(43, 1).await[0], first[0]);
}
