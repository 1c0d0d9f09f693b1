// The built harness's `enable_tracing()` (the testing guide's name) called on its builder:
// one error naming the builder's `trace(true)` (it was rustc's "no method named
// `enable_tracing` found for struct `HarnessBuilder`", with no hint).
use workflow_test::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct W {
        input x: u32,
        y = inc(x),
    }
}

#[workflow_test]
async fn traced() {
    let h = Harness::builder().enable_tracing().build();
    let run = h.assert_success(h.execute(W, WInput { x: 1 }).await);
    assert_eq!(run.outputs.y, 2);
    assert!(h.last_trace().is_some());
}

fn main() {}
