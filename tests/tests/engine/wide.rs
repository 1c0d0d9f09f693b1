//! A workflow wider than one word of the executor's wake set: 130 pending nodes that
//! finish in reverse order of their start, each woken and finished on its own.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;

/// Order in which the middle layer finished (binding names).
static FINISHED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

#[node]
async fn wide_source(x: u64) -> u64 {
    x
}

/// Member `w{i}` sleeps `WIDE - i` ms, so the last started finishes first.
#[node]
async fn wide_member(x: u64, ctx: &Context) -> u64 {
    let i: u64 = ctx.node()[1..].parse().expect("bindings are named w{i}");
    tokio::time::sleep(Duration::from_millis(WIDE as u64 - i)).await;
    FINISHED.lock().unwrap().push(ctx.node());
    x + i
}

include!(concat!(env!("OUT_DIR"), "/wide.rs"));

#[tokio::test(start_paused = true)]
async fn wide_layer_finishes_in_reverse_order_each_at_its_time() {
    let start = Instant::now();
    // A lost wake-up would leave the run pending forever: fail instead.
    let run = tokio::time::timeout(
        Duration::from_secs(10),
        Runtime::new().execute(Wide, WideInput { x: 1000 }),
    )
    .await
    .expect("a wake-up was lost")
    .unwrap();
    // Every member ran concurrently: the run takes as long as the slowest one.
    assert_eq!(start.elapsed(), Duration::from_millis(WIDE as u64));
    let n = WIDE as u64;
    assert_eq!(run.outputs.total, n * 1000 + n * (n - 1) / 2);

    let finished = FINISHED.lock().unwrap().clone();
    let expected: Vec<String> = (0..WIDE).rev().map(|i| format!("w{i}")).collect();
    assert_eq!(finished, expected);
    for i in 0..WIDE {
        let name = format!("w{i}");
        let node = run.report.nodes.iter().find(|r| r.name == name).unwrap();
        assert_eq!(node.status, NodeStatus::Succeeded);
        assert_eq!(
            node.duration,
            Duration::from_millis((WIDE - i) as u64),
            "{name} is timed from its start to its own wake-up"
        );
    }
    let total = run.report.nodes.iter().find(|r| r.name == "total").unwrap();
    assert_eq!(total.started_at, Some(Duration::from_millis(WIDE as u64)));
}

#[test]
fn the_packed_successor_table_of_a_large_plan_matches_its_node_specs() {
    use workflow_core::Workflow;
    // More than 16 nodes: the driver reads this table rather than the `NodeSpec`s.
    assert!(Wide::PLAN.nodes.len() > 16);
    for (i, node) in Wide::PLAN.nodes.iter().enumerate() {
        let packed: Vec<usize> = Wide::PLAN.next_of(i).iter().map(|&s| s as usize).collect();
        assert_eq!(packed, node.successors, "successors of `{}`", node.name);
    }
}
