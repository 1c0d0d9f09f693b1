//! A cast (or any operator) after a node call, as in plain code: one error at it, saying
//! where the conversion goes; the binding keeps its output, so the code reading it is quiet.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        y = double(x) as u64,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Twice, TwiceInput { x: 1 }).await.unwrap();
    println!("{}", run.outputs.y);
}
