//! `#[node]` not imported: rustc's error about the attribute, and the workflow's one
//! "cannot find macro"; nothing about the outputs the code reads.
use workflow_core::{workflow, Runtime};

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        y = double(x),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Twice, TwiceInput { x: 1 }).await.unwrap();
    println!("{}", run.outputs.y);
}
