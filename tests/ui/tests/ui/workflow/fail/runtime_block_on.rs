// `rt.block_on(..)` (tokio's name for running a future from sync code) for awaiting
// `rt.execute(..)`: one error saying what to write, and the result is typed as the run's,
// so the code using it adds nothing.
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Inc {
        input x: u32,
        y = inc(x),
    }
}

fn main() {
    let rt = Runtime::new();
    let run = rt.block_on(Inc, IncInput { x: 5 }).unwrap();
    println!("{}", run.outputs.y);
}
