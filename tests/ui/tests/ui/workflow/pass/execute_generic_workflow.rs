// Code generic over workflows calls `execute` with `W` and `W::Input`, as before
// `execute` took a `Runnable` pair.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Double {
        input x: u32,
        y = double(x),
    }
}

async fn run_any<W: Workflow>(rt: &Runtime, workflow: W, input: W::Input) -> Result<Run<W::Output>, WorkflowError> {
    rt.execute(workflow, input).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::new();
    let run = run_any(&rt, Double, DoubleInput { x: 21 }).await.unwrap();
    assert_eq!(run.outputs.y, 42);
    let spawned = tokio::spawn(rt.execute(Double, DoubleInput { x: 1 }));
    assert_eq!(spawned.await.unwrap().unwrap().outputs.y, 2);
}
