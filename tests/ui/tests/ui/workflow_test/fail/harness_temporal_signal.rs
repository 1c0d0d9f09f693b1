//! `h.signal("approve", true)` (Temporal's signal to a running workflow) from a test:
//! one error saying to send through an `EventQueue<T>` resource, not rustc's "no method
//! named `signal` found for `Harness`".
use workflow_test::prelude::*;

#[node]
async fn approval(ctx: &Context) -> Result<bool, WaitError> {
    ctx.wait::<bool>("approve").await
}

workflow! {
    struct Approve {
        a = approval(),
    }
}

#[workflow_test(timeout = "5s")]
async fn approve(h: Harness) {
    let run = h.execute(Approve, ApproveInput {});
    h.signal("approve", true);
    h.assert_success(run.await);
}

fn main() {}
