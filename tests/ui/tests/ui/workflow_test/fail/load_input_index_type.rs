// `load`'s input closure gets the run's index as a `usize`; building a `u32` field from
// it is rustc's one closure-signature error at the call.
use workflow_test::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct W {
        input x: u32,
        d = double(x),
    }
}

#[workflow_test(timeout = "5s")]
async fn under_load(h: Harness) {
    let report = h.load(W, 10, 2, |i| WInput { x: i }).await;
    assert!(report.all_succeeded());
}

fn main() {}
