//! The `Harness`: recording, assertions and their failure output, mocks, load, leaks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::NodeStatus;
use workflow_test::{workflow_test, CallRecorder, Harness, MockFn};

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("Simulated async error")]
struct Simulated;

#[node]
async fn fetch(url: String) -> Vec<u32> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    vec![url.len() as u32, 2, 3]
}

#[node]
async fn total(items: Vec<u32>) -> u32 {
    tokio::time::sleep(Duration::from_millis(50)).await;
    items.iter().sum()
}

#[node]
async fn count(items: Vec<u32>) -> usize {
    tokio::time::sleep(Duration::from_millis(50)).await;
    items.len()
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        sum = total(items: page),
        n = count(items: page),
    }
}

#[node]
async fn failing_task() -> Result<u32, Simulated> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    Err(Simulated)
}

#[node]
async fn recovery_task(input: u32) -> u32 {
    input
}

workflow! {
    struct ErrorTest {
        failing_task = failing_task(),
        recovery_task = recovery_task(input: failing_task),
    }
}

fn etl_input() -> EtlInput {
    EtlInput { url: "abcd".into() }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn execute_returns_what_the_runtime_returns(h: Harness) {
    let run = h.assert_success(h.execute(Etl, etl_input()).await);
    assert_eq!(run.outputs.sum, 9);
    assert_eq!(run.outputs.n, 3);
    assert_eq!(run.duration(), Duration::from_millis(150));
    assert!(run.trace.is_some(), "the harness traces by default");
    assert_eq!(h.run_count(), 1);
    assert_eq!(h.failure_count(), 0);
    let record = h.last_run().unwrap();
    assert!(record.succeeded());
    assert_eq!(record.run_id(), run.run_id());
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn counts_and_order(h: Harness) {
    for _ in 0..3 {
        h.execute(Etl, etl_input()).await.unwrap();
    }
    assert_eq!(h.execution_count("page"), 3);
    assert_eq!(h.execution_count("fetch"), 3, "fn names count too");
    // A name that is no node: not a count of 0, a failure (see
    // `execution_count_of_an_unknown_name_fails_with_the_likely_one`).
    let first = first_panic_line(|| {
        h.execution_count("nope");
    });
    assert!(
        first.contains("no run of this harness has a node called `nope`"),
        "{first}"
    );
    h.assert_executed("sum", 3);
    h.assert_before("page", "sum");
    h.assert_before("page", "n");
    h.assert_overlapped("sum", "n");
    h.assert_not_overlapped("page", "n");
    let record = h.last_run().unwrap();
    assert_eq!(record.before("sum", "page"), Some(false));
    assert_eq!(record.overlapped("page", "sum"), Some(false));
    assert_eq!(record.before("page", "missing"), None);
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn error_type_message_and_counts(h: Harness) {
    let err: Simulated = h.assert_error(h.execute(ErrorTest, ErrorTestInput {}).await);
    assert_eq!(err, Simulated);
    let e = h.assert_error_contains(
        h.execute(ErrorTest, ErrorTestInput {}).await,
        "Simulated async error",
    );
    assert_eq!(e.node(), Some("failing_task"));
    h.assert_failed_at(
        h.execute(ErrorTest, ErrorTestInput {}).await,
        "failing_task",
    );
    assert_eq!(h.execution_count("failing_task"), 3);
    assert_eq!(h.execution_count("recovery_task"), 0);
    h.assert_not_executed("recovery_task");
    assert_eq!(h.failure_count(), 3);
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn reset_forgets_the_recorded_runs_and_keeps_the_runtime(h: Harness) {
    h.execute(Etl, etl_input()).await.unwrap();
    h.assert_failed_at(
        h.execute(ErrorTest, ErrorTestInput {}).await,
        "failing_task",
    );
    assert_eq!((h.run_count(), h.failure_count()), (2, 1));

    h.reset();
    assert_eq!((h.run_count(), h.failure_count()), (0, 0));
    assert_eq!(h.execution_count("page"), 0);
    assert_eq!(h.execution_count("Etl::page"), 0);
    assert_eq!(h.execution_count("fetch"), 0, "fn counts too");
    assert!(h.last_run().is_none() && h.last_trace().is_none() && h.runs().is_empty());
    h.assert_not_executed("failing_task");

    // A run in flight across the reset is recorded after it.
    let late = tokio::spawn(h.execute(Etl, etl_input()));
    tokio::time::sleep(Duration::from_millis(120)).await;
    h.reset();
    late.await.unwrap().unwrap();
    h.assert_executed("page", 1);
    h.assert_executed("sum", 1);
    assert_eq!(h.run_count(), 1);
    assert!(h.last_trace().is_some(), "tracing stays on");
}

#[node]
async fn doze(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[node(retry(max = 5, backoff = "10ms"))]
async fn nap_flaky(
    ms: u64,
    tries: Res<MockFn<(), Result<(), Simulated>>>,
) -> Result<u64, Simulated> {
    tries.call(())?;
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(ms)
}

workflow! {
    struct CutChain {
        input ms: u64,
        input long: u64,
        a = doze(ms),
        b = doze(ms: long),
        c = doze(ms: b),
    }
}

workflow! {
    struct CutFan {
        input each: Vec<u64>,
        naps = for ms in each {
            n = doze(ms),
        } => n,
    }
}

workflow! {
    struct CutRetried {
        input ms: u64,
        r = nap_flaky(ms),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_run_cut_by_a_timeout_is_recorded_with_what_ran(h: Harness) {
    let cut = tokio::time::timeout(
        Duration::from_millis(100),
        h.execute(CutChain, CutChainInput { ms: 10, long: 1000 }),
    );
    assert!(cut.await.is_err());
    assert_eq!((h.run_count(), h.failure_count()), (1, 1));
    h.assert_executed("a", 1);
    h.assert_executed("b", 1);
    h.assert_not_executed("c");
    assert_eq!(h.execution_count("doze"), 2);
    let record = h.last_run().expect("the cut run is recorded");
    assert!(!record.succeeded());
    let b = record.node("b").unwrap();
    assert_eq!(b.status, NodeStatus::Cancelled);
    assert_eq!(b.started_at, Some(Duration::ZERO));
    assert_eq!(b.duration, Duration::from_millis(100));
    assert_eq!(record.node("a").unwrap().status, NodeStatus::Succeeded);
    assert_eq!(record.node("c").unwrap().status, NodeStatus::NotStarted);
    let error = record.error().unwrap();
    assert!(
        error.contains("dropped after 100ms") && error.contains("`b` running"),
        "{error}"
    );
    assert!(record.trace().is_some());
    h.assert_overlapped("a", "b");

    // The next run on the same harness is recorded as usual.
    let run = h.execute(CutChain, CutChainInput { ms: 10, long: 1000 });
    let run = tokio::time::timeout(Duration::from_secs(2), run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.outputs.c, 1000);
    assert_eq!((h.run_count(), h.failure_count()), (2, 1));
    h.assert_executed("c", 1);
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_cut_fan_out_counts_its_finished_and_running_items(h: Harness) {
    let each = vec![10, 20, 500, 30, 600];
    let run = h.execute(CutFan, CutFanInput { each });
    tokio::select! {
        _ = run => panic!("two items sleep past the cut"),
        () = tokio::time::sleep(Duration::from_millis(100)) => {}
    }
    h.assert_executed("naps.n", 5);
    let record = h.last_run().unwrap();
    let status = |name: &str| record.node(name).map(|n| n.status);
    assert_eq!(status("naps[0].n"), Some(NodeStatus::Succeeded));
    assert_eq!(status("naps[3].n"), Some(NodeStatus::Succeeded));
    assert_eq!(status("naps[2].n"), Some(NodeStatus::Cancelled));
    assert_eq!(status("naps[4].n"), Some(NodeStatus::Cancelled));
    assert_eq!(status("naps"), Some(NodeStatus::Cancelled));
    assert_eq!(
        h.execution_count("doze"),
        5,
        "the items' fn, found through the plan"
    );
    let order: Vec<&str> = record.report().nodes.iter().map(|n| &*n.name).collect();
    assert_eq!(
        order,
        [
            "naps",
            "naps[0].n",
            "naps[1].n",
            "naps[2].n",
            "naps[3].n",
            "naps[4].n"
        ]
    );
    let third = record.node("naps[3].n").unwrap();
    assert_eq!(
        (third.started_at, third.duration),
        (Some(Duration::ZERO), Duration::from_millis(30))
    );
}

/// Untraced, the items that finished before the cut count too: a lane shows only the
/// item it runs now, and the fan-out keeps its finished items' reports until it ends,
/// which the cut run's report so far now reads (trial45: 3 of 9 items were counted).
#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_cut_fan_out_counts_its_finished_items_untraced_too(h: Harness) {
    h.set_trace(false);
    let each = vec![10, 20, 500, 30, 600];
    let run = h.execute(CutFan, CutFanInput { each });
    tokio::select! {
        _ = run => panic!("two items sleep past the cut"),
        () = tokio::time::sleep(Duration::from_millis(100)) => {}
    }
    h.assert_executed("naps.n", 5);
    h.assert_executed("naps[1].n", 1);
    let record = h.last_run().unwrap();
    assert!(record.trace().is_none());
    let status = |name: &str| record.node(name).map(|n| n.status);
    assert_eq!(status("naps[0].n"), Some(NodeStatus::Succeeded));
    assert_eq!(status("naps[3].n"), Some(NodeStatus::Succeeded));
    assert_eq!(status("naps[2].n"), Some(NodeStatus::Cancelled));
    assert_eq!(status("naps[4].n"), Some(NodeStatus::Cancelled));
    // Each item once, in order.
    let items: Vec<&str> = record
        .report()
        .nodes
        .iter()
        .map(|n| &*n.name)
        .filter(|n| n.starts_with("naps["))
        .collect();
    assert_eq!(
        items,
        [
            "naps[0].n",
            "naps[1].n",
            "naps[2].n",
            "naps[3].n",
            "naps[4].n"
        ]
    );
    // The fan-out's own records time its finished items.
    let third = record.node("naps[3].n").unwrap();
    assert_eq!(third.duration, Duration::from_millis(30));
    // The items cut while running were never timed (no trace): no `time=0ns` for them.
    let text = record.report().to_string();
    let line = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no line for {name}: {text}"))
            .trim_end()
            .to_owned()
    };
    assert!(
        line("naps[2].n").ends_with("cancelled  attempts=1"),
        "{text}"
    );
    assert!(
        line("naps[3].n").ends_with("attempts=1 time=30ms"),
        "{text}"
    );
}

/// A monitored run's report so far lists a fan-out's finished items while it runs, with
/// or without a trace, as its final report will.
#[tokio::test(start_paused = true)]
async fn the_report_so_far_of_a_fan_out_in_flight_lists_its_finished_items() {
    for trace in [false, true] {
        let handles: Arc<Mutex<Vec<RunHandle>>> = Arc::default();
        let keep = Arc::clone(&handles);
        let rt = Runtime::builder()
            .trace(trace)
            .monitor(move |h| keep.lock().unwrap().push(h))
            .build();
        let run = tokio::spawn(rt.execute(
            CutFan,
            CutFanInput {
                each: vec![10, 500, 20, 40],
            },
        ));
        tokio::time::sleep(Duration::from_millis(30)).await;
        let handle = handles.lock().unwrap()[0].clone();
        let report = handle.report_so_far().unwrap();
        let status = |name: &str| report.node(name).map(|n| n.status);
        assert_eq!(
            status("naps[0].n"),
            Some(NodeStatus::Succeeded),
            "trace {trace}: {report}"
        );
        assert_eq!(
            status("naps[2].n"),
            Some(NodeStatus::Succeeded),
            "trace {trace}: {report}"
        );
        assert_eq!(
            status("naps[1].n"),
            Some(NodeStatus::Running),
            "trace {trace}: {report}"
        );
        assert_eq!(
            status("naps[3].n"),
            Some(NodeStatus::Running),
            "trace {trace}: {report}"
        );
        let named = |name: &str| report.nodes.iter().filter(|n| &*n.name == name).count();
        assert!(
            ["naps[0].n", "naps[1].n", "naps[2].n", "naps[3].n"]
                .iter()
                .all(|n| named(n) == 1),
            "trace {trace}: each item once: {report}"
        );
        run.await.unwrap().unwrap();
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_cut_run_counts_every_attempt_and_works_untraced(h: Harness) {
    let tries = h.mock(MockFn::new(|(): ()| Ok(())));
    tries
        .answer_once(Err(Simulated))
        .answer_once(Err(Simulated));
    let cut = tokio::time::timeout(
        Duration::from_millis(500),
        h.execute(CutRetried, CutRetriedInput { ms: 1000 }),
    );
    assert!(cut.await.is_err());
    assert_eq!(tries.call_count(), 3);
    h.assert_executed("r", 3);

    h.reset();
    h.set_trace(false);
    let cut = tokio::time::timeout(
        Duration::from_millis(100),
        h.execute(CutChain, CutChainInput { ms: 10, long: 1000 }),
    );
    assert!(cut.await.is_err());
    h.assert_executed("a", 1);
    h.assert_executed("b", 1);
    h.assert_not_executed("c");
    let record = h.last_run().unwrap();
    assert!(record.trace().is_none());
    assert_eq!(record.node("b").unwrap().status, NodeStatus::Cancelled);
}

/// The message of the panic `f` raises (a failing assertion), which it must raise.
fn panic_of(f: impl FnOnce()) -> String {
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .expect_err("expected the assertion to fail");
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// The first line of the panic `f` raises: the assertion's own words, before the
/// harness's report of what ran.
fn first_panic_line(f: impl FnOnce()) -> String {
    panic_of(f).lines().next().unwrap_or_default().to_owned()
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn failing_assertion_shows_what_ran_and_the_trace(h: Harness) {
    let result = h.execute(ErrorTest, ErrorTestInput {}).await;
    let h2 = h.clone();
    let message = panic_of(move || {
        h2.assert_success(result);
    });
    for needle in [
        "expected the run to succeed, but it failed: node `failing_task` of workflow `ErrorTest` failed after 1 attempt(s): Simulated async error",
        "failing_task     failed     attempts=1 time=100ms",
        "recovery_task    skipped",
        "trace:",
        "0ns failing_task: started (attempt 1)",
        "100ms failing_task: failed after 1 attempt(s)",
        "100ms run failed",
    ] {
        assert!(message.contains(needle), "missing {needle:?} in:\n{message}");
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn count_assertion_names_known_nodes(h: Harness) {
    h.execute(Etl, etl_input()).await.unwrap();
    let message = panic_of(|| {
        h.assert_executed("pgae", 1);
    });
    assert!(
        message.contains("expected node `pgae` to be executed 1 time(s), but it was executed 0 time(s) (no node called `pgae` ran; did you mean `page`? known nodes: n, page, sum)"),
        "{message}"
    );
    assert!(
        message.contains("execution counts: n=1, page=1, sum=1"),
        "{message}"
    );
}

/// `execution_count` of a name that is no node of any run returned 0, so
/// `assert_eq!(h.execution_count("pgae"), 0)` passed for a misspelling; it fails as the
/// assertions do, with the likely name. A node of a run that did not run counts 0, as
/// does any name before the first run; a huge name is no misspelling and costs no
/// distance table.
#[workflow_test(timeout = "10s", start_paused = true)]
async fn execution_count_of_an_unknown_name_fails_with_the_likely_one(h: Harness) {
    assert_eq!(h.execution_count("pgae"), 0); // no run yet: nothing to check against
    h.execute(ErrorTest, ErrorTestInput {}).await.unwrap_err();
    assert_eq!(h.execution_count("recovery_task"), 0); // skipped, still a node
    h.execute(Etl, etl_input()).await.unwrap();
    assert_eq!(h.execution_count("page"), 1);
    assert_eq!(
        first_panic_line(|| {
            h.execution_count("pgae");
        }),
        "execution_count(\"pgae\"): no run of this harness has a node called `pgae`, so a \
         count of 0 would say nothing; did you mean `page`? known nodes: failing_task, n, \
         page, recovery_task, sum"
    );
    let huge = "p".repeat(1 << 20);
    let first = first_panic_line(|| {
        h.execution_count(&huge);
    });
    assert!(
        first
            .ends_with("would say nothing; known nodes: failing_task, n, page, recovery_task, sum"),
        "{}",
        &first[first.len() - 200..]
    );
}

#[node]
async fn cube(x: u32) -> u32 {
    x * x * x
}

workflow! {
    struct Cubes {
        input xs: Vec<u32>,
        cubes = for x in xs {
            c = cube(x),
        } => c,
    }
}

/// A fan-out over an empty list runs no item, so its body's nodes are in no report:
/// their binding and fn are still declared in the workflow, so counting them is 0 and
/// asserting them not executed passes, where a misspelling still fails (found in review:
/// the unknown-name check took them for misspellings).
#[workflow_test(timeout = "10s", start_paused = true)]
async fn nodes_of_a_fan_out_body_that_ran_no_item_are_known(h: Harness) {
    h.execute(Cubes, CubesInput { xs: vec![] }).await.unwrap();
    assert_eq!(h.execution_count("c"), 0);
    assert_eq!(h.execution_count("cube"), 0);
    assert_eq!(h.execution_count("cubes.c"), 0);
    h.assert_not_executed("c");
    h.assert_not_executed("cube");
    let misspelt = first_panic_line(|| {
        h.execution_count("cbue");
    });
    assert!(
        misspelt.contains("no run of this harness has a node called `cbue`")
            && misspelt.contains("did you mean `cube`?"),
        "{misspelt}"
    );
    let misspelt = first_panic_line(|| h.assert_not_executed("cueb"));
    assert!(misspelt.contains("did you mean `cube`?"), "{misspelt}");
    assert_eq!(h.execution_count("Cubes::c"), 0);
    // Qualified by a workflow that declares no `c`: still a misspelling.
    assert!(first_panic_line(|| {
        h.execution_count("CubeOne::cubes");
    })
    .contains("no run of this harness has a node called `CubeOne::cubes`"));
}

/// A binding that ran only inside fan-out items is counted under its path (`cubes.c`):
/// the bare name `c` counts nothing, so `assert_not_executed("c")` must not pass quietly,
/// and a count assertion on it names the path to use (found by a new-user trial).
#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_bare_name_that_ran_only_inside_items_points_to_its_path(h: Harness) {
    h.execute(Cubes, CubesInput { xs: vec![1, 2, 3] })
        .await
        .unwrap();
    h.assert_executed("cubes.c", 3);
    h.assert_executed("cube", 3); // the fn's name counts every item
    assert_eq!(h.execution_count("c"), 0);
    let message = panic_of(|| {
        h.assert_not_executed("c");
    });
    assert!(
        message.contains("no node called `c` ran at the top level, but `c` ran inside a fan-out or sub-workflow: name it by its path, `cubes.c` (3)"),
        "{message}"
    );
    let message = panic_of(|| {
        h.assert_executed("c", 3);
    });
    assert!(
        message.contains("executed 0 time(s) (no node called `c` ran at the top level; inside a fan-out or sub-workflow it is counted by its path: `cubes.c` (3))"),
        "{message}"
    );
}

workflow! {
    struct CubeOne {
        input x: u32,
        c = cube(x),
    }
}

workflow! {
    struct CubeSite {
        input x: u32,
        input xs: Vec<u32>,
        front = CubeOne(x),
        all = map(CubeOne, xs),
    }
}

/// `Sub::node` for a workflow that ran only as a sub-workflow (or `map`) counts nothing:
/// its nodes are counted under the outer workflow and their path (`CubeSite::front.c`).
/// `assert_not_executed("CubeOne::c")` must not pass quietly, and a count assertion
/// names the qualified paths to use (found by a new-user trial, session 17).
#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_sub_workflows_own_name_points_to_the_outer_paths(h: Harness) {
    h.execute(
        CubeSite,
        CubeSiteInput {
            x: 2,
            xs: vec![1, 2],
        },
    )
    .await
    .unwrap();
    h.assert_executed("CubeSite::front.c", 1);
    h.assert_executed("CubeSite::all.c", 2);
    assert_eq!(h.execution_count("CubeOne::c"), 0);
    let message = panic_of(|| {
        h.assert_not_executed("CubeOne::c");
    });
    assert!(
        message.contains("`CubeOne::c` counts 0 time(s), but that says nothing (`CubeOne` ran only as a sub-workflow or `map` here, whose nodes are counted under the workflow that ran and their path: `CubeSite::all.c` (2), `CubeSite::front.c` (1))"),
        "{message}"
    );
    let message = panic_of(|| {
        h.assert_executed("CubeOne::c", 3);
    });
    assert!(
        message.contains("executed 0 time(s) (`CubeOne` ran only as a sub-workflow or `map` here"),
        "{message}"
    );
    // Once `CubeOne` runs by itself, its own name counts its own runs.
    h.execute(CubeOne, CubeOneInput { x: 3 }).await.unwrap();
    h.assert_executed("CubeOne::c", 1);
    // `CubeOne` has no node `nope`: not "not executed" but a misspelling (below).
    let message = panic_of(|| {
        h.assert_not_executed("CubeOne::nope");
    });
    assert!(
        message.contains("no run of this harness has a node called `CubeOne::nope`"),
        "{message}"
    );
}

workflow! {
    struct CubeTwo {
        input x: u32,
        input xs: Vec<u32>,
        a = cube(x),
        b = cube(x: a),
        all = for x in xs { c = cube(x), } => c,
    }
}

/// A misspelt node name never runs, so `assert_not_executed("bb")` passed quietly: it
/// fails now, listing the nodes that exist. Nodes that exist but did not run (skipped,
/// not taken, the body of a fan-out over an empty list) still pass, and so does any name
/// before a run was recorded (found by a new-user trial, session 29).
#[workflow_test(timeout = "10s", start_paused = true)]
async fn assert_not_executed_on_a_name_no_run_has_fails_listing_the_nodes(h: Harness) {
    h.assert_not_executed("anything"); // no run yet: nothing to check names against
    h.execute(CubeTwo, CubeTwoInput { x: 2, xs: vec![] })
        .await
        .unwrap();
    h.assert_not_executed("all.c"); // the body of an empty fan-out
    h.assert_not_executed("all[3].c");
    h.assert_not_executed("CubeTwo::all.c");
    for (name, guess) in [
        ("bb", "did you mean `b`? "),
        ("CubeTwo::bb", ""),
        ("CubeTwo::all2.c", ""),
        ("al.c", ""),
    ] {
        let message = panic_of(|| h.assert_not_executed(name));
        assert!(
            message.contains(&format!(
                "expected node `{name}` not to be executed, but no run of this harness has a node called `{name}`, so that says nothing; {guess}known nodes: a, all, b"
            )),
            "{message}"
        );
    }
    assert!(panic_of(|| h.assert_executed("bb", 0)).contains("known nodes: a, all, b"));
}

#[node]
async fn loud(x: u32) -> String {
    format!("{x}!")
}

#[node]
async fn quiet(x: u32) -> String {
    format!("{x}.")
}

workflow! {
    struct Voice {
        input shout: bool,
        input x: u32,
        if shout {
            s = loud(x),
        } else {
            s = quiet(x),
        }
    }
}

/// `assert_not_taken` on a merge (one node per arm) fails, since the arm that ran defines
/// it, and says so, naming the run by its number in the harness (not its process-wide id).
#[workflow_test(timeout = "10s", start_paused = true)]
async fn not_taken_on_a_merge_says_why_and_names_the_run_by_number(h: Harness) {
    // Runs elsewhere first, so that the harness's runs' ids differ from their numbers.
    for x in 0..3 {
        Runtime::new()
            .execute(Voice, VoiceInput { shout: true, x })
            .await
            .unwrap();
    }
    h.execute(Voice, VoiceInput { shout: true, x: 1 })
        .await
        .unwrap();
    h.execute(Voice, VoiceInput { shout: false, x: 2 })
        .await
        .unwrap();
    let message = panic_of(|| {
        h.assert_not_taken("s");
    });
    let first = message.lines().next().unwrap();
    assert_eq!(
        first,
        "expected node `s` to be not taken in the last run (run 2 of `Voice`), but its status is succeeded (`s` is defined in 2 arms; the arm that ran defines it: name one arm's node as the report prints it, `s (loud)`)"
    );
    // As the hint says, and as the report prints the arms (trial31 asserted
    // `r (halve)` and was told the run had no such node).
    h.assert_not_taken("s (loud)");
    assert_eq!(
        h.last_run().unwrap().node("s (quiet)").unwrap().status,
        NodeStatus::Succeeded
    );
    let first = first_panic_line(|| {
        h.assert_not_taken("s (quiet)");
    });
    assert_eq!(
        first,
        "expected node `s (quiet)` to be not taken in the last run (run 2 of `Voice`), but its status is succeeded"
    );
    assert!(h.last_run().unwrap().node("s (shout)").is_none());
    // A misspelt node: the run's nodes as the report prints them, and the likely one.
    let first = first_panic_line(|| {
        h.assert_not_taken("s (lod)");
    });
    assert!(
        first.starts_with("expected node `s (lod)` to be not taken, but the last run (run 2 of `Voice`) has no node `s (lod)` (did you mean `s (loud)`? its nodes: "),
        "{first}"
    );
    assert!(first.contains("s (loud), s (quiet)"), "{first}");
    let run_id = h.last_run().unwrap().run_id();
    assert!(
        !message.contains(&format!("run {run_id} of")),
        "the process-wide id leaks into: {message}"
    );
}

workflow! {
    struct OtherEtl {
        input url: String,
        page = fetch(url),
    }
}

/// Two workflows that bind `page` add up under `page`; `Etl::page` counts one of them,
/// and a count assertion on the bare name that fails says it was summed.
#[workflow_test(timeout = "10s", start_paused = true)]
async fn counts_qualified_by_the_workflow_tell_same_named_bindings_apart(h: Harness) {
    h.execute(Etl, etl_input()).await.unwrap();
    h.execute(OtherEtl, OtherEtlInput { url: "x".into() })
        .await
        .unwrap();
    h.execute(OtherEtl, OtherEtlInput { url: "y".into() })
        .await
        .unwrap();
    assert_eq!(h.execution_count("page"), 3);
    assert_eq!(h.execution_count("Etl::page"), 1);
    assert_eq!(h.execution_count("OtherEtl::page"), 2);
    // `OtherEtl` binds no `sum`: a misspelling, not a count of 0.
    let first = first_panic_line(|| {
        h.execution_count("OtherEtl::sum");
    });
    assert!(
        first.contains("no run of this harness has a node called `OtherEtl::sum`"),
        "{first}"
    );
    h.assert_executed("Etl::sum", 1);
    h.assert_executed("fetch", 3);
    let message = panic_of(|| {
        h.assert_executed("page", 1);
    });
    assert!(
        message.contains("expected node `page` to be executed 1 time(s), but it was executed 3 time(s) (summed over every workflow that binds `page`: Etl::page=1, OtherEtl::page=2; name one as `Workflow::page`)"),
        "{message}"
    );
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn unexpected_success_and_wrong_error_type_are_reported(h: Harness) {
    let ok = h.execute(Etl, etl_input()).await;
    let message = panic_of(|| {
        let _ = h.assert_failure(ok);
    });
    assert!(
        message.contains("expected the run to fail, but run"),
        "{message}"
    );
    assert!(message.contains("of `Etl` succeeded"), "{message}");
    // The assertions for one kind of failure say which they expected, after
    // `assert_failure`'s sentence (runs 2, 3 and 4 of this harness).
    for (run, (expected, assert)) in [
        (
            "time out",
            (|h, r| drop(Harness::assert_timeout(h, r))) as fn(&Harness, _),
        ),
        ("deadlock", |h, r| drop(Harness::assert_deadlock(h, r))),
        ("fail at `sum`", |h, r| {
            drop(Harness::assert_failed_at(h, r, "sum"))
        }),
    ]
    .into_iter()
    .enumerate()
    {
        let ok = h.execute(Etl, etl_input()).await;
        let message = panic_of(|| assert(&h, ok));
        let run = run + 2;
        assert!(
            message.contains(&format!(
                "expected the run to fail, but run {run} of `Etl` succeeded (expected it to {expected})"
            )),
            "{message}"
        );
    }

    let failed = h.execute(ErrorTest, ErrorTestInput {}).await;
    let message = panic_of(|| {
        let _: std::fmt::Error = h.assert_error(failed);
    });
    assert!(
        message.contains("expected a node to fail with an error of type `core::fmt::Error`, but the run failed with: node `failing_task`"),
        "{message}"
    );
}

// ---- mocks ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Response {
    status: u16,
    data: String,
}

/// A client whose transport can be swapped.
#[derive(Clone)]
struct HttpClient {
    get: Arc<dyn Fn(String) -> Response + Send + Sync>,
}

#[node]
async fn fetch_api(http: Res<HttpClient>) -> String {
    (http.get)("/api/data".into()).data
}

workflow! {
    struct ApiTest {
        fetch_api = fetch_api(),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn mocked_http_client_is_called_exactly_once(h: Harness) {
    h.insert_resource(HttpClient {
        get: Arc::new(|_| Response {
            status: 500,
            data: "real".into(),
        }),
    });
    let get = MockFn::returning(Response {
        status: 200,
        data: "test".into(),
    });
    let recorder = get.clone();
    h.mock(HttpClient {
        get: Arc::new(move |path| get.call(path)),
    });
    let run = h.assert_success(h.execute(ApiTest, ApiTestInput {}).await);
    assert_eq!(run.outputs.fetch_api, "test");
    recorder.assert_called_once();
    // A `MockFn<String, _>` is asserted with a `&str`, as one writes it.
    recorder.assert_called_with("/api/data");
    recorder.assert_any_call(&"/api/data".to_owned());
    assert_eq!(recorder.calls(), vec!["/api/data".to_owned()]);
    h.assert_no_leaks().await;
}

#[test]
fn mock_assertions_list_the_calls() {
    let rec = CallRecorder::new();
    rec.record(1);
    rec.record(2);
    let message = panic_of(|| rec.assert_called_once());
    assert_eq!(
        message,
        "expected the mock to be called 1 time(s), but it was called 2 time(s); calls:\n  1. 1\n  2. 2"
    );
    assert!(panic_of(|| rec.assert_called_with(&3))
        .starts_with("expected the last call of the mock to be 3; calls:"));
    rec.assert_any_call(&1);
    let never: CallRecorder<u8> = CallRecorder::new();
    assert!(panic_of(|| never.assert_called()).contains("never called"));
}

#[node]
async fn square(x: u64) -> u64 {
    x * x
}

workflow! {
    struct Squares {
        input xs: Vec<u64>,
        input x: u64,
        squares = for x in xs { sq = square(x), } => sq,
        one = square(x),
    }
}

// ---- retries with a flaky mock (the guide's retry test) ------------------------------

#[derive(Debug, Clone, thiserror::Error)]
#[error("Temporary failure")]
struct ConnectionError;

struct Flaky(MockFn<(), Result<u32, ConnectionError>>);

#[node(retry(max = 3, backoff = "100ms"))]
async fn retry_operation(flaky: Res<Flaky>) -> Result<u32, ConnectionError> {
    flaky.0.call(())
}

workflow! {
    struct RetryTest {
        retry_operation = retry_operation(),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn flaky_operation_succeeds_on_the_third_attempt(h: Harness) {
    let op = MockFn::new(|()| Ok(3));
    op.answer_once(Err(ConnectionError));
    op.answer_once(Err(ConnectionError));
    h.mock(Flaky(op.clone()));
    let run = h.assert_success(h.execute(RetryTest, RetryTestInput {}).await);
    assert_eq!(run.outputs.retry_operation, 3);
    assert_eq!(run.node("retry_operation").unwrap().attempts, 3);
    op.assert_called_times(3);
    // `execution_count` counts calls, every attempt (as the guide's retry test expects);
    // `runs_that_called` counts runs.
    assert_eq!(h.execution_count("retry_operation"), 3);
    assert_eq!(h.runs_that_called("retry_operation"), 1);
    assert_eq!(h.runs_that_called("RetryTest::retry_operation"), 1);
    // A test that meant runs is told why the count is 3.
    let message = panic_of(|| h.assert_executed("retry_operation", 1));
    assert!(
        message.starts_with("expected node `retry_operation` to be executed 1 time(s), but it was executed 3 time(s) (every attempt counts: called 3 time(s) in 1 run(s); `h.runs_that_called(\"retry_operation\")` counts runs)\n"),
        "{message}"
    );
    // A second run, which succeeds at once: 4 calls in 2 runs.
    op.answer_once(Ok(4));
    h.assert_success(h.execute(RetryTest, RetryTestInput {}).await);
    assert_eq!(h.execution_count("retry_operation"), 4);
    assert_eq!(h.runs_that_called("retry_operation"), 2);
}

/// `runs_that_called` counts a run once however many of its nodes matched: every item
/// of a fan-out (`squares.sq`), every binding of one fn (`square`); a node that never
/// started counts no run, and an unknown name 0.
#[workflow_test(timeout = "10s", start_paused = true)]
async fn runs_that_called_counts_each_run_once(h: Harness) {
    h.assert_success(
        h.execute(
            Squares,
            SquaresInput {
                xs: vec![1, 2, 3],
                x: 1,
            },
        )
        .await,
    );
    h.assert_success(h.execute(Squares, SquaresInput { xs: vec![], x: 1 }).await);
    assert_eq!(h.execution_count("squares.sq"), 3);
    assert_eq!(h.runs_that_called("squares.sq"), 1);
    assert_eq!(h.runs_that_called("squares[1].sq"), 1);
    assert_eq!(h.execution_count("square"), 5);
    assert_eq!(
        h.runs_that_called("square"),
        2,
        "the fn: the items' and `one`'s"
    );
    assert_eq!(h.runs_that_called("one"), 2);
    assert_eq!(h.runs_that_called("Squares::one"), 2);
    assert_eq!(h.runs_that_called("nope"), 0);
}

// ---- load ----------------------------------------------------------------------------

#[node]
async fn process_item(item_id: usize) -> Result<usize, Simulated> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    if item_id % 10 == 9 {
        return Err(Simulated);
    }
    Ok(item_id)
}

workflow! {
    struct LoadTest {
        input item_id: usize,
        processed = process_item(item_id),
    }
}

#[workflow_test(timeout = "20s", start_paused = true)]
async fn load_reports_throughput_latency_and_failures(h: Harness) {
    let report = h
        .load(LoadTest, 100, 25, |i| LoadTestInput { item_id: i })
        .await;
    assert_eq!(report.runs, 100);
    assert_eq!(report.failed, 10);
    assert_eq!(report.succeeded, 90);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].1, 10);
    assert!(report.errors[0].0.contains("Simulated async error"));
    assert_eq!(
        report.failures_by_node,
        vec![(Some("processed".to_owned()), 10)]
    );
    // 100 runs of 10ms, 25 at a time: 4 waves.
    assert_eq!(report.elapsed, Duration::from_millis(40));
    assert_eq!(report.throughput(), 2500.0);
    assert_eq!(report.p50(), Duration::from_millis(10));
    assert_eq!(report.max(), Duration::from_millis(10));
    assert_eq!(h.execution_count("processed"), 100);
    assert_eq!(h.run_count(), 100);
    assert!(h.runs().is_empty(), "load runs are counted, not kept");
    let text = report.to_string();
    assert!(
        text.contains("100 runs at concurrency 25: 90 succeeded, 10 failed"),
        "{text}"
    );
    h.assert_no_leaks().await;
}

#[node]
async fn needs_pool(pool: Res<Pool>) -> u8 {
    let _pool = pool;
    1
}

workflow! {
    struct NeedsPool {
        p = needs_pool(),
    }
}

/// A run refused before any node started has no trace although tracing is on: the
/// report says why instead of "tracing was off".
#[workflow_test(timeout = "20s", start_paused = true)]
async fn a_run_that_never_started_is_reported_as_such(h: Harness) {
    assert!(h.trace_enabled());
    h.assert_failure(h.execute(NeedsPool, NeedsPoolInput {}).await);
    h.shutdown().await;
    h.assert_failure(h.execute(Etl, etl_input()).await);
    let report = h.report();
    assert_eq!(
        report
            .matches("(no trace: the run failed before any node started)")
            .count(),
        1,
        "{report}"
    );
    assert!(
        h.last_run()
            .unwrap()
            .to_string()
            .contains("(no trace: the run failed before any node started)"),
        "{report}"
    );
    assert!(!report.contains("tracing was off"), "{report}");
}

/// A load of no runs reports no throughput (not 0/0 = infinite) and no latencies.
#[workflow_test(timeout = "20s", start_paused = true)]
async fn a_load_of_no_runs_has_zero_throughput(h: Harness) {
    let report = h
        .load(LoadTest, 0, 4, |i| LoadTestInput { item_id: i })
        .await;
    assert_eq!((report.runs, report.succeeded, report.failed), (0, 0, 0));
    assert!(report.all_succeeded());
    assert_eq!(report.throughput(), 0.0);
    assert_eq!(report.wall_throughput(), 0.0);
    assert_eq!(report.p99(), Duration::ZERO);
    assert!(
        report
            .to_string()
            .starts_with("0 runs at concurrency 4: 0 succeeded, 0 failed in 0ns (0.0 runs/s;"),
        "{report}"
    );
    assert_eq!(h.run_count(), 0);
}

#[workflow_test(timeout = "20s", flavor = "multi_thread", workers = 2)]
async fn load_spreads_over_workers(h: Harness) {
    let report = h
        .load(LoadTest, 200, 50, |i| LoadTestInput { item_id: i * 10 })
        .await;
    assert!(report.all_succeeded(), "{report}");
    assert_eq!(h.execution_count("processed"), 200);
}

// ---- leaks ---------------------------------------------------------------------------

struct Pool;

#[node]
async fn hold_pool(pool: Res<Pool>) -> u8 {
    let _pool = pool;
    tokio::time::sleep(Duration::from_secs(60)).await;
    1
}

workflow! {
    #[workflow(timeout = "1s")]
    struct HoldsPool {
        held = hold_pool(),
    }
}

static LEAKED: std::sync::Mutex<Vec<Res<Pool>>> = std::sync::Mutex::new(Vec::new());

#[node]
async fn leak_pool(pool: Res<Pool>, ctx: &Context) -> u8 {
    LEAKED.lock().unwrap().push(pool);
    let ctx = ctx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(ctx);
    });
    1
}

workflow! {
    struct LeaksPool {
        leak = leak_pool(),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn timed_out_runs_release_everything(h: Harness) {
    h.insert_resource(Pool);
    h.assert_timeout(h.execute(HoldsPool, HoldsPoolInput {}).await);
    h.assert_no_leaks().await;
    // A dropped run future too.
    let dropped = tokio::time::timeout(
        Duration::from_millis(10),
        h.execute(HoldsPool, HoldsPoolInput {}),
    )
    .await;
    assert!(dropped.is_err());
    h.assert_no_leaks().await;
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn leaked_handles_and_tasks_are_found(h: Harness) {
    // A run elsewhere first, so that the leaking run's id is not 1.
    Runtime::new().execute(Etl, etl_input()).await.unwrap();
    h.insert_resource(Pool);
    h.execute(LeaksPool, LeaksPoolInput {}).await.unwrap();
    let report = h.leaks().await;
    assert_eq!(report.resources, vec![(std::any::type_name::<Pool>(), 1)]);
    assert_eq!(report.live_runs.len(), 1);
    assert_eq!(report.live_runs[0].1, "LeaksPool");
    // Named as the harness's reports name it: its number in the harness.
    assert_eq!(report.live_runs[0].0, 1);
    let text = report.to_string();
    assert!(
        text.contains("run 1 of `LeaksPool`: its state is still held"),
        "{text}"
    );
    LEAKED.lock().unwrap().clear();
}

#[node]
async fn nap_an_hour(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    n
}

workflow! {
    struct NapsInItems {
        input ns: Vec<u32>,
        naps = for n in ns {
            z = nap_an_hour(n),
        } => z,
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_leaked_run_names_its_running_nodes_by_path(h: Harness) {
    // A run left running in the background (spawned, never awaited).
    let run = tokio::spawn(h.execute(NapsInItems, NapsInItemsInput { ns: vec![1, 2] }));
    tokio::time::sleep(Duration::from_millis(10)).await;
    let report = h.leaks().await;
    assert_eq!(report.active_runs, 1);
    assert_eq!(report.live_runs.len(), 1);
    // The item nodes, not the fan-out `naps` around them.
    assert_eq!(report.live_runs[0].2, ["naps[0].z", "naps[1].z"]);
    let text = report.to_string();
    assert!(
        text.contains("run 1 of `NapsInItems`: its state is still held (a node future, its Context or a task it spawned is alive); nodes still running: naps[0].z, naps[1].z"),
        "{text}"
    );
    run.abort();
    let _ = run.await;
    h.assert_no_leaks().await;
}

// ---- tracing -------------------------------------------------------------------------

#[workflow_test(timeout = "10s", start_paused = true)]
async fn tracing_can_be_switched(h: Harness) {
    assert!(h.trace_enabled(), "on by default");
    h.set_trace(false);
    assert!(!h.trace_enabled());
    h.execute(Etl, etl_input()).await.unwrap();
    assert!(h.last_trace().is_none());
    h.set_trace(true);
    h.execute(Etl, etl_input()).await.unwrap();
    let trace = h.last_trace().unwrap();
    let page_events: Vec<String> = trace.node_events("page").map(|e| e.to_string()).collect();
    assert_eq!(page_events.len(), 3, "{page_events:?}");
    assert!(
        page_events[2].contains("100ms page: completed"),
        "{page_events:?}"
    );
}

/// The guide's names (`enable_tracing`, `disable_tracing`) and the deprecated `tracing()`
/// switch and report like `set_trace`/`trace_enabled`.
#[workflow_test(timeout = "10s", start_paused = true)]
#[allow(deprecated)]
async fn the_old_tracing_switches_still_work(h: Harness) {
    h.disable_tracing();
    assert!(!h.tracing());
    h.execute(Etl, etl_input()).await.unwrap();
    assert!(h.last_trace().is_none());
    h.enable_tracing();
    assert!(h.tracing());
    h.execute(Etl, etl_input()).await.unwrap();
    assert!(h.last_trace().is_some());
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn harness_counts_are_shared_by_clones() {
    let h = Harness::new();
    let h2 = h.clone();
    h2.execute(Etl, etl_input()).await.unwrap();
    assert_eq!(h.run_count(), 1);
    assert_eq!(
        h2.last_run().unwrap().run_id(),
        h.last_run().unwrap().run_id()
    );
}

// ---- spawning runs and looking at them in flight ---------------------------------------

#[node]
async fn wait_for_go(ctx: &Context) -> u8 {
    ctx.wait_signal("go").await;
    1
}

#[node]
async fn nap() -> u8 {
    tokio::time::sleep(Duration::from_secs(5)).await;
    2
}

#[node]
async fn finish(a: u8, b: u8) -> u8 {
    a + b
}

workflow! {
    struct Gated {
        gate = wait_for_go(),
        nap = nap(),
        done = finish(a: gate, b: nap),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn runs_in_flight_can_be_inspected(h: Harness) {
    let run = tokio::spawn(h.execute(Gated, GatedInput {}));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let live = h.live_runs();
    assert_eq!(live.len(), 1);
    let states: Vec<(&str, NodeStatus, Option<&str>)> = live[0]
        .nodes
        .iter()
        .map(|n| (n.name, n.status, n.waits_for.as_deref()))
        .collect();
    assert_eq!(
        states,
        [
            ("gate", NodeStatus::Running, Some("go")),
            ("nap", NodeStatus::Running, None),
            ("done", NodeStatus::NotStarted, None),
        ]
    );
    assert_eq!(h.run_count(), 0, "counted when it finishes");
    // `nap` ends at 5s; then `gate` is the only live node, in a tracked wait: deadlock.
    h.assert_deadlock(run.await.unwrap());
    assert!(h.live_runs().is_empty());
    assert_eq!(h.execution_count("nap"), 1);
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn ordering_failures_show_when_each_node_ran(h: Harness) {
    h.execute(Etl, etl_input()).await.unwrap();
    let message = panic_of(|| {
        h.assert_before("sum", "n");
    });
    assert!(
        message.contains("expected `sum` to finish before `n` started in run"),
        "{message}"
    );
    assert!(
        message.contains("(`sum` ran 100ms..150ms; `n` ran 100ms..150ms)"),
        "{message}"
    );
    let message = panic_of(|| {
        h.assert_overlapped("page", "sum");
    });
    assert!(
        message.contains("(`page` ran 0ns..100ms; `sum` ran 100ms..150ms)"),
        "{message}"
    );
    let message = panic_of(|| {
        h.assert_before("page", "nowhere");
    });
    assert!(
        message.contains("no run of this harness has a node `nowhere` (nodes seen: n, page, sum)"),
        "{message}"
    );
    // A misspelling of a node that ran is named.
    let message = panic_of(|| {
        h.assert_overlapped("pgae", "sum");
    });
    assert!(
        message.contains(
            "no run of this harness has a node `pgae` (did you mean `page`? nodes seen: n, page, sum)"
        ),
        "{message}"
    );
}

#[node]
async fn instant(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Instants {
        input x: u32,
        a = instant(x),
        b = instant(x),
    }
}

/// Two nodes that never wait run one after the other at the same instant: the failure
/// says why they cannot overlap instead of printing `0ns..0ns` twice as a contradiction.
#[workflow_test(timeout = "10s", start_paused = true)]
async fn nodes_that_never_wait_are_explained_when_overlap_is_expected(h: Harness) {
    h.execute(Instants, InstantsInput { x: 1 }).await.unwrap();
    let message = panic_of(|| {
        h.assert_overlapped("a", "b");
    });
    assert!(
        message.contains("(`a` ran 0ns..0ns; `b` ran 0ns..0ns)\nhint: a node that took no time on tokio's clock never waited"),
        "{message}"
    );
    // Nodes that wait get no such hint (`page` and `sum` of `Etl` take 100 ms and 50 ms).
    h.execute(Etl, etl_input()).await.unwrap();
    assert!(!panic_of(|| h.assert_overlapped("page", "sum")).contains("hint:"));
}

// ---- the failure report, exactly (the crate docs show it) ------------------------------

#[derive(Debug, thiserror::Error)]
#[error("connection refused")]
struct DbError;

#[node]
async fn load_rows(page: Vec<u32>) -> Result<Vec<u32>, DbError> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = page;
    Err(DbError)
}

#[node]
async fn store(rows: Vec<u32>) -> usize {
    rows.len()
}

workflow! {
    struct EtlStore {
        input url: String,
        page = fetch(url),
        rows = load_rows(page),
        saved = store(rows),
    }
}

#[workflow_test(timeout = "10s", start_paused = true)]
async fn the_failure_report_reads_well(h: Harness) {
    // A run elsewhere in the process first: run ids are process-wide, but the harness
    // names its runs by their number in it, so the report below does not depend on
    // what ran before (other tests of this binary, here a run on another runtime).
    let other = Runtime::new()
        .execute(Etl, EtlInput { url: "u".into() })
        .await
        .unwrap();
    let result = h
        .execute(
            EtlStore,
            EtlStoreInput {
                url: "https://example.com".into(),
            },
        )
        .await;
    let record = h.last_run().unwrap();
    assert_eq!(record.number(), 1);
    assert_ne!(record.run_id(), 1);
    assert!(record.run_id() > other.run_id());
    let message = panic_of(|| {
        h.assert_success(result);
    });
    let expected = "\
expected the run to succeed, but it failed: node `rows` of workflow `EtlStore` failed after 1 attempt(s): connection refused

finished runs: 1 (1 failed)
run 1 of `EtlStore` (150ms) failed: node `rows` of workflow `EtlStore` failed after 1 attempt(s): connection refused
  page             succeeded  attempts=1 time=100ms
  rows             failed     attempts=1 time=50ms
  saved            skipped
  trace:
             0ns run started
             0ns page: scheduled
             0ns page: started (attempt 1)
           100ms page: completed after 1 attempt(s)
           100ms rows: scheduled
           100ms rows: started (attempt 1)
           150ms rows: failed after 1 attempt(s): connection refused
           150ms saved: skipped
           150ms run failed: node `rows` of workflow `EtlStore` failed after 1 attempt(s): connection refused
";
    assert_eq!(message, expected);
}

/// A run's report under a harness names the run as the harness's messages do, with the
/// runtime's id beside it (trial39: `{}` of a record's report said `run 1025 of ..` where
/// the harness said `run 1 of ..`).
#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_runs_report_names_it_by_the_harness_number_and_its_id(h: Harness) {
    let first = h.execute(Etl, EtlInput { url: "u".into() }).await.unwrap();
    let failed = h.execute(EtlStore, EtlStoreInput { url: "u".into() }).await;
    assert!(failed.is_err());
    let runs = h.runs();
    let (one, two) = (&runs[0], &runs[1]);
    assert_eq!((one.number(), two.number()), (1, 2));
    let header = |r: &workflow_core::RunReport| r.to_string().lines().next().unwrap().to_owned();
    assert_eq!(first.report.harness_number(), Some(1));
    assert_eq!(
        header(&first.report),
        format!("run 1 (id {}) of `Etl` (150ms):", first.run_id())
    );
    assert_eq!(header(one.report()), header(&first.report));
    assert_eq!(
        header(two.report()),
        format!("run 2 (id {}) of `EtlStore` (150ms):", two.run_id())
    );
    // The harness's own text is unchanged, and agrees.
    assert!(
        two.to_string()
            .starts_with("run 2 of `EtlStore` (150ms) failed"),
        "{two}"
    );
    // Outside a harness, the id alone.
    let plain = Runtime::new()
        .execute(Etl, EtlInput { url: "u".into() })
        .await
        .unwrap();
    assert_eq!(plain.report.harness_number(), None);
    assert_eq!(
        header(&plain.report),
        format!("run {} of `Etl` (150ms):", plain.run_id())
    );
}

/// What else a user reads of a harness's run names it as the harness does, beside the
/// runtime's id: its live snapshot (`h.live_runs()`'s `{}`), its trace's Gantt title and
/// Chrome process name, and its report's JSON (trial40: all of them said the id alone,
/// `run 1025 of ..`, `title Etl (run 1025)`, while the harness said `run 1`).
#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_harness_runs_number_is_in_its_snapshot_trace_and_json(h: Harness) {
    h.set_trace(true);
    // A run outside the harness first, so that ids and numbers differ.
    let plain = Runtime::new()
        .execute_with(
            Etl,
            EtlInput { url: "u".into() },
            RunOptions::new().trace(true),
        )
        .await
        .unwrap();
    let running = tokio::spawn(h.execute(Etl, EtlInput { url: "u".into() }));
    tokio::time::sleep(Duration::from_millis(120)).await;
    let live = h.live_runs();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].harness_number, Some(1));
    let id = live[0].run_id;
    assert_ne!(id, 1);
    let text = live[0].to_string();
    assert!(
        text.starts_with(&format!("run 1 (id {id}) of `Etl` after 120ms:\n")),
        "{text}"
    );
    let run = running.await.unwrap().unwrap();
    assert_eq!(run.run_id(), id);
    let trace = run.trace.unwrap();
    assert_eq!(trace.harness_number(), Some(1));
    let gantt = trace.to_mermaid_gantt();
    assert!(
        gantt.contains(&format!("\n    title Etl (run 1, id {id})\n")),
        "{gantt}"
    );
    let chrome = trace.to_chrome_json();
    assert!(
        chrome.contains(&format!("\"Etl (run 1, id {id})\"")),
        "{chrome}"
    );
    assert_eq!(h.last_trace().unwrap().to_mermaid_gantt(), gantt);
    // The report's JSON has the number; the record's has it as `number`.
    let report: serde_json::Value = serde_json::to_value(&run.report).unwrap();
    assert_eq!(report["harness_number"], 1);
    assert_eq!(report["run_id"], id);
    let record: serde_json::Value = serde_json::to_value(h.last_run().unwrap()).unwrap();
    assert_eq!(record["number"], 1);
    assert_eq!(record["report"]["harness_number"], 1);
    // The trace's own JSON, kept beside a test, and the Chrome trace's `otherData` have it
    // too (trial42: only the report's JSON had it).
    let trace_json = serde_json::to_value(&trace).unwrap();
    assert_eq!(trace_json["harness_number"], 1);
    assert_eq!(trace_json["run_id"], id);
    assert_eq!(trace_json["workflow"], "Etl");
    assert_eq!(trace_json["events"].as_array().unwrap().len(), trace.len());
    let chrome: serde_json::Value = serde_json::from_str(&chrome).unwrap();
    assert_eq!(chrome["otherData"]["harness_number"], 1);
    assert_eq!(chrome["otherData"]["run_id"], id);
    // Outside a harness, the id alone, and no `harness_number` in the JSON.
    let plain_trace = plain.trace.unwrap();
    assert_eq!(plain_trace.harness_number(), None);
    let plain_trace_json = serde_json::to_value(&plain_trace).unwrap();
    assert!(
        plain_trace_json.get("harness_number").is_none(),
        "{plain_trace_json}"
    );
    let plain_chrome: serde_json::Value =
        serde_json::from_str(&plain_trace.to_chrome_json()).unwrap();
    assert!(
        plain_chrome["otherData"].get("harness_number").is_none(),
        "{plain_chrome}"
    );
    assert!(
        plain_trace
            .to_mermaid_gantt()
            .contains(&format!("\n    title Etl (run {})\n", plain.report.run_id)),
        "{}",
        plain_trace.to_mermaid_gantt()
    );
    let plain_json = serde_json::to_value(&plain.report).unwrap();
    assert!(plain_json.get("harness_number").is_none(), "{plain_json}");
    let snapshot = serde_json::to_value(&live[0]).unwrap();
    assert_eq!(snapshot["harness_number"], 1);
}

// ---- serde: what a harness recorded, as data ------------------------------------------

#[workflow_test(timeout = "20s", start_paused = true)]
async fn records_and_load_reports_serialize(h: Harness) {
    let _ = h
        .execute(
            EtlStore,
            EtlStoreInput {
                url: "https://example.com".into(),
            },
        )
        .await;
    let record = serde_json::to_value(h.last_run().unwrap()).unwrap();
    assert_eq!(
        record["error"],
        "node `rows` of workflow `EtlStore` failed after 1 attempt(s): connection refused"
    );
    assert_eq!(record["report"]["workflow"], "EtlStore");
    let statuses: Vec<&str> = record["report"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["succeeded", "failed", "skipped"]);
    assert_eq!(
        record["trace"]["events"].as_array().unwrap().len(),
        h.last_trace().unwrap().len()
    );

    let report = h
        .load(LoadTest, 20, 10, |i| LoadTestInput { item_id: i })
        .await;
    let json = serde_json::to_value(&report).unwrap();
    let ten_ms = serde_json::json!({ "secs": 0, "nanos": 10_000_000 });
    assert_eq!(json["runs"], 20);
    assert_eq!(json["concurrency"], 10);
    assert_eq!(json["succeeded"], 18);
    assert_eq!(json["failed"], 2);
    assert_eq!(
        json["errors"],
        serde_json::json!([[
            "node `processed` of workflow `LoadTest` failed after 1 attempt(s): Simulated async error",
            2
        ]])
    );
    assert_eq!(
        json["elapsed"],
        serde_json::json!({ "secs": 0, "nanos": 20_000_000 })
    );
    assert_eq!(json["latencies"], serde_json::json!(vec![ten_ms; 20]));

    let leaks = serde_json::to_value(h.leaks().await).unwrap();
    assert_eq!(
        leaks,
        serde_json::json!({ "live_runs": [], "resources": [], "active_runs": 0 })
    );
    assert_eq!(
        serde_json::to_value(workflow_test::MemoryStats::default()).unwrap(),
        serde_json::json!({
            "allocations": 0,
            "deallocations": 0,
            "allocated_bytes": 0,
            "freed_bytes": 0,
            "net_bytes": 0,
            "peak_bytes": 0,
            "largest_allocation": 0,
        })
    );
}

// --- a trait object registered the wrong way --------------------------------------------

trait Geo: Send + Sync {
    fn km(&self, from: &str, to: &str) -> u32;
}

struct FlatGeo;

impl Geo for FlatGeo {
    fn km(&self, from: &str, to: &str) -> u32 {
        (from.len() * to.len()) as u32
    }
}

#[node]
async fn distance(from: String, to: String, geo: Res<dyn Geo>) -> u32 {
    geo.km(&from, &to)
}

workflow! {
    struct Route {
        input from: String,
        input to: String,
        km = distance(from, to),
    }
}

workflow! {
    struct Routes {
        input froms: Vec<String>,
        input to: String,
        kms = for from in froms {
            km = distance(from, to),
        } => km,
    }
}

/// `h.insert_resource(Arc::new(FlatGeo))` registers `Arc<FlatGeo>`, which a
/// `Res<dyn Geo>` node cannot receive (nothing at run time can turn it into the trait
/// object): the run fails before any node starts, and the error says which call
/// registers a trait object. (It used to say "not registered; add it with
/// `Runtime::builder().resource(..)`", which cannot take a `dyn Geo`.)
#[workflow_test(start_paused = true)]
async fn an_arc_inserted_for_a_trait_object_resource_gets_the_resource_arc_hint(h: Harness) {
    let input = || RouteInput {
        from: "ab".into(),
        to: "abc".into(),
    };
    h.insert_resource(Arc::new(FlatGeo));
    let err = h.execute(Route, input()).await.unwrap_err();
    assert!(
        matches!(&err, WorkflowError::ResourceRegisteredAsArc { node, type_name, .. }
            if node == "km" && type_name.ends_with("Geo")),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("but an `Arc` was registered with `resource(..)` or `insert_resource(..)`"),
        "{text}"
    );
    assert!(text.contains("insert_resource_arc::<dyn "), "{text}");
    h.assert_not_executed("km");

    // Nothing of the kind registered: the hint for a trait object is `resource_arc`.
    let err = Harness::new().execute(Route, input()).await.unwrap_err();
    assert!(
        matches!(&err, WorkflowError::MissingResource { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("resource_arc::<dyn "), "{err}");

    // A node of a fan-out's item is checked when an item gets there: the same error,
    // naming the item's node.
    let items = || RoutesInput {
        froms: vec!["a".into(), "abcd".into()],
        to: "abc".into(),
    };
    let err = h.execute(Routes, items()).await.unwrap_err();
    assert!(
        matches!(&err, WorkflowError::ResourceRegisteredAsArc { node, .. } if node == "kms[0].km"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("insert_resource_arc::<dyn "),
        "{err}"
    );

    h.insert_resource_arc::<dyn Geo>(Arc::new(FlatGeo));
    let run = h.assert_success(h.execute(Route, input()).await);
    assert_eq!(run.outputs.km, 6);
    let run = h.assert_success(h.execute(Routes, items()).await);
    assert_eq!(run.outputs.kms, [3, 12]);
}

// ---- assert_error::<E>, as the README writes it -----------------------------------------

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("declined {0}")]
struct Declined(u32);

#[node]
async fn declines(card: u32) -> Result<u32, Declined> {
    Err(Declined(card))
}

workflow! {
    struct Declines {
        input card: u32,
        paid = declines(card),
    }
}

/// The error type named with a turbofish and nothing else (`assert_error::<E>`, as the
/// README and a user write it): it did not compile while `assert_error` had a second type
/// parameter for the result, and rustc then asked for `::<Declined, R>`.
#[workflow_test(timeout = "5s")]
async fn assert_error_takes_the_error_type_alone_in_a_turbofish(h: Harness) {
    let e = h.assert_error::<Declined>(h.execute(Declines, DeclinesInput { card: 4 }).await);
    assert_eq!(e, Declined(4));
    let result = h.execute(Declines, DeclinesInput { card: 5 }).await;
    let e: Declined = h.assert_error(result);
    assert_eq!(e, Declined(5));
}

// ---- load: failures whose messages name their item ------------------------------------

#[node]
async fn check_order(order: usize) -> anyhow::Result<usize> {
    if order % 4 == 1 {
        anyhow::bail!("order {order} rejected");
    }
    Ok(order)
}

#[node]
async fn ship_order(order: usize) -> Result<usize, Simulated> {
    if order % 4 == 2 {
        return Err(Simulated);
    }
    Ok(order)
}

workflow! {
    struct Orders {
        input order: usize,
        checked = check_order(order),
        shipped = ship_order(order: checked),
    }
}

/// Messages that name their item are each distinct, so `errors` keeps only the first
/// ten messages; `failures_by_node` still counts every failure, by the node to blame.
#[workflow_test(timeout = "20s", start_paused = true)]
async fn load_counts_every_failure_by_node_when_messages_differ(h: Harness) {
    let report = h.load(Orders, 60, 7, |i| OrdersInput { order: i }).await;
    assert_eq!(report.failed, 30);
    // Ten messages: `shipped`'s one (15 times) and nine of `checked`'s fifteen.
    assert_eq!(report.errors.len(), 10, "{report}");
    assert_eq!(
        report.errors.iter().map(|(_, n)| n).sum::<usize>(),
        24,
        "{report}"
    );
    assert_eq!(
        report.failures_by_node,
        vec![
            (Some("checked".to_owned()), 15),
            (Some("shipped".to_owned()), 15)
        ],
        "{report}"
    );
    let text = report.to_string();
    assert!(
        text.contains("failures by node: `checked` 15, `shipped` 15\n"),
        "{text}"
    );
    // The six failures whose messages were not kept are counted in the text too, so its
    // lines add up to `failed` (trial45: 14 failed, ten lines of `1x`, nothing more).
    assert!(
        text.ends_with(
            "  6 more failures, with other messages (the first 10 distinct messages are kept)\n"
        ),
        "{text}"
    );
}

// ---- assert_error on a node returning anyhow::Result ----------------------------------

#[node]
async fn anyhow_failing() -> anyhow::Result<u32> {
    Err(Simulated.into())
}

workflow! {
    struct AnyhowFailing {
        f = anyhow_failing(),
    }
}

/// `assert_error::<E>` returns the error by value, which only anyhow can take out of an
/// `anyhow::Error`: the failure says so and how to read it by reference, rather than
/// "expected a `Simulated`" over a message that is a `Simulated`'s.
#[workflow_test(timeout = "5s")]
async fn assert_error_of_a_type_carried_by_anyhow_says_to_read_it_by_reference(h: Harness) {
    let failed = h.execute(AnyhowFailing, AnyhowFailingInput {}).await;
    let message = panic_of(|| {
        let _: Simulated = h.assert_error(failed);
    });
    assert!(
        message.contains("but the node returned it inside an `anyhow::Error`"),
        "{message}"
    );
    assert!(
        message.contains("`h.assert_failure(result).downcast_ref::<Simulated>()`"),
        "{message}"
    );
    // What the message says works.
    let err = h.assert_failure(h.execute(AnyhowFailing, AnyhowFailingInput {}).await);
    assert_eq!(err.downcast_ref::<Simulated>(), Some(&Simulated));
}

/// `h.assert_no_leaks();` with its `.await` forgotten, in a plain `#[tokio::test]` (where
/// `#[workflow_test]`'s compile error does not reach): the unpolled check panics when
/// dropped, rather than letting the test pass without checking anything.
#[tokio::test]
#[should_panic(expected = "was never awaited, so nothing was checked: add `.await`")]
#[allow(unused_must_use)]
async fn a_leak_check_never_awaited_panics() {
    let h = Harness::new();
    h.assert_no_leaks();
}

#[node]
async fn sleep_ms(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    struct PairsAll {
        input a: u64,
        input b: u64,
        input c: u64,
        t1 = sleep_ms(ms: a),
        t2 = sleep_ms(ms: b),
        t3 = sleep_ms(ms: c),
    }
}

workflow! {
    #[workflow(concurrency = 2)]
    struct PairsTwo {
        input a: u64,
        input b: u64,
        input c: u64,
        t1 = sleep_ms(ms: a),
        t2 = sleep_ms(ms: b),
        t3 = sleep_ms(ms: c),
    }
}

/// The order assertions take a node qualified by its workflow, as `execution_count` does
/// (`"PairsTwo::t1"`): before, that was "no run of this harness has a node
/// `PairsTwo::t1`", so a test of two workflows binding the same names could only look at
/// whichever ran last.
#[workflow_test(timeout = "5s", start_paused = true)]
async fn order_assertions_take_names_qualified_by_their_workflow(h: Harness) {
    let input = || (30, 20, 10);
    let (a, b, c) = input();
    h.assert_success(h.execute(PairsTwo, PairsTwoInput { a, b, c }).await);
    h.assert_success(h.execute(PairsAll, PairsAllInput { a, b, c }).await);
    // PairsTwo: t3 waits for a slot (t2's, at 20ms); PairsAll: all three at once.
    h.assert_before("PairsTwo::t2", "PairsTwo::t3");
    h.assert_not_overlapped("PairsTwo::t2", "PairsTwo::t3");
    h.assert_overlapped("PairsAll::t2", "PairsAll::t3");
    h.assert_overlapped("t2", "t3"); // bare: the last run with both, PairsAll's
    let text = panic_of(|| h.assert_before("PairsTwo::t2", "PairsAll::t3"));
    assert!(
        text.contains("nodes `PairsTwo::t2` and `PairsAll::t3` never both ran in one run"),
        "{text}"
    );
}

#[node]
async fn classify_parcel(weight: u32) -> bool {
    weight <= 5
}
#[node]
async fn ship_express(weight: u32) -> String {
    format!("express {weight}")
}
#[node]
async fn ship_standard(weight: u32) -> String {
    format!("standard {weight}")
}

workflow! {
    struct Parcel {
        input weight: u32,
        small = classify_parcel(weight),
        if small { shipped = ship_express(weight), } else { shipped = ship_standard(weight), }
    }
}

/// The harness prints a run's nodes in the report's own columns, and a merge's arm
/// longer than 16 characters (`shipped (ship_standard)`) widens the column for every
/// line of both (trial43: the harness's column was 18 wide and the report's 16, and
/// such a name pushed its own status out of line in each).
#[workflow_test(timeout = "5s", start_paused = true)]
async fn the_harness_prints_nodes_in_the_reports_columns(h: Harness) {
    let run = h.assert_success(h.execute(Parcel, ParcelInput { weight: 9 }).await);
    let report = run.report.to_string();
    let harness = h.report();
    let lines = [
        "  small                   succeeded  attempts=1 time=0ns\n",
        "  shipped (ship_express)  not taken\n",
        "  shipped (ship_standard) succeeded  attempts=1 time=0ns\n",
    ];
    for line in lines {
        assert!(
            report.contains(line),
            "missing {line:?} in the report:\n{report}"
        );
        assert!(
            harness.contains(line),
            "missing {line:?} in the harness's:\n{harness}"
        );
    }
}

/// An error whose `source()` is itself.
#[derive(Debug)]
struct Itself;

impl std::fmt::Display for Itself {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("itself")
    }
}

impl std::error::Error for Itself {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self)
    }
}

#[node]
async fn loops() -> Result<u32, Itself> {
    Err(Itself)
}

workflow! {
    struct Loops {
        l = loops(),
    }
}

/// A node error whose `source()` chain loops: `assert_error_contains` walked it for ever
/// (a needle not found, or found only past the loop, hung the test). It ends now, and
/// its failure prints the chain with the loop left out.
#[workflow_test(timeout = "10s", start_paused = true)]
async fn assert_error_contains_ends_on_a_source_chain_that_loops(h: Harness) {
    let e = h.assert_error_contains(h.execute(Loops, LoopsInput {}).await, "itself");
    assert_eq!(e.node(), Some("l"));
    let result = h.execute(Loops, LoopsInput {}).await;
    let h2 = h.clone();
    let message = panic_of(move || {
        h2.assert_error_contains(result, "elsewhere");
    });
    // The loop is seen at once, or once more (see `Causes`: a vtable may exist twice).
    let first = message.lines().next().unwrap_or_default();
    let head = "expected the run to fail with a message containing \"elsewhere\", but it \
                failed with: node `l` of workflow `Loops` failed after 1 attempt(s): itself";
    let left_out = ": <the rest of the cause chain is left out: it loops>";
    assert!(
        first == format!("{head}{left_out}") || first == format!("{head}: itself{left_out}"),
        "{message}"
    );
}
