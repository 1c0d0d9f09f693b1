//! Guide, "Debugging Async Tests": debug logging, execution traces read step by step, and
//! deadlock detection.
//!
//! The guide's deadlock is two nodes waiting for each other's result at run time. The
//! static version of that, `a = f(x: b), b = f(x: a)`, cannot be written here: `workflow!`
//! rejects the cycle at compile time, printing it (the trybuild case
//! `tests/ui/tests/ui/workflow/fail/cycle.rs`). Waits that only exist at run time go through
//! `Context::wait`/`publish`, which the runtime tracks, so a wait-for cycle is reported at
//! once, naming every node and what it waits for.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_core::trace::{AttemptSpan, SpanOutcome, TraceKind};
use workflow_core::RunOutcome;
use workflow_core::{DeadlockKind, NodeStatus, WaitError};
use workflow_test::{workflow_test, Harness};

// --- execution traces ------------------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
#[error("503 from upstream")]
struct Unavailable;

#[node(retry(max = 2, backoff = "40ms"))]
async fn load(ms: u64, ctx: &Context) -> Result<Vec<u32>, Unavailable> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    if ctx.attempt() == 1 {
        return Err(Unavailable);
    }
    ctx.emit("loaded 4 rows");
    Ok(vec![4, 8, 15, 16])
}

#[node]
async fn sum(rows: Vec<u32>, ms: u64) -> u32 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    rows.iter().sum()
}

#[node]
async fn max(rows: Vec<u32>, ms: u64) -> u32 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    rows.into_iter().max().unwrap_or(0)
}

#[node]
async fn report(sum: u32, max: u32) -> String {
    format!("sum={sum} max={max}")
}

workflow! {
    /// The guide's `create_complex_workflow()`: a retried load, two concurrent branches
    /// and a join.
    struct Complex {
        input load_ms: u64,
        input sum_ms: u64,
        input max_ms: u64,
        rows = load(ms: load_ms),
        total = sum(rows, ms: sum_ms),
        biggest = max(rows, ms: max_ms),
        report = report(sum: total, max: biggest),
    }
}

fn complex_input() -> ComplexInput {
    ComplexInput {
        load_ms: 60,
        sum_ms: 30,
        max_ms: 75,
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn test_with_tracing(h: Harness) {
    // `self.enable_tracing()` (on a bare `Runtime`: `Runtime::builder().trace(true)`, or
    // per run `RunOptions::new().trace(true)`). A harness traces every run by default.
    h.set_trace(true);
    let run = h.assert_success(h.execute(Complex, complex_input()).await);
    assert_eq!(run.outputs.report, "sum=43 max=16");

    // `self.get_execution_trace()`: printed step by step.
    let trace = h.last_trace().expect("tracing was enabled");
    assert_eq!(run.trace.as_ref(), Some(&trace));
    println!("Execution steps: {}", trace.len());
    for step in &trace {
        // `{step['timestamp']}: {step['event']}`
        let node = step.node.as_deref().unwrap_or("run");
        println!("  {:?}: {node}: {}", step.at, step.kind);
    }
    assert_eq!(trace.render_text().lines().count(), trace.len());

    // Every step has an exact timestamp on the paused clock, so the trace can be asserted
    // on. Attempt spans: the load failed at 60 ms, was retried after 40 ms, ...
    let ms = Duration::from_millis;
    let attempt_spans = trace.all_attempt_spans();
    let spans: Vec<_> = attempt_spans
        .iter()
        .map(
            |AttemptSpan {
                 node,
                 attempt,
                 start,
                 end,
                 outcome,
                 ..
             }| (&**node, *attempt, *start, *end, *outcome),
        )
        .collect();
    assert_eq!(
        spans,
        [
            ("rows", 1, ms(0), ms(60), SpanOutcome::Failed),
            ("rows", 2, ms(100), ms(160), SpanOutcome::Completed),
            ("biggest", 1, ms(160), ms(235), SpanOutcome::Completed),
            ("total", 1, ms(160), ms(190), SpanOutcome::Completed),
            ("report", 1, ms(235), ms(235), SpanOutcome::Completed),
        ]
    );
    // The retry says why and how long it waits; the custom event is there too.
    assert!(trace.node_events("rows").any(|e| e.kind
        == TraceKind::Retrying {
            attempt: 1,
            delay: ms(40),
            error: "503 from upstream".into(),
        }));
    assert!(trace.node_events("rows").any(|e| e.at == ms(160)
        && e.kind
            == TraceKind::Custom {
                message: "loaded 4 rows".into()
            }));
    // First and last steps belong to the run.
    assert_eq!(trace.events.first().unwrap().kind, TraceKind::RunStarted);
    assert_eq!(trace.events.last().unwrap().kind, TraceKind::RunCompleted);
    assert_eq!(trace.events.last().unwrap().at, ms(235));
}

#[node]
async fn explode(ms: u64) -> Result<u32, Unavailable> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Err(Unavailable)
}

workflow! {
    struct Explodes {
        input ms: u64,
        input slow_ms: u64,
        boom = explode(ms),
        slow = sum(rows: seed, ms: slow_ms),
        seed = seed(),
    }
}

#[node]
async fn seed() -> Vec<u32> {
    vec![1]
}

#[tokio::test(start_paused = true)]
async fn a_failed_run_still_has_its_trace() {
    let rt = Runtime::new();
    let RunOutcome {
        result,
        report,
        trace,
        ..
    } = rt
        .execute_report(
            Explodes,
            ExplodesInput {
                ms: 20,
                slow_ms: 1_000,
            },
            RunOptions::new().trace(true),
        )
        .await;
    assert!(result.is_err());
    let trace = trace.expect("traced even though the run failed");
    println!("{report}\n{trace}");
    let last = trace.events.last().unwrap();
    assert!(matches!(last.kind, TraceKind::RunFailed { .. }), "{trace}");
    assert_eq!(last.at, Duration::from_millis(20));
    assert!(trace
        .node_events("slow")
        .any(|e| e.kind == TraceKind::Cancelled));
    assert_eq!(report.node("slow").unwrap().status, NodeStatus::Cancelled);
}

#[tokio::test(start_paused = true)]
async fn without_tracing_there_is_no_trace() {
    let run = Runtime::new()
        .execute(Complex, complex_input())
        .await
        .unwrap();
    assert!(run.trace.is_none());
    // The per-node report is always there.
    assert_eq!(run.node("rows").unwrap().attempts, 2);
}

// --- debug logging -----------------------------------------------------------------------------

/// `logging.getLogger("kailash.async").setLevel(logging.DEBUG)`: the runtime emits
/// `tracing` spans and events under the target `workflow`; any subscriber shows them
/// (`tracing_subscriber::fmt().with_max_level(Level::DEBUG).init()` in an application).
/// This test installs a small capturing subscriber to show what arrives.
mod capture {
    use std::fmt::Write as _;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    #[derive(Clone, Default)]
    pub(crate) struct Capture(pub(crate) Arc<Mutex<Vec<String>>>);

    struct Line(String);

    impl Visit for Line {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, " {}={:?}", field.name(), value);
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.target().starts_with("workflow")
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let mut line = Line(format!("span {}", span.metadata().name()));
            span.record(&mut line);
            self.0.lock().unwrap().push(line.0);
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut line = Line(format!("{}", event.metadata().level()));
            event.record(&mut line);
            self.0.lock().unwrap().push(line.0);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

/// Set in the child process that runs [`runs_log_through_tracing_when_a_subscriber_is_installed`]
/// alone.
const TRACING_ALONE: &str = "WORKFLOW_GUIDE_TRACING_ALONE";

#[tokio::test(start_paused = true)]
async fn runs_log_through_tracing_when_a_subscriber_is_installed() {
    // `tracing` caches each callsite's interest process-wide, computed from the
    // subscribers alive when the callsite is first hit. A callsite first hit by another
    // test's thread while this one installs its subscriber can cache "never" after
    // `rebuild_interest_cache` ran (it failed 1 run in 6). So the body runs in a process
    // of its own, where no other test runs.
    if std::env::var_os(TRACING_ALONE).is_none() {
        let name = "guide_debugging::runs_log_through_tracing_when_a_subscriber_is_installed";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1", "--nocapture"])
            .env(TRACING_ALONE, "1")
            .output()
            .expect("the test binary runs again");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the test failed in its own process:\n{stdout}\n{stderr}"
        );
        return;
    }
    let capture = capture::Capture::default();
    let lines = Arc::clone(&capture.0);
    // Current-thread test runtime: the default subscriber covers every node.
    let _guard = tracing::subscriber::set_default(capture);
    let err = Runtime::new()
        .execute(Explodes, ExplodesInput { ms: 5, slow_ms: 50 })
        .await
        .unwrap_err();
    let lines = lines.lock().unwrap().clone();
    let text = lines.join("\n");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("span workflow") && l.contains("Explodes")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("WARN")
            && l.contains("boom")
            && l.contains("503 from upstream")),
        "a warning names the failing node and its error:\n{text}"
    );
    assert!(err.to_string().contains("503 from upstream"));
}

// --- deadlock detection ---------------------------------------------------------------------

/// The guide's `wait_for_result(other)`: waits for another node's result, then publishes
/// its own under its name.
#[node]
async fn wait_for_result(other: &'static str, ctx: &Context) -> Result<u32, WaitError> {
    let theirs: u32 = ctx.wait(other).await?;
    ctx.publish(ctx.node(), theirs + 1);
    Ok(theirs + 1)
}

workflow! {
    #[workflow(deadlock = "5s")]
    struct DeadlockTest {
        input first: &'static str,
        input second: &'static str,
        task1 = wait_for_result(other: second),
        task2 = wait_for_result(other: first),
    }
}

/// `pytest.raises(DeadlockError)`: `assert_deadlock` returns the report. The test's own
/// `deadlock` watchdog (2 s) would catch a stall the runtime cannot see; this one is
/// found by the runtime at once.
#[workflow_test(timeout = "10s", deadlock = "2s", start_paused = true)]
async fn test_deadlock_detection(h: Harness) {
    let start = Instant::now();
    let report = h.assert_deadlock(
        h.execute(
            DeadlockTest,
            DeadlockTestInput {
                first: "task1",
                second: "task2",
            },
        )
        .await,
    );
    assert_eq!(start.elapsed(), Duration::ZERO);
    let mut nodes: Vec<_> = report.waiting.iter().map(|w| &*w.node).collect();
    nodes.sort_unstable();
    assert_eq!(nodes, ["task1", "task2"]);
    // Both ran once, and were cancelled when the deadlock was found.
    h.assert_executed("task1", 1);
    h.assert_executed("task2", 1);
    h.assert_no_leaks().await;
}

#[tokio::test(start_paused = true)]
async fn a_deadlock_error_names_both_nodes_and_the_cycle() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute(
            DeadlockTest,
            DeadlockTestInput {
                first: "task1",
                second: "task2",
            },
        )
        .await
        .unwrap_err();
    // Found at once: not after the 5 s stall limit.
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert!(err.is_deadlock(), "{err}");
    let WorkflowError::Deadlock { report, .. } = &err else {
        panic!("expected a deadlock, got {err:?}");
    };
    assert_eq!(report.kind, DeadlockKind::AllWaiting);
    let waiting: Vec<_> = report
        .waiting
        .iter()
        .map(|w| (&*w.node, w.waits_for.as_deref()))
        .collect();
    assert_eq!(
        waiting,
        [("task1", Some("task2")), ("task2", Some("task1"))]
    );
    let message = err.to_string();
    assert!(message.contains("`task1` waits for `task2`"), "{message}");
    assert!(message.contains("`task2` waits for `task1`"), "{message}");
    assert!(message.contains("task1 -> task2 -> task1"), "{message}");
}

#[node]
async fn start_chain(value: u32, ctx: &Context) -> u32 {
    ctx.publish(ctx.node(), value);
    value
}

workflow! {
    /// Three nodes in a wait-for ring, beside a node that finishes normally first.
    struct Ring {
        input a_waits: &'static str,
        input b_waits: &'static str,
        input c_waits: &'static str,
        input delay_ms: u64,
        a = wait_for_result(other: a_waits),
        b = wait_for_result(other: b_waits),
        c = wait_for_result(other: c_waits),
        busy = sum(rows: seed, ms: delay_ms),
        seed = seed(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_three_node_ring_is_reported_once_every_live_node_waits() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute(
            Ring,
            RingInput {
                a_waits: "c",
                b_waits: "a",
                c_waits: "b",
                delay_ms: 250,
            },
        )
        .await
        .unwrap_err();
    // While `busy` ran, it might still have published; once it finished, nobody could.
    assert_eq!(start.elapsed(), Duration::from_millis(250));
    let WorkflowError::Deadlock { report, .. } = &err else {
        panic!("{err:?}");
    };
    let mut nodes: Vec<_> = report.waiting.iter().map(|w| &*w.node).collect();
    nodes.sort_unstable();
    assert_eq!(nodes, ["a", "b", "c"]);
    let cycle = report.cycle.clone().expect("a wait-for cycle");
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    assert_eq!(cycle.first(), cycle.last());
}

workflow! {
    /// Not a deadlock: `task1` waits for `starter`, which publishes.
    struct Handoff {
        input first: &'static str,
        input v: u32,
        starter = start_chain(value: v),
        task1 = wait_for_result(other: first),
    }
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_can_be_satisfied_is_not_a_deadlock() {
    let run = Runtime::new()
        .execute(
            Handoff,
            HandoffInput {
                first: "starter",
                v: 41,
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.task1, 42);
}

#[node]
async fn stuck(ctx: &Context) -> u32 {
    let _ = ctx; // waits on something the runtime cannot see
    std::future::pending::<u32>().await
}

workflow! {
    #[workflow(deadlock = "300ms")]
    struct Stalled {
        stuck = stuck(),
    }
}

#[tokio::test(start_paused = true)]
async fn an_untracked_stall_is_caught_by_the_stall_watchdog() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute(Stalled, StalledInput {})
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    let WorkflowError::Deadlock { report, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        report.kind,
        DeadlockKind::Stalled(Duration::from_millis(300))
    );
    assert_eq!(report.waiting.len(), 1);
    assert_eq!(report.waiting[0].node, "stuck");
    assert_eq!(report.waiting[0].waits_for, None);
}

#[tokio::test(start_paused = true)]
async fn the_stall_limit_can_be_set_per_run() {
    let start = Instant::now();
    let err = Runtime::new()
        .execute_with(
            Stalled,
            StalledInput {},
            RunOptions::new().deadlock(Duration::from_millis(1_500)),
        )
        .await
        .unwrap_err();
    assert!(err.is_deadlock(), "{err}");
    assert_eq!(start.elapsed(), Duration::from_millis(1_500));
}

#[node]
async fn slow_but_fine(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    struct SlowNode {
        input ms: u64,
        slow = slow_but_fine(ms),
    }
}

/// The stall watchdog cannot tell slow from stuck (its docs say so): a node of 2 s under
/// a limit of 1.5 s is reported as stalled at 1.5 s, and the same node under 2.5 s
/// succeeds. The limit belongs above the slowest node's time.
#[tokio::test(start_paused = true)]
async fn the_stall_limit_must_be_above_the_slowest_node() {
    let rt = Runtime::new();
    let start = Instant::now();
    let err = rt
        .execute_with(
            SlowNode,
            SlowNodeInput { ms: 2_000 },
            RunOptions::new().deadlock(Duration::from_millis(1_500)),
        )
        .await
        .unwrap_err();
    let WorkflowError::Deadlock { report, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        report.kind,
        DeadlockKind::Stalled(Duration::from_millis(1_500))
    );
    assert_eq!(report.waiting[0].node, "slow");
    assert_eq!(start.elapsed(), Duration::from_millis(1_500));

    let run = rt
        .execute_with(
            SlowNode,
            SlowNodeInput { ms: 2_000 },
            RunOptions::new().deadlock(Duration::from_millis(2_500)),
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.slow, 2_000);
}
