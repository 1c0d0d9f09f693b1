//! A run given a value of the wrong type instead of the input struct: one error, with
//! rustc's suggestion to wrap it in the input struct.
use workflow_core::prelude::*;

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
    let _ = Runtime::new().execute(Twice, 1u32).await;
}
