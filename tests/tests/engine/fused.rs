//! Fused segments (issue 17): a linear run of plain nodes runs as one future when the
//! run wants nothing per node beyond its report. The outputs, the report (one entry per
//! node: status, attempts, start, duration) and the errors are those of the same run
//! with its nodes run one by one, which a traced run (or a stall limit) forces.

use std::time::Duration;

use tokio::time::Instant;
use workflow_core::__private::fused_segments_started;
use workflow_core::policy::FailurePolicy;
use workflow_core::prelude::*;
use workflow_core::{NodeStatus, RunOutcome, RunReport, Workflow, WorkflowError};

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("too big: {0}")]
struct TooBig(u64);

#[node]
async fn add1(x: u64) -> u64 {
    x + 1
}

/// Fails on 100 and above.
#[node]
async fn check(x: u64) -> Result<u64, TooBig> {
    if x >= 100 {
        return Err(TooBig(x));
    }
    Ok(x + 1)
}

/// Panics on 100 and above.
#[node]
async fn panic_big(x: u64) -> u64 {
    assert!(x < 100, "panic_big got {x}");
    x + 1
}

/// Waits 10 ms, then adds one.
#[node]
async fn nap(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    x + 1
}

/// Waits an hour.
#[node]
async fn hang(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    x
}

/// Fails after 5 ms.
#[node]
async fn fail_soon(x: u64) -> Result<u64, TooBig> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    Err(TooBig(x))
}

/// Takes a `&Context`: never fused.
#[node]
async fn with_ctx(x: u64, ctx: &Context) -> u64 {
    let _ = ctx.node();
    x + 1
}

#[node]
async fn sum2(a: u64, b: u64) -> u64 {
    a + b
}

workflow! {
    struct Five {
        input x: u64,
        a = add1(x),
        b = add1(x: a),
        c = add1(x: b),
        d = add1(x: c),
        e = add1(x: d),
    }
}

workflow! {
    struct FailMid {
        input x: u64,
        a = add1(x),
        b = check(x: a),
        c = add1(x: b),
        d = add1(x: c),
    }
}

workflow! {
    struct PanicMid {
        input x: u64,
        a = add1(x),
        b = panic_big(x: a),
        c = add1(x: b),
    }
}

workflow! {
    struct NapMid {
        input x: u64,
        a = add1(x),
        b = nap(x: a),
        c = add1(x: b),
        d = nap(x: c),
        e = nap(x: d),
        f = add1(x: e),
    }
}

workflow! {
    struct HangMid {
        input x: u64,
        a = add1(x),
        b = hang(x: a),
        c = add1(x: b),
        other = fail_soon(x),
    }
}

workflow! {
    struct HangAlone {
        input x: u64,
        a = add1(x),
        b = hang(x: a),
        c = add1(x: b),
    }
}

workflow! {
    /// A failing segment beside a healthy one, for `failure = "continue"`.
    struct TwoChains {
        input x: u64,
        a = add1(x),
        b = check(x: a),
        c = add1(x: b),
        p = add1(x),
        q = add1(x: p),
        r = add1(x: q),
    }
}

workflow! {
    struct WithPolicy {
        input x: u64,
        a = add1(x),
        #[timeout = "1s"]
        b = add1(x: a),
        c = add1(x: b),
        d = add1(x: c),
    }
}

workflow! {
    struct TwoReaders {
        input x: u64,
        a = add1(x),
        b = add1(x: a),
        c = add1(x: b),
        d = add1(x: b),
        s = sum2(a: c, b: d),
    }
}

workflow! {
    struct WithContext {
        input x: u64,
        a = add1(x),
        b = with_ctx(x: a),
        c = add1(x: b),
    }
}

workflow! {
    struct KeptOutput {
        input x: u64,
        a = add1(x),
        #[output]
        b = add1(x: a),
        c = add1(x: b),
        d = add1(x: c),
    }
}

workflow! {
    /// A chain long enough for its links' slots (all but the last's) to be one group
    /// made on first use (`LazySlots`), and a node beside it.
    struct Twenty {
        input x: u64,
        n0 = add1(x),
        n1 = add1(x: n0),
        n2 = add1(x: n1),
        n3 = add1(x: n2),
        n4 = add1(x: n3),
        n5 = add1(x: n4),
        n6 = add1(x: n5),
        n7 = add1(x: n6),
        n8 = add1(x: n7),
        n9 = add1(x: n8),
        n10 = add1(x: n9),
        n11 = add1(x: n10),
        n12 = add1(x: n11),
        n13 = add1(x: n12),
        n14 = add1(x: n13),
        n15 = add1(x: n14),
        n16 = add1(x: n15),
        n17 = add1(x: n16),
        n18 = add1(x: n17),
        n19 = add1(x: n18),
        other = add1(x),
    }
}

/// The segments `workflow!` found, by node name.
fn segments<W: Workflow>() -> Vec<Vec<&'static str>> {
    W::FUSED
        .iter()
        .map(|s| {
            s.nodes
                .iter()
                .map(|&i| W::PLAN.nodes[i as usize].name)
                .collect()
        })
        .collect()
}

/// Runs `input` twice, with `options` plus a trace (nodes one by one) and as given
/// (fused, when `options` allow it), and returns both outcomes and how many segments
/// the second run started fused.
async fn both<W: Workflow + Copy>(
    workflow: W,
    input: impl Fn() -> W::Input,
    options: impl Fn() -> RunOptions,
) -> (RunOutcome<W::Output>, RunOutcome<W::Output>, u64) {
    let rt = Runtime::new();
    let before = fused_segments_started();
    let one_by_one = rt
        .execute_report(workflow, input(), options().trace(true))
        .await;
    assert_eq!(fused_segments_started(), before, "a traced run never fuses");
    let fused = rt.execute_report(workflow, input(), options()).await;
    let started = fused_segments_started() - before;
    (one_by_one, fused, started)
}

/// The report without what differs between runs (the run id, the run's duration).
fn nodes(report: &RunReport) -> Vec<(String, NodeStatus, u32, Option<Duration>, Duration)> {
    report
        .nodes
        .iter()
        .map(|n| {
            (
                n.name.to_string(),
                n.status,
                n.attempts,
                n.started_at,
                n.duration,
            )
        })
        .collect()
}

fn status(report: &RunReport, node: &str) -> (NodeStatus, u32) {
    let n = report.node(node).unwrap();
    (n.status, n.attempts)
}

#[test]
fn the_macro_finds_the_segments() {
    assert_eq!(segments::<Five>(), [["a", "b", "c", "d", "e"]]);
    assert_eq!(segments::<NapMid>(), [["a", "b", "c", "d", "e", "f"]]);
    // `other` is beside the chain, not in it.
    assert_eq!(segments::<HangMid>(), [["a", "b", "c"]]);
    assert_eq!(
        segments::<TwoChains>(),
        [vec!["a", "b", "c"], vec!["p", "q", "r"]]
    );
    // A binding policy breaks the chain: `a` is left alone, `b` too.
    assert_eq!(segments::<WithPolicy>(), [["c", "d"]]);
    // `b` has two readers: the chain stops at it; `c`, `d` and `s` read it or two values.
    assert_eq!(segments::<TwoReaders>(), [["a", "b"]]);
    // `#[output]` keeps `b` for the caller: a segment may not end inside it.
    assert_eq!(segments::<KeptOutput>(), [vec!["a", "b"], vec!["c", "d"]]);
    assert!(Five::FUSED[0].plain);
    // The macro cannot see a `&Context` parameter: the segment is found, and the
    // constant says it is not plain, so it never runs fused.
    assert_eq!(segments::<WithContext>(), [["a", "b", "c"]]);
    assert!(!WithContext::FUSED[0].plain);
}

#[tokio::test(start_paused = true)]
async fn a_fused_chain_gives_the_same_outputs_and_report() {
    let (one, fused, started) = both(Five, || FiveInput { x: 1 }, RunOptions::new).await;
    assert_eq!(started, 1);
    assert_eq!(one.result.unwrap().e, 6);
    assert_eq!(fused.result.unwrap().e, 6);
    assert_eq!(nodes(&one.report), nodes(&fused.report));
    assert_eq!(fused.report.nodes.len(), 5);
    for n in &fused.report.nodes {
        assert_eq!((n.status, n.attempts), (NodeStatus::Succeeded, 1), "{n}");
        assert_eq!(n.started_at, Some(Duration::ZERO), "{n}");
        assert_eq!(n.duration, Duration::ZERO, "{n}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_stall_limit_runs_the_nodes_one_by_one() {
    let before = fused_segments_started();
    let run = Runtime::new()
        .execute_report(
            Five,
            FiveInput { x: 1 },
            RunOptions::new().deadlock(Duration::from_secs(1)),
        )
        .await;
    assert_eq!(run.result.unwrap().e, 6);
    assert_eq!(fused_segments_started(), before);
}

#[tokio::test(start_paused = true)]
async fn a_failure_in_the_middle_names_the_node_and_skips_the_rest() {
    let (one, fused, started) = both(FailMid, || FailMidInput { x: 99 }, RunOptions::new).await;
    assert_eq!(started, 1);
    for run in [&one, &fused] {
        let err = run.result.as_ref().unwrap_err();
        assert_eq!(err.node(), Some("b"), "{err}");
        assert_eq!(err.attempts(), Some(1));
        assert_eq!(err.downcast_ref::<TooBig>(), Some(&TooBig(100)));
        assert_eq!(status(&run.report, "a"), (NodeStatus::Succeeded, 1));
        assert_eq!(status(&run.report, "b"), (NodeStatus::Failed, 1));
        assert_eq!(status(&run.report, "c"), (NodeStatus::Skipped, 0));
        assert_eq!(status(&run.report, "d"), (NodeStatus::Skipped, 0));
    }
    assert_eq!(nodes(&one.report), nodes(&fused.report));
    // Below the limit, the same workflow succeeds fused.
    let (_, ok, _) = both(FailMid, || FailMidInput { x: 1 }, RunOptions::new).await;
    assert_eq!(ok.result.unwrap().d, 5);
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_the_middle_is_the_nodes_own() {
    let (one, fused, started) = both(PanicMid, || PanicMidInput { x: 99 }, RunOptions::new).await;
    assert_eq!(started, 1);
    for run in [&one, &fused] {
        let err = run.result.as_ref().unwrap_err();
        assert!(
            matches!(err, WorkflowError::NodePanicked { node, message, .. }
                if node == "b" && message.contains("panic_big got 100")),
            "{err:?}"
        );
        assert_eq!(status(&run.report, "a"), (NodeStatus::Succeeded, 1));
        assert_eq!(status(&run.report, "b"), (NodeStatus::Failed, 1));
        assert_eq!(status(&run.report, "c"), (NodeStatus::Skipped, 0));
    }
    assert_eq!(nodes(&one.report), nodes(&fused.report));
}

#[tokio::test(start_paused = true)]
async fn a_segment_whose_nodes_wait_resumes_and_reports_their_times() {
    let (one, fused, started) = both(NapMid, || NapMidInput { x: 0 }, RunOptions::new).await;
    assert_eq!(started, 1);
    assert_eq!(one.result.unwrap().f, 6);
    assert_eq!(fused.result.unwrap().f, 6);
    assert_eq!(nodes(&one.report), nodes(&fused.report));
    let at = |n: &str| {
        let r = fused.report.node(n).unwrap();
        assert_eq!((r.status, r.attempts), (NodeStatus::Succeeded, 1), "{r}");
        (r.started_at.unwrap().as_millis(), r.duration.as_millis())
    };
    // `b` waits 10 ms from 0; `c` runs as it ends; `d` and `e` wait 10 ms each.
    assert_eq!(
        [at("a"), at("b"), at("c"), at("d"), at("e"), at("f")],
        [(0, 0), (0, 10), (10, 0), (10, 10), (20, 10), (30, 0)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failure_elsewhere_cancels_the_node_in_flight_and_skips_the_rest() {
    let (one, fused, started) = both(HangMid, || HangMidInput { x: 1 }, RunOptions::new).await;
    assert_eq!(started, 1);
    for run in [&one, &fused] {
        let err = run.result.as_ref().unwrap_err();
        assert_eq!(err.node(), Some("other"), "{err}");
        assert_eq!(status(&run.report, "a"), (NodeStatus::Succeeded, 1));
        assert_eq!(status(&run.report, "b"), (NodeStatus::Cancelled, 1));
        assert_eq!(status(&run.report, "c"), (NodeStatus::Skipped, 0));
        let b = run.report.node("b").unwrap();
        assert_eq!(b.started_at, Some(Duration::ZERO));
        assert_eq!(b.duration, Duration::from_millis(5));
    }
    assert_eq!(nodes(&one.report), nodes(&fused.report));
}

#[tokio::test(start_paused = true)]
async fn cancelling_the_run_drops_a_pending_segment() {
    let token = CancellationToken::new();
    let rt = Runtime::new();
    let before = fused_segments_started();
    let run = tokio::spawn(rt.execute_report(
        HangAlone,
        HangAloneInput { x: 1 },
        RunOptions::new().cancel_token(token.clone()),
    ));
    tokio::time::sleep(Duration::from_millis(7)).await;
    let start = Instant::now();
    token.cancel();
    let out = run.await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(fused_segments_started() - before, 1);
    assert!(
        matches!(out.result, Err(WorkflowError::Cancelled { .. })),
        "{:?}",
        out.result
    );
    assert_eq!(status(&out.report, "a"), (NodeStatus::Succeeded, 1));
    assert_eq!(status(&out.report, "b"), (NodeStatus::Cancelled, 1));
    assert_eq!(status(&out.report, "c"), (NodeStatus::Skipped, 0));
    assert_eq!(
        out.report.node("b").unwrap().duration,
        Duration::from_millis(7)
    );
}

#[tokio::test(start_paused = true)]
async fn continue_mode_blocks_only_the_failed_segments_rest() {
    let options = || RunOptions::new().failure(FailurePolicy::Continue);
    let (one, fused, started) = both(TwoChains, || TwoChainsInput { x: 99 }, options).await;
    assert_eq!(started, 2);
    for run in [&one, &fused] {
        let err = run.result.as_ref().unwrap_err();
        assert_eq!(err.node(), Some("b"), "{err}");
        assert_eq!(status(&run.report, "b"), (NodeStatus::Failed, 1));
        assert_eq!(status(&run.report, "c"), (NodeStatus::Skipped, 0));
        for n in ["a", "p", "q", "r"] {
            assert_eq!(status(&run.report, n), (NodeStatus::Succeeded, 1), "{n}");
        }
    }
    assert_eq!(nodes(&one.report), nodes(&fused.report));
}

#[tokio::test(start_paused = true)]
async fn broken_chains_still_run_right() {
    let (one, fused, started) =
        both(WithPolicy, || WithPolicyInput { x: 1 }, RunOptions::new).await;
    assert_eq!(started, 1);
    assert_eq!(one.result.unwrap().d, 5);
    assert_eq!(fused.result.unwrap().d, 5);
    assert_eq!(nodes(&one.report), nodes(&fused.report));

    let (one, fused, started) =
        both(TwoReaders, || TwoReadersInput { x: 1 }, RunOptions::new).await;
    assert_eq!(started, 1);
    assert_eq!(one.result.unwrap().s, 8);
    assert_eq!(fused.result.unwrap().s, 8);
    assert_eq!(nodes(&one.report), nodes(&fused.report));

    let (one, fused, started) =
        both(KeptOutput, || KeptOutputInput { x: 1 }, RunOptions::new).await;
    assert_eq!(started, 2);
    let (one, fused) = (one.result.unwrap(), fused.result.unwrap());
    assert_eq!((one.b, one.d), (3, 5));
    assert_eq!((fused.b, fused.d), (3, 5));

    // Not plain (`&Context`): its nodes run one by one.
    let (one, fused, started) =
        both(WithContext, || WithContextInput { x: 1 }, RunOptions::new).await;
    assert_eq!(started, 0);
    assert_eq!(one.result.unwrap().c, 4);
    assert_eq!(fused.result.unwrap().c, 4);
}

#[tokio::test(start_paused = true)]
async fn a_long_chain_runs_alike_fused_and_one_by_one() {
    assert_eq!(segments::<Twenty>().len(), 1);
    let (one, fused, started) = both(Twenty, || TwentyInput { x: 1 }, RunOptions::new).await;
    assert_eq!(started, 1);
    let (one_out, fused_out) = (one.result.unwrap(), fused.result.unwrap());
    assert_eq!((one_out.n19, one_out.other), (21, 2));
    assert_eq!((fused_out.n19, fused_out.other), (21, 2));
    assert_eq!(nodes(&one.report), nodes(&fused.report));
    assert_eq!(fused.report.nodes.len(), 21);
    assert_eq!(fused.report.nodes[20].name, "other");
    for n in &fused.report.nodes {
        assert_eq!((n.status, n.attempts), (NodeStatus::Succeeded, 1), "{n}");
    }
}
