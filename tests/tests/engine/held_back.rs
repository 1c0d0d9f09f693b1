//! A deadlock that a concurrency limit is part of names the nodes it held back: the
//! running node waits for a value that a node never started (because of the limit)
//! would publish. Found by a new user's trial (session 17): the report said only
//! "`w` waits for `pub`", while `p`, which publishes `pub`, was in the workflow.

use workflow_core::prelude::*;

#[node]
async fn waiter(ctx: &Context) -> Result<u32, WaitError> {
    ctx.wait::<u32>("pub").await
}

#[node]
async fn publisher(ctx: &Context) -> u32 {
    ctx.publish("pub", 5u32);
    5
}

#[node]
async fn pass(x: u32) -> u32 {
    x
}

workflow! {
    #[workflow(sequential)]
    struct SeqWait {
        w = waiter(),
        p = publisher(),
    }
}

workflow! {
    struct FreeWait {
        w = waiter(),
        p = publisher(),
    }
}

workflow! {
    #[workflow(concurrency = 2)]
    struct TwoOfThree {
        w1 = waiter(),
        w2 = waiter(),
        p = publisher(),
    }
}

// More than 16 nodes: the driver's ready queue is its large form.
workflow! {
    #[workflow(sequential)]
    struct LongSeqWait {
        w = waiter(),
        p = publisher(),
        a1 = pass(x: p),
        a2 = pass(x: a1),
        a3 = pass(x: a2),
        a4 = pass(x: a3),
        a5 = pass(x: a4),
        a6 = pass(x: a5),
        a7 = pass(x: a6),
        a8 = pass(x: a7),
        a9 = pass(x: a8),
        a10 = pass(x: a9),
        a11 = pass(x: a10),
        a12 = pass(x: a11),
        a13 = pass(x: a12),
        a14 = pass(x: a13),
        a15 = pass(x: a14),
        a16 = pass(x: a15),
    }
}

fn report(err: &WorkflowError) -> &workflow_core::DeadlockReport {
    match err {
        WorkflowError::Deadlock { report, .. } => report,
        other => panic!("expected a deadlock, got {other}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_sequential_runs_deadlock_names_the_node_it_held_back() {
    let err = Runtime::new()
        .execute(SeqWait, SeqWaitInput {})
        .await
        .unwrap_err();
    let r = report(&err);
    assert_eq!(r.kind, DeadlockKind::AllWaiting);
    assert_eq!(r.held_back, ["p"]);
    assert_eq!(
        err.to_string(),
        "deadlock in workflow `SeqWait`: every live node is blocked in a tracked wait: `w` waits \
         for `pub`; held back by the concurrency limit, not started: `p`"
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_limit_the_same_graph_runs() {
    let run = Runtime::new()
        .execute(FreeWait, FreeWaitInput {})
        .await
        .unwrap();
    assert_eq!((run.outputs.w, run.outputs.p), (5, 5));
}

#[tokio::test(start_paused = true)]
async fn a_limit_of_two_holds_back_the_third() {
    let err = Runtime::new()
        .execute(TwoOfThree, TwoOfThreeInput {})
        .await
        .unwrap_err();
    let r = report(&err);
    assert_eq!(r.waiting.len(), 2);
    assert_eq!(r.held_back, ["p"]);
    // A per-run limit is a limit too; without one, the run succeeds.
    let err = Runtime::new()
        .execute_with(FreeWait, FreeWaitInput {}, RunOptions::new().concurrency(1))
        .await
        .unwrap_err();
    assert_eq!(report(&err).held_back, ["p"]);
}

#[tokio::test(start_paused = true)]
async fn a_large_plans_held_back_nodes_are_named_too() {
    let err = Runtime::new()
        .execute(LongSeqWait, LongSeqWaitInput {})
        .await
        .unwrap_err();
    // Only `p` was ready: its successors wait for it, not for the limit.
    assert_eq!(report(&err).held_back, ["p"]);
}

#[tokio::test(start_paused = true)]
async fn held_back_nodes_serialize_only_when_there_are_some() {
    let err = Runtime::new()
        .execute(SeqWait, SeqWaitInput {})
        .await
        .unwrap_err();
    let json = serde_json::to_value(report(&err)).unwrap();
    assert_eq!(json["held_back"], serde_json::json!(["p"]));
}
