//! Branches, fan-outs and sub-workflows together: a fan-out inside an arm (it runs only
//! when its arm is taken, and is *not taken* otherwise), and a sub-workflow that routes,
//! mapped over a list (each item takes its own arm).

use workflow_core::prelude::*;
use workflow_test::{workflow_test, Harness};

#[node]
async fn is_batch(n: u32) -> bool {
    n > 1
}

#[node]
async fn items(n: u32) -> Vec<u32> {
    (0..n).collect()
}

#[node]
async fn square(x: u32) -> u32 {
    x * x
}

#[node]
async fn sum(values: Vec<u32>) -> u32 {
    values.iter().sum()
}

#[node]
async fn single(n: u32) -> u32 {
    n + 1000
}

workflow! {
    struct BatchOrSingle {
        input n: u32,
        batch = is_batch(n),
        if batch {
            list = items(n),
            squares = for x in list { s = square(x), } => s,
            result = sum(values: squares),
        } else {
            result = single(n),
        }
    }
}

#[workflow_test(timeout = "5s", start_paused = true)]
async fn a_fan_out_inside_an_arm_runs_only_when_its_arm_is_taken(h: Harness) {
    let run = h
        .execute(BatchOrSingle, BatchOrSingleInput { n: 4 })
        .await
        .unwrap();
    assert_eq!(run.outputs.result, 1 + 4 + 9);
    h.assert_executed("square", 4);
    h.assert_not_executed("single");

    let run = h
        .execute(BatchOrSingle, BatchOrSingleInput { n: 1 })
        .await
        .unwrap();
    assert_eq!(run.outputs.result, 1001);
    assert_eq!(
        run.report.node("squares").map(|n| n.status),
        Some(NodeStatus::NotTaken)
    );
    // Still four squares: the second run computed none.
    h.assert_executed("square", 4);
}

#[node]
async fn parity(x: u32) -> bool {
    x % 2 == 0
}

#[node]
async fn halve(x: u32) -> u32 {
    x / 2
}

#[node]
async fn triple(x: u32) -> u32 {
    x * 3 + 1
}

workflow! {
    /// One Collatz step: routes on the parity of its input.
    pub(crate) struct Step {
        input x: u32,
        even = parity(x),
        if even {
            next = halve(x),
        } else {
            next = triple(x),
        }
    }
}

workflow! {
    struct Steps {
        input xs: Vec<u32>,
        #[output]
        steps = map(Step, xs),
    }
}

#[workflow_test(timeout = "5s", start_paused = true)]
async fn a_routing_sub_workflow_mapped_takes_each_items_own_arm(h: Harness) {
    let run = h
        .execute(
            Steps,
            StepsInput {
                xs: vec![6, 7, 10, 3],
            },
        )
        .await
        .unwrap();
    let next: Vec<u32> = run.outputs.steps.iter().map(|o| o.next).collect();
    assert_eq!(next, vec![3, 22, 5, 10]);
    h.assert_executed("halve", 2);
    h.assert_executed("triple", 2);
}
