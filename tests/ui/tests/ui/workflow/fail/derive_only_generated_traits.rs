//! A `#[derive(..)]` listing only traits the workflow struct already derives: one error,
//! at the attribute, however many it lists (was one per trait).
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    #[derive(Debug, Clone)]
    struct Twice {
        input x: u32,
        y = double(x),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Twice, TwiceInput { x: 1 }).await.unwrap();
    println!("{:?} {}", Twice.clone(), run.outputs.y);
}
