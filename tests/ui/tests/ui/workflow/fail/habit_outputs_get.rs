//! `run.outputs.get("y")` (a dict's habit): one error naming the fields to write.
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
    let y = run.outputs.get("y").copied().unwrap_or(0);
    println!("{}", y + 1);
}
