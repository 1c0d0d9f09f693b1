// `#[workflow(..)]` inside the struct, on an input or a binding: one error each, saying
// it goes above the `struct`.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        #[workflow(timeout = "1s")]
        input x: u32,
        #[workflow(failure = "continue")]
        y = double(x),
    }
}

fn main() {}
