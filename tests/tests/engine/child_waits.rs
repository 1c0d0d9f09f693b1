//! Tracked waits (`ctx.wait` / `ctx.publish`) in the child runs of sub-workflows and
//! fan-out items: keys are shared by the whole run tree, and a deadlock anywhere in it
//! fails the root run, naming the blocked nodes by path. Children come small (run in a
//! lane) and big (a workflow policy of their own: a run with its own driver), nodes
//! inline and spawned. Each run is bounded by a timeout on the paused clock, so a hang
//! fails at once instead of blocking the suite.

use std::time::Duration;

use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_core::{DeadlockKind, RunFuture};

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

/// The run ends, within [`LIMIT`] on the paused clock, with a `Deadlock` error found
/// at once (every live node blocked, not a stall limit); the nodes it names, each with
/// what it waits for.
async fn expect_deadlock<O: std::fmt::Debug>(run: RunFuture<O>) -> Vec<(String, Option<String>)> {
    let start = Instant::now();
    let err = tokio::time::timeout(LIMIT, run)
        .await
        .expect("no hang")
        .unwrap_err();
    assert!(err.is_deadlock(), "{err}");
    assert_eq!(start.elapsed(), Duration::ZERO, "found at once: {err}");
    let WorkflowError::Deadlock { report, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(report.kind, DeadlockKind::AllWaiting, "{err}");
    report
        .waiting
        .iter()
        .map(|w| (w.node.to_string(), w.waits_for.clone()))
        .collect()
}

/// `(node, Some(key))` pairs, as `expect_deadlock` returns them.
fn waiting(pairs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|&(n, k)| (n.to_owned(), Some(k.to_owned())))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_wait_nobody_can_answer_is_a_deadlock_at_the_top() {
    let named = expect_deadlock(Runtime::new().execute(Lonely, LonelyInput { x: 1 })).await;
    assert_eq!(named, waiting(&[("w", "k")]));
}

#[tokio::test(start_paused = true)]
async fn a_wait_nobody_can_answer_is_a_deadlock_in_a_sub_workflow() {
    let named = expect_deadlock(Runtime::new().execute(LonelySub, LonelySubInput { x: 1 })).await;
    assert_eq!(named, waiting(&[("s.w", "k")]));
}

#[tokio::test(start_paused = true)]
async fn a_wait_nobody_can_answer_is_a_deadlock_in_fan_out_items() {
    let run = Runtime::new().execute(LonelyItems, LonelyItemsInput { xs: vec![1, 2] });
    let named = expect_deadlock(run).await;
    assert_eq!(named, waiting(&[("out[0].w", "k"), ("out[1].w", "k")]));
}

#[tokio::test(start_paused = true)]
async fn a_publish_of_the_run_reaches_waits_in_its_items() {
    let run = Runtime::new().execute(PublishToItems, PublishToItemsInput { xs: vec![1, 2] });
    let run = tokio::time::timeout(LIMIT, run)
        .await
        .expect("no hang")
        .unwrap();
    assert_eq!(run.outputs.out, [8, 9]);
}

workflow! {
    /// `Lonely` with a workflow policy of its own: it runs as a whole child run (its
    /// own driver), not in a lane.
    #[workflow(timeout = "1h")]
    struct BigLonely {
        input x: u32,
        w = waiter(x),
    }
}

workflow! {
    struct BigLonelySub {
        input x: u32,
        s = BigLonely(x),
    }
}

workflow! {
    struct BigLonelyItems {
        input xs: Vec<u32>,
        out = map(BigLonely, xs),
    }
}

workflow! {
    /// The wait is in a spawned node (a task of its own): it starts blocking without
    /// the run being polled.
    struct SpawnedLonely {
        input x: u32,
        #[spawn]
        w = waiter(x),
    }
}

workflow! {
    struct SpawnedItems {
        input xs: Vec<u32>,
        out = for x in xs { #[spawn] w = waiter(x), } => w,
    }
}

workflow! {
    struct PublishToSpawnedItems {
        input xs: Vec<u32>,
        p = publisher(),
        out = for x in xs { #[spawn] w = waiter(x), } => w,
    }
}

workflow! {
    struct PublishToSub {
        input x: u32,
        p = publisher(),
        s = Lonely(x),
    }
}

workflow! {
    struct PublishToBigSub {
        input x: u32,
        p = publisher(),
        s = BigLonely(x),
    }
}

workflow! {
    struct PublishToBigItems {
        input xs: Vec<u32>,
        p = publisher(),
        out = map(BigLonely, xs),
    }
}

workflow! {
    /// Items whose body runs a sub-workflow: a wait two levels down.
    struct NestedItems {
        input xs: Vec<u32>,
        out = for x in xs { s = LonelySub(x), } => s,
    }
}

#[tokio::test(start_paused = true)]
async fn a_wait_nobody_can_answer_is_a_deadlock_in_a_big_sub_workflow() {
    let run = Runtime::new().execute(BigLonelySub, BigLonelySubInput { x: 1 });
    assert_eq!(expect_deadlock(run).await, waiting(&[("s.w", "k")]));
}

#[tokio::test(start_paused = true)]
async fn a_wait_nobody_can_answer_is_a_deadlock_in_big_fan_out_items() {
    let run = Runtime::new().execute(BigLonelyItems, BigLonelyItemsInput { xs: vec![1, 2] });
    let named = expect_deadlock(run).await;
    assert_eq!(named, waiting(&[("out[0].w", "k"), ("out[1].w", "k")]));
}

#[tokio::test(start_paused = true)]
async fn a_spawned_node_blocked_in_a_wait_is_a_deadlock_found_at_once() {
    let run = Runtime::new().execute(SpawnedLonely, SpawnedLonelyInput { x: 1 });
    assert_eq!(expect_deadlock(run).await, waiting(&[("w", "k")]));
}

#[tokio::test(start_paused = true)]
async fn a_wait_nobody_can_answer_is_a_deadlock_in_spawned_fan_out_items() {
    let run = Runtime::new().execute(SpawnedItems, SpawnedItemsInput { xs: vec![1, 2, 3] });
    let named = expect_deadlock(run).await;
    assert_eq!(
        named,
        waiting(&[("out[0].w", "k"), ("out[1].w", "k"), ("out[2].w", "k")])
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_two_levels_down_is_named_by_its_whole_path() {
    let run = Runtime::new().execute(NestedItems, NestedItemsInput { xs: vec![5] });
    assert_eq!(
        expect_deadlock(run).await,
        waiting(&[("out[0].s.s.w", "k")])
    );
}

/// Outputs within [`LIMIT`] on the paused clock (no hang, no error).
async fn expect_outputs<O: std::fmt::Debug>(run: RunFuture<O>) -> O {
    tokio::time::timeout(LIMIT, run)
        .await
        .expect("no hang")
        .unwrap()
        .outputs
}

#[tokio::test(start_paused = true)]
async fn a_publish_of_the_run_reaches_a_wait_in_a_sub_workflow() {
    let out =
        expect_outputs(Runtime::new().execute(PublishToSub, PublishToSubInput { x: 1 })).await;
    assert_eq!(out.s.w, 8);
}

#[tokio::test(start_paused = true)]
async fn a_publish_of_the_run_reaches_a_wait_in_a_big_sub_workflow() {
    let run = Runtime::new().execute(PublishToBigSub, PublishToBigSubInput { x: 2 });
    assert_eq!(expect_outputs(run).await.s.w, 9);
}

#[tokio::test(start_paused = true)]
async fn a_publish_of_the_run_reaches_waits_in_big_items() {
    let run = Runtime::new().execute(PublishToBigItems, PublishToBigItemsInput { xs: vec![1, 2] });
    let out = expect_outputs(run).await;
    let got: Vec<u32> = out.out.iter().map(|o| o.w).collect();
    assert_eq!(got, [8, 9]);
}

#[tokio::test(start_paused = true)]
async fn a_publish_of_the_run_reaches_waits_in_spawned_items() {
    let run = Runtime::new().execute(
        PublishToSpawnedItems,
        PublishToSpawnedItemsInput { xs: vec![1, 2, 3] },
    );
    assert_eq!(expect_outputs(run).await.out, [8, 9, 10]);
}

#[node]
async fn ask(ctx: &Context) -> u32 {
    let answer = ctx.wait::<u32>("answer").await.unwrap();
    ctx.publish("question", answer);
    answer
}

#[node]
async fn answer(ctx: &Context) -> u32 {
    let question = ctx.wait::<u32>("question").await.unwrap();
    ctx.publish("answer", question + 1);
    question
}

workflow! {
    struct Answers {
        a = answer(),
    }
}

workflow! {
    #[workflow(timeout = "1h")]
    struct BigAnswers {
        a = answer(),
    }
}

workflow! {
    /// `q` waits for what only the child publishes, after its own wait for `q`.
    struct AskTheChild {
        q = ask(),
        s = Answers(),
    }
}

workflow! {
    struct AskTheBigChild {
        q = ask(),
        s = BigAnswers(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_deadlock_across_parent_and_child_names_both() {
    let named = expect_deadlock(Runtime::new().execute(AskTheChild, AskTheChildInput {})).await;
    assert_eq!(named, waiting(&[("q", "answer"), ("s.a", "question")]));
}

#[tokio::test(start_paused = true)]
async fn a_deadlock_across_parent_and_big_child_names_both() {
    let run = Runtime::new().execute(AskTheBigChild, AskTheBigChildInput {});
    assert_eq!(
        expect_deadlock(run).await,
        waiting(&[("q", "answer"), ("s.a", "question")])
    );
}

workflow! {
    /// A node of the run waits for a key each item publishes.
    struct WaitForAnItem {
        input xs: Vec<u32>,
        out = for x in xs { p = publish_x(x), } => p,
        got = wait_for_item(),
    }
}

#[node]
async fn publish_x(x: u32, ctx: &Context) -> u32 {
    tokio::time::sleep(Duration::from_millis(u64::from(x))).await;
    ctx.publish(format!("item{x}"), x);
    x
}

#[node]
async fn wait_for_item(ctx: &Context) -> u32 {
    ctx.wait::<u32>("item3").await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_publish_in_an_item_reaches_a_wait_of_the_run() {
    let run = Runtime::new().execute(WaitForAnItem, WaitForAnItemInput { xs: vec![5, 3] });
    let out = expect_outputs(run).await;
    assert_eq!((out.out, out.got), (vec![5, 3], 3));
}

workflow! {
    /// Two nodes each waiting for the other, by binding name (`ask` waits for
    /// `answer`, `answer` for `question`).
    struct PingPong {
        question = ask(),
        answer = answer(),
    }
}

workflow! {
    struct PingPongInside {
        inner = PingPong(),
    }
}

workflow! {
    struct PingPongItems {
        input xs: Vec<u32>,
        out = for x in xs { w = waiter(x), question = ask(), answer = answer(), } => w,
    }
}

/// Keys name bindings as the waiter's own workflow sees them, so a ring inside a
/// sub-workflow or a fan-out item is reported with its cycle, by path.
#[tokio::test(start_paused = true)]
async fn a_ring_inside_a_child_run_is_reported_with_its_cycle() {
    let err = Runtime::new()
        .execute(PingPongInside, PingPongInsideInput {})
        .await
        .unwrap_err();
    let WorkflowError::Deadlock { report, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(
        report.cycle.as_deref(),
        Some(&["inner.answer", "inner.question", "inner.answer"].map(String::from)[..])
    );
    assert!(
        err.to_string()
            .ends_with("(cycle: inner.answer -> inner.question -> inner.answer)"),
        "{err}"
    );
    let err = Runtime::new()
        .execute(PingPongItems, PingPongItemsInput { xs: vec![4] })
        .await
        .unwrap_err();
    let WorkflowError::Deadlock { report, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(
        report.cycle.as_deref(),
        Some(&["out[0].answer", "out[0].question", "out[0].answer"].map(String::from)[..])
    );
}
