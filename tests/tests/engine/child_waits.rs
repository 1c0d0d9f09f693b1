//! Tracked waits (`ctx.wait` / `ctx.publish`) in the child runs of sub-workflows and
//! fan-out items. Found by the user trial; the engine's fix is pending, so the failing
//! cases are `#[ignore]`d with the bug they show. Each bounds the run with a timeout on
//! the paused clock, so a hang fails at once instead of blocking the suite.

use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::RunFuture;

/// Long enough for any of these runs; reached at once under the paused clock.
const LIMIT: Duration = Duration::from_secs(60);

#[node]
async fn waiter(x: u32, ctx: &Context) -> u32 {
    ctx.wait::<u32>("k").await.unwrap() + x
}

#[node]
async fn publisher(ctx: &Context) -> u32 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    ctx.publish("k", 7u32);
    7
}

workflow! {
    struct Lonely {
        input x: u32,
        w = waiter(x),
    }
}

workflow! {
    struct LonelySub {
        input x: u32,
        s = Lonely(x),
    }
}

workflow! {
    struct LonelyItems {
        input xs: Vec<u32>,
        out = for x in xs { w = waiter(x), } => w,
    }
}

workflow! {
    struct PublishToItems {
        input xs: Vec<u32>,
        p = publisher(),
        out = for x in xs { w = waiter(x), } => w,
    }
}

/// The run ends, within [`LIMIT`] on the paused clock, with a `Deadlock` error.
async fn expect_deadlock<O: std::fmt::Debug>(run: RunFuture<O>) {
    let err = tokio::time::timeout(LIMIT, run)
        .await
        .expect("no hang")
        .unwrap_err();
    assert!(err.is_deadlock(), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_wait_nobody_can_answer_is_a_deadlock_at_the_top() {
    expect_deadlock(Runtime::new().execute(Lonely, LonelyInput { x: 1 })).await;
}

#[tokio::test(start_paused = true)]
#[ignore = "bug: a sub-workflow whose only node waits on a key nobody publishes hangs; no Deadlock is reported"]
async fn a_wait_nobody_can_answer_is_a_deadlock_in_a_sub_workflow() {
    expect_deadlock(Runtime::new().execute(LonelySub, LonelySubInput { x: 1 })).await;
}

#[tokio::test(start_paused = true)]
#[ignore = "bug: fan-out items that all wait on a key nobody publishes hang; no Deadlock is reported"]
async fn a_wait_nobody_can_answer_is_a_deadlock_in_fan_out_items() {
    expect_deadlock(Runtime::new().execute(LonelyItems, LonelyItemsInput { xs: vec![1, 2] })).await;
}

#[tokio::test(start_paused = true)]
#[ignore = "bug: a key published by a node of the run never reaches a wait in a fan-out item (each child run has its own Waits), and the run hangs"]
async fn a_publish_of_the_run_reaches_waits_in_its_items() {
    let run = Runtime::new().execute(PublishToItems, PublishToItemsInput { xs: vec![1, 2] });
    let run = tokio::time::timeout(LIMIT, run)
        .await
        .expect("no hang")
        .unwrap();
    assert_eq!(run.outputs.out, [8, 9]);
}
