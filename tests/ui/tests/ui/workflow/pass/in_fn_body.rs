//! Nodes and a workflow declared inside a function body.
use workflow_core::prelude::*;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    #[node]
    async fn double(x: u32) -> u32 {
        x * 2
    }

    workflow! {
        struct Local {
            input x: u32,
            once = double(x),
            twice = double(x: once),
        }
    }

    let run = Runtime::new()
        .execute(Local, LocalInput { x: 3 })
        .await
        .unwrap();
    assert_eq!(run.outputs.twice, 12);
}
