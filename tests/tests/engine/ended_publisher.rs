//! A deadlock whose waiter waits for a key named after a node that already ended says
//! so: nothing will publish it. Found by a new user's trial (trial44): with `failure =
//! "continue"` a publisher that failed left its waiter blocked, and the run's error read
//! "2 nodes of workflow `Cont` failed: ..; deadlock ..: `w` waits for `p`", one node
//! counted twice and nothing saying that `p` would never publish.

use std::time::Duration;

use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("publisher broke")]
struct Broke;

#[node]
async fn publisher(ctx: &Context) -> Result<u8, Broke> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    let _ = ctx;
    Err(Broke)
}

#[node]
async fn waiter(ctx: &Context) -> Result<u32, WaitError> {
    ctx.wait::<u32>("p").await
}

#[node]
async fn bystander() -> u8 {
    tokio::time::sleep(Duration::from_millis(50)).await;
    1
}

workflow! {
    #[workflow(failure = "continue")]
    struct Continue {
        p = publisher(),
        w = waiter(),
        b = bystander(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_publisher_is_named_and_counted_once() {
    let err = Runtime::new()
        .execute(Continue, ContinueInput {})
        .await
        .unwrap_err();
    let WorkflowError::Multiple { errors, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(errors.len(), 2, "{err}");
    let WorkflowError::Deadlock { report, .. } = &errors[1] else {
        panic!("{err}")
    };
    assert_eq!(report.waiting[0].publisher_ended, Some("failed"));
    assert_eq!(
        err.to_string(),
        "1 node of workflow `Continue` failed, then the run deadlocked: \
         node `p` of workflow `Continue` failed after 1 attempt(s): publisher broke; \
         deadlock in workflow `Continue`: every live node is blocked in a tracked wait: \
         `w` waits for `p` (nothing will publish it: node `p` failed)"
    );
}

/// Publishes under another key than its name: a typo the waiter cannot see.
#[node]
async fn announce(ctx: &Context) -> u32 {
    ctx.publish("ready", 1u32);
    1
}

#[node]
async fn wait_for(key: &'static str, ctx: &Context) -> Result<u32, WaitError> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    ctx.wait::<u32>(key).await
}

workflow! {
    struct Typo {
        input key: &'static str,
        announce = announce(),
        w = wait_for(key),
    }
}

#[tokio::test(start_paused = true)]
async fn a_publisher_that_ended_without_the_key_is_named() {
    let rt = Runtime::new();
    let err = rt
        .execute(Typo, TypoInput { key: "announce" })
        .await
        .unwrap_err();
    assert!(err.is_deadlock(), "{err}");
    assert!(
        err.to_string().ends_with(
            "`w` waits for `announce` (nothing will publish it: node `announce` succeeded without publishing it)"
        ),
        "{err}"
    );
    // A key that is no node's name: nothing to add.
    let err = rt
        .execute(Typo, TypoInput { key: "redy" })
        .await
        .unwrap_err();
    let WorkflowError::Deadlock { report, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(report.waiting[0].publisher_ended, None, "{err}");
    assert!(err.to_string().ends_with("`w` waits for `redy`"), "{err}");
    // The right key: no deadlock.
    let run = rt.execute(Typo, TypoInput { key: "ready" }).await.unwrap();
    assert_eq!(run.outputs.w, 1);
}
