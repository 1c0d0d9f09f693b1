//! Reports of nodes that end out of declaration order (a lattice's nodes end by
//! anti-diagonals): the executor keeps such successes as one shared record and a bit a
//! node until something else is written (issue 17); the report says the same as if
//! every entry had been written.

use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::{NodeStatus, RunOutcome, RunReport};

/// Takes a `&Context`: never fused into a segment, so each node ends on its own.
#[node]
async fn step(x: u64, ctx: &Context) -> u64 {
    let _ = ctx.node();
    x + 1
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("refused {0}")]
struct Refused(u64);

#[node]
async fn refuse(x: u64) -> Result<u64, Refused> {
    Err(Refused(x))
}

#[node]
async fn wait_then_step(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    x + 1
}

workflow! {
    /// `a` ends first, then `c` (declared after `b`), then `b`.
    struct Crossed {
        input x: u64,
        a = step(x),
        b = step(x: c),
        c = step(x: a),
    }
}

workflow! {
    /// As `Crossed`, then a node that fails and one that never runs.
    struct CrossedFails {
        input x: u64,
        a = step(x),
        b = step(x: c),
        c = step(x: a),
        d = refuse(x: b),
        e = step(x: d),
    }
}

workflow! {
    /// As `Crossed`, then a node that waits (its record differs) and one after it.
    struct CrossedWaits {
        input x: u64,
        a = step(x),
        b = step(x: c),
        c = step(x: a),
        d = wait_then_step(x: b),
        e = step(x: d),
    }
}

fn statuses(report: &RunReport) -> Vec<(&str, NodeStatus, u32)> {
    report
        .nodes
        .iter()
        .map(|n| (&*n.name, n.status, n.attempts))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn nodes_that_end_out_of_order_all_succeed_in_the_report() {
    let run = Runtime::new()
        .execute(Crossed, CrossedInput { x: 1 })
        .await
        .unwrap();
    assert_eq!(run.outputs.b, 4);
    use NodeStatus::Succeeded;
    assert_eq!(
        statuses(&run.report),
        [
            ("a", Succeeded, 1),
            ("b", Succeeded, 1),
            ("c", Succeeded, 1)
        ]
    );
    for n in &run.report.nodes {
        assert_eq!(n.started_at, Some(Duration::ZERO), "{n}");
        assert_eq!(n.duration, Duration::ZERO, "{n}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_failure_after_nodes_that_ended_out_of_order_keeps_their_successes() {
    let RunOutcome { result, report, .. } = Runtime::new()
        .execute_report(CrossedFails, CrossedFailsInput { x: 1 }, RunOptions::new())
        .await;
    let err = result.unwrap_err();
    assert_eq!(err.node(), Some("d"));
    assert_eq!(err.downcast_ref::<Refused>(), Some(&Refused(4)));
    use NodeStatus::{Failed, Skipped, Succeeded};
    assert_eq!(
        statuses(&report),
        [
            ("a", Succeeded, 1),
            ("b", Succeeded, 1),
            ("c", Succeeded, 1),
            ("d", Failed, 1),
            ("e", Skipped, 0),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_node_that_waits_after_nodes_that_ended_out_of_order_has_its_own_record() {
    let run = Runtime::new()
        .execute(CrossedWaits, CrossedWaitsInput { x: 1 })
        .await
        .unwrap();
    assert_eq!(run.outputs.e, 6);
    use NodeStatus::Succeeded;
    assert_eq!(
        statuses(&run.report),
        [
            ("a", Succeeded, 1),
            ("b", Succeeded, 1),
            ("c", Succeeded, 1),
            ("d", Succeeded, 1),
            ("e", Succeeded, 1),
        ]
    );
    let d = &run.report.nodes[3];
    assert_eq!(
        (d.started_at, d.duration),
        (Some(Duration::ZERO), Duration::from_millis(5))
    );
    let e = &run.report.nodes[4];
    assert_eq!(e.started_at, Some(Duration::from_millis(5)));
}
