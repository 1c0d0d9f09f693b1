//! A workflow used as a node of another (`report = Render(page)`): its inputs are the
//! node's ports and its output struct the node's output; its nodes show in the parent's
//! report and trace under the binding's path, and its failures name that path.

use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::trace::TraceKind;
use workflow_core::NodeName;

#[derive(Debug, thiserror::Error)]
#[error("layout broke on {0}")]
struct LayoutError(String);

#[node]
async fn layout(page: String) -> Result<String, LayoutError> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    if page.contains("bad") {
        return Err(LayoutError(page));
    }
    Ok(format!("<{page}>"))
}

#[node]
async fn measure(html: String) -> usize {
    html.len()
}

workflow! {
    /// Lays a page out and measures it.
    pub(crate) struct Render {
        input page: String,
        #[output]
        html = layout(page),
        size = measure(html),
    }
}

#[node]
async fn title(site: String) -> String {
    format!("{site}/index")
}

#[node]
async fn publish(html: String, size: usize) -> String {
    format!("{html}:{size}")
}

workflow! {
    struct Site {
        input site: String,
        page = title(site),
        report = Render(page),
        out = publish(html: report.html, size: report.size),
    }
}

#[tokio::test(start_paused = true)]
async fn a_workflow_runs_as_a_node_of_another() {
    let run = Runtime::new()
        .execute_with(
            Site,
            SiteInput { site: "a".into() },
            RunOptions::new().trace(true),
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.out, "<a/index>:9");
    // The child's nodes are in the parent's report, after the node that ran them.
    let names: Vec<&str> = run.report.nodes.iter().map(|n| &*n.name).collect();
    assert_eq!(
        names,
        ["page", "report", "report.html", "report.size", "out"]
    );
    let html = run.node("report.html").unwrap();
    assert_eq!(html.status, NodeStatus::Succeeded);
    assert_eq!(html.node_fn, "layout");
    assert_eq!(run.node("report").unwrap().node_fn, "Render");
    // ... and in its trace, on the parent's clock.
    let trace = run.trace.unwrap();
    assert_eq!(trace.started_at("report.html"), Some(Duration::ZERO));
    assert_eq!(
        trace.finished_at("report.html"),
        Some(Duration::from_millis(10))
    );
    assert_eq!(trace.finished_at("report"), Some(Duration::from_millis(10)));
    // The child's own run events are not repeated in the parent's trace.
    let run_events = trace
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::RunStarted | TraceKind::RunCompleted))
        .count();
    assert_eq!(run_events, 2);
}

#[tokio::test(start_paused = true)]
async fn a_sub_workflow_failure_names_the_path() {
    let err = Runtime::new()
        .execute(Site, SiteInput { site: "bad".into() })
        .await
        .unwrap_err();
    assert_eq!(err.node(), Some("report.html"));
    assert_eq!(err.workflow(), "Site");
    assert!(err.downcast_ref::<LayoutError>().is_some());
    assert_eq!(
        err.to_string(),
        "node `report.html` of workflow `Site` failed after 1 attempt(s): layout broke on bad/index"
    );
}

#[derive(Debug, thiserror::Error)]
#[error("not yet")]
struct NotYet;

/// Fails on its first two attempts (counted across runs of the child, through `tries`).
#[node]
async fn flaky(n: u32, tries: Res<std::sync::atomic::AtomicU32>) -> Result<u32, NotYet> {
    let attempt = tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    if attempt < 3 {
        return Err(NotYet);
    }
    Ok(n * 2)
}

workflow! {
    pub(crate) struct Flaky {
        input n: u32,
        out = flaky(n),
    }
}

#[node]
async fn slow(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_secs(10)).await;
    n
}

workflow! {
    pub(crate) struct Slow {
        input n: u32,
        out = slow(n),
    }
}

#[node]
async fn seven() -> u32 {
    7
}

workflow! {
    struct Policies {
        n = seven(),
        #[retry(max = 3, backoff = "10ms")]
        retried = Flaky(n),
    }
}

workflow! {
    struct TimedOut {
        n = seven(),
        #[timeout = "1s"]
        late = Slow(n),
    }
}

#[tokio::test(start_paused = true)]
async fn a_sub_workflow_binding_is_retried_as_a_whole() {
    let rt = Runtime::builder()
        .resource(std::sync::atomic::AtomicU32::new(0))
        .build();
    let run = rt.execute(Policies, PoliciesInput {}).await.unwrap();
    assert_eq!(run.outputs.retried.out, 14);
    assert_eq!(run.node("retried").unwrap().attempts, 3);
    // The report keeps the child run of the last attempt, with the calls of the earlier
    // ones counted: `flaky` was called once in each of the three child runs.
    assert_eq!(
        run.node("retried.out").unwrap().status,
        NodeStatus::Succeeded
    );
    assert_eq!(run.node("retried.out").unwrap().attempts, 3);
    let children = run
        .report
        .nodes
        .iter()
        .filter(|n| n.name == "retried.out")
        .count();
    assert_eq!(children, 1);
}

workflow! {
    struct GivesUp {
        n = seven(),
        #[retry(max = 2, backoff = "10ms")]
        retried = Flaky(n),
    }
}

/// When a retried sub-workflow gives up, its node's error counts the calls of every
/// child run, as the report does.
#[tokio::test(start_paused = true)]
async fn a_retried_sub_workflow_that_gives_up_counts_every_attempt_in_its_error() {
    let rt = Runtime::builder()
        .resource(std::sync::atomic::AtomicU32::new(0))
        .build();
    let outcome = rt
        .execute_report(GivesUp, GivesUpInput {}, RunOptions::new())
        .await;
    let (err, report) = (outcome.result.unwrap_err(), outcome.report);
    assert_eq!(report.node("retried").unwrap().attempts, 2);
    assert_eq!(report.node("retried.out").unwrap().attempts, 2);
    assert_eq!(err.attempts(), Some(2));
    assert_eq!(
        err.to_string(),
        "node `retried.out` of workflow `GivesUp` failed after 2 attempt(s): not yet"
    );
}

#[tokio::test(start_paused = true)]
async fn a_sub_workflow_binding_times_out_like_a_node() {
    let start = tokio::time::Instant::now();
    let err = Runtime::new()
        .execute(TimedOut, TimedOutInput {})
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(err.node(), Some("late"));
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_sub_workflow_still_reports_its_nodes() {
    let outcome = Runtime::new()
        .execute_report(TimedOut, TimedOutInput {}, RunOptions::new().trace(true))
        .await;
    assert!(outcome.result.unwrap_err().is_timeout());
    let report = &outcome.report;
    let names: Vec<&str> = report.nodes.iter().map(|n| &*n.name).collect();
    assert_eq!(names, ["n", "late", "late.out"]);
    assert_eq!(report.node("late").unwrap().status, NodeStatus::Failed);
    // The child's node was running when its parent node timed out: cancelled.
    let out = report.node("late.out").unwrap();
    assert_eq!(out.status, NodeStatus::Cancelled);
    assert_eq!(out.attempts, 1);
    // The trace says so too.
    let trace = outcome.trace.unwrap();
    assert!(trace
        .iter()
        .any(|e| e.node.as_deref() == Some("late.out") && e.kind == TraceKind::Cancelled));
}

#[node]
async fn wait_ms(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[node]
async fn at_once(ms: u64) -> u64 {
    ms
}

workflow! {
    /// One node that waits, one that does not.
    pub(crate) struct Halves {
        input ms: u64,
        slow = wait_ms(ms),
        quick = at_once(ms),
    }
}

workflow! {
    /// A sub-workflow and a fan-out side by side, both still running at 100 ms.
    struct Busy {
        input ms: u64,
        input each: Vec<u64>,
        halves = Halves(ms),
        items = for m in each { w = wait_ms(ms: m), } => w,
    }
}

workflow! {
    struct BusyWithin {
        input ms: u64,
        #[timeout = "30ms"]
        halves = Halves(ms),
    }
}

fn sorted(running: &[NodeName]) -> Vec<&str> {
    let mut names: Vec<&str> = running.iter().map(|r| &**r).collect();
    names.sort_unstable();
    names
}

/// A run stopped while a sub-workflow and a fan-out run names the nodes it stopped
/// inside them by path, not the nodes running them (`halves`, `items`).
#[tokio::test(start_paused = true)]
async fn a_stopped_run_names_the_nodes_it_stopped_in_child_runs() {
    let input = || BusyInput {
        ms: 1_000,
        each: vec![10, 500, 900],
    };
    let options = RunOptions::new().timeout(Duration::from_millis(100));
    let err = Runtime::new()
        .execute_with(Busy, input(), options)
        .await
        .unwrap_err();
    let WorkflowError::Timeout { running, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(sorted(running), ["halves.slow", "items[1].w", "items[2].w"]);

    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let err = Runtime::new()
        .execute_with(Busy, input(), RunOptions::new().cancel_token(token))
        .await
        .unwrap_err();
    let WorkflowError::Cancelled { running, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(sorted(running), ["halves.slow", "items[1].w", "items[2].w"]);

    // A sub-workflow binding's own timeout names what it stopped inside.
    let err = Runtime::new()
        .execute(BusyWithin, BusyWithinInput { ms: 1_000 })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "node `halves` of workflow `BusyWithin` timed out after 30ms; still running: halves.slow"
    );
}

workflow! {
    #[workflow(timeout = "10s")]
    pub(crate) struct OwnTimeout {
        input ms: u64,
        slow = wait_ms(ms),
        after = at_once(ms: slow),
    }
}

workflow! {
    struct WithinOwnTimeout {
        input ms: u64,
        #[timeout = "30ms"]
        #[retry(max = 2, backoff = "5ms")]
        inner = OwnTimeout(ms),
    }
}

workflow! {
    struct MapWithinOwnTimeout {
        input each: Vec<u64>,
        #[timeout = "50ms"]
        outs = map(OwnTimeout, each),
    }
}

/// A sub-workflow with a timeout of its own runs as a whole child run; stopped by its
/// binding's timeout, it says what it stopped as one run in a lane does: the error names
/// `inner.slow` as still running, the report has `inner.slow` cancelled and
/// `inner.after` skipped, the trace says so (trial42: the error named nothing, and the
/// child's nodes were missing from the report and had no end in the trace). Untraced and
/// unmonitored too: the child keeps its nodes' states for this.
#[tokio::test(start_paused = true)]
async fn a_sub_workflow_with_policies_stopped_by_its_bindings_timeout_names_what_it_stopped() {
    let rt = Runtime::new();
    let err = rt
        .execute(WithinOwnTimeout, WithinOwnTimeoutInput { ms: 1_000 })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "node `inner` of workflow `WithinOwnTimeout` timed out after 30ms in the last of 2 attempt(s); still running: inner.slow"
    );
    let WorkflowError::Timeout { running, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(sorted(running), ["inner", "inner.slow"]);

    let outcome = rt
        .execute_report(
            WithinOwnTimeout,
            WithinOwnTimeoutInput { ms: 1_000 },
            RunOptions::new().trace(true),
        )
        .await;
    let report = &outcome.report;
    assert_eq!(
        report.node("inner.slow").unwrap().status,
        NodeStatus::Cancelled
    );
    assert_eq!(
        report.node("inner.after").unwrap().status,
        NodeStatus::Skipped
    );
    let trace = outcome.trace.unwrap();
    // Each attempt of `inner` stopped its `slow`.
    assert_eq!(
        trace.kinds("inner.slow"),
        [
            &TraceKind::Scheduled,
            &TraceKind::Started { attempt: 1 },
            &TraceKind::Cancelled,
            &TraceKind::Scheduled,
            &TraceKind::Started { attempt: 1 },
            &TraceKind::Cancelled,
        ]
    );
    assert!(trace.kinds("inner.after").contains(&&TraceKind::Skipped));

    // A `map` of it: every item is a whole child run, and the fan-out's timeout names
    // the items' nodes it stopped, not the items that had finished.
    let err = rt
        .execute(
            MapWithinOwnTimeout,
            MapWithinOwnTimeoutInput {
                each: vec![10, 400, 20, 900],
            },
        )
        .await
        .unwrap_err();
    let WorkflowError::Timeout { running, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(sorted(running), ["outs", "outs[1].slow", "outs[3].slow"]);
}
