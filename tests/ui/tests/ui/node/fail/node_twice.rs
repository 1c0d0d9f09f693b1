//! `#[node]` written twice on one fn (a second one added for its options): one error at
//! the second, and the node still works in a workflow.
use workflow_core::prelude::*;

#[node]
#[node(timeout = "1s")]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    pub struct Inc {
        input x: u32,
        y = inc(x),
    }
}

fn main() {
    let _ = IncInput { x: 1 };
}
