// The testing guide's builder methods (`.with_timeout(1.0)`, `.with_deadlock_detection(..)`,
// `.with_parallel_execution()`) written on a workflow: one error per call, saying the
// policies are `#[workflow(..)]` attributes or `RunOptions`.
use workflow_core::prelude::*;

#[node]
async fn slow(x: u32) -> u32 {
    x
}

workflow! {
    struct Slow {
        input x: u32,
        y = slow(x),
    }
}

#[tokio::main]
async fn main() {
    let rt = Runtime::new();
    let _ = rt.execute(Slow.with_timeout(1.0), SlowInput { x: 1 }).await;
    let _ = rt.execute(Slow.with_parallel_execution(), SlowInput { x: 2 }).await;
}
