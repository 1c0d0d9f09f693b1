// The `Harness`'s `enable_tracing()` / `disable_tracing()` (the testing guide's names)
// written on the runtime's builder, on a built runtime and on `RunOptions`: one error at
// each, naming the `trace(true)` setting (it was rustc's "no method named
// `enable_tracing` found", with no hint).
use workflow_core::prelude::*;

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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::builder().enable_tracing().build();
    rt.disable_tracing();
    let options = RunOptions::new().enable_tracing();
    let run = rt.execute_with(W, WInput { x: 1 }, options).await.unwrap();
    assert_eq!(run.outputs.y, 2);
}
