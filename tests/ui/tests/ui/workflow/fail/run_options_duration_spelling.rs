// A run's durations written as the attributes spell them (`"2s"`) or as bare numbers:
// one error each saying to write a `Duration`. They were rustc's "mismatched types:
// expected `Duration`, found `&str`" (mistakes42, left; mistakes43).
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

async fn run(rt: &Runtime) -> Result<u32, WorkflowError> {
    let opts = RunOptions::new().timeout("2s").deadlock(500).cancel_grace(0.1);
    let run = rt.execute_with(W, WInput { x: 1 }, opts).await?;
    Ok(run.outputs.y)
}

fn main() {
    let rt = Runtime::new();
    let _ = run(&rt);
}
