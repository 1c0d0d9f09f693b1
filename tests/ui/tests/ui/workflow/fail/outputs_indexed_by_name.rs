//! `run.outputs["y"]` (a map's habit): one error naming the fields to write.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        #[output]
        y = double(x),
        z = double(x: y),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Twice, TwiceInput { x: 1 }).await.unwrap();
    println!("{}", run.outputs["y"] + 1);
}
