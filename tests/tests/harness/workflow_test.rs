//! `#[workflow_test]`: options, injected harness, timeouts, deadlocks, panics.
//!
//! Tests that must fail (a hung body, a deadlock) are the `inner_*` tests: they are
//! `#[ignore]`d, and each is run by its outer test in a child process (this test binary
//! again, with `--ignored --exact`), which checks that it failed and what it printed.

use std::process::Command;
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::{NodeStatus, WaitError};
use workflow_test::{workflow_test, Harness};

/// The name `#[workflow_test]` prints for test `name` of this module (its path in the
/// crate, which starts with the binary's name).
fn full_name(name: &str) -> String {
    format!("{}::{name}", module_path!())
}

/// libtest's name of test `name` of this module: its path without the crate's name.
fn test_path(name: &str) -> String {
    let module = module_path!().split_once("::").expect("a module path").1;
    format!("{module}::{name}")
}

/// Runs the ignored test `name` of this module in a child process; returns (success,
/// stdout + stderr). Exactly one test must have run, so a renamed test cannot make its
/// outer test pass by running nothing.
fn run_inner(name: &str) -> (bool, String) {
    let path = test_path(name);
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([
            &path,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("run the test binary");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("running 1 test"),
        "no test {path} ran:\n{text}"
    );
    (out.status.success(), text)
}

#[track_caller]
fn assert_contains(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

// ---- the workflow the failing tests hang in ------------------------------------------

#[node]
async fn fetch() -> u32 {
    1
}

#[node]
async fn slow(x: u32) -> u32 {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    x
}

#[node]
async fn gate(x: u32, ctx: &Context) -> u32 {
    ctx.wait_signal("go").await;
    x
}

#[node]
async fn sink(a: u32, b: u32) -> u32 {
    a + b
}

workflow! {
    struct Pipeline {
        fetch = fetch(),
        slow = slow(x: fetch),
        gate = gate(x: fetch),
        sink = sink(a: slow, b: gate),
    }
}

workflow! {
    struct Quick {
        one = fetch(),
    }
}

#[node]
async fn stuck() -> u32 {
    // Waits forever on something the runtime cannot see, and no timer is pending.
    std::future::pending::<()>().await;
    0
}

workflow! {
    struct Stuck {
        before = fetch(),
        stuck = stuck(),
    }
}

// ---- where an assertion fails ------------------------------------------------------------

#[workflow_test(timeout = "5s", start_paused = true)]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_failing_assertion(h: Harness) {
    h.assert_success(h.execute(Quick, QuickInput {}).await);
    h.assert_executed("one", 2); // the line the failure must point at
}

/// A failed harness assertion is reported at the test's line (the assertions are
/// `#[track_caller]` down to the panic), not inside workflow-test; a misspelt node is
/// named as such, with the nodes that exist.
#[test]
fn a_failed_assertion_points_at_the_test_line() {
    let (ok, out) = run_inner("inner_failing_assertion");
    assert!(!ok, "the inner test must fail:\n{out}");
    let line = include_str!("workflow_test.rs")
        .lines()
        .position(|l| l.contains("the line the failure must point at"))
        .unwrap()
        + 1;
    assert_contains(
        &out,
        &[
            format!("panicked at tests/tests/harness/workflow_test.rs:{line}:").as_str(),
            "expected node `one` to be executed 2 time(s), but it was executed 1 time(s)",
        ],
    );
    // (A backtrace, with RUST_BACKTRACE set, may list workflow-test's frames.)
    assert!(
        !out.lines()
            .any(|l| l.contains("panicked at") && l.contains("workflow-test/src")),
        "{out}"
    );
}

// ---- timeout -------------------------------------------------------------------------

#[workflow_test(timeout = "1s", start_paused = true)]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_timeout_blocking_body(h: Harness) {
    // A run on another runtime first, so the harness's run has run id 2 but is its
    // run 1: the report names it by its number in the harness.
    Runtime::new().execute(Quick, QuickInput {}).await.unwrap();
    tokio::spawn(h.execute(Pipeline, PipelineInput {}));
    // Let the run start its nodes (paused clock: no real time passes).
    tokio::time::sleep(Duration::from_millis(10)).await;
    // Block the test's thread: only a watchdog on another thread can end this test.
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn timeout_fires_when_the_body_blocks_and_lists_every_node() {
    let (ok, out) = run_inner("inner_timeout_blocking_body");
    assert!(!ok, "the inner test must fail:\n{out}");
    assert_contains(
        &out,
        &[
            format!(
                "test `{}` timed out after 1s",
                full_name("inner_timeout_blocking_body")
            )
            .as_str(),
            "runs in flight: 1",
            "run 1 of `Pipeline` still running (last event at 0ns)",
            "fetch            succeeded",
            "slow             running",
            "gate             waiting for `go`",
            "sink             not started",
            "trace so far:",
            "0ns fetch: completed after 1 attempt(s)",
            "gate: waiting for `go`",
        ],
    );
}

#[workflow_test(timeout = "1s", start_paused = true)]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_timeout_during_a_backoff(h: Harness) {
    tokio::spawn(h.execute(LongBackoffs, LongBackoffsInput { hang: false }));
    // Let `b` fail its first attempt (paused clock: no real time passes), then block
    // the test's thread during its 100ms wait.
    tokio::time::sleep(Duration::from_millis(10)).await;
    std::thread::sleep(Duration::from_secs(600));
}

// The hung test's report says what a node in a retry's backoff does, not "running"
// (trial36).
#[test]
fn a_timeout_report_names_a_node_waiting_to_retry() {
    let (ok, out) = run_inner("inner_timeout_during_a_backoff");
    assert!(!ok, "the inner test must fail:\n{out}");
    assert_contains(
        &out,
        &[
            "run 1 of `LongBackoffs` still running",
            "b                waiting 100ms to retry (attempt 1 failed: busy)",
        ],
    );
}

#[workflow_test(timeout = "200ms")]
#[should_panic(expected = "timed out after 200ms")]
async fn timeout_works_with_should_panic() {
    std::thread::sleep(Duration::from_secs(600));
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn hour_long_sleeps_take_no_real_time(h: Harness) {
    let wall = std::time::Instant::now();
    // `slow` sleeps an hour, then `gate` is the only live node, blocked in a tracked
    // wait nobody can end: the executor reports the deadlock at once.
    let report = h.assert_deadlock(h.execute(Pipeline, PipelineInput {}).await);
    assert_eq!(report.waiting.len(), 1);
    assert_eq!(report.waiting[0].node, "gate");
    assert_eq!(report.waiting[0].waits_for.as_deref(), Some("go"));
    assert_eq!(
        h.last_run().unwrap().report().duration,
        Duration::from_secs(3600)
    );
    assert!(wall.elapsed() < Duration::from_secs(10));
}

// ---- deadlock ------------------------------------------------------------------------

#[workflow_test(timeout = "60s", deadlock = "500ms", start_paused = true)]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_deadlock_paused_clock(h: Harness) {
    let _ = h.execute(Stuck, StuckInput {}).await;
}

#[test]
fn deadlock_is_reported_under_a_paused_clock_without_waiting_for_the_timeout() {
    let (ok, out) = run_inner("inner_deadlock_paused_clock");
    assert!(!ok, "the inner test must fail:\n{out}");
    assert_contains(
        &out,
        &[
            format!(
                "test `{}` failed: deadlock: no node of any workflow run made progress for 500ms while 1 node(s) were pending",
                full_name("inner_deadlock_paused_clock")
            )
            .as_str(),
            "of `Stuck`: `stuck` is running (not in a tracked wait)",
            "before           succeeded",
            "stuck            running",
        ],
    );
    // The 60s timeout would say "timed out"; the deadlock was found long before.
    assert!(!out.contains("timed out"), "{out}");
}

#[workflow_test(timeout = "60s", deadlock = "300ms")]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_deadlock_real_clock_blocked_body(h: Harness) {
    tokio::spawn(h.execute(Stuck, StuckInput {}));
    // Wait until `stuck` runs, then block the test's thread.
    while !h
        .live_runs()
        .iter()
        .flat_map(|r| &r.nodes)
        .any(|n| n.name == "stuck" && n.status == NodeStatus::Running)
    {
        tokio::task::yield_now().await;
    }
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn deadlock_is_reported_even_when_the_body_blocks_its_thread() {
    let (ok, out) = run_inner("inner_deadlock_real_clock_blocked_body");
    assert!(!ok, "the inner test must fail:\n{out}");
    assert_contains(
        &out,
        &[
            "deadlock: no node of any workflow run made progress for 300ms",
            "`stuck` is running (not in a tracked wait)",
        ],
    );
    assert!(!out.contains("timed out"), "{out}");
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

/// Fails at once, every attempt; its `total_timeout` runs out at 1.5 s, in the 2 s
/// wait after attempt 2.
#[node(retry(max = 3, backoff = "1s", total_timeout = "1500ms"))]
async fn refuses_in_backoff() -> Result<u32, Refused> {
    Err(Refused)
}

workflow! {
    #[workflow(failure = "continue")]
    struct StoppedInBackoffBesideStuck {
        r = refuses_in_backoff(),
        stuck = stuck(),
    }
}

#[workflow_test(timeout = "60s", deadlock = "500ms", start_paused = true)]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_deadlock_after_a_node_stopped_in_its_backoff(h: Harness) {
    let _ = h
        .execute(
            StoppedInBackoffBesideStuck,
            StoppedInBackoffBesideStuckInput {},
        )
        .await;
}

// A node stopped during its backoff (its `total_timeout`) waits to retry no longer, so
// the other branch's hang is a deadlock: before, the stopped node's wait stayed in the
// run's `retrying` until the run ended, the watchdog took it for progress, and the test
// timed out after 60s instead.
#[test]
fn a_node_stopped_in_its_backoff_does_not_hide_a_deadlock() {
    let (ok, out) = run_inner("inner_deadlock_after_a_node_stopped_in_its_backoff");
    assert!(!ok, "the inner test must fail:\n{out}");
    assert_contains(
        &out,
        &[
            "deadlock: no node of any workflow run made progress for 500ms while 1 node(s) were pending",
            "of `StoppedInBackoffBesideStuck`: `stuck` is running (not in a tracked wait)",
            "1.5s r: failed after 2 attempt(s): timed out after 1.5s (all attempts)",
        ],
    );
    assert!(!out.contains("timed out after 60s"), "{out}");
}

// ---- the stall watchdog looks inside fan-outs and sub-workflows ----------------------

#[node]
async fn tick(i: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(100)).await;
    i
}

#[node]
async fn hang_on_two(i: u32) -> u32 {
    if i == 2 {
        std::future::pending::<()>().await;
    }
    i
}

#[node]
async fn first(items: Vec<u32>) -> u32 {
    items[0]
}

workflow! {
    /// Four nodes of 100ms in sequence: a sub-workflow that takes 400ms.
    pub(crate) struct Ticks {
        input i: u32,
        a = tick(i),
        b = tick(i: a),
        c = tick(i: b),
        d = tick(i: c),
    }
}

workflow! {
    /// Items of 100ms one at a time, then a sub-workflow of four 100ms steps: each
    /// step finishes inside a child run, so the run's own node stays `running` longer
    /// than the stall limit of the tests below.
    struct OneAtATime {
        input ids: Vec<u32>,
        #[concurrency = 1]
        items = for i in ids { x = tick(i), } => x,
        f = first(items),
        sub = Ticks(i: f),
    }
}

workflow! {
    /// Item 2 never ends, the others do at once.
    struct ItemHangs {
        input ids: Vec<u32>,
        items = for i in ids { x = hang_on_two(i), } => x,
    }
}

// With tracing off nothing but node states shows progress: the items' and the
// sub-workflow's nodes finishing every 100ms must count, or the 250ms watchdog reports
// a deadlock while the run moves on.
#[workflow_test(timeout = "60s", deadlock = "250ms", start_paused = true)]
async fn progress_inside_items_and_sub_workflows_is_progress_with_tracing_off(h: Harness) {
    h.set_trace(false);
    let start = tokio::time::Instant::now();
    let run = h.assert_success(
        h.execute(
            OneAtATime,
            OneAtATimeInput {
                ids: vec![1, 2, 3, 4, 5],
            },
        )
        .await,
    );
    assert_eq!(run.outputs.sub.d, 1);
    assert_eq!(start.elapsed(), Duration::from_millis(900));
}

#[workflow_test(timeout = "60s", deadlock = "300ms", start_paused = true)]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_stall_inside_an_item(h: Harness) {
    let _ = h
        .execute(
            ItemHangs,
            ItemHangsInput {
                ids: vec![0, 1, 2, 3],
            },
        )
        .await;
}

#[test]
fn a_stall_inside_an_item_names_the_item_not_the_fan_out() {
    let (ok, out) = run_inner("inner_stall_inside_an_item");
    assert!(!ok, "the inner test must fail:\n{out}");
    assert_contains(
        &out,
        &[
            "no node of any workflow run made progress for 300ms while 1 node(s) were pending",
            "of `ItemHangs`: `items[2].x` is running (not in a tracked wait)\n",
            "items[2].x       running",
        ],
    );
}

use crate::busy_then::busy_then;

workflow! {
    struct LongBackoffs {
        input hang: bool,
        b = busy_then(hang),
    }
}

// A retry's backoff longer than the test's stall limit is not a stall, traced or not:
// before, the watchdog reported "`b` is running" 50ms into the first wait (trial36).
#[workflow_test(timeout = "60s", deadlock = "50ms", start_paused = true)]
async fn a_backoff_longer_than_the_stall_limit_is_not_a_deadlock(h: Harness) {
    for trace in [true, false] {
        h.set_trace(trace);
        let start = tokio::time::Instant::now();
        let run = h.assert_success(
            h.execute(LongBackoffs, LongBackoffsInput { hang: false })
                .await,
        );
        assert_eq!(run.outputs.b, 3);
        assert_eq!(start.elapsed(), Duration::from_millis(300));
    }
}

#[workflow_test(timeout = "60s", deadlock = "50ms", start_paused = true)]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_hang_after_backoffs(h: Harness) {
    h.set_trace(false);
    let _ = h
        .execute(LongBackoffs, LongBackoffsInput { hang: true })
        .await;
}

#[test]
fn an_attempt_hanging_after_its_backoffs_is_still_a_deadlock() {
    let (ok, out) = run_inner("inner_hang_after_backoffs");
    assert!(!ok, "the inner test must fail:\n{out}");
    assert_contains(
        &out,
        &[
            "no node of any workflow run made progress for 50ms while 1 node(s) were pending",
            "of `LongBackoffs`: `b` is running (not in a tracked wait)",
        ],
    );
}

#[node]
async fn task1(ctx: &Context) -> Result<u32, WaitError> {
    ctx.wait::<u32>("task2").await
}

#[node]
async fn task2(ctx: &Context) -> Result<u32, WaitError> {
    ctx.wait::<u32>("task1").await
}

workflow! {
    struct DeadlockTest {
        task1 = task1(),
        task2 = task2(),
    }
}

#[workflow_test(timeout = "10s", deadlock = "5s")]
async fn tracked_wait_deadlock_is_reported_at_once(h: Harness) {
    let start = std::time::Instant::now();
    let report = h.assert_deadlock(h.execute(DeadlockTest, DeadlockTestInput {}).await);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(
        report.cycle,
        Some(vec!["task1".into(), "task2".into(), "task1".into()])
    );
    h.assert_no_leaks().await;
}

// ---- panics and errors of the body ---------------------------------------------------

#[workflow_test(timeout = "10s", deadlock = "1s")]
#[should_panic(expected = "assertion `left == right` failed: the real reason")]
async fn the_body_panic_is_reported_as_it_is(h: Harness) {
    h.execute(Quick, QuickInput {}).await.unwrap();
    assert_eq!(1, 2, "the real reason");
}

#[workflow_test(timeout = "10s")]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_panic_message_is_not_masked() {
    panic!("the marker 4242");
}

#[test]
fn panic_output_names_the_test_thread_and_message() {
    let (ok, out) = run_inner("inner_panic_message_is_not_masked");
    assert!(!ok);
    assert_contains(
        &out,
        &[
            format!(
                "thread '{}'",
                test_path("inner_panic_message_is_not_masked")
            )
            .as_str(),
            "panicked at tests/tests/harness/workflow_test.rs",
            "the marker 4242",
        ],
    );
    assert!(!out.contains("timed out"), "{out}");
}

#[workflow_test]
#[ignore = "fails on purpose; its outer test runs it in a child process"]
async fn inner_returns_an_error() -> Result<(), String> {
    Err("bad input".into())
}

#[test]
fn an_error_result_fails_the_test() {
    let (ok, out) = run_inner("inner_returns_an_error");
    assert!(!ok);
    assert_contains(&out, &["the test returned an error: \"bad input\""]);
}

#[workflow_test]
async fn ok_result_passes() -> Result<(), std::io::Error> {
    tokio::task::yield_now().await;
    Ok(())
}

// ---- options -------------------------------------------------------------------------

#[workflow_test(flavor = "multi_thread", workers = 3)]
async fn multi_thread_flavor_has_the_workers() {
    let metrics = tokio::runtime::Handle::current().metrics();
    assert_eq!(metrics.num_workers(), 3);
}

#[workflow_test(start_paused = true)]
async fn start_paused_pauses_the_clock() {
    let t = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(t.elapsed() < Duration::from_secs(60));
}

#[workflow_test]
async fn without_a_harness_parameter_a_harness_can_still_be_made() {
    let h = Harness::new();
    h.execute(Quick, QuickInput {}).await.unwrap();
    h.assert_executed("one", 1);
}

mod reexported {
    pub(crate) use workflow_test as testing;
}

#[workflow_test(crate = reexported::testing, timeout = "5s")]
async fn crate_option_names_a_reexport(h: Harness) {
    assert_eq!(h.run_count(), 0);
}
