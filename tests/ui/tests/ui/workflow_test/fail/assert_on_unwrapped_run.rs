//! An assertion on a run that was already unwrapped: one error saying to pass the
//! result of `.await` itself.
use workflow_test::prelude::*;

#[node(timeout = "1s")]
async fn slow(x: u32) -> u32 {
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    x
}

workflow! {
    struct W {
        input x: u32,
        y = slow(x),
    }
}

#[workflow_test(start_paused = true)]
async fn times_out(h: Harness) {
    let run = h.execute(W, WInput { x: 1 }).await.unwrap();
    h.assert_timeout(run);
}

fn main() {}
