//! A `match` arm's pattern binding feeding a fan-out (`for x in items`, `map(W, items)`,
//! or an outer source its body uses) or a sub-workflow's port. A pattern binding has no
//! type of its own: its slot takes the type of the port it feeds, which `#[node]` gives
//! for a node's ports and `workflow!` for a sub-workflow's inputs and a fan-out's ports.

use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::store::MemoryStore;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Batch {
    Many(Vec<u32>, u32),
    One(u32),
}

#[node]
async fn sort(xs: Vec<u32>, factor: u32) -> Batch {
    match xs.as_slice() {
        [x] => Batch::One(*x),
        _ => Batch::Many(xs, factor),
    }
}

#[node]
async fn scale(x: u32, by: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(u64::from(x))).await;
    x * by
}

#[node]
async fn sum(parts: Vec<u32>) -> u32 {
    parts.iter().sum()
}

#[node]
async fn twice(x: u32) -> u32 {
    x * 2
}

workflow! {
    /// One input: a pattern binding feeds it.
    struct Twice {
        input x: u32,
        t = twice(x),
    }
}

workflow! {
    /// Two inputs: each port has its own type.
    struct Scale {
        input x: u32,
        input by: u32,
        s = scale(x, by),
    }
}

#[node]
async fn of_twice(r: TwiceOutput) -> u32 {
    r.t
}

#[node]
async fn of_scale(r: ScaleOutput) -> u32 {
    r.s
}

#[node]
async fn of_all(rs: Vec<TwiceOutput>) -> u32 {
    rs.iter().map(|r| r.t).sum()
}

workflow! {
    /// The list of a `for` and an outer source of its body are the arm's pattern bindings.
    struct ForOverPattern {
        input xs: Vec<u32>,
        input factor: u32,
        b = sort(xs, factor),
        match b {
            Batch::Many(items, k) => {
                scaled = for x in items {
                    y = scale(x, by: k),
                } => y,
                total = sum(parts: scaled),
            }
            Batch::One(v) => {
                sub = Scale(x: v, by: v),
                total = of_scale(r: sub),
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_for_runs_over_a_pattern_binding_with_another_as_outer_source() {
    let rt = Runtime::new();
    let start = tokio::time::Instant::now();
    let run = rt
        .execute(
            ForOverPattern,
            ForOverPatternInput {
                xs: vec![10, 20, 30],
                factor: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.total, 180);
    assert_eq!(start.elapsed(), Duration::from_millis(30)); // the items overlapped
    assert!(run.node("scaled[2].y").is_some());
    assert_eq!(run.node("sub").unwrap().status, NodeStatus::NotTaken);

    let run = rt
        .execute(
            ForOverPattern,
            ForOverPatternInput {
                xs: vec![7],
                factor: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.total, 49);
    assert_eq!(run.node("sub.s").unwrap().status, NodeStatus::Succeeded);
    assert_eq!(run.node("scaled").unwrap().status, NodeStatus::NotTaken);
}

workflow! {
    /// `map` over a pattern binding, and a one-input sub-workflow fed by one.
    struct MapOverPattern {
        input xs: Vec<u32>,
        input factor: u32,
        b = sort(xs, factor),
        match b {
            Batch::Many(items, _k) => {
                each = map(Twice, items),
                total = of_all(rs: each),
            }
            Batch::One(v) => {
                sub = Twice(x: v),
                total = of_twice(r: sub),
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn map_and_a_one_input_sub_workflow_take_pattern_bindings() {
    let rt = Runtime::new();
    let run = rt
        .execute(
            MapOverPattern,
            MapOverPatternInput {
                xs: vec![1, 2, 3, 4],
                factor: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.total, 20);
    assert!(run.node("each[3].t").is_some());
    let run = rt
        .execute(
            MapOverPattern,
            MapOverPatternInput {
                xs: vec![5],
                factor: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.total, 10);
    assert_eq!(run.node("sub.t").unwrap().status, NodeStatus::Succeeded);
}

workflow! {
    /// The same in a durable workflow: the items are recorded under their paths.
    #[workflow(durable)]
    struct DurableForOverPattern {
        input xs: Vec<u32>,
        input factor: u32,
        b = sort(xs, factor),
        match b {
            Batch::Many(items, k) => {
                scaled = for x in items {
                    y = scale(x, by: k),
                } => y,
                total = sum(parts: scaled),
            }
            Batch::One(v) => {
                total = twice(x: v),
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_durable_for_over_a_pattern_binding_records_its_items() {
    let rt = Runtime::builder().store(MemoryStore::new()).build();
    let run = rt
        .start_durable(
            DurableForOverPattern,
            DurableForOverPatternInput {
                xs: vec![1, 2],
                factor: 5,
            },
            Some("k"),
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.total, 15);
    // The same key again: the stored outputs, nothing run.
    let again = rt
        .start_durable(
            DurableForOverPattern,
            DurableForOverPatternInput {
                xs: vec![1, 2],
                factor: 5,
            },
            Some("k"),
        )
        .await
        .unwrap();
    assert!(again.report.is_none());
    assert_eq!(again.outputs.total, 15);
}
